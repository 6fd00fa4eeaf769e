//! The upstream reference SDK (`polyproto` 0.21) as the client of our server (docs/wire-contract.md §1.2,
//! interop notes §2a, §2e, §6): every call goes through its real HTTP client (`HttpClient`,
//! `Session`), and every certificate it receives passes its own full validation (signature over
//! its re-encoded TBS, validity, cache signature). Runs on SQLite and on PostgreSQL.
//!
//! The SDK has no sign-in call, so sign-in (`POST /.p2/core/v1/session/trust` without a CSR)
//! goes through the harness; everything after it is the SDK's.

mod adapter;

use std::time::Duration;

use polyproto::api::cacheable_cert::CacheableIdCert;
use polyproto::api::{HttpClient, Session};
use polyproto::certs::capabilities::ActorCapabilities;
use polyproto::certs::idcert::{IdCertActor, IdCertBehaviors as _, IdCertHs};
use polyproto::certs::idcsr::IdCsrActor;
use polyproto::der::pem::LineEnding;
use polyproto::errors::{InvalidCert, PublicKeyError, RequestError};
use polyproto::key::PrivateKey as _;
use polyproto::types::{ActorDN, DomainName, FederationId, LocalName, SessionId};
use polyproto::url::Url;

use self::adapter::{Ed25519Key, Ed25519Public, Ed25519Sig};
use polyproto_server::clock::Clock;
use polyproto_test_support::{Backend, PASSWORD, TestServer};

polyproto_test_support::on_both_backends! {
    backend: [
        well_known,
        server_key_rotation,
    ],
    server: [
        initial_and_follow_up_certificates,
        server_certificate_with_and_without_timestamp,
        actor_certificates_with_and_without_session_id,
        session_deletion,
    ],
}

type RefSession = Session<Ed25519Sig, Ed25519Key>;
type ActorCert = IdCertActor<Ed25519Sig, Ed25519Public>;
type ServerCert = IdCertHs<Ed25519Sig, Ed25519Public>;

/// Now, in UNIX seconds.
fn now() -> u64 {
    polyproto_types::time::now_unix()
}

/// The SDK's HTTP client and its idea of the server's base URL.
///
/// `HttpClient::new` builds its rustls configuration with the process-level `CryptoProvider`,
/// and this build graph enables both rustls providers (`ring` through sqlx, `aws-lc-rs` through
/// reqwest), so rustls cannot pick one and `new` panics. The client's fields are public: give it
/// a reqwest client made the way the harness makes its own, with the SDK's user agent. Over
/// plain HTTP nothing else differs; every request is still built and sent by the SDK.
fn client(server: &TestServer) -> (HttpClient, Url) {
    let client = reqwest::Client::builder()
        .user_agent("polyproto-rs/0.21.0")
        .build()
        .expect("reqwest client");
    let http = HttpClient {
        client,
        headers: reqwest::header::HeaderMap::new(),
        zstd_compression: false,
        additional_cert: None,
    };
    (http, Url::parse(&server.url).expect("server url"))
}

/// The SDK's actor name for `fid` and `session`.
fn actor_dn(fid: &polyproto_types::FederationId, session: &str) -> ActorDN {
    let fid = fid.to_string();
    let (local, domain) = fid.split_once('@').expect("fid");
    ActorDN::new_validated(
        FederationId::new(&fid).expect("fid"),
        LocalName::new(local).expect("local name"),
        DomainName::new(domain).expect("domain"),
        SessionId::new_validated(session).expect("session id"),
        None,
    )
    .expect("actor DN")
}

/// An ID-CSR made by the SDK.
fn csr(key: &Ed25519Key, dn: &ActorDN) -> IdCsrActor<Ed25519Sig, Ed25519Public> {
    IdCsrActor::new(dn.clone(), key, ActorCapabilities::default()).expect("ID-CSR")
}

/// The status of a refused SDK call.
#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, RequestError>) -> u16 {
    match result {
        Err(RequestError::StatusCode { received, .. }) => received.as_u16(),
        other => panic!("expected a refusal by status code, got {other:?}"),
    }
}

