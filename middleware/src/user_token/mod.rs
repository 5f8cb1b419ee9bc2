//! The user's own token (Feishu/Lark `user_access_token`), kept per session in the [`Store`],
//! sealed, and refreshed exactly once per expiry across every replica.
//!
//! A login keeps the token pair the platform issued under the new session's id; it never goes
//! into the cookie, the login answer or the browser. A handler asks for the session's token
//! ([`UserAccessToken`] as an axum extractor, or [`UserTokens::get`] from tonic or hyper) and gets
//! one with at least the margin left. When less is left, one replica takes the session's refresh
//! lock in the store, reads the record again, presents the refresh token once and writes the new
//! pair; the others wait for it and read it. A lock whose holder died expires by itself. When the
//! platform refuses the refresh for good (20026, 20037, 20064, 20073, …) the record is replaced by
//! that refusal: every request answers it (a 401 with the catalog code) until the user logs in
//! again, and the refresh token is never presented again.

mod record;

use std::sync::Arc;
use std::time::Duration;

use silent_login_catalog::SilentLoginCode;

use self::record::{Live, Record, RecordSealer};
use crate::error::{Detail, LoginError};
use crate::provider::{Provider, UserGrant};
use crate::secret::{RefreshToken, UserToken};
use crate::session::{KeyRing, SessionInfo};
use crate::store::{now_ms, Store};
use crate::token_cache::TokenCache;

/// A token with less than this left is refreshed first, by default
/// ([`SilentLoginLayer::user_token_margin`](crate::SilentLoginLayer::user_token_margin)).
pub const DEFAULT_USER_TOKEN_MARGIN: Duration = Duration::from_secs(60);
/// How long a refresh may hold the session's lock; a holder that dies frees it after this.
const REFRESH_LOCK: Duration = Duration::from_secs(15);
/// How long a request waits for another replica's refresh.
const REFRESH_WAIT: Duration = Duration::from_secs(10);
/// How often a waiting request looks again.
const REFRESH_POLL: Duration = Duration::from_millis(20);
/// Refresh failures after which the same refresh token may be presented again: the platform
/// said it failed and asks to retry (20050 server error, 20072 temporarily unavailable,
/// 99991400 rate limit). Every other answer about the refresh token ends it — what Feishu's
/// official CLI does too.
const REFRESH_RETRYABLE: &[i64] = &[20050, 20072, 99_991_400];

/// The users' tokens the layer keeps, per session. Get it from
/// [`SilentLoginLayer::user_tokens`](crate::SilentLoginLayer::user_tokens), or from a request's
/// extensions behind a layer that keeps user tokens.
///
/// ```no_run
/// # async fn demo(tokens: silent_login::UserTokens, session: silent_login::SessionInfo) -> Result<(), silent_login::LoginError> {
/// let token = tokens.get(&session).await?;
/// // call a Feishu API with `Authorization: Bearer {token.expose()}`; if Feishu refuses it
/// // (silent_login::provider::USER_TOKEN_REFUSED), hand it back for a fresh one:
/// let fresh = token.renew().await?;
/// # let _ = fresh; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct UserTokens {
    vault: Arc<Vault>,
}

#[derive(Debug)]
struct Vault {
    provider: Arc<dyn Provider>,
    store: Arc<dyn Store>,
    app_tokens: Arc<TokenCache>,
    sealer: RecordSealer,
    margin: Duration,
}

/// The current session's user access token, with at least the margin left when it was handed
/// out. As an axum extractor it refuses like the layer does (401 with the catalog code when the
/// session needs a new login). `Debug` prints no token.
#[derive(Clone, Debug)]
pub struct UserAccessToken {
    token: UserToken,
    expires_at_ms: u64,
    session: SessionInfo,
    tokens: UserTokens,
}

impl UserAccessToken {
    /// The token, for the `Authorization: Bearer` header of the call that uses it.
    pub fn expose(&self) -> &str {
        self.token.expose()
    }

    /// The token as a redacting type.
    pub fn token(&self) -> &UserToken {
        &self.token
    }

