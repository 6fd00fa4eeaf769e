//! KeyPackage upload validation (RFC 9420 §10.1 and §7.3 through openmls, plus the policy and
//! actor binding of docs/wire-contract.md §5.1).

use std::sync::LazyLock;

use openmls::prelude::{
    BasicCredential, CredentialType, KeyPackage, KeyPackageIn, KeyPackageVerifyError,
    MlsMessageBodyIn, MlsMessageIn, ProtocolVersion, VerifiableCiphersuite,
};
use openmls::treesync::errors::LifetimeError;
use openmls_rust_crypto::RustCrypto;
use tls_codec::{Deserialize as _, DeserializeBytes as _, Serialize as _, VLBytes};

use super::{KeyPackageError, KeyPackagePayload, MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519};

/// Verify-only crypto shared by every validation; `RustCrypto` is `Send + Sync` and needs no
/// storage (only signature verification and hashing are used).
static CRYPTO: LazyLock<RustCrypto> = LazyLock::new(RustCrypto::default);

/// Default maximum `not_after - not_before`: 90 days (docs/wire-contract.md §5.1).
const DEFAULT_MAX_LIFETIME_SECS: u64 = 90 * 24 * 60 * 60;

/// `MLSMessage` header of a KeyPackage: version `mls10`, wire format `mls_key_package`
/// (RFC 9420 §6).
const MLS_MESSAGE_KEY_PACKAGE_HEADER: [u8; 4] = [0x00, 0x01, 0x00, 0x05];

/// `ProtocolVersion` `mls10` as encoded (RFC 9420 §6).
const MLS10: [u8; 2] = [0x00, 0x01];

/// Server policy for uploaded KeyPackages (docs/wire-contract.md §5.1; settings of the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPackagePolicy {
    /// Ciphersuites (RFC 9420 §17.1 values) a KeyPackage may use.
    pub allowed_ciphersuites: Vec<u16>,
    /// Maximum `not_after - not_before` of the leaf lifetime (RFC 9420 §7.2), seconds.
    pub max_lifetime_secs: u64,
}

impl Default for KeyPackagePolicy {
    /// Only `MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519` (0x0001, polyproto-mls §1.1) and at
    /// most 90 days (docs/wire-contract.md §5.1).
    fn default() -> Self {
        Self {
            allowed_ciphersuites: vec![MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519],
            max_lifetime_secs: DEFAULT_MAX_LIFETIME_SECS,
        }
    }
}

impl KeyPackagePolicy {
    /// Whether `ciphersuite` is in [`Self::allowed_ciphersuites`] (docs/wire-contract.md §5.1, §5.2).
    #[must_use]
    pub fn allows_ciphersuite(&self, ciphersuite: u16) -> bool {
        self.allowed_ciphersuites.contains(&ciphersuite)
    }
}

/// Who is uploading: the package must be bound to this actor and session (docs/wire-contract.md §5.1; the
/// home server acting as MLS Authentication Service, polyproto-mls §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPackageBinding<'a> {
    /// Ed25519 public key of the uploading session's current ID-Cert; the leaf
    /// `signature_key` must equal it.
    pub signature_key: &'a [u8; 32],
    /// The actor's federation ID (e.g. `alice@example.com`); a basic credential's identity must
    /// be exactly these bytes (RFC 9420 §5.3.1).
    pub identity: &'a str,
    /// DER of the uploading session's ID-Cert; an X.509 credential's first certificate must be
    /// exactly these bytes. `None` refuses X.509 credentials.
    pub id_cert_der: Option<&'a [u8]>,
}

/// The kind of MLS credential in the leaf node (RFC 9420 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// `basic` (1): the identity is the actor's federation ID.
    Basic,
    /// `x509` (2): the first certificate is the session's ID-Cert.
    X509,
}

/// How the KeyPackage was framed on upload (docs/wire-contract.md §5.1; RFC 9420 §6, §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyPackageFormat {
    /// An `MLSMessage` with wire format `mls_key_package` (bytes start `00 01 00 05`).
    MlsMessage,
    /// A bare `KeyPackage`.
    Bare,
}

