//! The default store: one process's memory, with expiry and caps.

use std::collections::HashMap;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};

use super::expiry::ExpiringMap;
use super::{now_ms, LockToken, Store, StoreError, StoreFuture, StoredToken};
use crate::identity::Identity;
use crate::secret::AppToken;

/// The most code fingerprints the ledger holds. At the cap the entry closest to its own expiry
/// is dropped: that code loses only the "already used" narrowing (the platform still refuses a
/// second use), and memory stays bounded whatever arrives.
pub const MAX_CODES: usize = 100_000;

/// A [`Store`] in this process's memory: right for one replica, and for tests.
///
/// The code ledger holds at most [`MAX_CODES`] fingerprints; revocations are never dropped
/// before their time, and leave when the sessions they name would have expired anyway.
///
/// ```
/// let layer_store = silent_login::MemoryStore::new();
/// # let _ = layer_store;
/// ```
#[derive(Debug)]
pub struct MemoryStore {
    tokens: Mutex<Tokens>,
    codes: Mutex<ExpiringMap<()>>,
    user_tokens: Mutex<ExpiringMap<String>>,
    code_cap: usize,
    /// Apart, and read-locked: every authenticated request reads it, logouts rarely write it.
    revoked: RwLock<Revoked>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_code_cap(MAX_CODES)
    }
}

#[derive(Debug, Default)]
struct Tokens {
    tokens: HashMap<String, StoredToken>,
    locks: HashMap<String, (String, u64)>,
}

/// Revoked sessions (until they expire) and each user's "revoked up to" mark (for as long as a
/// session lives).
#[derive(Debug, Default)]
struct Revoked {
    sessions: ExpiringMap<()>,
    users: ExpiringMap<u64>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store whose code ledger holds at most `cap` fingerprints.
    pub fn with_code_cap(cap: usize) -> Self {
        Self {
            tokens: Mutex::default(),
            codes: Mutex::default(),
            user_tokens: Mutex::default(),
            code_cap: cap.max(1),
            revoked: RwLock::default(),
        }
    }

    /// How many entries the store holds (codes, revocations, tokens, locks), for tests and
    /// monitoring.
    pub fn len(&self) -> usize {
        let tokens = self.tokens.lock();
        let revoked = self.revoked.read();
        tokens.tokens.len()
            + tokens.locks.len()
            + self.codes.lock().len()
            + revoked.sessions.len()
            + revoked.users.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How many locks the map holds before expired ones are swept.
const STALE_LOCK_SWEEP: usize = 1024;

fn ready<T: Send + 'static>(value: T) -> StoreFuture<'static, T> {
    Box::pin(std::future::ready(Ok(value)))
}

impl Store for MemoryStore {
    fn load_token<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        let now = now_ms();
        let token = self
            .tokens
            .lock()
            .tokens
            .get(key)
            .filter(|token| token.refresh_at_ms > now)
            .cloned();
        ready(token)
    }

    fn save_token<'a>(&'a self, key: &'a str, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        self.tokens
            .lock()
            .tokens
            .insert(key.to_owned(), token.clone());
        ready(())
    }

