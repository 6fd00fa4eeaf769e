//! polyproto-conformance's integration tests, linked into one binary: the suite against our
//! server on both databases, our client against the recorded answers, the typed parsing of
//! every recording pinned by snapshots, and every case's path pinned to a declared route.

mod common;

mod client_replay;
mod recorded_answers;
mod routes;
mod suite;
