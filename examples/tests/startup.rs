#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The binaries as a newcomer meets them: `--help` without starting anything, every
//! configuration mistake in one run (exit code 2, never a panic), loud warnings for what was
//! probably not meant, `LISTEN=localhost:PORT`, plain text when piped, a Redis URL that cannot be
//! used refused, and a graceful stop on SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const AXUM: &str = env!("CARGO_BIN_EXE_axum-demo");
const TONIC: &str = env!("CARGO_BIN_EXE_tonic-demo");
const CLIENT: &str = env!("CARGO_BIN_EXE_tonic-client");

/// How long a start-up may take before the test fails as hung (it takes milliseconds).
const HANG: Duration = Duration::from_secs(60);

/// `binary` with none of the caller's variables of ours (any prefix the examples warn about).
fn command(binary: &str, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(binary);
    for (name, _) in std::env::vars_os() {
        let ours = name.to_str().is_some_and(|name| {
            [
                "SILENT_LOGIN_",
                "DINGTALK_",
                "FEISHU_",
                "LARK_",
                "REDIS_URL",
                "LISTEN",
            ]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        });
        if ours {
            command.env_remove(name);
        }
    }
    command
        .env("LISTEN", "127.0.0.1:0")
        .env_remove("NO_COLOR")
        .envs(vars.iter().copied());
    command
}

/// Runs `binary` to its end; returns exit code, stdout and stderr.
fn run(binary: &str, args: &[&str], vars: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let output = command(binary, vars).args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A server binary that is up: stdout up to its "listening" line.
struct Running {
    child: Child,
    banner: String,
    stdout: mpsc::Receiver<String>,
    reader: Option<thread::JoinHandle<()>>,
}

fn start(binary: &str, vars: &[(&str, &str)]) -> Running {
    let mut child = command(binary, vars)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, stdout) = mpsc::channel();
    let out = BufReader::new(child.stdout.take().unwrap());
    let reader = thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut banner = String::new();
    loop {
        let line = stdout
            .recv_timeout(HANG)
            .unwrap_or_else(|_| panic!("{binary} did not start: {banner}"));
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("listening") {
            break;
        }
    }
    Running {
        child,
        banner,
        stdout,
        reader: Some(reader),
    }
}

