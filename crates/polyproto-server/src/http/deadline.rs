//! The whole-request deadline (`limits.request_timeout_secs`): reading the body and answering
//! must end in time. actix-web's own timeout covers only the request head, so a client that
//! sent a head and then trickled its body one byte at a time held its connection for as long
//! as it liked. Past the deadline the request is answered 408 `P2CORE_REQUEST_TIMEOUT` and the
//! connection closed; work in flight is dropped (an open transaction rolls back).

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use polyproto_types::api::error::ErrorCode;

use crate::error::Error;
use crate::services::Services;

/// Runs the request under the configured deadline.
///
/// # Errors
/// `RequestTimeout` past the deadline (its answer closes the connection), or what the
/// service answers.
pub(crate) async fn deadline(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secs = req
        .app_data::<web::Data<Services>>()
        .map_or(30, |services| services.config.limits.request_timeout_secs);
    match tokio::time::timeout(Duration::from_secs(secs), next.call(req)).await {
        Ok(answer) => answer,
        Err(_) => Err(Error::new(
            ErrorCode::RequestTimeout,
            format!("the request was not complete within {secs} s"),
        )
        .closing_the_connection()
        .into()),
    }
}
