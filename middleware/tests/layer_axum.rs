#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The layer under axum 0.8 `Router::layer`, against the emulator of both platforms: the login
//! endpoint and its contract, every refusal with its catalog code, sessions on protected routes,
//! logout, key rotation, the tenant guard, login CSRF and platform outages.

mod support;

use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use silent_login::catalog::{lookup, Lang};
use silent_login::login::CODE_PARAMS;
use silent_login::{
    Identity, KeyRing, Mode, ProviderKind, Session, SessionKey, Sessions, SilentLoginLayer,
};
use silent_login_mock::{demo, DingTalkApp, Endpoint, Fault, MintCode, MockUser, Provider};
use support::{
    client, error_body, login, login_user, me, serve, session_cookie, set_cookies, start_mock,
    token, Platform,
};

/// Where a login request carries its code.
#[derive(Clone, Copy, Debug)]
enum Place {
    Json,
    Form,
    Query,
}

async fn maybe(user: Option<Identity>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |user| user.user_id)
}

async fn whoami(user: Identity) -> Json<Identity> {
    Json(user)
}

/// Ends every session of the caller from application code.
async fn kick_me(State(sessions): State<Sessions>, user: Identity) -> &'static str {
    sessions.logout_all(&user).await.unwrap();
    "kicked"
}

/// The application every test serves: protected, optional and public routes.
fn app(layer: SilentLoginLayer) -> Router {
    let sessions = layer.sessions();
    Router::new()
        .route("/api/me", get(me))
        .route("/api/maybe", get(maybe))
        .route("/api/whoami", get(whoami))
        .route("/api/kick-me", post(kick_me))
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/{*rest}", get(|| async { "asset" }))
        .with_state(sessions)
        .layer(layer)
}

async fn serve_layer(layer: SilentLoginLayer) -> String {
    serve(app(layer)).await
}

async fn send_code(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    code: &str,
    place: Place,
) -> reqwest::Response {
    let url = format!("{base}/api/login");
    let request = match place {
        Place::Json => client.post(url).json(&json!({ name: code })),
        Place::Form => client.post(url).form(&[(name, code)]),
        Place::Query => client.post(url).query(&[(name, code)]),
    };
    request.send().await.unwrap()
}

async fn get_me(client: &reqwest::Client, base: &str, auth: Auth<'_>) -> reqwest::Response {
    let request = client.get(format!("{base}/api/me"));
    let request = match auth {
        Auth::Bearer(token) => request.bearer_auth(token),
        Auth::Cookie(cookie) => request.header("cookie", cookie),
        Auth::None => request,
    };
    request.send().await.unwrap()
}

