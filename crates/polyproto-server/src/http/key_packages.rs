//! Handlers for MLS KeyPackages (docs/wire-contract.md §1.1 S2, S3, S8; §1.2; §5).

use actix_web::{HttpResponse, web};
use polyproto_types::api::claim_key_packages;
use polyproto_types::api::error::ErrorCode;

use super::extract::{Authenticated, Body};
use super::local_actor;
use crate::error::{Error, Result};
use crate::services::Services;

async fn upload(services: &Services, caller: &Authenticated, body: &Body) -> Result<()> {
    let actor = local_actor(services, &caller.0).await?;
    let items: Vec<serde_json::Value> = body.json()?;
    services
        .key_packages
        .upload(&caller.0, &actor, items)
        .await
        .map(drop)
}

/// Seed S2, `POST /.p2/core/v1/keypackage/@me`: 201, no body.
pub(crate) async fn add_key_packages_seed(
    services: web::Data<Services>,
    caller: Authenticated,
    body: Body,
) -> Result<HttpResponse> {
    upload(&services, &caller, &body).await?;
    Ok(HttpResponse::Created().finish())
}

/// `POST /.p2/mls/v1/keypackages`: 200, no body.
pub(crate) async fn add_key_packages(
    services: web::Data<Services>,
    caller: Authenticated,
    body: Body,
) -> Result<HttpResponse> {
    upload(&services, &caller, &body).await?;
    Ok(HttpResponse::Ok().finish())
}

/// Seed S3, `PUT /.p2/core/v1/keypackage_lr`: one KeyPackage; 204.
pub(crate) async fn replace_last_resort(
    services: web::Data<Services>,
    caller: Authenticated,
    body: Body,
) -> Result<HttpResponse> {
    let actor = local_actor(&services, &caller.0).await?;
    let item: serde_json::Value = body.json()?;
    services
        .key_packages
        .replace_last_resort(&caller.0, &actor, item)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /.p2/mls/v1/keypackages/{fid}[?ciphersuites=]` and seed S8
/// `GET /p2core/keypackage/{user_id}`: one KeyPackage per live session of the actor.
pub(crate) async fn claim(
    services: web::Data<Services>,
    caller: Authenticated,
    user: web::Path<String>,
    query: web::Query<claim_key_packages::Query>,
) -> Result<HttpResponse> {
    if caller.0.is_pending() {
        return Err(Error::new(
            ErrorCode::SessionPending,
            "this session has no ID-Cert yet",
        ));
    }
    let actor = services.accounts.resolve(&user).await?;
    let claimed = services
        .key_packages
        .claim(&actor, query.ciphersuites.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(claimed))
}
