//! `axum-demo`: the H5 page and `GET /api/me` behind silent login. Configured by environment
//! variables (`axum-demo --help` lists them); with no credentials, it logs in against the
//! embedded emulator.

use std::process::ExitCode;

use silent_login_examples::{
    axum_demo, init_tracing, print_notes, print_warnings, server_command_line, shutdown_signal,
    Config, StartError,
};

#[tokio::main]
async fn main() -> ExitCode {
    server_command_line(
        "axum-demo",
        "The H5 page of a DingTalk / Feishu / Lark micro app and GET /api/me behind silent login.",
    )
    .get_matches();
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
    let signal = shutdown_signal();
    print_warnings("axum-demo", &config);
    let server = axum_demo::serve(config).await?;
    let backend = server.backend();
    print_notes(backend);
    for line in backend.emulator_banner("pick one in the page, or add ?mock_user=ID to its URL") {
        println!("{line}");
    }
    println!(
        "axum-demo ({}) listening: open {}",
        backend.provider(),
        server.url()
    );
    server
        .serve_until(async {
            let signal = signal.await;
            println!("axum-demo: {signal}: shutting down (finishing open requests)");
        })
        .await
        .map_err(StartError::Serve)?;
    println!("axum-demo: stopped");
    Ok(())
}
