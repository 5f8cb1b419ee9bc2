//! `SilentLoginLayer`: the builder of the layer's configuration, one method per option.

use std::sync::Arc;
use std::time::Duration;

use cookie::SameSite;
use silent_login_catalog::Lang;
use tower_layer::Layer;

use crate::authenticator::Authenticator;
use crate::config::{Config, Mode, Shared};
use crate::error::{Detail, Error};
use crate::identity::AllowedTenants;
use crate::provider::Provider;
use crate::service::SilentLogin;
use crate::session::{audience, KeyRing, RevocationPolicy, SessionCheck, SessionKey, Sessions};
use crate::store::{MemoryStore, Store};
use crate::user_token::{UserTokens, DEFAULT_USER_TOKEN_MARGIN};

/// Adds silent login to a tower service: the login and logout endpoints, sessions on every
/// other request, and catalog-explained errors over HTTP and gRPC.
///
/// ```
/// use axum::{routing::get, Router};
/// use silent_login::{DingTalk, Identity, SessionKey, SilentLoginLayer};
///
/// async fn me(user: Identity) -> String {
///     format!("hello {}", user.user_id)
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
    shared: Arc<Shared>,
}

impl SilentLoginLayer {
    /// A layer for `provider`, with an in-memory store and a random session key (sessions then
    /// end when the process does: set [`SilentLoginLayer::session_key`] in production).
    pub fn new(provider: impl Provider) -> Self {
        let provider: Arc<dyn Provider> = Arc::new(provider);
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let keys = KeyRing::new(SessionKey::generate());
        let shared = Shared {
            config: Config::default(),
            authenticator: Arc::new(
                Authenticator::with_store(provider.clone(), store.clone()).outcome_keys(&keys),
            ),
            sessions: SessionCheck::new(keys, audience(provider.kind(), provider.app_id()), store),
            user_tokens: None,
        };
        Self {
            provider,
            shared: Arc::new(shared),
        }
    }

