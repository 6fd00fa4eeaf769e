//! Server key rotation: seed S4 and `POST /.p2/core/v1/key/server` (docs/wire-contract.md §1.1, §1.2, §4.4).

use ed25519_dalek::pkcs8::DecodePublicKey as _;
use polyproto_types::IdCert;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::time::now_unix;
use reqwest::Method;

use polyproto_test_support::on_both_backends;
use polyproto_test_support::{Auth, Backend, TestServer};

on_both_backends! {
    backend: [
        only_admins_with_the_second_factor_rotate,
    ],
    server: [
        rotation_answers_in_both_forms,
    ],
}

async fn only_admins_with_the_second_factor_rotate(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |c| {
        c.accounts.admins = vec!["root".to_owned()];
    })
    .await
    else {
        return;
    };
    let alice = server.register("alice").await;
    let root = server.register("root").await;
    let alice_session = server.login(&alice, "a").await;
    let root_session = server.login(&root, "r").await;
    let hs = server.server_cert().await;
    for path in ["/p2core/key/server", "/.p2/core/v1/key/server"] {
        let method = if path.starts_with("/p2core") {
            Method::PUT
        } else {
            Method::POST
        };
        let send = |auth: Auth<'_>| server.send(auth.apply(server.request(method.clone(), path)));
        send(Auth::None)
            .await
            .expect_problem(401, ErrorCode::Unauthorized);
        send(alice_session.sensitive())
            .await
            .expect_problem(403, ErrorCode::AdminRequired);
        send(root_session.bearer())
            .await
            .expect_problem(401, ErrorCode::SensitiveSolutionRequired);
        send(Auth::Sensitive(&root_session.token, "guess"))
            .await
            .expect_problem(403, ErrorCode::SensitiveSolutionInvalid);
    }
    assert_eq!(
        server.server_cert().await,
        hs,
        "refused rotations change nothing"
    );
    // The database flag works as well as the configuration.
    server.grant_admin(&alice).await;
    let rotate = server.request(Method::POST, "/.p2/core/v1/key/server");
    server
        .send(alice_session.sensitive().apply(rotate))
        .await
        .expect(200);
    assert_ne!(server.server_cert().await, hs);
    server.stop().await;
}

async fn rotation_answers_in_both_forms(server: &TestServer) {
    let alice = server.register("alice").await;
    server.grant_admin(&alice).await;
    let session = server.login(&alice, "a").await;
    let first_hs = server.server_cert().await;

    let seed = server
        .send(
            session
                .sensitive()
                .apply(server.request(Method::PUT, "/p2core/key/server")),
        )
        .await;
    seed.expect(200);
    let spki_pem: String = seed.json();
    let key = ed25519_dalek::VerifyingKey::from_public_key_pem(&spki_pem).expect("SPKI PEM");
    let second_hs = server.server_cert().await;
    assert_eq!(second_hs.public_key(), &key);

    let modern = server
        .send(
            session
                .sensitive()
                .apply(server.request(Method::POST, "/.p2/core/v1/key/server")),
        )
        .await;
    modern.expect(200);
    let third_hs = IdCert::from_pem(&modern.text()).expect("raw PEM");
    third_hs
        .validate_home_server(now_unix())
        .expect("self-signed and valid");
    assert_eq!(server.server_cert().await, third_hs);
    assert!(first_hs != second_hs && second_hs != third_hs);

    // Existing certificates stay valid under the key that issued them; new ones use the new key.
    session
        .cert
        .validate_actor(&first_hs, now_unix())
        .expect("old cert, old server cert");
    let bob = server.register("bob").await;
    let bob_session = server.login(&bob, "b").await;
    bob_session
        .cert
        .validate_actor(&third_hs, now_unix())
        .expect("new cert under the new key");
    assert!(
        bob_session
            .cert
            .validate_actor(&first_hs, now_unix())
            .is_err()
    );
    // Cache information of old certificates is signed by the key that issued them.
    let entries = server.actor_certs(&alice, "").await;
    entries[0]
        .verify(first_hs.public_key())
        .expect("signed by the issuing key");
}
