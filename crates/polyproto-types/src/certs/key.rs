//! Ed25519 keys inside X.509 structures, and strict signature checks (polyproto core §6.5).

use der::oid::ObjectIdentifier;
use ed25519_dalek::{Signature, VerifyingKey};
use spki::SubjectPublicKeyInfoOwned;

use super::KeyError;

/// The Ed25519 algorithm identifier, 1.3.101.112 (RFC 8410 §3).
pub const ED25519_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// The Ed25519 key in a SubjectPublicKeyInfo, refusing other algorithms, parameters, wrong
/// lengths, invalid points and weak (small-order) keys.
///
/// # Errors
/// The [`KeyError`] of the first rule broken.
pub fn verifying_key_from_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<VerifyingKey, KeyError> {
    check_ed25519_algorithm(&spki.algorithm.oid, spki.algorithm.parameters.is_some())?;
    let raw = spki
        .subject_public_key
        .as_bytes()
        .ok_or(KeyError::Length(0))?;
    let bytes: &[u8; 32] = raw.try_into().map_err(|_| KeyError::Length(raw.len()))?;
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::InvalidPoint)?;
    if key.is_weak() {
        return Err(KeyError::WeakKey);
    }
    Ok(key)
}

/// Checks an algorithm identifier is Ed25519 without parameters (RFC 8410 §3).
pub(crate) fn check_ed25519_algorithm(
    oid: &ObjectIdentifier,
    has_parameters: bool,
) -> Result<(), KeyError> {
    if *oid != ED25519_OID {
        return Err(KeyError::NotEd25519(oid.to_string()));
    }
    if has_parameters {
        return Err(KeyError::Parameters);
    }
    Ok(())
}

/// Verifies an Ed25519 signature with `verify_strict`: non-canonical (malleable) signatures
/// and weak keys are refused.
///
/// # Errors
/// [`KeyError::SignatureLength`] or [`KeyError::BadSignature`].
pub fn verify_strict(key: &VerifyingKey, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
    let bytes: &[u8; 64] = signature
        .try_into()
        .map_err(|_| KeyError::SignatureLength(signature.len()))?;
    key.verify_strict(message, &Signature::from_bytes(bytes))
        .map_err(|_| KeyError::BadSignature)
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer, SigningKey};
    use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

    use super::*;

    fn spki_of(bytes: &[u8]) -> SubjectPublicKeyInfoOwned {
        SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: ED25519_OID,
                parameters: None,
            },
            subject_public_key: der::asn1::BitString::from_bytes(bytes).unwrap(),
        }
    }

    #[test]
    fn accepts_a_real_key_and_refuses_weak_ones() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let parsed = verifying_key_from_spki(&spki_of(key.verifying_key().as_bytes())).unwrap();
        assert_eq!(parsed, key.verifying_key());
        // The identity point (small order) encodes as 01 00 .. 00.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            verifying_key_from_spki(&spki_of(&identity)),
            Err(KeyError::WeakKey)
        );
        assert_eq!(
            verifying_key_from_spki(&spki_of(&[1; 31])),
            Err(KeyError::Length(31))
        );
        let mut other = spki_of(key.verifying_key().as_bytes());
        other.algorithm.oid = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
        assert!(matches!(
            verifying_key_from_spki(&other),
            Err(KeyError::NotEd25519(_))
        ));
        let mut with_params = spki_of(key.verifying_key().as_bytes());
        with_params.algorithm.parameters = Some(der::asn1::Any::null());
        assert_eq!(
            verifying_key_from_spki(&with_params),
            Err(KeyError::Parameters)
        );
    }

    #[test]
    fn strict_verification_refuses_malleated_signatures() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let sig = key.sign(b"message").to_bytes();
        verify_strict(&key.verifying_key(), b"message", &sig).unwrap();
        assert_eq!(
            verify_strict(&key.verifying_key(), b"other", &sig),
            Err(KeyError::BadSignature)
        );
        // s + l (the group order) is the classic malleation; strict verification refuses it.
        let l: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut malleated = sig;
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(malleated[32 + i]) + u16::from(l[i]) + carry;
            malleated[32 + i] = (sum & 0xff) as u8;
            carry = sum >> 8;
        }
        assert_eq!(
            verify_strict(&key.verifying_key(), b"message", &malleated),
            Err(KeyError::BadSignature)
        );
        assert_eq!(
            verify_strict(&key.verifying_key(), b"message", &sig[..63]),
            Err(KeyError::SignatureLength(63))
        );
    }
}
