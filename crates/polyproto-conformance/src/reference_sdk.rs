//! The reference SDK's own HTTP client (`polyproto` 0.21) against the server under test: its
//! calls, its wire forms and its validation of everything it receives (interop notes §2a,
//! §2e). Sign-in goes through plain HTTP (the SDK has no call for it); everything after is
//! the SDK's. The certificates it receives are handed back for openssl and pkilint.

use std::time::Instant;

use polyproto::api::cacheable_cert::CacheableIdCert;
use polyproto::api::{HttpClient, Session};
use polyproto::certs::capabilities::ActorCapabilities;
use polyproto::certs::idcert::{IdCertActor, IdCertBehaviors as _, IdCertHs};
use polyproto::certs::idcsr::IdCsrActor;
use polyproto::der::pem::LineEnding;
use polyproto::key::PrivateKey as _;
use polyproto::types::{ActorDN, DomainName, FederationId, LocalName, SessionId};
use polyproto::url::Url;
use polyproto_sdk_adapter::{SdkPrivateKey, SdkPublicKey, SdkSignature};
use polyproto_types::IdCert;
use polyproto_types::api::{Route, create_session, register};
use polyproto_types::time::now_unix;

use crate::endpoint::Endpoint;
use crate::report::{Outcome, Status};

type ActorCert = IdCertActor<SdkSignature, SdkPublicKey>;
type ServerCert = IdCertHs<SdkSignature, SdkPublicKey>;

/// The SDK's calls against `server`, as two outcomes: the server certificate, and a session
/// (first and follow-up certificates, the actor's certificates); and the actor certificates
/// the SDK received.
pub async fn run(server: &Endpoint, http: &reqwest::Client) -> (Vec<Outcome>, Vec<IdCert>) {
    let mut seen = Vec::new();
    let mut outcomes = Vec::new();
    let started = Instant::now();
    let result = server_cert(server, http).await;
    let key = result
        .as_ref()
        .ok()
        .map(|c| c.id_cert_tbs.subject_public_key.clone());
    outcomes.push(outcome(
        "reference-sdk/server-cert",
        "interop: polyproto 0.21 HttpClient::get_server_id_cert and its validation",
        started,
        result.map(drop),
    ));
    let started = Instant::now();
    let result = match key {
        Some(key) => session(server, http, &key, &mut seen).await,
        None => Err("no server certificate the SDK accepts".to_owned()),
    };
    outcomes.push(outcome(
        "reference-sdk/session",
        "interop: polyproto 0.21 Session::request_initial_id_cert, request_follow_up_id_cert, HttpClient::get_actor_id_certs",
        started,
        result,
    ));
    (outcomes, seen)
}

