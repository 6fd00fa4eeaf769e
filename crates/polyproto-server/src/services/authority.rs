//! The certificate authority: the server's identity keys, issuing and invalidating ID-Certs,
//! and answering certificate lookups by point in time (polyproto core §6.1, §6.4; docs/wire-contract.md §4).
//! Owns the `server_key` and `certificate` tables.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use ed25519_dalek::{Signature, Signer as _, SigningKey};
use polyproto_types::api::error::ErrorCode;
use polyproto_types::certs::{Serial, Validity};
use polyproto_types::{CacheableIdCert, IdCert, IdCsr, SessionId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use zeroize::Zeroizing;

use super::cert_version::CertVersion;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::storage::entities::certificate::{self, KIND_ACTOR, KIND_HOME_SERVER};
use crate::storage::entities::server_key;
use crate::storage::{begin_write, db_time, unix_time};

/// A stored certificate, as lookups return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRecord {
    /// The serial number.
    pub serial: Serial,
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// The validity period.
    pub validity: Validity,
    /// When it was invalidated early, if it was.
    pub invalidated_at: Option<u64>,
    /// The session ID (actor certificates).
    pub session_id: Option<String>,
    /// The server key that signed it.
    pub issuer_key_id: i64,
}

/// Which certificates a lookup wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Those valid at this instant (docs/wire-contract.md §1.1): `notBefore <= t <= notAfter` and, if
    /// invalidated, `t < invalidatedAt`.
    At(u64),
    /// Those whose effective validity overlaps `[from, to]` (the modern route's
    /// `notBefore`/`notAfter` filters), invalidated ones included.
    Overlapping {
        /// Start of the range.
        from: u64,
        /// End of the range.
        to: u64,
    },
}

/// A newly built actor certificate, not yet stored.
pub struct Issued {
    /// The certificate.
    pub cert: IdCert,
    /// The key that signed it.
    pub issuer_key_id: i64,
}

/// The certificate authority.
#[derive(Clone)]
pub struct Authority {
    db: DatabaseConnection,
    config: Arc<Config>,
    clock: Clock,
    /// Decoded signing keys by ID. Keys never change once stored, so caching them is always
    /// correct, also with several server processes on one database.
    keys: Arc<RwLock<BTreeMap<i64, Arc<SigningKey>>>>,
    version: Arc<CertVersion>,
}

impl Authority {
    pub(super) fn new(db: DatabaseConnection, config: Arc<Config>, clock: Clock) -> Self {
        Self {
            version: Arc::new(CertVersion::new(db.clone())),
            db,
            config,
            clock,
            keys: Arc::default(),
        }
    }

    /// The version of the certificate table, for lookup caches: it changes in the same
    /// transaction as every issuance, invalidation and server key rotation.
    pub fn cert_version(&self) -> &CertVersion {
        &self.version
    }

    /// On first start, creates the server's identity key and self-signed certificate. Renews
    /// them when the certificate would expire before an actor certificate issued now, so the
    /// server never runs without the means to issue.
    ///
    /// # Errors
    /// A storage error.
    pub async fn ensure_server_identity(&self) -> Result<()> {
        let now = self.clock.now();
        match self.current_server_cert().await {
            Ok(current)
                if current.validity.not_after >= now + self.config.actor_cert_lifetime_secs() =>
            {
                Ok(())
            }
            Ok(current) => {
                tracing::warn!(serial = %current.serial, not_after = current.validity.not_after, "the server certificate expires soon; rotating the server key");
                self.rotate_server_key().await.map(drop)
            }
            Err(_) => match self.rotate_server_key().await {
                Ok(cert) => {
                    tracing::info!(serial = %cert.serial(), domain = %cert.issuer_domain(), "created the server identity key and certificate");
                    Ok(())
                }
                // Another process created it at the same moment.
                Err(_) if self.current_server_cert().await.is_ok() => Ok(()),
                Err(e) => Err(e),
            },
        }
    }

