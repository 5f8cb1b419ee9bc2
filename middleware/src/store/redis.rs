//! `RedisStore`: one Redis shared by every replica — app tokens with a refresh lock, code
//! fingerprints, and revocations mirrored into a local view by pub/sub so the hot path never
//! waits on Redis.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use parking_lot::{Mutex, RwLock};
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};

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

/// Raises a user's "revoked up to" mark, never lowers it, and keeps it for `ARGV[2]` ms.
const RAISE_MARK: &str = r"
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local wanted = tonumber(ARGV[1])
if wanted > current then current = wanted end
redis.call('SET', KEYS[1], tostring(current), 'PX', ARGV[2])
return current";

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

    /// Connects (or, with `start_degraded`, starts trying to).
    pub async fn connect(self) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(self.url.as_str())
            .map_err(|error| StoreError(format!("bad REDIS_URL: {error}")))?;
        let shared = Arc::new(Shared {
            client,
            prefix: self.prefix,
            connection: tokio::sync::Mutex::new(None),
            last_attempt: Mutex::new(None),
            view: RwLock::new(View::default()),
            view_current: AtomicBool::new(false),
        });
        match shared.connection().await {
            Ok(_) => {}
            Err(error) if !self.start_degraded => return Err(error),
            Err(error) => {
                tracing::warn!(%error, "Redis is unreachable; starting degraded and retrying in the background")
            }
        }
        let listener = tokio::spawn(listen(Arc::downgrade(&shared)));
        Ok(RedisStore {
            shared,
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
/// - Revocations are written to Redis and announced on a channel; every replica mirrors them in
///   memory, so checking a session costs no Redis round trip. After a reconnect the mirror is
///   rebuilt from Redis before it is trusted again; until then [`Store::is_revoked`] reports the
///   store unavailable and the layer applies its
///   [`RevocationPolicy`](crate::RevocationPolicy).
///
/// Every key has a TTL.
#[derive(Clone, Debug)]
pub struct RedisStore {
    shared: Arc<Shared>,
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

#[derive(Debug, Default)]
struct View {
    sessions: HashMap<String, u64>,
    users: HashMap<String, u64>,
}

struct Shared {
    client: redis::Client,
    prefix: String,
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    last_attempt: Mutex<Option<Instant>>,
    view: RwLock<View>,
    view_current: AtomicBool,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
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
            .set_max_delay(1_000);
        let connection = self
            .client
            .get_connection_manager_with_config(config)
            .await
            .map_err(redis_error)?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    fn key(&self, kind: &str, name: &str) -> String {
        format!("{}{kind}:{name}", self.prefix)
    }

    fn channel(&self) -> String {
        format!("{}revocations", self.prefix)
    }

    /// Rebuilds the local view from Redis: every revocation key still alive.
    async fn resync(&self, connection: &mut ConnectionManager) -> Result<(), StoreError> {
        let mut view = View::default();
        for (kind, map) in [
            ("revoked-session", &mut view.sessions),
            ("revoked-user", &mut view.users),
        ] {
            let pattern = self.key(kind, "*");
            let keys: Vec<String> = {
                let mut iter = connection
                    .scan_match::<_, String>(&pattern)
                    .await
                    .map_err(redis_error)?;
                let mut keys = Vec::new();
                while let Some(key) = iter.next_item().await {
                    keys.push(key);
                }
                keys
            };
            for key in keys {
                let value: Option<u64> = connection.get(&key).await.map_err(redis_error)?;
                if let Some(value) = value {
                    let name = key
                        .strip_prefix(&self.key(kind, ""))
                        .unwrap_or(&key)
                        .to_owned();
                    map.insert(name, value);
                }
            }
        }
        *self.view.write() = view;
        Ok(())
    }

    fn apply(&self, message: &str) {
        let mut view = self.view.write();
        let now = now_ms();
        if let Some(rest) = message.strip_prefix("s ") {
            if let Some((until, id)) = rest.split_once(' ') {
                view.sessions
                    .insert(id.to_owned(), until.parse().unwrap_or(u64::MAX));
            }
        } else if let Some(rest) = message.strip_prefix("u ") {
            if let Some((mark, user)) = rest.split_once(' ') {
                let mark = mark.parse().unwrap_or(u64::MAX);
                let entry = view.users.entry(user.to_owned()).or_insert(0);
                *entry = (*entry).max(mark);
            }
        }
        view.sessions.retain(|_, until| *until > now);
    }
}

/// Keeps the local view of revocations current: subscribe, then rebuild, then apply messages;
/// on any failure mark the view stale and start over.
async fn listen(shared: std::sync::Weak<Shared>) {
    loop {
        let Some(store) = shared.upgrade() else {
            return;
        };
        let result = follow(&store).await;
        store.view_current.store(false, Ordering::SeqCst);
        if let Err(error) = result {
            crate::metrics::store_failure("subscribe");
            tracing::warn!(%error, "lost the Redis revocation feed; revocation checks follow the configured policy until it is back");
        }
        drop(store);
        tokio::time::sleep(RECONNECT_EVERY).await;
    }
}

async fn follow(store: &Shared) -> Result<(), StoreError> {
    let mut pubsub = tokio::time::timeout(COMMAND_TIMEOUT, store.client.get_async_pubsub())
        .await
        .map_err(|_| StoreError("timed out connecting to Redis".to_owned()))?
        .map_err(redis_error)?;
    pubsub
        .subscribe(store.channel())
        .await
        .map_err(redis_error)?;
    let mut connection = store.connection().await?;
    store.resync(&mut connection).await?;
    store.view_current.store(true, Ordering::SeqCst);
    tracing::info!("Redis revocation feed is live");
    let mut messages = pubsub.into_on_message();
    let mut ping = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            message = messages.next() => match message {
                Some(message) => {
                    if let Ok(text) = message.get_payload::<String>() {
                        store.apply(&text);
                    }
                }
                None => return Err(StoreError("the subscription ended".to_owned())),
            },
            _ = ping.tick() => {
                // A dead server is noticed within a second even when nobody logs out.
                let alive: Result<String, _> = redis::cmd("PING").query_async(&mut connection).await;
                alive.map_err(redis_error)?;
            }
        }
    }
}

fn redis_error(error: redis::RedisError) -> StoreError {
    StoreError(format!("Redis: {error}"))
}

impl RedisStore {
    /// A builder for the Redis at `url` (`redis://host:port/db`).
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            prefix: "silent-login:".to_owned(),
            start_degraded: false,
        }
    }

    /// Connects to the Redis at `url` with default options; fails if it is unreachable.
    pub async fn connect(url: impl Into<String>) -> Result<Self, StoreError> {
        Self::builder(url).connect().await
    }

    /// Whether the local view of revocations is live (Redis reachable and subscribed).
    pub fn is_live(&self) -> bool {
        self.shared.view_current.load(Ordering::SeqCst)
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
            let redis_key = self.shared.key("token", key);
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
            let redis_key = self.shared.key("token", key);
            let value = format!("{} {}", token.refresh_at_ms, token.token.expose());
            self.run("save_token", |mut c| async move {
                c.pset_ex::<_, _, ()>(redis_key, value, ttl).await
            })
            .await
        })
    }

    fn evict_token<'a>(&'a self, key: &'a str, token: &'a AppToken) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let redis_key = self.shared.key("token", key);
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
            let redis_key = self.shared.key("lock", key);
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
            let redis_key = self.shared.key("lock", key);
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

    fn mark_code<'a>(&'a self, fingerprint: &'a str, ttl: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let redis_key = self.shared.key("code", fingerprint);
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
            let redis_key = self.shared.key("code", fingerprint);
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
            let mark = self.shared.key("code", fingerprint);
            let kept = self.shared.key("outcome", fingerprint);
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
            let mark = self.shared.key("code", fingerprint);
            let kept = self.shared.key("outcome", fingerprint);
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
            let ttl = expires_at_ms.saturating_sub(now_ms()).max(1);
            let redis_key = self.shared.key("revoked-session", session_id);
            let channel = self.shared.channel();
            let message = format!("s {expires_at_ms} {session_id}");
            self.run("revoke_session", |mut c| async move {
                redis::pipe()
                    .pset_ex(redis_key, expires_at_ms, ttl)
                    .ignore()
                    .publish(channel, message)
                    .ignore()
                    .query_async::<()>(&mut c)
                    .await
            })
            .await?;
            self.shared
                .apply(&format!("s {expires_at_ms} {session_id}"));
            Ok(())
        })
    }

    fn revoke_user<'a>(
        &'a self,
        user_key: &'a str,
        issued_up_to_ms: u64,
        remember: Duration,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let redis_key = self.shared.key("revoked-user", user_key);
            let remember_ms = remember.as_millis().max(1) as u64;
            let mark: u64 = self
                .run("revoke_user", |mut c| async move {
                    Script::new(RAISE_MARK)
                        .key(redis_key)
                        .arg(issued_up_to_ms)
                        .arg(remember_ms)
                        .invoke_async(&mut c)
                        .await
                })
                .await?;
            let channel = self.shared.channel();
            let message = format!("u {mark} {user_key}");
            let announced = message.clone();
            self.run("revoke_user", |mut c| async move {
                c.publish::<_, _, i64>(channel, announced).await.map(drop)
            })
            .await?;
            self.shared.apply(&message);
            Ok(())
        })
    }

    fn is_revoked(
        &self,
        session_id: &str,
        user: &Identity,
        issued_at_ms: u64,
    ) -> Result<bool, StoreError> {
        if !self.shared.view_current.load(Ordering::SeqCst) {
            return Err(StoreError(
                "the revocation feed from Redis is not live".to_owned(),
            ));
        }
        let view = self.shared.view.read();
        if view
            .sessions
            .get(session_id)
            .is_some_and(|until| *until > now_ms())
        {
            return Ok(true);
        }
        if view.users.is_empty() {
            return Ok(false);
        }
        Ok(view
            .users
            .get(&user.key())
            .is_some_and(|mark| issued_at_ms <= *mark))
    }

    fn is_shared(&self) -> bool {
        true
    }
}
