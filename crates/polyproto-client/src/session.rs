//! [`Session`]: an actor's signed-in session, its key, ID-Cert and token.

use ed25519_dalek::SigningKey;
use polyproto_types::key_package::KeyPackagePayload;
use polyproto_types::names::ActorDn;
use polyproto_types::{FederationId, IdCert, IdCsr, LocalName, SessionId};

use crate::client::{ActorCertQuery, Client};
use crate::credentials::{ForeignSession, Token};
use crate::error::ClientError;
use crate::mls::{self, ClaimedKeyPackage, KeyPackageOptions, MlsKeyStore};
use crate::store::Profile;
use crate::verify::{VerifiedIdCert, VerifyError};

/// Rotate a session's key when its ID-Cert expires within this many seconds (7 days).
pub const ROTATE_BEFORE_SECS: u64 = 7 * 24 * 3600;

/// A signed-in session of an actor at its home server.
#[derive(Debug, Clone)]
pub struct Session {
    client: Client,
    fid: FederationId,
    session_id: SessionId,
    key: SigningKey,
    cert: IdCert,
    token: Token,
}

impl Session {
    /// Signs `name` in at `client`'s server with a new Ed25519 key and session ID (random if
    /// `None`): the server's domain comes from its verified certificate, the CSR names the
    /// actor, and the ID-Cert that comes back is verified.
    ///
    /// # Errors
    /// [`ClientError::Api`] with e.g. `P2CORE_INVALID_CREDENTIALS` or
    /// `P2CORE_SESSION_ID_IN_USE`; [`ClientError::Verify`].
    pub async fn login(
        client: &Client,
        name: &LocalName,
        password: &str,
        session_id: Option<SessionId>,
    ) -> Result<Self, ClientError> {
        let key = new_key()?;
        Self::login_with_key(client, name, password, session_id, key).await
    }

    /// As [`Session::login`], with a given key (for tests and recorded fixtures).
    ///
    /// # Errors
    /// As [`Session::login`].
    pub async fn login_with_key(
        client: &Client,
        name: &LocalName,
        password: &str,
        session_id: Option<SessionId>,
        key: SigningKey,
    ) -> Result<Self, ClientError> {
        let server = client.get_server_id_cert(None).await?;
        let fid = FederationId::from_parts(name.clone(), server.cert.issuer_domain().clone());
        let session_id = session_id.unwrap_or_else(SessionId::generate);
        let csr = csr_for(&key, &fid, &session_id)?;
        let (token, cert) = client.create_session(name, password, Some(&csr)).await?;
        let Some(cert) = cert else {
            return Err(ClientError::UnexpectedResponse {
                route: polyproto_types::api::create_session::ROUTE.name,
                status: polyproto_types::api::create_session::ROUTE.success,
                reason: "no ID-Cert for the CSR sent".to_owned(),
            });
        };
        Ok(Self {
            client: client.clone(),
            fid,
            session_id,
            key,
            cert: cert.cert,
            token,
        })
    }

    /// A session restored from a saved [`Profile`], talking through `client`.
    pub fn from_profile(client: Client, profile: Profile) -> Self {
        Self {
            client,
            fid: profile.fid,
            session_id: profile.session_id,
            key: profile.key,
            cert: profile.cert,
            token: profile.token,
        }
    }

    /// The session as a [`Profile`] to save, with its foreign sessions.
    pub fn to_profile(&self, foreign: Vec<ForeignSession>) -> Profile {
        Profile {
            server_url: self.client.base_url().to_owned(),
            fid: self.fid.clone(),
            session_id: self.session_id.clone(),
            token: self.token.clone(),
            key: self.key.clone(),
            cert: self.cert.clone(),
            foreign,
        }
    }

    /// The client of the home server.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The actor.
    pub fn fid(&self) -> &FederationId {
        &self.fid
    }

    /// The session ID.
    pub fn session_id(&self) -> &SessionId {
        &self.session_id
    }

    /// The session's Ed25519 key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The session's current ID-Cert.
    pub fn cert(&self) -> &IdCert {
        &self.cert
    }

    /// The session's bearer token.
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// Seconds until the ID-Cert expires (0 if it has).
    pub fn expires_in(&self) -> u64 {
        self.cert
            .validity()
            .not_after
            .saturating_sub(self.client.clock().now())
    }

    /// Whether the ID-Cert expires within `before_secs` (see [`ROTATE_BEFORE_SECS`]).
    pub fn needs_rotation(&self, before_secs: u64) -> bool {
        self.expires_in() <= before_secs
    }

    /// Rotates the session's key (seed S1): a new key and CSR; the new ID-Cert is verified and
    /// the new token replaces the old one. `password` is the sensitive-action factor (a server
    /// setting may drop the requirement).
    ///
    /// # Errors
    /// [`ClientError::Api`] with e.g. `P2CORE_SENSITIVE_SOLUTION_REQUIRED`;
    /// [`ClientError::Verify`].
    pub async fn rotate(&mut self, password: Option<&str>) -> Result<(), ClientError> {
        let key = new_key()?;
        let csr = csr_for(&key, &self.fid, &self.session_id)?;
        let (cert, token) = self
            .client
            .rotate_session_id_cert(&self.token, password, &csr)
            .await?;
        self.key = key;
        self.cert = cert.cert;
        self.token = token;
        Ok(())
    }

    /// Rotates when the ID-Cert expires within `before_secs`; answers whether it did.
    ///
    /// # Errors
    /// As [`Session::rotate`].
    pub async fn rotate_if_expiring(
        &mut self,
        password: Option<&str>,
        before_secs: u64,
    ) -> Result<bool, ClientError> {
        if !self.needs_rotation(before_secs) {
            return Ok(false);
        }
        self.rotate(password).await.map(|()| true)
    }

