//! The cases keep their request paths written out, because they prove the routes exist exactly
//! there; this pins each of them to a route of `polyproto_types::api`, so a route that moves
//! cannot leave a case testing a path nobody serves. Only the cases about unknown paths and
//! methods (404 `P2CORE_NOT_FOUND`, 405) may ask for something no route declares.

#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use polyproto_conformance::{case, fixtures_dir};
use polyproto_types::api::{ALL_ROUTES, Route};

/// Whether `path` (templated, without its query string) fits `route.path`: the same segments,
/// where a `{param}` of the route takes any one non-empty segment.
fn fits(route: &Route, path: &str) -> bool {
    let wanted: Vec<&str> = route.path.split('/').collect();
    let given: Vec<&str> = path.split('/').collect();
    wanted.len() == given.len()
        && wanted.iter().zip(&given).all(|(w, g)| {
            if w.starts_with('{') && w.ends_with('}') {
                !g.is_empty()
            } else {
                w == g
            }
        })
}

#[test]
fn every_case_requests_a_declared_route() {
    let cases = case::load_dir(&fixtures_dir().join("cases")).unwrap();
    let mut steps = 0;
    for case in &cases {
        for step in &case.steps {
            steps += 1;
            let path = step.path.split('?').next().unwrap_or_default();
            let path_known = ALL_ROUTES.iter().any(|r| fits(r, path));
            let declared = ALL_ROUTES
                .iter()
                .any(|r| r.method.as_str() == step.method && fits(r, path));
            let expect = &step.expect;
            let allowed = match (path_known, declared) {
                (false, _) => {
                    expect.status == 404 && expect.problem.as_deref() == Some("P2CORE_NOT_FOUND")
                }
                (true, false) => expect.status == 405,
                (true, true) => true,
            };
            assert!(
                allowed,
                "{} / {}: {} {} is no route of polyproto_types::api",
                case.id, step.name, step.method, step.path
            );
        }
    }
    assert!(steps > 100, "the cases were read ({steps} steps)");
}
