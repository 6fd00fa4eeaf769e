//! Handlers for ID-Certs: issuance and rotation, the server key, and lookups by federation ID
//! and point in time (docs/wire-contract.md §1.1 S1, S4–S6; §1.2).

use std::time::Instant;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::pkcs8::EncodePublicKey as _;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::api::{
    TimestampQuery, create_id_cert, get_actor_id_certs, rotate_session_id_cert,
};
use polyproto_types::time::now_unix;
use polyproto_types::{CacheableIdCert, FederationId, IdCert};

use super::accounts::parse_csr;
use super::extract::{Authenticated, Body, sensitive_solution};
use super::local_actor;
use super::lookup_cache::{Answer, Lookup, LookupCache};
use crate::error::{Error, Result};
use crate::services::Services;
use crate::services::authority::{CertRecord, When};

/// `POST /.p2/core/v1/idcert`: CSR PEM as text, or `{"csr": …}`.
pub(crate) async fn create_id_cert(
    services: web::Data<Services>,
    caller: Authenticated,
    body: Body,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let caller = caller.0;
    let text = body.text()?.trim();
    let csr_text = if text.starts_with('{') {
        body.json::<create_id_cert::JsonRequest>()?.csr
    } else {
        text.to_owned()
    };
    let csr = parse_csr(&csr_text)?;
    let actor_id = caller.actor_id.ok_or_else(|| {
        Error::new(
            ErrorCode::LocalSessionRequired,
            "this route is for actors of this server",
        )
    })?;
    let actor = services
        .accounts
        .by_id(actor_id)
        .await?
        .ok_or_else(|| Error::new(ErrorCode::Unauthorized, "the actor no longer exists"))?;
    // The session's first certificate needs no second factor (the reference SDK's flow).
    if !caller.is_pending() {
        services
            .accounts
            .check_sensitive(actor.id, sensitive_solution(&req))
            .await?;
    }
    let cert = services.sessions.certify(&caller, &actor, &csr).await?;
    Ok(HttpResponse::Created().json(create_id_cert::Response::new(cert.to_pem())))
}

/// Seed S1, `POST /.p2/core/v1/session/idcert`: `{"csr"}` → `{"id_cert", "token"}`.
pub(crate) async fn rotate_session_id_cert(
    services: web::Data<Services>,
    caller: Authenticated,
    body: Body,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let caller = caller.0;
    let request: rotate_session_id_cert::Request = body.json()?;
    let csr = parse_csr(&request.csr)?;
    let actor = local_actor(&services, &caller).await?;
    if services
        .config
        .accounts
        .rotation_requires_sensitive_solution
    {
        services
            .accounts
            .check_sensitive(actor.id, sensitive_solution(&req))
            .await?;
    }
    let certified = services.sessions.rotate(&caller, &actor, &csr).await?;
    Ok(
        HttpResponse::Created().json(rotate_session_id_cert::Response {
            id_cert: certified.cert.to_pem(),
            token: certified.token,
        }),
    )
}

/// Checks the caller may rotate the server key, and rotates it.
async fn rotate_server_key(
    services: &Services,
    caller: &Authenticated,
    req: &HttpRequest,
) -> Result<IdCert> {
    let actor = local_actor(services, &caller.0).await?;
    if !actor.is_admin {
        return Err(Error::new(
            ErrorCode::AdminRequired,
            "only server administrators may rotate the server key",
        ));
    }
    services
        .accounts
        .check_sensitive(actor.id, sensitive_solution(req))
        .await?;
    services.authority.rotate_server_key().await
}

/// `POST /.p2/core/v1/key/server`: the new server ID-Cert as raw PEM text.
pub(crate) async fn rotate_server_key_pem(
    services: web::Data<Services>,
    caller: Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let cert = rotate_server_key(&services, &caller, &req).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/x-pem-file")
        .body(cert.to_pem()))
}

/// Seed S4, `PUT /p2core/key/server`: the new public key, SPKI PEM, as a JSON string.
pub(crate) async fn rotate_server_key_seed(
    services: web::Data<Services>,
    caller: Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let cert = rotate_server_key(&services, &caller, &req).await?;
    let pem = cert
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| Error::internal("public key PEM", e))?;
    Ok(HttpResponse::Ok().json(pem))
}