/// The server certificate valid at `at` (now without it), fetched by the SDK and checked every way
/// the SDK offers: self-signed and valid, cache signature under its own key, cache window around
/// now. Its key is cross-checked against the harness's independent reading.
async fn server_cert(server: &TestServer, at: Option<u64>) -> (CacheableIdCert, ServerCert) {
    let (http, url) = client(server);
    let cacheable = http
        .get_server_id_cert(at, &url)
        .await
        .expect("GET /idcert/server");
    let unchecked = ServerCert::from_pem_unchecked(&cacheable.cert).expect("server cert parses");
    let key = unchecked.id_cert_tbs.subject_public_key.clone();
    let time = at.unwrap_or_else(now);
    unchecked
        .full_verify_home_server(time)
        .expect("self-signed and valid");
    cacheable
        .verify::<Ed25519Sig, Ed25519Public>(&key)
        .expect("cache signature");
    let cert = cacheable
        .try_to_homeserver_idcert::<Ed25519Sig, Ed25519Public>(time, &key)
        .expect("full validation");
    assert_eq!(cert, unchecked);
    // A cached answer may have been signed a while ago (at most half its window): what a
    // client needs is a window that has begun and still runs.
    let checked = now();
    assert!(
        cacheable.cache_not_valid_before <= checked && checked < cacheable.cache_not_valid_after,
        "the cache window [{}, {}) holds {checked}",
        cacheable.cache_not_valid_before,
        cacheable.cache_not_valid_after
    );
    (cacheable, cert)
}

/// The current server key, read through the SDK.
async fn server_key(server: &TestServer) -> Ed25519Public {
    let (_, cert) = server_cert(server, None).await;
    let key = cert.id_cert_tbs.subject_public_key;
    assert_eq!(
        &key.to_bytes(),
        server.server_cert().await.public_key().as_bytes(),
        "harness and SDK agree"
    );
    key
}

/// Checks `cert` with the SDK's full validation under `hs_key`, and by re-parsing its PEM.
#[track_caller]
fn validate(cert: &ActorCert, hs_key: &Ed25519Public) {
    cert.full_validate(now(), hs_key).expect("full validation");
    let pem = cert.clone().try_to_pem(LineEnding::LF).expect("PEM");
    let parsed = ActorCert::try_from_pem(&pem, now(), hs_key).expect("try_from_pem");
    assert_eq!(&parsed, cert);
    // The checks bite: another key does not verify it.
    let stranger = Ed25519Key::generate().pubkey();
    assert_eq!(
        cert.full_validate(now(), &stranger),
        Err(InvalidCert::PublicKeyError(PublicKeyError::BadSignature))
    );
}

/// A session signed in through the harness, with its first ID-Cert requested by the SDK.
struct Signed {
    session: RefSession,
    dn: ActorDN,
    cert: ActorCert,
}

impl Signed {
    /// Signs `fid` in without a CSR (a pending session) and has the SDK ask for its first
    /// ID-Cert, with no second factor.
    async fn new(
        server: &TestServer,
        fid: &polyproto_types::FederationId,
        session_id: &str,
    ) -> Self {
        let answer = server
            .trust(fid.local_name().as_str(), PASSWORD, None)
            .await;
        answer.expect(201);
        let token = answer.json::<serde_json::Value>()["token"]
            .as_str()
            .expect("token")
            .to_owned();
        let (http, url) = client(server);
        let session = RefSession::new(&http, &token, url, None);
        let dn = actor_dn(fid, session_id);
        let key = Ed25519Key::generate();
        let cert = session
            .request_initial_id_cert(csr(&key, &dn))
            .await
            .expect("first ID-Cert");
        assert_eq!(cert.id_cert_tbs.subject, dn);
        assert_eq!(cert.id_cert_tbs.subject_public_key, key.pubkey());
        assert_eq!(cert.id_cert_tbs.capabilities, ActorCapabilities::default());
        Self { session, dn, cert }
    }

    fn session_id(&self) -> &SessionId {
        &self.dn.session_id
    }

    fn fid(&self) -> &FederationId {
        &self.dn.federation_id
    }

    /// A follow-up ID-Cert for this session with a fresh key and `solution`.
    async fn follow_up(&self, solution: &str) -> Result<ActorCert, RequestError> {
        let key = Ed25519Key::generate();
        let cert = self
            .session
            .request_follow_up_id_cert(csr(&key, &self.dn), solution)
            .await?;
        assert_eq!(cert.id_cert_tbs.subject, self.dn);
        assert_eq!(cert.id_cert_tbs.subject_public_key, key.pubkey());
        Ok(cert)
    }
}

