//! `polyproto-conformance client`: our client against answers recorded from a real server and
//! replayed by a mock server (`polyproto_client::testing`). A recording named `refuse_*` holds
//! an answer the client must refuse (a bad signature, an expired or foreign certificate, …);
//! every other recording must be accepted whole.

use std::path::Path;
use std::time::Instant;

use polyproto_client::{ActorCertQuery, Client, ClientError, Clock};
use polyproto_test_support::mock::{Cassette, MockServer};
use polyproto_types::FederationId;
use polyproto_types::api::{Route, get_actor_id_certs, get_server_id_cert};

use crate::report::{Outcome, Status};

/// The path of `route` up to its first parameter: the prefix of every path it serves.
fn prefix(route: &Route) -> &'static str {
    route.path.split_once('{').map_or(route.path, |(p, _)| p)
}

/// Replays every recording (`*.json`) of `dir`, sorted by name.
///
/// # Errors
/// A message when the directory or a recording cannot be read or served.
pub async fn run(dir: &Path) -> Result<Vec<Outcome>, String> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut outcomes = Vec::with_capacity(paths.len());
    for path in paths {
        let started = Instant::now();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let cassette = Cassette::load(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let must_refuse = name.starts_with("refuse_");
        let status = match replay(&cassette).await? {
            Ok(n) if must_refuse => Status::Fail {
                step: format!("{n} lookups"),
                diff: "  - a refusal (ClientError::Verify)\n  + every answer accepted".to_owned(),
            },
            Ok(_) => Status::Pass,
            Err(ClientError::Verify(_)) if must_refuse => Status::Pass,
            Err(e) => Status::Fail {
                step: "lookups".to_owned(),
                diff: format!(
                    "  - {}\n  + {e}",
                    if must_refuse {
                        "a refusal (ClientError::Verify)"
                    } else {
                        "every answer accepted"
                    }
                ),
            },
        };
        outcomes.push(Outcome {
            case: format!("client/{name}"),
            checks: if must_refuse {
                "recorded answers the client must refuse".to_owned()
            } else {
                "recorded answers the client must accept".to_owned()
            },
            status,
            millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
    }
    Ok(outcomes)
}

/// Makes every certificate lookup of the recording through the client, at the recording's
/// moment: how many were accepted, or the first error. The outer error is a mock failure.
async fn replay(cassette: &Cassette) -> Result<Result<usize, ClientError>, String> {
    let mock = MockServer::replay(cassette)
        .await
        .map_err(|e| format!("cannot start the mock server: {e}"))?;
    let client = Client::builder(mock.url())
        .clock(Clock::Fixed(cassette.now))
        .build()
        .map_err(|e| e.to_string())?;
    let mut accepted = 0;
    for exchange in &cassette.exchanges {
        let request = &exchange.request;
        let path = request.path_only();
        if request.method != "GET" {
            continue;
        }
        match lookup(&client, path).await {
            None => {}
            Some(Err(e)) => return Ok(Err(e)),
            Some(Ok(())) => accepted += 1,
        }
    }
    Ok(Ok(accepted))
}

/// One lookup through the client method of its route; `None` for a path that is no
/// certificate lookup.
async fn lookup(client: &Client, path: &str) -> Option<Result<(), ClientError>> {
    let result = if path == get_server_id_cert::ROUTE.path {
        client.get_server_id_cert(None).await.map(drop)
    } else if path == get_server_id_cert::SEED.path {
        client.get_server_id_cert_seed(None).await.map(drop)
    } else if let Some(user) = path.strip_prefix(prefix(&get_actor_id_certs::SEED)) {
        client.get_actor_id_certs_seed(user, None).await.map(drop)
    } else if let Some(fid) = path.strip_prefix(prefix(&get_actor_id_certs::ROUTE)) {
        match FederationId::new(fid) {
            Ok(fid) => client
                .get_actor_id_certs(&fid, &ActorCertQuery::default())
                .await
                .map(drop),
            Err(e) => Err(ClientError::UnexpectedResponse {
                route: "recorded lookup",
                status: 0,
                reason: format!("recorded path {path}: {e}"),
            }),
        }
    } else {
        return None;
    };
    Some(result)
}