    /// When it expires, in Unix milliseconds (by this replica's clock at issue).
    pub fn expires_at_ms(&self) -> u64 {
        self.expires_at_ms
    }

    /// Hands this token back because the platform refused it although it looked good (see
    /// [`USER_TOKEN_REFUSED`](crate::provider::USER_TOKEN_REFUSED)): a fresh one — refreshed
    /// only if this is still the session's current token (another request may have replaced it
    /// already).
    pub async fn renew(&self) -> Result<UserAccessToken, LoginError> {
        self.tokens.renew(&self.session, &self.token).await
    }
}

impl UserTokens {
    pub(crate) fn new(
        provider: Arc<dyn Provider>,
        store: Arc<dyn Store>,
        app_tokens: Arc<TokenCache>,
        ring: &KeyRing,
        audience: &str,
        margin: Duration,
    ) -> Self {
        Self {
            vault: Arc::new(Vault {
                provider,
                store,
                app_tokens,
                sealer: RecordSealer::new(ring, audience),
                margin,
            }),
        }
    }

    /// The session's token with at least the margin left, refreshed first when needed.
    pub async fn get(&self, session: &SessionInfo) -> Result<UserAccessToken, LoginError> {
        self.current(session, None).await
    }

    /// A fresh token in place of `refused`, which the platform refused although it looked good:
    /// the session's current token if another one already replaced `refused`, else a refreshed
    /// one (compare and evict: only the current token triggers a refresh).
    pub async fn renew(
        &self,
        session: &SessionInfo,
        refused: &UserToken,
    ) -> Result<UserAccessToken, LoginError> {
        self.current(session, Some(refused)).await
    }

    /// Keeps the pair a login got for its new session, until the session ends.
    pub(crate) async fn keep(
        &self,
        session_id: &str,
        expires_at_ms: u64,
        grant: UserGrant,
    ) -> Result<(), LoginError> {
        let record = Record::Live(Live::issued(grant, now_ms()));
        self.save(session_id, expires_at_ms, &record).await
    }

    /// Forgets the session's pair (logout).
    pub(crate) async fn forget(&self, session_id: &str) {
        if let Err(error) = self.vault.store.delete_user_token(session_id).await {
            tracing::warn!(%error, "could not delete a logged-out session's user token");
        }
    }

