//! Properties of the parsers: they never panic, what they accept round-trips, and no change to
//! a golden certificate or request slips through.
//!
//! Case counts are modest so the file runs in a few seconds; set `PROPTEST_CASES` to search
//! harder.

use crate::common;

use polyproto_types::certs::{IdCert, IdCsr};
use polyproto_types::names::ActorDn;
use polyproto_types::{DomainName, FederationId, LocalName, SessionId};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Strings near the name alphabets, with the characters that matter at the edges.
fn name_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9.@_%+:-]{0,80}",
        "[a-zA-Z0-9]{1,20}@[a-zA-Z0-9-]{1,20}(\\.[a-zA-Z0-9-]{1,20}){0,3}",
        "[ -~]{0,40}",
    ]
}

/// Checks what every string newtype promises: `Display` and `FromStr` and serde round-trip,
/// and parsing the canonical form is the identity.
fn round_trips<T>(value: &T, as_str: &str) -> Result<(), TestCaseError>
where
    T: std::fmt::Display
        + std::str::FromStr
        + serde::Serialize
        + serde::de::DeserializeOwned
        + PartialEq
        + std::fmt::Debug,
    <T as std::str::FromStr>::Err: std::fmt::Debug,
{
    prop_assert_eq!(value.to_string(), as_str);
    let parsed: T = as_str
        .parse()
        .map_err(|e| TestCaseError::fail(format!("canonical form {as_str:?} is refused: {e:?}")))?;
    prop_assert_eq!(&parsed, value);
    let json = serde_json::to_string(value).expect("a name serializes");
    prop_assert_eq!(
        &json,
        &serde_json::to_string(as_str).expect("a string serializes")
    );
    let back: T = serde_json::from_str(&json).expect("a serialized name deserializes");
    prop_assert_eq!(&back, value);
    Ok(())
}

/// `PROPTEST_CASES` if set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn lowercase(text: &str) -> bool {
    text.bytes().all(|b| !b.is_ascii_uppercase())
}

/// A label that is valid in a domain name; `letter` forces a letter so that a top-level label
/// is never all digits (which would read as an IP address).
fn label(letter: bool) -> impl Strategy<Value = String> {
    let body = if letter {
        "[a-zA-Z][a-zA-Z0-9]{0,3}(-[a-zA-Z0-9]{1,4})?"
    } else {
        "[a-zA-Z0-9]{1,4}(-[a-zA-Z0-9]{1,4})?"
    };
    proptest::string::string_regex(body).expect("a valid regex")
}

fn domain() -> impl Strategy<Value = String> {
    (proptest::collection::vec(label(false), 0..3), label(true)).prop_map(|(mut labels, tld)| {
        labels.push(tld);
        labels.join(".")
    })
}