/// `GET /.p2/core/v1/idcert/actor/{fid}` through the SDK.
async fn actor_certs(
    server: &TestServer,
    fid: &FederationId,
    not_before: Option<u64>,
    session_id: Option<&SessionId>,
) -> Vec<CacheableIdCert> {
    let (http, url) = client(server);
    http.get_actor_id_certs(fid, not_before, None, session_id, &url)
        .await
        .expect("GET /idcert/actor")
}

/// Checks a cacheable actor ID-Cert with the SDK: cache signature and full validation under
/// `hs_key`; returns the certificate.
#[track_caller]
fn check_entry(entry: &CacheableIdCert, hs_key: &Ed25519Public) -> ActorCert {
    entry
        .verify::<Ed25519Sig, Ed25519Public>(hs_key)
        .expect("cache signature");
    let cert = entry
        .try_to_actor_idcert::<Ed25519Sig, Ed25519Public>(now(), hs_key)
        .expect("full validation");
    // The SDK re-encodes what it parsed; the server's PEM is exactly that encoding.
    assert_eq!(
        cert.clone().try_to_pem(LineEnding::LF).expect("PEM"),
        entry.cert
    );
    cert
}

/// Checks every entry with [`check_entry`] and splits them into the live certificates and the
/// invalidated ones, each in the order listed.
#[track_caller]
fn split_history(
    entries: &[CacheableIdCert],
    hs_key: &Ed25519Public,
) -> (Vec<ActorCert>, Vec<ActorCert>) {
    let (ended, live): (Vec<_>, Vec<_>) = entries
        .iter()
        .partition(|entry| entry.invalidated_at.is_some());
    let check = |list: Vec<&CacheableIdCert>| {
        list.into_iter()
            .map(|entry| check_entry(entry, hs_key))
            .collect()
    };
    (check(live), check(ended))
}

/// The PEM of a certificate, as the SDK encodes it.
fn pem(cert: &ActorCert) -> String {
    cert.clone().try_to_pem(LineEnding::LF).expect("PEM")
}

async fn initial_and_follow_up_certificates(server: &TestServer) {
    let alice = server.register("alice").await;
    let desk = Signed::new(server, &alice, "desk").await;
    let hs_key = server_key(server).await;
    validate(&desk.cert, &hs_key);

    // The one-time allowance is spent: without the second factor the SDK is refused.
    let again = desk
        .session
        .request_initial_id_cert(csr(&Ed25519Key::generate(), &desk.dn))
        .await;
    assert_eq!(refused(again), 401);
    assert_eq!(refused(desk.follow_up("not the password").await), 403);

    // Follow-ups with the password, on the same session and token.
    let second = desk.follow_up(PASSWORD).await.expect("follow-up ID-Cert");
    validate(&second, &hs_key);
    assert_ne!(
        second.id_cert_tbs.serial_number,
        desk.cert.id_cert_tbs.serial_number
    );
    let third = desk
        .follow_up(PASSWORD)
        .await
        .expect("the token still works");
    validate(&third, &hs_key);

    // The server lists the newest one as the session's current certificate.
    let current = actor_certs(server, desk.fid(), None, None).await;
    assert_eq!(current.len(), 1);
    assert_eq!(check_entry(&current[0], &hs_key), third);
    assert_eq!(current[0].cert, pem(&third));
    let history = actor_certs(server, desk.fid(), Some(0), Some(desk.session_id())).await;
    // The contract fixes no order (and same-second certificates tie on notBefore).
    let (live, ended) = split_history(&history, &hs_key);
    assert_eq!(live, [third]);
    assert_eq!(ended.len(), 2);
    assert!(ended.contains(&desk.cert) && ended.contains(&second));
}

async fn server_certificate_with_and_without_timestamp(server: &TestServer) {
    let hs_key = server_key(server).await;
    let (plain, cert) = server_cert(server, None).await;
    let (stamped, cert_then) = server_cert(server, Some(now())).await;
    assert_eq!(cert, cert_then);
    assert_eq!(plain.cert, stamped.cert);
    assert_eq!(plain.invalidated_at, None);
    assert_eq!(cert.id_cert_tbs.subject_public_key, hs_key);
    assert_eq!(cert.id_cert_tbs.issuer, cert.id_cert_tbs.subject);
    assert_eq!(
        cert.clone().try_to_pem(LineEnding::LF).expect("PEM"),
        plain.cert,
        "byte-exact re-encoding"
    );
    // The cache signature is bound to this key: a stranger's key does not verify it.
    let stranger = Ed25519Key::generate().pubkey();
    assert!(
        plain
            .verify::<Ed25519Sig, Ed25519Public>(&stranger)
            .is_err()
    );
    // Before the server existed there was no certificate.
    let (http, url) = client(server);
    assert_eq!(refused(http.get_server_id_cert(Some(1), &url).await), 404);
}

