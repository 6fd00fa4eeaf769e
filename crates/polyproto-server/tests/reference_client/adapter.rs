//! Ed25519 (ed25519-dalek 3) behind the reference SDK's `Signature`, `PrivateKey` and
//! `PublicKey` traits, so the SDK can make CSRs with our keys and check the server's signatures.
//!
//! The SDK is generic over the algorithm and ships no implementation of its own; it encodes and
//! checks through these three types only: the algorithm identifier (1.3.101.112, parameters
//! absent, CONTRACT §4.1), the 64 raw signature bytes and the 32 raw public key bytes.

use std::fmt;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use polyproto::certs::PublicKeyInfo;
use polyproto::der::asn1::BitString;
use polyproto::errors::{CertificateConversionError, InvalidInput, PublicKeyError};
use polyproto::key::{PrivateKey, PublicKey};
use polyproto::signature::Signature;
use polyproto::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SignatureBitStringEncoding};

/// id-Ed25519 (RFC 8410).
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// An Ed25519 signature as the SDK sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ed25519Sig(ed25519_dalek::Signature);

impl fmt::Display for Ed25519Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0
            .to_bytes()
            .iter()
            .try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl Signature for Ed25519Sig {
    type Signature = ed25519_dalek::Signature;

    fn as_signature(&self) -> &Self::Signature {
        &self.0
    }

    fn algorithm_identifier() -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: ID_ED25519,
            parameters: None,
        }
    }

    fn from_bytes(signature: &[u8]) -> Result<Self, InvalidInput> {
        let bytes: &[u8; 64] = signature.try_into().map_err(|_| InvalidInput::Length {
            min_length: 64,
            max_length: 64,
            actual_length: signature.len().to_string(),
        })?;
        Ok(Self(ed25519_dalek::Signature::from_bytes(bytes)))
    }

    fn as_bytes(&self) -> Vec<u8> {
        self.0.to_bytes().to_vec()
    }
}

impl SignatureBitStringEncoding for Ed25519Sig {
    fn to_bitstring(&self) -> polyproto::der::Result<BitString> {
        BitString::from_bytes(&self.0.to_bytes())
    }
}

/// An Ed25519 public key as the SDK sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ed25519Public(VerifyingKey);

impl Ed25519Public {
    /// The raw 32 key bytes.
    pub(crate) fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
}

impl PublicKey<Ed25519Sig> for Ed25519Public {
    fn verify_signature(&self, signature: &Ed25519Sig, data: &[u8]) -> Result<(), PublicKeyError> {
        // Strict verification: rejects small-order keys and non-canonical signatures.
        self.0
            .verify_strict(data, &signature.0)
            .map_err(|_| PublicKeyError::BadSignature)
    }

    fn public_key_info(&self) -> Result<PublicKeyInfo, PublicKeyError> {
        let public_key_bitstring = BitString::from_bytes(self.0.as_bytes())
            .map_err(|_| PublicKeyError::BadPublicKeyInfo)?;
        Ok(PublicKeyInfo {
            algorithm: Ed25519Sig::algorithm_identifier(),
            public_key_bitstring,
        })
    }

    fn try_from_public_key_info(info: PublicKeyInfo) -> Result<Self, CertificateConversionError> {
        let malformed =
            |why: String| CertificateConversionError::InvalidInput(InvalidInput::Malformed(why));
        if info.algorithm != Ed25519Sig::algorithm_identifier() {
            return Err(malformed(format!(
                "not an Ed25519 key: {:?}",
                info.algorithm
            )));
        }
        let bytes: &[u8; 32] = info
            .public_key_bitstring
            .as_bytes()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| malformed("an Ed25519 key is 32 whole bytes".to_owned()))?;
        let key = VerifyingKey::from_bytes(bytes).map_err(|e| malformed(e.to_string()))?;
        if key.is_weak() {
            return Err(malformed("weak (small-order) Ed25519 key".to_owned()));
        }
        Ok(Self(key))
    }
}

/// An Ed25519 signing key with its public half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ed25519Key {
    key: SigningKey,
    public: Ed25519Public,
}

impl Ed25519Key {
    /// A fresh random key.
    pub(crate) fn generate() -> Self {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).expect("randomness");
        let key = SigningKey::from_bytes(&seed);
        let public = Ed25519Public(key.verifying_key());
        Self { key, public }
    }
}

impl PrivateKey<Ed25519Sig> for Ed25519Key {
    type PublicKey = Ed25519Public;

    fn pubkey(&self) -> Self::PublicKey {
        self.public.clone()
    }

    fn sign(&self, data: &[u8]) -> Ed25519Sig {
        Ed25519Sig(self.key.sign(data))
    }
}
