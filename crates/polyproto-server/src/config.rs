//! The server's one typed configuration: a TOML file, overridden by environment variables,
//! overridden by command-line flags. Every setting has a documented default, so the server
//! runs with no file at all.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use polyproto_types::DomainName;
use serde::{Deserialize, Serialize};

/// The longest actor certificate lifetime (docs/wire-contract.md §4.1: at most 60 days).
pub const MAX_ACTOR_CERT_LIFETIME_DAYS: u64 = 60;
/// Seconds in a day.
const DAY: u64 = 86_400;

/// The effective configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The server's domain: the part after `@` in its actors' federation IDs. A DNS name, not
    /// an IP address, without a port. Default `localhost`.
    pub domain: String,
    /// The URL clients reach the server at, e.g. `https://example.com`. Default
    /// `http://<domain>:<port of the first bind address>`.
    pub public_url: Option<String>,
    /// Addresses to listen on. Default `127.0.0.1:8080` and `[::1]:8080`.
    pub bind: Vec<SocketAddr>,
    /// Where the server keeps its files (the default SQLite database). Default
    /// `./polyproto-data`.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`. Default: `polyproto.db` in the data directory.
    pub database_url: Option<String>,
    /// HTTP worker threads. Default: the number of CPUs.
    pub workers: Option<usize>,
    /// Certificate settings.
    pub certs: CertSettings,
    /// Account settings.
    pub accounts: AccountSettings,
    /// Request limits.
    pub limits: Limits,
    /// MLS KeyPackage policy and limits.
    pub key_packages: KeyPackageSettings,
    /// Federation with other home servers.
    pub federation: FederationSettings,
    /// Logging.
    pub log: LogSettings,
}

/// Certificate authority settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CertSettings {
    /// Lifetime of actor ID-Certs, in days (1–60). Default 30.
    pub actor_lifetime_days: u64,
    /// Lifetime of the server's own ID-Cert, in days. Actor certificates never outlive it.
    /// Default 365.
    pub server_lifetime_days: u64,
    /// Length of the cache window in cacheable ID-Certs, in seconds (spec §6.4 recommends 1 to
    /// 12 hours; 1 s to 12 h accepted). Default 3600.
    pub cache_window_secs: u64,
    /// Certificate lookup answers each server process keeps in memory at most (0 turns the
    /// lookup cache off). An entry is one answer: a few KB, more for an actor with many
    /// certificates, which `lookup_cache_mib` bounds. Default 20000.
    pub lookup_cache_entries: usize,
    /// What the lookup cache may hold, in MiB (answers and keys). Default 64.
    pub lookup_cache_mib: usize,
}

/// Account and session settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountSettings {
    /// Whether anyone may register. Default true.
    pub registration_open: bool,
    /// Local names of administrators, in addition to those granted with
    /// `polyproto-server admin grant`.
    pub admins: Vec<String>,
    /// Whether seed route S1 (session key rotation) requires `X-P2-Sensitive-Solution`.
    /// Default true.
    pub rotation_requires_sensitive_solution: bool,
    /// How long a session opened without a CSR may wait for its first ID-Cert, in seconds.
    /// Default 600.
    pub pending_session_ttl_secs: u64,
    /// How many password hashes may run at once (argon2 is deliberately expensive): the
    /// number of threads that run them. Default: half the CPUs, at least one.
    pub max_concurrent_password_hashes: Option<usize>,
    /// How many password checks may wait for a hashing thread; past this, sign-ins and
    /// sensitive actions are answered 503 with `Retry-After`. Default 64.
    pub password_hash_queue: usize,
    /// Wrong passwords (sign-in or `X-P2-Sensitive-Solution`) one account may see at once
    /// before its password checks are answered 429. Default 10.
    pub password_failure_burst: NonZeroU32,
    /// Seconds after which a limited account may try one more wrong password. Default 6 (ten
    /// a minute, once the burst is spent).
    pub password_failure_refill_secs: u64,
}

/// Request limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// The largest request body, in bytes (answered with 413 beyond). Default 262144.
    pub max_body_bytes: usize,
    /// Seconds a client has to send a request's head (request line and headers); past it
    /// the connection is closed. Default 5.
    pub header_timeout_secs: u64,
    /// Seconds a request may take as a whole, its body included: a client trickling its body
    /// is answered 408 and disconnected. Default 30.
    pub request_timeout_secs: u64,
    /// Seconds an idle keep-alive connection stays open. Default 5.
    pub keep_alive_secs: u64,
    /// Connections one worker serves at once; further ones wait in the listen backlog.
    /// Default 1024.
    pub max_connections_per_worker: usize,
    /// Seconds a stopping server gives requests in flight. Default 10.
    pub shutdown_timeout_secs: u64,
}

