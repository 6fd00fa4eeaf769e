//! [`Endpoint`]: a home server the suite talks to, addressed alike by the case runner and by
//! the reference SDK's calls.

use polyproto_types::DomainName;

/// A home server the suite talks to.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Its base URL, without a trailing slash.
    pub url: String,
    /// Its domain, read from its certificate.
    pub domain: DomainName,
}
