//! `tonic-client`: logs in to `tonic-demo` the way a gRPC client of a micro app would.
//!
//! 1. gets a one-time code: minted by the emulator for `--user` (what the JSAPI does in the
//!    DingTalk or Feishu client), or given with `--code`;
//! 2. calls `WhoAmI.Get` with the code in metadata `x-auth-code`, and reads the session token
//!    from the `x-session-token` response header;
//! 3. calls again with `authorization: Bearer <token>`.
//!
//! `--token` skips the login; `--anonymous` makes one call without credentials to show the
//! refusal. A refusal prints the catalog's explanation (from `google.rpc.ErrorInfo`).
//!
//! Exit codes: 0 success, 1 the server refused or could not be reached, 2 bad arguments.

use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use silent_login_examples::proto::who_am_i_client::WhoAmIClient;
use silent_login_examples::proto::{GetRequest, User};
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic::{Request, Status};
use tonic_types::StatusExt;

/// `--help`'s table of the environment variables.
const ENVIRONMENT: &str = "Environment variables:
  SILENT_LOGIN_PROVIDER  the platform whose code to mint, as --provider (tonic-demo's setting)

Start the server first: cargo run -p silent-login-examples --bin tonic-demo
(it prints the exact tonic-client command line for its platform and emulator).";

/// Log in to tonic-demo with a one-time code, then call it with the session token.
#[derive(Debug, Parser)]
#[command(name = "tonic-client", version, after_help = ENVIRONMENT)]
struct Args {
    /// The tonic-demo server.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    server: String,
    /// The emulator that mints the code (tonic-demo prints its URL).
    #[arg(long)]
    mock: Option<String>,
    /// The demo user to log in as: alice, bob, carol, dave, erin.
    #[arg(long, default_value = "alice")]
    user: String,
    /// The platform whose code to mint.
    #[arg(
        long,
        value_enum,
        env = "SILENT_LOGIN_PROVIDER",
        default_value = "dingtalk"
    )]
    provider: ProviderKind,
    /// A code got elsewhere, instead of minting one.
    #[arg(long, conflicts_with_all = ["token", "anonymous"])]
    code: Option<String>,
    /// A session token from an earlier login: skip the login.
    #[arg(long, conflicts_with = "anonymous")]
    token: Option<String>,
    /// Make one call without any credentials, to see the refusal.
    #[arg(long)]
    anonymous: bool,
    /// The language of error texts (sent as `accept-language`).
    #[arg(long, default_value = "en")]
    lang: String,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ProviderKind {
    Dingtalk,
    Feishu,
    Lark,
}

impl ProviderKind {
    /// The emulator's provider name (Lark is Feishu there).
    fn mock_provider(self) -> &'static str {
        match self {
            ProviderKind::Dingtalk => "dingtalk",
            ProviderKind::Feishu | ProviderKind::Lark => "feishu",
        }
    }
}

/// Why the client stopped.
#[derive(Debug)]
enum Failure {
    /// Bad arguments.
    Usage(String),
    /// The server (or the emulator) refused or could not be reached.
    Refused(String),
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("tonic-client: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Refused(message)) => {
            eprintln!("tonic-client: {message}");
            ExitCode::from(1)
        }
    }
}

async fn run(args: &Args) -> Result<(), Failure> {
    let channel = Channel::from_shared(args.server.clone())
        .map_err(|error| Failure::Usage(format!("--server {}: {error}", args.server)))?
        .connect()
        .await
        .map_err(|error| {
            Failure::Refused(format!(
                "cannot connect to {}: {}\n  is tonic-demo running? Start it with `cargo run -p \
                 silent-login-examples --bin tonic-demo` (it listens on LISTEN, default \
                 127.0.0.1:3000, and prints the tonic-client command to run), or pass --server URL",
                args.server,
                error_chain(&error)
            ))
        })?;
    let mut client = WhoAmIClient::new(channel);

    if args.anonymous {
        let user = call(&mut client, request(args, None)).await?;
        println!(
            "anonymous call answered as {} (the server lets anonymous calls in?)",
            user.user_id
        );
        return Ok(());
    }
    let token = match &args.token {
        Some(token) => token.clone(),
        None => login(&mut client, args).await?,
    };
    let user = call(
        &mut client,
        request(args, Some(("authorization", format!("Bearer {token}")))),
    )
    .await?;
    println!("authenticated call: {}", describe(&user));
    Ok(())
}

