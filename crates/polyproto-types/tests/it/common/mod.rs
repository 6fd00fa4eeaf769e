//! The committed conformance vectors (`conformance-fixtures/vectors`, made by
//! `cargo xtask fixtures`), and names for the error variants they expect.

use std::path::PathBuf;

use polyproto_types::api::{
    add_key_packages, claim_key_packages, create_id_cert, create_session, error,
    get_actor_id_certs, get_challenge, get_server_id_cert, health, identify, register,
    replace_last_resort_key_package, rotate_session_id_cert, well_known,
};
use polyproto_types::cache::CacheError;
use polyproto_types::certs::{CertError, KeyError};
use polyproto_types::challenge::ChallengeError;
use polyproto_types::key_package::KeyPackageError;
use polyproto_types::names::NameError;
use polyproto_types::wire::to_jcs;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// `conformance-fixtures/vectors`.
pub(crate) fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../conformance-fixtures/vectors")
}

/// The bytes of a vector file.
pub(crate) fn read(file: &str) -> Vec<u8> {
    let path = vectors_dir().join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The text of a vector file.
pub(crate) fn text(file: &str) -> String {
    String::from_utf8(read(file)).unwrap_or_else(|e| panic!("{file} is not UTF-8: {e}"))
}

/// `manifest.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Manifest {
    #[expect(
        dead_code,
        reason = "the manifest lists it; deny_unknown_fields needs it declared"
    )]
    pub(crate) generator: String,
    #[expect(
        dead_code,
        reason = "the manifest lists it; deny_unknown_fields needs it declared"
    )]
    pub(crate) description: String,
    pub(crate) now: u64,
    pub(crate) key_package_policy: Policy,
    pub(crate) vectors: Vec<Entry>,
}

/// The KeyPackage policy of the vectors.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Policy {
    pub(crate) allowed_ciphersuites: Vec<u16>,
    pub(crate) max_lifetime_secs: u64,
}

/// Whom a KeyPackage must be bound to.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Binding {
    pub(crate) identity: String,
    pub(crate) signature_key: String,
}

/// One vector.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Entry {
    pub(crate) file: String,
    pub(crate) kind: String,
    pub(crate) format: String,
    #[expect(
        dead_code,
        reason = "the manifest lists it; deny_unknown_fields needs it declared"
    )]
    pub(crate) description: String,
    #[expect(
        dead_code,
        reason = "the manifest lists it; deny_unknown_fields needs it declared"
    )]
    pub(crate) rule: String,
    pub(crate) producer: Option<String>,
    pub(crate) check: String,
    pub(crate) expect: String,
    pub(crate) error: Option<String>,
    pub(crate) issuer: Option<String>,
    pub(crate) signer: Option<String>,
    pub(crate) public_key: Option<String>,
    pub(crate) seed: Option<String>,
    pub(crate) binding: Option<Binding>,
    pub(crate) last_resort: Option<bool>,
    pub(crate) api_type: Option<String>,
}

impl Entry {
    /// Whether this is a positive vector.
    pub(crate) fn is_valid(&self) -> bool {
        match self.expect.as_str() {
            "valid" => true,
            "invalid" => false,
            other => panic!("{}: unknown expectation {other:?}", self.file),
        }
    }
}

/// The parsed manifest.
pub(crate) fn manifest() -> Manifest {
    serde_json::from_slice(&read("manifest.json")).expect("manifest.json matches its schema")
}

/// The entries of one kind that are valid.
pub(crate) fn valid_of_kind<'a>(manifest: &'a Manifest, kind: &str) -> Vec<&'a Entry> {
    manifest
        .vectors
        .iter()
        .filter(|e| e.kind == kind && e.is_valid())
        .collect()
}

