//! The moment each certificate was issued, in milliseconds: certificates issued in the same
//! second (a sign-in and a rotation, say) are listed in the order they were issued.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, MigrationName, MigrationTrait, SchemaManager, Table,
};
use sea_orm_migration::schema::big_integer;

/// The fourth migration.
pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_certificate_order"
    }
}

#[derive(DeriveIden)]
enum Certificate {
    Table,
    IssuedAtMs,
}

// `async_trait` needs the SchemaManager lifetime late-bound, which only the elided form gives.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Certificate::Table)
                .add_column(big_integer(Certificate::IssuedAtMs).default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Certificate::Table)
                .drop_column(Certificate::IssuedAtMs)
                .to_owned(),
        )
        .await
    }
}
