//! ID-CSRs: the PKCS #10 requests in which a client asks its home server for an ID-Cert
//! (polyproto core §6.1; RFC 2986).

use der::asn1::{BitString, SetOfVec};
use der::{Decode, Encode};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::request::{CertReq, CertReqInfo, Version};

use super::capabilities::RequestedCapabilities;
use super::key::{ED25519_OID, check_ed25519_algorithm, verify_strict, verifying_key_from_spki};
use super::{CertError, KeyError, pem};
use crate::names::{ActorDn, FederationId, SessionId};

/// The PEM label of a PKCS #10 request (RFC 7468 §7).
const PEM_LABEL: &str = "CERTIFICATE REQUEST";

/// A verified ID-CSR: a PKCS #10 request whose Ed25519 signature verifies strictly under the
/// key it carries, whose subject is an actor pDN and which asks for no CA capability
/// (polyproto core §6.1, §6.1.1.2; docs/wire-contract.md §4.2).
///
/// A value exists only if all of that holds; whether the subject matches the authenticated
/// actor, its domain and a free session is the home server's check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdCsr {
    der: Vec<u8>,
    subject: ActorDn,
    key: VerifyingKey,
    spki: SubjectPublicKeyInfoOwned,
    requested: RequestedCapabilities,
}

impl IdCsr {
    /// Builds and signs a request for `subject` with `key`, in the reference SDK's form (the
    /// actor's basicConstraints and keyUsage as bare attributes), which both the reference SDK
    /// and standard tools such as `openssl req -verify` accept.
    ///
    /// # Errors
    /// [`CertError::Build`], which valid input does not produce.
    pub fn new(key: &SigningKey, subject: &ActorDn) -> Result<Self, CertError> {
        let build = |e: der::Error| CertError::Build(e.to_string());
        let public = key.verifying_key();
        let spki = SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: ED25519_OID,
                parameters: None,
            },
            subject_public_key: BitString::from_bytes(public.as_bytes()).map_err(build)?,
        };
        let attributes =
            SetOfVec::try_from(RequestedCapabilities::actor_attributes()?).map_err(build)?;
        let info = CertReqInfo {
            version: Version::V1,
            subject: subject
                .to_name()
                .map_err(|e| CertError::Build(e.to_string()))?,
            public_key: spki.clone(),
            attributes,
        };
        let signature = key.sign(&info.to_der().map_err(build)?);
        let request = CertReq {
            info,
            algorithm: AlgorithmIdentifierOwned {
                oid: ED25519_OID,
                parameters: None,
            },
            signature: BitString::from_bytes(&signature.to_bytes()).map_err(build)?,
        };
        let requested = RequestedCapabilities::from_attributes(request.info.attributes.iter())?;
        Ok(Self {
            der: request.to_der().map_err(build)?,
            subject: subject.clone(),
            key: public,
            spki,
            requested,
        })
    }

    /// Parses and verifies a DER request.
    ///
    /// # Errors
    /// The [`CertError`] of the first rule the request breaks.
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let request = CertReq::from_der(der).map_err(CertError::from_der_error)?;
        if request.to_der().map_err(CertError::from_der_error)? != der {
            return Err(CertError::NonCanonical);
        }
        if request.info.version != Version::V1 {
            return Err(CertError::Version);
        }
        check_ed25519_algorithm(
            &request.algorithm.oid,
            request.algorithm.parameters.is_some(),
        )
        .map_err(|_| CertError::SignatureAlgorithm)?;
        let key = verifying_key_from_spki(&request.info.public_key)?;
        let signature = request
            .signature
            .as_bytes()
            .ok_or(KeyError::SignatureLength(0))?;
        let info = request.info.to_der().map_err(CertError::from_der_error)?;
        verify_strict(&key, &info, signature).map_err(|e| match e {
            KeyError::BadSignature => CertError::BadSignature,
            other => CertError::Key(other),
        })?;
        let subject =
            ActorDn::from_request_name(&request.info.subject).map_err(CertError::Subject)?;
        let requested = RequestedCapabilities::from_attributes(request.info.attributes.iter())?;
        Ok(Self {
            der: der.to_vec(),
            subject,
            key,
            spki: request.info.public_key,
            requested,
        })
    }

    /// Parses and verifies a PEM request (label `CERTIFICATE REQUEST`).
    ///
    /// # Errors
    /// As [`IdCsr::from_der`], or [`CertError::Pem`].
    pub fn from_pem(pem: &str) -> Result<Self, CertError> {
        Self::from_der(&pem::decode(PEM_LABEL, pem)?)
    }

    /// Parses PEM or standard base64 of the DER (docs/wire-contract.md §2).
    ///
    /// # Errors
    /// As [`IdCsr::from_der`], or [`CertError::Pem`] / [`CertError::Base64`].
    pub fn from_pem_or_base64(input: &str) -> Result<Self, CertError> {
        Self::from_der(&pem::decode_pem_or_base64(PEM_LABEL, input)?)
    }

    /// The requesting actor and session.
    pub fn subject(&self) -> &ActorDn {
        &self.subject
    }

    /// The requesting actor.
    pub fn fid(&self) -> &FederationId {
        self.subject.fid()
    }

    /// The session the certificate is for.
    pub fn session_id(&self) -> &SessionId {
        self.subject.session_id()
    }

    /// The session's public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// The SubjectPublicKeyInfo, as the certificate will carry it.
    pub fn subject_public_key_info(&self) -> &SubjectPublicKeyInfoOwned {
        &self.spki
    }

    /// The capabilities the request asks for.
    pub fn requested_capabilities(&self) -> RequestedCapabilities {
        self.requested
    }

    /// The DER bytes, exactly as received or built.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }

    /// PEM, LF line ends, 64 columns, trailing newline (docs/wire-contract.md §2).
    pub fn to_pem(&self) -> String {
        pem::encode(PEM_LABEL, &self.der)
    }
}
