//! `challenge`: sign-in challenges already used and not yet expired (polyproto core §4.3);
//! handing one out writes nothing (`services/challenges.rs`).

use sea_orm::entity::prelude::*;

/// A challenge row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "challenge")]
pub struct Model {
    /// The challenge string; unique.
    #[sea_orm(primary_key, auto_increment = false)]
    pub challenge: String,
    /// When it expires, UNIX seconds; the row can go after that.
    pub expires_at: i64,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
