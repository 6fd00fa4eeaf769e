//! The command line: arguments, the profile and session they select, and one function per
//! command.

mod output;

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use base64::Engine as _;
use clap::{Parser, Subcommand};
use polyproto_client::mls::KeyPackageOptions;
use polyproto_client::store::{Profile, Store};
use polyproto_client::{ActorCertQuery, Client, ROTATE_BEFORE_SECS, Session};
use polyproto_types::api::error::ErrorCode;
use polyproto_types::{FederationId, IdCert, LocalName, SessionId};
use serde_json::json;

use output::{CliError, Progress, Report, cert_human, cert_json, duration, parse_time, time};

/// The server used when neither `--server` nor the profile names one: the one
/// `cargo run --release -p polyproto-server` starts.
const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// Run a polyproto identity: register an actor, sign in, keep the session's key and ID-Cert,
/// rotate it, look up certificates, and manage MLS KeyPackages.
#[derive(Debug, Parser)]
#[command(name = "polyproto", version, propagate_version = true)]
struct Cli {
    /// The home server's base URL [default: the profile's server, else http://127.0.0.1:8080].
    #[arg(long, global = true, env = "POLYPROTO_SERVER", value_name = "URL")]
    server: Option<String>,
    /// The profile: one signed-in session, kept in the data directory.
    #[arg(
        long,
        global = true,
        env = "POLYPROTO_PROFILE",
        default_value = "default",
        value_name = "NAME"
    )]
    profile: String,
    /// Where profiles are kept [default: the platform's data directory].
    #[arg(
        long,
        global = true,
        env = "POLYPROTO_CLIENT_DATA_DIR",
        value_name = "DIR"
    )]
    data_dir: Option<PathBuf>,
    /// Print JSON on stdout (errors too), for scripts.
    #[arg(long, global = true)]
    json: bool,
    /// Read the password from the first line of standard input instead of prompting.
    #[arg(long, global = true)]
    password_stdin: bool,
    /// Give up on a request after this many seconds.
    #[arg(long, global = true, default_value_t = 30, value_name = "SECONDS")]
    timeout: u64,
    /// Reach the home server of DOMAIN at URL when verifying its actors' certificates (for
    /// development setups without DNS and TLS). Repeatable.
    #[arg(long, global = true, value_name = "DOMAIN=URL")]
    resolve: Vec<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create an actor on the server, then sign in as it (a new session in the profile).
    Register {
        /// The local name, e.g. alice (the federation ID becomes alice@<server domain>).
        name: String,
        /// Only create the actor; do not sign in.
        #[arg(long)]
        no_login: bool,
        /// The session ID [default: random].
        #[arg(long)]
        session_id: Option<String>,
    },
    /// Sign in: make a new session key, have the server certify it, keep it in the profile.
    Login {
        /// The local name.
        name: String,
        /// The session ID [default: random].
        #[arg(long)]
        session_id: Option<String>,
    },
    /// Show the profile's actor and session, and check the server still lists its ID-Cert.
    Whoami {
        /// Do not ask the server; show what the profile holds.
        #[arg(long)]
        offline: bool,
    },
    /// Rotate the session's key: new key, new ID-Cert, new token (needs the password).
    Rotate {
        /// Only rotate if the ID-Cert expires within 7 days.
        #[arg(long)]
        if_expiring: bool,
    },
    /// Log out: end the session at the server and delete the profile's keys.
    Logout,
    /// Manage the actor's sessions.
    Sessions {
        #[command(subcommand)]
        command: SessionsCommand,
    },
    /// The profile's ID-Cert.
    Cert {
        #[command(subcommand)]
        command: CertCommand,
    },
    /// Fetch and verify the home server's certificate.
    ServerCert {
        /// The certificate valid at this time (UNIX seconds or RFC 3339) instead of now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Fetch and verify an actor's ID-Certs, one per live session.
    ActorCerts {
        /// The federation ID, e.g. alice@localhost.
        fid: String,
        /// The certificates valid at this time (UNIX seconds or RFC 3339) instead of now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Only this session's certificates.
        #[arg(long)]
        session_id: Option<String>,
    },
    /// MLS KeyPackages of the session.
    Keypackages {
        #[command(subcommand)]
        command: KeyPackagesCommand,
    },
    /// Server administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Sign in at another home server with the profile's ID-Cert (challenge, signature).
    SigninForeign {
        /// The foreign server's base URL.
        url: String,
    },
    /// List the profiles in the data directory.
    Profiles,
}

