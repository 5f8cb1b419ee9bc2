//! Feishu (飞书) and Lark web apps: the code exchange through `authen/v2/oauth/token` (or the
//! historic `app_access_token/internal` + `authen/v1/oidc/access_token`), `authen/v1/user_info`,
//! and the refresh of the user's token through the same endpoint family.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use silent_login_catalog::FeishuCode;

use super::{
    already_presented, garbled, timed, trim_base, with_app_token, ExchangeFuture, Exchanged,
    GrantFuture, Provider, RefreshFuture, UserGrant,
};
use crate::error::{Detail, Error, LoginError, Upstream};
use crate::identity::{Identity, IdentityFields, ProviderKind};
use crate::misconfig::Problems;
use crate::secret::{AppSecret, AppToken, AuthCode, RefreshToken, UserToken};
use crate::token_cache::{FetchedToken, TokenCache};
use crate::upstream::{Envelope, HttpClient, HttpConfig};

/// The public Feishu API host.
pub const FEISHU_API_BASE: &str = "https://open.feishu.cn";
/// The public Lark API host.
pub const LARK_API_BASE: &str = "https://open.larksuite.com";

/// Codes that mean "this app token is no good": evict it, fetch another, retry once — what the
/// official SDK does. 99991661 no token, 99991663/99991665 invalid tenant token, 99991664 invalid
/// app token, 99991671 malformed token.
const TOKEN_INVALID: &[i64] = &[99991661, 99991663, 99991664, 99991665, 99991671];

/// The codes with which Feishu refuses a user token it issued: 99991677 expired, 99991668
/// invalid or expired ("the server does not distinguish", per the official CLI), 20005 invalid
/// (what `authen/v1/user_info` documents), 99991663 invalid (seen from `user_info`, not
/// documented for user tokens). A handler that gets one of these from a Feishu API hands the
/// token back ([`UserAccessToken::renew`](crate::UserAccessToken::renew)).
pub const USER_TOKEN_REFUSED: &[i64] = &[99991677, 99991668, 20005, 99991663];

/// Which of Feishu's OAuth endpoints exchanges codes and refreshes user tokens.
///
/// Feishu's documentation marks the v1 endpoints historic ("本接口已成为历史版本，不推荐使用") and
/// points to `POST /open-apis/authen/v2/oauth/token`
/// (<https://open.feishu.cn/document/authentication-management/access-token/get-user-access-token>),
/// so v2 is the default.
///
/// ```
/// use silent_login::{Feishu, FeishuOAuth};
/// let feishu = Feishu::new("cli_a1b2c3", "app-secret").oauth(FeishuOAuth::V1);
/// assert_eq!("v2".parse::<FeishuOAuth>(), Ok(FeishuOAuth::V2));
/// # let _ = feishu;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FeishuOAuth {
    /// `POST /open-apis/authen/v1/oidc/access_token` with an `app_access_token` (historic);
    /// refresh through `authen/v1/oidc/refresh_access_token`. Every login gets a refresh token.
    V1,
    /// `POST /open-apis/authen/v2/oauth/token` with `client_id` / `client_secret` in the body,
    /// for the code and for the refresh. A refresh token only with `offline_access`.
    #[default]
    V2,
}

impl FeishuOAuth {
    /// `v1` or `v2`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FeishuOAuth::V1 => "v1",
            FeishuOAuth::V2 => "v2",
        }
    }
}

impl std::str::FromStr for FeishuOAuth {
    type Err = String;

    /// `v1` or `v2` (any case); anything else names the two.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "v1" => Ok(FeishuOAuth::V1),
            "v2" => Ok(FeishuOAuth::V2),
            _ => Err(format!(
                "`{text}` is not a Feishu OAuth version: use v1 or v2"
            )),
        }
    }
}

/// Feishu or Lark silent login for a self-built (自建) web app.
///
/// ```
/// use silent_login::Feishu;
/// let feishu = Feishu::new("cli_a1b2c3", "app-secret");
/// let lark = Feishu::lark("cli_a1b2c3", "app-secret");
/// # let _ = (feishu, lark);
/// ```
#[derive(Clone, Debug)]
pub struct Feishu {
    kind: ProviderKind,
    app_id: String,
    secret: AppSecret,
    api_base: String,
    http: HttpClient,
    oauth: FeishuOAuth,
}

impl Feishu {
    /// A Feishu app with its App ID and App Secret (开发者后台 → 凭证与基础信息). An empty one
    /// is a misconfiguration the layer refuses to start with.
    pub fn new(app_id: impl Into<String>, app_secret: impl Into<String>) -> Self {
        Self {
            kind: ProviderKind::Feishu,
            app_id: app_id.into(),
            secret: AppSecret::new(app_secret),
            api_base: FEISHU_API_BASE.to_owned(),
            http: HttpClient::new(HttpConfig::default()),
            oauth: FeishuOAuth::default(),
        }
    }

