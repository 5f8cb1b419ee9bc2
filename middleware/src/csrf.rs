//! Login CSRF protection: a cookie-issuing login started by another site is refused.

use http::header::{HOST, ORIGIN};
use http::Request;
use silent_login_catalog::SilentLoginCode;

use crate::error::LoginError;

/// Refuses a login marked cross-site by the browser, or whose `Origin` is neither the `Host` nor
/// one of `allowed_origins`.
pub(crate) fn refuse_cross_site<B>(
    allowed_origins: &[String],
    request: &Request<B>,
) -> Result<(), LoginError> {
    let headers = request.headers();
    let refuse =
        |detail: String| Err(LoginError::new(SilentLoginCode::CrossSiteLogin).with_detail(detail));
    let origin = headers.get(ORIGIN).and_then(|value| value.to_str().ok());
    let allowed = |origin: &str| {
        allowed_origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin))
    };
    if headers
        .get("sec-fetch-site")
        .is_some_and(|site| site == "cross-site")
        && !allowed(origin.unwrap_or(""))
    {
        return refuse(
            "the browser marked this login request as cross-site (Sec-Fetch-Site: cross-site)"
                .to_owned(),
        );
    }
    let Some(origin) = origin else {
        return Ok(());
    };
    if origin == "null" {
        return refuse("the login request came from an opaque origin (Origin: null)".to_owned());
    }
    let origin = origin.trim_end_matches('/');
    if allowed(origin) {
        return Ok(());
    }
    let origin_host = origin.split_once("://").map_or(origin, |(_, host)| host);
    let host = headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.as_str())
        });
    match host {
        Some(host) if host.eq_ignore_ascii_case(origin_host) => Ok(()),
        _ => refuse(format!(
            "the login request came from another site ({origin:.100})"
        )),
    }
}
