//! End-to-end scenarios over HTTP against a real server, each run on SQLite and on PostgreSQL.

#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod accounts;
mod cert_cache;
mod certs;
mod deadlines;
mod encodings;
mod federation;
mod harness;
mod key_packages;
mod operations;
mod server_key;
