//! Code in, identity out: the provider, the token cache and the ledger of presented codes.
//!
//! The ledger is what lets silent-login say *which* cause applies: a code presented a second time
//! is answered "already used" without bothering the platform, and concurrent presentations of one
//! code (a double-submitted form) share one exchange and one result.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt, Shared};
use silent_login_catalog::SilentLoginCode;

use crate::error::LoginError;
use crate::identity::Identity;
use crate::provider::Provider;
use crate::secret::AuthCode;
use crate::store::{MemoryStore, Store};
use crate::token_cache::TokenCache;

/// Codes live five minutes on both platforms; their fingerprints as long.
const CODE_LIFETIME: Duration = Duration::from_secs(300);
/// Refresh app tokens three minutes before they expire, like the official Feishu SDK.
const DEFAULT_TOKEN_MARGIN: Duration = Duration::from_secs(180);

type SharedExchange = Shared<BoxFuture<'static, Result<Identity, LoginError>>>;

/// Exchanges auth codes for identities: the heart of the layer, usable on its own.
///
/// ```no_run
/// # async fn demo() -> Result<(), silent_login::LoginError> {
/// use silent_login::{Authenticator, AuthCode, DingTalk};
/// let authenticator = Authenticator::new(DingTalk::new("appkey", "secret"));
/// let identity = authenticator.exchange(AuthCode::parse("code-from-the-front-end")?).await?;
/// println!("{}", identity.user_id);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Authenticator {
    provider: Arc<dyn Provider>,
    store: Arc<dyn Store>,
    tokens: Arc<TokenCache>,
    in_flight: Arc<Mutex<HashMap<String, SharedExchange>>>,
}

impl Authenticator {
    /// An authenticator with a process-local [`MemoryStore`].
    pub fn new(provider: impl Provider) -> Self {
        Self::with_store(Arc::new(provider), Arc::new(MemoryStore::new()))
    }

    /// An authenticator whose token cache and code ledger live in `store`.
    pub fn with_store(provider: Arc<dyn Provider>, store: Arc<dyn Store>) -> Self {
        let tokens = Arc::new(TokenCache::new(store.clone(), DEFAULT_TOKEN_MARGIN));
        Self {
            provider,
            store,
            tokens,
            in_flight: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The provider.
    pub fn provider(&self) -> &Arc<dyn Provider> {
        &self.provider
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Exchanges a code for the identity of its user, or the catalog error that explains why not.
    ///
    /// The exchange runs as its own task: it finishes even if every caller goes away (a request
    /// deadline, a closed tab), so the ledger learns whether the code reached the platform and
    /// nothing stays behind. Concurrent presentations of the code share it.
    pub async fn exchange(&self, code: AuthCode) -> Result<Identity, LoginError> {
        let fingerprint = code.fingerprint(self.provider.app_id());
        let exchange = {
            let mut in_flight = lock(&self.in_flight);
            match in_flight.get(&fingerprint) {
                Some(running) => running.clone(),
                None => {
                    let work = self.first_presentation(code, fingerprint.clone());
                    let registry = Arc::clone(&self.in_flight);
                    let key = fingerprint.clone();
                    // The task cannot remove its entry before it is inserted: we hold the lock.
                    let task = tokio::spawn(async move {
                        let result = work.await;
                        lock(&registry).remove(&key);
                        result
                    });
                    let running = async move {
                        task.await.unwrap_or_else(|error| {
                            Err(LoginError::new(SilentLoginCode::InternalError)
                                .with_detail(format!("the code exchange task failed: {error}")))
                        })
                    }
                    .boxed()
                    .shared();
                    in_flight.insert(fingerprint, running.clone());
                    running
                }
            }
        };
        exchange.await
    }

    fn first_presentation(
        &self,
        code: AuthCode,
        fingerprint: String,
    ) -> impl std::future::Future<Output = Result<Identity, LoginError>> + Send + 'static {
        let provider = self.provider.clone();
        let store = self.store.clone();
        let tokens = self.tokens.clone();
        async move {
            let first = match store.mark_code(&fingerprint, CODE_LIFETIME).await {
                Ok(first) => first,
                Err(error) => {
                    // Logins keep working without the shared ledger; only the "already used"
                    // narrowing across replicas is lost while the store is away.
                    crate::metrics::store_failure("mark_code");
                    tracing::warn!(%error, "code ledger unavailable; exchanging without it");
                    true
                }
            };
            if !first {
                return Err(provider.code_already_used());
            }
            let result = provider.exchange(&code, &tokens).await;
            if let Err(error) = &result {
                if error.is_code_unused() {
                    // The platform never saw the code: let the user try it again.
                    let _ = store.unmark_code(&fingerprint).await;
                }
            }
            result
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
