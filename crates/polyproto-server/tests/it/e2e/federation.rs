//! Federation: foreign actors sign in with a challenge, their certificates are verified with
//! their home server, and they rotate through S7 (polyproto core §4.1.1, §4.3, §6.4, §6.4.1;
//! docs/wire-contract.md §1.1 S7, §1.3, §3.3). Several servers with different domains, on loopback.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::certs::{Serial, Validity};
use polyproto_types::challenge::{Challenge, ChallengeString};
use polyproto_types::time::now_unix;
use polyproto_types::{CacheableIdCert, DomainName, IdCert, IdCsr};
use reqwest::Method;
use serde_json::json;

use polyproto_test_support::on_both_backends;
use polyproto_test_support::proxy::{Mode, Proxy};
use polyproto_test_support::{Answer, Auth, Backend, Session, TestServer, new_key};

on_both_backends! {
    backend: [
        alice_signs_in_at_b_rotates_at_a_and_pushes_to_b,
        attacks_are_refused,
        an_unreachable_or_broken_home_server_is_never_trusted,
        lookups_are_cached_for_the_home_servers_window_only,
    ],
    server: [
        handing_out_challenges_writes_nothing,
    ],
}

const IDENTIFY: &str = "/.p2/core/v1/session/identify";

/// Home server A (`a.localhost`), and B (`b.localhost`) reaching A at `a_url`.
async fn two_servers(
    backend: Backend,
    a_url: impl FnOnce(&TestServer) -> String,
    tweak_b: impl FnOnce(&mut polyproto_server::Config),
) -> Option<(TestServer, TestServer)> {
    let a = TestServer::start_with(backend, |c| c.domain = "a.localhost".to_owned()).await?;
    let url = a_url(&a);
    let b = TestServer::start_with(backend, |c| {
        c.domain = "b.localhost".to_owned();
        c.federation.resolve.insert("a.localhost".to_owned(), url);
        c.federation.timeout_secs = 2;
        tweak_b(c);
    })
    .await?;
    Some((a, b))
}

/// Signs `challenge` with `key` and presents `cert` at `server`.
async fn identify_with(
    server: &TestServer,
    challenge: &ChallengeString,
    key: &ed25519_dalek::SigningKey,
    cert: &IdCert,
) -> Answer {
    let body = json!({"completed_challenge": challenge.sign(key), "id_cert": cert.to_pem()});
    server.json(Method::POST, IDENTIFY, &body, Auth::None).await
}

async fn challenge(server: &TestServer, path: &str) -> ChallengeString {
    let answer = server.get(path).await;
    answer.expect(200);
    let challenge: Challenge = answer.json();
    assert!(challenge.expires > now_unix());
    challenge.challenge
}

