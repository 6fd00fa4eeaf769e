//! The seed-era twins of modern routes (docs/wire-contract.md §1.1): one `…_seed` method of
//! [`Client`] for each route whose 2024 seed form (`api::<module>::SEED`) differs on the wire
//! from its modern route. The seed-only routes S1 and S3, which have no modern twin, are with
//! the other endpoints.

use ed25519_dalek::VerifyingKey;
use ed25519_dalek::pkcs8::DecodePublicKey as _;
use polyproto_types::api::{
    TimestampQuery, add_key_packages, claim_key_packages, get_actor_id_certs, get_server_id_cert,
    rotate_server_key, update_foreign_id_cert,
};
use polyproto_types::key_package::KeyPackagePayload;
use polyproto_types::{FederationId, IdCert};

use super::Client;
use super::issuer::check_subject;
use crate::credentials::Token;
use crate::error::ClientError;
use crate::verify::{self, VerifyError};

impl Client {
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
        let answer = self
            .call(&rotate_server_key::SEED, &[])
            .sensitive(token, Some(password))
            .send()
            .await?;
        let pem: rotate_server_key::SeedResponse = answer.json()?;
        let key = VerifyingKey::from_public_key_pem(&pem)
            .map_err(|e| answer.unexpected(format!("not an Ed25519 public key: {e}")))?;
        if key.is_weak() {
            return Err(answer.unexpected("the new server key is weak"));
        }
        Ok(key)
    }

    /// Seed S5, `GET /p2core/key/server[?timestamp=]`: the server's certificate from base64
    /// DER, verified: self-signed, valid then.
    ///
    /// # Errors
    /// As [`Client::get_server_id_cert`].
    pub async fn get_server_id_cert_seed(&self, at: Option<u64>) -> Result<IdCert, ClientError> {
        let encoded: get_server_id_cert::SeedResponse = self
            .call(&get_server_id_cert::SEED, &[])
            .query(&TimestampQuery { timestamp: at })
            .send()
            .await?
            .json()?;
        let cert = IdCert::from_pem_or_base64(&encoded).map_err(VerifyError::Malformed)?;
        let moment = at.unwrap_or_else(|| self.clock.now());
        verify::home_server_cert(&cert, None, None, moment, moment)?;
        Ok(cert)
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
        let list: get_actor_id_certs::SeedResponse = self
            .call(&get_actor_id_certs::SEED, &[("user_id", user_id)])
            .query(&TimestampQuery { timestamp: at })
            .send()
            .await?
            .json()?;
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
        self.call(&claim_key_packages::SEED, &[("user_id", user_id)])
            .bearer(token)
            .send()
            .await?
            .json()
    }
}
