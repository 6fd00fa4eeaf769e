//! ID-Cert issuance, rotation and lookups (docs/wire-contract.md §1.1 S1, S5, S6; §1.2; §4).

use std::str::FromStr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use der::EncodePem as _;
use ed25519_dalek::SigningKey;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::time::now_unix;
use polyproto_types::{CacheableIdCert, IdCert};
use reqwest::Method;
use serde_json::json;
use x509_cert::builder::Builder as _;
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::name::Name;
use x509_cert::request::RequestBuilder;

use polyproto_test_support::on_both_backends;
use polyproto_test_support::{Auth, Backend, PASSWORD, TestServer};

on_both_backends! {
    backend: [
        s1_without_second_factor_when_configured,
    ],
    server: [
        reference_flow_first_and_follow_up_certificate,
        seed_s1_rotates_key_and_token,
        lookups_by_fid_id_session_and_range,
        time_travel_across_a_rotation,
        unknown_actors_and_bad_queries,
    ],
}

const IDCERT: &str = "/.p2/core/v1/idcert";
const S1: &str = "/.p2/core/v1/session/idcert";

/// A standard (extensionRequest-form) CSR with the given session ID, built with x509-cert's
/// request builder rather than ours, so it may break our rules.
pub(crate) fn csr_with_session(key: &SigningKey, fid: &str, session: &str) -> String {
    request(key, fid, session, false)
}

/// A standard CSR asking for a CA certificate.
pub(crate) fn csr_requesting_ca(key: &SigningKey, fid: &str, session: &str) -> String {
    request(key, fid, session, true)
}

fn request(key: &SigningKey, fid: &str, session: &str, ca: bool) -> String {
    let (local, domain) = fid.split_once('@').expect("fid");
    let subject = Name::from_str(&format!(
        "uniqueIdentifier={session},CN={local},UID={fid},DC={domain}"
    ))
    .expect("name");
    let mut builder = RequestBuilder::new(subject).expect("builder");
    if ca {
        builder
            .add_extension(&BasicConstraints {
                ca: true,
                path_len_constraint: None,
            })
            .expect("extension");
    }
    let request = builder
        .build::<_, ed25519_dalek::Signature>(key)
        .expect("request");
    request.to_pem(der::pem::LineEnding::LF).expect("pem")
}

