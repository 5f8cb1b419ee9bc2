//! `bench-client`: what `scripts/bench-layer.sh` needs besides wrk — logging in for real, and
//! codes for the login rounds.

use std::io::Write;

use clap::{Parser, Subcommand};
use silent_login_mock::demo;

/// Logs in to a benchmark server and mints codes at the emulator.
#[derive(Debug, Parser)]
#[command(about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Logs in through the layer with a fresh code; prints `TOKEN=…` and `COOKIE=name=value`.
    Login {
        /// The layer's server.
        #[arg(long)]
        server: String,
        /// The emulator.
        #[arg(long)]
        platform: String,
    },
    /// Logs in to the axum-login server; prints `COOKIE=name=value`.
    PasswordLogin {
        /// The axum-login server.
        #[arg(long)]
        server: String,
    },
    /// Mints `count` DingTalk codes for the demo user, one per line.
    Codes {
        /// The emulator.
        #[arg(long)]
        platform: String,
        /// How many.
        #[arg(long)]
        count: usize,
    },
    /// Fails unless `GET url` (with `header`, `Name: value`) answers 200 with exactly `body`.
    Expect {
        /// What to get.
        #[arg(long)]
        url: String,
        /// A request header, `Name: value`.
        #[arg(long)]
        header: Option<String>,
        /// The expected body.
        #[arg(long)]
        body: String,
    },
    /// Prints how many times the emulator's DingTalk `getuserinfo` was called.
    Exchanges {
        /// The emulator.
        #[arg(long)]
        platform: String,
    },
    /// Prints a DingTalk app access token for the demo app (for the raw exchange rounds).
    AppToken {
        /// The emulator.
        #[arg(long)]
        platform: String,
    },
}

use silent_login_bench::Failure;

async fn mint(client: &reqwest::Client, platform: &str) -> Result<String, Failure> {
    let answer: serde_json::Value = client
        .post(format!("{platform}/_mock/codes"))
        .json(&serde_json::json!({ "provider": "dingtalk", "user": demo::ALICE }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(answer["code"]
        .as_str()
        .ok_or("the emulator answered no code")?
        .to_owned())
}

/// The `name=value` of the first `Set-Cookie` of `response`.
fn first_cookie(response: &reqwest::Response) -> Result<String, Failure> {
    let value = response
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .ok_or("the login set no cookie")?
        .to_str()?;
    Ok(value.split(';').next().unwrap_or_default().to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let client = reqwest::Client::new();
    match Args::parse().command {
        Command::Login { server, platform } => {
            let code = mint(&client, &platform).await?;
            let response = client
                .post(format!("{server}/api/login"))
                .json(&serde_json::json!({ "tmp_auth_code": code }))
                .send()
                .await?
                .error_for_status()?;
            let cookie = first_cookie(&response)?;
            let body: serde_json::Value = response.json().await?;
            let token = body["token"]
                .as_str()
                .ok_or("the login answered no token")?;
            println!("TOKEN={token}\nCOOKIE={cookie}");
        }
        Command::PasswordLogin { server } => {
            let response = client
                .post(format!("{server}/login"))
                .send()
                .await?
                .error_for_status()?;
            println!("COOKIE={}", first_cookie(&response)?);
        }
        Command::Codes { platform, count } => {
            let mut tasks = tokio::task::JoinSet::new();
            let workers = 16;
            for worker in 0..workers {
                let (client, platform) = (client.clone(), platform.clone());
                let share = count / workers + usize::from(worker < count % workers);
                tasks.spawn(async move {
                    let mut codes = Vec::with_capacity(share);
                    for _ in 0..share {
                        codes.push(mint(&client, &platform).await?);
                    }
                    Ok::<_, Failure>(codes)
                });
            }
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            while let Some(codes) = tasks.join_next().await {
                for code in codes?? {
                    writeln!(out, "{code}")?;
                }
            }
            out.flush()?;
        }
        Command::Expect { url, header, body } => {
            let mut request = client.get(&url);
            if let Some(header) = header {
                let (name, value) = header.split_once(": ").ok_or("--header is `Name: value`")?;
                request = request.header(name, value);
            }
            let response = request.send().await?;
            let status = response.status();
            let text = response.text().await?;
            if status != reqwest::StatusCode::OK || text != body {
                return Err(
                    format!("GET {url} answered {status} `{text:.200}`, not 200 `{body}`").into(),
                );
            }
        }
        Command::Exchanges { platform } => {
            let stats: serde_json::Value = client
                .get(format!("{platform}/_mock/stats"))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let calls = &stats["calls"]["/topapi/v2/user/getuserinfo"];
            println!("{}", calls.as_u64().unwrap_or(0));
        }
        Command::AppToken { platform } => {
            println!(
                "{}",
                silent_login_bench::app_token(&client, &platform).await?
            );
        }
    }
    Ok(())
}
