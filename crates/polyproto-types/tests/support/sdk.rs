//! An ed25519-dalek adapter for the reference SDK `polyproto` 0.21, which is generic over
//! signature and key types (`polyproto::signature::Signature`, `polyproto::key::PrivateKey`,
//! `polyproto::key::PublicKey`), plus helpers that build its names and validity.
//!
//! The SDK uses der 0.7, spki 0.7 and x509-cert 0.2 (this crate uses 0.8/0.8/0.3); the first
//! two are reached through its re-exports, the third through the `x509-cert-02` dev-dependency.

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
pub(crate) struct SdkSignature(ed25519_dalek::Signature);

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
pub(crate) struct SdkPrivateKey(pub(crate) SigningKey);

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
pub(crate) struct SdkPublicKey(pub(crate) VerifyingKey);

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

/// The SDK's actor pDN for `fid` (`local@domain`) and `session_id`.
pub(crate) fn actor_dn(fid: &str, session_id: &str) -> ActorDN {
    let (local, domain) = fid.split_once('@').expect("a federation ID has an @");
    let dcs: Vec<String> = domain.split('.').map(|l| format!("DC={l}")).collect();
    // RFC 4514 order (most specific first); the SDK re-encodes in its own order anyway.
    let rfc4514 = format!(
        "uniqueIdentifier={session_id},CN={local},UID={fid},{}",
        dcs.join(",")
    );
    ActorDN::try_from(RdnSequence::from_str(&rfc4514).expect("RFC 4514 name"))
        .expect("a valid actor pDN")
}

/// The SDK's home-server pDN for `domain`.
pub(crate) fn home_server_dn(domain: &str) -> HomeServerDN {
    HomeServerDN::new_validated(DomainName::new(domain).expect("domain name"), None)
        .expect("a valid home-server pDN")
}

/// An x509-cert 0.2 validity from `not_before` to `not_after` (UNIX seconds, before 2050).
pub(crate) fn validity(not_before: u64, not_after: u64) -> Validity {
    let time = |secs| {
        Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(secs)).expect("UTCTime"))
    };
    Validity {
        not_before: time(not_before),
        not_after: time(not_after),
    }
}

/// The SDK's serial number with this value.
pub(crate) fn serial(value: u64) -> SerialNumber {
    let bytes = value.to_be_bytes();
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(7);
    SerialNumber::from_bytes_be(&bytes[start..]).expect("serial number")
}
