//! Request bodies are never decompressed: a request with a `Content-Encoding` other than
//! `identity` is refused with 415 before its body is read (docs/wire-contract.md §6). A body
//! compressed a thousandfold would otherwise be inflated before the size limit could refuse
//! it; actix-web's decompression features are off (the workspace's `Cargo.toml`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_ENCODING;
use actix_web::middleware::Next;
use polyproto_types::api::error::ErrorCode;

use crate::error::Error;

/// Refuses encoded request bodies; passes every other request on.
///
/// # Errors
/// `UnsupportedMediaType` for a `Content-Encoding`, or what the service answers.
pub(crate) async fn refuse_encoded_bodies(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let encoded = req.headers().get_all(CONTENT_ENCODING).any(|value| {
        !value
            .to_str()
            .is_ok_and(|v| v.trim().eq_ignore_ascii_case("identity"))
    });
    if encoded {
        return Err(Error::new(
            ErrorCode::UnsupportedMediaType,
            "request bodies are never decompressed: send the body without Content-Encoding",
        )
        .into());
    }
    next.call(req).await
}
