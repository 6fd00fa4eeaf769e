//! `certificate`: every ID-Cert the server has issued, actor and home-server, never deleted
//! (lookups by point in time need the history).

use sea_orm::entity::prelude::*;

/// `kind` of an actor certificate.
pub const KIND_ACTOR: &str = "actor";
/// `kind` of a home-server certificate.
pub const KIND_HOME_SERVER: &str = "home_server";

/// A certificate row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate")]
pub struct Model {
    /// The serial number: random, positive, at most 63 bits; unique.
    #[sea_orm(primary_key, auto_increment = false)]
    pub serial: i64,
    /// [`KIND_ACTOR`] or [`KIND_HOME_SERVER`].
    pub kind: String,
    /// The actor, for actor certificates.
    pub actor_id: Option<i64>,
    /// The session ID, for actor certificates.
    pub session_id: Option<String>,
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// notBefore, UNIX seconds.
    pub not_before: i64,
    /// notAfter, UNIX seconds.
    pub not_after: i64,
    /// When the certificate was invalidated early, UNIX seconds.
    pub invalidated_at: Option<i64>,
    /// The server key that signed it.
    pub issuer_key_id: i64,
    /// When it was issued, UNIX milliseconds: orders certificates issued in the same second.
    pub issued_at_ms: i64,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
