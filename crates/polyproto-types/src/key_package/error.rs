//! Why a KeyPackage was refused (docs/wire-contract.md §5.1).

/// Why a KeyPackage upload was refused: one variant per rule of docs/wire-contract.md §5.1 (RFC 9420 §10.1
/// KeyPackage validation, §7.3 leaf node validation, and the polyproto server policy and
/// actor binding), so callers and tests can tell which rule fired.
///
/// The `Display` text is meant for humans: the server puts it into the `reason` of an HTTP 400
/// `P2CORE_INVALID_KEYPACKAGE` response (docs/wire-contract.md §5.1, §6).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyPackageError {
    /// The JSON string is not standard base64 (docs/wire-contract.md §2, §5.1).
    #[error("KeyPackage is not valid standard base64: {0}")]
    Base64(String),
    /// No bytes at all.
    #[error("KeyPackage is empty")]
    Empty,
    /// The bytes are not a TLS-encoded `MLSMessage` or `KeyPackage` (RFC 9420 §6, §10):
    /// truncated, unknown enum value, non-minimal length, and so on.
    #[error("KeyPackage could not be decoded: {0}")]
    Decode(String),
    /// Bytes left over after the TLS encoding (docs/wire-contract.md §5.1: decoding is exact).
    #[error("KeyPackage has trailing bytes after its TLS encoding")]
    TrailingBytes,
    /// An `MLSMessage` whose `wire_format` is not `mls_key_package` (RFC 9420 §6).
    #[error("MLSMessage has wire format {0}, expected mls_key_package (5)")]
    WrongWireFormat(u16),
    /// The protocol version is not `mls10` (RFC 9420 §10.1).
    #[error("KeyPackage protocol version is not MLS 1.0")]
    ProtocolVersion,
    /// The KeyPackage signature does not verify with the leaf signature key (RFC 9420 §10.1).
    #[error("KeyPackage signature is invalid")]
    InvalidSignature,
    /// The leaf node signature does not verify with the leaf signature key (RFC 9420 §7.3).
    #[error("KeyPackage leaf node signature is invalid")]
    InvalidLeafSignature,
    /// The leaf node's `leaf_node_source` is not `key_package` (RFC 9420 §7.3).
    #[error("KeyPackage leaf node source is not key_package")]
    InvalidLeafNodeSource,
    /// `init_key` equals the leaf `encryption_key` (RFC 9420 §10.1).
    #[error("KeyPackage init key equals the leaf node encryption key")]
    InitKeyEqualsEncryptionKey,
    /// A KeyPackage extension that is not listed in the leaf capabilities (RFC 9420 §10.1,
    /// §7.2), e.g. `last_resort` without `last_resort` in `capabilities.extensions`.
    #[error("KeyPackage carries an extension that its leaf capabilities do not list")]
    UnsupportedExtension,
    /// An extension type that is not allowed in a KeyPackage's `extensions` (RFC 9420 §17.3).
    #[error("KeyPackage carries an extension type that is not allowed in KeyPackages")]
    InvalidExtensionType,
    /// A leaf node extension that is not listed in the leaf capabilities (RFC 9420 §7.3).
    #[error("KeyPackage leaf node carries extension {0:#06x} that its capabilities do not list")]
    UnsupportedLeafExtension(u16),
    /// The leaf node has no lifetime (RFC 9420 §7.2: required for `key_package` leaves).
    #[error("KeyPackage leaf node has no lifetime")]
    MissingLifetime,
    /// `not_after` has passed (RFC 9420 §7.3).
    #[error("KeyPackage expired: not_after={not_after}, now={now}")]
    Expired {
        /// The package's `not_after`, unix seconds.
        not_after: u64,
        /// The time it was checked against, unix seconds.
        now: u64,
    },
    /// `not_before` has not been reached (RFC 9420 §7.3).
    #[error("KeyPackage is not valid yet: not_before={not_before}, now={now}")]
    NotYetValid {
        /// The package's `not_before`, unix seconds.
        not_before: u64,
        /// The time it was checked against, unix seconds.
        now: u64,
    },
    /// `not_after - not_before` exceeds the policy maximum (docs/wire-contract.md §5.1; RFC 9420 §7.3 lets
    /// applications reject over-long lifetimes).
    #[error("KeyPackage lifetime range is {range_secs} s, longer than the allowed {max_secs} s")]
    LifetimeTooLong {
        /// `not_after - not_before`, seconds.
        range_secs: u64,
        /// The policy maximum, seconds.
        max_secs: u64,
    },
    /// The ciphersuite is not in the server's allowed set (docs/wire-contract.md §5.1).
    #[error("KeyPackage ciphersuite {0:#06x} is not allowed by this server")]
    DisallowedCiphersuite(u16),
    /// The leaf capabilities do not list the package's own ciphersuite (RFC 9420 §7.2).
    #[error("KeyPackage leaf capabilities do not list its own ciphersuite {0:#06x}")]
    CapabilitiesMissingCiphersuite(u16),
    /// The leaf capabilities do not list protocol version `mls10` (RFC 9420 §7.2).
    #[error("KeyPackage leaf capabilities do not list protocol version mls10")]
    CapabilitiesMissingVersion,
    /// The leaf capabilities do not list the credential's own type (RFC 9420 §7.3).
    #[error("KeyPackage leaf capabilities do not list its own credential type {0:#06x}")]
    CapabilitiesMissingCredentialType(u16),
    /// `init_key` has the wrong length for the ciphersuite's KEM (RFC 9420 §10; docs/wire-contract.md §5.1).
    #[error("KeyPackage init key is {actual} bytes, expected {expected}")]
    InitKeyLength {
        /// The length the ciphersuite's KEM public keys have.
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// The leaf `encryption_key` has the wrong length for the ciphersuite's KEM (RFC 9420 §7.2).
    #[error("KeyPackage leaf encryption key is {actual} bytes, expected {expected}")]
    EncryptionKeyLength {
        /// The length the ciphersuite's KEM public keys have.
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// The leaf `signature_key` is not a 32-byte Ed25519 public key (docs/wire-contract.md §5.1).
    #[error("KeyPackage signature key is {actual} bytes, expected a 32-byte Ed25519 key")]
    SignatureKeyLength {
        /// The length found.
        actual: usize,
    },
    /// The leaf `signature_key` is not the uploading session's ID-Cert key (docs/wire-contract.md §5.1).
    #[error("KeyPackage signature key is not the public key of the session's ID-Cert")]
    WrongSignatureKey,
    /// A basic credential whose identity is not the uploader's federation ID (docs/wire-contract.md §5.1;
    /// RFC 9420 §5.3.1).
    #[error("KeyPackage basic credential identity is not the actor's federation ID")]
    WrongIdentity,
    /// An X.509 credential whose first certificate is not the session's ID-Cert
    /// (docs/wire-contract.md §5.1; RFC 9420 §5.3.1).
    #[error("KeyPackage X.509 credential does not start with the session's ID-Cert")]
    WrongCertificate,
    /// An X.509 credential, but no ID-Cert to compare it with was supplied (docs/wire-contract.md §5.1).
    #[error("KeyPackage has an X.509 credential but the session has no ID-Cert to match")]
    MissingIdCert,
    /// An X.509 credential whose `certificates` vector is empty or malformed (RFC 9420 §5.3).
    #[error("KeyPackage X.509 credential has a malformed certificate chain: {0}")]
    InvalidCertificateChain(String),
    /// A credential type other than `basic` or `x509` (docs/wire-contract.md §5.1; RFC 9420 §5.3).
    #[error("KeyPackage credential type {0:#06x} is not supported")]
    UnsupportedCredential(u16),
    /// A ciphersuite selector that is neither a number nor an RFC 9420 §17.1 name
    /// (docs/wire-contract.md §5.2).
    #[error("unknown MLS ciphersuite {0:?}")]
    UnknownCiphersuite(String),
    /// The ciphersuite's hash does not give a 32-byte `KeyPackageRef` (RFC 9420 §5.2).
    #[error("KeyPackageRef is {0} bytes, only 32-byte references are supported")]
    HashRefLength(usize),
    /// Anything else (an internal openmls error).
    #[error("KeyPackage could not be processed: {0}")]
    Other(String),
}
