//! Session keys and the key ring: the current key seals, every key in the ring opens.

use std::fmt;

use base64::Engine as _;
use cookie::{Cookie, CookieJar, Key};
use silent_login_catalog::SilentLoginCode;

use super::Session;
use crate::error::{Detail, Error, LoginError};
use crate::identity::ProviderKind;
use crate::secret::fingerprint;

/// The sealed payload is bound to this name and the audience (the AEAD's associated data).
const SEAL_NAME: &str = "silent-login-session";
/// The version prefix of every token.
const VERSION: &str = "v2";
/// Tokens of releases before sessions were bound to their app.
const UNBOUND_VERSION: &str = "v1";
/// The shortest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;
/// Tokens longer than this are refused before any work.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// A secret key that seals sessions. `Debug` prints only its public id.
#[derive(Clone)]
pub struct SessionKey {
    key: Key,
    id: String,
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionKey(id={}, ***)", self.id)
    }
}

impl SessionKey {
    /// A key from at least 32 bytes of secret material.
    pub fn from_bytes(material: &[u8]) -> Result<Self, Error> {
        if material.len() < MIN_KEY_BYTES {
            return Err(Error::new(
                SilentLoginCode::SessionKeyInvalid,
                Detail::new(
                    format!(
                        "a session key needs at least {MIN_KEY_BYTES} bytes; this one has {}",
                        material.len()
                    ),
                    format!(
                        "会话密钥至少需要 {MIN_KEY_BYTES} 字节；这个只有 {} 字节",
                        material.len()
                    ),
                ),
            ));
        }
        Ok(Self {
            key: Key::derive_from(material),
            id: fingerprint(&[b"session-key", material])[..8].to_owned(),
        })
    }

    /// A key from its text form: base64 (standard or URL-safe, padded or not) or hex, of at least
    /// 32 bytes. Generate one with `openssl rand -base64 32`.
    ///
    /// ```
    /// use silent_login::SessionKey;
    /// assert!(SessionKey::parse("q8R7cLxkP0yfQ2l0bZ0mA1s9u7Xo2V3dW4eT6hYg5jE=").is_ok());
    /// assert!(SessionKey::parse("too-short").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        let decoded = hex::decode(text)
            .ok()
            .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
            .or_else(|| {
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(text)
                    .ok()
            })
            .or_else(|| base64::engine::general_purpose::URL_SAFE.decode(text).ok())
            .or_else(|| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(text)
                    .ok()
            })
            .ok_or_else(|| {
                Error::new(
                    SilentLoginCode::SessionKeyInvalid,
                    Detail::new(
                        "a session key must be base64 or hex",
                        "会话密钥必须是 base64 或 hex（十六进制）编码",
                    ),
                )
            })?;
        Self::from_bytes(&decoded)
    }

    /// A new random key.
    pub fn generate() -> Self {
        let key = Key::generate();
        // The id is a fingerprint of the whole key, as `from_bytes` takes one of the material.
        let id = fingerprint(&[b"session-key", key.master()])[..8].to_owned();
        Self { key, id }
    }

    /// The public id carried in tokens: which key sealed them.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The current key (seals new sessions) and previous keys (still open old ones) — rotation
/// without logging anybody out.
///
/// ```
/// use silent_login::{KeyRing, SessionKey};
/// let old = SessionKey::generate();
/// let ring = KeyRing::new(SessionKey::generate()).with_previous(old);
/// assert_eq!(ring.keys().count(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct KeyRing {
    keys: Vec<SessionKey>,
}

impl KeyRing {
    /// A ring with one key.
    pub fn new(current: SessionKey) -> Self {
        Self {
            keys: vec![current],
        }
    }

    /// Adds a previous key: tokens it sealed keep working until it is removed.
    #[must_use]
    pub fn with_previous(mut self, key: SessionKey) -> Self {
        if self.keys.iter().all(|known| known.id != key.id) {
            self.keys.push(key);
        }
        self
    }

