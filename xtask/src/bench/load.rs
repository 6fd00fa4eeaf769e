//! The load generator: N keep-alive HTTP/1.1 connections, each sending its next request as soon
//! as the previous answer is read, for a fixed time or until the requests run out. Requests
//! are prepared bytes, so the generator costs little more than the system calls.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Makes request number `i` (counted over all connections), or `None` when there are no more.
pub(crate) type Requests = Arc<dyn Fn(u64) -> Option<Vec<u8>> + Send + Sync>;

/// What to run.
pub(crate) struct Plan {
    /// The server.
    pub(crate) addr: SocketAddr,
    /// Concurrent connections.
    pub(crate) connections: usize,
    /// How long to run at most.
    pub(crate) duration: Duration,
    /// The requests.
    pub(crate) requests: Requests,
    /// The status a successful answer has.
    pub(crate) expect: u16,
}

/// What a run measured.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Answers with the expected status.
    pub(crate) ok: u64,
    /// Other answers and failed exchanges.
    pub(crate) errors: u64,
    /// The first error seen, for the report.
    pub(crate) first_error: Option<String>,
    /// Wall time of the run.
    pub(crate) elapsed: Duration,
    /// Every exchange's latency, sorted.
    latencies: Vec<Duration>,
}

impl Outcome {
    /// Successful requests per second.
    pub(crate) fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency below which `q` (0..=1) of the exchanges finished.
    pub(crate) fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        self.latencies[index.min(self.latencies.len() - 1)]
    }
}

/// Runs the plan on the current runtime.
pub(crate) async fn run(plan: &Plan) -> Outcome {
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + plan.duration;
    let tasks: Vec<_> = (0..plan.connections)
        .map(|_| {
            let counter = counter.clone();
            let requests = plan.requests.clone();
            let (addr, expect) = (plan.addr, plan.expect);
            tokio::spawn(async move { connection(addr, expect, requests, counter, deadline).await })
        })
        .collect();
    let mut outcome = Outcome::default();
    for task in tasks {
        let Ok(part) = task.await else {
            outcome.errors += 1;
            continue;
        };
        outcome.ok += part.ok;
        outcome.errors += part.errors;
        outcome.first_error = outcome.first_error.or(part.first_error);
        outcome.latencies.extend(part.latencies);
    }
    outcome.elapsed = start.elapsed();
    outcome.latencies.sort_unstable();
    outcome
}

/// One connection's loop.
async fn connection(
    addr: SocketAddr,
    expect: u16,
    requests: Requests,
    counter: Arc<AtomicU64>,
    deadline: Instant,
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut stream: Option<TcpStream> = None;
    let mut buf = Vec::with_capacity(16 * 1024);
    while Instant::now() < deadline {
        let Some(request) = requests(counter.fetch_add(1, Ordering::Relaxed)) else {
            break;
        };
        let started = Instant::now();
        let result = match stream.as_mut() {
            Some(s) => exchange(s, &request, &mut buf).await,
            None => match connect(addr).await {
                Ok(s) => exchange(stream.insert(s), &request, &mut buf).await,
                Err(e) => Err(e),
            },
        };
        outcome.latencies.push(started.elapsed());
        match result {
            Ok((status, close)) => {
                if status == expect {
                    outcome.ok += 1;
                } else {
                    outcome.errors += 1;
                    outcome.first_error.get_or_insert_with(|| {
                        format!("status {status}: {}", String::from_utf8_lossy(&buf))
                    });
                }
                if close {
                    stream = None;
                }
            }
            Err(e) => {
                outcome.errors += 1;
                outcome.first_error.get_or_insert_with(|| e.to_string());
                stream = None;
            }
        }
    }
    outcome
}

async fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Sends one request and reads its answer into `buf` (headers and body); returns the status
/// and whether the server closes the connection.
async fn exchange(
    stream: &mut TcpStream,
    request: &[u8],
    buf: &mut Vec<u8>,
) -> std::io::Result<(u16, bool)> {
    stream.write_all(request).await?;
    buf.clear();
    loop {
        if stream.read_buf(buf).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        let mut headers = [httparse::EMPTY_HEADER; 24];
        let mut response = httparse::Response::new(&mut headers);
        let parsed = response
            .parse(buf)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let httparse::Status::Complete(head) = parsed else {
            continue;
        };
        let status = response.code.unwrap_or(0);
        let mut length = None;
        let mut close = false;
        for header in response.headers.iter() {
            if header.name.eq_ignore_ascii_case("content-length") {
                length = std::str::from_utf8(header.value)
                    .ok()
                    .and_then(|v| v.trim().parse::<usize>().ok());
            } else if header.name.eq_ignore_ascii_case("connection") {
                close = header.value.eq_ignore_ascii_case(b"close");
            }
        }
        let length = length.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "no Content-Length")
        })?;
        while buf.len() < head + length {
            if stream.read_buf(buf).await? == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the answer was cut short",
                ));
            }
        }
        buf.drain(..head);
        return Ok((status, close));
    }
}

/// One request on a fresh connection: the status and the body. For setting up and checking.
pub(crate) async fn fetch(addr: SocketAddr, request: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = connect(addr).await?;
    let mut buf = Vec::new();
    let (status, _) = exchange(&mut stream, request, &mut buf).await?;
    Ok((status, buf))
}

/// `GET path`.
pub(crate) fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").into_bytes()
}

/// `GET path` with a bearer token.
pub(crate) fn get_with_token(path: &str, token: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n")
        .into_bytes()
}

/// `POST path` with a bearer token and a body.
pub(crate) fn post(path: &str, token: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
