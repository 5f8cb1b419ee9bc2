//! `silent-login explain` and `silent-login list`, run as a user runs them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn silent_login(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_silent-login"))
        .args(args)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

#[test]
fn explain_prints_every_cause_and_the_fix() {
    let output = silent_login(&["explain", "40078"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(
        text.starts_with("dingtalk 40078 (TmpAuthCodeNotFound)"),
        "{text}"
    );
    for id in [
        "wrong_jsapi",
        "code_expired",
        "code_used",
        "code_type_mixed",
    ] {
        assert!(text.contains(&format!("[{id}]")), "{id} in {text}");
    }
    assert!(
        text.contains("dd.getAuthCode") && text.contains("Solution:"),
        "{text}"
    );
}

#[test]
fn explain_in_chinese() {
    let text = stdout(&silent_login(&["explain", "10236", "--lang", "zh"]));
    assert!(text.contains("重定向 URL"), "{text}");
    assert!(text.contains("解决方法"), "{text}");
}

#[test]
fn lang_follows_the_locale_when_not_given() {
    let output = Command::new(env!("CARGO_BIN_EXE_silent-login"))
        .args(["explain", "40078"])
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "zh_CN.UTF-8")
        .output()
        .unwrap();
    assert!(stdout(&output).contains("临时授权码不存在"));
}

#[test]
fn explain_json_is_an_array_of_localized_entries() {
    let output = silent_login(&["explain", "40078", "--json", "--lang", "zh"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry["provider"], "dingtalk");
    assert_eq!(entry["code"], 40078);
    assert_eq!(entry["name"], "TmpAuthCodeNotFound");
    assert_eq!(entry["message"], "临时授权码不存在。");
    assert_eq!(entry["http_status"], 401);
    assert_eq!(entry["retryable"], false);
    assert_eq!(entry["raised_by"], "server_api");
    let causes = entry["causes"].as_array().unwrap();
    assert_eq!(causes.len(), 4);
    assert_eq!(causes[0]["id"], "wrong_jsapi");
    assert_eq!(causes[0]["details"].as_array().unwrap().len(), 2);
    for cause in causes {
        assert_eq!(cause["source"], "seed", "{cause}");
    }
    assert_eq!(entry["solution_source"], "inferred");
    assert!(entry["solution"]
        .as_str()
        .unwrap()
        .contains("dd.getAuthCode"));
    assert!(entry.get("docs").is_some());
}

#[test]
fn explain_without_a_provider_searches_every_catalog() {
    for (code, provider) in [
        ("40078", "dingtalk"),
        ("10236", "feishu"),
        ("700201", "silent-login"),
    ] {
        let json: serde_json::Value =
            serde_json::from_slice(&silent_login(&["explain", code, "--json"]).stdout).unwrap();
        let providers: Vec<&str> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["provider"].as_str().unwrap())
            .collect();
        assert_eq!(providers, [provider]);
    }
}

#[test]
fn provider_filter_and_lark_alias() {
    let output = silent_login(&["explain", "20007", "--provider", "lark", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json[0]["provider"], "feishu");
    let output = silent_login(&["explain", "20007", "--provider", "dingtalk"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("no error code 20007 in the dingtalk catalog"));
}

#[test]
fn an_unknown_code_exits_2_with_a_clear_message() {
    let output = silent_login(&["explain", "12345"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no error code 12345 in any catalog"),
        "{stderr}"
    );
    let output = silent_login(&["explain", "1", "--provider", "wecom"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown provider `wecom`"));
}

#[test]
fn negative_codes_work() {
    let text = stdout(&silent_login(&["explain", "-1"]));
    assert!(text.starts_with("dingtalk -1 "), "{text}");
}

#[test]
fn list_shows_every_code_of_a_provider() {
    let text = stdout(&silent_login(&["list", "--provider", "silent-login"]));
    assert_eq!(
        text.lines().count(),
        silent_login_catalog::SilentLoginCode::ALL.len()
    );
    assert!(text.contains("700101") && text.contains("AuthCodeMissing"));
    let all = stdout(&silent_login(&["list"]));
    assert_eq!(
        all.lines().count(),
        silent_login_catalog::KnownCode::all().count()
    );
    let json: serde_json::Value =
        serde_json::from_slice(&silent_login(&["list", "--provider", "feishu", "--json"]).stdout)
            .unwrap();
    assert_eq!(
        json.as_array().unwrap().len(),
        silent_login_catalog::FeishuCode::ALL.len()
    );
}

#[test]
fn explain_marks_inferred_text_in_both_languages() {
    // 10207: the source gives only "sessionid 为空。"; its cause and solution are ours.
    let en = stdout(&silent_login(&["explain", "10207", "--lang", "en"]));
    let cause_line = en
        .lines()
        .find(|line| line.contains("[client_session_missing]"))
        .unwrap();
    assert!(
        cause_line.contains("(inferred) [client_session_missing]"),
        "{en}"
    );
    let solution = en.split("Solution:").nth(1).unwrap();
    assert!(
        solution.lines().nth(1).unwrap().ends_with("(inferred)"),
        "{en}"
    );
    let zh = stdout(&silent_login(&["explain", "10207", "--lang", "zh"]));
    assert_eq!(zh.matches("（推断）").count(), 2, "{zh}");

    // 10232: the source document's own words are not marked.
    let documented = stdout(&silent_login(&["explain", "10232", "--lang", "zh"]));
    assert!(!documented.contains("（推断）"), "{documented}");
}

#[test]
fn explain_json_says_where_each_text_comes_from() {
    let output = silent_login(&["explain", "10227", "--provider", "feishu", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let entry = &json[0];
    assert_eq!(entry["solution_source"], "inferred");
    for cause in entry["causes"].as_array().unwrap() {
        assert_eq!(cause["source"], "inferred", "{cause}");
    }
    let output = silent_login(&["explain", "700201", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json[0]["solution_source"], "silent_login");
    assert_eq!(json[0]["causes"][0]["source"], "silent_login");
}

#[test]
fn explain_shows_a_feishu_errno() {
    let output = silent_login(&["explain", "2700002", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json[0]["raised_by"], "jsapi_errno");
    assert_eq!(json[0]["name"], "RequestAccessAuthorizationFailed");
    let text = stdout(&silent_login(&["explain", "103", "--lang", "zh"]));
    assert!(text.contains("前端 JSAPI（errno）"), "{text}");
}
