//! With feature `metrics`, logins, the token cache and upstream latency are counted through the
//! `metrics` facade, labelled so a dashboard can tell outcomes and codes apart.
#![cfg(feature = "metrics")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::routing::get;
use axum::Router;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use silent_login::SilentLoginLayer;
use silent_login_mock::demo;
use support::{client, dingtalk, error_body, login, serve, start_mock, ProviderKind, TestPlatform};

#[tokio::test]
async fn logins_token_cache_and_upstream_latency_are_recorded() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::set_global_recorder(recorder).unwrap();

    let mock = start_mock().await;
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .layer(SilentLoginLayer::new(dingtalk(&mock)));
    let base = serve(app).await;
    let client = client();

    let code = ProviderKind::DingTalk.mint(&mock, demo::ALICE);
    assert_eq!(login(&client, &base, &code).await.status(), 200);
    // The replay is the failure the counter must label with its code.
    let replay = error_body(login(&client, &base, &code).await, 401, 40078).await;
    assert_eq!(replay["cause_id"], "code_used", "{replay:#}");

    let mut counters = Vec::new();
    let mut histograms = Vec::new();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let key = key.key();
        let labels: Vec<String> = key
            .labels()
            .map(|label| format!("{}={}", label.key(), label.value()))
            .collect();
        match value {
            DebugValue::Counter(count) => counters.push((key.name().to_owned(), labels, count)),
            DebugValue::Histogram(samples) => {
                histograms.push((key.name().to_owned(), labels, samples.len()))
            }
            DebugValue::Gauge(_) => {}
        }
    }
    let counter = |name: &str, label: &str| {
        counters
            .iter()
            .filter(|(n, labels, _)| n == name && labels.iter().any(|l| l == label))
            .map(|(_, _, c)| *c)
            .sum::<u64>()
    };
    assert_eq!(
        counter("silent_login_logins_total", "outcome=ok"),
        1,
        "{counters:?}"
    );
    assert_eq!(
        counter("silent_login_logins_total", "code=40078"),
        1,
        "{counters:?}"
    );
    assert_eq!(
        counter("silent_login_token_cache_total", "outcome=refresh"),
        1,
        "{counters:?}"
    );
    let upstream: Vec<_> = histograms
        .iter()
        .filter(|(name, _, _)| name == "silent_login_upstream_seconds")
        .collect();
    assert!(
        upstream.iter().any(|(_, labels, samples)| labels
            .contains(&"endpoint=dingtalk.getuserinfo".to_owned())
            && *samples == 1),
        "{histograms:?}"
    );
    assert!(
        upstream
            .iter()
            .any(|(_, labels, _)| labels.contains(&"endpoint=dingtalk.gettoken".to_owned())),
        "{histograms:?}"
    );
}
