//! The conformance suite against our own server, on SQLite and on PostgreSQL: every case of
//! `conformance-fixtures/cases/` and the reference SDK's calls pass, the outcomes are the
//! committed baseline, and every
//! certificate seen passes `openssl verify` and `pkilint` (when `lint_pkix_cert` is
//! installed; `.ci/run` installs it and runs the suite's binary as well).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use polyproto_conformance::case::{self, Case};
use polyproto_conformance::fixtures_dir;
use polyproto_conformance::report::{self, Kind, Status};
use polyproto_conformance::skip::SkipList;
use polyproto_test_support::Backend;

use crate::common::Servers;

polyproto_test_support::on_both_backends!(every_case_passes, a_wrong_expectation_fails_with_a_diff);

async fn every_case_passes(backend: Backend) {
    let Some(servers) = Servers::start(backend).await else {
        return;
    };
    let mut runner = servers.runner().await;
    let cases = case::load_dir(&fixtures_dir().join("cases")).unwrap();
    let skips = SkipList::load(&fixtures_dir().join("skip.toml")).unwrap();
    let mut outcomes = Vec::new();
    for case in &cases {
        outcomes.push(runner.run(case, &skips).await);
    }
    outcomes.extend(runner.reference_sdk().await);
    let rendered: String = outcomes.iter().map(report::render_one).collect();
    assert!(
        outcomes.iter().all(|o| o.status.kind() == Kind::Pass),
        "{rendered}"
    );
    let baseline = report::load_baseline(&fixtures_dir().join("baseline.json")).unwrap();
    assert_eq!(report::compare(&baseline, &outcomes), Vec::<String>::new());
    assert!(
        runner.pool.len() > 10,
        "the suite saw {} certificates",
        runner.pool.len()
    );
    if std::process::Command::new("lint_pkix_cert")
        .arg("--help")
        .output()
        .is_ok()
    {
        assert_eq!(runner.pool.check().unwrap(), Vec::new());
    } else {
        println!(
            "lint_pkix_cert is not installed (pip install pkilint): certificates not linted here"
        );
    }
    servers.stop().await;
}

async fn a_wrong_expectation_fails_with_a_diff(backend: Backend) {
    let Some(servers) = Servers::start(backend).await else {
        return;
    };
    let mut runner = servers.runner().await;
    let wrong: Case = toml::from_str(
        r#"
        id = "wrong"
        checks = "the runner"
        description = "expects a status the route does not answer"
        [[steps]]
        name = "server key"
        method = "GET"
        path = "/p2core/key/server"
        expect = { status = 201 }
        "#,
    )
    .unwrap();
    let outcome = runner.run(&wrong, &SkipList::default()).await;
    match outcome.status {
        Status::Fail { step, diff } => {
            assert_eq!(step, "1. server key");
            assert!(diff.contains("- 201") && diff.contains("+ 200"), "{diff}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    let skipped = runner
        .run(
            &wrong,
            &SkipList::parse("[[skip]]\ncase = \"wrong\"\nreason = \"known\"\n").unwrap(),
        )
        .await;
    assert_eq!(
        skipped.status,
        Status::Skip {
            reason: "skip list: known".to_owned()
        }
    );
    servers.stop().await;
}
