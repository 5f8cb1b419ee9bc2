//! The open platforms: each turns a one-time auth code into an [`Identity`].
//!
//! [`DingTalk`] calls `gettoken` and `topapi/v2/user/getuserinfo`; [`Feishu`] (and Lark) calls
//! `authen/v2/oauth/token` (or the historic `auth/v3/app_access_token/internal` +
//! `authen/v1/oidc/access_token`, see [`FeishuOAuth`]) and `authen/v1/user_info`, and keeps the
//! user's token pair ([`UserGrant`]) for [`UserTokens`](crate::UserTokens).
//! Both cache the app token in a [`TokenCache`], evict it and retry once when
//! the platform calls it invalid, and never retry the code exchange after the platform answered
//! about the code.

mod dingtalk;
mod feishu;
mod grant;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

pub use dingtalk::{DingTalk, DINGTALK_API_BASE};
pub use feishu::{Feishu, FeishuOAuth, FEISHU_API_BASE, LARK_API_BASE, USER_TOKEN_REFUSED};
pub use grant::{Exchanged, UserGrant};

use crate::error::{Detail, Error, LoginError};
use crate::identity::{Identity, ProviderKind};
use crate::secret::{AuthCode, RefreshToken};
use crate::token_cache::TokenCache;

/// The future [`Provider::exchange`] returns.
pub type ExchangeFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Identity, LoginError>> + Send + 'a>>;

/// The future [`Provider::exchange_grant`] returns.
pub type GrantFuture<'a> = Pin<Box<dyn Future<Output = Result<Exchanged, LoginError>> + Send + 'a>>;

/// The future [`Provider::refresh_user_token`] returns.
pub type RefreshFuture<'a> =
    Pin<Box<dyn Future<Output = Result<UserGrant, LoginError>> + Send + 'a>>;

/// An open platform that can exchange a front-end auth code for the user's identity.
///
/// Implemented by [`DingTalk`] and [`Feishu`]; implement it to add another platform.
pub trait Provider: Send + Sync + fmt::Debug + 'static {
    /// Which platform this is.
    fn kind(&self) -> ProviderKind;
    /// The app's id on the platform (DingTalk app key, Feishu app id): codes are scoped to it.
    fn app_id(&self) -> &str;
    /// Exchanges `code` for the identity, with app tokens from `tokens`.
    fn exchange<'a>(&'a self, code: &'a AuthCode, tokens: &'a TokenCache) -> ExchangeFuture<'a>;
    /// Exchanges `code` for the identity and the user's own token, where the platform issues
    /// one. By default: [`Provider::exchange`], no token.
    fn exchange_grant<'a>(&'a self, code: &'a AuthCode, tokens: &'a TokenCache) -> GrantFuture<'a> {
        Box::pin(async move {
            let identity = self.exchange(code, tokens).await?;
            Ok(Exchanged {
                identity,
                grant: None,
            })
        })
    }
    /// Whether [`Provider::exchange_grant`] yields user tokens this provider can refresh.
    fn issues_user_tokens(&self) -> bool {
        false
    }
    /// Presents `refresh` (once: the platform kills it) for the user's next token pair. By
    /// default the provider has none to refresh: `Misconfigured`.
    fn refresh_user_token<'a>(
        &'a self,
        refresh: &'a RefreshToken,
        tokens: &'a TokenCache,
    ) -> RefreshFuture<'a> {
        let _ = (refresh, tokens);
        Box::pin(std::future::ready(Err(LoginError::new(
            silent_login_catalog::SilentLoginCode::Misconfigured,
        )
        .with_detail(Detail::new(
            "this provider issues no user tokens to refresh",
            "这个平台不签发可刷新的用户令牌",
        )))))
    }
    /// Whether the provider's settings can work (`Misconfigured` naming each bad setting); the
    /// layer refuses to start otherwise.
    fn check_settings(&self) -> Result<(), Error> {
        Ok(())
    }
    /// The platform's own error for a code that was already presented, narrowed to "already
    /// used" — what the platform itself would answer for a replay.
    fn code_already_used(&self) -> LoginError;
}

impl<P: Provider + ?Sized> Provider for std::sync::Arc<P> {
    fn kind(&self) -> ProviderKind {
        (**self).kind()
    }
    fn app_id(&self) -> &str {
        (**self).app_id()
    }
    fn exchange<'a>(&'a self, code: &'a AuthCode, tokens: &'a TokenCache) -> ExchangeFuture<'a> {
        (**self).exchange(code, tokens)
    }
    fn exchange_grant<'a>(&'a self, code: &'a AuthCode, tokens: &'a TokenCache) -> GrantFuture<'a> {
        (**self).exchange_grant(code, tokens)
    }
    fn issues_user_tokens(&self) -> bool {
        (**self).issues_user_tokens()
    }
    fn refresh_user_token<'a>(
        &'a self,
        refresh: &'a RefreshToken,
        tokens: &'a TokenCache,
    ) -> RefreshFuture<'a> {
        (**self).refresh_user_token(refresh, tokens)
    }
    fn check_settings(&self) -> Result<(), Error> {
        (**self).check_settings()
    }
    fn code_already_used(&self) -> LoginError {
        (**self).code_already_used()
    }
}

/// Runs `call` with the cached app token; if the platform calls the token invalid (one of
/// `invalid_codes`), evicts it, fetches another and runs `call` once more. A token still refused
/// after that leaves the code unused: the platform refused the token before it read the code.
pub(crate) async fn with_app_token<T, Fetch, FetchFut, Call, CallFut>(
    tokens: &TokenCache,
    key: &str,
    invalid_codes: &[i64],
    fetch: Fetch,
    call: Call,
) -> Result<T, LoginError>
where
    Fetch: Fn() -> FetchFut,
    FetchFut: Future<Output = Result<crate::token_cache::FetchedToken, LoginError>>,
    Call: Fn(crate::secret::AppToken) -> CallFut,
    CallFut: Future<Output = Result<T, LoginError>>,
{
    let is_token_invalid = |error: &LoginError| {
        error
            .upstream()
            .is_some_and(|upstream| invalid_codes.contains(&upstream.errcode))
    };
    let mut retried = false;
    loop {
        let token = tokens.get(key, &fetch).await?;
        match call(token.clone()).await {
            Err(error) if !retried && is_token_invalid(&error) => {
                tracing::info!(
                    errcode = error.errcode(),
                    "the platform refused the cached app token; refreshing and retrying once"
                );
                tokens.evict(key, &token).await;
                retried = true;
            }
            Err(error) if is_token_invalid(&error) => return Err(error.code_not_presented()),
            result => return result,
        }
    }
}

/// The platform answered, but not what its API documents.
pub(crate) fn garbled(detail: Detail) -> LoginError {
    LoginError::new(silent_login_catalog::SilentLoginCode::UpstreamGarbled).with_detail(detail)
}

/// The detail of a code presented again (the platform is not asked).
pub(crate) fn already_presented() -> Detail {
    Detail::new(
        "this code was already presented to this service; a code works once",
        "这个授权码已经向本服务提交过；授权码只能使用一次",
    )
}

/// Times one upstream call for the latency histogram.
pub(crate) async fn timed<T>(endpoint: &'static str, call: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let result = call.await;
    crate::metrics::upstream_latency(endpoint, started.elapsed().as_secs_f64());
    result
}

/// `https://oapi.dingtalk.com/` → `https://oapi.dingtalk.com`.
pub(crate) fn trim_base(base: impl Into<String>) -> String {
    let mut base = base.into();
    while base.ends_with('/') {
        base.pop();
    }
    base
}
