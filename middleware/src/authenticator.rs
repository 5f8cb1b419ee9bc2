//! Code in, identity out: the provider, the token cache and the ledger of presented codes.
//!
//! The ledger is what lets silent-login say *which* cause applies: a code presented a second time
//! is answered "already used" without bothering the platform, and concurrent presentations of one
//! code (a double-submitted form) share one exchange and one result.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt, Shared};
use parking_lot::Mutex;
use silent_login_catalog::SilentLoginCode;

use crate::error::LoginError;
use crate::identity::Identity;
use crate::provider::Provider;
use crate::secret::AuthCode;
use crate::store::{CodeState, MemoryStore, Store};
use crate::token_cache::TokenCache;

/// Codes live five minutes on both platforms; their fingerprints as long.
const CODE_LIFETIME: Duration = Duration::from_secs(300);
/// Refresh app tokens three minutes before they expire, like the official Feishu SDK.
const DEFAULT_TOKEN_MARGIN: Duration = Duration::from_secs(180);
/// How long a replica waits for another replica's exchange of the same code (a double submit).
const COALESCE_WAIT: Duration = Duration::from_secs(10);
/// How long the outcome of an exchange is kept for replicas waiting on it.
const OUTCOME_KEPT: Duration = Duration::from_secs(15);

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

    /// Exchanges a code for the identity of its user, or the catalog error that explains why not
    /// (`Misconfigured` when the provider's settings cannot work).
    ///
    /// The exchange runs as its own task: it finishes even if every caller goes away (a request
    /// deadline, a closed tab), so the ledger learns whether the code reached the platform and
    /// nothing stays behind. Concurrent presentations of the code share it.
    pub async fn exchange(&self, code: AuthCode) -> Result<Identity, LoginError> {
        self.provider.check_settings()?;
        let fingerprint = code.fingerprint(self.provider.app_id());
        let exchange = {
            let mut in_flight = self.in_flight.lock();
            match in_flight.get(&fingerprint) {
                Some(running) => running.clone(),
                None => {
                    let work = self.first_presentation(code, fingerprint.clone());
                    let registry = Arc::clone(&self.in_flight);
                    let key = fingerprint.clone();
                    // The task cannot remove its entry before it is inserted: we hold the lock.
                    let task = tokio::spawn(async move {
                        let result = work.await;
                        registry.lock().remove(&key);
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
                return match presented_elsewhere(&*store, &fingerprint).await {
                    Some(outcome) => outcome,
                    None => Err(provider.code_already_used()),
                };
            }
            let result = provider.exchange(&code, &tokens).await;
            match &result {
                // The platform never saw the code: let the user try it again.
                Err(error) if error.is_code_unused() => {
                    let _ = store.unmark_code(&fingerprint).await;
                }
                _ => {
                    let outcome = Outcome::of(&result).encode();
                    if let Err(error) = store
                        .finish_code(&fingerprint, &outcome, OUTCOME_KEPT)
                        .await
                    {
                        tracing::warn!(%error, "could not share the outcome of a code exchange");
                    }
                }
            }
            result
        }
    }
}

/// A code another replica marked: if it is exchanging it right now (a double submit the load
/// balancer spread over two replicas), wait for its outcome and share it. `None`: the code was
/// used before, so it is "already used".
async fn presented_elsewhere(
    store: &dyn Store,
    fingerprint: &str,
) -> Option<Result<Identity, LoginError>> {
    if !store.is_shared() {
        // One process: concurrent presentations already share the in-flight exchange.
        return None;
    }
    let deadline = tokio::time::Instant::now() + COALESCE_WAIT;
    let mut waited = false;
    loop {
        match store.code_state(fingerprint).await.ok()? {
            CodeState::Pending if tokio::time::Instant::now() < deadline => {
                waited = true;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            // Only a presentation that overlapped the exchange shares its outcome; a later one
            // is a replay.
            CodeState::Done(Some(outcome)) if waited => {
                return Outcome::decode(&outcome).map(Outcome::into_result)
            }
            CodeState::Free => {
                return Some(Err(LoginError::new(SilentLoginCode::UpstreamUnreachable)
                    .with_detail(
                        "another replica could not reach the platform with this code; try again",
                    )
                    .code_not_presented()))
            }
            CodeState::Pending | CodeState::Done(_) => return None,
        }
    }
}

/// How a shared code exchange ended, as replicas hand it to each other.
#[derive(serde::Serialize, serde::Deserialize)]
enum Outcome {
    #[serde(rename = "identity")]
    Identity(Identity),
    #[serde(rename = "error")]
    Error(crate::error::ErrorRecord),
}

impl Outcome {
    fn of(result: &Result<Identity, LoginError>) -> Self {
        match result {
            Ok(identity) => Outcome::Identity(identity.clone()),
            Err(error) => Outcome::Error(error.to_record()),
        }
    }

    fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    fn decode(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    fn into_result(self) -> Result<Identity, LoginError> {
        match self {
            Outcome::Identity(identity) => Ok(identity),
            Outcome::Error(record) => Err(LoginError::from_record(record)),
        }
    }
}
