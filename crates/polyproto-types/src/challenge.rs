//! Challenge strings: proof that an actor holds the private key of its ID-Cert
//! (polyproto core §4.3, §4.1.1; docs/wire-contract.md §3.3).

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::certs::{KeyError, verify_strict};
use crate::signature::SignatureBytes;
use crate::wire::u64_string;

/// The shortest challenge string (polyproto core §4.3).
pub const MIN_LEN: usize = 32;
/// The longest challenge string (polyproto core §4.3).
pub const MAX_LEN: usize = 256;
/// The length of the challenges this project generates: the spec recommends at least 64
/// characters for public servers.
pub const GENERATED_LEN: usize = 64;

/// Why a challenge string or its solution is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// Fewer than 32 or more than 256 characters.
    #[error("a challenge string has 32 to 256 characters, got {0}")]
    Length(usize),
    /// A character outside `[A-Za-z0-9]`.
    #[error("a challenge string is alphanumeric")]
    Alphabet,
    /// The signature does not verify under the key.
    #[error("the challenge signature does not verify: {0}")]
    Signature(#[from] KeyError),
}

/// A challenge string: 32 to 256 alphanumeric characters (polyproto core §4.3 allows any
/// UTF-8; docs/wire-contract.md §3.3 narrows it to `[A-Za-z0-9]`, which is all a server ever issues).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChallengeString(String);

impl ChallengeString {
    /// Parses a challenge string.
    ///
    /// # Errors
    /// [`ChallengeError::Length`] or [`ChallengeError::Alphabet`].
    pub fn new(text: &str) -> Result<Self, ChallengeError> {
        let len = text.chars().count();
        if !(MIN_LEN..=MAX_LEN).contains(&len) {
            return Err(ChallengeError::Length(len));
        }
        if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ChallengeError::Alphabet);
        }
        Ok(Self(text.to_owned()))
    }

    /// A fresh random challenge of [`GENERATED_LEN`] characters, each of the 62 equally likely
    /// (about 381 bits), so challenges never repeat in practice.
    pub fn generate() -> Self {
        Self(crate::random::alphanumeric(GENERATED_LEN))
    }

    /// The challenge text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Signs the UTF-8 bytes of the challenge with the session's key.
    pub fn sign(&self, key: &SigningKey) -> CompletedChallenge {
        CompletedChallenge {
            challenge: self.clone(),
            signature: key.sign(self.0.as_bytes()).into(),
        }
    }
}

impl Serialize for ChallengeString {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ChallengeString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

/// A challenge as a server hands it out: the string and when it expires
/// (`GET /.p2/core/v1/challenge`; docs/wire-contract.md §1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// The string to sign.
    pub challenge: ChallengeString,
    /// UNIX time after which the server refuses the solution.
    #[serde(with = "u64_string")]
    pub expires: u64,
}

/// A challenge signed by the actor's session key (docs/wire-contract.md §1.3, `completed_challenge`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedChallenge {
    /// The challenge string, as handed out.
    pub challenge: ChallengeString,
    /// Ed25519 signature over its UTF-8 bytes; hex on output, hex or base64 on input.
    pub signature: SignatureBytes,
}

impl CompletedChallenge {
    /// Verifies the signature strictly under the key of the actor's ID-Cert.
    ///
    /// # Errors
    /// [`ChallengeError::Signature`].
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), ChallengeError> {
        verify_strict(
            key,
            self.challenge.as_str().as_bytes(),
            self.signature.as_bytes(),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_challenges_are_valid_and_unique() {
        let a = ChallengeString::generate();
        assert_eq!(a.as_str().len(), GENERATED_LEN);
        assert_eq!(ChallengeString::new(a.as_str()).unwrap(), a);
        assert_ne!(a, ChallengeString::generate());
    }

    #[test]
    fn length_and_alphabet_are_enforced() {
        assert_eq!(
            ChallengeString::new(&"a".repeat(31)),
            Err(ChallengeError::Length(31))
        );
        assert!(ChallengeString::new(&"a".repeat(32)).is_ok());
        assert!(ChallengeString::new(&"a".repeat(256)).is_ok());
        assert_eq!(
            ChallengeString::new(&"a".repeat(257)),
            Err(ChallengeError::Length(257))
        );
        assert_eq!(
            ChallengeString::new(&format!("{} ", "a".repeat(40))),
            Err(ChallengeError::Alphabet)
        );
    }

    #[test]
    fn signing_and_strict_verification() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let other = SigningKey::from_bytes(&[4; 32]);
        let solved = ChallengeString::generate().sign(&key);
        solved.verify(&key.verifying_key()).unwrap();
        assert!(matches!(
            solved.verify(&other.verifying_key()),
            Err(ChallengeError::Signature(KeyError::BadSignature))
        ));
        let json = serde_json::to_string(&solved).unwrap();
        assert!(json.contains(&solved.signature.to_hex()));
        assert_eq!(
            serde_json::from_str::<CompletedChallenge>(&json).unwrap(),
            solved
        );
        let mut tampered = solved.clone();
        tampered.challenge = ChallengeString::generate();
        assert!(tampered.verify(&key.verifying_key()).is_err());
    }
}
