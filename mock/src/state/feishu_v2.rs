//! Feishu's current OAuth token endpoint, `POST /open-apis/authen/v2/oauth/token` (RFC 6749
//! style): the app authenticates in the body, `grant_type=authorization_code` turns a code into
//! a user access token, `grant_type=refresh_token` turns a refresh token into a new pair and
//! voids the old refresh token at once.
//!
//! Source for every code below unless noted: the error tables of
//! <https://open.feishu.cn/document/authentication-management/access-token/get-user-access-token>
//! (2025-12-22) and
//! <https://open.feishu.cn/document/authentication-management/access-token/refresh-user-access-token>
//! (2026-04-08). The messages are the tables' English descriptions.

use std::time::{Duration, Instant};

use serde::Deserialize;

use super::codes::IssuedCode;
use super::feishu::{refresh_error, UserRefusal};
use super::ledger::CodeFate;
use super::refresh::{Consumed, Generation, RefreshGrant};
use super::{ApiError, State};
use crate::clock::secs_until;
use crate::endpoint::Endpoint;
use crate::random;

/// User access token lifetime, seconds (the documented example `expires_in`: 7200).
const ACCESS_TOKEN_LIFETIME: u64 = 7200;
/// Refresh token lifetime, seconds (the documented example `refresh_token_expires_in`: 604800,
/// 7 days; <https://github.com/larksuite/cli/issues/1404> observed 7 days too).
const REFRESH_TOKEN_LIFETIME: u64 = 604_800;
/// "在用户授权应用 365 天后，应用必须通过用户重新授权的方式来获取 `user_access_token` 与
/// `refresh_token`" (refresh page): no refresh token outlives this, counted from the login.
const AUTHORIZATION_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);
/// Granted with every login.
const BASE_SCOPE: &str = "auth:user.id:read";
/// The scope that brings a refresh token.
const OFFLINE_ACCESS: &str = "offline_access";

/// `code` values of the v2 endpoint (the refresh refusals are `feishu::refresh_error`'s).
mod code {
    pub(super) const MISSING_PARAMETER: i64 = 20001;
    pub(super) const BAD_SECRET: i64 = 20002;
    pub(super) const CODE_NOT_FOUND: i64 = 20003;
    pub(super) const CODE_EXPIRED: i64 = 20004;
    pub(super) const USER_NOT_FOUND: i64 = 20008;
    pub(super) const NO_PERMISSION: i64 = 20010;
    pub(super) const OTHER_APP: i64 = 20024;
    pub(super) const UNSUPPORTED_GRANT_TYPE: i64 = 20036;
    pub(super) const UNKNOWN_APP: i64 = 20048;
    pub(super) const MALFORMED: i64 = 20063;
    pub(super) const CODE_USED: i64 = 20065;
    pub(super) const USER_STATUS: i64 = 20066;
    pub(super) const DUPLICATE_SCOPE: i64 = 20067;
    pub(super) const SCOPE_NOT_GRANTED: i64 = 20068;
    pub(super) const TWO_AUTH_METHODS: i64 = 20070;
    pub(super) const REFRESH_NOT_ALLOWED: i64 = 20074;
}

/// The body of `authen/v2/oauth/token`, JSON or form. Every field is optional here so that
/// a missing one is answered with the platform's code, not a parse error.
///
/// `redirect_uri` and `code_verifier` are accepted and not checked: the emulator's codes come
/// from the JSAPI, which has no redirect URI (so 20071 never arises), and v2 does not reject a
/// `code_verifier` sent for a code without a `code_challenge` (the v2 → v3 migration note of
/// <https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/authentication-management/access-token/get-user-access-token>).
#[derive(Default, Deserialize)]
pub(crate) struct OAuthTokenRequest {
    #[serde(default)]
    grant_type: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
}

impl OAuthTokenRequest {
    /// The app a refresh request names, if this is one (for the refresh count).
    pub(crate) fn refreshing_app(&self) -> Option<&str> {
        (self.grant_type.as_deref() == Some("refresh_token"))
            .then(|| self.client_id.as_deref().unwrap_or(""))
    }
}

/// A successful answer of the v2 endpoint.
pub(crate) struct OAuthTokens {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
    /// The refresh token and its seconds left, when `offline_access` was granted.
    pub(crate) refresh_token: Option<(String, u64)>,
    /// Space-separated.
    pub(crate) scope: String,
}

fn non_empty(value: Option<&String>) -> Option<&str> {
    value.map(String::as_str).filter(|v| !v.is_empty())
}

fn missing(name: &str) -> ApiError {
    ApiError::new(
        code::MISSING_PARAMETER,
        format!("The request is missing a required parameter: {name}."),
    )
}