    fn shared(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.shared)
    }

    fn config(&mut self) -> &mut Config {
        &mut self.shared().config
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
        self.shared().sessions.set_keys(ring);
        self.rebuild_authenticator()
    }

    /// Where the store lives: [`MemoryStore`] by default; a shared store for many replicas.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use silent_login::{DingTalk, MemoryStore, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).store(Arc::new(MemoryStore::new()));
    /// ```
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.shared().sessions.store = store;
        self.rebuild_authenticator()
    }

    /// The authenticator for the current provider, store, key ring and cap.
    fn rebuild_authenticator(mut self) -> Self {
        let provider = self.provider.clone();
        let shared = self.shared();
        let authenticator =
            Authenticator::with_store(provider.clone(), shared.sessions.store.clone())
                .outcome_keys(&shared.sessions.keys)
                .max_concurrent_exchanges(shared.config.max_concurrent_exchanges);
        shared.authenticator = Arc::new(authenticator);
        shared.user_tokens = shared.config.user_token_margin.map(|margin| {
            UserTokens::new(
                provider.clone(),
                shared.sessions.store.clone(),
                shared.authenticator.app_tokens().clone(),
                &shared.sessions.keys,
                &audience(provider.kind(), provider.app_id()),
                margin,
            )
        });
        self
    }

    /// Keeps each session's user token (Feishu/Lark `user_access_token`) in the store, sealed
    /// with a subkey of the session key ring, until the session ends — never in the cookie or
    /// the browser. Handlers get it with the [`UserAccessToken`](crate::UserAccessToken) extractor or
    /// [`UserTokens::get`], refreshed once per expiry across every replica (see
    /// [`UserTokens`]). Refreshed [`DEFAULT_USER_TOKEN_MARGIN`] before it expires; see
    /// [`SilentLoginLayer::user_token_margin`].
    ///
    /// The layer refuses to start when the provider issues no user tokens (DingTalk) or the store
    /// cannot keep them.
    ///
    /// ```
    /// # use silent_login::{Feishu, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(Feishu::new("cli_a1b2c3", "secret")).keep_user_tokens();
    /// assert!(layer.user_tokens().is_some());
    /// ```
    pub fn keep_user_tokens(self) -> Self {
        let margin = self
            .shared
            .config
            .user_token_margin
            .unwrap_or(DEFAULT_USER_TOKEN_MARGIN);
        self.user_token_margin(margin)
    }

    /// Keeps user tokens (see [`SilentLoginLayer::keep_user_tokens`]) and hands out only those
    /// with at least `margin` left, refreshing first (default 60 s).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use silent_login::{Feishu, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(Feishu::new("cli_a1b2c3", "secret"))
    ///     .user_token_margin(Duration::from_secs(300));
    /// # let _ = layer;
    /// ```
    pub fn user_token_margin(mut self, margin: Duration) -> Self {
        self.config().user_token_margin = Some(margin);
        self.rebuild_authenticator()
    }

    /// The sessions' user tokens, when the layer keeps them
    /// ([`SilentLoginLayer::keep_user_tokens`]) — for tonic or hyper handlers; behind the layer
    /// they are also in each authenticated request's extensions.
    pub fn user_tokens(&self) -> Option<UserTokens> {
        self.shared.user_tokens.clone()
    }

    /// The login endpoint (default `/api/login`).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).login_path("/auth/dingtalk");
    /// ```
    pub fn login_path(mut self, path: impl Into<String>) -> Self {
        self.config().login_path = path.into();
        self
    }

    /// The logout endpoint (default `/api/logout`; `?all=1` ends every session of the user).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).logout_path("/auth/logout");
    /// ```
    pub fn logout_path(mut self, path: impl Into<String>) -> Self {
        self.config().logout_path = path.into();
        self
    }

    /// Let requests without a session through (handlers take `Option<Identity>`).
    ///
    /// ```
    /// # use silent_login::{DingTalk, Mode, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).mode(Mode::Optional);
    /// ```
    pub fn mode(mut self, mode: Mode) -> Self {
        self.config().mode = mode;
        self
    }

    /// A path that needs no session, matched exactly.
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).public_path("/healthz").public_path("/");
    /// ```
    pub fn public_path(mut self, path: impl Into<String>) -> Self {
        self.config().public.add_exact(path.into());
        self
    }

    /// Every path under a prefix needs no session.
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).public_prefix("/static/");
    /// ```
    pub fn public_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.config().public.add_prefix(prefix.into());
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
        self.config().session_ttl = ttl;
        self
    }

    /// The session cookie's name. By default `__Host-silent_login` when the cookie is Secure, has
    /// no Domain and its Path is `/` (the defaults: the `__Host-` prefix makes browsers refuse
    /// the cookie from a subdomain or a plain-HTTP page, so none can plant or shadow it), and
    /// `silent_login` otherwise. Setting a name opts out of the prefix; a `__Host-` or
    /// `__Secure-` name whose attributes browsers would refuse is a misconfiguration.
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).cookie_name("sid");
    /// ```
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.config().cookie.explicit_name = Some(name.into());
        self
    }

    /// The session cookie's `Domain` (default: none, the host only).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).cookie_domain("example.com");
    /// ```
    pub fn cookie_domain(mut self, domain: impl Into<String>) -> Self {
        self.config().cookie.domain = Some(domain.into());
        self
    }

    /// The session cookie's `Path` (default `/`).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).cookie_path("/app");
    /// ```
    pub fn cookie_path(mut self, path: impl Into<String>) -> Self {
        self.config().cookie.path = path.into();
        self
    }

    /// Whether the cookie is `Secure` (default `true`; turn off only for plain-HTTP development).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).secure_cookie(false);
    /// ```
    pub fn secure_cookie(mut self, secure: bool) -> Self {
        self.config().cookie.secure = secure;
        self
    }

    /// The cookie's `SameSite` (default `Lax`).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).same_site(cookie::SameSite::Strict);
    /// ```
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.config().cookie.same_site = same_site;
        self
    }

    /// The language of error texts (`detail` included) when `Accept-Language` names neither
    /// English nor Chinese.
    ///
    /// ```
    /// # use silent_login::{DingTalk, Lang, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).default_lang(Lang::Zh);
    /// ```
    pub fn default_lang(mut self, lang: Lang) -> Self {
        self.config().default_lang = lang;
        self
    }

    /// Only users of these organizations (Feishu/Lark tenant keys) may log in, even if the
    /// platform vouches for others — for an app other tenants can install.
    ///
    /// Not for DingTalk: an internal app belongs to the one organization of its `corp_id`, and
    /// the platform answers only for users of it, so a list could only compare configuration
    /// with configuration. [`SilentLoginLayer::validate`] refuses it; restrict who may use a
    /// DingTalk app with its visible range (可见范围) in the developer console.
    ///
    /// ```
    /// # use silent_login::{Feishu, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(Feishu::new("cli_a", "s")).allowed_tenants(["tenant_key_1"]);
    /// ```
    pub fn allowed_tenants<I, T>(mut self, tenants: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.shared().sessions.tenants = AllowedTenants::only(tenants);
        self
    }

    /// The largest login body accepted (default 4 KiB; codes are tiny).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).login_body_limit(2048);
    /// ```
    pub fn login_body_limit(mut self, bytes: usize) -> Self {
        self.config().login_body_limit = bytes;
        self
    }

    /// Another origin allowed to log in with cookies (login CSRF protection refuses cross-site
    /// logins otherwise), e.g. a front end on its own domain. Anything but an origin (scheme,
    /// host, optional port) is a misconfiguration the layer refuses to start with.
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).allowed_origin("https://h5.example.com");
    /// ```
    pub fn allowed_origin(mut self, origin: impl Into<String>) -> Self {
        // Scheme and host are case-insensitive; browsers send them lower-case.
        let origin = origin.into().trim_end_matches('/').to_ascii_lowercase();
        self.config().allowed_origins.push(origin);
        self
    }

    /// The deadline of a whole login, body read and code exchange (default 10 s). A body that
    /// has not arrived by then is answered `LoginBodyTimeout` (408) and the connection closed; an
    /// exchange still running is answered `UpstreamTimeout` (504, cause `login_deadline`) and
    /// finishes in the background, so the code's fate is still recorded.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).login_timeout(Duration::from_secs(5));
    /// ```
    pub fn login_timeout(mut self, timeout: Duration) -> Self {
        self.config().login_timeout = timeout;
        self
    }

    /// At most this many code exchanges in flight at once (default 64). A login beyond it is
    /// answered at once with 503 `LoginOverloaded` and `Retry-After: 1`; its code stays usable.
    /// Presentations of a code already being exchanged share that exchange and need no slot.
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).max_concurrent_exchanges(128);
    /// ```
    pub fn max_concurrent_exchanges(mut self, limit: usize) -> Self {
        self.config().max_concurrent_exchanges = limit;
        self.rebuild_authenticator()
    }

    /// Whether the layer can serve protected requests from a current view of revocations (a
    /// shared store: connected and its revocation feed confirmed within the bound). Answer your
    /// readiness probe with it, so a load balancer sends no traffic to a replica that would
    /// refuse it.
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s"));
    /// assert!(layer.is_ready(), "the in-memory store is always ready");
    /// ```
    pub fn is_ready(&self) -> bool {
        self.shared.sessions.store.is_live()
    }

    /// Error answers also carry `detail` (what exactly went wrong, in the request's language like
    /// the other texts; see [`Detail`](crate::Detail)) and `upstream` (the platform's raw answer:
    /// its message, code and request id) — for development against the
    /// emulator or a test app. Off by default: anonymous callers get the code, its cause and
    /// solution and the request id, and the server log has the rest under that request id (a
    /// platform's message can name your egress IP, a store error your network).
    ///
    /// ```
    /// # use silent_login::{DingTalk, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).expose_error_details(true);
    /// ```
    pub fn expose_error_details(mut self, expose: bool) -> Self {
        self.config().expose_error_details = expose;
        self
    }

    /// What to do when the store cannot tell whether a session was revoked.
    ///
    /// ```
    /// # use silent_login::{DingTalk, RevocationPolicy, SilentLoginLayer};
    /// let layer = SilentLoginLayer::new(DingTalk::new("k", "s")).revocation_policy(RevocationPolicy::FailOpen);
    /// ```
    pub fn revocation_policy(mut self, policy: RevocationPolicy) -> Self {
        self.shared().sessions.policy = policy;
        self
    }

    /// A handle to end sessions from your own code (e.g. "log out everywhere").
    pub fn sessions(&self) -> Sessions {
        Sessions::new(
            self.shared.sessions.store.clone(),
            self.shared.config.session_ttl,
        )
    }

    /// The authenticator the layer exchanges codes with.
    pub fn authenticator(&self) -> &Arc<Authenticator> {
        &self.shared.authenticator
    }

    /// Whether the configuration can work: `Misconfigured`, naming every bad setting of the
    /// provider and the layer (an empty app key, secret or corp id, an `api_base` that is not an
    /// http(s) URL, an `allowed_origin` that is not an origin, a login or logout path that does
    /// not start with `/` or that both name the same path). [`Layer::layer`] refuses to
    /// build a service from a configuration that fails this.
    ///
    /// ```
    /// use silent_login::{DingTalk, SilentLoginLayer};
    ///
    /// let layer = SilentLoginLayer::new(DingTalk::new("", "secret").api_base("oapi.dingtalk.com"));
    /// let error = layer.validate().unwrap_err();
    /// assert!(error.detail().en().contains("AppKey is empty"));
    /// assert!(error.detail().en().contains("api_base"));
    /// // In Chinese too, for an error answer in Chinese.
    /// assert!(error.detail().get(silent_login::Lang::Zh).contains("AppKey 为空"));
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        [
            self.provider.check_settings(),
            self.shared.config.check(),
            self.check_tenants(),
            self.check_user_tokens(),
        ]
        .into_iter()
        .filter_map(Result::err)
        .reduce(Error::and)
        .map_or(Ok(()), Err)
    }
}

