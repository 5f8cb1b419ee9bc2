//! Who exists: the registered apps, the users, and per-provider overrides of who sees the apps.
//!
//! Lark shares Feishu's overrides, since it is the same API on another host.

use std::collections::{BTreeMap, HashMap};

use silent_login_catalog::ProviderKind;

use crate::app::{DingTalkApp, FeishuApp};
use crate::endpoint::api_of;
use crate::user::MockUser;

/// Apps and users, keyed by their ids.
#[derive(Debug, Default)]
pub(super) struct Directory {
    dingtalk_apps: BTreeMap<String, DingTalkApp>,
    feishu_apps: BTreeMap<String, FeishuApp>,
    users: BTreeMap<String, MockUser>,
    visibility: HashMap<(ProviderKind, String), bool>,
}

impl Directory {
    pub(super) fn add_dingtalk_app(&mut self, app: DingTalkApp) {
        self.dingtalk_apps.insert(app.app_key.clone(), app);
    }

    pub(super) fn add_feishu_app(&mut self, app: FeishuApp) {
        self.feishu_apps.insert(app.app_id.clone(), app);
    }

    /// Adds or replaces a user; per-provider visibility overrides for that id are dropped.
    pub(super) fn add_user(&mut self, user: MockUser) {
        self.visibility.retain(|(_, id), _| *id != user.id);
        self.users.insert(user.id.clone(), user);
    }

    pub(super) fn set_visible(&mut self, provider: ProviderKind, user: &str, visible: bool) {
        self.visibility
            .insert((api_of(provider), user.to_owned()), visible);
    }

    /// Whether `user` is inside the visible scope of `provider`'s apps.
    pub(super) fn is_visible(&self, provider: ProviderKind, user: &MockUser) -> bool {
        self.visibility
            .get(&(api_of(provider), user.id.clone()))
            .copied()
            .unwrap_or(user.visible)
    }

    pub(super) fn dingtalk_app(&self, app_key: &str) -> Option<&DingTalkApp> {
        self.dingtalk_apps.get(app_key)
    }

    /// Every DingTalk `app_key`, in order.
    pub(super) fn dingtalk_app_keys(&self) -> impl Iterator<Item = &str> {
        self.dingtalk_apps.keys().map(String::as_str)
    }

    /// Sets the app's `offline_access`; `false` when there is no such app.
    pub(super) fn set_offline_access(&mut self, app_id: &str, offline_access: bool) -> bool {
        self.feishu_apps
            .get_mut(app_id)
            .map(|app| app.offline_access = offline_access)
            .is_some()
    }

    pub(super) fn feishu_app(&self, app_id: &str) -> Option<&FeishuApp> {
        self.feishu_apps.get(app_id)
    }

    /// Every Feishu `app_id`, in order.
    pub(super) fn feishu_app_ids(&self) -> impl Iterator<Item = &str> {
        self.feishu_apps.keys().map(String::as_str)
    }

    pub(super) fn user(&self, id: &str) -> Option<&MockUser> {
        self.users.get(id)
    }

    /// Every user, by id.
    pub(super) fn users(&self) -> impl Iterator<Item = &MockUser> {
        self.users.values()
    }
}
