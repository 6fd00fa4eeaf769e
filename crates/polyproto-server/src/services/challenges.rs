//! Sign-in challenges: handed out, used once, expiring (polyproto core §4.3;
//! docs/wire-contract.md §3.3). Owns the `challenge` table, which holds the challenges already
//! used and not yet expired.
//!
//! Handing one out writes nothing: a challenge carries its own expiry and the server key's
//! signature over it, `<nonce><expires><key id><signature>` in hex (192 alphanumeric
//! characters), so any process on the database can check it. Single use is enforced where it
//! matters, when a challenge is answered: the used one is inserted into `challenge`, whose key
//! refuses it a second time.

use std::sync::Arc;

use ed25519_dalek::Signature;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::challenge::{Challenge, ChallengeString};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::authority::Authority;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::storage::entities::challenge;
use crate::storage::{db_time, is_unique_violation};

/// Random bytes of a challenge.
const NONCE_LEN: usize = 16;
/// The length of a challenge string: nonce, expiry, key ID and signature in hex.
const CHALLENGE_LEN: usize = 2 * (NONCE_LEN + 8 + 8 + 64);

/// The challenge service.
#[derive(Clone)]
pub struct Challenges {
    db: DatabaseConnection,
    config: Arc<Config>,
    clock: Clock,
    authority: Authority,
}

/// The parts of a challenge string.
struct Parts {
    nonce: [u8; NONCE_LEN],
    expires: u64,
    key_id: i64,
    signature: Signature,
}

impl Challenges {
    pub(super) fn new(
        db: DatabaseConnection,
        config: Arc<Config>,
        clock: Clock,
        authority: Authority,
    ) -> Self {
        Self {
            db,
            config,
            clock,
            authority,
        }
    }

    /// A fresh challenge, valid for `federation.challenge_ttl_secs`, signed by the current
    /// server key. Writes nothing.
    ///
    /// # Errors
    /// A storage error reading the server key.
    pub async fn issue(&self) -> Result<Challenge> {
        let expires = self.clock.now() + self.config.federation.challenge_ttl_secs;
        let mut nonce = [0u8; NONCE_LEN];
        super::random_bytes(&mut nonce);
        let (key_id, signature) = self
            .authority
            .sign_with_current_key(&signed_part(&nonce, expires))
            .await?;
        let key_id = u64::try_from(key_id).map_err(|e| Error::internal("server key ID", e))?;
        let text = format!(
            "{}{expires:016x}{key_id:016x}{}",
            hex::encode(nonce),
            hex::encode(signature.to_bytes())
        );
        let challenge =
            ChallengeString::new(&text).map_err(|e| Error::internal("challenge string", e))?;
        Ok(Challenge { challenge, expires })
    }

    /// Uses up a challenge: this server signed it, it has not expired, and nobody used it
    /// before. Recording it as used is the use, in one statement, so concurrent uses cannot
    /// both succeed. Expired used ones are purged on the way.
    ///
    /// # Errors
    /// `InvalidChallenge`.
    pub async fn consume(&self, value: &ChallengeString) -> Result<()> {
        let invalid = || {
            Error::new(
                ErrorCode::InvalidChallenge,
                "the challenge is unknown, expired or already used",
            )
        };
        let now = self.clock.now();
        let parts = parse(value.as_str()).ok_or_else(invalid)?;
        if parts.expires < now
            || !self
                .authority
                .verify_server_signature(
                    parts.key_id,
                    &signed_part(&parts.nonce, parts.expires),
                    &parts.signature,
                )
                .await?
        {
            return Err(invalid());
        }
        challenge::Entity::delete_many()
            .filter(challenge::Column::ExpiresAt.lt(db_time(now)))
            .exec(&self.db)
            .await?;
        let used = challenge::ActiveModel {
            challenge: Set(value.as_str().to_owned()),
            expires_at: Set(db_time(parts.expires)),
        }
        .insert(&self.db)
        .await;
        match used {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(invalid()),
            Err(e) => Err(e.into()),
        }
    }
}

/// What the server key signs: a label, the nonce and the expiry.
fn signed_part(nonce: &[u8; NONCE_LEN], expires: u64) -> Vec<u8> {
    let mut message = b"polyproto-rs challenge\0".to_vec();
    message.extend_from_slice(nonce);
    message.extend_from_slice(&expires.to_be_bytes());
    message
}

/// The parts of a challenge string this server made, or `None` for any other string.
fn parse(text: &str) -> Option<Parts> {
    if text.len() != CHALLENGE_LEN {
        return None;
    }
    let bytes = hex::decode(text).ok()?;
    let (nonce, rest) = bytes.split_at(NONCE_LEN);
    let (expires, rest) = rest.split_at(8);
    let (key_id, signature) = rest.split_at(8);
    Some(Parts {
        nonce: nonce.try_into().ok()?,
        expires: u64::from_be_bytes(expires.try_into().ok()?),
        key_id: i64::try_from(u64::from_be_bytes(key_id.try_into().ok()?)).ok()?,
        signature: Signature::from_slice(signature).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::{CHALLENGE_LEN, parse};

    #[test]
    fn only_well_formed_strings_parse() {
        assert!(parse(&"0".repeat(CHALLENGE_LEN)).is_some());
        assert!(parse(&"0".repeat(CHALLENGE_LEN - 2)).is_none());
        assert!(parse(&"g".repeat(CHALLENGE_LEN)).is_none(), "not hex");
        assert!(parse(&"é".repeat(CHALLENGE_LEN / 2)).is_none(), "not ASCII");
    }
}
