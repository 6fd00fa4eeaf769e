//! Registration, sign-in, logout and session deletion (docs/wire-contract.md §1.2, §1.3).

use polyproto_types::api::error::ErrorCode;
use reqwest::Method;
use serde_json::json;

use polyproto_test_support::on_both_backends;
use polyproto_test_support::{Auth, Backend, PASSWORD, TestServer, new_key};

on_both_backends! {
    backend: [
        registration,
        guessing_passwords_is_slowed_per_account,
    ],
    server: [
        a_pending_session_may_only_ask_for_its_certificate,
        sign_in_with_and_without_csr,
        refused_sign_ins_store_nothing,
        logout_ends_token_and_certificate,
        delete_session_needs_the_second_factor,
        tokens_are_checked,
    ],
}

const REGISTER: &str = "/.p2/core/v1/register";

async fn registration(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let body = json!({"actor_name": "Alice", "auth_payload": {"password": PASSWORD}});
    let answer = server.json(Method::POST, REGISTER, &body, Auth::None).await;
    answer.expect(201);
    let value: serde_json::Value = answer.json();
    assert_eq!(value["fid"], "alice@localhost");
    let id: u64 = value["id"]
        .as_str()
        .expect("id is a JSON string")
        .parse()
        .expect("u64");
    assert!(id > 0);

    server
        .json(Method::POST, REGISTER, &body, Auth::None)
        .await
        .expect_problem(409, ErrorCode::FederationIdTaken);
    let bad_name = json!({"actor_name": "al ice", "auth_payload": {"password": PASSWORD}});
    server
        .json(Method::POST, REGISTER, &bad_name, Auth::None)
        .await
        .expect_problem(400, ErrorCode::InvalidName);
    let short = json!({"actor_name": "bob", "auth_payload": {"password": "short"}});
    server
        .json(Method::POST, REGISTER, &short, Auth::None)
        .await
        .expect_problem(400, ErrorCode::MalformedRequest);
    let missing = json!({"actor_name": "bob"});
    server
        .json(Method::POST, REGISTER, &missing, Auth::None)
        .await
        .expect_problem(400, ErrorCode::MalformedRequest);
    let broken = server
        .send(
            server
                .request(Method::POST, REGISTER)
                .body("{\"actor_name\":"),
        )
        .await;
    broken.expect_problem(400, ErrorCode::MalformedRequest);
    // None of the refused requests created bob.
    server
        .trust("bob", "short", None)
        .await
        .expect_problem(401, ErrorCode::InvalidCredentials);
    // Any Content-Type is fine.
    let typed = server
        .request(Method::POST, REGISTER)
        .header("content-type", "text/plain")
        .body(json!({"actor_name": "carol", "auth_payload": {"password": PASSWORD}}).to_string());
    server.send(typed).await.expect(201);
    server.stop().await;

    let Some(closed) = TestServer::start_with(backend, |c| {
        c.accounts.registration_open = false;
    })
    .await
    else {
        return;
    };
    closed
        .json(Method::POST, REGISTER, &body, Auth::None)
        .await
        .expect_problem(403, ErrorCode::RegistrationClosed);
    closed.stop().await;
}

async fn sign_in_with_and_without_csr(server: &TestServer) {
    let alice = server.register("alice").await;
    let session = server.login(&alice, "laptop").await;
    let hs = server.server_cert().await;
    session
        .cert
        .validate_actor(&hs, polyproto_types::time::now_unix())
        .expect("issued cert is valid");
    assert_eq!(session.cert.public_key(), &session.key.verifying_key());
    assert_eq!(
        session.cert.actor().map(|a| a.session_id().as_str()),
        Some("laptop")
    );

    // Without a CSR: a pending session, whose token only serves the first POST /idcert.
    let answer = server.trust("alice", PASSWORD, None).await;
    answer.expect(201);
    let value: serde_json::Value = answer.json();
    assert!(value.get("id_cert").is_none());
    let token = value["token"].as_str().expect("token").to_owned();
    let rotate = json!({"csr": session.new_csr().1.to_pem()});
    server
        .json(
            Method::POST,
            "/.p2/core/v1/session/idcert",
            &rotate,
            Auth::Sensitive(&token, PASSWORD),
        )
        .await
        .expect_problem(403, ErrorCode::SessionPending);
}

