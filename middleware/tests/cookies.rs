//! The session cookie a login sets (docs/CONTRACTS.md, 1.3): `HttpOnly`, `SameSite=Lax`, `Secure`
//! and `Path=/` by default, the same token as the login body, every attribute following the
//! layer's settings — and the cookie that removes it (logout, a dead session) carrying the same
//! name, domain, path, `SameSite` and `Secure`, or browsers would keep the session cookie.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use cookie::{Cookie, SameSite};
use serde_json::Value;
use silent_login::SilentLoginLayer;
use silent_login_mock::demo;
use support::{
    assert_login_body, client, error_body, get_me, login, serve_layer, set_cookies, start_mock,
    token, Auth, ProviderKind, TestPlatform, BOTH,
};

/// The attributes of a `Set-Cookie` value, trimmed.
fn attributes(cookie: &str) -> Vec<&str> {
    cookie.split(';').map(str::trim).collect()
}

/// The name of a `Set-Cookie` value.
fn name_of(cookie: &str) -> String {
    Cookie::parse(cookie).unwrap().name().to_owned()
}

/// Logs alice in through `layer`; returns the base URL, the login's `Set-Cookie` carrying the
/// session token, and the token.
async fn log_in(
    mock: &silent_login_mock::MockPlatform,
    platform: ProviderKind,
    layer: SilentLoginLayer,
) -> (String, String, String) {
    let base = serve_layer(layer).await;
    let response = login(&client(), &base, &platform.mint(mock, demo::ALICE)).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let body: Value = response.json().await.unwrap();
    let token = token(&body);
    let cookie = headers
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|cookie| Cookie::parse(cookie.as_str()).is_ok_and(|c| c.value() == token))
        .unwrap_or_else(|| panic!("no cookie carries the token: {headers:?}"));
    (base, cookie, token)
}