/// The `timestamp` of S5/S6: from the query string, or from a JSON body as the seeds show it.
fn timestamp(query: &TimestampQuery, body: &Body) -> Result<Option<u64>> {
    if query.timestamp.is_some() || body.is_blank() {
        return Ok(query.timestamp);
    }
    Ok(body.json::<TimestampQuery>()?.timestamp)
}

/// Until when an answer signed now may be served from the lookup cache: half its cache window,
/// and never past the second after the first listed certificate expires (for answers about
/// the present, which that expiry changes).
fn fresh_until(services: &Services, now: u64, expiring: &[&CertRecord]) -> u64 {
    let half_window = now + services.config.certs.cache_window_secs / 2;
    expiring
        .iter()
        .map(|record| record.validity.not_after.saturating_add(1))
        .fold(half_window, u64::min)
}

/// `GET /.p2/core/v1/idcert/server[?timestamp=]`: the cacheable server ID-Cert, JCS. Without a
/// timestamp, served from the lookup cache.
pub(crate) async fn get_server_id_cert(
    services: web::Data<Services>,
    cache: web::Data<LookupCache>,
    query: web::Query<TimestampQuery>,
    body: Body,
) -> Result<HttpResponse> {
    let arrived = Instant::now();
    let at = timestamp(&query, &body)?;
    let compute = || async {
        let now = now_unix();
        let record = services.authority.server_cert(at).await?;
        let cacheable = services.authority.cacheable(&record).await?;
        Ok(Answer {
            body: cacheable.to_jcs().into(),
            fresh_until: fresh_until(&services, now, &[]),
        })
    };
    let body = match at {
        Some(_) => compute().await?.body,
        None => {
            cache
                .get_or_compute(&services, Lookup::Server, arrived, compute)
                .await?
        }
    };
    Ok(jcs(body))
}

/// Seed S5, `GET /p2core/key/server`: base64 DER of the server ID-Cert, as a JSON string.
/// Without a timestamp, served from the lookup cache.
pub(crate) async fn get_server_id_cert_seed(
    services: web::Data<Services>,
    cache: web::Data<LookupCache>,
    query: web::Query<TimestampQuery>,
    body: Body,
) -> Result<HttpResponse> {
    let arrived = Instant::now();
    let at = timestamp(&query, &body)?;
    let compute = || async {
        let now = now_unix();
        let record = services.authority.server_cert(at).await?;
        Ok(Answer {
            body: json_bytes(&STANDARD.encode(&record.der))?,
            fresh_until: fresh_until(&services, now, &[]),
        })
    };
    let body = match at {
        Some(_) => compute().await?.body,
        None => {
            cache
                .get_or_compute(&services, Lookup::ServerSeed, arrived, compute)
                .await?
        }
    };
    Ok(json_body(body))
}

/// A federation ID of another home server, if `user` is one.
fn foreign_fid(services: &Services, user: &str) -> Option<FederationId> {
    FederationId::new(user)
        .ok()
        .filter(|fid| fid.domain() != &services.config.domain_name())
}

