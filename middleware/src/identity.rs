//! Who logged in: the identity the platform vouched for, and which organizations may log in.

use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use silent_login_catalog::SilentLoginCode;

pub use silent_login_catalog::ProviderKind;

use crate::error::{Detail, LoginError};

/// A verified user. Handlers receive it from the request extensions (or as an axum extractor).
///
/// A handle to the [`IdentityFields`] the platform vouched for, read through it as if they were
/// its own (`user.user_id`, `user.tenant`); one `Arc`, so handing it to every request and every
/// handler copies nothing.
///
/// ```
/// # use silent_login::{Identity, ProviderKind};
/// async fn me(user: Identity) -> String {
///     format!("hello {} of {}", user.user_id, user.tenant.as_deref().unwrap_or("?"))
/// }
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Identity(Arc<IdentityFields>);

/// What the platform said about a user: the fields of an [`Identity`].
///
/// ```
/// # use silent_login::{Identity, IdentityFields, ProviderKind};
/// let user = Identity::new(IdentityFields {
///     provider: ProviderKind::DingTalk,
///     user_id: "alice".into(),
///     union_id: None,
///     open_id: None,
///     name: Some("Alice".into()),
///     tenant: Some("dingcorp".into()),
///     is_admin: false,
///     extra: Default::default(),
/// });
/// assert_eq!(user.key(), "dingtalk:dingcorp:alice");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityFields {
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
    /// The identity of `fields`.
    pub fn new(fields: IdentityFields) -> Self {
        Self(Arc::new(fields))
    }

    /// The fields, to change: copied first when other handles share them.
    pub fn fields_mut(&mut self) -> &mut IdentityFields {
        Arc::make_mut(&mut self.0)
    }

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

impl std::ops::Deref for Identity {
    type Target = IdentityFields;

    fn deref(&self) -> &IdentityFields {
        &self.0
    }
}

impl From<IdentityFields> for Identity {
    fn from(fields: IdentityFields) -> Self {
        Self::new(fields)
    }
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
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
