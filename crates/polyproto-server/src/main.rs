//! `polyproto-server`: run a polyproto home server, administer it, show its configuration.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use polyproto_server::config::{Config, Overrides};
use polyproto_server::{Server, logging, services::Services, storage};
use polyproto_types::LocalName;

/// A polyproto home server.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Configuration file (TOML).
    #[arg(long, global = true, env = "POLYPROTO_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on; repeat for several (environment: comma-separated).
    #[arg(long, global = true, env = "POLYPROTO_BIND", value_delimiter = ',')]
    bind: Vec<SocketAddr>,
    /// The server's domain, as in its actors' federation IDs.
    #[arg(long, global = true, env = "POLYPROTO_DOMAIN")]
    domain: Option<String>,
    /// The URL clients reach the server at.
    #[arg(long, global = true, env = "POLYPROTO_PUBLIC_URL")]
    public_url: Option<String>,
    /// Database URL: sqlite://… or postgres://….
    #[arg(long = "database", global = true, env = "POLYPROTO_DATABASE_URL")]
    database_url: Option<String>,
    /// Data directory (holds the default SQLite database).
    #[arg(long, global = true, env = "POLYPROTO_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Base URLs for other home servers' domains: `a.example=http://127.0.0.1:8081,…`.
    #[arg(long, global = true, env = "POLYPROTO_FEDERATION_RESOLVE")]
    federation_resolve: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Administer actors.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Show the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Subcommand)]
enum AdminAction {
    /// Make an actor a server administrator.
    Grant {
        /// The actor's local name.
        name: String,
    },
    /// Take administrator rights away.
    Revoke {
        /// The actor's local name.
        name: String,
    },
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Print the effective configuration (file, environment and flags merged) as TOML.
    Print,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        bind: cli.bind,
        domain: cli.domain,
        public_url: cli.public_url,
        database_url: cli.database_url,
        data_dir: cli.data_dir,
        federation_resolve: cli.federation_resolve,
    };
    let config = match Config::load(cli.config.as_deref(), overrides) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let command = cli.command.unwrap_or(Command::Serve);
    let mut log = config.log.clone();
    if !matches!(command, Command::Serve) {
        // One-shot commands print their result; routine start-up logs would only be noise.
        log.level = "warn".to_owned();
    }
    logging::init(&log);
    let result = match command {
        Command::Serve => serve(config).await,
        Command::Admin { action } => admin(config, action).await,
        Command::Config {
            action: ConfigAction::Print,
        } => {
            print!("{}", config.to_toml());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let server = Server::start(config).await.map_err(|e| e.to_string())?;
    for addr in server.addrs() {
        tracing::info!("listening on http://{addr}");
    }
    server.run_until(shutdown_signal()).await;
    Ok(())
}

async fn admin(config: Config, action: AdminAction) -> Result<(), String> {
    let db = storage::connect(&config.database_url())
        .await
        .map_err(|e| e.to_string())?;
    let services = Services::new(db, Arc::new(config))
        .await
        .map_err(|e| e.to_string())?;
    let (name, grant) = match &action {
        AdminAction::Grant { name } => (name, true),
        AdminAction::Revoke { name } => (name, false),
    };
    let local = LocalName::new(name).map_err(|e| e.to_string())?;
    services
        .accounts
        .set_admin(&local, grant)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "{local} {} administrator",
        if grant {
            "is now an"
        } else {
            "is no longer an"
        }
    );
    services.close().await;
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
