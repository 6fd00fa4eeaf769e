//! Session IDs.

use super::{NameError, string_newtype_impls};

/// The longest session ID (polyproto core §6.1.1.3).
pub(crate) const MAX_LEN: usize = 32;
const WHAT: &str = "session ID";

/// A session ID: the `uniqueIdentifier` of an actor's ID-Cert, chosen by the client, unique
/// among the actor's live sessions (polyproto core §6.1.1.3).
///
/// 1 to 32 characters. The specification allows any IA5String character; this type accepts
/// the visible ASCII characters (`!` to `~`) and refuses spaces and control characters, which
/// no client generates and which cannot travel safely through headers, logs and file names.
/// Session IDs are case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// Parses a session ID.
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
        if let Some(found) = input.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(NameError::InvalidCharacter { what: WHAT, found });
        }
        Ok(Self(input.to_owned()))
    }

    /// A fresh random session ID of 16 alphanumeric characters (about 95 bits).
    ///
    /// # Panics
    /// If the operating system's random number generator fails, which leaves no safe way on.
    pub fn generate() -> Self {
        Self(crate::random::alphanumeric(16))
    }

    /// The session ID as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype_impls!(SessionId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_1_to_32_visible_characters() {
        assert!(SessionId::new("a").is_ok());
        assert!(SessionId::new(&"x".repeat(32)).is_ok());
        assert_eq!(
            SessionId::new("Mixed-Case_1!").unwrap().as_str(),
            "Mixed-Case_1!"
        );
        let generated = SessionId::generate();
        assert_eq!(generated.as_str().len(), 16);
        assert_ne!(generated, SessionId::generate());
    }

    #[test]
    fn refuses_33_characters_and_invisible_ones() {
        assert!(matches!(
            SessionId::new(&"x".repeat(33)),
            Err(NameError::TooLong {
                len: 33,
                max: 32,
                ..
            })
        ));
        assert!(matches!(SessionId::new(""), Err(NameError::Empty { .. })));
        assert!(matches!(
            SessionId::new("a b"),
            Err(NameError::InvalidCharacter { .. })
        ));
        assert!(matches!(
            SessionId::new("a\nb"),
            Err(NameError::InvalidCharacter { .. })
        ));
        assert!(matches!(
            SessionId::new("é"),
            Err(NameError::InvalidCharacter { .. })
        ));
    }
}
