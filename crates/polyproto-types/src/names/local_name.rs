//! Local names of actors.

use super::{NameError, string_newtype_impls};

/// The longest local name, in characters: the X.509 upper bound for a common name
/// (RFC 5280 Appendix A.1, `ub-common-name` = 64), since the local name is the actor's CN.
const MAX_LEN: usize = 64;
const WHAT: &str = "local name";

/// The local name of an actor: the part of a federation ID before the `@`, unique on its home
/// server (polyproto core §5, "Local Name"), and the CN of the actor's ID-Certs (§6.1.1.1).
///
/// 1 to 64 characters from the specification's set `a-z 0-9 . _ % + -`. Input is
/// case-insensitive and stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalName(String);

impl LocalName {
    /// Parses a local name, lowercasing it.
    ///
    /// # Errors
    /// [`NameError`] naming the rule the input breaks.
    pub fn new(input: &str) -> Result<Self, NameError> {
        if input.is_empty() {
            return Err(NameError::Empty { what: WHAT });
        }
        let len = input.chars().count();
        if len > MAX_LEN {
            return Err(NameError::TooLong {
                what: WHAT,
                len,
                max: MAX_LEN,
            });
        }
        if let Some(found) = input
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')))
        {
            return Err(NameError::InvalidCharacter { what: WHAT, found });
        }
        Ok(Self(input.to_ascii_lowercase()))
    }

    /// Parses a local name that must already be lowercase, as inside a signed certificate.
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

    /// The local name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype_impls!(LocalName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_specification_alphabet() {
        assert_eq!(
            LocalName::new("Alice.B_c%d+e-f9").unwrap().as_str(),
            "alice.b_c%d+e-f9"
        );
        assert_eq!(LocalName::new(&"a".repeat(64)).unwrap().as_str().len(), 64);
    }

    #[test]
    fn refuses_bad_names() {
        assert!(matches!(LocalName::new(""), Err(NameError::Empty { .. })));
        assert!(matches!(
            LocalName::new(&"a".repeat(65)),
            Err(NameError::TooLong { .. })
        ));
        assert!(matches!(
            LocalName::new("al ice"),
            Err(NameError::InvalidCharacter { found: ' ', .. })
        ));
        assert!(matches!(
            LocalName::new("alice@x"),
            Err(NameError::InvalidCharacter { found: '@', .. })
        ));
        assert!(matches!(
            LocalName::new("älice"),
            Err(NameError::InvalidCharacter { found: 'ä', .. })
        ));
    }
}
