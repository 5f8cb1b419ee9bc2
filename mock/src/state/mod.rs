//! The emulator's state: apps, users, codes, tokens, faults and stats, behind one lock.
//!
//! Each store keeps its own invariants (`directory`, `codes`, `tokens`, `rate`, `calls`); the
//! platforms' rules over them (`mint`, `dingtalk`, `feishu`) are what the HTTP handlers call.

mod calls;
mod codes;
mod dingtalk;
mod directory;
mod error;
mod feishu;
mod mint;
mod rate;
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

use self::calls::Calls;
use self::codes::Codes;
use self::directory::Directory;
pub(crate) use self::error::ApiError;
pub(crate) use self::feishu::{AppCredentials, CodeGrant, UserLogin};
use self::rate::RateLimit;
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
    tokens: Tokens,
    rate: RateLimit,
    calls: Calls,
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

    pub(crate) fn stats(&self) -> Stats {
        self.calls.stats()
    }

    /// Clears faults, stats and rate windows.
    pub(crate) fn reset(&mut self) {
        self.calls.reset();
        self.rate.reset();
    }
}
