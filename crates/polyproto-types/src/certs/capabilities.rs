//! The two ID-Cert profiles and their capabilities: basicConstraints and keyUsage
//! (polyproto core §6.1.1.2; docs/wire-contract.md §4.1).

use der::asn1::OctetString;
use der::oid::AssociatedOid;
use der::{Decode, Encode};
use x509_cert::attr::Attribute;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};

use super::CertError;

/// `extensionRequest` (PKCS #9, RFC 2985 §5.4.2).
const EXTENSION_REQUEST: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.14");

/// Which kind of ID-Cert: an actor session's, or a home server's own (polyproto core
/// §6.1.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// An actor's certificate: not a CA, digitalSignature.
    Actor,
    /// A home server's self-signed certificate: CA with path length 0, keyCertSign.
    HomeServer,
}

impl Profile {
    /// The profile's name, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Actor => "actor",
            Self::HomeServer => "home-server",
        }
    }

    /// The basicConstraints this project issues.
    fn basic_constraints(self) -> BasicConstraints {
        match self {
            Self::Actor => BasicConstraints {
                ca: false,
                path_len_constraint: None,
            },
            Self::HomeServer => BasicConstraints {
                ca: true,
                path_len_constraint: Some(0),
            },
        }
    }

    /// The keyUsage this project issues.
    fn key_usage(self) -> KeyUsage {
        match self {
            Self::Actor => KeyUsage(KeyUsages::DigitalSignature.into()),
            Self::HomeServer => KeyUsage(KeyUsages::KeyCertSign.into()),
        }
    }

    /// The two extensions of an issued certificate, critical, in the order the reference SDK
    /// re-encodes them: basicConstraints, keyUsage.
    pub(crate) fn extensions(self) -> Result<Vec<Extension>, CertError> {
        let ext = |oid, value: Vec<u8>| -> Result<Extension, CertError> {
            let extn_value =
                OctetString::new(value).map_err(|e| CertError::Build(e.to_string()))?;
            Ok(Extension {
                extn_id: oid,
                critical: true,
                extn_value,
            })
        };
        let encode = |r: der::Result<Vec<u8>>| r.map_err(|e| CertError::Build(e.to_string()));
        Ok(vec![
            ext(
                BasicConstraints::OID,
                encode(self.basic_constraints().to_der())?,
            )?,
            ext(KeyUsage::OID, encode(self.key_usage().to_der())?)?,
        ])
    }

    /// Checks a certificate's extensions: exactly basicConstraints then keyUsage, both
    /// critical, with the values this profile allows.
    pub(crate) fn check_extensions(
        self,
        extensions: Option<&[Extension]>,
    ) -> Result<(), CertError> {
        let extensions = extensions.ok_or(CertError::MissingExtensions)?;
        for ext in extensions {
            if ext.extn_id != BasicConstraints::OID && ext.extn_id != KeyUsage::OID {
                return Err(CertError::UnexpectedExtension(ext.extn_id.to_string()));
            }
        }
        let [bc, ku] = extensions else {
            let has = |oid| extensions.iter().any(|e| e.extn_id == oid);
            if !has(BasicConstraints::OID) {
                return Err(CertError::MissingExtension("basicConstraints"));
            }
            if !has(KeyUsage::OID) {
                return Err(CertError::MissingExtension("keyUsage"));
            }
            return Err(CertError::UnexpectedExtension(
                "a duplicate extension".to_owned(),
            ));
        };
        if bc.extn_id != BasicConstraints::OID || ku.extn_id != KeyUsage::OID {
            return Err(CertError::ExtensionOrder);
        }
        if !bc.critical {
            return Err(CertError::NonCriticalExtension("basicConstraints"));
        }
        if !ku.critical {
            return Err(CertError::NonCriticalExtension("keyUsage"));
        }
        let constraints = BasicConstraints::from_der(bc.extn_value.as_bytes())
            .map_err(|_| CertError::MalformedExtension("basicConstraints"))?;
        let usage = KeyUsage::from_der(ku.extn_value.as_bytes())
            .map_err(|_| CertError::MalformedExtension("keyUsage"))?;
        match self {
            Self::Actor => check_actor(&constraints, usage),
            Self::HomeServer => check_home_server(&constraints, usage),
        }
    }
}

fn check_actor(constraints: &BasicConstraints, usage: KeyUsage) -> Result<(), CertError> {
    if constraints.ca || constraints.path_len_constraint.is_some() {
        return Err(CertError::ActorIsCa);
    }
    if usage.key_cert_sign() {
        return Err(CertError::ActorKeyCertSign);
    }
    let allowed = KeyUsages::DigitalSignature | KeyUsages::NonRepudiation;
    if usage.0.is_empty() || !(usage.0 & !allowed).is_empty() {
        return Err(CertError::ActorKeyUsage);
    }
    Ok(())
}

fn check_home_server(constraints: &BasicConstraints, usage: KeyUsage) -> Result<(), CertError> {
    if !constraints.ca {
        return Err(CertError::HomeServerNotCa);
    }
    if constraints.path_len_constraint != Some(0) {
        return Err(CertError::PathLength);
    }
    let allowed = KeyUsages::KeyCertSign | KeyUsages::DigitalSignature;
    if !usage.key_cert_sign() || !(usage.0 & !allowed).is_empty() {
        return Err(CertError::HomeServerKeyUsage);
    }
    Ok(())
}

