//! Every client method against a real in-process home server, on SQLite and PostgreSQL: the
//! success path and at least one error path each, asserting the typed error.

#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use polyproto_client::mls::{KeyPackageOptions, MlsKeyStore};
use polyproto_client::{ActorCertQuery, Client, ClientError, Session, Token, VerifyError};
use polyproto_test_support::mock::{Exchange, MockServer, RecordedRequest, RecordedResponse};
use polyproto_test_support::{Backend, PASSWORD, TestServer};
use polyproto_types::api::error::ErrorCode;
use polyproto_types::api::well_known;
use polyproto_types::key_package::KeyPackagePayload;
use polyproto_types::names::ActorDn;
use polyproto_types::time::now_unix;
use polyproto_types::{FederationId, IdCsr, LocalName, SessionId};

polyproto_test_support::on_both_backends!(
    accounts_and_sessions,
    certificates,
    key_packages,
    federation
);

fn name(text: &str) -> LocalName {
    LocalName::new(text).expect("valid name")
}

fn sid(text: &str) -> SessionId {
    SessionId::new(text).expect("valid session ID")
}

#[track_caller]
fn assert_code<T: std::fmt::Debug>(result: Result<T, ClientError>, code: ErrorCode) {
    match result {
        Err(ClientError::Api(api)) => {
            assert_eq!(api.code, code, "{api}");
            assert_eq!(api.status, code.status());
            assert!(!api.detail.is_empty());
        }
        other => panic!("expected {code}, got {other:?}"),
    }
}

fn csr(fid: &FederationId, session: &str) -> (ed25519_dalek::SigningKey, IdCsr) {
    let key = ed25519_dalek::SigningKey::from_bytes(&rand_seed());
    let csr = IdCsr::new(&key, &ActorDn::new(fid.clone(), sid(session))).expect("csr");
    (key, csr)
}

fn rand_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("randomness");
    seed
}

async fn accounts_and_sessions(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let client = Client::new(&server.url).unwrap();
    let alice = name("alice");

    // register
    let registered = client.register(&alice, PASSWORD).await.unwrap();
    assert_eq!(registered.fid.as_str(), "alice@localhost");
    assert_code(
        client.register(&alice, PASSWORD).await,
        ErrorCode::FederationIdTaken,
    );

    // create_session, through Session::login
    assert_code(
        client.create_session(&alice, "wrong password", None).await,
        ErrorCode::InvalidCredentials,
    );
    let mut laptop = Session::login(&client, &alice, PASSWORD, Some(sid("laptop")))
        .await
        .unwrap();
    assert_eq!(laptop.fid(), &registered.fid);
    assert_eq!(laptop.cert().public_key(), &laptop.key().verifying_key());
    assert!(!laptop.needs_rotation(polyproto_client::ROTATE_BEFORE_SECS));
    assert_code(
        Session::login(&client, &alice, PASSWORD, Some(sid("laptop"))).await,
        ErrorCode::SessionIdInUse,
    );

    // create_id_cert: a pending session's first certificate needs no password, a second does
    let (pending, cert) = client.create_session(&alice, PASSWORD, None).await.unwrap();
    assert!(cert.is_none());
    let (_, desk_csr) = csr(&registered.fid, "desk");
    let desk = client
        .create_id_cert(&pending, &desk_csr, None)
        .await
        .unwrap();
    assert_eq!(desk.cert.actor().unwrap().session_id().as_str(), "desk");
    let (_, again) = csr(&registered.fid, "desk");
    assert_code(
        client.create_id_cert(&pending, &again, None).await,
        ErrorCode::SensitiveSolutionRequired,
    );

    // rotate_session_id_cert (S1), through Session::rotate
    assert_code(
        laptop.rotate(None).await,
        ErrorCode::SensitiveSolutionRequired,
    );
    assert_code(
        laptop.rotate(Some("wrong password")).await,
        ErrorCode::SensitiveSolutionInvalid,
    );
    let old_token = laptop.token().clone();
    let old_cert = laptop.cert().clone();
    laptop.rotate(Some(PASSWORD)).await.unwrap();
    assert_ne!(laptop.cert(), &old_cert);
    assert_code(
        client.revoke_session(&old_token).await,
        ErrorCode::Unauthorized,
    );
    assert_eq!(laptop.check_cert().await.unwrap().cert, *laptop.cert());
    // rotate_if_expiring: not while the certificate has long to live; when told it expires.
    let before = laptop.cert().clone();
    assert!(
        !laptop
            .rotate_if_expiring(Some(PASSWORD), polyproto_client::ROTATE_BEFORE_SECS)
            .await
            .unwrap()
    );
    assert_eq!(laptop.cert(), &before);
    assert!(
        laptop
            .rotate_if_expiring(Some(PASSWORD), u64::MAX)
            .await
            .unwrap()
    );
    assert_ne!(laptop.cert(), &before);
    // A rotation whose CSR names another session is refused.
    let (_, other) = csr(&registered.fid, "elsewhere");
    assert_code(
        client
            .rotate_session_id_cert(laptop.token(), Some(PASSWORD), &other)
            .await,
        ErrorCode::CsrSubjectMismatch,
    );

    // delete_session
    laptop.delete_session(PASSWORD, &sid("desk")).await.unwrap();
    assert_code(
        laptop.delete_session(PASSWORD, &sid("desk")).await,
        ErrorCode::SessionNotFound,
    );
    assert_code(
        client.revoke_session(&pending).await,
        ErrorCode::Unauthorized,
    );

    // revoke_session, through Session::logout
    let token = laptop.token().clone();
    laptop.logout().await.unwrap();
    assert_code(client.revoke_session(&token).await, ErrorCode::Unauthorized);

    // health and well_known; and a transport error on a closed port
    assert_eq!(client.health().await.unwrap().domain, "localhost");
    assert!(
        client
            .well_known()
            .await
            .unwrap()
            .api
            .ends_with("/.p2/core/")
    );
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let nowhere = Client::new(&format!("http://127.0.0.1:{closed}")).unwrap();
    assert!(matches!(
        nowhere.health().await,
        Err(ClientError::Transport { .. })
    ));
    server.stop().await;
}

