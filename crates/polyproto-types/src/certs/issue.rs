//! Issuing ID-Certs: the home server's certificate authority (polyproto core §6.1;
//! docs/wire-contract.md §4.1).

use der::Encode;
use ed25519_dalek::{SigningKey, VerifyingKey};
use spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::TbsCertificate;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::ext::Extension;
use x509_cert::name::Name;

use super::{CertError, IdCert, IdCsr, Profile, Serial, Subject, Validity};
use crate::names::{DomainName, HomeServerDn};

/// A builder profile that emits exactly the polyproto layout: the given names and the two
/// critical extensions of the certificate's profile, nothing else (in particular no
/// subject or authority key identifier, which a stock builder adds and the reference SDK's
/// re-encoding would drop, breaking the signature).
struct PolyprotoProfile {
    issuer: Name,
    subject: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for PolyprotoProfile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}

impl IdCert {
    /// Issues an actor certificate for a verified request, signed by the home server at
    /// `issuer_domain` with `issuer_key` (polyproto core §6.1).
    ///
    /// The subject and extensions are rebuilt in the canonical layout from the request's
    /// parsed values. The caller has checked that the request is for the authenticated actor
    /// and a free session, and chooses a unique serial and a validity within its own
    /// certificate's (docs/wire-contract.md §4.1).
    ///
    /// # Errors
    /// [`CertError::DomainMismatch`] if the request is for another domain;
    /// [`CertError::Build`], which valid input does not produce.
    pub fn issue_actor(
        csr: &IdCsr,
        issuer_key: &SigningKey,
        issuer_domain: &DomainName,
        serial: &Serial,
        validity: Validity,
    ) -> Result<Self, CertError> {
        if csr.fid().domain() != issuer_domain {
            return Err(CertError::DomainMismatch {
                issuer: issuer_domain.to_string(),
                subject: csr.fid().domain().to_string(),
            });
        }
        let subject = Subject::Actor(csr.subject().clone());
        let spki = csr.subject_public_key_info().clone();
        Self::issue(
            spki,
            *csr.public_key(),
            subject,
            issuer_key,
            issuer_domain,
            serial,
            validity,
        )
    }

    /// Issues a home server's self-signed certificate for `key` (polyproto core §6.1.1.2).
    ///
    /// # Errors
    /// [`CertError::Build`], which valid input does not produce.
    pub fn issue_home_server(
        key: &SigningKey,
        domain: &DomainName,
        serial: &Serial,
        validity: Validity,
    ) -> Result<Self, CertError> {
        let spki = SubjectPublicKeyInfoOwned::from_key(&key.verifying_key())
            .map_err(|e| CertError::Build(e.to_string()))?;
        let subject = Subject::HomeServer(HomeServerDn::new(domain.clone()));
        Self::issue(
            spki,
            key.verifying_key(),
            subject,
            key,
            domain,
            serial,
            validity,
        )
    }

    fn issue(
        spki: SubjectPublicKeyInfoOwned,
        key: VerifyingKey,
        subject: Subject,
        issuer_key: &SigningKey,
        issuer_domain: &DomainName,
        serial: &Serial,
        validity: Validity,
    ) -> Result<Self, CertError> {
        let build = |e: &dyn std::fmt::Display| CertError::Build(e.to_string());
        let (subject_name, profile) = match &subject {
            Subject::Actor(dn) => (dn.to_name(), Profile::Actor),
            Subject::HomeServer(dn) => (dn.to_name(), Profile::HomeServer),
        };
        let issuer = HomeServerDn::new(issuer_domain.clone());
        let builder_profile = PolyprotoProfile {
            issuer: issuer.to_name().map_err(|e| build(&e))?,
            subject: subject_name.map_err(|e| build(&e))?,
            extensions: profile.extensions()?,
        };
        let builder = CertificateBuilder::new(
            builder_profile,
            serial.to_x509()?,
            validity.to_x509()?,
            spki,
        )
        .map_err(|e| build(&e))?;
        let cert = builder
            .build::<_, ed25519_dalek::Signature>(issuer_key)
            .map_err(|e| build(&e))?;
        let der = cert.to_der().map_err(|e| build(&e))?;
        // Every part was built from validated values, so the structure needs no second
        // check; the tests parse issued certificates back to prove it.
        Ok(Self {
            cert,
            der,
            serial: serial.clone(),
            issuer,
            subject,
            key,
            validity,
        })
    }
}
