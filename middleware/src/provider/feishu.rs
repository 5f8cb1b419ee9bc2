//! Feishu (飞书) and Lark web apps: `app_access_token/internal`, `authen/v1/oidc/access_token`,
//! `authen/v1/user_info`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use silent_login_catalog::FeishuCode;

use super::{
    already_presented, garbled, timed, trim_base, with_app_token, ExchangeFuture, Provider,
};
use crate::error::{Detail, Error, LoginError, Upstream};
use crate::identity::{Identity, ProviderKind};
use crate::misconfig::Problems;
use crate::secret::{AppSecret, AppToken, AuthCode, UserToken};
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

    async fn user_access_token(
        &self,
        app_token: &AppToken,
        code: &AuthCode,
    ) -> Result<UserToken, LoginError> {
        let url = format!("{}/open-apis/authen/v1/oidc/access_token", self.api_base);
        let request = self.http.post(&url).bearer_auth(app_token.expose()).json(
            &serde_json::json!({ "grant_type": "authorization_code", "code": code.expose() }),
        );
        let response = timed(
            "feishu.oidc_access_token",
            self.http.send_json::<DataEnvelope<UserTokenData>>(request),
        )
        .await?;
        let body = response.body;
        check(body.code, body.msg, body.error, response.request_id)?;
        let token = body
            .data
            .and_then(|data| data.access_token)
            .filter(|token| !token.is_empty());
        token.map(UserToken::new).ok_or_else(|| {
            garbled(Detail::new(
                "oidc/access_token answered without access_token",
                "oidc/access_token 的应答中没有 access_token",
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
        Ok(Identity {
            provider: self.kind,
            user_id,
            union_id: info.union_id.filter(|id| !id.is_empty()),
            open_id,
            name: info.name.filter(|name| !name.is_empty()),
            tenant: info.tenant_key.filter(|key| !key.is_empty()),
            is_admin: false,
            extra,
        })
    }

    async fn exchange_code(
        &self,
        code: &AuthCode,
        tokens: &TokenCache,
    ) -> Result<Identity, LoginError> {
        let key = self.cache_key();
        let fetch = || self.fetch_token();
        let user_token =
            with_app_token(tokens, &key, TOKEN_INVALID, fetch, |app_token| async move {
                self.user_access_token(&app_token, code).await
            })
            .await?;
        self.user_info(&user_token).await
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
        Box::pin(self.exchange_code(code, tokens))
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
        LoginError::new(FeishuCode::AuthCodeInvalid)
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

#[derive(Debug, Deserialize)]
struct UserTokenData {
    access_token: Option<String>,
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
