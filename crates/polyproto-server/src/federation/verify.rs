//! Verifying other home servers' certificates (polyproto core §6.4.1; docs/wire-contract.md §3.3, §4.3).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use polyproto_types::api::error::ErrorCode;
use polyproto_types::api::{get_actor_id_certs, get_server_id_cert};
use polyproto_types::{CacheableIdCert, DomainName, FederationId, IdCert};

use super::client::FederationClient;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};

/// Why a foreign certificate could not be accepted.
#[derive(Debug)]
pub enum Refusal {
    /// The other server could not be asked, or answered something unusable.
    Unreachable(Error),
    /// The other server answered, and what it answered does not vouch for the certificate.
    Invalid(String),
}

impl Refusal {
    /// The error for a client presenting the certificate: a 4xx for an invalid certificate.
    pub fn for_presenter(self) -> Error {
        match self {
            Self::Unreachable(error) => error,
            Self::Invalid(why) => Error::new(ErrorCode::InvalidIdCert, why),
        }
    }

    /// The error for a lookup answered on the home server's behalf: its answer is unusable.
    pub fn for_lookup(self) -> Error {
        match self {
            Self::Unreachable(error) => error,
            Self::Invalid(why) => Error::new(ErrorCode::FederationBadGateway, why),
        }
    }
}

impl From<Error> for Refusal {
    fn from(error: Error) -> Self {
        Self::Unreachable(error)
    }
}

/// A cached, verified answer and when it stops being usable.
#[derive(Clone)]
struct Cached<T> {
    value: T,
    until: u64,
}

/// Cache entries kept at most; past this, expired entries are dropped, then everything.
const MAX_CACHED: usize = 4096;

/// Verifies other home servers' certificates, caching what it verified until the home
/// server's `cacheNotValidAfter` and never longer (polyproto core §6.4).
#[derive(Clone)]
pub struct Federation {
    client: FederationClient,
    clock: Clock,
    servers: Arc<Mutex<BTreeMap<String, Cached<IdCert>>>>,
    lists: Arc<Mutex<BTreeMap<String, Cached<Vec<CacheableIdCert>>>>>,
}

