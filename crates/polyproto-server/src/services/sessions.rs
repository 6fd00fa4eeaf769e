//! Sessions and their tokens: sign-in, the certificate of each session, key rotation, logout
//! (polyproto core §4.1, §6.1.3; docs/wire-contract.md §1, §3.1). Owns the `session` table.

use std::sync::Arc;

use polyproto_types::api::error::ErrorCode;
use polyproto_types::{FederationId, IdCert, IdCsr, SessionId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use subtle::ConstantTimeEq;

use super::accounts::{Accounts, Actor};
use super::authority::{Authority, Issued, serial_to_db};
use super::callers::{Caller, Certifying, ForeignSession, LocalSession, PendingSession};
use super::tokens::{hash_token, new_token};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::storage::entities::session;
use crate::storage::{begin_write, db_time, is_unique_violation, unix_time};

/// The sessions service.
#[derive(Clone)]
pub struct Sessions {
    db: DatabaseConnection,
    config: Arc<Config>,
    clock: Clock,
    accounts: Accounts,
    authority: Authority,
}

/// A session's new certificate with the token that goes with it.
pub struct Rotated {
    /// The certificate.
    pub cert: IdCert,
    /// The session's token.
    pub token: String,
}

impl Sessions {
    pub(super) fn new(
        db: DatabaseConnection,
        config: Arc<Config>,
        clock: Clock,
        accounts: Accounts,
        authority: Authority,
    ) -> Self {
        Self {
            db,
            config,
            clock,
            accounts,
            authority,
        }
    }

    /// The session a bearer token belongs to (docs/wire-contract.md §3.1). The token stops working when
    /// the session ends, is rotated, or its certificate expires.
    ///
    /// # Errors
    /// `Unauthorized`, also when a local session's actor no longer exists.
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
        let now = self.clock.now();
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
        self.caller(row).await
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
        let now = self.clock.now();
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
    /// certificate, which needs no second factor (the reference SDK's flow); a certified
    /// session gets a new one for the same session ID (the old one is invalidated) after the
    /// second factor. The token stays valid either way.
    ///
    /// # Errors
    /// `CsrSubjectMismatch`, `SessionIdInUse`, `Conflict`; for a new certificate, those of
    /// [`Accounts::check_sensitive`].
    pub async fn certify(
        &self,
        caller: &Certifying,
        solution: Option<String>,
        csr: &IdCsr,
    ) -> Result<IdCert> {
        match caller {
            Certifying::First(session) => self.certify_first(session, csr).await,
            Certifying::Again(session) => {
                self.accounts
                    .check_sensitive(session.actor.id, solution)
                    .await?;
                self.replace(session, csr, false).await.map(|r| r.cert)
            }
        }
    }

    async fn certify_first(&self, session: &PendingSession, csr: &IdCsr) -> Result<IdCert> {
        let issued = self.build(&session.actor, csr).await?;
        let txn = begin_write(&self.db).await?;
        Authority::store_actor(&txn, &issued, session.actor.id).await?;
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
            .filter(session::Column::Id.eq(session.row_id))
            .filter(session::Column::CertSerial.is_null())
            .exec(&txn)
            .await
            .map_err(|e| session_id_conflict(e, csr.session_id()))?;
        if updated.rows_affected != 1 {
            return Err(concurrent());
        }
        txn.commit().await?;
        Ok(issued.cert)
    }

    /// Seed S1 (docs/wire-contract.md §1.1): a new certificate for the caller's session, the
    /// old one invalidated, and a new token replacing the old one. Needs the second factor
    /// when `accounts.rotation_requires_sensitive_solution` is set.
    ///
    /// # Errors
    /// `CsrSubjectMismatch`, `Conflict`, and those of [`Accounts::check_sensitive`].
    pub async fn rotate(
        &self,
        caller: &LocalSession,
        solution: Option<String>,
        csr: &IdCsr,
    ) -> Result<Rotated> {
        if self.config.accounts.rotation_requires_sensitive_solution {
            self.accounts
                .check_sensitive(caller.actor.id, solution)
                .await?;
        }
        self.replace(caller, csr, true).await
    }

    async fn replace(
        &self,
        caller: &LocalSession,
        csr: &IdCsr,
        new_token_too: bool,
    ) -> Result<Rotated> {
        let (actor, session_id, old_serial) =
            (&caller.actor, &caller.session_id, caller.cert_serial);
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
        let now = self.clock.now();
        let token = new_token_too.then(new_token);
        let txn = begin_write(&self.db).await?;
        Authority::invalidate(&txn, old_serial, now).await?;
        Authority::store_actor(&txn, &issued, actor.id).await?;
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
        Ok(Rotated {
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
            created_at: Set(db_time(self.clock.now())),
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
    /// A storage error. The caller has checked the certificate is the session's
    /// ([`Sessions::check_foreign_cert`]) and verified it with its home server.
    pub async fn replace_foreign_cert(&self, caller: &ForeignSession, cert: &IdCert) -> Result<()> {
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
        if let Caller::Local(session) = caller {
            Authority::invalidate(&txn, session.cert_serial, self.clock.now()).await?;
        }
        session::Entity::delete_by_id(caller.row_id())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Ends one of the caller's actor's sessions by session ID (`DELETE /.p2/core/v1/session`),
    /// after the second factor.
    ///
    /// # Errors
    /// `SessionNotFound`, and those of [`Accounts::check_sensitive`].
    pub async fn end_by_id(
        &self,
        caller: &LocalSession,
        solution: Option<String>,
        session_id: &SessionId,
    ) -> Result<()> {
        let actor = &caller.actor;
        self.accounts.check_sensitive(actor.id, solution).await?;
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
        self.end(&self.caller(row).await?).await
    }

    /// The rows of an actor's live sessions that have a certificate, oldest first, each with
    /// its current certificate's serial.
    ///
    /// # Errors
    /// A storage error.
    pub async fn certified_rows(&self, actor_id: i64) -> Result<Vec<(i64, i64)>> {
        let rows = session::Entity::find()
            .filter(session::Column::ActorId.eq(actor_id))
            .filter(session::Column::CertSerial.is_not_null())
            .filter(session::Column::CertNotAfter.gte(db_time(self.clock.now())))
            .order_by_asc(session::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| Some((row.id, row.cert_serial?)))
            .collect())
    }

    /// The kind of session a row holds, with its actor for local ones.
    async fn caller(&self, row: session::Model) -> Result<Caller> {
        let damaged = |what: &str| Error::internal("stored session", what);
        let session_id = row
            .session_id
            .as_deref()
            .map(SessionId::new)
            .transpose()
            .map_err(|_| damaged("session ID"))?;
        if row.foreign {
            return Ok(Caller::Foreign(ForeignSession {
                row_id: row.id,
                fid: FederationId::new(&row.fid).map_err(|_| damaged("federation ID"))?,
                session_id: session_id.ok_or_else(|| damaged("foreign session without ID"))?,
            }));
        }
        let actor_id = row
            .actor_id
            .ok_or_else(|| damaged("local session without actor"))?;
        let actor = self
            .accounts
            .by_id(actor_id)
            .await?
            .ok_or_else(|| Error::new(ErrorCode::Unauthorized, "the actor no longer exists"))?;
        Ok(match (session_id, row.cert_serial) {
            (Some(session_id), Some(cert_serial)) => Caller::Local(LocalSession {
                row_id: row.id,
                actor,
                session_id,
                cert_serial,
            }),
            (_, None) => Caller::Pending(PendingSession {
                row_id: row.id,
                actor,
            }),
            (None, Some(_)) => return Err(damaged("certified session without ID")),
        })
    }

    /// Checks the certificate a foreign session presents is for its actor and session ID.
    ///
    /// # Errors
    /// `InvalidIdCert` for a certificate of another actor or session.
    pub fn check_foreign_cert(caller: &ForeignSession, cert: &IdCert) -> Result<()> {
        let matches = cert
            .actor()
            .is_some_and(|a| a.fid() == &caller.fid && a.session_id() == &caller.session_id);
        if matches {
            Ok(())
        } else {
            Err(Error::new(
                ErrorCode::InvalidIdCert,
                "the certificate is for another actor or session than this session's",
            ))
        }
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