impl State {
    /// `authen/v2/oauth/token`. `basic_auth` says whether an `Authorization: Basic` header came
    /// with the request; `request` is `None` when the body was neither JSON nor a form.
    pub(crate) fn feishu_oauth_token_v2(
        &mut self,
        basic_auth: bool,
        request: Option<OAuthTokenRequest>,
    ) -> Result<OAuthTokens, ApiError> {
        let request = request.ok_or_else(|| {
            ApiError::new(
                code::MALFORMED,
                "The request is malformed. Please check your request.",
            )
        })?;
        let secret = non_empty(request.client_secret.as_ref());
        if basic_auth && secret.is_some() {
            return Err(ApiError::new(
                code::TWO_AUTH_METHODS,
                "Multiple authentication methods were provided. Please only use one to proceed.",
            ));
        }
        let grant_type =
            non_empty(request.grant_type.as_ref()).ok_or_else(|| missing("grant_type"))?;
        let app = non_empty(request.client_id.as_ref()).ok_or_else(|| missing("client_id"))?;
        let secret = secret.ok_or_else(|| missing("client_secret"))?;
        match self.directory.feishu_app(app) {
            None => {
                return Err(ApiError::new(
                    code::UNKNOWN_APP,
                    "The specified app does not exist.",
                ))
            }
            Some(a) if a.app_secret != secret => {
                return Err(ApiError::new(
                    code::BAD_SECRET,
                    "The client secret is invalid.",
                ))
            }
            Some(_) => {}
        }
        let app = app.to_owned();
        match grant_type {
            "authorization_code" => self.v2_code_grant(&app, &request),
            "refresh_token" => self.v2_refresh_grant(&app, &request),
            _ => Err(ApiError::new(
                code::UNSUPPORTED_GRANT_TYPE,
                "The specified grant_type is not supported.",
            )),
        }
    }

    fn v2_code_grant(
        &mut self,
        app: &str,
        request: &OAuthTokenRequest,
    ) -> Result<OAuthTokens, ApiError> {
        let code = non_empty(request.code.as_ref()).ok_or_else(|| missing("code"))?;
        let now = self.clock.now();
        let not_found = || {
            ApiError::new(
                code::CODE_NOT_FOUND,
                "The authorization code is not found. Please note that an authorization code can only be used once.",
            )
        };
        let issued = self.take_feishu_code(now, code).map_err(|fate| match fate {
            CodeFate::Used => ApiError::new(
                code::CODE_USED,
                "The authorization code has been used. Please note that an authorization code can only be used once.",
            ),
            CodeFate::Expired => ApiError::new(
                code::CODE_EXPIRED,
                "The authorization code has expired.",
            ),
            CodeFate::Unknown => not_found(),
        })?;
        // A `tt.login` (gadget) code: v2 documents nothing for it; "not found" is the
        // emulator's choice, as the oidc exchange's 20007 is.
        if !issued.kind.is_silent_login() {
            return Err(not_found());
        }
        if issued.app != app {
            return Err(ApiError::new(code::OTHER_APP, V2_OTHER_APP));
        }
        self.feishu_login_user(app, &issued.user)
            .map_err(v2_user_error)?;
        let granted = self.v2_granted_scopes(app, &issued);
        let scopes = narrow(&granted, request.scope.as_deref())?;
        Ok(self.issue_v2_tokens(now, app, &issued.user, &scopes, now))
    }

    /// The scopes a login of `app` with `code` is granted.
    fn v2_granted_scopes(&self, app: &str, code: &IssuedCode) -> Vec<String> {
        let mut scopes = vec![BASE_SCOPE.to_owned()];
        if self.grants_refresh_token(app, code) {
            scopes.push(OFFLINE_ACCESS.to_owned());
        }
        scopes
    }

    fn v2_refresh_grant(
        &mut self,
        app: &str,
        request: &OAuthTokenRequest,
    ) -> Result<OAuthTokens, ApiError> {
        let token =
            non_empty(request.refresh_token.as_ref()).ok_or_else(|| missing("refresh_token"))?;
        let now = self.clock.now();
        let now_ms = self.clock.unix_millis();
        let endpoint = Endpoint::FeishuOAuthTokenV2;
        let old = self
            .refresh
            .check(now, now_ms, Generation::V2, endpoint, app, token)
            .map_err(|refusal| refresh_error(refusal, V2_OTHER_APP))?;
        let allowed = self
            .directory
            .feishu_app(app)
            .is_some_and(|a| a.offline_access);
        if !allowed {
            return Err(ApiError::new(
                code::REFRESH_NOT_ALLOWED,
                "The specified app is not allowed to refresh token.",
            ));
        }
        self.feishu_login_user(app, &old.user)
            .map_err(v2_user_error)?;
        let granted: Vec<String> = old.scope.split_whitespace().map(str::to_owned).collect();
        let scopes = narrow(&granted, request.scope.as_deref())?;
        self.refresh.consume(
            token,
            Consumed {
                endpoint,
                at_unix_ms: now_ms,
            },
        );
        Ok(self.issue_v2_tokens(now, app, &old.user, &scopes, old.authorized_at))
    }

    /// The `expires_in` of the next access tokens: [`ACCESS_TOKEN_LIFETIME`] unless a test set
    /// another ([`State::set_user_token_lifetime`]).
    fn access_token_lifetime(&self) -> u64 {
        self.user_token_lifetime.unwrap_or(ACCESS_TOKEN_LIFETIME)
    }

