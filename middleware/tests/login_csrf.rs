//! Login CSRF protection (docs/CONTRACTS.md, 1.1): a cookie-issuing login started by another site
//! is refused before the code is exchanged; the same site, a request without `Origin` and an
//! allowed origin may log in.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use silent_login_mock::demo;
use support::{
    client, error_body, login_with_headers, serve_layer, session_cookie, start_mock, ProviderKind,
    TestPlatform,
};

#[tokio::test]
async fn a_login_from_another_origin_is_refused_as_cross_site() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let code = ProviderKind::DingTalk.mint(&mock, demo::ALICE);
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
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    for headers in [
        &[][..],
        &[("origin", &*base)][..],
        &[("origin", &*format!("{base}/"))][..],
        &[("origin", &*base), ("sec-fetch-site", "same-origin")][..],
    ] {
        let code = ProviderKind::DingTalk.mint(&mock, demo::ALICE);
        let response = login_with_headers(&client, &base, &code, headers).await;
        assert_eq!(response.status(), 200, "{headers:?}");
    }
}

#[tokio::test]
async fn an_allowed_origin_may_log_in_from_its_own_site() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(
        ProviderKind::DingTalk
            .layer(&mock)
            .allowed_origin("HTTPS://H5.Example.com/"), // scheme and host are case-insensitive
    )
    .await;
    for headers in [
        &[("origin", "https://h5.example.com")][..],
        &[
            ("origin", "https://h5.example.com"),
            ("sec-fetch-site", "cross-site"),
        ][..],
    ] {
        let code = ProviderKind::DingTalk.mint(&mock, demo::ALICE);
        let response = login_with_headers(&client, &base, &code, headers).await;
        assert_eq!(response.status(), 200, "{headers:?}");
    }
    // An origin is scheme, host and port: the same host over plain HTTP is another origin.
    let code = ProviderKind::DingTalk.mint(&mock, demo::ALICE);
    for origin in [
        "https://evil.example",
        "http://h5.example.com",
        "https://h5.example.com:8443",
        "https://h5.example.com.evil.example",
    ] {
        let response = login_with_headers(&client, &base, &code, &[("origin", origin)]).await;
        assert!(session_cookie(&response).is_none(), "{origin}");
        let body = error_body(response, 403, 700109).await;
        assert_eq!(body["name"], "CrossSiteLogin", "{origin}: {body:#}");
    }
    // Refused before the exchange: the code is still good.
    let response = login_with_headers(&client, &base, &code, &[]).await;
    assert_eq!(response.status(), 200);
}
