//! Secrets as types: app secrets, platform tokens and auth codes never print themselves.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use silent_login_catalog::SilentLoginCode;

use crate::error::{Detail, LoginError};

macro_rules! redacted_debug {
    ($name:ident) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(***)"))
            }
        }
    };
}

/// An app secret (DingTalk `appsecret`, Feishu `app_secret`). `Debug` prints `***`.
///
/// ```
/// let secret = silent_login::AppSecret::new("s3cr3t");
/// assert_eq!(format!("{secret:?}"), "AppSecret(***)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AppSecret(Arc<str>);
redacted_debug!(AppSecret);

impl AppSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(Arc::from(secret.into()))
    }

    /// The secret itself, for the one request that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A short one-way fingerprint: token caches key on it, so a wrong secret never reuses the
    /// token a right one fetched.
    pub fn fingerprint(&self) -> String {
        fingerprint(&[self.0.as_bytes()])
    }
}

/// A bearer token the platform issued; cheap to clone, `Debug` prints `***`.
macro_rules! platform_token {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(Arc<str>);
        redacted_debug!($name);

        impl $name {
            /// Wraps a token.
            pub fn new(token: impl Into<String>) -> Self {
                Self(Arc::from(token.into()))
            }

            /// The token itself, for the request that carries it.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }
    };
}

platform_token!(
    /// An app access token (DingTalk `access_token`, Feishu `app_access_token`). `Debug` prints
    /// `***`.
    AppToken
);

platform_token!(
    /// A user's access token (Feishu `user_access_token`): it acts as the user, so it is as
    /// secret as a password. `Debug` prints `***`.
    UserToken
);

platform_token!(
    /// A user's refresh token (Feishu `refresh_token`): it mints new user tokens and works
    /// once. `Debug` prints `***`.
    RefreshToken
);

/// The longest code we accept; platform codes are 32–64 characters.
pub const MAX_AUTH_CODE_LEN: usize = 512;

/// A one-time auth code from the front-end JSAPI. `Debug` prints `***`: a code is a credential
/// for five minutes.
///
/// ```
/// use silent_login::AuthCode;
/// assert!(AuthCode::parse("8c0e6e7c5b1f3d2a").is_ok());
/// assert!(AuthCode::parse("   ").is_err());
/// assert!(AuthCode::parse("bad\ncode").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AuthCode(String);
redacted_debug!(AuthCode);

impl AuthCode {
    /// Checks the shape of a code: non-empty, at most [`MAX_AUTH_CODE_LEN`] bytes, visible ASCII.
    pub fn parse(raw: &str) -> Result<Self, LoginError> {
        let code = raw.trim();
        if code.is_empty() {
            return Err(LoginError::new(SilentLoginCode::AuthCodeEmpty).with_cause("empty_value"));
        }
        if code.len() > MAX_AUTH_CODE_LEN {
            return Err(LoginError::new(SilentLoginCode::AuthCodeMalformed)
                .with_cause("malformed_code")
                .with_detail(Detail::new(
                    format!(
                        "the code is {} bytes long; platform codes are far shorter",
                        code.len()
                    ),
                    format!("授权码长 {} 字节；平台的授权码要短得多", code.len()),
                )));
        }
        if !code.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(LoginError::new(SilentLoginCode::AuthCodeMalformed)
                .with_cause("malformed_code")
                .with_detail(Detail::new(
                    "the code contains spaces, control or non-ASCII characters",
                    "授权码含有空格、控制字符或非 ASCII 字符",
                )));
        }
        Ok(Self(code.to_owned()))
    }

    /// The code itself, for the one request that exchanges it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The fingerprint the code ledger keeps instead of the code, scoped to one app.
    pub fn fingerprint(&self, app: &str) -> String {
        fingerprint(&[app.as_bytes(), b"\0", self.0.as_bytes()])
    }
}

/// SHA-256 over the parts, first 16 bytes in hex.
pub(crate) fn fingerprint(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hex::encode(&hasher.finalize()[..16])
}

/// 128 random bits in hex: session ids, lock holders, request ids. The bits come from the
/// `cookie` crate's key generator (a CSPRNG), so no random-number crate of our own is needed.
pub(crate) fn random_id() -> String {
    hex::encode(&cookie::Key::generate().master()[..16])
}
