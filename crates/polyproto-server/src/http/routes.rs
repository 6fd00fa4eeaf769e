//! The route table: every [`Route`] of `polyproto_types::api` with its handler. The router
//! takes method, path and success status from the `Route`; [`AuthOf`] records which kind of
//! caller the handler's extractors accept, and a test holds that against `route.auth` and
//! [`ALL_ROUTES`](polyproto_types::api::ALL_ROUTES).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{FromRequest, Handler, Resource, web};
use polyproto_types::api::{self, Auth, Method, Route};

use super::auth::AuthOf;
use super::reply::Reply;
use super::{accounts, certs, federation, key_packages, meta};
use crate::error::Result;

/// One table entry: the route, the caller its handler accepts, and the handler.
pub(crate) struct Mounted {
    /// The route.
    pub(crate) route: Route,
    /// What the handler's extractors accept.
    pub(crate) auth: Auth,
    to: actix_web::Route,
}

/// `handler` at `route`, answering the route's success status.
fn mount<F, Args>(route: Route, handler: F) -> Mounted
where
    F: Handler<Args, Output = Result<Reply>>,
    Args: FromRequest + AuthOf + 'static,
{
    let status = StatusCode::from_u16(route.success).unwrap_or(StatusCode::OK);
    let method = match route.method {
        Method::Get => web::get(),
        Method::Post => web::post(),
        Method::Put => web::put(),
        Method::Delete => web::delete(),
    };
    let to = method.to(move |args: Args| {
        let answer = handler.call(args);
        async move { answer.await.map(|reply| reply.into_response(status)) }
    });
    Mounted {
        route,
        auth: Args::AUTH.unwrap_or(Auth::None),
        to,
    }
}

/// Every route with its handler.
pub(crate) fn table() -> Vec<Mounted> {
    use api::{
        add_key_packages as add, claim_key_packages as claim, create_id_cert, create_session,
        delete_session, get_actor_id_certs as actor_certs, get_challenge, get_server_id_cert,
        health, identify, register, replace_last_resort_key_package as last_resort, revoke_session,
        rotate_server_key, rotate_session_id_cert, update_foreign_id_cert, well_known,
    };
    vec![
        mount(register::ROUTE, accounts::register),
        mount(create_session::ROUTE, accounts::create_session),
        mount(revoke_session::ROUTE, accounts::revoke_session),
        mount(delete_session::ROUTE, accounts::delete_session),
        mount(create_id_cert::ROUTE, certs::create_id_cert),
        mount(rotate_session_id_cert::SEED, certs::rotate_session_id_cert),
        mount(rotate_server_key::ROUTE, certs::rotate_server_key_pem),
        mount(rotate_server_key::SEED, certs::rotate_server_key_seed),
        mount(get_server_id_cert::ROUTE, certs::get_server_id_cert),
        mount(get_server_id_cert::SEED, certs::get_server_id_cert_seed),
        mount(actor_certs::ROUTE, certs::get_actor_id_certs),
        mount(actor_certs::SEED, certs::get_actor_id_certs_seed),
        mount(get_challenge::ROUTE, federation::get_challenge),
        mount(get_challenge::ALIAS, federation::get_challenge),
        mount(identify::ROUTE, federation::identify),
        mount(identify::ALIAS, federation::identify),
        mount(
            update_foreign_id_cert::ROUTE,
            federation::update_foreign_id_cert,
        ),
        mount(
            update_foreign_id_cert::SEED,
            federation::update_foreign_id_cert,
        ),
        mount(add::ROUTE, key_packages::add_key_packages),
        mount(add::SEED, key_packages::add_key_packages),
        mount(last_resort::SEED, key_packages::replace_last_resort),
        mount(claim::ROUTE, key_packages::claim),
        mount(claim::SEED, key_packages::claim),
        mount(well_known::ROUTE, meta::well_known),
        mount(health::ROUTE, meta::health),
    ]
}

/// Mounts the table. Routes sharing a path (S4 and S5, for instance) share one resource,
/// which answers other methods with a problem+json 405.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    let mut resources: BTreeMap<&'static str, Resource> = BTreeMap::new();
    for mounted in table() {
        debug_assert_eq!(
            mounted.auth, mounted.route.auth,
            "{}: the handler's extractors accept another kind of caller than the route declares",
            mounted.route.name
        );
        let path = mounted.route.path;
        let resource = resources
            .remove(path)
            .unwrap_or_else(|| web::resource(path));
        resources.insert(path, resource.route(mounted.to));
    }
    for (_, resource) in resources {
        cfg.service(resource.default_service(web::to(meta::method_not_allowed)));
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use polyproto_types::api::ALL_ROUTES;

    use super::table;

    #[test]
    fn every_route_is_mounted_once_with_the_callers_it_declares() {
        let table = table();
        assert_eq!(table.len(), ALL_ROUTES.len(), "one entry per route");
        for route in ALL_ROUTES {
            let mounted: Vec<_> = table.iter().filter(|m| m.route == *route).collect();
            assert_eq!(mounted.len(), 1, "{} is mounted once", route.name);
            assert_eq!(
                mounted[0].auth, route.auth,
                "{}: the handler's extractors accept what the route declares",
                route.name
            );
            assert!(
                StatusCode::from_u16(route.success).is_ok(),
                "{}: success status {}",
                route.name,
                route.success
            );
        }
    }
}
