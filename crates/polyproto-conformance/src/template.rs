//! Templates in requests and expectations: `{{var}}` is a variable (set by the run or
//! captured by an earlier step), `{{function arg …}}` a generated value. An argument written
//! `$name` is the variable's value; any other argument is taken literally.
//!
//! | function | value |
//! |---|---|
//! | `csr KEY NAME SESSION [DOMAIN]` | an ID-CSR (PEM) made by `polyproto-types` for `NAME@DOMAIN`, session `SESSION`, signed with the case key `KEY` |
//! | `csr_sdk KEY NAME SESSION [DOMAIN]` | the same request made by the reference SDK `polyproto` 0.21 |
//! | `csr_openssl KEY NAME SESSION [DOMAIN]` | the same request made by `openssl req` (standard `extensionRequest`) |
//! | `keypackage KEY FID` | an MLS KeyPackage (base64 `MLSMessage`) for the key and federation ID |
//! | `keypackage_lr KEY FID` | the same, marked last resort |
//! | `sign KEY TEXT` | hex of the Ed25519 signature of `TEXT` by the key |
//! | `pem_to_b64 PEM` | base64 of the DER of a PEM certificate |
//! | `vector PATH` | a file of `conformance-fixtures/vectors/` |
//!
//! Case keys are Ed25519 keys made on first use and kept for the case.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey};
use polyproto_client::mls::{KeyPackageOptions, MlsKeyStore};
use polyproto_types::names::ActorDn;
use polyproto_types::{DomainName, FederationId, IdCert, IdCsr, SessionId};

use crate::independent;

/// The variables and keys of one case.
#[derive(Debug)]
pub struct Scope {
    vars: BTreeMap<String, String>,
    keys: BTreeMap<String, SigningKey>,
    vectors: PathBuf,
}

impl Scope {
    /// A scope holding `vars`; `vector` reads from `vectors`.
    pub fn new(vars: BTreeMap<String, String>, vectors: PathBuf) -> Self {
        Self {
            vars,
            keys: BTreeMap::new(),
            vectors,
        }
    }

    /// Sets a variable.
    pub fn set(&mut self, name: &str, value: String) {
        self.vars.insert(name.to_owned(), value);
    }

    /// A variable's value.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The case key `name`, made on first use.
    pub fn key(&mut self, name: &str) -> &SigningKey {
        self.keys.entry(name.to_owned()).or_insert_with(|| {
            let mut seed = [0u8; 32];
            #[allow(clippy::expect_used, reason = "no key can be made without randomness")]
            getrandom::fill(&mut seed).expect("the operating system's random number generator");
            SigningKey::from_bytes(&seed)
        })
    }