impl SilentLoginLayer {
    fn check_user_tokens(&self) -> Result<(), Error> {
        let mut problems = crate::misconfig::Problems::default();
        if self.shared.config.user_token_margin.is_some() {
            if !self.provider.issues_user_tokens() {
                problems.invalid(Detail::new(
                    format!(
                        "keep_user_tokens: {} issues no user tokens to a login",
                        self.provider.kind()
                    ),
                    format!(
                        "keep_user_tokens：{} 登录时不签发用户令牌",
                        self.provider.kind()
                    ),
                ));
            }
            if !self.shared.sessions.store.keeps_user_tokens() {
                problems.invalid(Detail::new(
                    "keep_user_tokens: the store cannot keep user tokens (Store::keeps_user_tokens is false)",
                    "keep_user_tokens：当前存储不能保存用户令牌（Store::keeps_user_tokens 为 false）",
                ));
            }
        }
        problems.check()
    }

    fn check_tenants(&self) -> Result<(), Error> {
        let mut problems = crate::misconfig::Problems::default();
        if self.shared.sessions.tenants.is_restricted()
            && self.provider.kind() == crate::identity::ProviderKind::DingTalk
        {
            problems.invalid(Detail::new(
                "allowed_tenants has no effect with DingTalk: an internal app belongs to the one \
                 organization of its corp_id; restrict who may use it with the app's visible \
                 range (可见范围) instead",
                "allowed_tenants 对钉钉不起作用：企业内部应用只属于其 corp_id 对应的那一个组织；\
                 请改用应用的可见范围来限制谁可以使用它",
            ));
        }
        problems.check()
    }
}

impl<S> Layer<S> for SilentLoginLayer {
    type Service = SilentLogin<S>;

    /// # Panics
    ///
    /// When [`SilentLoginLayer::validate`] fails: a layer that cannot log anybody in refuses to
    /// start (like tower-http's `CorsLayer` with an invalid configuration), with a message that
    /// names each bad setting. Call `validate` first to handle it yourself.
    fn layer(&self, inner: S) -> Self::Service {
        if let Err(error) = self.validate() {
            panic!("silent-login cannot start: {error}");
        }
        SilentLogin::new(inner, self.shared.clone())
    }
}