    /// A Lark app: the same API on `https://open.larksuite.com`.
    pub fn lark(app_id: impl Into<String>, app_secret: impl Into<String>) -> Self {
        Self {
            kind: ProviderKind::Lark,
            api_base: LARK_API_BASE.to_owned(),
            ..Self::new(app_id, app_secret)
        }
    }

    /// Another API host: the emulator, a proxy. Anything but an http(s) URL is a
    /// misconfiguration the layer refuses to start with.
    #[must_use]
    pub fn api_base(mut self, base: impl Into<String>) -> Self {
        self.api_base = trim_base(base);
        self
    }

    /// Which OAuth endpoints exchange codes and refresh user tokens (default
    /// [`FeishuOAuth::V2`]).
    #[must_use]
    pub fn oauth(mut self, oauth: FeishuOAuth) -> Self {
        self.oauth = oauth;
        self
    }

    /// The OAuth endpoints in use.
    pub fn oauth_version(&self) -> FeishuOAuth {
        self.oauth
    }

    /// Timeouts and limits of the calls to the platform.
    #[must_use]
    pub fn http_config(mut self, config: HttpConfig) -> Self {
        self.http = HttpClient::new(config);
        self
    }

    fn cache_key(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.kind,
            self.api_base,
            self.app_id,
            self.secret.fingerprint()
        )
    }

    async fn fetch_token(&self) -> Result<FetchedToken, LoginError> {
        let url = format!(
            "{}/open-apis/auth/v3/app_access_token/internal",
            self.api_base
        );
        let request = self.http.post(&url).json(
            &serde_json::json!({ "app_id": self.app_id, "app_secret": self.secret.expose() }),
        );
        let response = timed(
            "feishu.app_access_token",
            self.http.send_json::<TokenEnvelope>(request),
        )
        .await?;
        let body = response.body;
        check(body.code, body.msg, None, response.request_id)?;
        let token = body
            .app_access_token
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                garbled(Detail::new(
                    "app_access_token missing",
                    "应答中缺少 app_access_token",
                ))
            })?;
        Ok(FetchedToken {
            token: AppToken::new(token),
            expires_in: Duration::from_secs(body.expire.unwrap_or(7200)),
        })
    }

    /// The historic exchange (and refresh): `authen/v1/oidc/*` with the app token.
    async fn oidc_grant(
        &self,
        app_token: &AppToken,
        path: &str,
        body: serde_json::Value,
    ) -> Result<UserGrant, LoginError> {
        let url = format!("{}/open-apis/authen/v1/oidc/{path}", self.api_base);
        let request = self
            .http
            .post(&url)
            .bearer_auth(app_token.expose())
            .json(&body);
        let label = if path == "access_token" {
            "feishu.oidc_access_token"
        } else {
            "feishu.oidc_refresh_access_token"
        };
        let response = timed(
            label,
            self.http.send_json::<DataEnvelope<UserTokenData>>(request),
        )
        .await?;
        let body = response.body;
        check(body.code, body.msg, body.error, response.request_id)?;
        body.data
            .and_then(UserTokenData::into_grant)
            .ok_or_else(|| {
                garbled(Detail::new(
                    format!("oidc/{path} answered without access_token"),
                    format!("oidc/{path} 的应答中没有 access_token"),
                ))
            })
    }

    /// The current exchange (and refresh): `authen/v2/oauth/token`, the app's credentials in the
    /// body, a flat answer.
    async fn v2_grant(&self, grant: [(&str, &str); 2]) -> Result<UserGrant, LoginError> {
        let url = format!("{}/open-apis/authen/v2/oauth/token", self.api_base);
        let mut body = serde_json::Map::new();
        for (key, value) in grant {
            body.insert(key.to_owned(), Value::String(value.to_owned()));
        }
        body.insert("client_id".to_owned(), Value::String(self.app_id.clone()));
        body.insert(
            "client_secret".to_owned(),
            Value::String(self.secret.expose().to_owned()),
        );
        let request = self.http.post(&url).json(&body);
        let response = timed(
            "feishu.oauth_token",
            self.http.send_json::<OAuthTokenAnswer>(request),
        )
        .await?;
        let answer = response.body;
        if answer.code != Some(0) {
            let message = match (&answer.error, &answer.error_description) {
                (Some(error), Some(description)) => format!("{error}: {description}"),
                (Some(text), None) | (None, Some(text)) => text.clone(),
                (None, None) => String::new(),
            };
            check(answer.code, message, None, response.request_id)?;
        }
        answer.into_grant().ok_or_else(|| {
            garbled(Detail::new(
                "oauth/token answered without access_token",
                "oauth/token 的应答中没有 access_token",
            ))
        })
    }

    async fn user_info(&self, user_token: &UserToken) -> Result<Identity, LoginError> {
        let url = format!("{}/open-apis/authen/v1/user_info", self.api_base);
        let request = self.http.get(&url).bearer_auth(user_token.expose());
        let response = timed(
            "feishu.user_info",
            self.http.send_json::<DataEnvelope<UserInfo>>(request),
        )
        .await?;
        let body = response.body;
        check(body.code, body.msg, body.error, response.request_id)?;
        let info = body.data.ok_or_else(|| {
            garbled(Detail::new(
                "user_info answered without data",
                "user_info 的应答中没有 data",
            ))
        })?;
        self.identity(info)
    }

    fn identity(&self, info: UserInfo) -> Result<Identity, LoginError> {
        let open_id = info.open_id.filter(|id| !id.is_empty());
        let user_id = info
            .user_id
            .filter(|id| !id.is_empty())
            .or_else(|| open_id.clone())
            .ok_or_else(|| {
                garbled(Detail::new(
                    "user_info answered without user_id or open_id",
                    "user_info 的应答中既没有 user_id 也没有 open_id",
                ))
            })?;
        let mut extra = serde_json::Map::new();
        for (key, value) in [("en_name", info.en_name), ("avatar_url", info.avatar_url)] {
            if let Some(value) = value.filter(|value| !value.is_empty()) {
                extra.insert(key.to_owned(), Value::String(value));
            }
        }
        Ok(Identity::new(IdentityFields {
            provider: self.kind,
            user_id,
            union_id: info.union_id.filter(|id| !id.is_empty()),
            open_id,
            name: info.name.filter(|name| !name.is_empty()),
            tenant: info.tenant_key.filter(|key| !key.is_empty()),
            is_admin: false,
            extra,
        }))
    }

    async fn exchange_code(
        &self,
        code: &AuthCode,
        tokens: &TokenCache,
    ) -> Result<Exchanged, LoginError> {
        let grant = match self.oauth {
            FeishuOAuth::V1 => {
                let key = self.cache_key();
                let fetch = || self.fetch_token();
                with_app_token(tokens, &key, TOKEN_INVALID, fetch, |app_token| async move {
                    let body = serde_json::json!({
                        "grant_type": "authorization_code",
                        "code": code.expose(),
                    });
                    self.oidc_grant(&app_token, "access_token", body).await
                })
                .await?
            }
            FeishuOAuth::V2 => {
                self.v2_grant([
                    ("grant_type", "authorization_code"),
                    ("code", code.expose()),
                ])
                .await?
            }
        };
        let identity = self.user_info(&grant.access_token).await?;
        Ok(Exchanged {
            identity,
            grant: Some(grant),
        })
    }

    async fn refresh(
        &self,
        refresh: &RefreshToken,
        tokens: &TokenCache,
    ) -> Result<UserGrant, LoginError> {
        match self.oauth {
            FeishuOAuth::V1 => {
                let key = self.cache_key();
                let fetch = || self.fetch_token();
                with_app_token(tokens, &key, TOKEN_INVALID, fetch, |app_token| async move {
                    let body = serde_json::json!({
                        "grant_type": "refresh_token",
                        "refresh_token": refresh.expose(),
                    });
                    self.oidc_grant(&app_token, "refresh_access_token", body)
                        .await
                })
                .await
            }
            FeishuOAuth::V2 => {
                self.v2_grant([
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.expose()),
                ])
                .await
            }
        }
    }
}

