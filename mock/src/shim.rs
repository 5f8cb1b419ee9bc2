//! The browser JSAPI shim served at `/_mock/jsapi.js`: `window.dd`, `window.h5sdk` and
//! `window.tt`, minting codes from this emulator so an H5 page's real login code runs in an
//! ordinary browser.
//!
//! Its knobs, each a query parameter of the page or a key of `window.SILENT_LOGIN_MOCK` set
//! before the script loads:
//!
//! | knob | effect |
//! |---|---|
//! | `mock_user` / `user` | the signed-in user (else the stored pick, else a picker) |
//! | `mock_app` / `app` | another app than the one the page names |
//! | `mock_fail` / `fail` | every code request fails with that documented code of [`jsapi_failures`](crate::jsapi_failures): an errno as `{errMsg, errno, errString}`, an errCode as `{errCode, errMsg}` |
//! | `mock_client` / `client` | the Feishu client played: `old` — no `tt.requestAccess` (a client before V6.9.0 with an old JSSDK); `no_access` — `tt.requestAccess` fails with errno 103 "feature not support" (a client before V6.9.0); default `current` |
//!
//! `tt.requestAccess({appID, scopeList, state, success, fail})` keeps the documented rules
//! (<https://open.feishu.cn/document/web-app/gadget-api/open-ability/login/requestaccess>):
//! `appID` with a capital D is required (a page passing requestAuthCode's `appId` fails), and
//! `scopeList` must be an array of strings; both failures are errno 104 "invalid parameter",
//! the Errno page's code for a bad parameter (which errno the real client gives is not
//! documented). Its code is of kind `feishu_access`, carries the scopes, lives three minutes
//! and works once; success is `{errMsg: "requestAccess:ok", code, state}`. The emulator's own
//! refusals (unknown app, user not visible) keep requestAuthCode's errCode, the errMsg as
//! `requestAccess:fail …`: which errno the real client gives for them is not documented.
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