async fn certificates(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let client = Client::new(&server.url).unwrap();
    let alice = name("alice");
    let registered = client.register(&alice, PASSWORD).await.unwrap();
    let session = Session::login(&client, &alice, PASSWORD, Some(sid("laptop")))
        .await
        .unwrap();
    let fid = session.fid().clone();

    // get_server_id_cert, modern and S5
    let server_cert = client.get_server_id_cert(None).await.unwrap();
    assert_eq!(server_cert.cert.issuer_domain().as_str(), "localhost");
    let seed = client.get_server_id_cert_seed(None).await.unwrap();
    assert_eq!(seed, server_cert.cert);
    assert_code(
        client.get_server_id_cert(Some(1)).await,
        ErrorCode::CertificateNotFound,
    );
    assert_code(
        client.get_server_id_cert_seed(Some(1)).await,
        ErrorCode::CertificateNotFound,
    );

    // get_actor_id_certs, modern and S6 (by FID and by numeric ID)
    let now = now_unix();
    let certs = client
        .get_actor_id_certs(&fid, &ActorCertQuery::default())
        .await
        .unwrap();
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].cert, *session.cert());
    let ranged = ActorCertQuery {
        not_before: Some(0),
        not_after: Some(now + 10),
        session_id: Some(sid("laptop")),
    };
    assert_eq!(
        client
            .get_actor_id_certs(&fid, &ranged)
            .await
            .unwrap()
            .len(),
        1
    );
    let nobody = FederationId::new("nobody@localhost").unwrap();
    assert_code(
        client
            .get_actor_id_certs(&nobody, &ActorCertQuery::default())
            .await,
        ErrorCode::ActorNotFound,
    );
    let by_fid = client
        .get_actor_id_certs_seed(fid.as_str(), None)
        .await
        .unwrap();
    let by_id = client
        .get_actor_id_certs_seed(&registered.id.to_string(), Some(now_unix()))
        .await
        .unwrap();
    assert_eq!(by_fid, vec![session.cert().clone()]);
    assert_eq!(by_id, by_fid);
    assert_code(
        client
            .get_actor_id_certs_seed("nobody@localhost", None)
            .await,
        ErrorCode::ActorNotFound,
    );

    // rotate_server_key, modern and S4: administrators only
    assert_code(
        client.rotate_server_key(session.token(), PASSWORD).await,
        ErrorCode::AdminRequired,
    );
    assert_code(
        client
            .rotate_server_key_seed(session.token(), PASSWORD)
            .await,
        ErrorCode::AdminRequired,
    );
    server.grant_admin(&fid).await;
    let new_cert = client
        .rotate_server_key(session.token(), PASSWORD)
        .await
        .unwrap();
    assert_ne!(new_cert.public_key(), server_cert.cert.public_key());
    let newest_key = client
        .rotate_server_key_seed(session.token(), PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        client
            .get_server_id_cert(None)
            .await
            .unwrap()
            .cert
            .public_key(),
        &newest_key
    );
    // Alice's certificate was issued under the first key: the client finds that key's
    // certificate by the time of issuance and still verifies it, cache signature included.
    let after = client
        .get_actor_id_certs(&fid, &ActorCertQuery::default())
        .await
        .unwrap();
    assert_eq!(after[0].cert, *session.cert());
    assert_eq!(
        client
            .get_actor_id_certs_seed(fid.as_str(), None)
            .await
            .unwrap(),
        vec![session.cert().clone()]
    );
    let then = client
        .get_server_id_cert(Some(server_cert.cert.validity().not_before))
        .await
        .unwrap();
    assert_eq!(then.cert, server_cert.cert);
    assert!(then.invalidated_at().is_some());
    server.stop().await;
}

