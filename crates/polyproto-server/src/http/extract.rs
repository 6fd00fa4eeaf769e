//! Request extractors that answer every failure with our problem+json errors: bodies of any
//! `Content-Type` (the reference client sends none), the bearer token, the sensitive-action
//! header, and lenient query strings.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use polyproto_types::api::error::ErrorCode;
use polyproto_types::api::headers::SENSITIVE_SOLUTION;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::services::Services;
use crate::services::sessions::Caller;

/// A request body, read whatever its `Content-Type`, within the configured size limit.
pub(crate) struct Body(pub(crate) web::Bytes);

impl Body {
    /// The body as JSON.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.0).map_err(|e| {
            Error::new(
                ErrorCode::MalformedRequest,
                format!("the body is not the expected JSON: {e}"),
            )
        })
    }

    /// The body as UTF-8 text.
    pub(crate) fn text(&self) -> Result<&str> {
        std::str::from_utf8(&self.0)
            .map_err(|_| Error::new(ErrorCode::MalformedRequest, "the body is not UTF-8 text"))
    }

    /// A body that is a JSON string or raw text: the certificate bodies of S7 and
    /// `PUT /session/idcert/extern` (docs/wire-contract.md §1).
    pub(crate) fn string_or_text(&self) -> Result<String> {
        let text = self.text()?.trim();
        if text.starts_with('"') {
            self.json::<String>()
        } else {
            Ok(text.to_owned())
        }
    }

    /// Whether the body is empty or white space.
    pub(crate) fn is_blank(&self) -> bool {
        self.0.iter().all(u8::is_ascii_whitespace)
    }
}

impl FromRequest for Body {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            bytes
                .await
                .map(Body)
                .map_err(|e| match e.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => Error::new(
                        ErrorCode::PayloadTooLarge,
                        "the body is larger than this server accepts",
                    ),
                    _ => Error::new(
                        ErrorCode::MalformedRequest,
                        format!("cannot read the body: {e}"),
                    ),
                })
        })
    }
}

/// The session behind `Authorization: Bearer <token>` (docs/wire-contract.md §1).
pub(crate) struct Authenticated(pub(crate) Caller);

impl FromRequest for Authenticated {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_owned());
        let services = req.app_data::<web::Data<Services>>().cloned();
        Box::pin(async move {
            let token = token.filter(|t| !t.is_empty()).ok_or_else(|| {
                Error::new(
                    ErrorCode::Unauthorized,
                    "this route needs an Authorization: Bearer <token> header",
                )
            })?;
            let services =
                services.ok_or_else(|| Error::internal("extractor", "services missing"))?;
            services
                .sessions
                .authenticate(&token)
                .await
                .map(Authenticated)
        })
    }
}

/// The `X-P2-Sensitive-Solution` header, if present (docs/wire-contract.md §3.2).
pub(crate) fn sensitive_solution(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(SENSITIVE_SOLUTION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Query-string parsing errors as 400 problem+json.
pub(crate) fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        Error::new(
            ErrorCode::MalformedRequest,
            format!("bad query string: {err}"),
        )
        .into()
    })
}

/// Path-parameter errors as 400 problem+json.
pub(crate) fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _| {
        Error::new(
            ErrorCode::MalformedRequest,
            format!("bad path parameter: {err}"),
        )
        .into()
    })
}