/// Alice's session signs in at `server`; answers the token.
async fn sign_in(server: &TestServer, session: &Session) -> String {
    let challenge = challenge(server, "/.p2/core/v1/session/auth").await;
    let answer = identify_with(server, &challenge, &session.key, &session.cert).await;
    answer.expect(201);
    answer.json::<serde_json::Value>()["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

async fn alice_signs_in_at_b_rotates_at_a_and_pushes_to_b(backend: Backend) {
    let Some((a, b)) = two_servers(backend, |a| a.url.clone(), |_| {}).await else {
        return;
    };
    let alice = a.register("alice").await;
    let laptop = a.login(&alice, "laptop").await;
    let token = sign_in(&b, &laptop).await;

    // The foreign token works where any session may go, and not on local-only routes.
    let bob = b.register("bob").await;
    let bob_session = b.login(&bob, "b").await;
    let claim = b.request(Method::GET, "/p2core/keypackage/bob@b.localhost");
    b.send(Auth::Bearer(&token).apply(claim)).await.expect(200);
    let upload = b
        .json(
            Method::POST,
            "/.p2/core/v1/keypackage/@me",
            &json!([]),
            Auth::Bearer(&token),
        )
        .await;
    upload.expect_problem(403, ErrorCode::LocalSessionRequired);
    let rotate = b
        .json(
            Method::POST,
            "/.p2/core/v1/session/idcert",
            &json!({"csr": laptop.new_csr().1.to_pem()}),
            Auth::Sensitive(&token, "x"),
        )
        .await;
    rotate.expect_problem(403, ErrorCode::LocalSessionRequired);
    // Local sessions cannot use the foreign route; local actors do not sign in by challenge.
    let push = b
        .json(
            Method::PUT,
            "/.p2/core/v1/session/idcert/extern",
            &laptop.cert.to_pem(),
            bob_session.bearer(),
        )
        .await;
    push.expect_problem(403, ErrorCode::ForeignSessionRequired);
    let bob_challenge = challenge(&b, "/.p2/core/v1/challenge").await;
    identify_with(&b, &bob_challenge, &bob_session.key, &bob_session.cert)
        .await
        .expect_problem(403, ErrorCode::ForeignSessionRequired);

    // B answers lookups of Alice from A's verified answer, unchanged.
    let hs_a = a.server_cert().await;
    let via_b = b.actor_certs(&alice, "").await;
    assert_eq!(via_b.len(), 1);
    assert_eq!(via_b[0].id_cert_pem, laptop.cert.to_pem());
    via_b[0]
        .verify(hs_a.public_key())
        .expect("A's cache signature, passed on");
    let seed = b.get("/p2core/key/user/alice@a.localhost").await;
    assert_eq!(
        seed.json::<Vec<String>>(),
        [STANDARD.encode(laptop.cert.as_der())]
    );

    // Alice rotates at A (S1) and pushes the new certificate to B (S7, seed form: base64 DER).
    let (new_key, csr) = laptop.new_csr();
    let rotated = a
        .json(
            Method::POST,
            "/.p2/core/v1/session/idcert",
            &json!({"csr": csr.to_pem()}),
            laptop.sensitive(),
        )
        .await;
    rotated.expect(201);
    let new_cert = IdCert::from_pem(
        rotated.json::<serde_json::Value>()["id_cert"]
            .as_str()
            .expect("pem"),
    )
    .expect("cert");
    let s7 = b
        .json(
            Method::POST,
            "/p2core/session/idcert/extern",
            &STANDARD.encode(new_cert.as_der()),
            Auth::Bearer(&token),
        )
        .await;
    s7.expect(201);
    assert!(s7.body.is_empty());
    // The modern form too (a JSON string holding the PEM), and the token stays valid.
    let put = b
        .json(
            Method::PUT,
            "/.p2/core/v1/session/idcert/extern",
            &new_cert.to_pem(),
            Auth::Bearer(&token),
        )
        .await;
    put.expect(201);
    b.send(
        Auth::Bearer(&token).apply(b.request(Method::GET, "/p2core/keypackage/bob@b.localhost")),
    )
    .await
    .expect(200);

    // B accepts the new key and refuses the old one, which A has invalidated.
    let fresh = challenge(&b, IDENTIFY.replace("identify", "auth").as_str()).await;
    identify_with(&b, &fresh, &new_key, &new_cert)
        .await
        .expect(201);
    let stale = challenge(&b, "/.p2/core/v1/challenge").await;
    identify_with(&b, &stale, &laptop.key, &laptop.cert)
        .await
        .expect_problem(400, ErrorCode::InvalidIdCert);
    a.stop().await;
    b.stop().await;
}

async fn attacks_are_refused(backend: Backend) {
    let proxy_slot = std::sync::Arc::new(std::sync::Mutex::new(None::<Proxy>));
    let slot = proxy_slot.clone();
    let Some((a, b)) = two_servers(
        backend,
        move |a| {
            let proxy = Proxy::start(&a.url);
            let url = proxy.url.clone();
            *slot.lock().unwrap() = Some(proxy);
            url
        },
        |c| c.federation.challenge_ttl_secs = 5,
    )
    .await
    else {
        return;
    };
    let proxy = proxy_slot.lock().unwrap().take().expect("proxy");
    let alice = a.register("alice").await;
    let bob = a.register("bob").await;
    let laptop = a.login(&alice, "laptop").await;
    let phone = a.login(&alice, "phone").await;
    let bob_session = a.login(&bob, "b").await;

    // A replayed challenge.
    let once = challenge(&b, "/.p2/core/v1/challenge").await;
    identify_with(&b, &once, &laptop.key, &laptop.cert)
        .await
        .expect(201);
    identify_with(&b, &once, &laptop.key, &laptop.cert)
        .await
        .expect_problem(401, ErrorCode::InvalidChallenge);
    // A challenge B never issued, and an expired one.
    identify_with(&b, &ChallengeString::generate(), &laptop.key, &laptop.cert)
        .await
        .expect_problem(401, ErrorCode::InvalidChallenge);
    let old = challenge(&b, "/.p2/core/v1/challenge").await;
    b.clock().advance(Duration::from_secs(7));
    identify_with(&b, &old, &laptop.key, &laptop.cert)
        .await
        .expect_problem(401, ErrorCode::InvalidChallenge);
    // A signature by another key.
    let other = challenge(&b, "/.p2/core/v1/challenge").await;
    identify_with(&b, &other, &new_key(), &laptop.cert)
        .await
        .expect_problem(401, ErrorCode::InvalidChallenge);
    // A certificate an attacker signed for Alice's name with its own "home server" key.
    let attacker_key = new_key();
    let forged = IdCert::issue_actor(
        &IdCsr::new(&attacker_key, laptop.cert.actor().expect("actor")).expect("csr"),
        &new_key(),
        &DomainName::new("a.localhost").expect("domain"),
        &Serial::random(),
        Validity::new(now_unix(), now_unix() + 3600).expect("validity"),
    )
    .expect("forged cert");
    let c = challenge(&b, "/.p2/core/v1/challenge").await;
    identify_with(&b, &c, &attacker_key, &forged)
        .await
        .expect_problem(400, ErrorCode::InvalidIdCert);
    // A certificate A has invalidated (Alice logged the phone out).
    a.send(
        phone
            .bearer()
            .apply(a.request(Method::PUT, "/.p2/core/v1/session/revoke")),
    )
    .await
    .expect(204);
    let c = challenge(&b, "/.p2/core/v1/challenge").await;
    identify_with(&b, &c, &phone.key, &phone.cert)
        .await
        .expect_problem(400, ErrorCode::InvalidIdCert);
    // A tampered cache signature in A's answer.
    proxy.set_mode(Mode::TamperCacheSignature);
    let other_phone = a.login(&alice, "tablet").await;
    let c = challenge(&b, "/.p2/core/v1/challenge").await;
    identify_with(&b, &c, &other_phone.key, &other_phone.cert)
        .await
        .expect_problem(400, ErrorCode::InvalidIdCert);
    proxy.set_mode(Mode::Pass);

    // S7 with a certificate A issued for Bob, and with Alice's certificate of another session.
    let token = sign_in(&b, &laptop).await;
    let bob_cert = b
        .json(
            Method::PUT,
            "/.p2/core/v1/session/idcert/extern",
            &bob_session.cert.to_pem(),
            Auth::Bearer(&token),
        )
        .await;
    bob_cert.expect_problem(400, ErrorCode::InvalidIdCert);
    let tablet_cert = b
        .json(
            Method::PUT,
            "/.p2/core/v1/session/idcert/extern",
            &other_phone.cert.to_pem(),
            Auth::Bearer(&token),
        )
        .await;
    tablet_cert.expect_problem(400, ErrorCode::InvalidIdCert);
    let garbage = b
        .json(
            Method::PUT,
            "/.p2/core/v1/session/idcert/extern",
            &"not a cert",
            Auth::Bearer(&token),
        )
        .await;
    garbage.expect_problem(400, ErrorCode::InvalidIdCert);
    // Nothing of that was stored: the session still has its certificate, so a push of the
    // same certificate is accepted, and the token works.
    let same = b
        .json(
            Method::PUT,
            "/.p2/core/v1/session/idcert/extern",
            &laptop.cert.to_pem(),
            Auth::Bearer(&token),
        )
        .await;
    same.expect(201);
    proxy.stop().await;
    a.stop().await;
    b.stop().await;
}

async fn an_unreachable_or_broken_home_server_is_never_trusted(backend: Backend) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Some((a, b)) = two_servers(backend, |_| format!("http://127.0.0.1:{closed}"), |_| {}).await
    else {
        return;
    };
    let alice = a.register("alice").await;
    let laptop = a.login(&alice, "laptop").await;
    let c = challenge(&b, "/.p2/core/v1/challenge").await;
    identify_with(&b, &c, &laptop.key, &laptop.cert)
        .await
        .expect_problem(503, ErrorCode::FederationUnavailable);
    b.get("/.p2/core/v1/idcert/actor/alice@a.localhost")
        .await
        .expect_problem(503, ErrorCode::FederationUnavailable);
    b.stop().await;

    let proxy = Proxy::start(&a.url);
    let Some(b) = TestServer::start_with(backend, |c| {
        c.domain = "b.localhost".to_owned();
        c.federation
            .resolve
            .insert("a.localhost".to_owned(), proxy.url.clone());
        c.federation.timeout_secs = 1;
    })
    .await
    else {
        return;
    };
    for (mode, status, code) in [
        (Mode::Garbage, 502, ErrorCode::FederationBadGateway),
        (Mode::Status(500), 502, ErrorCode::FederationBadGateway),
        (
            Mode::Delay(Duration::from_millis(2500)),
            504,
            ErrorCode::FederationTimeout,
        ),
    ] {
        proxy.set_mode(mode);
        let c = challenge(&b, "/.p2/core/v1/challenge").await;
        identify_with(&b, &c, &laptop.key, &laptop.cert)
            .await
            .expect_problem(status, code.clone());
        b.get("/.p2/core/v1/idcert/actor/alice@a.localhost")
            .await
            .expect_problem(status, code);
    }
    // TLS to a server that speaks plain HTTP fails cleanly.
    let Some(tls) = TestServer::start_with(backend, |c| {
        c.domain = "c.localhost".to_owned();
        c.federation.resolve.insert(
            "a.localhost".to_owned(),
            a.url.replace("http://", "https://"),
        );
    })
    .await
    else {
        return;
    };
    let c = challenge(&tls, "/.p2/core/v1/challenge").await;
    let answer = identify_with(&tls, &c, &laptop.key, &laptop.cert).await;
    assert!(
        answer.status == 502 || answer.status == 503,
        "{}",
        answer.text()
    );
    tls.stop().await;
    // Once A answers properly again, the same certificate is accepted.
    proxy.set_mode(Mode::Pass);
    sign_in(&b, &laptop).await;
    proxy.stop().await;
    a.stop().await;
    b.stop().await;
}

async fn lookups_are_cached_for_the_home_servers_window_only(backend: Backend) {
    let Some(a) = TestServer::start_with(backend, |c| {
        c.domain = "a.localhost".to_owned();
        c.certs.cache_window_secs = 5;
    })
    .await
    else {
        return;
    };
    let proxy = Proxy::start(&a.url);
    let Some(b) = TestServer::start_with(backend, |c| {
        c.domain = "b.localhost".to_owned();
        c.federation
            .resolve
            .insert("a.localhost".to_owned(), proxy.url.clone());
    })
    .await
    else {
        return;
    };
    let alice = a.register("alice").await;
    a.login(&alice, "laptop").await;
    let first: Vec<CacheableIdCert> = b.actor_certs(&alice, "").await;
    let again: Vec<CacheableIdCert> = b.actor_certs(&alice, "").await;
    assert_eq!(first, again, "inside the window, B answers from its cache");
    assert_eq!(proxy.hits("/.p2/core/v1/idcert/actor/"), 1);
    assert_eq!(proxy.hits("/.p2/core/v1/idcert/server"), 1);
    a.clock().advance(Duration::from_secs(7));
    b.clock().advance(Duration::from_secs(7));
    let later: Vec<CacheableIdCert> = b.actor_certs(&alice, "").await;
    assert_eq!(
        proxy.hits("/.p2/core/v1/idcert/actor/"),
        2,
        "after the window, B asks A again"
    );
    assert!(later[0].cache_not_valid_before > first[0].cache_not_valid_before);
    proxy.stop().await;
    a.stop().await;
    b.stop().await;
}

/// `GET /challenge` is anonymous: it must not give anyone the database writer. Challenges
/// carry their expiry and the server's signature; only a used one is written.
async fn handing_out_challenges_writes_nothing(server: &TestServer) {
    use sea_orm::{ConnectionTrait as _, Statement};
    for _ in 0..50 {
        let answer = server.get("/.p2/core/v1/challenge").await;
        answer.expect(200);
        let issued: Challenge = answer.json();
        assert!(
            issued
                .challenge
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        );
    }
    let db = sea_orm::Database::connect(server.config.database_url().as_str())
        .await
        .unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT challenge FROM challenge",
        ))
        .await
        .unwrap();
    db.close().await.ok();
    assert!(rows.is_empty(), "{} challenge rows written", rows.len());
}
