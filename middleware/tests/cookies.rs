//! The session cookie a login sets (docs/CONTRACTS.md, 1.3): `HttpOnly`, `SameSite=Lax`, `Secure`
//! and `Path=/` by default, the same token as the login body, and every attribute following the
//! layer's settings.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use cookie::{Cookie, SameSite};
use serde_json::Value;
use silent_login_mock::demo;
use support::{
    assert_login_body, client, get_me, login, serve_layer, set_cookies, start_mock, token, Auth,
    ProviderKind, TestPlatform, BOTH,
};

/// The attributes of a `Set-Cookie` value, trimmed.
fn attributes(cookie: &str) -> Vec<&str> {
    cookie.split(';').map(str::trim).collect()
}

#[tokio::test]
async fn login_sets_an_http_only_lax_secure_cookie_by_default() {
    let mock = start_mock().await;
    let client = client();
    for platform in BOTH {
        let base = serve_layer(platform.default_layer(&mock)).await;
        let response = login(&client, &base, &platform.mint(&mock, demo::BOB)).await;
        assert_eq!(response.status(), 200);
        let cookie = set_cookies(&response)
            .into_iter()
            .find(|cookie| cookie.starts_with("silent_login="))
            .unwrap();
        let attributes = attributes(&cookie);
        assert!(attributes.contains(&"HttpOnly"), "{cookie}");
        assert!(attributes.contains(&"SameSite=Lax"), "{cookie}");
        assert!(attributes.contains(&"Secure"), "{cookie}");
        assert!(attributes.contains(&"Path=/"), "{cookie}");
        assert!(attributes.contains(&"Max-Age=28800"), "{cookie}");
        assert!(!cookie.contains("Domain="), "{cookie}");
        let body: Value = response.json().await.unwrap();
        assert_login_body(&body, platform, demo::BOB);
        // Session tokens are cookie-safe as they are: no percent-decoding needed.
        let parsed = Cookie::parse(cookie.clone()).unwrap();
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
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let response = login(
        &client,
        &base,
        &ProviderKind::DingTalk.mint(&mock, demo::ALICE),
    )
    .await;
    assert_eq!(response.status(), 200);
    let cookie = set_cookies(&response).remove(0);
    let attributes = attributes(&cookie);
    assert!(!attributes.contains(&"Secure"), "{cookie}");
    assert!(attributes.contains(&"HttpOnly"), "{cookie}");
    assert!(attributes.contains(&"SameSite=Lax"), "{cookie}");
}

#[tokio::test]
async fn the_cookie_s_name_domain_path_same_site_and_lifetime_follow_the_settings() {
    let mock = start_mock().await;
    let client = client();
    let layer = ProviderKind::DingTalk
        .layer(&mock)
        .cookie_name("sid")
        .cookie_domain("example.com")
        .cookie_path("/app")
        .same_site(SameSite::Strict)
        .session_ttl(Duration::from_secs(3600));
    let base = serve_layer(layer).await;
    let response = login(
        &client,
        &base,
        &ProviderKind::DingTalk.mint(&mock, demo::ALICE),
    )
    .await;
    assert_eq!(response.status(), 200);
    let cookie = set_cookies(&response)
        .into_iter()
        .find(|cookie| cookie.starts_with("sid="))
        .unwrap_or_else(|| panic!("no `sid` cookie in {:?}", set_cookies(&response)));
    let attributes = attributes(&cookie);
    for expected in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/app",
        "Domain=example.com",
        "Max-Age=3600",
    ] {
        assert!(attributes.contains(&expected), "{expected}: {cookie}");
    }
    let body: Value = response.json().await.unwrap();
    let pair = format!("sid={}", token(&body));
    assert_eq!(
        get_me(&client, &base, Auth::Cookie(&pair)).await.status(),
        200
    );
    // The default name means nothing to this layer.
    let default = format!("silent_login={}", token(&body));
    assert_eq!(
        get_me(&client, &base, Auth::Cookie(&default))
            .await
            .status(),
        401
    );

    // Logout clears the cookie it set: same name, domain and path.
    let out = client
        .post(format!("{base}/api/logout"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    let removal = set_cookies(&out).remove(0);
    let attributes: Vec<&str> = removal.split(';').map(str::trim).collect();
    assert!(removal.starts_with("sid=;"), "{removal}");
    for expected in ["Path=/app", "Domain=example.com", "Max-Age=0"] {
        assert!(attributes.contains(&expected), "{expected}: {removal}");
    }
}
