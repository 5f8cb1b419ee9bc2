//! DingTalk's rules: `gettoken` hands out one token per app and renews it while it is valid;
//! `getuserinfo` exchanges a code once, for the app it was minted for, for a visible, active user
//! the organization knows.

use std::time::Duration;

use silent_login_catalog::ProviderKind;

use super::tokens::{TokenKind, TokenReply};
use super::{ApiError, State};
use crate::random;
use crate::user::{MockUser, UserStatus};

/// Access-token lifetime, seconds.
const TOKEN_LIFETIME: u64 = 7200;

/// `errcode` values this emulator answers with.
mod errcode {
    pub(super) const BAD_CREDENTIALS: i64 = 40089;
    pub(super) const BAD_TOKEN: i64 = 40014;
    pub(super) const MISSING_TOKEN: i64 = 41001;
    pub(super) const MISSING_CODE: i64 = 41026;
    pub(super) const NO_SUCH_CODE: i64 = 40078;
    pub(super) const NO_AUTH_INFO: i64 = 40079;
    pub(super) const RATE_LIMITED: i64 = 90018;
}

impl State {
    /// `gettoken`: the app's token, the same one (renewed) while it is valid.
    pub(crate) fn dingtalk_token(
        &mut self,
        key: &str,
        secret: &str,
    ) -> Result<TokenReply, ApiError> {
        if self.rate.exceeded(ProviderKind::DingTalk, key) {
            let msg = format!(
                "接口调用超过限制：应用每秒调用gettoken超过{}次，已被限流，请稍后重试",
                self.rate.per_second()
            );
            return Err(ApiError::new(errcode::RATE_LIMITED, msg));
        }
        match self.directory.dingtalk_app(key) {
            Some(app) if !secret.is_empty() && app.app_secret == secret => {}
            _ => {
                return Err(ApiError::new(
                    errcode::BAD_CREDENTIALS,
                    "不合法的corpid或corpsecret",
                ))
            }
        }
        let lifetime = Duration::from_secs(TOKEN_LIFETIME);
        let now = self.clock.now();
        let token = match self.tokens.current(now, TokenKind::DingTalk, key) {
            Some((token, issued)) => {
                issued.expires_at = now + lifetime;
                token
            }
            None => self.tokens.issue_app_token(
                now,
                TokenKind::DingTalk,
                key,
                random::hex(32),
                lifetime,
            ),
        };
        Ok(TokenReply {
            token,
            expires_in: TOKEN_LIFETIME,
        })
    }

    /// `getuserinfo`: the user a code was minted for, by the rules of the real endpoint. A user
    /// outside the visible scope, resigned, frozen or unknown gets 40079, whose documented causes
    /// include "the user is not within the app's visible scope (… not in Contacts …)"; no
    /// source gives DingTalk a more specific code for these at this endpoint.
    pub(crate) fn dingtalk_exchange(
        &mut self,
        token: Option<&str>,
        code: Option<&str>,
    ) -> Result<MockUser, ApiError> {
        let token = token.filter(|t| !t.is_empty());
        let token =
            token.ok_or_else(|| ApiError::new(errcode::MISSING_TOKEN, "缺少access_token参数"))?;
        let now = self.clock.now();
        let app = match self.tokens.get(token) {
            Some(t) if t.kind == TokenKind::DingTalk && t.expires_at > now => t.app.clone(),
            _ => return Err(ApiError::new(errcode::BAD_TOKEN, "不合法的access_token")),
        };
        let code =
            code.ok_or_else(|| ApiError::new(errcode::MISSING_CODE, "缺少tmp_auth_code参数"))?;
        let no_such_code = || ApiError::new(errcode::NO_SUCH_CODE, "不存在的临时授权码");
        let issued = self
            .codes
            .take(now, ProviderKind::DingTalk, code)
            .ok_or_else(no_such_code)?;
        if !issued.kind.is_silent_login() || issued.app != app {
            return Err(no_such_code());
        }
        let no_auth = || ApiError::new(errcode::NO_AUTH_INFO, "不存在的授权信息");
        let user = self.directory.user(&issued.user).ok_or_else(no_auth)?;
        if !self.is_visible(ProviderKind::DingTalk, user) || user.status != UserStatus::Active {
            return Err(no_auth());
        }
        Ok(user.clone())
    }
}
