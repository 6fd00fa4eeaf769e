//! Sign-in challenges (polyproto core §4.3; docs/wire-contract.md §3.3).

use super::primary;
use sea_orm_migration::prelude::{
    DbErr, DeriveIden, Index, MigrationName, MigrationTrait, SchemaManager, Table,
};
use sea_orm_migration::schema::{big_integer, string};

/// The third migration.
pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_challenges"
    }
}

// Column names mirror the table; `Challenge::Challenge` is the column `challenge`.
#[allow(clippy::enum_variant_names)]
#[derive(DeriveIden)]
enum Challenge {
    Table,
    Challenge,
    ExpiresAt,
}

// `async_trait` needs the SchemaManager lifetime late-bound, which only the elided form gives.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Challenge::Table)
                .if_not_exists()
                .col(primary(string(Challenge::Challenge)))
                .col(big_integer(Challenge::ExpiresAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_challenge_expiry")
                .table(Challenge::Table)
                .col(Challenge::ExpiresAt)
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Challenge::Table).to_owned())
            .await
    }
}
