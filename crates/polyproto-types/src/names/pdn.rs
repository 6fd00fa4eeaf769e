//! polyproto distinguished names (pDN, polyproto core §6.1.1.1) to and from X.509 `Name`s.
//!
//! The layout is the one of docs/wire-contract.md §4.1, which the reference SDK re-encodes before it checks
//! a signature, so it is byte-exact: one attribute per RDN; the domain components first, most
//! significant label first, as IA5String; then, for actors, `UID` (UTF8String, the federation
//! ID), `CN` (UTF8String, the local name) and `uniqueIdentifier` (IA5String, the session ID).

use der::asn1::{Any, Ia5StringRef, PrintableStringRef, Utf8StringRef};
use der::{Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use super::{DomainName, FederationId, LocalName, NameError, SessionId};

/// Object identifiers of the attributes in a pDN.
pub mod oid {
    use der::oid::ObjectIdentifier;

    /// `domainComponent` (RFC 4519 §2.4).
    pub const DC: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.25");
    /// `uid`, the federation ID (RFC 4519 §2.39; polyproto core §6.1.1.1).
    pub const UID: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.1");
    /// `commonName`, the local name (RFC 4519 §2.3).
    pub const CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
    /// `uniqueIdentifier`, the session ID (RFC 4524 §2.24; polyproto core §6.1.1.3).
    pub const UNIQUE_IDENTIFIER: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.44");
}

/// The subject of an actor's ID-Cert: who the actor is and which session the key belongs to
/// (polyproto core §6.1.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActorDn {
    fid: FederationId,
    session_id: SessionId,
}

/// The subject and issuer of a home server's ID-Cert: its domain (polyproto core §6.1.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HomeServerDn {
    domain: DomainName,
}

impl ActorDn {
    /// The pDN of `fid`'s session `session_id`.
    pub fn new(fid: FederationId, session_id: SessionId) -> Self {
        Self { fid, session_id }
    }

    /// The actor's federation ID (the `UID` attribute).
    pub fn fid(&self) -> &FederationId {
        &self.fid
    }

    /// The session ID (the `uniqueIdentifier` attribute).
    pub fn session_id(&self) -> &SessionId {
        &self.session_id
    }

    /// The X.509 name in the exact layout of docs/wire-contract.md §4.1.
    ///
    /// # Errors
    /// [`NameError::Encoding`], which valid names do not produce.
    pub fn to_name(&self) -> Result<Name, NameError> {
        let mut rdns = domain_rdns(self.fid.domain())?;
        rdns.push(rdn(
            oid::UID,
            Any::encode_from(&Utf8StringRef::new(self.fid.as_str())?)?,
        )?);
        let cn = self.fid.local_name().as_str();
        rdns.push(rdn(oid::CN, Any::encode_from(&Utf8StringRef::new(cn)?)?)?);
        let session = Ia5StringRef::new(self.session_id.as_str())?;
        rdns.push(rdn(oid::UNIQUE_IDENTIFIER, Any::encode_from(&session)?)?);
        Ok(Name::hazmat_from_rdn_sequence(rdns))
    }

    /// Reads an actor pDN from a certificate, strictly: the exact order and string types of
    /// docs/wire-contract.md §4.1, canonical lowercase names, the DCs spelling the UID's domain and the CN
    /// equal to its local name.
    ///
    /// # Errors
    /// [`NameError`] naming the first rule the name breaks.
    pub fn from_name(name: &Name) -> Result<Self, NameError> {
        let attrs = single_valued(name)?;
        let dc_count = attrs.iter().take_while(|a| a.oid == oid::DC).count();
        check_counts(&attrs, true)?;
        if dc_count == 0 {
            return Err(NameError::RdnOrder("the domain components come first"));
        }
        let rest: Vec<_> = attrs[dc_count..].iter().map(|a| a.oid).collect();
        if rest.contains(&oid::DC) {
            return Err(NameError::RdnOrder("the domain components come first"));
        }
        if rest != [oid::UID, oid::CN, oid::UNIQUE_IDENTIFIER] {
            return Err(NameError::RdnOrder(
                "UID, CN and uniqueIdentifier follow in that order",
            ));
        }
        let domain = domain_from_dcs(&attrs[..dc_count], Strictness::Exact)?;
        let uid = string_value(&attrs[dc_count], "UID", Strictness::Exact)?;
        let cn = string_value(&attrs[dc_count + 1], "CN", Strictness::Exact)?;
        let session = string_value(&attrs[dc_count + 2], "uniqueIdentifier", Strictness::Exact)?;
        let fid = FederationId::new_canonical(uid)?;
        let cn = LocalName::new_canonical(cn)?;
        Self::assemble(fid, &cn, &domain, SessionId::new(session)?)
    }

