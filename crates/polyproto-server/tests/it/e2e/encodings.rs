//! Request bodies are never decompressed (docs/wire-contract.md §6): any `Content-Encoding`
//! but `identity` is refused with 415 before the body is read, and changes nothing.

use polyproto_types::api::error::ErrorCode;
use reqwest::Method;
use serde_json::json;

use polyproto_test_support::on_both_backends;
use polyproto_test_support::{Auth, PASSWORD, TestServer};

on_both_backends! {
    server: [
        encoded_bodies_are_refused_unread,
    ],
}

const REGISTER: &str = "/.p2/core/v1/register";

async fn encoded_bodies_are_refused_unread(server: &TestServer) {
    let body = json!({"actor_name": "alice", "auth_payload": {"password": PASSWORD}}).to_string();
    for encoding in [
        "gzip",
        "br",
        "zstd",
        "deflate",
        "gzip, identity",
        "x-unknown",
    ] {
        let request = server
            .request(Method::POST, REGISTER)
            .header("Content-Type", "application/json")
            .header("Content-Encoding", encoding)
            .body(body.clone());
        server
            .send(request)
            .await
            .expect_problem(415, ErrorCode::UnsupportedMediaType);
    }
    // Nothing was registered: the name is still free, and `identity` is no encoding at all.
    let request = server
        .request(Method::POST, REGISTER)
        .header("Content-Type", "application/json")
        .header("Content-Encoding", "identity")
        .body(body);
    server.send(request).await.expect(201);
    let again = json!({"actor_name": "alice", "auth_payload": {"password": PASSWORD}});
    server
        .json(Method::POST, REGISTER, &again, Auth::None)
        .await
        .expect_problem(409, ErrorCode::FederationIdTaken);
}
