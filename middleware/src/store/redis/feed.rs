//! Revocations across replicas: written to Redis with a sequence number and announced on a
//! channel; every replica mirrors them in memory, so checking a session costs no round trip.
//!
//! The mirror is trusted only while it was confirmed current within [`REVOCATION_BOUND`]: once a
//! second the subscription connection itself is pinged and the sequence number compared with the
//! last one applied (a gap, a lost publish or a Redis that lost its data triggers a resync that
//! merges both sides and writes back what Redis lost). Past the bound, [`Store::is_revoked`]
//! reports the store unavailable and the layer's `RevocationPolicy` decides.
//!
//! [`Store::is_revoked`]: crate::store::Store::is_revoked

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Weak};
use std::time::{Duration, Instant};

use parking_lot::RwLock;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, PushInfo, PushKind, Script};

use super::{redis_error, tcp_settings, COMMAND_TIMEOUT, RECONNECT_EVERY};
use crate::identity::Identity;
use crate::store::expiry::ExpiringMap;
use crate::store::{now_ms, StoreError};

/// The longest a replica serves revocation checks from a mirror it could not confirm current:
/// a session revoked anywhere is refused everywhere within this bound, and a Redis outage
/// shorter than it fails no request.
pub const REVOCATION_BOUND: Duration = Duration::from_secs(5);
/// How often the subscription is pinged and the sequence number compared.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Adds a revoked session to `KEYS[1]` (a sorted set scored by expiry, member
/// `<expires_at> <id>`), prunes what expired, keeps the key (and the sequence `KEYS[2]`) as long
/// as its latest entry, bumps the sequence and announces `s <seq> <expires_at> <id>`. One script:
/// the write and its sequence number cannot be separated.
static REVOKE_SESSION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], until_ms, ARGV[2] .. ' ' .. ARGV[1])
local ttl = math.max(until_ms - now, 1)
for _, key in ipairs({KEYS[1], KEYS[2]}) do
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
local seq = redis.call('INCR', KEYS[2])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
redis.call('PUBLISH', ARGV[3], 's ' .. seq .. ' ' .. ARGV[2] .. ' ' .. ARGV[1])
return seq",
    )
});

/// Marks every session of user `ARGV[1]` issued up to now *by Redis's clock* as revoked, for
/// `ARGV[2]` ms: member `<mark> <user>` scored by when it may be forgotten. Announces
/// `u <seq> <mark> <forget_at> <user>` and returns `{seq, mark}`: the replica that asked applies
/// Redis's mark, not its own estimate of Redis's clock.
static REVOKE_USER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local remember = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + remember, now .. ' ' .. ARGV[1])
local seq = redis.call('INCR', KEYS[2])
for _, key in ipairs({KEYS[1], KEYS[2]}) do
  if redis.call('PTTL', key) < remember then redis.call('PEXPIRE', key, remember) end
end
redis.call('PUBLISH', ARGV[3], 'u ' .. seq .. ' ' .. now .. ' ' .. (now + remember) .. ' ' .. ARGV[1])
return {seq, now}",
    )
});

/// The Redis names of the revocation state.
#[derive(Debug)]
pub(super) struct Names {
    sessions: String,
    users: String,
    sequence: String,
    channel: String,
}

impl Names {
    pub(super) fn new(prefix: &str) -> Self {
        Self {
            sessions: format!("{prefix}revoked-sessions"),
            users: format!("{prefix}revoked-users"),
            sequence: format!("{prefix}revocations:seq"),
            channel: format!("{prefix}revocations"),
        }
    }
}

/// What this replica knows of revocations.
#[derive(Debug, Default)]
struct Mirror {
    sessions: ExpiringMap<()>,
    /// Each user's "revoked up to" mark, by Redis's clock.
    users: ExpiringMap<u64>,
    /// The sequence number of the last revocation applied in order.
    applied: u64,
}

impl Mirror {
    fn add_session(&mut self, id: &str, until_ms: u64) -> bool {
        self.sessions.merge(id, (), until_ms, |_, new| new)
    }

    fn add_user(&mut self, user: &str, mark: u64, forget_at: u64) -> bool {
        self.users
            .merge(user, mark, forget_at, |old, new| (*old).max(new))
    }