    /// Replaces every `{{…}}` in `text`.
    ///
    /// # Errors
    /// A message naming the template that cannot be expanded.
    pub fn expand(&mut self, text: &str) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed {{{{ in {text:?}"))?;
            out.push_str(&self.evaluate(after[..end].trim())?);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Expands every string of a JSON value.
    ///
    /// # Errors
    /// As [`Scope::expand`].
    pub fn expand_json(&mut self, value: &serde_json::Value) -> Result<serde_json::Value, String> {
        use serde_json::Value;
        Ok(match value {
            Value::String(s) => Value::String(self.expand(s)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.expand_json(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.expand_json(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }

    /// One `{{…}}`: a function call or a variable.
    fn evaluate(&mut self, expression: &str) -> Result<String, String> {
        let mut words = expression.split_whitespace();
        let name = words.next().ok_or("empty {{}}")?;
        let args: Vec<String> = words
            .map(|w| match w.strip_prefix('$') {
                Some(var) => self
                    .var(var)
                    .map(str::to_owned)
                    .ok_or_else(|| format!("no variable {var:?} (in {{{{{expression}}}}})")),
                None => Ok(w.to_owned()),
            })
            .collect::<Result<_, _>>()?;
        let wrong = || format!("wrong arguments in {{{{{expression}}}}}");
        match (name, args.as_slice()) {
            ("csr" | "csr_sdk" | "csr_openssl", [key, local, session, rest @ ..]) => {
                let domain = match rest {
                    [] => self
                        .var("domain")
                        .ok_or("no variable \"domain\"")?
                        .to_owned(),
                    [domain] => domain.clone(),
                    _ => return Err(wrong()),
                };
                let subject = actor_dn(local, &domain, session)?;
                let key = self.key(key).clone();
                match name {
                    "csr" => IdCsr::new(&key, &subject)
                        .map(|csr| csr.to_pem())
                        .map_err(|e| e.to_string()),
                    "csr_sdk" => independent::sdk_csr(&key, &subject),
                    _ => independent::openssl_csr(&key, &subject),
                }
            }
            ("keypackage" | "keypackage_lr", [key, fid]) => {
                let fid = FederationId::new(fid).map_err(|e| format!("{fid:?}: {e}"))?;
                let key = self.key(key).clone();
                let options = KeyPackageOptions {
                    last_resort: name == "keypackage_lr",
                    ..KeyPackageOptions::default()
                };
                let packages = MlsKeyStore::in_memory()
                    .key_packages(&key, &fid, 1, options)
                    .map_err(|e| e.to_string())?;
                let package = packages.first().ok_or("openmls made no KeyPackage")?;
                Ok(STANDARD.encode(package.as_bytes()))
            }
            ("sign", [key, text]) => {
                Ok(hex::encode(self.key(key).sign(text.as_bytes()).to_bytes()))
            }
            ("pem_to_b64", [pem]) => IdCert::from_pem(pem)
                .map(|cert| STANDARD.encode(cert.as_der()))
                .map_err(|e| e.to_string()),
            ("vector", [path]) => {
                let file = self.vectors.join(path);
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))
            }
            (var, []) => self
                .var(var)
                .map(str::to_owned)
                .ok_or_else(|| format!("no variable {var:?}")),
            _ => Err(wrong()),
        }
    }
}

/// The distinguished name of an actor's session.
fn actor_dn(local: &str, domain: &str, session: &str) -> Result<ActorDn, String> {
    DomainName::new(domain).map_err(|e| format!("{domain:?}: {e}"))?;
    let fid = FederationId::new(&format!("{local}@{domain}")).map_err(|e| e.to_string())?;
    let session = SessionId::new(session).map_err(|e| format!("{session:?}: {e}"))?;
    Ok(ActorDn::new(fid, session))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        let vars = BTreeMap::from([
            ("domain".to_owned(), "example.com".to_owned()),
            ("name".to_owned(), "alice".to_owned()),
        ]);
        Scope::new(vars, PathBuf::from("../../conformance-fixtures/vectors"))
    }

    #[test]
    fn variables_and_literals() {
        let mut scope = scope();
        assert_eq!(
            scope.expand("{{name}}@{{ domain }}!").as_deref(),
            Ok("alice@example.com!")
        );
        assert!(scope.expand("{{missing}}").is_err());
        assert!(scope.expand("{{name").is_err());
    }

    #[test]
    fn a_csr_names_the_key_and_session() {
        let mut scope = scope();
        let pem = scope.expand("{{csr k $name laptop}}").expect("a CSR");
        let csr = IdCsr::from_pem(&pem).expect("parses");
        assert_eq!(csr.public_key(), &scope.key("k").verifying_key());
        assert_eq!(csr.subject().session_id().as_str(), "laptop");
    }

    #[test]
    fn signatures_are_made_with_the_case_key() {
        let mut scope = scope();
        let hex_sig = scope.expand("{{sign k hello}}").expect("signs");
        let bytes: [u8; 64] = hex::decode(hex_sig)
            .expect("hex")
            .try_into()
            .expect("64 bytes");
        let signature = ed25519_dalek::Signature::from_bytes(&bytes);
        assert!(
            scope
                .key("k")
                .verifying_key()
                .verify_strict(b"hello", &signature)
                .is_ok()
        );
    }
}