    /// Replaces the server's identity key and certificate (docs/wire-contract.md §4.4): the new
    /// certificate is valid from now, the old one is invalidated now and stays in history.
    ///
    /// # Errors
    /// A storage error; a concurrent rotation makes one of the two fail.
    pub async fn rotate_server_key(&self) -> Result<IdCert> {
        self.wait_for_a_fresh_second().await?;
        let now = self.clock.now();
        let mut seed = Zeroizing::new([0u8; 32]);
        super::tokens::fill_random(seed.as_mut());
        let key = SigningKey::from_bytes(&seed);
        let validity = Validity::new(now, now + self.config.server_cert_lifetime_secs())
            .map_err(|e| Error::internal("server validity", e))?;
        let serial = Serial::random();
        let cert = IdCert::issue_home_server(&key, &self.config.domain_name(), &serial, validity)
            .map_err(|e| Error::internal("issue server certificate", e))?;

        let txn = begin_write(&self.db).await?;
        let last = server_key::Entity::find()
            .order_by_desc(server_key::Column::Id)
            .one(&txn)
            .await?;
        let key_id = last.map_or(1, |k| k.id + 1);
        server_key::ActiveModel {
            id: Set(key_id),
            secret: Set(seed.to_vec()),
            created_at: Set(db_time(now)),
        }
        .insert(&txn)
        .await?;
        certificate::Entity::update_many()
            .col_expr(
                certificate::Column::InvalidatedAt,
                Expr::value(db_time(now)),
            )
            .filter(certificate::Column::Kind.eq(KIND_HOME_SERVER))
            .filter(certificate::Column::InvalidatedAt.is_null())
            .exec(&txn)
            .await?;
        Self::store(&txn, &cert, key_id, KIND_HOME_SERVER, None).await?;
        txn.commit().await?;
        self.remember_key(key_id, key);
        tracing::info!(serial = %cert.serial(), key_id, "new server identity key and certificate");
        Ok(cert)
    }

    /// Waits, at most a second, until no certificate starts in the current second.
    ///
    /// Times have a resolution of one second, and the old server certificate ends in the
    /// second the new one begins: a certificate the old key issued in that second would find
    /// the new server certificate when a verifier looks its issuer up by its `notBefore`
    /// (`GET /idcert/server?timestamp=`), and fail. So the rotation happens in a second in
    /// which nothing was issued yet. (A request issuing at the very moment of the rotation
    /// can still land in it; clients also try the second before.)
    async fn wait_for_a_fresh_second(&self) -> Result<()> {
        let newest: Option<i64> = certificate::Entity::find()
            .select_only()
            .column_as(certificate::Column::NotBefore.max(), "newest")
            .into_tuple::<Option<i64>>()
            .one(&self.db)
            .await?
            .flatten();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        if newest.is_some_and(|newest| newest >= db_time(now.as_secs())) {
            let rest = std::time::Duration::from_secs(1).saturating_sub(
                std::time::Duration::from_nanos(u64::from(now.subsec_nanos())),
            );
            tokio::time::sleep(rest + std::time::Duration::from_millis(5)).await;
        }
        Ok(())
    }

    /// Builds an actor certificate for a verified CSR, signed with the current server key,
    /// valid from now for the configured lifetime but never past the server certificate
    /// (docs/wire-contract.md §4.1). The caller stores it in its transaction with [`Authority::store_actor`].
    ///
    /// # Errors
    /// `CsrSubjectMismatch` if the CSR is for another domain; a storage error.
    pub async fn build_actor_cert(&self, csr: &IdCsr) -> Result<Issued> {
        let domain = self.config.domain_name();
        if csr.fid().domain() != &domain {
            return Err(Error::new(
                ErrorCode::CsrSubjectMismatch,
                format!(
                    "the CSR is for domain {}, this server is {domain}",
                    csr.fid().domain()
                ),
            ));
        }
        let server = self.current_server_cert().await?;
        let key = self.signing_key(server.issuer_key_id).await?;
        let now = self.clock.now();
        let not_after =
            (now + self.config.actor_cert_lifetime_secs()).min(server.validity.not_after);
        let validity = Validity::new(now, not_after).map_err(|_| {
            Error::new(
                ErrorCode::StorageUnavailable,
                "the server certificate has expired; an administrator must rotate the server key",
            )
        })?;
        let cert = IdCert::issue_actor(csr, &key, &domain, &Serial::random(), validity)
            .map_err(|e| Error::internal("issue actor certificate", e))?;
        Ok(Issued {
            cert,
            issuer_key_id: server.issuer_key_id,
        })
    }

    /// Stores an issued actor certificate. A serial collision (1 in 2^63) surfaces as a
    /// unique violation, which the caller retries.
    ///
    /// # Errors
    /// A storage error.
    pub async fn store_actor(
        conn: &impl ConnectionTrait,
        issued: &Issued,
        actor_id: i64,
    ) -> Result<(), sea_orm::DbErr> {
        Self::store(
            conn,
            &issued.cert,
            issued.issuer_key_id,
            KIND_ACTOR,
            Some(actor_id),
        )
        .await
    }

