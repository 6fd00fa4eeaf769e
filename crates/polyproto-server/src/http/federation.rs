//! Handlers for foreign actors: challenges, sign-in and certificate replacement (polyproto core
//! §4.1.1, §4.3; docs/wire-contract.md §1.1 S7, §1.2, §1.3, §3.3).

use actix_web::{HttpResponse, web};
use polyproto_types::IdCert;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::api::{TokenResponse, identify};

use super::extract::{Authenticated, Body};
use crate::error::{Error, Result};
use crate::services::Services;

/// `GET /.p2/core/v1/challenge` and `GET /.p2/core/v1/session/auth`.
pub(crate) async fn get_challenge(services: web::Data<Services>) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(services.challenges.issue().await?))
}

/// `POST /.p2/core/v1/session/identify` and `POST /.p2/core/v1/session/auth`: a foreign actor
/// proves possession of its certificate's key with a signed challenge; the certificate is
/// verified with its home server; the answer is a token for a foreign session.
pub(crate) async fn identify(services: web::Data<Services>, body: Body) -> Result<HttpResponse> {
    let request: identify::Request = body.json()?;
    let cert = parse_cert(&request.id_cert)?;
    let actor = cert
        .actor()
        .ok_or_else(|| Error::new(ErrorCode::InvalidIdCert, "not an actor certificate"))?;
    if actor.fid().domain() == &services.config.domain_name() {
        return Err(Error::new(
            ErrorCode::ForeignSessionRequired,
            "actors of this server sign in with POST /.p2/core/v1/session/trust",
        ));
    }
    request
        .completed_challenge
        .verify(cert.public_key())
        .map_err(|e| Error::new(ErrorCode::InvalidChallenge, e.to_string()))?;
    services
        .challenges
        .consume(&request.completed_challenge.challenge)
        .await?;
    services
        .federation
        .verify_presented(&cert)
        .await
        .map_err(|r| r.for_presenter())?;
    let token = services.sessions.open_foreign(&cert).await?;
    Ok(HttpResponse::Created().json(TokenResponse { token }))
}

/// Seed S7 `POST /p2core/session/idcert/extern` and `PUT /.p2/core/v1/session/idcert/extern`:
/// the foreign session's new certificate, verified with its home server like at sign-in.
pub(crate) async fn update_foreign_id_cert(
    services: web::Data<Services>,
    caller: Authenticated,
    body: Body,
) -> Result<HttpResponse> {
    let caller = caller.0;
    if !caller.foreign {
        return Err(Error::new(
            ErrorCode::ForeignSessionRequired,
            "this route is for sessions of other servers' actors",
        ));
    }
    let cert = parse_cert(&body.string_or_text()?)?;
    let same = cert.actor().is_some_and(|a| {
        a.fid() == &caller.fid && Some(a.session_id()) == caller.session_id.as_ref()
    });
    if !same {
        return Err(Error::new(
            ErrorCode::InvalidIdCert,
            "the certificate is for another actor or session than this session's",
        ));
    }
    services
        .federation
        .verify_presented(&cert)
        .await
        .map_err(|r| r.for_presenter())?;
    services
        .sessions
        .replace_foreign_cert(&caller, &cert)
        .await?;
    Ok(HttpResponse::Created().finish())
}

fn parse_cert(text: &str) -> Result<IdCert> {
    IdCert::from_pem_or_base64(text)
        .map_err(|e| Error::new(ErrorCode::InvalidIdCert, e.to_string()))
}
