//! What the workspace's tests share, in one unpublished crate (no test includes another crate's
//! files):
//!
//! - [`server`]: a real home server per test, in-process on a random loopback port, on SQLite or
//!   on a fresh PostgreSQL database ([`on_both_backends!`] runs a test on each);
//! - [`http`]: a small client speaking the wire contract to such a server, with its answers
//!   checked (status, request ID, problem+json);
//! - [`proxy`]: a reverse proxy that counts, delays or spoils a home server's answers, for
//!   federation tests;
//! - [`mock`]: a mock home server replaying recorded answers ([`mock::Cassette`]), for the
//!   client's tests and the conformance suite;
//! - [`key_packages`]: real MLS KeyPackages built with openmls for an Ed25519 key, with every
//!   knob the negative cases need.
//!
//! PostgreSQL runs read `POLYPROTO_TEST_POSTGRES_URL`; without it they are skipped with a
//! printed reason, unless `POLYPROTO_TEST_REQUIRE_POSTGRES` is set (CI sets both).
//!
//! Functions here panic on failure: they are meant for tests only.

#![allow(
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    reason = "test helpers: a failure is a failed test"
)]

pub mod http;
pub mod key_packages;
pub mod mock;
pub mod proxy;
pub mod server;

pub use http::{Answer, Auth, ChildServer, Session, new_key};
pub use server::{Backend, PASSWORD, POSTGRES_URL_VAR, REQUIRE_POSTGRES_VAR, TestServer};
