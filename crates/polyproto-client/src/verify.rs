//! The checks a client makes on every ID-Cert it receives (polyproto core §6.1: "all entities
//! receiving an ID-Cert MUST inspect the certificate for correctness and validity"; §6.4.1
//! for cache information).
//!
//! - A home server's certificate: home-server profile, the expected domain, signed by its own
//!   key, valid at the moment asked about, and (cacheable form) its cache signature under its
//!   own key.
//! - An actor's certificate: actor profile, issued by its home server's domain and signed by
//!   that server's key (the key current when it was issued, also after a server key
//!   rotation), valid at the moment asked about and not invalidated before it, within its
//!   issuer's validity, and (cacheable form) its cache signature under the issuing key.
//!
//! Functions here are pure: they take the time as an argument. [`crate::Client`] fetches the
//! issuer certificates and calls them.

use polyproto_types::certs::{CertError, Profile, Validity};
use polyproto_types::{CacheableIdCert, DomainName, IdCert};
use thiserror::Error;

/// How far a certificate's `notBefore` may lie in the future of the client's clock and still
/// be accepted: client and server clocks are never exactly in step, and a certificate issued
/// this second would otherwise be refused by a client a second behind.
pub const CLOCK_SKEW_SECS: u64 = 300;

/// Where the client's idea of "now" comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// A fixed moment, UNIX seconds: for replaying recorded answers in tests.
    Fixed(u64),
}

impl Clock {
    /// The current time, UNIX seconds.
    pub fn now(self) -> u64 {
        match self {
            Self::System => polyproto_types::time::now_unix(),
            Self::Fixed(at) => at,
        }
    }
}

/// Why a received ID-Cert was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The certificate does not parse, or breaks the polyproto certificate profile.
    #[error("the certificate is malformed: {0}")]
    Malformed(CertError),
    /// The home server's own certificate is not usable.
    #[error("the home server certificate of {domain} is not valid: {reason}")]
    ServerCert {
        /// The home server's domain.
        domain: String,
        /// Why.
        reason: Box<VerifyError>,
    },
    /// The certificate's signature does not verify under its home server's key.
    #[error("the certificate's signature does not verify under its home server's key")]
    BadSignature,
    /// The cache signature does not verify under the key that issued the certificate.
    #[error("the cache signature does not verify under the home server's key")]
    BadCacheSignature,
    /// `cacheNotValidBefore` is after `cacheNotValidAfter`.
    #[error("the cache window is inverted (cacheNotValidBefore after cacheNotValidAfter)")]
    CacheWindow,
    /// The answer's cache window does not contain the present: a stale (or replayed) answer,
    /// which polyproto core §6.4 forbids using.
    #[error("the cache information is valid from {not_before} to {not_after}, not now ({now})")]
    StaleCache {
        /// `cacheNotValidBefore`.
        not_before: u64,
        /// `cacheNotValidAfter`.
        not_after: u64,
        /// The client's present.
        now: u64,
    },
    /// The certificate had expired at the moment asked about.
    #[error("the certificate expired at {not_after}, before {at}")]
    Expired {
        /// The certificate's notAfter.
        not_after: u64,
        /// The moment asked about.
        at: u64,
    },
    /// The certificate was not yet valid at the moment asked about.
    #[error("the certificate is valid only from {not_before}, after {at}")]
    NotYetValid {
        /// The certificate's notBefore.
        not_before: u64,
        /// The moment asked about.
        at: u64,
    },
    /// The home server invalidated the certificate before the moment asked about.
    #[error("the home server invalidated the certificate at {invalidated_at}")]
    Invalidated {
        /// When it was invalidated.
        invalidated_at: u64,
    },
    /// The certificate is of the other profile (actor / home server).
    #[error("expected a {expected} certificate")]
    WrongProfile {
        /// The profile expected.
        expected: &'static str,
    },
    /// The certificate's validity extends beyond its issuer's.
    #[error("the certificate's validity extends beyond its home server certificate's")]
    OutlivesIssuer,
    /// The certificate is issued by, or for, another domain than expected.
    #[error("the certificate belongs to {got}, expected {expected}")]
    WrongDomain {
        /// The domain expected.
        expected: String,
        /// The domain found.
        got: String,
    },
    /// The certificate names another actor than the one asked about.
    #[error("the certificate is for {got}, expected {expected}")]
    WrongActor {
        /// The federation ID expected.
        expected: String,
        /// The federation ID found.
        got: String,
    },
    /// The certificate is for another session than expected.
    #[error("the certificate is for session {got}, expected {expected}")]
    WrongSession {
        /// The session ID expected.
        expected: String,
        /// The session ID found.
        got: String,
    },
    /// The home server does not list the certificate as valid now: its session ended, was
    /// rotated elsewhere, or the certificate expired.
    #[error("the home server no longer lists this certificate as valid")]
    NotListed,
    /// The certificate certifies another key than the one this session sent in its CSR.
    #[error("the certificate certifies another public key than this session's")]
    WrongKey,
}

