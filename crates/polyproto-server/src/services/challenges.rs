//! Sign-in challenges: handed out, used once, expiring (polyproto core §4.3; docs/wire-contract.md §3.3).
//! Owns the `challenge` table.

use std::sync::Arc;

use polyproto_types::api::error::ErrorCode;
use polyproto_types::challenge::{Challenge, ChallengeString};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::storage::db_time;
use crate::storage::entities::challenge;

/// The challenge service.
#[derive(Clone)]
pub struct Challenges {
    db: DatabaseConnection,
    config: Arc<Config>,
    clock: Clock,
}

impl Challenges {
    pub(super) fn new(db: DatabaseConnection, config: Arc<Config>, clock: Clock) -> Self {
        Self { db, config, clock }
    }

    /// A fresh challenge: 64 random alphanumeric characters, valid for
    /// `federation.challenge_ttl_secs`. Expired challenges are purged on the way.
    ///
    /// # Errors
    /// A storage error.
    pub async fn issue(&self) -> Result<Challenge> {
        let now = self.clock.now();
        challenge::Entity::delete_many()
            .filter(challenge::Column::ExpiresAt.lt(db_time(now)))
            .exec(&self.db)
            .await?;
        let expires = now + self.config.federation.challenge_ttl_secs;
        let value = ChallengeString::generate();
        challenge::ActiveModel {
            challenge: Set(value.as_str().to_owned()),
            expires_at: Set(db_time(expires)),
        }
        .insert(&self.db)
        .await?;
        Ok(Challenge {
            challenge: value,
            expires,
        })
    }

    /// Uses up a challenge: it exists, has not expired, and nobody used it before. Deleting it
    /// is the use, in one statement, so concurrent uses cannot both succeed.
    ///
    /// # Errors
    /// `InvalidChallenge`.
    pub async fn consume(&self, value: &ChallengeString) -> Result<()> {
        let removed = challenge::Entity::delete_many()
            .filter(challenge::Column::Challenge.eq(value.as_str()))
            .filter(challenge::Column::ExpiresAt.gte(db_time(self.clock.now())))
            .exec(&self.db)
            .await?;
        if removed.rows_affected == 1 {
            Ok(())
        } else {
            Err(Error::new(
                ErrorCode::InvalidChallenge,
                "the challenge is unknown, expired or already used",
            ))
        }
    }
}