    /// Reads an actor pDN from a certificate signing request, liberally: any attribute order
    /// and any of the common directory string types, names normalised to lowercase. The
    /// certificate issued for it is built from the parsed values in the canonical layout, so
    /// nothing of the request's own encoding survives.
    pub(crate) fn from_request_name(name: &Name) -> Result<Self, NameError> {
        let attrs = single_valued(name)?;
        check_counts(&attrs, true)?;
        let dcs: Vec<_> = attrs.iter().filter(|a| a.oid == oid::DC).cloned().collect();
        let find = |wanted| attrs.iter().find(|a| a.oid == wanted);
        let missing = NameError::MissingAttribute;
        let uid = find(oid::UID).ok_or(missing("UID"))?;
        let cn = find(oid::CN).ok_or(missing("CN"))?;
        let session = find(oid::UNIQUE_IDENTIFIER).ok_or(missing("uniqueIdentifier"))?;
        let domain = domain_from_dcs(&dcs, Strictness::Lenient)?;
        let fid = FederationId::new(string_value(uid, "UID", Strictness::Lenient)?)?;
        let cn = LocalName::new(string_value(cn, "CN", Strictness::Lenient)?)?;
        let session = SessionId::new(string_value(
            session,
            "uniqueIdentifier",
            Strictness::Lenient,
        )?)?;
        Self::assemble(fid, &cn, &domain, session)
    }

    fn assemble(
        fid: FederationId,
        cn: &LocalName,
        dc_domain: &DomainName,
        session_id: SessionId,
    ) -> Result<Self, NameError> {
        if fid.domain() != dc_domain {
            return Err(NameError::DomainMismatch {
                uid_domain: fid.domain().to_string(),
                dc_domain: dc_domain.to_string(),
            });
        }
        if fid.local_name() != cn {
            return Err(NameError::CommonNameMismatch {
                cn: cn.to_string(),
                fid: fid.to_string(),
            });
        }
        Ok(Self { fid, session_id })
    }
}

impl HomeServerDn {
    /// The pDN of the home server at `domain`.
    pub fn new(domain: DomainName) -> Self {
        Self { domain }
    }

    /// The home server's domain.
    pub fn domain(&self) -> &DomainName {
        &self.domain
    }

    /// The X.509 name in the exact layout of docs/wire-contract.md §4.1: domain components only.
    ///
    /// # Errors
    /// [`NameError::Encoding`], which valid names do not produce.
    pub fn to_name(&self) -> Result<Name, NameError> {
        Ok(Name::hazmat_from_rdn_sequence(domain_rdns(&self.domain)?))
    }

    /// Reads a home-server pDN strictly: one or more IA5String DCs and nothing else.
    ///
    /// # Errors
    /// [`NameError`] naming the first rule the name breaks.
    pub fn from_name(name: &Name) -> Result<Self, NameError> {
        let attrs = single_valued(name)?;
        check_counts(&attrs, false)?;
        Ok(Self {
            domain: domain_from_dcs(&attrs, Strictness::Exact)?,
        })
    }
}

impl From<der::Error> for NameError {
    fn from(err: der::Error) -> Self {
        Self::Encoding(err.to_string())
    }
}

/// Whether a name comes from a signed certificate (exact layout) or from a request.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strictness {
    Exact,
    Lenient,
}

fn rdn(
    oid: der::oid::ObjectIdentifier,
    value: Any,
) -> Result<RelativeDistinguishedName, NameError> {
    Ok(RelativeDistinguishedName::try_from(vec![
        AttributeTypeAndValue { oid, value },
    ])?)
}

/// One DC RDN per label, most significant label first.
fn domain_rdns(domain: &DomainName) -> Result<RdnSequence, NameError> {
    let mut rdns = RdnSequence::default();
    for label in domain.labels().rev() {
        rdns.push(rdn(oid::DC, Any::encode_from(&Ia5StringRef::new(label)?)?)?);
    }
    Ok(rdns)
}

