//! The client against a mock server replaying answers recorded from a real one
//! (`conformance-fixtures/recorded/*.json`), including answers it must refuse: a certificate with a bad signature,
//! an expired certificate, a bad cache signature, a forged server certificate, another
//! actor's certificate.
//!
//! The fixtures are written by the ignored test `record_fixtures`:
//! `cargo test -p polyproto-client --test it -- --ignored record_fixtures`.

#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use polyproto_client::{ActorCertQuery, Client, ClientError, Clock, Session, VerifyError};
use polyproto_test_support::mock::{Cassette, MockServer, recorded_dir};
use polyproto_types::api::error::ErrorCode;
use polyproto_types::api::{get_actor_id_certs, get_server_id_cert};
use polyproto_types::certs::{Serial, Validity};
use polyproto_types::names::ActorDn;
use polyproto_types::{CacheableIdCert, FederationId, IdCert, IdCsr, LocalName, SessionId};

const FID: &str = "alice@localhost";

async fn replay(name: &str) -> (Cassette, MockServer, Client) {
    let cassette = Cassette::fixture(name).unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    let mock = MockServer::replay(&cassette).await.unwrap();
    let client = Client::builder(mock.url())
        .clock(Clock::Fixed(cassette.now))
        .build()
        .unwrap();
    (cassette, mock, client)
}

fn fid() -> FederationId {
    FederationId::new(FID).unwrap()
}

#[tokio::test]
async fn replays_a_recorded_session() {
    let (cassette, mock, client) = replay("session").await;
    let alice = LocalName::new("alice").unwrap();
    let registered = client
        .register(&alice, polyproto_test_support::PASSWORD)
        .await
        .unwrap();
    assert_eq!(registered.fid, fid());
    let session_id = SessionId::new(cassette.session_id.as_deref().unwrap()).unwrap();
    let session = Session::login_with_key(
        &client,
        &alice,
        polyproto_test_support::PASSWORD,
        Some(session_id.clone()),
        cassette.signing_key(),
    )
    .await
    .unwrap();
    assert_eq!(session.session_id(), &session_id);
    let server = client.get_server_id_cert(None).await.unwrap();
    assert_eq!(
        client.get_server_id_cert_seed(None).await.unwrap(),
        server.cert
    );
    let certs = client
        .get_actor_id_certs(&fid(), &ActorCertQuery::default())
        .await
        .unwrap();
    assert_eq!(certs[0].cert, *session.cert());
    let seed = client.get_actor_id_certs_seed(FID, None).await.unwrap();
    assert_eq!(seed, vec![session.cert().clone()]);
    let claimed = client
        .claim_key_packages(session.token(), &fid(), None)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    match client
        .register(&alice, polyproto_test_support::PASSWORD)
        .await
    {
        Err(ClientError::Api(api)) => assert_eq!(api.code, ErrorCode::FederationIdTaken),
        other => panic!("expected a 409, got {other:?}"),
    }
    session.logout().await.unwrap();
    assert_eq!(mock.unmatched(), Vec::new());
}

/// The actor certificate lookup of `name`, refused with `expected`.
async fn refused(name: &str, expected: fn(&VerifyError) -> bool) {
    let (_, mock, client) = replay(name).await;
    let result = client
        .get_actor_id_certs(&fid(), &ActorCertQuery::default())
        .await;
    match result {
        Err(ClientError::Verify(error)) => assert!(expected(&error), "{name}: {error:?}"),
        other => panic!("{name}: expected a refusal, got {other:?}"),
    }
    assert_eq!(mock.unmatched(), Vec::new());
}

#[tokio::test]
async fn the_untouched_lookup_is_accepted() {
    let (_, _mock, client) = replay("actor_certs").await;
    let certs = client
        .get_actor_id_certs(&fid(), &ActorCertQuery::default())
        .await
        .unwrap();
    assert_eq!(certs.len(), 1);
}

