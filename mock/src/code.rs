//! Front-end codes: the kinds of code, the request to mint one ([`MintCode`]) and the JSAPI's
//! refusal ([`JsapiError`]), which serializes in each client's own fail shape.

use serde::{Deserialize, Serialize};
use silent_login_catalog::ProviderKind;

use crate::demo_ids::{DINGTALK_APP_KEY, FEISHU_APP_ID};
use crate::failures::JsapiFailure;

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
    /// Feishu web app: `tt.requestAuthCode` (accepted; the code lives five minutes).
    FeishuWebApp,
    /// Feishu web app or gadget: `tt.requestAccess` (accepted), with the scopes of its
    /// `scopeList`. "临时登录凭证，有效期 3 分钟，只能使用一次"
    /// (<https://open.feishu.cn/document/web-app/gadget-api/open-ability/login/requestaccess>).
    FeishuAccess,
    /// Feishu gadget (mini program): `tt.login` (refused by the authen endpoints with 20007).
    FeishuGadget,
}

impl CodeKind {
    /// The provider whose client issues codes of this kind (`Feishu` for Lark's too: one API).
    pub fn provider(self) -> ProviderKind {
        match self {
            Self::H5 | Self::MiniProgram | Self::AdminConsole | Self::BrowserOAuth => {
                ProviderKind::DingTalk
            }
            Self::FeishuWebApp | Self::FeishuAccess | Self::FeishuGadget => ProviderKind::Feishu,
        }
    }

    /// Whether the silent-login exchange endpoint of its provider accepts this kind.
    pub fn is_silent_login(self) -> bool {
        matches!(
            self,
            Self::H5 | Self::MiniProgram | Self::FeishuWebApp | Self::FeishuAccess
        )
    }
}

/// A request to mint a one-time code, as the client's JSAPI would for a signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintCode {
    /// The platform (`Lark` mints Feishu codes: one API, two hosts).
    pub provider: ProviderKind,
    /// The app: DingTalk `app_key` or Feishu `app_id`.
    pub app: String,
    /// The user: the mock user's id (DingTalk `userid`; Feishu `user_id`, `ou_<id>` as open_id).
    pub user: String,
    /// The front-end API that produced the code.
    pub kind: CodeKind,
    /// The scopes the page asked for (`tt.requestAccess`'s `scopeList`; empty = the user's
    /// identity only, and for every other kind).
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl MintCode {
    /// A DingTalk H5 code for `user` in the demo app.
    pub fn dingtalk(user: &str) -> Self {
        Self {
            provider: ProviderKind::DingTalk,
            app: DINGTALK_APP_KEY.to_owned(),
            user: user.to_owned(),
            kind: CodeKind::H5,
            scopes: Vec::new(),
        }
    }

    /// A Feishu web-app code for `user` in the demo app.
    pub fn feishu(user: &str) -> Self {
        Self {
            provider: ProviderKind::Feishu,
            app: FEISHU_APP_ID.to_owned(),
            user: user.to_owned(),
            kind: CodeKind::FeishuWebApp,
            scopes: Vec::new(),
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

    /// A Feishu `tt.requestAccess` code for `user` in the demo app, asking for `scopes`
    /// (`[]` = identity only; `offline_access` for a refresh token).
    pub fn feishu_access<S: Into<String>>(user: &str, scopes: impl IntoIterator<Item = S>) -> Self {
        Self::feishu(user)
            .with_kind(CodeKind::FeishuAccess)
            .with_scopes(scopes)
    }

    /// The same request asking for `scopes`.
    #[must_use]
    pub fn with_scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }
}

/// A front-end JSAPI failure: what `onFail` / `fail` would receive instead of a code. The
/// emulator only fails with the failures of [`jsapi_failures`](crate::jsapi_failures), at most
/// with a `(silent-login-mock: …)` note after the message.
///
/// Serializes as the real fail shapes: DingTalk `{"errorCode":3,"errorMessage":"…"}`,
/// Feishu `{"errCode":10228,"errMsg":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{provider} jsapi error {code}: {message}")]
pub struct JsapiError {
    /// Whose client failed (decides the serialized shape).
    pub provider: ProviderKind,
    /// The JSAPI error code (e.g. Feishu 10228, DingTalk 3).
    pub code: i64,
    /// The error message.
    pub message: String,
}

impl JsapiError {
    /// `failure`, as `provider`'s client reports it. The emulator's code requests refuse only
    /// with errCode failures (the shim adds the errno ones of `tt.requestAccess` itself), so
    /// this shape has no `errno`.
    pub fn new(provider: ProviderKind, failure: JsapiFailure) -> Self {
        Self {
            provider,
            code: i64::from(failure.code),
            message: failure.message.to_owned(),
        }
    }

    /// The same failure with a note for the developer after the documented message:
    /// `系统异常 (silent-login-mock: …)`.
    #[must_use]
    pub(crate) fn noted(mut self, note: &str) -> Self {
        if !self.message.is_empty() {
            self.message.push(' ');
        }
        self.message.push_str("(silent-login-mock: ");
        self.message.push_str(note);
        self.message.push(')');
        self
    }
}

impl Serialize for JsapiError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (code_key, message_key) = match self.provider {
            ProviderKind::DingTalk => ("errorCode", "errorMessage"),
            ProviderKind::Feishu | ProviderKind::Lark => ("errCode", "errMsg"),
        };
        let mut s = serializer.serialize_struct("JsapiError", 2)?;
        s.serialize_field(code_key, &self.code)?;
        s.serialize_field(message_key, &self.message)?;
        s.end()
    }
}
