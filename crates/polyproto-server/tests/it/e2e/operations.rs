//! Operating the server: restarts, concurrency, limits and discovery.

use std::collections::BTreeSet;

use polyproto_types::api::error::ErrorCode;
use reqwest::Method;
use serde_json::json;

use polyproto_test_support::on_both_backends;
use polyproto_test_support::{Backend, TestServer};

on_both_backends!(
    restart_keeps_actors_sessions_certificates_and_key,
    parallel_sign_ins_and_rotations,
    bodies_over_the_limit_are_refused,
    well_known_and_health,
);

async fn restart_keeps_actors_sessions_certificates_and_key(backend: Backend) {
    let Some(mut server) = TestServer::start(backend).await else {
        return;
    };
    let alice = server.register("alice").await;
    let session = server.login(&alice, "laptop").await;
    let hs = server.server_cert().await;
    server.restart().await;
    assert_eq!(
        server.server_cert().await,
        hs,
        "the server key and certificate survive"
    );
    assert_eq!(
        server.actor_certs(&alice, "").await[0].id_cert_pem,
        session.cert.to_pem()
    );
    let again = json!({"actor_name": "alice", "auth_payload": {"password": polyproto_test_support::PASSWORD}});
    let answer = server
        .json(
            Method::POST,
            "/.p2/core/v1/register",
            &again,
            polyproto_test_support::Auth::None,
        )
        .await;
    answer.expect_problem(409, ErrorCode::FederationIdTaken);
    // The token still works after the restart.
    let body = json!({"csr": session.new_csr().1.to_pem()});
    let answer = server
        .json(
            Method::POST,
            "/.p2/core/v1/session/idcert",
            &body,
            session.sensitive(),
        )
        .await;
    answer.expect(201);
    server.stop().await;
}

async fn parallel_sign_ins_and_rotations(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut actors = Vec::new();
    for name in ["a", "b", "c", "d"] {
        actors.push(server.register(name).await);
    }
    let server = std::sync::Arc::new(server);
    let mut tasks = Vec::new();
    for i in 0..32 {
        let (server, fid) = (server.clone(), actors[i % 4].clone());
        tasks.push(tokio::spawn(async move {
            server.login(&fid, &format!("s{i}")).await
        }));
    }
    let mut sessions = Vec::new();
    for task in tasks {
        sessions.push(task.await.expect("sign-in succeeded"));
    }
    let mut tasks = Vec::new();
    for session in sessions {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({"csr": session.new_csr().1.to_pem()});
            let answer = server
                .json(
                    Method::POST,
                    "/.p2/core/v1/session/idcert",
                    &body,
                    session.sensitive(),
                )
                .await;
            answer.expect(201);
            let value: serde_json::Value = answer.json();
            let rotated =
                polyproto_types::IdCert::from_pem(value["id_cert"].as_str().expect("pem"))
                    .expect("cert");
            (
                session.cert.serial().to_string(),
                rotated.serial().to_string(),
            )
        }));
    }
    let mut serials = BTreeSet::new();
    for task in tasks {
        let (old, new) = task.await.expect("rotation succeeded");
        assert!(
            serials.insert(old) && serials.insert(new),
            "serials are unique"
        );
    }
    assert_eq!(serials.len(), 64);
    for fid in &actors {
        assert_eq!(server.actor_certs(fid, "").await.len(), 8);
    }
    if let Ok(server) = std::sync::Arc::try_unwrap(server) {
        server.stop().await;
    }
}

async fn bodies_over_the_limit_are_refused(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |c| {
        c.limits.max_body_bytes = 4096;
    })
    .await
    else {
        return;
    };
    let body = json!({"actor_name": "alice", "auth_payload": {"password": "x".repeat(5000)}});
    let answer = server
        .json(
            Method::POST,
            "/.p2/core/v1/register",
            &body,
            polyproto_test_support::Auth::None,
        )
        .await;
    answer.expect_problem(413, ErrorCode::PayloadTooLarge);
    server
        .trust("alice", &"x".repeat(5000), None)
        .await
        .expect_problem(413, ErrorCode::PayloadTooLarge);
    server.register("alice").await;
    server.stop().await;
}

async fn well_known_and_health(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |c| {
        c.public_url = Some("https://example.com/".to_owned());
    })
    .await
    else {
        return;
    };
    let answer = server.get("/.well-known/polyproto-core").await;
    answer.expect(200);
    assert_eq!(
        answer.json::<serde_json::Value>(),
        json!({"api": "https://example.com/.p2/core/", "oidc_issuer": "https://example.com/"})
    );
    let health = server.get("/healthz").await;
    health.expect(200);
    assert_eq!(health.json::<serde_json::Value>()["status"], "ok");
    server.stop().await;
}