    /// Invalidates a certificate now (polyproto core §6.1.4), if it is not already.
    ///
    /// # Errors
    /// A storage error.
    pub async fn invalidate(
        conn: &impl ConnectionTrait,
        serial: i64,
        now: u64,
    ) -> Result<(), sea_orm::DbErr> {
        certificate::Entity::update_many()
            .col_expr(
                certificate::Column::InvalidatedAt,
                Expr::value(db_time(now)),
            )
            .filter(certificate::Column::Serial.eq(serial))
            .filter(certificate::Column::InvalidatedAt.is_null())
            .exec(conn)
            .await?;
        CertVersion::bump(conn).await
    }

    async fn store(
        conn: &impl ConnectionTrait,
        cert: &IdCert,
        key_id: i64,
        kind: &str,
        actor_id: Option<i64>,
    ) -> Result<(), sea_orm::DbErr> {
        let validity = cert.validity();
        certificate::ActiveModel {
            serial: Set(serial_to_db(cert.serial())),
            kind: Set(kind.to_owned()),
            actor_id: Set(actor_id),
            session_id: Set(cert.actor().map(|a| a.session_id().to_string())),
            der: Set(cert.as_der().to_vec()),
            not_before: Set(db_time(validity.not_before)),
            not_after: Set(db_time(validity.not_after)),
            invalidated_at: Set(None),
            issuer_key_id: Set(key_id),
            issued_at_ms: Set(now_ms()),
        }
        .insert(conn)
        .await?;
        CertVersion::bump(conn).await
    }

    /// A certificate this server issued, by serial.
    ///
    /// # Errors
    /// `CertificateNotFound`; a storage error.
    pub async fn certificate(&self, serial: i64) -> Result<IdCert> {
        let row = certificate::Entity::find_by_id(serial)
            .one(&self.db)
            .await?
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::CertificateNotFound,
                    format!("no certificate {serial}"),
                )
            })?;
        IdCert::from_der(&row.der).map_err(|e| Error::internal("stored certificate", e))
    }

    /// The current server certificate.
    ///
    /// # Errors
    /// `CertificateNotFound` before the first start completed; a storage error.
    pub async fn current_server_cert(&self) -> Result<CertRecord> {
        let row = certificate::Entity::find()
            .filter(certificate::Column::Kind.eq(KIND_HOME_SERVER))
            .filter(certificate::Column::InvalidatedAt.is_null())
            .order_by_desc(certificate::Column::NotBefore)
            .order_by_desc(certificate::Column::IssuedAtMs)
            .one(&self.db)
            .await?;
        row.map(record).transpose()?.ok_or_else(|| {
            Error::new(
                ErrorCode::CertificateNotFound,
                "the server has no identity certificate",
            )
        })
    }

    /// The server certificate valid at `at`, or the current one.
    ///
    /// # Errors
    /// `CertificateNotFound` if none was valid then.
    pub async fn server_cert(&self, at: Option<u64>) -> Result<CertRecord> {
        let Some(at) = at else {
            return self.current_server_cert().await;
        };
        let row = certificate::Entity::find()
            .filter(certificate::Column::Kind.eq(KIND_HOME_SERVER))
            .filter(when(When::At(at)))
            .order_by_desc(certificate::Column::NotBefore)
            .order_by_desc(certificate::Column::IssuedAtMs)
            .one(&self.db)
            .await?;
        row.map(record).transpose()?.ok_or_else(|| {
            Error::new(
                ErrorCode::CertificateNotFound,
                format!("the server had no certificate at {at}"),
            )
        })
    }

    /// An actor's certificates matching `when` and, if given, `session`, oldest first.
    ///
    /// # Errors
    /// A storage error.
    pub async fn actor_certs(
        &self,
        actor_id: i64,
        when_: When,
        session: Option<&SessionId>,
    ) -> Result<Vec<CertRecord>> {
        let mut query = certificate::Entity::find()
            .filter(certificate::Column::ActorId.eq(actor_id))
            .filter(certificate::Column::Kind.eq(KIND_ACTOR))
            .filter(when(when_));
        if let Some(session) = session {
            query = query.filter(certificate::Column::SessionId.eq(session.as_str()));
        }
        let rows = query
            .order_by_asc(certificate::Column::NotBefore)
            .order_by_asc(certificate::Column::IssuedAtMs)
            .limit(1000)
            .all(&self.db)
            .await?;
        rows.into_iter().map(record).collect()
    }

    /// The certificate with its cache information signed by the key that issued it
    /// (docs/wire-contract.md §4.3), with a cache window from now for the configured length.
    ///
    /// # Errors
    /// A storage error loading the key.
    pub async fn cacheable(&self, cert: &CertRecord) -> Result<CacheableIdCert> {
        let key = self.signing_key(cert.issuer_key_id).await?;
        let now = self.clock.now();
        let pem = polyproto_types::certs::certificate_pem(&cert.der);
        Ok(CacheableIdCert::sign_pem(
            &cert.serial,
            pem,
            now,
            now + self.config.certs.cache_window_secs,
            cert.invalidated_at,
            &key,
        ))
    }

    /// Signs `message` with the current server key (the key of the current server
    /// certificate): the key's ID and the signature.
    ///
    /// # Errors
    /// A storage error.
    pub async fn sign_with_current_key(&self, message: &[u8]) -> Result<(i64, Signature)> {
        let key_id = self.current_server_cert().await?.issuer_key_id;
        let key = self.signing_key(key_id).await?;
        Ok((key_id, key.sign(message)))
    }

    /// Whether `signature` over `message` verifies, strictly, under the server key `key_id`
    /// (current or retired); false for a key this server never had.
    ///
    /// # Errors
    /// A storage error.
    pub async fn verify_server_signature(
        &self,
        key_id: i64,
        message: &[u8],
        signature: &Signature,
    ) -> Result<bool> {
        Ok(self.find_signing_key(key_id).await?.is_some_and(|key| {
            key.verifying_key()
                .verify_strict(message, signature)
                .is_ok()
        }))
    }

    /// The signing key with this ID, which must exist.
    async fn signing_key(&self, key_id: i64) -> Result<Arc<SigningKey>> {
        self.find_signing_key(key_id)
            .await?
            .ok_or_else(|| Error::internal("server key", format!("key {key_id} is missing")))
    }

    /// The signing key with this ID, if the server has or had it.
    async fn find_signing_key(&self, key_id: i64) -> Result<Option<Arc<SigningKey>>> {
        if let Some(key) = self
            .keys
            .read()
            .ok()
            .and_then(|keys| keys.get(&key_id).cloned())
        {
            return Ok(Some(key));
        }
        let Some(row) = server_key::Entity::find_by_id(key_id).one(&self.db).await? else {
            return Ok(None);
        };
        let seed = Zeroizing::new(row.secret);
        let seed: &[u8; 32] = seed
            .as_slice()
            .try_into()
            .map_err(|_| Error::internal("server key", "not 32 bytes"))?;
        Ok(Some(
            self.remember_key(key_id, SigningKey::from_bytes(seed)),
        ))
    }

    fn remember_key(&self, key_id: i64, key: SigningKey) -> Arc<SigningKey> {
        let key = Arc::new(key);
        if let Ok(mut keys) = self.keys.write() {
            keys.insert(key_id, key.clone());
        }
        key
    }
}

