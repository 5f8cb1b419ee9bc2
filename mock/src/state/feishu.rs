//! Feishu's rules (Lark's too): app and tenant tokens renewed only near their end, the historic
//! authen v1/oidc exchange of a code for a user token and its refresh, and `user_info` for a
//! user token. The v2 OAuth endpoint's rules are in `feishu_v2`.

use std::time::{Duration, Instant};

use serde::Deserialize;
use silent_login_catalog::ProviderKind;

use super::codes::IssuedCode;
use super::ledger::CodeFate;
use super::refresh::{Consumed, Generation, RefreshGrant, Refusal};
use super::tokens::{TokenKind, TokenReply};
use super::{ApiError, State};
use crate::clock::secs_until;
use crate::code::{CodeKind, JsapiError, MintCode};
use crate::endpoint::{api_of, Endpoint};
use crate::random;
use crate::user::{MockUser, UserStatus};

/// App and tenant token lifetime, seconds.
const APP_TOKEN_LIFETIME: u64 = 7200;
/// Below this many seconds left, a token call issues a new token.
const RENEW_BELOW: u64 = 30 * 60;
/// oidc user access token lifetime, seconds ("有效期为 2 小时左右", PLATFORMS.md section 5.2).
const USER_TOKEN_LIFETIME: u64 = 6900;
/// oidc refresh token lifetime, seconds: "也存在有效期（30 天左右）", example
/// `refresh_expires_in` 2591999
/// (<https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/authen-v1/oidc-access_token/create>).
const OIDC_REFRESH_LIFETIME: u64 = 2_592_000;
/// The scope reported with oidc user tokens.
const OIDC_SCOPE: &str = "auth:user.id:read";

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
    pub(super) const BAD_REFRESH_TOKEN: i64 = 20026;
    pub(super) const REFRESH_TOKEN_EXPIRED: i64 = 20037;
    pub(super) const REFRESH_TOKEN_REVOKED: i64 = 20064;
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

/// The body of `authen/v1/oidc/refresh_access_token`.
#[derive(Deserialize)]
pub(crate) struct RefreshGrantRequest {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    refresh_token: String,
}

/// What a code exchange or a refresh yields: the user and their new tokens.
pub(crate) struct UserLogin {
    pub(crate) user: MockUser,
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
    pub(crate) refresh_token: String,
    pub(crate) refresh_expires_in: u64,
    /// Space-separated.
    pub(crate) scope: String,
}

/// Why a user may not sign in to an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UserRefusal {
    Unknown,
    Resigned,
    Frozen,
    /// Outside the app's visible scope, or of another tenant.
    NoPermission,
}

/// The oidc code for a refused user; `None` for an unknown user, whom the oidc table does not
/// list for this case (the endpoint's caller decides).
fn oidc_user_error(refusal: UserRefusal) -> Option<ApiError> {
    match refusal {
        UserRefusal::Unknown => None,
        UserRefusal::Resigned => Some(ApiError::new(code::RESIGNED, "user resigned")),
        UserRefusal::Frozen => Some(ApiError::new(code::FROZEN, "user frozen")),
        UserRefusal::NoPermission => Some(ApiError::new(
            code::NO_PERMISSION,
            "user has no permission to use this app",
        )),
    }
}

/// The oidc refresh endpoint's words for another app's refresh token.
const OIDC_OTHER_APP: &str = "App id in user_access_token or refresh_token diff with app id in app_access_token or tenant_access_token. Please keep the app id consistent";