/// MLS KeyPackage policy and limits (docs/wire-contract.md §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeyPackageSettings {
    /// Ciphersuites accepted (RFC 9420 §17.1 numbers). Default `[1]`,
    /// MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.
    pub allowed_ciphersuites: Vec<u16>,
    /// The longest lifetime a KeyPackage may declare, in days. Default 90.
    pub max_lifetime_days: u64,
    /// Normal KeyPackages a session may have stored. Default 100.
    pub max_per_session: usize,
    /// The largest KeyPackage, in bytes. Default 16384.
    pub max_bytes: usize,
}

impl Default for KeyPackageSettings {
    fn default() -> Self {
        Self {
            allowed_ciphersuites: vec![1],
            max_lifetime_days: 90,
            max_per_session: 100,
            max_bytes: 16 * 1024,
        }
    }
}

/// Federation with other home servers (polyproto core §4.1.1, §6.4; docs/wire-contract.md §3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FederationSettings {
    /// Base URLs for domains, instead of `https://<domain>`; plain http is allowed for them.
    /// For tests and development: `{"a.localhost" = "http://127.0.0.1:8080"}`.
    pub resolve: std::collections::BTreeMap<String, String>,
    /// Seconds to wait for another home server's answer. Default 10.
    pub timeout_secs: u64,
    /// Seconds to wait for a connection. Default 5.
    pub connect_timeout_secs: u64,
    /// The largest answer accepted from another home server, in bytes. Default 1 MiB.
    pub max_response_bytes: usize,
    /// How long a sign-in challenge stays valid, in seconds. Default 300.
    pub challenge_ttl_secs: u64,
}

impl Default for FederationSettings {
    fn default() -> Self {
        Self {
            resolve: std::collections::BTreeMap::new(),
            timeout_secs: 10,
            connect_timeout_secs: 5,
            max_response_bytes: 1024 * 1024,
            challenge_ttl_secs: 300,
        }
    }
}

/// Logging settings. The `RUST_LOG` environment variable overrides the level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `info`, `debug`, … or a full `tracing` filter. Default `info`.
    pub level: String,
    /// Log as JSON lines instead of text. Default false.
    pub json: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            domain: "localhost".to_owned(),
            public_url: None,
            bind: vec![
                SocketAddr::from(([127, 0, 0, 1], 8080)),
                SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 8080)),
            ],
            data_dir: PathBuf::from("./polyproto-data"),
            database_url: None,
            workers: None,
            certs: CertSettings::default(),
            accounts: AccountSettings::default(),
            limits: Limits::default(),
            key_packages: KeyPackageSettings::default(),
            federation: FederationSettings::default(),
            log: LogSettings::default(),
        }
    }
}

impl Default for CertSettings {
    fn default() -> Self {
        Self {
            actor_lifetime_days: 30,
            server_lifetime_days: 365,
            cache_window_secs: 3600,
            lookup_cache_entries: 20_000,
            lookup_cache_mib: 64,
        }
    }
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            registration_open: true,
            admins: Vec::new(),
            rotation_requires_sensitive_solution: true,
            pending_session_ttl_secs: 600,
            max_concurrent_password_hashes: None,
            password_hash_queue: 64,
            password_failure_burst: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            password_failure_refill_secs: 6,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 256 * 1024,
            header_timeout_secs: 5,
            request_timeout_secs: 30,
            keep_alive_secs: 5,
            max_connections_per_worker: 1024,
            shutdown_timeout_secs: 10,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            level: "info".to_owned(),
            json: false,
        }
    }
}

