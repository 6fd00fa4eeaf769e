//! The certificate version: a counter in the database that every transaction changing the
//! `certificate` table increments (ARCHITECTURE rule 6). A lookup cache is only as fresh as
//! the version it was filled at, so each cached answer is checked against a version read
//! from the database *after* the request arrived: once a revocation is acknowledged, no
//! process serves the revoked certificate from its cache. Owns the `cert_version` table.

use std::time::Instant;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait as _, QueryFilter,
};
use tokio::sync::Mutex;

use crate::error::{Error, Result};
use crate::storage::entities::cert_version;

/// The one row's ID.
const ROW: i32 = 1;

/// Reads the version, coalescing concurrent reads: a request waits for a read that *started*
/// after it arrived and takes its value, so under load one query answers many requests and
/// the guarantee stays the same as one query per request.
pub struct CertVersion {
    db: DatabaseConnection,
    /// When the last completed read started, and what it read. Held across the query, so
    /// requests queue behind the read in flight and then share the next one.
    last: Mutex<Option<(Instant, i64)>>,
}

impl CertVersion {
    pub(super) fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            last: Mutex::new(None),
        }
    }

    /// The version as of a moment after `arrived`.
    ///
    /// # Errors
    /// A storage error.
    pub async fn current(&self, arrived: Instant) -> Result<i64> {
        let mut last = self.last.lock().await;
        if let Some((started, version)) = *last
            && started >= arrived
        {
            return Ok(version);
        }
        let started = Instant::now();
        let version = cert_version::Entity::find_by_id(ROW)
            .one(&self.db)
            .await?
            .ok_or_else(|| Error::internal("cert_version", "the row is missing"))?
            .version;
        *last = Some((started, version));
        Ok(version)
    }

    /// Increments the version, inside the transaction that changes certificates.
    ///
    /// # Errors
    /// A storage error.
    pub async fn bump(conn: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
        cert_version::Entity::update_many()
            .col_expr(
                cert_version::Column::Version,
                Expr::col(cert_version::Column::Version).add(1),
            )
            .filter(cert_version::Column::Id.eq(ROW))
            .exec(conn)
            .await
            .map(drop)
    }
}
