//! `key_package`: MLS KeyPackages uploaded by local sessions, handed out to others
//! (polyproto-mls; docs/wire-contract.md §5).

use sea_orm::entity::prelude::*;

/// A KeyPackage row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_package")]
pub struct Model {
    /// Row ID; claims hand out the oldest first.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The KeyPackageRef (RFC 9420 §5.2), unique.
    #[sea_orm(unique)]
    pub hash_ref: Vec<u8>,
    /// The owning actor.
    pub actor_id: i64,
    /// The owning session (its row in `session`); packages go with it.
    pub session_row_id: i64,
    /// The serial of the session certificate it was validated against; claims hand out only
    /// packages of the session's current certificate (migration m0007).
    pub cert_serial: Option<i64>,
    /// The ciphersuite number.
    pub ciphersuite: i32,
    /// Lifetime start, UNIX seconds.
    pub not_before: i64,
    /// Lifetime end, UNIX seconds.
    pub not_after: i64,
    /// Whether this is the session's last-resort package (handed out without being removed).
    pub last_resort: bool,
    /// The bytes exactly as uploaded.
    pub payload: Vec<u8>,
    /// Upload time, UNIX seconds.
    pub created_at: i64,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
