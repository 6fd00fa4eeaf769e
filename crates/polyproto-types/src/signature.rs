//! Ed25519 signatures in JSON: lowercase hex of the 64 raw bytes (docs/wire-contract.md §2).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The 64 bytes of an Ed25519 signature, as JSON carries them: emitted as lowercase hex,
/// accepted as hex (either case) or base64 (standard or URL-safe, padded or not), because
/// docs/wire-contract.md §2 asks to be liberal in what we accept.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignatureBytes([u8; 64]);

impl SignatureBytes {
    /// Wraps raw signature bytes.
    pub fn new(bytes: [u8; 64]) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }

    /// Lowercase hex, 128 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses hex or base64 of exactly 64 bytes.
    ///
    /// # Errors
    /// A message saying why the text is not a signature.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bytes = if text.len() == 128 {
            hex::decode(text).map_err(|e| format!("invalid hex signature: {e}"))?
        } else {
            [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
                .iter()
                .find_map(|engine| engine.decode(text).ok())
                .ok_or_else(|| "a signature is 128 hex characters or base64".to_owned())?
        };
        let array: [u8; 64] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("an Ed25519 signature is 64 bytes, got {}", b.len()))?;
        Ok(Self(array))
    }
}

impl From<ed25519_dalek::Signature> for SignatureBytes {
    fn from(signature: ed25519_dalek::Signature) -> Self {
        Self(signature.to_bytes())
    }
}

impl fmt::Debug for SignatureBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignatureBytes({})", self.to_hex())
    }
}

impl fmt::Display for SignatureBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for SignatureBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for SignatureBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emits_hex_and_accepts_hex_and_base64() {
        let sig = SignatureBytes::new([0xab; 64]);
        let json = serde_json::to_string(&sig).unwrap();
        assert_eq!(json, format!("\"{}\"", "ab".repeat(64)));
        assert_eq!(serde_json::from_str::<SignatureBytes>(&json).unwrap(), sig);
        let upper = format!("\"{}\"", "AB".repeat(64));
        assert_eq!(serde_json::from_str::<SignatureBytes>(&upper).unwrap(), sig);
        let b64 = format!("\"{}\"", STANDARD.encode([0xab; 64]));
        assert_eq!(serde_json::from_str::<SignatureBytes>(&b64).unwrap(), sig);
        assert!(SignatureBytes::parse("abcd").is_err());
        assert!(SignatureBytes::parse(&"zz".repeat(64)).is_err());
        assert!(SignatureBytes::parse(&STANDARD.encode([1; 63])).is_err());
    }
}
