//! The error type of every name parser.

use thiserror::Error;

/// Why a string or an X.509 `Name` is not a valid polyproto name.
///
/// Each rule has its own variant, so callers (and tests) can tell which rule a value broke.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NameError {
    /// The value is empty.
    #[error("the {what} is empty")]
    Empty {
        /// Which kind of name.
        what: &'static str,
    },
    /// The value is longer than the specification or X.509 allows.
    #[error("the {what} is {len} characters long; at most {max} are allowed")]
    TooLong {
        /// Which kind of name.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The largest length allowed.
        max: usize,
    },
    /// The value holds a character its kind does not allow.
    #[error("the {what} contains the character {found:?}, which is not allowed")]
    InvalidCharacter {
        /// Which kind of name.
        what: &'static str,
        /// The first offending character.
        found: char,
    },
    /// A domain label is empty, too long, or starts or ends with a hyphen (RFC 1035 §2.3.1).
    #[error("the domain label {label:?} is not a valid DNS label")]
    InvalidLabel {
        /// The offending label.
        label: String,
    },
    /// The domain is an IP address; polyproto domains are DNS names (docs/wire-contract.md §2).
    #[error("{0:?} is an IP address, but a polyproto domain must be a DNS name")]
    IpAddress(String),
    /// A federation ID without exactly one `@` between a local name and a domain.
    #[error("a federation ID has the form local@domain, got {0:?}")]
    MissingSeparator(String),
    /// A relative distinguished name holds more or less than one attribute.
    #[error("every RDN of a polyproto distinguished name holds exactly one attribute")]
    MultiValuedRdn,
    /// The attributes of a distinguished name are not in the order of docs/wire-contract.md §4.1.
    #[error("the attributes of the distinguished name are out of order: {0}")]
    RdnOrder(&'static str),
    /// An attribute that a polyproto distinguished name of this kind must not hold.
    #[error("unexpected attribute {0} in a polyproto distinguished name")]
    UnexpectedAttribute(String),
    /// A required attribute is missing.
    #[error("the distinguished name has no {0} attribute")]
    MissingAttribute(&'static str),
    /// A required attribute appears more than once.
    #[error("the distinguished name has more than one {0} attribute")]
    DuplicateAttribute(&'static str),
    /// An attribute value is encoded with the wrong ASN.1 string type.
    #[error("the {attribute} attribute must be a {expected}")]
    WrongStringType {
        /// The attribute.
        attribute: &'static str,
        /// The string type docs/wire-contract.md §4.1 requires.
        expected: &'static str,
    },
    /// An attribute value is not a string at all, or not valid in its declared type.
    #[error("the {0} attribute value cannot be decoded as a string")]
    UndecodableValue(&'static str),
    /// The domain in the UID differs from the domain components.
    #[error("the UID names domain {uid_domain}, but the domain components spell {dc_domain}")]
    DomainMismatch {
        /// Domain of the federation ID in the UID attribute.
        uid_domain: String,
        /// Domain spelled by the DC attributes.
        dc_domain: String,
    },
    /// The common name differs from the local name of the UID.
    #[error("the common name {cn:?} differs from the local name of the federation ID {fid}")]
    CommonNameMismatch {
        /// The CN attribute.
        cn: String,
        /// The federation ID in the UID attribute.
        fid: String,
    },
    /// A value is valid only after normalisation, but a signed structure must carry it in its
    /// canonical (lowercase) form.
    #[error("the {what} {value:?} is not in canonical lowercase form")]
    NotCanonical {
        /// Which kind of name.
        what: &'static str,
        /// The value as found.
        value: String,
    },
    /// Building an X.509 name failed (not expected for validated input).
    #[error("cannot encode the distinguished name: {0}")]
    Encoding(String),
}
