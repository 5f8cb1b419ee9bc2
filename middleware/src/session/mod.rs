//! Sessions: sealed, self-contained tokens any replica holding the key can open; the check of
//! every protected request; ending sessions early.
//!
//! A session token is `v2.<key id>.<audience tag>.<sealed>`: the session (identity, id, issue and
//! expiry times) as JSON, sealed with AES-256-GCM through the `cookie` crate's private jar, with
//! the app it is for (`<provider>:<app id>`, the [`audience()`]) as associated data. The key id
//! says which key of the [`KeyRing`] sealed it, so a token from a rotated-out or foreign key is
//! told apart from a tampered one; the audience tag tells another app's session apart too, and
//! the seal checks it.

mod check;
mod keyring;
mod opened;
#[cfg(test)]
mod properties;
mod revoke;

pub use check::RevocationPolicy;
pub(crate) use check::SessionCheck;
pub use keyring::{audience, KeyRing, SessionKey, MAX_TOKEN_BYTES, MIN_KEY_BYTES};
use opened::{OpenedSessions, OPENED_SESSIONS};
pub use revoke::Sessions;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::identity::Identity;

/// One login's session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// A random id, new at every login; revocation names it.
    #[serde(rename = "sid")]
    pub id: Arc<str>,
    /// Who logged in.
    #[serde(rename = "sub")]
    pub identity: Identity,
    /// When, in Unix milliseconds.
    #[serde(rename = "iat")]
    pub issued_at_ms: u64,
    /// Until when, in Unix milliseconds.
    #[serde(rename = "exp")]
    pub expires_at_ms: u64,
}

impl Session {
    /// The identity, and what else a handler may know of the session.
    pub fn into_parts(self) -> (Identity, SessionInfo) {
        let info = SessionInfo {
            id: self.id,
            issued_at_ms: self.issued_at_ms,
            expires_at_ms: self.expires_at_ms,
        };
        (self.identity, info)
    }

    /// What a handler may know of the session besides the identity.
    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            id: self.id.clone(),
            issued_at_ms: self.issued_at_ms,
            expires_at_ms: self.expires_at_ms,
        }
    }
}

/// The session of the current request, next to its [`Identity`] in the request extensions
/// (`Option<SessionInfo>` is an axum extractor). Pass it to
/// [`Sessions::logout`](crate::Sessions::logout) to end it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// The session id (new at every login).
    pub id: Arc<str>,
    /// When the user logged in, in Unix milliseconds.
    pub issued_at_ms: u64,
    /// When the session ends, in Unix milliseconds.
    pub expires_at_ms: u64,
}
