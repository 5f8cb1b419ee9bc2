//! Feishu user refresh tokens: each one works once, then is void; presenting it again is a
//! protocol violation the store records. Tokens of the historic oidc endpoints and of
//! `authen/v2/oauth/token` are filed apart, since neither accepts the other's.

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use crate::endpoint::Endpoint;
use crate::violation::{token_fingerprint, Violation, ViolationKind};

/// Which API issued a refresh token (and is the only one that redeems it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Generation {
    /// `authen/v1/access_token`, `authen/v1/oidc/access_token` and `…/oidc/refresh_access_token`.
    Oidc,
    /// `authen/v2/oauth/token`.
    V2,
}

/// Where and when (emulated wall time, ms) a refresh token was consumed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Consumed {
    pub(super) endpoint: Endpoint,
    pub(super) at_unix_ms: u64,
}

/// An issued refresh token.
#[derive(Debug, Clone)]
pub(super) struct RefreshGrant {
    pub(super) generation: Generation,
    pub(super) app: String,
    pub(super) user: String,
    /// The scopes of the access tokens it yields, space-separated.
    pub(super) scope: String,
    /// When the user authorized the app: the first login of this chain of refresh tokens.
    pub(super) authorized_at: Instant,
    pub(super) expires_at: Instant,
    pub(super) consumed: Option<Consumed>,
}

/// Why a presented refresh token is refused, before the app's own rules are checked.
pub(super) enum Refusal {
    /// Not a token this generation issued (unknown, garbled, or the other generation's).
    Unknown,
    /// Another app's token.
    OtherApp,
    /// Consumed earlier; the reuse has been recorded as a violation.
    Reused,
    Expired,
}

/// Every refresh token issued, and the violations seen.
#[derive(Default)]
pub(super) struct RefreshTokens {
    tokens: HashMap<String, RefreshGrant>,
    violations: Vec<Violation>,
}

// Hand-written so that no token value reaches a Debug print of the state.
impl fmt::Debug for RefreshTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshTokens")
            .field("tokens", &self.tokens.len())
            .field("violations", &self.violations)
            .finish_non_exhaustive()
    }
}

impl RefreshTokens {
    /// Files `token`.
    pub(super) fn issue(&mut self, token: String, grant: RefreshGrant) -> String {
        self.tokens.insert(token.clone(), grant);
        token
    }

    /// Checks `token` as presented by `app` at `endpoint` (which redeems `generation` tokens)
    /// and returns its grant, not yet consumed. A consumed token is recorded as a violation.
    pub(super) fn check(
        &mut self,
        now: Instant,
        now_unix_ms: u64,
        generation: Generation,
        endpoint: Endpoint,
        app: &str,
        token: &str,
    ) -> Result<RefreshGrant, Refusal> {
        let grant = match self.tokens.get(token) {
            Some(grant) if grant.generation == generation => grant,
            _ => return Err(Refusal::Unknown),
        };
        if grant.app != app {
            return Err(Refusal::OtherApp);
        }
        if let Some(consumed) = grant.consumed {
            let violation = Violation {
                kind: ViolationKind::RefreshTokenReused,
                fingerprint: token_fingerprint(token),
                app: grant.app.clone(),
                endpoint,
                at_unix_ms: now_unix_ms,
                consumed_at_endpoint: consumed.endpoint,
                consumed_at_unix_ms: consumed.at_unix_ms,
            };
            tracing::warn!(%violation, "protocol violation");
            self.violations.push(violation);
            return Err(Refusal::Reused);
        }
        if grant.expires_at <= now {
            return Err(Refusal::Expired);
        }
        Ok(grant.clone())
    }

    /// Marks `token` consumed: from now on it is void, and presenting it is a violation.
    pub(super) fn consume(&mut self, token: &str, consumed: Consumed) {
        if let Some(grant) = self.tokens.get_mut(token) {
            grant.consumed = Some(consumed);
        }
    }

    pub(super) fn violations(&self) -> Vec<Violation> {
        self.violations.clone()
    }

    pub(super) fn clear_violations(&mut self) {
        self.violations.clear();
    }
}
