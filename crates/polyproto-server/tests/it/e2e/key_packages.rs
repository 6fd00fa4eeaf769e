//! The KeyPackage store: upload, last resort, single-use claims (docs/wire-contract.md §1.1 S2, S3, S8;
//! §1.2; §5).

use std::collections::BTreeSet;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openmls::prelude::{
    Ciphersuite, CredentialWithKey, KeyPackage, MlsGroup, MlsGroupCreateConfig, MlsGroupJoinConfig,
    MlsMessageBodyIn, MlsMessageIn, ProtocolVersion, StagedWelcome,
};
use openmls_rust_crypto::{OpenMlsRustCrypto, RustCrypto};
use polyproto_test_support::key_packages::{
    Ed25519Signer, TestKeyPackage, basic_credential, unix_now,
};
use polyproto_types::api::error::{ErrorCode, Problem};
use reqwest::Method;
use serde_json::json;
use tls_codec::Deserialize as _;

use polyproto_test_support::on_both_backends;
use polyproto_test_support::{Auth, Backend, Session, TestServer, new_key};

on_both_backends! {
    backend: [
        rotation_and_logout_remove_the_sessions_packages,
    ],
    server: [
        claims_hand_out_each_package_once_then_the_last_resort,
        an_openmls_client_joins_with_what_it_claims,
        concurrent_claims_never_share_a_package,
        concurrent_claims_across_two_server_processes,
        bad_uploads_store_nothing,
    ],
}

const S2: &str = "/.p2/core/v1/keypackage/@me";
const S3: &str = "/.p2/core/v1/keypackage_lr";
const MLS: &str = "/.p2/mls/v1/keypackages";

