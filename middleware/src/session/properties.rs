//! Properties of the session opener and of the token reader.
//!
//! The opener — `KeyRing::unseal`, and `OpenedSessions::open` in front of it — against a model
//! that knows which tokens the ring sealed for this app: a token opens exactly when it is one of
//! them, at most `MAX_TOKEN_BYTES` long and unexpired; otherwise its shape decides the refusal:
//! 700202 for a sealed one past its expiry, 700205 for `v2.<id>.<tag>.…` with a key id the ring
//! does not hold, 700203 for anything else (another app's session among them). Tokens tried:
//! arbitrary strings, sealed tokens flipped, cut, extended, spliced, with another key id or
//! version, tokens of a foreign ring, of a ring that shares a key, and of another app sealed with
//! the app's own ring. The cache of opened sessions must be invisible.
//!
//! The reader — `check::session_token` — against a reference reading of CONTRACTS.md section 2
//! written here: any `Authorization` and `Cookie` headers (arbitrary bytes, quoted values,
//! repeated names, several headers, sizes around both limits).

use std::sync::OnceLock;

use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use proptest::sample::Index;
use silent_login_catalog::{KnownCode, SilentLoginCode};

use super::check::{opened_bearer, session_token};
use super::{KeyRing, OpenedSessions, Session, SessionKey, MAX_TOKEN_BYTES};
use crate::error::LoginError;
use crate::identity::{Identity, IdentityFields, ProviderKind};
use crate::testing::proptest_config;

// ---------------------------------------------------------------------------------------------
// The opener
// ---------------------------------------------------------------------------------------------

/// The app the tokens are opened for.
const AUDIENCE: &str = "dingtalk:app";
/// Another app sharing the app's session key.
const OTHER_AUDIENCE: &str = "dingtalk:other-app";

/// The one place the properties open a token.
fn open(ring: &KeyRing, token: &str, now_ms: u64) -> Result<Session, LoginError> {
    ring.unseal(token, AUDIENCE, now_ms)
}

/// The same through the cache of opened sessions.
fn open_kept(
    opened: &OpenedSessions,
    ring: &KeyRing,
    token: &str,
    now_ms: u64,
) -> Result<Session, LoginError> {
    opened
        .open(ring, token, AUDIENCE, now_ms)
        .map(|session| (*session).clone())
}

/// The one place the properties seal a session (for `audience`).
fn seal(ring: &KeyRing, session: &Session, audience: &str) -> String {
    ring.seal(session, audience)
}

/// The app's ring (a current and a previous key), a ring holding only that previous key (its
/// tokens open in the app's ring), and a foreign ring (its tokens do not).
struct Rings {
    app: KeyRing,
    previous_only: KeyRing,
    foreign: KeyRing,
}

fn rings() -> &'static Rings {
    static RINGS: OnceLock<Rings> = OnceLock::new();
    RINGS.get_or_init(|| {
        let previous = SessionKey::generate();
        Rings {
            app: KeyRing::new(SessionKey::generate()).with_previous(previous.clone()),
            previous_only: KeyRing::new(previous),
            foreign: KeyRing::new(SessionKey::generate()),
        }
    })
}

/// Which ring sealed a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sealer {
    App,
    PreviousKey,
    Foreign,
    /// The app's own ring, for another app.
    OtherApp,
}

impl Sealer {
    fn ring(self) -> &'static KeyRing {
        let rings = rings();
        match self {
            Sealer::App | Sealer::OtherApp => &rings.app,
            Sealer::PreviousKey => &rings.previous_only,
            Sealer::Foreign => &rings.foreign,
        }
    }

    fn audience(self) -> &'static str {
        match self {
            Sealer::OtherApp => OTHER_AUDIENCE,
            _ => AUDIENCE,
        }
    }

    fn opens_in_the_app(self) -> bool {
        matches!(self, Sealer::App | Sealer::PreviousKey)
    }
}

/// What opening a token came to.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Opened {
    Session(Box<Session>),
    Refused(KnownCode),
    Unexpected(String),
}

