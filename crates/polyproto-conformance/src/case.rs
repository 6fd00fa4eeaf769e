//! The fixture format: a case is a TOML file of steps, each a request and what its answer
//! must be (documented in `conformance-fixtures/README.md`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One case: a scenario against a home server, checking one seed route or spec rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The case's identifier, unique in the suite: `<file stem>/<id>` once loaded.
    #[serde(default)]
    pub id: String,
    /// The seed route, contract section or spec section the case checks, e.g.
    /// `"seed S5; docs/wire-contract.md §1.1"`.
    pub checks: String,
    /// What the case does and why the answers must be what they are.
    pub description: String,
    /// What the run must provide for the case to run; without it, the case is skipped with
    /// the reason.
    #[serde(default)]
    pub needs: Vec<Need>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// What a case needs beyond the server under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// Credentials of a server administrator (`--admin-name`, `--admin-password`).
    Admin,
    /// A second home server that the server under test reaches by its domain
    /// (`--foreign-url`).
    Foreign,
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Admin => "administrator credentials (--admin-name, --admin-password)",
            Self::Foreign => "a foreign home server (--foreign-url)",
        })
    }
}

/// Which server a step talks to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// The server under test.
    #[default]
    Server,
    /// The foreign home server.
    Foreign,
}

/// One request and the answer it must get.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What the step does, for the report.
    pub name: String,
    /// The server the request goes to.
    #[serde(default)]
    pub on: Target,
    /// `GET`, `POST`, `PUT`, `DELETE`.
    pub method: String,
    /// The path with its query string (templated).
    pub path: String,
    /// The bearer token (templated), sent as `Authorization: Bearer …`.
    #[serde(default)]
    pub token: Option<String>,
    /// The second factor of a sensitive action (templated), sent as
    /// `X-P2-Sensitive-Solution`.
    #[serde(default)]
    pub sensitive: Option<String>,
    /// More request headers (values templated).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON body; every string in it is templated.
    #[serde(default)]
    pub json: Option<toml::Value>,
    /// A raw body (templated), sent as written.
    #[serde(default)]
    pub text: Option<String>,
    /// What the answer must be.
    pub expect: Expect,
}

/// The checks on an answer. Every field present must hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The HTTP status.
    pub status: u16,
    /// Header name → regular expression its value must match.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body must be exactly these bytes (templated).
    #[serde(default)]
    pub body: Option<String>,
    /// The body must be empty.
    #[serde(default)]
    pub empty: bool,
    /// The body must match this regular expression.
    #[serde(default)]
    pub regex: Option<String>,
    /// The body must be JSON containing this value (templated; see [`crate::matchers`]).
    #[serde(default)]
    pub json: Option<toml::Value>,
    /// The body must be a JSON array of this many elements.
    #[serde(default)]
    pub count: Option<usize>,
    /// The body must be an RFC 9457 problem with this `P2CORE_` error code.
    #[serde(default)]
    pub problem: Option<String>,
    /// Certificates the body must hold, and what they must be.
    #[serde(default)]
    pub certs: Vec<CertCheck>,
    /// Variable name → JSON pointer (`""`: the whole body) of a value to keep for later
    /// steps.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
}

/// A certificate in an answer, and what it must be.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertCheck {
    /// JSON pointer to the value holding it; absent: the whole body, as text.
    #[serde(default)]
    pub at: Option<String>,
    /// How it is encoded there.
    pub form: CertForm,
    /// Whose certificate it must be.
    pub role: Role,
    /// For actor certificates: the case key whose public key it must certify.
    #[serde(default)]
    pub key: Option<String>,
    /// For actor certificates: the session ID it must name (templated).
    #[serde(default)]
    pub session: Option<String>,
    /// The federation ID it must name (templated; actors only).
    #[serde(default)]
    pub fid: Option<String>,
    /// For cacheable forms: whether the home server must have invalidated it.
    #[serde(default)]
    pub invalidated: Option<bool>,
    /// The home server that issued it (and whose key signs its cache information).
    #[serde(default)]
    pub issued_by: Target,
}

/// The encoding of a certificate in an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertForm {
    /// PEM text.
    Pem,
    /// Base64 of the DER (the seed routes).
    DerBase64,
    /// A cacheable ID-Cert object (docs/wire-contract.md §4.3).
    Cacheable,
    /// A JSON array, every element a cacheable ID-Cert.
    CacheableList,
    /// A JSON array, every element base64 of the DER.
    DerBase64List,
}

/// Whose certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A home server's self-signed certificate.
    HomeServer,
    /// An actor's certificate, issued by the home server.
    Actor,
}

/// A file of several cases, under `[[case]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManyCases {
    /// The cases.
    case: Vec<Case>,
}

/// Why the cases cannot be read.
#[derive(Debug)]
pub struct LoadError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for LoadError {}

/// Reads every `*.toml` file of `dir`, sorted by name. A case's ID is `<stem>/<id>`, or for
/// a case without an `id`, `<stem>/<position>` (several cases) or `<stem>` (one case).
///
/// # Errors
/// [`LoadError`] for an unreadable or malformed file, or a duplicate `id`.
pub fn load_dir(dir: &Path) -> Result<Vec<Case>, LoadError> {
    let error = |path: &Path, message: String| LoadError {
        path: path.to_owned(),
        message,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| error(dir, e.to_string()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    let mut cases = Vec::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).map_err(|e| error(path, e.to_string()))?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let table: toml::Table = toml::from_str(&text).map_err(|e| error(path, e.to_string()))?;
        if table.contains_key("case") {
            let many: ManyCases = toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| error(path, e.to_string()))?;
            for (i, mut one) in many.case.into_iter().enumerate() {
                one.id = if one.id.is_empty() {
                    format!("{stem}/{}", i + 1)
                } else {
                    format!("{stem}/{}", one.id)
                };
                cases.push(one);
            }
        } else {
            let mut one: Case = toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| error(path, e.to_string()))?;
            one.id = if one.id.is_empty() {
                stem
            } else {
                format!("{stem}/{}", one.id)
            };
            cases.push(one);
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for case in &cases {
        if case.steps.is_empty() {
            return Err(error(dir, format!("case {} has no steps", case.id)));
        }
        if !seen.insert(case.id.clone()) {
            return Err(error(dir, format!("two cases are called {}", case.id)));
        }
    }
    Ok(cases)
}