    /// A ring from `SILENT_LOGIN_SESSION_KEY`'s form: keys separated by commas or whitespace,
    /// the current one first.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut keys = text
            .split([',', ' ', '\n', '\t'])
            .filter(|part| !part.trim().is_empty())
            .map(SessionKey::parse);
        let current = keys.next().ok_or_else(|| {
            Error::new(
                SilentLoginCode::SessionKeyInvalid,
                Detail::new("no session key given", "没有给出会话密钥"),
            )
        })??;
        keys.try_fold(Self::new(current), |ring, key| Ok(ring.with_previous(key?)))
    }

    /// Every key, the current one first.
    pub fn keys(&self) -> impl Iterator<Item = &SessionKey> {
        self.keys.iter()
    }

    /// A subkey of every key for `purpose` (HMAC-SHA-256 of the key under the purpose), the
    /// current one first, with its key's id: what else the ring protects never shares bytes
    /// with the seal.
    pub(crate) fn subkeys(&self, purpose: &str) -> Vec<(String, [u8; 32])> {
        use hmac::{Hmac, Mac};
        self.keys
            .iter()
            .filter_map(|key| {
                // HMAC takes a key of any length, so this never skips a key.
                let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.key.master()).ok()?;
                mac.update(purpose.as_bytes());
                Some((key.id.clone(), mac.finalize().into_bytes().into()))
            })
            .collect()
    }

    fn current(&self) -> &SessionKey {
        // `new` puts one key in and nothing takes keys out.
        &self.keys[0]
    }

    /// Seals a session into a token with the current key, for `audience` — the app it is valid
    /// for, `<provider>:<app id>` (see [`audience()`]). The audience is authenticated by the seal,
    /// so another app sharing the key cannot open it.
    ///
    /// ```
    /// # use silent_login::{KeyRing, SessionKey};
    /// let ring = KeyRing::new(SessionKey::generate());
    /// # let session = silent_login::Session { id: "sid".into(), identity: silent_login::Identity::new(silent_login::IdentityFields {
    /// #     provider: silent_login::ProviderKind::Feishu, user_id: "ou_1".into(), union_id: None, open_id: None,
    /// #     name: None, tenant: None, is_admin: false, extra: Default::default() }),
    /// #     issued_at_ms: 1, expires_at_ms: u64::MAX };
    /// let token = ring.seal(&session, "feishu:cli_a1");
    /// assert!(ring.unseal(&token, "feishu:cli_a1", 2).is_ok());
    /// assert!(ring.unseal(&token, "feishu:cli_b2", 2).is_err());
    /// ```
    pub fn seal(&self, session: &Session, audience: &str) -> String {
        let key = self.current();
        // Serializing plain strings and numbers cannot fail.
        let json = serde_json::to_string(session).unwrap_or_default();
        let name = sealed_name(audience);
        let mut jar = CookieJar::new();
        jar.private_mut(&key.key)
            .add(Cookie::new(name.clone(), json));
        let sealed = jar
            .get(&name)
            .map(|cookie| cookie.value().to_owned())
            .unwrap_or_default();
        format!("{VERSION}.{}.{}.{sealed}", key.id, audience_tag(audience))
    }

    /// Opens a token sealed for `audience`: refused if too long, malformed, sealed by a key not
    /// in the ring, for another app, tampered with, or expired at `now_ms`.
    pub fn unseal(&self, token: &str, audience: &str, now_ms: u64) -> Result<Session, LoginError> {
        let invalid = |en: &str, zh: &str| {
            LoginError::new(SilentLoginCode::SessionInvalid).with_detail(Detail::new(en, zh))
        };
        if token.len() > MAX_TOKEN_BYTES {
            return Err(invalid("the session token is far too long", "会话令牌过长"));
        }
        let mut parts = token.splitn(4, '.');
        let version = parts.next();
        if version == Some(UNBOUND_VERSION) {
            return Err(invalid(
                "the token predates sessions bound to their app",
                "这个令牌签发于会话与应用绑定之前",
            )
            .with_cause("unbound_token"));
        }
        let (Some(VERSION), Some(key_id), Some(tag), Some(sealed)) =
            (version, parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid(
                "not a silent-login session token",
                "这不是 silent-login 的会话令牌",
            ));
        };
        let key = self
            .keys
            .iter()
            .find(|key| key.id == key_id)
            .ok_or_else(|| {
                LoginError::new(SilentLoginCode::SessionKeyUnknown).with_detail(Detail::new(
                    format!("sealed with key {key_id:.16}, which this server does not hold"),
                    format!("由密钥 {key_id:.16} 封装，本服务器没有这个密钥"),
                ))
            })?;
        if tag != audience_tag(audience) {
            return Err(invalid(
                "the session was issued for another app",
                "这个会话是为另一个应用签发的",
            )
            .with_cause("another_app"));
        }
        let jar = CookieJar::new();
        let opened = jar
            .private(&key.key)
            .decrypt(Cookie::new(sealed_name(audience), sealed.to_owned()))
            .ok_or_else(|| {
                invalid(
                    "the session token was altered or truncated",
                    "会话令牌被篡改或截断",
                )
            })?;
        let session: Session = serde_json::from_str(opened.value()).map_err(|_| {
            invalid(
                "the session token's content is unreadable",
                "会话令牌的内容无法读取",
            )
        })?;
        if now_ms >= session.expires_at_ms {
            return Err(LoginError::new(SilentLoginCode::SessionExpired));
        }
        Ok(session)
    }
}

/// The audience of sessions of one app: `<provider>:<app id>`.
///
/// ```
/// use silent_login::{session::audience, ProviderKind};
/// assert_eq!(audience(ProviderKind::DingTalk, "dingappkey"), "dingtalk:dingappkey");
/// ```
pub fn audience(provider: ProviderKind, app_id: &str) -> String {
    format!("{}:{app_id}", provider.as_str())
}

