//! What became of each Feishu code: minted, then consumed or left to expire. The code store
//! forgets a code once it is consumed or found expired; `authen/v2/oauth/token` tells those
//! cases apart (20065 used, 20004 expired, 20003 unknown), so the emulator remembers them here.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::{Duration, Instant};

/// Above this many remembered codes, minting one first forgets those minted over an hour ago
/// (long expired: a later presentation of one is then "unknown", 20003).
const SWEEP_ABOVE: usize = 65_536;
const REMEMBER_FOR: Duration = Duration::from_secs(3600);

/// How a Feishu code the code store did not hand out is to be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CodeFate {
    /// Consumed by an earlier presentation.
    Used,
    /// Minted here and never presented: it expired.
    Expired,
    /// Never minted for Feishu here.
    Unknown,
}

/// The Feishu codes minted, and which of them were consumed.
#[derive(Default)]
pub(super) struct CodeLedger {
    minted: HashMap<String, Instant>,
    used: HashSet<String>,
    /// Above this many the next mint sweeps (0: [`SWEEP_ABOVE`]); twice what the last sweep
    /// left, so minting many codes within the hour does not scan them all at every mint.
    sweep_above: usize,
}

// Hand-written so that no code reaches a Debug print of the state.
impl fmt::Debug for CodeLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeLedger")
            .field("minted", &self.minted.len())
            .field("used", &self.used.len())
            .finish()
    }
}

impl CodeLedger {
    pub(super) fn minted(&mut self, now: Instant, code: &str) {
        if self.minted.len() > self.sweep_above.max(SWEEP_ABOVE) {
            let forgotten: Vec<String> = self
                .minted
                .iter()
                .filter(|(_, at)| now.saturating_duration_since(**at) > REMEMBER_FOR)
                .map(|(code, _)| code.clone())
                .collect();
            for code in forgotten {
                self.minted.remove(&code);
                self.used.remove(&code);
            }
            self.sweep_above = self.minted.len() * 2;
        }
        self.minted.insert(code.to_owned(), now);
    }

    pub(super) fn used(&mut self, code: &str) {
        self.used.insert(code.to_owned());
    }

    /// Why the code store had no valid `code` to hand out.
    pub(super) fn fate(&self, code: &str) -> CodeFate {
        if self.used.contains(code) {
            CodeFate::Used
        } else if self.minted.contains_key(code) {
            CodeFate::Expired
        } else {
            CodeFate::Unknown
        }
    }
}