/// Values given on the command line or in the environment, which override the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--bind` / `POLYPROTO_BIND`.
    pub bind: Vec<SocketAddr>,
    /// `--domain` / `POLYPROTO_DOMAIN`.
    pub domain: Option<String>,
    /// `--public-url` / `POLYPROTO_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// `--database` / `POLYPROTO_DATABASE_URL`.
    pub database_url: Option<String>,
    /// `--data-dir` / `POLYPROTO_DATA_DIR`.
    pub data_dir: Option<PathBuf>,
    /// `POLYPROTO_FEDERATION_RESOLVE`: `domain=url,domain=url`, replacing the file's mapping.
    pub federation_resolve: Option<String>,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this configuration.
    #[error("invalid configuration file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A value is out of range or malformed.
    #[error("invalid setting {setting}: {message}")]
    Invalid {
        /// The setting's name.
        setting: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Reads the file (if any), applies the overrides and checks every value.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file or setting at fault.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_owned(),
                    message: e.to_string(),
                })?
            }
            None => Self::default(),
        };
        if !overrides.bind.is_empty() {
            config.bind = overrides.bind;
        }
        config.domain = overrides.domain.unwrap_or(config.domain);
        config.public_url = overrides.public_url.or(config.public_url);
        config.database_url = overrides.database_url.or(config.database_url);
        config.data_dir = overrides.data_dir.unwrap_or(config.data_dir);
        if let Some(mapping) = overrides.federation_resolve {
            config.federation.resolve = parse_resolve(&mapping)?;
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks every value is usable.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for the first bad setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |setting, message: String| Err(ConfigError::Invalid { setting, message });
        if let Err(e) = DomainName::new(&self.domain) {
            return invalid("domain", e.to_string());
        }
        if self.bind.is_empty() {
            return invalid("bind", "at least one address is needed".to_owned());
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return invalid("public_url", format!("{url:?} is not an http(s) URL"));
        }
        let lifetime = self.certs.actor_lifetime_days;
        if !(1..=MAX_ACTOR_CERT_LIFETIME_DAYS).contains(&lifetime) {
            return invalid(
                "certs.actor_lifetime_days",
                format!("{lifetime} is outside 1..={MAX_ACTOR_CERT_LIFETIME_DAYS}"),
            );
        }
        if self.certs.server_lifetime_days < lifetime {
            return invalid(
                "certs.server_lifetime_days",
                "must be at least certs.actor_lifetime_days".to_owned(),
            );
        }
        if !(1..=12 * 3600).contains(&self.certs.cache_window_secs) {
            return invalid(
                "certs.cache_window_secs",
                "must be between 1 and 43200".to_owned(),
            );
        }
        let kp = &self.key_packages;
        if kp.allowed_ciphersuites.is_empty() {
            return invalid(
                "key_packages.allowed_ciphersuites",
                "at least one ciphersuite is needed".to_owned(),
            );
        }
        if kp.max_lifetime_days == 0 || kp.max_per_session == 0 || kp.max_bytes < 256 {
            return invalid(
                "key_packages",
                "limits must be positive (max_bytes at least 256)".to_owned(),
            );
        }
        let fed = &self.federation;
        if fed.timeout_secs == 0
            || fed.connect_timeout_secs == 0
            || fed.challenge_ttl_secs == 0
            || fed.max_response_bytes < 1024
        {
            return invalid("federation", "timeouts and the challenge lifetime must be positive, max_response_bytes at least 1024".to_owned());
        }
        for (domain, url) in &fed.resolve {
            if DomainName::new(domain).is_err()
                || !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return invalid(
                    "federation.resolve",
                    format!("{domain} = {url:?} is not a domain and an http(s) URL"),
                );
            }
        }
        if self.workers == Some(0) {
            return invalid("workers", "must be at least 1".to_owned());
        }
        if self.limits.max_body_bytes < 1024 {
            return invalid("limits.max_body_bytes", "must be at least 1024".to_owned());
        }
        let limits = &self.limits;
        for (name, value) in [
            ("limits.header_timeout_secs", limits.header_timeout_secs),
            ("limits.request_timeout_secs", limits.request_timeout_secs),
            ("limits.keep_alive_secs", limits.keep_alive_secs),
        ] {
            if value == 0 {
                return invalid(name, "must be at least 1".to_owned());
            }
        }
        if limits.max_connections_per_worker == 0 {
            return invalid(
                "limits.max_connections_per_worker",
                "must be at least 1".to_owned(),
            );
        }
        if self.accounts.max_concurrent_password_hashes == Some(0) {
            return invalid(
                "accounts.max_concurrent_password_hashes",
                "must be at least 1".to_owned(),
            );
        }
        if self.accounts.password_failure_refill_secs == 0 {
            return invalid(
                "accounts.password_failure_refill_secs",
                "must be at least 1".to_owned(),
            );
        }
        if self.accounts.password_hash_queue == 0 {
            return invalid(
                "accounts.password_hash_queue",
                "must be at least 1".to_owned(),
            );
        }
        Ok(())
    }

    /// The domain, parsed.
    pub fn domain_name(&self) -> DomainName {
        // `validate` has checked it; the fallback is never reached after `load`.
        DomainName::new(&self.domain).unwrap_or_else(|_| {
            DomainName::new("localhost").unwrap_or_else(|_| unreachable!("localhost is valid"))
        })
    }

    /// The public URL without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let port = self.bind.first().map_or(8080, SocketAddr::port);
                format!("http://{}:{port}", self.domain)
            }
        }
    }

    /// The database URL.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("polyproto.db").display()),
        }
    }

    /// Actor certificate lifetime in seconds.
    pub fn actor_cert_lifetime_secs(&self) -> u64 {
        self.certs.actor_lifetime_days * DAY
    }

    /// Server certificate lifetime in seconds.
    pub fn server_cert_lifetime_secs(&self) -> u64 {
        self.certs.server_lifetime_days * DAY
    }

    /// The KeyPackage validation policy.
    pub fn key_package_policy(&self) -> polyproto_types::key_package::KeyPackagePolicy {
        polyproto_types::key_package::KeyPackagePolicy {
            allowed_ciphersuites: self.key_packages.allowed_ciphersuites.clone(),
            max_lifetime_secs: self.key_packages.max_lifetime_days * DAY,
        }
    }

    /// The configuration as TOML, for `config print`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
    }
}

