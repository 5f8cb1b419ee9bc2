//! Random-looking identifiers for codes, tokens and request ids.
//!
//! Drawn from std's randomly keyed SipHash over a counter: unpredictable enough for an
//! emulator, and no extra dependency. Not for real secrets.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

fn next() -> u64 {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    KEYS.get_or_init(RandomState::new).hash_one(n)
}

/// `len` lowercase hex digits.
pub(crate) fn hex(len: usize) -> String {
    let mut out = String::with_capacity(len + 16);
    while out.len() < len {
        out.push_str(&format!("{:016x}", next()));
    }
    out.truncate(len);
    out
}

/// A UUID-shaped id, like DingTalk's `request_id`.
pub(crate) fn request_id() -> String {
    let h = hex(32).to_uppercase();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// A Feishu-style log id (`X-Tt-Logid`).
pub(crate) fn log_id() -> String {
    format!("2025{}", hex(30).to_uppercase())
}
