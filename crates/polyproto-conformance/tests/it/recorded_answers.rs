//! The typed parsing of every recorded answer (`crates/polyproto-client/fixtures/`), as insta
//! snapshots: what `polyproto-types` reads from each lookup answer (certificate subject,
//! serial, validity, cache window, invalidation), and the problem details of each error.
//! A change in how the types read the wire shows up as a snapshot diff.

#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use polyproto_test_support::mock::{Cassette, recorded_dir};
use polyproto_types::{CacheableIdCert, IdCert};
use serde_json::{Value, json};

/// What the types read from one certificate.
fn cert_summary(cert: &IdCert) -> Value {
    let validity = cert.validity();
    json!({
        "subject": polyproto_conformance::pki::describe(cert),
        "issuerDomain": cert.issuer_domain().to_string(),
        "serial": cert.serial().to_string(),
        "notBefore": validity.not_before,
        "notAfter": validity.not_after,
        "profile": format!("{:?}", cert.profile()),
    })
}

/// What the types read from one cacheable certificate.
fn cacheable_summary(cacheable: &CacheableIdCert) -> Value {
    json!({
        "cert": IdCert::from_pem(&cacheable.id_cert_pem).map_or_else(|e| json!(e.to_string()), |c| cert_summary(&c)),
        "cacheNotValidBefore": cacheable.cache_not_valid_before,
        "cacheNotValidAfter": cacheable.cache_not_valid_after,
        "invalidatedAt": cacheable.invalidated_at,
    })
}

/// The typed reading of one recorded answer.
fn parse(method: &str, path: &str, status: u16, body: &str) -> Value {
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    if status >= 400 {
        let problem: Value = serde_json::from_str(body).unwrap();
        return json!({"status": status, "error": problem["error"], "title": problem["title"]});
    }
    match (method, path) {
        ("GET", "/.p2/core/v1/idcert/server") => {
            cacheable_summary(&serde_json::from_str::<CacheableIdCert>(body).unwrap())
        }
        ("GET", p) if p.starts_with("/.p2/core/v1/idcert/actor/") => {
            let list: Vec<CacheableIdCert> = serde_json::from_str(body).unwrap();
            Value::Array(list.iter().map(cacheable_summary).collect())
        }
        ("GET", "/p2core/key/server") => {
            let encoded: String = serde_json::from_str(body).unwrap();
            cert_summary(&IdCert::from_pem_or_base64(&encoded).unwrap())
        }
        ("GET", p) if p.starts_with("/p2core/key/user/") => {
            let list: Vec<String> = serde_json::from_str(body).unwrap();
            Value::Array(
                list.iter()
                    .map(|e| cert_summary(&IdCert::from_pem_or_base64(e).unwrap()))
                    .collect(),
            )
        }
        _ => json!({"status": status, "bytes": body.len()}),
    }
}

#[test]
fn recorded_answers_parse_as_before() {
    let mut paths: Vec<_> = std::fs::read_dir(recorded_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    for path in paths {
        let cassette = Cassette::load(&path).unwrap();
        let parsed: Vec<Value> = cassette
            .exchanges
            .iter()
            .map(|e| {
                json!({
                    "request": format!("{} {}", e.request.method, e.request.path),
                    "answer": parse(&e.request.method, &e.request.path, e.response.status, &e.response.body),
                })
            })
            .collect();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_json_snapshot!(name, parsed);
    }
}
