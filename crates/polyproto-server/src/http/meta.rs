//! Discovery, health and the answers for unknown routes and methods.

use actix_web::{HttpRequest, HttpResponse, web};

use super::reply::Reply;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::api::{health, well_known};

use crate::error::{Error, Result};
use crate::services::Services;

/// `GET /.well-known/polyproto-core` (polyproto core §3.1).
pub(crate) async fn well_known(services: web::Data<Services>) -> Result<Reply> {
    Reply::json(&well_known::Response::for_base_url(
        &services.config.public_url(),
    ))
}

/// `GET /healthz`: 200 when the database answers, else 503.
pub(crate) async fn health(services: web::Data<Services>) -> Result<Reply> {
    if !services.healthy().await {
        return Err(Error::new(
            ErrorCode::StorageUnavailable,
            "the database does not answer",
        )
        .with_retry_after(1));
    }
    Reply::json(&health::Response {
        status: "ok".to_owned(),
        domain: services.config.domain.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// Any path without a route.
pub(crate) async fn not_found(req: HttpRequest) -> Result<HttpResponse> {
    Err(Error::new(
        ErrorCode::NotFound,
        format!("no route for {} {}", req.method(), req.path()),
    ))
}

/// A known path with a method it does not serve.
pub(crate) async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse> {
    Err(Error::new(
        ErrorCode::MethodNotAllowed,
        format!("{} does not accept {}", req.path(), req.method()),
    ))
}
