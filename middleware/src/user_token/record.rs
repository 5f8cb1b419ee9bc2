//! A session's user-token record as the store keeps it: sealed with a subkey of the session key
//! ring (AES-256-GCM through the `cookie` crate's private jar), bound to its app and session, so
//! whoever reads the store learns nothing and cannot move a record to another session.

use std::fmt;

use cookie::{Cookie, CookieJar, Key};
use serde::{Deserialize, Serialize};
use silent_login_catalog::SilentLoginCode;

use crate::error::{Detail, ErrorRecord, LoginError};
use crate::provider::UserGrant;
use crate::session::KeyRing;

/// What the subkeys are for; a new purpose gives unrelated keys.
const PURPOSE: &str = "silent-login user token v1";

/// A session's record: its live token pair, or why it needs a new login.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub(super) enum Record {
    /// The current pair.
    Live(Live),
    /// The platform refused the refresh for good: every request answers this until the session
    /// logs in again.
    Dropped {
        /// The refusal, as replicas hand errors to each other.
        error: ErrorRecord,
    },
}

/// The current token pair with its expiry times by this deployment's clocks.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Live {
    pub(super) access: String,
    pub(super) access_until_ms: u64,
    pub(super) refresh: Option<String>,
    pub(super) refresh_until_ms: Option<u64>,
    pub(super) scope: Option<String>,
}

impl fmt::Debug for Live {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Live")
            .field("access", &"***")
            .field("access_until_ms", &self.access_until_ms)
            .field("refresh", &self.refresh.as_ref().map(|_| "***"))
            .field("refresh_until_ms", &self.refresh_until_ms)
            .field("scope", &self.scope)
            .finish()
    }
}

impl Live {
    /// The pair the platform just issued at `now_ms`. A refresh answer without a refresh token
    /// leaves none (the platform decides whether the next refresh is allowed).
    pub(super) fn issued(grant: UserGrant, now_ms: u64) -> Self {
        let until =
            |lifetime: std::time::Duration| now_ms.saturating_add(lifetime.as_millis() as u64);
        Self {
            access: grant.access_token.expose().to_owned(),
            access_until_ms: until(grant.expires_in),
            refresh_until_ms: grant
                .refresh_token
                .as_ref()
                .and(grant.refresh_expires_in)
                .map(until),
            refresh: grant.refresh_token.map(|token| token.expose().to_owned()),
            scope: grant.scope,
        }
    }
}

/// Seals and opens records with the subkeys of one key ring, for one app.
#[derive(Clone)]
pub(super) struct RecordSealer {
    /// The current key first, then the previous ones, each with its public id.
    keys: Vec<(String, Key)>,
    audience: String,
}

impl fmt::Debug for RecordSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("RecordSealer")
            .field("key_ids", &ids)
            .field("audience", &self.audience)
            .finish()
    }
}

impl RecordSealer {
    pub(super) fn new(ring: &KeyRing, audience: &str) -> Self {
        let keys = ring
            .subkeys(PURPOSE)
            .into_iter()
            .map(|(id, bytes)| (id, Key::derive_from(&bytes)))
            .collect();
        Self {
            keys,
            audience: audience.to_owned(),
        }
    }

    /// The associated data: the record opens only for this app and this session.
    fn name(&self, session_id: &str) -> String {
        format!("silent-login-user-token:{}:{session_id}", self.audience)
    }

    /// `<key id>.<sealed JSON>` with the current key.
    pub(super) fn seal(&self, session_id: &str, record: &Record) -> Option<String> {
        let (id, key) = self.keys.first()?;
        let json = serde_json::to_string(record).ok()?;
        let name = self.name(session_id);
        let mut jar = CookieJar::new();
        jar.private_mut(key).add(Cookie::new(name.clone(), json));
        let sealed = jar.get(&name)?.value().to_owned();
        Some(format!("{id}.{sealed}"))
    }

    /// Opens a record of `session_id`; one that does not open is as good as none.
    pub(super) fn open(&self, session_id: &str, text: &str) -> Result<Record, LoginError> {
        let unreadable = |en: &str, zh: &str| {
            LoginError::new(SilentLoginCode::UserTokenMissing)
                .with_cause("store_lost")
                .with_detail(Detail::new(en, zh))
        };
        let Some((id, sealed)) = text.split_once('.') else {
            return Err(unreadable(
                "the stored user-token record is not one silent-login sealed",
                "存储中的用户令牌记录不是 silent-login 封装的",
            ));
        };
        let Some((_, key)) = self.keys.iter().find(|(key_id, _)| key_id == id) else {
            return Err(unreadable(
                "the stored user-token record was sealed with a key no longer in the ring",
                "存储中的用户令牌记录是用一个已不在密钥环中的密钥封装的",
            ));
        };
        let jar = CookieJar::new();
        let opened = jar
            .private(key)
            .decrypt(Cookie::new(self.name(session_id), sealed.to_owned()))
            .ok_or_else(|| {
                unreadable(
                    "the stored user-token record does not open for this session (altered, or another session's)",
                    "存储中的用户令牌记录无法为本会话打开（被改动过，或者属于另一个会话）",
                )
            })?;
        serde_json::from_str(opened.value()).map_err(|_| {
            unreadable(
                "the stored user-token record's content is unreadable",
                "存储中的用户令牌记录内容无法读取",
            )
        })
    }
}

impl Record {
    pub(super) fn dropped(error: &LoginError) -> Self {
        Record::Dropped {
            error: error.to_record(),
        }
    }
}
