//! What a code exchange yields besides the identity: the user's own token, when the platform
//! issues one (Feishu's `user_access_token`, with a `refresh_token` when the app holds
//! `offline_access`).

use std::time::Duration;

use crate::identity::Identity;
use crate::secret::{RefreshToken, UserToken};

/// The user's token pair as the platform issued it, at login or at a refresh.
///
/// `Debug` prints no token: both act as the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserGrant {
    /// The token that acts as the user.
    pub access_token: UserToken,
    /// How long the access token lives from now, as the platform said (`expires_in`).
    pub expires_in: Duration,
    /// The token that mints the next pair, once; `None` when the app did not get
    /// `offline_access`.
    pub refresh_token: Option<RefreshToken>,
    /// How long the refresh token lives from now (`refresh_token_expires_in`), when given.
    pub refresh_expires_in: Option<Duration>,
    /// The scopes granted, space separated, when the platform said.
    pub scope: Option<String>,
}

/// An exchanged code: who logged in, and their token when the platform issues one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchanged {
    /// The verified user.
    pub identity: Identity,
    /// The user's token pair (Feishu/Lark), `None` on platforms that issue none to a login
    /// (DingTalk's internal-app login).
    pub grant: Option<UserGrant>,
}
