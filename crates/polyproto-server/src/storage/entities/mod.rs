//! One module per table.

pub mod actor;
pub mod certificate;
pub mod server_key;
pub mod session;
