//! The app-token cache: refresh before expiry, one refresh at a time (single-flight, across
//! replicas when the store is shared), compare-and-evict when the platform calls a token invalid,
//! bounded backoff on transient faults, and a pause after the platform rate-limits us.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use silent_login_catalog::SilentLoginCode;

use crate::error::LoginError;
use crate::metrics;
use crate::secret::AppToken;
use crate::store::{now_ms, Store, StoredToken};

/// Attempts of the token endpoint per refresh when it fails transiently.
const FETCH_ATTEMPTS: u32 = 3;
/// How long a replica holds the refresh lock at most.
const LOCK_TTL: Duration = Duration::from_secs(10);
/// How often a replica that lost the lock race looks for the winner's token.
const LOCK_POLL: Duration = Duration::from_millis(25);
/// How long to stop asking for tokens after the platform rate-limited the token endpoint.
const RATE_LIMIT_PAUSE: Duration = Duration::from_secs(2);

/// A token the platform just issued.
#[derive(Debug)]
pub struct FetchedToken {
    /// The token.
    pub token: AppToken,
    /// Its lifetime as the platform stated it (`expires_in` / `expire`).
    pub expires_in: Duration,
}

#[derive(Debug, Default)]
struct Slot {
    current: RwLock<Option<(AppToken, Instant)>>,
    refresh: tokio::sync::Mutex<()>,
    paused_until: Mutex<Option<Instant>>,
}

impl Slot {
    fn fresh(&self) -> Option<AppToken> {
        let current = self.current.read();
        current
            .as_ref()
            .filter(|(_, refresh_at)| Instant::now() < *refresh_at)
            .map(|(token, _)| token.clone())
    }

    fn set(&self, token: AppToken, refresh_at: Instant) {
        *self.current.write() = Some((token, refresh_at));
    }

    fn paused(&self) -> bool {
        let paused = self.paused_until.lock();
        paused.is_some_and(|until| Instant::now() < until)
    }

    fn pause(&self) {
        *self.paused_until.lock() = Some(Instant::now() + RATE_LIMIT_PAUSE);
    }
}

/// Caches app tokens per `(provider, app, secret fingerprint)`.
#[derive(Debug)]
pub struct TokenCache {
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    store: Arc<dyn Store>,
    margin: Duration,
}

impl TokenCache {
    /// A cache over `store`, refreshing tokens `margin` before they expire.
    pub fn new(store: Arc<dyn Store>, margin: Duration) -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            store,
            margin,
        }
    }

    fn slot(&self, key: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock();
        slots.entry(key.to_owned()).or_default().clone()
    }

    /// The cached token for `key`, or a new one from `fetch` — fetched once however many callers
    /// wait for it.
    pub async fn get<F, Fut>(&self, key: &str, fetch: F) -> Result<AppToken, LoginError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<FetchedToken, LoginError>>,
    {
        let slot = self.slot(key);
        if let Some(token) = slot.fresh() {
            metrics::token_cache("hit");
            return Ok(token);
        }
        let _refreshing = slot.refresh.lock().await;
        if let Some(token) = slot.fresh() {
            metrics::token_cache("hit");
            return Ok(token);
        }
        if slot.paused() {
            return Err(LoginError::new(SilentLoginCode::UpstreamRateLimited)
                .with_detail("the platform rate-limited the token endpoint moments ago; not asking again yet")
                .code_not_presented());
        }
        if self.store.is_shared() {
            match self.refresh_shared(key, &slot, &fetch).await {
                Err(error) if error.is(SilentLoginCode::StoreUnavailable) => {
                    // Logins keep working on this replica's own cache while the store is away.
                    tracing::warn!(%error, "shared token cache unavailable; using the local cache");
                }
                result => return result,
            }
        }
        let fetched = self.fetch_with_backoff(&slot, &fetch).await?;
        let refresh_at = Instant::now() + fetched.expires_in.saturating_sub(self.margin);
        slot.set(fetched.token.clone(), refresh_at);
        Ok(fetched.token)
    }

    /// Across replicas: take the token another replica cached, or win the lock and fetch it.
    async fn refresh_shared<F, Fut>(
        &self,
        key: &str,
        slot: &Slot,
        fetch: &F,
    ) -> Result<AppToken, LoginError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<FetchedToken, LoginError>>,
    {
        let deadline = Instant::now() + LOCK_TTL + LOCK_TTL / 2;
        loop {
            if let Some(stored) = self.store.load_token(key).await.map_err(store_error)? {
                let remaining =
                    Duration::from_millis(stored.refresh_at_ms.saturating_sub(now_ms()));
                slot.set(stored.token.clone(), Instant::now() + remaining);
                metrics::token_cache("shared_hit");
                return Ok(stored.token);
            }
            if let Some(lock) = self
                .store
                .try_lock(key, LOCK_TTL)
                .await
                .map_err(store_error)?
            {
                let fetched = self.fetch_with_backoff(slot, fetch).await;
                let result = match fetched {
                    Ok(fetched) => {
                        let lifetime = fetched.expires_in.saturating_sub(self.margin);
                        let stored = StoredToken {
                            token: fetched.token.clone(),
                            refresh_at_ms: now_ms() + lifetime.as_millis() as u64,
                        };
                        let saved = self.store.save_token(key, &stored).await;
                        slot.set(fetched.token.clone(), Instant::now() + lifetime);
                        if let Err(error) = saved {
                            tracing::warn!(%error, "could not share the new app token; other replicas will fetch their own");
                        }
                        Ok(fetched.token)
                    }
                    Err(error) => Err(error),
                };
                let _ = self.store.unlock(key, lock).await;
                return result;
            }
            if Instant::now() > deadline {
                // The holder vanished and its lock is about to expire; fetch ourselves.
                let fetched = self.fetch_with_backoff(slot, fetch).await?;
                slot.set(
                    fetched.token.clone(),
                    Instant::now() + fetched.expires_in.saturating_sub(self.margin),
                );
                return Ok(fetched.token);
            }
            tokio::time::sleep(LOCK_POLL).await;
        }
    }

    async fn fetch_with_backoff<F, Fut>(
        &self,
        slot: &Slot,
        fetch: &F,
    ) -> Result<FetchedToken, LoginError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<FetchedToken, LoginError>>,
    {
        let mut delay = Duration::from_millis(100);
        let mut attempt = 1;
        loop {
            metrics::token_cache("refresh");
            match fetch().await {
                Ok(fetched) => return Ok(fetched),
                Err(error) if is_rate_limit(&error) => {
                    slot.pause();
                    return Err(error.code_not_presented());
                }
                Err(error) if error.retryable() && attempt < FETCH_ATTEMPTS => {
                    tracing::debug!(%error, attempt, "token endpoint failed transiently; backing off");
                    tokio::time::sleep(delay).await;
                    delay *= 3;
                    attempt += 1;
                }
                Err(error) => return Err(error.code_not_presented()),
            }
        }
    }

    /// Forgets `token` for `key` if it is still the cached one: the platform said it is invalid.
    /// A token another caller already replaced stays.
    pub async fn evict(&self, key: &str, token: &AppToken) {
        let slot = self.slot(key);
        {
            let mut current = slot.current.write();
            if current.as_ref().is_some_and(|(cached, _)| cached == token) {
                *current = None;
            }
        }
        if self.store.is_shared() {
            if let Err(error) = self.store.evict_token(key, token).await {
                tracing::warn!(%error, "could not evict the shared app token");
            }
        }
    }
}

