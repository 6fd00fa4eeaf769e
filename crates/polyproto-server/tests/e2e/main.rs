//! End-to-end scenarios over HTTP against a real server, each run on SQLite and on PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod certs;
mod operations;
mod server_key;
