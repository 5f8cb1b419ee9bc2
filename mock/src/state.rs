//! The emulator's shared state: apps, users, codes, tokens, faults and stats, behind one lock.
//!
//! Provider rules live next to their handlers (`dingtalk.rs`, `feishu.rs`); this module only
//! stores things and implements what both platforms share (codes, tokens, rate windows).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::endpoint::{Endpoint, Stats};
use crate::faults::Fault;
use crate::ids;
use crate::model::{CodeKind, DingTalkApp, FeishuApp, MockUser, Provider};

/// How long a front-end code lives.
pub(crate) const CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// The default token-endpoint rate limit, calls per second per app.
pub(crate) const DEFAULT_TOKEN_RATE_LIMIT: u32 = 20;

/// The state, shared by the server tasks and the [`MockPlatform`](crate::MockPlatform) handle.
#[derive(Debug, Default)]
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
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A platform error: the numeric code and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) code: i64,
    pub(crate) msg: String,
}

impl ApiError {
    pub(crate) fn new(code: i64, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
        }
    }
}

/// A minted front-end code.
#[derive(Debug, Clone)]
pub(crate) struct IssuedCode {
    pub(crate) provider: Provider,
    pub(crate) app: String,
    pub(crate) user: String,
    pub(crate) kind: CodeKind,
    pub(crate) expires_at: Instant,
}

/// What a token was issued as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TokenKind {
    DingTalk,
    FeishuApp,
    FeishuTenant,
    FeishuUser,
}

/// An issued token.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub(crate) kind: TokenKind,
    pub(crate) app: String,
    pub(crate) user: Option<String>,
    pub(crate) expires_at: Instant,
}

/// Everything the emulator knows.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) clock: Clock,
    pub(crate) dingtalk_apps: BTreeMap<String, DingTalkApp>,
    pub(crate) feishu_apps: BTreeMap<String, FeishuApp>,
    pub(crate) users: BTreeMap<String, MockUser>,
    visibility: HashMap<(Provider, String), bool>,
    codes: HashMap<String, IssuedCode>,
    tokens: HashMap<String, IssuedToken>,
    current: HashMap<(TokenKind, String), String>,
    faults: HashMap<Endpoint, VecDeque<(Fault, u32)>>,
    stats: Stats,
    rate: HashMap<(Provider, String), VecDeque<Instant>>,
    pub(crate) token_rate_limit: u32,
}

impl Default for State {
    fn default() -> Self {
        Self {
            clock: Clock::default(),
            dingtalk_apps: BTreeMap::new(),
            feishu_apps: BTreeMap::new(),
            users: BTreeMap::new(),
            visibility: HashMap::new(),
            codes: HashMap::new(),
            tokens: HashMap::new(),
            current: HashMap::new(),
            faults: HashMap::new(),
            stats: Stats::default(),
            rate: HashMap::new(),
            token_rate_limit: DEFAULT_TOKEN_RATE_LIMIT,
        }
    }
}

impl State {
    // ----- directory -----

    pub(crate) fn add_dingtalk_app(&mut self, app: DingTalkApp) {
        self.dingtalk_apps.insert(app.app_key.clone(), app);
    }

    pub(crate) fn add_feishu_app(&mut self, app: FeishuApp) {
        self.feishu_apps.insert(app.app_id.clone(), app);
    }

    /// Adds or replaces a user; per-provider visibility overrides for that id are dropped.
    pub(crate) fn add_user(&mut self, user: MockUser) {
        self.visibility.retain(|(_, id), _| *id != user.id);
        self.users.insert(user.id.clone(), user);
    }

    pub(crate) fn set_visible(&mut self, provider: Provider, user: &str, visible: bool) {
        self.visibility.insert((provider, user.to_owned()), visible);
    }

    /// Whether `user` is inside the visible scope of `provider`'s apps.
    pub(crate) fn is_visible(&self, provider: Provider, user: &MockUser) -> bool {
        self.visibility
            .get(&(provider, user.id.clone()))
            .copied()
            .unwrap_or(user.visible)
    }

    // ----- codes -----

    /// Stores a new code and returns it.
    pub(crate) fn issue_code(
        &mut self,
        provider: Provider,
        app: &str,
        user: &str,
        kind: CodeKind,
    ) -> String {
        let code = ids::hex(32);
        let issued = IssuedCode {
            provider,
            app: app.to_owned(),
            user: user.to_owned(),
            kind,
            expires_at: self.clock.now() + CODE_LIFETIME,
        };
        self.codes.insert(code.clone(), issued);
        code
    }