impl VerifyError {
    /// Maps the validation errors of [`IdCert`] to the client's, keeping the meaning.
    fn from_cert(error: CertError) -> Self {
        match error {
            CertError::BadSignature => Self::BadSignature,
            CertError::Expired { not_after, now } => Self::Expired { not_after, at: now },
            CertError::NotYetValid { not_before, now } => Self::NotYetValid {
                not_before,
                at: now,
            },
            CertError::WrongProfile { expected } => Self::WrongProfile { expected },
            CertError::OutlivesIssuer => Self::OutlivesIssuer,
            CertError::DomainMismatch { issuer, subject } => Self::WrongDomain {
                expected: subject,
                got: issuer,
            },
            other => Self::Malformed(other),
        }
    }
}

/// An ID-Cert that passed every check, with the cache information it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdCert {
    /// The certificate.
    pub cert: IdCert,
    /// The cacheable form it arrived in (modern routes), with its verified cache signature.
    pub cacheable: Option<CacheableIdCert>,
}

impl VerifiedIdCert {
    /// When the home server invalidated the certificate, if it did.
    pub fn invalidated_at(&self) -> Option<u64> {
        self.cacheable.as_ref().and_then(|c| c.invalidated_at)
    }
}

/// The moment in `[from, to]` at which a certificate with `validity`, invalidated at
/// `invalidated_at`, was valid (the earliest), allowing [`CLOCK_SKEW_SECS`] for a `notBefore`
/// just after `to`.
///
/// # Errors
/// [`VerifyError::Invalidated`], [`VerifyError::Expired`] or [`VerifyError::NotYetValid`].
pub fn valid_moment(
    validity: Validity,
    invalidated_at: Option<u64>,
    from: u64,
    to: u64,
) -> Result<u64, VerifyError> {
    if let Some(invalidated_at) = invalidated_at
        && invalidated_at <= from.max(validity.not_before)
    {
        return Err(VerifyError::Invalidated { invalidated_at });
    }
    if validity.not_after < from {
        return Err(VerifyError::Expired {
            not_after: validity.not_after,
            at: from,
        });
    }
    if validity.not_before > to.saturating_add(CLOCK_SKEW_SECS) {
        return Err(VerifyError::NotYetValid {
            not_before: validity.not_before,
            at: to,
        });
    }
    Ok(from.max(validity.not_before))
}

/// Verifies a home server's certificate, valid at some moment in `[from, to]`: home-server
/// profile, `expected_domain` if given, self-signed, valid then and not invalidated before.
///
/// # Errors
/// The [`VerifyError`] of the first check that fails.
pub fn home_server_cert(
    cert: &IdCert,
    invalidated_at: Option<u64>,
    expected_domain: Option<&DomainName>,
    from: u64,
    to: u64,
) -> Result<(), VerifyError> {
    if cert.profile() != Profile::HomeServer {
        return Err(VerifyError::WrongProfile {
            expected: "home-server",
        });
    }
    if let Some(expected) = expected_domain
        && cert.issuer_domain() != expected
    {
        return Err(VerifyError::WrongDomain {
            expected: expected.to_string(),
            got: cert.issuer_domain().to_string(),
        });
    }
    let at = valid_moment(cert.validity(), invalidated_at, from, to)?;
    cert.validate_home_server(at)
        .map_err(VerifyError::from_cert)
}

/// As [`home_server_cert`], for the cacheable form: also checks the cache signature under the
/// certificate's own key.
///
/// # Errors
/// The [`VerifyError`] of the first check that fails.
pub fn cacheable_home_server_cert(
    cacheable: &CacheableIdCert,
    expected_domain: Option<&DomainName>,
    from: u64,
    to: u64,
) -> Result<VerifiedIdCert, VerifyError> {
    let cert = IdCert::from_pem(&cacheable.id_cert_pem).map_err(VerifyError::Malformed)?;
    check_cache_signature(cacheable, &cert)?;
    home_server_cert(&cert, cacheable.invalidated_at, expected_domain, from, to)?;
    Ok(VerifiedIdCert {
        cert,
        cacheable: Some(cacheable.clone()),
    })
}

