//! The emulated platform endpoints and the per-endpoint call counts.
//!
//! Lark has no endpoints of its own here: it is Feishu's API on another host, see `api_of`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use silent_login_catalog::ProviderKind;

/// An emulated platform endpoint; serialized as its path (e.g. `"/gettoken"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// DingTalk `GET /gettoken`.
    DingTalkGetToken,
    /// DingTalk `POST /topapi/v2/user/getuserinfo`.
    DingTalkGetUserInfoV2,
    /// DingTalk legacy `GET /user/getuserinfo`.
    DingTalkGetUserInfoLegacy,
    /// Feishu `POST /open-apis/auth/v3/app_access_token/internal`.
    FeishuAppAccessToken,
    /// Feishu `POST /open-apis/auth/v3/tenant_access_token/internal`.
    FeishuTenantAccessToken,
    /// Feishu historic `POST /open-apis/authen/v1/access_token`.
    FeishuAccessTokenV1,
    /// Feishu `POST /open-apis/authen/v1/oidc/access_token`.
    FeishuOidcAccessToken,
    /// Feishu `GET /open-apis/authen/v1/user_info`.
    FeishuUserInfo,
    /// Feishu `POST /open-apis/authen/v2/oauth/token` (authorization code and refresh token grants).
    FeishuOAuthTokenV2,
    /// Feishu historic `POST /open-apis/authen/v1/oidc/refresh_access_token`.
    FeishuOidcRefreshAccessToken,
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Endpoint; 10] = [
        Self::DingTalkGetToken,
        Self::DingTalkGetUserInfoV2,
        Self::DingTalkGetUserInfoLegacy,
        Self::FeishuAppAccessToken,
        Self::FeishuTenantAccessToken,
        Self::FeishuAccessTokenV1,
        Self::FeishuOidcAccessToken,
        Self::FeishuUserInfo,
        Self::FeishuOAuthTokenV2,
        Self::FeishuOidcRefreshAccessToken,
    ];

    /// The request path, the same as on the real platform.
    pub fn path(&self) -> &'static str {
        match self {
            Self::DingTalkGetToken => "/gettoken",
            Self::DingTalkGetUserInfoV2 => "/topapi/v2/user/getuserinfo",
            Self::DingTalkGetUserInfoLegacy => "/user/getuserinfo",
            Self::FeishuAppAccessToken => "/open-apis/auth/v3/app_access_token/internal",
            Self::FeishuTenantAccessToken => "/open-apis/auth/v3/tenant_access_token/internal",
            Self::FeishuAccessTokenV1 => "/open-apis/authen/v1/access_token",
            Self::FeishuOidcAccessToken => "/open-apis/authen/v1/oidc/access_token",
            Self::FeishuUserInfo => "/open-apis/authen/v1/user_info",
            Self::FeishuOAuthTokenV2 => "/open-apis/authen/v2/oauth/token",
            Self::FeishuOidcRefreshAccessToken => "/open-apis/authen/v1/oidc/refresh_access_token",
        }
    }

    /// The endpoint served at `path`, if any.
    pub fn from_path(path: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.path() == path)
    }

    /// The platform the endpoint belongs to.
    pub fn provider(&self) -> ProviderKind {
        match self {
            Self::DingTalkGetToken
            | Self::DingTalkGetUserInfoV2
            | Self::DingTalkGetUserInfoLegacy => ProviderKind::DingTalk,
            _ => ProviderKind::Feishu,
        }
    }
}

/// The provider whose endpoints serve `provider`: Lark is Feishu's API on another host, so the
/// emulator files Lark's codes and visibility under Feishu.
pub(crate) fn api_of(provider: ProviderKind) -> ProviderKind {
    match provider {
        ProviderKind::DingTalk => ProviderKind::DingTalk,
        ProviderKind::Feishu | ProviderKind::Lark => ProviderKind::Feishu,
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

impl Serialize for Endpoint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.path())
    }
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let path = String::deserialize(deserializer)?;
        Self::from_path(&path)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown endpoint path `{path}`")))
    }
}

/// Call counts per endpoint since the start (or the last reset), keyed by path, and refresh
/// requests per Feishu app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Calls per endpoint path; endpoints never called are absent.
    pub calls: BTreeMap<String, u64>,
    /// Feishu user-token refresh requests per app id, successful and refused, faulted ones
    /// included: `grant_type=refresh_token` at `authen/v2/oauth/token` (keyed by the
    /// `client_id` sent) and every call of `authen/v1/oidc/refresh_access_token` (keyed by the
    /// app of its app token, `""` when the token names no app). Apps never refreshed are absent.
    #[serde(default)]
    pub refreshes: BTreeMap<String, u64>,
}

impl Stats {
    /// How many times `endpoint` was called (faulted calls included).
    pub fn calls(&self, endpoint: Endpoint) -> u64 {
        self.calls.get(endpoint.path()).copied().unwrap_or(0)
    }

    /// How many user-token refresh requests named the Feishu app `app_id` (see [`Stats::refreshes`]).
    pub fn refreshes(&self, app_id: &str) -> u64 {
        self.refreshes.get(app_id).copied().unwrap_or(0)
    }
}