async fn reference_flow_first_and_follow_up_certificate(server: &TestServer) {
    let alice = server.register("alice").await;
    let token = server
        .trust("alice", PASSWORD, None)
        .await
        .json::<serde_json::Value>()["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let key = polyproto_test_support::new_key();
    let dn = polyproto_types::names::ActorDn::new(
        alice.clone(),
        polyproto_types::SessionId::new("desk").expect("sid"),
    );
    let csr = polyproto_types::IdCsr::new(&key, &dn).expect("csr");
    let post = |body: String, auth: Auth<'_>| {
        auth.apply(
            server
                .request(Method::POST, IDCERT)
                .header("content-type", "text/plain")
                .body(body),
        )
    };
    // The first certificate of a pending session needs no second factor.
    let first = server.send(post(csr.to_pem(), Auth::Bearer(&token))).await;
    first.expect(201);
    let value: serde_json::Value = first.json();
    assert_eq!(value["idCert"], value["id_cert"]);
    let first_cert = IdCert::from_pem(value["idCert"].as_str().expect("idCert")).expect("cert");
    first_cert
        .validate_actor(&server.server_cert().await, now_unix())
        .expect("valid");

    // A follow-up needs it, and must stay in the session.
    let (_, next) = (
        polyproto_test_support::new_key(),
        polyproto_types::IdCsr::new(&polyproto_test_support::new_key(), &dn).expect("csr"),
    );
    server
        .send(post(next.to_pem(), Auth::Bearer(&token)))
        .await
        .expect_problem(401, ErrorCode::SensitiveSolutionRequired);
    server
        .send(post(next.to_pem(), Auth::Sensitive(&token, "nope")))
        .await
        .expect_problem(403, ErrorCode::SensitiveSolutionInvalid);
    let other_dn = polyproto_types::names::ActorDn::new(
        alice.clone(),
        polyproto_types::SessionId::new("other").expect("sid"),
    );
    let other = polyproto_types::IdCsr::new(&key, &other_dn).expect("csr");
    server
        .send(post(other.to_pem(), Auth::Sensitive(&token, PASSWORD)))
        .await
        .expect_problem(403, ErrorCode::CsrSubjectMismatch);
    server
        .send(post(
            "garbage".to_owned(),
            Auth::Sensitive(&token, PASSWORD),
        ))
        .await
        .expect_problem(400, ErrorCode::InvalidCsr);
    assert_eq!(
        server.actor_certs(&alice, "").await.len(),
        1,
        "refused requests change nothing"
    );

    // The JSON form works too, and the token stays valid.
    let body = json!({"csr": next.to_pem()}).to_string();
    let second = server
        .send(post(body, Auth::Sensitive(&token, PASSWORD)))
        .await;
    second.expect(201);
    let second_cert = IdCert::from_pem(
        second.json::<serde_json::Value>()["idCert"]
            .as_str()
            .expect("pem"),
    )
    .expect("cert");
    let current = server.actor_certs(&alice, "").await;
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].id_cert_pem, second_cert.to_pem());
    let history = server.actor_certs(&alice, "?notBefore=0").await;
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].id_cert_pem, first_cert.to_pem());
    assert!(history[0].invalidated_at.is_some() && history[1].invalidated_at.is_none());
    let revoke = server.request(Method::PUT, "/.p2/core/v1/session/revoke");
    server
        .send(Auth::Bearer(&token).apply(revoke))
        .await
        .expect(204);
}

async fn seed_s1_rotates_key_and_token(server: &TestServer) {
    let alice = server.register("alice").await;
    let session = server.login(&alice, "laptop").await;
    let (new_key, csr) = session.new_csr();
    let body = json!({"csr": csr.to_pem()});
    server
        .json(Method::POST, S1, &body, session.bearer())
        .await
        .expect_problem(401, ErrorCode::SensitiveSolutionRequired);
    server
        .json(
            Method::POST,
            S1,
            &body,
            Auth::Sensitive(&session.token, "wrong"),
        )
        .await
        .expect_problem(403, ErrorCode::SensitiveSolutionInvalid);
    let wrong_session = crate::e2e::certs::csr_with_session(&new_key, alice.as_str(), "desktop");
    server
        .json(
            Method::POST,
            S1,
            &json!({"csr": wrong_session}),
            session.sensitive(),
        )
        .await
        .expect_problem(403, ErrorCode::CsrSubjectMismatch);
    server
        .json(Method::POST, S1, &json!({"csr": 5}), session.sensitive())
        .await
        .expect_problem(400, ErrorCode::MalformedRequest);
    assert_eq!(
        server.actor_certs(&alice, "").await[0].id_cert_pem,
        session.cert.to_pem()
    );

    let answer = server
        .json(Method::POST, S1, &body, session.sensitive())
        .await;
    answer.expect(201);
    let value: serde_json::Value = answer.json();
    let cert = IdCert::from_pem(value["id_cert"].as_str().expect("id_cert")).expect("cert");
    let token = value["token"].as_str().expect("token");
    assert_eq!(cert.public_key(), &new_key.verifying_key());
    assert_ne!(token, session.token);
    cert.validate_actor(&server.server_cert().await, now_unix())
        .expect("valid");
    // The old token is gone, the new one works, the old certificate is invalidated.
    server
        .json(Method::POST, S1, &body, session.sensitive())
        .await
        .expect_problem(401, ErrorCode::Unauthorized);
    let history = server.actor_certs(&alice, "?notBefore=0").await;
    assert!(
        history
            .iter()
            .any(|c| c.id_cert_pem == session.cert.to_pem() && c.invalidated_at.is_some())
    );
    let revoke = server.request(Method::PUT, "/.p2/core/v1/session/revoke");
    server
        .send(Auth::Bearer(token).apply(revoke))
        .await
        .expect(204);
}

