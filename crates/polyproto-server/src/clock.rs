//! The server's clock: the system time, plus an offset that only moves forward. Every
//! decision that depends on the time of day (certificate validity, cache windows, challenge
//! and session expiry, KeyPackage lifetimes) reads it here, so tests move a server through
//! time with [`Clock::advance`] instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use polyproto_types::time::now_unix;

/// A clock shared by every service of one server.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Seconds added to the system time.
    ahead: Arc<AtomicU64>,
}

impl Clock {
    /// The current time in UNIX seconds.
    pub fn now(&self) -> u64 {
        now_unix().saturating_add(self.ahead.load(Ordering::Relaxed))
    }

    /// Moves the clock forward by `by` (whole seconds, rounded up): for tests and
    /// simulations. Nothing moves it back.
    pub fn advance(&self, by: Duration) {
        let secs = by.as_secs() + u64::from(by.subsec_nanos() > 0);
        self.ahead.fetch_add(secs, Ordering::Relaxed);
    }
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