fn package(session: &Session) -> TestKeyPackage {
    TestKeyPackage::basic(&session.key, session.fid.as_str())
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

async fn claim(server: &TestServer, by: &Session, user: &str) -> Vec<Vec<u8>> {
    let answer = server
        .send(
            by.bearer()
                .apply(server.request(Method::GET, &format!("/p2core/keypackage/{user}"))),
        )
        .await;
    answer.expect(200);
    answer
        .json::<Vec<String>>()
        .iter()
        .map(|s| STANDARD.decode(s).expect("base64"))
        .collect()
}

async fn claims_hand_out_each_package_once_then_the_last_resort(server: &TestServer) {
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let laptop = server.login(&alice, "laptop").await;
    let bob_session = server.login(&bob, "b").await;
    let first = package(&laptop).build();
    let second = package(&laptop).build();
    let mut lr = package(&laptop);
    lr.last_resort = true;
    let last_resort = lr.build();
    let upload = json!([b64(&first), b64(&second)]);
    server
        .json(Method::POST, S2, &upload, laptop.bearer())
        .await
        .expect(201);
    // The same packages again are a no-op.
    server
        .json(Method::POST, MLS, &upload, laptop.bearer())
        .await
        .expect(200);
    let answer = server
        .json(Method::PUT, S3, &json!(b64(&last_resort)), laptop.bearer())
        .await;
    answer.expect(204);

    assert_eq!(
        claim(server, &bob_session, "alice@localhost").await,
        [first]
    );
    assert_eq!(
        claim(server, &bob_session, "alice@localhost").await,
        [second]
    );
    for _ in 0..3 {
        assert_eq!(
            claim(server, &bob_session, "alice@localhost").await,
            std::slice::from_ref(&last_resort)
        );
    }
    // One entry per live session; a session without packages is skipped.
    let phone = server.login(&alice, "phone").await;
    server.login(&alice, "empty").await;
    let phone_package = package(&phone).build();
    server
        .json(
            Method::POST,
            S2,
            &json!([b64(&phone_package)]),
            phone.bearer(),
        )
        .await
        .expect(201);
    let id = server
        .server()
        .services()
        .accounts
        .by_name(alice.local_name())
        .await
        .unwrap()
        .unwrap()
        .id;
    let both = claim(server, &bob_session, &id.to_string()).await;
    assert_eq!(both, [last_resort.clone(), phone_package]);
    // The MLS route, with a ciphersuite filter.
    let mls = |suites: &str| {
        server.request(
            Method::GET,
            &format!("{MLS}/alice@localhost?ciphersuites={suites}"),
        )
    };
    let answer = server.send(bob_session.bearer().apply(mls("0x0001"))).await;
    answer.expect(200);
    assert_eq!(answer.json::<Vec<String>>(), [b64(&last_resort)]);
    let none = server
        .send(
            bob_session
                .bearer()
                .apply(mls("MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519")),
        )
        .await;
    assert_eq!(none.json::<Vec<String>>(), Vec::<String>::new());
    server
        .send(bob_session.bearer().apply(mls("0xnope")))
        .await
        .expect_problem(400, ErrorCode::MalformedRequest);
    server
        .send(
            bob_session
                .bearer()
                .apply(server.request(Method::GET, "/p2core/keypackage/nobody@localhost")),
        )
        .await
        .expect_problem(404, ErrorCode::ActorNotFound);
    server
        .send(server.request(Method::GET, "/p2core/keypackage/alice@localhost"))
        .await
        .expect_problem(401, ErrorCode::Unauthorized);
    // A last-resort package must say so.
    let normal = package(&laptop).build();
    let problem = server
        .json(Method::PUT, S3, &json!(b64(&normal)), laptop.bearer())
        .await;
    problem.expect_problem(400, ErrorCode::InvalidKeyPackage);
}

/// Decodes a claimed package and checks it as the adding client does.
fn key_package(bytes: &[u8]) -> KeyPackage {
    let MlsMessageBodyIn::KeyPackage(package) = MlsMessageIn::tls_deserialize_exact(bytes)
        .expect("MLSMessage")
        .extract()
    else {
        panic!("not a KeyPackage")
    };
    package
        .validate(&RustCrypto::default(), ProtocolVersion::Mls10)
        .expect("valid KeyPackage")
}

/// Bob creates a group, adds the package, and Alice tries to join from the Welcome.
fn add_and_join(package: &KeyPackage, alice_provider: &OpenMlsRustCrypto) -> bool {
    let bob_key = new_key();
    let bob_signer = Ed25519Signer(bob_key.clone());
    let bob_provider = OpenMlsRustCrypto::default();
    let config = MlsGroupCreateConfig::builder()
        .ciphersuite(Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519)
        .build();
    let credential = CredentialWithKey {
        credential: basic_credential("bob@localhost"),
        signature_key: bob_key.verifying_key().to_bytes().to_vec().into(),
    };
    let mut group = MlsGroup::new(&bob_provider, &bob_signer, &config, credential).expect("group");
    let (_, welcome, _) = group
        .add_members(&bob_provider, &bob_signer, std::slice::from_ref(package))
        .expect("add");
    group.merge_pending_commit(&bob_provider).expect("merge");
    let welcome_bytes = welcome.to_bytes().expect("welcome bytes");
    let MlsMessageBodyIn::Welcome(welcome) = MlsMessageIn::tls_deserialize_exact(&welcome_bytes)
        .expect("decode")
        .extract()
    else {
        panic!("not a Welcome")
    };
    StagedWelcome::new_from_welcome(
        alice_provider,
        &MlsGroupJoinConfig::default(),
        welcome,
        Some(group.export_ratchet_tree().into()),
    )
    .map(|staged| staged.into_group(alice_provider).is_ok())
    .unwrap_or(false)
}

async fn an_openmls_client_joins_with_what_it_claims(server: &TestServer) {
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let laptop = server.login(&alice, "laptop").await;
    let bob_session = server.login(&bob, "b").await;
    // Alice's client keeps the private keys of what it uploads.
    let provider = OpenMlsRustCrypto::default();
    let normal = package(&laptop).build_with(&provider);
    let mut lr = package(&laptop);
    lr.last_resort = true;
    let last_resort = lr.build_with(&provider);
    server
        .json(
            Method::POST,
            S2,
            &json!([b64(&normal), b64(&last_resort)]),
            laptop.bearer(),
        )
        .await
        .expect(201);

    let claimed = claim(server, &bob_session, "alice@localhost").await;
    assert_eq!(claimed, [normal]);
    let claimed = key_package(&claimed[0]);
    assert!(
        add_and_join(&claimed, &provider),
        "the owner joins with the claimed package"
    );
    assert!(
        !add_and_join(&claimed, &provider),
        "a normal package cannot be joined twice"
    );

    let claimed = claim(server, &bob_session, "alice@localhost").await;
    assert_eq!(claimed, [last_resort]);
    let claimed = key_package(&claimed[0]);
    assert!(
        add_and_join(&claimed, &provider) && add_and_join(&claimed, &provider),
        "a last-resort package joins again"
    );
}

/// Uploads 50 normal packages for a new session of alice and returns them with a claimer.
async fn fifty_packages(server: &TestServer) -> (BTreeSet<Vec<u8>>, Arc<Session>) {
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let laptop = server.login(&alice, "laptop").await;
    let packages: Vec<Vec<u8>> = (0..50).map(|_| package(&laptop).build()).collect();
    let body: Vec<String> = packages.iter().map(|p| b64(p)).collect();
    server
        .json(Method::POST, MLS, &body, laptop.bearer())
        .await
        .expect(200);
    (
        packages.into_iter().collect(),
        Arc::new(server.login(&bob, "b").await),
    )
}

/// 64 claims at once; every package comes out exactly once.
async fn claim_concurrently(urls: &[String], claimer: &Arc<Session>, expected: &BTreeSet<Vec<u8>>) {
    let http = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..64 {
        let url = format!("{}/p2core/keypackage/alice@localhost", urls[i % urls.len()]);
        let (http, claimer) = (http.clone(), claimer.clone());
        tasks.push(tokio::spawn(async move {
            let response = http
                .get(url)
                .bearer_auth(&claimer.token)
                .send()
                .await
                .expect("sent");
            assert_eq!(response.status(), 200, "no claim fails");
            response.json::<Vec<String>>().await.expect("json")
        }));
    }
    let mut seen = BTreeSet::new();
    for task in tasks {
        for item in task.await.expect("claim task") {
            assert!(
                seen.insert(STANDARD.decode(item).expect("b64")),
                "a package was handed out twice"
            );
        }
    }
    assert_eq!(&seen, expected, "all 50 were handed out");
}

async fn concurrent_claims_never_share_a_package(server: &TestServer) {
    let (packages, claimer) = fifty_packages(server).await;
    claim_concurrently(std::slice::from_ref(&server.url), &claimer, &packages).await;
}

async fn concurrent_claims_across_two_server_processes(server: &TestServer) {
    let (packages, claimer) = fifty_packages(server).await;
    let second = server.spawn_process(env!("CARGO_BIN_EXE_polyproto-server"));
    claim_concurrently(
        &[server.url.clone(), second.url.clone()],
        &claimer,
        &packages,
    )
    .await;
    drop(second);
}

async fn bad_uploads_store_nothing(server: &TestServer) {
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let laptop = server.login(&alice, "laptop").await;
    let bob_session = server.login(&bob, "b").await;
    let good = package(&laptop).build();
    let mut tampered = package(&laptop).build();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let mut expired = package(&laptop);
    (expired.not_before, expired.not_after) = (unix_now() - 7200, unix_now() - 3600);
    let wrong_key = TestKeyPackage::basic(&new_key(), alice.as_str()).build();
    let wrong_identity = TestKeyPackage::basic(&laptop.key, "bob@localhost").build();
    let mut chacha = package(&laptop);
    chacha.ciphersuite = 0x0003;
    let truncated = good[..good.len() - 10].to_vec();
    let mut trailing = good.clone();
    trailing.push(0);
    let bad: [(&str, String); 8] = [
        ("tampered", b64(&tampered)),
        ("expired", b64(&expired.build())),
        ("wrong key", b64(&wrong_key)),
        ("wrong identity", b64(&wrong_identity)),
        ("disallowed suite", b64(&chacha.build())),
        ("truncated", b64(&truncated)),
        ("trailing byte", b64(&trailing)),
        ("not base64", "!!not base64!!".to_owned()),
    ];
    for (what, item) in &bad {
        // A good package in front: all or nothing.
        let answer = server
            .json(
                Method::POST,
                S2,
                &json!([b64(&good), item]),
                laptop.bearer(),
            )
            .await;
        let problem: Problem = answer.expect_problem(400, ErrorCode::InvalidKeyPackage);
        let invalid = problem.invalid.unwrap_or_default();
        assert_eq!(invalid.len(), 1, "{what}");
        assert_eq!(invalid[0].index, 1, "{what}");
        assert!(!invalid[0].reason.is_empty(), "{what}");
        let answer = server
            .json(Method::PUT, S3, &json!(item), laptop.bearer())
            .await;
        answer.expect_problem(400, ErrorCode::InvalidKeyPackage);
    }
    // A problem body lists a bounded number of bad items, and says how many there were.
    let many: Vec<&str> = vec!["!!not base64!!"; 200];
    let answer = server
        .json(Method::POST, S2, &json!(many), laptop.bearer())
        .await;
    let problem: Problem = answer.expect_problem(400, ErrorCode::InvalidKeyPackage);
    assert_eq!(problem.invalid.unwrap_or_default().len(), 64);
    assert!(problem.detail.contains("200 of 200"), "{}", problem.detail);
    server
        .json(Method::POST, S2, &json!([]), laptop.bearer())
        .await
        .expect_problem(400, ErrorCode::MalformedRequest);
    server
        .json(Method::POST, S2, &json!({"not": "a list"}), laptop.bearer())
        .await
        .expect_problem(400, ErrorCode::MalformedRequest);
    server
        .json(Method::POST, S2, &json!([5]), laptop.bearer())
        .await
        .expect_problem(400, ErrorCode::InvalidKeyPackage);
    // 20 KiB fits the body limit but not the per-package limit; 2 MB fits neither.
    let large = b64(&vec![0u8; 20 * 1024]);
    server
        .json(Method::POST, S2, &json!([large]), laptop.bearer())
        .await
        .expect_problem(413, ErrorCode::KeyPackageLimit);
    let huge = b64(&vec![0u8; 2 * 1024 * 1024]);
    server
        .json(Method::POST, S2, &json!([huge]), laptop.bearer())
        .await
        .expect_problem(413, ErrorCode::PayloadTooLarge);
    // Nothing was stored: the next claim finds no package.
    assert!(
        claim(server, &bob_session, "alice@localhost")
            .await
            .is_empty()
    );
    // Uploads need a local session with a certificate.
    server
        .json(Method::POST, S2, &json!([b64(&good)]), Auth::None)
        .await
        .expect_problem(401, ErrorCode::Unauthorized);
}

async fn rotation_and_logout_remove_the_sessions_packages(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |c| {
        c.key_packages.max_per_session = 3;
    })
    .await
    else {
        return;
    };
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let laptop = server.login(&alice, "laptop").await;
    let bob_session = server.login(&bob, "b").await;
    let mut lr = package(&laptop);
    lr.last_resort = true;
    let body = json!([b64(&package(&laptop).build()), b64(&lr.build())]);
    server
        .json(Method::POST, S2, &body, laptop.bearer())
        .await
        .expect(201);
    // The count limit: one stored, three more would be four.
    let more: Vec<String> = (0..3).map(|_| b64(&package(&laptop).build())).collect();
    server
        .json(Method::POST, S2, &more, laptop.bearer())
        .await
        .expect_problem(413, ErrorCode::KeyPackageLimit);

    let (new_key, csr) = laptop.new_csr();
    let answer = server
        .json(
            Method::POST,
            "/.p2/core/v1/session/idcert",
            &json!({"csr": csr.to_pem()}),
            laptop.sensitive(),
        )
        .await;
    answer.expect(201);
    let token = answer.json::<serde_json::Value>()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        claim(&server, &bob_session, "alice@localhost")
            .await
            .is_empty(),
        "rotation removed both packages"
    );
    // Packages signed with the old key are refused now; the new key's are accepted.
    let stale = json!([b64(&package(&laptop).build())]);
    server
        .json(Method::POST, S2, &stale, Auth::Bearer(&token))
        .await
        .expect_problem(400, ErrorCode::InvalidKeyPackage);
    // The retired packages no longer count: the new key gets the whole limit of three.
    let fresh: Vec<String> = (0..3)
        .map(|_| b64(&TestKeyPackage::basic(&new_key, alice.as_str()).build()))
        .collect();
    server
        .json(Method::POST, S2, &fresh, Auth::Bearer(&token))
        .await
        .expect(201);
    assert_eq!(
        claim(&server, &bob_session, "alice@localhost").await.len(),
        1,
        "a package of the new key is handed out"
    );
    server
        .send(
            Auth::Bearer(&token).apply(server.request(Method::PUT, "/.p2/core/v1/session/revoke")),
        )
        .await
        .expect(204);
    assert!(
        claim(&server, &bob_session, "alice@localhost")
            .await
            .is_empty(),
        "logout removed the package"
    );
    server.stop().await;
}
