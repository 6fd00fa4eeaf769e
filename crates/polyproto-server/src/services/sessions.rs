//! Sessions and their tokens: sign-in, the certificate of each session, key rotation, logout
//! (polyproto core §4.1, §6.1.3; docs/wire-contract.md §1, §3.1). Owns the `session` table.

use std::sync::Arc;

use polyproto_types::api::error::ErrorCode;
use polyproto_types::time::now_unix;
use polyproto_types::{FederationId, IdCert, IdCsr, SessionId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use subtle::ConstantTimeEq;

use super::accounts::Actor;
use super::authority::{Authority, Issued, serial_to_db};
use super::key_packages::KeyPackages;
use super::tokens::{hash_token, new_token};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::storage::entities::session;
use crate::storage::{begin_write, db_time, is_unique_violation, unix_time};

/// The session behind a request's bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    row_id: i64,
    /// The local actor; none for a foreign session.
    pub actor_id: Option<i64>,
    /// The actor's federation ID.
    pub fid: FederationId,
    /// The session ID; none while the session waits for its first certificate.
    pub session_id: Option<SessionId>,
    cert_serial: Option<i64>,
    /// Whether the actor is of another home server.
    pub foreign: bool,
}

impl Caller {
    /// Whether the session still waits for its first ID-Cert.
    pub fn is_pending(&self) -> bool {
        !self.foreign && self.cert_serial.is_none()
    }

    /// The session's row, for services keeping data per session.
    pub(crate) fn row_id(&self) -> i64 {
        self.row_id
    }

    /// The serial of the session's current certificate (local sessions).
    pub(crate) fn cert_serial(&self) -> Option<i64> {
        self.cert_serial
    }

    /// The local actor's ID, for routes only local sessions with a certificate may use.
    ///
    /// # Errors
    /// `LocalSessionRequired` for a foreign session, `SessionPending` before the first
    /// certificate.
    pub fn local_actor(&self) -> Result<i64> {
        match self.actor_id {
            None => Err(Error::new(
                ErrorCode::LocalSessionRequired,
                "this route is for actors of this server",
            )),
            Some(_) if self.is_pending() => Err(Error::new(
                ErrorCode::SessionPending,
                "this session has no ID-Cert yet; its only allowed call is POST /.p2/core/v1/idcert",
            )),
            Some(id) => Ok(id),
        }
    }
}

/// The sessions service.
#[derive(Clone)]
pub struct Sessions {
    db: DatabaseConnection,
    config: Arc<Config>,
    authority: Authority,
}

/// A certificate with the token that goes with it.
pub struct Certified {
    /// The certificate.
    pub cert: IdCert,
    /// The session's token.
    pub token: String,
}

impl Sessions {
    pub(super) fn new(db: DatabaseConnection, config: Arc<Config>, authority: Authority) -> Self {
        Self {
            db,
            config,
            authority,
        }
    }

    /// The session a bearer token belongs to (docs/wire-contract.md §3.1). The token stops working when
    /// the session ends, is rotated, or its certificate expires.
    ///
    /// # Errors
    /// `Unauthorized`.
    pub async fn authenticate(&self, token: &str) -> Result<Caller> {
        let unauthorized = |why: &str| Error::new(ErrorCode::Unauthorized, why);
        let hash = hash_token(token);
        let row = session::Entity::find()
            .filter(session::Column::TokenHash.eq(hash.clone()))
            .one(&self.db)
            .await?
            .ok_or_else(|| unauthorized("unknown or revoked token"))?;
        // The lookup matched on the hash already; this comparison keeps the check itself free of
        // timing differences should the storage ever compare differently.
        if !bool::from(row.token_hash.ct_eq(&hash)) {
            return Err(unauthorized("unknown or revoked token"));
        }
        let now = now_unix();
        match row.cert_not_after {
            Some(not_after) if unix_time(not_after) < now => {
                return Err(unauthorized(
                    "the session's ID-Cert has expired; sign in again",
                ));
            }
            None if !row.foreign
                && unix_time(row.created_at) + self.config.accounts.pending_session_ttl_secs
                    < now =>
            {
                return Err(unauthorized(
                    "the session waited too long for its first ID-Cert; sign in again",
                ));
            }
            _ => {}
        }
        caller(row)
    }

