//! The README's recipe for a per-client rate limit in front of the login path, with an existing
//! tower rate limiter (`tower_governor`): made-up codes from one client are cut off before they
//! cost a code exchange, other clients and protected routes are not affected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::{routing::get, Router};
use silent_login::{DingTalk, Identity, SilentLoginLayer};
use silent_login_mock::{demo, MintCode, MockPlatform};
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::GovernorLayer;

async fn me(user: Identity) -> String {
    user.user_id.clone()
}

/// The recipe, as in the README: the whole app behind the silent-login layer, and the login
/// path reached only through a per-client limiter (here: bursts of 5, one more every 2 s).
fn app(layer: SilentLoginLayer) -> Router {
    let app = Router::new().route("/api/me", get(me)).layer(layer);
    let limit = GovernorConfigBuilder::default()
        .per_second(2)
        .burst_size(5)
        .finish()
        .expect("a valid quota");
    let limited_login = tower::ServiceBuilder::new()
        .layer(GovernorLayer::new(Arc::new(limit)))
        .service(app.clone());
    Router::new()
        .route_service("/api/login", limited_login)
        .fallback_service(app)
}

#[tokio::test]
async fn a_flood_of_made_up_codes_from_one_client_is_cut_off_before_any_exchange() {
    let mock = MockPlatform::builder().demo().start().await.unwrap();
    let layer = SilentLoginLayer::new(
        DingTalk::new(demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET)
            .corp_id(demo::DINGTALK_CORP_ID)
            .api_base(mock.base_url()),
    )
    .secure_cookie(false);
    let authenticator = layer.authenticator().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let service = app(layer).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    let client = reqwest::Client::new();
    let login = |code: String| {
        client
            .post(format!("{base}/api/login"))
            .json(&serde_json::json!({ "tmp_auth_code": code }))
            .send()
    };

    // A real login first: its session is what the flood must not disturb.
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    let session: serde_json::Value = login(code).await.unwrap().json().await.unwrap();
    let token = session["token"].as_str().unwrap().to_owned();

    let mut limited = 0;
    let mut exchanged = 0;
    for i in 0..50 {
        let status = login(format!("made-up-code-{i:04}"))
            .await
            .unwrap()
            .status();
        match status.as_u16() {
            429 => limited += 1,
            // The platform does not know the code.
            401 => exchanged += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        exchanged <= 6,
        "the burst and at most one refill: {exchanged}"
    );
    assert!(limited >= 44, "the rest were cut off: {limited}");
    let calls = mock
        .stats()
        .calls(silent_login_mock::Endpoint::DingTalkGetUserInfoV2);
    assert_eq!(
        calls,
        1 + exchanged,
        "only what got through reached the platform"
    );
    assert_eq!(authenticator.exchanges_in_flight(), 0);

    let me = client
        .get(format!("{base}/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "protected routes are not rate-limited");
    assert_eq!(me.text().await.unwrap(), demo::ALICE);
}
