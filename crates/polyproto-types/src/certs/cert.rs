//! ID-Certs: parsing, profile checks and validation (polyproto core §6.1.1; docs/wire-contract.md §4.1).

use der::{Decode, Encode};
use ed25519_dalek::VerifyingKey;
use x509_cert::Certificate;
use x509_cert::certificate::Version;

use super::key::{check_ed25519_algorithm, verify_strict, verifying_key_from_spki};
use super::{CertError, KeyError, Profile, Serial, Validity, pem};
use crate::names::{ActorDn, DomainName, HomeServerDn, oid};

/// The PEM label of a certificate (RFC 7468 §5).
const PEM_LABEL: &str = "CERTIFICATE";

/// Whom an ID-Cert is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// An actor's session.
    Actor(ActorDn),
    /// A home server (self-signed).
    HomeServer(HomeServerDn),
}

/// A well-formed ID-Cert: an X.509 v3 certificate in the exact layout of docs/wire-contract.md §4.1, of the
/// actor or the home-server profile (polyproto core §6.1.1).
///
/// A value exists only if its structure is right: version, Ed25519 algorithms and key (not
/// weak), a positive serial, home-server issuer, a pDN subject whose domain components equal
/// the issuer's, and exactly the two critical extensions of its profile. Whether it is *valid*
/// also depends on its issuer's key and the time: see [`IdCert::validate_actor`] and
/// [`IdCert::validate_home_server`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdCert {
    pub(super) cert: Certificate,
    pub(super) der: Vec<u8>,
    pub(super) serial: Serial,
    pub(super) issuer: HomeServerDn,
    pub(super) subject: Subject,
    pub(super) key: VerifyingKey,
    pub(super) validity: Validity,
}

