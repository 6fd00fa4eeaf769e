//! MLS KeyPackages for a session key (RFC 9420 §10; polyproto-mls; docs/wire-contract.md §5), built with
//! openmls.
//!
//! A KeyPackage is only useful to its owner if the owner keeps the private init and
//! encryption keys that openmls generates for it: a Welcome for a group is encrypted to them.
//! [`MlsKeyStore`] keeps openmls' provider storage (where those keys live) in a file of the
//! profile, written with mode 0600 after every change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey};
use openmls::prelude::{
    BasicCredential, Capabilities, Ciphersuite, CredentialWithKey, ExtensionType, KeyPackage,
    Lifetime, MlsMessageOut,
};
use openmls_rust_crypto::OpenMlsRustCrypto;
use openmls_traits::OpenMlsProvider as _;
use openmls_traits::signatures::{Signer, SignerError};
use openmls_traits::types::SignatureScheme;
use polyproto_types::FederationId;
use polyproto_types::key_package::{
    KeyPackageBinding, KeyPackagePayload, KeyPackagePolicy,
    MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519, ValidatedKeyPackage, validate_key_package,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::private_file;
use crate::verify::VerifiedIdCert;

/// The default lifetime of a KeyPackage: 28 days, within the server's default limit of 90.
pub const DEFAULT_LIFETIME_SECS: u64 = 28 * 24 * 3600;

/// How far back a KeyPackage's lifetime starts, so that a server whose clock is a little
/// behind still accepts it.
const BACKDATE_SECS: u64 = 300;

/// Why building, storing or checking KeyPackages failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MlsError {
    /// openmls refused to build a KeyPackage.
    #[error("cannot build a KeyPackage: {0}")]
    Build(String),
    /// The key store file cannot be read or written.
    #[error("MLS key store {path}: {reason}")]
    Storage {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A claimed KeyPackage fails validation, or is bound to no current certificate of the
    /// actor.
    #[error("KeyPackage {index}: {reason}")]
    Invalid {
        /// Its position in the answer.
        index: usize,
        /// Why.
        reason: String,
    },
}

/// The options of [`MlsKeyStore::key_packages`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPackageOptions {
    /// Seconds from now until the packages expire.
    pub lifetime_secs: u64,
    /// Build last-resort packages (RFC 9420 §17.3 `last_resort` extension), which the server
    /// hands out again when a session has no other package left.
    pub last_resort: bool,
}

impl Default for KeyPackageOptions {
    fn default() -> Self {
        Self {
            lifetime_secs: DEFAULT_LIFETIME_SECS,
            last_resort: false,
        }
    }
}

/// openmls' provider with its storage (the private keys of every KeyPackage built) kept in a
/// file.
#[derive(Debug, Default)]
pub struct MlsKeyStore {
    provider: OpenMlsRustCrypto,
    path: Option<PathBuf>,
}

/// The file form of the storage: base64 keys and values, sorted.
#[derive(Serialize, Deserialize)]
struct StoredValues {
    version: u32,
    values: BTreeMap<String, String>,
}

impl MlsKeyStore {
    /// A store that lives in memory only.
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// Opens the store kept in `path`, empty if the file does not exist yet.
    ///
    /// # Errors
    /// [`MlsError::Storage`] if the file cannot be read or is not a key store.
    pub fn open(path: &Path) -> Result<Self, MlsError> {
        let store = Self {
            provider: OpenMlsRustCrypto::default(),
            path: Some(path.to_owned()),
        };
        let storage_error = |reason: String| MlsError::Storage {
            path: path.to_owned(),
            reason,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(store),
            Err(e) => return Err(storage_error(e.to_string())),
        };
        let stored: StoredValues =
            serde_json::from_str(&text).map_err(|e| storage_error(e.to_string()))?;
        let decode = |s: &String| {
            STANDARD
                .decode(s)
                .map_err(|e| storage_error(format!("bad base64: {e}")))
        };
        let mut entries = Vec::with_capacity(stored.values.len());
        for (key, value) in &stored.values {
            entries.push((decode(key)?, decode(value)?));
        }
        store
            .provider
            .storage()
            .values
            .write()
            .map_err(|_| storage_error("the store's lock is poisoned".to_owned()))?
            .extend(entries);
        Ok(store)
    }

    /// openmls' provider, for joining groups with the kept keys.
    pub fn provider(&self) -> &OpenMlsRustCrypto {
        &self.provider
    }

    /// How many values the storage holds (private keys and their KeyPackages).
    pub fn len(&self) -> usize {
        self.provider
            .storage()
            .values
            .read()
            .map_or(0, |values| values.len())
    }

