//! What `POST /api/login` answers before the platform is asked (docs/CONTRACTS.md, 1.1 and 1.2):
//! a misspelled, empty or missing code named as such, a front end's JSAPI failure explained, and
//! bodies too large, of another type, malformed or sent with another method refused with their
//! own codes — never a panic, never a session.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::convert::Infallible;

use bytes::Bytes;
use http_body::Frame;
use http_body_util::{BodyExt, Full, StreamBody};
use serde_json::json;
use silent_login::catalog::{KnownCode, Lang};
use silent_login::SilentLoginLayer;
use silent_login_mock::demo;
use support::{
    catalog_text, client, error_body, get_me, login, raw_http, send_code, serve_layer,
    session_cookie, start_mock, Auth, Place, ProviderKind, TestPlatform, BOTH,
};
use tower::{Layer, ServiceExt};

#[tokio::test]
async fn a_misspelled_code_parameter_is_refused_as_misspelled() {
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
                // DingTalk has its own code for it (41026); Feishu has none, so silent-login's.
                let (provider, errcode, name) = match platform {
                    ProviderKind::DingTalk => ("dingtalk", 41026, "MissingTmpAuthCode"),
                    ProviderKind::Feishu | ProviderKind::Lark => {
                        ("silent-login", 700102, "AuthCodeParamMisspelled")
                    }
                };
                let body = error_body(response, 400, errcode).await;
                let case = format!("{platform:?} `{got}` (for `{expected}`) as {place:?}");
                assert_eq!(body["provider"], provider, "{case}: {body:#}");
                assert_eq!(body["name"], name, "{case}: {body:#}");
                assert_eq!(body["cause_id"], "param_misspelled", "{case}: {body:#}");
                assert!(body["cause"].as_str().is_some_and(|c| !c.is_empty()));
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
    error_body(get_me(&client, &base, Auth::None).await, 401, 700201).await;
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
        assert!(session_cookie(&response).is_none());
        let body = error_body(response, 400, 700107).await;
        assert_eq!(
            body["name"], "LoginBodyMalformed",
            "{content_type}: {body:#}"
        );
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

/// `{"tmp_auth_code":"<code>","padding":"xx…"}`, exactly `size` bytes long.
fn login_body_of_size(code: &str, size: usize) -> String {
    let bare = json!({ "tmp_auth_code": code, "padding": "" }).to_string();
    assert!(bare.len() <= size, "{size} bytes cannot hold {bare}");
    let body =
        json!({ "tmp_auth_code": code, "padding": "x".repeat(size - bare.len()) }).to_string();
    assert_eq!(body.len(), size);
    body
}

/// A login request with `body` in two chunks and no `Content-Length`.
fn chunked_login(body: &str) -> Vec<u8> {
    let (first, second) = body.split_at(body.len() / 2);
    format!(
        "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{first}\r\n{:x}\r\n{second}\r\n0\r\n\r\n",
        first.len(),
        second.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn the_login_body_limit_admits_exactly_the_limit_and_refuses_one_byte_more() {
    const LIMIT: usize = 300;
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock).login_body_limit(LIMIT)).await;

    // With Content-Length: one byte over is refused before the body is read.
    let code = ProviderKind::DingTalk.mint(&mock, demo::ALICE);
    let over = client
        .post(format!("{base}/api/login"))
        .header("content-type", "application/json")
        .body(login_body_of_size(&code, LIMIT + 1))
        .send()
        .await
        .unwrap();
    assert!(session_cookie(&over).is_none());
    let body = error_body(over, 413, 700106).await;
    assert_eq!(body["name"], "LoginBodyTooLarge", "{body:#}");
    // The refused code never reached the platform: exactly the limit logs in with it.
    let exact = client
        .post(format!("{base}/api/login"))
        .header("content-type", "application/json")
        .body(login_body_of_size(&code, LIMIT))
        .send()
        .await
        .unwrap();
    assert_eq!(exact.status(), 200, "{}", exact.text().await.unwrap());

    // Without Content-Length (chunked): only the limit on reading can tell.
    let code = ProviderKind::DingTalk.mint(&mock, demo::BOB);
    let (status, answer) =
        raw_http(&base, &chunked_login(&login_body_of_size(&code, LIMIT + 1))).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains(r#""errcode":700106"#), "{answer}");
    assert!(
        !answer.to_ascii_lowercase().contains("set-cookie"),
        "{answer}"
    );
    let (status, answer) = raw_http(&base, &chunked_login(&login_body_of_size(&code, LIMIT))).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains(r#""user_id":"bob""#), "{answer}");
}

/// A request body that yields `first` and then fails, like a client that went away mid-upload.
type BreakingBody = StreamBody<futures_util::stream::Iter<std::vec::IntoIter<Frames>>>;
type Frames = Result<Frame<Bytes>, std::io::Error>;

fn breaking_body(first: &str) -> BreakingBody {
    StreamBody::new(futures_util::stream::iter(vec![
        Ok(Frame::data(Bytes::from(first.to_owned()))),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "the client went away",
        )),
    ]))
}

fn whole_body(text: &str) -> BreakingBody {
    StreamBody::new(futures_util::stream::iter(vec![Ok(Frame::data(
        Bytes::from(text.to_owned()),
    ))]))
}

/// The layer over a method, driven without a server.
fn login_service(
    layer: SilentLoginLayer,
) -> impl tower::Service<
    http::Request<BreakingBody>,
    Response = http::Response<silent_login::ResponseBody<Full<Bytes>>>,
    Error = Infallible,
> + Clone {
    // A login never reaches it: its answer would not be the JSON the tests read.
    layer.layer(tower::service_fn(|_: http::Request<BreakingBody>| async {
        Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(
            b"the method ran",
        ))))
    }))
}

