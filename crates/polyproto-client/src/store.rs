//! Profiles on disk: the key, ID-Cert and token of each signed-in session, in a per-user data
//! directory readable by the user only (directories 0700, files 0600 on Unix).
//!
//! ```text
//! <data dir>/profiles/<name>/profile.json   server URL, federation ID, session ID, token,
//!                                           foreign sessions
//! <data dir>/profiles/<name>/session.key    the session's Ed25519 key, PKCS #8 PEM
//! <data dir>/profiles/<name>/id_cert.pem    the session's ID-Cert
//! <data dir>/profiles/<name>/mls.json       openmls' storage: the KeyPackages' private keys
//! ```
//!
//! The data directory is `$POLYPROTO_CLIENT_DATA_DIR` if set, else the platform's data directory
//! (`~/.local/share/polyproto` on Linux, `~/Library/Application Support/org.polyproto.polyproto`
//! on macOS, `%APPDATA%\polyproto\polyproto\data` on Windows).

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use polyproto_types::{FederationId, IdCert, SessionId};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::credentials::{ForeignSession, Token};
use crate::mls::{MlsError, MlsKeyStore};
use crate::private_file;

/// The environment variable naming the data directory.
pub const DATA_DIR_ENV: &str = "POLYPROTO_CLIENT_DATA_DIR";

const PROFILE_FILE: &str = "profile.json";
const KEY_FILE: &str = "session.key";
const CERT_FILE: &str = "id_cert.pem";
const MLS_FILE: &str = "mls.json";

/// Why the profile store failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file or directory cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file holds something else than expected.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The profile name is not usable as a directory name.
    #[error(
        "invalid profile name {0:?}: use 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'"
    )]
    InvalidName(String),
    /// No platform data directory is known and `$POLYPROTO_CLIENT_DATA_DIR` is not set.
    #[error("no data directory: set {DATA_DIR_ENV}")]
    NoDataDir,
    /// The profile does not exist.
    #[error("no profile {0:?}")]
    NoProfile(String),
}

/// Everything a profile keeps about its session.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The home server's base URL.
    pub server_url: String,
    /// The actor.
    pub fid: FederationId,
    /// The session.
    pub session_id: SessionId,
    /// The session's bearer token.
    pub token: Token,
    /// The session's Ed25519 key.
    pub key: SigningKey,
    /// The session's current ID-Cert.
    pub cert: IdCert,
    /// Sessions at foreign servers, by sign-in with a challenge.
    pub foreign: Vec<ForeignSession>,
}

/// The JSON file of a profile.
#[derive(Serialize, Deserialize)]
struct ProfileFile {
    server_url: String,
    fid: FederationId,
    session_id: SessionId,
    token: Token,
    #[serde(default)]
    foreign: Vec<ForeignSession>,
}

