//! MLS KeyPackages (polyproto-mls; docs/wire-contract.md §5).

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, ForeignKey, ForeignKeyAction, Index, MigrationName, MigrationTrait,
    SchemaManager, Table,
};
use sea_orm_migration::schema::{big_integer, big_pk_auto, blob, boolean, integer};

/// The second migration.
pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_key_packages"
    }
}

#[derive(DeriveIden)]
enum KeyPackage {
    Table,
    Id,
    HashRef,
    ActorId,
    SessionRowId,
    Ciphersuite,
    NotBefore,
    NotAfter,
    LastResort,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Actor {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
}

// `async_trait` needs the SchemaManager lifetime late-bound, which only the elided form gives.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(KeyPackage::Table)
                .if_not_exists()
                .col(big_pk_auto(KeyPackage::Id))
                .col(blob(KeyPackage::HashRef).unique_key())
                .col(big_integer(KeyPackage::ActorId))
                .col(big_integer(KeyPackage::SessionRowId))
                .col(integer(KeyPackage::Ciphersuite))
                .col(big_integer(KeyPackage::NotBefore))
                .col(big_integer(KeyPackage::NotAfter))
                .col(boolean(KeyPackage::LastResort))
                .col(blob(KeyPackage::Payload))
                .col(big_integer(KeyPackage::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_key_package_actor")
                        .from(KeyPackage::Table, KeyPackage::ActorId)
                        .to(Actor::Table, Actor::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_key_package_session")
                        .from(KeyPackage::Table, KeyPackage::SessionRowId)
                        .to(Session::Table, Session::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // Claims look for a session's oldest package of a kind.
        m.create_index(
            Index::create()
                .name("idx_key_package_session")
                .table(KeyPackage::Table)
                .col(KeyPackage::SessionRowId)
                .col(KeyPackage::LastResort)
                .col(KeyPackage::Id)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_key_package_actor_expiry")
                .table(KeyPackage::Table)
                .col(KeyPackage::ActorId)
                .col(KeyPackage::NotAfter)
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(KeyPackage::Table).to_owned())
            .await
    }
}
