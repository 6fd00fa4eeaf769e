//! [`Client`]: one typed method per route of docs/wire-contract.md §1, each built from its route constant in
//! [`polyproto_types::api`] (ARCHITECTURE rule 2: no path is written here).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::VerifyingKey;
use ed25519_dalek::pkcs8::DecodePublicKey as _;
use polyproto_types::api::error::{ErrorCode, Problem};
use polyproto_types::api::{
    self, Method, Route, TimestampQuery, TokenResponse, add_key_packages, claim_key_packages,
    create_id_cert, create_session, delete_session, get_actor_id_certs, get_challenge,
    get_server_id_cert, headers, health, identify, register, replace_last_resort_key_package,
    revoke_session, rotate_server_key, rotate_session_id_cert, update_foreign_id_cert, well_known,
};
use polyproto_types::challenge::{Challenge, CompletedChallenge};
use polyproto_types::key_package::KeyPackagePayload;
use polyproto_types::{
    CacheableIdCert, DomainName, FederationId, IdCert, IdCsr, LocalName, SessionId,
};
use serde::de::DeserializeOwned;

use crate::credentials::Token;
use crate::error::{ApiError, ClientError};
use crate::verify::{self, Clock, VerifiedIdCert, VerifyError};

/// The default time limit of one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The filters of an actor certificate lookup (`GET /.p2/core/v1/idcert/actor/{fid}`).
pub type ActorCertQuery = get_actor_id_certs::Query;

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base_url: String,
    timeout: Duration,
    clock: Clock,
    resolve: BTreeMap<String, String>,
}

impl ClientBuilder {
    /// The time limit of each request (default [`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The clock certificates are checked against (default the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Reaches the home server of `domain` at `base_url` instead of `https://<domain>`, for
    /// verifying certificates of actors of other servers (like the server's
    /// `federation.resolve` setting; for tests and development).
    #[must_use]
    pub fn resolve(mut self, domain: &str, base_url: &str) -> Self {
        self.resolve
            .insert(domain.to_ascii_lowercase(), trim_base(base_url));
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`ClientError::InvalidUrl`] if the base URL is not http(s); [`ClientError::InvalidInput`]
    /// if the TLS backend cannot be set up.
    pub fn build(self) -> Result<Client, ClientError> {
        check_url(&self.base_url)?;
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("polyproto-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::InvalidInput(format!("cannot set up HTTP: {e}")))?;
        Ok(Client {
            http,
            base: self.base_url,
            timeout: self.timeout,
            clock: self.clock,
            resolve: Arc::new(self.resolve),
        })
    }
}

/// A client of one home server: every route of the wire contract, typed. Cheap to clone.
///
/// Methods are named after the endpoint modules of [`polyproto_types::api`]; seed routes whose
/// wire form differs from the modern route have their own `_seed` method. Every ID-Cert in an
/// answer is verified ([`crate::verify`]) against its home server's certificate, fetched as
/// needed; an answer with one bad certificate is refused whole.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    timeout: Duration,
    clock: Clock,
    resolve: Arc<BTreeMap<String, String>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// A whole successful answer.
struct Answer {
    route: &'static str,
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| ClientError::UnexpectedResponse {
            route: self.route,
            status: self.status,
            reason: format!("{e}: {}", excerpt(&self.body)),
        })
    }

    fn text(&self) -> Result<&str, ClientError> {
        std::str::from_utf8(&self.body).map_err(|_| ClientError::UnexpectedResponse {
            route: self.route,
            status: self.status,
            reason: "the body is not UTF-8".to_owned(),
        })
    }

    fn unexpected(&self, reason: impl fmt::Display) -> ClientError {
        ClientError::UnexpectedResponse {
            route: self.route,
            status: self.status,
            reason: reason.to_string(),
        }
    }
}

