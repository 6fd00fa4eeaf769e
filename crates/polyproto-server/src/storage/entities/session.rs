//! `session`: live sessions, local and foreign. A row exists while the session is live;
//! logout and deletion remove it (its certificates stay in `certificate`).

use sea_orm::entity::prelude::*;

/// A session row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session")]
pub struct Model {
    /// Row ID.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The local actor, or none for a foreign session.
    pub actor_id: Option<i64>,
    /// The actor's federation ID.
    pub fid: String,
    /// The session ID; none while a local session waits for its first ID-Cert.
    pub session_id: Option<String>,
    /// Whether the actor belongs to another home server.
    pub foreign: bool,
    /// The current certificate's serial (local sessions).
    pub cert_serial: Option<i64>,
    /// The current certificate, DER (foreign sessions: issued by the actor's home server).
    pub foreign_cert_der: Option<Vec<u8>>,
    /// notAfter of the current certificate; the token stops working after it.
    pub cert_not_after: Option<i64>,
    /// SHA-256 of the bearer token (docs/wire-contract.md §3.1); unique.
    #[sea_orm(unique)]
    pub token_hash: Vec<u8>,
    /// Creation time, UNIX seconds.
    pub created_at: i64,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