#[tokio::test]
async fn refuses_a_stale_answer() {
    // The recorded lookup, replayed three hours later: the certificates are still valid, but
    // the answers' one-hour cache windows are over. An old answer replayed must not pass.
    let cassette = Cassette::fixture("actor_certs").unwrap();
    let mock = MockServer::replay(&cassette).await.unwrap();
    let client = Client::builder(mock.url())
        .clock(Clock::Fixed(cassette.now + 3 * 3600))
        .build()
        .unwrap();
    let stale = |e: &VerifyError| matches!(e, VerifyError::StaleCache { .. });
    match client
        .get_actor_id_certs(&fid(), &ActorCertQuery::default())
        .await
    {
        Err(ClientError::Verify(VerifyError::ServerCert { reason, .. })) => {
            assert!(stale(&reason), "{reason:?}");
        }
        Err(ClientError::Verify(e)) => assert!(stale(&e), "{e:?}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    match client.get_server_id_cert(None).await {
        Err(ClientError::Verify(VerifyError::ServerCert { reason, .. })) => {
            assert!(stale(&reason), "{reason:?}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn refuses_a_certificate_with_a_bad_signature() {
    refused("refuse_bad_signature", |e| {
        matches!(e, VerifyError::BadSignature)
    })
    .await;
}

#[tokio::test]
async fn refuses_an_expired_certificate() {
    refused("refuse_expired", |e| {
        matches!(e, VerifyError::Expired { .. })
    })
    .await;
}

#[tokio::test]
async fn refuses_a_bad_cache_signature() {
    refused("refuse_bad_cache_signature", |e| {
        matches!(e, VerifyError::BadCacheSignature)
    })
    .await;
}

#[tokio::test]
async fn refuses_a_forged_server_certificate() {
    refused("refuse_bad_server_cert", |e| {
        matches!(e, VerifyError::ServerCert { reason, .. } if matches!(**reason, VerifyError::BadSignature | VerifyError::BadCacheSignature))
    })
    .await;
}

#[tokio::test]
async fn refuses_another_actors_certificate() {
    refused("refuse_wrong_actor", |e| {
        matches!(e, VerifyError::WrongActor { .. })
    })
    .await;
}

#[tokio::test]
async fn unrecorded_requests_are_reported() {
    let mock = MockServer::replay_exchanges(Vec::new()).await.unwrap();
    let client = Client::new(mock.url()).unwrap();
    match client.health().await {
        Err(ClientError::Api(api)) => assert_eq!(api.code, ErrorCode::NotFound),
        other => panic!("expected a 404, got {other:?}"),
    }
    assert_eq!(mock.unmatched().len(), 1);
    assert_eq!(mock.unmatched()[0].path, "/healthz");
}

/// A server key rotated at second `t`: the old server certificate is invalidated at `t`, the
/// new one starts at `t`. Alice's certificate, issued by the old key in that same second, finds
/// the new server certificate at its `notBefore`; the client must look at the second before
/// and accept it. A certificate claiming that second but signed by neither key is refused.
#[tokio::test]
async fn a_certificate_issued_in_the_second_of_a_server_key_rotation_is_accepted() {
    use polyproto_test_support::mock::{Exchange, RecordedRequest, RecordedResponse};
    use polyproto_types::DomainName;

    let t = 1_800_000_000;
    let domain = DomainName::new("localhost").unwrap();
    let key = |seed: u8| ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let (old_key, new_key, alice_key) = (key(1), key(2), key(3));
    let server_cert = |key: &ed25519_dalek::SigningKey, from: u64, invalidated: Option<u64>| {
        let cert = IdCert::issue_home_server(
            key,
            &domain,
            &Serial::random(),
            Validity::new(from, from + 86_400 * 30).unwrap(),
        )
        .unwrap();
        CacheableIdCert::sign(&cert, t, t + 3600, invalidated, key).to_jcs()
    };
    let alice_cert = |issuer: &ed25519_dalek::SigningKey| {
        let csr = IdCsr::new(
            &alice_key,
            &ActorDn::new(fid(), SessionId::new("laptop").unwrap()),
        )
        .unwrap();
        let cert = IdCert::issue_actor(
            &csr,
            issuer,
            &domain,
            &Serial::random(),
            Validity::new(t, t + 86_400).unwrap(),
        )
        .unwrap();
        CacheableIdCert::list_to_jcs(&[CacheableIdCert::sign(&cert, t, t + 3600, None, issuer)])
    };
    let ok = |body: String| RecordedResponse {
        status: 200,
        content_type: Some("application/json".to_owned()),
        body,
    };
    let get = |path: String, body: String| Exchange {
        request: RecordedRequest {
            method: "GET".to_owned(),
            path,
            body: None,
        },
        response: ok(body),
    };
    let server_path = get_server_id_cert::ROUTE.path;
    let exchanges = |alice: String| {
        vec![
            get(get_actor_id_certs::ROUTE.path_with(&[("fid", FID)]), alice),
            get(
                format!("{server_path}?timestamp={t}"),
                server_cert(&new_key, t, None),
            ),
            get(
                format!("{server_path}?timestamp={}", t - 1),
                server_cert(&old_key, t - 86_400, Some(t)),
            ),
            get(server_path.to_owned(), server_cert(&new_key, t, None)),
        ]
    };

    let mock = MockServer::replay_exchanges(exchanges(alice_cert(&old_key)))
        .await
        .unwrap();
    let client = Client::builder(mock.url())
        .clock(Clock::Fixed(t + 10))
        .build()
        .unwrap();
    let certs = client
        .get_actor_id_certs(&fid(), &ActorCertQuery::default())
        .await
        .unwrap();
    assert_eq!(certs.len(), 1);
    let asked: Vec<String> = mock.received().into_iter().map(|r| r.path).collect();
    assert!(
        asked.contains(&format!("{server_path}?timestamp={}", t - 1)),
        "{asked:?}"
    );
    assert_eq!(mock.unmatched(), Vec::new());

    let forged = MockServer::replay_exchanges(exchanges(alice_cert(&key(4))))
        .await
        .unwrap();
    let client = Client::builder(forged.url())
        .clock(Clock::Fixed(t + 10))
        .build()
        .unwrap();
    match client
        .get_actor_id_certs(&fid(), &ActorCertQuery::default())
        .await
    {
        Err(ClientError::Verify(e)) => assert!(
            matches!(
                e,
                VerifyError::BadCacheSignature | VerifyError::BadSignature
            ),
            "{e:?}"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

// ---- The recorder ----

/// Records the fixtures from a real server and derives the ones that must be refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes fixtures/; run by hand after a wire change"]
async fn record_fixtures() {
    let server = polyproto_test_support::TestServer::start(polyproto_test_support::Backend::Sqlite)
        .await
        .unwrap();
    let dir = recorded_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let session_key: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    let alice = LocalName::new("alice").unwrap();

    // The whole session, as `replays_a_recorded_session` replays it.
    let mock = MockServer::record(&server.url).await.unwrap();
    let client = Client::new(mock.url()).unwrap();
    client
        .register(&alice, polyproto_test_support::PASSWORD)
        .await
        .unwrap();
    let session = Session::login_with_key(
        &client,
        &alice,
        polyproto_test_support::PASSWORD,
        Some(SessionId::new("laptop").unwrap()),
        key.clone(),
    )
    .await
    .unwrap();
    let server_cert = client.get_server_id_cert(None).await.unwrap();
    client.get_server_id_cert_seed(None).await.unwrap();
    client
        .get_actor_id_certs(&fid(), &ActorCertQuery::default())
        .await
        .unwrap();
    client.get_actor_id_certs_seed(FID, None).await.unwrap();
    let store = polyproto_client::mls::MlsKeyStore::in_memory();
    let packages = store
        .key_packages(
            &key,
            &fid(),
            1,
            polyproto_client::mls::KeyPackageOptions::default(),
        )
        .unwrap();
    server_direct_upload(&server.url, session.token(), &packages).await;
    client
        .claim_key_packages(session.token(), &fid(), None)
        .await
        .unwrap();
    assert!(
        client
            .register(&alice, polyproto_test_support::PASSWORD)
            .await
            .is_err()
    );
    let now = polyproto_types::time::now_unix();
    let lookup_mock = MockServer::record(&server.url).await.unwrap();
    let lookup_client = Client::new(lookup_mock.url()).unwrap();
    lookup_client
        .get_actor_id_certs(&fid(), &ActorCertQuery::default())
        .await
        .unwrap();
    session.logout().await.unwrap();
    let cassette = Cassette {
        description: "Alice registers, signs in as session laptop with session_key, fetches the server's and her certificates (modern and seed routes), claims the KeyPackage uploaded for her, registers again (409), logs out. Every answer must be accepted.".to_owned(),
        now,
        session_key: Some(session_key.clone()),
        session_id: Some("laptop".to_owned()),
        exchanges: mock.recorded(),
    };
    cassette.save(&dir.join("session.json")).unwrap();

    let lookup = Cassette {
        description: "GET alice@localhost's certificates and the server certificate that verifies them. Must be accepted.".to_owned(),
        now,
        session_key: None,
        session_id: None,
        exchanges: lookup_mock.recorded(),
    };
    lookup.save(&dir.join("actor_certs.json")).unwrap();

    // Derived answers the client must refuse.
    let actor_path = get_actor_id_certs::ROUTE.path_with(&[("fid", FID)]);
    let derive = |description: &str, now: u64, edit: &dyn Fn(&mut Vec<CacheableIdCert>)| {
        let mut cassette = lookup.clone();
        cassette.description = description.to_owned();
        cassette.now = now;
        for exchange in cassette.find_all_mut("GET", &actor_path) {
            let mut list: Vec<CacheableIdCert> =
                serde_json::from_str(&exchange.response.body).unwrap();
            edit(&mut list);
            exchange.response.body = CacheableIdCert::list_to_jcs(&list);
        }
        cassette
    };
    derive(
        "Alice's certificate with one bit of its signature flipped (its cache signature still verifies: it covers the serial and window only). Must be refused: bad signature.",
        now,
        &|list| {
            let cert = IdCert::from_pem(&list[0].id_cert_pem).unwrap();
            let mut der = cert.as_der().to_vec();
            *der.last_mut().unwrap() ^= 1;
            list[0].id_cert_pem = polyproto_types::certs::certificate_pem(&der);
        },
    )
    .save(&dir.join("refuse_bad_signature.json"))
    .unwrap();
    derive(
        "Alice's certificate with one bit of its cache signature flipped. Must be refused: bad cache signature.",
        now,
        &|list| {
            let mut bytes = *list[0].cache_signature.as_bytes();
            bytes[0] ^= 1;
            list[0].cache_signature = polyproto_types::signature::SignatureBytes::new(bytes);
        },
    )
    .save(&dir.join("refuse_bad_cache_signature.json"))
    .unwrap();
    let server_key = server.signing_key().await;
    let issued_at = server_cert.cert.validity().not_before;
    let expired = {
        let csr = IdCsr::new(&key, &ActorDn::new(fid(), SessionId::new("old").unwrap())).unwrap();
        let cert = IdCert::issue_actor(
            &csr,
            &server_key,
            server_cert.cert.issuer_domain(),
            &Serial::random(),
            Validity::new(issued_at, issued_at + 60).unwrap(),
        )
        .unwrap();
        CacheableIdCert::sign(&cert, issued_at + 3600, issued_at + 7200, None, &server_key)
    };
    derive(
        "A certificate of Alice issued by the server's real key, valid for one minute after the server's certificate began, with a valid cache signature; replayed an hour later. Must be refused: expired.",
        issued_at + 3600,
        &|list| list[0] = expired.clone(),
    )
    .save(&dir.join("refuse_expired.json"))
    .unwrap();
    derive(
        "The lookup of alice@localhost answers a certificate for bob@localhost, correctly signed by the server with a valid cache signature. Must be refused: wrong actor.",
        now,
        &|list| {
            let bob = FederationId::new("bob@localhost").unwrap();
            let csr = IdCsr::new(&key, &ActorDn::new(bob, SessionId::new("laptop").unwrap())).unwrap();
            let cert = IdCert::issue_actor(
                &csr,
                &server_key,
                server_cert.cert.issuer_domain(),
                &Serial::random(),
                IdCert::from_pem(&list[0].id_cert_pem).unwrap().validity(),
            )
            .unwrap();
            list[0] = CacheableIdCert::sign(
                &cert,
                list[0].cache_not_valid_before,
                list[0].cache_not_valid_after,
                None,
                &server_key,
            );
        },
    )
    .save(&dir.join("refuse_wrong_actor.json"))
    .unwrap();
    let mut forged = lookup.clone();
    forged.description = "The server's certificate with one bit of its self-signature flipped. Must be refused: the server certificate does not verify.".to_owned();
    for exchange in forged.find_all_mut("GET", get_server_id_cert::ROUTE.path) {
        let mut cacheable: CacheableIdCert = serde_json::from_str(&exchange.response.body).unwrap();
        let cert = IdCert::from_pem(&cacheable.id_cert_pem).unwrap();
        let mut der = cert.as_der().to_vec();
        *der.last_mut().unwrap() ^= 1;
        cacheable.id_cert_pem = polyproto_types::certs::certificate_pem(&der);
        exchange.response.body = cacheable.to_jcs();
    }
    forged
        .save(&dir.join("refuse_bad_server_cert.json"))
        .unwrap();
    server.stop().await;
}

/// Uploads KeyPackages straight to the server, outside the recording (the upload request
/// carries random bytes that a replay does not need).
async fn server_direct_upload(
    url: &str,
    token: &polyproto_client::Token,
    packages: &[polyproto_types::key_package::KeyPackagePayload],
) {
    Client::new(url)
        .unwrap()
        .add_key_packages(token, packages)
        .await
        .unwrap();
}