async fn key_packages(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let client = Client::new(&server.url).unwrap();
    let alice = name("alice");
    client.register(&alice, PASSWORD).await.unwrap();
    let session = Session::login(&client, &alice, PASSWORD, Some(sid("laptop")))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = MlsKeyStore::open(&dir.path().join("mls.json")).unwrap();

    // add_key_packages (modern, through the session) and S2
    let uploaded = session
        .upload_key_packages(&store, 2, KeyPackageOptions::default())
        .await
        .unwrap();
    assert_eq!(uploaded.len(), 2);
    let more = store
        .key_packages(
            session.key(),
            session.fid(),
            1,
            KeyPackageOptions::default(),
        )
        .unwrap();
    client
        .add_key_packages_seed(session.token(), &more)
        .await
        .unwrap();
    // The private keys are kept, on disk.
    assert!(!store.is_empty());
    let reopened = MlsKeyStore::open(&dir.path().join("mls.json")).unwrap();
    assert_eq!(reopened.len(), store.len());
    // One bad package refuses the whole request, naming it.
    let bad = vec![
        more[0].clone(),
        KeyPackagePayload::new(vec![0, 1, 0, 5, 9, 9]),
    ];
    match client.add_key_packages(session.token(), &bad).await {
        Err(ClientError::Api(api)) => {
            assert_eq!(api.code, ErrorCode::InvalidKeyPackage);
            assert_eq!(api.invalid.len(), 1);
            assert_eq!(api.invalid[0].index, 1);
        }
        other => panic!("expected P2CORE_INVALID_KEYPACKAGE, got {other:?}"),
    }
    assert_code(
        client
            .add_key_packages_seed(&Token::new("nope"), &more)
            .await,
        ErrorCode::Unauthorized,
    );

    // replace_last_resort_key_package (S3)
    session
        .replace_last_resort_key_package(&store, KeyPackageOptions::default())
        .await
        .unwrap();
    assert_code(
        client
            .replace_last_resort_key_package(session.token(), &more[0])
            .await,
        ErrorCode::InvalidKeyPackage,
    );

    // claim_key_packages, modern (checked against Alice's certificates) and S8
    let fid = session.fid().clone();
    let first = session
        .claim_key_packages(&fid, Some("0x0001"))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert!(!first[0].package.is_last_resort());
    assert_eq!(first[0].session.cert, *session.cert());
    let second = client
        .claim_key_packages_seed(session.token(), fid.as_str())
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    let third = client
        .claim_key_packages(session.token(), &fid, None)
        .await
        .unwrap();
    assert_eq!(third.len(), 1);
    // Normal ones used up: the last-resort package from now on.
    let last = session.claim_key_packages(&fid, None).await.unwrap();
    assert!(last[0].package.is_last_resort());
    let nobody = FederationId::new("nobody@localhost").unwrap();
    assert_code(
        client
            .claim_key_packages(session.token(), &nobody, None)
            .await,
        ErrorCode::ActorNotFound,
    );
    assert_code(
        client
            .claim_key_packages_seed(session.token(), "nobody@localhost")
            .await,
        ErrorCode::ActorNotFound,
    );
    server.stop().await;
}