fn login_request(body: BreakingBody) -> http::Request<BreakingBody> {
    http::Request::post("/api/login")
        .header("content-type", "application/json")
        .body(body)
        .unwrap()
}

/// The status, `Set-Cookie` headers and JSON body of a response.
async fn read_response(
    response: http::Response<silent_login::ResponseBody<Full<Bytes>>>,
) -> (u16, usize, serde_json::Value) {
    let status = response.status().as_u16();
    let cookies = response.headers().get_all("set-cookie").iter().count();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, cookies, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn a_login_body_that_breaks_off_is_refused_as_malformed_and_the_code_stays_good() {
    let mock = start_mock().await;
    let service = login_service(ProviderKind::DingTalk.layer(&mock));
    let code = ProviderKind::DingTalk.mint(&mock, demo::ALICE);
    let whole = json!({ "tmp_auth_code": code }).to_string();
    let (start, _) = whole.split_at(whole.len() - 2);

    let response = service
        .clone()
        .oneshot(login_request(breaking_body(start)))
        .await
        .unwrap();
    let (status, cookies, body) = read_response(response).await;
    assert_eq!(status, 400, "{body:#}");
    assert_eq!(cookies, 0, "no session from a broken body");
    assert_eq!(body["errcode"], 700107, "{body:#}");
    assert_eq!(body["name"], "LoginBodyMalformed", "{body:#}");
    support::assert_error_contract(&body);

    // The code was never presented: sent whole, it logs in.
    let response = service
        .oneshot(login_request(whole_body(&whole)))
        .await
        .unwrap();
    let (status, cookies, body) = read_response(response).await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(cookies, 1);
    assert_eq!(body["user_id"], demo::ALICE);
}

#[tokio::test]
async fn a_login_body_that_breaks_off_is_narrowed_to_its_own_cause() {
    // Not one of the parse failures (invalid JSON, form or UTF-8): the body never arrived whole.
    let mock = start_mock().await;
    let service = login_service(ProviderKind::DingTalk.layer(&mock));
    let response = service
        .oneshot(login_request(breaking_body(r#"{"tmp_auth_code":"ab"#)))
        .await
        .unwrap();
    let (_, _, body) = read_response(response).await;
    assert_eq!(body["errcode"], 700107, "{body:#}");
    let entry = KnownCode::from_key("silent-login", 700107).unwrap().entry();
    let cause = body["cause_id"]
        .as_str()
        .unwrap_or_else(|| panic!("a broken body is not narrowed to a cause: {body:#}"));
    assert!(
        entry.cause(cause).is_some(),
        "{cause} is not a cause of 700107"
    );
    assert!(
        !["invalid_json", "invalid_form", "invalid_utf8"].contains(&cause),
        "a body that broke off is not a parse failure: {body:#}"
    );
}

#[tokio::test]
async fn a_malformed_login_body_is_narrowed_to_what_is_wrong_with_it() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let cases: [(&str, &[u8], &str); 2] = [
        ("application/json", b"{not json", "invalid_json"),
        (
            "application/x-www-form-urlencoded",
            &[0x74, 0x3d, 0xff, 0xfe],
            "invalid_utf8",
        ),
    ];
    for (content_type, sent, cause) in cases {
        let response = client
            .post(format!("{base}/api/login"))
            .header("content-type", content_type)
            .body(sent.to_vec())
            .send()
            .await
            .unwrap();
        let body = error_body(response, 400, 700107).await;
        assert_eq!(body["cause_id"], cause, "{content_type} {sent:?}: {body:#}");
    }
}

#[tokio::test]
async fn refusals_of_a_code_with_one_documented_cause_are_narrowed_to_it() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let url = format!("{base}/api/login");
    let refusals = [
        (client.get(&url), 405, 700108_i32),
        (
            client
                .post(&url)
                .header("content-type", "application/json")
                .body("x".repeat(8 * 1024)),
            413,
            700106,
        ),
        (
            client
                .post(&url)
                .header("content-type", "text/plain")
                .body("tmp_auth_code=abc"),
            415,
            700105,
        ),
        (
            client
                .post(&url)
                .header("origin", "https://evil.example")
                .json(&json!({ "tmp_auth_code": "abc" })),
            403,
            700109,
        ),
    ];
    for (request, status, errcode) in refusals {
        let body = error_body(request.send().await.unwrap(), status, errcode.into()).await;
        let entry = KnownCode::from_key("silent-login", errcode)
            .unwrap()
            .entry();
        // 700106 has a second cause (an over-long query string); this one is the body's.
        let expected = match entry.causes {
            [only] => only.id(),
            _ if errcode == 700106 => "body_over_limit",
            causes => panic!("{errcode} has {} causes", causes.len()),
        };
        assert_eq!(body["cause_id"], expected, "{body:#}");
    }
    let base = serve_layer(ProviderKind::Feishu.layer(&mock).allowed_tenants(["other"])).await;
    let code = ProviderKind::Feishu.mint(&mock, demo::ALICE);
    let body = error_body(login(&client, &base, &code).await, 403, 700301).await;
    assert_eq!(body["cause_id"], "tenant_not_in_allow_list", "{body:#}");
}
