//! MLS KeyPackages as handled by a polyproto home server (polyproto-mls §2, the server acting as
//! the MLS Delivery Service and Authentication Service; RFC 9420 §10 "Key Packages").
//!
//! * [`KeyPackagePayload`]: the bytes of one KeyPackage exactly as a client uploaded them, with
//!   the JSON form of docs/wire-contract.md §5.1 (a standard padded base64 string). Always available.
//! * [`parse_ciphersuite`]: ciphersuite selectors of docs/wire-contract.md §5.2 (`0x0001`, `1` or the
//!   RFC 9420 §17.1 name). Always available.
//! * `validate_key_package` (feature `mls`): every upload check of docs/wire-contract.md §5.1, i.e. RFC 9420
//!   §10.1 "KeyPackage Validation" (through openmls) plus the server policy and the binding of
//!   the package to the uploading actor.
//!
//! Tests build real KeyPackages with `polyproto-test-support` (`key_packages`).

mod ciphersuite;
mod error;
mod payload;
#[cfg(feature = "mls")]
mod validate;

#[cfg(test)]
mod tests;

pub use ciphersuite::{
    MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519, ciphersuite_name, parse_ciphersuite,
};
pub use error::KeyPackageError;
pub use payload::KeyPackagePayload;
#[cfg(feature = "mls")]
pub use validate::{
    CredentialKind, KeyPackageBinding, KeyPackageFormat, KeyPackagePolicy, ValidatedKeyPackage,
    validate_key_package,
};
