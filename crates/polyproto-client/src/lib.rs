//! A typed polyproto client, and the library behind the `polyproto` command-line tool.
//!
//! - [`Client`]: one async method per route of the wire contract (docs/wire-contract.md §1), seed aliases
//!   included, each built from the route constants of [`polyproto_types::api`]. Every ID-Cert
//!   an answer carries is checked before it is handed out ([`verify`]): issuer signature
//!   against the home server's certificate, validity, profile, and the cache signature of
//!   cacheable certificates (polyproto core §6.1, §6.4.1). What fails is refused with
//!   [`ClientError::Verify`].
//! - [`Session`]: a signed-in session of an actor: its Ed25519 key, ID-Cert and token, with
//!   login, key rotation, logout, KeyPackages and the foreign sign-in of core §4.1.1.
//! - [`store`]: profiles on disk, one directory per profile, readable by the user only.
//! - [`mls`]: MLS KeyPackages built with openmls for the session key; the private keys are
//!   kept in the profile so that the actor can later join groups.
//!
//! ```no_run
//! # async fn example() -> Result<(), polyproto_client::ClientError> {
//! use polyproto_client::{Client, Session};
//! use polyproto_types::LocalName;
//!
//! let client = Client::new("http://127.0.0.1:8080")?;
//! let alice = LocalName::new("alice").expect("a valid name");
//! client.register(&alice, "correct horse battery staple").await?;
//! let session = Session::login(&client, &alice, "correct horse battery staple", None).await?;
//! println!("{} is signed in as session {}", session.fid(), session.session_id());
//! # Ok(()) }
//! ```

mod client;
mod credentials;
mod error;
pub mod mls;
mod private_file;
mod session;
pub mod store;
pub mod verify;

pub use client::{ActorCertQuery, Client, ClientBuilder, DEFAULT_TIMEOUT};
pub use credentials::{ForeignSession, Token};
pub use error::{ApiError, ClientError};
pub use session::{ROTATE_BEFORE_SECS, Session};
pub use verify::{Clock, VerifiedIdCert, VerifyError};
