#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Heap allocations per request, counted exactly (dhat's counting allocator): a protected
//! `GET /api/me` through the layer (bearer token, cookie) minus the same request on bare axum
//! (and behind a layer that does nothing: what axum's `Router::layer` itself costs; and the
//! contract floor: a layer that only puts `Identity` and `SessionInfo` in the extensions), and a
//! login through the layer minus the raw `getuserinfo` call it makes.
//!
//! `cargo bench -p silent-login-bench --bench allocations`
//!
//! Requests go through the router with `tower::ServiceExt::oneshot` on a current-thread runtime,
//! so only the server side is counted (no sockets, no client); the login's upstream call and the
//! emulator answering it run in the same process, which is why the raw call is subtracted.

use axum::Router;
use silent_login_bench::{get_me_in_process, StoreKind, USER};
use silent_login_mock::{demo, MintCode, MockPlatform};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const REQUESTS: u64 = 2_000;
const LOGINS: u64 = 200;

fn blocks() -> u64 {
    dhat::HeapStats::get().total_blocks
}

/// Allocations per `GET /api/me` with `header`, after a warm-up.
async fn per_request(app: &Router, header: (&str, &str)) -> f64 {
    for _ in 0..100 {
        assert_eq!(get_me_in_process(app, header).await.unwrap(), USER);
    }
    let before = blocks();
    for _ in 0..REQUESTS {
        get_me_in_process(app, header).await.unwrap();
    }
    (blocks() - before) as f64 / REQUESTS as f64
}

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mock = MockPlatform::builder()
            .demo()
            .token_rate_limit(0)
            .start()
            .await
            .unwrap();
        let platform = mock.base_url();
        // `with_state` turns the handlers into services once, as `axum::serve` does.
        let bare: Router = silent_login_bench::bare().with_state(());
        let noop: Router = silent_login_bench::noop_layer().with_state(());
        let floor: Router = silent_login_bench::contract_floor().with_state(());
        let layer: Router = silent_login_bench::layer(&platform, StoreKind::Memory, None)
            .await
            .unwrap()
            .with_state(());

        let mint = || mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
        let (token, cookie) = silent_login_bench::login_in_process(&layer, &mint())
            .await
            .unwrap();
        let bearer = format!("Bearer {token}");

        let bare_blocks = per_request(&bare, ("authorization", &bearer)).await;
        let noop_blocks = per_request(&noop, ("authorization", &bearer)).await;
        let bearer_blocks = per_request(&layer, ("authorization", &bearer)).await;
        let cookie_blocks = per_request(&layer, ("cookie", &cookie)).await;
        let floor_blocks = per_request(&floor, ("authorization", &bearer)).await;
        println!("allocations per protected GET /api/me ({REQUESTS} requests, server side):");
        println!("  bare axum                 {bare_blocks:>7.2}");
        println!(
            "  a layer that does nothing {noop_blocks:>7.2}   (+{:.2})",
            noop_blocks - bare_blocks
        );
        println!(
            "  layer, bearer token       {bearer_blocks:>7.2}   (+{:.2})",
            bearer_blocks - bare_blocks
        );
        println!(
            "  layer, cookie             {cookie_blocks:>7.2}   (+{:.2})",
            cookie_blocks - bare_blocks
        );
        println!(
            "  the contract floor        {floor_blocks:>7.2}   (+{:.2})",
            floor_blocks - bare_blocks
        );

        // Logins: the app token is warm after the first, so each makes one upstream call.
        let codes: Vec<String> = (0..LOGINS).map(|_| mint()).collect();
        let before = blocks();
        for code in &codes {
            silent_login_bench::login_in_process(&layer, code)
                .await
                .unwrap();
        }
        let login_blocks = (blocks() - before) as f64 / LOGINS as f64;
        let client = reqwest::Client::new();
        let exchange = format!("{platform}/topapi/v2/user/getuserinfo");
        let app_token = silent_login_bench::app_token(&client, &platform)
            .await
            .unwrap();
        let codes: Vec<String> = (0..LOGINS).map(|_| mint()).collect();
        let before = blocks();
        for code in &codes {
            let answer: serde_json::Value = client
                .post(&exchange)
                .query(&[("access_token", &app_token)])
                .json(&serde_json::json!({ "code": code }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(answer["errcode"], 0);
        }
        let raw_blocks = (blocks() - before) as f64 / LOGINS as f64;
        println!("allocations per login ({LOGINS} logins, emulator in the same process):");
        println!("  login through the layer   {login_blocks:>7.1}");
        println!("  raw getuserinfo call      {raw_blocks:>7.1}");
        println!(
            "  added by the layer        {:>7.1}",
            login_blocks - raw_blocks
        );
    });
}
