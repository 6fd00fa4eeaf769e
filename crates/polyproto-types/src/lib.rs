//! polyproto protocol types, shared by the home server and the client.
//!
//! - [`names`]: federation IDs, local names, domains, session IDs and the pDN (core §5, §6.1.1).
//! - [`certs`]: ID-CSRs and ID-Certs of both profiles, issuance and validation (core §6.1).
//! - [`cache`]: cacheable ID-Certs with signed cache information (core §6.4.1).
//! - [`challenge`]: challenge strings and their signed solutions (core §4.3).
//! - [`key_package`]: MLS KeyPackage payloads; validation behind the `mls` feature.
//! - [`api`]: every endpoint's route, request and response, and the error body.
//!
//! No I/O and no web framework: this crate is the protocol, as data. The wire decisions it
//! encodes are those of the project's docs/wire-contract.md.

pub mod api;
pub mod cache;
pub mod certs;
pub mod challenge;
pub mod key_package;
pub mod names;
mod random;
pub mod signature;
pub mod time;
pub mod wire;

pub use cache::CacheableIdCert;
pub use certs::{IdCert, IdCsr};
pub use names::{DomainName, FederationId, LocalName, SessionId};
