//! The refresh protocol against a platform that enforces single-use refresh tokens and records
//! every refresh token presented twice.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use silent_login_catalog::{FeishuCode, SilentLoginCode};

use super::*;
use crate::error::Upstream;
use crate::identity::ProviderKind;
use crate::provider::{ExchangeFuture, RefreshFuture};
use crate::secret::AuthCode;
use crate::session::SessionKey;
use crate::store::MemoryStore;

/// How the platform answers the next refreshes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    /// A new pair, the access token living `access_secs`, with a refresh token or not.
    Pair {
        access_secs: u64,
        with_refresh: bool,
    },
    /// The platform's code.
    Refuse(i64),
}

/// A Feishu-like platform: refresh tokens work once; a second presentation is a violation.
#[derive(Debug)]
struct Platform {
    answer: Mutex<Answer>,
    refreshes: AtomicUsize,
    presented: Mutex<HashSet<String>>,
    violations: Mutex<Vec<String>>,
    delay: Duration,
}

impl Platform {
    fn new(answer: Answer) -> Arc<Self> {
        Arc::new(Self {
            answer: Mutex::new(answer),
            refreshes: AtomicUsize::new(0),
            presented: Mutex::new(HashSet::new()),
            violations: Mutex::new(Vec::new()),
            delay: Duration::from_millis(30),
        })
    }

    fn refreshes(&self) -> usize {
        self.refreshes.load(Ordering::SeqCst)
    }
}

impl Provider for Platform {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Feishu
    }
    fn app_id(&self) -> &str {
        "cli_test"
    }
    fn exchange<'a>(&'a self, _code: &'a AuthCode, _tokens: &'a TokenCache) -> ExchangeFuture<'a> {
        Box::pin(std::future::ready(Err(LoginError::new(
            SilentLoginCode::InternalError,
        ))))
    }
    fn issues_user_tokens(&self) -> bool {
        true
    }
    fn refresh_user_token<'a>(
        &'a self,
        refresh: &'a RefreshToken,
        _tokens: &'a TokenCache,
    ) -> RefreshFuture<'a> {
        Box::pin(async move {
            let number = self.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
            if !self.presented.lock().insert(refresh.expose().to_owned()) {
                self.violations.lock().push(refresh.expose().to_owned());
            }
            tokio::time::sleep(self.delay).await;
            match *self.answer.lock() {
                Answer::Pair {
                    access_secs,
                    with_refresh,
                } => Ok(grant(
                    &format!("access-{number}"),
                    access_secs,
                    with_refresh.then(|| format!("refresh-{number}")),
                )),
                Answer::Refuse(code) => Err(LoginError::from_platform(
                    ProviderKind::Feishu,
                    Upstream {
                        errcode: code,
                        errmsg: "refused".into(),
                        request_id: None,
                    },
                )),
            }
        })
    }
    fn code_already_used(&self) -> LoginError {
        LoginError::new(SilentLoginCode::InternalError)
    }
}

fn grant(access: &str, access_secs: u64, refresh: Option<String>) -> UserGrant {
    UserGrant {
        access_token: UserToken::new(access),
        expires_in: Duration::from_secs(access_secs),
        refresh_expires_in: refresh.as_ref().map(|_| Duration::from_secs(604_800)),
        refresh_token: refresh.map(RefreshToken::new),
        scope: Some("offline_access".into()),
    }
}

struct Fixture {
    platform: Arc<Platform>,
    store: Arc<MemoryStore>,
    ring: KeyRing,
}

impl Fixture {
    fn new(answer: Answer) -> Self {
        Self {
            platform: Platform::new(answer),
            store: Arc::new(MemoryStore::new()),
            ring: KeyRing::new(SessionKey::generate()),
        }
    }

    /// One replica's handle (replicas share the store and the key ring).
    fn replica(&self) -> UserTokens {
        UserTokens::new(
            self.platform.clone(),
            self.store.clone(),
            Arc::new(TokenCache::new(
                self.store.clone(),
                Duration::from_secs(180),
            )),
            &self.ring,
            "feishu:cli_test",
            DEFAULT_USER_TOKEN_MARGIN,
        )
    }