/// Verifies an actor's certificate issued by `issuer` (a home-server certificate already
/// verified with [`home_server_cert`]), valid at some moment in `[from, to]`: actor profile,
/// issuer's domain, issuer's signature, validity then, not invalidated before, and within the
/// issuer's validity.
///
/// # Errors
/// The [`VerifyError`] of the first check that fails.
pub fn actor_cert(
    cert: &IdCert,
    invalidated_at: Option<u64>,
    issuer: &IdCert,
    from: u64,
    to: u64,
) -> Result<(), VerifyError> {
    if cert.profile() != Profile::Actor {
        return Err(VerifyError::WrongProfile { expected: "actor" });
    }
    let at = valid_moment(cert.validity(), invalidated_at, from, to)?;
    cert.validate_actor(issuer, at)
        .map_err(VerifyError::from_cert)
}

/// As [`actor_cert`], for the cacheable form: also checks the cache signature under the
/// issuer's key (the key that issued the certificate).
///
/// # Errors
/// The [`VerifyError`] of the first check that fails.
pub fn cacheable_actor_cert(
    cacheable: &CacheableIdCert,
    issuer: &IdCert,
    from: u64,
    to: u64,
) -> Result<VerifiedIdCert, VerifyError> {
    let cert = IdCert::from_pem(&cacheable.id_cert_pem).map_err(VerifyError::Malformed)?;
    check_cache_signature(cacheable, issuer)?;
    actor_cert(&cert, cacheable.invalidated_at, issuer, from, to)?;
    Ok(VerifiedIdCert {
        cert,
        cacheable: Some(cacheable.clone()),
    })
}

/// Checks that the cache window of a freshly received answer contains `now`, allowing
/// [`CLOCK_SKEW_SECS`] either way for clocks out of step: an answer whose window is over is
/// stale, or an old answer replayed (polyproto core §6.4).
///
/// # Errors
/// [`VerifyError::StaleCache`].
pub fn cache_window(cacheable: &CacheableIdCert, now: u64) -> Result<(), VerifyError> {
    let (not_before, not_after) = (
        cacheable.cache_not_valid_before,
        cacheable.cache_not_valid_after,
    );
    if now.saturating_add(CLOCK_SKEW_SECS) < not_before
        || now > not_after.saturating_add(CLOCK_SKEW_SECS)
    {
        return Err(VerifyError::StaleCache {
            not_before,
            not_after,
            now,
        });
    }
    Ok(())
}

/// Checks the cache signature of `cacheable` under `signer`'s key.
fn check_cache_signature(cacheable: &CacheableIdCert, signer: &IdCert) -> Result<(), VerifyError> {
    match cacheable.verify(signer.public_key()) {
        Ok(_) => Ok(()),
        Err(polyproto_types::cache::CacheError::WindowOrder) => Err(VerifyError::CacheWindow),
        Err(polyproto_types::cache::CacheError::Cert(e)) => Err(VerifyError::Malformed(e)),
        Err(_) => Err(VerifyError::BadCacheSignature),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_moment_covers_every_case() {
        let v = Validity::new(100, 200).expect("ordered");
        assert_eq!(valid_moment(v, None, 150, 150), Ok(150));
        assert_eq!(valid_moment(v, None, 50, 300), Ok(100));
        assert_eq!(
            valid_moment(v, None, 201, 201),
            Err(VerifyError::Expired {
                not_after: 200,
                at: 201
            })
        );
        // A notBefore within the tolerated clock skew is accepted, at notBefore.
        assert_eq!(valid_moment(v, None, 90, 90), Ok(100));
        let far = Validity::new(1000, 2000).expect("ordered");
        assert_eq!(
            valid_moment(far, None, 100, 100),
            Err(VerifyError::NotYetValid {
                not_before: 1000,
                at: 100
            })
        );
        assert_eq!(
            valid_moment(v, Some(150), 160, 160),
            Err(VerifyError::Invalidated {
                invalidated_at: 150
            })
        );
        assert_eq!(valid_moment(v, Some(150), 120, 160), Ok(120));
    }
}
