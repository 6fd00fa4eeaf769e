//! The polyproto conformance suite.
//!
//! - Against a home server ([`runner`]): the cases of `conformance-fixtures/cases/` (format in
//!   [`case`], templates in [`template`], answer checks in [`matchers`]) are run over HTTP,
//!   every certificate seen is checked again by `openssl verify` and `pkilint` ([`pki`]), and
//!   the outcomes are compared with a committed baseline ([`report`]), minus a skip list
//!   ([`skip`]). The reference SDK's own client makes its calls against the same server
//!   ([`reference_sdk`]). Both address the servers as an [`endpoint::Endpoint`].
//! - Against the client ([`client_replay`]): our client replays answers recorded from a real
//!   server, including answers it must refuse.
//!
//! The command line is `polyproto-conformance server --url URL` and
//! `polyproto-conformance client`; `conformance-fixtures/README.md` documents both and the
//! fixture format.

pub mod case;
pub mod client_replay;
pub mod endpoint;
pub mod independent;
pub mod matchers;
pub mod pki;
pub mod reference_sdk;
pub mod report;
pub mod runner;
pub mod skip;
pub mod template;

use std::path::PathBuf;

/// `conformance-fixtures/` of this workspace.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../conformance-fixtures")
}
