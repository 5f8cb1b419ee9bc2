//! Ending sessions (docs/CONTRACTS.md, section 3): `POST /api/logout` revokes the presented
//! session and clears the cookie, `?all=1` ends every session of the user and only theirs, and
//! the `Sessions` handle does the same from application code.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use serde_json::Value;
use silent_login_mock::demo;
use support::{
    clears_the_session_cookie, client, error_body, get_me, login_user, serve_layer, set_cookies,
    start_mock, token, whoami_of, Auth, ProviderKind, TestPlatform, BOTH,
};

#[tokio::test]
async fn logout_revokes_the_session_and_clears_the_cookie() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let (first, _) = login_user(&client, &base, &mock, ProviderKind::DingTalk, demo::ALICE).await;
    let (second, _) = login_user(&client, &base, &mock, ProviderKind::DingTalk, demo::ALICE).await;
    let out = client
        .post(format!("{base}/api/logout"))
        .bearer_auth(token(&first))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    let cleared = set_cookies(&out);
    assert!(clears_the_session_cookie(&cleared), "{cleared:?}");
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
    for platform in BOTH {
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
    let layer = ProviderKind::DingTalk.layer(&mock);
    let sessions = layer.sessions();
    let base = serve_layer(layer).await;
    let (first, _) = login_user(&client, &base, &mock, ProviderKind::DingTalk, demo::ALICE).await;
    let (second, _) = login_user(&client, &base, &mock, ProviderKind::DingTalk, demo::ALICE).await;
    let identity = whoami_of(&client, &base, &token(&first)).await;
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
    let (third, _) = login_user(&client, &base, &mock, ProviderKind::DingTalk, demo::ALICE).await;
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
