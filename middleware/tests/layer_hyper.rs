//! The layer over a plain `tower::service_fn`, served by hyper 1 through
//! `hyper_util::service::TowerToHyperService` — no axum anywhere on the server side.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::{json, Value};
use silent_login::{Identity, SessionInfo, SilentLoginLayer};
use silent_login_mock::demo;
use support::{
    client, error_body, login, session_cookie, start_mock, token, ProviderKind, TestPlatform, BOTH,
};
use tower::{service_fn, Layer};

/// Serves `layer` over an inner service that reports what the layer put in the extensions and
/// counts its calls; returns the base URL and the counter.
async fn serve_hyper(layer: SilentLoginLayer) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let inner = service_fn(move |request: Request<Incoming>| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            let identity = request.extensions().get::<Identity>();
            let session = request.extensions().get::<SessionInfo>();
            let body = json!({
                "path": request.uri().path(),
                "user_id": identity.map(|identity| identity.user_id.clone()),
                "tenant": identity.and_then(|identity| identity.tenant.clone()),
                "session_id": session.map(|session| session.id.clone()),
            });
            let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
            if identity.is_none() {
                *response.status_mut() = StatusCode::IM_A_TEAPOT;
            }
            Ok::<_, Infallible>(response)
        }
    });
    let service = layer.layer(inner);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (format!("http://{addr}"), calls)
}

#[tokio::test]
async fn a_plain_hyper_server_logs_in_with_the_layer_alone() {
    let mock = start_mock().await;
    let client = client();
    for platform in BOTH {
        let (base, calls) = serve_hyper(platform.layer(&mock)).await;
        let response = login(&client, &base, &platform.mint(&mock, demo::ALICE)).await;
        assert_eq!(response.status(), 200);
        assert!(session_cookie(&response).is_some());
        let body: Value = response.json().await.unwrap();
        support::assert_login_body(&body, platform, demo::ALICE);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "the login never reaches the inner service"
        );
    }
}

#[tokio::test]
async fn an_authenticated_call_sees_the_identity_and_session_in_the_request_extensions() {
    let mock = start_mock().await;
    let client = client();
    for platform in BOTH {
        let (base, calls) = serve_hyper(platform.layer(&mock)).await;
        let response = login(&client, &base, &platform.mint(&mock, demo::BOB)).await;
        let cookie = session_cookie(&response).unwrap();
        let body: Value = response.json().await.unwrap();
        for request in [
            client
                .get(format!("{base}/anything/at/all"))
                .bearer_auth(token(&body)),
            client
                .get(format!("{base}/anything/at/all"))
                .header("cookie", &cookie),
        ] {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            let seen: Value = response.json().await.unwrap();
            assert_eq!(seen["user_id"], demo::BOB);
            assert_eq!(seen["path"], "/anything/at/all");
            assert!(seen["tenant"].is_string(), "{seen:#}");
            assert!(seen["session_id"].is_string(), "{seen:#}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}

#[tokio::test]
async fn a_call_without_a_valid_session_is_refused_before_the_inner_service_runs() {
    let mock = start_mock().await;
    let client = client();
    let (base, calls) = serve_hyper(ProviderKind::DingTalk.layer(&mock)).await;
    let anonymous = client.get(format!("{base}/api/me")).send().await.unwrap();
    error_body(anonymous, 401, 700201).await;
    let forged = client
        .get(format!("{base}/api/me"))
        .bearer_auth("v2.deadbeef.00000000.Zm9yZ2Vk")
        .send()
        .await
        .unwrap();
    error_body(forged, 401, 700205).await;
    let bad_login = client
        .post(format!("{base}/api/login"))
        .header("content-type", "application/json")
        .body("{\"temp_auth_code\":\"x\"}")
        .send()
        .await
        .unwrap();
    let body = error_body(bad_login, 400, 41026).await;
    assert_eq!(body["cause_id"], "param_misspelled");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn optional_mode_over_hyper_passes_anonymous_calls_without_an_identity() {
    let mock = start_mock().await;
    let client = client();
    let (base, calls) = serve_hyper(
        ProviderKind::DingTalk
            .layer(&mock)
            .mode(silent_login::Mode::Optional),
    )
    .await;
    let anonymous = client.get(format!("{base}/feed")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::IM_A_TEAPOT.as_u16());
    let seen: Value = anonymous.json().await.unwrap();
    assert!(seen["user_id"].is_null());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
