//! Handlers for foreign actors: challenges, sign-in and certificate replacement (polyproto core
//! §4.1.1, §4.3; docs/wire-contract.md §1.1 S7, §1.2, §1.3, §3.3).

use actix_web::web;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::api::{TokenResponse, create_session, identify};

use super::auth::Foreign;
use super::extract::{Body, parse_cert};
use super::reply::Reply;
use crate::error::{Error, Result};
use crate::services::Services;
use crate::services::sessions::Sessions;

/// `GET /.p2/core/v1/challenge` and `GET /.p2/core/v1/session/auth`.
pub(crate) async fn get_challenge(services: web::Data<Services>) -> Result<Reply> {
    Reply::json(&services.challenges.issue().await?)
}

/// `POST /.p2/core/v1/session/identify` and `POST /.p2/core/v1/session/auth`: a foreign actor
/// proves possession of its certificate's key with a signed challenge; the certificate is
/// verified with its home server; the answer is a token for a foreign session.
pub(crate) async fn identify(services: web::Data<Services>, body: Body) -> Result<Reply> {
    let request: identify::Request = body.json()?;
    let cert = parse_cert(&request.id_cert)?;
    let actor = cert
        .actor()
        .ok_or_else(|| Error::new(ErrorCode::InvalidIdCert, "not an actor certificate"))?;
    if actor.fid().domain() == &services.config.domain_name() {
        let local = create_session::ROUTE;
        let why = format!(
            "actors of this server sign in with {} {}",
            local.method.as_str(),
            local.path
        );
        return Err(Error::new(ErrorCode::ForeignSessionRequired, why));
    }
    let challenge = &request.completed_challenge;
    challenge
        .verify(cert.public_key())
        .map_err(|e| Error::new(ErrorCode::InvalidChallenge, e.to_string()))?;
    services.challenges.consume(&challenge.challenge).await?;
    let verified = services.federation.verify_presented(&cert).await;
    verified.map_err(|r| r.for_presenter())?;
    let token = services.sessions.open_foreign(&cert).await?;
    Reply::json(&TokenResponse { token })
}

/// Seed S7 `POST /p2core/session/idcert/extern` and `PUT /.p2/core/v1/session/idcert/extern`:
/// the foreign session's new certificate, verified with its home server like at sign-in.
pub(crate) async fn update_foreign_id_cert(
    services: web::Data<Services>,
    caller: Foreign,
    body: Body,
) -> Result<Reply> {
    let cert = parse_cert(&body.string_or_text()?)?;
    Sessions::check_foreign_cert(&caller.0, &cert)?;
    let verified = services.federation.verify_presented(&cert).await;
    verified.map_err(|r| r.for_presenter())?;
    services
        .sessions
        .replace_foreign_cert(&caller.0, &cert)
        .await?;
    Ok(Reply::Empty)
}