    /// Opens a session for a signed-in actor (docs/wire-contract.md §1.3, `session/trust`): with a CSR, the
    /// session gets its certificate at once; without, it is pending.
    ///
    /// # Errors
    /// As [`Sessions::certify_new`].
    pub async fn open(
        &self,
        actor: &Actor,
        csr: Option<&IdCsr>,
    ) -> Result<(String, Option<IdCert>)> {
        let (token, token_hash) = new_token();
        let now = now_unix();
        let mut row = session::ActiveModel {
            actor_id: Set(Some(actor.id)),
            fid: Set(actor.fid.to_string()),
            session_id: Set(None),
            foreign: Set(false),
            cert_serial: Set(None),
            foreign_cert_der: Set(None),
            cert_not_after: Set(None),
            token_hash: Set(token_hash),
            created_at: Set(db_time(now)),
            ..Default::default()
        };
        let Some(csr) = csr else {
            row.insert(&self.db).await?;
            return Ok((token, None));
        };
        let issued = self.build(actor, csr).await?;
        row.session_id = Set(Some(csr.session_id().to_string()));
        row.cert_serial = Set(Some(serial_to_db(issued.cert.serial())));
        row.cert_not_after = Set(Some(db_time(issued.cert.validity().not_after)));
        let txn = begin_write(&self.db).await?;
        Authority::store_actor(&txn, &issued, actor.id).await?;
        row.insert(&txn)
            .await
            .map_err(|e| session_id_conflict(e, csr.session_id()))?;
        txn.commit().await?;
        Ok((token, Some(issued.cert)))
    }

    /// `POST /.p2/core/v1/idcert` (docs/wire-contract.md §1.2): a pending session gets its first
    /// certificate; a certified session gets a new one for the same session ID (the old one is
    /// invalidated). The token stays valid either way.
    ///
    /// # Errors
    /// `CsrSubjectMismatch`, `SessionIdInUse`, `Conflict`, `LocalSessionRequired`.
    pub async fn certify(&self, caller: &Caller, actor: &Actor, csr: &IdCsr) -> Result<IdCert> {
        if caller.is_pending() {
            let issued = self.build(actor, csr).await?;
            let txn = begin_write(&self.db).await?;
            Authority::store_actor(&txn, &issued, actor.id).await?;
            let updated = session::Entity::update_many()
                .col_expr(
                    session::Column::SessionId,
                    Expr::value(csr.session_id().to_string()),
                )
                .col_expr(
                    session::Column::CertSerial,
                    Expr::value(serial_to_db(issued.cert.serial())),
                )
                .col_expr(
                    session::Column::CertNotAfter,
                    Expr::value(db_time(issued.cert.validity().not_after)),
                )
                .filter(session::Column::Id.eq(caller.row_id))
                .filter(session::Column::CertSerial.is_null())
                .exec(&txn)
                .await
                .map_err(|e| session_id_conflict(e, csr.session_id()))?;
            if updated.rows_affected != 1 {
                return Err(concurrent());
            }
            txn.commit().await?;
            return Ok(issued.cert);
        }
        self.replace(caller, actor, csr, false)
            .await
            .map(|c| c.cert)
    }

    /// Seed S1 (docs/wire-contract.md §1.1): a new certificate for the caller's session, the old one
    /// invalidated, and a new token replacing the old one.
    ///
    /// # Errors
    /// `CsrSubjectMismatch`, `Conflict`, `SessionPending`, `LocalSessionRequired`.
    pub async fn rotate(&self, caller: &Caller, actor: &Actor, csr: &IdCsr) -> Result<Certified> {
        caller.local_actor()?;
        self.replace(caller, actor, csr, true).await
    }

