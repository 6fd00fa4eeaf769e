//! Certificate lookups (polyproto core §6.4; docs/wire-contract.md §1.1 S5, S6; §1.2): which
//! certificates answer a lookup, in which wire form, and for how long an answer may be served
//! again from the [lookup cache](cache). For actors of other home servers, the answer their
//! home server vouches for, verified by [`Federation`].
//!
//! Every method answers the exact bytes of the response body, so a cache hit costs no query,
//! no signature and no serialization.

mod cache;

use std::sync::Arc;
use std::time::Instant;

use actix_web::web::Bytes;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::api::get_actor_id_certs;
use polyproto_types::{CacheableIdCert, FederationId, IdCert};

pub use cache::CacheStats;
use cache::{Answer, Lookup, LookupCache};

use super::accounts::Accounts;
use super::authority::{Authority, CertRecord, When};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::federation::Federation;

/// The lookup service, shared by every worker of one server process.
#[derive(Clone)]
pub struct Lookups {
    cache: Arc<LookupCache>,
    accounts: Accounts,
    authority: Authority,
    federation: Federation,
    config: Arc<Config>,
    clock: Clock,
}

impl Lookups {
    pub(super) fn new(
        accounts: Accounts,
        authority: Authority,
        federation: Federation,
        config: Arc<Config>,
        clock: Clock,
    ) -> Self {
        Self {
            cache: Arc::new(LookupCache::new(
                config.certs.lookup_cache_entries,
                config.certs.lookup_cache_mib.saturating_mul(1024 * 1024),
            )),
            accounts,
            authority,
            federation,
            config,
            clock,
        }
    }

    /// How often the cache answered, and how full it is.
    pub fn stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// `GET /.p2/core/v1/idcert/server[?timestamp=]`: the cacheable server ID-Cert valid at
    /// `at` (now when absent), JCS (RFC 8785). Answers about the present come from the cache.
    /// `arrived` is when the request arrived.
    ///
    /// # Errors
    /// `NotFound` without a certificate at that time; a storage error.
    pub async fn server_cert(&self, at: Option<u64>, arrived: Instant) -> Result<Bytes> {
        let now = self.clock.now();
        let compute = || async {
            let record = self.authority.server_cert(at).await?;
            let cacheable = self.authority.cacheable(&record).await?;
            Ok(Answer {
                body: cacheable.to_jcs().into(),
                fresh_until: self.fresh_until(now, &[]),
            })
        };
        let lookup = at.is_none().then_some(Lookup::Server);
        self.answer(lookup, arrived, now, compute).await
    }

    /// Seed S5, `GET /p2core/key/server[?timestamp=]`: the server ID-Cert valid at `at`, base64
    /// DER as a JSON string.
    ///
    /// # Errors
    /// As [`Lookups::server_cert`].
    pub async fn server_cert_seed(&self, at: Option<u64>, arrived: Instant) -> Result<Bytes> {
        let now = self.clock.now();
        let compute = || async {
            let record = self.authority.server_cert(at).await?;
            Ok(Answer {
                body: json_bytes(&STANDARD.encode(&record.der))?,
                fresh_until: self.fresh_until(now, &[]),
            })
        };
        let lookup = at.is_none().then_some(Lookup::ServerSeed);
        self.answer(lookup, arrived, now, compute).await
    }

    /// `GET /.p2/core/v1/idcert/actor/{fid}`: the actor's cacheable ID-Certs matching the
    /// filters, JCS, from the cache. For an actor of another home server, its home server's
    /// answer, verified and passed on unchanged (polyproto core §6.4.1, "ID-Cert request").
    ///
    /// # Errors
    /// `MalformedRequest` when `notBefore` is after `notAfter`; `ActorNotFound`,
    /// `InvalidName`; for a foreign actor, the federation errors.
    pub async fn actor_certs(
        &self,
        user: &str,
        query: &get_actor_id_certs::Query,
        arrived: Instant,
    ) -> Result<Bytes> {
        if let (Some(from), Some(to)) = (query.not_before, query.not_after)
            && from > to
        {
            return Err(Error::new(
                ErrorCode::MalformedRequest,
                "notBefore is after notAfter",
            ));
        }
        if let Some(foreign) = self.foreign_fid(user) {
            let list = self.foreign_actor_certs(&foreign, query).await?;
            return Ok(CacheableIdCert::list_to_jcs(&list).into());
        }
        let now = self.clock.now();
        let compute = || async {
            let actor = self.accounts.resolve(user).await?;
            let when = match (query.not_before, query.not_after) {
                (None, None) => When::At(now),
                (from, to) => When::Overlapping {
                    from: from.unwrap_or(0),
                    to: to.unwrap_or(u64::MAX >> 1),
                },
            };
            let records = self
                .authority
                .actor_certs(actor.id, when, query.session_id.as_ref())
                .await?;
            let mut list = Vec::with_capacity(records.len());
            for record in &records {
                list.push(self.authority.cacheable(record).await?);
            }
            let expiring: &[CertRecord] = match when {
                When::At(_) => &records,
                When::Overlapping { .. } => &[],
            };
            Ok(Answer {
                body: CacheableIdCert::list_to_jcs(&list).into(),
                fresh_until: self.fresh_until(now, expiring),
            })
        };
        // Arbitrary ranges are computed each time: one entry per range asked for would let
        // a client fill the cache with answers nobody asks for again.
        let ranged = query.not_before.is_some() || query.not_after.is_some();
        let lookup = (!ranged).then(|| Lookup::Actor {
            user: canonical(user),
            session_id: query.session_id.as_ref().map(ToString::to_string),
        });
        self.answer(lookup, arrived, now, compute).await
    }

