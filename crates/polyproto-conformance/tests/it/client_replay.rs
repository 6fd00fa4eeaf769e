//! `polyproto-conformance client`: our client accepts every recorded answer it should and
//! refuses every one it must (`crates/polyproto-client/fixtures/`).

#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use polyproto_conformance::client_replay;
use polyproto_conformance::report::{self, Kind};

#[tokio::test]
async fn every_recording_is_accepted_or_refused_as_it_must_be() {
    let outcomes = client_replay::run(&polyproto_test_support::mock::recorded_dir())
        .await
        .unwrap();
    assert!(outcomes.len() >= 7, "{outcomes:?}");
    let rendered: String = outcomes.iter().map(report::render_one).collect();
    assert!(
        outcomes.iter().all(|o| o.status.kind() == Kind::Pass),
        "{rendered}"
    );
    assert!(
        outcomes
            .iter()
            .any(|o| o.case == "client/refuse_bad_signature")
    );
}