/// The capabilities an ID-CSR asks for (polyproto core §6.1, "a list of X.509 capabilities
/// which the actor requests"). The home server sets the extensions of the certificate itself;
/// these only decide whether the request is acceptable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestedCapabilities {
    /// The request carries basicConstraints.
    pub basic_constraints: bool,
    /// The requested key usages, if the request carries keyUsage.
    pub key_usage: Option<KeyUsage>,
}

impl RequestedCapabilities {
    /// Reads basicConstraints and keyUsage from the request attributes, in either form: the
    /// reference SDK's bare attributes (2.5.29.19 and 2.5.29.15) or a standard
    /// `extensionRequest`. Other attributes and requested extensions are ignored. A request for
    /// the CA flag or keyCertSign is refused (docs/wire-contract.md §4.2).
    pub(crate) fn from_attributes<'a>(
        attributes: impl IntoIterator<Item = &'a Attribute>,
    ) -> Result<Self, CertError> {
        let mut caps = Self::default();
        for attr in attributes {
            for value in attr.values.iter() {
                let der = value.to_der().map_err(CertError::from_der_error)?;
                if attr.oid == EXTENSION_REQUEST {
                    let extensions = Vec::<Extension>::from_der(&der)
                        .map_err(|_| CertError::MalformedExtension("extensionRequest"))?;
                    for ext in extensions {
                        caps.add(ext.extn_id, ext.extn_value.as_bytes())?;
                    }
                } else {
                    caps.add(attr.oid, &der)?;
                }
            }
        }
        Ok(caps)
    }

    fn add(&mut self, oid: der::oid::ObjectIdentifier, der: &[u8]) -> Result<(), CertError> {
        if oid == BasicConstraints::OID {
            let bc = BasicConstraints::from_der(der)
                .map_err(|_| CertError::MalformedExtension("basicConstraints"))?;
            if bc.ca || bc.path_len_constraint.is_some() {
                return Err(CertError::RequestsCa);
            }
            self.basic_constraints = true;
        } else if oid == KeyUsage::OID {
            let ku =
                KeyUsage::from_der(der).map_err(|_| CertError::MalformedExtension("keyUsage"))?;
            if ku.key_cert_sign() {
                return Err(CertError::RequestsKeyCertSign);
            }
            self.key_usage = Some(ku);
        }
        Ok(())
    }

    /// The reference SDK's form: two bare attributes asking for the actor capabilities.
    pub(crate) fn actor_attributes() -> Result<Vec<Attribute>, CertError> {
        let attr = |oid, der: der::Result<Vec<u8>>| -> Result<Attribute, CertError> {
            let build = |e: der::Error| CertError::Build(e.to_string());
            let value = der::asn1::Any::from_der(&der.map_err(build)?).map_err(build)?;
            let values = der::asn1::SetOfVec::try_from(vec![value]).map_err(build)?;
            Ok(Attribute { oid, values })
        };
        Ok(vec![
            attr(
                BasicConstraints::OID,
                Profile::Actor.basic_constraints().to_der(),
            )?,
            attr(KeyUsage::OID, Profile::Actor.key_usage().to_der())?,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_extensions_have_the_contract_bytes() {
        let actor = Profile::Actor.extensions().unwrap();
        assert_eq!(actor[0].extn_value.as_bytes(), [0x30, 0x00]);
        assert_eq!(actor[1].extn_value.as_bytes(), [0x03, 0x02, 0x07, 0x80]);
        let hs = Profile::HomeServer.extensions().unwrap();
        assert_eq!(
            hs[0].extn_value.as_bytes(),
            [0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x00]
        );
        assert_eq!(hs[1].extn_value.as_bytes(), [0x03, 0x02, 0x02, 0x04]);
        assert!(actor.iter().chain(&hs).all(|e| e.critical));
        Profile::Actor.check_extensions(Some(&actor)).unwrap();
        Profile::HomeServer.check_extensions(Some(&hs)).unwrap();
        assert_eq!(
            Profile::Actor.check_extensions(Some(&hs)),
            Err(CertError::ActorIsCa)
        );
        assert_eq!(
            Profile::HomeServer.check_extensions(Some(&actor)),
            Err(CertError::HomeServerNotCa)
        );
    }

    #[test]
    fn extension_rules_each_have_their_error() {
        let good = Profile::Actor.extensions().unwrap();
        assert_eq!(
            Profile::Actor.check_extensions(None),
            Err(CertError::MissingExtensions)
        );
        let reversed = vec![good[1].clone(), good[0].clone()];
        assert_eq!(
            Profile::Actor.check_extensions(Some(&reversed)),
            Err(CertError::ExtensionOrder)
        );
        let mut lax = good.clone();
        lax[1].critical = false;
        assert_eq!(
            Profile::Actor.check_extensions(Some(&lax)),
            Err(CertError::NonCriticalExtension("keyUsage"))
        );
        let mut extra = good.clone();
        extra.push(Extension {
            extn_id: der::oid::ObjectIdentifier::new_unwrap("2.5.29.14"),
            critical: false,
            extn_value: OctetString::new(vec![0x04, 0x00]).unwrap(),
        });
        assert!(matches!(
            Profile::Actor.check_extensions(Some(&extra)),
            Err(CertError::UnexpectedExtension(_))
        ));
        assert_eq!(
            Profile::Actor.check_extensions(Some(&good[..1])),
            Err(CertError::MissingExtension("keyUsage"))
        );
    }
}
