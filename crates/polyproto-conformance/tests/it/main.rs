//! polyproto-conformance's integration tests, linked into one binary: the suite against our
//! server on both databases, our client against the recorded answers, and the typed parsing
//! of every recording pinned by snapshots.

mod common;

mod client_replay;
mod recorded_answers;
mod suite;