impl Client {
    /// A client of the home server at `base_url` (e.g. `http://127.0.0.1:8080`), with the
    /// default settings.
    ///
    /// # Errors
    /// As [`ClientBuilder::build`].
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        Self::builder(base_url).build()
    }

    /// A builder for a client of the home server at `base_url`.
    pub fn builder(base_url: &str) -> ClientBuilder {
        ClientBuilder {
            base_url: trim_base(base_url),
            timeout: DEFAULT_TIMEOUT,
            clock: Clock::System,
            resolve: BTreeMap::new(),
        }
    }

    /// The server's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The clock certificates are checked against.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The same client (HTTP connections, settings) for another server.
    ///
    /// # Errors
    /// [`ClientError::InvalidUrl`].
    pub fn for_server(&self, base_url: &str) -> Result<Self, ClientError> {
        let base = trim_base(base_url);
        check_url(&base)?;
        Ok(Self {
            base,
            ..self.clone()
        })
    }

    // ---- Accounts and sessions (docs/wire-contract.md §1.3) ----

    /// `POST /.p2/core/v1/register`: creates the actor `name` with `password`.
    ///
    /// # Errors
    /// [`ClientError::Api`] with e.g. `P2CORE_FEDERATION_ID_TAKEN`; transport errors.
    pub async fn register(
        &self,
        name: &LocalName,
        password: &str,
    ) -> Result<register::Response, ClientError> {
        let body = register::Request {
            actor_name: name.to_string(),
            auth_payload: api::AuthPayload {
                password: password.to_owned(),
            },
        };
        let route = register::ROUTE;
        self.send(&route, self.request(&route, route.path).json(&body))
            .await?
            .json()
    }

    /// `POST /.p2/core/v1/session/trust`: signs in with a password. With a CSR, the session's
    /// ID-Cert comes back at once and is verified (issued by this server for the CSR's key,
    /// actor and session); without one the session is pending until
    /// [`Client::create_id_cert`].
    ///
    /// # Errors
    /// [`ClientError::Api`] with e.g. `P2CORE_INVALID_CREDENTIALS`; [`ClientError::Verify`].
    pub async fn create_session(
        &self,
        name: &LocalName,
        password: &str,
        csr: Option<&IdCsr>,
    ) -> Result<(Token, Option<VerifiedIdCert>), ClientError> {
        let body = create_session::Request {
            actor_name: name.to_string(),
            auth_payload: api::AuthPayload {
                password: password.to_owned(),
            },
            csr: csr.map(IdCsr::to_pem),
        };
        let route = create_session::ROUTE;
        let answer = self
            .send(&route, self.request(&route, route.path).json(&body))
            .await?;
        let response: create_session::Response = answer.json()?;
        let token = Token::new(response.token);
        let cert = match (csr, response.id_cert.or(response.id_cert_camel)) {
            (Some(csr), Some(pem)) => Some(self.verify_issued(&pem, csr).await?),
            (Some(_), None) => {
                return Err(answer.unexpected("a CSR was sent but no id_cert came back"));
            }
            (None, _) => None,
        };
        Ok((token, cert))
    }

    /// `PUT /.p2/core/v1/session/revoke`: logs out; the token, the session's ID-Cert and its
    /// KeyPackages end.
    ///
    /// # Errors
    /// [`ClientError::Api`] with `P2CORE_UNAUTHORIZED` for an unknown token.
    pub async fn revoke_session(&self, token: &Token) -> Result<(), ClientError> {
        let route = revoke_session::ROUTE;
        self.send(
            &route,
            self.request(&route, route.path).bearer_auth(token.as_str()),
        )
        .await
        .map(drop)
    }

    /// `DELETE /.p2/core/v1/session?sessionId=`: ends one of the actor's sessions, a sensitive
    /// action (`password` is the second factor).
    ///
    /// # Errors
    /// [`ClientError::Api`] with e.g. `P2CORE_SESSION_NOT_FOUND`,
    /// `P2CORE_SENSITIVE_SOLUTION_INVALID`.
    pub async fn delete_session(
        &self,
        token: &Token,
        password: &str,
        session_id: &SessionId,
    ) -> Result<(), ClientError> {
        let route = delete_session::ROUTE;
        let query = delete_session::Query {
            session_id: session_id.clone(),
        };
        let request = sensitive(self.request(&route, route.path), token, Some(password));
        self.send(&route, request.query(&query)).await.map(drop)
    }

    /// `GET /.p2/core/v1/challenge`: a challenge to sign for [`Client::identify`].
    ///
    /// # Errors
    /// Transport errors; [`ClientError::UnexpectedResponse`].
    pub async fn get_challenge(&self) -> Result<Challenge, ClientError> {
        self.challenge_at(&get_challenge::ROUTE).await
    }

    /// `GET /.p2/core/v1/session/auth`: the modern name of [`Client::get_challenge`].
    ///
    /// # Errors
    /// As [`Client::get_challenge`].
    pub async fn get_challenge_session_auth(&self) -> Result<Challenge, ClientError> {
        self.challenge_at(&get_challenge::ALIAS).await
    }

    async fn challenge_at(&self, route: &Route) -> Result<Challenge, ClientError> {
        self.send(route, self.request(route, route.path))
            .await?
            .json()
    }

    /// `POST /.p2/core/v1/session/identify`: signs in at a foreign server with a signed
    /// challenge and the actor's ID-Cert; answers the foreign session's token.
    ///
    /// # Errors
    /// [`ClientError::Api`] with e.g. `P2CORE_INVALID_CHALLENGE`, `P2CORE_INVALID_ID_CERT`.
    pub async fn identify(
        &self,
        completed: &CompletedChallenge,
        cert: &IdCert,
    ) -> Result<Token, ClientError> {
        self.identify_at(&identify::ROUTE, completed, cert).await
    }

    /// `POST /.p2/core/v1/session/auth`: the modern name of [`Client::identify`].
    ///
    /// # Errors
    /// As [`Client::identify`].
    pub async fn identify_session_auth(
        &self,
        completed: &CompletedChallenge,
        cert: &IdCert,
    ) -> Result<Token, ClientError> {
        self.identify_at(&identify::ALIAS, completed, cert).await
    }

    async fn identify_at(
        &self,
        route: &Route,
        completed: &CompletedChallenge,
        cert: &IdCert,
    ) -> Result<Token, ClientError> {
        let body = identify::Request {
            completed_challenge: completed.clone(),
            id_cert: cert.to_pem(),
            auth_payload: None,
        };
        let response: TokenResponse = self
            .send(route, self.request(route, route.path).json(&body))
            .await?
            .json()?;
        Ok(Token::new(response.token))
    }

    // ---- Certificates (docs/wire-contract.md §1.1, §1.2) ----

    /// `POST /.p2/core/v1/idcert`: an ID-Cert for the token's session. `password` (the
    /// sensitive-action factor) is needed except for a pending session's first certificate.
    /// The answer is verified against the CSR; the token stays valid.
    ///
    /// # Errors
    /// [`ClientError::Api`] with e.g. `P2CORE_CSR_SUBJECT_MISMATCH`; [`ClientError::Verify`].
    pub async fn create_id_cert(
        &self,
        token: &Token,
        csr: &IdCsr,
        password: Option<&str>,
    ) -> Result<VerifiedIdCert, ClientError> {
        let route = create_id_cert::ROUTE;
        let request = sensitive(self.request(&route, route.path), token, password)
            .header(reqwest::header::CONTENT_TYPE, "text/plain")
            .body(csr.to_pem());
        let response: create_id_cert::Response = self.send(&route, request).await?.json()?;
        self.verify_issued(&response.id_cert_camel, csr).await
    }

    /// Seed S1, `POST /.p2/core/v1/session/idcert`: rotates the session's key. Answers the new,
    /// verified ID-Cert and the new token; the old token stops working.
    ///
    /// # Errors
    /// [`ClientError::Api`] with e.g. `P2CORE_SENSITIVE_SOLUTION_REQUIRED`;
    /// [`ClientError::Verify`].
    pub async fn rotate_session_id_cert(
        &self,
        token: &Token,
        password: Option<&str>,
        csr: &IdCsr,
    ) -> Result<(VerifiedIdCert, Token), ClientError> {
        let route = rotate_session_id_cert::SEED;
        let body = rotate_session_id_cert::Request { csr: csr.to_pem() };
        let request = sensitive(self.request(&route, route.path), token, password).json(&body);
        let response: rotate_session_id_cert::Response =
            self.send(&route, request).await?.json()?;
        let cert = self.verify_issued(&response.id_cert, csr).await?;
        Ok((cert, Token::new(response.token)))
    }

    /// `POST /.p2/core/v1/key/server`: rotates the server's identity key (administrators).
    /// Answers the new self-signed server certificate, verified.
    ///
    /// # Errors
    /// [`ClientError::Api`] with e.g. `P2CORE_ADMIN_REQUIRED`; [`ClientError::Verify`].
    pub async fn rotate_server_key(
        &self,
        token: &Token,
        password: &str,
    ) -> Result<IdCert, ClientError> {
        let route = rotate_server_key::ROUTE;
        let request = sensitive(self.request(&route, route.path), token, Some(password));
        let answer = self.send(&route, request).await?;
        let cert = IdCert::from_pem(answer.text()?).map_err(VerifyError::Malformed)?;
        let now = self.clock.now();
        verify::home_server_cert(&cert, None, None, now, now)?;
        Ok(cert)
    }

    /// Seed S4, `PUT /p2core/key/server`: as [`Client::rotate_server_key`]; answers the new
    /// public key.
    ///
    /// # Errors
    /// As [`Client::rotate_server_key`].
    pub async fn rotate_server_key_seed(
        &self,
        token: &Token,
        password: &str,
    ) -> Result<VerifyingKey, ClientError> {
        let route = rotate_server_key::SEED;
        let request = sensitive(self.request(&route, route.path), token, Some(password));
        let answer = self.send(&route, request).await?;
        let pem: rotate_server_key::SeedResponse = answer.json()?;
        let key = VerifyingKey::from_public_key_pem(&pem)
            .map_err(|e| answer.unexpected(format!("not an Ed25519 public key: {e}")))?;
        if key.is_weak() {
            return Err(answer.unexpected("the new server key is weak"));
        }
        Ok(key)
    }

    /// `GET /.p2/core/v1/idcert/server[?timestamp=]`: the server's certificate, now or at `at`
    /// (UNIX seconds), verified: self-signed, cache signature, valid then.
    ///
    /// # Errors
    /// [`ClientError::Api`] with `P2CORE_CERTIFICATE_NOT_FOUND`; [`ClientError::Verify`].
    pub async fn get_server_id_cert(&self, at: Option<u64>) -> Result<VerifiedIdCert, ClientError> {
        self.server_cert_expecting(at, None).await
    }

    async fn server_cert_expecting(
        &self,
        at: Option<u64>,
        domain: Option<&DomainName>,
    ) -> Result<VerifiedIdCert, ClientError> {
        let route = get_server_id_cert::ROUTE;
        let request = self
            .request(&route, route.path)
            .query(&TimestampQuery { timestamp: at });
        let cacheable: CacheableIdCert = self.send(&route, request).await?.json()?;
        let now = self.clock.now();
        let moment = at.unwrap_or(now);
        let verified = verify::cacheable_home_server_cert(&cacheable, domain, moment, moment)
            .and_then(|verified| verify::cache_window(&cacheable, now).map(|()| verified))
            .map_err(|e| server_cert_error(domain, e))?;
        Ok(verified)
    }

    /// Seed S5, `GET /p2core/key/server[?timestamp=]`: the server's certificate from base64
    /// DER, verified: self-signed, valid then.
    ///
    /// # Errors
    /// As [`Client::get_server_id_cert`].
    pub async fn get_server_id_cert_seed(&self, at: Option<u64>) -> Result<IdCert, ClientError> {
        let route = get_server_id_cert::SEED;
        let request = self
            .request(&route, route.path)
            .query(&TimestampQuery { timestamp: at });
        let encoded: get_server_id_cert::SeedResponse = self.send(&route, request).await?.json()?;
        let cert = IdCert::from_pem_or_base64(&encoded).map_err(VerifyError::Malformed)?;
        let moment = at.unwrap_or_else(|| self.clock.now());
        verify::home_server_cert(&cert, None, None, moment, moment)?;
        Ok(cert)
    }

    /// `GET /.p2/core/v1/idcert/actor/{fid}`: the actor's certificates matching `query`, each
    /// verified against its home server (fetched from that server: this one, a
    /// [`ClientBuilder::resolve`] mapping, or `https://<domain>`). Without a time range: the
    /// certificates valid now; with one, those valid at some moment in it.
    ///
    /// # Errors
    /// [`ClientError::Api`] with `P2CORE_ACTOR_NOT_FOUND`; [`ClientError::Verify`].
    pub async fn get_actor_id_certs(
        &self,
        fid: &FederationId,
        query: &ActorCertQuery,
    ) -> Result<Vec<VerifiedIdCert>, ClientError> {
        let route = get_actor_id_certs::ROUTE;
        let path = route.path_with(&[("fid", fid.as_str())]);
        let request = self.request(&route, &path).query(query);
        let list: get_actor_id_certs::Response = self.send(&route, request).await?.json()?;
        let now = self.clock.now();
        let from = query.not_before.unwrap_or(now);
        let to = query.not_after.unwrap_or(if query.not_before.is_some() {
            u64::MAX
        } else {
            now
        });
        let mut issuers = self.issuers(fid.domain()).await?;
        let mut verified = Vec::with_capacity(list.len());
        for cacheable in &list {
            let cert = IdCert::from_pem(&cacheable.id_cert_pem).map_err(VerifyError::Malformed)?;
            check_subject(&cert, fid, query.session_id.as_ref())?;
            let issuer = issuers.for_cert(&cert).await?;
            verified.push(verify::cacheable_actor_cert(cacheable, &issuer, from, to)?);
            verify::cache_window(cacheable, now)?;
        }
        Ok(verified)
    }

    /// Seed S6, `GET /p2core/key/user/{user_id}[?timestamp=]`: the actor's certificates valid
    /// now or at `at`, from base64 DER, each verified against its home server. `user_id` is a
    /// federation ID or the numeric actor ID.
    ///
    /// # Errors
    /// As [`Client::get_actor_id_certs`].
    pub async fn get_actor_id_certs_seed(
        &self,
        user_id: &str,
        at: Option<u64>,
    ) -> Result<Vec<IdCert>, ClientError> {
        let route = get_actor_id_certs::SEED;
        let path = route.path_with(&[("user_id", user_id)]);
        let request = self
            .request(&route, &path)
            .query(&TimestampQuery { timestamp: at });
        let list: get_actor_id_certs::SeedResponse = self.send(&route, request).await?.json()?;
        let certs = list
            .iter()
            .map(|encoded| IdCert::from_pem_or_base64(encoded).map_err(VerifyError::Malformed))
            .collect::<Result<Vec<_>, _>>()?;
        let moment = at.unwrap_or_else(|| self.clock.now());
        let expected = FederationId::new(user_id).ok();
        let Some(first) = certs.first().and_then(IdCert::actor) else {
            if certs.is_empty() {
                return Ok(certs);
            }
            return Err(VerifyError::WrongProfile { expected: "actor" }.into());
        };
        let fid = expected.unwrap_or_else(|| first.fid().clone());
        let mut issuers = self.issuers(fid.domain()).await?;
        for cert in &certs {
            check_subject(cert, &fid, None)?;
            let issuer = issuers.for_cert(cert).await?;
            verify::actor_cert(cert, None, &issuer, moment, moment)?;
        }
        Ok(certs)
    }

    /// `PUT /.p2/core/v1/session/idcert/extern`: gives a foreign session (the token from
    /// [`Client::identify`]) the actor's new ID-Cert after a key rotation at home.
    ///
    /// # Errors
    /// [`ClientError::Api`] with e.g. `P2CORE_FOREIGN_SESSION_REQUIRED`.
    pub async fn update_foreign_id_cert(
        &self,
        token: &Token,
        cert: &IdCert,
    ) -> Result<(), ClientError> {
        self.foreign_cert_at(&update_foreign_id_cert::ROUTE, token, cert.to_pem())
            .await
    }

    /// Seed S7, `POST /p2core/session/idcert/extern`: as [`Client::update_foreign_id_cert`],
    /// with the certificate as base64 DER.
    ///
    /// # Errors
    /// As [`Client::update_foreign_id_cert`].
    pub async fn update_foreign_id_cert_seed(
        &self,
        token: &Token,
        cert: &IdCert,
    ) -> Result<(), ClientError> {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(cert.as_der());
        self.foreign_cert_at(&update_foreign_id_cert::SEED, token, encoded)
            .await
    }

    async fn foreign_cert_at(
        &self,
        route: &Route,
        token: &Token,
        body: String,
    ) -> Result<(), ClientError> {
        let request = self
            .request(route, route.path)
            .bearer_auth(token.as_str())
            .json(&body);
        self.send(route, request).await.map(drop)
    }

    // ---- KeyPackages (docs/wire-contract.md §1.1 S2, S3, S8, §1.2, §5) ----

    /// `POST /.p2/mls/v1/keypackages`: uploads KeyPackages for the token's session.
    ///
    /// # Errors
    /// [`ClientError::Api`] with `P2CORE_INVALID_KEYPACKAGE` and [`ApiError::invalid`] listing
    /// the bad ones, or `P2CORE_KEYPACKAGE_LIMIT`.
    pub async fn add_key_packages(
        &self,
        token: &Token,
        packages: &[KeyPackagePayload],
    ) -> Result<(), ClientError> {
        self.upload_at(&add_key_packages::ROUTE, token, packages)
            .await
    }

    /// Seed S2, `POST /.p2/core/v1/keypackage/@me`: as [`Client::add_key_packages`].
    ///
    /// # Errors
    /// As [`Client::add_key_packages`].
    pub async fn add_key_packages_seed(
        &self,
        token: &Token,
        packages: &[KeyPackagePayload],
    ) -> Result<(), ClientError> {
        self.upload_at(&add_key_packages::SEED, token, packages)
            .await
    }

    async fn upload_at(
        &self,
        route: &Route,
        token: &Token,
        packages: &[KeyPackagePayload],
    ) -> Result<(), ClientError> {
        let request = self
            .request(route, route.path)
            .bearer_auth(token.as_str())
            .json(packages);
        self.send(route, request).await.map(drop)
    }

    /// Seed S3, `PUT /.p2/core/v1/keypackage_lr`: replaces the session's last-resort
    /// KeyPackage (it must carry the `last_resort` extension).
    ///
    /// # Errors
    /// [`ClientError::Api`] with `P2CORE_INVALID_KEYPACKAGE`.
    pub async fn replace_last_resort_key_package(
        &self,
        token: &Token,
        package: &KeyPackagePayload,
    ) -> Result<(), ClientError> {
        let route = replace_last_resort_key_package::SEED;
        let request = self
            .request(&route, route.path)
            .bearer_auth(token.as_str())
            .json(package);
        self.send(&route, request).await.map(drop)
    }

    /// `GET /.p2/mls/v1/keypackages/{fid}[?ciphersuites=]`: claims one KeyPackage per live
    /// session of the actor. `ciphersuites` is a comma-separated list (`0x0001`, `1` or
    /// RFC 9420 names).
    ///
    /// # Errors
    /// [`ClientError::Api`] with `P2CORE_ACTOR_NOT_FOUND`.
    pub async fn claim_key_packages(
        &self,
        token: &Token,
        fid: &FederationId,
        ciphersuites: Option<&str>,
    ) -> Result<Vec<KeyPackagePayload>, ClientError> {
        let route = claim_key_packages::ROUTE;
        let path = route.path_with(&[("fid", fid.as_str())]);
        let query = claim_key_packages::Query {
            ciphersuites: ciphersuites.map(str::to_owned),
        };
        let request = self
            .request(&route, &path)
            .bearer_auth(token.as_str())
            .query(&query);
        self.send(&route, request).await?.json()
    }

    /// Seed S8, `GET /p2core/keypackage/{user_id}`: as [`Client::claim_key_packages`], by
    /// federation ID or numeric actor ID.
    ///
    /// # Errors
    /// As [`Client::claim_key_packages`].
    pub async fn claim_key_packages_seed(
        &self,
        token: &Token,
        user_id: &str,
    ) -> Result<Vec<KeyPackagePayload>, ClientError> {
        let route = claim_key_packages::SEED;
        let path = route.path_with(&[("user_id", user_id)]);
        let request = self.request(&route, &path).bearer_auth(token.as_str());
        self.send(&route, request).await?.json()
    }

    // ---- Discovery and health ----

    /// `GET /.well-known/polyproto-core`: where the server's API lives.
    ///
    /// # Errors
    /// Transport errors; [`ClientError::UnexpectedResponse`].
    pub async fn well_known(&self) -> Result<well_known::Response, ClientError> {
        let route = well_known::ROUTE;
        self.send(&route, self.request(&route, route.path))
            .await?
            .json()
    }

    /// `GET /healthz`: whether the server and its database are up.
    ///
    /// # Errors
    /// [`ClientError::Api`] with `P2CORE_STORAGE_UNAVAILABLE` when the database is down.
    pub async fn health(&self) -> Result<health::Response, ClientError> {
        let route = health::ROUTE;
        self.send(&route, self.request(&route, route.path))
            .await?
            .json()
    }

    // ---- Verification helpers ----

    /// Verifies an ID-Cert this server just issued for `csr`: issued by this server's key,
    /// valid now, for the CSR's actor, session and key.
    async fn verify_issued(&self, pem: &str, csr: &IdCsr) -> Result<VerifiedIdCert, ClientError> {
        let cert = IdCert::from_pem_or_base64(pem).map_err(VerifyError::Malformed)?;
        check_subject(&cert, csr.fid(), Some(csr.session_id()))?;
        if cert.public_key() != csr.public_key() {
            return Err(VerifyError::WrongKey.into());
        }
        let mut issuers = self.issuers(csr.fid().domain()).await?;
        let issuer = issuers.for_cert(&cert).await?;
        let now = self.clock.now();
        verify::actor_cert(&cert, None, &issuer, now, now)?;
        Ok(VerifiedIdCert {
            cert,
            cacheable: None,
        })
    }

    /// The issuer certificates of `domain`'s home server, starting with its current one.
    async fn issuers(&self, domain: &DomainName) -> Result<Issuers, ClientError> {
        let own = self.get_server_id_cert(None).await?;
        let (client, current) = if own.cert.issuer_domain() == domain {
            (self.clone(), own.cert)
        } else {
            self.home_server_of(domain).await?
        };
        Ok(Issuers {
            client,
            domain: domain.clone(),
            known: vec![current],
        })
    }

    /// A client of `domain`'s home server and its current certificate: at the
    /// [`ClientBuilder::resolve`] mapping or `https://<domain>`, else, if that does not serve
    /// the API, where its `/.well-known/polyproto-core` says (polyproto core §3.1). The API
    /// must be served over https unless the domain is mapped (development setups).
    async fn home_server_of(&self, domain: &DomainName) -> Result<(Client, IdCert), ClientError> {
        let mapped = self.resolve.get(domain.as_str());
        let base = mapped
            .cloned()
            .unwrap_or_else(|| well_known::default_base_url(domain));
        let home = self.for_server(&base)?;
        match home.server_cert_expecting(None, Some(domain)).await {
            Err(ClientError::Api(api)) if api.code == ErrorCode::NotFound => {
                let known = home.well_known().await?;
                let api_base = known.base_url();
                if !(api_base.starts_with("https://") || mapped.is_some()) {
                    return Err(ClientError::UnexpectedResponse {
                        route: well_known::ROUTE.name,
                        status: well_known::ROUTE.success,
                        reason: format!("the API of {domain} is not served over https: {api_base}"),
                    });
                }
                let home = self.for_server(api_base)?;
                let current = home.server_cert_expecting(None, Some(domain)).await?;
                Ok((home, current.cert))
            }
            other => Ok((home, other?.cert)),
        }
    }

    // ---- HTTP ----

    fn request(&self, route: &Route, path: &str) -> reqwest::RequestBuilder {
        let method = match route.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        self.http.request(method, format!("{}{path}", self.base))
    }

    async fn send(
        &self,
        route: &Route,
        request: reqwest::RequestBuilder,
    ) -> Result<Answer, ClientError> {
        let url = format!("{}{}", self.base, route.path);
        let transport = |source: reqwest::Error| {
            if source.is_timeout() {
                ClientError::Timeout {
                    url: url.clone(),
                    secs: self.timeout.as_secs(),
                }
            } else {
                ClientError::Transport {
                    url: url.clone(),
                    reason: error_chain(&source),
                    source,
                }
            }
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let request_id = response
            .headers()
            .get(headers::REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(transport)?.to_vec();
        if status == route.success {
            return Ok(Answer {
                route: route.name,
                status,
                body,
            });
        }
        match serde_json::from_slice::<Problem>(&body) {
            Ok(problem) => Err(ApiError::from_problem(problem, request_id).into()),
            Err(_) => Err(ClientError::UnexpectedResponse {
                route: route.name,
                status,
                reason: if (200..300).contains(&status) {
                    format!("expected HTTP {}", route.success)
                } else {
                    format!("not a problem+json body: {}", excerpt(&body))
                },
            }),
        }
    }
}

/// The certificates of one home server that may have issued an actor's certificates.
struct Issuers {
    client: Client,
    domain: DomainName,
    known: Vec<IdCert>,
}

impl Issuers {
    /// The home server certificate whose key signed `cert`: a known one, or the one that was
    /// current when `cert` was issued (after a server key rotation, an older one). If none
    /// verifies, the current one, so that the caller's check reports the bad signature.
    ///
    /// Times have a resolution of one second, and a server key rotation invalidates the old
    /// certificate at the second the new one starts: a certificate issued in that second by
    /// the old key finds the new server certificate at its `notBefore`. The second before is
    /// then asked for too.
    async fn for_cert(&mut self, cert: &IdCert) -> Result<IdCert, ClientError> {
        if let Some(known) = self.known_issuer(cert) {
            return Ok(known);
        }
        let start = cert.validity().not_before;
        for at in [Some(start), start.checked_sub(1)].into_iter().flatten() {
            match self
                .client
                .server_cert_expecting(Some(at), Some(&self.domain))
                .await
            {
                Ok(then) => {
                    if !self.known.contains(&then.cert) {
                        self.known.push(then.cert);
                    }
                    if let Some(known) = self.known_issuer(cert) {
                        return Ok(known);
                    }
                }
                // No server certificate was valid then: the certificate cannot be genuine.
                Err(ClientError::Api(api)) if api.code == ErrorCode::CertificateNotFound => {}
                Err(e) => return Err(e),
            }
        }
        // The current one makes the caller's check fail with the bad signature.
        Ok(self.known[0].clone())
    }

    /// The known server certificate whose key signed `cert`.
    fn known_issuer(&self, cert: &IdCert) -> Option<IdCert> {
        self.known
            .iter()
            .find(|issuer| cert.verify_signature(issuer.public_key()).is_ok())
            .cloned()
    }
}

/// Checks an actor certificate names `fid` (and `session`, if given).
fn check_subject(
    cert: &IdCert,
    fid: &FederationId,
    session: Option<&SessionId>,
) -> Result<(), VerifyError> {
    let Some(actor) = cert.actor() else {
        return Err(VerifyError::WrongProfile { expected: "actor" });
    };
    if actor.fid() != fid {
        return Err(VerifyError::WrongActor {
            expected: fid.to_string(),
            got: actor.fid().to_string(),
        });
    }
    if let Some(session) = session
        && actor.session_id() != session
    {
        return Err(VerifyError::WrongSession {
            expected: session.to_string(),
            got: actor.session_id().to_string(),
        });
    }
    Ok(())
}

fn server_cert_error(domain: Option<&DomainName>, error: VerifyError) -> ClientError {
    ClientError::Verify(VerifyError::ServerCert {
        domain: domain.map_or_else(|| "the server".to_owned(), ToString::to_string),
        reason: Box::new(error),
    })
}

/// Adds the bearer token and, if given, the sensitive-action header.
fn sensitive(
    request: reqwest::RequestBuilder,
    token: &Token,
    password: Option<&str>,
) -> reqwest::RequestBuilder {
    let request = request.bearer_auth(token.as_str());
    match password {
        Some(password) => request.header(headers::SENSITIVE_SOLUTION, password),
        None => request,
    }
}

fn trim_base(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

fn check_url(url: &str) -> Result<(), ClientError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| ClientError::InvalidUrl(url.to_owned()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ClientError::InvalidUrl(url.to_owned()));
    }
    Ok(())
}

/// The first 200 characters of a body, for error messages.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut cut: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        cut.push('…');
    }
    cut
}

/// An error and its causes on one line ("error sending request: connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_trimmed() {
        assert!(Client::new("ftp://example.com").is_err());
        assert!(Client::new("not a url").is_err());
        let client = Client::new("http://127.0.0.1:8080/").expect("valid");
        assert_eq!(client.base_url(), "http://127.0.0.1:8080");
    }
}
