//! The uploaded bytes of one KeyPackage and their JSON form (docs/wire-contract.md §2, §5.1).

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::KeyPackageError;

/// Standard alphabet without padding, for input that has none; trailing bits must be zero.
const UNPADDED: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// The bytes of one KeyPackage exactly as uploaded: the TLS encoding of an `MLSMessage` with
/// wire format `mls_key_package` or of a bare `KeyPackage` (RFC 9420 §6, §10; docs/wire-contract.md §5.1).
///
/// Stored and handed out unchanged. In JSON it is a string of standard padded base64
/// (docs/wire-contract.md §2); deserialisation accepts the standard alphabet with or without padding and
/// refuses anything else. This type does not check the content: see `validate_key_package`
/// (feature `mls`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyPackagePayload(Vec<u8>);

impl KeyPackagePayload {
    /// Wraps uploaded KeyPackage bytes (docs/wire-contract.md §5.1), unchecked.
    #[must_use]
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes as uploaded (docs/wire-contract.md §5.1).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes as uploaded (docs/wire-contract.md §5.1).
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// Length in bytes, e.g. for the per-package size limit of docs/wire-contract.md §5.1.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Standard padded base64, the JSON form (docs/wire-contract.md §2, §5.1).
    #[must_use]
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.0)
    }

    /// Decodes standard base64 (padding optional) as used in JSON (docs/wire-contract.md §2, §5.1).
    ///
    /// # Errors
    /// [`KeyPackageError::Base64`] if `s` is not standard base64.
    pub fn from_base64(s: &str) -> Result<Self, KeyPackageError> {
        // Padded input must be padded canonically ("qw==", not "qw="); unpadded is tolerated.
        let engine = if s.ends_with('=') {
            &STANDARD
        } else {
            &UNPADDED
        };
        engine
            .decode(s)
            .map(Self)
            .map_err(|e| KeyPackageError::Base64(e.to_string()))
    }
}

impl fmt::Debug for KeyPackagePayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyPackagePayload({} bytes)", self.0.len())
    }
}

impl From<Vec<u8>> for KeyPackagePayload {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl From<KeyPackagePayload> for Vec<u8> {
    fn from(payload: KeyPackagePayload) -> Self {
        payload.0
    }
}

impl AsRef<[u8]> for KeyPackagePayload {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Serialize for KeyPackagePayload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for KeyPackagePayload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Base64Visitor;

        impl Visitor<'_> for Base64Visitor {
            type Value = KeyPackagePayload;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a KeyPackage as a standard base64 string")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                KeyPackagePayload::from_base64(v).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(Base64Visitor)
    }
}
