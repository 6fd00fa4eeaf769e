//! Who is calling: the session behind a bearer token, as one of three kinds, and the
//! narrowings routes ask for (docs/wire-contract.md §1, §3.1, §3.3). The HTTP layer resolves the
//! caller once, at the edge, and services take the narrowed kind, so a service cannot be called
//! with a session it does not serve.

use polyproto_types::api::create_id_cert;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::{FederationId, SessionId};

use super::accounts::Actor;
use crate::error::{Error, Result};

/// The session behind a request's bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A local actor's session waiting for its first ID-Cert.
    Pending(PendingSession),
    /// A local actor's session with an ID-Cert.
    Local(LocalSession),
    /// The session of another home server's actor (docs/wire-contract.md §3.3).
    Foreign(ForeignSession),
}

/// A local session without an ID-Cert yet: its only allowed call is `POST /.p2/core/v1/idcert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSession {
    pub(super) row_id: i64,
    /// The actor.
    pub actor: Actor,
}

/// A local session with its current ID-Cert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSession {
    pub(super) row_id: i64,
    /// The actor.
    pub actor: Actor,
    /// The session ID.
    pub session_id: SessionId,
    /// The serial of the session's current certificate.
    pub(super) cert_serial: i64,
}

/// A session of another home server's actor, opened with a verified certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignSession {
    pub(super) row_id: i64,
    /// The actor's federation ID.
    pub fid: FederationId,
    /// The session ID of its certificate.
    pub session_id: SessionId,
}

/// A local session that may ask for a certificate: its first, or a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Certifying {
    /// The session's first certificate: no second factor needed.
    First(PendingSession),
    /// A new certificate for the same session ID.
    Again(LocalSession),
}

/// A session with a certificate, local or foreign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Certified {
    /// A local session.
    Local(LocalSession),
    /// A foreign session.
    Foreign(ForeignSession),
}

impl Caller {
    /// The session's row, for services keeping data per session.
    pub(super) fn row_id(&self) -> i64 {
        match self {
            Self::Pending(s) => s.row_id,
            Self::Local(s) => s.row_id,
            Self::Foreign(s) => s.row_id,
        }
    }

    /// A local session with an ID-Cert.
    ///
    /// # Errors
    /// `LocalSessionRequired` for a foreign session, `SessionPending` before the first
    /// certificate.
    pub fn local(self) -> Result<LocalSession> {
        match self {
            Self::Local(session) => Ok(session),
            Self::Pending(_) => {
                let only = create_id_cert::ROUTE;
                Err(pending(&format!(
                    "this session has no ID-Cert yet; its only allowed call is {} {}",
                    only.method.as_str(),
                    only.path
                )))
            }
            Self::Foreign(_) => Err(local_required()),
        }
    }

    /// A local session, pending or with an ID-Cert.
    ///
    /// # Errors
    /// `LocalSessionRequired` for a foreign session.
    pub fn certifying(self) -> Result<Certifying> {
        match self {
            Self::Pending(session) => Ok(Certifying::First(session)),
            Self::Local(session) => Ok(Certifying::Again(session)),
            Self::Foreign(_) => Err(local_required()),
        }
    }

    /// A foreign session.
    ///
    /// # Errors
    /// `ForeignSessionRequired` for a local one.
    pub fn foreign(self) -> Result<ForeignSession> {
        match self {
            Self::Foreign(session) => Ok(session),
            Self::Pending(_) | Self::Local(_) => Err(Error::new(
                ErrorCode::ForeignSessionRequired,
                "this route is for sessions of other servers' actors",
            )),
        }
    }

    /// A session with a certificate, local or foreign.
    ///
    /// # Errors
    /// `SessionPending` before a local session's first certificate.
    pub fn certified(self) -> Result<Certified> {
        match self {
            Self::Local(session) => Ok(Certified::Local(session)),
            Self::Foreign(session) => Ok(Certified::Foreign(session)),
            Self::Pending(_) => Err(pending("this session has no ID-Cert yet")),
        }
    }
}

impl From<Certified> for Caller {
    fn from(session: Certified) -> Self {
        match session {
            Certified::Local(session) => Self::Local(session),
            Certified::Foreign(session) => Self::Foreign(session),
        }
    }
}

impl LocalSession {
    /// The session's row, for services keeping data per session.
    pub(super) fn row_id(&self) -> i64 {
        self.row_id
    }

    /// The serial of the session's current certificate.
    pub(super) fn cert_serial(&self) -> i64 {
        self.cert_serial
    }
}

fn pending(why: &str) -> Error {
    Error::new(ErrorCode::SessionPending, why)
}

fn local_required() -> Error {
    Error::new(
        ErrorCode::LocalSessionRequired,
        "this route is for actors of this server",
    )
}
