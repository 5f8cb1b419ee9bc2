//! The check every protected request goes through: the token from `Authorization: Bearer` or
//! the cookie, opened with the key ring, then the tenant guard and revocation. It only borrows
//! and never waits.

use std::sync::Arc;

use http::header::{AUTHORIZATION, COOKIE};
use http::HeaderMap;
use silent_login_catalog::SilentLoginCode;

use super::{KeyRing, OpenedSessions, Session, MAX_TOKEN_BYTES, OPENED_SESSIONS};
use crate::error::{Detail, LoginError};
use crate::identity::AllowedTenants;
use crate::store::{now_ms, Store};

/// The largest `Authorization` header read: `Bearer `, a token, a little whitespace.
const MAX_AUTHORIZATION: usize = MAX_TOKEN_BYTES + 16;

/// The largest `Cookie` header read; a browser's whole jar for one site is far smaller.
const MAX_COOKIE_HEADER: usize = 16 * 1024;

/// What a protected request does when the store cannot say whether its session was revoked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RevocationPolicy {
    /// Refuse the request with 503 `StoreUnavailable` (the default: a logged-out session never
    /// works again, at the price of availability).
    #[default]
    FailClosed,
    /// Accept the session on its seal and expiry alone, and log it.
    FailOpen,
}

/// Everything that decides whether a presented session is good: the keys, the sessions this
/// process already opened, the allowed organizations, and the store that knows revocations.
#[derive(Clone, Debug)]
pub(crate) struct SessionCheck {
    pub(crate) keys: KeyRing,
    /// The app sessions are sealed for and opened as (see [`audience`](super::audience)).
    pub(crate) audience: String,
    /// Sessions opened with `keys`; replaced whenever the key ring is.
    pub(crate) opened: Arc<OpenedSessions>,
    pub(crate) tenants: AllowedTenants,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) policy: RevocationPolicy,
}

impl SessionCheck {
    pub(crate) fn new(keys: KeyRing, audience: String, store: Arc<dyn Store>) -> Self {
        Self {
            keys,
            audience,
            opened: Arc::new(OpenedSessions::new(OPENED_SESSIONS)),
            tenants: AllowedTenants::default(),
            store,
            policy: RevocationPolicy::default(),
        }
    }

    /// Seals new sessions with `keys` from now on, and forgets what the old ring opened.
    pub(crate) fn set_keys(&mut self, keys: KeyRing) {
        self.keys = keys;
        self.opened = Arc::new(OpenedSessions::new(OPENED_SESSIONS));
    }

    /// The session of a request: bearer token first (mini programs have no cookies), then the
    /// cookie named `cookie_name`.
    pub(crate) fn authenticate(
        &self,
        headers: &HeaderMap,
        cookie_name: &str,
    ) -> Result<Arc<Session>, LoginError> {
        let session = self.open(headers, cookie_name)?;
        self.tenants.check(&session.identity)?;
        self.check_revocation(&session)?;
        Ok(session)
    }

    /// The session of a request on its seal, audience and expiry alone: what logout needs to
    /// revoke it, whether or not the store can tell that it was revoked already.
    pub(crate) fn open(
        &self,
        headers: &HeaderMap,
        cookie_name: &str,
    ) -> Result<Arc<Session>, LoginError> {
        let now = now_ms();
        if let Some(opened) = opened_bearer(headers).and_then(|token| self.opened.get(token, now)) {
            return opened;
        }
        let token = session_token(headers, cookie_name)?;
        self.opened.open(&self.keys, token, &self.audience, now)
    }

    /// Seals a new session for this app.
    pub(crate) fn seal(&self, session: &Session) -> String {
        self.keys.seal(session, &self.audience)
    }

    fn check_revocation(&self, session: &Session) -> Result<(), LoginError> {
        match self
            .store
            .is_revoked(&session.id, &session.identity, session.issued_at_ms)
        {
            Ok(false) => Ok(()),
            Ok(true) => Err(LoginError::new(SilentLoginCode::SessionRevoked)),
            Err(error) => {
                crate::metrics::store_failure("is_revoked");
                match self.policy {
                    RevocationPolicy::FailOpen => {
                        tracing::warn!(%error, "revocation check unavailable; accepting the session (fail open)");
                        Ok(())
                    }
                    RevocationPolicy::FailClosed => {
                        Err(LoginError::new(SilentLoginCode::StoreUnavailable)
                            .with_detail(error.detail()))
                    }
                }
            }
        }
    }
}

/// The bearer token of `headers` when it is one this process may have opened, read without
/// validating the whole header: a token found in the opened sessions is byte for byte one that
/// [`session_token`] accepted before, and header values hold no other whitespace than spaces and
/// tabs. Anything else (and every miss) takes the full reading.
pub(super) fn opened_bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(AUTHORIZATION)?.as_bytes();
    if value.len() > MAX_AUTHORIZATION {
        return None;
    }
    let (scheme, token) = value.split_at_checked(7)?;
    if scheme != b"Bearer " && !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    let blank = |byte: &u8| *byte == b' ' || *byte == b'\t';
    let start = token.iter().position(|byte| !blank(byte))?;
    let end = token.iter().rposition(|byte| !blank(byte))? + 1;
    Some(&token[start..end])
}

/// The value of the first pair named `name` in a `Cookie` header (RFC 6265 section 5.4: pairs
/// split on `;`, at the first `=`, spaces and tabs around name and value dropped), surrounding
/// double quotes dropped; a value empty once unquoted (`sid=""`) is no token and the next pair is
/// read. Session tokens are cookie-safe as they are (base64 and dots), so nothing is decoded —
/// reading one value needs none of the attribute parsing of a `Set-Cookie`.
fn cookie_value<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    let blank = [' ', '\t'];
    text.split(';').find_map(|pair| {
        let (pair_name, value) = pair.split_once('=')?;
        let value = value.trim_matches(blank).trim_matches('"');
        (pair_name.trim_matches(blank) == name && !value.is_empty()).then_some(value)
    })
}

pub(super) fn session_token<'h>(
    headers: &'h HeaderMap,
    cookie_name: &str,
) -> Result<&'h str, LoginError> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        if value.len() > MAX_AUTHORIZATION {
            return Err(
                LoginError::new(SilentLoginCode::HeaderTooLarge).with_detail(Detail::new(
                    "the Authorization header is too large",
                    "Authorization 请求头过大",
                )),
            );
        }
        let text = value.to_str().map_err(|_| {
            LoginError::new(SilentLoginCode::SessionInvalid).with_detail(Detail::new(
                "the Authorization header is not ASCII",
                "Authorization 请求头含有非 ASCII 字符",
            ))
        })?;
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
            return Err(
                LoginError::new(SilentLoginCode::HeaderTooLarge).with_detail(Detail::new(
                    "the Cookie header is too large",
                    "Cookie 请求头过大",
                )),
            );
        }
        let Ok(text) = value.to_str() else { continue };
        if let Some(token) = cookie_value(text, cookie_name) {
            return Ok(token);
        }
    }
    Err(LoginError::new(SilentLoginCode::SessionMissing))
}
