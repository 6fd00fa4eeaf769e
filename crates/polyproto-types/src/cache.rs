//! Cacheable ID-Certs: an ID-Cert with the home server's signed cache information
//! (polyproto core §6.4.1; docs/wire-contract.md §4.3).

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::certs::{CertError, IdCert, Serial, verify_strict};
use crate::signature::SignatureBytes;
use crate::wire::{option_u64_string, u64_string};

/// An ID-Cert with the cache window and invalidation time its home server vouches for, as
/// served by `GET /.p2/core/v1/idcert/actor/{fid}` and `GET /.p2/core/v1/idcert/server`.
///
/// Field names and string-typed numbers follow the reference SDK (docs/wire-contract.md §4.3); the spec's
/// `cacheValidNotBefore`/`cacheValidNotAfter` are not what implementations exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheableIdCert {
    /// The ID-Cert, PEM.
    pub id_cert_pem: String,
    /// UNIX time from which the cache entry may be used.
    #[serde(with = "u64_string")]
    pub cache_not_valid_before: u64,
    /// UNIX time after which the cache entry must not be used.
    #[serde(with = "u64_string")]
    pub cache_not_valid_after: u64,
    /// When the certificate was invalidated early (polyproto core §6.1.4), if it was.
    #[serde(
        with = "option_u64_string",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub invalidated_at: Option<u64>,
    /// The home server's Ed25519 signature over [`CacheableIdCert::signed_string`].
    pub cache_signature: SignatureBytes,
}

/// Why a cacheable ID-Cert is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The certificate inside is malformed.
    #[error("the certificate: {0}")]
    Cert(#[from] CertError),
    /// The cache signature does not verify under the home server's key.
    #[error("the cache signature does not verify under the home server's key")]
    BadSignature,
    /// The cache window is inverted.
    #[error("cacheNotValidBefore is after cacheNotValidAfter")]
    WindowOrder,
    /// The cache entry may not be used at this time.
    #[error("the cache entry is valid from {not_before} to {not_after}; it is now {now}")]
    OutsideWindow {
        /// Start of the window.
        not_before: u64,
        /// End of the window.
        not_after: u64,
        /// The time of the check.
        now: u64,
    },
}

impl CacheableIdCert {
    /// The exact string the cache signature covers: the decimal serial, the window and, if
    /// present, the invalidation time, separated by ASCII spaces (docs/wire-contract.md §4.3).
    pub fn signed_string(
        serial: &Serial,
        not_before: u64,
        not_after: u64,
        invalidated_at: Option<u64>,
    ) -> String {
        match invalidated_at {
            Some(at) => format!("{serial} {not_before} {not_after} {at}"),
            None => format!("{serial} {not_before} {not_after}"),
        }
    }

    /// Signs the cache information for `cert` with `home_server_key`, the key that issued the
    /// certificate (for a home-server certificate, its own key).
    pub fn sign(
        cert: &IdCert,
        not_before: u64,
        not_after: u64,
        invalidated_at: Option<u64>,
        home_server_key: &SigningKey,
    ) -> Self {
        Self::sign_pem(
            cert.serial(),
            cert.to_pem(),
            not_before,
            not_after,
            invalidated_at,
            home_server_key,
        )
    }

    /// As [`CacheableIdCert::sign`], for a certificate already held as PEM with its serial (a
    /// server signing stored certificates need not parse them again).
    pub fn sign_pem(
        serial: &Serial,
        id_cert_pem: String,
        not_before: u64,
        not_after: u64,
        invalidated_at: Option<u64>,
        home_server_key: &SigningKey,
    ) -> Self {
        let message = Self::signed_string(serial, not_before, not_after, invalidated_at);
        Self {
            id_cert_pem,
            cache_not_valid_before: not_before,
            cache_not_valid_after: not_after,
            invalidated_at,
            cache_signature: home_server_key.sign(message.as_bytes()).into(),
        }
    }

    /// Parses the certificate and verifies the cache signature strictly under
    /// `home_server_key`. The certificate's own signature and validity are the caller's next
    /// check ([`IdCert::validate_actor`]).
    ///
    /// # Errors
    /// [`CacheError::Cert`], [`CacheError::WindowOrder`] or [`CacheError::BadSignature`].
    pub fn verify(&self, home_server_key: &VerifyingKey) -> Result<IdCert, CacheError> {
        if self.cache_not_valid_before > self.cache_not_valid_after {
            return Err(CacheError::WindowOrder);
        }
        let cert = IdCert::from_pem(&self.id_cert_pem)?;
        let message = Self::signed_string(
            cert.serial(),
            self.cache_not_valid_before,
            self.cache_not_valid_after,
            self.invalidated_at,
        );
        verify_strict(
            home_server_key,
            message.as_bytes(),
            self.cache_signature.as_bytes(),
        )
        .map_err(|_| CacheError::BadSignature)?;
        Ok(cert)
    }

    /// Checks that the cache entry may be used at `now` (polyproto core §6.4: expired entries
    /// must not be used).
    ///
    /// # Errors
    /// [`CacheError::OutsideWindow`].
    pub fn check_window(&self, now: u64) -> Result<(), CacheError> {
        if now < self.cache_not_valid_before || now > self.cache_not_valid_after {
            return Err(CacheError::OutsideWindow {
                not_before: self.cache_not_valid_before,
                not_after: self.cache_not_valid_after,
                now,
            });
        }
        Ok(())
    }

    /// RFC 8785 canonical JSON, no trailing newline (docs/wire-contract.md §2).
    pub fn to_jcs(&self) -> String {
        // Serializing plain strings cannot fail.
        crate::wire::to_jcs(self).unwrap_or_default()
    }

    /// A list of cacheable ID-Certs as RFC 8785 canonical JSON.
    pub fn list_to_jcs(list: &[Self]) -> String {
        crate::wire::to_jcs(&list).unwrap_or_default()
    }
}