impl Running {
    /// Sends SIGTERM and waits: exit code, the rest of stdout, all of stderr.
    fn terminate(mut self) -> (Option<i32>, String, String) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = self.child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        let rest: Vec<String> = self.stdout.try_iter().collect();
        (status.code(), rest.join("\n"), stderr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn help_prints_the_usage_and_every_variable_and_starts_nothing() {
    for binary in [AXUM, TONIC] {
        for flag in ["--help", "-h"] {
            let (code, stdout, stderr) = run(binary, &[flag], &[]);
            assert_eq!(code, Some(0), "{binary} {flag}: {stderr}");
            assert!(stdout.contains("Usage:"), "{stdout}");
            for variable in silent_login_examples::config::VARIABLES {
                assert!(stdout.contains(variable.name), "{binary} {flag}: {stdout}");
            }
            assert!(
                !stdout.contains("listening"),
                "{binary} {flag} started: {stdout}"
            );
        }
    }
    let (code, stdout, _) = run(CLIENT, &["--help"], &[]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("SILENT_LOGIN_PROVIDER"), "{stdout}");
    assert!(stdout.contains("--bin tonic-demo"), "{stdout}");
}

#[test]
fn an_unknown_argument_is_a_usage_error() {
    let (code, _, stderr) = run(AXUM, &["--port", "8080"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--port"), "{stderr}");
}

#[test]
fn every_configuration_mistake_is_reported_in_one_run_with_exit_code_2() {
    for binary in [AXUM, TONIC] {
        let (code, _, stderr) = run(
            binary,
            &[],
            &[
                ("SILENT_LOGIN_PROVIDER", "wecom"),
                ("DINGTALK_APP_KEY", "dingkey"),
                ("SILENT_LOGIN_SESSION_KEY", "hunter2"),
                ("LISTEN", "nowhere"),
            ],
        );
        assert_eq!(code, Some(2), "{binary}: {stderr}");
        for expected in [
            "4 mistakes:",
            "SILENT_LOGIN_PROVIDER: unknown provider `wecom`",
            "DINGTALK_APP_SECRET: is not set, but DINGTALK_APP_KEY is",
            "SILENT_LOGIN_SESSION_KEY:",
            "LISTEN: `nowhere` is not an address",
        ] {
            assert!(stderr.contains(expected), "{binary}: {expected}: {stderr}");
        }
        assert!(!stderr.contains("hunter2"), "the key was printed: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_misspelled_variable_is_a_loud_warning_naming_the_variable_meant() {
    let server = start(AXUM, &[("DINGTALK_APPKEY", "dingkey")]);
    let (code, _, stderr) = server.terminate();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "axum-demo: WARNING: DINGTALK_APPKEY: is not read by the examples (ignored); did you \
             mean DINGTALK_APP_KEY?"
        ),
        "{stderr}"
    );
}

#[test]
fn credentials_of_the_other_platform_are_a_loud_warning() {
    let server = start(
        TONIC,
        &[
            ("SILENT_LOGIN_PROVIDER", "dingtalk"),
            ("FEISHU_APP_ID", "cli_real"),
            ("FEISHU_APP_SECRET", "real-secret"),
        ],
    );
    assert!(
        server.banner.contains("embedded emulator"),
        "{}",
        server.banner
    );
    let (_, _, stderr) = server.terminate();
    assert!(
        stderr.contains("WARNING: FEISHU_APP_ID: FEISHU_APP_ID, FEISHU_APP_SECRET are ignored"),
        "{stderr}"
    );
    assert!(!stderr.contains("real-secret"), "{stderr}");
}

#[test]
fn real_credentials_without_a_session_key_warn_what_breaks_and_the_page_gets_the_official_sdk() {
    let server = start(
        AXUM,
        &[
            ("SILENT_LOGIN_PROVIDER", "feishu"),
            ("FEISHU_APP_ID", "cli_real"),
            ("FEISHU_APP_SECRET", "real-secret"),
            ("FEISHU_API_BASE", "http://127.0.0.1:9"),
        ],
    );
    let page = http_get(&url_of(&server));
    assert!(
        page.contains("https://lf-scm-cn.feishucdn.com/lark/op/h5-js-sdk-1.5.44.js"),
        "{page}"
    );
    let (code, _, stderr) = server.terminate();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("WARNING: SILENT_LOGIN_SESSION_KEY: is not set, with real credentials"),
        "{stderr}"
    );
    assert!(
        stderr.contains("no other replica can open them"),
        "{stderr}"
    );
    assert!(!stderr.contains("real-secret"), "{stderr}");
}

#[test]
fn listen_accepts_localhost() {
    let server = start(AXUM, &[("LISTEN", "localhost:0")]);
    assert!(
        server.banner.contains("listening: open http://127.0.0.1:"),
        "{}",
        server.banner
    );
    assert_eq!(http_get(&format!("{}healthz", url_of(&server))), "ok");
}

#[test]
fn sigterm_stops_both_servers_gracefully() {
    for (binary, name) in [(AXUM, "axum-demo"), (TONIC, "tonic-demo")] {
        let server = start(binary, &[]);
        let (code, stdout, stderr) = server.terminate();
        assert_eq!(code, Some(0), "{name}: {stderr}");
        assert!(
            stdout.contains(&format!("{name}: SIGTERM: shutting down")),
            "{name}: {stdout}"
        );
        assert!(
            stdout.contains(&format!("{name}: stopped")),
            "{name}: {stdout}"
        );
    }
}

#[test]
fn logs_are_plain_text_when_not_a_terminal() {
    let server = start(AXUM, &[("RUST_LOG", "debug")]);
    let (_, _, stderr) = server.terminate();
    assert!(stderr.contains(" INFO "), "no log lines to check: {stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "ANSI escapes in a pipe: {stderr:?}"
    );
}

#[test]
fn a_redis_url_that_cannot_be_used_stops_the_demo() {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("redis://:hunter2@{}", socket.local_addr().unwrap());
    drop(socket);
    let (code, stdout, stderr) = run(AXUM, &[], &[("REDIS_URL", &closed)]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("REDIS_URL: cannot use redis://***@127.0.0.1:"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(!stdout.contains("listening"), "{stdout}");
}

fn url_of(server: &Running) -> String {
    server
        .banner
        .split("listening: open ")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned()
}

/// A GET with the standard library only (the binaries speak HTTP/1.1).
fn http_get(url: &str) -> String {
    use std::io::Write;
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (_, body) = answer.split_once("\r\n\r\n").unwrap();
    body.to_owned()
}
