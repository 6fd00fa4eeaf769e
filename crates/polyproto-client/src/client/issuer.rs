//! Verification of the issuer of every ID-Cert the client receives: the home server
//! certificate of the actor's domain, fetched and verified (from this server, a
//! [`ClientBuilder::resolve`](super::ClientBuilder::resolve) mapping, or `https://<domain>`,
//! found through its `/.well-known/polyproto-core` if need be), and [`Issuers`], the
//! certificates of one home server learnt while the certificates of one answer are checked.

use polyproto_types::api::error::ErrorCode;
use polyproto_types::api::{TimestampQuery, get_server_id_cert, well_known};
use polyproto_types::{CacheableIdCert, DomainName, FederationId, IdCert, IdCsr, SessionId};

use super::Client;
use crate::error::ClientError;
use crate::verify::{self, VerifiedIdCert, VerifyError};

impl Client {
    /// Verifies an ID-Cert this server just issued for `csr`: issued by this server's key,
    /// valid now, for the CSR's actor, session and key.
    pub(super) async fn verify_issued(
        &self,
        pem: &str,
        csr: &IdCsr,
    ) -> Result<VerifiedIdCert, ClientError> {
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

    /// `GET /.p2/core/v1/idcert/server[?timestamp=]`: the server's certificate, now or at `at`
    /// (UNIX seconds), verified: self-signed, cache signature, valid then, and, if `domain` is
    /// given, for that domain.
    pub(super) async fn server_cert_expecting(
        &self,
        at: Option<u64>,
        domain: Option<&DomainName>,
    ) -> Result<VerifiedIdCert, ClientError> {
        let cacheable: CacheableIdCert = self
            .call(&get_server_id_cert::ROUTE, &[])
            .query(&TimestampQuery { timestamp: at })
            .send()
            .await?
            .json()?;
        let now = self.clock.now();
        let moment = at.unwrap_or(now);
        let verified = verify::cacheable_home_server_cert(&cacheable, domain, moment, moment)
            .and_then(|verified| verify::cache_window(&cacheable, now).map(|()| verified))
            .map_err(|e| server_cert_error(domain, e))?;
        Ok(verified)
    }

    /// The issuer certificates of `domain`'s home server, starting with its current one.
    pub(super) async fn issuers(&self, domain: &DomainName) -> Result<Issuers, ClientError> {
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
    /// [`ClientBuilder::resolve`](super::ClientBuilder::resolve) mapping or `https://<domain>`,
    /// else, if that does not serve the API, where its `/.well-known/polyproto-core` says
    /// (polyproto core §3.1). The API must be served over https unless the domain is mapped
    /// (development setups).
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
}

/// The certificates of one home server that may have issued an actor's certificates.
pub(super) struct Issuers {
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
    pub(super) async fn for_cert(&mut self, cert: &IdCert) -> Result<IdCert, ClientError> {
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
pub(super) fn check_subject(
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
