//! Feishu's rules (Lark's too): app and tenant tokens renewed only near their end, the authen
//! exchange of a code for a user token, and `user_info` for that token.

use std::time::Duration;

use serde::Deserialize;
use silent_login_catalog::ProviderKind;

use super::tokens::{TokenKind, TokenReply};
use super::{ApiError, State};
use crate::clock::secs_until;
use crate::random;
use crate::user::{MockUser, UserStatus};

/// App and tenant token lifetime, seconds.
const APP_TOKEN_LIFETIME: u64 = 7200;
/// Below this many seconds left, a token call issues a new token.
const RENEW_BELOW: u64 = 30 * 60;
/// User access token lifetime, seconds.
const USER_TOKEN_LIFETIME: u64 = 6900;

/// `code` values this emulator answers with.
mod code {
    pub(super) const UNKNOWN_APP: i64 = 10012;
    pub(super) const BAD_SECRET: i64 = 10015;
    pub(super) const RATE_LIMITED: i64 = 99_991_400;
    pub(super) const MISSING_TOKEN: i64 = 99_991_661;
    pub(super) const BAD_APP_TOKEN: i64 = 99_991_664;
    pub(super) const BAD_USER_TOKEN: i64 = 99_991_668;
    pub(super) const MALFORMED_TOKEN: i64 = 99_991_671;
    pub(super) const EXPIRED_TOKEN: i64 = 99_991_677;
    pub(super) const INVALID_REQUEST: i64 = 20001;
    pub(super) const CODE_FAIL: i64 = 20007;
    pub(super) const NO_PERMISSION: i64 = 20010;
    pub(super) const RESIGNED: i64 = 20021;
    pub(super) const FROZEN: i64 = 20022;
    pub(super) const OTHER_APP: i64 = 20024;
}

/// The body of the auth v3 token calls.
#[derive(Deserialize)]
pub(crate) struct AppCredentials {
    #[serde(default)]
    app_id: String,
    #[serde(default)]
    app_secret: String,
}

/// The body of the authen v1 code exchanges.
#[derive(Deserialize)]
pub(crate) struct CodeGrant {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
}

/// What a code exchange yields: the user and their new tokens.
pub(crate) struct UserLogin {
    pub(crate) user: MockUser,
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) expires_in: u64,
}

impl State {
    /// `app_access_token/internal`: the app token and the tenant token that comes with it.
    /// `credentials` is `None` when the body was not JSON.
    pub(crate) fn feishu_app_access_token(
        &mut self,
        credentials: Option<AppCredentials>,
    ) -> Result<(TokenReply, TokenReply), ApiError> {
        let app = self.feishu_app(credentials)?;
        let app_token = self.feishu_app_token(TokenKind::FeishuApp, &app);
        let tenant_token = self.feishu_app_token(TokenKind::FeishuTenant, &app);
        Ok((app_token, tenant_token))
    }

    /// `tenant_access_token/internal`. `credentials` is `None` when the body was not JSON.
    pub(crate) fn feishu_tenant_access_token(
        &mut self,
        credentials: Option<AppCredentials>,
    ) -> Result<TokenReply, ApiError> {
        let app = self.feishu_app(credentials)?;
        Ok(self.feishu_app_token(TokenKind::FeishuTenant, &app))
    }

    /// Checks `{app_id, app_secret}` (and the rate limit); returns the app id.
    fn feishu_app(&mut self, credentials: Option<AppCredentials>) -> Result<String, ApiError> {
        let creds = credentials.ok_or_else(|| {
            ApiError::new(
                code::UNKNOWN_APP,
                "invalid param: request body must be JSON",
            )
        })?;
        if self.rate.exceeded(ProviderKind::Feishu, &creds.app_id) {
            return Err(ApiError::new(
                code::RATE_LIMITED,
                "request trigger frequency limit",
            ));
        }
        match self.directory.feishu_app(&creds.app_id) {
            None => Err(ApiError::new(code::UNKNOWN_APP, "app_id is invalid")),
            Some(app) if app.app_secret != creds.app_secret => {
                Err(ApiError::new(code::BAD_SECRET, "app secret invalid"))
            }
            Some(_) => Ok(creds.app_id),
        }
    }

    /// The app's current token of `kind` and its seconds left, or a new one when under 30 min are left.
    fn feishu_app_token(&mut self, kind: TokenKind, app: &str) -> TokenReply {
        let now = self.clock.now();
        if let Some((token, issued)) = self.tokens.current(now, kind, app) {
            let left = secs_until(now, issued.expires_at);
            if left >= RENEW_BELOW {
                return TokenReply {
                    token,
                    expires_in: left,
                };
            }
        }
        let prefix = if kind == TokenKind::FeishuApp {
            "a"
        } else {
            "t"
        };
        let token = format!("{prefix}-g1044{}", random::hex(36));
        let lifetime = Duration::from_secs(APP_TOKEN_LIFETIME);
        TokenReply {
            token: self.tokens.issue_app_token(now, kind, app, token, lifetime),
            expires_in: APP_TOKEN_LIFETIME,
        }
    }

