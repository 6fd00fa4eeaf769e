//! Password hashing with argon2id, off the async executor and bounded in parallelism.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::error::{Error, Result};

/// Hashes and verifies passwords. Each hash costs tens of milliseconds of CPU and 19 MiB, by
/// design; a semaphore keeps a burst of sign-ins from starving the server.
#[derive(Clone)]
pub(crate) struct Passwords {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when the actor does not exist, so that
    /// unknown actors take as long as wrong passwords.
    decoy: Arc<String>,
}

impl Passwords {
    pub(crate) fn new(config: &Config) -> Self {
        let permits = config
            .accounts
            .max_concurrent_password_hashes
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
        let mut random = [0u8; 16];
        super::tokens::fill_random(&mut random);
        let decoy = Argon2::default()
            .hash_password(&random)
            .map(|h| h.to_string())
            .unwrap_or_default();
        Self {
            permits: Arc::new(Semaphore::new(permits)),
            decoy: Arc::new(decoy),
        }
    }

    /// The argon2id PHC string of `password`.
    pub(crate) async fn hash(&self, password: String) -> Result<String> {
        self.run(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| Error::internal("argon2 hash", e))
        })
        .await?
    }

    /// Whether `password` matches `hash`; with no hash (unknown actor) it checks the decoy and
    /// answers false, taking the same time.
    pub(crate) async fn verify(&self, password: String, hash: Option<String>) -> Result<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.decoy.as_str().to_owned());
        let matches = self
            .run(move || {
                PasswordHash::new(&hash).is_ok_and(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
            })
            .await?;
        Ok(known && matches)
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| Error::internal("password permits", e))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::internal("password task", e))
    }
}
