//! What `POST /api/login` answers before the platform is asked (docs/CONTRACTS.md, 1.1 and 1.2):
//! a misspelled, empty or missing code named as such, a front end's JSAPI failure explained, and
//! bodies too large, of another type, malformed or sent with another method refused with their
//! own codes — never a panic, never a session.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use silent_login::catalog::Lang;
use silent_login_mock::demo;
use support::{
    catalog_text, client, error_body, get_me, login, raw_http, send_code, serve_layer, start_mock,
    Auth, Place, ProviderKind, TestPlatform, BOTH,
};

#[tokio::test]
async fn a_misspelled_code_parameter_is_named_with_the_one_that_was_meant() {
    let mock = start_mock().await;
    let client = client();
    for platform in BOTH {
        let base = serve_layer(platform.layer(&mock)).await;
        for (got, expected) in [
            ("temp_auth_code", "tmp_auth_code"),
            ("tmpAuthCode", "tmp_auth_code"),
            ("authcode", "authCode"),
        ] {
            for place in Place::ALL {
                let response = send_code(&client, &base, got, "abc123", place).await;
                let body = match platform {
                    ProviderKind::DingTalk => error_body(response, 400, 41026).await,
                    ProviderKind::Feishu | ProviderKind::Lark => {
                        error_body(response, 400, 700102).await
                    }
                };
                if platform == ProviderKind::DingTalk {
                    assert_eq!(body["provider"], "dingtalk");
                    assert_eq!(body["cause_id"], "param_misspelled", "{body:#}");
                    assert!(body["cause"].as_str().is_some_and(|c| !c.is_empty()));
                }
                assert_eq!(
                    body["detail"],
                    format!("got `{got}`, expected `{expected}`"),
                    "{platform:?} {place:?}: {body:#}"
                );
            }
        }
    }
}

#[tokio::test]
async fn an_empty_code_and_a_missing_code_are_told_apart() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let empty = send_code(&client, &base, "tmp_auth_code", "", Place::Json).await;
    let body = error_body(empty, 400, 41026).await;
    assert_eq!(body["cause_id"], "frontend_no_code", "{body:#}");
    let blank = send_code(&client, &base, "code", "   ", Place::Form).await;
    let body = error_body(blank, 400, 41026).await;
    assert_eq!(body["cause_id"], "frontend_no_code", "{body:#}");
    let null = client
        .post(format!("{base}/api/login"))
        .json(&json!({ "authCode": null }))
        .send()
        .await
        .unwrap();
    error_body(null, 400, 41026).await;
    let none = client
        .post(format!("{base}/api/login"))
        .json(&json!({ "user": "alice" }))
        .send()
        .await
        .unwrap();
    let body = error_body(none, 400, 41026).await;
    assert_eq!(body["cause_id"], "param_missing", "{body:#}");
    let nothing = client
        .post(format!("{base}/api/login"))
        .send()
        .await
        .unwrap();
    let body = error_body(nothing, 400, 41026).await;
    assert_eq!(body["cause_id"], "param_missing", "{body:#}");

    let base = serve_layer(ProviderKind::Feishu.layer(&mock)).await;
    let empty = send_code(&client, &base, "code", "", Place::Json).await;
    let body = error_body(empty, 400, 700103).await;
    assert_eq!(body["provider"], "silent-login");
    let none = client
        .post(format!("{base}/api/login"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    error_body(none, 400, 700101).await;
}

#[tokio::test]
async fn a_feishu_front_end_failure_is_answered_with_its_catalog_solution() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::Feishu.layer(&mock)).await;
    for (language, lang) in [("en-US,en;q=0.9", Lang::En), ("zh-CN,zh;q=0.9", Lang::Zh)] {
        let response = client
            .post(format!("{base}/api/login"))
            .header("accept-language", language)
            .json(&json!({ "errCode": 10236, "errMsg": "invalid url" }))
            .send()
            .await
            .unwrap();
        let body = error_body(response, 400, 10236).await;
        let (message, solution) = catalog_text("feishu", 10236, lang);
        assert_eq!(body["provider"], "feishu");
        assert_eq!(body["errmsg"], message);
        assert_eq!(body["solution"], solution);
        assert_eq!(body["causes"].as_array().unwrap().len(), 3, "{body:#}");
        assert!(body["docs"].as_str().unwrap().starts_with("https://"));
    }
    // The same report as a form, the way a plain <form> would send it.
    let response = client
        .post(format!("{base}/api/login"))
        .form(&[("errCode", "10236")])
        .send()
        .await
        .unwrap();
    error_body(response, 400, 10236).await;
}

#[tokio::test]
async fn an_oversized_login_body_is_refused_with_413() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let padding = "x".repeat(8 * 1024);
    let declared = client
        .post(format!("{base}/api/login"))
        .json(&json!({ "tmp_auth_code": "abc", "padding": padding }))
        .send()
        .await
        .unwrap();
    error_body(declared, 413, 700106).await;

    // The same without Content-Length: chunked, so only the limit on reading catches it.
    let chunk = format!("{{\"padding\":\"{padding}\"}}");
    let request = format!(
        "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    let (status, answer) = raw_http(&base, request.as_bytes()).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("700106"), "{answer}");
    // The server is still there.
    assert_eq!(get_me(&client, &base, Auth::None).await.status(), 401);
}

#[tokio::test]
async fn a_login_body_of_another_content_type_is_refused_with_415() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    for content_type in [
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/xml",
    ] {
        let response = client
            .post(format!("{base}/api/login"))
            .header("content-type", content_type)
            .body("tmp_auth_code=abc")
            .send()
            .await
            .unwrap();
        error_body(response, 415, 700105).await;
    }
    let untyped = client
        .post(format!("{base}/api/login"))
        .body("tmp_auth_code=abc")
        .send()
        .await
        .unwrap();
    error_body(untyped, 415, 700105).await;
}

#[tokio::test]
async fn malformed_json_form_and_invalid_utf8_are_refused_with_400() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let cases: [(&str, &[u8]); 6] = [
        ("application/json", b"{not json"),
        ("application/json", b"[1,2,3]"),
        ("application/json", b"\"tmp_auth_code\""),
        ("application/json", &[0xff, 0xfe, 0x7b, 0x7d]),
        (
            "application/json; charset=utf-8",
            b"{\"tmp_auth_code\":\"a\xffb\"}",
        ),
        (
            "application/x-www-form-urlencoded",
            &[0x74, 0x3d, 0xff, 0xfe],
        ),
    ];
    for (content_type, body) in cases {
        let response = client
            .post(format!("{base}/api/login"))
            .header("content-type", content_type)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let body = error_body(response, 400, 700107).await;
        assert!(body["detail"].is_string(), "{body:#}");
    }
    let wrong_type = client
        .post(format!("{base}/api/login"))
        .json(&json!({ "tmp_auth_code": 42 }))
        .send()
        .await
        .unwrap();
    error_body(wrong_type, 400, 700104).await;
}

#[tokio::test]
async fn a_login_by_any_method_but_post_is_refused_with_405_and_allow_post() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let code = ProviderKind::DingTalk.mint(&mock, demo::ALICE);
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let response = client
            .request(
                method.clone(),
                format!("{base}/api/login?tmp_auth_code={code}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["allow"], "POST", "{method}");
        error_body(response, 405, 700108).await;
    }
    // The code was never exchanged: it still works with POST.
    let response = login(&client, &base, &code).await;
    assert_eq!(response.status(), 200);
}