    async fn login(
        &self,
        tokens: &UserTokens,
        access_secs: u64,
        refresh: Option<&str>,
    ) -> SessionInfo {
        let session = SessionInfo {
            id: crate::secret::random_id().into(),
            issued_at_ms: now_ms(),
            expires_at_ms: now_ms() + 3_600_000,
        };
        let grant = grant("access-0", access_secs, refresh.map(str::to_owned));
        tokens
            .keep(&session.id, session.expires_at_ms, grant)
            .await
            .unwrap();
        session
    }
}

const FRESH: Answer = Answer::Pair {
    access_secs: 7200,
    with_refresh: true,
};

#[tokio::test]
async fn a_token_with_margin_left_is_handed_out_without_a_refresh() {
    let fixture = Fixture::new(FRESH);
    let tokens = fixture.replica();
    let session = fixture.login(&tokens, 7200, Some("refresh-0")).await;
    let token = tokens.get(&session).await.unwrap();
    assert_eq!(token.expose(), "access-0");
    assert_eq!(fixture.platform.refreshes(), 0);
}

#[tokio::test]
async fn concurrent_requests_on_two_replicas_refresh_once_and_all_get_the_new_token() {
    let fixture = Fixture::new(FRESH);
    let (a, b) = (fixture.replica(), fixture.replica());
    // 30 s left: inside the 60 s margin.
    let session = fixture.login(&a, 30, Some("refresh-0")).await;
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..40 {
        let replica = if i % 2 == 0 { a.clone() } else { b.clone() };
        let session = session.clone();
        requests.spawn(async move { replica.get(&session).await });
    }
    while let Some(result) = requests.join_next().await {
        assert_eq!(result.unwrap().unwrap().expose(), "access-1");
    }
    assert_eq!(fixture.platform.refreshes(), 1);
    assert!(fixture.platform.violations.lock().is_empty());
}

#[tokio::test]
async fn a_handed_back_token_is_refreshed_once_and_a_stale_hand_back_gets_the_current_one() {
    let fixture = Fixture::new(FRESH);
    let (a, b) = (fixture.replica(), fixture.replica());
    let session = fixture.login(&a, 7200, Some("refresh-0")).await;
    let refused = a.get(&session).await.unwrap();
    // Both replicas saw the platform refuse access-0 and hand it back at once.
    let (first, second) = tokio::join!(refused.renew(), b.renew(&session, refused.token()));
    assert_eq!(first.unwrap().expose(), "access-1");
    assert_eq!(second.unwrap().expose(), "access-1");
    // A late hand-back of the old token changes nothing.
    let late = a.renew(&session, refused.token()).await.unwrap();
    assert_eq!(late.expose(), "access-1");
    assert_eq!(fixture.platform.refreshes(), 1);
    assert!(fixture.platform.violations.lock().is_empty());
}

#[tokio::test]
async fn a_refresh_refused_for_good_drops_the_token_and_every_request_gets_that_code() {
    for code in [20026, 20037, 20064, 20073] {
        let fixture = Fixture::new(Answer::Refuse(code));
        let (a, b) = (fixture.replica(), fixture.replica());
        let session = fixture.login(&a, 10, Some("refresh-0")).await;
        let error = a.get(&session).await.unwrap_err();
        assert_eq!(error.errcode(), i32::try_from(code).unwrap());
        // Answered from the record on every replica, without presenting the refresh token again.
        let again = b.get(&session).await.unwrap_err();
        assert_eq!(again.errcode(), error.errcode());
        assert_eq!(again.status(), error.status());
        assert_eq!(fixture.platform.refreshes(), 1, "code {code}");
        assert!(fixture.platform.violations.lock().is_empty());
    }
}

