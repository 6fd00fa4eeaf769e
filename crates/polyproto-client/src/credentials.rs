//! The credentials a session holds, as plain data: its bearer [`Token`], and the
//! [`ForeignSession`]s it signed in to at other home servers.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A session's bearer token (docs/wire-contract.md §3.1). `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    /// Wraps a token string.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token, as sent in `Authorization: Bearer`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<hidden>)")
    }
}

/// A session at a foreign home server, from a sign-in with a challenge (polyproto core
/// §4.1.1; docs/wire-contract.md §3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignSession {
    /// The foreign server's base URL.
    pub server_url: String,
    /// The foreign session's bearer token.
    pub token: Token,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token() {
        assert_eq!(format!("{:?}", Token::new("secret")), "Token(<hidden>)");
    }
}
