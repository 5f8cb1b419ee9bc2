//! `RedisStore`: one Redis shared by every replica — app tokens with a refresh lock, code
//! fingerprints, and revocations mirrored into a local view (`feed.rs`) so the hot path never
//! waits on Redis.

mod feed;

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use redis::aio::ConnectionManager;
use redis::io::tcp::{socket2, TcpSettings};
use redis::{AsyncCommands, IntoConnectionInfo, ProtocolVersion, Script};

pub use self::feed::REVOCATION_BOUND;
use self::feed::{Feed, Names};
use super::{now_ms, CodeState, LockToken, Store, StoreError, StoreFuture, StoredToken};

/// The mark of a code whose exchange is under way, and of one whose exchange ended.
const PENDING: &str = "pending";
const DONE: &str = "done";
use crate::identity::Identity;
use crate::secret::AppToken;

/// How long one Redis command may take before the store counts as unavailable.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(800);
/// How often a disconnected store tries Redis again.
const RECONNECT_EVERY: Duration = Duration::from_millis(500);

/// Deletes `KEYS[1]` only if its value is `ARGV[1]`: unlock by the holder, evict only the token
/// that was found invalid.
const COMPARE_AND_DELETE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// TCP keepalive on every connection: a peer that vanished without a reset (a NAT or load
/// balancer dropping an idle flow) is noticed by the kernel too, not only by our pings.
fn tcp_settings() -> TcpSettings {
    TcpSettings::default().set_nodelay(true).set_keepalive(
        socket2::TcpKeepalive::new()
            .with_time(Duration::from_secs(5))
            .with_interval(Duration::from_secs(1))
            .with_retries(3),
    )
}

/// Options of a [`RedisStore`].
///
/// ```no_run
/// # async fn demo() -> Result<(), silent_login::store::StoreError> {
/// use silent_login::store::RedisStore;
/// let store = RedisStore::builder("redis://127.0.0.1:6379/").prefix("myapp:sl:").connect().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct RedisStoreBuilder {
    url: String,
    prefix: String,
    start_degraded: bool,
    root_certificate: Option<Vec<u8>>,
}

impl RedisStoreBuilder {
    /// Every key starts with this (default `silent-login:`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Start even when Redis is unreachable, and connect when it comes up (default: fail).
    pub fn start_degraded(mut self, degraded: bool) -> Self {
        self.start_degraded = degraded;
        self
    }

    /// Trusts this CA (PEM) for `rediss://` instead of the system's and the web's roots — for a
    /// Redis with a private CA, as managed services often have. A certificate with a `redis://`
    /// URL is refused at `connect`: it would silently not be used.
    pub fn tls_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificate = Some(pem.into());
        self
    }

    fn client(&self, info: redis::ConnectionInfo) -> Result<redis::Client, StoreError> {
        let bad_url = |error: redis::RedisError| StoreError(format!("bad REDIS_URL: {error}"));
        match &self.root_certificate {
            None => redis::Client::open(info).map_err(bad_url),
            Some(pem) => {
                let certificates = redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem.clone()),
                };
                redis::Client::build_with_tls(info, certificates).map_err(bad_url)
            }
        }
    }

    /// Connects (or, with `start_degraded`, starts trying to).
    pub async fn connect(self) -> Result<RedisStore, StoreError> {
        let info = self
            .url
            .as_str()
            .into_connection_info()
            .map_err(|error| StoreError(format!("bad REDIS_URL: {error}")))?;
        if self.root_certificate.is_some()
            && !matches!(info.addr, redis::ConnectionAddr::TcpTls { .. })
        {
            return Err(StoreError(
                "a TLS root certificate was given, but REDIS_URL is not rediss://".to_owned(),
            ));
        }
        let client = self.client(info.clone())?;
        let mut subscriber = info;
        // RESP3: the subscription and the checks of its liveness share one connection.
        subscriber.redis.protocol = ProtocolVersion::RESP3;
        let subscriber = self.client(subscriber)?;
        let shared = Arc::new(Shared {
            client,
            connection: tokio::sync::Mutex::new(None),
            last_attempt: Mutex::new(None),
        });
        let feed = Arc::new(Feed::new(Names::new(&self.prefix), subscriber));
        match shared.connection().await {
            Ok(_) => {}
            Err(error) if !self.start_degraded => return Err(error),
            Err(error) => {
                tracing::warn!(%error, "Redis is unreachable; starting degraded and retrying in the background")
            }
        }
        let listener = tokio::spawn(feed::listen(Arc::downgrade(&feed)));
        Ok(RedisStore {
            shared,
            feed,
            prefix: self.prefix,
            _listener: Arc::new(AbortOnDrop(listener)),
        })
    }
}

