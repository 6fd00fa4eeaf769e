//! Federation IDs.

use super::{DomainName, LocalName, NameError};

/// A federation ID (FID), `local@domain`: the globally unique name of an actor
/// (polyproto core §5). Case-insensitive, stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FederationId {
    local: LocalName,
    domain: DomainName,
    /// `local@domain`, kept so that `as_str` borrows instead of formatting.
    full: String,
}

impl FederationId {
    /// Parses `local@domain`, lowercasing it.
    ///
    /// # Errors
    /// [`NameError::MissingSeparator`] without exactly one `@`, or the error of the part that
    /// is invalid.
    pub fn new(input: &str) -> Result<Self, NameError> {
        let Some((local, domain)) = input.split_once('@') else {
            return Err(NameError::MissingSeparator(input.to_owned()));
        };
        if domain.contains('@') {
            return Err(NameError::MissingSeparator(input.to_owned()));
        }
        Ok(Self::from_parts(
            LocalName::new(local)?,
            DomainName::new(domain)?,
        ))
    }

    /// Parses a federation ID that must already be lowercase, as inside a signed certificate.
    pub(crate) fn new_canonical(input: &str) -> Result<Self, NameError> {
        let fid = Self::new(input)?;
        if fid.full != input {
            return Err(NameError::NotCanonical {
                what: "federation ID",
                value: input.to_owned(),
            });
        }
        Ok(fid)
    }

    /// Joins a local name and a domain.
    pub fn from_parts(local: LocalName, domain: DomainName) -> Self {
        let full = format!("{local}@{domain}");
        Self {
            local,
            domain,
            full,
        }
    }

    /// The local name, before the `@`.
    pub fn local_name(&self) -> &LocalName {
        &self.local
    }

    /// The domain of the actor's home server, after the `@`.
    pub fn domain(&self) -> &DomainName {
        &self.domain
    }

    /// `local@domain`.
    pub fn as_str(&self) -> &str {
        &self.full
    }
}

super::string_newtype_impls!(FederationId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_lowercases() {
        let fid = FederationId::new("Alice@Example.com").unwrap();
        assert_eq!(fid.as_str(), "alice@example.com");
        assert_eq!(fid.local_name().as_str(), "alice");
        assert_eq!(fid.domain().as_str(), "example.com");
        assert_eq!(fid.to_string(), "alice@example.com");
        assert_eq!(
            serde_json::to_string(&fid).unwrap(),
            "\"alice@example.com\""
        );
        let back: FederationId = serde_json::from_str("\"ALICE@example.com\"").unwrap();
        assert_eq!(back, fid);
    }

    #[test]
    fn refuses_bad_ids() {
        assert!(matches!(
            FederationId::new("alice"),
            Err(NameError::MissingSeparator(_))
        ));
        assert!(matches!(
            FederationId::new("a@b@c"),
            Err(NameError::MissingSeparator(_))
        ));
        assert!(matches!(
            FederationId::new("@example.com"),
            Err(NameError::Empty { .. })
        ));
        assert!(matches!(
            FederationId::new("alice@"),
            Err(NameError::Empty { .. })
        ));
        assert!(FederationId::new("alice@example.com:443").is_err());
        assert!(FederationId::new("alice@127.0.0.1").is_err());
        assert!(serde_json::from_str::<FederationId>("\"nope\"").is_err());
    }
}