/// The variant name of a [`CertError`], nested ones joined with `::`.
pub(crate) fn cert_error(error: &CertError) -> String {
    let name = match error {
        CertError::Pem { .. } => "Pem",
        CertError::Base64(_) => "Base64",
        CertError::Der(_) => "Der",
        CertError::TrailingBytes => "TrailingBytes",
        CertError::NonCanonical => "NonCanonical",
        CertError::Version => "Version",
        CertError::SignatureAlgorithm => "SignatureAlgorithm",
        CertError::Key(inner) => return format!("Key::{}", key_error(inner)),
        CertError::Serial => "Serial",
        CertError::UniqueIdPresent => "UniqueIdPresent",
        CertError::Issuer(inner) => return format!("Issuer::{}", name_error(inner)),
        CertError::Subject(inner) => return format!("Subject::{}", name_error(inner)),
        CertError::DomainMismatch { .. } => "DomainMismatch",
        CertError::MissingExtensions => "MissingExtensions",
        CertError::MissingExtension(_) => "MissingExtension",
        CertError::UnexpectedExtension(_) => "UnexpectedExtension",
        CertError::ExtensionOrder => "ExtensionOrder",
        CertError::NonCriticalExtension(_) => "NonCriticalExtension",
        CertError::MalformedExtension(_) => "MalformedExtension",
        CertError::ActorIsCa => "ActorIsCa",
        CertError::ActorKeyCertSign => "ActorKeyCertSign",
        CertError::ActorKeyUsage => "ActorKeyUsage",
        CertError::HomeServerNotCa => "HomeServerNotCa",
        CertError::PathLength => "PathLength",
        CertError::HomeServerKeyUsage => "HomeServerKeyUsage",
        CertError::WrongProfile { .. } => "WrongProfile",
        CertError::ValidityOrder => "ValidityOrder",
        CertError::Expired { .. } => "Expired",
        CertError::NotYetValid { .. } => "NotYetValid",
        CertError::OutlivesIssuer => "OutlivesIssuer",
        CertError::BadSignature => "BadSignature",
        CertError::RequestsCa => "RequestsCa",
        CertError::RequestsKeyCertSign => "RequestsKeyCertSign",
        CertError::Build(_) => "Build",
        _ => "unnamed CertError variant: add it to tests/it/common",
    };
    name.to_owned()
}

/// The variant name of a [`KeyError`].
pub(crate) fn key_error(error: &KeyError) -> &'static str {
    match error {
        KeyError::NotEd25519(_) => "NotEd25519",
        KeyError::Parameters => "Parameters",
        KeyError::Length(_) => "Length",
        KeyError::InvalidPoint => "InvalidPoint",
        KeyError::WeakKey => "WeakKey",
        KeyError::SignatureLength(_) => "SignatureLength",
        KeyError::BadSignature => "BadSignature",
        _ => "unnamed KeyError variant: add it to tests/it/common",
    }
}

/// The variant name of a [`NameError`].
pub(crate) fn name_error(error: &NameError) -> &'static str {
    match error {
        NameError::Empty { .. } => "Empty",
        NameError::TooLong { .. } => "TooLong",
        NameError::InvalidCharacter { .. } => "InvalidCharacter",
        NameError::InvalidLabel { .. } => "InvalidLabel",
        NameError::IpAddress(_) => "IpAddress",
        NameError::MissingSeparator(_) => "MissingSeparator",
        NameError::MultiValuedRdn => "MultiValuedRdn",
        NameError::RdnOrder(_) => "RdnOrder",
        NameError::UnexpectedAttribute(_) => "UnexpectedAttribute",
        NameError::MissingAttribute(_) => "MissingAttribute",
        NameError::DuplicateAttribute(_) => "DuplicateAttribute",
        NameError::WrongStringType { .. } => "WrongStringType",
        NameError::UndecodableValue(_) => "UndecodableValue",
        NameError::DomainMismatch { .. } => "DomainMismatch",
        NameError::CommonNameMismatch { .. } => "CommonNameMismatch",
        NameError::NotCanonical { .. } => "NotCanonical",
        NameError::Encoding(_) => "Encoding",
        _ => "unnamed NameError variant: add it to tests/it/common",
    }
}

/// The variant name of a [`CacheError`], nested ones joined with `::`.
pub(crate) fn cache_error(error: &CacheError) -> String {
    match error {
        CacheError::Cert(inner) => format!("Cert::{}", cert_error(inner)),
        CacheError::BadSignature => "BadSignature".to_owned(),
        CacheError::WindowOrder => "WindowOrder".to_owned(),
        CacheError::OutsideWindow { .. } => "OutsideWindow".to_owned(),
        _ => "unnamed CacheError variant: add it to tests/it/common".to_owned(),
    }
}

/// The variant name of a [`ChallengeError`], nested ones joined with `::`.
pub(crate) fn challenge_error(error: &ChallengeError) -> String {
    match error {
        ChallengeError::Length(_) => "Length".to_owned(),
        ChallengeError::Alphabet => "Alphabet".to_owned(),
        ChallengeError::Signature(inner) => format!("Signature::{}", key_error(inner)),
        _ => "unnamed ChallengeError variant: add it to tests/it/common".to_owned(),
    }
}