/// A KeyPackage that passed every check of docs/wire-contract.md §5.1 (RFC 9420 §10.1), with the facts the
/// server stores about it. The uploaded bytes are kept unchanged.
#[derive(Debug, Clone)]
pub struct ValidatedKeyPackage {
    payload: Vec<u8>,
    format: KeyPackageFormat,
    key_package: KeyPackage,
    ciphersuite: u16,
    signature_key: [u8; 32],
    credential_kind: CredentialKind,
    credential_identity: Vec<u8>,
    not_before: u64,
    not_after: u64,
    last_resort: bool,
    hash_ref: [u8; 32],
}

impl ValidatedKeyPackage {
    /// The ciphersuite value (RFC 9420 §17.1), e.g. `0x0001`.
    #[must_use]
    pub fn ciphersuite(&self) -> u16 {
        self.ciphersuite
    }

    /// The leaf `signature_key`, a raw Ed25519 public key (RFC 9420 §7.2; docs/wire-contract.md §5.1).
    #[must_use]
    pub fn signature_key(&self) -> [u8; 32] {
        self.signature_key
    }

    /// The credential kind (RFC 9420 §5.3).
    #[must_use]
    pub fn credential_kind(&self) -> CredentialKind {
        self.credential_kind
    }

    /// The basic credential's identity, or the DER of the X.509 credential's first certificate
    /// (RFC 9420 §5.3).
    #[must_use]
    pub fn credential_identity(&self) -> Vec<u8> {
        self.credential_identity.clone()
    }

    /// Leaf lifetime start, unix seconds (RFC 9420 §7.2).
    #[must_use]
    pub fn not_before(&self) -> u64 {
        self.not_before
    }

    /// Leaf lifetime end (exclusive), unix seconds (RFC 9420 §7.2). Re-check it at claim time.
    #[must_use]
    pub fn not_after(&self) -> u64 {
        self.not_after
    }

    /// Whether the package carries the `last_resort` extension (0x000A,
    /// draft-ietf-mls-extensions; docs/wire-contract.md §5.3).
    #[must_use]
    pub fn is_last_resort(&self) -> bool {
        self.last_resort
    }

    /// The `KeyPackageRef` (RFC 9420 §5.2): `RefHash("MLS 1.0 KeyPackage Reference", KeyPackage)`.
    /// The same for the `MLSMessage` and bare forms; Welcome messages name new members by it.
    #[must_use]
    pub fn hash_ref(&self) -> [u8; 32] {
        self.hash_ref
    }

    /// How the package was framed on upload (docs/wire-contract.md §5.1).
    #[must_use]
    pub fn format(&self) -> KeyPackageFormat {
        self.format
    }

    /// The bytes exactly as uploaded (docs/wire-contract.md §5.1: kept and handed out unchanged).
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The bytes exactly as uploaded (docs/wire-contract.md §5.1).
    #[must_use]
    pub fn into_payload(self) -> KeyPackagePayload {
        KeyPackagePayload::new(self.payload)
    }

    /// The verified openmls KeyPackage (RFC 9420 §10), e.g. for `MlsGroup::add_members`.
    #[must_use]
    pub fn key_package(&self) -> &KeyPackage {
        &self.key_package
    }
}