impl Federation {
    /// Federation with the configured client settings.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(config: &Config, clock: Clock) -> Result<Self> {
        Ok(Self {
            client: FederationClient::new(config)?,
            clock,
            servers: Arc::default(),
            lists: Arc::default(),
        })
    }

    /// The home server certificate of `domain` (now, or at `at`), verified: self-signed with
    /// the key in it, home-server profile, for `domain`, valid at that time, and its cache
    /// information signed by it.
    ///
    /// # Errors
    /// [`Refusal`].
    pub async fn home_server_cert(
        &self,
        domain: &DomainName,
        at: Option<u64>,
    ) -> Result<IdCert, Refusal> {
        let now = self.clock.now();
        if at.is_none()
            && let Some(cached) = lookup(&self.servers, domain.as_str(), now)
        {
            return Ok(cached);
        }
        let query = at.map_or_else(String::new, |t| format!("?timestamp={t}"));
        let (cacheable, _): (CacheableIdCert, _) = self
            .get(
                domain,
                &format!("{}{query}", get_server_id_cert::ROUTE.path),
            )
            .await?;
        let cert = IdCert::from_pem(&cacheable.id_cert_pem).map_err(|e| {
            Refusal::Invalid(format!("{domain}'s server certificate is malformed: {e}"))
        })?;
        cacheable
            .verify(cert.public_key())
            .map_err(|e| Refusal::Invalid(format!("{domain}'s server certificate: {e}")))?;
        cert.validate_home_server(at.unwrap_or(now))
            .map_err(|e| Refusal::Invalid(format!("{domain}'s server certificate: {e}")))?;
        if cert.issuer_domain() != domain {
            return Err(Refusal::Invalid(format!(
                "{domain} answered with the certificate of {}",
                cert.issuer_domain()
            )));
        }
        if at.is_none() {
            let until = cacheable
                .cache_not_valid_after
                .min(cert.validity().not_after);
            store(&self.servers, domain.as_str(), cert.clone(), until, now);
        }
        Ok(cert)
    }

    /// `fid`'s cacheable certificates from its home server, each verified (cache signature
    /// by the key that issued the certificate, the certificate's own signature, the actor's
    /// federation ID), passed on unchanged. Cached until the earliest `cacheNotValidAfter`.
    ///
    /// # Errors
    /// [`Refusal`].
    pub async fn actor_certs(
        &self,
        fid: &FederationId,
        query: &get_actor_id_certs::Query,
    ) -> Result<Vec<CacheableIdCert>, Refusal> {
        self.actor_certs_with(fid, query, true).await
    }

    async fn actor_certs_with(
        &self,
        fid: &FederationId,
        query: &get_actor_id_certs::Query,
        use_cache: bool,
    ) -> Result<Vec<CacheableIdCert>, Refusal> {
        let now = self.clock.now();
        let encoded = serde_urlencoded_query(query);
        let path = format!(
            "{}{encoded}",
            get_actor_id_certs::ROUTE.path_with(&[("fid", fid.as_str())])
        );
        let key = format!("{fid}{encoded}");
        if use_cache && let Some(cached) = lookup(&self.lists, &key, now) {
            return Ok(cached);
        }
        let (entries, _): (Vec<CacheableIdCert>, _) = self.get(fid.domain(), &path).await?;
        for entry in &entries {
            self.verify_entry(fid, entry).await?;
        }
        if let Some(until) = entries.iter().map(|e| e.cache_not_valid_after).min() {
            store(&self.lists, &key, entries.clone(), until, now);
        }
        Ok(entries)
    }

    /// Checks that `cert`, presented by a foreign actor, is one its home server vouches for
    /// now (polyproto core §4.1.1, §6.4.1): listed for its session, not invalidated, inside
    /// the cache window, valid now, and issued by the home server's key. A certificate missing
    /// from a cached list is looked up afresh once (it may be newer than the cache).
    ///
    /// # Errors
    /// [`Refusal`].
    pub async fn verify_presented(&self, cert: &IdCert) -> Result<(), Refusal> {
        let actor = cert
            .actor()
            .ok_or_else(|| Refusal::Invalid("not an actor certificate".to_owned()))?;
        let query = get_actor_id_certs::Query {
            session_id: Some(actor.session_id().clone()),
            ..Default::default()
        };
        let pem = cert.to_pem();
        let mut entries = self.actor_certs_with(actor.fid(), &query, true).await?;
        if !entries.iter().any(|e| e.id_cert_pem == pem) {
            entries = self.actor_certs_with(actor.fid(), &query, false).await?;
        }
        let Some(entry) = entries.into_iter().find(|e| e.id_cert_pem == pem) else {
            return Err(Refusal::Invalid(format!(
                "{} does not list this certificate as valid for {} session {}",
                actor.fid().domain(),
                actor.fid(),
                actor.session_id()
            )));
        };
        let now = self.clock.now();
        if let Some(at) = entry.invalidated_at {
            return Err(Refusal::Invalid(format!(
                "the certificate was invalidated at {at}"
            )));
        }
        entry
            .check_window(now)
            .map_err(|e| Refusal::Invalid(e.to_string()))?;
        cert.validity()
            .check(now)
            .map_err(|e| Refusal::Invalid(e.to_string()))
    }

    /// Verifies one entry of an actor's list.
    async fn verify_entry(
        &self,
        fid: &FederationId,
        entry: &CacheableIdCert,
    ) -> Result<(), Refusal> {
        let cert = IdCert::from_pem(&entry.id_cert_pem)
            .map_err(|e| Refusal::Invalid(format!("a certificate of {fid} is malformed: {e}")))?;
        if cert.actor().map(|a| a.fid()) != Some(fid) {
            return Err(Refusal::Invalid(format!(
                "{} answered a certificate of someone else for {fid}",
                fid.domain()
            )));
        }
        // The cache information is signed by the key that issued the certificate, which after a
        // server key rotation is an earlier one: look that one up by the certificate's start.
        // Times have a resolution of one second and the old server certificate is invalidated
        // at the second the new one starts, so a certificate the old key issued in that second
        // finds the new server certificate at its start: the second before is asked for too.
        let mut server = self.home_server_cert(fid.domain(), None).await?;
        if entry.verify(server.public_key()).is_err() {
            let start = cert.validity().not_before;
            server = self.home_server_cert(fid.domain(), Some(start)).await?;
            if entry.verify(server.public_key()).is_err()
                && let Some(before) = start.checked_sub(1)
                && let Ok(earlier) = self.home_server_cert(fid.domain(), Some(before)).await
            {
                server = earlier;
            }
            entry
                .verify(server.public_key())
                .map_err(|e| Refusal::Invalid(format!("a certificate of {fid}: {e}")))?;
        }
        cert.verify_signature(server.public_key())
            .map_err(|e| Refusal::Invalid(format!("a certificate of {fid}: {e}")))
    }

    /// GETs a path from `domain`'s home server, through its well-known API URL when the
    /// domain itself does not serve the API (polyproto core §3.1).
    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        domain: &DomainName,
        path: &str,
    ) -> Result<(T, String), Refusal> {
        let direct = format!("{}{path}", self.client.base_url(domain));
        match self.client.get_json(&direct).await {
            Err(e) if e.code() == &ErrorCode::NotFound => {
                let base = self
                    .client
                    .well_known_base(domain)
                    .await
                    .map_err(|_| Refusal::Unreachable(e))?;
                Ok(self.client.get_json(&format!("{base}{path}")).await?)
            }
            other => Ok(other?),
        }
    }
}

/// The modern lookup route's query string, in the reference SDK's order.
fn serde_urlencoded_query(query: &get_actor_id_certs::Query) -> String {
    let mut parts = Vec::new();
    if let Some(t) = query.not_before {
        parts.push(format!("notBefore={t}"));
    }
    if let Some(t) = query.not_after {
        parts.push(format!("notAfter={t}"));
    }
    if let Some(session) = &query.session_id {
        let encoded: String = session
            .as_str()
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        parts.push(format!("sessionId={encoded}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn lookup<T: Clone>(cache: &Mutex<BTreeMap<String, Cached<T>>>, key: &str, now: u64) -> Option<T> {
    let cache = cache.lock().ok()?;
    cache
        .get(key)
        .filter(|c| now <= c.until)
        .map(|c| c.value.clone())
}

fn store<T>(cache: &Mutex<BTreeMap<String, Cached<T>>>, key: &str, value: T, until: u64, now: u64) {
    if until < now {
        return;
    }
    if let Ok(mut cache) = cache.lock() {
        if cache.len() >= MAX_CACHED {
            cache.retain(|_, c| now <= c.until);
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
        }
        cache.insert(key.to_owned(), Cached { value, until });
    }
}
