//! Runnable examples of [silent-login](silent_login): an axum server with the H5 page a
//! DingTalk or Feishu/Lark micro app ships (`axum-demo`), and a tonic server and client
//! (`tonic-demo`, `tonic-client`). With no credentials they start the embedded emulator, so
//! they work offline; real credentials switch them to the real platform with no code change.
//!
//! The binaries are thin: the servers live here so the tests can run them in-process.

use std::io::{self, IsTerminal};
use std::net::SocketAddr;

pub mod axum_demo;
pub mod backend;
pub mod config;
pub mod profile;
pub mod tonic_demo;

/// The generated `whoami.v1` messages, client and server (`proto/whoami.proto`).
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("whoami.v1");
}

pub use config::{Config, ConfigError, ConfigErrors};

/// Why an example server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is wrong (exit code 2): every mistake at once.
    #[error("configuration: {0}")]
    Config(#[source] ConfigErrors),
    /// The address in `LISTEN` could not be bound.
    #[error("LISTEN: cannot listen on {0}: {1}")]
    Listen(SocketAddr, #[source] io::Error),
    /// The embedded emulator could not start.
    #[error("cannot start the embedded emulator: {0}")]
    Emulator(#[source] io::Error),
    /// The server stopped with an error.
    #[error("the server stopped: {0}")]
    Serve(#[source] io::Error),
    /// The store at `REDIS_URL` (shown without its password) could not be reached.
    #[error("REDIS_URL: cannot use {0}: {1}")]
    Store(String, String),
}

impl StartError {
    /// The exit code a binary should end with: 2 for configuration mistakes, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            StartError::Config(_) => 2,
            StartError::Listen(..)
            | StartError::Emulator(_)
            | StartError::Serve(_)
            | StartError::Store(..) => 1,
        }
    }
}

impl From<ConfigErrors> for StartError {
    fn from(errors: ConfigErrors) -> Self {
        StartError::Config(errors)
    }
}

/// Logs to stderr, `RUST_LOG` style (default `info`), in colour only on a terminal (and never
/// with `NO_COLOR` set), so that a log file or a pipe gets plain text.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let colour = io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(io::stderr)
        .try_init();
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM (what `docker stop`, systemd and Kubernetes
/// send), with the signal's name, so that a server finishes its open requests before it exits.
/// The handlers are installed by this call, not when the future is first polled: call it before
/// announcing that the server listens. Must be called within a Tokio runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = &'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => tokio::select! {
                    _ = interrupt.recv() => "SIGINT",
                    _ = terminate.recv() => "SIGTERM",
                },
                (interrupt, terminate) => {
                    let error = interrupt.err().or(terminate.err());
                    tracing::warn!(?error, "cannot listen for SIGINT and SIGTERM; only Ctrl-C stops the server gracefully");
                    let _ = tokio::signal::ctrl_c().await;
                    "SIGINT"
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// The command line of a server binary: no arguments but `--help`/`-h` (usage and the table of
/// environment variables, exit 0) and `--version`; anything else is a usage error (exit 2).
pub fn server_command_line(name: &'static str, about: &'static str) -> clap::Command {
    clap::Command::new(name)
        .version(env!("CARGO_PKG_VERSION"))
        .about(about)
        .after_help(config::environment_help())
}

/// Prints the configuration's warnings loudly on stderr, before anything starts (so that they
/// are seen even when starting fails).
pub fn print_warnings(binary: &str, config: &Config) {
    for warning in &config.warnings {
        eprintln!("{binary}: WARNING: {warning}");
    }
}

/// Prints what the operator should know about the started backend, on stdout.
pub fn print_notes(backend: &backend::RunningBackend) {
    for note in backend.notes() {
        println!("note: {note}");
    }
}
