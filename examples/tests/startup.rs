#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The binaries refuse half-given configuration at startup: exit code 2 and a message naming
//! the variable, never a panic.

use std::process::Command;

use silent_login_examples::config::VARIABLES;

/// Runs `binary` with only `vars` set (of the examples' variables); returns exit code and stderr.
fn start(binary: &str, vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(binary);
    for variable in VARIABLES {
        command.env_remove(variable);
    }
    let output = command
        .envs(vars.iter().copied())
        .env("LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr)
}

const AXUM: &str = env!("CARGO_BIN_EXE_axum-demo");
const TONIC: &str = env!("CARGO_BIN_EXE_tonic-demo");

#[test]
fn an_app_key_without_its_secret_stops_both_demos_with_exit_code_2() {
    for binary in [AXUM, TONIC] {
        let (code, stderr) = start(binary, &[("DINGTALK_APP_KEY", "dingkey")]);
        assert_eq!(code, Some(2), "{binary}: {stderr}");
        assert!(
            stderr.contains("DINGTALK_APP_SECRET: is not set"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn an_unknown_provider_stops_the_demo_with_exit_code_2() {
    let (code, stderr) = start(AXUM, &[("SILENT_LOGIN_PROVIDER", "wecom")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("SILENT_LOGIN_PROVIDER: unknown provider `wecom`"),
        "{stderr}"
    );
}

#[test]
fn a_malformed_session_key_stops_the_demo_with_exit_code_2() {
    let (code, stderr) = start(TONIC, &[("SILENT_LOGIN_SESSION_KEY", "hunter2")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("SILENT_LOGIN_SESSION_KEY:"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "the key was printed: {stderr}");
}

#[test]
fn real_credentials_without_the_jsapi_url_stop_the_axum_demo_with_exit_code_2() {
    let real = [
        ("SILENT_LOGIN_PROVIDER", "feishu"),
        ("FEISHU_APP_ID", "cli_real"),
        ("FEISHU_APP_SECRET", "real-secret"),
    ];
    let (code, stderr) = start(AXUM, &real);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("SILENT_LOGIN_JSAPI_URL: is not set"),
        "{stderr}"
    );
    assert!(!stderr.contains("real-secret"), "{stderr}");
}
