//! Code in, identity out: the provider, the token cache and the ledger of presented codes.
//!
//! The ledger is what lets silent-login say *which* cause applies: a code presented a second time
//! is answered "already used" without bothering the platform, and concurrent presentations of one
//! code (a double-submitted form) share one exchange and one result.

mod outcome;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt, Shared};
use parking_lot::Mutex;
use silent_login_catalog::SilentLoginCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use self::outcome::{Outcome, OutcomeSigner, Refused};
use crate::error::{Detail, LoginError};
use crate::identity::Identity;
use crate::provider::{Provider, UserGrant};
use crate::secret::AuthCode;
use crate::session::{audience, KeyRing, SessionKey};
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
/// Code exchanges in flight at once per authenticator, by default.
pub const DEFAULT_MAX_CONCURRENT_EXCHANGES: usize = 64;

type SharedExchange = Shared<BoxFuture<'static, Result<Presented, LoginError>>>;
type InFlight = Arc<Mutex<HashMap<String, SharedExchange>>>;

/// Exchanges auth codes for identities: the heart of the layer, usable on its own.
///
/// At most [`DEFAULT_MAX_CONCURRENT_EXCHANGES`] codes are exchanged at once (see
/// [`Authenticator::max_concurrent_exchanges`]); a code beyond that is refused at once with
/// `LoginOverloaded` and stays usable.
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
    in_flight: InFlight,
    permits: Arc<Semaphore>,
    signer: OutcomeSigner,
    audience: String,
}

impl Authenticator {
    /// An authenticator with a process-local [`MemoryStore`].
    pub fn new(provider: impl Provider) -> Self {
        Self::with_store(Arc::new(provider), Arc::new(MemoryStore::new()))
    }

    /// An authenticator whose token cache and code ledger live in `store`. Outcomes it shares
    /// through a shared store are signed with a random key until
    /// [`Authenticator::outcome_keys`] gives it the deployment's key ring.
    pub fn with_store(provider: Arc<dyn Provider>, store: Arc<dyn Store>) -> Self {
        let tokens = Arc::new(TokenCache::new(store.clone(), DEFAULT_TOKEN_MARGIN));
        let audience = audience(provider.kind(), provider.app_id());
        Self {
            provider,
            store,
            tokens,
            in_flight: Arc::new(Mutex::new(HashMap::new())),
            permits: Arc::new(Semaphore::new(DEFAULT_MAX_CONCURRENT_EXCHANGES)),
            signer: OutcomeSigner::new(&KeyRing::new(SessionKey::generate())),
            audience,
        }
    }

    /// Signs the exchange outcomes shared with other replicas with a subkey of `ring` (the
    /// layer passes its session key ring): every replica must hold the same ring, and nobody who
    /// can only write to the store can make a replica accept an identity.
    #[must_use]
    pub fn outcome_keys(mut self, ring: &KeyRing) -> Self {
        self.signer = OutcomeSigner::new(ring);
        self
    }

    /// At most `limit` code exchanges in flight at once (default
    /// [`DEFAULT_MAX_CONCURRENT_EXCHANGES`]); presentations of a code already being exchanged
    /// share it and need no slot.
    #[must_use]
    pub fn max_concurrent_exchanges(mut self, limit: usize) -> Self {
        self.permits = Arc::new(Semaphore::new(limit.max(1)));
        self
    }

    /// The provider.
    pub fn provider(&self) -> &Arc<dyn Provider> {
        &self.provider
    }

