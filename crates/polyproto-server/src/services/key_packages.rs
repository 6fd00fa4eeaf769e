//! The KeyPackage store: upload with every validation of docs/wire-contract.md §5.1, last-resort
//! replacement, and single-use claims (polyproto-mls; RFC 9420 §10, §16.8; docs/wire-contract.md §5).
//! Owns the `key_package` table.
//!
//! A package belongs to the session certificate it was validated against (its signature key
//! is that certificate's): once the session has a new certificate, the package is never
//! handed out again, and the session's next upload removes it.

use std::collections::BTreeSet;
use std::sync::Arc;

use polyproto_types::api::error::{ErrorCode, InvalidItem};
use polyproto_types::key_package::{
    KeyPackageBinding, KeyPackagePayload, ValidatedKeyPackage, parse_ciphersuite,
    validate_key_package,
};
use sea_orm::sea_query::{LockBehavior, LockType, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::accounts::Actor;
use super::authority::Authority;
use super::callers::LocalSession;
use super::sessions::Sessions;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::storage::entities::key_package::{self, Column};
use crate::storage::{begin_write, db_time};

/// The KeyPackage service.
#[derive(Clone)]
pub struct KeyPackages {
    db: DatabaseConnection,
    config: Arc<Config>,
    clock: Clock,
    authority: Authority,
    sessions: Sessions,
}

impl KeyPackages {
    pub(super) fn new(
        db: DatabaseConnection,
        config: Arc<Config>,
        clock: Clock,
        authority: Authority,
        sessions: Sessions,
    ) -> Self {
        Self {
            db,
            config,
            clock,
            authority,
            sessions,
        }
    }

    /// Stores KeyPackages for the caller's session (seed S2 and `POST /.p2/mls/v1/keypackages`).
    /// All or nothing: one bad package refuses the request with the list of bad ones. Packages
    /// already stored are skipped; a package with the `last_resort` extension replaces the
    /// session's last-resort package. Answers how many packages were new.
    ///
    /// # Errors
    /// `InvalidKeyPackage` (with the bad items), `MalformedRequest` for an empty list,
    /// `KeyPackageLimit` past the size or count limits.
    pub async fn upload(
        &self,
        caller: &LocalSession,
        items: Vec<serde_json::Value>,
    ) -> Result<usize> {
        if items.is_empty() {
            return Err(Error::new(
                ErrorCode::MalformedRequest,
                "the list of KeyPackages is empty",
            ));
        }
        let validated = self.validate_all(caller, items).await?;
        let row_id = caller.row_id();
        let limit = self.config.key_packages.max_per_session;
        let now = db_time(self.clock.now());
        let txn = begin_write(&self.db).await?;
        delete_retired(&txn, caller).await?;
        let mut seen = BTreeSet::new();
        let mut fresh = Vec::new();
        for package in validated {
            let hash = package.hash_ref().to_vec();
            if seen.insert(hash.clone())
                && key_package::Entity::find()
                    .filter(Column::HashRef.eq(hash))
                    .count(&txn)
                    .await?
                    == 0
            {
                fresh.push(package);
            }
        }
        let new_normal = fresh.iter().filter(|p| !p.is_last_resort()).count();
        let stored_normal = key_package::Entity::find()
            .filter(Column::SessionRowId.eq(row_id))
            .filter(Column::LastResort.eq(false))
            .count(&txn)
            .await?;
        if usize::try_from(stored_normal)
            .unwrap_or(usize::MAX)
            .saturating_add(new_normal)
            > limit
        {
            return Err(Error::new(
                ErrorCode::KeyPackageLimit,
                format!(
                    "a session may store at most {limit} KeyPackages; it has {stored_normal}, this request adds {new_normal}"
                ),
            ));
        }
        let stored = fresh.len();
        for package in fresh {
            if package.is_last_resort() {
                delete_last_resort(&txn, row_id).await?;
            }
            insert(&txn, &package, caller, now).await?;
        }
        txn.commit().await?;
        Ok(stored)
    }

    /// Replaces the caller's session's last-resort KeyPackage (seed S3; docs/wire-contract.md §5.3). The
    /// package must carry the `last_resort` extension: an openmls client deletes the private
    /// key of any other package after its first use, so handing it out again would break
    /// every later group.
    ///
    /// # Errors
    /// As [`KeyPackages::upload`].
    pub async fn replace_last_resort(
        &self,
        caller: &LocalSession,
        item: serde_json::Value,
    ) -> Result<()> {
        let mut validated = self.validate_all(caller, vec![item]).await?;
        let package = validated
            .pop()
            .ok_or_else(|| Error::internal("last resort", "no package"))?;
        if !package.is_last_resort() {
            let reason =
                "a last-resort KeyPackage carries the last_resort extension (RFC 9420 §17.3)"
                    .to_owned();
            return Err(Error::new(
                ErrorCode::InvalidKeyPackage,
                "the KeyPackage is not a last-resort one",
            )
            .with_invalid(vec![InvalidItem { index: 0, reason }]));
        }
        let txn = begin_write(&self.db).await?;
        delete_retired(&txn, caller).await?;
        delete_last_resort(&txn, caller.row_id()).await?;
        key_package::Entity::delete_many()
            .filter(Column::HashRef.eq(package.hash_ref().to_vec()))
            .exec(&txn)
            .await?;
        insert(&txn, &package, caller, db_time(self.clock.now())).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Claims one KeyPackage per live session of `actor` (seed S8 and
    /// `GET /.p2/mls/v1/keypackages/{fid}`; docs/wire-contract.md §5.2): the oldest valid normal package
    /// matching the ciphersuites, removed as it is handed out; or else the session's
    /// last-resort package, kept. Only packages of the session's current certificate count.
    /// Expired packages are purged first and never handed out.
    /// Everything runs in one transaction; on PostgreSQL the normal package is picked with
    /// `FOR UPDATE SKIP LOCKED`, so concurrent claims never receive the same one.
    ///
    /// # Errors
    /// `MalformedRequest` for a bad ciphersuite list.
    pub async fn claim(
        &self,
        actor: &Actor,
        ciphersuites: Option<&str>,
    ) -> Result<Vec<KeyPackagePayload>> {
        let suites = self.requested_suites(ciphersuites)?;
        let sessions = self.sessions.certified_rows(actor.id).await?;
        let now = db_time(self.clock.now());
        let txn = begin_write(&self.db).await?;
        key_package::Entity::delete_many()
            .filter(Column::ActorId.eq(actor.id))
            .filter(Column::NotAfter.lt(now))
            .exec(&txn)
            .await?;
        let mut claimed = Vec::with_capacity(sessions.len());
        for (row_id, serial) in sessions {
            let oldest = Query::select()
                .column(Column::Id)
                .from(key_package::Entity)
                .and_where(Column::SessionRowId.eq(row_id))
                .and_where(Column::CertSerial.eq(serial))
                .and_where(Column::LastResort.eq(false))
                .and_where(Column::Ciphersuite.is_in(suites.clone()))
                .and_where(Column::NotBefore.lte(now))
                .order_by(Column::Id, Order::Asc)
                .limit(1)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .to_owned();
            let taken = key_package::Entity::delete_many()
                .filter(Column::Id.in_subquery(oldest))
                .exec_with_returning(&txn)
                .await?;
            if let Some(package) = taken.into_iter().next() {
                claimed.push(KeyPackagePayload::new(package.payload));
                continue;
            }
            let last_resort = key_package::Entity::find()
                .filter(Column::SessionRowId.eq(row_id))
                .filter(Column::CertSerial.eq(serial))
                .filter(Column::LastResort.eq(true))
                .filter(Column::Ciphersuite.is_in(suites.clone()))
                .filter(Column::NotBefore.lte(now))
                .order_by_desc(Column::Id)
                .one(&txn)
                .await?;
            if let Some(package) = last_resort {
                claimed.push(KeyPackagePayload::new(package.payload));
            }
        }
        txn.commit().await?;
        Ok(claimed)
    }

    /// The allowed ciphersuites, narrowed to the requested ones.
    fn requested_suites(&self, requested: Option<&str>) -> Result<Vec<i32>> {
        let allowed = &self.config.key_packages.allowed_ciphersuites;
        let suites: Vec<u16> = match requested.map(str::trim).filter(|s| !s.is_empty()) {
            None => allowed.clone(),
            Some(list) => {
                let mut wanted = Vec::new();
                for item in list.split(',') {
                    let suite = parse_ciphersuite(item.trim()).map_err(|e| {
                        Error::new(
                            ErrorCode::MalformedRequest,
                            format!("ciphersuites: {item:?}: {e}"),
                        )
                    })?;
                    if allowed.contains(&suite) {
                        wanted.push(suite);
                    }
                }
                wanted
            }
        };
        Ok(suites.into_iter().map(i32::from).collect())
    }

    /// Decodes and validates every item off the async executor; all or nothing.
    async fn validate_all(
        &self,
        caller: &LocalSession,
        items: Vec<serde_json::Value>,
    ) -> Result<Vec<ValidatedKeyPackage>> {
        let actor = &caller.actor;
        let cert = self.authority.certificate(caller.cert_serial()).await?;
        let key = cert.public_key().to_bytes();
        let der = cert.as_der().to_vec();
        let identity = actor.fid.to_string();
        let policy = self.config.key_package_policy();
        let max_bytes = self.config.key_packages.max_bytes;
        let now = self.clock.now();
        let checked = tokio::task::spawn_blocking(move || {
            let binding = KeyPackageBinding {
                signature_key: &key,
                identity: &identity,
                id_cert_der: Some(&der),
            };
            let mut good = Vec::with_capacity(items.len());
            let mut bad = Vec::new();
            let mut too_large = None;
            for (index, item) in items.into_iter().enumerate() {
                let payload = match item {
                    serde_json::Value::String(text) => KeyPackagePayload::from_base64(&text),
                    _ => {
                        bad.push(InvalidItem {
                            index,
                            reason: "a KeyPackage is a base64 string".to_owned(),
                        });
                        continue;
                    }
                };
                match payload {
                    Ok(payload) if payload.len() > max_bytes => {
                        too_large.get_or_insert((index, payload.len()));
                    }
                    Ok(payload) => {
                        match validate_key_package(payload.as_bytes(), &policy, &binding, now) {
                            Ok(package) => good.push(package),
                            Err(e) => bad.push(InvalidItem {
                                index,
                                reason: e.to_string(),
                            }),
                        }
                    }
                    Err(e) => bad.push(InvalidItem {
                        index,
                        reason: e.to_string(),
                    }),
                }
            }
            (good, bad, too_large)
        })
        .await
        .map_err(|e| Error::internal("KeyPackage validation", e))?;
        let (good, bad, too_large) = checked;
        if let Some((index, size)) = too_large {
            return Err(Error::new(
                ErrorCode::KeyPackageLimit,
                format!("KeyPackage {index} has {size} bytes; at most {max_bytes} are accepted"),
            ));
        }
        if !bad.is_empty() {
            let total = bad.len() + good.len();
            return Err(Error::new(
                ErrorCode::InvalidKeyPackage,
                format!(
                    "{} of {total} KeyPackages are invalid; nothing was stored",
                    bad.len()
                ),
            )
            .with_invalid(bad));
        }
        Ok(good)
    }
}

async fn delete_last_resort(conn: &impl ConnectionTrait, session_row_id: i64) -> Result<(), DbErr> {
    key_package::Entity::delete_many()
        .filter(Column::SessionRowId.eq(session_row_id))
        .filter(Column::LastResort.eq(true))
        .exec(conn)
        .await?;
    Ok(())
}

/// Removes the session's packages of its earlier certificates.
async fn delete_retired(conn: &impl ConnectionTrait, session: &LocalSession) -> Result<(), DbErr> {
    key_package::Entity::delete_many()
        .filter(Column::SessionRowId.eq(session.row_id()))
        .filter(
            Condition::any()
                .add(Column::CertSerial.ne(session.cert_serial()))
                .add(Column::CertSerial.is_null()),
        )
        .exec(conn)
        .await?;
    Ok(())
}

async fn insert(
    conn: &impl ConnectionTrait,
    package: &ValidatedKeyPackage,
    session: &LocalSession,
    now: i64,
) -> Result<(), DbErr> {
    key_package::ActiveModel {
        hash_ref: Set(package.hash_ref().to_vec()),
        actor_id: Set(session.actor.id),
        session_row_id: Set(session.row_id()),
        cert_serial: Set(Some(session.cert_serial())),
        ciphersuite: Set(i32::from(package.ciphersuite())),
        not_before: Set(db_time(package.not_before())),
        not_after: Set(db_time(package.not_after())),
        last_resort: Set(package.is_last_resort()),
        payload: Set(package.payload().to_vec()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map(drop)
}
