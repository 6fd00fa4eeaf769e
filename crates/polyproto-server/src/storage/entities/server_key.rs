//! `server_key`: every identity key the server has had (docs/wire-contract.md §4.4). Old keys are kept to
//! sign cache information for the certificates they issued.

use sea_orm::entity::prelude::*;

/// A server key row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "server_key")]
pub struct Model {
    /// 1 for the first key, then one more per rotation. Assigned by the server inside the
    /// rotation's transaction, so concurrent rotations collide instead of both winning.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    /// The 32-byte Ed25519 secret key (seed).
    pub secret: Vec<u8>,
    /// Creation time, UNIX seconds.
    pub created_at: i64,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