    /// Applies one announcement; `false` if it is not one.
    fn apply(&mut self, message: &str) -> bool {
        let mut words = message.splitn(2, ' ');
        let (Some(kind), Some(rest)) = (words.next(), words.next()) else {
            return false;
        };
        let (seq, entry) = match rest.split_once(' ') {
            Some((seq, entry)) => (seq.parse::<u64>().ok(), entry),
            None => return false,
        };
        let applied = match kind {
            "s" => parse_session(entry).is_some_and(|(until, id)| {
                self.add_session(id, until);
                true
            }),
            "u" => entry
                .split_once(' ')
                .and_then(|(mark, rest)| Some((mark.parse().ok()?, rest.split_once(' ')?)))
                .and_then(|(mark, (forget_at, user))| Some((mark, forget_at.parse().ok()?, user)))
                .is_some_and(|(mark, forget_at, user)| {
                    self.add_user(user, mark, forget_at);
                    true
                }),
            _ => false,
        };
        if let Some(seq) = seq.filter(|seq| *seq == self.applied + 1) {
            self.applied = seq;
        }
        self.prune();
        applied
    }

    fn prune(&mut self) {
        let now = now_ms();
        self.sessions.prune(now);
        self.users.prune(now);
    }
}

/// `<until> <id>` of a revoked-session member.
fn parse_session(member: &str) -> Option<(u64, &str)> {
    let (until, id) = member.split_once(' ')?;
    Some((until.parse().ok()?, id))
}

/// `<mark> <user>` of a revoked-user member.
fn parse_user(member: &str) -> Option<(u64, &str)> {
    let (mark, user) = member.split_once(' ')?;
    Some((mark.parse().ok()?, user))
}

/// The revocation half of a `RedisStore`.
#[derive(Debug)]
pub(super) struct Feed {
    names: Names,
    /// A RESP3 client: the subscription and its checks share one connection.
    client: redis::Client,
    mirror: RwLock<Mirror>,
    /// When the mirror was last confirmed current, in ms since `started` (0: never).
    confirmed_at: AtomicU64,
    started: Instant,
    /// Redis's clock minus ours, in ms, as last measured.
    clock_offset: AtomicI64,
    /// Whether the stale mirror was already reported (one log line per episode).
    stale_reported: AtomicBool,
}

impl Feed {
    pub(super) fn new(names: Names, client: redis::Client) -> Self {
        Self {
            names,
            client,
            mirror: RwLock::default(),
            confirmed_at: AtomicU64::new(0),
            started: Instant::now(),
            clock_offset: AtomicI64::new(0),
            stale_reported: AtomicBool::new(false),
        }
    }

    fn confirm(&self) {
        let since_start = self.started.elapsed().as_millis() as u64;
        self.confirmed_at
            .store(since_start.max(1), Ordering::SeqCst);
        if self.stale_reported.swap(false, Ordering::SeqCst) {
            tracing::info!("the Redis revocation feed is current again");
        }
    }

    /// Whether the mirror was confirmed current within the bound.
    pub(super) fn is_current(&self) -> bool {
        let confirmed = self.confirmed_at.load(Ordering::SeqCst);
        if confirmed == 0 {
            return false;
        }
        let age = (self.started.elapsed().as_millis() as u64).saturating_sub(confirmed);
        age < REVOCATION_BOUND.as_millis() as u64
    }

    /// Now by Redis's clock, as far as this replica knows it.
    fn redis_now_ms(&self) -> u64 {
        let offset = self.clock_offset.load(Ordering::Relaxed);
        now_ms().saturating_add_signed(offset)
    }

    pub(super) fn is_revoked(
        &self,
        session_id: &str,
        user: &Identity,
        issued_at_ms: u64,
    ) -> Result<bool, StoreError> {
        if !self.is_current() {
            if !self.stale_reported.swap(true, Ordering::SeqCst) {
                crate::metrics::store_failure("revocation_view_stale");
                tracing::warn!(
                    bound_secs = REVOCATION_BOUND.as_secs(),
                    "the Redis revocation feed was not confirmed current within the bound; revocation checks follow the configured policy until it is"
                );
            }
            return Err(StoreError(format!(
                "the revocation feed from Redis was not confirmed current in the last {} s",
                REVOCATION_BOUND.as_secs()
            )));
        }
        let mirror = self.mirror.read();
        // Most of the time nothing is revoked: no clock read, no hashing.
        if mirror.sessions.is_empty() && mirror.users.is_empty() {
            return Ok(false);
        }
        if mirror.sessions.get(session_id, now_ms()).is_some() {
            return Ok(true);
        }
        if mirror.users.is_empty() {
            return Ok(false);
        }
        Ok(mirror
            .users
            .get(&user.key(), self.redis_now_ms())
            .is_some_and(|mark| issued_at_ms <= *mark))
    }

    pub(super) fn issued_at_ms(&self, user: &Identity) -> u64 {
        let now = self.redis_now_ms();
        let mirror = self.mirror.read();
        match mirror.users.get(&user.key(), now) {
            Some(mark) => now.max(mark + 1),
            None => now,
        }
    }

