//! The browser JSAPI shim served at `/_mock/jsapi.js`: `window.dd`, `window.h5sdk` and
//! `window.tt`, minting codes from this emulator so an H5 page's real login code runs in an
//! ordinary browser.
//!
//! The shim's failure tables are not written in `jsapi.js`: the emulator puts the lists of
//! [`jsapi_failures`](crate::jsapi_failures) in place of [`FAILURES_PLACEHOLDER`] when it serves
//! the file, so the Rust lists are the only ones.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;

use crate::failures;

/// The shim's source, with the placeholder.
const JSAPI_JS: &str = include_str!("jsapi.js");

/// Where `jsapi.js` takes the failure tables: a JavaScript comment followed by `null`, so the
/// file stays valid JavaScript (with no tables) before the substitution.
const FAILURES_PLACEHOLDER: &str = "/*@SILENT_LOGIN_MOCK_FAILURES@*/null";

/// The shim as served: [`JSAPI_JS`] with the failure tables as JSON (which is a JavaScript
/// expression) in place of the placeholder.
pub(crate) fn jsapi_js() -> &'static str {
    static SERVED: OnceLock<String> = OnceLock::new();
    SERVED.get_or_init(|| {
        JSAPI_JS.replacen(FAILURES_PLACEHOLDER, &failures::shim_table().to_string(), 1)
    })
}

/// `GET /_mock/jsapi.js`.
pub(crate) async fn serve() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        jsapi_js(),
    )
}

#[cfg(test)]
mod tests {
    use silent_login_catalog::ProviderKind;

    use super::*;

    #[test]
    fn the_placeholder_is_in_the_source_once_and_replaced_by_the_lists() {
        assert_eq!(JSAPI_JS.matches(FAILURES_PLACEHOLDER).count(), 1);
        let served = jsapi_js();
        assert!(!served.contains("@SILENT_LOGIN_MOCK_FAILURES@"));
        let table = failures::shim_table().to_string();
        assert!(served.contains(&table), "{served}");
        for provider in [ProviderKind::DingTalk, ProviderKind::Feishu] {
            for failure in failures::jsapi_failures(provider) {
                let json = serde_json::to_string(failure).unwrap();
                assert!(table.contains(&json), "{json} not in {table}");
            }
        }
    }
}