/// Logs in with a code and returns the session token.
async fn login(client: &mut WhoAmIClient<Channel>, args: &Args) -> Result<String, Failure> {
    let code = match &args.code {
        Some(code) => code.clone(),
        None => mint(args).await?,
    };
    let response = client
        .get(request(args, Some(("x-auth-code", code))))
        .await
        .map_err(|status| Failure::Refused(explain(&status)))?;
    let token = response
        .metadata()
        .get("x-session-token")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| Failure::Refused("the login answered without x-session-token".to_owned()))?;
    println!("logged in as {}", describe(response.get_ref()));
    println!("session token: {token}");
    Ok(token)
}

/// What the platform's JSAPI does in the client: the emulator mints a code for `--user`.
async fn mint(args: &Args) -> Result<String, Failure> {
    let Some(mock) = &args.mock else {
        return Err(Failure::Usage(
            "give --mock URL (the emulator tonic-demo printed), --code CODE or --token TOKEN"
                .to_owned(),
        ));
    };
    let url = format!("{}/_mock/codes", mock.trim_end_matches('/'));
    let body = serde_json::json!({ "provider": args.provider.mock_provider(), "user": args.user });
    let response = reqwest::Client::new()
        .post(&url)
        .json(&body)
        .send()
        .await
        .map_err(|error| {
            Failure::Refused(format!("cannot reach the emulator at {mock}: {error}"))
        })?;
    let ok = response.status().is_success();
    let answer: serde_json::Value = response
        .json()
        .await
        .map_err(|error| Failure::Refused(format!("the emulator answered garbage: {error}")))?;
    match answer["code"].as_str() {
        Some(code) if ok => Ok(code.to_owned()),
        _ => Err(Failure::Refused(format!(
            "the JSAPI (emulated) refused to give {} a code: {answer}",
            args.user
        ))),
    }
}

async fn call(
    client: &mut WhoAmIClient<Channel>,
    request: Request<GetRequest>,
) -> Result<User, Failure> {
    client
        .get(request)
        .await
        .map(tonic::Response::into_inner)
        .map_err(|status| Failure::Refused(explain(&status)))
}

fn request(args: &Args, credential: Option<(&'static str, String)>) -> Request<GetRequest> {
    let mut request = Request::new(GetRequest {});
    let metadata = request.metadata_mut();
    if let Ok(lang) = MetadataValue::try_from(args.lang.as_str()) {
        metadata.insert("accept-language", lang);
    }
    if let Some((key, value)) = credential {
        if let Ok(value) = MetadataValue::try_from(value.as_str()) {
            metadata.insert(key, value);
        }
    }
    request
}

/// An error and its sources: tonic's "transport error" alone does not say "connection refused".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn describe(user: &User) -> String {
    let mut text = format!(
        "{} ({}) of {} via {}",
        user.user_id, user.name, user.tenant, user.provider
    );
    if user.is_admin {
        text.push_str(", admin");
    }
    text
}

/// A refusal, explained from its `ErrorInfo`: reason, message, the narrowed cause, the fix.
fn explain(status: &Status) -> String {
    let mut text = format!("refused: {:?}: {}", status.code(), status.message());
    if let Some(info) = status.get_error_details().error_info() {
        text.push_str(&format!(
            "\n  reason: {} (domain {})",
            info.reason, info.domain
        ));
        for key in ["cause", "detail", "solution", "request_id"] {
            if let Some(value) = info.metadata.get(key) {
                text.push_str(&format!("\n  {key}: {value}"));
            }
        }
    }
    text
}
