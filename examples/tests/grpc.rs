#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The tonic demo behind the SilentLoginLayer, called by a real tonic client: log in with a code
//! in metadata, call with the bearer token, and every refusal explained by `ErrorInfo`.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use silent_login::catalog::{lookup, Lang};
use silent_login::ProviderKind;
use silent_login_examples::config::{Config, VARIABLES};
use silent_login_examples::proto::who_am_i_client::WhoAmIClient;
use silent_login_examples::proto::{GetRequest, User};
use silent_login_examples::tonic_demo::{self, GrpcServer};
use silent_login_mock::{demo, MintCode};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::timeout;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorInfo, StatusExt};

/// How long a call, a start-up or a client run may take before the test fails as hung (each
/// takes milliseconds when things work).
const HANG: Duration = Duration::from_secs(60);

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn dingtalk_demo() -> GrpcServer {
    let config = Config::emulated(ProviderKind::DingTalk).listen_on(any_port());
    tonic_demo::serve(config).await.unwrap()
}

/// A client whose connection and calls fail as hung after [`HANG`] instead of waiting forever.
async fn client(server: &GrpcServer) -> WhoAmIClient<Channel> {
    let channel = Endpoint::from_shared(server.url())
        .unwrap()
        .connect_timeout(HANG)
        .timeout(HANG)
        .connect()
        .await
        .unwrap();
    WhoAmIClient::new(channel)
}

fn mint(server: &GrpcServer, user: &str) -> String {
    let mock = server
        .backend()
        .emulator()
        .expect("the demo runs on the emulator");
    mock.mint_code(MintCode::dingtalk(user)).unwrap()
}

fn with(key: &'static str, value: &str) -> Request<GetRequest> {
    let mut request = Request::new(GetRequest {});
    request
        .metadata_mut()
        .insert(key, MetadataValue::try_from(value).unwrap());
    request
}

async fn login(client: &mut WhoAmIClient<Channel>, code: &str) -> Result<Response<User>, Status> {
    client.get(with("x-auth-code", code)).await
}

fn error_info(status: &Status) -> ErrorInfo {
    status
        .get_error_details()
        .error_info()
        .cloned()
        .unwrap_or_else(|| panic!("no ErrorInfo in {status:?}"))
}

#[tokio::test]
async fn login_by_metadata_returns_the_user_and_a_session_token() {
    let server = dingtalk_demo().await;
    let mut client = client(&server).await;
    let response = login(&mut client, &mint(&server, demo::ALICE))
        .await
        .unwrap();
    let token = response
        .metadata()
        .get("x-session-token")
        .expect("x-session-token header")
        .to_str()
        .unwrap();
    assert!(token.starts_with("v2."), "{token}");
    let user = response.into_inner();
    assert_eq!(user.provider, "dingtalk");
    assert_eq!(user.user_id, "alice");
    assert_eq!(user.name, "张爱丽 Alice");
    assert_eq!(user.tenant, demo::DINGTALK_CORP_ID);
    assert!(!user.is_admin);
}

