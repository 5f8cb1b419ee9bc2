//! The layer's configuration: plain options with their defaults ([`Config`], its cookie and its
//! public paths, and the cookies built from them), and what every clone of the service shares
//! ([`Shared`]). The builder in `layer.rs` writes it; the request path only reads it.

use std::sync::Arc;
use std::time::Duration;

use cookie::{Cookie, SameSite};
use silent_login_catalog::Lang;

use crate::authenticator::Authenticator;
use crate::error::{Detail, Error};
use crate::misconfig::Problems;
use crate::session::SessionCheck;
use crate::user_token::UserTokens;

/// Whether a request without a valid session reaches the inner service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Refuse it with the catalog error (401). The default.
    #[default]
    Required,
    /// Let it through without an [`Identity`](crate::Identity); handlers decide (the refusal
    /// the layer would have answered is in the request's extensions as an
    /// [`IdentityRejection`](crate::IdentityRejection)).
    Optional,
}

/// The session cookie's name when none is set and the `__Host-` prefix is not allowed.
const COOKIE_NAME: &str = "silent_login";
/// The session cookie's name when none is set and the `__Host-` prefix is allowed.
const HOST_COOKIE_NAME: &str = "__Host-silent_login";

/// The session cookie's attributes.
#[derive(Clone, Debug)]
pub(crate) struct CookieConfig {
    /// Set by `cookie_name`; otherwise see [`CookieConfig::name`].
    pub(crate) explicit_name: Option<String>,
    pub(crate) domain: Option<String>,
    pub(crate) path: String,
    pub(crate) secure: bool,
    pub(crate) same_site: SameSite,
}

impl Default for CookieConfig {
    fn default() -> Self {
        Self {
            explicit_name: None,
            domain: None,
            path: "/".to_owned(),
            secure: true,
            same_site: SameSite::Lax,
        }
    }
}

impl CookieConfig {
    /// The cookie's name: the one set, else `__Host-silent_login` when the browser allows the
    /// `__Host-` prefix (Secure, no Domain, Path `/`: then no subdomain and no plain-HTTP page
    /// can set or shadow the session cookie), else `silent_login`.
    pub(crate) fn name(&self) -> &str {
        match &self.explicit_name {
            Some(name) => name,
            None if self.secure && self.domain.is_none() && self.path == "/" => HOST_COOKIE_NAME,
            None => COOKIE_NAME,
        }
    }
}

/// Paths that need no session: exact paths and prefixes.
#[derive(Clone, Debug, Default)]
pub(crate) struct PublicPaths {
    exact: Vec<String>,
    prefixes: Vec<String>,
}

impl PublicPaths {
    pub(crate) fn add_exact(&mut self, path: String) {
        self.exact.push(path);
    }

    pub(crate) fn add_prefix(&mut self, prefix: String) {
        self.prefixes.push(prefix);
    }

    pub(crate) fn contains(&self, path: &str) -> bool {
        self.exact.iter().any(|exact| exact == path)
            || self
                .prefixes
                .iter()
                .any(|prefix| path.starts_with(prefix.as_str()))
    }
}

/// Every plain option of the layer, with its default.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) login_path: String,
    pub(crate) logout_path: String,
    pub(crate) mode: Mode,
    pub(crate) public: PublicPaths,
    pub(crate) session_ttl: Duration,
    pub(crate) cookie: CookieConfig,
    pub(crate) default_lang: Lang,
    pub(crate) login_body_limit: usize,
    /// The whole login (body read and code exchange) must end within this.
    pub(crate) login_timeout: Duration,
    pub(crate) max_concurrent_exchanges: usize,
    /// Error answers carry `detail` and the platform's raw answer (development only).
    pub(crate) expose_error_details: bool,
    /// Origins other than the request's own that may log in with cookies (no trailing slash).
    pub(crate) allowed_origins: Vec<String>,
    /// Keep each session's user token, refreshed this long before it expires; `None`: keep none.
    pub(crate) user_token_margin: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            login_path: "/api/login".to_owned(),
            logout_path: "/api/logout".to_owned(),
            mode: Mode::default(),
            public: PublicPaths::default(),
            session_ttl: Duration::from_secs(8 * 3600),
            cookie: CookieConfig::default(),
            default_lang: Lang::En,
            login_body_limit: 4 * 1024,
            login_timeout: Duration::from_secs(10),
            max_concurrent_exchanges: crate::authenticator::DEFAULT_MAX_CONCURRENT_EXCHANGES,
            expose_error_details: false,
            allowed_origins: Vec::new(),
            user_token_margin: None,
        }
    }
}

