//! The app-token cache: refresh before expiry, one refresh at a time (single-flight, across
//! replicas when the store is shared), compare-and-evict when the platform calls a token invalid,
//! and a failed fetch remembered for a short backoff so an outage costs one token request per
//! window, not one per login.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};

use crate::error::{Detail, LoginError};
use crate::metrics;
use crate::secret::AppToken;
use crate::store::{now_ms, Store, StoredToken};

/// How long a failed token fetch is remembered and answered from memory: every login that
/// waited on that fetch, and every login in this window, gets its error without asking again.
pub const FETCH_FAILURE_BACKOFF: Duration = Duration::from_secs(2);
/// A token lifetime the platform states is believed up to this long (both platforms say two
/// hours); anything longer, up to `u64::MAX` seconds, is clamped rather than trusted.
const LONGEST_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// How long a replica holds the refresh lock at most.
const LOCK_TTL: Duration = Duration::from_secs(10);
/// How often a replica that lost the lock race looks for the winner's token.
const LOCK_POLL: Duration = Duration::from_millis(25);

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
    /// The last fetch's failure, until its backoff ends.
    failed: Mutex<Option<(LoginError, Instant)>>,
}

impl Slot {
    fn fresh(&self) -> Option<AppToken> {
        let current = self.current.read();
        current
            .as_ref()
            .filter(|(_, refresh_at)| Instant::now() < *refresh_at)
            .map(|(token, _)| token.clone())
    }

    fn set(&self, token: AppToken, usable_for: Duration) {
        *self.current.write() = Some((token, Instant::now() + usable_for));
        *self.failed.lock() = None;
    }

    /// The remembered failure while its backoff lasts. A rate limit is answered as our own
    /// backoff (`UpstreamRateLimited`), so the caller knows the platform was not asked again.
    fn recent_failure(&self) -> Option<LoginError> {
        let failed = self.failed.lock();
        let (error, _) = failed
            .as_ref()
            .filter(|(_, until)| Instant::now() < *until)?;
        if error.status().as_u16() == 429 {
            return Some(
                LoginError::new(silent_login_catalog::SilentLoginCode::UpstreamRateLimited)
                    .with_detail(Detail::new(
                        "the platform rate-limited the token endpoint moments ago; not asking again yet",
                        "平台刚刚对令牌接口限流；退避期间暂不再次请求",
                    ))
                    .code_not_presented(),
            );
        }
        Some(error.clone())
    }

    fn remember_failure(&self, error: &LoginError) {
        *self.failed.lock() = Some((error.clone(), Instant::now() + FETCH_FAILURE_BACKOFF));
    }
}

