//! One-time front-end codes: they live five minutes and are gone after their first presentation.
//!
//! A code is filed under the API that will exchange it, so a Lark code is a Feishu code.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use silent_login_catalog::ProviderKind;

use crate::code::CodeKind;
use crate::endpoint::api_of;
use crate::random;

/// How long a front-end code lives.
const CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// Above this many codes, taking one first sweeps out the expired ones.
const SWEEP_ABOVE: usize = 4096;

/// A minted front-end code.
#[derive(Debug, Clone)]
pub(super) struct IssuedCode {
    provider: ProviderKind,
    pub(super) app: String,
    pub(super) user: String,
    pub(super) kind: CodeKind,
    expires_at: Instant,
}

/// The codes minted and not yet presented.
#[derive(Debug, Default)]
pub(super) struct Codes {
    codes: HashMap<String, IssuedCode>,
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
    ) -> String {
        let code = random::hex(32);
        let issued = IssuedCode {
            provider: api_of(provider),
            app: app.to_owned(),
            user: user.to_owned(),
            kind,
            expires_at: now + CODE_LIFETIME,
        };
        self.codes.insert(code.clone(), issued);
        code
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
        if self.codes.len() > SWEEP_ABOVE {
            self.codes.retain(|_, c| c.expires_at > now);
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