/// The answer to a refused refresh token, with the endpoint's words for another app's token;
/// the codes are the same at both endpoints.
pub(super) fn refresh_error(refusal: Refusal, other_app: &str) -> ApiError {
    match refusal {
        Refusal::Unknown => ApiError::new(
            code::BAD_REFRESH_TOKEN,
            "The refresh token passed is invalid. Please check the value.",
        ),
        Refusal::OtherApp => ApiError::new(code::OTHER_APP, other_app),
        // The refresh page documents 20073 "The refresh token has been used" too, but a
        // consumed (rotated-away) refresh token is reported as 20064 in practice
        // (https://github.com/larksuite/openclaw-lark/issues/557, and a third-party fixture
        // "Lark は refresh token 消費後 400 + {"code":20064,"error":"invalid_grant"} を返す",
        // UNVERIFIED), so 20064 it is; a client must treat both alike anyway.
        Refusal::Reused => ApiError::new(
            code::REFRESH_TOKEN_REVOKED,
            "The refresh token has been revoked. Please note that a refresh token can only be used once.",
        ),
        Refusal::Expired => ApiError::new(
            code::REFRESH_TOKEN_EXPIRED,
            "The refresh token passed has expired. Please generate a new one.",
        ),
    }
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
    pub(crate) fn feishu_bearer_app(&self, bearer: Option<&str>) -> Result<String, ApiError> {
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
            .take_feishu_code(now, &grant.code)
            .map_err(|_| code_fail())?;
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
            .feishu_login_user(&app, &issued.user)
            .map_err(|refusal| oidc_user_error(refusal).unwrap_or_else(code_fail))?;
        Ok(self.issue_oidc_login(now, &app, user, now))
    }

    /// `authen/v1/oidc/refresh_access_token`: a new access token and a new refresh token for an
    /// oidc refresh token, which is void from then on. `bearer` is the app token of the
    /// `Authorization` header; `grant` is `None` when the body was not JSON.
    ///
    /// The oidc refresh page's error table was not read: the refresh-token codes are the v2
    /// endpoint's (20026 unknown, 20024 other app, 20064 used, 20037 expired), which is
    /// UNVERIFIED for this endpoint. 20001 for a wrong `grant_type` is what the endpoint
    /// answered in <https://github.com/larksuite/oapi-sdk-python/issues/51>.
    pub(crate) fn feishu_oidc_refresh(
        &mut self,
        bearer: Option<&str>,
        grant: Option<RefreshGrantRequest>,
    ) -> Result<UserLogin, ApiError> {
        let app = self.feishu_bearer_app(bearer)?;
        let invalid = |msg: &str| ApiError::new(code::INVALID_REQUEST, msg);
        let grant = grant.ok_or_else(|| invalid("invalid request: body must be JSON"))?;
        if grant.grant_type != "refresh_token" {
            return Err(invalid(
                "invalid request, grant_type should be authorization_code or refresh_token",
            ));
        }
        if grant.refresh_token.is_empty() {
            return Err(invalid("invalid request: missing refresh_token"));
        }
        let now = self.clock.now();
        let now_ms = self.clock.unix_millis();
        let endpoint = Endpoint::FeishuOidcRefreshAccessToken;
        let old = self
            .refresh
            .check(
                now,
                now_ms,
                Generation::Oidc,
                endpoint,
                &app,
                &grant.refresh_token,
            )
            .map_err(|refusal| refresh_error(refusal, OIDC_OTHER_APP))?;
        let user = self.feishu_login_user(&app, &old.user).map_err(|refusal| {
            oidc_user_error(refusal)
                .unwrap_or_else(|| refresh_error(Refusal::Unknown, OIDC_OTHER_APP))
        })?;
        self.refresh.consume(
            &grant.refresh_token,
            Consumed {
                endpoint,
                at_unix_ms: now_ms,
            },
        );
        Ok(self.issue_oidc_login(now, &app, user, old.authorized_at))
    }

    /// A new oidc access token and refresh token for `user` of `app`. The oidc endpoints always
    /// issue a refresh token, whatever the app's `offline_access`: they predate that scope.
    fn issue_oidc_login(
        &mut self,
        now: Instant,
        app: &str,
        user: MockUser,
        authorized_at: Instant,
    ) -> UserLogin {
        let token = format!("u-{}", random::hex(48));
        let access_token = self.tokens.issue_user_token(
            now,
            app,
            &user.id,
            token,
            Duration::from_secs(USER_TOKEN_LIFETIME),
        );
        let refresh_token = self.refresh.issue(
            format!("ur-{}", random::hex(48)),
            RefreshGrant {
                generation: Generation::Oidc,
                app: app.to_owned(),
                user: user.id.clone(),
                scope: OIDC_SCOPE.to_owned(),
                authorized_at,
                expires_at: now + Duration::from_secs(OIDC_REFRESH_LIFETIME),
                consumed: None,
            },
        );
        UserLogin {
            user,
            access_token,
            expires_in: USER_TOKEN_LIFETIME,
            refresh_token,
            refresh_expires_in: OIDC_REFRESH_LIFETIME,
            scope: OIDC_SCOPE.to_owned(),
        }
    }

    /// Whether `authen/v2/oauth/token` hands out a refresh token for a login of `app` with
    /// `code`: the platform returns one only "在请求成功且用户授予 `offline_access` 权限时"
    /// (<https://open.feishu.cn/document/authentication-management/access-token/get-user-access-token>).
    /// Here: the app has [`offline_access`](crate::FeishuApp::offline_access) (the permission
    /// and the refresh switch in the console), and a `tt.requestAccess` code asked for it in
    /// its `scopeList`. A `tt.requestAuthCode` code names no scopes: the app's permission alone
    /// decides (an emulator choice, docs/PLATFORMS.md §5.2).
    pub(super) fn grants_refresh_token(&self, app: &str, code: &IssuedCode) -> bool {
        let app_has_it = self
            .directory
            .feishu_app(app)
            .is_some_and(|a| a.offline_access);
        let asked = code.kind != CodeKind::FeishuAccess || code.requested_offline_access();
        app_has_it && asked
    }

    /// Mints a code the way the provider's client would (see [`State::mint`]), remembering
    /// Feishu codes so that `authen/v2/oauth/token` can tell an expired code from an unknown one.
    pub(crate) fn mint_code(&mut self, req: &MintCode) -> Result<String, JsapiError> {
        let code = self.mint(req)?;
        if api_of(req.provider) == ProviderKind::Feishu {
            let now = self.clock.now();
            self.ledger.minted(now, &code);
        }
        Ok(code)
    }

    /// Consumes a Feishu code (whatever the outcome of the exchange), or says why there is none.
    pub(super) fn take_feishu_code(
        &mut self,
        now: Instant,
        code: &str,
    ) -> Result<IssuedCode, CodeFate> {
        match self.codes.take(now, ProviderKind::Feishu, code) {
            Some(issued) => {
                self.ledger.used(code);
                Ok(issued)
            }
            None => Err(self.ledger.fate(code)),
        }
    }

    /// The user `user_id` if they may sign in to `app`: known, active, in the app's tenant and
    /// inside its visible scope.
    pub(super) fn feishu_login_user(
        &self,
        app: &str,
        user_id: &str,
    ) -> Result<MockUser, UserRefusal> {
        let user = self
            .directory
            .user(user_id)
            .cloned()
            .ok_or(UserRefusal::Unknown)?;
        match user.status {
            UserStatus::Resigned => return Err(UserRefusal::Resigned),
            UserStatus::Frozen => return Err(UserRefusal::Frozen),
            UserStatus::Active => {}
        }
        let tenant_ok = self
            .directory
            .feishu_app(app)
            .is_some_and(|a| a.tenant_key == user.tenant_key);
        if !tenant_ok || !self.is_visible(ProviderKind::Feishu, &user) {
            return Err(UserRefusal::NoPermission);
        }
        Ok(user)
    }

    /// Ends every Feishu user access token issued so far, as if the platform had expired them
    /// early; refresh tokens stay valid. Returns how many were still valid.
    pub(crate) fn expire_feishu_user_tokens(&mut self) -> usize {
        let now = self.clock.now();
        self.tokens.expire_user_tokens(now)
    }

    /// `authen/v1/user_info`: the user a `Bearer <user_access_token>` stands for.
    pub(crate) fn feishu_user(&self, bearer: Option<&str>) -> Result<MockUser, ApiError> {
        let token = bearer.ok_or_else(missing_token)?;
        // `eyJ`: the JWT-like tokens of `authen/v2/oauth/token`.
        if !["u-", "a-", "t-", "eyJ"]
            .iter()
            .any(|p| token.starts_with(p))
        {
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