/// The `Set-Cookie` headers of a logout with `cookie` (a `name=value` pair).
async fn logout_with(base: &str, cookie: &str) -> Vec<String> {
    let out = client()
        .post(format!("{base}/api/logout"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    set_cookies(&out)
}

/// The one removal of cookie `name` among `cookies`.
fn removal_of(cookies: &[String], name: &str) -> String {
    let removals: Vec<&String> = cookies
        .iter()
        .filter(|cookie| {
            let parsed = Cookie::parse(cookie.as_str()).unwrap();
            parsed.name() == name && parsed.value().is_empty()
        })
        .collect();
    assert_eq!(removals.len(), 1, "one removal of `{name}` in {cookies:?}");
    let removal = removals[0].clone();
    assert!(attributes(&removal).contains(&"Max-Age=0"), "{removal}");
    removal
}

#[tokio::test]
async fn login_sets_an_http_only_lax_secure_cookie_by_default() {
    let mock = start_mock().await;
    let client = client();
    for platform in BOTH {
        let base = serve_layer(platform.default_layer(&mock)).await;
        let response = login(&client, &base, &platform.mint(&mock, demo::BOB)).await;
        assert_eq!(response.status(), 200);
        let cookies = set_cookies(&response);
        let body: Value = response.json().await.unwrap();
        assert_login_body(&body, platform, demo::BOB);
        // Session tokens are cookie-safe as they are: no percent-decoding needed.
        let cookie = cookies
            .iter()
            .find(|cookie| Cookie::parse(cookie.as_str()).unwrap().value() == token(&body))
            .unwrap_or_else(|| panic!("the cookie carries the body's token: {cookies:?}"));
        let set = attributes(cookie);
        for expected in [
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=28800",
        ] {
            assert!(set.contains(&expected), "{expected}: {cookie}");
        }
        assert!(!cookie.contains("Domain="), "{cookie}");
        // Whatever its name, the cookie is the session.
        let pair = set[0];
        assert_eq!(
            get_me(&client, &base, Auth::Cookie(pair)).await.status(),
            200,
            "{pair}"
        );
    }
}

#[tokio::test]
async fn the_default_cookie_name_is_host_prefixed_exactly_when_the_prefix_allows_it() {
    // `__Host-` cookies must be Secure, without Domain, with Path=/ (RFC 6265bis 4.1.3.2); an
    // explicit name always wins.
    let mock = start_mock().await;
    let platform = ProviderKind::DingTalk;
    for (layer, expected) in [
        (platform.default_layer(&mock), "__Host-silent_login"),
        (
            platform.default_layer(&mock).secure_cookie(false),
            "silent_login",
        ),
        (
            platform.default_layer(&mock).cookie_path("/app"),
            "silent_login",
        ),
        (
            platform.default_layer(&mock).cookie_domain("example.com"),
            "silent_login",
        ),
        (platform.default_layer(&mock).cookie_name("sid"), "sid"),
    ] {
        let (base, cookie, _) = log_in(&mock, platform, layer).await;
        assert_eq!(name_of(&cookie), expected, "{cookie}");
        let pair = attributes(&cookie)[0].to_owned();
        assert_eq!(
            get_me(&client(), &base, Auth::Cookie(&pair)).await.status(),
            200,
            "the session is read from `{expected}`"
        );
        removal_of(&logout_with(&base, &pair).await, expected);
    }
}

#[tokio::test]
async fn login_cookie_is_not_secure_when_configured_for_plain_http() {
    let mock = start_mock().await;
    let layer = ProviderKind::DingTalk.layer(&mock).cookie_name("sid");
    let (base, cookie, token) = log_in(&mock, ProviderKind::DingTalk, layer).await;
    let set = attributes(&cookie);
    assert_eq!(set[0], format!("sid={token}"));
    assert!(!set.contains(&"Secure"), "{cookie}");
    assert!(set.contains(&"HttpOnly"), "{cookie}");
    assert!(set.contains(&"SameSite=Lax"), "{cookie}");
    // Its removal is not Secure either.
    let removal = removal_of(&logout_with(&base, set[0]).await, "sid");
    assert!(!attributes(&removal).contains(&"Secure"), "{removal}");
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
    let (base, cookie, token) = log_in(&mock, ProviderKind::DingTalk, layer).await;
    let set = attributes(&cookie);
    assert_eq!(set[0], format!("sid={token}"));
    for expected in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/app",
        "Domain=example.com",
        "Max-Age=3600",
    ] {
        assert!(set.contains(&expected), "{expected}: {cookie}");
    }
    assert!(!set.contains(&"Secure"), "{cookie}");
    let pair = format!("sid={token}");
    assert_eq!(
        get_me(&client, &base, Auth::Cookie(&pair)).await.status(),
        200
    );
    // The default name means nothing to this layer: no session was sent.
    let default = format!("silent_login={token}");
    error_body(
        get_me(&client, &base, Auth::Cookie(&default)).await,
        401,
        700201,
    )
    .await;

    // Logout clears the cookie it set: same name, domain, path, SameSite, HttpOnly, no Secure.
    let removal = removal_of(&logout_with(&base, &pair).await, "sid");
    let removed = attributes(&removal);
    for expected in [
        "Path=/app",
        "Domain=example.com",
        "SameSite=Strict",
        "HttpOnly",
    ] {
        assert!(removed.contains(&expected), "{expected}: {removal}");
    }
    assert!(!removed.contains(&"Secure"), "{removal}");
}

#[tokio::test]
async fn every_same_site_setting_is_on_the_cookie_and_on_its_removal() {
    let mock = start_mock().await;
    for (same_site, attribute) in [
        (SameSite::Strict, "SameSite=Strict"),
        (SameSite::Lax, "SameSite=Lax"),
        // Browsers accept SameSite=None only on a Secure cookie.
        (SameSite::None, "SameSite=None"),
    ] {
        let layer = ProviderKind::Feishu
            .default_layer(&mock)
            .cookie_name("sid")
            .same_site(same_site);
        let (base, cookie, token) = log_in(&mock, ProviderKind::Feishu, layer).await;
        let set = attributes(&cookie);
        assert!(set.contains(&attribute), "{attribute}: {cookie}");
        assert!(set.contains(&"Secure"), "{cookie}");
        assert_eq!(
            set.iter().filter(|a| a.starts_with("SameSite=")).count(),
            1,
            "{cookie}"
        );
        let removal = removal_of(&logout_with(&base, &format!("sid={token}")).await, "sid");
        let removed = attributes(&removal);
        assert!(removed.contains(&attribute), "{attribute}: {removal}");
        assert!(removed.contains(&"Secure"), "{removal}");
    }
}

#[tokio::test]
async fn a_dead_session_s_cookie_is_removed_with_the_configured_attributes() {
    let mock = start_mock().await;
    let layer = ProviderKind::DingTalk
        .layer(&mock)
        .cookie_name("sid")
        .cookie_domain("example.com")
        .cookie_path("/app")
        .same_site(SameSite::Strict);
    let base = serve_layer(layer).await;
    // A token of the format before sessions were bound to their app: it can never open again.
    let response = get_me(
        &client(),
        &base,
        Auth::Cookie("sid=v1.00000000.dGFtcGVyZWQ"),
    )
    .await;
    let cookies = set_cookies(&response);
    let body = error_body(response, 401, 700203).await;
    assert_eq!(body["cause_id"], "unbound_token", "{body:#}");
    let removal = removal_of(&cookies, "sid");
    let removed = attributes(&removal);
    for expected in [
        "Path=/app",
        "Domain=example.com",
        "SameSite=Strict",
        "HttpOnly",
    ] {
        assert!(removed.contains(&expected), "{expected}: {removal}");
    }
    assert!(!removed.contains(&"Secure"), "{removal}");
}
