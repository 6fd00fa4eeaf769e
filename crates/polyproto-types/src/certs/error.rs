//! Errors of certificate and request parsing, validation and issuance.

use thiserror::Error;

use crate::names::NameError;

/// Why a key or signature is refused (polyproto core §6.5: Ed25519, checked strictly).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The algorithm is not Ed25519 (1.3.101.112).
    #[error("the key algorithm {0} is not Ed25519 (1.3.101.112)")]
    NotEd25519(String),
    /// The Ed25519 algorithm identifier carries parameters, which RFC 8410 §3 forbids.
    #[error("the Ed25519 algorithm identifier must not carry parameters")]
    Parameters,
    /// The key is not 32 bytes, or its BIT STRING has unused bits.
    #[error("an Ed25519 public key is 32 bytes; got {0}")]
    Length(usize),
    /// The bytes do not encode a point on the curve.
    #[error("the Ed25519 public key is not a valid curve point")]
    InvalidPoint,
    /// The key is of small order, which would let one signature verify for many messages.
    #[error("the Ed25519 public key is weak (of small order)")]
    WeakKey,
    /// The signature is not 64 bytes.
    #[error("an Ed25519 signature is 64 bytes; got {0}")]
    SignatureLength(usize),
    /// The signature does not verify under `verify_strict` (this includes malleable
    /// signatures with a non-canonical `s`).
    #[error("the signature does not verify")]
    BadSignature,
}

/// Why an ID-Cert or ID-CSR is refused, or could not be made.
///
/// Each rule has its own variant so that callers and tests can tell which one fired.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CertError {
    /// The input is not PEM with the expected label.
    #[error("not a PEM {label}: {reason}")]
    Pem {
        /// The PEM label expected.
        label: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The input is neither PEM nor standard base64.
    #[error("not PEM and not base64 DER: {0}")]
    Base64(String),
    /// The DER does not decode as the expected structure.
    #[error("malformed DER: {0}")]
    Der(String),
    /// Bytes follow the DER structure.
    #[error("trailing bytes after the DER structure")]
    TrailingBytes,
    /// The DER decodes but does not re-encode to the same bytes (not canonical DER).
    #[error("the encoding is not canonical DER")]
    NonCanonical,
    /// Not an X.509 v3 certificate (or not a v1 PKCS#10 request).
    #[error("unsupported version; polyproto uses X.509 v3 certificates and v1 requests")]
    Version,
    /// The signature algorithm is not Ed25519, or the inner and outer algorithms differ.
    #[error("the signature algorithm must be Ed25519 without parameters, the same inside and out")]
    SignatureAlgorithm,
    /// The subject public key is unusable.
    #[error("subject public key: {0}")]
    Key(#[from] KeyError),
    /// The serial number is zero, negative or longer than 20 bytes (RFC 5280 §4.1.2.2).
    #[error("the serial number must be a positive integer of at most 20 bytes")]
    Serial,
    /// issuerUniqueID or subjectUniqueID is present (RFC 5280 §4.1.2.8).
    #[error("unique identifiers in the TBS certificate are not allowed")]
    UniqueIdPresent,
    /// The issuer is not a home-server pDN.
    #[error("issuer: {0}")]
    Issuer(NameError),
    /// The subject is not a pDN of the expected kind.
    #[error("subject: {0}")]
    Subject(NameError),
    /// The domain components of issuer and subject differ (polyproto core §6.1.1).
    #[error("the issuer domain {issuer} differs from the subject domain {subject}")]
    DomainMismatch {
        /// The issuer's domain.
        issuer: String,
        /// The subject's domain.
        subject: String,
    },
    /// The certificate has no extensions.
    #[error("the certificate has no extensions; basicConstraints and keyUsage are required")]
    MissingExtensions,
    /// A required extension is missing.
    #[error("the {0} extension is missing")]
    MissingExtension(&'static str),
    /// An extension other than basicConstraints and keyUsage, or one of them twice.
    #[error("unexpected extension {0}; an ID-Cert carries exactly basicConstraints and keyUsage")]
    UnexpectedExtension(String),
    /// The two extensions are not in the order basicConstraints, keyUsage.
    #[error("the extensions must be basicConstraints, then keyUsage")]
    ExtensionOrder,
    /// An extension is not marked critical (polyproto core §6.1.1.2).
    #[error("the {0} extension must be critical")]
    NonCriticalExtension(&'static str),
    /// An extension value does not decode.
    #[error("the {0} extension value is malformed")]
    MalformedExtension(&'static str),
    /// An actor certificate or request has the CA flag or a path length.
    #[error("an actor certificate must not be a CA")]
    ActorIsCa,
    /// An actor certificate or request has keyCertSign.
    #[error("an actor certificate must not have the keyCertSign key usage")]
    ActorKeyCertSign,
    /// An actor certificate has neither digitalSignature nor contentCommitment, or a key
    /// usage beyond them.
    #[error("an actor certificate's key usage is digitalSignature or contentCommitment only")]
    ActorKeyUsage,
    /// A home-server certificate without the CA flag.
    #[error("a home-server certificate must be a CA")]
    HomeServerNotCa,
    /// A home-server certificate whose path length constraint is not 0.
    #[error("a home-server certificate must have a path length constraint of 0")]
    PathLength,
    /// A home-server certificate without keyCertSign, or with other usages than
    /// keyCertSign and digitalSignature.
    #[error(
        "a home-server certificate's key usage is keyCertSign (and optionally digitalSignature)"
    )]
    HomeServerKeyUsage,
    /// The certificate is of the other profile than required.
    #[error("expected a {expected} certificate")]
    WrongProfile {
        /// The profile required.
        expected: &'static str,
    },
    /// notBefore is after notAfter.
    #[error("notBefore is after notAfter")]
    ValidityOrder,
    /// The certificate has expired.
    #[error("the certificate expired at {not_after}; it is now {now}")]
    Expired {
        /// notAfter, UNIX seconds.
        not_after: u64,
        /// The time of the check.
        now: u64,
    },
    /// The certificate is not valid yet.
    #[error("the certificate is valid from {not_before}; it is now {now}")]
    NotYetValid {
        /// notBefore, UNIX seconds.
        not_before: u64,
        /// The time of the check.
        now: u64,
    },
    /// The actor certificate is valid beyond its issuer's certificate (polyproto core §6.1.1).
    #[error("the certificate's validity extends beyond its issuer's certificate")]
    OutlivesIssuer,
    /// The signature does not verify under the issuer's key.
    #[error("the signature does not verify under the issuer's key")]
    BadSignature,
    /// A request asks for the CA flag (docs/wire-contract.md §4.2).
    #[error("the request asks for a CA certificate, which an actor cannot have")]
    RequestsCa,
    /// A request asks for keyCertSign (docs/wire-contract.md §4.2).
    #[error("the request asks for keyCertSign, which an actor cannot have")]
    RequestsKeyCertSign,
    /// Issuance failed (not expected for validated input).
    #[error("cannot build the certificate: {0}")]
    Build(String),
}

impl CertError {
    /// Classifies a `der` decoding error.
    pub(crate) fn from_der_error(err: der::Error) -> Self {
        match err.kind() {
            der::ErrorKind::TrailingData { .. } => Self::TrailingBytes,
            _ => Self::Der(err.to_string()),
        }
    }
}
