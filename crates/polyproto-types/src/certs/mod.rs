//! ID-Certs and ID-CSRs (polyproto core §6.1): X.509 v3 certificates binding an actor
//! session's Ed25519 key to its federation ID, issued by the actor's home server, and the
//! self-signed certificate of the home server itself.
//!
//! Everything here follows the byte-exact layout of docs/wire-contract.md §4.1, which the reference SDK
//! re-encodes before verifying a signature. Cryptography is strict: Ed25519 only,
//! `verify_strict`, weak keys refused.

mod capabilities;
mod cert;
mod csr;
mod error;
mod issue;
mod key;
mod pem;
mod serial;
mod validity;

pub use capabilities::{Profile, RequestedCapabilities};
pub use cert::{IdCert, Subject};
pub use csr::IdCsr;
pub use error::{CertError, KeyError};
pub use key::{ED25519_OID, verify_strict, verifying_key_from_spki};
pub use serial::Serial;
pub use validity::Validity;

/// PEM of certificate DER (label `CERTIFICATE`, LF, 64 columns, trailing newline; docs/wire-contract.md
/// §2), without parsing it: for a server answering with certificates it issued and stored.
pub fn certificate_pem(der: &[u8]) -> String {
    pem::encode("CERTIFICATE", der)
}