async fn actor_certificates_with_and_without_session_id(server: &TestServer) {
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let desk = Signed::new(server, &alice, "desk").await;
    let phone = Signed::new(server, &alice, "phone").await;
    let bobs = Signed::new(server, &bob, "desk").await;
    let hs_key = server_key(server).await;

    let all = actor_certs(server, desk.fid(), None, None).await;
    let mut certs: Vec<ActorCert> = all
        .iter()
        .map(|entry| check_entry(entry, &hs_key))
        .collect();
    assert!(all.iter().all(|entry| entry.invalidated_at.is_none()));
    certs.sort_by_key(|cert| cert.id_cert_tbs.subject.session_id.to_string());
    assert_eq!(certs, [desk.cert.clone(), phone.cert.clone()]);

    let only_phone = actor_certs(server, desk.fid(), None, Some(phone.session_id())).await;
    assert_eq!(only_phone.len(), 1);
    assert_eq!(check_entry(&only_phone[0], &hs_key), phone.cert);
    let bobs_list = actor_certs(server, bobs.fid(), None, Some(bobs.session_id())).await;
    assert_eq!(bobs_list.len(), 1);
    assert_eq!(check_entry(&bobs_list[0], &hs_key), bobs.cert);
    let nowhere = SessionId::new_validated("nowhere").expect("session id");
    assert!(
        actor_certs(server, desk.fid(), None, Some(&nowhere))
            .await
            .is_empty()
    );

    // An invalidated certificate's cache signature covers `invalidatedAt`, and the SDK checks it.
    let newer = phone.follow_up(PASSWORD).await.expect("follow-up");
    let history = actor_certs(server, desk.fid(), Some(0), Some(phone.session_id())).await;
    assert_eq!(
        split_history(&history, &hs_key),
        (vec![newer], vec![phone.cert.clone()])
    );
    let ended = history
        .iter()
        .find(|entry| entry.invalidated_at.is_some())
        .expect("ended entry");
    assert!(ended.invalidated_at.is_some_and(|at| at <= now()));
    let mut tampered = ended.clone();
    tampered.invalidated_at = tampered.invalidated_at.map(|at| at + 1);
    assert!(
        tampered
            .verify::<Ed25519Sig, Ed25519Public>(&hs_key)
            .is_err()
    );
}

async fn server_key_rotation(backend: Backend) {
    // The SDK checks what the server signs against the system time, so the server starts
    // behind it: moving the server forward past the old certificate's second then keeps
    // everything it issues valid for the SDK.
    let clock = Clock::behind(Duration::from_secs(3));
    let Some(started) = TestServer::start_with_clock(backend, clock, |_| {}).await else {
        return;
    };
    let server = &started;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    server.grant_admin(&alice).await;
    let admin = Signed::new(server, &alice, "desk").await;
    let other = Signed::new(server, &bob, "desk").await;
    let old_key = server_key(server).await;
    let (_, old_cert) = server_cert(server, None).await;

    assert_eq!(
        refused(other.session.rotate_server_identity_key(PASSWORD).await),
        403
    );
    assert_eq!(
        refused(
            admin
                .session
                .rotate_server_identity_key("not the password")
                .await
        ),
        403
    );
    assert_eq!(
        server_key(server).await,
        old_key,
        "refused rotations change nothing"
    );

    let before = server.clock().now();
    server.clock().advance(Duration::from_secs(1));
    // The SDK itself runs `full_verify_home_server` on the answer.
    let new_cert = admin
        .session
        .rotate_server_identity_key(PASSWORD)
        .await
        .expect("rotation");
    new_cert
        .full_verify_home_server(now())
        .expect("self-signed and valid");
    let new_key = new_cert.id_cert_tbs.subject_public_key.clone();
    assert_ne!(new_key, old_key);
    assert_eq!(server_cert(server, None).await.1, new_cert);
    assert_eq!(server_key(server).await, new_key);

    // The old certificate, asked for by time, is invalidated and signed by the old key.
    let (old_entry, old_again) = server_cert(server, Some(before)).await;
    assert_eq!(old_again, old_cert);
    assert!(
        old_entry
            .invalidated_at
            .is_some_and(|at| before < at && at <= now())
    );

    // Certificates issued before stay valid under the key that issued them, with cache
    // information signed by that key; new ones are under the new key.
    let listed = actor_certs(server, admin.fid(), None, None).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(check_entry(&listed[0], &old_key), admin.cert);
    assert!(
        listed[0]
            .verify::<Ed25519Sig, Ed25519Public>(&new_key)
            .is_err()
    );
    let renewed = admin
        .follow_up(PASSWORD)
        .await
        .expect("the admin's token survives the rotation");
    validate(&renewed, &new_key);
    let phone = Signed::new(server, &alice, "phone").await;
    validate(&phone.cert, &new_key);
    assert!(phone.cert.full_validate(now(), &old_key).is_err());
    started.stop().await;
}

