//! The harness: a real home server in-process on a random loopback port, on SQLite or on a
//! fresh PostgreSQL database. The server's own tests' harness, included from its crate (the
//! same conventions: `POLYPROTO_TEST_POSTGRES_URL`, skipped with a printed reason when unset,
//! failing when `POLYPROTO_TEST_REQUIRE_POSTGRES` is set).

#![allow(
    unreachable_pub,
    reason = "the harness is shared by several test binaries"
)]

#[path = "../../../polyproto-server/tests/common/harness.rs"]
mod harness;

pub use harness::*;
