//! Handlers for accounts and sessions (docs/wire-contract.md §1.3, `DELETE /session` of §1.2).

use actix_web::{HttpRequest, HttpResponse, web};
use polyproto_types::IdCsr;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::api::{create_session, delete_session, register};

use super::extract::{Authenticated, Body, sensitive_solution};
use super::local_actor;
use crate::error::{Error, Result};
use crate::services::Services;

/// `POST /.p2/core/v1/register`.
pub(crate) async fn register(services: web::Data<Services>, body: Body) -> Result<HttpResponse> {
    let request: register::Request = body.json()?;
    let actor = services
        .accounts
        .register(&request.actor_name, request.auth_payload.password)
        .await?;
    let id = u64::try_from(actor.id).map_err(|e| Error::internal("actor id", e))?;
    Ok(HttpResponse::Created().json(register::Response { fid: actor.fid, id }))
}

/// `POST /.p2/core/v1/session/trust`.
pub(crate) async fn create_session(
    services: web::Data<Services>,
    body: Body,
) -> Result<HttpResponse> {
    let request: create_session::Request = body.json()?;
    // Parse the CSR before the expensive password check: bad input costs the caller, not us.
    let csr = request.csr.as_deref().map(parse_csr).transpose()?;
    let actor = services
        .accounts
        .check_credentials(&request.actor_name, request.auth_payload.password)
        .await?;
    let (token, cert) = services.sessions.open(&actor, csr.as_ref()).await?;
    let pem = cert.map(|c| c.to_pem());
    Ok(HttpResponse::Created().json(create_session::Response {
        token,
        id_cert: pem.clone(),
        id_cert_camel: pem,
    }))
}

/// `PUT /.p2/core/v1/session/revoke`.
pub(crate) async fn revoke_session(
    services: web::Data<Services>,
    caller: Authenticated,
) -> Result<HttpResponse> {
    services.sessions.end(&caller.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /.p2/core/v1/session?sessionId=`.
pub(crate) async fn delete_session(
    services: web::Data<Services>,
    caller: Authenticated,
    query: web::Query<delete_session::Query>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let actor = local_actor(&services, &caller.0).await?;
    services
        .accounts
        .check_sensitive(actor.id, sensitive_solution(&req))
        .await?;
    services
        .sessions
        .end_by_id(&actor, &query.session_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Parses a CSR from PEM or base64 DER.
pub(crate) fn parse_csr(text: &str) -> Result<IdCsr> {
    use polyproto_types::certs::CertError;
    IdCsr::from_pem_or_base64(text).map_err(|e| match e {
        CertError::RequestsCa | CertError::RequestsKeyCertSign => {
            Error::new(ErrorCode::CapabilityNotAllowed, e.to_string())
        }
        other => Error::new(ErrorCode::InvalidCsr, other.to_string()),
    })
}