async fn session_deletion(server: &TestServer) {
    let alice = server.register("alice").await;
    let desk = Signed::new(server, &alice, "desk").await;
    let phone = Signed::new(server, &alice, "phone").await;
    let hs_key = server_key(server).await;

    assert_eq!(
        refused(
            desk.session
                .delete_session(phone.session_id(), "not the password")
                .await
        ),
        403
    );
    assert_eq!(
        actor_certs(server, desk.fid(), None, None).await.len(),
        2,
        "a refusal changes nothing"
    );
    desk.session
        .delete_session(phone.session_id(), PASSWORD)
        .await
        .expect("DELETE /session");

    // The deleted session's certificate is invalidated and its token has ended.
    assert!(
        actor_certs(server, desk.fid(), None, Some(phone.session_id()))
            .await
            .is_empty()
    );
    let history = actor_certs(server, desk.fid(), Some(0), Some(phone.session_id())).await;
    assert_eq!(history.len(), 1);
    assert!(history[0].invalidated_at.is_some());
    assert_eq!(check_entry(&history[0], &hs_key), phone.cert);
    assert_eq!(refused(phone.follow_up(PASSWORD).await), 401);
    assert_eq!(
        refused(
            phone
                .session
                .delete_session(phone.session_id(), PASSWORD)
                .await
        ),
        401
    );

    // The other session is untouched, and may end itself.
    let renewed = desk
        .follow_up(PASSWORD)
        .await
        .expect("the other session lives");
    validate(&renewed, &hs_key);
    desk.session
        .delete_session(desk.session_id(), PASSWORD)
        .await
        .expect("DELETE own session");
    assert_eq!(refused(desk.follow_up(PASSWORD).await), 401);
    assert!(actor_certs(server, desk.fid(), None, None).await.is_empty());

    // The session ID is free again.
    let phone_again = Signed::new(server, &alice, "phone").await;
    validate(&phone_again.cert, &hs_key);
}

async fn well_known(backend: Backend) {
    // A fixed port and an explicit public URL: without `public_url` the server advertises
    // `http://<domain>:<configured bind port>`, which is `:0` under the harness's random port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("address")
        .port();
    let public = format!("http://127.0.0.1:{port}");
    let Some(server) = TestServer::start_with(backend, |c| {
        c.bind = vec![std::net::SocketAddr::from(([127, 0, 0, 1], port))];
        c.public_url = Some(public.clone());
    })
    .await
    else {
        return;
    };
    assert_eq!(server.url, public);
    let (http, url) = client(&server);
    let found = http
        .get_well_known(&url)
        .await
        .expect("GET /.well-known/polyproto-core");
    assert_eq!(found.api().as_str(), format!("{}/.p2/core/", server.url));
    assert_eq!(found.oidc_issuer().as_str(), format!("{}/", server.url));
    assert_eq!(
        polyproto::api::WellKnown::new(&http, &url)
            .await
            .expect("WellKnown::new"),
        found
    );
    // The discovered API URL works as the SDK's base URL.
    let (_, cert) = server_cert(&server, None).await;
    let via_api = http
        .get_server_id_cert(None, found.api())
        .await
        .expect("server cert via the API URL");
    assert_eq!(
        via_api
            .try_to_homeserver_idcert(now(), &cert.id_cert_tbs.subject_public_key)
            .expect("valid"),
        cert
    );
    server.stop().await;
}
