//! Snowflake IDs for actors: 64-bit, time-ordered, unique across server processes.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds from the UNIX epoch to 2024-01-01, the snowflake epoch.
const EPOCH_MS: u64 = 1_704_067_200_000;

/// A new snowflake: 41 bits of milliseconds since 2024 then 22 random bits, as a positive
/// `i64`. Random low bits (rather than a per-process sequence) keep IDs unique across
/// processes sharing a database without coordination; the database's primary key catches the
/// one-in-four-million chance of two IDs in the same millisecond, and the caller retries.
pub(crate) fn snowflake() -> i64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let since_epoch = u64::try_from(ms)
        .unwrap_or(u64::MAX)
        .saturating_sub(EPOCH_MS)
        & ((1 << 41) - 1);
    let mut random = [0u8; 4];
    super::tokens::fill_random(&mut random);
    let low = u64::from(u32::from_le_bytes(random)) & ((1 << 22) - 1);
    // 41 + 22 = 63 bits: always a positive i64.
    i64::try_from((since_epoch << 22) | low).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn snowflakes_are_positive_and_ordered_by_time() {
        let a = super::snowflake();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = super::snowflake();
        assert!(a > 0 && b > a);
    }
}
