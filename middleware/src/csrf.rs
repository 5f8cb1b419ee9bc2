//! Login CSRF protection: a cookie-issuing login started by another site is refused.

use http::header::{HOST, ORIGIN};
use http::Request;
use silent_login_catalog::SilentLoginCode;

use crate::config::Config;
use crate::error::{Detail, LoginError};

/// Refuses a login or logout marked cross-site by the browser, or whose `Origin` is neither this
/// site (the `Host` with the site's scheme) nor one of the allowed origins.
///
/// The site's scheme is the request URI's when it has one, else `https` when the session cookie
/// is Secure (a TLS-terminating proxy in front) and `http` when it is not: a page served over
/// plain HTTP on the same host (which anyone on the path can write) is another origin.
pub(crate) fn refuse_cross_site<B>(
    config: &Config,
    request: &Request<B>,
) -> Result<(), LoginError> {
    let allowed_origins = &config.allowed_origins;
    let headers = request.headers();
    let refuse = |en: String, zh: String| {
        Err(LoginError::new(SilentLoginCode::CrossSiteLogin).with_detail(Detail::new(en, zh)))
    };
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
            "浏览器把这个登录请求标记为跨站请求（Sec-Fetch-Site: cross-site）".to_owned(),
        );
    }
    let Some(origin) = origin else {
        return Ok(());
    };
    if origin == "null" {
        return refuse(
            "the login request came from an opaque origin (Origin: null)".to_owned(),
            "登录请求来自不透明的源（Origin: null）".to_owned(),
        );
    }
    let origin = origin.trim_end_matches('/');
    if allowed(origin) {
        return Ok(());
    }
    let Some((origin_scheme, origin_host)) = origin.split_once("://") else {
        return refuse(
            format!("the Origin header is not an origin ({origin:.100})"),
            format!("Origin 请求头不是一个源（{origin:.100}）"),
        );
    };
    let scheme = request
        .uri()
        .scheme_str()
        .unwrap_or(if config.cookie.secure {
            "https"
        } else {
            "http"
        });
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
        Some(host)
            if host.eq_ignore_ascii_case(origin_host)
                && scheme.eq_ignore_ascii_case(origin_scheme) =>
        {
            Ok(())
        }
        _ => refuse(
            format!("the login request came from another site ({origin:.100})"),
            format!("登录请求来自另一个站点（{origin:.100}）"),
        ),
    }
}