    /// The app-token cache (a refresh of a user token through the historic Feishu endpoints
    /// needs an app token too).
    pub(crate) fn app_tokens(&self) -> &Arc<TokenCache> {
        &self.tokens
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// How many code exchanges are in flight now.
    pub fn exchanges_in_flight(&self) -> usize {
        self.in_flight.lock().len()
    }

    /// Exchanges a code for the identity of its user, or the catalog error that explains why not
    /// (`Misconfigured` when the provider's settings cannot work, `LoginOverloaded` when too
    /// many exchanges are in flight).
    ///
    /// The exchange runs as its own task: it finishes even if every caller goes away (a request
    /// deadline, a closed tab), so the ledger learns whether the code reached the platform and
    /// nothing stays behind. Concurrent presentations of the code share it.
    pub async fn exchange(&self, code: AuthCode) -> Result<Identity, LoginError> {
        Ok(self.present(code).await?.identity)
    }

    /// Exchanges a code for the identity and, for the one presentation that asked first, the
    /// user's token pair: concurrent presentations of one code share the identity, never the
    /// pair (two sessions refreshing one refresh token would present it twice).
    pub(crate) async fn exchange_grant(
        &self,
        code: AuthCode,
    ) -> Result<(Identity, Option<UserGrant>), LoginError> {
        let presented = self.present(code).await?;
        let grant = presented.grant.lock().take();
        Ok((presented.identity, grant))
    }

    async fn present(&self, code: AuthCode) -> Result<Presented, LoginError> {
        self.provider.check_settings()?;
        let fingerprint = code.fingerprint(self.provider.app_id());
        let exchange = {
            let mut in_flight = self.in_flight.lock();
            match in_flight.get(&fingerprint) {
                Some(running) => running.clone(),
                None => {
                    let permit = self.permit()?;
                    let work = self.first_presentation(code, fingerprint.clone());
                    let entry = InFlightEntry {
                        registry: Arc::clone(&self.in_flight),
                        key: fingerprint.clone(),
                        _permit: permit,
                    };
                    // The task cannot remove its entry before it is inserted: we hold the lock.
                    // The entry leaves when the task ends, even by a panic.
                    let task = tokio::spawn(async move {
                        let _entry = entry;
                        work.await
                    });
                    let running = async move {
                        task.await.unwrap_or_else(|error| {
                            Err(LoginError::new(SilentLoginCode::InternalError).with_detail(
                                Detail::new(
                                    format!("the code exchange task failed: {error}"),
                                    format!("授权码换取任务异常结束：{error}"),
                                ),
                            ))
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

    fn permit(&self) -> Result<OwnedSemaphorePermit, LoginError> {
        Arc::clone(&self.permits).try_acquire_owned().map_err(|_| {
            crate::metrics::guard_refusal("exchange_cap");
            LoginError::new(SilentLoginCode::LoginOverloaded)
                .with_cause("too_many_exchanges")
                .code_not_presented()
        })
    }

    fn first_presentation(
        &self,
        code: AuthCode,
        fingerprint: String,
    ) -> impl std::future::Future<Output = Result<Presented, LoginError>> + Send + 'static {
        let provider = self.provider.clone();
        let store = self.store.clone();
        let tokens = self.tokens.clone();
        let signer = self.signer.clone();
        let audience = self.audience.clone();
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
            let shared = CodeShare {
                store: &*store,
                signer: &signer,
                audience: &audience,
                fingerprint: &fingerprint,
            };
            if !first {
                return match shared.presented_elsewhere().await {
                    Some(outcome) => outcome.map(Presented::without_grant),
                    None => Err(provider.code_already_used()),
                };
            }
            let result = provider.exchange_grant(&code, &tokens).await;
            let (result, grant) = match result {
                Ok(exchanged) => (Ok(exchanged.identity), exchanged.grant),
                Err(error) => (Err(error), None),
            };
            match &result {
                // The platform never saw the code: let the user try it again.
                Err(error) if error.is_code_unused() => {
                    let _ = store.unmark_code(&fingerprint).await;
                }
                _ => shared.finish(&result).await,
            }
            result.map(|identity| Presented {
                identity,
                grant: Arc::new(Mutex::new(grant)),
            })
        }
    }
}

/// A presented code's identity, and the user's token pair until one presentation takes it.
#[derive(Clone, Debug)]
struct Presented {
    identity: Identity,
    grant: Arc<Mutex<Option<UserGrant>>>,
}

impl Presented {
    /// What another replica's exchange shares: the identity only (the pair never leaves the
    /// replica that received it).
    fn without_grant(identity: Identity) -> Self {
        Self {
            identity,
            grant: Arc::new(Mutex::new(None)),
        }
    }
}

/// An exchange's place in the in-flight map and its slot under the cap, given back together.
struct InFlightEntry {
    registry: InFlight,
    key: String,
    _permit: OwnedSemaphorePermit,
}

impl Drop for InFlightEntry {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.key);
    }
}

/// One code's exchange as other replicas see it through the store.
struct CodeShare<'a> {
    store: &'a dyn Store,
    signer: &'a OutcomeSigner,
    audience: &'a str,
    fingerprint: &'a str,
}

impl CodeShare<'_> {
    /// Shares how the exchange ended with replicas waiting on the same code, signed.
    async fn finish(&self, result: &Result<Identity, LoginError>) {
        if !self.store.is_shared() {
            return;
        }
        let Some(signed) = self
            .signer
            .sign(&Outcome::of(result), self.audience, self.fingerprint)
        else {
            return;
        };
        if let Err(error) = self
            .store
            .finish_code(self.fingerprint, &signed, OUTCOME_KEPT)
            .await
        {
            tracing::warn!(%error, "could not share the outcome of a code exchange");
        }
    }

    /// A code another replica marked: if it is exchanging it right now (a double submit the
    /// load balancer spread over two replicas), wait for its outcome and share it — if its MAC
    /// holds. `None`: the code was used before, so it is "already used".
    async fn presented_elsewhere(&self) -> Option<Result<Identity, LoginError>> {
        if !self.store.is_shared() {
            // One process: concurrent presentations already share the in-flight exchange.
            return None;
        }
        let deadline = tokio::time::Instant::now() + COALESCE_WAIT;
        let mut waited = false;
        loop {
            match self.store.code_state(self.fingerprint).await.ok()? {
                CodeState::Pending if tokio::time::Instant::now() < deadline => {
                    waited = true;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                // Only a presentation that overlapped the exchange shares its outcome; a later
                // one is a replay.
                CodeState::Done(Some(signed)) if waited => return Some(self.verified(&signed)),
                CodeState::Free => return Some(Err(LoginError::new(
                    SilentLoginCode::UpstreamUnreachable,
                )
                .with_detail(Detail::new(
                    "another replica could not reach the platform with this code; try again",
                    "另一个副本未能用这个授权码连上平台；请重试",
                ))
                .code_not_presented())),
                CodeState::Pending | CodeState::Done(_) => return None,
            }
        }
    }

    fn verified(&self, signed: &str) -> Result<Identity, LoginError> {
        match self.signer.verify(signed, self.audience, self.fingerprint) {
            Ok(outcome) => outcome.into_result(),
            Err(refused) => {
                let cause = match refused {
                    Refused::UnknownKey => "key_ring_differs",
                    Refused::Malformed | Refused::BadMac | Refused::Unreadable => {
                        "outcome_not_authenticated"
                    }
                };
                crate::metrics::guard_refusal("outcome_forged");
                tracing::error!(
                    ?refused,
                    "refused a code exchange outcome read from the shared store: it does not carry a valid MAC of this deployment's key ring (someone wrote to the store, or the replicas' session keys differ)"
                );
                Err(LoginError::new(SilentLoginCode::SharedOutcomeForged).with_cause(cause))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::ProviderKind;
    use crate::provider::ExchangeFuture;

    /// A platform that takes `delay` to answer, or panics inside the exchange.
    #[derive(Debug)]
    struct Platform {
        delay: Duration,
        panics: bool,
    }

    impl Provider for Platform {
        fn kind(&self) -> ProviderKind {
            ProviderKind::DingTalk
        }
        fn app_id(&self) -> &str {
            "app"
        }
        fn exchange<'a>(&'a self, _: &'a AuthCode, _: &'a TokenCache) -> ExchangeFuture<'a> {
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                if self.panics {
                    panic!("a provider bug");
                }
                Err(self.code_already_used())
            })
        }
        fn code_already_used(&self) -> LoginError {
            LoginError::new(SilentLoginCode::InternalError)
        }
    }

    fn code(i: usize) -> AuthCode {
        AuthCode::parse(&format!("code-{i:04}")).unwrap()
    }

    /// A Feishu-like platform that answers every code with bob and a user token, slowly.
    #[derive(Debug)]
    struct Granting;

    impl Provider for Granting {
        fn kind(&self) -> ProviderKind {
            ProviderKind::Feishu
        }
        fn app_id(&self) -> &str {
            "cli_app"
        }
        fn exchange<'a>(&'a self, _: &'a AuthCode, _: &'a TokenCache) -> ExchangeFuture<'a> {
            Box::pin(std::future::ready(Err(self.code_already_used())))
        }
        fn exchange_grant<'a>(
            &'a self,
            _: &'a AuthCode,
            _: &'a TokenCache,
        ) -> crate::provider::GrantFuture<'a> {
            Box::pin(async move {
                // Long enough for every presentation of the test to join the running exchange.
                tokio::time::sleep(Duration::from_millis(500)).await;
                Ok(crate::provider::Exchanged {
                    identity: Identity::new(crate::IdentityFields {
                        provider: ProviderKind::Feishu,
                        user_id: "bob".into(),
                        union_id: None,
                        open_id: None,
                        name: None,
                        tenant: None,
                        is_admin: false,
                        extra: Default::default(),
                    }),
                    grant: Some(UserGrant {
                        access_token: crate::secret::UserToken::new("u-1"),
                        expires_in: Duration::from_secs(7200),
                        refresh_token: Some(crate::secret::RefreshToken::new("r-1")),
                        refresh_expires_in: None,
                        scope: None,
                    }),
                })
            })
        }
        fn code_already_used(&self) -> LoginError {
            LoginError::new(SilentLoginCode::InternalError)
        }
    }

    #[tokio::test]
    async fn concurrent_presentations_of_one_code_share_the_identity_but_one_takes_the_token() {
        let authenticator = Arc::new(Authenticator::new(Granting));
        let presentations: Vec<_> = (0..4)
            .map(|_| {
                let authenticator = authenticator.clone();
                tokio::spawn(async move { authenticator.exchange_grant(code(1)).await })
            })
            .collect();
        let mut grants = 0;
        for presentation in presentations {
            let (identity, grant) = presentation.await.unwrap().unwrap();
            assert_eq!(identity.user_id, "bob");
            grants += usize::from(grant.is_some());
        }
        assert_eq!(grants, 1, "two sessions must never share one refresh token");
    }

    #[tokio::test]
    async fn a_panicking_exchange_gives_back_its_slot_and_its_in_flight_entry() {
        let authenticator = Authenticator::new(Platform {
            delay: Duration::ZERO,
            panics: true,
        })
        .max_concurrent_exchanges(1);
        for i in 0..3 {
            let error = authenticator.exchange(code(i)).await.unwrap_err();
            assert!(error.is(SilentLoginCode::InternalError), "{error:?}");
            crate::testing::assert_bilingual(error.detail().unwrap());
            assert_eq!(authenticator.exchanges_in_flight(), 0);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn exchanges_beyond_the_cap_are_refused_at_once_and_their_codes_stay_usable() {
        let authenticator = Arc::new(
            Authenticator::new(Platform {
                delay: Duration::from_secs(5),
                panics: false,
            })
            .max_concurrent_exchanges(2),
        );
        let running: Vec<_> = (0..2)
            .map(|i| {
                let authenticator = authenticator.clone();
                tokio::spawn(async move { authenticator.exchange(code(i)).await })
            })
            .collect();
        tokio::task::yield_now().await;
        assert_eq!(authenticator.exchanges_in_flight(), 2);
        let refused = authenticator.exchange(code(9)).await.unwrap_err();
        assert!(refused.is(SilentLoginCode::LoginOverloaded));
        assert!(refused.is_code_unused());
        // A second presentation of a running code shares it and needs no slot.
        let shared = tokio::spawn({
            let authenticator = authenticator.clone();
            async move { authenticator.exchange(code(0)).await }
        });
        for task in running {
            task.await.unwrap().unwrap_err();
        }
        let shared = shared.await.unwrap().unwrap_err();
        assert!(!shared.is(SilentLoginCode::LoginOverloaded), "{shared:?}");
        assert_eq!(authenticator.exchanges_in_flight(), 0);
        let after = authenticator.exchange(code(9)).await.unwrap_err();
        assert!(
            !after.is(SilentLoginCode::LoginOverloaded),
            "the refused code was never marked and is exchanged now: {after:?}"
        );
    }
}
