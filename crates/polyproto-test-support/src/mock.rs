//! A mock home server that replays recorded answers, and the recorded answers themselves. For
//! the client's tests and the conformance suite, which replays the same recordings against
//! other clients.
//!
//! A [`Cassette`] is a list of [`Exchange`]s (a request and the server's answer) recorded from
//! a real server by [`MockServer::record`], which forwards every request to the server and
//! keeps what it answers. [`MockServer::replay`] serves them back: each request gets the
//! first unused exchange with the same method and path (query included), else the first
//! with the same method and path whatever the query, else the last one used for it again;
//! a request with no recorded answer gets 404 `P2CORE_NOT_FOUND` and is listed by
//! [`MockServer::unmatched`].
//!
//! The committed recordings are in `conformance-fixtures/recorded/` ([`recorded_dir`]),
//! written by the ignored test `record_fixtures` of the client's `tests/it/mock.rs`:
//!
//! ```sh
//! cargo test -p polyproto-client --test it -- --ignored record_fixtures
//! ```
//!
//! Certificates in recordings expire; a cassette carries the moment it is to be replayed at
//! ([`Cassette::now`]), for a client with a fixed clock.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

/// The largest request the mock reads.
const MAX_REQUEST_BYTES: usize = 1 << 20;

/// One request as the mock saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path with its query string, e.g. `/.p2/core/v1/idcert/server?timestamp=1`.
    pub path: String,
    /// The body, if any (UTF-8, lossy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl RecordedRequest {
    /// The path without its query string.
    pub fn path_only(&self) -> &str {
        self.path.split_once('?').map_or(&self.path, |(p, _)| p)
    }
}

/// One answer of the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The body (UTF-8: every polyproto answer is text).
    pub body: String,
}

/// A request and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// What the client sent.
    pub request: RecordedRequest,
    /// What the server answered.
    pub response: RecordedResponse,
}

/// A recording: the exchanges of one scenario, with what a replaying client needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cassette {
    /// What the scenario does, and what a client must make of it.
    pub description: String,
    /// The moment (UNIX seconds) to replay at: the certificates in the answers are valid
    /// then.
    pub now: u64,
    /// The session key used while recording (hex of the 32-byte seed), so that a replaying
    /// client sends CSRs for the key the recorded certificates certify. A test key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_key: Option<String>,
    /// The session ID used while recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The exchanges, in order.
    pub exchanges: Vec<Exchange>,
}

impl Cassette {
    /// Reads a cassette from a JSON file.
    ///
    /// # Errors
    /// The I/O error, or `InvalidData` if the file is not a cassette.
    pub fn load(path: &Path) -> io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        serde_json::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// Reads the committed fixture `name` (`fixtures/<name>.json`).
    ///
    /// # Errors
    /// As [`Cassette::load`].
    pub fn fixture(name: &str) -> io::Result<Self> {
        Self::load(&recorded_dir().join(format!("{name}.json")))
    }

    /// Writes the cassette as pretty JSON with a trailing newline.
    ///
    /// # Errors
    /// The I/O error.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        text.push('\n');
        std::fs::write(path, text)
    }

    /// The session key of the recording.
    ///
    /// # Panics
    /// If the cassette has no session key or it is not 64 hex characters: fixtures are
    /// written by a program, never by hand.
    pub fn signing_key(&self) -> ed25519_dalek::SigningKey {
        let hex = self.session_key.as_deref().unwrap_or_default();
        let mut seed = [0u8; 32];
        for (i, byte) in seed.iter_mut().enumerate() {
            *byte = hex
                .get(2 * i..2 * i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or_else(|| panic!("cassette session_key is not 64 hex characters"));
        }
        ed25519_dalek::SigningKey::from_bytes(&seed)
    }

    /// The first exchange for `method` and the path `path` (query ignored).
    pub fn find(&self, method: &str, path: &str) -> Option<&Exchange> {
        self.exchanges
            .iter()
            .find(|e| e.request.method == method && e.request.path_only() == path)
    }

    /// Every exchange for `method` and the path `path` (query ignored), mutable.
    pub fn find_all_mut(&mut self, method: &str, path: &str) -> Vec<&mut Exchange> {
        self.exchanges
            .iter_mut()
            .filter(|e| e.request.method == method && e.request.path_only() == path)
            .collect()
    }
}

/// The directory of the committed recordings, `conformance-fixtures/recorded/`.
pub fn recorded_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance-fixtures/recorded")
}

#[derive(Default)]
struct State {
    exchanges: Vec<Exchange>,
    used: Vec<bool>,
    last_used: Vec<Option<usize>>,
    received: Vec<RecordedRequest>,
    unmatched: Vec<RecordedRequest>,
    upstream: Option<(reqwest::Client, String)>,
    recorded: Vec<Exchange>,
}

impl State {
    fn answer(&mut self, request: &RecordedRequest) -> Option<RecordedResponse> {
        let same_route = |e: &Exchange| {
            e.request.method == request.method && e.request.path_only() == request.path_only()
        };
        let fresh_exact = (0..self.exchanges.len()).find(|&i| {
            !self.used[i]
                && same_route(&self.exchanges[i])
                && self.exchanges[i].request.path == request.path
        });
        let fresh_route =
            || (0..self.exchanges.len()).find(|&i| !self.used[i] && same_route(&self.exchanges[i]));
        let index = fresh_exact.or_else(fresh_route).or_else(|| {
            self.last_used
                .iter()
                .rev()
                .flatten()
                .copied()
                .find(|&i| same_route(&self.exchanges[i]))
        })?;
        self.used[index] = true;
        self.last_used.push(Some(index));
        Some(self.exchanges[index].response.clone())
    }
}

