//! Domain names of home servers.

use super::{NameError, string_newtype_impls};

/// The longest domain name DNS allows, in characters (RFC 1035 §2.3.4).
const MAX_LEN: usize = 253;
/// The longest DNS label (RFC 1035 §2.3.4).
const MAX_LABEL_LEN: usize = 63;
const WHAT: &str = "domain name";

/// The domain name of a polyproto home server: the part of a federation ID after the `@`
/// (polyproto core §5, "Domain Name").
///
/// A DNS name of one or more labels made of `a-z`, `0-9` and `-` (no label starts or ends with
/// a hyphen), at most 253 characters, never an IP address and never with a port (docs/wire-contract.md §2).
/// Input is case-insensitive and stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainName(String);

impl DomainName {
    /// Parses a domain name, lowercasing it.
    ///
    /// # Errors
    /// [`NameError`] naming the rule the input breaks.
    pub fn new(input: &str) -> Result<Self, NameError> {
        if input.is_empty() {
            return Err(NameError::Empty { what: WHAT });
        }
        if input.len() > MAX_LEN {
            return Err(NameError::TooLong {
                what: WHAT,
                len: input.len(),
                max: MAX_LEN,
            });
        }
        if let Some(found) = input
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
        {
            return Err(NameError::InvalidCharacter { what: WHAT, found });
        }
        let lower = input.to_ascii_lowercase();
        for label in lower.split('.') {
            if label.is_empty()
                || label.len() > MAX_LABEL_LEN
                || label.starts_with('-')
                || label.ends_with('-')
            {
                return Err(NameError::InvalidLabel {
                    label: label.to_owned(),
                });
            }
        }
        // A name whose last label is all digits is an IPv4 address (or not routable as a DNS
        // name at all); RFC 1123 §2.1 forbids all-numeric top-level labels.
        if lower
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(NameError::IpAddress(input.to_owned()));
        }
        Ok(Self(lower))
    }

    /// Parses a domain name that must already be in canonical lowercase form, as inside a
    /// signed certificate.
    pub(crate) fn new_canonical(input: &str) -> Result<Self, NameError> {
        let name = Self::new(input)?;
        if name.0 != input {
            return Err(NameError::NotCanonical {
                what: WHAT,
                value: input.to_owned(),
            });
        }
        Ok(name)
    }

    /// The domain name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The labels, most specific first: `a.example.com` gives `a`, `example`, `com`.
    pub fn labels(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        self.0.split('.')
    }
}

string_newtype_impls!(DomainName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_lowercases() {
        assert_eq!(
            DomainName::new("Example.COM").unwrap().as_str(),
            "example.com"
        );
        assert_eq!(DomainName::new("localhost").unwrap().as_str(), "localhost");
        assert_eq!(
            DomainName::new("a-b.c0.localhost").unwrap().as_str(),
            "a-b.c0.localhost"
        );
        let domain = DomainName::new("a.example.com").unwrap();
        let labels: Vec<_> = domain.labels().collect();
        assert_eq!(labels, ["a", "example", "com"]);
    }

    #[test]
    fn refuses_bad_names() {
        assert!(matches!(DomainName::new(""), Err(NameError::Empty { .. })));
        assert!(matches!(
            DomainName::new("a..b"),
            Err(NameError::InvalidLabel { .. })
        ));
        assert!(matches!(
            DomainName::new("-a.b"),
            Err(NameError::InvalidLabel { .. })
        ));
        assert!(matches!(
            DomainName::new("a-.b"),
            Err(NameError::InvalidLabel { .. })
        ));
        assert!(matches!(
            DomainName::new("a.b."),
            Err(NameError::InvalidLabel { .. })
        ));
        assert!(matches!(
            DomainName::new("127.0.0.1"),
            Err(NameError::IpAddress(_))
        ));
        assert!(matches!(
            DomainName::new("example.com:8080"),
            Err(NameError::InvalidCharacter { found: ':', .. })
        ));
        assert!(matches!(
            DomainName::new("exa_mple.com"),
            Err(NameError::InvalidCharacter { found: '_', .. })
        ));
        let long_label = format!("{}.com", "a".repeat(64));
        assert!(matches!(
            DomainName::new(&long_label),
            Err(NameError::InvalidLabel { .. })
        ));
        let long = ["abcdefghi"; 26].join(".");
        assert!(matches!(
            DomainName::new(&long),
            Err(NameError::TooLong { .. })
        ));
    }

    #[test]
    fn canonical_form_is_required_inside_certificates() {
        assert!(DomainName::new_canonical("example.com").is_ok());
        assert!(matches!(
            DomainName::new_canonical("Example.com"),
            Err(NameError::NotCanonical { .. })
        ));
    }
}
