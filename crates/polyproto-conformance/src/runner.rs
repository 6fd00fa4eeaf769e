//! Runs cases against a home server over HTTP: one step after the other, each request built
//! from its templates, each answer checked by every expectation of the step.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use polyproto_client::verify;
use polyproto_types::time::now_unix;
use polyproto_types::{CacheableIdCert, IdCert};
use serde_json::Value;

use crate::case::{Case, CertCheck, CertForm, Need, Role, Step, Target};
use crate::endpoint::Endpoint;
use crate::matchers::{self, Mismatch};
use crate::pki::{Pool, Seen};
use crate::report::{Outcome, Status};
use crate::skip::SkipList;
use crate::template::Scope;

/// What a run is given.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server under test.
    pub server_url: String,
    /// A second home server the server under test reaches by its domain.
    pub foreign_url: Option<String>,
    /// An administrator of the server under test: local name and password.
    pub admin: Option<(String, String)>,
    /// `conformance-fixtures/vectors/`.
    pub vectors: PathBuf,
    /// The time limit of one request.
    pub timeout: Duration,
}

/// A run against one server.
#[derive(Debug)]
pub struct Runner {
    http: reqwest::Client,
    server: Endpoint,
    foreign: Option<Endpoint>,
    options: Options,
    /// Every certificate seen, for [`Pool::check`].
    pub pool: Pool,
}

