//! Session tokens: 32 random bytes, base64url without padding; only their SHA-256 is stored
//! (docs/wire-contract.md §3.1).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Fills `buf` from the operating system's random number generator.
///
/// # Panics
/// If the operating system has no randomness to give; no secret can be made safely then.
pub(crate) fn fill_random(buf: &mut [u8]) {
    #[allow(clippy::expect_used, reason = "no safe way on without OS randomness")]
    getrandom::fill(buf).expect("the operating system's random number generator failed");
}

/// A new token and the hash to store.
pub(crate) fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

/// The stored form of a token.
pub(crate) fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_43_chars_and_hash_to_32_bytes() {
        let (token, hash) = super::new_token();
        assert_eq!(token.len(), 43);
        assert_eq!(hash.len(), 32);
        assert_eq!(super::hash_token(&token), hash);
        assert_ne!(super::new_token().0, token);
    }
}
