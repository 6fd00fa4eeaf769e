//! `key_package.cert_serial`: the session certificate a KeyPackage was validated against.
//!
//! A KeyPackage is signed by its session's key, so it belongs to the session's certificate of
//! that moment (docs/wire-contract.md §5). Claims hand out only packages of the session's
//! current certificate; uploads purge the others. Before, a rotation deleted the session's
//! packages itself, which tied the sessions service to the KeyPackage table. Existing rows
//! belong to their session's current certificate (rotations deleted the others), which the
//! backfill records.

use sea_orm_migration::prelude::{
    ColumnDef, DbErr, DeriveIden, MigrationName, MigrationTrait, SchemaManager, Table,
};
use sea_orm_migration::sea_orm::ConnectionTrait as _;

/// The seventh migration.
pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_key_package_cert"
    }
}

#[derive(DeriveIden)]
enum KeyPackage {
    Table,
    CertSerial,
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
                .table(KeyPackage::Table)
                .add_column(ColumnDef::new(KeyPackage::CertSerial).big_integer().null())
                .to_owned(),
        )
        .await?;
        // Portable SQL (SQLite and PostgreSQL): a correlated subquery per row.
        m.get_connection()
            .execute_unprepared(
                "UPDATE key_package SET cert_serial = \
                 (SELECT s.cert_serial FROM session s WHERE s.id = key_package.session_row_id)",
            )
            .await
            .map(drop)
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(KeyPackage::Table)
                .drop_column(KeyPackage::CertSerial)
                .to_owned(),
        )
        .await
    }
}
