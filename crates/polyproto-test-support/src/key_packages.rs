//! Test support: builds real KeyPackages (RFC 9420 §10) with the openmls 0.9 client API and an
//! ed25519-dalek key, as a polyproto client would (polyproto-mls; docs/wire-contract.md §5.1).
//!
//! Compiled for this crate's tests and, for other crates' tests, with the `test-support`
//! feature. Functions here panic on failure: they are meant for tests only.

use std::time::{SystemTime, UNIX_EPOCH};

use ed25519_dalek::{Signer as _, SigningKey};
use openmls::prelude::{
    BasicCredential, Capabilities, Ciphersuite, Credential, CredentialType, CredentialWithKey,
    ExtensionType, Extensions, KeyPackage, LeafNode, Lifetime, MlsMessageOut,
};
use openmls_rust_crypto::OpenMlsRustCrypto;
use openmls_traits::signatures::{Signer, SignerError};
use openmls_traits::types::SignatureScheme;

/// Length of the `MLSMessage` header (`version`, `wire_format`) in front of a KeyPackage
/// (RFC 9420 §6): strip it to get the bare form.
pub const MLS_MESSAGE_HEADER_LEN: usize = 4;

/// An ed25519-dalek 3 key as an openmls [`Signer`] (RFC 9420 §5.1.2 `SignWithLabel`: openmls
/// passes the complete `SignContent`, which is signed as-is with pure Ed25519).
#[derive(Debug, Clone)]
pub struct Ed25519Signer(pub SigningKey);

impl Signer for Ed25519Signer {
    fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, SignerError> {
        Ok(self.0.sign(payload).to_bytes().to_vec())
    }

    fn signature_scheme(&self) -> SignatureScheme {
        SignatureScheme::ED25519
    }
}

/// The current unix time in seconds.
///
/// # Panics
/// If the system clock is before 1970.
#[must_use]
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("system clock is after 1970")
        .as_secs()
}

/// A deterministic Ed25519 key whose 32-byte seed is `seed` repeated.
#[must_use]
pub fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// An MLS basic credential (RFC 9420 §5.3) with `identity` as its bytes.
#[must_use]
pub fn basic_credential(identity: &str) -> Credential {
    BasicCredential::new(identity.as_bytes().to_vec()).into()
}

/// An MLS X.509 credential (RFC 9420 §5.3) carrying `chain` (DER, end-entity first).
///
/// # Panics
/// If a certificate is too large for an MLS vector (2^30 bytes).
#[must_use]
pub fn x509_credential(chain: &[&[u8]]) -> Credential {
    use tls_codec::Serialize as _;
    let mut content = Vec::new();
    for der in chain {
        let encoded = tls_codec::VLBytes::new(der.to_vec())
            .tls_serialize_detached()
            .expect("certificate fits an MLS vector");
        content.extend_from_slice(&encoded);
    }
    Credential::new(CredentialType::X509, content)
}

/// What to put into a KeyPackage built by [`TestKeyPackage::build`].
#[derive(Debug, Clone)]
pub struct TestKeyPackage {
    /// Signs the package; its public key becomes the leaf `signature_key`.
    pub signing_key: SigningKey,
    /// The leaf credential (see [`basic_credential`], [`x509_credential`]).
    pub credential: Credential,
    /// Lifetime start, unix seconds.
    pub not_before: u64,
    /// Lifetime end, unix seconds.
    pub not_after: u64,
    /// Add the `last_resort` extension (and, with default capabilities, list it there).
    pub last_resort: bool,
    /// Ciphersuite value (RFC 9420 §17.1); it must use Ed25519 signatures.
    pub ciphersuite: u16,
    /// Leaf capabilities; `None` means openmls' defaults (versions `[mls10]`, suites `[1, 2, 3]`)
    /// plus the own ciphersuite, the credential's own type as the only credential type and,
    /// for last-resort packages, `last_resort` in the extensions.
    pub capabilities: Option<Capabilities>,
    /// Leaf node extensions; `None` for none.
    pub leaf_extensions: Option<Extensions<LeafNode>>,
}

