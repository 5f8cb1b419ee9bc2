//! `SilentLoginLayer`: the configuration, with a builder method per option.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use cookie::SameSite;
use silent_login_catalog::Lang;
use tower_layer::Layer;

use crate::authenticator::Authenticator;
use crate::provider::Provider;
use crate::service::SilentLogin;
use crate::session::{KeyRing, OpenedSessions, SessionKey, OPENED_SESSIONS};
use crate::sessions::Sessions;
use crate::store::{MemoryStore, Store};

/// Whether a request without a valid session reaches the inner service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Refuse it with the catalog error (401). The default.
    Required,
    /// Let it through without an [`Identity`](crate::Identity); handlers decide.
    Optional,
}

/// What a protected request does when the store cannot say whether its session was revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevocationPolicy {
    /// Refuse the request with 503 `StoreUnavailable` (the default: a logged-out session never
    /// works again, at the price of availability).
    FailClosed,
    /// Accept the session on its seal and expiry alone, and log it.
    FailOpen,
}

#[derive(Clone, Debug)]
pub(crate) struct CookieSettings {
    pub(crate) name: String,
    pub(crate) domain: Option<String>,
    pub(crate) path: String,
    pub(crate) secure: bool,
    pub(crate) same_site: SameSite,
}

#[derive(Clone, Debug)]
pub(crate) enum PublicPath {
    Exact(String),
    Prefix(String),
}

/// Everything the service reads per request; shared by every clone.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) authenticator: Arc<Authenticator>,
    pub(crate) keys: KeyRing,
    /// Sessions opened with `keys`; replaced whenever the key ring is.
    pub(crate) opened: Arc<OpenedSessions>,
    pub(crate) login_path: String,
    pub(crate) logout_path: String,
    pub(crate) mode: Mode,
    pub(crate) public: Vec<PublicPath>,
    pub(crate) session_ttl: Duration,
    pub(crate) cookie: CookieSettings,
    pub(crate) default_lang: Lang,
    pub(crate) allowed_tenants: Option<HashSet<String>>,
    pub(crate) login_body_limit: usize,
    pub(crate) allowed_origins: Vec<String>,
    pub(crate) revocation_policy: RevocationPolicy,
}

impl Settings {
    pub(crate) fn is_public(&self, path: &str) -> bool {
        self.public.iter().any(|rule| match rule {
            PublicPath::Exact(exact) => path == exact,
            PublicPath::Prefix(prefix) => path.starts_with(prefix.as_str()),
        })
    }

    pub(crate) fn tenant_allowed(&self, tenant: Option<&str>) -> bool {
        match &self.allowed_tenants {
            None => true,
            Some(allowed) => tenant.is_some_and(|tenant| allowed.contains(tenant)),
        }
    }
}

/// Adds silent login to a tower service: the login and logout endpoints, sessions on every
/// other request, and catalog-explained errors over HTTP and gRPC.
///
/// ```
/// use axum::{routing::get, Router};
/// use silent_login::{DingTalk, Identity, SessionKey, SilentLoginLayer};
///
/// async fn me(user: Identity) -> String {
///     user.user_id
/// }
///
/// let app: Router = Router::new().route("/api/me", get(me)).layer(
///     SilentLoginLayer::new(DingTalk::new("appkey", "appsecret").corp_id("dingcorp"))
///         .session_key(SessionKey::generate())
///         .public_path("/healthz"),
/// );
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct SilentLoginLayer {
    provider: Arc<dyn Provider>,
    store: Arc<dyn Store>,
    settings: Arc<Settings>,
}

impl SilentLoginLayer {
    /// A layer for `provider`, with an in-memory store and a random session key (sessions then
    /// end when the process does: set [`SilentLoginLayer::session_key`] in production).
    pub fn new(provider: impl Provider) -> Self {
        let provider: Arc<dyn Provider> = Arc::new(provider);
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let settings = Settings {
            authenticator: Arc::new(Authenticator::with_store(provider.clone(), store.clone())),
            keys: KeyRing::new(SessionKey::generate()),
            opened: Arc::new(OpenedSessions::new(OPENED_SESSIONS)),
            login_path: "/api/login".to_owned(),
            logout_path: "/api/logout".to_owned(),
            mode: Mode::Required,
            public: Vec::new(),
            session_ttl: Duration::from_secs(8 * 3600),
            cookie: CookieSettings {
                name: "silent_login".to_owned(),
                domain: None,
                path: "/".to_owned(),
                secure: true,
                same_site: SameSite::Lax,
            },
            default_lang: Lang::En,
            allowed_tenants: None,
            login_body_limit: 4 * 1024,
            allowed_origins: Vec::new(),
            revocation_policy: RevocationPolicy::FailClosed,
        };
        Self {
            provider,
            store,
            settings: Arc::new(settings),
        }
    }

    fn settings(&mut self) -> &mut Settings {
        Arc::make_mut(&mut self.settings)
    }

