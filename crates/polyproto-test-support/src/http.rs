//! A small HTTP client speaking the wire contract to a [`TestServer`], and the sessions and
//! answers it deals in.

use ed25519_dalek::SigningKey;
use polyproto_types::api::error::{ErrorCode, Problem};
use polyproto_types::names::ActorDn;
use polyproto_types::{CacheableIdCert, FederationId, IdCert, IdCsr, SessionId};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::server::{PASSWORD, TestServer};

impl TestServer {
    /// A request to `path` (with its query) on this server.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url))
    }

    /// Sends a request and reads the whole answer.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let request_id = response.headers().get("x-request-id").is_some();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = response.bytes().await.expect("body").to_vec();
        Answer {
            status,
            content_type,
            body,
            request_id,
            retry_after,
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    /// A JSON body sent without a Content-Type, as the reference client does.
    pub async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &impl Serialize,
        auth: Auth<'_>,
    ) -> Answer {
        let request = auth.apply(
            self.request(method, path)
                .body(serde_json::to_string(body).expect("json")),
        );
        self.send(request).await
    }

    /// Registers `name` with [`PASSWORD`].
    pub async fn register(&self, name: &str) -> FederationId {
        let body = serde_json::json!({"actor_name": name, "auth_payload": {"password": PASSWORD}});
        let answer = self
            .json(
                reqwest::Method::POST,
                "/.p2/core/v1/register",
                &body,
                Auth::None,
            )
            .await;
        answer.expect(201);
        let value: serde_json::Value = answer.json();
        FederationId::new(value["fid"].as_str().expect("fid")).expect("valid fid")
    }

    /// Signs `fid`'s actor in with a new key and a CSR for `session`.
    pub async fn login(&self, fid: &FederationId, session: &str) -> Session {
        let key = new_key();
        let session_id = SessionId::new(session).expect("session id");
        let csr = IdCsr::new(&key, &ActorDn::new(fid.clone(), session_id.clone())).expect("csr");
        let answer = self
            .trust(fid.local_name().as_str(), PASSWORD, Some(&csr.to_pem()))
            .await;
        answer.expect(201);
        let value: serde_json::Value = answer.json();
        let cert =
            IdCert::from_pem(value["id_cert"].as_str().expect("id_cert")).expect("cert parses");
        assert_eq!(value["idCert"], value["id_cert"]);
        Session {
            fid: fid.clone(),
            key,
            session_id,
            token: value["token"].as_str().expect("token").to_owned(),
            cert,
        }
    }

    /// `POST /.p2/core/v1/session/trust`.
    pub async fn trust(&self, name: &str, password: &str, csr: Option<&str>) -> Answer {
        let mut body =
            serde_json::json!({"actor_name": name, "auth_payload": {"password": password}});
        if let Some(csr) = csr {
            body["csr"] = csr.into();
        }
        self.json(
            reqwest::Method::POST,
            "/.p2/core/v1/session/trust",
            &body,
            Auth::None,
        )
        .await
    }

    /// The current server certificate, verified: cacheable form, cache signature under its own
    /// key, self-signed and valid at the server clock's now.
    pub async fn server_cert(&self) -> IdCert {
        let answer = self.get("/.p2/core/v1/idcert/server").await;
        answer.expect(200);
        let cacheable: CacheableIdCert = answer.json();
        let cert = IdCert::from_pem(&cacheable.id_cert_pem).expect("server cert parses");
        cacheable
            .verify(cert.public_key())
            .expect("cache signature");
        cert.validate_home_server(self.clock().now())
            .expect("valid server cert");
        cert
    }

    /// `GET /.p2/core/v1/idcert/actor/{fid}` with `query`, each entry's cache signature checked
    /// under the current server key.
    pub async fn actor_certs(&self, fid: &FederationId, query: &str) -> Vec<CacheableIdCert> {
        let answer = self
            .get(&format!("/.p2/core/v1/idcert/actor/{fid}{query}"))
            .await;
        answer.expect(200);
        assert_eq!(
            answer.text(),
            polyproto_types::wire::to_jcs(&answer.json::<serde_json::Value>()).expect("jcs")
        );
        answer.json()
    }
}

/// The server binary run as a second process on a [`TestServer`]'s database.
pub struct ChildServer {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

impl TestServer {
    /// Starts the `polyproto-server` binary at `binary` (a test passes
    /// `env!("CARGO_BIN_EXE_polyproto-server")`) as another process on this server's database
    /// and configuration, and waits until it answers.
    pub fn spawn_process(&self, binary: &str) -> ChildServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let child = std::process::Command::new(binary)
            .args([
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--database",
                &self.config.database_url(),
            ])
            .args(["--domain", &self.config.domain])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("second server process starts");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the second server did not come up"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        ChildServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a request authenticates.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// No credentials.
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
    /// A bearer token and `X-P2-Sensitive-Solution` (token, solution).
    Sensitive(&'a str, &'a str),
}

impl Auth<'_> {
    /// Adds the credentials to `request`.
    pub fn apply(self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Sensitive(token, solution) => request
                .bearer_auth(token)
                .header("X-P2-Sensitive-Solution", solution),
        }
    }
}

/// A signed-in session.
pub struct Session {
    /// The actor.
    pub fid: FederationId,
    /// The session's key.
    pub key: SigningKey,
    /// The session ID.
    pub session_id: SessionId,
    /// The bearer token.
    pub token: String,
    /// The session's ID-Cert.
    pub cert: IdCert,
}

impl Session {
    /// A CSR for this session with a fresh key (returned with it).
    pub fn new_csr(&self) -> (SigningKey, IdCsr) {
        let key = new_key();
        let csr = IdCsr::new(
            &key,
            &ActorDn::new(self.fid.clone(), self.session_id.clone()),
        )
        .expect("csr");
        (key, csr)
    }

    /// The session's token.
    pub fn bearer(&self) -> Auth<'_> {
        Auth::Bearer(&self.token)
    }

    /// The session's token and the actor's password as the second factor.
    pub fn sensitive(&self) -> Auth<'_> {
        Auth::Sensitive(&self.token, PASSWORD)
    }
}

/// A whole answer.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` (empty when absent).
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
    /// Whether the answer carried `X-Request-Id`.
    pub request_id: bool,
    /// `Retry-After`, in seconds, if the answer carried it.
    pub retry_after: Option<u64>,
}

impl Answer {
    /// Asserts the status (and the request ID every answer carries).
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.text()
        );
        assert!(self.request_id, "every answer carries X-Request-Id");
        self
    }

    /// The body as JSON, or a panic showing it.
    #[track_caller]
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not the expected JSON ({e}): {}", self.text()))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts a problem+json answer with this status and code (docs/wire-contract.md §6).
    #[track_caller]
    pub fn expect_problem(&self, status: u16, code: ErrorCode) -> Problem {
        self.expect(status);
        assert_eq!(
            self.content_type,
            "application/problem+json",
            "body: {}",
            self.text()
        );
        let problem: Problem = self.json();
        assert_eq!(problem.error, code, "body: {}", self.text());
        assert_eq!((problem.status, problem.errcode), (status, status));
        assert_eq!(problem.namespace, "https://polyproto.org/core");
        assert!(!problem.detail.is_empty() && !problem.title.is_empty());
        problem
    }
}

/// A fresh random Ed25519 key.
pub fn new_key() -> SigningKey {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("randomness");
    SigningKey::from_bytes(&seed)
}