#[derive(Clone, Copy, Debug)]
enum Auth<'a> {
    Bearer(&'a str),
    Cookie(&'a str),
    None,
}

fn catalog_text(provider: &str, code: i32, lang: Lang) -> (&'static str, &'static str) {
    let entry = lookup(provider, code).unwrap().entry();
    (entry.message.get(lang), entry.solution.get(lang))
}

// ---------------------------------------------------------------------------------------------
// Login: the contract
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn login_accepts_the_code_under_every_name_as_json_form_and_query() {
    let mock = start_mock().await;
    let client = client();
    for platform in Platform::BOTH {
        let base = serve_layer(platform.layer(&mock)).await;
        for name in CODE_PARAMS {
            for place in [Place::Json, Place::Form, Place::Query] {
                let code = platform.mint(&mock, demo::ALICE);
                let response = send_code(&client, &base, name, &code, place).await;
                assert_eq!(
                    response.status(),
                    200,
                    "{platform:?} `{name}` as {place:?}: {}",
                    response.text().await.unwrap()
                );
                assert!(session_cookie(&response).is_some());
                let body: Value = response.json().await.unwrap();
                support::assert_login_body(&body, platform, demo::ALICE);
            }
        }
    }
}

#[tokio::test]
async fn login_sets_an_http_only_lax_secure_cookie_by_default() {
    let mock = start_mock().await;
    let client = client();
    for platform in Platform::BOTH {
        let layer = match platform {
            Platform::DingTalk => SilentLoginLayer::new(support::dingtalk(&mock)),
            Platform::Feishu => SilentLoginLayer::new(support::feishu(&mock)),
        };
        let base = serve_layer(layer).await;
        let response = login(&client, &base, &platform.mint(&mock, demo::BOB)).await;
        assert_eq!(response.status(), 200);
        let cookie = set_cookies(&response)
            .into_iter()
            .find(|cookie| cookie.starts_with("silent_login="))
            .unwrap();
        let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
        assert!(attributes.contains(&"HttpOnly"), "{cookie}");
        assert!(attributes.contains(&"SameSite=Lax"), "{cookie}");
        assert!(attributes.contains(&"Secure"), "{cookie}");
        assert!(attributes.contains(&"Path=/"), "{cookie}");
        let body: Value = response.json().await.unwrap();
        support::assert_login_body(&body, platform, demo::BOB);
        let parsed = cookie::Cookie::parse_encoded(cookie.clone()).unwrap();
        assert_eq!(
            parsed.value(),
            token(&body),
            "the cookie carries the same token as the body"
        );
    }
}

#[tokio::test]
async fn login_cookie_is_not_secure_when_configured_for_plain_http() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
    let response = login(&client, &base, &Platform::DingTalk.mint(&mock, demo::ALICE)).await;
    assert_eq!(response.status(), 200);
    let cookie = set_cookies(&response).remove(0);
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert!(!attributes.contains(&"Secure"), "{cookie}");
    assert!(attributes.contains(&"HttpOnly"), "{cookie}");
    assert!(attributes.contains(&"SameSite=Lax"), "{cookie}");
}

