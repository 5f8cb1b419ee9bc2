//! What replicas must share: app tokens, fingerprints of presented codes, revocations, and the
//! users' own tokens (sealed).
//!
//! Sessions themselves are sealed tokens any replica with the key can open; a [`Store`] holds only
//! what sealing cannot: which tokens are cached, which codes were already presented, and which
//! sessions were ended early. [`MemoryStore`] is the default, for one process.

mod expiry;
mod memory;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
mod redis;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[cfg(feature = "redis")]
pub use self::redis::{RedisStore, RedisStoreBuilder, REVOCATION_BOUND};
pub use memory::{MemoryStore, MAX_CODES};

use crate::identity::Identity;
use crate::secret::AppToken;

/// The future a [`Store`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The store could not be reached or answered nonsense.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("session store unavailable: {0}")]
pub struct StoreError(pub String);

impl StoreError {
    /// The detail of an error answer: the store's own words (as it gave them) in both languages.
    pub(crate) fn detail(&self) -> crate::error::Detail {
        crate::error::Detail::new(self.to_string(), format!("会话存储不可用：{}", self.0))
    }
}

/// An app token with its expiry, as a shared cache holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredToken {
    /// The token.
    pub token: AppToken,
    /// When to stop using it (already minus the refresh margin), in Unix milliseconds.
    pub refresh_at_ms: u64,
}

/// Proof of holding a refresh lock; only its holder's `unlock` releases it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockToken(pub String);

/// Shared state of a deployment. Implementations: [`MemoryStore`] (one process); a Redis store
/// for many replicas.
///
/// Everything has a time to live, so nothing grows without bound.
pub trait Store: Send + Sync + fmt::Debug + 'static {
    /// The cached app token for `key`, if any.
    fn load_token<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>>;
    /// Caches an app token for `key` until its `refresh_at_ms`.
    fn save_token<'a>(&'a self, key: &'a str, token: &'a StoredToken) -> StoreFuture<'a, ()>;
    /// Evicts the token for `key` only if it is still `token` (a newer one stays).
    fn evict_token<'a>(&'a self, key: &'a str, token: &'a AppToken) -> StoreFuture<'a, ()>;
    /// Tries to become the one process that refreshes `key`; the lock expires after `ttl` so a
    /// crashed holder blocks nobody for long.
    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>>;
    /// Releases a lock taken by [`Store::try_lock`], if still held by `lock`.
    fn unlock<'a>(&'a self, key: &'a str, lock: LockToken) -> StoreFuture<'a, ()>;
    /// Records that a code with this fingerprint was presented; `true` if it is the first time
    /// within `ttl`.
    fn mark_code<'a>(&'a self, fingerprint: &'a str, ttl: Duration) -> StoreFuture<'a, bool>;
    /// Forgets a fingerprint: the code never reached the platform and is still good.
    fn unmark_code<'a>(&'a self, fingerprint: &'a str) -> StoreFuture<'a, ()>;
    /// Records how the exchange of a marked code ended, and keeps `outcome` for `ttl` so that
    /// other replicas that received the same code at the same moment (a double submit spread by
    /// the load balancer) can share it. A process-local store needs nothing here: concurrent
    /// presentations in one process already share one exchange.
    fn finish_code<'a>(
        &'a self,
        fingerprint: &'a str,
        outcome: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        let _ = (fingerprint, outcome, ttl);
        Box::pin(std::future::ready(Ok(())))
    }
    /// Where the exchange of a code that was already marked stands.
    fn code_state<'a>(&'a self, fingerprint: &'a str) -> StoreFuture<'a, CodeState> {
        let _ = fingerprint;
        Box::pin(std::future::ready(Ok(CodeState::Done(None))))
    }
    /// Revokes one session until it would have expired anyway.
    fn revoke_session<'a>(&'a self, session_id: &'a str, expires_at_ms: u64)
        -> StoreFuture<'a, ()>;
    /// Revokes every session of `user_key` issued up to now by the store's clock (so a replica
    /// whose own clock lags or leads changes nothing), remembering that for `remember` (the
    /// longest a session lives).
    fn revoke_user<'a>(&'a self, user_key: &'a str, remember: Duration) -> StoreFuture<'a, ()>;
    /// The hot-path check of every authenticated request: synchronous, from a local view.
    /// Whether session `session_id` of `user` (see [`Identity::key`]), issued at
    /// `issued_at_ms`, was revoked.
    fn is_revoked(
        &self,
        session_id: &str,
        user: &Identity,
        issued_at_ms: u64,
    ) -> Result<bool, StoreError>;
    /// The issue time of a new session of `user`, by the store's clock: now, but always after
    /// the user's latest "log out everywhere" this store knows, so a login right after one is
    /// not caught by it.
    fn issued_at_ms(&self, user: &Identity) -> u64 {
        let _ = user;
        now_ms()
    }
    /// Whether the store can answer [`Store::is_revoked`] now (a shared store: connected and its
    /// revocation feed live). Readiness probes ask this.
    fn is_live(&self) -> bool {
        true
    }
    /// Whether this store keeps user tokens ([`Store::load_user_token`] and its siblings); a
    /// layer told to keep them refuses to start with a store that cannot.
    fn keeps_user_tokens(&self) -> bool {
        false
    }
    /// The sealed user-token record of session `session_id`, if there is one. Records are
    /// opaque to the store: sealed with a key of the session key ring, bound to their session.
    fn load_user_token<'a>(&'a self, session_id: &'a str) -> StoreFuture<'a, Option<String>> {
        let _ = session_id;
        Box::pin(std::future::ready(Err(no_user_tokens())))
    }
    /// Keeps the sealed record of session `session_id` for `ttl` (the session's remaining life).
    fn save_user_token<'a>(
        &'a self,
        session_id: &'a str,
        sealed: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        let _ = (session_id, sealed, ttl);
        Box::pin(std::future::ready(Err(no_user_tokens())))
    }
    /// Forgets the record of session `session_id` (logout).
    fn delete_user_token<'a>(&'a self, session_id: &'a str) -> StoreFuture<'a, ()> {
        let _ = session_id;
        Box::pin(std::future::ready(Err(no_user_tokens())))
    }
    /// Whether other processes share this store. Then the token cache asks the store and takes
    /// the refresh lock, and a code another process is exchanging is waited for; a
    /// process-local store skips all of that (one process coordinates in memory).
    fn is_shared(&self) -> bool {
        false
    }
}

/// Where the exchange of a presented code stands, as another replica sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeState {
    /// Nobody holds the code (its exchange never reached the platform): present it again.
    Free,
    /// Another replica is exchanging it right now.
    Pending,
    /// Its exchange ended; the outcome while it is still kept for concurrent presenters.
    Done(Option<String>),
}

fn no_user_tokens() -> StoreError {
    StoreError("this store does not keep user tokens".to_owned())
}

/// Now, in Unix milliseconds.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}
