//! Who logged in: the identity the platform vouched for, and which organizations may log in.

use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use silent_login_catalog::SilentLoginCode;

pub use silent_login_catalog::ProviderKind;

use crate::error::{Detail, LoginError};

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
    pub user_id: Arc<str>,
    /// DingTalk `unionid`; Feishu `union_id` (the same across one developer's apps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub union_id: Option<Arc<str>>,
    /// Feishu `open_id` (per app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_id: Option<Arc<str>>,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Arc<str>>,
    /// The organization: DingTalk corp id, Feishu tenant key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<Arc<str>>,
    /// DingTalk `sys` (an administrator of the organization).
    #[serde(default)]
    pub is_admin: bool,
    /// Other fields of the platform's answer (`sys_level`, `en_name`, `avatar_url`, …).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: Arc<serde_json::Map<String, serde_json::Value>>,
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

/// The organizations whose users may log in (DingTalk corp ids, Feishu tenant keys); any, when
/// no list was given. Checked at login and again on every request, so a session issued before
/// the list changed stops working.
#[derive(Clone, Debug, Default)]
pub(crate) struct AllowedTenants(Option<HashSet<String>>);

impl AllowedTenants {
    pub(crate) fn only<I, T>(tenants: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        Self(Some(tenants.into_iter().map(Into::into).collect()))
    }

    /// Whether a list was given.
    pub(crate) fn is_restricted(&self) -> bool {
        self.0.is_some()
    }

    /// Refuses an identity of an organization that is not on the list.
    pub(crate) fn check(&self, identity: &Identity) -> Result<(), LoginError> {
        let Some(allowed) = &self.0 else {
            return Ok(());
        };
        match identity.tenant.as_deref() {
            Some(tenant) if allowed.contains(tenant) => Ok(()),
            tenant => {
                let zh = match tenant {
                    Some(tenant) => format!("组织 `{tenant}` 不在允许的列表中"),
                    None => "组织 `(none)`（平台没有给出组织）不在允许的列表中".to_owned(),
                };
                let en = format!(
                    "organization `{}` is not in the allowed list",
                    tenant.unwrap_or("(none)")
                );
                Err(LoginError::new(SilentLoginCode::TenantNotAllowed)
                    .with_detail(Detail::new(en, zh)))
            }
        }
    }
}
