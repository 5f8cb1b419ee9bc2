//! The emulator's clock: real time plus an offset that tests can push forward, so that codes
//! and tokens expire without a test waiting minutes for them.

use std::time::{Duration, Instant};

/// Real monotonic time shifted by everything passed to [`Clock::advance`].
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset: Duration,
}

impl Clock {
    /// The emulated "now".
    pub(crate) fn now(&self) -> Instant {
        Instant::now() + self.offset
    }

    /// Moves the emulated time forward.
    pub(crate) fn advance(&mut self, by: Duration) {
        self.offset += by;
    }
}

/// Whole seconds left until `deadline`, zero when past.
pub(crate) fn secs_until(now: Instant, deadline: Instant) -> u64 {
    deadline.saturating_duration_since(now).as_secs()
}