    /// The key that seals sessions (and opens them). Every replica needs the same one.
    ///
    /// ```
    /// # use silent_login::{DingTalk, SessionKey, SilentLoginLayer};
    /// let key = SessionKey::parse("q8R7cLxkP0yfQ2l0bZ0mA1s9u7Xo2V3dW4eT6hYg5jE=").unwrap();
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).session_key(key);
    /// ```
    pub fn session_key(self, key: SessionKey) -> Self {
        self.session_keys(KeyRing::new(key))
    }

    /// A key ring: the current key seals, previous keys still open — for rotation.
    ///
    /// ```
    /// # use silent_login::{DingTalk, KeyRing, SilentLoginLayer};
    /// let ring = KeyRing::parse(&std::env::var("SILENT_LOGIN_SESSION_KEY").unwrap_or_else(|_| {
    ///     "q8R7cLxkP0yfQ2l0bZ0mA1s9u7Xo2V3dW4eT6hYg5jE=".into()
    /// })).unwrap();
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).session_keys(ring);
    /// ```
    pub fn session_keys(mut self, ring: KeyRing) -> Self {
        let settings = self.settings();
        settings.keys = ring;
        settings.opened = Arc::new(OpenedSessions::new(OPENED_SESSIONS));
        self
    }

    /// Where the store lives: [`MemoryStore`] by default; a shared store for many replicas.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use silent_login::{DingTalk, MemoryStore, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).store(Arc::new(MemoryStore::new()));
    /// ```
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = store.clone();
        let provider = self.provider.clone();
        self.settings().authenticator = Arc::new(Authenticator::with_store(provider, store));
        self
    }

    /// The login endpoint (default `/api/login`).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).login_path("/auth/dingtalk");
    /// ```
    pub fn login_path(mut self, path: impl Into<String>) -> Self {
        self.settings().login_path = path.into();
        self
    }

    /// The logout endpoint (default `/api/logout`; `?all=1` ends every session of the user).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).logout_path("/auth/logout");
    /// ```
    pub fn logout_path(mut self, path: impl Into<String>) -> Self {
        self.settings().logout_path = path.into();
        self
    }

    /// Let requests without a session through (handlers take `Option<Identity>`).
    ///
    /// ```
    /// # use silent_login::{DingTalk, Mode, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).mode(Mode::Optional);
    /// ```
    pub fn mode(mut self, mode: Mode) -> Self {
        self.settings().mode = mode;
        self
    }

    /// A path that needs no session, matched exactly.
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).public_path("/healthz").public_path("/");
    /// ```
    pub fn public_path(mut self, path: impl Into<String>) -> Self {
        self.settings().public.push(PublicPath::Exact(path.into()));
        self
    }

    /// Every path under a prefix needs no session.
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).public_prefix("/static/");
    /// ```
    pub fn public_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.settings()
            .public
            .push(PublicPath::Prefix(prefix.into()));
        self
    }

    /// How long a session lives (default 8 hours).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).session_ttl(Duration::from_secs(3600));
    /// ```
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.settings().session_ttl = ttl;
        self
    }

    /// The session cookie's name (default `silent_login`).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).cookie_name("sid");
    /// ```
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.settings().cookie.name = name.into();
        self
    }

    /// The session cookie's `Domain` (default: none, the host only).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).cookie_domain("example.com");
    /// ```
    pub fn cookie_domain(mut self, domain: impl Into<String>) -> Self {
        self.settings().cookie.domain = Some(domain.into());
        self
    }

    /// The session cookie's `Path` (default `/`).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).cookie_path("/app");
    /// ```
    pub fn cookie_path(mut self, path: impl Into<String>) -> Self {
        self.settings().cookie.path = path.into();
        self
    }

    /// Whether the cookie is `Secure` (default `true`; turn off only for plain-HTTP development).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).secure_cookie(false);
    /// ```
    pub fn secure_cookie(mut self, secure: bool) -> Self {
        self.settings().cookie.secure = secure;
        self
    }

    /// The cookie's `SameSite` (default `Lax`).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).same_site(cookie::SameSite::Strict);
    /// ```
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.settings().cookie.same_site = same_site;
        self
    }

    /// The language of error texts when `Accept-Language` names neither English nor Chinese.
    ///
    /// ```
    /// # use silent_login::{DingTalk, Lang, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).default_lang(Lang::Zh);
    /// ```
    pub fn default_lang(mut self, lang: Lang) -> Self {
        self.settings().default_lang = lang;
        self
    }

    /// Only users of these organizations (DingTalk corp ids, Feishu tenant keys) may log in, even
    /// if the platform vouches for others.
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).allowed_tenants(["dingcorp"]);
    /// ```
    pub fn allowed_tenants<I, T>(mut self, tenants: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.settings().allowed_tenants = Some(tenants.into_iter().map(Into::into).collect());
        self
    }

    /// The largest login body accepted (default 4 KiB; codes are tiny).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).login_body_limit(2048);
    /// ```
    pub fn login_body_limit(mut self, bytes: usize) -> Self {
        self.settings().login_body_limit = bytes;
        self
    }

    /// Another origin allowed to log in with cookies (login CSRF protection refuses cross-site
    /// logins otherwise), e.g. a front end on its own domain.
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).allowed_origin("https://h5.example.com");
    /// ```
    pub fn allowed_origin(mut self, origin: impl Into<String>) -> Self {
        self.settings()
            .allowed_origins
            .push(origin.into().trim_end_matches('/').to_owned());
        self
    }

    /// What to do when the store cannot tell whether a session was revoked.
    ///
    /// ```
    /// # use silent_login::{DingTalk, RevocationPolicy, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).revocation_policy(RevocationPolicy::FailOpen);
    /// ```
    pub fn revocation_policy(mut self, policy: RevocationPolicy) -> Self {
        self.settings().revocation_policy = policy;
        self
    }

    /// A handle to end sessions from your own code (e.g. "log out everywhere").
    pub fn sessions(&self) -> Sessions {
        Sessions::new(self.store.clone(), self.settings.session_ttl)
    }

    /// The authenticator the layer exchanges codes with.
    pub fn authenticator(&self) -> &Arc<Authenticator> {
        &self.settings.authenticator
    }
}

impl<S> Layer<S> for SilentLoginLayer {
    type Service = SilentLogin<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SilentLogin::new(inner, self.settings.clone())
    }
}
