//! The emulator's clock: real time plus an offset that tests can push forward, so that codes
//! and tokens expire without a test waiting minutes for them.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

    /// The emulated wall-clock time, in milliseconds since the Unix epoch: what the emulator
    /// reports as "when" (violations), moved forward with the clock like everything else.
    pub(crate) fn unix_millis(&self) -> u64 {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            + self.offset;
        u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
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
