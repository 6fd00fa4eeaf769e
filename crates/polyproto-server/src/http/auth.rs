//! The caller, resolved once at the edge: one extractor per kind of [`Auth`] a route declares
//! (docs/wire-contract.md §1, §3). Each reads `Authorization: Bearer <token>`, asks the
//! sessions service whose it is, and narrows it to the kind the route serves, so a handler only
//! ever holds a session its services accept. [`AuthOf`] says which [`Auth`] an extractor, or a
//! handler's tuple of extractors, stands for; the router checks it against the route table.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use polyproto_types::api::Auth;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::api::headers::SENSITIVE_SOLUTION;

use crate::error::{Error, Result};
use crate::services::Services;
use crate::services::callers::{Caller, Certified, Certifying, ForeignSession, LocalSession};

/// Which [`Auth`] an extractor stands for; `None` for extractors that authenticate nothing.
pub(crate) trait AuthOf {
    /// The kind, if this extractor authenticates.
    const AUTH: Option<Auth>;
}

/// The first kind that is set.
const fn either(a: Option<Auth>, b: Option<Auth>) -> Option<Auth> {
    match a {
        Some(_) => a,
        None => b,
    }
}

macro_rules! no_auth {
    ($($ty:ty),* $(,)?) => {
        $(impl AuthOf for $ty {
            const AUTH: Option<Auth> = None;
        })*
    };
}

no_auth!(super::extract::Body, super::extract::CsrBody);

impl<T: ?Sized> AuthOf for web::Data<T> {
    const AUTH: Option<Auth> = None;
}

impl<T> AuthOf for web::Path<T> {
    const AUTH: Option<Auth> = None;
}

impl<T> AuthOf for web::Query<T> {
    const AUTH: Option<Auth> = None;
}

macro_rules! tuple_auth {
    ($($name:ident),+) => {
        impl<$($name: AuthOf),+> AuthOf for ($($name,)+) {
            const AUTH: Option<Auth> = {
                let auth = None;
                $(let auth = either(auth, $name::AUTH);)+
                auth
            };
        }
    };
}

tuple_auth!(A);
tuple_auth!(A, B);
tuple_auth!(A, B, C);
tuple_auth!(A, B, C, D);

/// A local session with an ID-Cert ([`Auth::Bearer`]).
pub(crate) struct Local(pub(crate) LocalSession);

/// A local session, pending or with an ID-Cert, with the sensitive-action header if sent
/// ([`Auth::BearerOrPending`]): the sessions service decides whether it needs it.
pub(crate) struct MayCertify {
    /// The session.
    pub(crate) caller: Certifying,
    /// `X-P2-Sensitive-Solution`.
    pub(crate) solution: Option<String>,
}

/// A local session with an ID-Cert and the sensitive-action header if sent
/// ([`Auth::BearerSensitive`]); the services check it after the request has been parsed.
pub(crate) struct Sensitive {
    /// The session.
    pub(crate) caller: LocalSession,
    /// `X-P2-Sensitive-Solution`.
    pub(crate) solution: Option<String>,
}

/// A server administrator's local session with the sensitive-action header if sent
/// ([`Auth::AdminSensitive`]).
pub(crate) struct Admin {
    /// The session.
    pub(crate) caller: LocalSession,
    /// `X-P2-Sensitive-Solution`.
    pub(crate) solution: Option<String>,
}

/// A foreign session ([`Auth::Foreign`]).
pub(crate) struct Foreign(pub(crate) ForeignSession);

/// A session with a certificate, local or foreign ([`Auth::AnySession`]).
pub(crate) struct AnySession(pub(crate) Certified);

/// Implements [`FromRequest`] and [`AuthOf`] for an extractor that narrows the caller with
/// `$narrow(caller, request)`.
macro_rules! caller_extractor {
    ($ty:ty, $auth:expr, $narrow:expr) => {
        impl AuthOf for $ty {
            const AUTH: Option<Auth> = Some($auth);
        }

        impl FromRequest for $ty {
            type Error = Error;
            type Future = Pin<Box<dyn Future<Output = Result<Self>>>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let caller = authenticate(req);
                let solution = sensitive_solution(req);
                Box::pin(async move { $narrow(caller.await?, solution) })
            }
        }
    };
}

caller_extractor!(Local, Auth::Bearer, |caller: Caller, _| caller
    .local()
    .map(Local));
caller_extractor!(
    MayCertify,
    Auth::BearerOrPending,
    |caller: Caller, solution| Ok(MayCertify {
        caller: caller.certifying()?,
        solution,
    })
);
caller_extractor!(
    Sensitive,
    Auth::BearerSensitive,
    |caller: Caller, solution| Ok(Sensitive {
        caller: caller.local()?,
        solution,
    })
);
caller_extractor!(Admin, Auth::AdminSensitive, |caller: Caller, solution| {
    let caller = caller.local()?;
    if !caller.actor.is_admin {
        return Err(Error::new(
            ErrorCode::AdminRequired,
            "only server administrators may rotate the server key",
        ));
    }
    Ok(Admin { caller, solution })
});
caller_extractor!(Foreign, Auth::Foreign, |caller: Caller, _| caller
    .foreign()
    .map(Foreign));
caller_extractor!(AnySession, Auth::AnySession, |caller: Caller, _| caller
    .certified()
    .map(AnySession));

/// The session behind `Authorization: Bearer <token>` (docs/wire-contract.md §3.1).
fn authenticate(req: &HttpRequest) -> impl Future<Output = Result<Caller>> + use<> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned());
    let services = req.app_data::<web::Data<Services>>().cloned();
    async move {
        let token = token.filter(|t| !t.is_empty()).ok_or_else(|| {
            Error::new(
                ErrorCode::Unauthorized,
                "this route needs an Authorization: Bearer <token> header",
            )
        })?;
        let services = services.ok_or_else(|| Error::internal("extractor", "services missing"))?;
        services.sessions.authenticate(&token).await
    }
}

/// The `X-P2-Sensitive-Solution` header, if present (docs/wire-contract.md §3.2).
fn sensitive_solution(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(SENSITIVE_SOLUTION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