impl TestKeyPackage {
    /// A normal (not last-resort) ciphersuite 0x0001 package with a basic credential for
    /// `identity`, valid from an hour ago for 30 days.
    #[must_use]
    pub fn basic(signing_key: &SigningKey, identity: &str) -> Self {
        let now = unix_now();
        Self {
            signing_key: signing_key.clone(),
            credential: basic_credential(identity),
            not_before: now.saturating_sub(3600),
            not_after: now + 30 * 24 * 3600,
            last_resort: false,
            ciphersuite: 0x0001,
            capabilities: None,
            leaf_extensions: None,
        }
    }

    /// The capabilities [`Self::build`] uses when [`Self::capabilities`] is `None`.
    ///
    /// # Panics
    /// If [`Self::ciphersuite`] is unknown to openmls.
    #[must_use]
    pub fn default_capabilities(&self) -> Capabilities {
        let own = self.suite();
        let mut suites = vec![
            Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519,
            Ciphersuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
            Ciphersuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519,
        ];
        if !suites.contains(&own) {
            suites.push(own);
        }
        let extensions = if self.last_resort {
            vec![ExtensionType::LastResort]
        } else {
            Vec::new()
        };
        Capabilities::builder()
            .ciphersuites(suites)
            .credentials(vec![self.credential.credential_type()])
            .extensions(extensions)
            .build()
    }

    fn suite(&self) -> Ciphersuite {
        Ciphersuite::try_from(self.ciphersuite).expect("ciphersuite known to openmls")
    }

    /// Builds the package with a throwaway provider; returns the `MLSMessage` bytes
    /// (wire format `mls_key_package`, starting `00 01 00 05`).
    ///
    /// # Panics
    /// If openmls refuses to build the package.
    #[must_use]
    pub fn build(&self) -> Vec<u8> {
        self.build_with(&OpenMlsRustCrypto::default())
    }

    /// Builds the package with `provider`, which keeps the private init and encryption keys so
    /// that the owner can later join a group from a Welcome; returns the `MLSMessage` bytes.
    ///
    /// # Panics
    /// If openmls refuses to build the package.
    #[must_use]
    pub fn build_with(&self, provider: &OpenMlsRustCrypto) -> Vec<u8> {
        let capabilities = self
            .capabilities
            .clone()
            .unwrap_or_else(|| self.default_capabilities());
        let mut builder = KeyPackage::builder()
            .key_package_lifetime(Lifetime::init(self.not_before, self.not_after))
            .leaf_node_capabilities(capabilities);
        if let Some(extensions) = &self.leaf_extensions {
            builder = builder.leaf_node_extensions(extensions.clone());
        }
        if self.last_resort {
            builder = builder.mark_as_last_resort();
        }
        let credential_with_key = CredentialWithKey {
            credential: self.credential.clone(),
            signature_key: self.signing_key.verifying_key().to_bytes().to_vec().into(),
        };
        let bundle = builder
            .build(
                self.suite(),
                provider,
                &Ed25519Signer(self.signing_key.clone()),
                credential_with_key,
            )
            .expect("openmls builds the KeyPackage");
        MlsMessageOut::from(bundle)
            .to_bytes()
            .expect("a KeyPackage MLSMessage serializes")
    }
}

/// Builds a KeyPackage with a basic credential for `identity`, signed by `signing_key`, valid
/// `not_before..not_after` (unix seconds), optionally last-resort, in `ciphersuite`; returns the
/// `MLSMessage` bytes (strip [`MLS_MESSAGE_HEADER_LEN`] bytes for the bare form).
///
/// # Panics
/// If openmls refuses to build the package (e.g. a non-Ed25519 ciphersuite).
#[must_use]
pub fn build_key_package(
    signing_key: &SigningKey,
    identity: &str,
    not_before: u64,
    not_after: u64,
    last_resort: bool,
    ciphersuite: u16,
) -> Vec<u8> {
    TestKeyPackage {
        not_before,
        not_after,
        last_resort,
        ciphersuite,
        ..TestKeyPackage::basic(signing_key, identity)
    }
    .build()
}
