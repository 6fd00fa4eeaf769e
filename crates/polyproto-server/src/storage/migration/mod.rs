//! Schema migrations, append-only: a released migration is never edited.

mod m0001_initial;
mod m0002_key_packages;
mod m0003_challenges;
mod m0004_certificate_order;
mod m0005_cert_version;
mod m0006_certificate_actor_kind;
mod m0007_key_package_cert;

use sea_orm_migration::prelude::ColumnDef;
use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// A column made the table's primary key (for keys the server assigns, not the database).
fn primary(column: ColumnDef) -> ColumnDef {
    let mut column = column;
    column.primary_key();
    column
}

/// Runs the migrations in order; called at every start (idempotent).
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m0002_key_packages::Migration),
            Box::new(m0003_challenges::Migration),
            Box::new(m0004_certificate_order::Migration),
            Box::new(m0005_cert_version::Migration),
            Box::new(m0006_certificate_actor_kind::Migration),
            Box::new(m0007_key_package_cert::Migration),
        ]
    }
}
