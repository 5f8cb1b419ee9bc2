//! The people of an emulated organization: [`MockUser`] and its [`UserStatus`].
//!
//! One user serves both platforms; the platform-specific ids are derived from its `id`.

use serde::{Deserialize, Serialize};

use crate::demo_ids::{DINGTALK_CORP_ID, FEISHU_TENANT_KEY};

/// The employment status of a mock user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Can sign in.
    #[default]
    Active,
    /// Has left the organization (code exchange: DingTalk 40079, Feishu 20021).
    Resigned,
    /// Account frozen (code exchange: DingTalk 40079, Feishu 20022).
    Frozen,
}

/// A person in an emulated organization, the same on both platforms.
///
/// Derived identifiers: Feishu `open_id` = `ou_<id>`, `union_id` = `on_<id>`, `user_id` = `<id>`;
/// DingTalk `userid` = `<id>`, `unionid` = `union-<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MockUser {
    /// The user id (DingTalk `userid`, Feishu `user_id`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// English name (Feishu `en_name`); empty when unset.
    #[serde(default)]
    pub en_name: String,
    /// Whether the user is inside the apps' visible scope (per provider, see
    /// [`MockPlatform::set_visible`](crate::MockPlatform::set_visible)).
    #[serde(default = "yes")]
    pub visible: bool,
    /// Organization admin (DingTalk `sys: true`, `sys_level: 1`).
    #[serde(default)]
    pub admin: bool,
    /// Employment status.
    #[serde(default)]
    pub status: UserStatus,
    /// The DingTalk organization the user belongs to.
    #[serde(default = "demo_corp")]
    pub corp_id: String,
    /// The Feishu tenant the user belongs to.
    #[serde(default = "demo_tenant")]
    pub tenant_key: String,
}

fn yes() -> bool {
    true
}

fn demo_corp() -> String {
    DINGTALK_CORP_ID.to_owned()
}

fn demo_tenant() -> String {
    FEISHU_TENANT_KEY.to_owned()
}

impl MockUser {
    /// An active, visible, non-admin user of the demo corp and tenant.
    pub fn new(id: &str, name: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            en_name: String::new(),
            visible: true,
            admin: false,
            status: UserStatus::Active,
            corp_id: demo_corp(),
            tenant_key: demo_tenant(),
        }
    }

    /// Sets the English name.
    #[must_use]
    pub fn en_name(mut self, en_name: &str) -> Self {
        en_name.clone_into(&mut self.en_name);
        self
    }

    /// Sets whether the user is inside the visible scope (both providers).
    #[must_use]
    pub fn visible(mut self, visible: bool) -> Self {
        self.visible = visible;
        self
    }

    /// Makes the user an organization admin.
    #[must_use]
    pub fn admin(mut self, admin: bool) -> Self {
        self.admin = admin;
        self
    }

    /// Sets the employment status.
    #[must_use]
    pub fn status(mut self, status: UserStatus) -> Self {
        self.status = status;
        self
    }

    /// Moves the user to another DingTalk corp.
    #[must_use]
    pub fn corp(mut self, corp_id: &str) -> Self {
        corp_id.clone_into(&mut self.corp_id);
        self
    }

    /// Moves the user to another Feishu tenant.
    #[must_use]
    pub fn tenant(mut self, tenant_key: &str) -> Self {
        tenant_key.clone_into(&mut self.tenant_key);
        self
    }

    /// Feishu `open_id`.
    pub fn open_id(&self) -> String {
        format!("ou_{}", self.id)
    }

    /// Feishu `union_id`.
    pub fn union_id(&self) -> String {
        format!("on_{}", self.id)
    }

    /// DingTalk `unionid`.
    pub fn dingtalk_unionid(&self) -> String {
        format!("union-{}", self.id)
    }
}