/// A mock home server on a loopback port: replays a [`Cassette`], or records one from a real
/// server. An actix-web server with one worker; stops when dropped.
pub struct MockServer {
    url: String,
    state: Arc<Mutex<State>>,
    handle: actix_web::dev::ServerHandle,
}

impl MockServer {
    /// Serves the exchanges of `cassette`.
    ///
    /// # Errors
    /// If no loopback port can be bound.
    pub async fn replay(cassette: &Cassette) -> io::Result<Self> {
        Self::replay_exchanges(cassette.exchanges.clone()).await
    }

    /// Serves `exchanges`.
    ///
    /// # Errors
    /// If no loopback port can be bound.
    pub async fn replay_exchanges(exchanges: Vec<Exchange>) -> io::Result<Self> {
        let used = vec![false; exchanges.len()];
        Self::start(State {
            exchanges,
            used,
            ..State::default()
        })
    }

    /// Forwards every request to the server at `upstream` and records the exchanges
    /// ([`MockServer::recorded`]).
    ///
    /// # Errors
    /// If no loopback port can be bound.
    pub async fn record(upstream: &str) -> io::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(io::Error::other)?;
        Self::start(State {
            upstream: Some((client, upstream.trim_end_matches('/').to_owned())),
            ..State::default()
        })
    }

    fn start(state: State) -> io::Result<Self> {
        let state = Arc::new(Mutex::new(state));
        let shared = web::Data::from(state.clone());
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(shared.clone())
                .app_data(web::PayloadConfig::new(MAX_REQUEST_BYTES))
                .default_service(web::to(serve))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .bind(("127.0.0.1", 0))?;
        let address = server
            .addrs()
            .first()
            .copied()
            .ok_or_else(|| io::Error::other("the mock server bound no address"))?;
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            url: format!("http://{address}"),
            state,
            handle,
        })
    }

    /// The mock's base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request received, in order.
    pub fn received(&self) -> Vec<RecordedRequest> {
        lock(&self.state).received.clone()
    }

    /// The requests that had no recorded answer.
    pub fn unmatched(&self) -> Vec<RecordedRequest> {
        lock(&self.state).unmatched.clone()
    }

    /// The exchanges recorded so far (recording mode).
    pub fn recorded(&self) -> Vec<Exchange> {
        lock(&self.state).recorded.clone()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        // The stop command is sent at once; waiting for the workers to finish is not needed.
        drop(self.handle.stop(false));
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The headers a recording forwards to the real server.
const FORWARDED_HEADERS: [&str; 3] = ["authorization", "content-type", "x-p2-sensitive-solution"];

/// Answers one request: forwarded and recorded, or replayed.
async fn serve(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<Mutex<State>>,
) -> HttpResponse {
    let recorded = RecordedRequest {
        method: request.method().as_str().to_owned(),
        path: request
            .uri()
            .path_and_query()
            .map_or_else(|| request.path().to_owned(), |p| p.as_str().to_owned()),
        body: (!body.is_empty()).then(|| String::from_utf8_lossy(&body).into_owned()),
    };
    let upstream = lock(&state).upstream.clone();
    let response = match upstream {
        Some((client, base)) => {
            let response = forward(&client, &base, &request, &recorded, body).await;
            let mut state = lock(&state);
            state.received.push(recorded.clone());
            state.recorded.push(Exchange {
                request: recorded,
                response: response.clone(),
            });
            response
        }
        None => {
            let mut state = lock(&state);
            state.received.push(recorded.clone());
            state.answer(&recorded).unwrap_or_else(|| {
                let detail = format!(
                    "the mock server has no recorded answer for {} {}",
                    recorded.method, recorded.path
                );
                state.unmatched.push(recorded);
                let problem = polyproto_types::api::error::Problem::new(
                    polyproto_types::api::error::ErrorCode::NotFound,
                    detail,
                );
                RecordedResponse {
                    status: 404,
                    content_type: Some(polyproto_types::api::PROBLEM_JSON.to_owned()),
                    body: serde_json::to_string(&problem).unwrap_or_default(),
                }
            })
        }
    };
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut builder = HttpResponse::build(status);
    builder.insert_header(("X-Request-Id", "mock"));
    if let Some(content_type) = response.content_type {
        builder.insert_header((actix_web::http::header::CONTENT_TYPE, content_type));
    }
    builder.body(response.body)
}

async fn forward(
    client: &reqwest::Client,
    base: &str,
    request: &HttpRequest,
    recorded: &RecordedRequest,
    body: web::Bytes,
) -> RecordedResponse {
    let method =
        reqwest::Method::from_bytes(recorded.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut upstream = client.request(method, format!("{base}{}", recorded.path));
    for name in FORWARDED_HEADERS {
        if let Some(value) = request.headers().get(name).and_then(|v| v.to_str().ok()) {
            upstream = upstream.header(name, value);
        }
    }
    match upstream.body(body.to_vec()).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response.text().await.unwrap_or_default();
            RecordedResponse {
                status,
                content_type,
                body,
            }
        }
        Err(e) => RecordedResponse {
            status: 502,
            content_type: Some("text/plain".to_owned()),
            body: format!("upstream: {e}"),
        },
    }
}