#[tokio::test]
async fn the_session_token_authenticates_later_calls_as_a_bearer() {
    let server = dingtalk_demo().await;
    let mut client = client(&server).await;
    let response = login(&mut client, &mint(&server, demo::BOB)).await.unwrap();
    let token = response
        .metadata()
        .get("x-session-token")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let user = client
        .get(with("authorization", &format!("Bearer {token}")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(user.user_id, "bob");
    assert!(user.is_admin);
}

#[tokio::test]
async fn a_call_without_a_session_is_unauthenticated_with_error_info() {
    let server = dingtalk_demo().await;
    let mut client = client(&server).await;
    let status = client.get(Request::new(GetRequest {})).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    let info = error_info(&status);
    assert_eq!(info.reason, "SILENT_LOGIN_700201");
    assert_eq!(info.domain, "silent-login");
    assert_eq!(info.metadata["provider"], "silent-login", "{info:?}");
    assert_eq!(info.metadata["errcode"], "700201", "{info:?}");
    let code = silent_login::catalog::KnownCode::from_key("silent-login", 700201).unwrap();
    assert_eq!(status.message(), code.message(Lang::En), "{status:?}");
    assert_eq!(
        info.metadata["solution"],
        code.entry().solution.get(Lang::En),
        "{info:?}"
    );
}

#[tokio::test]
async fn a_used_code_is_refused_and_explained_as_used() {
    let server = dingtalk_demo().await;
    let mut client = client(&server).await;
    let code = mint(&server, demo::ALICE);
    login(&mut client, &code).await.unwrap();
    let status = login(&mut client, &code).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    let info = error_info(&status);
    assert_eq!(info.reason, "DINGTALK_40078");
    assert_eq!(info.domain, "silent-login");
    assert_eq!(
        info.metadata.get("cause_id").map(String::as_str),
        Some("code_used")
    );
}

#[tokio::test]
async fn a_user_who_cannot_see_the_app_is_permission_denied() {
    let server = dingtalk_demo().await;
    let mut client = client(&server).await;
    let status = login(&mut client, &mint(&server, demo::CAROL))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert_eq!(error_info(&status).reason, "DINGTALK_40079");
}

#[tokio::test]
async fn errors_follow_the_accept_language_metadata() {
    let server = dingtalk_demo().await;
    let mut client = client(&server).await;
    let mut request = with("x-auth-code", &mint(&server, demo::CAROL));
    request
        .metadata_mut()
        .insert("accept-language", MetadataValue::from_static("zh-CN"));
    let status = client.get(request).await.unwrap_err();
    let info = error_info(&status);
    assert_eq!(info.reason, "DINGTALK_40079");
    let entry = lookup(ProviderKind::DingTalk, 40079).unwrap().entry();
    assert_eq!(status.message(), entry.message.get(Lang::Zh), "{status:?}");
    assert_eq!(info.metadata["solution"], entry.solution.get(Lang::Zh));
}

#[tokio::test]
async fn an_unreachable_platform_is_unavailable() {
    // A port bound but never listened on: connections are refused, and no other process can
    // take the port while the test runs.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(any_port()).unwrap();
    let closed = socket.local_addr().unwrap();
    let vars = [
        ("DINGTALK_APP_KEY", "dingkey".to_owned()),
        ("DINGTALK_APP_SECRET", "dingsecret".to_owned()),
        ("DINGTALK_CORP_ID", "dingcorp".to_owned()),
        ("DINGTALK_API_BASE", format!("http://{closed}")),
        ("LISTEN", "127.0.0.1:0".to_owned()),
    ];
    let config = Config::from_vars(vars.iter().cloned()).unwrap();
    let server = tonic_demo::serve(config).await.unwrap();
    assert!(server.backend().emulator().is_none());
    let mut client = client(&server).await;
    let status = login(&mut client, "0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    let info = error_info(&status);
    assert_eq!(info.reason, "SILENT_LOGIN_700401", "{info:?}");
    assert_eq!(info.domain, "silent-login");
    drop(socket);
}

/// The `tonic-demo` binary, killed when the test ends (`kill_on_drop`).
struct DemoProcess {
    _child: Child,
    server: String,
    mock: String,
    /// The arguments of the `tonic-client` command line it suggested (`try: …`).
    hint: Vec<String>,
    /// Everything it printed before the hint.
    banner: String,
}

async fn spawn_tonic_demo(provider: &str) -> DemoProcess {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tonic-demo"));
    for variable in VARIABLES {
        command.env_remove(variable.name);
    }
    let mut child = command
        .env("SILENT_LOGIN_PROVIDER", provider)
        .env("LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let (mut server, mut mock, mut hint) = (None, None, None);
    let mut banner = String::new();
    while hint.is_none() {
        let line = timeout(HANG, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("tonic-demo said nothing for {HANG:?}: is it hung?"))
            .unwrap()
            .expect("tonic-demo exited before suggesting a client command");
        println!("tonic-demo: {line}");
        if let Some(url) = line.split("answers at ").nth(1) {
            mock = Some(url.trim().to_owned());
        }
        if let Some(url) = line.split("listening on ").nth(1) {
            server = Some(url.trim().to_owned());
        }
        match line.split_once(" --bin tonic-client -- ") {
            Some((_, args)) => hint = Some(args.split_whitespace().map(str::to_owned).collect()),
            None => banner.push_str(&format!("{line}\n")),
        }
    }
    // Keep draining stdout so the demo never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    DemoProcess {
        _child: child,
        server: server.expect("tonic-demo did not say where it listens"),
        mock: mock.expect("tonic-demo did not print the emulator's URL"),
        hint: hint.unwrap_or_default(),
        banner,
    }
}

/// Runs `tonic-client`; a run that takes longer than [`HANG`] is killed and fails the test.
async fn run_client(args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tonic-client"));
    command
        .env_remove("SILENT_LOGIN_PROVIDER")
        .args(args)
        .kill_on_drop(true);
    let output = timeout(HANG, command.output())
        .await
        .unwrap_or_else(|_| panic!("tonic-client {args:?} ran for more than {HANG:?}"))
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    println!("tonic-client {args:?}\n{stdout}{stderr}");
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

#[tokio::test]
async fn the_client_binary_logs_in_to_the_server_binary() {
    let demo = spawn_tonic_demo("dingtalk").await;
    let (server, mock) = (demo.server.as_str(), demo.mock.as_str());

    let (code, stdout, _) =
        run_client(&["--server", server, "--mock", mock, "--user", "alice"]).await;
    assert_eq!(code, 0);
    assert!(
        stdout.contains("logged in as alice (张爱丽 Alice) of dingdemocorp via dingtalk"),
        "{stdout}"
    );
    assert!(stdout.contains("session token: v2."), "{stdout}");
    assert!(stdout.contains("authenticated call: alice"), "{stdout}");

    let (code, _, stderr) = run_client(&["--server", server, "--anonymous"]).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("refused: Unauthenticated"), "{stderr}");
    assert!(
        stderr.contains("reason: SILENT_LOGIN_700201 (domain silent-login)"),
        "{stderr}"
    );

    let (code, _, stderr) =
        run_client(&["--server", server, "--mock", mock, "--user", "carol"]).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("refused: PermissionDenied"), "{stderr}");
    assert!(stderr.contains("reason: DINGTALK_40079"), "{stderr}");
}

#[tokio::test]
async fn the_command_tonic_demo_suggests_works_for_each_provider() {
    for provider in ["dingtalk", "feishu", "lark"] {
        let demo = spawn_tonic_demo(provider).await;
        assert!(
            !demo.banner.contains("page"),
            "tonic-demo has no page: {}",
            demo.banner
        );
        assert!(
            demo.banner.contains("pass --user ID to tonic-client"),
            "{}",
            demo.banner
        );
        let args: Vec<&str> = demo.hint.iter().map(String::as_str).collect();
        assert!(args.contains(&demo.server.as_str()), "{args:?}");
        let (code, stdout, stderr) = run_client(&args).await;
        assert_eq!(code, 0, "{provider}: {args:?}: {stderr}");
        assert!(stdout.contains("authenticated call: alice"), "{stdout}");
    }
}

#[tokio::test]
async fn the_client_says_to_start_tonic_demo_when_nothing_listens() {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", socket.local_addr().unwrap());
    drop(socket);
    let (code, _, stderr) = run_client(&["--server", &closed, "--anonymous"]).await;
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!("cannot connect to {closed}")),
        "{stderr}"
    );
    assert!(stderr.contains("is tonic-demo running?"), "{stderr}");
    assert!(
        stderr.contains("cargo run -p silent-login-examples --bin tonic-demo"),
        "{stderr}"
    );
}