/// `GET /.p2/core/v1/idcert/actor/{fid}`: the actor's cacheable ID-Certs, JCS, served from the
/// lookup cache. For an actor of another home server, its home server's answer, verified and
/// passed on unchanged (polyproto core §6.4.1, "ID-Cert request"); the federation cache keeps
/// those.
pub(crate) async fn get_actor_id_certs(
    services: web::Data<Services>,
    cache: web::Data<LookupCache>,
    fid: web::Path<String>,
    query: web::Query<get_actor_id_certs::Query>,
) -> Result<HttpResponse> {
    let arrived = Instant::now();
    if let (Some(from), Some(to)) = (query.not_before, query.not_after)
        && from > to
    {
        return Err(Error::new(
            ErrorCode::MalformedRequest,
            "notBefore is after notAfter",
        ));
    }
    if let Some(foreign) = foreign_fid(&services, &fid) {
        let list = services
            .federation
            .actor_certs(&foreign, &query)
            .await
            .map_err(|r| r.for_lookup())?;
        return Ok(jcs(CacheableIdCert::list_to_jcs(&list).into()));
    }
    let lookup = Lookup::Actor {
        user: fid.clone(),
        not_before: query.not_before,
        not_after: query.not_after,
        session_id: query.session_id.as_ref().map(ToString::to_string),
    };
    let compute = || async {
        let now = now_unix();
        let actor = services.accounts.resolve(&fid).await?;
        let when = match (query.not_before, query.not_after) {
            (None, None) => When::At(now),
            (from, to) => When::Overlapping {
                from: from.unwrap_or(0),
                to: to.unwrap_or(u64::MAX >> 1),
            },
        };
        let records = services
            .authority
            .actor_certs(actor.id, when, query.session_id.as_ref())
            .await?;
        let mut list = Vec::with_capacity(records.len());
        for record in &records {
            list.push(services.authority.cacheable(record).await?);
        }
        let expiring: Vec<&CertRecord> = match when {
            When::At(_) => records.iter().collect(),
            When::Overlapping { .. } => Vec::new(),
        };
        Ok(Answer {
            body: CacheableIdCert::list_to_jcs(&list).into(),
            fresh_until: fresh_until(&services, now, &expiring),
        })
    };
    let body = cache
        .get_or_compute(&services, lookup, arrived, compute)
        .await?;
    Ok(jcs(body))
}

/// Seed S6, `GET /p2core/key/user/{user_id}[?timestamp=]`: base64 DER strings. For an actor of
/// another home server, the certificates its home server vouches for at that time. Local
/// actors without a timestamp are served from the lookup cache.
pub(crate) async fn get_actor_id_certs_seed(
    services: web::Data<Services>,
    cache: web::Data<LookupCache>,
    user_id: web::Path<String>,
    query: web::Query<TimestampQuery>,
    body: Body,
) -> Result<HttpResponse> {
    let arrived = Instant::now();
    let at = timestamp(&query, &body)?;
    if let Some(foreign) = foreign_fid(&services, &user_id) {
        let filter = get_actor_id_certs::Query {
            not_before: at,
            not_after: at,
            session_id: None,
        };
        let list = services
            .federation
            .actor_certs(&foreign, &filter)
            .await
            .map_err(|r| r.for_lookup())?;
        let at = at.unwrap_or_else(now_unix);
        let mut ders = Vec::with_capacity(list.len());
        for entry in list {
            let cert = IdCert::from_pem(&entry.id_cert_pem)
                .map_err(|e| Error::internal("verified certificate", e))?;
            if cert.validity().contains(at) && entry.invalidated_at.is_none_or(|inv| at < inv) {
                ders.push(STANDARD.encode(cert.as_der()));
            }
        }
        return Ok(HttpResponse::Ok().json(ders));
    }
    let compute = || async {
        let now = now_unix();
        let actor = services.accounts.resolve(&user_id).await?;
        let records = services
            .authority
            .actor_certs(actor.id, When::At(at.unwrap_or(now)), None)
            .await?;
        let list: Vec<String> = records.iter().map(|r| STANDARD.encode(&r.der)).collect();
        let expiring: Vec<&CertRecord> = records.iter().collect();
        Ok(Answer {
            body: json_bytes(&list)?,
            fresh_until: fresh_until(&services, now, &expiring),
        })
    };
    let body = match at {
        Some(_) => compute().await?.body,
        None => {
            let lookup = Lookup::ActorSeed {
                user: user_id.clone(),
            };
            cache
                .get_or_compute(&services, lookup, arrived, compute)
                .await?
        }
    };
    Ok(json_body(body))
}

/// A value serialized as JSON the way `HttpResponse::json` would.
fn json_bytes(value: &impl serde::Serialize) -> Result<Bytes> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| Error::internal("serialize answer", e))
}

/// A JSON answer already serialized.
fn json_body(body: Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}

/// A JSON answer already serialized in canonical form (RFC 8785): sent byte for byte.
fn jcs(body: Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}