/// The attributes of a name whose every RDN holds exactly one.
fn single_valued(name: &Name) -> Result<Vec<AttributeTypeAndValue>, NameError> {
    name.iter_rdn()
        .map(|rdn| match rdn.iter().collect::<Vec<_>>().as_slice() {
            [only] => Ok((*only).clone()),
            _ => Err(NameError::MultiValuedRdn),
        })
        .collect()
}

/// Unknown attributes, duplicates and missing ones, before any question of order.
fn check_counts(attrs: &[AttributeTypeAndValue], actor: bool) -> Result<(), NameError> {
    let count = |wanted| attrs.iter().filter(|a| a.oid == wanted).count();
    if let Some(other) = attrs.iter().find(|a| {
        a.oid != oid::DC && !(actor && [oid::UID, oid::CN, oid::UNIQUE_IDENTIFIER].contains(&a.oid))
    }) {
        return Err(NameError::UnexpectedAttribute(other.oid.to_string()));
    }
    if count(oid::DC) == 0 {
        return Err(NameError::MissingAttribute("DC"));
    }
    if actor {
        for (wanted, label) in [
            (oid::UID, "UID"),
            (oid::CN, "CN"),
            (oid::UNIQUE_IDENTIFIER, "uniqueIdentifier"),
        ] {
            match count(wanted) {
                0 => return Err(NameError::MissingAttribute(label)),
                1 => {}
                _ => return Err(NameError::DuplicateAttribute(label)),
            }
        }
    }
    Ok(())
}

/// The domain spelled by DC attributes in DER order (most significant label first).
fn domain_from_dcs(
    dcs: &[AttributeTypeAndValue],
    strictness: Strictness,
) -> Result<DomainName, NameError> {
    let mut labels = Vec::with_capacity(dcs.len());
    for dc in dcs.iter().rev() {
        let label = string_value(dc, "DC", strictness)?;
        if label.contains('.') || label.is_empty() {
            return Err(NameError::InvalidLabel {
                label: label.to_owned(),
            });
        }
        labels.push(label);
    }
    let joined = labels.join(".");
    match strictness {
        Strictness::Exact => DomainName::new_canonical(&joined),
        Strictness::Lenient => DomainName::new(&joined),
    }
}

