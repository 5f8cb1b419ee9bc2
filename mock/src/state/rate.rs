//! The token endpoints' rate limit: a one-second sliding window of calls per provider and app.
//!
//! Measured in real time, not the emulated clock: a limit is about how fast calls really arrive.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use silent_login_catalog::ProviderKind;

/// The default token-endpoint rate limit, calls per second per app.
const DEFAULT_PER_SECOND: u32 = 20;

/// Recent token calls per provider and app.
#[derive(Debug)]
pub(super) struct RateLimit {
    per_second: u32,
    windows: HashMap<(ProviderKind, String), VecDeque<Instant>>,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::new(DEFAULT_PER_SECOND)
    }
}

impl RateLimit {
    /// A limit of `per_second` calls per app (0 = unlimited).
    pub(super) fn new(per_second: u32) -> Self {
        Self {
            per_second,
            windows: HashMap::new(),
        }
    }

    pub(super) fn per_second(&self) -> u32 {
        self.per_second
    }

    /// Records a call; `true` when it exceeds the per-second limit (and then it is not counted).
    pub(super) fn exceeded(&mut self, provider: ProviderKind, app: &str) -> bool {
        let limit = self.per_second as usize;
        if limit == 0 {
            return false;
        }
        let now = Instant::now();
        let window = self.windows.entry((provider, app.to_owned())).or_default();
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

    /// Forgets every window.
    pub(super) fn reset(&mut self) {
        self.windows.clear();
    }
}