proptest! {
    #![proptest_config(Config::with_cases(cases(256)))]

    #[test]
    fn federation_ids_parse_without_panic_and_round_trip(input in name_like()) {
        if let Ok(fid) = FederationId::new(&input) {
            prop_assert!(lowercase(fid.as_str()));
            prop_assert_eq!(fid.as_str(), input.to_ascii_lowercase());
            round_trips(&fid, fid.as_str())?;
            prop_assert_eq!(
                FederationId::from_parts(fid.local_name().clone(), fid.domain().clone()),
                fid.clone()
            );
        }
    }

    #[test]
    fn local_names_parse_without_panic_and_round_trip(input in name_like()) {
        if let Ok(name) = LocalName::new(&input) {
            prop_assert!(lowercase(name.as_str()));
            prop_assert_eq!(name.as_str(), input.to_ascii_lowercase());
            round_trips(&name, name.as_str())?;
        }
    }

    #[test]
    fn domain_names_parse_without_panic_and_round_trip(input in prop_oneof![name_like(), domain()]) {
        if let Ok(domain) = DomainName::new(&input) {
            prop_assert!(lowercase(domain.as_str()));
            prop_assert_eq!(domain.as_str(), input.to_ascii_lowercase());
            prop_assert_eq!(domain.labels().collect::<Vec<_>>().join("."), domain.as_str());
            round_trips(&domain, domain.as_str())?;
        }
    }

    #[test]
    fn session_ids_parse_without_panic_and_round_trip(input in name_like()) {
        if let Ok(session) = SessionId::new(&input) {
            // Session IDs are case-sensitive: kept exactly as given.
            prop_assert_eq!(session.as_str(), input.as_str());
            prop_assert!((1..=32).contains(&session.as_str().len()));
            round_trips(&session, session.as_str())?;
        }
    }

    #[test]
    fn generated_domains_are_accepted(input in domain()) {
        prop_assert!(DomainName::new(&input).is_ok(), "{input:?}");
    }

    /// ActorDn → X.509 Name → ActorDn is the identity, and so is the DER of the name.
    #[test]
    fn actor_dns_round_trip_through_x509_names(
        local in "[a-zA-Z0-9._%+-]{1,64}",
        domain in domain(),
        session in "[!-~]{1,32}",
    ) {
        let fid = FederationId::from_parts(
            LocalName::new(&local).unwrap(),
            DomainName::new(&domain).unwrap(),
        );
        let dn = ActorDn::new(fid, SessionId::new(&session).unwrap());
        let name = dn.to_name().unwrap();
        prop_assert_eq!(&ActorDn::from_name(&name).unwrap(), &dn);
        let again = dn.to_name().unwrap();
        prop_assert_eq!(
            der::Encode::to_der(&again).unwrap(),
            der::Encode::to_der(&name).unwrap()
        );
    }

    #[test]
    fn certificate_and_request_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = IdCert::from_der(&bytes);
        let _ = IdCsr::from_der(&bytes);
    }
}

/// A golden DER with one byte changed, or cut short.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, mask: u8 },
    Truncate { len: usize },
}

fn mutation(len: usize) -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (0..len, 1..=u8::MAX).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        1 => (0..len).prop_map(|len| Mutation::Truncate { len }),
    ]
}

fn mutate(der: &[u8], mutation: &Mutation) -> Vec<u8> {
    let mut out = der.to_vec();
    match *mutation {
        Mutation::Flip { at, mask } => out[at] ^= mask,
        Mutation::Truncate { len } => out.truncate(len),
    }
    out
}

fn golden(file: &str) -> Vec<u8> {
    let pem = common::text(file);
    if file.contains(".csr.") {
        IdCsr::from_pem(&pem)
            .expect("a golden request parses")
            .as_der()
            .to_vec()
    } else {
        IdCert::from_pem(&pem)
            .expect("a golden certificate parses")
            .as_der()
            .to_vec()
    }
}

/// Every byte of a request is either covered by its signature or fixed by the profile, so no
/// change to a golden request parses; a changed certificate may parse (its signature is only
/// checked against the issuer), but never validates.
#[test]
fn mutated_golden_der_never_panics_and_never_passes() {
    let manifest = common::manifest();
    let home_server = IdCert::from_pem(&common::text("certs/home-server.cert.pem")).unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(Config::with_cases(cases(128)));
    for kind in ["id-csr", "id-cert"] {
        for entry in common::valid_of_kind(&manifest, kind) {
            let der = golden(&entry.file);
            runner
                .run(&mutation(der.len()), |m| {
                    let bytes = mutate(&der, &m);
                    if kind == "id-csr" {
                        prop_assert!(
                            IdCsr::from_der(&bytes).is_err(),
                            "{}: {m:?} parses",
                            entry.file
                        );
                    } else if let Ok(cert) = IdCert::from_der(&bytes) {
                        let outcome = match cert.actor() {
                            Some(_) => cert.validate_actor(&home_server, manifest.now),
                            None => cert.validate_home_server(manifest.now),
                        };
                        prop_assert!(outcome.is_err(), "{}: {m:?} validates", entry.file);
                    }
                    Ok(())
                })
                .unwrap();
        }
    }
}