impl Config {
    /// The cookie that carries a new session's token.
    pub(crate) fn session_cookie(&self, token: &str) -> Cookie<'static> {
        let cookie = &self.cookie;
        let max_age = cookie::time::Duration::seconds(
            i64::try_from(self.session_ttl.as_secs()).unwrap_or(i64::MAX),
        );
        let mut builder = Cookie::build((cookie.name().to_owned(), token.to_owned()))
            .http_only(true)
            .secure(cookie.secure)
            .same_site(cookie.same_site)
            .path(cookie.path.clone())
            .max_age(max_age);
        if let Some(domain) = &cookie.domain {
            builder = builder.domain(domain.clone());
        }
        builder.build()
    }

    /// Whether these options can work: `Misconfigured` naming each bad one.
    pub(crate) fn check(&self) -> Result<(), Error> {
        let mut problems = Problems::default();
        for origin in &self.allowed_origins {
            problems.origin(("allowed_origin", "allowed_origin"), origin);
        }
        for (setting, path) in [
            ("login_path", &self.login_path),
            ("logout_path", &self.logout_path),
        ] {
            if !path.starts_with('/') {
                problems.invalid(Detail::new(
                    format!("{setting} `{path:.100}` must start with `/`"),
                    format!("{setting} `{path:.100}` 必须以 `/` 开头"),
                ));
            }
        }
        let cookie = &self.cookie;
        let name = cookie.name();
        if name.starts_with("__Host-")
            && !(cookie.secure && cookie.domain.is_none() && cookie.path == "/")
        {
            problems.invalid(Detail::new(
                format!("cookie_name `{name:.100}`: browsers accept a `__Host-` cookie only when it is Secure, has no Domain and its Path is `/`"),
                format!("cookie_name `{name:.100}`：浏览器只接受带 Secure、没有 Domain 且 Path 为 `/` 的 `__Host-` cookie"),
            ));
        }
        if cookie.same_site == SameSite::None && !cookie.secure {
            problems.invalid(Detail::new(
                "same_site(None) needs a Secure cookie: browsers drop a `SameSite=None` cookie that is not Secure",
                "same_site(None) 需要 Secure cookie：浏览器会丢弃不带 Secure 的 `SameSite=None` cookie",
            ));
        }
        if name.starts_with("__Secure-") && !cookie.secure {
            problems.invalid(Detail::new(
                format!("cookie_name `{name:.100}`: browsers accept a `__Secure-` cookie only when it is Secure"),
                format!("cookie_name `{name:.100}`：浏览器只接受带 Secure 的 `__Secure-` cookie"),
            ));
        }
        if self.login_path == self.logout_path {
            let path = &self.login_path;
            problems.invalid(Detail::new(
                format!("login_path and logout_path are both `{path:.100}`"),
                format!("login_path 和 logout_path 都是 `{path:.100}`"),
            ));
        }
        problems.check()
    }

    /// The cookie that clears the session cookie.
    pub(crate) fn removal_cookie(&self) -> Cookie<'static> {
        let mut cookie = self.session_cookie("");
        cookie.make_removal();
        cookie
    }
}

/// What every clone of the service shares: the options, the authenticator and the session
/// check.
#[derive(Clone, Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) authenticator: Arc<Authenticator>,
    pub(crate) sessions: SessionCheck,
    /// The sessions' user tokens, when the layer keeps them.
    pub(crate) user_tokens: Option<UserTokens>,
}
