//! One module per table.

pub mod actor;
pub mod cert_version;
pub mod certificate;
pub mod challenge;
pub mod key_package;
pub mod server_key;
pub mod session;