    /// Consumes `code`: it is gone after its first presentation, whatever the outcome.
    /// Returns it only if it belongs to `provider` and has not expired.
    pub(crate) fn take_code(&mut self, provider: Provider, code: &str) -> Option<IssuedCode> {
        let now = self.clock.now();
        // Sweeping every call would make each exchange scan every minted code.
        if self.codes.len() > 4096 {
            self.codes.retain(|_, c| c.expires_at > now);
        }
        match self.codes.get(code) {
            Some(c) if c.expires_at <= now => {
                self.codes.remove(code);
                None
            }
            Some(c) if c.provider == provider => self.codes.remove(code),
            _ => None,
        }
    }

    // ----- tokens -----

    fn issue_token(
        &mut self,
        kind: TokenKind,
        app: &str,
        user: Option<&str>,
        token: String,
        lifetime: Duration,
    ) -> String {
        let issued = IssuedToken {
            kind,
            app: app.to_owned(),
            user: user.map(str::to_owned),
            expires_at: self.clock.now() + lifetime,
        };
        self.tokens.insert(token.clone(), issued);
        if kind != TokenKind::FeishuUser {
            self.current.insert((kind, app.to_owned()), token.clone());
        }
        token
    }

    /// The app's current token of `kind`, if one is still valid.
    pub(crate) fn current_token(
        &mut self,
        kind: TokenKind,
        app: &str,
    ) -> Option<(String, &mut IssuedToken)> {
        let now = self.clock.now();
        let token = self.current.get(&(kind, app.to_owned()))?.clone();
        let issued = self.tokens.get_mut(&token)?;
        (issued.expires_at > now).then_some((token, issued))
    }

    /// Issues a new app-level token (`kind` is not `FeishuUser`).
    pub(crate) fn new_app_token(
        &mut self,
        kind: TokenKind,
        app: &str,
        token: String,
        lifetime: Duration,
    ) -> String {
        self.issue_token(kind, app, None, token, lifetime)
    }

    /// Issues a Feishu user access token.
    pub(crate) fn new_user_token(
        &mut self,
        app: &str,
        user: &str,
        token: String,
        lifetime: Duration,
    ) -> String {
        self.issue_token(TokenKind::FeishuUser, app, Some(user), token, lifetime)
    }

    /// A token as issued, expired or not.
    pub(crate) fn token(&self, token: &str) -> Option<&IssuedToken> {
        self.tokens.get(token)
    }

    /// Forgets every app-level token (user tokens stay).
    pub(crate) fn revoke_app_tokens(&mut self) {
        self.tokens.retain(|_, t| t.kind == TokenKind::FeishuUser);
        self.current.clear();
    }

    // ----- rate limits -----

    /// Records a token-endpoint call; `true` when it exceeds the per-second limit (0 = unlimited).
    pub(crate) fn rate_limited(&mut self, provider: Provider, app: &str) -> bool {
        let limit = self.token_rate_limit as usize;
        if limit == 0 {
            return false;
        }
        let now = Instant::now();
        let window = self.rate.entry((provider, app.to_owned())).or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            window.pop_front();
        }
        if window.len() >= limit {
            return true;
        }
        window.push_back(now);
        false
    }

    // ----- faults and stats -----

    pub(crate) fn inject_fault(&mut self, endpoint: Endpoint, fault: Fault, times: u32) {
        if times > 0 {
            self.faults
                .entry(endpoint)
                .or_default()
                .push_back((fault, times));
        }
    }

    /// Counts a call to `endpoint` and takes the next fault queued for it.
    pub(crate) fn record_call(&mut self, endpoint: Endpoint) -> Option<Fault> {
        *self
            .stats
            .calls
            .entry(endpoint.path().to_owned())
            .or_default() += 1;
        let queue = self.faults.get_mut(&endpoint)?;
        let (fault, left) = queue.front_mut()?;
        let fault = fault.clone();
        *left -= 1;
        if *left == 0 {
            queue.pop_front();
        }
        Some(fault)
    }

    pub(crate) fn stats(&self) -> Stats {
        self.stats.clone()
    }

    /// Clears faults, stats and rate windows.
    pub(crate) fn reset(&mut self) {
        self.faults.clear();
        self.stats = Stats::default();
        self.rate.clear();
    }
}