/// The variant name of a [`KeyPackageError`].
pub(crate) fn key_package_error(error: &KeyPackageError) -> &'static str {
    match error {
        KeyPackageError::Base64(_) => "Base64",
        KeyPackageError::Empty => "Empty",
        KeyPackageError::Decode(_) => "Decode",
        KeyPackageError::TrailingBytes => "TrailingBytes",
        KeyPackageError::WrongWireFormat(_) => "WrongWireFormat",
        KeyPackageError::ProtocolVersion => "ProtocolVersion",
        KeyPackageError::InvalidSignature => "InvalidSignature",
        KeyPackageError::InvalidLeafSignature => "InvalidLeafSignature",
        KeyPackageError::InvalidLeafNodeSource => "InvalidLeafNodeSource",
        KeyPackageError::InitKeyEqualsEncryptionKey => "InitKeyEqualsEncryptionKey",
        KeyPackageError::UnsupportedExtension => "UnsupportedExtension",
        KeyPackageError::InvalidExtensionType => "InvalidExtensionType",
        KeyPackageError::UnsupportedLeafExtension(_) => "UnsupportedLeafExtension",
        KeyPackageError::MissingLifetime => "MissingLifetime",
        KeyPackageError::Expired { .. } => "Expired",
        KeyPackageError::NotYetValid { .. } => "NotYetValid",
        KeyPackageError::LifetimeTooLong { .. } => "LifetimeTooLong",
        KeyPackageError::DisallowedCiphersuite(_) => "DisallowedCiphersuite",
        KeyPackageError::CapabilitiesMissingCiphersuite(_) => "CapabilitiesMissingCiphersuite",
        KeyPackageError::CapabilitiesMissingVersion => "CapabilitiesMissingVersion",
        KeyPackageError::CapabilitiesMissingCredentialType(_) => {
            "CapabilitiesMissingCredentialType"
        }
        KeyPackageError::InitKeyLength { .. } => "InitKeyLength",
        KeyPackageError::EncryptionKeyLength { .. } => "EncryptionKeyLength",
        KeyPackageError::SignatureKeyLength { .. } => "SignatureKeyLength",
        KeyPackageError::WrongSignatureKey => "WrongSignatureKey",
        KeyPackageError::WrongIdentity => "WrongIdentity",
        KeyPackageError::WrongCertificate => "WrongCertificate",
        KeyPackageError::MissingIdCert => "MissingIdCert",
        KeyPackageError::InvalidCertificateChain(_) => "InvalidCertificateChain",
        KeyPackageError::UnsupportedCredential(_) => "UnsupportedCredential",
        KeyPackageError::UnknownCiphersuite(_) => "UnknownCiphersuite",
        KeyPackageError::HashRefLength(_) => "HashRefLength",
        KeyPackageError::Other(_) => "Other",
        _ => "unnamed KeyPackageError variant: add it to tests/it/common",
    }
}

/// Decodes an API body of `api_type` (relative to `polyproto_types::api`) and encodes it again,
/// as JCS when `format` is `jcs`.
///
/// # Errors
/// The decoding error, or an unknown type.
pub(crate) fn reencode_api(api_type: &str, format: &str, text: &str) -> Result<String, String> {
    fn again<T: serde::Serialize + DeserializeOwned>(
        text: &str,
        jcs: bool,
    ) -> Result<String, String> {
        let value: T = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let encoded = if jcs {
            to_jcs(&value)
        } else {
            serde_json::to_string(&value)
        };
        encoded.map_err(|e| e.to_string())
    }
    let jcs = match format {
        "jcs" => true,
        "json" => false,
        other => return Err(format!("unknown API body format {other:?}")),
    };
    match api_type {
        "register::Request" => again::<register::Request>(text, jcs),
        "register::Response" => again::<register::Response>(text, jcs),
        "create_session::Request" => again::<create_session::Request>(text, jcs),
        "create_session::Response" => again::<create_session::Response>(text, jcs),
        "get_challenge::Response" => again::<get_challenge::Response>(text, jcs),
        "identify::Request" => again::<identify::Request>(text, jcs),
        "identify::Response" => again::<identify::Response>(text, jcs),
        "create_id_cert::JsonRequest" => again::<create_id_cert::JsonRequest>(text, jcs),
        "create_id_cert::Response" => again::<create_id_cert::Response>(text, jcs),
        "rotate_session_id_cert::Request" => again::<rotate_session_id_cert::Request>(text, jcs),
        "rotate_session_id_cert::Response" => again::<rotate_session_id_cert::Response>(text, jcs),
        "get_actor_id_certs::Response" => again::<get_actor_id_certs::Response>(text, jcs),
        "get_server_id_cert::Response" => again::<get_server_id_cert::Response>(text, jcs),
        "add_key_packages::Request" => again::<add_key_packages::Request>(text, jcs),
        "claim_key_packages::Response" => again::<claim_key_packages::Response>(text, jcs),
        "replace_last_resort_key_package::Request" => {
            again::<replace_last_resort_key_package::Request>(text, jcs)
        }
        "well_known::Response" => again::<well_known::Response>(text, jcs),
        "health::Response" => again::<health::Response>(text, jcs),
        "error::Problem" => again::<error::Problem>(text, jcs),
        other => Err(format!(
            "unknown API type {other:?}: add it to tests/it/common"
        )),
    }
}
