//! The outermost middleware: a request ID on every response, one log line per request, and
//! panics in handlers answered as problem+json 500s instead of dropped connections.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use futures_util::FutureExt as _;
use polyproto_types::api::error::ErrorCode;

use crate::error::Error;

/// Adds `X-Request-Id` (the client's, if it sent a short one, else a new one), logs method,
/// route pattern, status, latency and request ID, and turns a handler panic into a 500.
pub(crate) async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(new_request_id, str::to_owned);
    let method = req.method().clone();
    let path = req.path().to_owned();
    let header_value =
        HeaderValue::from_str(&request_id).unwrap_or(HeaderValue::from_static("invalid"));
    let name = HeaderName::from_static("x-request-id");
    let outcome = AssertUnwindSafe(async move { next.call(req).await })
        .catch_unwind()
        .await;
    let result = outcome.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(request_id = %request_id, %method, %path, panic = %message, "handler panicked");
        Err(Error::new(ErrorCode::Internal, "the server failed to answer this request; it is logged").into())
    });
    let latency_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    match result {
        Ok(mut res) => {
            let route = res
                .request()
                .match_pattern()
                .unwrap_or_else(|| "<unmatched>".to_owned());
            let status = res.status().as_u16();
            tracing::info!(request_id = %request_id, %method, %route, status, latency_us, "request");
            res.headers_mut().insert(name, header_value);
            Ok(res)
        }
        Err(err) => {
            // The request was consumed by the failed handler: answer through the error.
            let mut response = err.error_response();
            let status = response.status().as_u16();
            tracing::info!(request_id = %request_id, %method, %path, status, latency_us, "request");
            response.headers_mut().insert(name, header_value);
            Err(InternalError::from_response(err, response).into())
        }
    }
}

fn new_request_id() -> String {
    let mut bytes = [0u8; 8];
    crate::services::random_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};

    use super::observe;

    async fn boom() -> HttpResponse {
        panic!("deliberate")
    }

    /// What actix sends for a request: the response, or the rendering of the error.
    macro_rules! answer {
        ($app:expr, $request:expr) => {
            match test::try_call_service($app, $request).await {
                Ok(response) => response.into_parts().1.map_into_boxed_body(),
                Err(error) => error.error_response(),
            }
        };
    }

    #[actix_web::test]
    async fn a_panicking_handler_answers_problem_json_500_and_the_worker_lives_on() {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(observe))
                .route("/boom", web::get().to(boom))
                .route(
                    "/fine",
                    web::get().to(|| async { HttpResponse::Ok().body("fine") }),
                ),
        )
        .await;
        for _ in 0..2 {
            let response = answer!(&app, test::TestRequest::get().uri("/boom").to_request());
            assert_eq!(response.status(), 500);
            assert!(response.headers().contains_key("x-request-id"));
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok());
            assert_eq!(content_type, Some("application/problem+json"));
            let body: serde_json::Value =
                serde_json::from_slice(&to_bytes(response.into_body()).await.unwrap()).unwrap();
            assert_eq!(body["error"], "P2CORE_INTERNAL");
            assert_eq!(body["status"], 500);
        }
        let request = test::TestRequest::get()
            .uri("/fine")
            .insert_header(("x-request-id", "abc-123"))
            .to_request();
        let response = answer!(&app, request);
        assert_eq!(response.status(), 200);
        assert_eq!(
            response
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok()),
            Some("abc-123")
        );
    }
}
