//! Helpers shared by the provider-client tests: the emulator, clients pointed at it, and a store
//! that shares app tokens the way a Redis store does.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use silent_login::store::{LockToken, StoreError, StoreFuture, StoredToken};
use silent_login::{
    AppToken, AuthCode, Authenticator, DingTalk, Feishu, HttpConfig, Identity, LoginError,
    MemoryStore, Store,
};
use silent_login_mock::{demo, MintCode, MockPlatform};

/// The demo organization on a free loopback port.
pub(crate) async fn start() -> MockPlatform {
    MockPlatform::builder().demo().start().await.unwrap()
}

/// The demo DingTalk app, pointed at the emulator.
pub(crate) fn dingtalk(mock: &MockPlatform) -> DingTalk {
    DingTalk::new(demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET)
        .corp_id(demo::DINGTALK_CORP_ID)
        .api_base(mock.base_url())
}

/// The demo Feishu app, pointed at the emulator.
pub(crate) fn feishu(mock: &MockPlatform) -> Feishu {
    Feishu::new(demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET).api_base(mock.base_url())
}

/// Calls time out after `timeout` (the emulator answers in about a millisecond).
pub(crate) fn short_timeout(timeout: Duration) -> HttpConfig {
    HttpConfig::default()
        .connect_timeout(timeout)
        .request_timeout(timeout)
}

/// A code minted by the emulator, parsed as the layer would.
pub(crate) fn mint(mock: &MockPlatform, request: MintCode) -> AuthCode {
    AuthCode::parse(&mock.mint_code(request).unwrap()).unwrap()
}

/// Runs one exchange and fails the test if it hangs for longer than `limit`.
pub(crate) async fn bounded<T>(limit: Duration, work: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let outcome = tokio::time::timeout(limit, work)
        .await
        .unwrap_or_else(|_| panic!("the exchange hung for more than {limit:?}"));
    (outcome, started.elapsed())
}

/// The exchange must fail; returns the error.
pub(crate) async fn refused(authenticator: &Authenticator, code: AuthCode) -> LoginError {
    match authenticator.exchange(code).await {
        Ok(identity) => panic!("expected a refusal, got {identity:?}"),
        Err(error) => error,
    }
}

/// The exchange must succeed; returns the identity.
pub(crate) async fn identity(authenticator: &Authenticator, code: AuthCode) -> Identity {
    match authenticator.exchange(code).await {
        Ok(identity) => identity,
        Err(error) => panic!("expected a login, got {error} ({error:?})"),
    }
}

/// `error` carries what the platform answered: its raw code, a message and a request id.
pub(crate) fn assert_upstream(error: &LoginError, errcode: i64) {
    let upstream = error
        .upstream()
        .unwrap_or_else(|| panic!("{error:?} keeps no upstream answer"));
    assert_eq!(upstream.errcode, errcode, "{error:?}");
    assert!(!upstream.errmsg.is_empty(), "{error:?}");
    assert!(
        upstream
            .request_id
            .as_deref()
            .is_some_and(|id| id.len() >= 16),
        "the platform's request id is kept: {error:?}"
    );
}

/// The narrowed cause's id, if any.
pub(crate) fn cause(error: &LoginError) -> Option<&'static str> {
    error.narrowed_cause().map(|cause| cause.id())
}

/// A [`MemoryStore`] that says it shares app tokens, like a Redis store would: the token cache
/// then saves tokens into it and reads other authenticators' tokens from it.
#[derive(Debug, Default)]
pub(crate) struct SharedTokens(pub(crate) MemoryStore);

impl Store for SharedTokens {
    fn load_token<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        self.0.load_token(key)
    }
    fn save_token<'a>(&'a self, key: &'a str, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        self.0.save_token(key, token)
    }
    fn evict_token<'a>(&'a self, key: &'a str, token: &'a AppToken) -> StoreFuture<'a, ()> {
        self.0.evict_token(key, token)
    }
    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
        self.0.try_lock(key, ttl)
    }
    fn unlock<'a>(&'a self, key: &'a str, lock: LockToken) -> StoreFuture<'a, ()> {
        self.0.unlock(key, lock)
    }
    fn mark_code<'a>(&'a self, fingerprint: &'a str, ttl: Duration) -> StoreFuture<'a, bool> {
        self.0.mark_code(fingerprint, ttl)
    }
    fn unmark_code<'a>(&'a self, fingerprint: &'a str) -> StoreFuture<'a, ()> {
        self.0.unmark_code(fingerprint)
    }
    fn revoke_session<'a>(
        &'a self,
        session_id: &'a str,
        expires_at_ms: u64,
    ) -> StoreFuture<'a, ()> {
        self.0.revoke_session(session_id, expires_at_ms)
    }
    fn revoke_user<'a>(
        &'a self,
        user_key: &'a str,
        issued_up_to_ms: u64,
        remember: Duration,
    ) -> StoreFuture<'a, ()> {
        self.0.revoke_user(user_key, issued_up_to_ms, remember)
    }
    fn is_revoked(
        &self,
        session_id: &str,
        user: &silent_login::Identity,
        issued_at_ms: u64,
    ) -> Result<bool, StoreError> {
        self.0.is_revoked(session_id, user, issued_at_ms)
    }
    fn is_shared(&self) -> bool {
        true
    }
}

/// Both kinds of shared store the wrong-secret test runs against.
pub(crate) fn shared_stores() -> Vec<(&'static str, Arc<dyn Store>)> {
    vec![
        (
            "MemoryStore",
            Arc::new(MemoryStore::new()) as Arc<dyn Store>,
        ),
        ("a token-sharing store", Arc::new(SharedTokens::default())),
    ]
}
