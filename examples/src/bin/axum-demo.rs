//! `axum-demo`: the H5 page and `GET /api/me` behind silent login. Configured by environment
//! variables (see the README); with none, it logs in against the embedded emulator.

use std::process::ExitCode;

use silent_login_examples::{axum_demo, init_tracing, Config, StartError};

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("axum-demo: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

async fn run() -> Result<(), StartError> {
    let config = Config::from_env()?;
    let server = axum_demo::serve(config).await?;
    let backend = server.backend();
    for note in backend.notes() {
        println!("note: {note}");
    }
    for line in backend.emulator_banner() {
        println!("{line}");
    }
    println!(
        "axum-demo ({}) listening: open {}",
        backend.provider(),
        server.url()
    );
    tokio::select! {
        served = server.wait() => served.map_err(StartError::Serve)?,
        _ = tokio::signal::ctrl_c() => println!("axum-demo: shutting down"),
    }
    Ok(())
}