    async fn replace(
        &self,
        caller: &Caller,
        actor: &Actor,
        csr: &IdCsr,
        new_token_too: bool,
    ) -> Result<Certified> {
        let (Some(session_id), Some(old_serial)) = (&caller.session_id, caller.cert_serial) else {
            return Err(Error::new(
                ErrorCode::LocalSessionRequired,
                "this route is for actors of this server",
            ));
        };
        if csr.session_id() != session_id {
            return Err(Error::new(
                ErrorCode::CsrSubjectMismatch,
                format!(
                    "the CSR is for session {}, the token for session {session_id}",
                    csr.session_id()
                ),
            ));
        }
        let issued = self.build(actor, csr).await?;
        let now = now_unix();
        let token = new_token_too.then(new_token);
        let txn = begin_write(&self.db).await?;
        Authority::invalidate(&txn, old_serial, now).await?;
        Authority::store_actor(&txn, &issued, actor.id).await?;
        // KeyPackages are signed by the retired key (docs/wire-contract.md §5: they belong to it).
        KeyPackages::remove_for_session(&txn, caller.row_id).await?;
        let mut update = session::Entity::update_many()
            .col_expr(
                session::Column::CertSerial,
                Expr::value(serial_to_db(issued.cert.serial())),
            )
            .col_expr(
                session::Column::CertNotAfter,
                Expr::value(db_time(issued.cert.validity().not_after)),
            );
        if let Some((_, hash)) = &token {
            update = update.col_expr(session::Column::TokenHash, Expr::value(hash.clone()));
        }
        let updated = update
            .filter(session::Column::Id.eq(caller.row_id))
            .filter(session::Column::CertSerial.eq(old_serial))
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(concurrent());
        }
        txn.commit().await?;
        tracing::info!(fid = %actor.fid, session = %session_id, serial = %issued.cert.serial(), "session certificate replaced");
        let token = token.map_or_else(String::new, |(token, _)| token);
        Ok(Certified {
            cert: issued.cert,
            token,
        })
    }

    /// Opens a session for a foreign actor whose certificate was verified with its home server
    /// (docs/wire-contract.md §3.3). A second sign-in for the same federation ID and session ID replaces the
    /// earlier one, token included (docs/wire-contract.md §1.3).
    ///
    /// # Errors
    /// A storage error.
    pub async fn open_foreign(&self, cert: &IdCert) -> Result<String> {
        let actor = cert
            .actor()
            .ok_or_else(|| Error::new(ErrorCode::InvalidIdCert, "not an actor certificate"))?;
        let (token, token_hash) = new_token();
        let txn = begin_write(&self.db).await?;
        session::Entity::delete_many()
            .filter(session::Column::Fid.eq(actor.fid().as_str()))
            .filter(session::Column::SessionId.eq(actor.session_id().as_str()))
            .filter(session::Column::Foreign.eq(true))
            .exec(&txn)
            .await?;
        session::ActiveModel {
            actor_id: Set(None),
            fid: Set(actor.fid().to_string()),
            session_id: Set(Some(actor.session_id().to_string())),
            foreign: Set(true),
            cert_serial: Set(None),
            foreign_cert_der: Set(Some(cert.as_der().to_vec())),
            cert_not_after: Set(Some(db_time(cert.validity().not_after))),
            token_hash: Set(token_hash),
            created_at: Set(db_time(now_unix())),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        tracing::info!(fid = %actor.fid(), session = %actor.session_id(), "foreign session opened");
        Ok(token)
    }

    /// Replaces a foreign session's certificate after the actor rotated its key at its home
    /// server (seed S7; docs/wire-contract.md §1.1). The token stays valid.
    ///
    /// # Errors
    /// `ForeignSessionRequired`; `InvalidIdCert` for a certificate of another actor or session.
    pub async fn replace_foreign_cert(&self, caller: &Caller, cert: &IdCert) -> Result<()> {
        if !caller.foreign {
            return Err(Error::new(
                ErrorCode::ForeignSessionRequired,
                "this route is for sessions of other servers' actors",
            ));
        }
        let matches = cert.actor().is_some_and(|a| {
            a.fid() == &caller.fid && Some(a.session_id()) == caller.session_id.as_ref()
        });
        if !matches {
            return Err(Error::new(
                ErrorCode::InvalidIdCert,
                "the certificate is for another actor or session than this session's",
            ));
        }
        session::Entity::update_many()
            .col_expr(
                session::Column::ForeignCertDer,
                Expr::value(cert.as_der().to_vec()),
            )
            .col_expr(
                session::Column::CertNotAfter,
                Expr::value(db_time(cert.validity().not_after)),
            )
            .filter(session::Column::Id.eq(caller.row_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Ends the caller's session (logout, docs/wire-contract.md §1.3): the token stops working, the
    /// certificate is invalidated, the session ID is free again.
    ///
    /// # Errors
    /// A storage error.
    pub async fn end(&self, caller: &Caller) -> Result<()> {
        let txn = begin_write(&self.db).await?;
        if let Some(serial) = caller.cert_serial
            && !caller.foreign
        {
            Authority::invalidate(&txn, serial, now_unix()).await?;
        }
        session::Entity::delete_by_id(caller.row_id)
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Ends one of an actor's sessions by session ID (`DELETE /.p2/core/v1/session`).
    ///
    /// # Errors
    /// `SessionNotFound`.
    pub async fn end_by_id(&self, actor: &Actor, session_id: &SessionId) -> Result<()> {
        let row = session::Entity::find()
            .filter(session::Column::ActorId.eq(actor.id))
            .filter(session::Column::SessionId.eq(session_id.as_str()))
            .one(&self.db)
            .await?
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::SessionNotFound,
                    format!("{} has no session {session_id}", actor.fid),
                )
            })?;
        self.end(&caller(row)?).await
    }

    /// The rows of an actor's live sessions that have a certificate, oldest first.
    ///
    /// # Errors
    /// A storage error.
    pub async fn certified_rows(&self, actor_id: i64) -> Result<Vec<i64>> {
        let rows = session::Entity::find()
            .filter(session::Column::ActorId.eq(actor_id))
            .filter(session::Column::CertSerial.is_not_null())
            .filter(session::Column::CertNotAfter.gte(db_time(now_unix())))
            .order_by_asc(session::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|row| row.id).collect())
    }

    /// Checks the CSR is for `actor` and builds its certificate.
    async fn build(&self, actor: &Actor, csr: &IdCsr) -> Result<Issued> {
        if csr.fid() != &actor.fid {
            return Err(Error::new(
                ErrorCode::CsrSubjectMismatch,
                format!("the CSR is for {}, the caller is {}", csr.fid(), actor.fid),
            ));
        }
        self.authority.build_actor_cert(csr).await
    }
}

fn caller(row: session::Model) -> Result<Caller> {
    let damaged = |what: &str| Error::internal("stored session", what);
    Ok(Caller {
        row_id: row.id,
        actor_id: row.actor_id,
        fid: FederationId::new(&row.fid).map_err(|_| damaged("federation ID"))?,
        session_id: row
            .session_id
            .map(|s| SessionId::new(&s))
            .transpose()
            .map_err(|_| damaged("session ID"))?,
        cert_serial: row.cert_serial,
        foreign: row.foreign,
    })
}

fn session_id_conflict(err: DbErr, session_id: &SessionId) -> Error {
    if is_unique_violation(&err) {
        Error::new(
            ErrorCode::SessionIdInUse,
            format!("another live session uses the session ID {session_id}"),
        )
    } else {
        err.into()
    }
}

fn concurrent() -> Error {
    Error::new(
        ErrorCode::Conflict,
        "the session changed while this request ran; retry",
    )
}
