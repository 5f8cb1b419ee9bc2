//! The apps registered with the emulator: a DingTalk internal app and a Feishu self-built app.
//!
//! Their `Debug` hides the secret, so a test's log never shows it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::demo_ids::{DINGTALK_CORP_ID, FEISHU_TENANT_KEY};

/// A DingTalk internal app (企业内部应用).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DingTalkApp {
    /// `appkey`.
    pub app_key: String,
    /// `appsecret`.
    pub app_secret: String,
    /// The organization (`corpId`) the app belongs to.
    #[serde(default = "demo_corp")]
    pub corp_id: String,
}

fn demo_corp() -> String {
    DINGTALK_CORP_ID.to_owned()
}

impl DingTalkApp {
    /// An app of `corp_id`.
    pub fn new(app_key: &str, app_secret: &str, corp_id: &str) -> Self {
        Self {
            app_key: app_key.to_owned(),
            app_secret: app_secret.to_owned(),
            corp_id: corp_id.to_owned(),
        }
    }
}

impl fmt::Debug for DingTalkApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DingTalkApp")
            .field("app_key", &self.app_key)
            .field("app_secret", &"***")
            .field("corp_id", &self.corp_id)
            .finish()
    }
}

/// A Feishu/Lark self-built app (自建应用).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeishuApp {
    /// `app_id` (`cli_…`).
    pub app_id: String,
    /// `app_secret`.
    pub app_secret: String,
    /// The tenant the app is installed in.
    #[serde(default = "demo_tenant")]
    pub tenant_key: String,
    /// Whether the app has the `offline_access` scope and the "refresh user_access_token" switch
    /// of its security settings on (default `true`: the platform says the switch is on unless the
    /// console shows it). Without it `authen/v2/oauth/token` issues no `refresh_token` and
    /// refuses a refresh with 20074; the historic oidc endpoints ignore it.
    #[serde(default = "yes")]
    pub offline_access: bool,
}

fn demo_tenant() -> String {
    FEISHU_TENANT_KEY.to_owned()
}

fn yes() -> bool {
    true
}

impl FeishuApp {
    /// An app of `tenant_key`, with `offline_access`.
    pub fn new(app_id: &str, app_secret: &str, tenant_key: &str) -> Self {
        Self {
            app_id: app_id.to_owned(),
            app_secret: app_secret.to_owned(),
            tenant_key: tenant_key.to_owned(),
            offline_access: true,
        }
    }

    /// The same app with or without `offline_access` (see [`FeishuApp::offline_access`]).
    #[must_use]
    pub fn offline_access(mut self, offline_access: bool) -> Self {
        self.offline_access = offline_access;
        self
    }
}

impl fmt::Debug for FeishuApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeishuApp")
            .field("app_id", &self.app_id)
            .field("app_secret", &"***")
            .field("tenant_key", &self.tenant_key)
            .field("offline_access", &self.offline_access)
            .finish()
    }
}
