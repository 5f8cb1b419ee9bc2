//! Many replicas behind a load balancer: two servers with the layer, one real `redis-server`.
#![cfg(all(feature = "redis", feature = "axum"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/redis_server.rs"]
mod redis_server;
mod support;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::{routing::get, Router};
use redis_server::{free_port, RedisServer};
use silent_login::store::RedisStore;
use silent_login::store::Store as _;
use silent_login::{KeyRing, RevocationPolicy, SessionKey, SilentLoginLayer};
use silent_login_mock::{demo, Endpoint, MintCode, MockPlatform};
use support::{dingtalk, me, serve};

struct Replica {
    base: String,
}

async fn replica(
    mock: &MockPlatform,
    store: RedisStore,
    keys: KeyRing,
    policy: RevocationPolicy,
) -> Replica {
    let layer = SilentLoginLayer::new(dingtalk(mock))
        .store(Arc::new(store))
        .session_keys(keys)
        .secure_cookie(false)
        // The single-flight test below sends 500 logins at once; the cap has its own row in
        // fault_matrix.rs.
        .max_concurrent_exchanges(512)
        // The double-submit tests check that the platform's answer travels between replicas.
        .expose_error_details(true)
        .revocation_policy(policy);
    let app = Router::new().route("/api/me", get(me)).layer(layer);
    Replica {
        base: serve(app).await,
    }
}

async fn live_store(redis: &RedisServer, prefix: &str) -> RedisStore {
    let store = RedisStore::builder(redis.url())
        .prefix(prefix)
        .connect()
        .await
        .unwrap();
    wait_until(|| store.is_live()).await;
    store
}

async fn wait_until(mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "condition not reached in 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn login(client: &reqwest::Client, replica: &Replica, code: &str) -> reqwest::Response {
    support::login(client, &replica.base, code).await
}