/// Validates one uploaded KeyPackage and binds it to the uploader: every check of docs/wire-contract.md
/// §5.1, which are RFC 9420 §10.1 "KeyPackage Validation" and the §7.3 leaf node checks that
/// apply without a group, the server `policy`, and the `binding` to the uploading actor and
/// session (polyproto-mls §2: the home server is the Authentication Service).
///
/// In order:
/// 1. decode `payload` as an `MLSMessage` with wire format `mls_key_package`, else as a bare
///    `KeyPackage` (RFC 9420 §6, §10), both exactly (no trailing bytes);
/// 2. ciphersuite in `policy.allowed_ciphersuites`;
/// 3. openmls `validate` with protocol version `mls10`: leaf node signature and source, version,
///    init key ≠ encryption key, KeyPackage signature, KeyPackage extensions listed in the
///    capabilities, lifetime valid at the system clock;
/// 4. lifetime valid at `now_unix` (`not_before <= now_unix < not_after`) and
///    `not_after - not_before <= policy.max_lifetime_secs`;
/// 5. leaf capabilities list the own ciphersuite, `mls10` and the own credential type; leaf
///    extensions are listed in the capabilities (RFC 9420 §7.2, §7.3);
/// 6. init key and leaf encryption key have the KEM's public key length, the signature key is
///    32 bytes (Ed25519);
/// 7. leaf signature key = `binding.signature_key`; a basic credential's identity =
///    `binding.identity`; an X.509 credential's first certificate = `binding.id_cert_der`;
///    any other credential type is refused;
/// 8. compute the `KeyPackageRef` (RFC 9420 §5.2).
///
/// # Errors
/// The [`KeyPackageError`] variant of the first rule that fails.
pub fn validate_key_package(
    payload: &[u8],
    policy: &KeyPackagePolicy,
    binding: &KeyPackageBinding<'_>,
    now_unix: u64,
) -> Result<ValidatedKeyPackage, KeyPackageError> {
    let (key_package_in, format) = decode(payload)?;

    // The ciphersuite before spending signature verifications on it, so that a suite the crypto
    // backend cannot verify reports as "not allowed" rather than "bad signature".
    let suite_at = match format {
        KeyPackageFormat::MlsMessage => MLS_MESSAGE_KEY_PACKAGE_HEADER.len() + MLS10.len(),
        KeyPackageFormat::Bare => MLS10.len(),
    };
    let raw_suite = payload
        .get(suite_at..suite_at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| KeyPackageError::Decode("truncated ciphersuite".to_owned()))?;
    if !policy.allows_ciphersuite(raw_suite) {
        return Err(KeyPackageError::DisallowedCiphersuite(raw_suite));
    }

    let key_package = key_package_in
        .validate(&*CRYPTO, ProtocolVersion::Mls10)
        .map_err(map_verify_error)?;

    let ciphersuite = key_package.ciphersuite();
    let suite = u16::from(ciphersuite);
    // Same value as `raw_suite` (fixed position in the encoding); re-checked on the decoded form.
    if !policy.allows_ciphersuite(suite) {
        return Err(KeyPackageError::DisallowedCiphersuite(suite));
    }

    // Lifetime against the caller's clock, and its range.
    let lifetime = key_package.life_time();
    let (not_before, not_after) = (lifetime.not_before(), lifetime.not_after());
    if now_unix < not_before {
        return Err(KeyPackageError::NotYetValid {
            not_before,
            now: now_unix,
        });
    }
    if now_unix >= not_after {
        return Err(KeyPackageError::Expired {
            not_after,
            now: now_unix,
        });
    }
    let range_secs = not_after.saturating_sub(not_before);
    if range_secs > policy.max_lifetime_secs {
        return Err(KeyPackageError::LifetimeTooLong {
            range_secs,
            max_secs: policy.max_lifetime_secs,
        });
    }

    // Capabilities (RFC 9420 §7.2, §7.3): what openmls' validate lets through.
    let leaf = key_package.leaf_node();
    let capabilities = leaf.capabilities();
    if !capabilities
        .ciphersuites()
        .contains(&VerifiableCiphersuite::from(ciphersuite))
    {
        return Err(KeyPackageError::CapabilitiesMissingCiphersuite(suite));
    }
    if !capabilities.versions().contains(&ProtocolVersion::Mls10) {
        return Err(KeyPackageError::CapabilitiesMissingVersion);
    }
    let credential = leaf.credential();
    let credential_type = credential.credential_type();
    if !capabilities.credentials().contains(&credential_type) {
        return Err(KeyPackageError::CapabilitiesMissingCredentialType(
            u16::from(credential_type),
        ));
    }
    for extension in leaf.extensions().iter() {
        let extension_type = extension.extension_type();
        let value = u16::from(extension_type);
        // Types 0x0001..=0x0005 are RFC 9420 §17.3 "default" types, implicitly supported.
        if !is_default_extension(value) && !capabilities.extensions().contains(&extension_type) {
            return Err(KeyPackageError::UnsupportedLeafExtension(value));
        }
    }

    // Key lengths.
    if let Some(expected) = kem_public_key_len(suite) {
        let actual = key_package.hpke_init_key().as_slice().len();
        if actual != expected {
            return Err(KeyPackageError::InitKeyLength { expected, actual });
        }
        let actual = encryption_key_len(&key_package)?;
        if actual != expected {
            return Err(KeyPackageError::EncryptionKeyLength { expected, actual });
        }
    }
    let signature_key_bytes = leaf.signature_key().as_slice();
    let signature_key = <[u8; 32]>::try_from(signature_key_bytes).map_err(|_| {
        KeyPackageError::SignatureKeyLength {
            actual: signature_key_bytes.len(),
        }
    })?;

    // Binding to the uploader (docs/wire-contract.md §5.1).
    if signature_key != *binding.signature_key {
        return Err(KeyPackageError::WrongSignatureKey);
    }
    let (credential_kind, credential_identity) = match credential_type {
        CredentialType::Basic => {
            let basic = BasicCredential::try_from(credential.clone())
                .map_err(|e| KeyPackageError::Other(e.to_string()))?;
            if basic.identity() != binding.identity.as_bytes() {
                return Err(KeyPackageError::WrongIdentity);
            }
            (CredentialKind::Basic, basic.identity().to_vec())
        }
        CredentialType::X509 => {
            let first = first_certificate(credential.serialized_content())?;
            let expected = binding.id_cert_der.ok_or(KeyPackageError::MissingIdCert)?;
            if first != expected {
                return Err(KeyPackageError::WrongCertificate);
            }
            (CredentialKind::X509, first)
        }
        CredentialType::Grease(_) | CredentialType::Other(_) => {
            return Err(KeyPackageError::UnsupportedCredential(u16::from(
                credential_type,
            )));
        }
    };

    let reference = key_package
        .hash_ref(&*CRYPTO)
        .map_err(|e| KeyPackageError::Other(e.to_string()))?;
    let hash_ref = <[u8; 32]>::try_from(reference.as_slice())
        .map_err(|_| KeyPackageError::HashRefLength(reference.as_slice().len()))?;

    Ok(ValidatedKeyPackage {
        payload: payload.to_vec(),
        format,
        last_resort: key_package.last_resort(),
        key_package,
        ciphersuite: suite,
        signature_key,
        credential_kind,
        credential_identity,
        not_before,
        not_after,
        hash_ref,
    })
}

