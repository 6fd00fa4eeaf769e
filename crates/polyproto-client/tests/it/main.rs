//! polyproto-client's integration tests, linked into one binary: the client and the
//! `polyproto` tool against a real server on both databases, against recorded answers, and
//! the README's quickstart run as written.

mod cli;
mod mock;
mod readme;
mod server;
