//! What a handler answers: a body in one of the route's wire forms. The status is the route's
//! `success` status, which the router sets ([`super::routes`]), so no handler writes it.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use serde::Serialize;

use crate::error::{Error, Result};

/// A successful answer's body.
pub(crate) enum Reply {
    /// No body.
    Empty,
    /// `application/json`, already serialized (a cached answer, or JCS sent byte for byte).
    Json(Bytes),
    /// `application/x-pem-file` text.
    Pem(String),
}

impl Reply {
    /// A value as JSON.
    pub(crate) fn json(value: &impl Serialize) -> Result<Self> {
        serde_json::to_vec(value)
            .map(|body| Self::Json(body.into()))
            .map_err(|e| Error::internal("serialize answer", e))
    }

    /// The response with `status`.
    pub(crate) fn into_response(self, status: StatusCode) -> HttpResponse {
        let mut response = HttpResponse::build(status);
        match self {
            Self::Empty => response.finish(),
            Self::Json(body) => response.content_type("application/json").body(body),
            Self::Pem(text) => response.content_type("application/x-pem-file").body(text),
        }
    }
}