    /// The app an `Authorization: Bearer <app_access_token>` header stands for.
    fn feishu_bearer_app(&self, bearer: Option<&str>) -> Result<String, ApiError> {
        let token = bearer.ok_or_else(missing_token)?;
        if !(token.starts_with("a-") || token.starts_with("t-")) {
            return Err(ApiError::new(
                code::MALFORMED_TOKEN,
                "invalid access token format: must start with a- or t-",
            ));
        }
        let now = self.clock.now();
        match self.tokens.get(token) {
            Some(t) if t.kind == TokenKind::FeishuApp && t.expires_at > now => Ok(t.app.clone()),
            _ => Err(ApiError::new(
                code::BAD_APP_TOKEN,
                "invalid app access token",
            )),
        }
    }

    /// `authen/v1/(oidc/)access_token`: the user and their new tokens. `bearer` is the app
    /// token of the `Authorization` header; `grant` is `None` when the body was not JSON.
    pub(crate) fn feishu_exchange(
        &mut self,
        bearer: Option<&str>,
        grant: Option<CodeGrant>,
    ) -> Result<UserLogin, ApiError> {
        let app = self.feishu_bearer_app(bearer)?;
        let invalid = |msg: &str| ApiError::new(code::INVALID_REQUEST, msg);
        let grant = grant.ok_or_else(|| invalid("invalid request: body must be JSON"))?;
        if grant.grant_type != "authorization_code" {
            return Err(invalid(
                "invalid request: grant_type must be authorization_code",
            ));
        }
        if grant.code.is_empty() {
            return Err(invalid("invalid request: missing code"));
        }
        let code_fail = || {
            ApiError::new(
                code::CODE_FAIL,
                "generate access_token fail: code is invalid, used or expired",
            )
        };
        let now = self.clock.now();
        let issued = self
            .codes
            .take(now, ProviderKind::Feishu, &grant.code)
            .ok_or_else(code_fail)?;
        if !issued.kind.is_silent_login() {
            return Err(code_fail());
        }
        if issued.app != app {
            return Err(ApiError::new(
                code::OTHER_APP,
                "the app_id of the code differs from the app_id of app_access_token",
            ));
        }
        let user = self
            .directory
            .user(&issued.user)
            .cloned()
            .ok_or_else(code_fail)?;
        match user.status {
            UserStatus::Resigned => return Err(ApiError::new(code::RESIGNED, "user resigned")),
            UserStatus::Frozen => return Err(ApiError::new(code::FROZEN, "user frozen")),
            UserStatus::Active => {}
        }
        let tenant_ok = self
            .directory
            .feishu_app(&app)
            .is_some_and(|a| a.tenant_key == user.tenant_key);
        if !tenant_ok || !self.is_visible(ProviderKind::Feishu, &user) {
            return Err(ApiError::new(
                code::NO_PERMISSION,
                "user has no permission to use this app",
            ));
        }
        let lifetime = Duration::from_secs(USER_TOKEN_LIFETIME);
        let token = format!("u-{}", random::hex(48));
        let access_token = self
            .tokens
            .issue_user_token(now, &app, &user.id, token, lifetime);
        Ok(UserLogin {
            user,
            access_token,
            // Refresh tokens are reported but never redeemed, so they are not stored.
            refresh_token: format!("ur-{}", random::hex(48)),
            expires_in: USER_TOKEN_LIFETIME,
        })
    }

    /// `authen/v1/user_info`: the user a `Bearer <user_access_token>` stands for.
    pub(crate) fn feishu_user(&self, bearer: Option<&str>) -> Result<MockUser, ApiError> {
        let token = bearer.ok_or_else(missing_token)?;
        if !["u-", "a-", "t-"].iter().any(|p| token.starts_with(p)) {
            return Err(ApiError::new(
                code::MALFORMED_TOKEN,
                "invalid access token format: must start with u-",
            ));
        }
        let invalid = || {
            ApiError::new(code::BAD_USER_TOKEN, "Invalid access token for authorization. Please make a request with token attached.")
        };
        let issued = self
            .tokens
            .get(token)
            .filter(|t| t.kind == TokenKind::FeishuUser)
            .ok_or_else(invalid)?;
        if issued.expires_at <= self.clock.now() {
            return Err(ApiError::new(
                code::EXPIRED_TOKEN,
                "Authentication token expired.",
            ));
        }
        let user = issued
            .user
            .as_deref()
            .and_then(|id| self.directory.user(id));
        user.cloned().ok_or_else(invalid)
    }
}

fn missing_token() -> ApiError {
    ApiError::new(
        code::MISSING_TOKEN,
        "Missing access token for authorization. Please make a request with token attached.",
    )
}
