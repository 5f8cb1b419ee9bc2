//! Sessions on protected routes under axum (docs/CONTRACTS.md, section 2): accepted from the
//! cookie or a bearer token with everything the platform vouched for, refused as tampered,
//! expired, sealed by a foreign key, revoked, or of an organization no longer allowed — and key
//! rotation.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use serde_json::Value;
use silent_login::session::audience;
use silent_login::{KeyRing, ProviderKind, Session, SessionKey};
use silent_login_mock::demo;
use support::{
    clears_the_session_cookie, client, error_body, get_me, login_user, now_ms, serve_layer,
    set_cookies, start_mock, token, whoami_of, Auth, TestPlatform, BOTH,
};

#[tokio::test]
async fn a_session_is_accepted_from_the_cookie_or_a_bearer_token() {
    let mock = start_mock().await;
    let client = client();
    for platform in BOTH {
        let base = serve_layer(platform.layer(&mock)).await;
        let (body, cookie) = login_user(&client, &base, &mock, platform, demo::BOB).await;
        for auth in [Auth::Bearer(&token(&body)), Auth::Cookie(&cookie)] {
            let response = get_me(&client, &base, auth).await;
            assert_eq!(response.status(), 200, "{auth:?}");
            let me: Value = response.json().await.unwrap();
            assert_eq!(me["user_id"], demo::BOB);
            assert_eq!(me["provider"], platform.as_str());
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
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let (body, _) = login_user(&client, &base, &mock, ProviderKind::DingTalk, demo::BOB).await;
    let identity = whoami_of(&client, &base, &token(&body)).await;
    assert_eq!(identity.provider, ProviderKind::DingTalk);
    assert_eq!(identity.user_id, demo::BOB);
    assert_eq!(identity.tenant.as_deref(), Some(demo::DINGTALK_CORP_ID));
    assert!(identity.is_admin, "bob is the demo organization's admin");
    assert_eq!(identity.name.as_deref(), body["name"].as_str());
    assert_eq!(identity.union_id.as_deref(), body["union_id"].as_str());

    let base = serve_layer(ProviderKind::Feishu.layer(&mock)).await;
    let (body, _) = login_user(&client, &base, &mock, ProviderKind::Feishu, demo::ALICE).await;
    let identity = whoami_of(&client, &base, &token(&body)).await;
    assert_eq!(identity.provider, ProviderKind::Feishu);
    assert_eq!(identity.tenant.as_deref(), Some(demo::FEISHU_TENANT_KEY));
    assert!(identity.open_id.is_some());
}

#[tokio::test]
async fn a_tampered_token_is_refused_as_invalid_and_its_cookie_cleared() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let (body, _) = login_user(&client, &base, &mock, ProviderKind::DingTalk, demo::ALICE).await;
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
    assert!(clears_the_session_cookie(&cleared), "{cleared:?}");
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
    let layer = ProviderKind::DingTalk
        .layer(&mock)
        .session_ttl(Duration::from_millis(2000));
    let base = serve_layer(layer).await;
    let (body, cookie) =
        login_user(&client, &base, &mock, ProviderKind::DingTalk, demo::ALICE).await;
    let token = token(&body);
    assert_eq!(
        get_me(&client, &base, Auth::Bearer(&token)).await.status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(2200)).await;
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
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let (body, _) = login_user(&client, &base, &mock, ProviderKind::DingTalk, demo::ALICE).await;
    let identity = whoami_of(&client, &base, &token(&body)).await;
    let now = now_ms();
    let forged = KeyRing::new(SessionKey::generate()).seal(
        &Session {
            id: "forged".into(),
            identity,
            issued_at_ms: now,
            expires_at_ms: now + 3_600_000,
        },
        &audience(ProviderKind::DingTalk, demo::DINGTALK_APP_KEY),
    );
    let response = get_me(
        &client,
        &base,
        Auth::Cookie(&format!("silent_login={forged}")),
    )
    .await;
    let removal = response.headers().get_all("set-cookie").iter().count();
    error_body(response, 401, 700205).await;
    assert_eq!(
        removal, 0,
        "a key another replica may hold (a rolling rotation) does not clear the cookie"
    );
}

#[tokio::test]
async fn a_logged_out_session_is_refused_as_revoked() {
    let mock = start_mock().await;
    let client = client();
    for platform in BOTH {
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

#[tokio::test]
async fn a_rotated_key_still_opens_old_sessions_until_it_leaves_the_ring() {
    let mock = start_mock().await;
    let client = client();
    let key_a = SessionKey::generate();
    let key_b = SessionKey::generate();
    let old = serve_layer(
        ProviderKind::DingTalk
            .layer(&mock)
            .session_key(key_a.clone()),
    )
    .await;
    let rotated = serve_layer(
        ProviderKind::DingTalk
            .layer(&mock)
            .session_keys(KeyRing::new(key_b.clone()).with_previous(key_a.clone())),
    )
    .await;
    let without_a = serve_layer(
        ProviderKind::DingTalk
            .layer(&mock)
            .session_key(key_b.clone()),
    )
    .await;

    let (sealed_by_a, cookie_a) =
        login_user(&client, &old, &mock, ProviderKind::DingTalk, demo::ALICE).await;
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
        login_user(&client, &rotated, &mock, ProviderKind::DingTalk, demo::BOB).await;
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
async fn a_session_from_an_organization_not_allowed_is_refused_on_every_request() {
    let mock = start_mock().await;
    let client = client();
    let key = SessionKey::generate();
    // The tenant guard is Feishu's (a DingTalk internal app has one organization).
    let open = serve_layer(ProviderKind::Feishu.layer(&mock).session_key(key.clone())).await;
    let guarded = serve_layer(
        ProviderKind::Feishu
            .layer(&mock)
            .session_key(key)
            .allowed_tenants(["other"]),
    )
    .await;
    let (body, _) = login_user(&client, &open, &mock, ProviderKind::Feishu, demo::ALICE).await;
    error_body(
        get_me(&client, &guarded, Auth::Bearer(&token(&body))).await,
        403,
        700301,
    )
    .await;
}