async fn token_for(
    client: &reqwest::Client,
    mock: &MockPlatform,
    replica: &Replica,
    user: &str,
) -> String {
    let code = mock.mint_code(MintCode::dingtalk(user)).unwrap();
    let response = login(client, replica, &code).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn me_status(
    client: &reqwest::Client,
    replica: &Replica,
    token: &str,
) -> (u16, serde_json::Value) {
    let response = client
        .get(format!("{}/api/me", replica.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// Revocations reach the other replica through pub/sub: allow it a moment.
async fn eventually_refused(
    client: &reqwest::Client,
    replica: &Replica,
    token: &str,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let (status, body) = me_status(client, replica, token).await;
        if status == 401 {
            assert_eq!(body["errcode"], 700204, "refused as revoked: {body}");
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "still accepted after 3 s: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

struct Setup {
    redis: RedisServer,
    mock: MockPlatform,
    a: Replica,
    b: Replica,
    client: reqwest::Client,
}

async fn setup(policy: RevocationPolicy) -> Setup {
    let redis = RedisServer::start().await;
    let mock = MockPlatform::builder()
        .demo()
        .token_rate_limit(0)
        .start()
        .await
        .unwrap();
    let ring = KeyRing::new(SessionKey::generate());
    let a = replica(&mock, live_store(&redis, "t:").await, ring.clone(), policy).await;
    let b = replica(&mock, live_store(&redis, "t:").await, ring, policy).await;
    Setup {
        redis,
        mock,
        a,
        b,
        client: support::client(),
    }
}

#[tokio::test]
async fn a_session_from_one_replica_is_accepted_by_the_other_and_logout_reaches_both() {
    let Setup {
        redis: _redis,
        mock,
        a,
        b,
        client,
    } = setup(RevocationPolicy::FailClosed).await;
    let token = token_for(&client, &mock, &a, demo::ALICE).await;
    let (status, me) = me_status(&client, &b, &token).await;
    assert_eq!((status, &me["user_id"]), (200, &serde_json::json!("alice")));

    let out = client
        .post(format!("{}/api/logout", a.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    let body = eventually_refused(&client, &b, &token).await;
    assert_eq!(body["errcode"], 700204);
}

#[tokio::test]
async fn logout_all_on_one_replica_ends_every_session_of_the_user_on_the_other() {
    let Setup {
        redis: _redis,
        mock,
        a,
        b,
        client,
    } = setup(RevocationPolicy::FailClosed).await;
    let first = token_for(&client, &mock, &a, demo::ALICE).await;
    let second = token_for(&client, &mock, &b, demo::ALICE).await;
    let bob = token_for(&client, &mock, &a, demo::BOB).await;

    let out = client
        .post(format!("{}/api/logout?all=1", b.base))
        .bearer_auth(&second)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    eventually_refused(&client, &a, &first).await;
    eventually_refused(&client, &a, &second).await;
    assert_eq!(
        me_status(&client, &a, &bob).await.0,
        200,
        "other users keep their sessions"
    );
    let fresh = token_for(&client, &mock, &a, demo::ALICE).await;
    assert_eq!(
        me_status(&client, &b, &fresh).await.0,
        200,
        "a login after logout-all works"
    );
}

#[tokio::test]
async fn concurrent_cold_logins_over_two_replicas_fetch_one_token() {
    let Setup {
        redis: _redis,
        mock,
        a,
        b,
        client,
    } = setup(RevocationPolicy::FailClosed).await;
    let codes: Vec<String> = (0..500)
        .map(|_| mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap())
        .collect();
    let replicas = Arc::new([a, b]);
    let tasks: Vec<_> = codes
        .into_iter()
        .enumerate()
        .map(|(i, code)| {
            let (client, replicas) = (client.clone(), replicas.clone());
            tokio::spawn(async move {
                login(&client, &replicas[i % 2], &code)
                    .await
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(mock.stats().calls(Endpoint::DingTalkGetToken), 1);
    assert_eq!(mock.stats().calls(Endpoint::DingTalkGetUserInfoV2), 500);
}

#[tokio::test]
async fn a_code_used_on_one_replica_is_already_used_on_the_other() {
    let Setup {
        redis: _redis,
        mock,
        a,
        b,
        client,
    } = setup(RevocationPolicy::FailClosed).await;
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    assert_eq!(login(&client, &a, &code).await.status(), 200);
    let calls = mock.stats().calls(Endpoint::DingTalkGetUserInfoV2);
    let again = login(&client, &b, &code).await;
    assert_eq!(again.status(), 401);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(
        (body["errcode"].as_i64(), body["cause_id"].as_str()),
        (Some(40078), Some("code_used"))
    );
    assert_eq!(
        mock.stats().calls(Endpoint::DingTalkGetUserInfoV2),
        calls,
        "no upstream call for a replay"
    );
}

#[tokio::test]
async fn a_crashed_lock_holder_delays_the_other_replica_only_until_the_lock_expires() {
    let Setup {
        redis,
        mock,
        a,
        b: _b,
        client,
    } = setup(RevocationPolicy::FailClosed).await;
    // A replica took the refresh lock and died: the lock stays until its expiry.
    let mut connection = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let lock_key = format!(
        "t:lock:dingtalk:{}:{}:{}",
        mock.base_url(),
        demo::DINGTALK_APP_KEY,
        silent_login::AppSecret::new(demo::DINGTALK_APP_SECRET).fingerprint()
    );
    let _: () = redis::cmd("SET")
        .arg(&lock_key)
        .arg("dead-replica")
        .arg("PX")
        .arg(1500)
        .query_async(&mut connection)
        .await
        .unwrap();

    let started = Instant::now();
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    assert_eq!(login(&client, &a, &code).await.status(), 200);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1200),
        "waited for the lock: {waited:?}"
    );
    // The refresh lock lives 10 s; a replica that gave up only at its own deadline (15 s)
    // would have waited far longer than the dead holder's lock.
    assert!(
        waited < Duration::from_secs(5),
        "stopped waiting once the lock expired, not at its own deadline: {waited:?}"
    );
    assert_eq!(mock.stats().calls(Endpoint::DingTalkGetToken), 1);
}

#[tokio::test]
async fn redis_unreachable_at_startup_is_a_clear_error_unless_starting_degraded() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}/");
    let error = RedisStore::connect(url.clone()).await.unwrap_err();
    assert!(error.to_string().contains("Redis"), "{error}");

    let store = RedisStore::builder(url)
        .start_degraded(true)
        .connect()
        .await
        .unwrap();
    assert!(!store.is_live());
    let mut redis = RedisServer::on_port(port);
    redis.restart().await;
    wait_until(|| store.is_live()).await;
}

#[tokio::test]
async fn key_rotation_across_replicas() {
    let redis = RedisServer::start().await;
    let mock = MockPlatform::builder().demo().start().await.unwrap();
    let (old, new) = (SessionKey::generate(), SessionKey::generate());
    // B still runs the old deployment; A has rotated: new key first, old still accepted.
    let a = replica(
        &mock,
        live_store(&redis, "r:").await,
        KeyRing::new(new.clone()).with_previous(old.clone()),
        RevocationPolicy::FailClosed,
    )
    .await;
    let b = replica(
        &mock,
        live_store(&redis, "r:").await,
        KeyRing::new(old.clone()),
        RevocationPolicy::FailClosed,
    )
    .await;
    let client = support::client();

    let from_b = token_for(&client, &mock, &b, demo::ALICE).await;
    assert_eq!(
        me_status(&client, &a, &from_b).await.0,
        200,
        "old-key sessions survive the rotation"
    );
    let from_a = token_for(&client, &mock, &a, demo::ALICE).await;
    let (status, body) = me_status(&client, &b, &from_a).await;
    assert_eq!(
        (status, body["errcode"].as_i64()),
        (401, Some(700205)),
        "B does not hold the new key yet"
    );

    // The old key is removed from A: B's old sessions end there.
    let c = replica(
        &mock,
        live_store(&redis, "r:").await,
        KeyRing::new(new),
        RevocationPolicy::FailClosed,
    )
    .await;
    assert_eq!(me_status(&client, &c, &from_a).await.0, 200);
    assert_eq!(me_status(&client, &c, &from_b).await.1["errcode"], 700205);
}

#[tokio::test]
async fn every_key_in_redis_has_a_time_to_live() {
    let Setup {
        redis,
        mock,
        a,
        b: _b,
        client,
    } = setup(RevocationPolicy::FailClosed).await;
    let token = token_for(&client, &mock, &a, demo::ALICE).await;
    let out = client
        .post(format!("{}/api/logout", a.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200, "the revocation was recorded");
    let token = token_for(&client, &mock, &a, demo::BOB).await;
    let out = client
        .post(format!("{}/api/logout?all=1", a.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200, "the logout-all was recorded");

    let mut connection = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("t:*")
        .query_async(&mut connection)
        .await
        .unwrap();
    for kind in [
        "t:revoked-sessions",
        "t:revoked-users",
        "t:revocations:seq",
        "t:token:",
        "t:code:",
        "t:outcome:",
    ] {
        assert!(
            keys.iter().any(|key| key.starts_with(kind)),
            "no {kind} key: {keys:?}"
        );
    }
    for key in keys {
        let ttl: i64 = redis::cmd("PTTL")
            .arg(&key)
            .query_async(&mut connection)
            .await
            .unwrap();
        assert!(ttl > 0, "{key} has no TTL ({ttl})");
    }
}

/// Waits until replica A's exchange has reached the platform (the emulator counts a call when it
/// arrives, before its injected latency), so B presents the code while A's exchange is pending.
async fn exchange_started(mock: &MockPlatform, calls_before: u64) {
    let started = Instant::now();
    while mock.stats().calls(Endpoint::DingTalkGetUserInfoV2) == calls_before {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "A's exchange never reached the platform"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_double_submit_spread_over_two_replicas_shares_one_exchange_and_one_result() {
    let Setup {
        redis: _redis,
        mock,
        a,
        b,
        client,
    } = setup(RevocationPolicy::FailClosed).await;
    // Warm the token so the two presentations race on the exchange itself.
    token_for(&client, &mock, &a, demo::BOB).await;
    let calls = mock.stats().calls(Endpoint::DingTalkGetUserInfoV2);
    mock.inject_fault(
        Endpoint::DingTalkGetUserInfoV2,
        silent_login_mock::Fault::Latency(Duration::from_millis(1000)),
        1,
    );

    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    let (first, second) = tokio::join!(login(&client, &a, &code), async {
        exchange_started(&mock, calls).await;
        login(&client, &b, &code).await
    });
    for response in [first, second] {
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["user_id"], "alice");
    }
    assert_eq!(
        mock.stats().calls(Endpoint::DingTalkGetUserInfoV2),
        calls + 1,
        "one upstream exchange"
    );

    // A later presentation is a replay, not a double submit.
    let replay = login(&client, &b, &code).await;
    assert_eq!(replay.status(), 401);
    let body: serde_json::Value = replay.json().await.unwrap();
    assert_eq!(body["cause_id"], "code_used");
}

#[tokio::test]
async fn a_double_submit_of_a_refused_code_shares_the_refusal() {
    let Setup {
        redis: _redis,
        mock,
        a,
        b,
        client,
    } = setup(RevocationPolicy::FailClosed).await;
    token_for(&client, &mock, &a, demo::BOB).await;
    let calls = mock.stats().calls(Endpoint::DingTalkGetUserInfoV2);
    mock.inject_fault(
        Endpoint::DingTalkGetUserInfoV2,
        silent_login_mock::Fault::Latency(Duration::from_millis(1000)),
        1,
    );
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    mock.set_visible(
        silent_login_mock::ProviderKind::DingTalk,
        demo::ALICE,
        false,
    );

    let (first, second) = tokio::join!(login(&client, &a, &code), async {
        exchange_started(&mock, calls).await;
        login(&client, &b, &code).await
    });
    for response in [first, second] {
        assert_eq!(response.status(), 403);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["errcode"], 40079);
        assert_eq!(
            body["upstream"]["errcode"], 40079,
            "the platform's answer travels with it"
        );
    }
}

/// A `redis-server` listening only on TLS, with a certificate of a private CA (made with the
/// `openssl` command) and an ACL user; stopped on drop.
struct TlsRedis {
    port: u16,
    dir: std::path::PathBuf,
    child: Child,
}

impl TlsRedis {
    fn start() -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("silent-login-tls-{port}"));
        std::fs::create_dir_all(&dir).unwrap();
        let openssl = |args: &[&str]| {
            let made = Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("the openssl command makes the test certificates");
            assert!(made.success(), "openssl {args:?} failed");
        };
        // A private CA, and the server's certificate signed by it.
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=silent-login test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "key.pem",
            "-out",
            "server.csr",
        ]);
        std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost\n").unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "san.ext",
            "-out",
            "cert.pem",
        ]);
        let cert = dir.join("cert.pem");
        let child = Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--tls-cert-file")
            .arg(&cert)
            .arg("--tls-key-file")
            .arg(dir.join("key.pem"))
            .arg("--tls-ca-cert-file")
            .arg(dir.join("ca.pem"))
            .args([
                "--tls-auth-clients",
                "no",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            // An ACL user besides `default`, as production deployments have.
            .args(["--user", "app", "on", ">app-password", "~*", "&*", "+@all"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server (TLS) did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { port, dir, child }
    }

    fn certificate(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("ca.pem")).unwrap()
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn rediss_with_an_acl_user_and_a_private_ca_shares_revocations() {
    let redis = TlsRedis::start();
    let url = format!("rediss://app:app-password@localhost:{}/0", redis.port);
    let mock = MockPlatform::builder().demo().start().await.unwrap();
    let ring = KeyRing::new(SessionKey::generate());
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let store = RedisStore::builder(&url)
            .prefix("tls:")
            .tls_root_certificate(redis.certificate())
            .connect()
            .await
            .unwrap();
        wait_until(|| store.is_live()).await;
        replicas.push(replica(&mock, store, ring.clone(), RevocationPolicy::FailClosed).await);
    }
    let client = support::client();
    let token = token_for(&client, &mock, &replicas[0], demo::ALICE).await;
    assert_eq!(me_status(&client, &replicas[1], &token).await.0, 200);
    let out = client
        .post(format!("{}/api/logout", replicas[0].base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    eventually_refused(&client, &replicas[1], &token).await;

    // Without the private CA the server's certificate is not trusted; with a wrong password
    // the ACL refuses; a certificate for a plain redis:// URL would be ignored, so it is refused.
    let untrusted = RedisStore::connect(url.clone()).await.unwrap_err();
    assert!(untrusted.to_string().contains("Redis"), "{untrusted}");
    let wrong = RedisStore::builder(url.replace("app-password", "wrong"))
        .tls_root_certificate(redis.certificate())
        .connect()
        .await
        .unwrap_err();
    assert!(wrong.to_string().contains("Redis"), "{wrong}");
    let plain = RedisStore::builder(format!("redis://localhost:{}/0", redis.port))
        .tls_root_certificate(redis.certificate())
        .connect()
        .await
        .unwrap_err();
    assert!(plain.to_string().contains("not rediss://"), "{plain}");
}