    fn evict_token<'a>(&'a self, key: &'a str, token: &'a AppToken) -> StoreFuture<'a, ()> {
        let mut tokens = self.tokens.lock();
        if tokens
            .tokens
            .get(key)
            .is_some_and(|stored| &stored.token == token)
        {
            tokens.tokens.remove(key);
        }
        ready(())
    }

    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
        let now = now_ms();
        let mut tokens = self.tokens.lock();
        let held = tokens.locks.get(key).is_some_and(|(_, until)| *until > now);
        if held {
            return ready(None);
        }
        let holder = crate::secret::random_id();
        // One lock per app token and per session refreshing its user token; holders unlock,
        // and what a dropped future left behind goes once the map grows.
        if tokens.locks.len() >= STALE_LOCK_SWEEP {
            tokens.locks.retain(|_, (_, until)| *until > now);
        }
        tokens.locks.insert(
            key.to_owned(),
            (holder.clone(), now + ttl.as_millis() as u64),
        );
        ready(Some(LockToken(holder)))
    }

    fn unlock<'a>(&'a self, key: &'a str, lock: LockToken) -> StoreFuture<'a, ()> {
        let mut tokens = self.tokens.lock();
        if tokens
            .locks
            .get(key)
            .is_some_and(|(holder, _)| *holder == lock.0)
        {
            tokens.locks.remove(key);
        }
        ready(())
    }

    fn keeps_user_tokens(&self) -> bool {
        true
    }

    fn load_user_token<'a>(&'a self, session_id: &'a str) -> StoreFuture<'a, Option<String>> {
        let record = self.user_tokens.lock().get(session_id, now_ms()).cloned();
        ready(record)
    }

    fn save_user_token<'a>(
        &'a self,
        session_id: &'a str,
        sealed: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        let now = now_ms();
        let mut records = self.user_tokens.lock();
        records.prune(now);
        records.insert(
            session_id.to_owned(),
            sealed.to_owned(),
            now + ttl.as_millis() as u64,
        );
        ready(())
    }

    fn delete_user_token<'a>(&'a self, session_id: &'a str) -> StoreFuture<'a, ()> {
        self.user_tokens.lock().remove(session_id);
        ready(())
    }

    fn mark_code<'a>(&'a self, fingerprint: &'a str, ttl: Duration) -> StoreFuture<'a, bool> {
        let now = now_ms();
        let mut codes = self.codes.lock();
        codes.prune(now);
        if codes.get(fingerprint, now).is_some() {
            return ready(false);
        }
        if codes.len() >= self.code_cap {
            codes.pop_soonest();
        }
        codes.insert(fingerprint.to_owned(), (), now + ttl.as_millis() as u64);
        ready(true)
    }

    fn unmark_code<'a>(&'a self, fingerprint: &'a str) -> StoreFuture<'a, ()> {
        self.codes.lock().remove(fingerprint);
        ready(())
    }

    fn revoke_session<'a>(
        &'a self,
        session_id: &'a str,
        expires_at_ms: u64,
    ) -> StoreFuture<'a, ()> {
        let mut revoked = self.revoked.write();
        revoked.sessions.prune(now_ms());
        revoked
            .sessions
            .insert(session_id.to_owned(), (), expires_at_ms);
        ready(())
    }

    fn revoke_user<'a>(&'a self, user_key: &'a str, remember: Duration) -> StoreFuture<'a, ()> {
        let now = now_ms();
        let mut revoked = self.revoked.write();
        revoked.users.prune(now);
        let forget_at = now + remember.as_millis() as u64;
        revoked
            .users
            .merge(user_key, now, forget_at, |old, new| (*old).max(new));
        ready(())
    }

    fn is_revoked(
        &self,
        session_id: &str,
        user: &Identity,
        issued_at_ms: u64,
    ) -> Result<bool, StoreError> {
        let revoked = self.revoked.read();
        // Most of the time nothing is revoked: no clock read, no hashing.
        if revoked.sessions.is_empty() && revoked.users.is_empty() {
            return Ok(false);
        }
        let now = now_ms();
        if revoked.sessions.get(session_id, now).is_some() {
            return Ok(true);
        }
        if revoked.users.is_empty() {
            return Ok(false);
        }
        Ok(revoked
            .users
            .get(&user.key(), now)
            .is_some_and(|up_to| issued_at_ms <= *up_to))
    }

    fn issued_at_ms(&self, user: &Identity) -> u64 {
        let now = now_ms();
        let revoked = self.revoked.read();
        match revoked.users.get(&user.key(), now) {
            Some(mark) => now.max(mark + 1),
            None => now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_code_is_first_only_once_until_forgotten() {
        let store = MemoryStore::new();
        let ttl = Duration::from_secs(300);
        assert!(store.mark_code("fp", ttl).await.unwrap());
        assert!(!store.mark_code("fp", ttl).await.unwrap());
        store.unmark_code("fp").await.unwrap();
        assert!(store.mark_code("fp", ttl).await.unwrap());
    }

    #[tokio::test]
    async fn evict_only_removes_the_token_it_names() {
        let store = MemoryStore::new();
        let fresh = StoredToken {
            token: AppToken::new("new"),
            refresh_at_ms: now_ms() + 60_000,
        };
        store.save_token("k", &fresh).await.unwrap();
        store.evict_token("k", &AppToken::new("old")).await.unwrap();
        assert_eq!(store.load_token("k").await.unwrap(), Some(fresh.clone()));
        store.evict_token("k", &fresh.token).await.unwrap();
        assert_eq!(store.load_token("k").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_lock_has_one_holder_until_released() {
        let store = MemoryStore::new();
        let minute = Duration::from_secs(60);
        let lock = store.try_lock("k", minute).await.unwrap().unwrap();
        assert!(store.try_lock("k", minute).await.unwrap().is_none());
        store
            .unlock("k", LockToken("someone else".into()))
            .await
            .unwrap();
        assert!(
            store.try_lock("k", minute).await.unwrap().is_none(),
            "only the holder releases it"
        );
        store.unlock("k", lock).await.unwrap();
        assert!(store.try_lock("k", minute).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_crashed_holder_s_lock_expires() {
        let store = MemoryStore::new();
        let _crashed = store.try_lock("k", Duration::from_millis(1)).await.unwrap();
        std::thread::sleep(Duration::from_millis(5));
        assert!(store
            .try_lock("k", Duration::from_secs(60))
            .await
            .unwrap()
            .is_some());
    }

    #[tokio::test]
    async fn the_code_ledger_is_capped_and_drops_the_oldest() {
        let store = MemoryStore::with_code_cap(3);
        let ttl = Duration::from_secs(300);
        for fingerprint in ["a", "b", "c", "d"] {
            assert!(store.mark_code(fingerprint, ttl).await.unwrap());
        }
        assert_eq!(store.len(), 3);
        assert!(
            !store.mark_code("d", ttl).await.unwrap(),
            "the newest is kept"
        );
        assert!(
            store.mark_code("a", ttl).await.unwrap(),
            "the oldest was dropped at the cap"
        );
    }

    fn user(id: &str) -> Identity {
        Identity::new(crate::IdentityFields {
            provider: crate::identity::ProviderKind::DingTalk,
            user_id: id.into(),
            union_id: None,
            open_id: None,
            name: None,
            tenant: Some("corp".into()),
            is_admin: false,
            extra: Default::default(),
        })
    }

    #[tokio::test]
    async fn revoking_a_user_ends_sessions_issued_until_then_only() {
        let store = MemoryStore::new();
        let before = now_ms() - 1;
        store
            .revoke_user(&user("alice").key(), Duration::from_secs(60))
            .await
            .unwrap();
        assert!(store.is_revoked("s1", &user("alice"), before).unwrap());
        let after = store.issued_at_ms(&user("alice"));
        assert!(
            !store.is_revoked("s2", &user("alice"), after).unwrap(),
            "a login right after logout-all, even in the same millisecond, is not caught by it"
        );
        assert!(!store.is_revoked("s1", &user("bob"), before).unwrap());
        store.revoke_session("s2", now_ms() + 60_000).await.unwrap();
        assert!(store.is_revoked("s2", &user("alice"), after).unwrap());
    }
}
