//! Limits driven by failures: after a burst of wrong passwords for one account, its password
//! checks are refused with 429 `P2CORE_RATE_LIMITED` and `Retry-After` until the quota refills
//! (`accounts.password_failure_burst`, `accounts.password_failure_refill_secs`). Correct
//! passwords never count, so a user who types theirs meets no limit; the key is the account,
//! so online guessing is slow from any number of addresses.
//!
//! The GCRA bookkeeping is governor's. governor cannot ask "is this key limited?" without
//! spending a cell, so the accounts whose quota ran out are kept, with the moment they may try
//! again, beside it.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock as _, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use polyproto_types::api::error::ErrorCode;

use crate::error::{Error, Result};

/// Blocked keys kept before expired ones are swept.
const SWEEP_AT: usize = 4096;

/// A failure limit keyed by account: the local name, lowercase, so that names without an
/// account are limited alike and a refusal says nothing about whether the account exists.
pub(crate) struct FailureLimit {
    limiter: RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>,
    blocked: Mutex<BTreeMap<String, Instant>>,
}

impl FailureLimit {
    /// `burst` failures at once, then one more per `refill`.
    pub(crate) fn new(burst: NonZeroU32, refill: Duration) -> Self {
        let quota = Quota::with_period(refill)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            limiter: RateLimiter::keyed(quota),
            blocked: Mutex::default(),
        }
    }

    /// Refuses while `key`'s failures are spent.
    ///
    /// # Errors
    /// `RateLimited`, with the seconds until the next attempt.
    pub(crate) fn check(&self, key: &str) -> Result<()> {
        let now = Instant::now();
        let Ok(mut blocked) = self.blocked.lock() else {
            return Ok(());
        };
        match blocked.get(key) {
            Some(until) if *until > now => {
                let wait = until.duration_since(now);
                // Whole seconds, rounded up.
                let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
                Err(Error::new(
                    ErrorCode::RateLimited,
                    format!("too many wrong passwords for this account; retry in {secs} s"),
                )
                .with_retry_after(secs))
            }
            Some(_) => {
                blocked.remove(key);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts a failure for `key`; once its quota is spent, `check` refuses it until the quota
    /// allows one more.
    pub(crate) fn failed(&self, key: &str) {
        let key = key.to_owned();
        let Err(not_until) = self.limiter.check_key(&key) else {
            return;
        };
        let wait = not_until.wait_time_from(self.limiter.clock().now());
        let now = Instant::now();
        if let Ok(mut blocked) = self.blocked.lock() {
            blocked.insert(key, now + wait);
            if blocked.len() > SWEEP_AT {
                blocked.retain(|_, until| *until > now);
            }
        }
        if self.limiter.len() > SWEEP_AT {
            self.limiter.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;
    use std::time::Duration;

    use polyproto_types::api::error::ErrorCode;

    use super::FailureLimit;

    #[test]
    fn a_burst_of_failures_blocks_only_that_key_until_it_refills() {
        let burst = NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN);
        let limit = FailureLimit::new(burst, Duration::from_millis(300));
        for _ in 0..3 {
            assert!(limit.check("alice").is_ok());
            limit.failed("alice");
        }
        assert!(limit.check("alice").is_ok(), "three failures are allowed");
        limit.failed("alice");
        let refused = limit.check("alice").err().map(|e| e.code().clone());
        assert_eq!(refused, Some(ErrorCode::RateLimited));
        assert!(
            limit.check("bob").is_ok(),
            "other accounts are not affected"
        );
        std::thread::sleep(Duration::from_millis(400));
        assert!(limit.check("alice").is_ok(), "the quota refills");
    }
}