/// A [`Store`] in Redis, for many replicas behind a load balancer.
///
/// - App tokens are shared, and refreshed by one replica at a time (`SET NX PX` lock, released
///   by compare-and-delete; a crashed holder's lock expires).
/// - Fingerprints of presented codes are shared (5 minutes), so "already used" holds across
///   replicas.
/// - Revocations are written to Redis with a sequence number and announced on a channel; every
///   replica mirrors them in memory, so checking a session costs no Redis round trip. Once a
///   second each replica pings its subscription connection and compares sequence numbers; a
///   gap (a lost announcement, a Redis that lost its data) triggers a resync that merges both
///   sides and writes back what Redis lost. The mirror is served for at most
///   [`REVOCATION_BOUND`] since it was last confirmed current; past that [`Store::is_revoked`]
///   reports the store unavailable and the layer applies its
///   [`RevocationPolicy`](crate::RevocationPolicy).
/// - Logging out everywhere uses Redis's clock (`TIME`), so replicas whose clocks differ agree.
///
/// Every key has a TTL. Needs Redis 7 or later (RESP3, `PEXPIRE … GT`); run it with persistence
/// (AOF) and `maxmemory-policy noeviction`, `rediss://` for TLS, and an ACL user in the URL
/// (`rediss://user:password@host:6380/0`).
#[derive(Clone, Debug)]
pub struct RedisStore {
    shared: Arc<Shared>,
    feed: Arc<Feed>,
    prefix: String,
    /// Stops the revocation listener when the last clone is dropped.
    _listener: Arc<AbortOnDrop>,
}

#[derive(Debug)]
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Shared {
    client: redis::Client,
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    last_attempt: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConnection").finish_non_exhaustive()
    }
}

impl Shared {
    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        {
            let mut last = self.last_attempt.lock();
            if last.is_some_and(|at| at.elapsed() < RECONNECT_EVERY) {
                return Err(StoreError("Redis is unreachable".to_owned()));
            }
            *last = Some(Instant::now());
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(COMMAND_TIMEOUT)
            .set_response_timeout(COMMAND_TIMEOUT)
            .set_number_of_retries(1)
            .set_max_delay(1_000)
            .set_tcp_settings(tcp_settings());
        let connection = self
            .client
            .get_connection_manager_with_config(config)
            .await
            .map_err(redis_error)?;
        *slot = Some(connection.clone());
        Ok(connection)
    }
}

fn redis_error(error: redis::RedisError) -> StoreError {
    StoreError(format!("Redis: {error}"))
}

