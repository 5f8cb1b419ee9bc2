//! `silent-login-mock`: the DingTalk + Feishu/Lark emulator as a standalone server, for the
//! clients under test that cannot start it in-process (browsers, other languages).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use silent_login_mock::{demo, MockConfig, MockPlatform};
use tracing_subscriber::EnvFilter;

/// An emulator of the DingTalk and Feishu/Lark open platforms for silent-login (免登) testing.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4000")]
    listen: SocketAddr,
    /// YAML file with apps and users (default: the demo organization).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let config = match &args.config {
        Some(path) => MockConfig::load(path)?,
        None => MockConfig::demo(),
    };
    let mock = MockPlatform::builder()
        .config(config)
        .listen(args.listen)
        .start()
        .await?;
    let base = mock.base_url();
    println!("silent-login-mock listening on {base} (DingTalk and Feishu endpoints)");
    if args.config.is_none() {
        println!(
            "demo org: DingTalk appkey {} corpId {}; Feishu app_id {}; users alice bob carol dave erin",
            demo::DINGTALK_APP_KEY,
            demo::DINGTALK_CORP_ID,
            demo::FEISHU_APP_ID
        );
    }
    println!("mint a code: curl -s -XPOST {base}/_mock/codes -d '{{\"provider\":\"dingtalk\",\"user\":\"alice\"}}' -H 'content-type: application/json'");
    println!("browser shim: <script src=\"{base}/_mock/jsapi.js\"></script>");
    tokio::signal::ctrl_c().await?;
    mock.shutdown().await;
    Ok(())
}
