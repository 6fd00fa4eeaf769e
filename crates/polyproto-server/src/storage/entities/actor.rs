//! `actor`: the actors registered on this server.

use sea_orm::entity::prelude::*;

/// An actor row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "actor")]
pub struct Model {
    /// The actor's snowflake ID (assigned at registration, not by the database).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    /// The local name, lowercase; unique.
    #[sea_orm(unique)]
    pub local_name: String,
    /// argon2id PHC string of the password.
    pub password_hash: String,
    /// Whether the actor administers the server (set by `admin grant`).
    pub is_admin: bool,
    /// Registration time, UNIX seconds.
    pub created_at: i64,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