fn is_rate_limit(error: &LoginError) -> bool {
    error.status().as_u16() == 429
}

fn store_error(error: crate::store::StoreError) -> LoginError {
    LoginError::new(SilentLoginCode::StoreUnavailable)
        .with_detail(error.to_string())
        .code_not_presented()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::store::MemoryStore;

    fn cache() -> TokenCache {
        TokenCache::new(Arc::new(MemoryStore::new()), Duration::from_secs(60))
    }

    #[tokio::test]
    async fn concurrent_callers_on_a_cold_cache_fetch_once() {
        let cache = Arc::new(cache());
        let fetches = Arc::new(AtomicU32::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (cache, fetches) = (cache.clone(), fetches.clone());
                tokio::spawn(async move {
                    cache
                        .get("k", || {
                            let fetches = fetches.clone();
                            async move {
                                fetches.fetch_add(1, Ordering::SeqCst);
                                tokio::time::sleep(Duration::from_millis(20)).await;
                                Ok(FetchedToken {
                                    token: AppToken::new("t1"),
                                    expires_in: Duration::from_secs(7200),
                                })
                            }
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), AppToken::new("t1"));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn eviction_is_compare_and_evict() {
        let cache = cache();
        let fetch = |name: &'static str| {
            move || async move {
                Ok(FetchedToken {
                    token: AppToken::new(name),
                    expires_in: Duration::from_secs(7200),
                })
            }
        };
        cache.get("k", fetch("t1")).await.unwrap();
        cache.evict("k", &AppToken::new("stale")).await;
        assert_eq!(
            cache.get("k", fetch("t2")).await.unwrap(),
            AppToken::new("t1")
        );
        cache.evict("k", &AppToken::new("t1")).await;
        assert_eq!(
            cache.get("k", fetch("t2")).await.unwrap(),
            AppToken::new("t2")
        );
    }

    #[tokio::test]
    async fn a_transient_fault_is_retried_a_bounded_number_of_times() {
        let cache = cache();
        let calls = AtomicU32::new(0);
        let error = cache
            .get("k", || {
                calls.fetch_add(1, Ordering::SeqCst);
                async {
                    Err::<FetchedToken, _>(LoginError::new(SilentLoginCode::UpstreamUnreachable))
                }
            })
            .await
            .unwrap_err();
        assert!(error.is(SilentLoginCode::UpstreamUnreachable));
        assert_eq!(calls.load(Ordering::SeqCst), FETCH_ATTEMPTS);
        assert!(error.is_code_unused());
    }

    #[tokio::test]
    async fn a_rate_limited_token_endpoint_is_left_alone_for_a_moment() {
        let cache = cache();
        let calls = AtomicU32::new(0);
        let limited = || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err::<FetchedToken, _>(LoginError::new(SilentLoginCode::UpstreamRateLimited)) }
        };
        cache.get("k", limited).await.unwrap_err();
        let second = cache.get("k", limited).await.unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(second.detail().unwrap().contains("rate-limited"));
    }
}