    async fn current(
        &self,
        session: &SessionInfo,
        refused: Option<&UserToken>,
    ) -> Result<UserAccessToken, LoginError> {
        let deadline = tokio::time::Instant::now() + REFRESH_WAIT;
        let lock_key = format!("user-token:{}", session.id);
        loop {
            let live = self.load(session).await?;
            let now = now_ms();
            let handed_back = refused.is_some_and(|token| token.expose() == live.access);
            if !handed_back && live.access_until_ms > now + self.margin_ms() {
                return Ok(self.handed_out(session, &live));
            }
            if let Some(error) = unrefreshable(&live, now) {
                if !handed_back && live.access_until_ms > now {
                    // No way to renew it: used until it expires.
                    return Ok(self.handed_out(session, &live));
                }
                return Err(error);
            }
            match self.vault.store.try_lock(&lock_key, REFRESH_LOCK).await {
                Ok(Some(lock)) => {
                    let result = self.refresh_locked(session, &live).await;
                    if let Err(error) = self.vault.store.unlock(&lock_key, lock).await {
                        tracing::warn!(%error, "could not release a user-token refresh lock; it expires by itself");
                    }
                    return result;
                }
                Ok(None) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(REFRESH_POLL).await;
                }
                Ok(None) => {
                    return Err(LoginError::new(SilentLoginCode::UserTokenRefreshPending)
                        .with_cause("refresh_lock_held"));
                }
                Err(error) => {
                    return Err(LoginError::new(SilentLoginCode::StoreUnavailable)
                        .with_detail(error.detail()));
                }
            }
        }
    }

    /// Holding the session's lock: refreshes `seen` unless another replica already did.
    async fn refresh_locked(
        &self,
        session: &SessionInfo,
        seen: &Live,
    ) -> Result<UserAccessToken, LoginError> {
        // Read again inside the lock: another replica may have refreshed between our read and
        // our lock, and its refresh token is the only one still good.
        let live = self.load(session).await?;
        if live.refresh != seen.refresh {
            return Ok(self.handed_out(session, &live));
        }
        let Some(refresh) = live.refresh.as_deref() else {
            return Err(no_refresh_token());
        };
        let refresh = RefreshToken::new(refresh);
        let outcome = self
            .vault
            .provider
            .refresh_user_token(&refresh, &self.vault.app_tokens)
            .await;
        crate::metrics::user_token_refresh(if outcome.is_ok() {
            "refreshed"
        } else {
            "failed"
        });
        match outcome {
            Ok(grant) => {
                let fresh = Live::issued(grant, now_ms());
                let record = Record::Live(fresh.clone());
                if let Err(error) = self.save(&session.id, session.expires_at_ms, &record).await {
                    // The old refresh token is spent: hand out the new token, which works until
                    // it expires; the next refresh will be refused and explained.
                    tracing::error!(%error, "could not store a refreshed user token");
                }
                Ok(self.handed_out(session, &fresh))
            }
            Err(error) if ends_refresh(&error) => {
                tracing::info!(
                    errcode = error.errcode(),
                    session = %session.id,
                    "the platform refused the refresh token; the session needs a new login"
                );
                let _ = self
                    .save(&session.id, session.expires_at_ms, &Record::dropped(&error))
                    .await;
                Err(error)
            }
            Err(error) => Err(error),
        }
    }

    async fn load(&self, session: &SessionInfo) -> Result<Live, LoginError> {
        let stored = self
            .vault
            .store
            .load_user_token(&session.id)
            .await
            .map_err(|error| {
                LoginError::new(SilentLoginCode::StoreUnavailable).with_detail(error.detail())
            })?;
        let Some(text) = stored else {
            return Err(LoginError::new(SilentLoginCode::UserTokenMissing));
        };
        match self.vault.sealer.open(&session.id, &text)? {
            Record::Live(live) => Ok(live),
            Record::Dropped { error } => Err(LoginError::from_record(error)),
        }
    }

    async fn save(
        &self,
        session_id: &str,
        expires_at_ms: u64,
        record: &Record,
    ) -> Result<(), LoginError> {
        let ttl = Duration::from_millis(expires_at_ms.saturating_sub(now_ms()));
        let sealed = self.vault.sealer.seal(session_id, record).ok_or_else(|| {
            LoginError::new(SilentLoginCode::InternalError).with_detail(Detail::new(
                "the user-token record could not be sealed",
                "用户令牌记录无法封装",
            ))
        })?;
        self.vault
            .store
            .save_user_token(session_id, &sealed, ttl)
            .await
            .map_err(|error| {
                LoginError::new(SilentLoginCode::StoreUnavailable).with_detail(error.detail())
            })
    }

    fn handed_out(&self, session: &SessionInfo, live: &Live) -> UserAccessToken {
        UserAccessToken {
            token: UserToken::new(live.access.as_str()),
            expires_at_ms: live.access_until_ms,
            session: session.clone(),
            tokens: self.clone(),
        }
    }

    fn margin_ms(&self) -> u64 {
        self.vault.margin.as_millis() as u64
    }
}

/// Why `live` cannot be refreshed at `now_ms`, if it cannot.
fn unrefreshable(live: &Live, now_ms: u64) -> Option<LoginError> {
    if live.refresh.is_none() {
        return Some(no_refresh_token());
    }
    match live.refresh_until_ms {
        Some(until) if until <= now_ms => Some(
            LoginError::new(SilentLoginCode::UserTokenExpired).with_cause("refresh_token_expired"),
        ),
        _ => None,
    }
}

fn no_refresh_token() -> LoginError {
    LoginError::new(SilentLoginCode::UserTokenExpired).with_cause("no_refresh_token")
}

/// Whether the platform's answer ends the refresh token: any answer about it but "try again".
fn ends_refresh(error: &LoginError) -> bool {
    error
        .upstream()
        .is_some_and(|upstream| !REFRESH_RETRYABLE.contains(&upstream.errcode))
}

#[cfg(test)]
mod tests;