#[tokio::test]
async fn every_login_opens_a_new_session() {
    let mock = start_mock().await;
    let client = client();
    for platform in Platform::BOTH {
        let base = serve_layer(platform.layer(&mock)).await;
        let (first, first_cookie) = login_user(&client, &base, &mock, platform, demo::ALICE).await;
        let (second, second_cookie) =
            login_user(&client, &base, &mock, platform, demo::ALICE).await;
        assert_ne!(token(&first), token(&second));
        assert_ne!(first_cookie, second_cookie);
        for body in [&first, &second] {
            let response = get_me(&client, &base, Auth::Bearer(&token(body))).await;
            assert_eq!(response.status(), 200);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Login: refusals explained
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_misspelled_code_parameter_is_named_with_the_one_that_was_meant() {
    let mock = start_mock().await;
    let client = client();
    for platform in Platform::BOTH {
        let base = serve_layer(platform.layer(&mock)).await;
        for (got, expected) in [
            ("temp_auth_code", "tmp_auth_code"),
            ("tmpAuthCode", "tmp_auth_code"),
            ("authcode", "authCode"),
        ] {
            for place in [Place::Json, Place::Form, Place::Query] {
                let response = send_code(&client, &base, got, "abc123", place).await;
                let body = match platform {
                    Platform::DingTalk => error_body(response, 400, 41026).await,
                    Platform::Feishu => error_body(response, 400, 700102).await,
                };
                if platform == Platform::DingTalk {
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
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
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

    let base = serve_layer(Platform::Feishu.layer(&mock)).await;
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
    let base = serve_layer(Platform::Feishu.layer(&mock)).await;
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
async fn a_chinese_accept_language_gets_chinese_texts() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
    let response = client
        .post(format!("{base}/api/login"))
        .header("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")
        .json(&json!({ "temp_auth_code": "abc" }))
        .send()
        .await
        .unwrap();
    let body = error_body(response, 400, 41026).await;
    let (message, solution) = catalog_text("dingtalk", 41026, Lang::Zh);
    assert_eq!(body["errmsg"], message);
    assert_eq!(body["solution"], solution);
    let entry = lookup("dingtalk", 41026).unwrap().entry();
    let cause = entry.cause("param_misspelled").unwrap();
    assert_eq!(body["cause"], cause.text(Lang::Zh));
    assert!(
        body["errmsg"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c > '\u{2e80}'),
        "{body:#}"
    );

    let refused = client
        .get(format!("{base}/api/me"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap();
    let body = error_body(refused, 401, 700201).await;
    let (message, solution) = catalog_text("silent-login", 700201, Lang::Zh);
    assert_eq!(body["errmsg"], message);
    assert_eq!(body["solution"], solution);
}

#[tokio::test]
async fn a_refused_request_carries_www_authenticate_and_every_key_of_the_error_body() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
    let response = client
        .get(format!("{base}/api/me"))
        .header("x-request-id", "req-123")
        .send()
        .await
        .unwrap();
    let www = response
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(www.starts_with("Bearer"), "{www}");
    assert_eq!(response.headers()["x-request-id"], "req-123");
    let body = error_body(response, 401, 700201).await;
    assert_eq!(body["provider"], "silent-login");
    assert_eq!(body["request_id"], "req-123");
    assert!(!body["causes"].as_array().unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Bad input never panics
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_oversized_login_body_is_refused_with_413() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
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
    let (status, answer) = support::raw_http(&base, request.as_bytes()).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("700106"), "{answer}");
    // The server is still there.
    assert_eq!(get_me(&client, &base, Auth::None).await.status(), 401);
}

#[tokio::test]
async fn a_login_body_of_another_content_type_is_refused_with_415() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
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
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
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
async fn a_get_on_the_login_path_is_refused_with_405_and_allow_post() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
    let code = Platform::DingTalk.mint(&mock, demo::ALICE);
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

#[tokio::test]
async fn a_huge_cookie_or_authorization_header_is_refused_with_431() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
    let cookie = format!("other={}; silent_login=abc", "c".repeat(20 * 1024));
    let response = get_me(&client, &base, Auth::Cookie(&cookie)).await;
    error_body(response, 431, 700111).await;
    let bearer = "b".repeat(9 * 1024);
    let response = get_me(&client, &base, Auth::Bearer(&bearer)).await;
    error_body(response, 431, 700111).await;
}

#[tokio::test]
async fn a_tampered_token_is_refused_as_invalid_and_its_cookie_cleared() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
    let (body, _) = login_user(&client, &base, &mock, Platform::DingTalk, demo::ALICE).await;
    let token = token(&body);
    let mut bytes = token.into_bytes();
    let middle = bytes.len() / 2 + 10;
    bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    let response = get_me(&client, &base, Auth::Bearer(&tampered)).await;
    let www = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(www.contains("invalid_token"), "{www}");
    error_body(response, 401, 700203).await;

    let response = get_me(
        &client,
        &base,
        Auth::Cookie(&format!("silent_login={tampered}")),
    )
    .await;
    let cleared = set_cookies(&response);
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("silent_login=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    error_body(response, 401, 700203).await;

    for garbage in ["garbage", "v1.", "v1..", "v2.abc.def", "v1.x.y.z"] {
        let response = get_me(&client, &base, Auth::Bearer(garbage)).await;
        let body: Value = response.json().await.unwrap();
        assert!(
            [700203, 700205].contains(&body["errcode"].as_i64().unwrap()),
            "{garbage}: {body:#}"
        );
    }
}

#[tokio::test]
async fn an_expired_session_is_refused_as_expired() {
    let mock = start_mock().await;
    let client = client();
    let layer = Platform::DingTalk
        .layer(&mock)
        .session_ttl(Duration::from_millis(700));
    let base = serve_layer(layer).await;
    let (body, cookie) = login_user(&client, &base, &mock, Platform::DingTalk, demo::ALICE).await;
    let token = token(&body);
    assert_eq!(
        get_me(&client, &base, Auth::Bearer(&token)).await.status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(900)).await;
    error_body(
        get_me(&client, &base, Auth::Bearer(&token)).await,
        401,
        700202,
    )
    .await;
    error_body(
        get_me(&client, &base, Auth::Cookie(&cookie)).await,
        401,
        700202,
    )
    .await;
}

#[tokio::test]
async fn a_token_sealed_by_a_foreign_key_is_refused_as_unknown_key() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
    let (body, _) = login_user(&client, &base, &mock, Platform::DingTalk, demo::ALICE).await;
    let whoami: Identity = client
        .get(format!("{base}/api/whoami"))
        .bearer_auth(token(&body))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let forged = KeyRing::new(SessionKey::generate()).seal(&Session {
        id: "forged".to_owned(),
        identity: whoami,
        issued_at_ms: now,
        expires_at_ms: now + 3_600_000,
    });
    let response = get_me(&client, &base, Auth::Bearer(&forged)).await;
    error_body(response, 401, 700205).await;
}

#[tokio::test]
async fn a_logged_out_session_is_refused_as_revoked() {
    let mock = start_mock().await;
    let client = client();
    for platform in Platform::BOTH {
        let base = serve_layer(platform.layer(&mock)).await;
        let (body, cookie) = login_user(&client, &base, &mock, platform, demo::ALICE).await;
        let token = token(&body);
        let out = client
            .post(format!("{base}/api/logout"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 200);
        error_body(
            get_me(&client, &base, Auth::Bearer(&token)).await,
            401,
            700204,
        )
        .await;
        error_body(
            get_me(&client, &base, Auth::Cookie(&cookie)).await,
            401,
            700204,
        )
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// Protected routes
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_session_is_accepted_from_the_cookie_or_a_bearer_token() {
    let mock = start_mock().await;
    let client = client();
    for platform in Platform::BOTH {
        let base = serve_layer(platform.layer(&mock)).await;
        let (body, cookie) = login_user(&client, &base, &mock, platform, demo::BOB).await;
        for auth in [Auth::Bearer(&token(&body)), Auth::Cookie(&cookie)] {
            let response = get_me(&client, &base, auth).await;
            assert_eq!(response.status(), 200, "{auth:?}");
            let me: Value = response.json().await.unwrap();
            assert_eq!(me["user_id"], demo::BOB);
            assert_eq!(me["provider"], platform.name());
        }
        // A cookie among others, and a lower-case scheme.
        let jar = format!("theme=dark; {cookie}; lang=zh");
        assert_eq!(
            get_me(&client, &base, Auth::Cookie(&jar)).await.status(),
            200
        );
        let response = client
            .get(format!("{base}/api/me"))
            .header("authorization", format!("bearer {}", token(&body)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
}

#[tokio::test]
async fn the_identity_extractor_sees_everything_the_platform_vouched_for() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
    let (body, _) = login_user(&client, &base, &mock, Platform::DingTalk, demo::BOB).await;
    let identity: Identity = client
        .get(format!("{base}/api/whoami"))
        .bearer_auth(token(&body))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(identity.provider, ProviderKind::DingTalk);
    assert_eq!(identity.user_id, demo::BOB);
    assert_eq!(identity.tenant.as_deref(), Some(demo::DINGTALK_CORP_ID));
    assert!(identity.is_admin, "bob is the demo organization's admin");
    assert_eq!(identity.name.as_deref(), body["name"].as_str());
    assert_eq!(identity.union_id.as_deref(), body["union_id"].as_str());

    let base = serve_layer(Platform::Feishu.layer(&mock)).await;
    let (body, _) = login_user(&client, &base, &mock, Platform::Feishu, demo::ALICE).await;
    let identity: Identity = client
        .get(format!("{base}/api/whoami"))
        .bearer_auth(token(&body))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(identity.provider, ProviderKind::Feishu);
    assert_eq!(identity.tenant.as_deref(), Some(demo::FEISHU_TENANT_KEY));
    assert!(identity.open_id.is_some());
}

#[tokio::test]
async fn optional_mode_lets_anonymous_requests_through_without_an_identity() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock).mode(Mode::Optional)).await;
    let anonymous = client
        .get(format!("{base}/api/maybe"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 200);
    assert_eq!(anonymous.text().await.unwrap(), "anonymous");
    let garbage = client
        .get(format!("{base}/api/maybe"))
        .bearer_auth("v1.nope.nope")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.text().await.unwrap(), "anonymous");

    let (body, cookie) = login_user(&client, &base, &mock, Platform::DingTalk, demo::ALICE).await;
    for request in [
        client
            .get(format!("{base}/api/maybe"))
            .bearer_auth(token(&body)),
        client
            .get(format!("{base}/api/maybe"))
            .header("cookie", &cookie),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), demo::ALICE);
    }
    // A handler that requires an identity still refuses, with the catalog's error.
    let required = client.get(format!("{base}/api/me")).send().await.unwrap();
    assert_eq!(required.status(), 401);
    let body: Value = required.json().await.unwrap();
    assert_eq!(body["errcode"], 700201);
    support::assert_error_contract(&body);
}

#[tokio::test]
async fn the_identity_extractor_refuses_like_the_layer_with_www_authenticate() {
    // In optional mode the refusal comes from the `Identity` extractor, not the layer; a 401
    // must still say how to authenticate (RFC 9110 §15.5.2) and must not be cached.
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock).mode(Mode::Optional)).await;
    let required = client.get(format!("{base}/api/me")).send().await.unwrap();
    let headers = required.headers().clone();
    let body: Value = required.json().await.unwrap();
    assert_eq!(body["errcode"], 700201);
    assert!(
        headers.contains_key("www-authenticate"),
        "the extractor's 401 has no WWW-Authenticate: {headers:?}"
    );
    assert_eq!(
        headers
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_owned()),
        Some("no-store".to_owned()),
        "the extractor's 401 is cacheable: {headers:?}"
    );
}

#[tokio::test]
async fn public_paths_and_prefixes_need_no_session() {
    let mock = start_mock().await;
    let client = client();
    let layer = Platform::DingTalk
        .layer(&mock)
        .public_path("/healthz")
        .public_prefix("/static/");
    let base = serve_layer(layer).await;
    for path in ["/healthz", "/static/app.js", "/static/css/site.css"] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    for path in ["/healthz/", "/healthzz", "/api/me", "/statics/app.js"] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        error_body(response, 401, 700201).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Logout
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn logout_revokes_the_session_and_clears_the_cookie() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
    let (first, _) = login_user(&client, &base, &mock, Platform::DingTalk, demo::ALICE).await;
    let (second, _) = login_user(&client, &base, &mock, Platform::DingTalk, demo::ALICE).await;
    let out = client
        .post(format!("{base}/api/logout"))
        .bearer_auth(token(&first))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    let cleared = set_cookies(&out);
    assert!(
        cleared
            .iter()
            .any(|cookie| cookie.starts_with("silent_login=;") && cookie.contains("Max-Age=0")),
        "{cleared:?}"
    );
    let body: Value = out.json().await.unwrap();
    assert_eq!(body["logged_out"], true);
    error_body(
        get_me(&client, &base, Auth::Bearer(&token(&first))).await,
        401,
        700204,
    )
    .await;
    // Only that session ended.
    let other = get_me(&client, &base, Auth::Bearer(&token(&second))).await;
    assert_eq!(other.status(), 200);
    // Logging out without a session is harmless, and a GET is not a logout.
    let anonymous = client
        .post(format!("{base}/api/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 200);
    let get = client
        .get(format!("{base}/api/logout"))
        .bearer_auth(token(&second))
        .send()
        .await
        .unwrap();
    error_body(get, 405, 700108).await;
    assert_eq!(
        get_me(&client, &base, Auth::Bearer(&token(&second)))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn logout_all_ends_every_session_of_the_user_and_only_theirs() {
    let mock = start_mock().await;
    let client = client();
    for platform in Platform::BOTH {
        let base = serve_layer(platform.layer(&mock)).await;
        let (phone, _) = login_user(&client, &base, &mock, platform, demo::ALICE).await;
        let (laptop, laptop_cookie) =
            login_user(&client, &base, &mock, platform, demo::ALICE).await;
        let (bob, _) = login_user(&client, &base, &mock, platform, demo::BOB).await;
        let out = client
            .post(format!("{base}/api/logout?all=1"))
            .bearer_auth(token(&phone))
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 200);
        let body: Value = out.json().await.unwrap();
        assert_eq!(body["all"], true);
        for auth in [
            Auth::Bearer(&token(&phone)),
            Auth::Bearer(&token(&laptop)),
            Auth::Cookie(&laptop_cookie),
        ] {
            error_body(get_me(&client, &base, auth).await, 401, 700204).await;
        }
        assert_eq!(
            get_me(&client, &base, Auth::Bearer(&token(&bob)))
                .await
                .status(),
            200
        );
        // Logging in again afterwards works.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (fresh, _) = login_user(&client, &base, &mock, platform, demo::ALICE).await;
        assert_eq!(
            get_me(&client, &base, Auth::Bearer(&token(&fresh)))
                .await
                .status(),
            200
        );
    }
}

#[tokio::test]
async fn the_sessions_handle_ends_every_session_of_a_user_from_application_code() {
    let mock = start_mock().await;
    let client = client();
    let layer = Platform::DingTalk.layer(&mock);
    let sessions = layer.sessions();
    let base = serve_layer(layer).await;
    let (first, _) = login_user(&client, &base, &mock, Platform::DingTalk, demo::ALICE).await;
    let (second, _) = login_user(&client, &base, &mock, Platform::DingTalk, demo::ALICE).await;
    let identity: Identity = client
        .get(format!("{base}/api/whoami"))
        .bearer_auth(token(&first))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    sessions.logout_all(&identity).await.unwrap();
    for body in [&first, &second] {
        error_body(
            get_me(&client, &base, Auth::Bearer(&token(body))).await,
            401,
            700204,
        )
        .await;
    }

    // The same through a handler holding the layer's `Sessions` as state.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (third, _) = login_user(&client, &base, &mock, Platform::DingTalk, demo::ALICE).await;
    let kicked = client
        .post(format!("{base}/api/kick-me"))
        .bearer_auth(token(&third))
        .send()
        .await
        .unwrap();
    assert_eq!(kicked.status(), 200);
    error_body(
        get_me(&client, &base, Auth::Bearer(&token(&third))).await,
        401,
        700204,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Key rotation and tenants
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_rotated_key_still_opens_old_sessions_until_it_leaves_the_ring() {
    let mock = start_mock().await;
    let client = client();
    let key_a = SessionKey::generate();
    let key_b = SessionKey::generate();
    let old = serve_layer(Platform::DingTalk.layer(&mock).session_key(key_a.clone())).await;
    let rotated = serve_layer(
        Platform::DingTalk
            .layer(&mock)
            .session_keys(KeyRing::new(key_b.clone()).with_previous(key_a.clone())),
    )
    .await;
    let without_a = serve_layer(Platform::DingTalk.layer(&mock).session_key(key_b.clone())).await;

    let (sealed_by_a, cookie_a) =
        login_user(&client, &old, &mock, Platform::DingTalk, demo::ALICE).await;
    assert_eq!(token(&sealed_by_a).split('.').nth(1), Some(key_a.id()));
    assert_eq!(
        get_me(&client, &rotated, Auth::Bearer(&token(&sealed_by_a)))
            .await
            .status(),
        200
    );
    assert_eq!(
        get_me(&client, &rotated, Auth::Cookie(&cookie_a))
            .await
            .status(),
        200
    );
    error_body(
        get_me(&client, &without_a, Auth::Bearer(&token(&sealed_by_a))).await,
        401,
        700205,
    )
    .await;

    // New sessions are sealed with the current key and open everywhere it is known.
    let (sealed_by_b, _) =
        login_user(&client, &rotated, &mock, Platform::DingTalk, demo::BOB).await;
    assert_eq!(token(&sealed_by_b).split('.').nth(1), Some(key_b.id()));
    assert_eq!(
        get_me(&client, &without_a, Auth::Bearer(&token(&sealed_by_b)))
            .await
            .status(),
        200
    );
    error_body(
        get_me(&client, &old, Auth::Bearer(&token(&sealed_by_b))).await,
        401,
        700205,
    )
    .await;
}

#[tokio::test]
async fn a_login_from_an_organization_not_allowed_is_refused_with_403() {
    let mock = start_mock().await;
    let client = client();
    for platform in Platform::BOTH {
        let base = serve_layer(platform.layer(&mock).allowed_tenants(["other"])).await;
        let response = login(&client, &base, &platform.mint(&mock, demo::ALICE)).await;
        assert!(session_cookie(&response).is_none());
        let body = error_body(response, 403, 700301).await;
        assert!(
            body["detail"].as_str().unwrap().contains("allowed"),
            "{body:#}"
        );
        let home = match platform {
            Platform::DingTalk => demo::DINGTALK_CORP_ID,
            Platform::Feishu => demo::FEISHU_TENANT_KEY,
        };
        let base = serve_layer(platform.layer(&mock).allowed_tenants(["other", home])).await;
        login_user(&client, &base, &mock, platform, demo::ALICE).await;
    }
}

#[tokio::test]
async fn a_session_from_an_organization_not_allowed_is_refused_on_every_request() {
    let mock = start_mock().await;
    let client = client();
    let key = SessionKey::generate();
    let open = serve_layer(Platform::DingTalk.layer(&mock).session_key(key.clone())).await;
    let guarded = serve_layer(
        Platform::DingTalk
            .layer(&mock)
            .session_key(key)
            .allowed_tenants(["other"]),
    )
    .await;
    let (body, _) = login_user(&client, &open, &mock, Platform::DingTalk, demo::ALICE).await;
    error_body(
        get_me(&client, &guarded, Auth::Bearer(&token(&body))).await,
        403,
        700301,
    )
    .await;
}

#[tokio::test]
async fn another_organization_s_users_are_told_apart_by_the_tenant_guard() {
    let mock = silent_login_mock::MockPlatform::builder()
        .demo()
        .dingtalk_app(DingTalkApp::new(
            "otherkey",
            "other-secret-0123456789",
            "othercorp",
        ))
        .user(MockUser::new("zoe", "Zoe").corp("othercorp"))
        .start()
        .await
        .unwrap();
    let client = client();
    let other_app = || {
        SilentLoginLayer::new(
            silent_login::DingTalk::new("otherkey", "other-secret-0123456789")
                .corp_id("othercorp")
                .api_base(mock.base_url()),
        )
        .secure_cookie(false)
    };
    let zoe = || {
        mock.mint_code(MintCode::dingtalk("zoe").with_app("otherkey"))
            .unwrap()
    };
    let accepting = serve_layer(other_app().allowed_tenants(["othercorp"])).await;
    let response = login(&client, &accepting, &zoe()).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user_id"], "zoe");
    assert_eq!(body["tenant"], "othercorp");
    let refusing = serve_layer(other_app().allowed_tenants([demo::DINGTALK_CORP_ID])).await;
    error_body(login(&client, &refusing, &zoe()).await, 403, 700301).await;
}

// ---------------------------------------------------------------------------------------------
// Login CSRF
// ---------------------------------------------------------------------------------------------

async fn login_with_headers(
    client: &reqwest::Client,
    base: &str,
    code: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = client
        .post(format!("{base}/api/login"))
        .json(&json!({ "tmp_auth_code": code }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_login_from_another_origin_is_refused_as_cross_site() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
    let code = Platform::DingTalk.mint(&mock, demo::ALICE);
    for headers in [
        &[("origin", "https://evil.example")][..],
        &[("origin", "null")][..],
        &[("sec-fetch-site", "cross-site")][..],
        &[("origin", &*base), ("sec-fetch-site", "cross-site")][..],
    ] {
        let response = login_with_headers(&client, &base, &code, headers).await;
        assert!(session_cookie(&response).is_none());
        error_body(response, 403, 700109).await;
    }
    // Refused before the exchange: the code is still good.
    let response = login_with_headers(&client, &base, &code, &[]).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_same_origin_login_or_one_without_origin_is_accepted() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
    for headers in [
        &[][..],
        &[("origin", &*base)][..],
        &[("origin", &*format!("{base}/"))][..],
        &[("origin", &*base), ("sec-fetch-site", "same-origin")][..],
    ] {
        let code = Platform::DingTalk.mint(&mock, demo::ALICE);
        let response = login_with_headers(&client, &base, &code, headers).await;
        assert_eq!(response.status(), 200, "{headers:?}");
    }
}

#[tokio::test]
async fn an_allowed_origin_may_log_in_from_its_own_site() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(
        Platform::DingTalk
            .layer(&mock)
            .allowed_origin("https://h5.example.com"),
    )
    .await;
    for headers in [
        &[("origin", "https://h5.example.com")][..],
        &[
            ("origin", "https://h5.example.com"),
            ("sec-fetch-site", "cross-site"),
        ][..],
    ] {
        let code = Platform::DingTalk.mint(&mock, demo::ALICE);
        let response = login_with_headers(&client, &base, &code, headers).await;
        assert_eq!(response.status(), 200, "{headers:?}");
    }
    let code = Platform::DingTalk.mint(&mock, demo::ALICE);
    let response =
        login_with_headers(&client, &base, &code, &[("origin", "https://evil.example")]).await;
    error_body(response, 403, 700109).await;
}

// ---------------------------------------------------------------------------------------------
// The platform's own refusals and outages
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_user_outside_the_visible_scope_is_refused_with_40079() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(Platform::DingTalk.layer(&mock)).await;
    let carol = Platform::DingTalk.mint(&mock, demo::CAROL);
    let body = error_body(login(&client, &base, &carol).await, 403, 40079).await;
    assert_eq!(body["provider"], "dingtalk");

    let code = Platform::DingTalk.mint(&mock, demo::ALICE);
    mock.set_visible(Provider::DingTalk, demo::ALICE, false);
    let response = login(&client, &base, &code).await;
    assert!(session_cookie(&response).is_none());
    error_body(response, 403, 40079).await;
    mock.set_visible(Provider::DingTalk, demo::ALICE, true);
    login_user(&client, &base, &mock, Platform::DingTalk, demo::ALICE).await;
}

#[tokio::test]
async fn an_unreachable_platform_answers_503_and_the_same_code_works_once_it_is_back() {
    let mock = start_mock().await;
    let client = client();
    for (platform, endpoint) in [
        (Platform::DingTalk, Endpoint::DingTalkGetToken),
        (Platform::Feishu, Endpoint::FeishuAppAccessToken),
    ] {
        let base = serve_layer(platform.layer(&mock)).await;
        let code = platform.mint(&mock, demo::ALICE);
        mock.inject_fault(endpoint, Fault::ConnectionReset, 10);
        let response = login(&client, &base, &code).await;
        let body = error_body(response, 503, 700401).await;
        assert_eq!(body["retryable"], true, "{body:#}");
        assert!(mock.stats().calls(endpoint) >= 1);
        mock.reset();
        let response = login(&client, &base, &code).await;
        assert_eq!(
            response.status(),
            200,
            "{platform:?}: {}",
            response.text().await.unwrap()
        );
    }
}