/// The current time in UNIX milliseconds.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Serials this server issues fit 63 bits; foreign ones never reach this table.
pub(crate) fn serial_to_db(serial: &Serial) -> i64 {
    serial
        .to_u64()
        .and_then(|v| i64::try_from(v).ok())
        .unwrap_or(i64::MAX)
}

fn record(row: certificate::Model) -> Result<CertRecord> {
    // Stored serials are positive; a bad one means a damaged database.
    let serial = u64::try_from(row.serial)
        .ok()
        .and_then(|s| Serial::from_u64(s).ok())
        .ok_or_else(|| Error::internal("stored serial", row.serial))?;
    Ok(CertRecord {
        serial,
        der: row.der,
        validity: Validity {
            not_before: unix_time(row.not_before),
            not_after: unix_time(row.not_after),
        },
        invalidated_at: row.invalidated_at.map(unix_time),
        session_id: row.session_id,
        issuer_key_id: row.issuer_key_id,
    })
}

fn when(when: When) -> Condition {
    use certificate::Column;
    match when {
        When::At(t) => {
            let t = db_time(t);
            Condition::all()
                .add(Column::NotBefore.lte(t))
                .add(Column::NotAfter.gte(t))
                .add(
                    Condition::any()
                        .add(Column::InvalidatedAt.is_null())
                        .add(Column::InvalidatedAt.gt(t)),
                )
        }
        When::Overlapping { from, to } => {
            let (from, to) = (db_time(from), db_time(to));
            Condition::all()
                .add(Column::NotBefore.lte(to))
                .add(Column::NotAfter.gte(from))
                .add(
                    Condition::any()
                        .add(Column::InvalidatedAt.is_null())
                        .add(Column::InvalidatedAt.gt(from)),
                )
        }
    }
}