/// One HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Runner {
    /// Connects to the servers and reads their domains from their certificates.
    ///
    /// # Errors
    /// A message when a server cannot be reached or its certificate is not valid.
    pub async fn connect(options: Options) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .build()
            .map_err(|e| e.to_string())?;
        let server = endpoint(&http, &options.server_url).await?;
        let foreign = match &options.foreign_url {
            Some(url) => Some(endpoint(&http, url).await?),
            None => None,
        };
        Ok(Self {
            http,
            server,
            foreign,
            options,
            pool: Pool::default(),
        })
    }

    /// The server under test.
    pub fn server(&self) -> &Endpoint {
        &self.server
    }

    /// Runs one case (or skips it, with the reason).
    pub async fn run(&mut self, case: &Case, skips: &SkipList) -> Outcome {
        let started = Instant::now();
        let status = match self.missing(case, skips) {
            Some(reason) => Status::Skip { reason },
            None => match self.steps(case).await {
                Ok(()) => Status::Pass,
                Err((step, mismatch)) => Status::Fail {
                    step,
                    diff: mismatch.diff(),
                },
            },
        };
        Outcome {
            case: case.id.clone(),
            checks: case.checks.clone(),
            status,
            millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// Why the case cannot run here, if it cannot.
    fn missing(&self, case: &Case, skips: &SkipList) -> Option<String> {
        if let Some(reason) = skips.reason(&case.id) {
            return Some(format!("skip list: {reason}"));
        }
        case.needs.iter().find_map(|need| {
            let available = match need {
                Need::Admin => self.options.admin.is_some(),
                Need::Foreign => self.foreign.is_some(),
            };
            (!available).then(|| format!("needs {need}"))
        })
    }

    /// The variables every case starts with.
    fn scope(&self) -> Scope {
        let mut unique = [0u8; 5];
        #[allow(clippy::expect_used, reason = "no run without randomness")]
        getrandom::fill(&mut unique).expect("the operating system's random number generator");
        let mut vars = BTreeMap::from([
            ("url".to_owned(), self.server.url.clone()),
            ("domain".to_owned(), self.server.domain.to_string()),
            ("unique".to_owned(), hex::encode(unique)),
            ("name".to_owned(), format!("a{}", hex::encode(unique))),
            ("name2".to_owned(), format!("b{}", hex::encode(unique))),
            ("session".to_owned(), format!("s{}", hex::encode(unique))),
            (
                "fid".to_owned(),
                format!("a{}@{}", hex::encode(unique), self.server.domain),
            ),
            (
                "password".to_owned(),
                format!("conformance-{}", hex::encode(unique)),
            ),
            ("now".to_owned(), now_unix().to_string()),
        ]);
        if let Some(foreign) = &self.foreign {
            vars.insert("foreign_url".to_owned(), foreign.url.clone());
            vars.insert("foreign_domain".to_owned(), foreign.domain.to_string());
        }
        if let Some((name, password)) = &self.options.admin {
            vars.insert("admin_name".to_owned(), name.clone());
            vars.insert("admin_password".to_owned(), password.clone());
        }
        Scope::new(vars, self.options.vectors.clone())
    }

    /// Runs the steps; the first failure with the step's name.
    async fn steps(&mut self, case: &Case) -> Result<(), (String, Mismatch)> {
        let mut scope = self.scope();
        for (i, step) in case.steps.iter().enumerate() {
            let name = format!("{}. {}", i + 1, step.name);
            scope.set("now", now_unix().to_string());
            self.step(&case.id, step, &mut scope)
                .await
                .map_err(|m| (name, m))?;
        }
        Ok(())
    }

    /// The endpoint a step talks to.
    fn target(&self, target: Target) -> Result<&Endpoint, Mismatch> {
        match target {
            Target::Server => Ok(&self.server),
            Target::Foreign => self
                .foreign
                .as_ref()
                .ok_or_else(|| Mismatch::new("case", "a foreign server", "none given")),
        }
    }

    /// Sends one request and checks its answer.
    async fn step(&mut self, case: &str, step: &Step, scope: &mut Scope) -> Result<(), Mismatch> {
        let template = |e: String| Mismatch::new("templates", "values for every template", e);
        let base = self.target(step.on)?.url.clone();
        let path = scope.expand(&step.path).map_err(template)?;
        let method = reqwest::Method::from_bytes(step.method.as_bytes())
            .map_err(|e| Mismatch::new("method", "an HTTP method", e.to_string()))?;
        let mut request = self.http.request(method, format!("{base}{path}"));
        if let Some(token) = &step.token {
            request = request.bearer_auth(scope.expand(token).map_err(template)?);
        }
        if let Some(solution) = &step.sensitive {
            request = request.header(
                "X-P2-Sensitive-Solution",
                scope.expand(solution).map_err(template)?,
            );
        }
        for (name, value) in &step.headers {
            request = request.header(name, scope.expand(value).map_err(template)?);
        }
        if let Some(json) = &step.json {
            let value = serde_json::to_value(json)
                .map_err(|e| Mismatch::new("json", "a JSON body", e.to_string()))?;
            let body = scope.expand_json(&value).map_err(template)?;
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        } else if let Some(text) = &step.text {
            if !step
                .headers
                .keys()
                .any(|h| h.eq_ignore_ascii_case("content-type"))
            {
                request = request.header(reqwest::header::CONTENT_TYPE, "text/plain");
            }
            request = request.body(scope.expand(text).map_err(template)?);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Mismatch::new("request", "an answer", e.to_string()))?;
        let answer = Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response
                .text()
                .await
                .map_err(|e| Mismatch::new("body", "a readable body", e.to_string()))?,
        };
        self.check(case, step, scope, &answer).await
    }

    /// Checks an answer against a step's expectations, then captures its values.
    async fn check(
        &mut self,
        case: &str,
        step: &Step,
        scope: &mut Scope,
        answer: &Answer,
    ) -> Result<(), Mismatch> {
        let expect = &step.expect;
        let template = |e: String| Mismatch::new("templates", "values for every template", e);
        if answer.status != expect.status {
            return Err(Mismatch::new(
                "status",
                expect.status.to_string(),
                format!("{} {}", answer.status, matchers::truncate(&answer.body)),
            ));
        }
        for (name, pattern) in &expect.headers {
            let value = answer
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(absent)");
            matchers::regex(&format!("header {name}"), pattern, value)?;
        }
        if expect.empty && !answer.body.is_empty() {
            return Err(Mismatch::new(
                "body",
                "(empty)",
                matchers::truncate(&answer.body),
            ));
        }
        if let Some(bytes) = &expect.body {
            let want = scope.expand(bytes).map_err(template)?;
            if want != answer.body {
                return Err(Mismatch::new("body", want, answer.body.clone()));
            }
        }
        if let Some(pattern) = &expect.regex {
            matchers::regex(
                "body",
                &scope.expand(pattern).map_err(template)?,
                &answer.body,
            )?;
        }
        let content_type = answer
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if let Some(code) = &expect.problem {
            matchers::problem(code, content_type, &answer.body)?;
        }
        let json = || matchers::parse_json(&answer.body);
        if let Some(want) = &expect.json {
            let value = serde_json::to_value(want)
                .map_err(|e| Mismatch::new("expect.json", "JSON", e.to_string()))?;
            let want = scope.expand_json(&value).map_err(template)?;
            matchers::json_subset("body", &want, &json()?)?;
        }
        if let Some(count) = expect.count {
            let have = json()?;
            let len = have.as_array().map(Vec::len);
            if len != Some(count) {
                return Err(Mismatch::new(
                    "body",
                    format!("a JSON array of {count}"),
                    matchers::truncate(&answer.body),
                ));
            }
        }
        for check in &expect.certs {
            self.check_certs(case, check, scope, &answer.body).await?;
        }
        for (var, pointer) in &expect.capture {
            let value = if pointer.is_empty() && json().is_err() {
                answer.body.clone()
            } else {
                match matchers::pointer(&json()?, pointer)? {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }
            };
            scope.set(var, value);
        }
        Ok(())
    }

    /// The certificates a [`CertCheck`] points at, each checked.
    async fn check_certs(
        &mut self,
        case: &str,
        check: &CertCheck,
        scope: &mut Scope,
        body: &str,
    ) -> Result<(), Mismatch> {
        let at = format!("body{}", check.at.as_deref().unwrap_or(""));
        let malformed = |e: &dyn std::fmt::Display| {
            Mismatch::new(&at, format!("{:?}", check.form), e.to_string())
        };
        let value = match &check.at {
            Some(pointer) => matchers::pointer(&matchers::parse_json(body)?, pointer)?.clone(),
            None if matches!(check.form, CertForm::Pem) => Value::String(body.to_owned()),
            None => matchers::parse_json(body)?,
        };
        let items: Vec<Value> = match check.form {
            CertForm::CacheableList | CertForm::DerBase64List => value
                .as_array()
                .cloned()
                .ok_or_else(|| malformed(&"not a JSON array"))?,
            _ => vec![value],
        };
        for item in items {
            let (cert, cacheable) = match check.form {
                CertForm::Cacheable | CertForm::CacheableList => {
                    let c: CacheableIdCert =
                        serde_json::from_value(item).map_err(|e| malformed(&e))?;
                    (
                        IdCert::from_pem(&c.id_cert_pem).map_err(|e| malformed(&e))?,
                        Some(c),
                    )
                }
                CertForm::Pem => {
                    let text = item.as_str().ok_or_else(|| malformed(&"not a string"))?;
                    (IdCert::from_pem(text).map_err(|e| malformed(&e))?, None)
                }
                CertForm::DerBase64 | CertForm::DerBase64List => {
                    use base64::Engine as _;
                    let text = item.as_str().ok_or_else(|| malformed(&"not a string"))?;
                    let der = base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .map_err(|e| malformed(&e))?;
                    (IdCert::from_der(&der).map_err(|e| malformed(&e))?, None)
                }
            };
            self.check_cert(case, check, scope, &at, &cert, cacheable.as_ref())
                .await?;
        }
        Ok(())
    }

    /// Checks one certificate: its issuer's signature, validity, cache information, and
    /// the key, session and federation ID the case expects.
    async fn check_cert(
        &mut self,
        case: &str,
        check: &CertCheck,
        scope: &mut Scope,
        at: &str,
        cert: &IdCert,
        cacheable: Option<&CacheableIdCert>,
    ) -> Result<(), Mismatch> {
        let refused =
            |e: &dyn std::fmt::Display| Mismatch::new(at, "a valid ID-Cert", e.to_string());
        let now = now_unix();
        let endpoint = self.target(check.issued_by)?.clone();
        if let Some(c) = cacheable {
            verify::cache_window(c, now).map_err(|e| refused(&e))?;
        }
        if let Some(want) = check.invalidated {
            let have = cacheable.and_then(|c| c.invalidated_at).is_some();
            if have != want {
                return Err(Mismatch::new(
                    format!("{at}/invalidatedAt"),
                    if want { "present" } else { "absent" },
                    if have { "present" } else { "absent" },
                ));
            }
        }
        let invalidated = cacheable.and_then(|c| c.invalidated_at);
        let issuer = match check.role {
            Role::HomeServer => {
                match cacheable {
                    Some(c) => {
                        verify::cacheable_home_server_cert(c, Some(&endpoint.domain), now, now)
                            .map(drop)
                    }
                    None => verify::home_server_cert(cert, None, Some(&endpoint.domain), now, now),
                }
                .map_err(|e| refused(&e))?;
                cert.clone()
            }
            Role::Actor => {
                let nb = cert.validity().not_before;
                let issuer = self.issuer(&endpoint, nb).await.map_err(|e| refused(&e))?;
                if let Some(c) = cacheable {
                    c.verify(issuer.public_key())
                        .map_err(|e| refused(&format!("cache signature: {e}")))?;
                }
                if invalidated.is_some() {
                    // Valid when issued, revoked since: the issuer's signature must hold.
                    cert.validate_actor(&issuer, nb).map_err(|e| refused(&e))?;
                } else {
                    verify::actor_cert(cert, None, &issuer, nb, now).map_err(|e| refused(&e))?;
                }
                issuer
            }
        };
        let actor = cert.actor();
        if let Some(key) = &check.key
            && cert.public_key() != &scope.key(key).verifying_key()
        {
            return Err(Mismatch::new(
                at,
                format!("a certificate for key {key}"),
                "another key",
            ));
        }
        let expanded =
            |scope: &mut Scope, t: &Option<String>| -> Result<Option<String>, Mismatch> {
                t.as_ref()
                    .map(|t| scope.expand(t))
                    .transpose()
                    .map_err(|e| Mismatch::new("templates", "values", e))
            };
        if let Some(session) = expanded(scope, &check.session)? {
            let have = actor
                .map(|a| a.session_id().to_string())
                .unwrap_or_default();
            if have != session {
                return Err(Mismatch::new(format!("{at} session ID"), session, have));
            }
        }
        if let Some(fid) = expanded(scope, &check.fid)? {
            let have = actor.map(|a| a.fid().to_string()).unwrap_or_default();
            if have != fid {
                return Err(Mismatch::new(format!("{at} federation ID"), fid, have));
            }
        }
        self.pool.add(Seen {
            cert: cert.clone(),
            issuer,
            case: case.to_owned(),
        });
        Ok(())
    }

    /// The reference SDK's calls against the server under test ([`crate::reference_sdk`]);
    /// the certificates it received join the pool.
    pub async fn reference_sdk(&mut self) -> Vec<Outcome> {
        let (mut outcomes, seen) = crate::reference_sdk::run(&self.server, &self.http).await;
        for cert in seen {
            let at = cert.validity().not_before;
            match self.issuer(&self.server.clone(), at).await {
                Ok(issuer) => self.pool.add(Seen {
                    cert,
                    issuer,
                    case: "reference-sdk/session".to_owned(),
                }),
                Err(e) => outcomes.push(Outcome {
                    case: "reference-sdk/issuer".to_owned(),
                    checks: "the issuer of a certificate the SDK received".to_owned(),
                    status: Status::Fail {
                        step: "issuer".to_owned(),
                        diff: format!("  - the server certificate at {at}\n  + {e}"),
                    },
                    millis: 0,
                }),
            }
        }
        outcomes
    }

    /// The home server certificate of `endpoint` valid at `at`, itself verified.
    async fn issuer(&self, endpoint: &Endpoint, at: u64) -> Result<IdCert, String> {
        let cacheable = fetch_server_cert(&self.http, &endpoint.url, Some(at)).await?;
        verify::cacheable_home_server_cert(&cacheable, Some(&endpoint.domain), at, at)
            .map(|v| v.cert)
            .map_err(|e| format!("the server certificate at {at}: {e}"))
    }
}

