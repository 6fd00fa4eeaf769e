//! The certificate lookup cache across server processes on one database: once a process
//! acknowledges a revocation, a rotation or a server key rotation, no other process serves the
//! old answer from its cache (issue 8; ARCHITECTURE rule 6).
//!
//! Process B is the in-process test server, whose cache counters the test reads; process A is
//! the server binary started on the same database.

use polyproto_types::IdCert;
use polyproto_types::api::rotate_session_id_cert;
use reqwest::Method;

use polyproto_test_support::on_both_backends;
use polyproto_test_support::{Auth, Backend, Session, TestServer};

on_both_backends! {
    backend: [
        a_second_process_never_serves_a_revoked_cert,
        a_second_process_never_serves_a_rotated_cert,
        a_second_process_never_serves_the_old_server_cert,
    ],
    server: [
        case_variants_share_an_entry_and_ranges_take_none,
    ],
}

/// `GET /.p2/core/v1/idcert/actor/{fid}` on `server`, as PEMs, and S6 there, as base64 DER.
async fn listed(server: &TestServer, session: &Session) -> (Vec<String>, Vec<String>) {
    let modern = server
        .actor_certs(&session.fid, "")
        .await
        .into_iter()
        .map(|c| c.id_cert_pem)
        .collect();
    let seed = server
        .get(&format!("/p2core/key/user/{}", session.fid))
        .await;
    seed.expect(200);
    (modern, seed.json())
}

/// Looks the actor up twice on `server` and checks the second answer came from the cache.
async fn warm(server: &TestServer, session: &Session) -> (Vec<String>, Vec<String>) {
    let first = listed(server, session).await;
    let before = server.server().lookup_cache_stats();
    let second = listed(server, session).await;
    let after = server.server().lookup_cache_stats();
    assert_eq!(first, second, "a hit answers what the miss answered");
    assert_eq!(after.hits, before.hits + 2, "both lookups were cache hits");
    assert_eq!(after.misses, before.misses);
    second
}

/// `request` sent to the other process at `url`.
async fn on(
    server: &TestServer,
    url: &str,
    method: Method,
    path: &str,
    auth: Auth<'_>,
) -> polyproto_test_support::Answer {
    server
        .send(auth.apply(server.http.request(method, format!("{url}{path}"))))
        .await
}

async fn a_second_process_never_serves_a_revoked_cert(backend: Backend) {
    let Some(b) = TestServer::start(backend).await else {
        return;
    };
    let a = b.spawn_process(env!("CARGO_BIN_EXE_polyproto-server"));
    let alice = b.register("alice").await;
    let session = b.login(&alice, "laptop").await;
    let (modern, seed) = warm(&b, &session).await;
    assert_eq!((modern.len(), seed.len()), (1, 1));

    on(
        &b,
        &a.url,
        Method::PUT,
        "/.p2/core/v1/session/revoke",
        session.bearer(),
    )
    .await
    .expect(204);
    let (modern, seed) = listed(&b, &session).await;
    assert!(
        modern.is_empty() && seed.is_empty(),
        "B still lists the revoked cert"
    );
    b.stop().await;
}

async fn a_second_process_never_serves_a_rotated_cert(backend: Backend) {
    let Some(b) = TestServer::start(backend).await else {
        return;
    };
    let a = b.spawn_process(env!("CARGO_BIN_EXE_polyproto-server"));
    let alice = b.register("alice").await;
    let session = b.login(&alice, "laptop").await;
    let (old, _) = warm(&b, &session).await;

    let (_, csr) = session.new_csr();
    let request = session.sensitive().apply(
        b.http
            .post(format!("{}/.p2/core/v1/session/idcert", a.url))
            .body(serde_json::json!({ "csr": csr.to_pem() }).to_string()),
    );
    let answer = b.send(request).await;
    answer.expect(201);
    let rotated: rotate_session_id_cert::Response = answer.json();
    let new = IdCert::from_pem(&rotated.id_cert).unwrap();

    let (modern, seed) = listed(&b, &session).await;
    assert!(!modern.contains(&old[0]), "B still lists the replaced cert");
    assert_eq!(modern.len(), 1);
    assert_eq!(IdCert::from_pem(&modern[0]).unwrap(), new);
    assert_eq!(seed.len(), 1);
    b.stop().await;
}

async fn a_second_process_never_serves_the_old_server_cert(backend: Backend) {
    let Some(b) = TestServer::start(backend).await else {
        return;
    };
    let a = b.spawn_process(env!("CARGO_BIN_EXE_polyproto-server"));
    let root = b.register("root").await;
    b.grant_admin(&root).await;
    let session = b.login(&root, "console").await;
    let old = b.server_cert().await;
    let before = b.server().lookup_cache_stats();
    assert_eq!(b.server_cert().await, old);
    assert_eq!(b.server().lookup_cache_stats().hits, before.hits + 1);
    let old_seed = b.get("/p2core/key/server").await.text();
    assert_eq!(b.get("/p2core/key/server").await.text(), old_seed);

    let answer = on(
        &b,
        &a.url,
        Method::POST,
        "/.p2/core/v1/key/server",
        session.sensitive(),
    )
    .await;
    answer.expect(200);
    let new = IdCert::from_pem(&answer.text()).unwrap();
    assert_ne!(new, old);

    assert_eq!(
        b.server_cert().await,
        new,
        "B still serves the old server cert"
    );
    assert_ne!(b.get("/p2core/key/server").await.text(), old_seed);
    b.stop().await;
}

/// A client cannot fill the cache with variants of one question: federation IDs are keyed in
/// their lowercase form, and lookups with a `notBefore`/`notAfter` range are never kept.
async fn case_variants_share_an_entry_and_ranges_take_none(server: &TestServer) {
    let alice = server.register("alice").await;
    server.login(&alice, "laptop").await;
    let stats = || server.server().lookup_cache_stats();
    let lower = server
        .get("/.p2/core/v1/idcert/actor/alice@localhost")
        .await;
    lower.expect(200);
    let before = stats();
    for variant in ["ALICE@localhost", "Alice@LocalHost", "aLiCe@LOCALHOST"] {
        let answer = server
            .get(&format!("/.p2/core/v1/idcert/actor/{variant}"))
            .await;
        answer.expect(200);
        assert_eq!(answer.text(), lower.text(), "{variant}");
    }
    let after = stats();
    assert_eq!(after.hits, before.hits + 3, "every variant is a hit");
    assert_eq!(after.entries, before.entries);
    for from in 0..20 {
        server
            .get(&format!(
                "/.p2/core/v1/idcert/actor/alice@localhost?notBefore={from}"
            ))
            .await
            .expect(200);
    }
    assert_eq!(stats().entries, after.entries, "ranges are not kept");
    assert!(stats().bytes > 0);
}