impl IdCert {
    /// Parses a DER certificate and checks its structure and profile.
    ///
    /// # Errors
    /// The [`CertError`] of the first rule the certificate breaks.
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let cert = Certificate::from_der(der).map_err(CertError::from_der_error)?;
        if cert.to_der().map_err(CertError::from_der_error)? != der {
            return Err(CertError::NonCanonical);
        }
        Self::from_parts(cert, der.to_vec())
    }

    /// Parses a PEM certificate (label `CERTIFICATE`).
    ///
    /// # Errors
    /// As [`IdCert::from_der`], or [`CertError::Pem`].
    pub fn from_pem(pem: &str) -> Result<Self, CertError> {
        Self::from_der(&pem::decode(PEM_LABEL, pem)?)
    }

    /// Parses PEM or standard base64 of the DER (docs/wire-contract.md §2).
    ///
    /// # Errors
    /// As [`IdCert::from_der`], or [`CertError::Pem`] / [`CertError::Base64`].
    pub fn from_pem_or_base64(input: &str) -> Result<Self, CertError> {
        Self::from_der(&pem::decode_pem_or_base64(PEM_LABEL, input)?)
    }

    /// Checks a decoded certificate whose canonical DER is `der`.
    pub(crate) fn from_parts(cert: Certificate, der: Vec<u8>) -> Result<Self, CertError> {
        let tbs = cert.tbs_certificate();
        if tbs.version() != Version::V3 {
            return Err(CertError::Version);
        }
        let algorithm_ok = |alg: &spki::AlgorithmIdentifierOwned| {
            check_ed25519_algorithm(&alg.oid, alg.parameters.is_some()).is_ok()
        };
        if !algorithm_ok(tbs.signature()) || !algorithm_ok(cert.signature_algorithm()) {
            return Err(CertError::SignatureAlgorithm);
        }
        let signature_len = cert.signature().as_bytes().map_or(0, <[u8]>::len);
        if signature_len != 64 {
            return Err(CertError::Key(KeyError::SignatureLength(signature_len)));
        }
        let serial = Serial::from_x509(tbs.serial_number())?;
        if tbs.issuer_unique_id().is_some() || tbs.subject_unique_id().is_some() {
            return Err(CertError::UniqueIdPresent);
        }
        let issuer = HomeServerDn::from_name(tbs.issuer()).map_err(CertError::Issuer)?;
        let is_actor = tbs.subject().iter().any(|atv| atv.oid == oid::UID);
        let subject = if is_actor {
            Subject::Actor(ActorDn::from_name(tbs.subject()).map_err(CertError::Subject)?)
        } else {
            Subject::HomeServer(HomeServerDn::from_name(tbs.subject()).map_err(CertError::Subject)?)
        };
        let subject_domain = match &subject {
            Subject::Actor(dn) => dn.fid().domain(),
            Subject::HomeServer(dn) => dn.domain(),
        };
        if subject_domain != issuer.domain() {
            return Err(CertError::DomainMismatch {
                issuer: issuer.domain().to_string(),
                subject: subject_domain.to_string(),
            });
        }
        let key = verifying_key_from_spki(tbs.subject_public_key_info())?;
        let profile = if is_actor {
            Profile::Actor
        } else {
            Profile::HomeServer
        };
        profile.check_extensions(tbs.extensions().map(Vec::as_slice))?;
        let validity = Validity::from_x509(tbs.validity())?;
        Ok(Self {
            cert,
            der,
            serial,
            issuer,
            subject,
            key,
            validity,
        })
    }

    /// The profile: actor or home server.
    pub fn profile(&self) -> Profile {
        match self.subject {
            Subject::Actor(_) => Profile::Actor,
            Subject::HomeServer(_) => Profile::HomeServer,
        }
    }

    /// Whom the certificate is for.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// The actor and session, for an actor certificate.
    pub fn actor(&self) -> Option<&ActorDn> {
        match &self.subject {
            Subject::Actor(dn) => Some(dn),
            Subject::HomeServer(_) => None,
        }
    }

    /// The issuing home server's domain.
    pub fn issuer_domain(&self) -> &DomainName {
        self.issuer.domain()
    }

    /// The serial number.
    pub fn serial(&self) -> &Serial {
        &self.serial
    }

    /// The subject's public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// The validity period.
    pub fn validity(&self) -> Validity {
        self.validity
    }

    /// The parsed X.509 certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    /// The DER bytes, exactly as parsed or issued.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }

    /// PEM, LF line ends, 64 columns, trailing newline (docs/wire-contract.md §2).
    pub fn to_pem(&self) -> String {
        pem::encode(PEM_LABEL, &self.der)
    }

    /// Verifies the certificate's signature under `issuer_key`, strictly.
    ///
    /// # Errors
    /// [`CertError::BadSignature`].
    pub fn verify_signature(&self, issuer_key: &VerifyingKey) -> Result<(), CertError> {
        let tbs = self
            .cert
            .tbs_certificate()
            .to_der()
            .map_err(CertError::from_der_error)?;
        let signature = self.cert.signature().raw_bytes();
        verify_strict(issuer_key, &tbs, signature).map_err(|_| CertError::BadSignature)
    }

    /// Fully validates an actor certificate against its home server's certificate at time
    /// `now` (polyproto core §6.1: "all entities receiving an ID-Cert MUST inspect the
    /// certificate for correctness and validity"): actor profile; issued by `home_server`'s
    /// domain and key; valid at `now`; not valid beyond the home server's certificate.
    ///
    /// `home_server` is trusted as given: validate it first with
    /// [`IdCert::validate_home_server`].
    ///
    /// # Errors
    /// The [`CertError`] of the first check that fails.
    pub fn validate_actor(&self, home_server: &IdCert, now: u64) -> Result<(), CertError> {
        if self.profile() != Profile::Actor {
            return Err(CertError::WrongProfile { expected: "actor" });
        }
        let Subject::HomeServer(hs) = &home_server.subject else {
            return Err(CertError::WrongProfile {
                expected: "home-server",
            });
        };
        if hs.domain() != self.issuer_domain() {
            return Err(CertError::DomainMismatch {
                issuer: self.issuer_domain().to_string(),
                subject: hs.domain().to_string(),
            });
        }
        self.verify_signature(home_server.public_key())?;
        self.validity.check(now)?;
        let issuer = home_server.validity();
        if self.validity.not_before < issuer.not_before
            || self.validity.not_after > issuer.not_after
        {
            return Err(CertError::OutlivesIssuer);
        }
        Ok(())
    }

    /// Fully validates a home server's self-signed certificate at time `now`: home-server
    /// profile, signed by its own key, valid at `now`.
    ///
    /// # Errors
    /// The [`CertError`] of the first check that fails.
    pub fn validate_home_server(&self, now: u64) -> Result<(), CertError> {
        if self.profile() != Profile::HomeServer {
            return Err(CertError::WrongProfile {
                expected: "home-server",
            });
        }
        self.verify_signature(&self.key)?;
        self.validity.check(now)
    }
}