async fn refused_sign_ins_store_nothing(server: &TestServer) {
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    server.login(&alice, "laptop").await;
    let key = new_key();
    let csr_for = |fid: &str, session: &str| {
        let fid = polyproto_types::FederationId::new(fid).expect("fid");
        let dn = polyproto_types::names::ActorDn::new(
            fid,
            polyproto_types::SessionId::new(session).expect("sid"),
        );
        polyproto_types::IdCsr::new(&key, &dn)
            .expect("csr")
            .to_pem()
    };
    server
        .trust(
            "alice",
            "wrong password!",
            Some(&csr_for("alice@localhost", "x")),
        )
        .await
        .expect_problem(401, ErrorCode::InvalidCredentials);
    server
        .trust("nobody", PASSWORD, None)
        .await
        .expect_problem(401, ErrorCode::InvalidCredentials);
    server
        .trust("alice", PASSWORD, Some(&csr_for("bob@localhost", "x")))
        .await
        .expect_problem(403, ErrorCode::CsrSubjectMismatch);
    server
        .trust(
            "alice",
            PASSWORD,
            Some(&csr_for("alice@other.example", "x")),
        )
        .await
        .expect_problem(403, ErrorCode::CsrSubjectMismatch);
    server
        .trust(
            "alice",
            PASSWORD,
            Some(&csr_for("alice@localhost", "laptop")),
        )
        .await
        .expect_problem(409, ErrorCode::SessionIdInUse);
    server
        .trust(
            "alice",
            PASSWORD,
            Some("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
        )
        .await
        .expect_problem(400, ErrorCode::InvalidCsr);
    server
        .trust(
            "alice",
            PASSWORD,
            Some(&crate::e2e::certs::csr_with_session(
                &key,
                "alice@localhost",
                &"s".repeat(33),
            )),
        )
        .await
        .expect_problem(400, ErrorCode::InvalidCsr);
    server
        .trust(
            "alice",
            PASSWORD,
            Some(&crate::e2e::certs::csr_requesting_ca(
                &key,
                "alice@localhost",
                "ca",
            )),
        )
        .await
        .expect_problem(400, ErrorCode::CapabilityNotAllowed);
    // Only the first sign-in left a certificate.
    assert_eq!(server.actor_certs(&alice, "").await.len(), 1);
    assert!(server.actor_certs(&bob, "").await.is_empty());
    // A session ID another actor uses is free for this one.
    server.login(&bob, "laptop").await;
}

async fn logout_ends_token_and_certificate(server: &TestServer) {
    let alice = server.register("alice").await;
    let session = server.login(&alice, "phone").await;
    let serial = session.cert.serial().to_string();
    let revoke = server.request(Method::PUT, "/.p2/core/v1/session/revoke");
    server
        .send(session.bearer().apply(revoke))
        .await
        .expect(204);
    // The token is gone, the certificate is invalidated, the session ID is free.
    let again = server
        .send(
            session
                .bearer()
                .apply(server.request(Method::PUT, "/.p2/core/v1/session/revoke")),
        )
        .await;
    again.expect_problem(401, ErrorCode::Unauthorized);
    assert!(server.actor_certs(&alice, "").await.is_empty());
    let history = server.actor_certs(&alice, "?notBefore=0").await;
    assert_eq!(history.len(), 1);
    assert!(history[0].invalidated_at.is_some());
    assert!(history[0].id_cert_pem == session.cert.to_pem());
    let renewed = server.login(&alice, "phone").await;
    assert_ne!(renewed.cert.serial().to_string(), serial);
}

async fn delete_session_needs_the_second_factor(server: &TestServer) {
    let alice = server.register("alice").await;
    let laptop = server.login(&alice, "laptop").await;
    let phone = server.login(&alice, "phone").await;
    let delete = |sid: &str| {
        server.request(
            Method::DELETE,
            &format!("/.p2/core/v1/session?sessionId={sid}"),
        )
    };
    server
        .send(laptop.bearer().apply(delete("phone")))
        .await
        .expect_problem(401, ErrorCode::SensitiveSolutionRequired);
    server
        .send(Auth::Sensitive(&laptop.token, "wrong").apply(delete("phone")))
        .await
        .expect_problem(403, ErrorCode::SensitiveSolutionInvalid);
    server
        .send(laptop.sensitive().apply(delete("tablet")))
        .await
        .expect_problem(404, ErrorCode::SessionNotFound);
    let no_query = server.request(Method::DELETE, "/.p2/core/v1/session");
    server
        .send(laptop.sensitive().apply(no_query))
        .await
        .expect_problem(400, ErrorCode::MalformedRequest);
    assert_eq!(
        server.actor_certs(&alice, "").await.len(),
        2,
        "refused deletions change nothing"
    );
    server
        .send(laptop.sensitive().apply(delete("phone")))
        .await
        .expect(204);
    let phone_call = server.request(Method::PUT, "/.p2/core/v1/session/revoke");
    server
        .send(phone.bearer().apply(phone_call))
        .await
        .expect_problem(401, ErrorCode::Unauthorized);
    let left = server.actor_certs(&alice, "").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id_cert_pem, laptop.cert.to_pem());
}

