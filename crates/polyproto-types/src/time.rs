//! Time as polyproto carries it: UNIX seconds in a `u64`.

use std::time::SystemTime;

/// The current time in UNIX seconds.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