impl RedisStore {
    /// A builder for the Redis at `url`: `redis://host:port/db`, `rediss://` for TLS, with an ACL
    /// user and password as `rediss://user:password@host:port/db`.
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            prefix: "silent-login:".to_owned(),
            start_degraded: false,
            root_certificate: None,
        }
    }

    /// Connects to the Redis at `url` with default options; fails if it is unreachable.
    pub async fn connect(url: impl Into<String>) -> Result<Self, StoreError> {
        Self::builder(url).connect().await
    }

    fn key(&self, kind: &str, name: &str) -> String {
        format!("{}{kind}:{name}", self.prefix)
    }

    async fn run<T, F, Fut>(&self, operation: &'static str, command: F) -> Result<T, StoreError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let connection = self.shared.connection().await?;
        match tokio::time::timeout(COMMAND_TIMEOUT, command(connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                crate::metrics::store_failure(operation);
                Err(redis_error(error))
            }
            Err(_) => {
                crate::metrics::store_failure(operation);
                Err(StoreError(format!(
                    "Redis did not answer {operation} in time"
                )))
            }
        }
    }
}

impl Store for RedisStore {
    fn load_token<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        Box::pin(async move {
            let redis_key = self.key("token", key);
            let value: Option<String> = self
                .run("load_token", |mut c| async move { c.get(redis_key).await })
                .await?;
            Ok(value.and_then(|value| {
                let (refresh_at, token) = value.split_once(' ')?;
                let refresh_at_ms: u64 = refresh_at.parse().ok()?;
                (refresh_at_ms > now_ms()).then(|| StoredToken {
                    token: AppToken::new(token),
                    refresh_at_ms,
                })
            }))
        })
    }

    fn save_token<'a>(&'a self, key: &'a str, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let ttl = token.refresh_at_ms.saturating_sub(now_ms());
            if ttl == 0 {
                return Ok(());
            }
            let redis_key = self.key("token", key);
            let value = format!("{} {}", token.refresh_at_ms, token.token.expose());
            self.run("save_token", |mut c| async move {
                c.pset_ex::<_, _, ()>(redis_key, value, ttl).await
            })
            .await
        })
    }

    fn evict_token<'a>(&'a self, key: &'a str, token: &'a AppToken) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let redis_key = self.key("token", key);
            let current: Option<String> = self
                .run("evict_token", |mut c| {
                    let redis_key = redis_key.clone();
                    async move { c.get(redis_key).await }
                })
                .await?;
            let Some(current) = current.filter(|value| {
                value
                    .split_once(' ')
                    .is_some_and(|(_, stored)| stored == token.expose())
            }) else {
                return Ok(());
            };
            let _: i64 = self
                .run("evict_token", |mut c| async move {
                    Script::new(COMPARE_AND_DELETE)
                        .key(redis_key)
                        .arg(current)
                        .invoke_async(&mut c)
                        .await
                })
                .await?;
            Ok(())
        })
    }

    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
        Box::pin(async move {
            let redis_key = self.key("lock", key);
            let holder = crate::secret::random_id();
            let value = holder.clone();
            let acquired: Option<String> = self
                .run("try_lock", |mut c| async move {
                    redis::cmd("SET")
                        .arg(redis_key)
                        .arg(value)
                        .arg("NX")
                        .arg("PX")
                        .arg(ttl.as_millis() as u64)
                        .query_async(&mut c)
                        .await
                })
                .await?;
            Ok(acquired.map(|_| LockToken(holder)))
        })
    }

    fn unlock<'a>(&'a self, key: &'a str, lock: LockToken) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let redis_key = self.key("lock", key);
            let _: i64 = self
                .run("unlock", |mut c| async move {
                    Script::new(COMPARE_AND_DELETE)
                        .key(redis_key)
                        .arg(lock.0)
                        .invoke_async(&mut c)
                        .await
                })
                .await?;
            Ok(())
        })
    }

    fn keeps_user_tokens(&self) -> bool {
        true
    }

    fn load_user_token<'a>(&'a self, session_id: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            let redis_key = self.key("user_token", session_id);
            self.run(
                "load_user_token",
                |mut c| async move { c.get(redis_key).await },
            )
            .await
        })
    }

    fn save_user_token<'a>(
        &'a self,
        session_id: &'a str,
        sealed: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let ttl = ttl.as_millis() as u64;
            if ttl == 0 {
                return Ok(());
            }
            let redis_key = self.key("user_token", session_id);
            self.run("save_user_token", |mut c| async move {
                c.pset_ex::<_, _, ()>(redis_key, sealed, ttl).await
            })
            .await
        })
    }

    fn delete_user_token<'a>(&'a self, session_id: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let redis_key = self.key("user_token", session_id);
            self.run("delete_user_token", |mut c| async move {
                c.del::<_, ()>(redis_key).await
            })
            .await
        })
    }

    fn mark_code<'a>(&'a self, fingerprint: &'a str, ttl: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let redis_key = self.key("code", fingerprint);
            let set: Option<String> = self
                .run("mark_code", |mut c| async move {
                    redis::cmd("SET")
                        .arg(redis_key)
                        .arg(PENDING)
                        .arg("NX")
                        .arg("PX")
                        .arg(ttl.as_millis() as u64)
                        .query_async(&mut c)
                        .await
                })
                .await?;
            Ok(set.is_some())
        })
    }

    fn unmark_code<'a>(&'a self, fingerprint: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let redis_key = self.key("code", fingerprint);
            self.run("unmark_code", |mut c| async move {
                c.del::<_, ()>(redis_key).await
            })
            .await
        })
    }

    fn finish_code<'a>(
        &'a self,
        fingerprint: &'a str,
        outcome: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mark = self.key("code", fingerprint);
            let kept = self.key("outcome", fingerprint);
            let ttl_ms = ttl.as_millis().max(1) as u64;
            self.run("finish_code", |mut c| async move {
                redis::pipe()
                    .cmd("SET")
                    .arg(mark)
                    .arg(DONE)
                    .arg("XX")
                    .arg("KEEPTTL")
                    .ignore()
                    .cmd("SET")
                    .arg(kept)
                    .arg(outcome)
                    .arg("PX")
                    .arg(ttl_ms)
                    .ignore()
                    .query_async::<()>(&mut c)
                    .await
            })
            .await
        })
    }

    fn code_state<'a>(&'a self, fingerprint: &'a str) -> StoreFuture<'a, CodeState> {
        Box::pin(async move {
            let mark = self.key("code", fingerprint);
            let kept = self.key("outcome", fingerprint);
            let (state, outcome): (Option<String>, Option<String>) = self
                .run("code_state", |mut c| async move {
                    redis::pipe().get(mark).get(kept).query_async(&mut c).await
                })
                .await?;
            Ok(match state.as_deref() {
                None => CodeState::Free,
                Some(PENDING) => CodeState::Pending,
                Some(_) => CodeState::Done(outcome),
            })
        })
    }

    fn revoke_session<'a>(
        &'a self,
        session_id: &'a str,
        expires_at_ms: u64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let script = self.feed.revoke_session_script(session_id, expires_at_ms);
            let _: u64 = self
                .run("revoke_session", |mut c| async move {
                    script.invoke_async(&mut c).await
                })
                .await?;
            self.feed.applied_session(session_id, expires_at_ms);
            Ok(())
        })
    }

    fn revoke_user<'a>(&'a self, user_key: &'a str, remember: Duration) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let script = self.feed.revoke_user_script(user_key, remember);
            let (_sequence, mark): (u64, u64) = self
                .run("revoke_user", |mut c| async move {
                    script.invoke_async(&mut c).await
                })
                .await?;
            self.feed.applied_user(user_key, mark, remember);
            Ok(())
        })
    }

    fn is_revoked(
        &self,
        session_id: &str,
        user: &Identity,
        issued_at_ms: u64,
    ) -> Result<bool, StoreError> {
        self.feed.is_revoked(session_id, user, issued_at_ms)
    }

    fn issued_at_ms(&self, user: &Identity) -> u64 {
        self.feed.issued_at_ms(user)
    }

    fn is_live(&self) -> bool {
        self.feed.is_current()
    }

    fn is_shared(&self) -> bool {
        true
    }
}