/// Reads a server's domain from its current certificate.
async fn endpoint(http: &reqwest::Client, url: &str) -> Result<Endpoint, String> {
    let url = url.trim_end_matches('/').to_owned();
    let cacheable = fetch_server_cert(http, &url, None).await?;
    let now = now_unix();
    let cert = verify::cacheable_home_server_cert(&cacheable, None, now, now)
        .map_err(|e| format!("{url}: its server certificate is not valid: {e}"))?;
    Ok(Endpoint {
        url,
        domain: cert.cert.issuer_domain().clone(),
    })
}

/// `GET /.p2/core/v1/idcert/server[?timestamp=]`.
async fn fetch_server_cert(
    http: &reqwest::Client,
    url: &str,
    at: Option<u64>,
) -> Result<CacheableIdCert, String> {
    let query = at.map(|t| format!("?timestamp={t}")).unwrap_or_default();
    let path = polyproto_types::api::get_server_id_cert::ROUTE.path;
    let full = format!("{url}{path}{query}");
    let response = http
        .get(&full)
        .send()
        .await
        .map_err(|e| format!("GET {full}: {e}"))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| format!("GET {full}: {e}"))?;
    if !status.is_success() {
        return Err(format!(
            "GET {full}: {status}: {}",
            matchers::truncate(&body)
        ));
    }
    serde_json::from_str(&body).map_err(|e| format!("GET {full}: not a cacheable ID-Cert: {e}"))
}
