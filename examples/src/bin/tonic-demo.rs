//! `tonic-demo`: the `WhoAmI` gRPC service behind silent login. Configured by the same
//! environment variables as `axum-demo` (`tonic-demo --help` lists them); with no credentials,
//! it logs in against the embedded emulator.

use std::process::ExitCode;

use silent_login::ProviderKind;
use silent_login_examples::{
    init_tracing, print_notes, print_warnings, server_command_line, shutdown_signal, tonic_demo,
    Config, StartError,
};

#[tokio::main]
async fn main() -> ExitCode {
    server_command_line(
        "tonic-demo",
        "The WhoAmI gRPC service behind silent login; tonic-client logs in to it.",
    )
    .get_matches();
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
    let signal = shutdown_signal();
    print_warnings("tonic-demo", &config);
    let server = tonic_demo::serve(config).await?;
    let backend = server.backend();
    print_notes(backend);
    for line in backend.emulator_banner("pass --user ID to tonic-client") {
        println!("{line}");
    }
    println!(
        "tonic-demo ({}) listening on {}",
        backend.provider(),
        server.url()
    );
    let client = "cargo run -p silent-login-examples --bin tonic-client --";
    let provider = match backend.provider() {
        ProviderKind::DingTalk => String::new(),
        other => format!(" --provider {other}"),
    };
    match backend.emulator() {
        Some(mock) => println!(
            "try: {client} --server {}{provider} --mock {} --user alice",
            server.url(),
            mock.base_url()
        ),
        None => println!(
            "try: {client} --server {}{provider} --code CODE (a code from the client's JSAPI, \
             e.g. requestAuthCode in the app's page)",
            server.url()
        ),
    }
    server
        .serve_until(async {
            let signal = signal.await;
            println!("tonic-demo: {signal}: shutting down (finishing open calls)");
        })
        .await
        .map_err(StartError::Serve)?;
    println!("tonic-demo: stopped");
    Ok(())
}