async fn tokens_are_checked(server: &TestServer) {
    let revoke = || server.request(Method::PUT, "/.p2/core/v1/session/revoke");
    server
        .send(revoke())
        .await
        .expect_problem(401, ErrorCode::Unauthorized);
    server
        .send(Auth::Bearer("not-a-token").apply(revoke()))
        .await
        .expect_problem(401, ErrorCode::Unauthorized);
    server
        .send(revoke().header("authorization", "Basic abc"))
        .await
        .expect_problem(401, ErrorCode::Unauthorized);
}

/// After a burst of wrong passwords for one account, its password checks are answered 429
/// with Retry-After, whatever the password, while other accounts sign in as usual; a name
/// without an account is limited the same way, so a 429 tells nothing about who exists.
async fn guessing_passwords_is_slowed_per_account(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |c| {
        c.accounts.password_failure_burst = std::num::NonZeroU32::new(3).unwrap();
        c.accounts.password_failure_refill_secs = 60;
    })
    .await
    else {
        return;
    };
    server.register("alice").await;
    server.register("bob").await;
    for name in ["alice", "nobody"] {
        for _ in 0..4 {
            server
                .trust(name, "wrong password", None)
                .await
                .expect_problem(401, ErrorCode::InvalidCredentials);
        }
        let limited = server.trust(name, "wrong password", None).await;
        limited.expect_problem(429, ErrorCode::RateLimited);
        assert!(
            limited
                .retry_after
                .is_some_and(|secs| (1..=60).contains(&secs))
        );
    }
    server
        .trust("alice", PASSWORD, None)
        .await
        .expect_problem(429, ErrorCode::RateLimited);
    server.trust("bob", PASSWORD, None).await.expect(201);
    // The second factor counts for the same account.
    let session = server
        .login(&server.register("carol").await, "laptop")
        .await;
    for _ in 0..4 {
        let delete = server.request(Method::DELETE, "/.p2/core/v1/session?sessionId=laptop");
        server
            .send(Auth::Sensitive(&session.token, "wrong").apply(delete))
            .await
            .expect_problem(403, ErrorCode::SensitiveSolutionInvalid);
    }
    let delete = server.request(Method::DELETE, "/.p2/core/v1/session?sessionId=laptop");
    server
        .send(Auth::Sensitive(&session.token, PASSWORD).apply(delete))
        .await
        .expect_problem(429, ErrorCode::RateLimited);
    server.stop().await;
}

/// A pending session's only allowed call is its first `POST /idcert` (docs/wire-contract.md
/// §1.3): logout is refused too, and the session stays pending and usable for that call.
async fn a_pending_session_may_only_ask_for_its_certificate(server: &TestServer) {
    let alice = server.register("alice").await;
    let answer = server
        .trust(alice.local_name().as_str(), PASSWORD, None)
        .await;
    answer.expect(201);
    let token = answer.json::<serde_json::Value>()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoke = server.request(Method::PUT, "/.p2/core/v1/session/revoke");
    server
        .send(Auth::Bearer(&token).apply(revoke))
        .await
        .expect_problem(403, ErrorCode::SessionPending);
    let dn = polyproto_types::names::ActorDn::new(
        alice.clone(),
        polyproto_types::SessionId::new("laptop").unwrap(),
    );
    let csr = polyproto_types::IdCsr::new(&new_key(), &dn).unwrap();
    let idcert = server
        .request(Method::POST, "/.p2/core/v1/idcert")
        .body(csr.to_pem());
    server
        .send(Auth::Bearer(&token).apply(idcert))
        .await
        .expect(201);
}
