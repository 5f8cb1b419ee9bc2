//! Code in, identity out: the provider, the token cache and the ledger of presented codes.
//!
//! The ledger is what lets silent-login say *which* cause applies: a code presented a second time
//! is answered "already used" without bothering the platform, and concurrent presentations of one
//! code (a double-submitted form) share one exchange and one result.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt, Shared};

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
    in_flight: Mutex<HashMap<String, SharedExchange>>,
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
            in_flight: Mutex::new(HashMap::new()),
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
    pub async fn exchange(&self, code: AuthCode) -> Result<Identity, LoginError> {
        let fingerprint = code.fingerprint(self.provider.app_id());
        let exchange = {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match in_flight.get(&fingerprint) {
                Some(running) => running.clone(),
                None => {
                    let running = self
                        .first_presentation(code, fingerprint.clone())
                        .boxed()
                        .shared();
                    in_flight.insert(fingerprint.clone(), running.clone());
                    running
                }
            }
        };
        let result = exchange.await;
        self.in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&fingerprint);
        result
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