    pub(super) fn revoke_session_script(
        &self,
        session_id: &str,
        expires_at_ms: u64,
    ) -> redis::ScriptInvocation<'static> {
        let mut invocation = REVOKE_SESSION.prepare_invoke();
        invocation
            .key(&self.names.sessions)
            .key(&self.names.sequence)
            .arg(session_id)
            .arg(expires_at_ms)
            .arg(&self.names.channel);
        invocation
    }

    pub(super) fn revoke_user_script(
        &self,
        user_key: &str,
        remember: Duration,
    ) -> redis::ScriptInvocation<'static> {
        let mut invocation = REVOKE_USER.prepare_invoke();
        invocation
            .key(&self.names.users)
            .key(&self.names.sequence)
            .arg(user_key)
            .arg(remember.as_millis().max(1) as u64)
            .arg(&self.names.channel);
        invocation
    }

    /// Applies this replica's own revocation at once (its announcement follows).
    pub(super) fn applied_session(&self, session_id: &str, expires_at_ms: u64) {
        self.mirror.write().add_session(session_id, expires_at_ms);
    }

    pub(super) fn applied_user(&self, user_key: &str, mark: u64, remember: Duration) {
        let forget_at = mark + remember.as_millis() as u64;
        self.mirror.write().add_user(user_key, mark, forget_at);
    }

    /// Rebuilds the mirror from Redis in one round trip, merges it with what this replica knew
    /// (revocations survive a Redis that restarted without persistence or evicted them) and
    /// writes back what Redis lost.
    async fn resync(&self, connection: &mut MultiplexedConnection) -> Result<(), StoreError> {
        let (sessions, users, sequence): (Vec<String>, Vec<String>, Option<u64>) = deadline(
            redis::pipe()
                .atomic()
                .zrange(&self.names.sessions, 0, -1)
                .zrange(&self.names.users, 0, -1)
                .get(&self.names.sequence)
                .query_async(connection),
        )
        .await?;
        let now = now_ms();
        let mut lost = redis::pipe();
        let mut lost_any = false;
        let mut longest = 0_u64;
        {
            let mut mirror = self.mirror.write();
            let mut remote = Mirror::default();
            for member in &sessions {
                if let Some((until, id)) = parse_session(member) {
                    remote.add_session(id, until);
                }
            }
            for member in &users {
                if let Some((mark, user)) = parse_user(member) {
                    // The score (forget time) is not read back: a mark is kept as long as the
                    // longest session, which the local entry or the next announcement tells.
                    let forget_at = mirror
                        .users
                        .iter()
                        .find(|(known, _, _)| *known == user)
                        .map_or(mark + REMEMBER_UNKNOWN_MS, |(_, _, at)| at);
                    remote.add_user(user, mark, forget_at);
                }
            }
            for (id, (), until) in mirror.sessions.iter() {
                if until > now && remote.sessions.get(id, now).is_none() {
                    lost.zadd(&self.names.sessions, format!("{until} {id}"), until);
                    longest = longest.max(until - now);
                    lost_any = true;
                }
            }
            for (user, mark, forget_at) in mirror.users.iter() {
                let known = remote.users.get(user, now).copied().unwrap_or(0);
                if forget_at > now && *mark > known {
                    lost.zadd(&self.names.users, format!("{mark} {user}"), forget_at);
                    longest = longest.max(forget_at - now);
                    lost_any = true;
                }
            }
            for (id, (), until) in remote.sessions.iter() {
                mirror.add_session(id, until);
            }
            for (user, mark, forget_at) in remote.users.iter() {
                mirror.add_user(user, *mark, forget_at);
            }
            mirror.applied = sequence.unwrap_or(0);
            mirror.prune();
        }
        if lost_any {
            tracing::warn!("Redis lacked revocations this replica knew (a restart without persistence, or an eviction); writing them back");
            crate::metrics::store_failure("revocations_lost");
            for key in [&self.names.sessions, &self.names.users] {
                lost.cmd("PEXPIRE")
                    .arg(key)
                    .arg(longest.max(1))
                    .arg("GT")
                    .ignore();
                lost.cmd("PEXPIRE")
                    .arg(key)
                    .arg(longest.max(1))
                    .arg("NX")
                    .ignore();
            }
            // Other replicas see the sequence move and resync, learning what came back.
            lost.incr(&self.names.sequence, 1).ignore();
            let () = deadline(lost.query_async(connection)).await?;
            let sequence: Option<u64> = deadline(
                redis::cmd("GET")
                    .arg(&self.names.sequence)
                    .query_async(connection),
            )
            .await?;
            self.mirror.write().applied = sequence.unwrap_or(0);
        }
        Ok(())
    }

    /// The once-a-second check on the subscription connection: it answers PING in time, the
    /// clocks are compared, and nothing was missed (else resync).
    async fn check(&self, connection: &mut MultiplexedConnection) -> Result<(), StoreError> {
        let sent = Instant::now();
        let sent_ms = now_ms();
        let (_pong, (seconds, micros), sequence): (String, (u64, u64), Option<u64>) = deadline(
            redis::pipe()
                .cmd("PING")
                .cmd("TIME")
                .get(&self.names.sequence)
                .query_async(connection),
        )
        .await?;
        let round_trip = sent.elapsed().as_millis() as u64;
        let redis_ms = seconds * 1000 + micros / 1000;
        let local_ms = sent_ms + round_trip / 2;
        let offset = redis_ms as i64 - local_ms as i64;
        self.clock_offset.store(offset, Ordering::Relaxed);
        let applied = self.mirror.read().applied;
        if sequence.unwrap_or(0) != applied {
            tracing::debug!(
                applied,
                remote = sequence.unwrap_or(0),
                "revocation sequence gap; resyncing"
            );
            self.resync(connection).await?;
        }
        self.confirm();
        Ok(())
    }
}