/// An outcome from a result.
fn outcome(case: &str, checks: &str, started: Instant, result: Result<(), String>) -> Outcome {
    Outcome {
        case: case.to_owned(),
        checks: checks.to_owned(),
        status: match result {
            Ok(()) => Status::Pass,
            Err(e) => Status::Fail {
                step: "reference SDK".to_owned(),
                diff: format!("  - what the SDK accepts\n  + {e}"),
            },
        },
        millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

/// The SDK's client. `HttpClient::new` panics when both rustls providers are compiled in (as
/// here), so it gets a reqwest client made by us, with the SDK's user agent; every request is
/// still built and sent by the SDK.
fn sdk_client(http: &reqwest::Client) -> HttpClient {
    HttpClient {
        client: http.clone(),
        headers: reqwest::header::HeaderMap::new(),
        zstd_compression: false,
        additional_cert: None,
    }
}

/// The server's URL for the SDK.
fn url(server: &Endpoint) -> Result<Url, String> {
    Url::parse(&server.url).map_err(|e| e.to_string())
}

/// The server certificate through the SDK: self-signed and valid, cache signature under its
/// own key, full validation.
async fn server_cert(server: &Endpoint, http: &reqwest::Client) -> Result<ServerCert, String> {
    let cacheable = sdk_client(http)
        .get_server_id_cert(None, &url(server)?)
        .await
        .map_err(|e| format!("get_server_id_cert: {e}"))?;
    let unchecked = ServerCert::from_pem_unchecked(&cacheable.cert)
        .map_err(|e| format!("from_pem_unchecked: {e}"))?;
    let key = unchecked.id_cert_tbs.subject_public_key.clone();
    let now = now_unix();
    unchecked
        .full_verify_home_server(now)
        .map_err(|e| format!("full_verify_home_server: {e}"))?;
    cacheable
        .verify::<SdkSignature, SdkPublicKey>(&key)
        .map_err(|e| format!("cache signature: {e}"))?;
    cacheable
        .try_to_homeserver_idcert::<SdkSignature, SdkPublicKey>(now, &key)
        .map_err(|e| format!("try_to_homeserver_idcert: {e}"))
}

/// A session: signed in over plain HTTP, then the SDK asks for its first certificate and a
/// follow-up one, and reads the actor's certificates back; each validated by the SDK.
async fn session(
    server: &Endpoint,
    http: &reqwest::Client,
    server_key: &SdkPublicKey,
    seen: &mut Vec<IdCert>,
) -> Result<(), String> {
    let mut unique = [0u8; 5];
    getrandom::fill(&mut unique).map_err(|e| e.to_string())?;
    let name = format!("sdk{}", hex::encode(unique));
    let password = format!("conformance-{}", hex::encode(unique));
    let token = sign_in(server, http, &name, &password).await?;
    let fid_text = format!("{name}@{}", server.domain);
    let fid = FederationId::new(&fid_text).map_err(|e| e.to_string())?;
    let dn = ActorDN::new_validated(
        fid.clone(),
        LocalName::new(&name).map_err(|e| e.to_string())?,
        DomainName::new(server.domain.as_str()).map_err(|e| e.to_string())?,
        SessionId::new_validated("sdk").map_err(|e| e.to_string())?,
        None,
    )
    .map_err(|e| e.to_string())?;
    let client = sdk_client(http);
    let session: Session<SdkSignature, SdkPrivateKey> =
        Session::new(&client, &token, url(server)?, None);
    let csr = |key: &SdkPrivateKey| {
        IdCsrActor::new(dn.clone(), key, ActorCapabilities::default()).map_err(|e| e.to_string())
    };
    let first_key = SdkPrivateKey::generate();
    let first = session
        .request_initial_id_cert(csr(&first_key)?)
        .await
        .map_err(|e| format!("request_initial_id_cert: {e}"))?;
    seen.push(check_actor(&first, &dn, &first_key.pubkey(), server_key)?);
    let second_key = SdkPrivateKey::generate();
    let second = session
        .request_follow_up_id_cert(csr(&second_key)?, &password)
        .await
        .map_err(|e| format!("request_follow_up_id_cert: {e}"))?;
    seen.push(check_actor(&second, &dn, &second_key.pubkey(), server_key)?);
    let listed = client
        .get_actor_id_certs(&fid, None, None, None, &url(server)?)
        .await
        .map_err(|e| format!("get_actor_id_certs: {e}"))?;
    let [entry]: [CacheableIdCert; 1] = listed
        .try_into()
        .map_err(|l: Vec<_>| format!("get_actor_id_certs: {} certificates, not 1", l.len()))?;
    entry
        .verify::<SdkSignature, SdkPublicKey>(server_key)
        .map_err(|e| format!("cache signature: {e}"))?;
    let listed = entry
        .try_to_actor_idcert::<SdkSignature, SdkPublicKey>(now_unix(), server_key)
        .map_err(|e| format!("try_to_actor_idcert: {e}"))?;
    if listed != second {
        return Err("get_actor_id_certs lists another certificate than the newest".to_owned());
    }
    Ok(())
}

/// Registers `name` and signs it in without a CSR: the pending session's token.
async fn sign_in(
    server: &Endpoint,
    http: &reqwest::Client,
    name: &str,
    password: &str,
) -> Result<String, String> {
    let body = serde_json::json!({"actor_name": name, "auth_payload": {"password": password}});
    post(server, http, &register::ROUTE, &body).await?;
    let trust = create_session::ROUTE;
    let answer = post(server, http, &trust, &body).await?;
    answer["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("POST {}: no token in {answer}", trust.path))
}

/// `route` (a POST without path parameters) with a JSON body, which must answer the route's
/// success status with JSON.
async fn post(
    server: &Endpoint,
    http: &reqwest::Client,
    route: &Route,
    body: &serde_json::Value,
) -> Result<serde_json::Value, String> {
    let path = route.path;
    let answer = http
        .post(format!("{}{path}", server.url))
        .json(body)
        .send()
        .await
        .map_err(|e| format!("POST {path}: {e}"))?;
    let status = answer.status().as_u16();
    let text = answer.text().await.map_err(|e| e.to_string())?;
    if status != route.success {
        return Err(format!("POST {path}: {status} {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("POST {path}: {e}"))
}

/// The SDK's full validation of an actor certificate, its subject and key; the certificate
/// as `polyproto-types` reads it.
fn check_actor(
    cert: &ActorCert,
    dn: &ActorDN,
    key: &SdkPublicKey,
    server_key: &SdkPublicKey,
) -> Result<IdCert, String> {
    cert.full_validate(now_unix(), server_key)
        .map_err(|e| format!("full_validate: {e}"))?;
    if &cert.id_cert_tbs.subject != dn || &cert.id_cert_tbs.subject_public_key != key {
        return Err("the certificate names another session or key".to_owned());
    }
    let pem = cert
        .clone()
        .try_to_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    IdCert::from_pem(&pem).map_err(|e| format!("polyproto-types reads it: {e}"))
}