/// Decodes the `MLSMessage` form first, then the bare form (docs/wire-contract.md §5.1), both exactly.
fn decode(payload: &[u8]) -> Result<(KeyPackageIn, KeyPackageFormat), KeyPackageError> {
    if payload.is_empty() {
        return Err(KeyPackageError::Empty);
    }
    let message_error = match MlsMessageIn::tls_deserialize_exact(payload) {
        Ok(message) => {
            let wire_format = message.wire_format() as u16;
            if let MlsMessageBodyIn::KeyPackage(key_package) = message.extract() {
                return Ok((key_package, KeyPackageFormat::MlsMessage));
            }
            // Some other MLSMessage; unless the bytes also happen to be a bare KeyPackage.
            return KeyPackageIn::tls_deserialize_exact(payload)
                .map(|kp| (kp, KeyPackageFormat::Bare))
                .map_err(|_| KeyPackageError::WrongWireFormat(wire_format));
        }
        Err(e) => e,
    };
    let bare_error = match KeyPackageIn::tls_deserialize_exact(payload) {
        Ok(key_package) => return Ok((key_package, KeyPackageFormat::Bare)),
        Err(e) => e,
    };
    // Neither decoded. Both forms start with a ProtocolVersion (RFC 9420 §6, §10): a plausible
    // one (`00 xx`) other than mls10 is reported as such; otherwise report the error of the form
    // the bytes claim to be.
    let (version, decode_error) = if payload.starts_with(&MLS_MESSAGE_KEY_PACKAGE_HEADER) {
        (
            &payload[MLS_MESSAGE_KEY_PACKAGE_HEADER.len()..],
            &message_error,
        )
    } else {
        (payload, &bare_error)
    };
    if version.len() >= MLS10.len() && version[0] == 0 && version[..MLS10.len()] != MLS10 {
        return Err(KeyPackageError::ProtocolVersion);
    }
    Err(map_codec_error(decode_error))
}

fn map_codec_error(error: &tls_codec::Error) -> KeyPackageError {
    match error {
        tls_codec::Error::TrailingData => KeyPackageError::TrailingBytes,
        tls_codec::Error::EndOfStream => {
            KeyPackageError::Decode("truncated: unexpected end of data".to_owned())
        }
        tls_codec::Error::UnknownValue(v) => {
            KeyPackageError::Decode(format!("unknown enum value {v:#06x}"))
        }
        tls_codec::Error::InvalidVectorLength => {
            KeyPackageError::Decode("invalid (non-minimal or oversized) vector length".to_owned())
        }
        other => KeyPackageError::Decode(other.to_string()),
    }
}

