//! The emulator's state: apps, users, codes, tokens, faults and stats, behind one lock.
//!
//! Each store keeps its own invariants (`directory`, `codes`, `ledger`, `tokens`, `refresh`,
//! `rate`, `calls`); the platforms' rules over them (`mint`, `dingtalk`, `feishu`, `feishu_v2`)
//! are what the HTTP handlers call.

mod calls;
mod codes;
mod dingtalk;
mod directory;
mod error;
mod feishu;
mod feishu_v2;
mod ledger;
mod mint;
mod rate;
mod refresh;
mod tokens;

use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};
use silent_login_catalog::ProviderKind;

use crate::app::{DingTalkApp, FeishuApp};
use crate::clock::Clock;
use crate::config::MockConfig;
use crate::endpoint::{Endpoint, Stats};
use crate::fault::Fault;
use crate::user::MockUser;
use crate::violation::Violation;

use self::calls::Calls;
use self::codes::Codes;
use self::directory::Directory;
pub(crate) use self::error::ApiError;
pub(crate) use self::feishu::{AppCredentials, CodeGrant, RefreshGrantRequest, UserLogin};
pub(crate) use self::feishu_v2::{OAuthTokenRequest, OAuthTokens};
use self::ledger::CodeLedger;
use self::rate::RateLimit;
use self::refresh::RefreshTokens;
use self::tokens::Tokens;

/// The state, shared by the server tasks and the [`MockPlatform`](crate::MockPlatform) handle.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn new(state: State) -> Self {
        Self {
            state: Mutex::new(state),
        }
    }

    /// Locks the state. Never hold the guard across an `.await`.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }
}

/// Everything the emulator knows.
#[derive(Debug, Default)]
pub(crate) struct State {
    clock: Clock,
    directory: Directory,
    codes: Codes,
    ledger: CodeLedger,
    tokens: Tokens,
    refresh: RefreshTokens,
    rate: RateLimit,
    calls: Calls,
    /// The `expires_in` of the next v2 user access tokens, when a test set one.
    user_token_lifetime: Option<u64>,
}

impl State {
    /// The organizations of `config`, no codes or tokens yet, the clock at real time.
    pub(crate) fn new(config: MockConfig) -> Self {
        let mut state = Self::default();
        for app in config.dingtalk_apps {
            state.add_dingtalk_app(app);
        }
        for app in config.feishu_apps {
            state.add_feishu_app(app);
        }
        for user in config.users {
            state.add_user(user);
        }
        if let Some(per_second) = config.token_rate_limit {
            state.rate = RateLimit::new(per_second);
        }
        state
    }

    /// Moves the emulated time forward: codes and tokens age, rate windows do not.
    pub(crate) fn advance_clock(&mut self, by: Duration) {
        self.clock.advance(by);
    }

    pub(crate) fn add_dingtalk_app(&mut self, app: DingTalkApp) {
        self.directory.add_dingtalk_app(app);
    }

    pub(crate) fn add_feishu_app(&mut self, app: FeishuApp) {
        self.directory.add_feishu_app(app);
    }

    /// Gives a Feishu app `offline_access` or takes it away; `false` when there is no such app.
    pub(crate) fn set_offline_access(&mut self, app_id: &str, offline_access: bool) -> bool {
        self.directory.set_offline_access(app_id, offline_access)
    }

    /// Adds or replaces a user; per-provider visibility overrides for that id are dropped.
    pub(crate) fn add_user(&mut self, user: MockUser) {
        self.directory.add_user(user);
    }

    pub(crate) fn set_visible(&mut self, provider: ProviderKind, user: &str, visible: bool) {
        self.directory.set_visible(provider, user, visible);
    }

    /// Whether `user` is inside the visible scope of `provider`'s apps.
    pub(crate) fn is_visible(&self, provider: ProviderKind, user: &MockUser) -> bool {
        self.directory.is_visible(provider, user)
    }

    /// Every user, by id.
    pub(crate) fn users(&self) -> impl Iterator<Item = &MockUser> {
        self.directory.users()
    }

    /// Forgets every app-level token (user tokens stay).
    pub(crate) fn revoke_app_tokens(&mut self) {
        self.tokens.revoke_app_tokens();
    }

    /// Queues `fault` for the next `times` calls to `endpoint`, after earlier faults.
    pub(crate) fn inject_fault(&mut self, endpoint: Endpoint, fault: Fault, times: u32) {
        self.calls.inject_fault(endpoint, fault, times);
    }

    /// Counts a call to `endpoint` and takes the next fault queued for it.
    pub(crate) fn record_call(&mut self, endpoint: Endpoint) -> Option<Fault> {
        self.calls.record(endpoint)
    }

    /// Counts a Feishu user-token refresh request naming `app`.
    pub(crate) fn record_refresh(&mut self, app: &str) {
        self.calls.record_refresh(app);
    }

    /// The protocol violations seen since the start (or the last reset).
    pub(crate) fn violations(&self) -> Vec<Violation> {
        self.refresh.violations()
    }

    pub(crate) fn stats(&self) -> Stats {
        self.calls.stats()
    }

    /// Clears faults, stats, violations and rate windows.
    pub(crate) fn reset(&mut self) {
        self.calls.reset();
        self.rate.reset();
        self.refresh.clear_violations();
    }
}
