//! Storage: sea-orm entities and the portable migrations that run on SQLite (the embedded
//! default) and PostgreSQL (ARCHITECTURE rule 4). Only services use this module.

pub mod entities;
mod migration;

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqlErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

pub use migration::Migrator;

/// Opens the database at `url` (creating a SQLite file if missing) and brings its schema up
/// to date.
///
/// SQLite runs in WAL mode with a busy timeout, so readers never block and writers queue.
///
/// # Errors
/// The database error, if it cannot be reached or migrated.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let sqlite = url.starts_with("sqlite:");
    if sqlite && let Some(dir) = sqlite_parent_dir(url) {
        std::fs::create_dir_all(&dir).map_err(|e| {
            DbErr::Custom(format!(
                "cannot create the data directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    let mut options = ConnectOptions::new(url);
    options
        // sea-orm would give SQLite a single connection, which an open transaction starves.
        .max_connections(if sqlite { 8 } else { 16 })
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// The directory of a `sqlite://path` URL's file, if it names one.
fn sqlite_parent_dir(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next()?;
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    std::path::Path::new(path)
        .parent()
        .map(std::path::Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes fails with
/// "database is locked" under concurrent writers instead of waiting.
///
/// # Errors
/// The database error.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await
    } else {
        db.begin().await
    }
}

/// Whether the error is a unique-constraint violation, on either database.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Converts a UNIX time to the database's integer column type. Times past 2^63 s do not
/// occur; they saturate.
pub fn db_time(unix: u64) -> i64 {
    i64::try_from(unix).unwrap_or(i64::MAX)
}

/// Converts a database integer time back; negative values (never written) read as 0.
pub fn unix_time(db: i64) -> u64 {
    u64::try_from(db).unwrap_or(0)
}