fn map_verify_error(error: KeyPackageVerifyError) -> KeyPackageError {
    match error {
        KeyPackageVerifyError::LibraryError(e) => KeyPackageError::Other(e.to_string()),
        KeyPackageVerifyError::LifetimeError(LifetimeError::Expired { not_after, now }) => {
            KeyPackageError::Expired { not_after, now }
        }
        KeyPackageVerifyError::LifetimeError(LifetimeError::NotValidYet { not_before, now }) => {
            KeyPackageError::NotYetValid { not_before, now }
        }
        KeyPackageVerifyError::LifetimeError(e @ LifetimeError::SystemTimeBeforeUnixEpoch) => {
            KeyPackageError::Other(e.to_string())
        }
        KeyPackageVerifyError::MissingLifetime => KeyPackageError::MissingLifetime,
        KeyPackageVerifyError::UnsupportedExtension => KeyPackageError::UnsupportedExtension,
        KeyPackageVerifyError::InvalidSignature => KeyPackageError::InvalidSignature,
        KeyPackageVerifyError::InvalidLeafNodeSignature => KeyPackageError::InvalidLeafSignature,
        KeyPackageVerifyError::InvalidLeafNodeSourceType => KeyPackageError::InvalidLeafNodeSource,
        KeyPackageVerifyError::InitKeyEqualsEncryptionKey => {
            KeyPackageError::InitKeyEqualsEncryptionKey
        }
        KeyPackageVerifyError::InvalidProtocolVersion => KeyPackageError::ProtocolVersion,
        KeyPackageVerifyError::ExtensionTypeNotValidInKeyPackage(_) => {
            KeyPackageError::InvalidExtensionType
        }
    }
}

/// RFC 9420 §17.3: extension types 0x0001..=0x0005 are "default" and need no capability.
fn is_default_extension(value: u16) -> bool {
    (0x0001..=0x0005).contains(&value)
}

/// Public key length of the ciphersuite's HPKE KEM (RFC 9420 §17.1; RFC 9180 §7.1: `Npk`);
/// `None` for suites this table does not know (no length check then).
fn kem_public_key_len(suite: u16) -> Option<usize> {
    match suite {
        0x0001 | 0x0003 => Some(32), // DHKEM(X25519)
        0x0002 => Some(65),          // DHKEM(P-256), uncompressed
        0x0004 | 0x0006 => Some(56), // DHKEM(X448)
        0x0005 => Some(133),         // DHKEM(P-521), uncompressed
        0x0007 => Some(97),          // DHKEM(P-384), uncompressed
        _ => None,
    }
}

/// Length of the leaf `encryption_key`; openmls has no public byte accessor, so strip the
/// TLS variable-length prefix from its encoding.
fn encryption_key_len(key_package: &KeyPackage) -> Result<usize, KeyPackageError> {
    let encoded = key_package
        .leaf_node()
        .encryption_key()
        .tls_serialize_detached()
        .map_err(|e| KeyPackageError::Other(e.to_string()))?;
    let key = VLBytes::tls_deserialize_exact(encoded.as_slice())
        .map_err(|e| KeyPackageError::Other(e.to_string()))?;
    Ok(key.as_slice().len())
}

/// The first `cert_data` of an X.509 credential's `certificates<V>` content (RFC 9420 §5.3):
/// a concatenation of `opaque cert_data<V>`, end-entity certificate first. Every entry must be
/// a non-empty, minimally length-encoded vector.
fn first_certificate(content: &[u8]) -> Result<Vec<u8>, KeyPackageError> {
    let mut rest = content;
    let mut first: Option<Vec<u8>> = None;
    while !rest.is_empty() {
        let (certificate, tail) = VLBytes::tls_deserialize_bytes(rest).map_err(|e| {
            KeyPackageError::InvalidCertificateChain(map_codec_error(&e).to_string())
        })?;
        if certificate.as_slice().is_empty() {
            return Err(KeyPackageError::InvalidCertificateChain(
                "empty certificate".to_owned(),
            ));
        }
        first.get_or_insert_with(|| certificate.as_slice().to_vec());
        rest = tail;
    }
    first.ok_or_else(|| KeyPackageError::InvalidCertificateChain("no certificates".to_owned()))
}
