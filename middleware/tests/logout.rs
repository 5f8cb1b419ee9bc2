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

/// A store whose revocations cannot be recorded (Redis down under the hood), everything else
/// working.
#[derive(Debug, Default)]
struct RevocationsLost(silent_login::MemoryStore);

impl silent_login::Store for RevocationsLost {
    fn load_token<'a>(
        &'a self,
        key: &'a str,
    ) -> silent_login::store::StoreFuture<'a, Option<silent_login::store::StoredToken>> {
        self.0.load_token(key)
    }
    fn save_token<'a>(
        &'a self,
        key: &'a str,
        token: &'a silent_login::store::StoredToken,
    ) -> silent_login::store::StoreFuture<'a, ()> {
        self.0.save_token(key, token)
    }
    fn evict_token<'a>(
        &'a self,
        key: &'a str,
        token: &'a silent_login::AppToken,
    ) -> silent_login::store::StoreFuture<'a, ()> {
        self.0.evict_token(key, token)
    }
    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> silent_login::store::StoreFuture<'a, Option<silent_login::store::LockToken>> {
        self.0.try_lock(key, ttl)
    }
    fn unlock<'a>(
        &'a self,
        key: &'a str,
        lock: silent_login::store::LockToken,
    ) -> silent_login::store::StoreFuture<'a, ()> {
        self.0.unlock(key, lock)
    }
    fn mark_code<'a>(
        &'a self,
        fingerprint: &'a str,
        ttl: Duration,
    ) -> silent_login::store::StoreFuture<'a, bool> {
        self.0.mark_code(fingerprint, ttl)
    }
    fn unmark_code<'a>(&'a self, fingerprint: &'a str) -> silent_login::store::StoreFuture<'a, ()> {
        self.0.unmark_code(fingerprint)
    }
    fn revoke_session<'a>(
        &'a self,
        _session_id: &'a str,
        _expires_at_ms: u64,
    ) -> silent_login::store::StoreFuture<'a, ()> {
        Box::pin(async {
            Err(silent_login::store::StoreError(
                "Redis: connection refused".into(),
            ))
        })
    }
    fn revoke_user<'a>(
        &'a self,
        _user_key: &'a str,
        _remember: Duration,
    ) -> silent_login::store::StoreFuture<'a, ()> {
        Box::pin(async {
            Err(silent_login::store::StoreError(
                "Redis: connection refused".into(),
            ))
        })
    }
    fn is_revoked(
        &self,
        session_id: &str,
        user: &silent_login::Identity,
        issued_at_ms: u64,
    ) -> Result<bool, silent_login::store::StoreError> {
        self.0.is_revoked(session_id, user, issued_at_ms)
    }
}

#[tokio::test]
async fn a_logout_the_store_could_not_record_is_503_not_200_and_still_clears_the_cookie() {
    let mock = start_mock().await;
    let client = client();
    let layer = ProviderKind::DingTalk
        .layer(&mock)
        .store(std::sync::Arc::new(RevocationsLost::default()));
    let base = serve_layer(layer).await;
    let (body, _) = login_user(&client, &base, &mock, ProviderKind::DingTalk, demo::ALICE).await;
    for path in ["/api/logout", "/api/logout?all=1"] {
        let out = client
            .post(format!("{base}{path}"))
            .bearer_auth(token(&body))
            .send()
            .await
            .unwrap();
        let cleared = set_cookies(&out);
        let refusal = error_body(out, 503, 700503).await;
        assert_eq!(
            refusal["cause_id"], "revocation_not_recorded",
            "{path}: {refusal:#}"
        );
        assert!(clears_the_session_cookie(&cleared), "{path}: {cleared:?}");
        assert!(
            refusal.get("detail").is_none(),
            "the store's words stay in the log"
        );
    }
    assert_eq!(
        get_me(&client, &base, Auth::Bearer(&token(&body)))
            .await
            .status(),
        200,
        "nothing was revoked, and the answer said so"
    );
}

#[tokio::test]
async fn a_cross_site_logout_is_refused_and_revokes_nothing() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let (body, cookie) =
        login_user(&client, &base, &mock, ProviderKind::DingTalk, demo::ALICE).await;
    let out = client
        .post(format!("{base}/api/logout"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(set_cookies(&out).is_empty(), "the cookie stays");
    error_body(out, 403, 700109).await;
    assert_eq!(
        get_me(&client, &base, Auth::Bearer(&token(&body)))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_session_the_store_cannot_vouch_for_can_still_be_logged_out() {
    // Logout opens the token on its seal and expiry alone: an already revoked session is
    // logged out again (200), not refused as revoked.
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::Feishu.layer(&mock)).await;
    let (body, _) = login_user(&client, &base, &mock, ProviderKind::Feishu, demo::BOB).await;
    for _ in 0..2 {
        let out = client
            .post(format!("{base}/api/logout"))
            .bearer_auth(token(&body))
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 200);
    }
}
