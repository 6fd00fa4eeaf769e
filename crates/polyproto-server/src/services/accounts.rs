//! Actors: registration, credentials, administrators and the sensitive-action check
//! (docs/wire-contract.md §1.3, §3.2). Owns the `actor` table.

use std::sync::Arc;
use std::time::Duration;

use polyproto_types::api::error::ErrorCode;
use polyproto_types::{FederationId, LocalName};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::failures::FailureLimit;
use super::passwords::Passwords;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::storage::entities::actor;
use crate::storage::{db_time, is_unique_violation};

/// An actor of this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The snowflake ID.
    pub id: i64,
    /// The federation ID.
    pub fid: FederationId,
    /// Whether the actor administers the server (database flag or configuration).
    pub is_admin: bool,
}

/// The accounts service.
#[derive(Clone)]
pub struct Accounts {
    db: DatabaseConnection,
    config: Arc<Config>,
    clock: Clock,
    passwords: Passwords,
    password_failures: Arc<FailureLimit>,
}

/// Passwords shorter than this are refused at registration.
const MIN_PASSWORD_LEN: usize = 8;
/// Passwords longer than this are refused (argon2 accepts more, but nobody needs it).
const MAX_PASSWORD_LEN: usize = 1024;

impl Accounts {
    pub(super) fn new(
        db: DatabaseConnection,
        config: Arc<Config>,
        clock: Clock,
        passwords: Passwords,
    ) -> Self {
        let password_failures = Arc::new(FailureLimit::new(
            config.accounts.password_failure_burst,
            Duration::from_secs(config.accounts.password_failure_refill_secs),
        ));
        Self {
            db,
            config,
            clock,
            passwords,
            password_failures,
        }
    }

