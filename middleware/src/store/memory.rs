//! The default store: one process's memory, with expiry.

use std::collections::HashMap;
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{now_ms, LockToken, Store, StoreError, StoreFuture, StoredToken};
use crate::identity::Identity;
use crate::secret::AppToken;

/// Entries are swept once this many were added since the last sweep.
const SWEEP_EVERY: usize = 1024;

/// A [`Store`] in this process's memory: right for one replica, and for tests.
///
/// ```
/// let layer_store = silent_login::MemoryStore::new();
/// # let _ = layer_store;
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    /// Apart, and read-locked: every authenticated request reads it, logouts rarely write it.
    revoked: RwLock<Revoked>,
}

#[derive(Debug, Default)]
struct Revoked {
    sessions: HashMap<String, u64>,
    users: HashMap<String, (u64, u64)>,
    added_since_sweep: usize,
}

impl Revoked {
    fn added(&mut self, now: u64) {
        self.added_since_sweep += 1;
        if self.added_since_sweep >= SWEEP_EVERY {
            self.added_since_sweep = 0;
            self.sessions.retain(|_, until| *until > now);
            self.users.retain(|_, (_, until)| *until > now);
        }
    }
}

#[derive(Debug, Default)]
struct State {
    tokens: HashMap<String, StoredToken>,
    locks: HashMap<String, (String, u64)>,
    codes: HashMap<String, u64>,
    added_since_sweep: usize,
}

impl State {
    fn added(&mut self, now: u64) {
        self.added_since_sweep += 1;
        if self.added_since_sweep >= SWEEP_EVERY {
            self.added_since_sweep = 0;
            self.codes.retain(|_, until| *until > now);
            self.locks.retain(|_, (_, until)| *until > now);
        }
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    fn revoked(&self) -> RwLockReadGuard<'_, Revoked> {
        self.revoked.read()
    }

    fn revoked_mut(&self) -> RwLockWriteGuard<'_, Revoked> {
        self.revoked.write()
    }

    /// How many entries the store holds (codes, revocations, tokens, locks), for tests and
    /// monitoring.
    pub fn len(&self) -> usize {
        let state = self.state();
        let revoked = self.revoked();
        state.tokens.len()
            + state.locks.len()
            + state.codes.len()
            + revoked.sessions.len()
            + revoked.users.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn ready<T: Send + 'static>(value: T) -> StoreFuture<'static, T> {
    Box::pin(std::future::ready(Ok(value)))
}

impl Store for MemoryStore {
    fn load_token<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        let now = now_ms();
        let token = self
            .state()
            .tokens
            .get(key)
            .filter(|token| token.refresh_at_ms > now)
            .cloned();
        ready(token)
    }

    fn save_token<'a>(&'a self, key: &'a str, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        self.state().tokens.insert(key.to_owned(), token.clone());
        ready(())
    }

    fn evict_token<'a>(&'a self, key: &'a str, token: &'a AppToken) -> StoreFuture<'a, ()> {
        let mut state = self.state();
        if state
            .tokens
            .get(key)
            .is_some_and(|stored| &stored.token == token)
        {
            state.tokens.remove(key);
        }
        ready(())
    }

    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
        let now = now_ms();
        let mut state = self.state();
        let held = state.locks.get(key).is_some_and(|(_, until)| *until > now);
        if held {
            return ready(None);
        }
        let holder = crate::secret::random_id();
        state.locks.insert(
            key.to_owned(),
            (holder.clone(), now + ttl.as_millis() as u64),
        );
        ready(Some(LockToken(holder)))
    }

    fn unlock<'a>(&'a self, key: &'a str, lock: LockToken) -> StoreFuture<'a, ()> {
        let mut state = self.state();
        if state
            .locks
            .get(key)
            .is_some_and(|(holder, _)| *holder == lock.0)
        {
            state.locks.remove(key);
        }
        ready(())
    }

    fn mark_code<'a>(&'a self, fingerprint: &'a str, ttl: Duration) -> StoreFuture<'a, bool> {
        let now = now_ms();
        let mut state = self.state();
        let seen = state
            .codes
            .get(fingerprint)
            .is_some_and(|until| *until > now);
        if !seen {
            state
                .codes
                .insert(fingerprint.to_owned(), now + ttl.as_millis() as u64);
            state.added(now);
        }
        ready(!seen)
    }

    fn unmark_code<'a>(&'a self, fingerprint: &'a str) -> StoreFuture<'a, ()> {
        self.state().codes.remove(fingerprint);
        ready(())
    }

    fn revoke_session<'a>(
        &'a self,
        session_id: &'a str,
        expires_at_ms: u64,
    ) -> StoreFuture<'a, ()> {
        let now = now_ms();
        let mut revoked = self.revoked_mut();
        revoked
            .sessions
            .insert(session_id.to_owned(), expires_at_ms);
        revoked.added(now);
        ready(())
    }

    fn revoke_user<'a>(
        &'a self,
        user_key: &'a str,
        issued_up_to_ms: u64,
        remember: Duration,
    ) -> StoreFuture<'a, ()> {
        let now = now_ms();
        let mut revoked = self.revoked_mut();
        let until = now + remember.as_millis() as u64;
        let entry = revoked
            .users
            .entry(user_key.to_owned())
            .or_insert((0, until));
        *entry = (entry.0.max(issued_up_to_ms), entry.1.max(until));
        revoked.added(now);
        ready(())
    }

    fn is_revoked(
        &self,
        session_id: &str,
        user: &Identity,
        issued_at_ms: u64,
    ) -> Result<bool, StoreError> {
        let revoked = self.revoked();
        if revoked.sessions.contains_key(session_id) {
            return Ok(true);
        }
        if revoked.users.is_empty() {
            return Ok(false);
        }
        Ok(revoked
            .users
            .get(&user.key())
            .is_some_and(|(up_to, _)| issued_at_ms <= *up_to))
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
    async fn a_lock_has_one_holder_and_expires() {
        let store = MemoryStore::new();
        let lock = store
            .try_lock("k", Duration::from_millis(30))
            .await
            .unwrap()
            .unwrap();
        assert!(store
            .try_lock("k", Duration::from_secs(1))
            .await
            .unwrap()
            .is_none());
        store
            .unlock("k", LockToken("someone else".into()))
            .await
            .unwrap();
        assert!(store
            .try_lock("k", Duration::from_secs(1))
            .await
            .unwrap()
            .is_none());
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert!(store
            .try_lock("k", Duration::from_secs(1))
            .await
            .unwrap()
            .is_some());
        store.unlock("k", lock).await.unwrap();
    }

    fn user(id: &str) -> Identity {
        Identity {
            provider: crate::identity::ProviderKind::DingTalk,
            user_id: id.to_owned(),
            union_id: None,
            open_id: None,
            name: None,
            tenant: Some("corp".to_owned()),
            is_admin: false,
            extra: Default::default(),
        }
    }

    #[tokio::test]
    async fn revoking_a_user_ends_sessions_issued_until_then_only() {
        let store = MemoryStore::new();
        store
            .revoke_user(&user("alice").key(), 1_000, Duration::from_secs(60))
            .await
            .unwrap();
        assert!(store.is_revoked("s1", &user("alice"), 999).unwrap());
        assert!(store.is_revoked("s1", &user("alice"), 1_000).unwrap());
        assert!(!store.is_revoked("s2", &user("alice"), 1_001).unwrap());
        assert!(!store.is_revoked("s1", &user("bob"), 10).unwrap());
        store.revoke_session("s2", now_ms() + 60_000).await.unwrap();
        assert!(store.is_revoked("s2", &user("alice"), 1_001).unwrap());
    }
}