impl Opened {
    fn of(result: Result<Session, LoginError>) -> Self {
        match result {
            Ok(session) => Opened::Session(Box::new(session)),
            Err(error) => match error.known() {
                Some(code) => Opened::Refused(code),
                None => Opened::Unexpected(error.to_string()),
            },
        }
    }

    fn refused(code: SilentLoginCode) -> Self {
        Opened::Refused(code.into())
    }
}

/// What opening `token` with the app's ring at `now` must give, knowing every token the app's
/// ring (or one sharing its key) sealed.
fn expected_opening(token: &str, now: u64, sealed: &[(String, Session)]) -> Opened {
    if token.len() > MAX_TOKEN_BYTES {
        return Opened::refused(SilentLoginCode::SessionInvalid);
    }
    if let Some((_, session)) = sealed.iter().find(|(sealed, _)| sealed == token) {
        return if now < session.expires_at_ms {
            Opened::Session(Box::new(session.clone()))
        } else {
            Opened::refused(SilentLoginCode::SessionExpired)
        };
    }
    // `v2.<key id>.<audience tag>.<sealed>`: only the key id is looked at before the seal.
    let parts: Vec<&str> = token.splitn(4, '.').collect();
    match parts[..] {
        ["v2", key_id, _, _] if rings().app.keys().all(|key| key.id() != key_id) => {
            Opened::refused(SilentLoginCode::SessionKeyUnknown)
        }
        _ => Opened::refused(SilentLoginCode::SessionInvalid),
    }
}

fn provider() -> impl Strategy<Value = ProviderKind> {
    prop::sample::select(ProviderKind::ALL.to_vec())
}

/// Expiry times at the edges and anywhere.
fn instant() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0),
        Just(u64::MAX),
        1_700_000_000_000..1_900_000_000_000u64,
        any::<u64>(),
    ]
}

/// Sessions of any content, sometimes big enough that their token passes 8 KiB.
fn session() -> impl Strategy<Value = Session> {
    let text = || prop::option::of("\\PC{0,16}");
    let extra = prop::collection::btree_map(
        "[a-z_]{1,12}",
        prop_oneof![
            "\\PC{0,16}".prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<bool>().prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
        ],
        0..3,
    );
    // A name long enough that the token passes 8 KiB (from about 6,000 bytes).
    let name = prop_oneof![
        30 => text(),
        1 => ("[a-z]{1,4}", 5_800..6_300usize)
            .prop_map(|(part, length)| Some(part.repeat(length / part.len()))),
    ];
    (
        ("[0-9a-f]{32}|\\PC{0,12}", provider(), "\\PC{1,24}"),
        (text(), text(), name, text(), any::<bool>(), extra),
        (instant(), instant()),
    )
        .prop_map(
            |(
                (id, provider, user_id),
                (union_id, open_id, name, tenant, is_admin, extra),
                (issued_at_ms, expires_at_ms),
            )| Session {
                id: id.into(),
                identity: Identity::new(IdentityFields {
                    provider,
                    user_id,
                    union_id,
                    open_id,
                    name,
                    tenant,
                    is_admin,
                    extra: extra.into_iter().collect(),
                }),
                issued_at_ms,
                expires_at_ms,
            },
        )
}

