//! What the crate's property tests share: how many cases they run and where failures are kept.
//!
//! A normal run tries [`NORMAL_CASES`] inputs per property; `SILENT_LOGIN_PROPTEST_LONG=1` tries
//! [`LONG_CASES`]. A failing input is saved under `middleware/proptest-regressions/` (next to
//! the source tree, mirroring it) and replayed first by every later run; commit those files.

use proptest::test_runner::{Config, FileFailurePersistence};

/// Inputs per property in a normal run.
pub(crate) const NORMAL_CASES: u32 = 1_000;
/// Inputs per property with `SILENT_LOGIN_PROPTEST_LONG=1`.
pub(crate) const LONG_CASES: u32 = 100_000;
/// The environment variable that switches on the long mode.
pub(crate) const LONG_MODE_VAR: &str = "SILENT_LOGIN_PROPTEST_LONG";

/// The configuration of every `proptest!` block of this crate.
pub(crate) fn proptest_config() -> Config {
    let long = std::env::var(LONG_MODE_VAR).is_ok_and(|value| value.trim() == "1");
    Config {
        cases: if long { LONG_CASES } else { NORMAL_CASES },
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}
