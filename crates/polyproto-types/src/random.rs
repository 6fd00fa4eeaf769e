//! Randomness from the operating system, for identifiers and secrets.

/// The 62 characters of `[A-Za-z0-9]`.
const ALPHANUMERIC: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Fills `buf` from the operating system's random number generator.
///
/// # Panics
/// If the operating system cannot provide randomness. Nothing secret can be made safely then,
/// so stopping is the only sound answer.
pub(crate) fn fill(buf: &mut [u8]) {
    #[allow(clippy::expect_used, reason = "no safe way on without OS randomness")]
    getrandom::fill(buf).expect("the operating system's random number generator failed");
}

/// `len` uniformly random characters from `[A-Za-z0-9]`.
pub(crate) fn alphanumeric(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        fill(&mut buf);
        // 248 = 4 * 62: reject the top bytes so that every character is equally likely.
        for &b in buf.iter().filter(|&&b| b < 248) {
            if out.len() == len {
                break;
            }
            out.push(char::from(ALPHANUMERIC[usize::from(b % 62)]));
        }
    }
    out
}

/// A uniformly random `u64`.
pub(crate) fn u64() -> u64 {
    let mut buf = [0u8; 8];
    fill(&mut buf);
    u64::from_le_bytes(buf)
}

#[cfg(test)]
mod tests {
    #[test]
    fn alphanumeric_has_the_length_and_alphabet() {
        for len in [0, 1, 32, 64, 256] {
            let s = super::alphanumeric(len);
            assert_eq!(s.len(), len);
            assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        }
        assert_ne!(super::alphanumeric(32), super::alphanumeric(32));
    }
}