/// A change to a sealed token.
#[derive(Clone, Debug)]
enum Mutation {
    /// One character replaced.
    Replace(Index, char),
    /// Cut to a prefix.
    Truncate(Index),
    /// Characters removed from the middle.
    Remove(Index, usize),
    /// Text inserted.
    Insert(Index, String),
    /// Text appended.
    Extend(String),
    /// The key id replaced (0: the app's other key, 1: the foreign key, else `text`).
    KeyId(u8, String),
    /// The version replaced.
    Version(String),
    /// The sealed part of another sealed token after this one's version and key id.
    Splice(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (
            any::<Index>(),
            prop_oneof![3 => "[A-Za-z0-9+/=.]", 1 => "\\PC"]
        )
            .prop_map(|(at, with)| Mutation::Replace(at, with.chars().next().unwrap_or('A'))),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), 1..24usize).prop_map(|(at, length)| Mutation::Remove(at, length)),
        (any::<Index>(), "[A-Za-z0-9+/=.]{1,4}|\\PC{1,3}")
            .prop_map(|(at, text)| Mutation::Insert(at, text)),
        "[A-Za-z0-9+/=. ]{1,8}|=|==|\\.".prop_map(Mutation::Extend),
        (0..4u8, "[0-9a-fA-F]{0,10}").prop_map(|(which, text)| Mutation::KeyId(which, text)),
        prop::sample::select(vec!["v1", "v3", "V2", "v", "", "v2 ", "v20", "2"])
            .prop_map(|version| Mutation::Version(version.to_owned())),
        any::<Index>().prop_map(Mutation::Splice),
    ]
}

