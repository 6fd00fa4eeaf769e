//! A reverse proxy in front of a home server, for federation tests: counts the requests that
//! reach it and can answer garbage, errors, slowly, or with a tampered cache signature.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// What the proxy does with requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward them unchanged.
    Pass,
    /// Answer 200 with a body that is not JSON.
    Garbage,
    /// Answer with this status and no body.
    Status(u16),
    /// Wait this long, then forward.
    Delay(Duration),
    /// Forward, then flip one character of every actor certificate's `cacheSignature`.
    TamperCacheSignature,
}

struct State {
    target: String,
    mode: Mutex<Mode>,
    hits: Mutex<BTreeMap<String, usize>>,
    http: reqwest::Client,
}

/// A running proxy.
pub struct Proxy {
    /// Where the proxy listens.
    pub url: String,
    state: Arc<State>,
    handle: ServerHandle,
}

impl Proxy {
    /// A proxy forwarding to `target` (a base URL).
    pub fn start(target: &str) -> Self {
        let state = Arc::new(State {
            target: target.to_owned(),
            mode: Mutex::new(Mode::Pass),
            hits: Mutex::new(BTreeMap::new()),
            http: reqwest::Client::new(),
        });
        let data = web::Data::from(state.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(forward))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { url, state, handle }
    }

    /// Changes what the proxy does.
    pub fn set_mode(&self, mode: Mode) {
        *self.state.mode.lock().expect("mode") = mode;
    }

    /// How many requests reached a path starting with `prefix`.
    pub fn hits(&self, prefix: &str) -> usize {
        self.state
            .hits
            .lock()
            .expect("hits")
            .iter()
            .filter(|(path, _)| path.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }

    /// Stops the proxy.
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

async fn forward(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    *state
        .hits
        .lock()
        .expect("hits")
        .entry(req.path().to_owned())
        .or_default() += 1;
    let mode = *state.mode.lock().expect("mode");
    match mode {
        Mode::Garbage => return HttpResponse::Ok().body("this is not what you asked for"),
        Mode::Status(status) => {
            return HttpResponse::build(
                actix_web::http::StatusCode::from_u16(status).expect("status"),
            )
            .finish();
        }
        Mode::Delay(delay) => tokio::time::sleep(delay).await,
        Mode::Pass | Mode::TamperCacheSignature => {}
    }
    let url = format!(
        "{}{}",
        state.target,
        req.uri().path_and_query().map_or("", |p| p.as_str())
    );
    let Ok(response) = state.http.get(url).send().await else {
        return HttpResponse::BadGateway().finish();
    };
    let status = actix_web::http::StatusCode::from_u16(response.status().as_u16()).expect("status");
    let mut body = response.text().await.unwrap_or_default();
    if mode == Mode::TamperCacheSignature && req.path().contains("/idcert/actor/") {
        let mut value: serde_json::Value = serde_json::from_str(&body).expect("json");
        for entry in value.as_array_mut().into_iter().flatten() {
            let signature = entry["cacheSignature"]
                .as_str()
                .expect("signature")
                .to_owned();
            let flipped = if signature.starts_with('0') { "1" } else { "0" };
            entry["cacheSignature"] = format!("{flipped}{}", &signature[1..]).into();
        }
        body = polyproto_types::wire::to_jcs(&value).expect("jcs");
    }
    HttpResponse::build(status)
        .content_type("application/json")
        .body(body)
}