    /// Logs out: the token, the ID-Cert and the session's KeyPackages end.
    ///
    /// # Errors
    /// [`ClientError::Api`] with `P2CORE_UNAUTHORIZED` if the token already ended.
    pub async fn logout(self) -> Result<(), ClientError> {
        self.client.revoke_session(&self.token).await
    }

    /// Ends another session of the actor (or this one) by ID, a sensitive action.
    ///
    /// # Errors
    /// [`ClientError::Api`] with e.g. `P2CORE_SESSION_NOT_FOUND`.
    pub async fn delete_session(
        &self,
        password: &str,
        session_id: &SessionId,
    ) -> Result<(), ClientError> {
        self.client
            .delete_session(&self.token, password, session_id)
            .await
    }

    /// The session's ID-Cert as the home server lists it now, verified; refused if the
    /// server no longer lists it (rotated elsewhere, invalidated).
    ///
    /// # Errors
    /// [`ClientError::Verify`]; [`ClientError::Api`].
    pub async fn check_cert(&self) -> Result<VerifiedIdCert, ClientError> {
        let query = ActorCertQuery {
            session_id: Some(self.session_id.clone()),
            ..ActorCertQuery::default()
        };
        let listed = self.client.get_actor_id_certs(&self.fid, &query).await?;
        listed
            .into_iter()
            .find(|v| v.cert == self.cert)
            .ok_or(ClientError::Verify(VerifyError::NotListed))
    }

    /// Builds `count` KeyPackages for the session key (private keys kept in `store`) and
    /// uploads them.
    ///
    /// # Errors
    /// [`ClientError::Mls`]; [`ClientError::Api`] with e.g. `P2CORE_KEYPACKAGE_LIMIT`.
    pub async fn upload_key_packages(
        &self,
        store: &MlsKeyStore,
        count: usize,
        options: KeyPackageOptions,
    ) -> Result<Vec<KeyPackagePayload>, ClientError> {
        let packages = store.key_packages(&self.key, &self.fid, count, options)?;
        self.client.add_key_packages(&self.token, &packages).await?;
        Ok(packages)
    }

    /// Builds a last-resort KeyPackage (private keys kept in `store`) and makes it the
    /// session's last-resort package (seed S3).
    ///
    /// # Errors
    /// As [`Session::upload_key_packages`].
    pub async fn replace_last_resort_key_package(
        &self,
        store: &MlsKeyStore,
        options: KeyPackageOptions,
    ) -> Result<KeyPackagePayload, ClientError> {
        let options = KeyPackageOptions {
            last_resort: true,
            ..options
        };
        let mut packages = store.key_packages(&self.key, &self.fid, 1, options)?;
        let package = packages
            .pop()
            .ok_or_else(|| ClientError::InvalidInput("no KeyPackage was built".to_owned()))?;
        self.client
            .replace_last_resort_key_package(&self.token, &package)
            .await?;
        Ok(package)
    }

    /// Claims one KeyPackage per live session of `fid` and checks each: valid, and bound to
    /// one of the actor's current ID-Certs (fetched and verified).
    ///
    /// # Errors
    /// [`ClientError::Api`] with `P2CORE_ACTOR_NOT_FOUND`; [`ClientError::Mls`] for a package
    /// that fails.
    pub async fn claim_key_packages(
        &self,
        fid: &FederationId,
        ciphersuites: Option<&str>,
    ) -> Result<Vec<ClaimedKeyPackage>, ClientError> {
        let packages = self
            .client
            .claim_key_packages(&self.token, fid, ciphersuites)
            .await?;
        if packages.is_empty() {
            return Ok(Vec::new());
        }
        let certs = self
            .client
            .get_actor_id_certs(fid, &ActorCertQuery::default())
            .await?;
        Ok(mls::check_claimed(
            &packages,
            fid,
            &certs,
            self.client.clock().now(),
        )?)
    }

    /// Signs in at the foreign server `foreign` (polyproto core §4.1.1): gets a challenge,
    /// signs it with the session key, presents the ID-Cert.
    ///
    /// # Errors
    /// [`ClientError::Api`] with e.g. `P2CORE_INVALID_ID_CERT` when the foreign server cannot
    /// verify the certificate with the home server.
    pub async fn sign_in_foreign(&self, foreign: &Client) -> Result<ForeignSession, ClientError> {
        let challenge = foreign.get_challenge().await?;
        let solved = challenge.challenge.sign(&self.key);
        let token = foreign.identify(&solved, &self.cert).await?;
        Ok(ForeignSession {
            server_url: foreign.base_url().to_owned(),
            token,
        })
    }

    /// Gives a foreign session the current ID-Cert, after a rotation.
    ///
    /// # Errors
    /// [`ClientError::Api`].
    pub async fn push_cert(&self, foreign: &ForeignSession) -> Result<(), ClientError> {
        self.client
            .for_server(&foreign.server_url)?
            .update_foreign_id_cert(&foreign.token, &self.cert)
            .await
    }
}

/// A CSR for `fid`'s session `session_id` with `key`.
fn csr_for(
    key: &SigningKey,
    fid: &FederationId,
    session_id: &SessionId,
) -> Result<IdCsr, ClientError> {
    IdCsr::new(key, &ActorDn::new(fid.clone(), session_id.clone()))
        .map_err(|e| ClientError::InvalidInput(format!("cannot build the CSR: {e}")))
}

/// A fresh Ed25519 key from the operating system's random number generator.
///
/// # Errors
/// [`ClientError::InvalidInput`] if the system has no randomness to give.
pub(crate) fn new_key() -> Result<SigningKey, ClientError> {
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut())
        .map_err(|e| ClientError::InvalidInput(format!("no randomness: {e}")))?;
    Ok(SigningKey::from_bytes(&seed))
}