/// Parses `domain=url,domain=url`.
fn parse_resolve(mapping: &str) -> Result<std::collections::BTreeMap<String, String>, ConfigError> {
    mapping
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            pair.split_once('=')
                .map(|(d, u)| (d.trim().to_ascii_lowercase(), u.trim().to_owned()))
                .ok_or_else(|| ConfigError::Invalid {
                    setting: "federation.resolve",
                    message: format!("{pair:?} is not domain=url"),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let config = Config::load(None, Overrides::default()).unwrap();
        assert_eq!(config.domain, "localhost");
        assert_eq!(config.public_url(), "http://localhost:8080");
        assert_eq!(config.bind.len(), 2);
        assert_eq!(
            config.database_url(),
            "sqlite://./polyproto-data/polyproto.db"
        );
        assert_eq!(config.actor_cert_lifetime_secs(), 30 * DAY);
    }

    #[test]
    fn file_then_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "domain = \"a.example\"\n[certs]\nactor_lifetime_days = 7\n",
        )
        .unwrap();
        let config = Config::load(Some(&path), Overrides::default()).unwrap();
        assert_eq!(
            (config.domain.as_str(), config.certs.actor_lifetime_days),
            ("a.example", 7)
        );
        let overrides = Overrides {
            domain: Some("b.example".to_owned()),
            ..Overrides::default()
        };
        assert_eq!(
            Config::load(Some(&path), overrides).unwrap().domain,
            "b.example"
        );
        // What config print shows loads back to the same configuration.
        let printed = dir.path().join("printed.toml");
        std::fs::write(&printed, config.to_toml()).unwrap();
        assert_eq!(
            Config::load(Some(&printed), Overrides::default()).unwrap(),
            config
        );
    }

    #[test]
    fn federation_mapping_from_the_environment_form() {
        let overrides = Overrides {
            federation_resolve: Some(
                "A.localhost=http://127.0.0.1:8080, b.localhost=http://127.0.0.1:8081".to_owned(),
            ),
            ..Overrides::default()
        };
        let config = Config::load(None, overrides).unwrap();
        assert_eq!(
            config.federation.resolve["a.localhost"],
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            config.federation.resolve["b.localhost"],
            "http://127.0.0.1:8081"
        );
        let bad = Overrides {
            federation_resolve: Some("nonsense".to_owned()),
            ..Overrides::default()
        };
        assert!(Config::load(None, bad).is_err());
    }

    #[test]
    fn bad_values_are_named() {
        let err = |text: &str| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("c.toml");
            std::fs::write(&path, text).unwrap();
            Config::load(Some(&path), Overrides::default())
                .unwrap_err()
                .to_string()
        };
        assert!(err("[certs]\nactor_lifetime_days = 61\n").contains("certs.actor_lifetime_days"));
        assert!(err("domain = \"127.0.0.1\"\n").contains("domain"));
        assert!(err("nonsense = 1\n").contains("unknown field"));
        assert!(err("public_url = \"ftp://x\"\n").contains("public_url"));
        assert!(
            err("[federation.resolve]\n\"a.localhost\" = \"ftp://x\"\n")
                .contains("federation.resolve")
        );
        // Limits that would refuse everyone, or never let anything finish, are refused.
        for (section, key) in [
            ("limits", "header_timeout_secs"),
            ("limits", "request_timeout_secs"),
            ("limits", "keep_alive_secs"),
            ("limits", "max_connections_per_worker"),
            ("accounts", "password_hash_queue"),
            ("accounts", "password_failure_refill_secs"),
            ("accounts", "password_failure_burst"),
        ] {
            let message = err(&format!("[{section}]\n{key} = 0\n"));
            assert!(message.contains(key), "{section}.{key} = 0: {message}");
        }
        assert!(err("[certs]\nlookup_cache_mib = -1\n").contains("lookup_cache_mib"));
    }
}
