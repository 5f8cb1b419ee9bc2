//! DingTalk (钉钉): H5 micro app and mini program codes, `gettoken` + `topapi/v2/user/getuserinfo`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use silent_login_catalog::DingTalkCode;

use super::{
    already_presented, garbled, timed, trim_base, with_app_token, ExchangeFuture, Provider,
};
use crate::error::{Detail, Error, LoginError, Upstream};
use crate::identity::{Identity, IdentityFields, ProviderKind};
use crate::misconfig::Problems;
use crate::secret::{AppSecret, AppToken, AuthCode};
use crate::token_cache::{FetchedToken, TokenCache};
use crate::upstream::{Envelope as PlatformEnvelope, HttpClient, HttpConfig};

/// The public DingTalk API host.
pub const DINGTALK_API_BASE: &str = "https://oapi.dingtalk.com";

/// Codes that mean "this app token is no good": evict it, fetch another, retry once.
/// 40014 invalid, 42001 expired (reported as 40014 in practice), 40001 secret or token invalid.
const TOKEN_INVALID: &[i64] = &[40014, 42001, 40001];

/// DingTalk silent login for an internal app (H5 micro app or mini program).
///
/// ```
/// use silent_login::DingTalk;
/// let dingtalk = DingTalk::new("dingappkey", "app-secret").corp_id("dingcorp");
/// # let _ = dingtalk;
/// ```
#[derive(Clone, Debug)]
pub struct DingTalk {
    app_key: String,
    secret: AppSecret,
    corp_id: Option<String>,
    api_base: String,
    http: HttpClient,
}

impl DingTalk {
    /// An app with its `AppKey` and `AppSecret` (开发者后台 → 凭证与基础信息). An empty one is
    /// a misconfiguration the layer refuses to start with.
    pub fn new(app_key: impl Into<String>, app_secret: impl Into<String>) -> Self {
        Self {
            app_key: app_key.into(),
            secret: AppSecret::new(app_secret),
            corp_id: None,
            api_base: DINGTALK_API_BASE.to_owned(),
            http: HttpClient::new(HttpConfig::default()),
        }
    }

    /// The organization's `corpId`; it becomes the identity's `tenant`.
    #[must_use]
    pub fn corp_id(mut self, corp_id: impl Into<String>) -> Self {
        self.corp_id = Some(corp_id.into());
        self
    }

    /// Another API host: the emulator, a proxy (default `https://oapi.dingtalk.com`). Anything
    /// but an http(s) URL is a misconfiguration the layer refuses to start with.
    #[must_use]
    pub fn api_base(mut self, base: impl Into<String>) -> Self {
        self.api_base = trim_base(base);
        self
    }

    /// Timeouts and limits of the calls to DingTalk.
    #[must_use]
    pub fn http_config(mut self, config: HttpConfig) -> Self {
        self.http = HttpClient::new(config);
        self
    }

    fn cache_key(&self) -> String {
        format!(
            "dingtalk:{}:{}:{}",
            self.api_base,
            self.app_key,
            self.secret.fingerprint()
        )
    }

