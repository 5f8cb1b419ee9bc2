//! One-time front-end codes: they live five minutes — a `tt.requestAccess` code three — and are
//! gone after their first presentation.
//!
//! A code is filed under the API that will exchange it, so a Lark code is a Feishu code.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use silent_login_catalog::ProviderKind;

use crate::code::CodeKind;
use crate::endpoint::api_of;
use crate::random;

/// How long a front-end code lives: "免登授权码，有效期为 5 分钟" (requestAuthCode,
/// <https://open.feishu.cn/document/client-docs/gadget/-web-app-api/open-ability/login/20220308>),
/// DingTalk's five minutes alike.
const CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// How long a `tt.requestAccess` code lives: "临时登录凭证，有效期 3 分钟，只能使用一次"
/// (<https://open.feishu.cn/document/web-app/gadget-api/open-ability/login/requestaccess>).
const ACCESS_CODE_LIFETIME: Duration = Duration::from_secs(3 * 60);

/// The scope that makes the Feishu token exchange return a `refresh_token`
/// (<https://open.feishu.cn/document/authentication-management/access-token/refresh-user-access-token>).
const OFFLINE_ACCESS: &str = "offline_access";

/// Above this many codes, taking one first sweeps out the expired ones; the next sweep waits
/// until there are twice as many as the sweep left, so a load of live codes is not scanned at
/// every exchange.
const SWEEP_ABOVE: usize = 4096;

/// A minted front-end code.
#[derive(Debug, Clone)]
pub(super) struct IssuedCode {
    provider: ProviderKind,
    pub(super) app: String,
    pub(super) user: String,
    pub(super) kind: CodeKind,
    /// The scopes the page asked for (`tt.requestAccess`'s `scopeList`; empty otherwise).
    pub(super) scopes: Vec<String>,
    expires_at: Instant,
}

impl IssuedCode {
    /// Whether the page asked for `offline_access`, so that the exchange also returns a
    /// refresh token.
    pub(super) fn requested_offline_access(&self) -> bool {
        self.scopes.iter().any(|scope| scope == OFFLINE_ACCESS)
    }
}

/// The codes minted and not yet presented, and how many of each kind were minted.
#[derive(Debug, Default)]
pub(super) struct Codes {
    codes: HashMap<String, IssuedCode>,
    minted: HashMap<CodeKind, u64>,
    /// Above this many codes the next take sweeps (0: [`SWEEP_ABOVE`]).
    sweep_above: usize,
}

impl Codes {
    /// Stores a new code and returns it.
    pub(super) fn issue(
        &mut self,
        now: Instant,
        provider: ProviderKind,
        app: &str,
        user: &str,
        kind: CodeKind,
        scopes: &[String],
    ) -> String {
        let code = random::hex(32);
        let lifetime = match kind {
            CodeKind::FeishuAccess => ACCESS_CODE_LIFETIME,
            _ => CODE_LIFETIME,
        };
        let issued = IssuedCode {
            provider: api_of(provider),
            app: app.to_owned(),
            user: user.to_owned(),
            kind,
            scopes: scopes.to_vec(),
            expires_at: now + lifetime,
        };
        self.codes.insert(code.clone(), issued);
        *self.minted.entry(kind).or_default() += 1;
        code
    }

    /// How many codes of `kind` were minted so far.
    pub(super) fn minted(&self, kind: CodeKind) -> u64 {
        self.minted.get(&kind).copied().unwrap_or(0)
    }

    /// Consumes `code`: it is gone after its first presentation, whatever the outcome.
    /// Returns it only if it belongs to `provider` and has not expired.
    pub(super) fn take(
        &mut self,
        now: Instant,
        provider: ProviderKind,
        code: &str,
    ) -> Option<IssuedCode> {
        // Sweeping every call would make each exchange scan every minted code.
        if self.codes.len() > self.sweep_above.max(SWEEP_ABOVE) {
            self.codes.retain(|_, c| c.expires_at > now);
            self.sweep_above = self.codes.len() * 2;
        }
        match self.codes.get(code) {
            Some(c) if c.expires_at <= now => {
                self.codes.remove(code);
                None
            }
            Some(c) if c.provider == api_of(provider) => self.codes.remove(code),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(codes: &mut Codes, now: Instant, kind: CodeKind, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        codes.issue(now, ProviderKind::Feishu, "cli_a", "alice", kind, &scopes)
    }

    #[test]
    fn a_request_access_code_lives_three_minutes_and_a_request_auth_code_five() {
        let mut codes = Codes::default();
        let now = Instant::now();
        let access = issue(&mut codes, now, CodeKind::FeishuAccess, &[]);
        let auth = issue(&mut codes, now, CodeKind::FeishuWebApp, &[]);
        let later = now + Duration::from_secs(3 * 60);
        assert!(codes.take(later, ProviderKind::Feishu, &access).is_none());
        assert!(codes.take(later, ProviderKind::Feishu, &auth).is_some());

        let fresh = issue(&mut codes, now, CodeKind::FeishuAccess, &[]);
        let just_before = now + Duration::from_secs(3 * 60 - 1);
        assert!(codes
            .take(just_before, ProviderKind::Feishu, &fresh)
            .is_some());
        assert!(
            codes
                .take(just_before, ProviderKind::Feishu, &fresh)
                .is_none(),
            "a code works once"
        );
    }

    #[test]
    fn the_record_keeps_the_scopes_and_knows_offline_access() {
        let mut codes = Codes::default();
        let now = Instant::now();
        let identity = issue(&mut codes, now, CodeKind::FeishuAccess, &[]);
        let offline = issue(
            &mut codes,
            now,
            CodeKind::FeishuAccess,
            &["contact:user.base:readonly", "offline_access"],
        );
        let identity = codes.take(now, ProviderKind::Feishu, &identity).unwrap();
        assert!(identity.scopes.is_empty());
        assert!(!identity.requested_offline_access());
        let offline = codes.take(now, ProviderKind::Lark, &offline).unwrap();
        assert_eq!(offline.scopes.len(), 2);
        assert!(offline.requested_offline_access());
        assert_eq!(codes.minted(CodeKind::FeishuAccess), 2);
        assert_eq!(codes.minted(CodeKind::FeishuWebApp), 0);
    }
}