    /// Makes the next v2 user access tokens live `seconds` (`None`: the documented 7200) — for a
    /// client's refresh margin; tokens already issued keep theirs.
    pub(crate) fn set_user_token_lifetime(&mut self, seconds: Option<u64>) {
        self.user_token_lifetime = seconds;
    }

    /// A new access token, and a refresh token when `scopes` has `offline_access`.
    fn issue_v2_tokens(
        &mut self,
        now: Instant,
        app: &str,
        user: &str,
        scopes: &[String],
        authorized_at: Instant,
    ) -> OAuthTokens {
        let access_token = self.tokens.issue_user_token(
            now,
            app,
            user,
            jwt_like(),
            Duration::from_secs(self.access_token_lifetime()),
        );
        let scope = scopes.join(" ");
        let refresh_token = scopes.iter().any(|s| s == OFFLINE_ACCESS).then(|| {
            let expires_at = (now + Duration::from_secs(REFRESH_TOKEN_LIFETIME))
                .min(authorized_at + AUTHORIZATION_LIFETIME);
            let token = self.refresh.issue(
                jwt_like(),
                RefreshGrant {
                    generation: Generation::V2,
                    app: app.to_owned(),
                    user: user.to_owned(),
                    scope: scope.clone(),
                    authorized_at,
                    expires_at,
                    consumed: None,
                },
            );
            (token, secs_until(now, expires_at))
        });
        OAuthTokens {
            access_token,
            expires_in: self.access_token_lifetime(),
            refresh_token,
            scope,
        }
    }
}

/// v2's words for another app's code or refresh token.
const V2_OTHER_APP: &str =
    "The provided authorization code or refresh token does not match the provided client ID.";

/// The v2 answer to a refused user (v2 has no 20021 / 20022: both are 20066).
fn v2_user_error(refusal: UserRefusal) -> ApiError {
    match refusal {
        UserRefusal::Unknown => ApiError::new(code::USER_NOT_FOUND, "The user does not exist."),
        UserRefusal::Resigned | UserRefusal::Frozen => {
            ApiError::new(code::USER_STATUS, "The user status is invalid.")
        }
        UserRefusal::NoPermission => ApiError::new(
            code::NO_PERMISSION,
            "The user does not have permission to use this app.",
        ),
    }
}

/// The scopes of the new token: `requested` (space-separated) if given, which must be distinct
/// and granted (20067, 20068), else all of `granted`.
fn narrow(granted: &[String], requested: Option<&str>) -> Result<Vec<String>, ApiError> {
    let requested: Vec<&str> = requested.unwrap_or("").split_whitespace().collect();
    if requested.is_empty() {
        return Ok(granted.to_vec());
    }
    let mut scopes: Vec<String> = Vec::with_capacity(requested.len());
    for scope in requested {
        if scopes.iter().any(|s| s == scope) {
            return Err(ApiError::new(
                code::DUPLICATE_SCOPE,
                "The provided scope list contains duplicate scopes. Please ensure all scopes are unique.",
            ));
        }
        if !granted.iter().any(|g| g == scope) {
            return Err(ApiError::new(
                code::SCOPE_NOT_GRANTED,
                "The provided scope list contains scopes that are not permitted. Please ensure all scopes are allowed.",
            ));
        }
        scopes.push(scope.to_owned());
    }
    Ok(scopes)
}

/// A token shaped like v2's (`eyJ…`, three dot-separated parts, about 1 KB: "长度较长，一般在
/// 1~2KB 之间"), random inside.
fn jwt_like() -> String {
    // `{"alg":"ES256","kid":"mock"}`, base64url.
    const HEADER: &str = "eyJhbGciOiJFUzI1NiIsImtpZCI6Im1vY2sifQ";
    format!("{HEADER}.{}.{}", random::hex(960), random::hex(86))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn narrowing_keeps_what_was_asked_and_refuses_duplicates_and_extras() {
        let granted = scopes(&[BASE_SCOPE, OFFLINE_ACCESS]);
        assert_eq!(narrow(&granted, None).unwrap(), granted);
        assert_eq!(narrow(&granted, Some(" ")).unwrap(), granted);
        assert_eq!(
            narrow(&granted, Some(BASE_SCOPE)).unwrap(),
            scopes(&[BASE_SCOPE])
        );
        let dup = format!("{BASE_SCOPE} {BASE_SCOPE}");
        assert_eq!(narrow(&granted, Some(&dup)).unwrap_err().code, 20067);
        assert_eq!(
            narrow(&granted, Some("contact:user.email:readonly"))
                .unwrap_err()
                .code,
            20068
        );
    }

    #[test]
    fn v2_tokens_look_like_jwts() {
        let token = jwt_like();
        assert!(token.starts_with("eyJ"));
        assert_eq!(token.split('.').count(), 3);
        assert!(token.len() > 1000);
    }
}
