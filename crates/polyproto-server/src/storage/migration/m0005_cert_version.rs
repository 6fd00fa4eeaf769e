//! A one-row counter of changes to the `certificate` table: every transaction that issues or
//! invalidates a certificate, or rotates the server key, increments it. Server processes
//! compare it with the version their lookup cache was filled at (ARCHITECTURE rule 6).

use super::primary;
use sea_orm_migration::prelude::{
    DbErr, DeriveIden, MigrationName, MigrationTrait, Query, SchemaManager, Table,
};
use sea_orm_migration::schema::{big_integer, integer};

/// The fifth migration.
pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_cert_version"
    }
}

#[derive(DeriveIden)]
enum CertVersion {
    Table,
    Id,
    Version,
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
                .table(CertVersion::Table)
                .if_not_exists()
                .col(primary(integer(CertVersion::Id)))
                .col(big_integer(CertVersion::Version))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(CertVersion::Table)
                .columns([CertVersion::Id, CertVersion::Version])
                .values_panic([1.into(), 0.into()])
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CertVersion::Table).to_owned())
            .await
    }
}