/// The data directory holding every profile.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// The store in `root` (created with mode 0700 when first written).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The store in `$POLYPROTO_CLIENT_DATA_DIR`, or the platform's data directory.
    ///
    /// # Errors
    /// [`StoreError::NoDataDir`].
    pub fn default_location() -> Result<Self, StoreError> {
        if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(Self::new(dir));
        }
        directories::ProjectDirs::from("org", "polyproto", "polyproto")
            .map(|dirs| Self::new(dirs.data_dir()))
            .ok_or(StoreError::NoDataDir)
    }

    /// The data directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of profile `name`.
    ///
    /// # Errors
    /// [`StoreError::InvalidName`].
    pub fn profile_dir(&self, name: &str) -> Result<PathBuf, StoreError> {
        check_name(name)?;
        Ok(self.root.join("profiles").join(name))
    }

    /// Whether profile `name` exists.
    pub fn exists(&self, name: &str) -> bool {
        self.profile_dir(name)
            .is_ok_and(|dir| dir.join(PROFILE_FILE).is_file())
    }

    /// The names of every profile, sorted.
    ///
    /// # Errors
    /// [`StoreError::Io`].
    pub fn list(&self) -> Result<Vec<String>, StoreError> {
        let dir = self.root.join("profiles");
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(StoreError::Io { path: dir, source }),
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| self.exists(name))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Loads profile `name`.
    ///
    /// # Errors
    /// [`StoreError::NoProfile`], [`StoreError::Io`] or [`StoreError::Corrupt`].
    pub fn load(&self, name: &str) -> Result<Profile, StoreError> {
        let dir = self.profile_dir(name)?;
        if !dir.join(PROFILE_FILE).is_file() {
            return Err(StoreError::NoProfile(name.to_owned()));
        }
        let read = |file: &str| {
            let path = dir.join(file);
            std::fs::read_to_string(&path).map_err(|source| StoreError::Io { path, source })
        };
        let corrupt = |file: &str, reason: String| StoreError::Corrupt {
            path: dir.join(file),
            reason,
        };
        let meta: ProfileFile = serde_json::from_str(&read(PROFILE_FILE)?)
            .map_err(|e| corrupt(PROFILE_FILE, e.to_string()))?;
        let key = SigningKey::from_pkcs8_pem(&read(KEY_FILE)?)
            .map_err(|e| corrupt(KEY_FILE, e.to_string()))?;
        let cert =
            IdCert::from_pem(&read(CERT_FILE)?).map_err(|e| corrupt(CERT_FILE, e.to_string()))?;
        // The files are replaced one by one: a save cut short leaves a key that the
        // certificate does not certify. Say so rather than sign with the wrong key.
        if cert.public_key() != &key.verifying_key() {
            return Err(corrupt(
                KEY_FILE,
                "the key is not the one the ID-Cert certifies (a save was interrupted); log in again".to_owned(),
            ));
        }
        Ok(Profile {
            server_url: meta.server_url,
            fid: meta.fid,
            session_id: meta.session_id,
            token: meta.token,
            key,
            cert,
            foreign: meta.foreign,
        })
    }

    /// Saves profile `name`, replacing each file atomically.
    ///
    /// # Errors
    /// [`StoreError::Io`].
    pub fn save(&self, name: &str, profile: &Profile) -> Result<(), StoreError> {
        let dir = self.profile_dir(name)?;
        create_private_dir(&dir)?;
        let key_pem = profile
            .key
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| StoreError::Corrupt {
                path: dir.join(KEY_FILE),
                reason: e.to_string(),
            })?;
        let meta = ProfileFile {
            server_url: profile.server_url.clone(),
            fid: profile.fid.clone(),
            session_id: profile.session_id.clone(),
            token: profile.token.clone(),
            foreign: profile.foreign.clone(),
        };
        let json = serde_json::to_string_pretty(&meta).map_err(|e| StoreError::Corrupt {
            path: dir.join(PROFILE_FILE),
            reason: e.to_string(),
        })?;
        // The key and certificate first: a profile file always points at a complete set.
        for (file, bytes) in [
            (KEY_FILE, key_pem.as_bytes()),
            (CERT_FILE, profile.cert.to_pem().as_bytes()),
            (PROFILE_FILE, json.as_bytes()),
        ] {
            let path = dir.join(file);
            private_file::write(&path, bytes).map_err(|source| StoreError::Io { path, source })?;
        }
        Ok(())
    }

    /// Deletes profile `name` with its keys.
    ///
    /// # Errors
    /// [`StoreError::Io`].
    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        let dir = self.profile_dir(name)?;
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StoreError::Io { path: dir, source }),
        }
    }

    /// The MLS key store of profile `name`.
    ///
    /// # Errors
    /// [`MlsError::Storage`].
    pub fn mls(&self, name: &str) -> Result<MlsKeyStore, MlsError> {
        let dir = self.profile_dir(name).map_err(|e| MlsError::Storage {
            path: self.root.clone(),
            reason: e.to_string(),
        })?;
        create_private_dir(&dir).map_err(|e| MlsError::Storage {
            path: dir.clone(),
            reason: e.to_string(),
        })?;
        MlsKeyStore::open(&dir.join(MLS_FILE))
    }
}

fn check_name(name: &str) -> Result<(), StoreError> {
    let ok = (1..=64).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidName(name.to_owned()))
    }
}

/// Creates `dir` and its parents, readable by the user only.
fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    private_file::create_dir(dir).map_err(|source| StoreError::Io {
        path: dir.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_are_safe_directory_names() {
        for good in ["default", "alice", "work.laptop", "a_b-c"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", ".hidden", "a/b", "..", "a b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    fn profile(key: &SigningKey) -> Profile {
        use polyproto_types::certs::{Serial, Validity};
        use polyproto_types::names::ActorDn;
        let fid = FederationId::new("alice@localhost").unwrap();
        let session_id = SessionId::new("laptop").unwrap();
        let csr = polyproto_types::IdCsr::new(key, &ActorDn::new(fid.clone(), session_id.clone()))
            .unwrap();
        let server_key = SigningKey::from_bytes(&[7; 32]);
        let cert = IdCert::issue_actor(
            &csr,
            &server_key,
            fid.domain(),
            &Serial::random(),
            Validity::new(1_800_000_000, 1_800_086_400).unwrap(),
        )
        .unwrap();
        Profile {
            server_url: "http://127.0.0.1:8080".to_owned(),
            fid,
            session_id,
            token: Token::new("secret"),
            key: key.clone(),
            cert,
            foreign: Vec::new(),
        }
    }

    #[test]
    fn profiles_round_trip_and_an_interrupted_save_is_caught() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        assert!(matches!(
            store.load("default"),
            Err(StoreError::NoProfile(_))
        ));
        let key = SigningKey::from_bytes(&[1; 32]);
        let saved = profile(&key);
        store.save("default", &saved).unwrap();
        let loaded = store.load("default").unwrap();
        assert_eq!(loaded.cert, saved.cert);
        assert_eq!(loaded.key.to_bytes(), key.to_bytes());
        assert_eq!(loaded.token.as_str(), "secret");
        assert_eq!(store.list().unwrap(), ["default"]);

        // A rotation cut short after the new key was written, before the new certificate.
        let rotated = SigningKey::from_bytes(&[2; 32]);
        let pem = rotated
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .unwrap();
        private_file::write(
            &store.profile_dir("default").unwrap().join(KEY_FILE),
            pem.as_bytes(),
        )
        .unwrap();
        match store.load("default") {
            Err(StoreError::Corrupt { reason, .. }) => assert!(reason.contains("log in again")),
            other => panic!("expected a corrupt profile, got {other:?}"),
        }
        store.remove("default").unwrap();
        assert!(store.list().unwrap().is_empty());
    }
}
