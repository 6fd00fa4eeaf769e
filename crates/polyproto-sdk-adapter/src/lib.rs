//! ed25519-dalek keys for the upstream reference SDK `polyproto` 0.21, which is generic over its
//! `Signature`, `PrivateKey` and `PublicKey` traits, plus helpers that build its names,
//! validity and serial numbers. Used to prove interoperability (tests, golden vectors); not
//! part of any shipped crate.
//!
//! The SDK uses der 0.7, spki 0.7 and x509-cert 0.2 (this workspace uses 0.8/0.8/0.3); the
//! first two are reached through its re-exports, the third as `x509-cert-02`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use polyproto::certs::PublicKeyInfo;
use polyproto::der::asn1::{BitString, UtcTime};
use polyproto::errors::{CertificateConversionError, InvalidInput, PublicKeyError};
use polyproto::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SignatureBitStringEncoding};
use polyproto::types::{ActorDN, DomainName, HomeServerDN, SerialNumber};
use polyproto::{RdnSequence, key, signature};
use x509_cert_02::time::{Time, Validity};

/// Ed25519, 1.3.101.112 (RFC 8410 §3), in the SDK's spki version.
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// An Ed25519 signature as the SDK's `Signature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkSignature(pub ed25519_dalek::Signature);

impl fmt::Display for SdkSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0.to_bytes()))
    }
}

impl signature::Signature for SdkSignature {
    type Signature = ed25519_dalek::Signature;

    fn as_signature(&self) -> &Self::Signature {
        &self.0
    }

    fn algorithm_identifier() -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: ED25519,
            parameters: None,
        }
    }

    fn from_bytes(signature: &[u8]) -> Result<Self, InvalidInput> {
        let bytes = <[u8; 64]>::try_from(signature).map_err(|_| InvalidInput::Length {
            min_length: 64,
            max_length: 64,
            actual_length: signature.len().to_string(),
        })?;
        Ok(Self(ed25519_dalek::Signature::from_bytes(&bytes)))
    }

    fn as_bytes(&self) -> Vec<u8> {
        self.0.to_bytes().to_vec()
    }
}

impl SignatureBitStringEncoding for SdkSignature {
    fn to_bitstring(&self) -> polyproto::der::Result<BitString> {
        BitString::from_bytes(&self.0.to_bytes())
    }
}

/// An Ed25519 signing key as the SDK's `PrivateKey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkPrivateKey(pub SigningKey);

impl SdkPrivateKey {
    /// A fresh random key.
    ///
    /// # Panics
    /// If the operating system has no randomness to give.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        #[allow(clippy::expect_used, reason = "no safe way on without OS randomness")]
        getrandom::fill(&mut seed).expect("the operating system's random number generator failed");
        Self(SigningKey::from_bytes(&seed))
    }
}

impl key::PrivateKey<SdkSignature> for SdkPrivateKey {
    type PublicKey = SdkPublicKey;

    fn pubkey(&self) -> SdkPublicKey {
        SdkPublicKey(self.0.verifying_key())
    }

    fn sign(&self, data: &[u8]) -> SdkSignature {
        SdkSignature(self.0.sign(data))
    }
}

/// An Ed25519 verifying key as the SDK's `PublicKey`; verification is strict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkPublicKey(pub VerifyingKey);

impl SdkPublicKey {
    /// The raw 32 key bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
}

impl key::PublicKey<SdkSignature> for SdkPublicKey {
    fn verify_signature(
        &self,
        signature: &SdkSignature,
        data: &[u8],
    ) -> Result<(), PublicKeyError> {
        self.0
            .verify_strict(data, &signature.0)
            .map_err(|_| PublicKeyError::BadSignature)
    }

    fn public_key_info(&self) -> Result<PublicKeyInfo, PublicKeyError> {
        Ok(PublicKeyInfo {
            algorithm: <SdkSignature as signature::Signature>::algorithm_identifier(),
            public_key_bitstring: BitString::from_bytes(self.0.as_bytes())
                .map_err(|_| PublicKeyError::BadPublicKeyInfo)?,
        })
    }

    fn try_from_public_key_info(info: PublicKeyInfo) -> Result<Self, CertificateConversionError> {
        let malformed = |what: &str| {
            CertificateConversionError::InvalidInput(InvalidInput::Malformed(what.to_owned()))
        };
        if info.algorithm.oid != ED25519 || info.algorithm.parameters.is_some() {
            return Err(malformed("not an Ed25519 key"));
        }
        let raw = info
            .public_key_bitstring
            .as_bytes()
            .ok_or_else(|| malformed("unused bits in the key"))?;
        let bytes = <[u8; 32]>::try_from(raw).map_err(|_| malformed("key length"))?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| malformed("invalid Ed25519 point"))
    }
}

/// Why a helper could not build an SDK value.
pub type HelperError = Box<dyn std::error::Error + Send + Sync>;

/// The SDK's actor pDN for `fid` (`local@domain`) and `session_id`.
///
/// # Errors
/// When the SDK refuses the name.
pub fn actor_dn(fid: &str, session_id: &str) -> Result<ActorDN, HelperError> {
    let (local, domain) = fid.split_once('@').ok_or("a federation ID has an @")?;
    let dcs: Vec<String> = domain.split('.').map(|l| format!("DC={l}")).collect();
    // RFC 4514 order (most specific first); the SDK re-encodes in its own order anyway.
    let rfc4514 = format!(
        "uniqueIdentifier={session_id},CN={local},UID={fid},{}",
        dcs.join(",")
    );
    Ok(ActorDN::try_from(RdnSequence::from_str(&rfc4514)?)?)
}

/// The SDK's home-server pDN for `domain`.
///
/// # Errors
/// When the SDK refuses the domain.
pub fn home_server_dn(domain: &str) -> Result<HomeServerDN, HelperError> {
    Ok(HomeServerDN::new_validated(DomainName::new(domain)?, None)?)
}

/// An x509-cert 0.2 validity from `not_before` to `not_after` (UNIX seconds, before 2050).
///
/// # Errors
/// For times UTCTime cannot hold.
pub fn validity(not_before: u64, not_after: u64) -> Result<Validity, HelperError> {
    let time = |secs| -> Result<Time, HelperError> {
        Ok(Time::UtcTime(UtcTime::from_unix_duration(
            Duration::from_secs(secs),
        )?))
    };
    Ok(Validity {
        not_before: time(not_before)?,
        not_after: time(not_after)?,
    })
}

/// The SDK's serial number with this value.
///
/// # Errors
/// When the SDK refuses it (zero).
pub fn serial(value: u64) -> Result<SerialNumber, HelperError> {
    let bytes = value.to_be_bytes();
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(7);
    Ok(SerialNumber::from_bytes_be(&bytes[start..])?)
}
