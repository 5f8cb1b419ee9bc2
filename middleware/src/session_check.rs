//! The check every protected request goes through: the token from `Authorization: Bearer` or
//! the cookie, opened with the key ring, then the tenant guard and revocation. It only borrows
//! and never waits.

use http::header::{AUTHORIZATION, COOKIE};
use http::Request;
use silent_login_catalog::SilentLoginCode;

use crate::error::LoginError;
use crate::layer::{RevocationPolicy, Settings};
use crate::session::Session;
use crate::store::now_ms;

/// The largest `Cookie` header read; a browser's whole jar for one site is far smaller.
const MAX_COOKIE_HEADER: usize = 16 * 1024;

/// The session of a request: bearer token first (mini programs have no cookies), then cookie.
/// This runs on every protected request, so it only borrows and never waits.
pub(crate) fn authenticate<B>(
    settings: &Settings,
    request: &Request<B>,
) -> Result<Session, LoginError> {
    let token = session_token(request, &settings.cookie.name)?;
    let session = settings.opened.open(&settings.keys, token, now_ms())?;
    if !settings.tenant_allowed(session.identity.tenant.as_deref()) {
        return Err(LoginError::new(SilentLoginCode::TenantNotAllowed)
            .with_detail("the session's organization is not allowed here"));
    }
    let store = settings.authenticator.store();
    match store.is_revoked(&session.id, &session.identity, session.issued_at_ms) {
        Ok(false) => Ok(session),
        Ok(true) => Err(LoginError::new(SilentLoginCode::SessionRevoked)),
        Err(error) => {
            crate::metrics::store_failure("is_revoked");
            match settings.revocation_policy {
                RevocationPolicy::FailOpen => {
                    tracing::warn!(%error, "revocation check unavailable; accepting the session (fail open)");
                    Ok(session)
                }
                RevocationPolicy::FailClosed => {
                    Err(LoginError::new(SilentLoginCode::StoreUnavailable)
                        .with_detail(error.to_string()))
                }
            }
        }
    }
}

fn session_token<'r, B>(request: &'r Request<B>, cookie_name: &str) -> Result<&'r str, LoginError> {
    let headers = request.headers();
    if let Some(value) = headers.get(AUTHORIZATION) {
        if value.len() > crate::session::MAX_TOKEN_BYTES + 16 {
            return Err(LoginError::new(SilentLoginCode::HeaderTooLarge)
                .with_detail("the Authorization header is too large"));
        }
        let text = value
            .to_str()
            .map_err(|_| invalid_session("the Authorization header is not ASCII"))?;
        if let Some((scheme, token)) = text.split_once(' ') {
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
                return Ok(token.trim());
            }
        }
    }
    let mut total = 0;
    for value in headers.get_all(COOKIE) {
        total += value.len();
        if total > MAX_COOKIE_HEADER {
            return Err(LoginError::new(SilentLoginCode::HeaderTooLarge)
                .with_detail("the Cookie header is too large"));
        }
        let Ok(text) = value.to_str() else { continue };
        // Session tokens are cookie-safe as they are (base64 and dots), so no decoding.
        for pair in text.split(';') {
            let Some((name, token)) = pair.split_once('=') else {
                continue;
            };
            let token = token.trim().trim_matches('"');
            if name.trim() == cookie_name && !token.is_empty() {
                return Ok(token);
            }
        }
    }
    Err(LoginError::new(SilentLoginCode::SessionMissing))
}

fn invalid_session(detail: &str) -> LoginError {
    LoginError::new(SilentLoginCode::SessionInvalid).with_detail(detail.to_owned())
}