    async fn fetch_token(&self) -> Result<FetchedToken, LoginError> {
        let url = format!("{}/gettoken", self.api_base);
        let request = self.http.get(&url).query(&[
            ("appkey", self.app_key.as_str()),
            ("appsecret", self.secret.expose()),
        ]);
        let response = timed(
            "dingtalk.gettoken",
            self.http.send_json::<Envelope>(request),
        )
        .await?;
        let body = response.body.into_result(response.request_id)?;
        let token = body
            .access_token
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                garbled(Detail::new(
                    "gettoken answered without access_token",
                    "gettoken 的应答中没有 access_token",
                ))
            })?;
        Ok(FetchedToken {
            token: AppToken::new(token),
            expires_in: Duration::from_secs(body.expires_in.unwrap_or(7200)),
        })
    }

    async fn user_info(&self, token: &AppToken, code: &AuthCode) -> Result<Identity, LoginError> {
        let url = format!("{}/topapi/v2/user/getuserinfo", self.api_base);
        let request = self
            .http
            .post(&url)
            .query(&[("access_token", token.expose())])
            .json(&serde_json::json!({ "code": code.expose() }));
        let response = timed(
            "dingtalk.getuserinfo",
            self.http.send_json::<Envelope>(request),
        )
        .await?;
        let body = response.body.into_result(response.request_id)?;
        let result = body.result.ok_or_else(|| {
            garbled(Detail::new(
                "getuserinfo answered without result",
                "getuserinfo 的应答中没有 result",
            ))
        })?;
        self.identity(result)
    }

    fn identity(&self, result: UserInfo) -> Result<Identity, LoginError> {
        let user_id = result.userid.filter(|id| !id.is_empty()).ok_or_else(|| {
            garbled(Detail::new(
                "getuserinfo answered without userid",
                "getuserinfo 的应答中没有 userid",
            ))
        })?;
        let mut extra = serde_json::Map::new();
        for (key, value) in [
            ("sys_level", result.sys_level),
            ("device_id", result.device_id),
            ("associated_unionid", result.associated_unionid),
        ] {
            if let Some(value) =
                value.filter(|value| !value.is_null() && value.as_str() != Some(""))
            {
                extra.insert(key.to_owned(), value);
            }
        }
        Ok(Identity::new(IdentityFields {
            provider: ProviderKind::DingTalk,
            user_id,
            union_id: result.unionid.filter(|id| !id.is_empty()),
            open_id: None,
            name: result.name.filter(|name| !name.is_empty()),
            tenant: self.corp_id.clone(),
            is_admin: result.sys.unwrap_or(false),
            extra,
        }))
    }

    async fn exchange_code(
        &self,
        code: &AuthCode,
        tokens: &TokenCache,
    ) -> Result<Identity, LoginError> {
        let key = self.cache_key();
        let fetch = || self.fetch_token();
        with_app_token(tokens, &key, TOKEN_INVALID, fetch, |token| async move {
            self.user_info(&token, code).await
        })
        .await
    }
}

impl Provider for DingTalk {
    fn kind(&self) -> ProviderKind {
        ProviderKind::DingTalk
    }

    fn app_id(&self) -> &str {
        &self.app_key
    }

    fn exchange<'a>(&'a self, code: &'a AuthCode, tokens: &'a TokenCache) -> ExchangeFuture<'a> {
        Box::pin(self.exchange_code(code, tokens))
    }

    fn check_settings(&self) -> Result<(), Error> {
        let mut problems = Problems::default();
        problems.non_empty(("the DingTalk AppKey", "钉钉 AppKey"), &self.app_key);
        problems.non_empty(
            ("the DingTalk AppSecret", "钉钉 AppSecret"),
            self.secret.expose(),
        );
        if let Some(corp_id) = &self.corp_id {
            problems.non_empty(("the DingTalk corpId", "钉钉 corpId"), corp_id);
        }
        problems.http_url(("the DingTalk api_base", "钉钉 api_base"), &self.api_base);
        problems.check()
    }

    fn code_already_used(&self) -> LoginError {
        LoginError::new(DingTalkCode::TmpAuthCodeNotFound)
            .with_cause("code_used")
            .with_detail(already_presented())
    }
}

/// The flat legacy envelope: `{errcode, errmsg, …payload}`.
#[derive(Debug, Deserialize)]
struct Envelope {
    errcode: Option<i64>,
    #[serde(default)]
    errmsg: String,
    access_token: Option<String>,
    expires_in: Option<u64>,
    result: Option<UserInfo>,
    request_id: Option<String>,
    sub_code: Option<Value>,
}

impl PlatformEnvelope for Envelope {
    fn has_code(&self) -> bool {
        self.errcode.is_some()
    }
}

impl Envelope {
    fn into_result(self, header_request_id: Option<String>) -> Result<Self, LoginError> {
        match self.errcode {
            None | Some(0) => Ok(self),
            Some(errcode) => {
                // 88 is "auth exception"; the real reason is in sub_code.
                let errcode = match (errcode, self.sub_code.as_ref()) {
                    (88, Some(Value::Number(sub))) => sub.as_i64().unwrap_or(88),
                    (88, Some(Value::String(sub))) => sub.parse().unwrap_or(88),
                    _ => errcode,
                };
                let upstream = Upstream {
                    errcode,
                    errmsg: self.errmsg,
                    request_id: self.request_id.or(header_request_id),
                };
                Err(LoginError::from_platform(ProviderKind::DingTalk, upstream))
            }
        }
    }
}

/// `result` of `topapi/v2/user/getuserinfo`, read leniently (types drift between versions).
#[derive(Debug, Deserialize)]
struct UserInfo {
    userid: Option<String>,
    unionid: Option<String>,
    name: Option<String>,
    sys: Option<bool>,
    sys_level: Option<Value>,
    device_id: Option<Value>,
    associated_unionid: Option<Value>,
}
