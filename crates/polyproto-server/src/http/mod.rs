//! The HTTP layer: thin handlers that extract, call a service and answer. Every path, method
//! and success status comes from `polyproto_types::api` (ARCHITECTURE rule 2), mounted by
//! [`routes`]; the caller is resolved by the extractors of [`auth`].

mod accounts;
mod auth;
mod certs;
pub(crate) mod deadline;
pub(crate) mod encoding;
mod extract;
mod federation;
mod key_packages;
mod meta;
pub(crate) mod observe;
mod reply;
mod routes;

pub(crate) use extract::{path_config, query_config};
pub(crate) use meta::not_found;
pub(crate) use routes::configure;