/// Index `at` into `text` rounded down to a character boundary.
fn boundary(text: &str, at: &Index) -> usize {
    let mut at = at.index(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl Mutation {
    fn apply(&self, token: &str, others: &[String]) -> String {
        let (version, key_id, tag, sealed) = match token.splitn(4, '.').collect::<Vec<_>>()[..] {
            [version, key_id, tag, sealed] => (version, key_id, tag, sealed),
            _ => unreachable!("a sealed token has four parts: {token}"),
        };
        match self {
            Mutation::Replace(at, with) => {
                let mut chars: Vec<char> = token.chars().collect();
                let at = at.index(chars.len());
                chars[at] = *with;
                chars.into_iter().collect()
            }
            Mutation::Truncate(at) => token[..boundary(token, at)].to_owned(),
            Mutation::Remove(at, length) => {
                let start = boundary(token, at);
                let end = (start + length).min(token.len());
                format!("{}{}", &token[..start], &token[end..])
            }
            Mutation::Insert(at, text) => {
                let at = boundary(token, at);
                format!("{}{text}{}", &token[..at], &token[at..])
            }
            Mutation::Extend(text) => format!("{token}{text}"),
            Mutation::KeyId(which, text) => {
                let rings = rings();
                let replacement = match which {
                    0 => rings
                        .app
                        .keys()
                        .map(SessionKey::id)
                        .find(|id| *id != key_id)
                        .unwrap_or(key_id)
                        .to_owned(),
                    1 => rings.foreign.keys().next().unwrap().id().to_owned(),
                    _ => text.clone(),
                };
                format!("{version}.{replacement}.{tag}.{sealed}")
            }
            Mutation::Version(text) => format!("{text}.{key_id}.{tag}.{sealed}"),
            Mutation::Splice(at) => {
                let other = &others[at.index(others.len())];
                let other_sealed = other.splitn(4, '.').nth(3).unwrap_or("");
                format!("{version}.{key_id}.{tag}.{other_sealed}")
            }
        }
    }
}

/// How a tried token is made.
#[derive(Clone, Debug)]
enum Make {
    /// One of the sealed tokens as it is.
    Sealed(Index),
    /// One of the sealed tokens, changed.
    Mutated(Index, Mutation),
    /// Anything at all.
    Arbitrary(String),
    /// `v2.<key id>.<tag>.<anything>`, with one of the app's key ids (`true`) or `key_id`.
    Shaped(bool, String, String),
}

fn make() -> impl Strategy<Value = Make> {
    prop_oneof![
        3 => any::<Index>().prop_map(Make::Sealed),
        6 => (any::<Index>(), mutation()).prop_map(|(at, change)| Make::Mutated(at, change)),
        2 => prop_oneof!["\\PC{0,120}", "[ -~]{0,300}", "(?s).{0,40}"].prop_map(Make::Arbitrary),
        2 => (any::<bool>(), "[0-9a-f]{0,10}", "[A-Za-z0-9+/=%_.-]{0,300}")
            .prop_map(|(held, key_id, rest)| Make::Shaped(held, key_id, rest)),
    ]
}

/// When a token is tried, relative to the expiry of the session it came from.
#[derive(Clone, Copy, Debug)]
enum When {
    JustBefore,
    AtExpiry,
    JustAfter,
    At(u64),
}

fn when() -> impl Strategy<Value = When> {
    prop_oneof![
        Just(When::JustBefore),
        Just(When::AtExpiry),
        Just(When::JustAfter),
        instant().prop_map(When::At),
    ]
}

impl When {
    fn at(self, expires_at_ms: u64) -> u64 {
        match self {
            When::JustBefore => expires_at_ms.saturating_sub(1),
            When::AtExpiry => expires_at_ms,
            When::JustAfter => expires_at_ms.saturating_add(1),
            When::At(now) => now,
        }
    }
}

/// Sessions sealed by one ring or another: the tokens, and those the app's ring opens.
struct Sealed {
    all: Vec<(String, Session)>,
    by_the_app: Vec<(String, Session)>,
}

fn seal_all(sessions: &[(Sealer, Session)]) -> Sealed {
    let all: Vec<(String, Session)> = sessions
        .iter()
        .map(|(sealer, session)| {
            (
                seal(sealer.ring(), session, sealer.audience()),
                session.clone(),
            )
        })
        .collect();
    let by_the_app = all
        .iter()
        .zip(sessions)
        .filter(|(_, (sealer, _))| sealer.opens_in_the_app())
        .map(|(sealed, _)| sealed.clone())
        .collect();
    Sealed { all, by_the_app }
}

impl Sealed {
    /// The token `make` says, and the session it came from (for its expiry).
    fn token(&self, make: &Make) -> (String, Option<&Session>) {
        let tokens: Vec<String> = self.all.iter().map(|(token, _)| token.clone()).collect();
        match make {
            Make::Sealed(at) => {
                let (token, session) = &self.all[at.index(self.all.len())];
                (token.clone(), Some(session))
            }
            Make::Mutated(at, change) => {
                let (token, session) = &self.all[at.index(self.all.len())];
                (change.apply(token, &tokens), Some(session))
            }
            Make::Arbitrary(text) => (text.clone(), None),
            Make::Shaped(held, key_id, rest) => {
                let key_id = match held {
                    true => rings().app.keys().next().unwrap().id().to_owned(),
                    false => key_id.clone(),
                };
                (format!("v2.{key_id}.{rest}"), None)
            }
        }
    }
}

fn sealer() -> impl Strategy<Value = Sealer> {
    prop_oneof![
        3 => Just(Sealer::App),
        1 => Just(Sealer::PreviousKey),
        1 => Just(Sealer::Foreign),
        1 => Just(Sealer::OtherApp),
    ]
}

proptest! {
    #![proptest_config(proptest_config())]

    /// The key ring opens exactly the tokens it sealed, unexpired and within 8 KiB, and tells
    /// expired, foreign-key and everything else apart.
    #[test]
    fn the_ring_opens_exactly_its_own_unexpired_tokens(
        sessions in prop::collection::vec((sealer(), session()), 1..4),
        make in make(),
        when in when(),
    ) {
        let sealed = seal_all(&sessions);
        let (token, from) = sealed.token(&make);
        let now = when.at(from.map_or(0, |session| session.expires_at_ms));
        let opened = Opened::of(open(&rings().app, &token, now));
        prop_assert_eq!(&opened, &expected_opening(&token, now, &sealed.by_the_app), "{:?} at {}", token, now);
        let kept = OpenedSessions::new(4);
        prop_assert_eq!(Opened::of(open_kept(&kept, &rings().app, &token, now)), opened);
    }

    /// The cache of opened sessions is invisible: any sequence of tokens and times through it
    /// (small, so sessions are evicted) comes to what the ring alone would say.
    #[test]
    fn kept_sessions_open_exactly_as_the_ring_does(
        sessions in prop::collection::vec((sealer(), session()), 1..4),
        calls in prop::collection::vec((make(), when()), 1..16),
        capacity in 1..4usize,
    ) {
        let sealed = seal_all(&sessions);
        let kept = OpenedSessions::new(capacity);
        for (make, when) in &calls {
            let (token, from) = sealed.token(make);
            let now = when.at(from.map_or(0, |session| session.expires_at_ms));
            prop_assert_eq!(
                Opened::of(open_kept(&kept, &rings().app, &token, now)),
                expected_opening(&token, now, &sealed.by_the_app),
                "{:?} at {}", token, now
            );
        }
    }
}

/// The opener properties are not vacuous: sealed tokens do open, and every refusal is reached.
#[test]
fn the_opener_properties_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = (
        prop::collection::vec((sealer(), session()), 1..4),
        make(),
        when(),
    );
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..2_000 {
        let (sessions, make, when) = strategy.new_tree(&mut runner).unwrap().current();
        let sealed = seal_all(&sessions);
        let (token, from) = sealed.token(&make);
        let now = when.at(from.map_or(0, |session| session.expires_at_ms));
        let outcome = match expected_opening(&token, now, &sealed.by_the_app) {
            Opened::Session(_) => "opened".to_owned(),
            Opened::Refused(code) => code.code().to_string(),
            Opened::Unexpected(text) => text,
        };
        let long = if token.len() > MAX_TOKEN_BYTES && from.is_some() {
            " (a sealed token over 8 KiB)"
        } else {
            ""
        };
        seen.insert(format!("{outcome}{long}"));
    }
    for wanted in [
        "opened",
        "700202",
        "700203",
        "700205",
        "700203 (a sealed token over 8 KiB)",
    ] {
        assert!(seen.contains(wanted), "never reached {wanted}: {seen:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// The token reader
// ---------------------------------------------------------------------------------------------

/// The largest `Authorization` header read (CONTRACTS.md section 2: 8 KiB + 16 bytes).
const LARGEST_AUTHORIZATION: usize = 8 * 1024 + 16;
/// The most `Cookie` header bytes read (CONTRACTS.md section 2: 16 KiB).
const LARGEST_COOKIES: usize = 16 * 1024;

/// Whether a header value is text (`HeaderValue::to_str`: visible ASCII, space and tab).
fn is_text(value: &[u8]) -> bool {
    value
        .iter()
        .all(|b| *b == b'\t' || (b' '..=b'~').contains(b))
}

/// Trims spaces and tabs, the only whitespace a header value can hold.
fn trimmed(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

/// The reference reading of CONTRACTS.md section 2 (and RFC 6750 / RFC 6265 `Cookie`):
/// the first `Authorization` header, if any: over 8 KiB + 16 bytes is 700111, not text is
/// 700203, `Bearer <token>` (scheme in any case, one space, the token trimmed and non-empty)
/// is the token, anything else falls through to the cookies. Then `Cookie` headers in order,
/// 700111 once they pass 16 KiB in all before the cookie is found, headers that are not text
/// skipped; each split on `;`, a pair split at its first `=`, name and value trimmed, pieces
/// without `=` or a name skipped; the first pair named `name` whose value is not empty,
/// surrounding double quotes dropped. No token at all: 700201.
fn reference_token(
    authorization: Option<&[u8]>,
    cookies: &[Vec<u8>],
    name: &str,
) -> Result<String, KnownCode> {
    if let Some(value) = authorization {
        if value.len() > LARGEST_AUTHORIZATION {
            return Err(SilentLoginCode::HeaderTooLarge.into());
        }
        if !is_text(value) {
            return Err(SilentLoginCode::SessionInvalid.into());
        }
        let text = String::from_utf8_lossy(value);
        if let Some((scheme, token)) = text.split_once(' ') {
            if scheme.eq_ignore_ascii_case("bearer") && !trimmed(token).is_empty() {
                return Ok(trimmed(token).to_owned());
            }
        }
    }
    let mut read = 0;
    for value in cookies {
        read += value.len();
        if read > LARGEST_COOKIES {
            return Err(SilentLoginCode::HeaderTooLarge.into());
        }
        if !is_text(value) {
            continue;
        }
        let text = String::from_utf8_lossy(value);
        for piece in text.split(';') {
            let Some((pair_name, pair_value)) = trimmed(piece).split_once('=') else {
                continue;
            };
            let (pair_name, pair_value) = (trimmed(pair_name), trimmed(pair_value));
            // A value empty once unquoted (`""`) is no token: the next one is read.
            let unquoted = pair_value.trim_matches('"');
            if pair_name == name && !unquoted.is_empty() {
                return Ok(unquoted.to_owned());
            }
        }
    }
    Err(SilentLoginCode::SessionMissing.into())
}

/// Bytes a header value may hold (`HeaderValue::from_bytes`): tab, space to `~`, and 0x80 up.
fn header_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        8 => b' '..=b'~',
        1 => Just(b'\t'),
        1 => 0x80..=0xffu8,
    ]
}

/// Cookie names: the session's (the reader is asked for `silent_login` or `sid`), near it, other.
fn cookie_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["silent_login", "sid"]).prop_map(str::to_owned),
        2 => prop::sample::select(vec![
            "Silent_Login", "silent_login2", "xsilent_login", "silent-login", "SID", "",
        ])
        .prop_map(str::to_owned),
        1 => "[!-~&&[^;=]]{1,8}",
    ]
}