    /// Registers `name` with `password` (docs/wire-contract.md §1.3).
    ///
    /// # Errors
    /// `RegistrationClosed`, `InvalidName`, `MalformedRequest` for an unusable password,
    /// `FederationIdTaken`.
    pub async fn register(&self, name: &str, password: String) -> Result<Actor> {
        if !self.config.accounts.registration_open {
            return Err(Error::new(
                ErrorCode::RegistrationClosed,
                "this server does not accept new registrations",
            ));
        }
        let local =
            LocalName::new(name).map_err(|e| Error::new(ErrorCode::InvalidName, e.to_string()))?;
        let length = password.chars().count();
        if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&length) {
            return Err(Error::new(
                ErrorCode::MalformedRequest,
                format!("a password has {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters"),
            ));
        }
        let fid = FederationId::from_parts(local.clone(), self.config.domain_name());
        if self.find(&local).await?.is_some() {
            return Err(taken(&fid));
        }
        let hash = self.passwords.hash(password).await?;
        let now = db_time(self.clock.now());
        // A snowflake collision (same millisecond, same 22 random bits) is retried once.
        for _ in 0..2 {
            let row = actor::ActiveModel {
                id: Set(super::ids::snowflake()),
                local_name: Set(local.to_string()),
                password_hash: Set(hash.clone()),
                is_admin: Set(false),
                created_at: Set(now),
            };
            match row.insert(&self.db).await {
                Ok(row) => return self.actor(row),
                Err(e) if is_unique_violation(&e) => {
                    if self.find(&local).await?.is_some() {
                        return Err(taken(&fid));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::internal("register", "snowflake collided twice"))
    }

    /// The actor named `name` if `password` is theirs. Unknown actors and wrong passwords get
    /// the same error after the same work (docs/wire-contract.md §1.3).
    ///
    /// # Errors
    /// `InvalidCredentials` (a password longer than registration accepts is refused without
    /// hashing it), `RateLimited` (429) after a burst of wrong passwords for the name,
    /// `Overloaded` (503) when too many password checks wait.
    pub async fn check_credentials(&self, name: &str, password: String) -> Result<Actor> {
        let refused = || {
            Error::new(
                ErrorCode::InvalidCredentials,
                "unknown actor or wrong password",
            )
        };
        // No password this long was ever accepted: refused without hashing it.
        if password.len() > MAX_PASSWORD_LEN {
            return Err(refused());
        }
        let local = LocalName::new(name).ok();
        let key = local
            .as_ref()
            .map_or_else(|| name.to_ascii_lowercase(), ToString::to_string);
        self.password_failures.check(&key)?;
        let row = match &local {
            Some(local) => self.find(local).await?,
            None => None,
        };
        // Without a row, `verify` checks a decoy hash: the same work, then false.
        let hash = row.as_ref().map(|r| r.password_hash.clone());
        match (row, self.passwords.verify(password, hash).await?) {
            (Some(row), true) => self.actor(row),
            _ => {
                self.password_failures.failed(&key);
                Err(refused())
            }
        }
    }

    /// Checks the second factor of a sensitive action: the actor's password in
    /// `X-P2-Sensitive-Solution` (docs/wire-contract.md §3.2).
    ///
    /// # Errors
    /// `SensitiveSolutionRequired` (401) when missing, `SensitiveSolutionInvalid` (403) when
    /// wrong (a solution longer than any password is refused without hashing it),
    /// `RateLimited` (429) after a burst of wrong ones for the account, `Overloaded` (503) when
    /// too many password checks wait.
    pub async fn check_sensitive(&self, actor_id: i64, solution: Option<String>) -> Result<()> {
        let Some(solution) = solution else {
            return Err(Error::new(
                ErrorCode::SensitiveSolutionRequired,
                "this is a sensitive action: send the password in X-P2-Sensitive-Solution",
            ));
        };
        let row = actor::Entity::find_by_id(actor_id).one(&self.db).await?;
        let key = row
            .as_ref()
            .map_or_else(|| actor_id.to_string(), |r| r.local_name.clone());
        self.password_failures.check(&key)?;
        let hash = row.map(|r| r.password_hash);
        let right =
            solution.len() <= MAX_PASSWORD_LEN && self.passwords.verify(solution, hash).await?;
        if !right {
            self.password_failures.failed(&key);
        }
        if right {
            Ok(())
        } else {
            Err(Error::new(
                ErrorCode::SensitiveSolutionInvalid,
                "the X-P2-Sensitive-Solution is wrong",
            ))
        }
    }

    /// The actor with this ID.
    ///
    /// # Errors
    /// A storage error.
    pub async fn by_id(&self, id: i64) -> Result<Option<Actor>> {
        actor::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(|row| self.actor(row))
            .transpose()
    }

    /// The actor with this local name.
    ///
    /// # Errors
    /// A storage error.
    pub async fn by_name(&self, name: &LocalName) -> Result<Option<Actor>> {
        self.find(name)
            .await?
            .map(|row| self.actor(row))
            .transpose()
    }

    /// Resolves a seed route's `{user_id}`: a federation ID of this server or a numeric actor
    /// ID (docs/wire-contract.md §1.1).
    ///
    /// # Errors
    /// `ActorNotFound`; `InvalidName` for a string that is neither.
    pub async fn resolve(&self, user_id: &str) -> Result<Actor> {
        let not_found = || {
            Error::new(
                ErrorCode::ActorNotFound,
                format!("no actor {user_id} on this server"),
            )
        };
        let found = if let Ok(id) = user_id.parse::<i64>() {
            self.by_id(id).await?
        } else {
            let fid = FederationId::new(user_id)
                .map_err(|e| Error::new(ErrorCode::InvalidName, e.to_string()))?;
            if fid.domain() != &self.config.domain_name() {
                return Err(not_found());
            }
            self.by_name(fid.local_name()).await?
        };
        found.ok_or_else(not_found)
    }

    /// Grants or revokes administrator rights (`polyproto-server admin grant|revoke`).
    ///
    /// # Errors
    /// `ActorNotFound`, or a storage error.
    pub async fn set_admin(&self, name: &LocalName, admin: bool) -> Result<()> {
        let row = self.find(name).await?.ok_or_else(|| {
            Error::new(ErrorCode::ActorNotFound, format!("no actor named {name}"))
        })?;
        let mut row: actor::ActiveModel = row.into();
        row.is_admin = Set(admin);
        row.update(&self.db).await?;
        Ok(())
    }

    async fn find(&self, name: &LocalName) -> Result<Option<actor::Model>> {
        Ok(actor::Entity::find()
            .filter(actor::Column::LocalName.eq(name.as_str()))
            .one(&self.db)
            .await?)
    }

    fn actor(&self, row: actor::Model) -> Result<Actor> {
        let admins = &self.config.accounts.admins;
        let is_admin = row.is_admin
            || admins
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&row.local_name));
        // Stored names were validated at registration; a bad one means a damaged database.
        let local =
            LocalName::new(&row.local_name).map_err(|e| Error::internal("stored local name", e))?;
        Ok(Actor {
            id: row.id,
            fid: FederationId::from_parts(local, self.config.domain_name()),
            is_admin,
        })
    }
}

fn taken(fid: &FederationId) -> Error {
    Error::new(ErrorCode::FederationIdTaken, format!("{fid} is taken"))
}