impl Provider for Feishu {
    fn kind(&self) -> ProviderKind {
        self.kind
    }

    fn app_id(&self) -> &str {
        &self.app_id
    }

    fn exchange<'a>(&'a self, code: &'a AuthCode, tokens: &'a TokenCache) -> ExchangeFuture<'a> {
        Box::pin(async move { Ok(self.exchange_code(code, tokens).await?.identity) })
    }

    fn exchange_grant<'a>(&'a self, code: &'a AuthCode, tokens: &'a TokenCache) -> GrantFuture<'a> {
        Box::pin(self.exchange_code(code, tokens))
    }

    fn issues_user_tokens(&self) -> bool {
        true
    }

    fn refresh_user_token<'a>(
        &'a self,
        refresh: &'a RefreshToken,
        tokens: &'a TokenCache,
    ) -> RefreshFuture<'a> {
        Box::pin(self.refresh(refresh, tokens))
    }

    fn check_settings(&self) -> Result<(), Error> {
        let (platform, platform_zh) = if self.kind == ProviderKind::Lark {
            ("Lark", "Lark")
        } else {
            ("Feishu", "飞书")
        };
        let setting = |name: &str| {
            (
                format!("the {platform} {name}"),
                format!("{platform_zh} {name}"),
            )
        };
        let mut problems = Problems::default();
        let (en, zh) = setting("App ID");
        problems.non_empty((&en, &zh), &self.app_id);
        let (en, zh) = setting("App Secret");
        problems.non_empty((&en, &zh), self.secret.expose());
        let (en, zh) = setting("api_base");
        problems.http_url((&en, &zh), &self.api_base);
        problems.check()
    }

    fn code_already_used(&self) -> LoginError {
        let error = match self.oauth {
            FeishuOAuth::V1 => LoginError::new(FeishuCode::AuthCodeInvalid),
            FeishuOAuth::V2 => LoginError::new(FeishuCode::AuthCodeAlreadyUsed),
        };
        error
            .with_cause("code_used")
            .with_detail(already_presented())
    }
}

