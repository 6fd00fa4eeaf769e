//! The lookup cache: certificate lookup answers (`GET /.p2/core/v1/idcert/server`,
//! `GET /.p2/core/v1/idcert/actor/{fid}`, S5 and S6 without a timestamp) kept in memory as the
//! exact bytes sent.
//!
//! An entry is served only while
//! - the certificate version it was filled at is still the database's, read after the
//!   request arrived ([`crate::services::cert_version`]): every issuance, invalidation and
//!   server key rotation, by any process on the database, makes every older entry a miss;
//! - the present is before its `fresh_until`: half the signed cache window has not passed
//!   (so clients always get a window that still runs), and no certificate in it has expired.
//!
//! Memory is bounded by a number of entries, kept in two generations: new entries go to the
//! young one; when it holds half the capacity it becomes the old one and the previous old one
//! is dropped; a hit in the old generation moves the entry back to the young one.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::web::Bytes;

use crate::error::Result;
use crate::services::cert_version::CertVersion;

/// What a cached answer answers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Lookup {
    /// `GET /.p2/core/v1/idcert/server`.
    Server,
    /// S5, `GET /p2core/key/server`.
    ServerSeed,
    /// `GET /.p2/core/v1/idcert/actor/{user}` with its filters.
    Actor {
        /// The path segment as requested (federation ID or actor ID).
        user: String,
        /// `notBefore`.
        not_before: Option<u64>,
        /// `notAfter`.
        not_after: Option<u64>,
        /// `sessionId`.
        session_id: Option<String>,
    },
    /// S6, `GET /p2core/key/user/{user}`.
    ActorSeed {
        /// The path segment as requested.
        user: String,
    },
}

/// A freshly computed answer and until when (UNIX seconds, exclusive) it may be reused.
pub(super) struct Answer {
    /// The response body.
    pub(super) body: Bytes,
    /// The first second it must no longer be served from the cache.
    pub(super) fresh_until: u64,
}

/// How often the cache answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Answers served from memory.
    pub hits: u64,
    /// Answers computed (and kept when allowed).
    pub misses: u64,
    /// Entries held now.
    pub entries: usize,
}

struct Entry {
    version: i64,
    fresh_until: u64,
    body: Bytes,
}

#[derive(Default)]
struct Generations {
    young: BTreeMap<Lookup, Entry>,
    old: BTreeMap<Lookup, Entry>,
}

/// The cache, shared by every worker of one server process.
pub(super) struct LookupCache {
    /// Entries at most; 0 turns the cache off.
    capacity: usize,
    generations: Mutex<Generations>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl LookupCache {
    /// A cache of at most `capacity` entries (0: no cache).
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            generations: Mutex::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The answer to `lookup`: from memory if it is still current, else from `compute`.
    /// `arrived` is when the request arrived; the version is read after it. `now` is the
    /// server clock's present, in UNIX seconds.
    ///
    /// # Errors
    /// A storage error reading the version, or `compute`'s error (never cached).
    pub(super) async fn get_or_compute<Fut>(
        &self,
        version: &CertVersion,
        lookup: Lookup,
        arrived: Instant,
        now: u64,
        compute: impl FnOnce() -> Fut,
    ) -> Result<Bytes>
    where
        Fut: Future<Output = Result<Answer>>,
    {
        if self.capacity == 0 {
            return compute().await.map(|answer| answer.body);
        }
        let version = version.current(arrived).await?;
        if let Some(body) = self.get(&lookup, version, now) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(body);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let answer = compute().await?;
        self.insert(
            lookup,
            Entry {
                version,
                fresh_until: answer.fresh_until,
                body: answer.body.clone(),
            },
            now,
        );
        Ok(answer.body)
    }

    /// The counters.
    pub(super) fn stats(&self) -> CacheStats {
        let entries = self
            .generations
            .lock()
            .map_or(0, |g| g.young.len() + g.old.len());
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries,
        }
    }

    fn get(&self, lookup: &Lookup, version: i64, now: u64) -> Option<Bytes> {
        let mut generations = self.generations.lock().ok()?;
        let usable = |e: &Entry| e.version == version && now < e.fresh_until;
        if let Some(entry) = generations.young.get(lookup) {
            if usable(entry) {
                return Some(entry.body.clone());
            }
            generations.young.remove(lookup);
            return None;
        }
        let entry = generations.old.remove(lookup)?;
        if !usable(&entry) {
            return None;
        }
        let body = entry.body.clone();
        self.promote(&mut generations, lookup.clone(), entry);
        Some(body)
    }

    fn insert(&self, lookup: Lookup, entry: Entry, now: u64) {
        if self.capacity == 0 || entry.fresh_until <= now {
            return;
        }
        if let Ok(mut generations) = self.generations.lock() {
            generations.old.remove(&lookup);
            self.promote(&mut generations, lookup, entry);
        }
    }

    /// Puts an entry in the young generation, aging the generations when it is full.
    fn promote(&self, generations: &mut Generations, lookup: Lookup, entry: Entry) {
        generations.young.insert(lookup, entry);
        if generations.young.len() >= (self.capacity / 2).max(1) {
            generations.old = std::mem::take(&mut generations.young);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Entry, Lookup, LookupCache};
    use polyproto_types::time::now_unix;

    fn actor(n: usize) -> Lookup {
        Lookup::ActorSeed {
            user: format!("a{n}@localhost"),
        }
    }

    fn entry(version: i64, fresh_until: u64, body: &'static str) -> Entry {
        Entry {
            version,
            fresh_until,
            body: body.into(),
        }
    }

    #[test]
    fn hits_only_at_the_same_version_and_while_fresh() {
        let cache = LookupCache::new(10);
        let now = now_unix();
        cache.insert(Lookup::Server, entry(3, now + 10, "cert"), now);
        assert_eq!(
            cache.get(&Lookup::Server, 3, now).as_deref(),
            Some(&b"cert"[..])
        );
        assert_eq!(cache.get(&Lookup::ServerSeed, 3, now), None);
        assert_eq!(
            cache.get(&Lookup::Server, 4, now),
            None,
            "a newer version misses"
        );
        assert_eq!(
            cache.get(&Lookup::Server, 3, now),
            None,
            "and drops the entry"
        );
        cache.insert(Lookup::Server, entry(3, now + 10, "cert"), now);
        assert_eq!(
            cache.get(&Lookup::Server, 3, now + 10),
            None,
            "stale at fresh_until"
        );
        cache.insert(Lookup::Server, entry(3, now, "old"), now);
        assert_eq!(
            cache.get(&Lookup::Server, 3, now),
            None,
            "never kept when already stale"
        );
    }

    #[test]
    fn holds_at_most_its_capacity_and_keeps_what_is_used() {
        let cache = LookupCache::new(100);
        let now = now_unix();
        cache.insert(actor(0), entry(1, now + 60, "hot"), now);
        for n in 1..1000 {
            cache.insert(actor(n), entry(1, now + 60, "x"), now);
            // The hot entry is read as often as the others are written.
            assert!(cache.get(&actor(0), 1, now).is_some(), "evicted at {n}");
            assert!(cache.stats().entries <= 100);
        }
        assert!(
            cache.get(&actor(1), 1, now).is_none(),
            "cold entries age out"
        );
    }

    #[test]
    fn zero_capacity_keeps_nothing() {
        let cache = LookupCache::new(0);
        let now = now_unix();
        cache.insert(Lookup::Server, entry(1, now + 60, "x"), now);
        assert_eq!(cache.stats().entries, 0);
    }
}