async fn s1_without_second_factor_when_configured(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |c| {
        c.accounts.rotation_requires_sensitive_solution = false;
    })
    .await
    else {
        return;
    };
    let alice = server.register("alice").await;
    let session = server.login(&alice, "laptop").await;
    let body = json!({"csr": session.new_csr().1.to_pem()});
    server
        .json(Method::POST, S1, &body, session.bearer())
        .await
        .expect(201);
    server.stop().await;
}

async fn lookups_by_fid_id_session_and_range(server: &TestServer) {
    let alice = server.register("alice").await;
    let id = server
        .server()
        .services()
        .accounts
        .by_name(alice.local_name())
        .await
        .expect("db")
        .expect("alice")
        .id;
    let laptop = server.login(&alice, "laptop").await;
    let phone = server.login(&alice, "phone").await;
    let hs = server.server_cert().await;

    // Seed S6, by federation ID and by numeric ID: base64 DER, one per live session.
    for user in [alice.to_string(), id.to_string()] {
        let answer = server.get(&format!("/p2core/key/user/{user}")).await;
        answer.expect(200);
        let list: Vec<String> = answer.json();
        let mut certs: Vec<IdCert> = list
            .iter()
            .map(|b| IdCert::from_der(&STANDARD.decode(b).expect("base64")).expect("cert"))
            .collect();
        certs.sort_by_key(|c| c.actor().map(|a| a.session_id().to_string()));
        assert_eq!(certs, [laptop.cert.clone(), phone.cert.clone()]);
    }
    // The modern route: JCS cacheable certs whose cache signatures verify under the server key.
    let all = server.actor_certs(&alice, "").await;
    assert_eq!(all.len(), 2);
    for entry in &all {
        let cert = entry.verify(hs.public_key()).expect("cache signature");
        cert.validate_actor(&hs, now_unix()).expect("valid cert");
        entry
            .check_window(now_unix())
            .expect("cache window contains now");
        assert_eq!(
            entry.cache_not_valid_after - entry.cache_not_valid_before,
            3600
        );
    }
    let one = server.actor_certs(&alice, "?sessionId=phone").await;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].id_cert_pem, phone.cert.to_pem());
    let future = now_unix() + 400 * 86_400;
    assert!(
        server
            .actor_certs(&alice, &format!("?notBefore={future}"))
            .await
            .is_empty()
    );
    assert_eq!(
        server
            .actor_certs(&alice, &format!("?notBefore=0&notAfter={future}"))
            .await
            .len(),
        2
    );
    // The server certificate, in both forms.
    let seed = server.get("/p2core/key/server").await;
    seed.expect(200);
    let der = STANDARD.decode(seed.json::<String>()).expect("base64");
    assert_eq!(IdCert::from_der(&der).expect("cert"), hs);
    let modern = server.get("/.p2/core/v1/idcert/server").await;
    assert_eq!(modern.content_type, "application/json");
    let cacheable: CacheableIdCert = modern.json();
    assert_eq!(
        modern.text(),
        cacheable.to_jcs(),
        "answers are canonical JSON byte for byte"
    );
}

