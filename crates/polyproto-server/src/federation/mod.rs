//! Federation: talking to other home servers to verify their actors' ID-Certs (polyproto core
//! §4.1.1, §6.4, §6.4.1; docs/wire-contract.md §3.3).
//!
//! - [`client`]: outgoing HTTP with timeouts, response size caps, no redirects, https by
//!   default and a configured domain → base URL mapping for tests and development.
//! - [`verify`]: fetching and verifying a home server's certificate and an actor's cacheable
//!   certificates, with a cache that never outlives the home server's `cacheNotValidAfter`.

pub mod client;
pub mod verify;

pub use client::FederationClient;
pub use verify::Federation;
