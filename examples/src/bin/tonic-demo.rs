//! `tonic-demo`: the `WhoAmI` gRPC service behind silent login. Configured by the same
//! environment variables as `axum-demo`; with none, it logs in against the embedded emulator.

use std::process::ExitCode;

use silent_login_examples::{init_tracing, tonic_demo, Config, StartError};

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tonic-demo: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

async fn run() -> Result<(), StartError> {
    let config = Config::from_env()?;
    let server = tonic_demo::serve(config).await?;
    let backend = server.backend();
    for note in backend.notes() {
        println!("note: {note}");
    }
    for line in backend.emulator_banner() {
        println!("{line}");
    }
    println!(
        "tonic-demo ({}) listening on {}",
        backend.provider(),
        server.url()
    );
    if let Some(mock) = backend.emulator() {
        println!(
            "try: cargo run -p silent-login-examples --bin tonic-client -- --server {} --mock {} --user alice",
            server.url(),
            mock.base_url()
        );
    }
    tokio::select! {
        served = server.wait() => served.map_err(StartError::Serve)?,
        _ = tokio::signal::ctrl_c() => println!("tonic-demo: shutting down"),
    }
    Ok(())
}
