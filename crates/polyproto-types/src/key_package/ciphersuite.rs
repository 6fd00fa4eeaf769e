//! MLS ciphersuite selectors (RFC 9420 §5.1 and §17.1; docs/wire-contract.md §5.2).

use super::KeyPackageError;

/// `MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519`, the ciphersuite every polyproto-mls
/// implementation must support (polyproto-mls §1.1; RFC 9420 §17.1).
pub const MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519: u16 = 0x0001;

/// The ciphersuites registered by RFC 9420 §17.1 ("MLS Cipher Suites"), by value.
const REGISTERED: [(u16, &str); 7] = [
    (0x0001, "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"),
    (0x0002, "MLS_128_DHKEMP256_AES128GCM_SHA256_P256"),
    (
        0x0003,
        "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519",
    ),
    (0x0004, "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448"),
    (0x0005, "MLS_256_DHKEMP521_AES256GCM_SHA512_P521"),
    (0x0006, "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448"),
    (0x0007, "MLS_256_DHKEMP384_AES256GCM_SHA384_P384"),
];

/// The RFC 9420 §17.1 name of a registered ciphersuite, e.g. `0x0001` →
/// `MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519`; `None` for any other value.
#[must_use]
pub fn ciphersuite_name(value: u16) -> Option<&'static str> {
    REGISTERED
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, name)| *name)
}

/// Parses one ciphersuite selector of the claim route's `ciphersuites` parameter
/// (docs/wire-contract.md §5.2): a hexadecimal number with a `0x` prefix (`0x0001`, `0xF110`), a decimal
/// number (`1`), or an RFC 9420 §17.1 name (`MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519`,
/// case-insensitive). Surrounding whitespace is ignored.
///
/// Any non-zero 16-bit number is accepted (private-use and draft suites such as polyproto-mls
/// §1.2's `0xF110` have no registered name); `0x0000` is reserved by RFC 9420 §17.1 and refused.
///
/// # Errors
/// [`KeyPackageError::UnknownCiphersuite`] for anything else.
pub fn parse_ciphersuite(s: &str) -> Result<u16, KeyPackageError> {
    let unknown = || KeyPackageError::UnknownCiphersuite(s.to_owned());
    let t = s.trim();
    if t.is_empty() {
        return Err(unknown());
    }
    let number = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        // `from_str_radix` accepts a leading `+`; a selector must not.
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(unknown());
        }
        u16::from_str_radix(hex, 16).map_err(|_| unknown())?
    } else if t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse::<u16>().map_err(|_| unknown())?
    } else {
        return REGISTERED
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(t))
            .map(|(v, _)| *v)
            .ok_or_else(unknown);
    };
    if number == 0 {
        return Err(unknown());
    }
    Ok(number)
}