/// Cookie values: token-like, empty, quoted (also empty or unpaired), with spaces, with `=`.
fn cookie_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9+/=.]{1,24}",
        1 => Just(String::new()),
        1 => "\"[A-Za-z0-9.]{0,10}\"",
        1 => prop::sample::select(vec!["\"\"", "\"", "\"\"\"", "\"abc", "abc\"", "a b", "a=b"])
            .prop_map(str::to_owned),
        1 => "[ -~&&[^;]]{0,16}",
    ]
}

/// A `Cookie` header as generated: its bytes, or padding that brings the `Cookie` headers up
/// to it to 16 KiB plus `offset` bytes.
#[derive(Clone, Debug)]
enum CookieHeader {
    Bytes(Vec<u8>),
    PadTo(i8),
}

/// The headers' bytes, padding resolved.
fn cookie_bytes(headers: &[CookieHeader]) -> Vec<Vec<u8>> {
    let mut total = 0;
    headers
        .iter()
        .map(|header| {
            let bytes = match header {
                CookieHeader::Bytes(bytes) => bytes.clone(),
                CookieHeader::PadTo(offset) => {
                    let wanted = LARGEST_COOKIES.saturating_add_signed(isize::from(*offset));
                    let length = wanted.saturating_sub(total).max(5);
                    format!("pad={}", "x".repeat(length - 4)).into_bytes()
                }
            };
            total += bytes.len();
            bytes
        })
        .collect()
}