#[tokio::test]
async fn the_refresh_codes_that_need_a_new_login_answer_401() {
    for code in [
        FeishuCode::RefreshTokenInvalid,
        FeishuCode::RefreshTokenExpired,
        FeishuCode::RefreshTokenRevoked,
        FeishuCode::RefreshTokenUsed,
    ] {
        assert_eq!(
            LoginError::new(code).status(),
            http::StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn a_failure_the_platform_asks_to_retry_keeps_the_token_for_the_next_request() {
    let fixture = Fixture::new(Answer::Refuse(20050));
    let tokens = fixture.replica();
    let session = fixture.login(&tokens, 10, Some("refresh-0")).await;
    let error = tokens.get(&session).await.unwrap_err();
    assert_eq!(error.errcode(), 20050);
    *fixture.platform.answer.lock() = FRESH;
    // The second attempt presents the same refresh token: the platform said the first failed.
    assert_eq!(tokens.get(&session).await.unwrap().expose(), "access-2");
    assert_eq!(fixture.platform.refreshes(), 2);
}

#[tokio::test]
async fn without_a_refresh_token_the_token_is_used_until_it_expires_then_401() {
    let fixture = Fixture::new(FRESH);
    let tokens = fixture.replica();
    // Inside the margin but not expired: still handed out.
    let session = fixture.login(&tokens, 30, None).await;
    assert_eq!(tokens.get(&session).await.unwrap().expose(), "access-0");
    // Expired: the 401 says why.
    let expired = fixture.login(&tokens, 0, None).await;
    let error = tokens.get(&expired).await.unwrap_err();
    assert!(error.is(SilentLoginCode::UserTokenExpired));
    assert_eq!(
        error.narrowed_cause().map(|cause| cause.id()),
        Some("no_refresh_token")
    );
    assert_eq!(error.status(), http::StatusCode::UNAUTHORIZED);
    // Handed back because the platform refused it: nothing to refresh with.
    let refused = tokens.get(&session).await.unwrap();
    assert!(refused
        .renew()
        .await
        .unwrap_err()
        .is(SilentLoginCode::UserTokenExpired));
    assert_eq!(fixture.platform.refreshes(), 0);
}

#[tokio::test]
async fn a_session_without_a_record_is_told_so() {
    let fixture = Fixture::new(FRESH);
    let tokens = fixture.replica();
    let session = SessionInfo {
        id: "never-logged-in".into(),
        issued_at_ms: 0,
        expires_at_ms: u64::MAX,
    };
    let error = tokens.get(&session).await.unwrap_err();
    assert!(error.is(SilentLoginCode::UserTokenMissing));
    assert_eq!(error.status(), http::StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_store_holds_no_token_in_clear_and_a_record_opens_only_for_its_session() {
    let fixture = Fixture::new(FRESH);
    let tokens = fixture.replica();
    let session = fixture.login(&tokens, 7200, Some("refresh-0")).await;
    let stored = fixture
        .store
        .load_user_token(&session.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.contains("access-0") && !stored.contains("refresh-0"));
    // Moved to another session's key, it does not open.
    let other = fixture.login(&tokens, 7200, Some("refresh-x")).await;
    fixture
        .store
        .save_user_token(&other.id, &stored, Duration::from_secs(60))
        .await
        .unwrap();
    let error = tokens.get(&other).await.unwrap_err();
    assert!(error.is(SilentLoginCode::UserTokenMissing));
    // Another key ring (a replica with the wrong key) cannot open it either.
    let mut stranger = Fixture::new(FRESH);
    stranger.store = fixture.store.clone();
    assert!(stranger.replica().get(&session).await.is_err());
}

#[tokio::test]
async fn debug_output_shows_no_token() {
    let fixture = Fixture::new(FRESH);
    let tokens = fixture.replica();
    let session = fixture.login(&tokens, 7200, Some("refresh-0")).await;
    let token = tokens.get(&session).await.unwrap();
    let printed = format!("{token:?} {tokens:?}");
    assert!(!printed.contains("access-0"), "{printed}");
    let live = Live::issued(grant("access-9", 10, Some("refresh-9".into())), 0);
    let printed = format!("{live:?}");
    assert!(
        !printed.contains("access-9") && !printed.contains("refresh-9"),
        "{printed}"
    );
}
