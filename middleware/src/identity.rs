//! Who logged in: the identity the platform vouched for.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which open platform a login went through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// DingTalk (钉钉).
    DingTalk,
    /// Feishu (飞书), `open.feishu.cn`.
    Feishu,
    /// Lark, Feishu's international edition, `open.larksuite.com`.
    Lark,
}

impl ProviderKind {
    /// `dingtalk`, `feishu` or `lark`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProviderKind::DingTalk => "dingtalk",
            ProviderKind::Feishu => "feishu",
            ProviderKind::Lark => "lark",
        }
    }

    /// The error catalog this platform's codes live in (Feishu and Lark share one).
    pub const fn catalog(self) -> &'static str {
        match self {
            ProviderKind::DingTalk => "dingtalk",
            ProviderKind::Feishu | ProviderKind::Lark => "feishu",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verified user. Handlers receive it from the request extensions (or as an axum extractor).
///
/// ```
/// # use silent_login::{Identity, ProviderKind};
/// async fn me(user: Identity) -> String {
///     format!("hello {} of {}", user.user_id, user.tenant.as_deref().unwrap_or("?"))
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The platform that vouched for the user.
    pub provider: ProviderKind,
    /// DingTalk `userid` (unique within the organization); Feishu `user_id` when the app may read
    /// it, else the `open_id`.
    pub user_id: String,
    /// DingTalk `unionid`; Feishu `union_id` (the same across one developer's apps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub union_id: Option<String>,
    /// Feishu `open_id` (per app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_id: Option<String>,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The organization: DingTalk corp id, Feishu tenant key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// DingTalk `sys` (an administrator of the organization).
    #[serde(default)]
    pub is_admin: bool,
    /// Other fields of the platform's answer (`sys_level`, `en_name`, `avatar_url`, …).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Identity {
    /// A key that is unique across providers and organizations: `provider:tenant:user_id`.
    pub fn key(&self) -> String {
        format!(
            "{}:{}:{}",
            self.provider,
            self.tenant.as_deref().unwrap_or(""),
            self.user_id
        )
    }
}