/// How long a token of the stated lifetime is used before refreshing it: `margin` before it
/// expires, or half its life when that is shorter than twice the margin (a platform that hands
/// out short tokens is still asked once per half-life, not at every login).
fn usable_for(expires_in: Duration, margin: Duration) -> Duration {
    let lifetime = expires_in.min(LONGEST_TOKEN_LIFETIME);
    if lifetime > margin * 2 {
        lifetime - margin
    } else {
        lifetime / 2
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
    /// wait for it, and its failure shared by them all and remembered for
    /// [`FETCH_FAILURE_BACKOFF`].
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
        if let Some(error) = slot.recent_failure() {
            metrics::token_cache("failure_remembered");
            return Err(error);
        }
        let _refreshing = slot.refresh.lock().await;
        if let Some(token) = slot.fresh() {
            metrics::token_cache("hit");
            return Ok(token);
        }
        // The fetch this caller waited for failed: its answer is this caller's too.
        if let Some(error) = slot.recent_failure() {
            metrics::token_cache("failure_remembered");
            return Err(error);
        }
        if self.store.is_shared() {
            match self.refresh_shared(key, &slot, &fetch).await {
                Err(error) if error.is(silent_login_catalog::SilentLoginCode::StoreUnavailable) => {
                    // Logins keep working on this replica's own cache while the store is away.
                    tracing::warn!(%error, "shared token cache unavailable; using the local cache");
                }
                result => return result,
            }
        }
        let fetched = self.fetch_once(&slot, &fetch).await?;
        slot.set(
            fetched.token.clone(),
            usable_for(fetched.expires_in, self.margin),
        );
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
                slot.set(stored.token.clone(), remaining);
                metrics::token_cache("shared_hit");
                return Ok(stored.token);
            }
            if let Some(lock) = self
                .store
                .try_lock(key, LOCK_TTL)
                .await
                .map_err(store_error)?
            {
                let result = match self.fetch_once(slot, fetch).await {
                    Ok(fetched) => {
                        let lifetime = usable_for(fetched.expires_in, self.margin);
                        let stored = StoredToken {
                            token: fetched.token.clone(),
                            refresh_at_ms: now_ms() + lifetime.as_millis() as u64,
                        };
                        let saved = self.store.save_token(key, &stored).await;
                        slot.set(fetched.token.clone(), lifetime);
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
                let fetched = self.fetch_once(slot, fetch).await?;
                slot.set(
                    fetched.token.clone(),
                    usable_for(fetched.expires_in, self.margin),
                );
                return Ok(fetched.token);
            }
            tokio::time::sleep(LOCK_POLL).await;
        }
    }

    /// One request to the token endpoint; a failure is remembered for the backoff. No retry:
    /// the login's deadline and the user's next attempt bound the work, not a loop here.
    async fn fetch_once<F, Fut>(&self, slot: &Slot, fetch: &F) -> Result<FetchedToken, LoginError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<FetchedToken, LoginError>>,
    {
        metrics::token_cache("refresh");
        match fetch().await {
            Ok(fetched) => Ok(fetched),
            Err(error) => {
                let error = error.code_not_presented();
                tracing::debug!(%error, "token endpoint failed; remembering it for the backoff");
                slot.remember_failure(&error);
                Err(error)
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

fn store_error(error: crate::store::StoreError) -> LoginError {
    LoginError::new(silent_login_catalog::SilentLoginCode::StoreUnavailable)
        .with_detail(error.detail())
        .code_not_presented()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use silent_login_catalog::SilentLoginCode;

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
    async fn one_failed_fetch_answers_every_waiter_and_the_backoff_window() {
        let cache = Arc::new(cache());
        let fetches = Arc::new(AtomicU32::new(0));
        let (release, gate) = tokio::sync::watch::channel(false);
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (cache, fetches, gate) = (cache.clone(), fetches.clone(), gate.clone());
                tokio::spawn(async move {
                    cache
                        .get("k", || {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            let mut gate = gate.clone();
                            async move {
                                let _ = gate.wait_for(|open| *open).await;
                                Err::<FetchedToken, _>(LoginError::new(
                                    SilentLoginCode::UpstreamTimeout,
                                ))
                            }
                        })
                        .await
                })
            })
            .collect();
        tokio::task::yield_now().await;
        release.send_replace(true);
        for task in tasks {
            let error = task.await.unwrap().unwrap_err();
            assert!(error.is(SilentLoginCode::UpstreamTimeout));
            assert!(
                error.is_code_unused(),
                "the code never reached the platform"
            );
        }
        let later = cache
            .get("k", || async {
                unreachable!("within the backoff nobody asks")
            })
            .await;
        assert!(later.unwrap_err().is(SilentLoginCode::UpstreamTimeout));
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            1,
            "one token request for them all"
        );
    }

    #[tokio::test]
    async fn a_rate_limited_token_endpoint_is_left_alone_for_the_backoff() {
        let cache = cache();
        let calls = AtomicU32::new(0);
        let limited = || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err::<FetchedToken, _>(LoginError::new(SilentLoginCode::UpstreamRateLimited)) }
        };
        let first = cache.get("k", limited).await.unwrap_err();
        assert!(first.is(SilentLoginCode::UpstreamRateLimited));
        let limited_by_dingtalk = || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { unreachable!("not asked during the backoff") }
        };
        let second = cache.get("k", limited_by_dingtalk).await.unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(second.is(SilentLoginCode::UpstreamRateLimited));
        assert!(second.detail().unwrap().en().contains("not asking again"));
        crate::testing::assert_bilingual(second.detail().unwrap());
    }

    #[test]
    fn stated_lifetimes_are_clamped_and_short_ones_used_for_half_their_life() {
        let margin = Duration::from_secs(180);
        assert_eq!(
            usable_for(Duration::from_secs(7200), margin),
            Duration::from_secs(7020)
        );
        assert_eq!(
            usable_for(Duration::from_secs(60), margin),
            Duration::from_secs(30),
            "shorter than the margin: still cached for a while"
        );
        assert_eq!(
            usable_for(Duration::from_secs(u64::MAX), margin),
            LONGEST_TOKEN_LIFETIME - margin,
            "no Instant overflow"
        );
        assert_eq!(usable_for(Duration::ZERO, margin), Duration::ZERO);
    }
}
