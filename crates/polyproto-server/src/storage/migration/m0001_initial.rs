//! Actors, server keys, certificates and sessions.

use super::primary;
use sea_orm_migration::prelude::{
    DbErr, DeriveIden, ForeignKey, ForeignKeyAction, Index, MigrationName, MigrationTrait,
    SchemaManager, Table,
};
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, blob, blob_null, boolean, string, string_null,
};

/// The first migration.
pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

#[derive(DeriveIden)]
enum Actor {
    Table,
    Id,
    LocalName,
    PasswordHash,
    IsAdmin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServerKey {
    Table,
    Id,
    Secret,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Certificate {
    Table,
    Serial,
    Kind,
    ActorId,
    SessionId,
    Der,
    NotBefore,
    NotAfter,
    InvalidatedAt,
    IssuerKeyId,
}

// Column names mirror the table; `SessionId` is the column `session_id`, not a naming slip.
#[allow(clippy::enum_variant_names)]
#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    ActorId,
    Fid,
    SessionId,
    Foreign,
    CertSerial,
    ForeignCertDer,
    CertNotAfter,
    TokenHash,
    CreatedAt,
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
                .table(Actor::Table)
                .if_not_exists()
                .col(primary(big_integer(Actor::Id)))
                .col(string(Actor::LocalName).unique_key())
                .col(string(Actor::PasswordHash))
                .col(boolean(Actor::IsAdmin).default(false))
                .col(big_integer(Actor::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ServerKey::Table)
                .if_not_exists()
                .col(primary(big_integer(ServerKey::Id)))
                .col(blob(ServerKey::Secret))
                .col(big_integer(ServerKey::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Certificate::Table)
                .if_not_exists()
                .col(primary(big_integer(Certificate::Serial)))
                .col(string(Certificate::Kind))
                .col(big_integer_null(Certificate::ActorId))
                .col(string_null(Certificate::SessionId))
                .col(blob(Certificate::Der))
                .col(big_integer(Certificate::NotBefore))
                .col(big_integer(Certificate::NotAfter))
                .col(big_integer_null(Certificate::InvalidatedAt))
                .col(big_integer(Certificate::IssuerKeyId))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_certificate_actor")
                        .from(Certificate::Table, Certificate::ActorId)
                        .to(Actor::Table, Actor::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_certificate_issuer_key")
                        .from(Certificate::Table, Certificate::IssuerKeyId)
                        .to(ServerKey::Table, ServerKey::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_certificate_actor")
                .table(Certificate::Table)
                .col(Certificate::ActorId)
                .col(Certificate::NotBefore)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_certificate_kind")
                .table(Certificate::Table)
                .col(Certificate::Kind)
                .col(Certificate::NotBefore)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Session::Table)
                .if_not_exists()
                .col(big_pk_auto(Session::Id))
                .col(big_integer_null(Session::ActorId))
                .col(string(Session::Fid))
                .col(string_null(Session::SessionId))
                .col(boolean(Session::Foreign))
                .col(big_integer_null(Session::CertSerial))
                .col(blob_null(Session::ForeignCertDer))
                .col(big_integer_null(Session::CertNotAfter))
                .col(blob(Session::TokenHash).unique_key())
                .col(big_integer(Session::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_session_actor")
                        .from(Session::Table, Session::ActorId)
                        .to(Actor::Table, Actor::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // One live session per (actor, session ID): polyproto core §6.1.1.3. NULL session IDs
        // (pending sessions) do not collide on either database.
        m.create_index(
            Index::create()
                .name("uq_session_fid_session_id")
                .table(Session::Table)
                .col(Session::Fid)
                .col(Session::SessionId)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["session", "certificate", "server_key", "actor"] {
            m.drop_table(
                Table::drop()
                    .table(sea_orm_migration::prelude::Alias::new(table))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
