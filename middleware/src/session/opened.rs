//! Sessions this process already opened: a busy client's every request then skips base64,
//! AES-GCM and JSON. Only tokens that opened with the key ring are kept, keyed by the whole
//! token, and expiry is checked on every hit; revocation and the tenant guard are checked by the
//! caller on every request as before.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::Equivalent;
use silent_login_catalog::SilentLoginCode;

use super::{KeyRing, Session};
use crate::error::LoginError;

/// How many opened sessions a process keeps (about 1 KiB each).
pub(crate) const OPENED_SESSIONS: usize = 10_000;

/// How many bytes at the end of a token are hashed, read as one number. A token ends in its
/// AES-GCM tag (base64), which differs between any two sealings, so its last eight characters
/// (48 random bits) spread tokens as well as the whole would; equality still compares every
/// byte, so a token that only shares the tail is not taken. Only tokens that opened are kept,
/// so nobody can fill the cache with tokens crafted to share a tail.
const HASHED_TAIL: usize = 8;

fn hash_tail<H: Hasher>(token: &[u8], state: &mut H) {
    let tail = &token[token.len().saturating_sub(HASHED_TAIL)..];
    let mut bytes = [0; HASHED_TAIL];
    bytes[..tail.len()].copy_from_slice(tail);
    state.write_u64(u64::from_le_bytes(bytes));
}

/// A kept token, as its bytes.
#[derive(PartialEq, Eq)]
struct Kept(Box<[u8]>);

impl Hash for Kept {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_tail(&self.0, state);
    }
}

/// A presented token, looked up without copying it.
struct Presented<'t>(&'t [u8]);

impl Hash for Presented<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_tail(self.0, state);
    }
}

impl Equivalent<Kept> for Presented<'_> {
    fn equivalent(&self, key: &Kept) -> bool {
        *self.0 == *key.0
    }
}

pub(crate) struct OpenedSessions {
    cache: Cache<Kept, Arc<Session>>,
}

impl fmt::Debug for OpenedSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedSessions")
            .field("len", &self.cache.len())
            .finish()
    }
}

impl OpenedSessions {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            cache: Cache::new(capacity.max(1)),
        }
    }

    /// The session `token` opened before, unless it expired since; `None` when it was not opened
    /// here (or was forgotten).
    pub(crate) fn get(
        &self,
        token: &[u8],
        now_ms: u64,
    ) -> Option<Result<Arc<Session>, LoginError>> {
        let session = self.cache.get(&Presented(token))?;
        if now_ms < session.expires_at_ms {
            return Some(Ok(session));
        }
        self.cache.remove(&Presented(token));
        Some(Err(LoginError::new(SilentLoginCode::SessionExpired)))
    }

    /// Opens `token` with `keys` for `audience`, or takes the session this process opened
    /// before (the cache belongs to one layer, so to one audience).
    pub(crate) fn open(
        &self,
        keys: &KeyRing,
        token: &str,
        audience: &str,
        now_ms: u64,
    ) -> Result<Arc<Session>, LoginError> {
        if let Some(opened) = self.get(token.as_bytes(), now_ms) {
            return opened;
        }
        let session = Arc::new(keys.unseal(token, audience, now_ms)?);
        self.cache
            .insert(Kept(token.as_bytes().into()), Arc::clone(&session));
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Identity, IdentityFields, ProviderKind};
    use crate::session::SessionKey;

    const APP: &str = "feishu:cli_app";

    fn session(expires_at_ms: u64) -> Session {
        Session {
            id: "sid".into(),
            identity: Identity::new(IdentityFields {
                provider: ProviderKind::Feishu,
                user_id: "ou_alice".into(),
                union_id: None,
                open_id: None,
                name: None,
                tenant: None,
                is_admin: false,
                extra: Default::default(),
            }),
            issued_at_ms: 1,
            expires_at_ms,
        }
    }

    #[test]
    fn a_kept_session_still_expires() {
        let keys = KeyRing::new(SessionKey::generate());
        let opened = OpenedSessions::new(16);
        let token = keys.seal(&session(1_000), APP);
        assert!(opened.open(&keys, &token, APP, 10).is_ok());
        assert!(opened.open(&keys, &token, APP, 999).is_ok());
        assert!(opened
            .open(&keys, &token, APP, 1_000)
            .unwrap_err()
            .is(SilentLoginCode::SessionExpired));
        assert!(opened
            .open(&keys, &token, APP, 1_001)
            .unwrap_err()
            .is(SilentLoginCode::SessionExpired));
    }

    #[test]
    fn only_tokens_that_open_are_kept() {
        let keys = KeyRing::new(SessionKey::generate());
        let opened = OpenedSessions::new(16);
        let mut token = keys.seal(&session(1_000), APP);
        token.push('A');
        assert!(opened.open(&keys, &token, APP, 10).is_err());
        assert!(
            opened.open(&keys, &token, APP, 10).is_err(),
            "a refused token is refused again"
        );
        assert_eq!(opened.cache.len(), 0);
    }
}
