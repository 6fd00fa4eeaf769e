//! A client may not hold a connection by trickling its request (`limits.header_timeout_secs`,
//! `limits.request_timeout_secs`; docs/wire-contract.md §6): the head and the whole request
//! each have a deadline, and the server keeps answering others meanwhile.

use std::time::{Duration, Instant};

use polyproto_test_support::{Backend, TestServer, on_both_backends};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

on_both_backends! {
    backend: [
        trickling_clients_are_cut_off,
    ],
}

/// Sends `head`, then one byte of `trickle` every 200 ms, and reads until the server closes
/// the connection (at most 10 s): what it answered, and when it closed.
async fn trickle(server: &TestServer, head: &str, trickle: &str) -> (String, Duration) {
    let addr = server.url.trim_start_matches("http://").to_owned();
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let started = Instant::now();
    writer.write_all(head.as_bytes()).await.unwrap();
    let trickle = trickle.as_bytes().to_vec();
    let writing = tokio::spawn(async move {
        for byte in trickle {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer.write_all(&[byte]).await.is_err() {
                break;
            }
        }
        // Keep the connection open from this side: only the server may close it.
        tokio::time::sleep(Duration::from_secs(10)).await;
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut answer)).await;
    writing.abort();
    assert!(read.is_ok(), "the server kept the connection open for 10 s");
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

async fn trickling_clients_are_cut_off(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |c| {
        c.limits.header_timeout_secs = 1;
        c.limits.request_timeout_secs = 2;
    })
    .await
    else {
        return;
    };
    // A body trickled after a complete head: 408 at the deadline, then the connection closes.
    let head = "POST /.p2/core/v1/register HTTP/1.1\r\nHost: localhost\r\n\
                Content-Type: application/json\r\nContent-Length: 200\r\n\r\n";
    let (answer, took) = trickle(&server, head, &"x".repeat(200)).await;
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "a trickled body is answered 408: {answer:?}"
    );
    assert!(answer.contains("P2CORE_REQUEST_TIMEOUT"), "{answer:?}");
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
    // A trickled head: the connection closes at the head deadline.
    let (_, took) = trickle(&server, "GET /healthz HTTP/1.1\r\n", "Host: localhost\r\n").await;
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
    // Meanwhile and afterwards the server answers everyone else.
    assert_eq!(server.get("/healthz").await.status, 200);
    server.stop().await;
}