/// The associated data of the seal: the audience, authenticated with the payload.
fn sealed_name(audience: &str) -> String {
    format!("{SEAL_NAME}:{audience}")
}

/// The audience's public tag in the token: which app it claims to be for, so another app's
/// session is told apart from a tampered one (the seal still decides).
fn audience_tag(audience: &str) -> String {
    fingerprint(&[b"session-audience", audience.as_bytes()])[..8].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "dingtalk:dingapp";
    use crate::identity::{Identity, IdentityFields, ProviderKind};

    fn session(expires_at_ms: u64) -> Session {
        Session {
            id: "sid".into(),
            identity: Identity::new(IdentityFields {
                provider: ProviderKind::DingTalk,
                user_id: "alice".into(),
                union_id: None,
                open_id: None,
                name: Some("Alice".into()),
                tenant: Some("corp".into()),
                is_admin: false,
                extra: Default::default(),
            }),
            issued_at_ms: 1,
            expires_at_ms,
        }
    }

    #[test]
    fn a_sealed_session_opens_with_the_same_ring() {
        let ring = KeyRing::new(SessionKey::generate());
        let token = ring.seal(&session(10_000), APP);
        assert!(token.starts_with("v2."));
        assert_eq!(ring.unseal(&token, APP, 5).unwrap(), session(10_000));
    }

    #[test]
    fn rotation_keeps_old_tokens_until_the_old_key_leaves_the_ring() {
        let old = SessionKey::generate();
        let token = KeyRing::new(old.clone()).seal(&session(10_000), APP);
        let rotated = KeyRing::new(SessionKey::generate()).with_previous(old);
        assert!(rotated.unseal(&token, APP, 5).is_ok());
        let without_old = KeyRing::new(rotated.current().clone());
        assert!(without_old
            .unseal(&token, APP, 5)
            .unwrap_err()
            .is(SilentLoginCode::SessionKeyUnknown));
    }

    #[test]
    fn tampering_expiry_and_garbage_are_told_apart() {
        let ring = KeyRing::new(SessionKey::generate());
        let token = ring.seal(&session(10_000), APP);
        let mut tampered = token.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(ring
            .unseal(&tampered, APP, 5)
            .unwrap_err()
            .is(SilentLoginCode::SessionInvalid));
        assert!(ring
            .unseal(&token, APP, 10_000)
            .unwrap_err()
            .is(SilentLoginCode::SessionExpired));
        assert!(ring
            .unseal("garbage", APP, 5)
            .unwrap_err()
            .is(SilentLoginCode::SessionInvalid));
        assert!(ring
            .unseal(&"v1.x.".repeat(3000), APP, 5)
            .unwrap_err()
            .is(SilentLoginCode::SessionInvalid));
    }

    #[test]
    fn keys_parse_from_base64_or_hex_and_short_keys_are_refused() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        assert!(SessionKey::parse(hex).is_ok());
        let ring = KeyRing::parse(&format!(
            "{hex}, q8R7cLxkP0yfQ2l0bZ0mA1s9u7Xo2V3dW4eT6hYg5jE="
        ))
        .unwrap();
        assert_eq!(ring.keys().count(), 2);
        assert_eq!(
            KeyRing::parse("").unwrap_err().code(),
            SilentLoginCode::SessionKeyInvalid
        );
        assert_eq!(
            SessionKey::parse("c2hvcnQ=").unwrap_err().code(),
            SilentLoginCode::SessionKeyInvalid
        );
        assert!(format!("{:?}", SessionKey::parse(hex).unwrap()).contains("***"));
    }

    #[test]
    fn a_session_of_another_app_is_refused_with_its_own_cause() {
        let ring = KeyRing::new(SessionKey::generate());
        let token = ring.seal(&session(10_000), APP);
        let error = ring.unseal(&token, "dingtalk:otherapp", 5).unwrap_err();
        assert!(error.is(SilentLoginCode::SessionInvalid));
        assert_eq!(
            error.narrowed_cause().map(|cause| cause.id()),
            Some("another_app")
        );
        // Claiming the other app's tag does not help: the seal authenticates the audience.
        let forged = token.replacen(&audience_tag(APP), &audience_tag("dingtalk:otherapp"), 1);
        let error = ring.unseal(&forged, "dingtalk:otherapp", 5).unwrap_err();
        assert!(error.is(SilentLoginCode::SessionInvalid));
        assert_ne!(
            error.narrowed_cause().map(|cause| cause.id()),
            Some("another_app")
        );
    }

    #[test]
    fn tokens_of_the_unbound_format_are_refused_as_such() {
        let ring = KeyRing::new(SessionKey::generate());
        let error = ring.unseal("v1.abcdefgh.sealed", APP, 5).unwrap_err();
        assert_eq!(
            error.narrowed_cause().map(|cause| cause.id()),
            Some("unbound_token")
        );
    }
}