/// `Cookie` headers: pairs and stray pieces joined by `;` with any spacing; arbitrary bytes;
/// padding near and exactly at the 16 KiB limit.
fn cookie_headers() -> impl Strategy<Value = Vec<CookieHeader>> {
    let header = prop_oneof![
        9 => cookie_header().prop_map(CookieHeader::Bytes),
        1 => (-2..=2i8).prop_map(CookieHeader::PadTo),
    ];
    prop::collection::vec(header, 0..4)
}

/// A `Cookie` header: pairs and stray pieces joined by `;` with any spacing; arbitrary bytes;
/// or padding that brings the headers near the 16 KiB limit.
fn cookie_header() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        8 => ("[ \t]{0,2}", cookie_name(), "[ \t]{0,1}", "[ \t]{0,1}", cookie_value(), "[ \t]{0,2}")
            .prop_map(|(a, name, b, c, value, d)| format!("{a}{name}{b}={c}{value}{d}")),
        1 => cookie_name(),
        1 => prop::sample::select(vec!["", " ", "=", "==x", "\t"]).prop_map(str::to_owned),
    ];
    prop_oneof![
        8 => prop::collection::vec(piece, 0..5).prop_map(|pieces| pieces.join(";").into_bytes()),
        1 => prop::collection::vec(header_byte(), 0..40),
        1 => (0..3usize, 8_150..8_250usize, 16_330..16_430usize).prop_map(|(kind, half, whole)| {
            let length = if kind == 0 { whole } else { half };
            format!("pad={}", "x".repeat(length - 4)).into_bytes()
        }),
    ]
}

