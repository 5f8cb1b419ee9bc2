//! [`Violation`]: a protocol rule the client under test broke, recorded by the emulator so a
//! test can assert there were none, and [`token_fingerprint`], how a violation names a token
//! without showing it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;

/// Which rule a [`Violation`] broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    /// A Feishu refresh token was presented again after a refresh had consumed it. The platform
    /// says a refresh token works once and is void as soon as it has been used:
    /// "`refresh_token` 用于获取新的 `user_access_token`，且仅能使用一次。在获取新的
    /// `user_access_token` 时会返回新的 `refresh_token`，原 `refresh_token` 立即失效。"
    /// (<https://open.feishu.cn/document/authentication-management/access-token/refresh-user-access-token>).
    /// A client that does this is racing itself (two refreshes in flight) or kept a stale token.
    RefreshTokenReused,
}

/// A protocol violation by the client under test: which token (by fingerprint), when, where.
///
/// Listed by [`MockPlatform::violations`](crate::MockPlatform::violations) and
/// `GET /_mock/violations`; cleared by a reset. Never carries a token value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The rule broken.
    pub kind: ViolationKind,
    /// [`token_fingerprint`] of the token presented.
    pub fingerprint: String,
    /// The Feishu app the token belongs to.
    pub app: String,
    /// The endpoint the token was presented at this time.
    pub endpoint: Endpoint,
    /// When, on the emulator's clock: milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
    /// Where the token had been consumed first.
    pub consumed_at_endpoint: Endpoint,
    /// When it had been consumed, on the emulator's clock (milliseconds since the Unix epoch).
    pub consumed_at_unix_ms: u64,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ViolationKind::RefreshTokenReused => write!(
                f,
                "refresh token {fp} of app {app} presented again at {endpoint} after it was \
                 consumed at {first} {ms} ms earlier / 刷新令牌 {fp}（应用 {app}）已在 {first} \
                 使用过，{ms} 毫秒后又在 {endpoint} 被重复使用",
                fp = self.fingerprint,
                app = self.app,
                endpoint = self.endpoint,
                first = self.consumed_at_endpoint,
                ms = self.at_unix_ms.saturating_sub(self.consumed_at_unix_ms),
            ),
        }
    }
}

/// A short, stable name for a token that does not reveal it: `fp-` and 16 hex digits of its
/// 64-bit FNV-1a hash. Deterministic, so a test can compute the fingerprint of a token it holds
/// and compare. Not a cryptographic hash: it only has to keep the emulator's own random tokens
/// out of logs and reports.
pub fn token_fingerprint(token: &str) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = token
        .bytes()
        .fold(OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME));
    format!("fp-{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_stable_and_hides_the_token() {
        let token = "ur-0123456789abcdef";
        assert_eq!(token_fingerprint(token), token_fingerprint(token));
        assert_ne!(
            token_fingerprint(token),
            token_fingerprint("ur-0123456789abcdeg")
        );
        assert!(!token_fingerprint(token).contains("0123456789abcdef"));
        // FNV-1a 64 of the empty string is its offset basis.
        assert_eq!(token_fingerprint(""), "fp-cbf29ce484222325");
    }
}
