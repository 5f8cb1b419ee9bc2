//! The layer composed with tower-http: `TraceLayer` and `CompressionLayer` outside it (our JSON
//! bodies are compressed and still read right) and inside it (the inner handler's compressed
//! response passes through untouched).
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Read;

use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use silent_login::{Identity, SilentLoginLayer};
use silent_login_mock::demo;
use support::{
    assert_error_contract, client, me, serve, start_mock, ProviderKind, TestPlatform, BOTH,
};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// A large, very compressible answer: compression always applies to it.
async fn report(user: Identity) -> axum::Json<Value> {
    let rows: Vec<Value> = (0..200)
        .map(|i| json!({ "row": i, "owner": user.user_id, "note": "the same words again" }))
        .collect();
    axum::Json(json!({ "rows": rows }))
}

fn routes() -> Router {
    Router::new()
        .route("/api/me", get(me))
        .route("/api/report", get(report))
}

/// Trace and compression around the layer.
fn outside(layer: SilentLoginLayer) -> Router {
    routes()
        .layer(layer)
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

/// Compression inside the layer (only the handler's answers are compressed), trace outside.
fn inside(layer: SilentLoginLayer) -> Router {
    routes()
        .layer(CompressionLayer::new())
        .layer(layer)
        .layer(TraceLayer::new_for_http())
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("silent_login=debug,tower_http=debug")
        .try_init();
}

/// Reads a response sent with `Accept-Encoding: gzip`: (was it gzip, the decoded text).
async fn read(response: reqwest::Response) -> (bool, String) {
    let gzip = response
        .headers()
        .get("content-encoding")
        .is_some_and(|value| value == "gzip");
    let bytes = response.bytes().await.unwrap();
    let text = if gzip {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        text
    } else {
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    (gzip, text)
}

#[tokio::test]
async fn a_gzip_accepting_client_gets_a_correct_json_error_body() {
    init_tracing();
    let mock = start_mock().await;
    let client = client();
    let base = serve(outside(ProviderKind::DingTalk.layer(&mock))).await;
    let refused = client
        .get(format!("{base}/api/me"))
        .header("accept-encoding", "gzip")
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().contains_key("www-authenticate"));
    let (gzip, text) = read(refused).await;
    assert!(gzip, "a 700-byte JSON body is worth compressing");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["errcode"], 700201);
    assert_error_contract(&body);

    let misspelled = client
        .post(format!("{base}/api/login"))
        .header("accept-encoding", "gzip")
        .json(&json!({ "tmpAuthCode": "abc" }))
        .send()
        .await
        .unwrap();
    assert_eq!(misspelled.status(), 400);
    let (_, text) = read(misspelled).await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["errcode"], 41026);
    assert_eq!(body["cause_id"], "param_misspelled", "{body:#}");
    assert_error_contract(&body);
}

#[tokio::test]
async fn a_gzip_accepting_client_logs_in_and_uses_its_session() {
    init_tracing();
    let mock = start_mock().await;
    let client = client();
    for platform in BOTH {
        let base = serve(outside(platform.layer(&mock))).await;
        let response = client
            .post(format!("{base}/api/login"))
            .header("accept-encoding", "gzip")
            .json(&json!({ "code": platform.mint(&mock, demo::ALICE) }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let cookie = support::session_cookie(&response).unwrap();
        let (_, text) = read(response).await;
        let body: Value = serde_json::from_str(&text).unwrap();
        support::assert_login_body(&body, platform, demo::ALICE);

        let me = client
            .get(format!("{base}/api/me"))
            .header("accept-encoding", "gzip")
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 200);
        let (_, text) = read(me).await;
        let me: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(me["user_id"], demo::ALICE);

        let report = client
            .get(format!("{base}/api/report"))
            .header("accept-encoding", "gzip")
            .bearer_auth(support::token(&body))
            .send()
            .await
            .unwrap();
        assert_eq!(report.status(), 200);
        let (gzip, text) = read(report).await;
        assert!(gzip);
        let report: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(report["rows"].as_array().unwrap().len(), 200);
    }
}

#[tokio::test]
async fn the_inner_handler_s_compressed_response_passes_through_the_layer() {
    init_tracing();
    let mock = start_mock().await;
    let client = client();
    let base = serve(inside(ProviderKind::Feishu.layer(&mock))).await;
    let (body, _) =
        support::login_user(&client, &base, &mock, ProviderKind::Feishu, demo::BOB).await;
    let report = client
        .get(format!("{base}/api/report"))
        .header("accept-encoding", "gzip")
        .bearer_auth(support::token(&body))
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), 200);
    assert_eq!(report.headers()["vary"], "accept-encoding");
    let (gzip, text) = read(report).await;
    assert!(gzip, "the handler's answer was compressed inside the layer");
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["rows"][199]["owner"], demo::BOB);

    // Our own answers are outside the compression and stay plain JSON.
    let refused = client
        .get(format!("{base}/api/report"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let (gzip, text) = read(refused).await;
    assert!(!gzip);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["errcode"], 700201);

    // A client that does not accept gzip gets the same answer uncompressed.
    let (login, _) =
        support::login_user(&client, &base, &mock, ProviderKind::Feishu, demo::ALICE).await;
    let plain = client
        .get(format!("{base}/api/report"))
        .bearer_auth(support::token(&login))
        .send()
        .await
        .unwrap();
    let (gzip, text) = read(plain).await;
    assert!(!gzip);
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["rows"][0]["owner"], demo::ALICE);
}
