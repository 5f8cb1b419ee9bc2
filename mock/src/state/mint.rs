//! Minting codes: what the client's JSAPI does for the signed-in user, including its refusals,
//! and which app a front end means when it names only a corp, or nothing.
//!
//! Every refusal is one of [`jsapi_failures`](crate::jsapi_failures). Where no platform source
//! documents a JSAPI refusal — a DingTalk user who has resigned, is frozen or is unknown — the
//! client mints the code and the server exchange refuses it with its documented code
//! (DingTalk 40079, Feishu 20021 / 20022).

use silent_login_catalog::ProviderKind;

use super::State;
use crate::code::{CodeKind, JsapiError, MintCode};
use crate::demo_ids::{DINGTALK_APP_KEY, FEISHU_APP_ID};
use crate::failures::{dingtalk, feishu, jsapi_fallback};

impl State {
    /// Mints a code the way the provider's client would, or fails like its JSAPI.
    pub(crate) fn mint(&mut self, req: &MintCode) -> Result<String, JsapiError> {
        match req.provider {
            ProviderKind::DingTalk => self.mint_dingtalk(req),
            ProviderKind::Feishu | ProviderKind::Lark => self.mint_feishu(req),
        }
    }

    /// Refuses only what the DingTalk client documents: an app (corpId and domain) it cannot
    /// find, or a user of another organization. Users who resigned, are frozen or are unknown
    /// get a code that `getuserinfo` refuses with 40079.
    fn mint_dingtalk(&mut self, req: &MintCode) -> Result<String, JsapiError> {
        let refuse = |failure| JsapiError::new(ProviderKind::DingTalk, failure);
        if req.kind.provider() != ProviderKind::DingTalk {
            let note = format!("{:?} is not a DingTalk code kind", req.kind);
            return Err(refuse(jsapi_fallback(ProviderKind::DingTalk)).noted(&note));
        }
        let Some(app) = self.directory.dingtalk_app(&req.app) else {
            let note = format!("no DingTalk app with app_key `{}`", req.app);
            return Err(refuse(dingtalk::NO_MICRO_APP).noted(&note));
        };
        if let Some(user) = self.directory.user(&req.user) {
            if user.corp_id != app.corp_id {
                return Err(refuse(dingtalk::CORP_ID_INVALID));
            }
        }
        let now = self.clock.now();
        Ok(self.codes.issue(
            now,
            ProviderKind::DingTalk,
            &req.app,
            &req.user,
            req.kind,
            &[],
        ))
    }

    /// Refuses an unknown app (10200) and a user the app is not visible to (10228): outside its
    /// availability, of another tenant, or unknown (not a member of any tenant the emulator
    /// knows). Resigned and frozen users get a code the exchange refuses (20021, 20022).
    fn mint_feishu(&mut self, req: &MintCode) -> Result<String, JsapiError> {
        let refuse = |failure| JsapiError::new(ProviderKind::Feishu, failure);
        if req.kind.provider() != ProviderKind::Feishu {
            let note = format!("{:?} is not a Feishu code kind", req.kind);
            return Err(refuse(jsapi_fallback(ProviderKind::Feishu)).noted(&note));
        }
        let Some(app) = self.directory.feishu_app(&req.app) else {
            let note = format!("no Feishu app with app_id `{}`", req.app);
            return Err(refuse(feishu::INVALID_APP_ID).noted(&note));
        };
        let Some(user) = self.directory.user(&req.user) else {
            let note = format!("unknown user `{}`", req.user);
            return Err(refuse(feishu::NOT_VISIBLE).noted(&note));
        };
        if user.tenant_key != app.tenant_key || !self.is_visible(ProviderKind::Feishu, user) {
            return Err(refuse(feishu::NOT_VISIBLE));
        }
        // Only tt.requestAccess takes a scope list; the other kinds' codes carry none.
        let scopes: &[String] = match req.kind {
            CodeKind::FeishuAccess => &req.scopes,
            _ => &[],
        };
        let now = self.clock.now();
        Ok(self.codes.issue(
            now,
            ProviderKind::Feishu,
            &req.app,
            &req.user,
            req.kind,
            scopes,
        ))
    }

    /// How many codes of `kind` were minted so far (refusals not counted).
    pub(crate) fn codes_minted(&self, kind: CodeKind) -> u64 {
        self.codes.minted(kind)
    }

    /// The DingTalk app a front end means: `app` if given, else one of `corp_id`'s apps
    /// (the demo app first), else the demo app or the first registered one.
    pub(crate) fn resolve_dingtalk_app(
        &self,
        app: Option<&str>,
        corp_id: Option<&str>,
    ) -> Result<String, JsapiError> {
        let bad_corp = || JsapiError::new(ProviderKind::DingTalk, dingtalk::CORP_ID_INVALID);
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