async fn time_travel_across_a_rotation(server: &TestServer) {
    let alice = server.register("alice").await;
    server.grant_admin(&alice).await;
    let session = server.login(&alice, "laptop").await;
    let old_hs = server.server_cert().await;
    let before = server.clock().now();
    server.clock().advance(Duration::from_secs(1));
    let answer = server
        .json(
            Method::POST,
            S1,
            &json!({"csr": session.new_csr().1.to_pem()}),
            session.sensitive(),
        )
        .await;
    answer.expect(201);
    let new_cert = IdCert::from_pem(
        answer.json::<serde_json::Value>()["id_cert"]
            .as_str()
            .expect("pem"),
    )
    .expect("cert");
    let token = answer.json::<serde_json::Value>()["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let rotate = server.request(Method::POST, "/.p2/core/v1/key/server");
    server
        .send(Auth::Sensitive(&token, PASSWORD).apply(rotate))
        .await
        .expect(200);
    server.clock().advance(Duration::from_secs(1));
    let after = server.clock().now();

    let seed_certs = |list: Vec<String>| -> Vec<IdCert> {
        list.iter()
            .map(|b| IdCert::from_der(&STANDARD.decode(b).expect("b64")).expect("cert"))
            .collect()
    };
    let then = server
        .get(&format!("/p2core/key/user/{alice}?timestamp={before}"))
        .await;
    assert_eq!(seed_certs(then.json()), std::slice::from_ref(&session.cert));
    let now = server
        .get(&format!("/p2core/key/user/{alice}?timestamp={after}"))
        .await;
    assert_eq!(seed_certs(now.json()), std::slice::from_ref(&new_cert));
    // The timestamp as a JSON body on the GET, as the seed shows it.
    let body = server
        .request(Method::GET, &format!("/p2core/key/user/{alice}"))
        .body(format!("{{\"timestamp\": \"{before}\"}}"));
    assert_eq!(
        seed_certs(server.send(body).await.json()),
        std::slice::from_ref(&session.cert)
    );

    let server_then = server
        .get(&format!("/p2core/key/server?timestamp={before}"))
        .await;
    let der = STANDARD.decode(server_then.json::<String>()).expect("b64");
    assert_eq!(IdCert::from_der(&der).expect("cert"), old_hs);
    let modern_then: CacheableIdCert = server
        .get(&format!("/.p2/core/v1/idcert/server?timestamp={before}"))
        .await
        .json();
    let old = modern_then
        .verify(old_hs.public_key())
        .expect("signed by the old key");
    assert_eq!(old, old_hs);
    assert!(modern_then.invalidated_at.is_some());
    // The old actor certificate still verifies under the old server certificate.
    session
        .cert
        .validate_actor(&old_hs, before)
        .expect("old cert under old server cert");
    let new_hs = server.server_cert().await;
    assert_ne!(new_hs, old_hs);
    server
        .get("/p2core/key/server?timestamp=1000")
        .await
        .expect_problem(404, ErrorCode::CertificateNotFound);
}

async fn unknown_actors_and_bad_queries(server: &TestServer) {
    server
        .get("/p2core/key/user/nobody@localhost")
        .await
        .expect_problem(404, ErrorCode::ActorNotFound);
    server
        .get("/p2core/key/user/12345")
        .await
        .expect_problem(404, ErrorCode::ActorNotFound);
    server
        .get("/.p2/core/v1/idcert/actor/not%20a%20fid")
        .await
        .expect_problem(400, ErrorCode::InvalidName);
    server.register("alice").await;
    server
        .get("/p2core/key/user/alice@localhost?timestamp=soon")
        .await
        .expect_problem(400, ErrorCode::MalformedRequest);
    server
        .get("/.p2/core/v1/idcert/actor/alice@localhost?notBefore=5&notAfter=4")
        .await
        .expect_problem(400, ErrorCode::MalformedRequest);
    server
        .get("/.p2/core/v1/idcert/actor/alice@localhost?sessionId=")
        .await
        .expect_problem(400, ErrorCode::MalformedRequest);
    server
        .get("/nowhere")
        .await
        .expect_problem(404, ErrorCode::NotFound);
    let wrong_method = server
        .send(server.request(Method::DELETE, "/p2core/key/server"))
        .await;
    wrong_method.expect_problem(405, ErrorCode::MethodNotAllowed);
}
