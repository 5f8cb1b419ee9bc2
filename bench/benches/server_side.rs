#![allow(clippy::unwrap_used, clippy::expect_used)]
//! CPU per protected request on the server side alone: the router called with
//! `tower::ServiceExt::oneshot` on one thread (no sockets, no HTTP parsing, no client), bare
//! axum vs the same router behind the layer (bearer token, cookie) and behind a layer that does
//! nothing (what any `Router::layer` costs in axum's boxing). Rounds alternate; the medians are
//! printed in nanoseconds per request. The contract floor is a layer that checks nothing and
//! only puts the two values the layer's contract promises (`Identity`, `SessionInfo`) in the
//! extensions.
//!
//! `cargo bench -p silent-login-bench --bench server_side` (`BENCH_REQUESTS`, `BENCH_ROUNDS`;
//! `BENCH_ONLY=<0..4>` runs one variant once, for `scripts/bench-instructions.sh`).

use std::time::Instant;

use axum::Router;
use silent_login_bench::{get_me_in_process, StoreKind, USER};
use silent_login_mock::{demo, MintCode, MockPlatform};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Nanoseconds per request over `requests` sequential requests.
async fn round(app: &Router, header: (&str, &str), requests: usize) -> f64 {
    let started = Instant::now();
    let mut length = 0;
    for _ in 0..requests {
        length += get_me_in_process(app, header).await.unwrap().len();
    }
    assert_eq!(
        length,
        requests * USER.len(),
        "every request answered {USER}"
    );
    started.elapsed().as_nanos() as f64 / requests as f64
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let requests = env_or("BENCH_REQUESTS", 200_000);
    let rounds = env_or("BENCH_ROUNDS", 7);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mock = MockPlatform::builder().demo().start().await.unwrap();
        let platform = mock.base_url();
        let bare: Router = silent_login_bench::bare().with_state(());
        let noop: Router = silent_login_bench::noop_layer().with_state(());
        let layer: Router = silent_login_bench::layer(&platform, StoreKind::Memory, None)
            .await
            .unwrap()
            .with_state(());
        let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
        let (token, cookie) = silent_login_bench::login_in_process(&layer, &code)
            .await
            .unwrap();
        let bearer = format!("Bearer {token}");

        let floor: Router = silent_login_bench::contract_floor().with_state(());

        let runs: [(&str, &Router, (&str, &str)); 5] = [
            ("bare axum", &bare, ("authorization", &bearer)),
            (
                "a layer that does nothing",
                &noop,
                ("authorization", &bearer),
            ),
            ("layer, bearer token", &layer, ("authorization", &bearer)),
            ("layer, cookie", &layer, ("cookie", &cookie)),
            ("the contract floor", &floor, ("authorization", &bearer)),
        ];
        // Under a deterministic profiler (valgrind): one variant, no warm-up rounds.
        if let Ok(only) = std::env::var("BENCH_ONLY") {
            let (name, app, header) = runs[only.parse::<usize>().unwrap()];
            let time = round(app, header, requests).await;
            println!("{name}: {time:.0} ns per request");
            return;
        }
        let mut times = vec![Vec::new(); runs.len()];
        for (_, app, header) in &runs {
            round(app, *header, requests / 10).await;
        }
        for _ in 0..rounds {
            for (index, (_, app, header)) in runs.iter().enumerate() {
                times[index].push(round(app, *header, requests).await);
            }
        }
        println!("server side, ns per GET /api/me (median of {rounds} rounds of {requests}):");
        let bare = median(&mut times[0].clone());
        for (index, (name, _, _)) in runs.iter().enumerate() {
            let time = median(&mut times[index]);
            println!("  {name:<28} {time:>7.0}   (+{:.0})", time - bare);
        }
    });
}