/// The string inside an attribute value. Exact: the type docs/wire-contract.md §4.1 names for the
/// attribute. Lenient: UTF8String, PrintableString or IA5String.
fn string_value<'a>(
    attr: &'a AttributeTypeAndValue,
    label: &'static str,
    strictness: Strictness,
) -> Result<&'a str, NameError> {
    let expected = match label {
        "UID" | "CN" => Tag::Utf8String,
        _ => Tag::Ia5String,
    };
    let tag = attr.value.tag();
    if strictness == Strictness::Exact && tag != expected {
        let expected = if expected == Tag::Utf8String {
            "UTF8String"
        } else {
            "IA5String"
        };
        return Err(NameError::WrongStringType {
            attribute: label,
            expected,
        });
    }
    let undecodable = |_| NameError::UndecodableValue(label);
    match tag {
        Tag::Utf8String => attr
            .value
            .decode_as::<Utf8StringRef<'_>>()
            .map(|s| s.as_str()),
        Tag::Ia5String => attr
            .value
            .decode_as::<Ia5StringRef<'_>>()
            .map(|s| s.as_str()),
        Tag::PrintableString => attr
            .value
            .decode_as::<PrintableStringRef<'_>>()
            .map(|s| s.as_str()),
        _ => return Err(NameError::UndecodableValue(label)),
    }
    .map_err(undecodable)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use der::Encode;

    use super::*;

    fn alice() -> ActorDn {
        ActorDn::new(
            FederationId::new("alice@example.com").unwrap(),
            SessionId::new("sess1").unwrap(),
        )
    }

    #[test]
    fn actor_name_has_the_contract_layout() {
        let name = alice().to_name().unwrap();
        assert_eq!(
            name.to_string(),
            "UNIQUEIDENTIFIER=sess1,CN=alice,UID=alice@example.com,DC=example,DC=com"
        );
        let rdns: Vec<_> = name.iter().map(|atv| (atv.oid, atv.value.tag())).collect();
        assert_eq!(
            rdns,
            [
                (oid::DC, Tag::Ia5String),
                (oid::DC, Tag::Ia5String),
                (oid::UID, Tag::Utf8String),
                (oid::CN, Tag::Utf8String),
                (oid::UNIQUE_IDENTIFIER, Tag::Ia5String),
            ]
        );
        // The most significant label comes first in DER.
        let der = name.to_der().unwrap();
        let com = der.windows(3).position(|w| w == b"com").unwrap();
        let example = der.windows(7).position(|w| w == b"example").unwrap();
        assert!(com < example);
        assert_eq!(ActorDn::from_name(&name).unwrap(), alice());
    }

    #[test]
    fn home_server_name_round_trips() {
        let dn = HomeServerDn::new(DomainName::new("a.example.com").unwrap());
        let name = dn.to_name().unwrap();
        assert_eq!(name.to_string(), "DC=a,DC=example,DC=com");
        assert_eq!(HomeServerDn::from_name(&name).unwrap(), dn);
        assert!(matches!(
            HomeServerDn::from_name(&alice().to_name().unwrap()),
            Err(NameError::UnexpectedAttribute(_))
        ));
    }

    #[test]
    fn strict_parsing_refuses_other_layouts() {
        // CN before UID (RFC 4514 strings list the most specific RDN first).
        let swapped = Name::from_str(
            "uniqueIdentifier=#160173,UID=alice@example.com,CN=alice,DC=example,DC=com",
        )
        .unwrap();
        assert!(matches!(
            ActorDn::from_name(&swapped),
            Err(NameError::RdnOrder(_))
        ));
        // Name::from_str encodes uniqueIdentifier as UTF8String.
        let utf8_session =
            Name::from_str("uniqueIdentifier=s,CN=alice,UID=alice@example.com,DC=example,DC=com")
                .unwrap();
        assert!(matches!(
            ActorDn::from_name(&utf8_session),
            Err(NameError::WrongStringType {
                attribute: "uniqueIdentifier",
                ..
            })
        ));
        // ... which a request may do.
        assert_eq!(
            ActorDn::from_request_name(&utf8_session)
                .unwrap()
                .session_id()
                .as_str(),
            "s"
        );
        let other_domain = Name::from_str(
            "uniqueIdentifier=#160173,CN=alice,UID=alice@example.com,DC=other,DC=org",
        )
        .unwrap();
        assert!(matches!(
            ActorDn::from_name(&other_domain),
            Err(NameError::DomainMismatch { .. })
        ));
        let wrong_cn = Name::from_str(
            "uniqueIdentifier=#160173,CN=bob,UID=alice@example.com,DC=example,DC=com",
        )
        .unwrap();
        assert!(matches!(
            ActorDn::from_name(&wrong_cn),
            Err(NameError::CommonNameMismatch { .. })
        ));
        let no_dc =
            Name::from_str("uniqueIdentifier=#160173,CN=alice,UID=alice@example.com").unwrap();
        assert!(matches!(
            ActorDn::from_name(&no_dc),
            Err(NameError::MissingAttribute("DC"))
        ));
        let extra = Name::from_str(
            "uniqueIdentifier=#160173,CN=alice,UID=alice@example.com,O=x,DC=example,DC=com",
        )
        .unwrap();
        assert!(matches!(
            ActorDn::from_name(&extra),
            Err(NameError::UnexpectedAttribute(_))
        ));
        let multi = Name::from_str(
            "uniqueIdentifier=#160173,CN=alice+UID=alice@example.com,DC=example,DC=com",
        )
        .unwrap();
        assert!(matches!(
            ActorDn::from_name(&multi),
            Err(NameError::MultiValuedRdn)
        ));
        let upper = Name::from_str(
            "uniqueIdentifier=#160173,CN=alice,UID=Alice@example.com,DC=example,DC=com",
        )
        .unwrap();
        assert!(matches!(
            ActorDn::from_name(&upper),
            Err(NameError::NotCanonical { .. })
        ));
        let dotted_dc = Name::from_str(
            "uniqueIdentifier=#160173,CN=alice,UID=alice@example.com,DC=example.com",
        )
        .unwrap();
        assert!(matches!(
            ActorDn::from_name(&dotted_dc),
            Err(NameError::InvalidLabel { .. })
        ));
    }
}
