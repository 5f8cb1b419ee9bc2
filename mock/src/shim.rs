//! The browser JSAPI shim served at `/_mock/jsapi.js`: `window.dd`, `window.h5sdk` and
//! `window.tt`, minting codes from this emulator so an H5 page's real login code runs in an
//! ordinary browser.

use axum::http::header;
use axum::response::IntoResponse;

/// The shim's source.
pub(crate) const JSAPI_JS: &str = include_str!("jsapi.js");

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
        JSAPI_JS,
    )
}
