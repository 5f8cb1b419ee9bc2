//! What the crate's tests share: how many cases the property tests run and where failures are
//! kept, and the check that a detail is in both languages.
//!
//! A normal run tries [`NORMAL_CASES`] inputs per property; `SILENT_LOGIN_PROPTEST_LONG=1` tries
//! [`LONG_CASES`]. A failing input is saved under `middleware/proptest-regressions/` (next to
//! the source tree, mirroring it) and replayed first by every later run; commit those files.

use proptest::test_runner::{Config, FileFailurePersistence};

use crate::error::Detail;
use crate::Lang;

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

/// What is wrong with the translation of `detail`, if anything: an empty text, a Chinese text
/// that is the English one or has no Chinese in it.
pub(crate) fn untranslated(detail: &Detail) -> Option<String> {
    let (en, zh) = (detail.get(Lang::En), detail.get(Lang::Zh));
    if en.trim().is_empty() || zh.trim().is_empty() {
        return Some(format!("an empty text: {detail:?}"));
    }
    if en == zh {
        return Some(format!("the Chinese text is the English one: {detail:?}"));
    }
    // CJK Unified Ideographs: every Chinese detail has some.
    if !zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        return Some(format!("no Chinese in the Chinese text: {detail:?}"));
    }
    None
}

/// The code spans (`` `…` ``) of a text, sorted.
fn code_spans(text: &str) -> Vec<&str> {
    let mut spans: Vec<&str> = text.split('`').skip(1).step_by(2).collect();
    spans.sort_unstable();
    spans
}

/// Panics unless `detail` is translated ([`untranslated`]) and both texts have the same code
/// spans, so a page shows the same names and values as code in either language. (Only for
/// details of known inputs: a value with a backtick of its own shifts the spans.)
#[track_caller]
pub(crate) fn assert_bilingual(detail: &Detail) {
    if let Some(problem) = untranslated(detail) {
        panic!("{problem}");
    }
    assert_eq!(
        code_spans(detail.get(Lang::En)),
        code_spans(detail.get(Lang::Zh)),
        "the code spans differ: {detail:?}"
    );
    assert_eq!(
        detail.get(Lang::En).matches('`').count() % 2,
        0,
        "an unclosed code span: {detail:?}"
    );
}
