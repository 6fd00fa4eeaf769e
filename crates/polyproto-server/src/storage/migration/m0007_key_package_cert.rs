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

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait as _, Database, Statement};
    use sea_orm_migration::MigratorTrait as _;

    use super::super::Migrator;

    /// Packages stored before this migration belong to their session's current certificate.
    #[tokio::test]
    async fn existing_packages_get_their_sessions_current_serial() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("db").display());
        let db = Database::connect(url.as_str()).await.expect("open");
        Migrator::up(&db, Some(6)).await.expect("m0001 to m0006");
        for sql in [
            "INSERT INTO actor (id, local_name, password_hash, is_admin, created_at) \
             VALUES (1, 'alice', 'x', false, 0)",
            "INSERT INTO session (id, actor_id, fid, session_id, \"foreign\", cert_serial, \
             cert_not_after, token_hash, created_at) \
             VALUES (7, 1, 'alice@localhost', 'laptop', false, 42, 99, x'01', 0)",
            "INSERT INTO key_package (hash_ref, actor_id, session_row_id, ciphersuite, \
             not_before, not_after, last_resort, payload, created_at) \
             VALUES (x'02', 1, 7, 1, 0, 99, false, x'03', 0)",
        ] {
            db.execute_unprepared(sql).await.expect(sql);
        }
        Migrator::up(&db, None).await.expect("m0007");
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT cert_serial FROM key_package",
            ))
            .await
            .expect("query")
            .expect("the package");
        let serial: Option<i64> = row.try_get("", "cert_serial").expect("column");
        assert_eq!(serial, Some(42));
        db.close().await.ok();
    }
}