/// An `Authorization` header: bearer tokens in any case and spacing, other schemes, no token,
/// a tab instead of the space, non-ASCII, arbitrary bytes, sizes around the limit.
fn authorization_header() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => ("(?i)bearer", "[ ]{1,2}", "[A-Za-z0-9+/=.]{0,24}", "[ \t]{0,2}")
            .prop_map(|(scheme, space, token, tail)| format!("{scheme}{space}{token}{tail}").into_bytes()),
        2 => prop::sample::select(vec![
            "Bearer", "Bearer ", "Bearer\ttoken", "Basic dXNlcjpwYXNz", "bearer  x y", "Bearertoken",
            " Bearer token", "Token abc",
        ])
        .prop_map(|value| value.as_bytes().to_vec()),
        1 => ("[A-Za-z0-9]{1,8}", "[\u{80}-\u{10ffff}]{1,3}")
            .prop_map(|(token, other)| format!("Bearer {token}{other}").into_bytes()),
        1 => prop::collection::vec(header_byte(), 0..40),
        1 => prop_oneof![8_170..8_240usize, 8_206..8_211usize]
            .prop_map(|length| format!("Bearer {}", "t".repeat(length - 7)).into_bytes()),
    ]
}

proptest! {
    #![proptest_config(proptest_config())]

    /// The token is read exactly as the reference reading says, from any headers.
    #[test]
    fn the_token_is_read_as_the_contract_says(
        authorizations in prop::collection::vec(authorization_header(), 0..3),
        cookies in cookie_headers(),
        name in prop::sample::select(vec!["silent_login", "sid"]),
    ) {
        let cookies = cookie_bytes(&cookies);
        let mut headers = HeaderMap::new();
        for value in &authorizations {
            headers.append(AUTHORIZATION, HeaderValue::from_bytes(value).unwrap());
        }
        for value in &cookies {
            headers.append(COOKIE, HeaderValue::from_bytes(value).unwrap());
        }
        let read = session_token(&headers, name)
            .map(str::to_owned)
            .map_err(|error| error.known().unwrap());
        let reference = reference_token(authorizations.first().map(Vec::as_slice), &cookies, name);
        // The shortcut for opened sessions: a candidate that could be a kept token (text, as
        // every token the reader accepted is) is exactly what the full reading gives.
        if let Some(candidate) = opened_bearer(&headers).filter(|token| is_text(token)) {
            let candidate = String::from_utf8_lossy(candidate).into_owned();
            prop_assert_eq!(Ok(candidate), reference.clone(), "shortcut");
        }
        prop_assert_eq!(
            read,
            reference,
            "Authorization {:?}, Cookie {:?}",
            authorizations.iter().map(|value| String::from_utf8_lossy(value)).collect::<Vec<_>>(),
            cookies.iter().map(|value| String::from_utf8_lossy(value)).collect::<Vec<_>>()
        );
    }
}

/// The reader properties are not vacuous: every outcome is reached.
#[test]
fn the_reader_properties_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = (
        prop::collection::vec(authorization_header(), 0..3),
        cookie_headers(),
    );
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..4_000 {
        let (authorizations, cookies) = strategy.new_tree(&mut runner).unwrap().current();
        let cookies = cookie_bytes(&cookies);
        let outcome = match reference_token(
            authorizations.first().map(Vec::as_slice),
            &cookies,
            "silent_login",
        ) {
            Ok(_) if authorizations.is_empty() => "from a cookie".to_owned(),
            Ok(_) => "a token".to_owned(),
            Err(code) => code.code().to_string(),
        };
        seen.insert(outcome);
    }
    for wanted in ["from a cookie", "a token", "700111", "700201", "700203"] {
        assert!(seen.contains(wanted), "never reached {wanted}: {seen:?}");
    }
}
