//! Fixtures built with polyproto-types alone: a home server with its key and self-signed
//! ID-Cert, and actor ID-CSRs and ID-Certs issued by it.

use ed25519_dalek::SigningKey;
use polyproto_types::certs::{Serial, Validity};
use polyproto_types::names::ActorDn;
use polyproto_types::time::now_unix;
use polyproto_types::{DomainName, FederationId, IdCert, IdCsr, SessionId};

/// The home server's domain.
pub(crate) const DOMAIN: &str = "example.com";
/// The actor's federation ID.
pub(crate) const ACTOR_FID: &str = "alice@example.com";
/// The actor's session ID.
pub(crate) const SESSION_ID: &str = "session1";
/// The serial of the home server's certificate.
pub(crate) const HOME_SERVER_SERIAL: u64 = 0x0123_4567;
/// The serial of issued actor certificates (high bit of its first byte set, so that its DER
/// needs a leading zero byte).
pub(crate) const ACTOR_SERIAL: u64 = 0xff01;

/// A deterministic Ed25519 key whose seed is `seed` repeated.
pub(crate) fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// The actor's session pDN.
pub(crate) fn actor_dn() -> ActorDn {
    ActorDn::new(
        FederationId::new(ACTOR_FID).expect("federation ID"),
        SessionId::new(SESSION_ID).expect("session ID"),
    )
}

/// A verified ID-CSR of the actor's session, signed with `key`.
pub(crate) fn actor_csr(key: &SigningKey) -> IdCsr {
    IdCsr::new(key, &actor_dn()).expect("ID-CSR")
}

/// A home server of [`DOMAIN`]: its identity key and self-signed ID-Cert, valid from a day
/// ago for a year.
#[derive(Debug, Clone)]
pub(crate) struct HomeServer {
    /// The identity key.
    pub(crate) key: SigningKey,
    /// The self-signed home-server ID-Cert.
    pub(crate) cert: IdCert,
}

impl HomeServer {
    /// A home server whose key has the seed `seed`.
    pub(crate) fn new(seed: u8) -> Self {
        let key = key(seed);
        let now = now_unix();
        let validity = Validity::new(now - 86_400, now + 365 * 86_400).expect("validity");
        let cert = IdCert::issue_home_server(
            &key,
            &domain(),
            &Serial::from_u64(HOME_SERVER_SERIAL).expect("serial"),
            validity,
        )
        .expect("home-server ID-Cert");
        Self { key, cert }
    }

    /// Issues an actor ID-Cert for `csr`, valid from an hour ago for 30 days.
    pub(crate) fn issue(&self, csr: &IdCsr) -> IdCert {
        let now = now_unix();
        let validity = Validity::new(now - 3600, now + 30 * 86_400).expect("validity");
        IdCert::issue_actor(
            csr,
            &self.key,
            &domain(),
            &Serial::from_u64(ACTOR_SERIAL).expect("serial"),
            validity,
        )
        .expect("actor ID-Cert")
    }
}

/// [`DOMAIN`] as a domain name.
pub(crate) fn domain() -> DomainName {
    DomainName::new(DOMAIN).expect("domain name")
}
