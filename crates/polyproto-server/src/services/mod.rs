//! The logic of the home server. Each service owns its tables; handlers call services and
//! never touch storage (ARCHITECTURE rule 1).

pub mod accounts;
pub mod authority;
pub mod callers;
pub mod cert_version;
pub mod challenges;
mod failures;
mod ids;
pub mod key_packages;
pub mod lookups;
mod passwords;
pub mod sessions;
mod tokens;

pub(crate) use tokens::fill_random as random_bytes;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::config::Config;
use crate::error::Result;

pub use accounts::Accounts;
pub use authority::Authority;
pub use challenges::Challenges;
pub use key_packages::KeyPackages;
pub use lookups::Lookups;
pub use sessions::Sessions;

/// All services, shared by every worker.
#[derive(Clone)]
pub struct Services {
    /// Actors and passwords.
    pub accounts: Accounts,
    /// Sessions and tokens.
    pub sessions: Sessions,
    /// The certificate authority.
    pub authority: Authority,
    /// The KeyPackage store.
    pub key_packages: KeyPackages,
    /// Certificate lookups and their cache.
    pub lookups: Lookups,
    /// Sign-in challenges for foreign actors.
    pub challenges: Challenges,
    /// Verification of other home servers' certificates.
    pub federation: crate::federation::Federation,
    /// The configuration.
    pub config: Arc<Config>,
    /// The clock every service reads the time from.
    pub clock: Clock,
    db: DatabaseConnection,
}

impl Services {
    /// Builds the services on an open, migrated database, creating the server's identity key
    /// and certificate on first start.
    ///
    /// # Errors
    /// A storage error.
    pub async fn new(db: DatabaseConnection, config: Arc<Config>) -> Result<Self> {
        Self::with_clock(db, config, Clock::default()).await
    }

    /// As [`Services::new`], reading the time from `clock`.
    ///
    /// # Errors
    /// A storage error.
    pub async fn with_clock(
        db: DatabaseConnection,
        config: Arc<Config>,
        clock: Clock,
    ) -> Result<Self> {
        let passwords = passwords::Passwords::new(&config);
        let accounts = Accounts::new(db.clone(), config.clone(), clock.clone(), passwords);
        let authority = Authority::new(db.clone(), config.clone(), clock.clone());
        authority.ensure_server_identity().await?;
        let sessions = Sessions::new(
            db.clone(),
            config.clone(),
            clock.clone(),
            accounts.clone(),
            authority.clone(),
        );
        let key_packages = KeyPackages::new(
            db.clone(),
            config.clone(),
            clock.clone(),
            authority.clone(),
            sessions.clone(),
        );
        let challenges =
            Challenges::new(db.clone(), config.clone(), clock.clone(), authority.clone());
        let federation = crate::federation::Federation::new(&config, clock.clone())?;
        let lookups = Lookups::new(
            accounts.clone(),
            authority.clone(),
            federation.clone(),
            config.clone(),
            clock.clone(),
        );
        Ok(Self {
            accounts,
            sessions,
            authority,
            key_packages,
            lookups,
            challenges,
            federation,
            config,
            clock,
            db,
        })
    }

    /// Closes the database connections.
    pub async fn close(&self) {
        if let Err(e) = self.db.clone().close().await {
            tracing::warn!(error = %e, "closing the database");
        }
    }

    /// Whether the database answers.
    pub async fn healthy(&self) -> bool {
        self.db.ping().await.is_ok()
    }
}
