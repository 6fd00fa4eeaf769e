//! The server's clock: the system time plus an offset, which only moves forward once the
//! server runs. Every decision that depends on the time of day (certificate validity, cache
//! windows, challenge and session expiry, KeyPackage lifetimes) reads it here, so tests move a
//! server through time with [`Clock::advance`] instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use polyproto_types::time::now_unix;

/// A clock shared by every service of one server.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Seconds added to the system time (negative: behind it).
    ahead: Arc<AtomicI64>,
}

impl Clock {
    /// A clock `by` behind the system time (whole seconds, rounded up), for a test that must
    /// move a server forward and still agree with a peer that reads the system time.
    pub fn behind(by: Duration) -> Self {
        let clock = Self::default();
        clock.ahead.store(-whole_seconds(by), Ordering::Relaxed);
        clock
    }

    /// The current time in UNIX seconds.
    pub fn now(&self) -> u64 {
        let ahead = self.ahead.load(Ordering::Relaxed);
        now_unix().saturating_add_signed(ahead)
    }

    /// Moves the clock forward by `by` (whole seconds, rounded up): for tests and
    /// simulations. Nothing moves it back.
    pub fn advance(&self, by: Duration) {
        self.ahead.fetch_add(whole_seconds(by), Ordering::Relaxed);
    }
}

/// `by` in whole seconds, rounded up.
fn whole_seconds(by: Duration) -> i64 {
    let secs = by.as_secs() + u64::from(by.subsec_nanos() > 0);
    i64::try_from(secs).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Clock;

    #[test]
    fn advances_by_whole_seconds_for_every_clone() {
        let clock = Clock::default();
        let shared = clock.clone();
        let before = clock.now();
        shared.advance(Duration::from_millis(1500));
        let after = clock.now();
        assert!(
            (before + 2..=before + 3).contains(&after),
            "{before} → {after}"
        );
    }
}
