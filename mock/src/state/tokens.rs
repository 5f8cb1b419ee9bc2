//! Issued access tokens: every token until it expires or is revoked, and which one is each
//! app's current token of a kind, so a renewed token does not invalidate the one before it.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

/// What a token was issued as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum TokenKind {
    DingTalk,
    FeishuApp,
    FeishuTenant,
    FeishuUser,
}

/// An issued token.
#[derive(Debug, Clone)]
pub(super) struct IssuedToken {
    pub(super) kind: TokenKind,
    pub(super) app: String,
    pub(super) user: Option<String>,
    pub(super) expires_at: Instant,
}

/// A token as a token endpoint reports it: the token and its seconds left.
pub(crate) struct TokenReply {
    pub(crate) token: String,
    pub(crate) expires_in: u64,
}

/// Every issued token, and each app's current one per kind.
#[derive(Default)]
pub(super) struct Tokens {
    tokens: HashMap<String, IssuedToken>,
    current: HashMap<(TokenKind, String), String>,
}

// Hand-written so that no token value reaches a Debug print of the state.
impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("tokens", &self.tokens.len())
            .finish_non_exhaustive()
    }
}

impl Tokens {
    fn issue(&mut self, token: String, issued: IssuedToken) -> String {
        // User tokens are per login, never an app's current token.
        if issued.kind != TokenKind::FeishuUser {
            self.current
                .insert((issued.kind, issued.app.clone()), token.clone());
        }
        self.tokens.insert(token.clone(), issued);
        token
    }

    /// The app's current token of `kind`, if one is still valid at `now`.
    pub(super) fn current(
        &mut self,
        now: Instant,
        kind: TokenKind,
        app: &str,
    ) -> Option<(String, &mut IssuedToken)> {
        let token = self.current.get(&(kind, app.to_owned()))?.clone();
        let issued = self.tokens.get_mut(&token)?;
        (issued.expires_at > now).then_some((token, issued))
    }

    /// Issues `token` as the app's new token of `kind` (not `FeishuUser`).
    pub(super) fn issue_app_token(
        &mut self,
        now: Instant,
        kind: TokenKind,
        app: &str,
        token: String,
        lifetime: Duration,
    ) -> String {
        let issued = IssuedToken {
            kind,
            app: app.to_owned(),
            user: None,
            expires_at: now + lifetime,
        };
        self.issue(token, issued)
    }

    /// Issues `token` as a Feishu user access token.
    pub(super) fn issue_user_token(
        &mut self,
        now: Instant,
        app: &str,
        user: &str,
        token: String,
        lifetime: Duration,
    ) -> String {
        let issued = IssuedToken {
            kind: TokenKind::FeishuUser,
            app: app.to_owned(),
            user: Some(user.to_owned()),
            expires_at: now + lifetime,
        };
        self.issue(token, issued)
    }

    /// A token as issued, expired or not.
    pub(super) fn get(&self, token: &str) -> Option<&IssuedToken> {
        self.tokens.get(token)
    }

    /// Ends every Feishu user access token still valid at `now` right now, as if the platform
    /// had expired them early; returns how many. Tokens issued later live their full lifetime.
    pub(super) fn expire_user_tokens(&mut self, now: Instant) -> usize {
        let mut expired = 0;
        for token in self.tokens.values_mut() {
            if token.kind == TokenKind::FeishuUser && token.expires_at > now {
                token.expires_at = now;
                expired += 1;
            }
        }
        expired
    }

    /// Forgets every app-level token (user tokens stay).
    pub(super) fn revoke_app_tokens(&mut self) {
        self.tokens.retain(|_, t| t.kind == TokenKind::FeishuUser);
        self.current.clear();
    }
}
