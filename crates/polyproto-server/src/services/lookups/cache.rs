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
//! Memory is bounded by a number of entries and by their bytes (the answer and its key), kept
//! in two generations: new entries go to the young one; when it holds half of either bound it
//! becomes the old one and the previous old one is dropped; a hit in the old generation moves
//! the entry back to the young one. An answer larger than half the byte budget is not kept.

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
    /// `GET /.p2/core/v1/idcert/actor/{user}` without a range (ranges are not cached).
    Actor {
        /// The path segment: a federation ID lowercased, or an actor ID.
        user: String,
        /// `sessionId`.
        session_id: Option<String>,
    },
    /// S6, `GET /p2core/key/user/{user}`.
    ActorSeed {
        /// The path segment: a federation ID lowercased, or an actor ID.
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
    /// What the entries weigh now, in bytes (answers and keys).
    pub bytes: usize,
}

struct Entry {
    version: i64,
    fresh_until: u64,
    body: Bytes,
}

/// What an entry weighs: its answer, its key's text and a fixed overhead for the map node.
fn weight(lookup: &Lookup, entry: &Entry) -> usize {
    let key = match lookup {
        Lookup::Server | Lookup::ServerSeed => 0,
        Lookup::Actor {
            user, session_id, ..
        } => user.len() + session_id.as_ref().map_or(0, String::len),
        Lookup::ActorSeed { user } => user.len(),
    };
    entry.body.len() + key + 128
}

#[derive(Default)]
struct Generations {
    young: BTreeMap<Lookup, Entry>,
    young_bytes: usize,
    old: BTreeMap<Lookup, Entry>,
    old_bytes: usize,
}

/// The cache, shared by every worker of one server process.
pub(super) struct LookupCache {
    /// Entries at most; 0 turns the cache off.
    capacity: usize,
    /// Bytes at most.
    budget: usize,
    generations: Mutex<Generations>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl LookupCache {
    /// A cache of at most `capacity` entries (0: no cache) weighing at most `budget` bytes.
    pub(super) fn new(capacity: usize, budget: usize) -> Self {
        Self {
            capacity,
            budget,
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
        let (entries, bytes) = self.generations.lock().map_or((0, 0), |g| {
            (g.young.len() + g.old.len(), g.young_bytes + g.old_bytes)
        });
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries,
            bytes,
        }
    }

    fn get(&self, lookup: &Lookup, version: i64, now: u64) -> Option<Bytes> {
        let mut generations = self.generations.lock().ok()?;
        let usable = |e: &Entry| e.version == version && now < e.fresh_until;
        if let Some(entry) = generations.young.get(lookup) {
            if usable(entry) {
                return Some(entry.body.clone());
            }
            if let Some(stale) = generations.young.remove(lookup) {
                generations.young_bytes -= weight(lookup, &stale);
            }
            return None;
        }
        let entry = generations.old.remove(lookup)?;
        generations.old_bytes -= weight(lookup, &entry);
        if !usable(&entry) {
            return None;
        }
        let body = entry.body.clone();
        self.promote(&mut generations, lookup.clone(), entry);
        Some(body)
    }

    fn insert(&self, lookup: Lookup, entry: Entry, now: u64) {
        if self.capacity == 0
            || entry.fresh_until <= now
            || weight(&lookup, &entry) > self.budget / 2
        {
            return;
        }
        if let Ok(mut generations) = self.generations.lock() {
            if let Some(old) = generations.old.remove(&lookup) {
                generations.old_bytes -= weight(&lookup, &old);
            }
            self.promote(&mut generations, lookup, entry);
        }
    }

    /// Puts an entry in the young generation, aging the generations when it holds half the
    /// entries or half the bytes allowed.
    fn promote(&self, generations: &mut Generations, lookup: Lookup, entry: Entry) {
        let added = weight(&lookup, &entry);
        if let Some(replaced) = generations.young.insert(lookup.clone(), entry) {
            generations.young_bytes -= weight(&lookup, &replaced);
        }
        generations.young_bytes += added;
        if generations.young.len() >= (self.capacity / 2).max(1)
            || generations.young_bytes >= self.budget / 2
        {
            generations.old = std::mem::take(&mut generations.young);
            generations.old_bytes = std::mem::take(&mut generations.young_bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::web::Bytes;

    use super::{Entry, Lookup, LookupCache};
    use polyproto_types::time::now_unix;

    fn actor(n: usize) -> Lookup {
        Lookup::ActorSeed {
            user: format!("a{n}@localhost"),
        }
    }

    fn entry(version: i64, fresh_until: u64, body: impl Into<Bytes>) -> Entry {
        Entry {
            version,
            fresh_until,
            body: body.into(),
        }
    }

    #[test]
    fn hits_only_at_the_same_version_and_while_fresh() {
        let cache = LookupCache::new(10, 1 << 20);
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
        let cache = LookupCache::new(100, 1 << 20);
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
        let cache = LookupCache::new(0, 1 << 20);
        let now = now_unix();
        cache.insert(Lookup::Server, entry(1, now + 60, "x"), now);
        assert_eq!(cache.stats().entries, 0);
    }

    #[test]
    fn holds_at_most_its_byte_budget() {
        let cache = LookupCache::new(1_000_000, 64 * 1024);
        let now = now_unix();
        for n in 0..1000 {
            cache.insert(actor(n), entry(1, now + 60, "x".repeat(4096)), now);
            assert!(
                cache.stats().bytes <= 64 * 1024,
                "{} bytes",
                cache.stats().bytes
            );
        }
        assert!(cache.stats().entries > 0, "small answers are still kept");
        let huge = "x".repeat(40 * 1024);
        cache.insert(Lookup::Server, entry(1, now + 60, huge), now);
        assert_eq!(
            cache.get(&Lookup::Server, 1, now),
            None,
            "an answer over half the budget is not kept"
        );
    }
}