fn check(
    code: Option<i64>,
    msg: String,
    error: Option<ErrorObject>,
    header_log_id: Option<String>,
) -> Result<(), LoginError> {
    match code {
        Some(0) => Ok(()),
        None => Err(garbled(Detail::new(
            "the answer has no `code`",
            "应答中没有 `code`",
        ))),
        Some(errcode) => {
            let request_id = error.and_then(|error| error.log_id).or(header_log_id);
            Err(LoginError::from_platform(
                ProviderKind::Feishu,
                Upstream {
                    errcode,
                    errmsg: msg,
                    request_id,
                },
            ))
        }
    }
}

impl Envelope for TokenEnvelope {
    fn has_code(&self) -> bool {
        self.code.is_some()
    }
}

impl<T: serde::de::DeserializeOwned> Envelope for DataEnvelope<T> {
    fn has_code(&self) -> bool {
        self.code.is_some()
    }
}

/// `auth/v3/*_access_token*`: flat, no `data`.
#[derive(Debug, Deserialize)]
struct TokenEnvelope {
    code: Option<i64>,
    #[serde(default)]
    msg: String,
    app_access_token: Option<String>,
    expire: Option<u64>,
}

/// Most OpenAPI answers: `{code, msg, data}`, with `error.log_id` on failure.
#[derive(Debug, Deserialize)]
struct DataEnvelope<T> {
    code: Option<i64>,
    #[serde(default)]
    msg: String,
    data: Option<T>,
    error: Option<ErrorObject>,
}

#[derive(Debug, Deserialize)]
struct ErrorObject {
    log_id: Option<String>,
}

/// The token fields of `authen/v1/oidc/*`'s `data`.
#[derive(Debug, Deserialize)]
struct UserTokenData {
    access_token: Option<String>,
    expires_in: Option<u64>,
    refresh_token: Option<String>,
    refresh_expires_in: Option<u64>,
    scope: Option<String>,
}

/// Feishu's user tokens live about two hours ("有效期为 2 小时左右"); when an answer leaves
/// `expires_in` out, assume less.
const USER_TOKEN_FALLBACK_LIFETIME: u64 = 3600;

impl UserTokenData {
    fn into_grant(self) -> Option<UserGrant> {
        let access_token = self.access_token.filter(|token| !token.is_empty())?;
        Some(UserGrant {
            access_token: UserToken::new(access_token),
            expires_in: Duration::from_secs(
                self.expires_in.unwrap_or(USER_TOKEN_FALLBACK_LIFETIME),
            ),
            refresh_token: self
                .refresh_token
                .filter(|token| !token.is_empty())
                .map(RefreshToken::new),
            refresh_expires_in: self.refresh_expires_in.map(Duration::from_secs),
            scope: self.scope,
        })
    }
}

/// `authen/v2/oauth/token`: flat, success `{code: 0, access_token, …}`, failure `{code, error,
/// error_description}` (HTTP 400, 500 for 20050, 503 for 20072).
#[derive(Debug, Deserialize)]
struct OAuthTokenAnswer {
    code: Option<i64>,
    access_token: Option<String>,
    expires_in: Option<u64>,
    refresh_token: Option<String>,
    refresh_token_expires_in: Option<u64>,
    scope: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl OAuthTokenAnswer {
    fn into_grant(self) -> Option<UserGrant> {
        UserTokenData {
            access_token: self.access_token,
            expires_in: self.expires_in,
            refresh_token: self.refresh_token,
            refresh_expires_in: self.refresh_token_expires_in,
            scope: self.scope,
        }
        .into_grant()
    }
}

impl Envelope for OAuthTokenAnswer {
    fn has_code(&self) -> bool {
        self.code.is_some()
    }
}

#[derive(Debug, Deserialize)]
struct UserInfo {
    name: Option<String>,
    en_name: Option<String>,
    avatar_url: Option<String>,
    open_id: Option<String>,
    union_id: Option<String>,
    user_id: Option<String>,
    tenant_key: Option<String>,
}