#[derive(Debug, Subcommand)]
enum SessionsCommand {
    /// End a session of the actor by its ID (needs the password).
    Delete {
        /// The session ID.
        session_id: String,
    },
}

#[derive(Debug, Subcommand)]
enum CertCommand {
    /// Show the profile's ID-Cert.
    Show {
        /// Print the PEM only.
        #[arg(long)]
        pem: bool,
    },
    /// Verify an ID-Cert (the profile's, or a PEM file) against its home server.
    Verify {
        /// A PEM file [default: the profile's certificate].
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum KeyPackagesCommand {
    /// Build N KeyPackages for the session key and upload them.
    Upload {
        /// How many.
        count: usize,
        /// Their lifetime in days.
        #[arg(long, default_value_t = 28)]
        lifetime_days: u64,
    },
    /// Build and upload the session's last-resort KeyPackage.
    LastResort,
    /// Claim one KeyPackage per live session of an actor, and check them.
    Claim {
        /// The federation ID.
        fid: String,
        /// Comma-separated ciphersuites (0x0001, 1 or RFC 9420 names).
        #[arg(long)]
        ciphersuites: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Rotate the server's identity key (administrators; needs the password).
    RotateServerKey,
}

/// Runs the tool.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(report) => {
            if json {
                println!("{}", report.json);
            } else if !report.human.is_empty() {
                println!("{}", report.human);
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            if json {
                println!("{}", error.to_json());
            }
            eprintln!("error: {}", error.message);
            if let Some(hint) = &error.hint {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

/// The arguments every command shares, resolved.
struct Context {
    cli: Cli,
    store: Store,
}

impl Context {
    fn client(&self, server: Option<&str>) -> Result<Client, CliError> {
        let url = self
            .cli
            .server
            .as_deref()
            .or(server)
            .unwrap_or(DEFAULT_SERVER);
        let mut builder = Client::builder(url).timeout(Duration::from_secs(self.cli.timeout));
        for mapping in &self.cli.resolve {
            let Some((domain, url)) = mapping.split_once('=') else {
                return Err(CliError::new(
                    format!("--resolve {mapping:?} is not DOMAIN=URL"),
                    Some("e.g. --resolve a.localhost=http://127.0.0.1:8080"),
                ));
            };
            builder = builder.resolve(domain, url);
        }
        Ok(builder.build()?)
    }

    fn profile(&self) -> Result<Profile, CliError> {
        Ok(self.store.load(&self.cli.profile)?)
    }

    /// The profile's session, rotated first if its ID-Cert expires soon and the server lets
    /// it rotate without the password (otherwise a warning says to run `polyproto rotate`).
    async fn session(&self, progress: &Progress) -> Result<(Session, Profile), CliError> {
        let profile = self.profile()?;
        let client = self.client(Some(&profile.server_url))?;
        let mut session = Session::from_profile(client, profile.clone());
        if session.needs_rotation(ROTATE_BEFORE_SECS) {
            progress.step("rotating the session key before the certificate expires");
            match session.rotate(None).await {
                Ok(()) => {
                    self.save(&session, profile.foreign.clone())?;
                    progress.note(
                        "note: rotated the session key, whose certificate was about to expire",
                    );
                }
                Err(e) if e.code() == Some(&ErrorCode::SensitiveSolutionRequired) => {
                    progress.note(&format!(
                        "warning: this session's ID-Cert expires in {}; run `polyproto rotate`",
                        duration(session.expires_in())
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok((session, profile))
    }

    fn save(
        &self,
        session: &Session,
        foreign: Vec<polyproto_client::ForeignSession>,
    ) -> Result<(), CliError> {
        Ok(self
            .store
            .save(&self.cli.profile, &session.to_profile(foreign))?)
    }

    /// The password: from stdin with `--password-stdin`, else from a prompt that does not
    /// echo (asked twice when `confirm`).
    fn password(&self, confirm: bool) -> Result<String, CliError> {
        if self.cli.password_stdin {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| CliError::new(format!("cannot read standard input: {e}"), None))?;
            let password = line.trim_end_matches(['\n', '\r']).to_owned();
            if password.is_empty() {
                return Err(CliError::new(
                    "no password on standard input",
                    Some("pipe it in: echo \"$PASSWORD\" | polyproto --password-stdin …"),
                ));
            }
            return Ok(password);
        }
        if !std::io::stdin().is_terminal() {
            return Err(CliError::new(
                "no terminal to ask for the password",
                Some("pipe it in with --password-stdin"),
            ));
        }
        let prompt = |text: &str| {
            let _ = std::io::stderr().flush();
            rpassword::prompt_password(text)
                .map_err(|e| CliError::new(format!("cannot read the password: {e}"), None))
        };
        let password = prompt("Password: ")?;
        if confirm && prompt("Password again: ")? != password {
            return Err(CliError::new("the passwords differ", Some("try again")));
        }
        Ok(password)
    }

    fn profile_name(&self) -> &str {
        &self.cli.profile
    }
}

async fn run(cli: Cli) -> Result<Report, CliError> {
    let store = match &cli.data_dir {
        Some(dir) => Store::new(dir),
        None => Store::default_location()?,
    };
    let ctx = Context { cli, store };
    let progress = Progress::new(ctx.cli.json);
    match &ctx.cli.command {
        Command::Register {
            name,
            no_login,
            session_id,
        } => register(&ctx, &progress, name, *no_login, session_id.as_deref()).await,
        Command::Login { name, session_id } => {
            let password = ctx.password(false)?;
            login(&ctx, &progress, name, &password, session_id.as_deref()).await
        }
        Command::Whoami { offline } => whoami(&ctx, &progress, *offline).await,
        Command::Rotate { if_expiring } => rotate(&ctx, &progress, *if_expiring).await,
        Command::Logout => logout(&ctx, &progress).await,
        Command::Sessions {
            command: SessionsCommand::Delete { session_id },
        } => delete_session(&ctx, &progress, session_id).await,
        Command::Cert {
            command: CertCommand::Show { pem },
        } => cert_show(&ctx, *pem),
        Command::Cert {
            command: CertCommand::Verify { file },
        } => cert_verify(&ctx, &progress, file.as_ref()).await,
        Command::ServerCert { at } => server_cert(&ctx, &progress, at.as_deref()).await,
        Command::ActorCerts {
            fid,
            at,
            session_id,
        } => actor_certs(&ctx, &progress, fid, at.as_deref(), session_id.as_deref()).await,
        Command::Keypackages { command } => key_packages(&ctx, &progress, command).await,
        Command::Admin {
            command: AdminCommand::RotateServerKey,
        } => rotate_server_key(&ctx, &progress).await,
        Command::SigninForeign { url } => signin_foreign(&ctx, &progress, url).await,
        Command::Profiles => profiles(&ctx),
    }
}

fn local_name(name: &str) -> Result<LocalName, CliError> {
    LocalName::new(name).map_err(|e| {
        CliError::new(
            format!("{name:?} is not a valid local name: {e}"),
            Some("local names are 1-64 characters of a-z 0-9 . _ % + -"),
        )
    })
}

fn session_id(id: Option<&str>) -> Result<Option<SessionId>, CliError> {
    id.map(|id| {
        SessionId::new(id).map_err(|e| {
            CliError::new(
                format!("{id:?} is not a valid session ID: {e}"),
                Some("session IDs are 1-32 visible ASCII characters"),
            )
        })
    })
    .transpose()
}

fn federation_id(fid: &str) -> Result<FederationId, CliError> {
    FederationId::new(fid).map_err(|e| {
        CliError::new(
            format!("{fid:?} is not a federation ID: {e}"),
            Some("write it as name@domain, e.g. alice@localhost"),
        )
    })
}

async fn register(
    ctx: &Context,
    progress: &Progress,
    name: &str,
    no_login: bool,
    session: Option<&str>,
) -> Result<Report, CliError> {
    let local = local_name(name)?;
    let session = session_id(session)?;
    if !no_login && ctx.store.exists(ctx.profile_name()) {
        return Err(existing_profile(ctx));
    }
    let password = ctx.password(!ctx.cli.password_stdin)?;
    let client = ctx.client(None)?;
    progress.step("registering");
    let registered = client.register(&local, &password).await?;
    let mut human = format!(
        "Registered {} (actor ID {}).",
        registered.fid, registered.id
    );
    let mut json = json!({"fid": registered.fid.as_str(), "id": registered.id.to_string()});
    if !no_login {
        let session = sign_in(ctx, progress, &client, &local, &password, session).await?;
        human.push_str(&format!(
            "\nSigned in as session {} (profile {}).",
            session.session_id(),
            ctx.profile_name()
        ));
        json["session_id"] = json!(session.session_id().as_str());
        json["profile"] = json!(ctx.profile_name());
        json["cert"] = cert_json(session.cert(), None);
    }
    Ok(Report::new(json, human))
}

fn existing_profile(ctx: &Context) -> CliError {
    CliError::new(
        format!("profile {:?} already holds a session", ctx.profile_name()),
        Some("log out first with `polyproto logout`, or use another profile with --profile NAME"),
    )
}

async fn login(
    ctx: &Context,
    progress: &Progress,
    name: &str,
    password: &str,
    session: Option<&str>,
) -> Result<Report, CliError> {
    let local = local_name(name)?;
    let session = session_id(session)?;
    if ctx.store.exists(ctx.profile_name()) {
        return Err(existing_profile(ctx));
    }
    let client = ctx.client(None)?;
    let session = sign_in(ctx, progress, &client, &local, password, session).await?;
    let cert = session.cert();
    Ok(Report::new(
        json!({
            "fid": session.fid().as_str(),
            "session_id": session.session_id().as_str(),
            "server": client.base_url(),
            "profile": ctx.profile_name(),
            "cert": cert_json(cert, None),
        }),
        format!(
            "Signed in as {} (session {}, profile {}).\nID-Cert valid until {}.",
            session.fid(),
            session.session_id(),
            ctx.profile_name(),
            time(cert.validity().not_after)
        ),
    ))
}

async fn sign_in(
    ctx: &Context,
    progress: &Progress,
    client: &Client,
    name: &LocalName,
    password: &str,
    session: Option<SessionId>,
) -> Result<Session, CliError> {
    progress.step("making a session key and asking the server to certify it");
    let session = Session::login(client, name, password, session).await?;
    ctx.save(&session, Vec::new())?;
    Ok(session)
}

async fn whoami(ctx: &Context, progress: &Progress, offline: bool) -> Result<Report, CliError> {
    let (session, profile) = if offline {
        let profile = ctx.profile()?;
        let client = ctx.client(Some(&profile.server_url))?;
        (Session::from_profile(client, profile.clone()), profile)
    } else {
        ctx.session(progress).await?
    };
    let mut json = json!({
        "fid": session.fid().as_str(),
        "session_id": session.session_id().as_str(),
        "server": profile.server_url,
        "profile": ctx.profile_name(),
        "expires_in_secs": session.expires_in(),
        "cert": cert_json(session.cert(), None),
        "foreign_servers": profile.foreign.iter().map(|f| f.server_url.clone()).collect::<Vec<_>>(),
    });
    let mut human = format!(
        "{} (session {}) at {}\nprofile {}; ID-Cert expires in {} ({})",
        session.fid(),
        session.session_id(),
        profile.server_url,
        ctx.profile_name(),
        duration(session.expires_in()),
        time(session.cert().validity().not_after)
    );
    if !offline {
        progress.step("checking the certificate with the server");
        session.check_cert().await?;
        json["listed_by_server"] = json!(true);
        human.push_str("\nThe server lists this session's ID-Cert as valid.");
    }
    Ok(Report::new(json, human))
}

async fn rotate(ctx: &Context, progress: &Progress, if_expiring: bool) -> Result<Report, CliError> {
    let profile = ctx.profile()?;
    let client = ctx.client(Some(&profile.server_url))?;
    let mut session = Session::from_profile(client.clone(), profile.clone());
    if if_expiring && !session.needs_rotation(ROTATE_BEFORE_SECS) {
        return Ok(Report::new(
            json!({"rotated": false, "expires_in_secs": session.expires_in()}),
            format!(
                "Not rotated: the ID-Cert expires in {}.",
                duration(session.expires_in())
            ),
        ));
    }
    let password = ctx.password(false)?;
    progress.step("rotating the session key");
    session.rotate(Some(&password)).await?;
    ctx.save(&session, profile.foreign.clone())?;
    let mut pushed = Vec::new();
    let mut human = format!(
        "Rotated the key of session {}; the new ID-Cert (serial {}) is valid until {}.",
        session.session_id(),
        session.cert().serial(),
        time(session.cert().validity().not_after)
    );
    for foreign in &profile.foreign {
        progress.step(&format!(
            "giving {} the new certificate",
            foreign.server_url
        ));
        match session.push_cert(foreign).await {
            Ok(()) => {
                human.push_str(&format!("\nGave {} the new certificate.", foreign.server_url));
                pushed.push(foreign.server_url.clone());
            }
            Err(e) => progress.note(&format!(
                "warning: could not give {} the new certificate: {e}; sign in there again with `polyproto signin-foreign {}`",
                foreign.server_url, foreign.server_url
            )),
        }
    }
    Ok(Report::new(
        json!({"rotated": true, "cert": cert_json(session.cert(), None), "pushed_to": pushed}),
        human,
    ))
}

async fn logout(ctx: &Context, progress: &Progress) -> Result<Report, CliError> {
    let profile = ctx.profile()?;
    let client = ctx.client(Some(&profile.server_url))?;
    let session = Session::from_profile(client, profile.clone());
    progress.step("ending the session");
    match session.logout().await {
        Ok(()) => {}
        // Already ended at the server: forgetting it here is all that is left to do.
        Err(e) if e.code() == Some(&ErrorCode::Unauthorized) => {}
        Err(e) => return Err(e.into()),
    }
    ctx.store.remove(ctx.profile_name())?;
    Ok(Report::new(
        json!({"logged_out": true, "fid": profile.fid.as_str(), "session_id": profile.session_id.as_str()}),
        format!(
            "Logged out {} (session {}); deleted profile {}.",
            profile.fid,
            profile.session_id,
            ctx.profile_name()
        ),
    ))
}

async fn delete_session(ctx: &Context, progress: &Progress, id: &str) -> Result<Report, CliError> {
    let Some(id) = session_id(Some(id))? else {
        return Err(CliError::new("no session ID", None));
    };
    let (session, _) = ctx.session(progress).await?;
    let password = ctx.password(false)?;
    progress.step("ending the session");
    session.delete_session(&password, &id).await?;
    let mut human = format!("Ended session {id} of {}.", session.fid());
    if &id == session.session_id() {
        ctx.store.remove(ctx.profile_name())?;
        human.push_str(&format!(
            " It was this profile's own session: deleted profile {}.",
            ctx.profile_name()
        ));
    }
    Ok(Report::new(json!({"deleted": id.as_str()}), human))
}

fn cert_show(ctx: &Context, pem: bool) -> Result<Report, CliError> {
    let profile = ctx.profile()?;
    let json = cert_json(&profile.cert, None);
    if pem {
        return Ok(Report::new(json, profile.cert.to_pem().trim_end()));
    }
    Ok(Report::new(
        json,
        format!(
            "ID-Cert of profile {}:\n{}",
            ctx.profile_name(),
            cert_human(&profile.cert, None)
        ),
    ))
}

async fn cert_verify(
    ctx: &Context,
    progress: &Progress,
    file: Option<&PathBuf>,
) -> Result<Report, CliError> {
    let (cert, server) = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::new(format!("{}: {e}", path.display()), None))?;
            let cert = IdCert::from_pem_or_base64(&text).map_err(|e| {
                CliError::new(
                    format!("{}: not an ID-Cert: {e}", path.display()),
                    Some("give a PEM certificate"),
                )
            })?;
            let server = ctx
                .store
                .load(ctx.profile_name())
                .ok()
                .map(|p| p.server_url);
            (cert, server)
        }
        None => {
            let profile = ctx.profile()?;
            (profile.cert, Some(profile.server_url))
        }
    };
    let client = ctx.client(server.as_deref())?;
    progress.step("fetching the home server's certificates");
    let Some(actor) = cert.actor() else {
        let server_cert = client.get_server_id_cert(None).await?;
        if server_cert.cert != cert {
            return Err(CliError::new(
                "this home-server certificate is not the server's current one",
                Some("fetch the current one with `polyproto server-cert`"),
            ));
        }
        return Ok(Report::new(
            json!({"valid": true, "cert": cert_json(&cert, Some(&server_cert))}),
            format!(
                "Valid: the server's current certificate.\n{}",
                cert_human(&cert, None)
            ),
        ));
    };
    let query = ActorCertQuery {
        session_id: Some(actor.session_id().clone()),
        ..ActorCertQuery::default()
    };
    let listed = client.get_actor_id_certs(actor.fid(), &query).await?;
    let Some(verified) = listed.into_iter().find(|v| v.cert == cert) else {
        return Err(CliError::new(
            format!(
                "the home server does not list this certificate as valid now (session {} of {})",
                actor.session_id(),
                actor.fid()
            ),
            Some("it was rotated, invalidated or has expired; see `polyproto actor-certs FID`"),
        ));
    };
    Ok(Report::new(
        json!({"valid": true, "cert": cert_json(&cert, Some(&verified))}),
        format!(
            "Valid: issued by {} and listed by it now; signature, validity and cache signature check out.\n{}",
            cert.issuer_domain(),
            cert_human(&cert, Some(&verified))
        ),
    ))
}

fn default_server(ctx: &Context) -> Option<String> {
    ctx.store
        .load(ctx.profile_name())
        .ok()
        .map(|p| p.server_url)
}

async fn server_cert(
    ctx: &Context,
    progress: &Progress,
    at: Option<&str>,
) -> Result<Report, CliError> {
    let at = at.map(parse_time).transpose()?;
    let client = ctx.client(default_server(ctx).as_deref())?;
    progress.step("fetching the server's certificate");
    let verified = client.get_server_id_cert(at).await?;
    let when = at.map_or_else(|| "now".to_owned(), |t| format!("at {}", time(t)));
    Ok(Report::new(
        cert_json(&verified.cert, Some(&verified)),
        format!(
            "Server certificate of {} valid {when} (verified: self-signed, cache signature):\n{}",
            verified.cert.issuer_domain(),
            cert_human(&verified.cert, Some(&verified))
        ),
    ))
}

async fn actor_certs(
    ctx: &Context,
    progress: &Progress,
    fid: &str,
    at: Option<&str>,
    session: Option<&str>,
) -> Result<Report, CliError> {
    let fid = federation_id(fid)?;
    let at = at.map(parse_time).transpose()?;
    let client = ctx.client(default_server(ctx).as_deref())?;
    let query = ActorCertQuery {
        not_before: at,
        not_after: at,
        session_id: session_id(session)?,
    };
    progress.step("fetching and verifying the certificates");
    let certs = client.get_actor_id_certs(&fid, &query).await?;
    let when = at.map_or_else(|| "now".to_owned(), |t| format!("at {}", time(t)));
    let mut human = format!(
        "{} ID-Cert(s) of {fid} valid {when}, all verified:",
        certs.len()
    );
    for verified in &certs {
        human.push('\n');
        human.push_str(&cert_human(&verified.cert, Some(verified)));
    }
    Ok(Report::new(
        json!({
            "fid": fid.as_str(),
            "certs": certs.iter().map(|v| cert_json(&v.cert, Some(v))).collect::<Vec<_>>(),
        }),
        human,
    ))
}

async fn key_packages(
    ctx: &Context,
    progress: &Progress,
    command: &KeyPackagesCommand,
) -> Result<Report, CliError> {
    let (session, _) = ctx.session(progress).await?;
    let store = ctx.store.mls(ctx.profile_name())?;
    match command {
        KeyPackagesCommand::Upload {
            count,
            lifetime_days,
        } => {
            if *count == 0 {
                return Err(CliError::new(
                    "nothing to upload",
                    Some("give a count of 1 or more"),
                ));
            }
            let options = KeyPackageOptions {
                lifetime_secs: lifetime_days.saturating_mul(86_400),
                last_resort: false,
            };
            progress.step(&format!(
                "building {count} KeyPackage(s) and uploading them"
            ));
            session.upload_key_packages(&store, *count, options).await?;
            Ok(Report::new(
                json!({"uploaded": count, "last_resort": false, "stored_values": store.len()}),
                format!(
                    "Uploaded {count} KeyPackage(s) for session {}; their private keys are kept in profile {}.",
                    session.session_id(),
                    ctx.profile_name()
                ),
            ))
        }
        KeyPackagesCommand::LastResort => {
            progress.step("building the last-resort KeyPackage and uploading it");
            session
                .replace_last_resort_key_package(&store, KeyPackageOptions::default())
                .await?;
            Ok(Report::new(
                json!({"uploaded": 1, "last_resort": true, "stored_values": store.len()}),
                format!(
                    "Uploaded the last-resort KeyPackage of session {}.",
                    session.session_id()
                ),
            ))
        }
        KeyPackagesCommand::Claim { fid, ciphersuites } => {
            let fid = federation_id(fid)?;
            progress
                .step("claiming KeyPackages and checking them against the actor's certificates");
            let claimed = session
                .claim_key_packages(&fid, ciphersuites.as_deref())
                .await?;
            let mut human = format!(
                "Claimed {} KeyPackage(s) of {fid}, all verified:",
                claimed.len()
            );
            let mut list = Vec::new();
            for c in &claimed {
                let session_id = c
                    .session
                    .cert
                    .actor()
                    .map(|a| a.session_id().to_string())
                    .unwrap_or_default();
                human.push_str(&format!(
                    "\n  session {session_id}: ciphersuite 0x{:04x}, valid until {}{}",
                    c.package.ciphersuite(),
                    time(c.package.not_after()),
                    if c.package.is_last_resort() {
                        ", last resort"
                    } else {
                        ""
                    }
                ));
                list.push(json!({
                    "session_id": session_id,
                    "ciphersuite": c.package.ciphersuite(),
                    "not_before": c.package.not_before(),
                    "not_after": c.package.not_after(),
                    "last_resort": c.package.is_last_resort(),
                    "key_package": base64::engine::general_purpose::STANDARD.encode(c.package.payload()),
                }));
            }
            Ok(Report::new(
                json!({"fid": fid.as_str(), "key_packages": list}),
                human,
            ))
        }
    }
}

async fn rotate_server_key(ctx: &Context, progress: &Progress) -> Result<Report, CliError> {
    let (session, _) = ctx.session(progress).await?;
    let password = ctx.password(false)?;
    progress.step("rotating the server key");
    let cert = session
        .client()
        .rotate_server_key(session.token(), &password)
        .await?;
    Ok(Report::new(
        json!({"cert": cert_json(&cert, None)}),
        format!(
            "Rotated the server key of {}; the new server certificate:\n{}",
            cert.issuer_domain(),
            cert_human(&cert, None)
        ),
    ))
}

async fn signin_foreign(ctx: &Context, progress: &Progress, url: &str) -> Result<Report, CliError> {
    let (session, profile) = ctx.session(progress).await?;
    let foreign_client = session.client().for_server(url)?;
    progress.step("signing the foreign server's challenge");
    let foreign = session.sign_in_foreign(&foreign_client).await?;
    let mut sessions: Vec<_> = profile
        .foreign
        .into_iter()
        .filter(|f| f.server_url != foreign.server_url)
        .collect();
    sessions.push(foreign.clone());
    // The profile on disk may have been rotated by `ctx.session`: save the session's state.
    ctx.save(&session, sessions)?;
    Ok(Report::new(
        json!({"server": foreign.server_url, "fid": session.fid().as_str(), "session_id": session.session_id().as_str()}),
        format!(
            "Signed in at {} as {} (session {}); the token is kept in profile {}.",
            foreign.server_url,
            session.fid(),
            session.session_id(),
            ctx.profile_name()
        ),
    ))
}

fn profiles(ctx: &Context) -> Result<Report, CliError> {
    let names = ctx.store.list()?;
    let mut list = Vec::new();
    let mut human = format!("Profiles in {}:", ctx.store.root().display());
    for name in &names {
        if let Ok(profile) = ctx.store.load(name) {
            human.push_str(&format!(
                "\n  {name}: {} (session {}) at {}",
                profile.fid, profile.session_id, profile.server_url
            ));
            list.push(json!({"profile": name, "fid": profile.fid.as_str(), "session_id": profile.session_id.as_str(), "server": profile.server_url}));
        }
    }
    if names.is_empty() {
        human.push_str("\n  (none: sign in with `polyproto login NAME`)");
    }
    Ok(Report::new(json!({"profiles": list}), human))
}
