//! Per-endpoint bookkeeping: how often each endpoint was called, how many user-token refreshes
//! each Feishu app asked for, and the faults queued for each endpoint. A faulted call counts too,
//! since the client under test did make it.

use std::collections::{HashMap, VecDeque};

use crate::endpoint::{Endpoint, Stats};
use crate::fault::Fault;

/// Call counts and fault queues, per endpoint.
#[derive(Debug, Default)]
pub(super) struct Calls {
    faults: HashMap<Endpoint, VecDeque<(Fault, u32)>>,
    stats: Stats,
}

impl Calls {
    /// Queues `fault` for the next `times` calls to `endpoint`, after earlier faults.
    pub(super) fn inject_fault(&mut self, endpoint: Endpoint, fault: Fault, times: u32) {
        if times > 0 {
            self.faults
                .entry(endpoint)
                .or_default()
                .push_back((fault, times));
        }
    }

    /// Counts a call to `endpoint` and takes the next fault queued for it.
    pub(super) fn record(&mut self, endpoint: Endpoint) -> Option<Fault> {
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

    /// Counts a user-token refresh request naming `app`.
    pub(super) fn record_refresh(&mut self, app: &str) {
        *self.stats.refreshes.entry(app.to_owned()).or_default() += 1;
    }

    pub(super) fn stats(&self) -> Stats {
        self.stats.clone()
    }

    /// Clears the fault queues and the counts (refreshes included).
    pub(super) fn reset(&mut self) {
        self.faults.clear();
        self.stats = Stats::default();
    }
}
