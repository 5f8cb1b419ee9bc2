//! Minting codes: what the client's JSAPI does for the signed-in user, including its refusals,
//! and which app a front end means when it names only a corp, or nothing.

use silent_login_catalog::ProviderKind;

use super::State;
use crate::code::{JsapiError, MintCode};
use crate::demo_ids::{DINGTALK_APP_KEY, FEISHU_APP_ID};
use crate::user::UserStatus;

/// DingTalk's front-end error for a corpId the client does not accept.
const DINGTALK_BAD_CORP: &str = "1002,corpId不合法";

impl State {
    /// Mints a code the way the provider's client would, or fails like its JSAPI.
    pub(crate) fn mint(&mut self, req: &MintCode) -> Result<String, JsapiError> {
        match req.provider {
            ProviderKind::DingTalk => self.mint_dingtalk(req),
            ProviderKind::Feishu | ProviderKind::Lark => self.mint_feishu(req),
        }
    }

    fn mint_dingtalk(&mut self, req: &MintCode) -> Result<String, JsapiError> {
        let fail = |message: String| Err(JsapiError::dingtalk(3, message));
        if req.kind.provider() != ProviderKind::DingTalk {
            return fail(format!("mock: {:?} is not a DingTalk code kind", req.kind));
        }
        let Some(app) = self.directory.dingtalk_app(&req.app) else {
            return fail(format!("mock: unknown DingTalk app_key `{}`", req.app));
        };
        let Some(user) = self.directory.user(&req.user) else {
            return fail(format!("mock: unknown user `{}`", req.user));
        };
        if user.corp_id != app.corp_id {
            return fail(DINGTALK_BAD_CORP.to_owned());
        }
        match user.status {
            UserStatus::Active => {}
            UserStatus::Resigned => {
                return fail(format!(
                    "mock: user `{}` has resigned and cannot sign in to DingTalk",
                    user.id
                ))
            }
            UserStatus::Frozen => {
                return fail(format!(
                    "mock: user `{}` is frozen and cannot sign in to DingTalk",
                    user.id
                ))
            }
        }
        let now = self.clock.now();
        Ok(self
            .codes
            .issue(now, ProviderKind::DingTalk, &req.app, &req.user, req.kind))
    }

    fn mint_feishu(&mut self, req: &MintCode) -> Result<String, JsapiError> {
        if req.kind.provider() != ProviderKind::Feishu {
            let message = format!("mock: {:?} is not a Feishu code kind", req.kind);
            return Err(JsapiError::feishu(10232, message));
        }
        let Some(app) = self.directory.feishu_app(&req.app) else {
            return Err(JsapiError::feishu(10200, "invalid appid"));
        };
        let Some(user) = self.directory.user(&req.user) else {
            let message = format!(
                "failed to get auth code (mock: unknown user `{}`)",
                req.user
            );
            return Err(JsapiError::feishu(10232, message));
        };
        if user.tenant_key != app.tenant_key || !self.is_visible(ProviderKind::Feishu, user) {
            return Err(JsapiError::feishu(10228, "app not visible to this user"));
        }
        let now = self.clock.now();
        Ok(self
            .codes
            .issue(now, ProviderKind::Feishu, &req.app, &req.user, req.kind))
    }

    /// The DingTalk app a front end means: `app` if given, else one of `corp_id`'s apps
    /// (the demo app first), else the demo app or the first registered one.
    pub(crate) fn resolve_dingtalk_app(
        &self,
        app: Option<&str>,
        corp_id: Option<&str>,
    ) -> Result<String, JsapiError> {
        let bad_corp = || JsapiError::dingtalk(3, DINGTALK_BAD_CORP);
        let in_corp = |key: &str| match (self.directory.dingtalk_app(key), corp_id) {
            (Some(a), Some(corp)) => a.corp_id == corp,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if let Some(app) = app {
            return match (self.directory.dingtalk_app(app).is_some(), in_corp(app)) {
                (true, false) => Err(bad_corp()),
                _ => Ok(app.to_owned()),
            };
        }
        if in_corp(DINGTALK_APP_KEY) {
            return Ok(DINGTALK_APP_KEY.to_owned());
        }
        self.directory
            .dingtalk_app_keys()
            .find(|k| in_corp(k))
            .map(str::to_owned)
            .ok_or_else(bad_corp)
    }

    /// The Feishu app a front end means: `app` if given, else the demo app or the first one.
    pub(crate) fn resolve_feishu_app(&self, app: Option<&str>) -> String {
        match app {
            Some(app) => app.to_owned(),
            None if self.directory.feishu_app(FEISHU_APP_ID).is_some() => FEISHU_APP_ID.to_owned(),
            None => self
                .directory
                .feishu_app_ids()
                .next()
                .unwrap_or(FEISHU_APP_ID)
                .to_owned(),
        }
    }
}