async fn federation(backend: Backend) {
    let Some(a) = TestServer::start_with(backend, |c| c.domain = "a.localhost".to_owned()).await
    else {
        return;
    };
    let a_url = a.url.clone();
    let Some(b) = TestServer::start_with(backend, |c| {
        c.domain = "b.localhost".to_owned();
        c.federation.resolve.insert("a.localhost".to_owned(), a_url);
    })
    .await
    else {
        return;
    };
    let home = Client::new(&a.url).unwrap();
    let foreign = Client::builder(&b.url)
        .resolve("a.localhost", &a.url)
        .build()
        .unwrap();
    let alice = name("alice");
    home.register(&alice, PASSWORD).await.unwrap();
    let mut session = Session::login(&home, &alice, PASSWORD, Some(sid("laptop")))
        .await
        .unwrap();

    // get_challenge and identify, through Session::sign_in_foreign
    let signed_in = session.sign_in_foreign(&foreign).await.unwrap();
    // The modern names; and a challenge signed with the wrong key is refused.
    let challenge = foreign.get_challenge_session_auth().await.unwrap();
    let wrong = ed25519_dalek::SigningKey::from_bytes(&rand_seed());
    assert_code(
        foreign
            .identify_session_auth(&challenge.challenge.sign(&wrong), session.cert())
            .await,
        ErrorCode::InvalidChallenge,
    );
    let challenge = foreign.get_challenge().await.unwrap();
    assert_code(
        foreign
            .identify(&challenge.challenge.sign(&wrong), session.cert())
            .await,
        ErrorCode::InvalidChallenge,
    );

    // B passes Alice's certificates on; the client verifies them with A.
    let certs = foreign
        .get_actor_id_certs(session.fid(), &ActorCertQuery::default())
        .await
        .unwrap();
    assert_eq!(certs[0].cert, *session.cert());
    // a.localhost reached at a host that does not serve the API but names, in its
    // /.well-known/polyproto-core, where it lives (core §3.1): found there and verified.
    let discovery = MockServer::replay_exchanges(vec![Exchange {
        request: RecordedRequest {
            method: "GET".to_owned(),
            path: well_known::ROUTE.path.to_owned(),
            body: None,
        },
        response: RecordedResponse {
            status: 200,
            content_type: Some("application/json".to_owned()),
            body: serde_json::to_string(&well_known::Response::for_base_url(&a.url)).unwrap(),
        },
    }])
    .await
    .unwrap();
    let discovered = Client::builder(&b.url)
        .resolve("a.localhost", discovery.url())
        .build()
        .unwrap()
        .get_actor_id_certs(session.fid(), &ActorCertQuery::default())
        .await
        .unwrap();
    assert_eq!(discovered[0].cert, *session.cert());
    assert_eq!(
        discovery.unmatched().len(),
        1,
        "first the API at the domain itself: 404"
    );
    // Without a way to reach a.localhost, the client cannot verify them: refused.
    let blind = Client::new(&b.url).unwrap();
    assert!(
        blind
            .get_actor_id_certs(session.fid(), &ActorCertQuery::default())
            .await
            .is_err()
    );

    // update_foreign_id_cert after a rotation at home, modern (through push_cert) and S7
    session.rotate(Some(PASSWORD)).await.unwrap();
    session.push_cert(&signed_in).await.unwrap();
    session.rotate(Some(PASSWORD)).await.unwrap();
    foreign
        .update_foreign_id_cert_seed(&signed_in.token, session.cert())
        .await
        .unwrap();
    // A local session's token is not a foreign one.
    assert_code(
        home.update_foreign_id_cert(session.token(), session.cert())
            .await,
        ErrorCode::ForeignSessionRequired,
    );
    assert_code(
        home.update_foreign_id_cert_seed(session.token(), session.cert())
            .await,
        ErrorCode::ForeignSessionRequired,
    );
    // The foreign session may claim KeyPackages at B (of nobody there: 404).
    let nobody = FederationId::new("nobody@b.localhost").unwrap();
    assert_code(
        foreign
            .claim_key_packages(&signed_in.token, &nobody, None)
            .await,
        ErrorCode::ActorNotFound,
    );
    // A refused answer is a typed verification error.
    let Err(ClientError::Verify(VerifyError::ServerCert { .. })) = Client::builder(&b.url)
        .resolve("a.localhost", &b.url)
        .build()
        .unwrap()
        .get_actor_id_certs(session.fid(), &ActorCertQuery::default())
        .await
    else {
        panic!("a home server of the wrong domain must be refused");
    };
    b.stop().await;
    a.stop().await;
}
