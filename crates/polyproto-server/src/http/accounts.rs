//! Handlers for accounts and sessions (docs/wire-contract.md §1.3, `DELETE /session` of §1.2).

use actix_web::web;
use polyproto_types::api::{create_session, delete_session, register};

use super::auth::{AnySession, Sensitive};
use super::extract::{Body, parse_csr};
use super::reply::Reply;
use crate::error::{Error, Result};
use crate::services::Services;

/// `POST /.p2/core/v1/register`.
pub(crate) async fn register(services: web::Data<Services>, body: Body) -> Result<Reply> {
    let request: register::Request = body.json()?;
    let actor = services
        .accounts
        .register(&request.actor_name, request.auth_payload.password)
        .await?;
    let id = u64::try_from(actor.id).map_err(|e| Error::internal("actor id", e))?;
    Reply::json(&register::Response { fid: actor.fid, id })
}

/// `POST /.p2/core/v1/session/trust`.
pub(crate) async fn create_session(services: web::Data<Services>, body: Body) -> Result<Reply> {
    let request: create_session::Request = body.json()?;
    // Parse the CSR before the expensive password check: bad input costs the caller, not us.
    let csr = request.csr.as_deref().map(parse_csr).transpose()?;
    let actor = services
        .accounts
        .check_credentials(&request.actor_name, request.auth_payload.password)
        .await?;
    let (token, cert) = services.sessions.open(&actor, csr.as_ref()).await?;
    let pem = cert.map(|c| c.to_pem());
    Reply::json(&create_session::Response {
        token,
        id_cert: pem.clone(),
        id_cert_camel: pem,
    })
}

/// `PUT /.p2/core/v1/session/revoke`: a session with a certificate, local or foreign, ends
/// itself (a pending session's only call is its first certificate).
pub(crate) async fn revoke_session(
    services: web::Data<Services>,
    caller: AnySession,
) -> Result<Reply> {
    services.sessions.end(&caller.0.into()).await?;
    Ok(Reply::Empty)
}

/// `DELETE /.p2/core/v1/session?sessionId=`.
pub(crate) async fn delete_session(
    services: web::Data<Services>,
    caller: Sensitive,
    query: web::Query<delete_session::Query>,
) -> Result<Reply> {
    services
        .sessions
        .end_by_id(&caller.caller, caller.solution, &query.session_id)
        .await?;
    Ok(Reply::Empty)
}
