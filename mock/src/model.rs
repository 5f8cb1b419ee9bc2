//! The platform's data model: providers, apps, users, code kinds and the JSAPI's answers.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::demo;

/// Which open platform a request, a code or a user view belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// DingTalk (钉钉), `oapi.dingtalk.com`.
    DingTalk,
    /// Feishu (飞书) and Lark, `open.feishu.cn` / `open.larksuite.com`.
    Feishu,
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DingTalk => "dingtalk",
            Self::Feishu => "feishu",
        })
    }
}

/// The front-end API a code came from. Only some kinds are accepted by the silent-login exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    /// DingTalk H5 micro app: `dd.runtime.permission.requestAuthCode` (accepted).
    H5,
    /// DingTalk mini program: `dd.getAuthCode` (accepted).
    MiniProgram,
    /// DingTalk admin-console SSO code (refused by `getuserinfo` with 40078).
    AdminConsole,
    /// DingTalk browser / QR OAuth code (refused by `getuserinfo` with 40078).
    BrowserOAuth,
    /// Feishu web app: `tt.requestAuthCode` / `tt.requestAccess` (accepted).
    FeishuWebApp,
    /// Feishu gadget (mini program): `tt.login` (refused by the authen endpoints with 20007).
    FeishuGadget,
}

impl CodeKind {
    /// The provider whose client issues codes of this kind.
    pub fn provider(self) -> Provider {
        match self {
            Self::H5 | Self::MiniProgram | Self::AdminConsole | Self::BrowserOAuth => {
                Provider::DingTalk
            }
            Self::FeishuWebApp | Self::FeishuGadget => Provider::Feishu,
        }
    }

    /// Whether the silent-login exchange endpoint of its provider accepts this kind.
    pub fn is_silent_login(self) -> bool {
        matches!(self, Self::H5 | Self::MiniProgram | Self::FeishuWebApp)
    }
}

/// A request to mint a one-time code, as the client's JSAPI would for a signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintCode {
    /// The platform.
    pub provider: Provider,
    /// The app: DingTalk `app_key` or Feishu `app_id`.
    pub app: String,
    /// The user: the mock user's id (DingTalk `userid`; Feishu `user_id`, `ou_<id>` as open_id).
    pub user: String,
    /// The front-end API that produced the code.
    pub kind: CodeKind,
}

impl MintCode {
    /// A DingTalk H5 code for `user` in the demo app.
    pub fn dingtalk(user: &str) -> Self {
        Self {
            provider: Provider::DingTalk,
            app: demo::DINGTALK_APP_KEY.to_owned(),
            user: user.to_owned(),
            kind: CodeKind::H5,
        }
    }

    /// A Feishu web-app code for `user` in the demo app.
    pub fn feishu(user: &str) -> Self {
        Self {
            provider: Provider::Feishu,
            app: demo::FEISHU_APP_ID.to_owned(),
            user: user.to_owned(),
            kind: CodeKind::FeishuWebApp,
        }
    }

    /// The same request for another app (`app_key` or `app_id`).
    #[must_use]
    pub fn with_app(mut self, app: &str) -> Self {
        app.clone_into(&mut self.app);
        self
    }

    /// The same request from another front-end API.
    #[must_use]
    pub fn with_kind(mut self, kind: CodeKind) -> Self {
        self.kind = kind;
        self
    }
}

/// A front-end JSAPI failure: what `onFail` / `fail` would receive instead of a code.
///
/// Serializes as the real fail shapes: DingTalk `{"errorCode":3,"errorMessage":"…"}`,
/// Feishu `{"errCode":10228,"errMsg":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsapiError {
    /// Whose client failed (decides the serialized shape).
    pub provider: Provider,
    /// The JSAPI error code (e.g. Feishu 10228, DingTalk 3).
    pub code: i64,
    /// The error message.
    pub message: String,
}

impl JsapiError {
    pub(crate) fn dingtalk(code: i64, message: impl Into<String>) -> Self {
        Self {
            provider: Provider::DingTalk,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn feishu(code: i64, message: impl Into<String>) -> Self {
        Self {
            provider: Provider::Feishu,
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for JsapiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} jsapi error {}: {}",
            self.provider, self.code, self.message
        )
    }
}

impl std::error::Error for JsapiError {}

impl Serialize for JsapiError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (code_key, message_key) = match self.provider {
            Provider::DingTalk => ("errorCode", "errorMessage"),
            Provider::Feishu => ("errCode", "errMsg"),
        };
        let mut s = serializer.serialize_struct("JsapiError", 2)?;
        s.serialize_field(code_key, &self.code)?;
        s.serialize_field(message_key, &self.message)?;
        s.end()
    }
}

/// The employment status of a mock user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Can sign in.
    #[default]
    Active,
    /// Has left the organization (Feishu 20021; the DingTalk client refuses to mint).
    Resigned,
    /// Account frozen (Feishu 20022; the DingTalk client refuses to mint).
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
    demo::DINGTALK_CORP_ID.to_owned()
}

fn demo_tenant() -> String {
    demo::FEISHU_TENANT_KEY.to_owned()
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
}

impl FeishuApp {
    /// An app of `tenant_key`.
    pub fn new(app_id: &str, app_secret: &str, tenant_key: &str) -> Self {
        Self {
            app_id: app_id.to_owned(),
            app_secret: app_secret.to_owned(),
            tenant_key: tenant_key.to_owned(),
        }
    }
}

impl fmt::Debug for FeishuApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeishuApp")
            .field("app_id", &self.app_id)
            .field("app_secret", &"***")
            .field("tenant_key", &self.tenant_key)
            .finish()
    }
}
