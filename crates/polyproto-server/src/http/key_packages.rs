//! Handlers for MLS KeyPackages (docs/wire-contract.md §1.1 S2, S3, S8; §1.2; §5).

use actix_web::web;
use polyproto_types::api::claim_key_packages;

use super::auth::{AnySession, Local};
use super::extract::Body;
use super::reply::Reply;
use crate::error::Result;
use crate::services::Services;

/// Seed S2 `POST /.p2/core/v1/keypackage/@me` and `POST /.p2/mls/v1/keypackages`: a list of
/// base64 KeyPackages; no body back.
pub(crate) async fn add_key_packages(
    services: web::Data<Services>,
    caller: Local,
    body: Body,
) -> Result<Reply> {
    let items: Vec<serde_json::Value> = body.json()?;
    services.key_packages.upload(&caller.0, items).await?;
    Ok(Reply::Empty)
}

/// Seed S3, `PUT /.p2/core/v1/keypackage_lr`: one KeyPackage.
pub(crate) async fn replace_last_resort(
    services: web::Data<Services>,
    caller: Local,
    body: Body,
) -> Result<Reply> {
    let item: serde_json::Value = body.json()?;
    services
        .key_packages
        .replace_last_resort(&caller.0, item)
        .await?;
    Ok(Reply::Empty)
}

/// `GET /.p2/mls/v1/keypackages/{fid}[?ciphersuites=]` and seed S8
/// `GET /p2core/keypackage/{user_id}`: one KeyPackage per live session of the actor, for any
/// session with a certificate.
pub(crate) async fn claim(
    services: web::Data<Services>,
    _caller: AnySession,
    user: web::Path<String>,
    query: web::Query<claim_key_packages::Query>,
) -> Result<Reply> {
    let actor = services.accounts.resolve(&user).await?;
    let claimed = services
        .key_packages
        .claim(&actor, query.ciphersuites.as_deref())
        .await?;
    Reply::json(&claimed)
}
