#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The axum demo over plain HTTP: public routes, the injected page configuration, and the
//! login → `/api/me` → logout round trip the page performs.

use serde_json::{json, Value};
use silent_login::ProviderKind;
use silent_login_examples::axum_demo::{self, DemoServer};
use silent_login_examples::config::Config;
use silent_login_mock::{demo, MintCode, MockPlatform};

async fn demo_server(platform: ProviderKind) -> DemoServer {
    let config = Config::emulated(platform).listen_on("127.0.0.1:0".parse().unwrap());
    axum_demo::serve(config).await.unwrap()
}

#[tokio::test]
async fn the_page_and_healthz_are_public_and_the_page_names_the_emulators_jsapi() {
    let server = demo_server(ProviderKind::Feishu).await;
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}healthz", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let ready = client
        .get(format!("{}readyz", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200, "the in-memory store is ready at once");
    assert_eq!(ready.text().await.unwrap(), "ready");
    let page = client.get(server.url()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let mock = server.backend().emulator().unwrap().base_url();
    assert!(
        html.contains(&format!(r#"<script src="{mock}/_mock/jsapi.js"></script>"#)),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#""appId":"{}""#, demo::FEISHU_APP_ID)),
        "{html}"
    );
    assert!(html.contains(r#""provider":"feishu""#), "{html}");
    for asset in ["static/app.js", "static/style.css", "config.js"] {
        let response = client
            .get(format!("{}{asset}", server.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
    }
}

#[tokio::test]
async fn me_needs_a_session_and_answers_the_catalog_error_without_one() {
    let server = demo_server(ProviderKind::DingTalk).await;
    let response = reqwest::get(format!("{}api/me", server.url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errcode"], 700201, "{body:#}");
    assert_eq!(body["name"], "SessionMissing", "{body:#}");
    assert!(body["solution"]
        .as_str()
        .is_some_and(|text| !text.is_empty()));
}

#[tokio::test]
async fn a_login_gives_a_plain_http_cookie_that_me_and_logout_accept() {
    let server = demo_server(ProviderKind::DingTalk).await;
    let code = server
        .backend()
        .emulator()
        .unwrap()
        .mint_code(MintCode::dingtalk(demo::ALICE))
        .unwrap();
    let client = reqwest::Client::new();
    let login = client
        .post(format!("{}api/login", server.url()))
        .json(&json!({ "tmp_auth_code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let set_cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        !set_cookie.contains("Secure"),
        "plain-HTTP development: {set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_owned();

    let me = client
        .get(format!("{}api/me", server.url()))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let identity: Value = me.json().await.unwrap();
    assert_eq!(identity["user_id"], "alice");
    assert_eq!(identity["tenant"], demo::DINGTALK_CORP_ID);

    let logout = client
        .post(format!("{}api/logout", server.url()))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
    let removal = logout.headers()["set-cookie"].to_str().unwrap().to_owned();
    let name = cookie.split('=').next().unwrap();
    assert!(removal.starts_with(&format!("{name}=;")), "{removal}");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    let after = client
        .get(format!("{}api/me", server.url()))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    let body: Value = after.json().await.unwrap();
    assert_eq!(body["errcode"], 700204, "logged out: {body:#}");
    assert_eq!(body["name"], "SessionRevoked", "{body:#}");
    server.shutdown().await.unwrap();
}

/// The attributes of a `Set-Cookie` value, trimmed; the first is `name=value`.
fn attributes(cookie: &str) -> Vec<&str> {
    cookie.split(';').map(str::trim).collect()
}

#[tokio::test]
async fn real_credentials_use_the_given_jsapi_sdk_and_secure_cookies() {
    // "Real" credentials: the demo app's, on an emulator the demo does not start or know of.
    let platform = MockPlatform::builder().demo().start().await.unwrap();
    let vars = [
        ("DINGTALK_APP_KEY", demo::DINGTALK_APP_KEY.to_owned()),
        ("DINGTALK_APP_SECRET", demo::DINGTALK_APP_SECRET.to_owned()),
        ("DINGTALK_CORP_ID", demo::DINGTALK_CORP_ID.to_owned()),
        ("DINGTALK_API_BASE", platform.base_url()),
        (
            "SILENT_LOGIN_JSAPI_URL",
            "https://sdk.example.test/dingtalk.js".to_owned(),
        ),
        ("LISTEN", "127.0.0.1:0".to_owned()),
    ];
    let config = Config::from_vars(vars.iter().cloned()).unwrap();
    let server = axum_demo::serve(config).await.unwrap();
    assert!(server.backend().emulator().is_none());
    let client = reqwest::Client::new();
    let html = client
        .get(server.url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<script src="https://sdk.example.test/dingtalk.js"></script>"#));
    assert!(
        html.contains(&format!(r#""corpId":"{}""#, demo::DINGTALK_CORP_ID)),
        "{html}"
    );
    assert!(!html.contains(demo::DINGTALK_APP_SECRET));

    let code = platform.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    let login = client
        .post(format!("{}api/login", server.url()))
        .json(&json!({ "tmp_auth_code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let set_cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    let body: Value = login.json().await.unwrap();
    let set = attributes(&set_cookie);
    let (name, value) = set[0].split_once('=').unwrap();
    assert_eq!(value, body["token"], "the cookie carries the session token");
    for expected in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(&expected), "{expected}: {set_cookie}");
    }
    assert!(!set_cookie.contains("Domain="), "{set_cookie}");

    let pair = set[0].to_owned();
    let me: Value = client
        .get(format!("{}api/me", server.url()))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user_id"], demo::ALICE, "{me:#}");

    // Logout removes it with the same attributes: a browser drops a Secure cookie only so.
    let logout = client
        .post(format!("{}api/logout", server.url()))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    let removal = logout.headers()["set-cookie"].to_str().unwrap().to_owned();
    let removed = attributes(&removal);
    assert_eq!(removed[0], format!("{name}="), "{removal}");
    for expected in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=0"] {
        assert!(removed.contains(&expected), "{expected}: {removal}");
    }
    server.shutdown().await.unwrap();
}

/// `GET /api/me/profile` with a cookie session: Feishu's `user_info` for the session's user,
/// through the v2 exchange (default) and the historic v1 one; logged out, the user token is gone.
#[tokio::test]
async fn the_feishu_profile_route_answers_feishu_s_user_info_with_the_session_s_token() {
    for oauth in ["v2", "v1"] {
        let vars = [
            ("SILENT_LOGIN_PROVIDER", "feishu"),
            ("FEISHU_OAUTH", oauth),
            ("LISTEN", "127.0.0.1:0"),
        ];
        let config = Config::from_vars(vars.iter().cloned()).unwrap();
        let server = axum_demo::serve(config).await.unwrap();
        let mock = server.backend().emulator().unwrap();
        let code = mock
            .mint_code(MintCode::feishu_access(demo::BOB, ["offline_access"]))
            .unwrap();
        let client = reqwest::Client::new();
        let login = client
            .post(format!("{}api/login", server.url()))
            .json(&json!({ "code": code }))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 200, "{oauth}");
        let cookie = login.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let body = login.text().await.unwrap();
        assert!(
            !body.contains("access_token") && !body.contains("refresh"),
            "{body}"
        );

        let profile = client
            .get(format!("{}api/me/profile", server.url()))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(profile.status(), 200, "{oauth}");
        let answer: Value = profile.json().await.unwrap();
        assert_eq!(answer["code"], 0, "{answer:#}");
        assert_eq!(answer["data"]["user_id"], "bob", "{answer:#}");
        assert_eq!(answer["data"]["open_id"], "ou_bob", "{answer:#}");

        let anonymous = client
            .get(format!("{}api/me/profile", server.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);

        let logout = client
            .post(format!("{}api/logout", server.url()))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(logout.status(), 200);
        server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn the_dingtalk_demo_has_no_profile_route() {
    let server = demo_server(ProviderKind::DingTalk).await;
    let code = server
        .backend()
        .emulator()
        .unwrap()
        .mint_code(MintCode::dingtalk(demo::ALICE))
        .unwrap();
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{}api/login", server.url()))
        .json(&json!({ "tmp_auth_code": code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap();
    let profile = client
        .get(format!("{}api/me/profile", server.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 404, "DingTalk logins yield no user token");
    server.shutdown().await.unwrap();
}
