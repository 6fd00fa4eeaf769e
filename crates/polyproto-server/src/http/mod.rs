//! The HTTP layer: thin handlers that extract, call a service and answer. Every path comes
//! from `polyproto_types::api` (ARCHITECTURE rule 2).

mod accounts;
mod certs;
mod extract;
mod federation;
mod key_packages;
pub(crate) mod lookup_cache;
mod meta;
pub(crate) mod observe;

use std::collections::BTreeMap;

use actix_web::{Resource, web};
use polyproto_types::api::{self, Method, Route};

use crate::error::{Error, Result};
use crate::services::Services;
use crate::services::accounts::Actor;
use crate::services::sessions::Caller;

pub(crate) use extract::{path_config, query_config};
pub(crate) use meta::not_found;

/// Mounts every route. Routes sharing a path (S4 and S5, for instance) share one resource,
/// which answers other methods with a problem+json 405.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    let mut resources: BTreeMap<&'static str, Resource> = BTreeMap::new();
    let mut mount = |route: Route, to: actix_web::Route| {
        let resource = resources
            .remove(route.path)
            .unwrap_or_else(|| web::resource(route.path));
        resources.insert(route.path, resource.route(to));
    };
    let m = |route: &Route| match route.method {
        Method::Get => web::get(),
        Method::Post => web::post(),
        Method::Put => web::put(),
        Method::Delete => web::delete(),
    };
    mount(
        api::register::ROUTE,
        m(&api::register::ROUTE).to(accounts::register),
    );
    mount(
        api::create_session::ROUTE,
        m(&api::create_session::ROUTE).to(accounts::create_session),
    );
    mount(
        api::revoke_session::ROUTE,
        m(&api::revoke_session::ROUTE).to(accounts::revoke_session),
    );
    mount(
        api::delete_session::ROUTE,
        m(&api::delete_session::ROUTE).to(accounts::delete_session),
    );
    mount(
        api::create_id_cert::ROUTE,
        m(&api::create_id_cert::ROUTE).to(certs::create_id_cert),
    );
    mount(
        api::rotate_session_id_cert::SEED,
        m(&api::rotate_session_id_cert::SEED).to(certs::rotate_session_id_cert),
    );
    mount(
        api::rotate_server_key::ROUTE,
        m(&api::rotate_server_key::ROUTE).to(certs::rotate_server_key_pem),
    );
    mount(
        api::rotate_server_key::SEED,
        m(&api::rotate_server_key::SEED).to(certs::rotate_server_key_seed),
    );
    mount(
        api::get_server_id_cert::ROUTE,
        m(&api::get_server_id_cert::ROUTE).to(certs::get_server_id_cert),
    );
    mount(
        api::get_server_id_cert::SEED,
        m(&api::get_server_id_cert::SEED).to(certs::get_server_id_cert_seed),
    );
    mount(
        api::get_actor_id_certs::ROUTE,
        m(&api::get_actor_id_certs::ROUTE).to(certs::get_actor_id_certs),
    );
    mount(
        api::get_actor_id_certs::SEED,
        m(&api::get_actor_id_certs::SEED).to(certs::get_actor_id_certs_seed),
    );
    mount(
        api::get_challenge::ROUTE,
        m(&api::get_challenge::ROUTE).to(federation::get_challenge),
    );
    mount(
        api::get_challenge::ALIAS,
        m(&api::get_challenge::ALIAS).to(federation::get_challenge),
    );
    mount(
        api::identify::ROUTE,
        m(&api::identify::ROUTE).to(federation::identify),
    );
    mount(
        api::identify::ALIAS,
        m(&api::identify::ALIAS).to(federation::identify),
    );
    let extern_cert = api::update_foreign_id_cert::ROUTE;
    mount(
        extern_cert,
        m(&extern_cert).to(federation::update_foreign_id_cert),
    );
    let extern_seed = api::update_foreign_id_cert::SEED;
    mount(
        extern_seed,
        m(&extern_seed).to(federation::update_foreign_id_cert),
    );
    mount(
        api::add_key_packages::ROUTE,
        m(&api::add_key_packages::ROUTE).to(key_packages::add_key_packages),
    );
    mount(
        api::add_key_packages::SEED,
        m(&api::add_key_packages::SEED).to(key_packages::add_key_packages_seed),
    );
    let last_resort = api::replace_last_resort_key_package::SEED;
    mount(
        last_resort,
        m(&last_resort).to(key_packages::replace_last_resort),
    );
    mount(
        api::claim_key_packages::ROUTE,
        m(&api::claim_key_packages::ROUTE).to(key_packages::claim),
    );
    mount(
        api::claim_key_packages::SEED,
        m(&api::claim_key_packages::SEED).to(key_packages::claim),
    );
    mount(
        api::well_known::ROUTE,
        m(&api::well_known::ROUTE).to(meta::well_known),
    );
    mount(api::health::ROUTE, m(&api::health::ROUTE).to(meta::health));
    for (_, resource) in resources {
        cfg.service(resource.default_service(web::to(meta::method_not_allowed)));
    }
}

/// The local actor behind a caller with a certificate.
async fn local_actor(services: &Services, caller: &Caller) -> Result<Actor> {
    let id = caller.local_actor()?;
    services.accounts.by_id(id).await?.ok_or_else(|| {
        Error::new(
            polyproto_types::api::error::ErrorCode::Unauthorized,
            "the actor no longer exists",
        )
    })
}
