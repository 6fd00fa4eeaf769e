//! Names in polyproto: federation IDs and their parts, session IDs, and the polyproto
//! distinguished names (pDN) that carry them inside ID-Certs.
//!
//! Every type here is valid by construction (ARCHITECTURE rule 3): a value exists only if
//! its string satisfies the rules of the polyproto core specification, and every string is
//! kept in its canonical, lowercase form where the specification says names are
//! case-insensitive.

mod domain_name;
mod error;
mod federation_id;
mod local_name;
mod pdn;
mod session_id;

pub use domain_name::DomainName;
pub use error::NameError;
pub use federation_id::FederationId;
pub use local_name::LocalName;
pub use pdn::{ActorDn, HomeServerDn, oid};
pub use session_id::SessionId;

/// Implements `Display`, `FromStr`, `AsRef<str>`, `TryFrom<String>`, `TryFrom<&str>` and serde
/// (as a plain string) for a string newtype with a `new(&str) -> Result<Self, NameError>`
/// constructor and an `as_str()` accessor.
macro_rules! string_newtype_impls {
    ($ty:ty) => {
        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::core::str::FromStr for $ty {
            type Err = $crate::names::NameError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = $crate::names::NameError;

            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = $crate::names::NameError;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::new(&s)
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize<'de>>::deserialize(
                    deserializer,
                )?;
                Self::new(&s).map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use string_newtype_impls;
