//! One [`Client`] method per modern route of docs/wire-contract.md §1, and the seed-only
//! routes S1 and S3, which have no modern twin. Each sends its request through
//! [`Client::call`] and verifies the ID-Certs of the answer.

use polyproto_types::api::{
    self, Route, TokenResponse, add_key_packages, claim_key_packages, create_id_cert,
    create_session, delete_session, get_actor_id_certs, get_challenge, health, identify, register,
    replace_last_resort_key_package, revoke_session, rotate_server_key, rotate_session_id_cert,
    update_foreign_id_cert, well_known,
};
use polyproto_types::challenge::{Challenge, CompletedChallenge};
use polyproto_types::key_package::KeyPackagePayload;
use polyproto_types::{FederationId, IdCert, IdCsr, LocalName, SessionId};

use super::issuer::check_subject;
use super::{ActorCertQuery, Client};
use crate::credentials::Token;
use crate::error::ClientError;
use crate::verify::{self, VerifiedIdCert, VerifyError};

impl Client {
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
        self.call(&register::ROUTE, &[])
            .json(&body)
            .send()
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
        let answer = self
            .call(&create_session::ROUTE, &[])
            .json(&body)
            .send()
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
        self.call(&revoke_session::ROUTE, &[])
            .bearer(token)
            .send()
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
        let query = delete_session::Query {
            session_id: session_id.clone(),
        };
        self.call(&delete_session::ROUTE, &[])
            .sensitive(token, Some(password))
            .query(&query)
            .send()
            .await
            .map(drop)
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
        self.call(route, &[]).send().await?.json()
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
        let response: TokenResponse = self.call(route, &[]).json(&body).send().await?.json()?;
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
        let response: create_id_cert::Response = self
            .call(&create_id_cert::ROUTE, &[])
            .sensitive(token, password)
            .text(csr.to_pem())
            .send()
            .await?
            .json()?;
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
        let body = rotate_session_id_cert::Request { csr: csr.to_pem() };
        let response: rotate_session_id_cert::Response = self
            .call(&rotate_session_id_cert::SEED, &[])
            .sensitive(token, password)
            .json(&body)
            .send()
            .await?
            .json()?;
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
        let answer = self
            .call(&rotate_server_key::ROUTE, &[])
            .sensitive(token, Some(password))
            .send()
            .await?;
        let cert = IdCert::from_pem(answer.text()?).map_err(VerifyError::Malformed)?;
        let now = self.clock.now();
        verify::home_server_cert(&cert, None, None, now, now)?;
        Ok(cert)
    }

    /// `GET /.p2/core/v1/idcert/server[?timestamp=]`: the server's certificate, now or at `at`
    /// (UNIX seconds), verified: self-signed, cache signature, valid then.
    ///
    /// # Errors
    /// [`ClientError::Api`] with `P2CORE_CERTIFICATE_NOT_FOUND`; [`ClientError::Verify`].
    pub async fn get_server_id_cert(&self, at: Option<u64>) -> Result<VerifiedIdCert, ClientError> {
        self.server_cert_expecting(at, None).await
    }

    /// `GET /.p2/core/v1/idcert/actor/{fid}`: the actor's certificates matching `query`, each
    /// verified against its home server (fetched from that server: this one, a
    /// [`ClientBuilder::resolve`](super::ClientBuilder::resolve) mapping, or
    /// `https://<domain>`). Without a time range: the certificates valid now; with one, those
    /// valid at some moment in it.
    ///
    /// # Errors
    /// [`ClientError::Api`] with `P2CORE_ACTOR_NOT_FOUND`; [`ClientError::Verify`].
    pub async fn get_actor_id_certs(
        &self,
        fid: &FederationId,
        query: &ActorCertQuery,
    ) -> Result<Vec<VerifiedIdCert>, ClientError> {
        let list: get_actor_id_certs::Response = self
            .call(&get_actor_id_certs::ROUTE, &[("fid", fid.as_str())])
            .query(query)
            .send()
            .await?
            .json()?;
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

    /// Sends an encoded ID-Cert to a foreign session at `route` (the modern route or its seed
    /// twin).
    pub(super) async fn foreign_cert_at(
        &self,
        route: &Route,
        token: &Token,
        body: String,
    ) -> Result<(), ClientError> {
        self.call(route, &[])
            .bearer(token)
            .json(&body)
            .send()
            .await
            .map(drop)
    }

    // ---- KeyPackages (docs/wire-contract.md §1.1 S2, S3, S8, §1.2, §5) ----

    /// `POST /.p2/mls/v1/keypackages`: uploads KeyPackages for the token's session.
    ///
    /// # Errors
    /// [`ClientError::Api`] with `P2CORE_INVALID_KEYPACKAGE` and
    /// [`ApiError::invalid`](crate::ApiError::invalid) listing the bad ones, or
    /// `P2CORE_KEYPACKAGE_LIMIT`.
    pub async fn add_key_packages(
        &self,
        token: &Token,
        packages: &[KeyPackagePayload],
    ) -> Result<(), ClientError> {
        self.upload_at(&add_key_packages::ROUTE, token, packages)
            .await
    }

    /// Uploads KeyPackages for the token's session at `route` (the modern route or its seed
    /// twin).
    pub(super) async fn upload_at(
        &self,
        route: &Route,
        token: &Token,
        packages: &[KeyPackagePayload],
    ) -> Result<(), ClientError> {
        self.call(route, &[])
            .bearer(token)
            .json(packages)
            .send()
            .await
            .map(drop)
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
        self.call(&replace_last_resort_key_package::SEED, &[])
            .bearer(token)
            .json(package)
            .send()
            .await
            .map(drop)
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
        let query = claim_key_packages::Query {
            ciphersuites: ciphersuites.map(str::to_owned),
        };
        self.call(&claim_key_packages::ROUTE, &[("fid", fid.as_str())])
            .bearer(token)
            .query(&query)
            .send()
            .await?
            .json()
    }

    // ---- Discovery and health ----

    /// `GET /.well-known/polyproto-core`: where the server's API lives.
    ///
    /// # Errors
    /// Transport errors; [`ClientError::UnexpectedResponse`].
    pub async fn well_known(&self) -> Result<well_known::Response, ClientError> {
        self.call(&well_known::ROUTE, &[]).send().await?.json()
    }

    /// `GET /healthz`: whether the server and its database are up.
    ///
    /// # Errors
    /// [`ClientError::Api`] with `P2CORE_STORAGE_UNAVAILABLE` when the database is down.
    pub async fn health(&self) -> Result<health::Response, ClientError> {
        self.call(&health::ROUTE, &[]).send().await?.json()
    }
}
