//! Handlers for ID-Certs: issuance and rotation, the server key, and lookups by federation ID
//! and point in time (docs/wire-contract.md §1.1 S1, S4–S6; §1.2). The lookups' answers,
//! cache and freshness are the lookup service's ([`crate::services::lookups`]).

use std::time::Instant;

use actix_web::web;
use ed25519_dalek::pkcs8::EncodePublicKey as _;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use polyproto_types::IdCert;
use polyproto_types::api::{
    TimestampQuery, create_id_cert, get_actor_id_certs, rotate_session_id_cert,
};

use super::auth::{Admin, MayCertify, Sensitive};
use super::extract::{Body, CsrBody, parse_csr};
use super::reply::Reply;
use crate::error::{Error, Result};
use crate::services::Services;

/// `POST /.p2/core/v1/idcert`: CSR PEM as text, or `{"csr": …}`.
pub(crate) async fn create_id_cert(
    services: web::Data<Services>,
    caller: MayCertify,
    csr: CsrBody,
) -> Result<Reply> {
    let cert = services
        .sessions
        .certify(&caller.caller, caller.solution, &csr.0)
        .await?;
    Reply::json(&create_id_cert::Response::new(cert.to_pem()))
}

/// Seed S1, `POST /.p2/core/v1/session/idcert`: `{"csr"}` → `{"id_cert", "token"}`.
pub(crate) async fn rotate_session_id_cert(
    services: web::Data<Services>,
    caller: Sensitive,
    body: Body,
) -> Result<Reply> {
    let request: rotate_session_id_cert::Request = body.json()?;
    let csr = parse_csr(&request.csr)?;
    let rotated = services
        .sessions
        .rotate(&caller.caller, caller.solution, &csr)
        .await?;
    Reply::json(&rotate_session_id_cert::Response {
        id_cert: rotated.cert.to_pem(),
        token: rotated.token,
    })
}

/// Checks the administrator's second factor, and rotates the server key.
async fn rotate_server_key(services: &Services, caller: Admin) -> Result<IdCert> {
    let actor = &caller.caller.actor;
    services
        .accounts
        .check_sensitive(actor.id, caller.solution)
        .await?;
    services.authority.rotate_server_key().await
}

/// `POST /.p2/core/v1/key/server`: the new server ID-Cert as raw PEM text.
pub(crate) async fn rotate_server_key_pem(
    services: web::Data<Services>,
    caller: Admin,
) -> Result<Reply> {
    let cert = rotate_server_key(&services, caller).await?;
    Ok(Reply::Pem(cert.to_pem()))
}

/// Seed S4, `PUT /p2core/key/server`: the new public key, SPKI PEM, as a JSON string.
pub(crate) async fn rotate_server_key_seed(
    services: web::Data<Services>,
    caller: Admin,
) -> Result<Reply> {
    let cert = rotate_server_key(&services, caller).await?;
    let pem = cert
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| Error::internal("public key PEM", e))?;
    Reply::json(&pem)
}

/// The `timestamp` of S5/S6: from the query string, or from a JSON body as the seeds show it.
fn timestamp(query: &TimestampQuery, body: &Body) -> Result<Option<u64>> {
    if query.timestamp.is_some() || body.is_blank() {
        return Ok(query.timestamp);
    }
    Ok(body.json::<TimestampQuery>()?.timestamp)
}

/// `GET /.p2/core/v1/idcert/server[?timestamp=]`: the cacheable server ID-Cert, JCS.
pub(crate) async fn get_server_id_cert(
    services: web::Data<Services>,
    query: web::Query<TimestampQuery>,
    body: Body,
) -> Result<Reply> {
    let arrived = Instant::now();
    let at = timestamp(&query, &body)?;
    let answer = services.lookups.server_cert(at, arrived).await?;
    Ok(Reply::Json(answer))
}

/// Seed S5, `GET /p2core/key/server`: base64 DER of the server ID-Cert, as a JSON string.
pub(crate) async fn get_server_id_cert_seed(
    services: web::Data<Services>,
    query: web::Query<TimestampQuery>,
    body: Body,
) -> Result<Reply> {
    let arrived = Instant::now();
    let at = timestamp(&query, &body)?;
    let answer = services.lookups.server_cert_seed(at, arrived).await?;
    Ok(Reply::Json(answer))
}

/// `GET /.p2/core/v1/idcert/actor/{fid}`: the actor's cacheable ID-Certs, JCS.
pub(crate) async fn get_actor_id_certs(
    services: web::Data<Services>,
    fid: web::Path<String>,
    query: web::Query<get_actor_id_certs::Query>,
) -> Result<Reply> {
    let arrived = Instant::now();
    let answer = services.lookups.actor_certs(&fid, &query, arrived).await?;
    Ok(Reply::Json(answer))
}

/// Seed S6, `GET /p2core/key/user/{user_id}[?timestamp=]`: base64 DER strings.
pub(crate) async fn get_actor_id_certs_seed(
    services: web::Data<Services>,
    user_id: web::Path<String>,
    query: web::Query<TimestampQuery>,
    body: Body,
) -> Result<Reply> {
    let arrived = Instant::now();
    let at = timestamp(&query, &body)?;
    let answer = services
        .lookups
        .actor_certs_seed(&user_id, at, arrived)
        .await?;
    Ok(Reply::Json(answer))
}
