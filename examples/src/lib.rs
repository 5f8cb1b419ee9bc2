//! Runnable examples of [silent-login](silent_login): an axum server with the H5 page a
//! DingTalk or Feishu/Lark micro app ships (`axum-demo`), and a tonic server and client
//! (`tonic-demo`, `tonic-client`). With no credentials they start the embedded emulator, so
//! they work offline; real credentials switch them to the real platform with no code change.
//!
//! The binaries are thin: the servers live here so the tests can run them in-process.

use std::io;
use std::net::SocketAddr;

pub mod axum_demo;
pub mod backend;
pub mod config;
pub mod tonic_demo;

/// The generated `whoami.v1` messages, client and server (`proto/whoami.proto`).
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("whoami.v1");
}

pub use config::{Config, ConfigError};

/// Why an example server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is wrong (exit code 2).
    #[error("configuration error: {0}")]
    Config(#[source] ConfigError),
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

impl From<ConfigError> for StartError {
    fn from(error: ConfigError) -> Self {
        StartError::Config(error)
    }
}

/// Logs to stderr, `RUST_LOG` style (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .try_init();
}