    /// Whether the storage is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the storage to its file (mode 0600), if it has one.
    ///
    /// # Errors
    /// [`MlsError::Storage`].
    pub fn save(&self) -> Result<(), MlsError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let storage_error = |reason: String| MlsError::Storage {
            path: path.clone(),
            reason,
        };
        let values = self
            .provider
            .storage()
            .values
            .read()
            .map_err(|_| storage_error("the store's lock is poisoned".to_owned()))?
            .iter()
            .map(|(k, v)| (STANDARD.encode(k), STANDARD.encode(v)))
            .collect();
        let text = serde_json::to_string(&StoredValues { version: 1, values })
            .map_err(|e| storage_error(e.to_string()))?;
        private_file::write(path, text.as_bytes()).map_err(|e| storage_error(e.to_string()))
    }

    /// Builds `count` KeyPackages for the session key `key` of `fid` (ciphersuite
    /// `MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519`, a basic credential naming the FID, as
    /// the server requires), keeps their private keys, and saves the store.
    ///
    /// # Errors
    /// [`MlsError::Build`] or [`MlsError::Storage`].
    pub fn key_packages(
        &self,
        key: &SigningKey,
        fid: &FederationId,
        count: usize,
        options: KeyPackageOptions,
    ) -> Result<Vec<KeyPackagePayload>, MlsError> {
        let suite = Ciphersuite::try_from(MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519)
            .map_err(|e| MlsError::Build(e.to_string()))?;
        let now = polyproto_types::time::now_unix();
        let lifetime = Lifetime::init(
            now.saturating_sub(BACKDATE_SECS),
            now.saturating_add(options.lifetime_secs),
        );
        let extensions = if options.last_resort {
            vec![ExtensionType::LastResort]
        } else {
            Vec::new()
        };
        let capabilities = Capabilities::builder()
            .ciphersuites(vec![suite])
            .extensions(extensions)
            .build();
        let credential = CredentialWithKey {
            credential: BasicCredential::new(fid.as_str().as_bytes().to_vec()).into(),
            signature_key: key.verifying_key().to_bytes().to_vec().into(),
        };
        let signer = Ed25519Signer(key.clone());
        let mut packages = Vec::with_capacity(count);
        for _ in 0..count {
            let mut builder = KeyPackage::builder()
                .key_package_lifetime(lifetime)
                .leaf_node_capabilities(capabilities.clone());
            if options.last_resort {
                builder = builder.mark_as_last_resort();
            }
            let bundle = builder
                .build(suite, &self.provider, &signer, credential.clone())
                .map_err(|e| MlsError::Build(e.to_string()))?;
            let bytes = MlsMessageOut::from(bundle)
                .to_bytes()
                .map_err(|e| MlsError::Build(e.to_string()))?;
            packages.push(KeyPackagePayload::new(bytes));
        }
        self.save()?;
        Ok(packages)
    }
}

/// A session's Ed25519 key as openmls' signer (RFC 9420 §5.1.2: openmls passes the whole
/// `SignContent`, signed as-is with pure Ed25519).
struct Ed25519Signer(SigningKey);

impl Signer for Ed25519Signer {
    fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, SignerError> {
        Ok(self.0.sign(payload).to_bytes().to_vec())
    }

    fn signature_scheme(&self) -> SignatureScheme {
        SignatureScheme::ED25519
    }
}

/// A claimed KeyPackage that validated and belongs to one of the actor's current sessions.
#[derive(Debug, Clone)]
pub struct ClaimedKeyPackage {
    /// The validated package.
    pub package: ValidatedKeyPackage,
    /// The certificate of the session it belongs to.
    pub session: VerifiedIdCert,
}

/// Checks claimed KeyPackages of `fid`: each must validate (RFC 9420 §10.1, with the default
/// policy of docs/wire-contract.md §5.1) at `now` and be bound to one of `certs` (the actor's current,
/// verified ID-Certs): signed by its key, with a basic credential naming `fid`.
///
/// # Errors
/// [`MlsError::Invalid`] for the first package that fails.
pub fn check_claimed(
    packages: &[KeyPackagePayload],
    fid: &FederationId,
    certs: &[VerifiedIdCert],
    now: u64,
) -> Result<Vec<ClaimedKeyPackage>, MlsError> {
    let policy = KeyPackagePolicy {
        // A claimer accepts what any server policy may allow; the lifetime limit is the
        // server's business.
        max_lifetime_secs: u64::MAX,
        ..KeyPackagePolicy::default()
    };
    let mut checked = Vec::with_capacity(packages.len());
    for (index, package) in packages.iter().enumerate() {
        let mut last_reason = "no current certificate of the actor".to_owned();
        let mut found = None;
        for cert in certs {
            let key = cert.cert.public_key().to_bytes();
            let binding = KeyPackageBinding {
                signature_key: &key,
                identity: fid.as_str(),
                id_cert_der: Some(cert.cert.as_der()),
            };
            match validate_key_package(package.as_bytes(), &policy, &binding, now) {
                Ok(valid) => {
                    found = Some(ClaimedKeyPackage {
                        package: valid,
                        session: cert.clone(),
                    });
                    break;
                }
                Err(e) => last_reason = e.to_string(),
            }
        }
        let Some(claimed) = found else {
            return Err(MlsError::Invalid {
                index,
                reason: last_reason,
            });
        };
        checked.push(claimed);
    }
    Ok(checked)
}