/// How long a user mark read back from Redis without a local twin is kept: a day, longer than
/// any sensible session, so nothing is forgotten early (the next announcement or resync of a
/// shorter mark does not shorten it).
const REMEMBER_UNKNOWN_MS: u64 = 24 * 3600 * 1000;

async fn deadline<T>(
    command: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(COMMAND_TIMEOUT, command).await {
        Ok(result) => result.map_err(redis_error),
        Err(_) => Err(StoreError("Redis did not answer in time".to_owned())),
    }
}

/// Keeps the mirror current: subscribe, resync, then apply announcements and check once a
/// second; on any failure start over on a new connection.
pub(super) async fn listen(feed: Weak<Feed>) {
    loop {
        let Some(current) = feed.upgrade() else {
            return;
        };
        let result = follow(&current).await;
        if let Err(error) = result {
            crate::metrics::store_failure("subscribe");
            tracing::warn!(%error, "lost the Redis revocation feed; reconnecting (revocation checks are served from the last confirmed view for up to {} s)", REVOCATION_BOUND.as_secs());
        }
        drop(current);
        tokio::time::sleep(RECONNECT_EVERY).await;
    }
}

async fn follow(feed: &Arc<Feed>) -> Result<(), StoreError> {
    let (sender, mut pushes) = tokio::sync::mpsc::unbounded_channel::<PushInfo>();
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(COMMAND_TIMEOUT)
        .set_response_timeout(COMMAND_TIMEOUT)
        .set_tcp_settings(tcp_settings())
        .set_push_sender(sender);
    let mut connection = tokio::time::timeout(
        COMMAND_TIMEOUT,
        feed.client
            .get_multiplexed_async_connection_with_config(&config),
    )
    .await
    .map_err(|_| StoreError("timed out connecting to Redis".to_owned()))?
    .map_err(redis_error)?;
    deadline(connection.subscribe(&feed.names.channel)).await?;
    feed.resync(&mut connection).await?;
    feed.check(&mut connection).await?;
    tracing::info!("Redis revocation feed is live");
    let mut tick = tokio::time::interval(CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            push = pushes.recv() => match push {
                Some(PushInfo { kind: PushKind::Message, data }) => {
                    let text = data
                        .get(1)
                        .and_then(|payload| redis::from_redis_value::<String>(payload).ok());
                    if let Some(text) = text {
                        feed.mirror.write().apply(&text);
                    }
                }
                Some(PushInfo { kind: PushKind::Disconnection, .. }) | None => {
                    return Err(StoreError("the subscription connection closed".to_owned()));
                }
                Some(_) => {}
            },
            _ = tick.tick() => feed.check(&mut connection).await?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_apply_in_order_and_a_gap_holds_the_sequence() {
        let mut mirror = Mirror::default();
        let far = now_ms() + 60_000;
        assert!(mirror.apply(&format!("s 1 {far} sid-1")));
        assert_eq!(mirror.applied, 1);
        assert!(mirror.apply(&format!("u 3 {} {far} dingtalk:corp:alice", far - 1)));
        assert_eq!(
            mirror.applied, 1,
            "message 2 is missing: the next check resyncs"
        );
        assert!(mirror.sessions.get("sid-1", now_ms()).is_some());
        assert_eq!(
            mirror.users.get("dingtalk:corp:alice", now_ms()),
            Some(&(far - 1))
        );
        assert!(!mirror.apply("garbage"));
        assert!(!mirror.apply("s x"));
    }

    #[test]
    fn a_user_mark_never_goes_down() {
        let mut mirror = Mirror::default();
        let far = now_ms() + 60_000;
        mirror.apply(&format!("u 1 500 {far} bob"));
        mirror.apply(&format!("u 2 400 {far} bob"));
        assert_eq!(mirror.users.get("bob", now_ms()), Some(&500));
    }
}
