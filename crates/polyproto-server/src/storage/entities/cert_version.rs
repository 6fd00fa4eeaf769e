//! `cert_version`: one row (`id` 1) counting the changes to the `certificate` table, for the
//! lookup caches of every server process on the database.

use sea_orm::entity::prelude::*;

/// The counter row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cert_version")]
pub struct Model {
    /// Always 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// Incremented by every transaction that issues or invalidates a certificate.
    pub version: i64,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
