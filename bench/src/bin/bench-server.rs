//! `bench-server`: one of the servers `scripts/bench-layer.sh` compares, on one address.

use std::net::SocketAddr;

use clap::Parser;
use silent_login_bench::{Server, StoreKind};

/// A benchmark server: the same `GET /api/me` handler, bare or behind a login middleware.
#[derive(Debug, Parser)]
#[command(about)]
struct Args {
    /// Which server.
    #[arg(long, value_enum)]
    server: Server,
    /// Address to listen on.
    #[arg(long)]
    listen: SocketAddr,
    /// The emulator's base URL (`--server layer`).
    #[arg(long)]
    platform: Option<String>,
    /// The layer's store (`--server layer`).
    #[arg(long, value_enum, default_value = "memory")]
    store: StoreKind,
    /// Redis URL for `--store redis`.
    #[arg(long)]
    redis: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let app = match args.server {
        Server::Bare => silent_login_bench::bare(),
        Server::AxumLogin => silent_login_bench::axum_login(),
        Server::NoopLayer => silent_login_bench::noop_layer(),
        Server::ContractFloor => silent_login_bench::contract_floor(),
        Server::Layer => {
            let platform = args
                .platform
                .as_deref()
                .ok_or("--server layer needs --platform URL (the emulator)")?;
            silent_login_bench::layer(platform, args.store, args.redis.as_deref()).await?
        }
    };
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!(
        "bench-server {:?} listening on {}",
        args.server,
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