    /// Seed S6, `GET /p2core/key/user/{user_id}[?timestamp=]`: the actor's certificates valid
    /// at `at` (now when absent), base64 DER strings. For an actor of another home server, the
    /// certificates its home server vouches for at that time.
    ///
    /// # Errors
    /// As [`Lookups::actor_certs`].
    pub async fn actor_certs_seed(
        &self,
        user: &str,
        at: Option<u64>,
        arrived: Instant,
    ) -> Result<Bytes> {
        if let Some(foreign) = self.foreign_fid(user) {
            return self.foreign_actor_certs_seed(&foreign, at).await;
        }
        let now = self.clock.now();
        let compute = || async {
            let actor = self.accounts.resolve(user).await?;
            let records = self
                .authority
                .actor_certs(actor.id, When::At(at.unwrap_or(now)), None)
                .await?;
            let list: Vec<String> = records.iter().map(|r| STANDARD.encode(&r.der)).collect();
            Ok(Answer {
                body: json_bytes(&list)?,
                fresh_until: self.fresh_until(now, &records),
            })
        };
        let lookup = at.is_none().then(|| Lookup::ActorSeed {
            user: canonical(user),
        });
        self.answer(lookup, arrived, now, compute).await
    }

    /// The answer from the cache when it may be kept there (`lookup`), else computed afresh.
    async fn answer<Fut>(
        &self,
        lookup: Option<Lookup>,
        arrived: Instant,
        now: u64,
        compute: impl FnOnce() -> Fut,
    ) -> Result<Bytes>
    where
        Fut: Future<Output = Result<Answer>>,
    {
        match lookup {
            None => compute().await.map(|answer| answer.body),
            Some(lookup) => {
                let version = self.authority.cert_version();
                self.cache
                    .get_or_compute(version, lookup, arrived, now, compute)
                    .await
            }
        }
    }

    /// A foreign actor's certificates as its home server answers them, verified.
    async fn foreign_actor_certs(
        &self,
        fid: &FederationId,
        query: &get_actor_id_certs::Query,
    ) -> Result<Vec<CacheableIdCert>> {
        self.federation
            .actor_certs(fid, query)
            .await
            .map_err(|r| r.for_lookup())
    }

    /// S6 for a foreign actor: the verified certificates valid at `at`, base64 DER.
    async fn foreign_actor_certs_seed(&self, fid: &FederationId, at: Option<u64>) -> Result<Bytes> {
        let filter = get_actor_id_certs::Query {
            not_before: at,
            not_after: at,
            session_id: None,
        };
        let list = self.foreign_actor_certs(fid, &filter).await?;
        let at = at.unwrap_or_else(|| self.clock.now());
        let mut ders = Vec::with_capacity(list.len());
        for entry in list {
            let cert = IdCert::from_pem(&entry.id_cert_pem)
                .map_err(|e| Error::internal("verified certificate", e))?;
            if cert.validity().contains(at) && entry.invalidated_at.is_none_or(|inv| at < inv) {
                ders.push(STANDARD.encode(cert.as_der()));
            }
        }
        json_bytes(&ders)
    }

    /// A federation ID of another home server, if `user` is one.
    fn foreign_fid(&self, user: &str) -> Option<FederationId> {
        FederationId::new(user)
            .ok()
            .filter(|fid| fid.domain() != &self.config.domain_name())
    }

    /// Until when an answer signed now may be served from the cache: half its cache window,
    /// and never past the second after the first listed certificate expires (for answers
    /// about the present, which that expiry changes).
    fn fresh_until(&self, now: u64, expiring: &[CertRecord]) -> u64 {
        let half_window = now + self.config.certs.cache_window_secs / 2;
        expiring
            .iter()
            .map(|record| record.validity.not_after.saturating_add(1))
            .fold(half_window, u64::min)
    }
}

/// The cache key of a `{fid}` or `{user_id}` path segment: a federation ID in its canonical
/// lowercase form, so that case variants of one actor share one entry.
fn canonical(user: &str) -> String {
    FederationId::new(user).map_or_else(|_| user.to_owned(), |fid| fid.to_string())
}

/// A value serialized as JSON the way `HttpResponse::json` would.
fn json_bytes(value: &impl serde::Serialize) -> Result<Bytes> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| Error::internal("serialize answer", e))
}
