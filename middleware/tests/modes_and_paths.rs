//! Which requests need a session (docs/CONTRACTS.md, section 2): public paths and prefixes need
//! none; in optional mode anonymous requests reach the handlers, and a handler that insists on an
//! `Identity` refuses exactly as the layer would have; custom login and logout paths replace the
//! default ones, which become ordinary routes.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{json, Value};
use silent_login::Mode;
use silent_login_mock::demo;
use support::{
    assert_error_contract, client, error_body, login_user, serve_layer, start_mock, token,
    ProviderKind, TestPlatform,
};

#[tokio::test]
async fn optional_mode_lets_anonymous_requests_through_without_an_identity() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock).mode(Mode::Optional)).await;
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

    let (body, cookie) =
        login_user(&client, &base, &mock, ProviderKind::DingTalk, demo::ALICE).await;
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
    assert_error_contract(&body);
}

#[tokio::test]
async fn the_identity_extractor_refuses_like_the_layer_with_www_authenticate() {
    // In optional mode the refusal comes from the `Identity` extractor, not the layer; a 401
    // must still say how to authenticate (RFC 9110 §15.5.2) and must not be cached.
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock).mode(Mode::Optional)).await;
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

    // A dead session is refused as the layer refuses it: its own code, and the cookie cleared.
    let tampered = client
        .get(format!("{base}/api/me"))
        .header("cookie", "silent_login=v1.00000000.dGFtcGVyZWQ")
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap();
    let cookies = support::set_cookies(&tampered);
    assert!(support::clears_the_session_cookie(&cookies), "{cookies:?}");
    let body = error_body(tampered, 401, 700203).await;
    let (message, _) =
        support::catalog_text("silent-login", 700203, silent_login::catalog::Lang::Zh);
    assert_eq!(body["errmsg"], message, "in the caller's language");
}

#[tokio::test]
async fn public_paths_and_prefixes_need_no_session() {
    let mock = start_mock().await;
    let client = client();
    let layer = ProviderKind::DingTalk
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

#[tokio::test]
async fn custom_login_and_logout_paths_replace_the_default_ones() {
    let mock = start_mock().await;
    let client = client();
    let layer = ProviderKind::DingTalk
        .layer(&mock)
        .login_path("/auth/dingtalk")
        .logout_path("/auth/out");
    let base = serve_layer(layer).await;
    let code = ProviderKind::DingTalk.mint(&mock, demo::ALICE);

    // The default paths, and a variant of the custom one, are ordinary protected routes now:
    // without a session the layer refuses them, and the code is not looked at.
    for path in ["/api/login", "/auth/dingtalk/", "/api/logout"] {
        let response = client
            .post(format!("{base}{path}"))
            .json(&json!({ "tmp_auth_code": code }))
            .send()
            .await
            .unwrap();
        assert!(support::session_cookie(&response).is_none(), "{path}");
        error_body(response, 401, 700201).await;
    }

    // The custom login path logs in, with that very code.
    let response = client
        .post(format!("{base}/auth/dingtalk"))
        .json(&json!({ "tmp_auth_code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let token = token(&body);
    // Only POST, as on the default path.
    let get = client
        .get(format!("{base}/auth/dingtalk"))
        .send()
        .await
        .unwrap();
    error_body(get, 405, 700108).await;

    // With a session, the default paths reach the application, which has no such routes.
    for path in ["/api/login", "/api/logout"] {
        let response = client
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    // So /api/logout ended nothing; the custom logout path does.
    let me = client
        .get(format!("{base}/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let out = client
        .post(format!("{base}/auth/out"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    assert!(
        support::clears_the_session_cookie(&support::set_cookies(&out)),
        "{:?}",
        support::set_cookies(&out)
    );
    let after = client
        .get(format!("{base}/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    error_body(after, 401, 700204).await;
}
