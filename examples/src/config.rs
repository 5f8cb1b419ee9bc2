//! The example servers' configuration, read from the environment in one place: which platform,
//! its credentials (or none: the embedded emulator), the session keys, the store, where to
//! listen. Every mistake is a [`ConfigError`] that names the variable to fix, and all of them are
//! reported at once ([`ConfigErrors`]); what is legal but probably not meant (a misspelled
//! variable, credentials of the platform that is not selected, real credentials without a
//! session key) is a [`ConfigWarning`].

use std::collections::BTreeMap;
use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};

use silent_login::provider::{DINGTALK_API_BASE, FEISHU_API_BASE, LARK_API_BASE};
use silent_login::{AppSecret, FeishuOAuth, KeyRing, ProviderKind};

/// One environment variable the examples read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variable {
    /// Its name.
    pub name: &'static str,
    /// What it holds, and its default.
    pub help: &'static str,
}

/// Every variable the examples read, in the order `--help` lists them.
pub const VARIABLES: [Variable; 15] = [
    Variable {
        name: "SILENT_LOGIN_PROVIDER",
        help: "dingtalk, feishu or lark (default: the platform whose credentials are set, else dingtalk)",
    },
    Variable {
        name: "DINGTALK_APP_KEY",
        help: "the app's Client ID (AppKey); with DINGTALK_APP_SECRET and DINGTALK_CORP_ID: the real DingTalk instead of the emulator",
    },
    Variable {
        name: "DINGTALK_APP_SECRET",
        help: "the app's Client Secret (AppSecret)",
    },
    Variable {
        name: "DINGTALK_CORP_ID",
        help: "the organization's CorpId (developer console home page), passed to requestAuthCode",
    },
    Variable {
        name: "DINGTALK_API_BASE",
        help: "the DingTalk API (default https://oapi.dingtalk.com)",
    },
    Variable {
        name: "FEISHU_APP_ID",
        help: "the Feishu/Lark app's App ID (cli_…); with FEISHU_APP_SECRET: the real platform",
    },
    Variable {
        name: "FEISHU_APP_SECRET",
        help: "the Feishu/Lark app's App Secret",
    },
    Variable {
        name: "FEISHU_API_BASE",
        help: "the Feishu API (default https://open.feishu.cn; lark: https://open.larksuite.com)",
    },
    Variable {
        name: "FEISHU_OAUTH",
        help: "v2 (default: POST /open-apis/authen/v2/oauth/token, Feishu's current endpoint) or v1 (the historic authen/v1/oidc endpoints)",
    },
    Variable {
        name: "FEISHU_SCOPES",
        help: "the scopeList the page passes to tt.requestAccess, space or comma separated (default: none = identity only); offline_access lets the server refresh the user's token",
    },
    Variable {
        name: "SILENT_LOGIN_SESSION_KEY",
        help: "session keys, comma separated, current first (openssl rand -base64 32); default: a random key, sessions end with the process",
    },
    Variable {
        name: "REDIS_URL",
        help: "redis:// or rediss:// URL: replicas share tokens, used codes and logouts (default: in memory, one replica)",
    },
    Variable {
        name: "LISTEN",
        help: "address and port to listen on (default 127.0.0.1:3000; 0.0.0.0:3000 for other machines; localhost:3000 works)",
    },
    Variable {
        name: "SILENT_LOGIN_JSAPI_URL",
        help: "the platform's JSAPI script for the page (default: the official SDK URL of the platform; the emulator's shim without credentials)",
    },
    Variable {
        name: "SILENT_LOGIN_ALLOWED_ORIGIN",
        help: "the origin of a front end served elsewhere that may log in with cookies, e.g. https://h5.example.com",
    },
];

/// Prefixes of the examples' variables: any other variable with one of them is a likely typo.
const PREFIXES: [&str; 4] = ["SILENT_LOGIN_", "DINGTALK_", "FEISHU_", "LARK_"];

/// Names the consoles use for what the examples call otherwise.
const CONSOLE_NAMES: [(&str, &str); 5] = [
    ("DINGTALK_CLIENT_ID", "DINGTALK_APP_KEY"),
    ("DINGTALK_CLIENT_SECRET", "DINGTALK_APP_SECRET"),
    ("DINGTALK_APPKEY", "DINGTALK_APP_KEY"),
    ("DINGTALK_APPSECRET", "DINGTALK_APP_SECRET"),
    ("DINGTALK_CORPID", "DINGTALK_CORP_ID"),
];

/// `--help`'s table of the environment variables.
pub fn environment_help() -> String {
    let width = VARIABLES.iter().map(|v| v.name.len()).max().unwrap_or(0);
    let mut text = String::from("Environment variables (an empty value counts as unset):\n");
    for variable in VARIABLES {
        text.push_str(&format!("  {:<width$}  {}\n", variable.name, variable.help));
    }
    text.push_str(
        "  RUST_LOG                     log filter (default info)\n\n\
         With no credentials the embedded emulator stands in for the platform (its demo users: \
         alice, bob, carol, dave, erin).\nA real app, step by step: docs/REAL-APP.md.\n",
    );
    text
}

/// The official JSAPI script each platform's developer documentation gives, pinned to a version
/// (the page loads it unless `SILENT_LOGIN_JSAPI_URL` says otherwise).
pub fn default_jsapi_url(provider: ProviderKind) -> &'static str {
    match provider {
        // The CDN build of the dingtalk-jsapi package, as DingTalk's "开发前必读" page for web
        // apps gives it: https://open.dingtalk.com/document/dingstart/webapp-read-before-development
        ProviderKind::DingTalk => {
            "https://g.alicdn.com/dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js"
        }
        // Feishu's JSSDK overview: https://open.feishu.cn/document/client-docs/h5/introduction.
        // Lark documents no URL of its own (docs/REAL-APP.md); SILENT_LOGIN_JSAPI_URL overrides.
        ProviderKind::Feishu | ProviderKind::Lark => {
            "https://lf-scm-cn.feishucdn.com/lark/op/h5-js-sdk-1.5.44.js"
        }
    }
}

/// Where the examples listen unless `LISTEN` says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";

/// A real DingTalk app (`DINGTALK_APP_KEY`, `DINGTALK_APP_SECRET`, `DINGTALK_CORP_ID`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DingTalkApp {
    /// The app's `AppKey`.
    pub app_key: String,
    /// The app's `AppSecret`.
    pub app_secret: AppSecret,
    /// The organization's `corpId`, which the H5 page passes to `requestAuthCode`.
    pub corp_id: String,
    /// `DINGTALK_API_BASE`, default `https://oapi.dingtalk.com`.
    pub api_base: String,
}

/// A real Feishu or Lark app (`FEISHU_APP_ID`, `FEISHU_APP_SECRET`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeishuApp {
    /// The app's App ID (`cli_…`), which the H5 page passes to `requestAuthCode`.
    pub app_id: String,
    /// The app's App Secret.
    pub app_secret: AppSecret,
    /// `FEISHU_API_BASE`, default `https://open.feishu.cn` (Lark `https://open.larksuite.com`).
    pub api_base: String,
}

/// Who answers the code exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// No credentials: the embedded emulator with its demo organization.
    Emulator,
    /// The real DingTalk.
    DingTalk(DingTalkApp),
    /// The real Feishu or Lark.
    Feishu(FeishuApp),
}

/// A `REDIS_URL`. `Debug` and `Display` hide a password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(String);

impl RedisUrl {
    /// The URL itself, for the client that connects with it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.split_once("://") {
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                Some((_, host)) => write!(f, "{scheme}://***@{host}"),
                None => f.write_str(&self.0),
            },
            None => f.write_str(&self.0),
        }
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({self})")
    }
}

/// Where sessions' shared state (app tokens, revocations) lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreConfig {
    /// In this process (one replica).
    Memory,
    /// A Redis server shared by every replica (`REDIS_URL`).
    Redis(RedisUrl),
}

/// The examples' configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// `SILENT_LOGIN_PROVIDER`.
    pub provider: ProviderKind,
    /// The real platform, or the emulator when no credentials are given.
    pub backend: Backend,
    /// `SILENT_LOGIN_SESSION_KEY`; `None`: a random key (sessions end with the process).
    pub session_keys: Option<KeyRing>,
    /// `REDIS_URL`.
    pub store: StoreConfig,
    /// `LISTEN`.
    pub listen: SocketAddr,
    /// `SILENT_LOGIN_JSAPI_URL`: the JSAPI script for the H5 page instead of
    /// [`default_jsapi_url`].
    pub jsapi_url: Option<String>,
    /// `SILENT_LOGIN_ALLOWED_ORIGIN`: a front end's origin allowed to log in with cookies.
    pub allowed_origin: Option<String>,
    /// `FEISHU_OAUTH`: which Feishu endpoints exchange codes and refresh user tokens.
    pub feishu_oauth: FeishuOAuth,
    /// `FEISHU_SCOPES`: the page's `tt.requestAccess` scope list.
    pub feishu_scopes: Vec<String>,
    /// What was legal but probably not meant; the binaries print these at startup.
    pub warnings: Vec<ConfigWarning>,
}

/// A configuration mistake, naming the variable to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    variable: &'static str,
    message: String,
}

impl ConfigError {
    /// An error about `variable`.
    pub fn new(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }

    /// The variable to fix.
    pub fn variable(&self) -> &'static str {
        self.variable
    }

    /// What is wrong with it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Every mistake of one configuration, so that one run reports them all (never empty).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(Vec<ConfigError>);

impl ConfigErrors {
    /// The mistakes, in the order of [`VARIABLES`].
    pub fn errors(&self) -> &[ConfigError] {
        &self.0
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            all => {
                write!(f, "{} mistakes:", all.len())?;
                all.iter().try_for_each(|error| write!(f, "\n  {error}"))
            }
        }
    }
}

/// Something legal but probably not meant, naming the variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigWarning {
    variable: String,
    message: String,
}

impl ConfigWarning {
    fn new(variable: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            variable: variable.into(),
            message: message.into(),
        }
    }

    /// The variable it is about.
    pub fn variable(&self) -> &str {
        &self.variable
    }

    /// What is probably wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigErrors> {
        let mut vars = Vec::new();
        let mut errors = Vec::new();
        for (name, value) in std::env::vars_os() {
            let Some(name) = name.to_str().map(str::to_owned) else {
                continue;
            };
            match value.into_string() {
                Ok(value) => vars.push((name, value)),
                Err(_) => match VARIABLES.iter().find(|v| v.name == name) {
                    Some(variable) => {
                        errors.push(ConfigError::new(variable.name, "is not valid UTF-8"));
                    }
                    None => vars.push((name, String::new())),
                },
            }
        }
        let config = Self::from_vars(vars);
        match (config, errors.is_empty()) {
            (config, true) => config,
            (Ok(_), false) => Err(ConfigErrors(errors)),
            (Err(ConfigErrors(more)), false) => {
                errors.extend(more);
                Err(ConfigErrors(errors))
            }
        }
    }

    /// Reads the variables from `vars` (an empty value counts as unset), all of them at once:
    /// every mistake is in the error, every doubt in [`Config::warnings`].
    ///
    /// ```
    /// use silent_login::ProviderKind;
    /// use silent_login_examples::config::{Backend, Config};
    ///
    /// let config = Config::from_vars([("SILENT_LOGIN_PROVIDER", "feishu")])?;
    /// assert_eq!(config.provider, ProviderKind::Feishu);
    /// assert_eq!(config.backend, Backend::Emulator);
    ///
    /// let typo = Config::from_vars([("DINGTALK_APPKEY", "dingkey")])?;
    /// assert!(typo.warnings[0].message().contains("DINGTALK_APP_KEY"));
    ///
    /// let half = Config::from_vars([("DINGTALK_APP_KEY", "dingkey"), ("LISTEN", "nowhere")]);
    /// let errors = half.unwrap_err();
    /// let variables: Vec<_> = errors.errors().iter().map(|e| e.variable()).collect();
    /// assert_eq!(variables, ["DINGTALK_APP_SECRET", "LISTEN"]);
    /// # Ok::<(), silent_login_examples::config::ConfigErrors>(())
    /// ```
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Result<Self, ConfigErrors>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let vars = Vars(
            vars.into_iter()
                .map(|(name, value)| (name.into(), value.into().trim().to_owned()))
                .filter(|(_, value)| !value.is_empty())
                .collect(),
        );
        let mut read = Reading::default();
        let provider = provider(&vars, &mut read);
        let backend = match provider {
            ProviderKind::DingTalk => dingtalk(&vars, &mut read),
            ProviderKind::Feishu | ProviderKind::Lark => feishu(&vars, provider, &mut read),
        };
        unselected_credentials(&vars, provider, &mut read);
        let session_keys = session_keys(&vars, &mut read);
        if session_keys.is_none() && !matches!(backend, None | Some(Backend::Emulator)) {
            read.warn(
                "SILENT_LOGIN_SESSION_KEY",
                "is not set, with real credentials: sessions are sealed with a random key, so \
                 every session ends when this process stops and no other replica can open them \
                 (behind a load balancer users are logged out at random); set one or more keys \
                 from your secret store (`openssl rand -base64 32`)",
            );
        }
        let store = store(&vars, cfg!(feature = "redis"), &mut read);
        let listen = listen(&vars, &mut read);
        let jsapi_url = vars
            .get("SILENT_LOGIN_JSAPI_URL")
            .and_then(|url| read.check(http_url("SILENT_LOGIN_JSAPI_URL", url)));
        let allowed_origin = vars
            .get("SILENT_LOGIN_ALLOWED_ORIGIN")
            .and_then(|origin| read.check(origin_of("SILENT_LOGIN_ALLOWED_ORIGIN", origin)));
        let feishu_oauth = vars
            .get("FEISHU_OAUTH")
            .and_then(|text| {
                read.check(text.parse::<FeishuOAuth>().map_err(|_| {
                    ConfigError::new("FEISHU_OAUTH", format!("`{text}` is neither v1 nor v2"))
                }))
            })
            .unwrap_or_default();
        let feishu_scopes = vars
            .get("FEISHU_SCOPES")
            .and_then(|text| read.check(scope_list(&text)))
            .unwrap_or_default();
        unknown_variables(&vars, &mut read);
        match (backend, store, listen, read.errors.is_empty()) {
            (Some(backend), Some(store), Some(listen), true) => Ok(Self {
                provider,
                backend,
                session_keys,
                store,
                listen,
                jsapi_url,
                allowed_origin,
                feishu_oauth,
                feishu_scopes,
                warnings: read.warnings,
            }),
            _ => Err(ConfigErrors(read.errors)),
        }
    }

    /// What no variables but `SILENT_LOGIN_PROVIDER` give: the emulator, a random session key,
    /// the in-memory store, the default address.
    pub fn emulated(provider: ProviderKind) -> Self {
        Self {
            provider,
            backend: Backend::Emulator,
            session_keys: None,
            store: StoreConfig::Memory,
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            jsapi_url: None,
            allowed_origin: None,
            feishu_oauth: FeishuOAuth::default(),
            feishu_scopes: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The same configuration, listening on `addr` (`127.0.0.1:0`: any free port).
    #[must_use]
    pub fn listen_on(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Whether the embedded emulator stands in for the platform.
    pub fn is_emulated(&self) -> bool {
        self.backend == Backend::Emulator
    }
}

/// The variables that are set, with empty values dropped.
struct Vars(BTreeMap<String, String>);

impl Vars {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }

    fn set<'a>(&self, names: &[&'a str]) -> Vec<&'a str> {
        names
            .iter()
            .copied()
            .filter(|name| self.0.contains_key(*name))
            .collect()
    }
}

/// The mistakes and doubts found so far.
#[derive(Default)]
struct Reading {
    errors: Vec<ConfigError>,
    warnings: Vec<ConfigWarning>,
}

impl Reading {
    fn fail(&mut self, error: ConfigError) {
        self.errors.push(error);
    }

    fn check<T>(&mut self, result: Result<T, ConfigError>) -> Option<T> {
        result.map_err(|error| self.fail(error)).ok()
    }

    fn warn(&mut self, variable: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(ConfigWarning::new(variable, message));
    }
}

const DINGTALK_CREDENTIALS: [&str; 3] = [
    "DINGTALK_APP_KEY",
    "DINGTALK_APP_SECRET",
    "DINGTALK_CORP_ID",
];
const FEISHU_CREDENTIALS: [&str; 2] = ["FEISHU_APP_ID", "FEISHU_APP_SECRET"];

fn provider(vars: &Vars, read: &mut Reading) -> ProviderKind {
    let inferred = || {
        // Only Feishu credentials given: the user meant Feishu.
        let feishu = !vars.set(&FEISHU_CREDENTIALS).is_empty();
        let dingtalk = !vars.set(&DINGTALK_CREDENTIALS).is_empty();
        if feishu && !dingtalk {
            ProviderKind::Feishu
        } else {
            ProviderKind::DingTalk
        }
    };
    let Some(value) = vars.get("SILENT_LOGIN_PROVIDER") else {
        return inferred();
    };
    match value.to_ascii_lowercase().as_str() {
        "dingtalk" => ProviderKind::DingTalk,
        "feishu" => ProviderKind::Feishu,
        "lark" => ProviderKind::Lark,
        _ => {
            read.fail(ConfigError::new(
                "SILENT_LOGIN_PROVIDER",
                format!("unknown provider `{value}`; expected `dingtalk`, `feishu` or `lark`"),
            ));
            inferred()
        }
    }
}

/// `None`: a mistake was recorded.
fn dingtalk(vars: &Vars, read: &mut Reading) -> Option<Backend> {
    let key = vars.get("DINGTALK_APP_KEY");
    let secret = vars.get("DINGTALK_APP_SECRET");
    let corp_id = vars.get("DINGTALK_CORP_ID");
    let api_base = vars
        .get("DINGTALK_API_BASE")
        .map(|base| read.check(http_url("DINGTALK_API_BASE", base)));
    let (key, secret) = match (key, secret) {
        (Some(key), Some(secret)) => (key, secret),
        (Some(_), None) => {
            read.fail(missing_pair("DINGTALK_APP_SECRET", "DINGTALK_APP_KEY"));
            return None;
        }
        (None, Some(_)) => {
            read.fail(missing_pair("DINGTALK_APP_KEY", "DINGTALK_APP_SECRET"));
            return None;
        }
        (None, None) => {
            let stray = vars.set(&["DINGTALK_CORP_ID", "DINGTALK_API_BASE"]);
            for name in &stray {
                read.fail(without_credentials(
                    name,
                    "DINGTALK_APP_KEY and DINGTALK_APP_SECRET",
                ));
            }
            return stray.is_empty().then_some(Backend::Emulator);
        }
    };
    let Some(corp_id) = corp_id else {
        read.fail(ConfigError::new(
            "DINGTALK_CORP_ID",
            "is not set, but DINGTALK_APP_KEY is: the H5 page passes the organization's corpId \
             to dd.runtime.permission.requestAuthCode (developer console home page \
             开发者后台首页 → CorpId)",
        ));
        return None;
    };
    let api_base = match api_base {
        Some(base) => base?,
        None => DINGTALK_API_BASE.to_owned(),
    };
    Some(Backend::DingTalk(DingTalkApp {
        app_key: key,
        app_secret: AppSecret::new(secret),
        corp_id,
        api_base,
    }))
}

/// `None`: a mistake was recorded.
fn feishu(vars: &Vars, provider: ProviderKind, read: &mut Reading) -> Option<Backend> {
    let id = vars.get("FEISHU_APP_ID");
    let secret = vars.get("FEISHU_APP_SECRET");
    let api_base = vars
        .get("FEISHU_API_BASE")
        .map(|base| read.check(http_url("FEISHU_API_BASE", base)));
    let (id, secret) = match (id, secret) {
        (Some(id), Some(secret)) => (id, secret),
        (Some(_), None) => {
            read.fail(missing_pair("FEISHU_APP_SECRET", "FEISHU_APP_ID"));
            return None;
        }
        (None, Some(_)) => {
            read.fail(missing_pair("FEISHU_APP_ID", "FEISHU_APP_SECRET"));
            return None;
        }
        (None, None) if api_base.is_some() => {
            read.fail(without_credentials(
                "FEISHU_API_BASE",
                "FEISHU_APP_ID and FEISHU_APP_SECRET",
            ));
            return None;
        }
        (None, None) => return Some(Backend::Emulator),
    };
    let api_base = match (api_base, provider) {
        (Some(base), _) => base?,
        (None, ProviderKind::Lark) => LARK_API_BASE.to_owned(),
        (None, _) => FEISHU_API_BASE.to_owned(),
    };
    Some(Backend::Feishu(FeishuApp {
        app_id: id,
        app_secret: AppSecret::new(secret),
        api_base,
    }))
}

/// Credentials of the platform that is not selected are ignored: say so.
fn unselected_credentials(vars: &Vars, provider: ProviderKind, read: &mut Reading) {
    let (ignored, selected_by, use_them) = match provider {
        ProviderKind::DingTalk => (
            vars.set(&[
                "FEISHU_APP_ID",
                "FEISHU_APP_SECRET",
                "FEISHU_API_BASE",
                "FEISHU_OAUTH",
                "FEISHU_SCOPES",
            ]),
            "DingTalk",
            "SILENT_LOGIN_PROVIDER=feishu (or lark)",
        ),
        ProviderKind::Feishu | ProviderKind::Lark => (
            vars.set(&[
                "DINGTALK_APP_KEY",
                "DINGTALK_APP_SECRET",
                "DINGTALK_CORP_ID",
                "DINGTALK_API_BASE",
            ]),
            "Feishu/Lark",
            "SILENT_LOGIN_PROVIDER=dingtalk",
        ),
    };
    let Some(first) = ignored.first() else {
        return;
    };
    let why = match vars.get("SILENT_LOGIN_PROVIDER") {
        Some(value) => format!("SILENT_LOGIN_PROVIDER={value} selects {selected_by}"),
        None => format!("SILENT_LOGIN_PROVIDER is not set and {selected_by} was chosen"),
    };
    read.warn(
        *first,
        format!(
            "{} {} ignored: {why}; set {use_them} to use them, or unset them",
            ignored.join(", "),
            if ignored.len() == 1 { "is" } else { "are" },
        ),
    );
}

/// A variable no example reads, with a prefix of theirs: most likely a typo.
fn unknown_variables(vars: &Vars, read: &mut Reading) {
    let known = |name: &str| VARIABLES.iter().any(|v| v.name == name);
    for name in vars.0.keys() {
        if known(name) || !PREFIXES.iter().any(|prefix| name.starts_with(prefix)) {
            continue;
        }
        let message = match nearest_variable(name) {
            Some(meant) => format!("is not read by the examples (ignored); did you mean {meant}?"),
            None => {
                let names: Vec<&str> = VARIABLES.iter().map(|v| v.name).collect();
                format!(
                    "is not read by the examples (ignored); they read {}",
                    names.join(", ")
                )
            }
        };
        read.warn(name.clone(), message);
    }
}

/// The variable a misspelled `name` most likely meant.
fn nearest_variable(name: &str) -> Option<String> {
    if let Some((_, meant)) = CONSOLE_NAMES.iter().find(|(alias, _)| *alias == name) {
        return Some((*meant).to_owned());
    }
    // Lark apps use the FEISHU_ variables.
    if let Some(rest) = name.strip_prefix("LARK_") {
        return nearest_variable(&format!("FEISHU_{rest}"))
            .map(|meant| format!("{meant} (Lark apps use the FEISHU_ variables)"));
    }
    VARIABLES
        .iter()
        .map(|v| (v.name, strsim::levenshtein(name, v.name)))
        .filter(|(_, distance)| *distance <= 3)
        .min_by_key(|(_, distance)| *distance)
        .map(|(meant, _)| meant.to_owned())
}

fn missing_pair(missing: &'static str, given: &str) -> ConfigError {
    ConfigError::new(
        missing,
        format!(
            "is not set, but {given} is: set both (开发者后台 → 凭证与基础信息) for the real \
             platform, or neither for the embedded emulator"
        ),
    )
}

fn without_credentials(variable: &'static str, credentials: &str) -> ConfigError {
    ConfigError::new(
        variable,
        format!(
            "is set, but {credentials} are not: set the credentials of the app it belongs to, \
             or unset it to use the embedded emulator"
        ),
    )
}

fn http_url(variable: &'static str, value: String) -> Result<String, ConfigError> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(rest)
            if !rest.is_empty()
                && !rest.starts_with('/')
                && value
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'<') =>
        {
            Ok(value)
        }
        _ => Err(ConfigError::new(
            variable,
            format!("`{value}` is not an http:// or https:// URL"),
        )),
    }
}

/// An origin: scheme and host, an optional port, nothing after.
fn origin_of(variable: &'static str, value: String) -> Result<String, ConfigError> {
    let origin = value.trim_end_matches('/');
    match http_url(variable, origin.to_owned()) {
        Ok(origin)
            if !origin
                .split_once("://")
                .is_some_and(|(_, rest)| rest.contains(['/', '?', '#', '@'])) =>
        {
            Ok(origin)
        }
        _ => Err(ConfigError::new(
            variable,
            format!(
                "`{value}` is not an origin such as https://h5.example.com or \
                 http://localhost:5173 (scheme, host and port only)"
            ),
        )),
    }
}

fn session_keys(vars: &Vars, read: &mut Reading) -> Option<KeyRing> {
    let text = vars.get("SILENT_LOGIN_SESSION_KEY")?;
    read.check(KeyRing::parse(&text).map_err(|error| {
        let why = error.detail().en().to_owned();
        ConfigError::new(
            "SILENT_LOGIN_SESSION_KEY",
            format!(
                "{why}; give one or more keys of at least 32 bytes in base64 or hex, separated \
                 by commas, the current key first (generate one with `openssl rand -base64 32`)"
            ),
        )
    }))
}

/// `None`: a mistake was recorded.
/// `offline_access contact:user.base:readonly` or `a,b`: each scope once, no odd characters
/// (the v2 token endpoint refuses duplicates with 20067).
fn scope_list(text: &str) -> Result<Vec<String>, ConfigError> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in text.split(|c: char| c == ',' || c.is_whitespace()) {
        if scope.is_empty() {
            continue;
        }
        if !scope
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-'))
        {
            return Err(ConfigError::new(
                "FEISHU_SCOPES",
                format!("`{scope}` is not a scope name such as offline_access or contact:user.base:readonly"),
            ));
        }
        if scopes.iter().any(|seen| seen == scope) {
            return Err(ConfigError::new(
                "FEISHU_SCOPES",
                format!("`{scope}` is listed twice (Feishu refuses duplicate scopes with 20067)"),
            ));
        }
        scopes.push(scope.to_owned());
    }
    Ok(scopes)
}

fn store(vars: &Vars, redis_built_in: bool, read: &mut Reading) -> Option<StoreConfig> {
    let Some(url) = vars.get("REDIS_URL") else {
        return Some(StoreConfig::Memory);
    };
    let scheme_ok = ["redis://", "rediss://", "redis+unix://", "unix://"]
        .iter()
        .any(|scheme| url.starts_with(scheme) && url.len() > scheme.len());
    let url = RedisUrl(url);
    if !scheme_ok {
        read.fail(ConfigError::new(
            "REDIS_URL",
            format!("`{url}` is not a Redis URL such as redis://127.0.0.1:6379/0"),
        ));
        return None;
    }
    if !redis_built_in {
        read.fail(ConfigError::new(
            "REDIS_URL",
            format!(
                "is set ({url}), but this build has no Redis store (the `redis` feature of \
                 silent-login-examples is off): build with default features, or unset REDIS_URL"
            ),
        ));
        return None;
    }
    Some(StoreConfig::Redis(url))
}

/// `None`: a mistake was recorded.
fn listen(vars: &Vars, read: &mut Reading) -> Option<SocketAddr> {
    let text = vars
        .get("LISTEN")
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    // A host name (`localhost:3000`) is resolved; its IPv4 address is preferred, as browsers
    // opening http://localhost try both.
    let resolved = text.to_socket_addrs().ok().and_then(|addrs| {
        let addrs: Vec<SocketAddr> = addrs.collect();
        addrs
            .iter()
            .find(|addr| addr.is_ipv4())
            .or_else(|| addrs.first())
            .copied()
    });
    read.check(resolved.ok_or_else(|| {
        ConfigError::new(
            "LISTEN",
            format!(
                "`{text}` is not an address and port such as {DEFAULT_LISTEN}, \
                 localhost:3000 or 0.0.0.0:8080"
            ),
        )
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const KEY: &str = "q8R7cLxkP0yfQ2l0bZ0mA1s9u7Xo2V3dW4eT6hYg5jE=";
    const OLD_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn parse(pairs: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        Config::from_vars(pairs.iter().copied())
    }

    /// The one mistake of `pairs`.
    fn error(pairs: &[(&str, &str)]) -> ConfigError {
        let errors = parse(pairs).expect_err("the configuration should be refused");
        assert_eq!(errors.errors().len(), 1, "{errors}");
        errors.errors()[0].clone()
    }

    fn warnings(pairs: &[(&str, &str)]) -> Vec<String> {
        let config = parse(pairs).expect("the configuration should be accepted");
        config.warnings.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn feishu_oauth_and_scopes_are_read_and_checked() {
        let config = parse(&[("SILENT_LOGIN_PROVIDER", "feishu")]).unwrap();
        assert_eq!(config.feishu_oauth, FeishuOAuth::V2, "v2 by default");
        assert!(config.feishu_scopes.is_empty(), "identity only by default");
        let config = parse(&[
            ("SILENT_LOGIN_PROVIDER", "lark"),
            ("FEISHU_OAUTH", "V1"),
            (
                "FEISHU_SCOPES",
                "offline_access, contact:user.base:readonly",
            ),
        ])
        .unwrap();
        assert_eq!(config.feishu_oauth, FeishuOAuth::V1);
        assert_eq!(
            config.feishu_scopes,
            ["offline_access", "contact:user.base:readonly"]
        );
        let wrong = error(&[("SILENT_LOGIN_PROVIDER", "feishu"), ("FEISHU_OAUTH", "v3")]);
        assert_eq!(wrong.variable(), "FEISHU_OAUTH");
        let twice = error(&[
            ("SILENT_LOGIN_PROVIDER", "feishu"),
            ("FEISHU_SCOPES", "offline_access offline_access"),
        ]);
        assert!(twice.to_string().contains("20067"), "{twice}");
        let odd = error(&[
            ("SILENT_LOGIN_PROVIDER", "feishu"),
            ("FEISHU_SCOPES", "a;b"),
        ]);
        assert_eq!(odd.variable(), "FEISHU_SCOPES");
        // Set for DingTalk: ignored, and said so.
        let ignored = warnings(&[("FEISHU_SCOPES", "offline_access")]);
        assert!(
            ignored
                .iter()
                .any(|w| w.starts_with("FEISHU_SCOPES") && w.contains("ignored")),
            "{ignored:?}"
        );
    }

    #[test]
    fn no_variables_means_the_dingtalk_emulator_on_port_3000() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.provider, ProviderKind::DingTalk);
        assert_eq!(config.backend, Backend::Emulator);
        assert!(config.session_keys.is_none());
        assert_eq!(config.store, StoreConfig::Memory);
        assert_eq!(config.listen, "127.0.0.1:3000".parse().unwrap());
        assert!(config.is_emulated());
    }

    #[test]
    fn empty_values_count_as_unset() {
        let config = parse(&[
            ("SILENT_LOGIN_PROVIDER", ""),
            ("DINGTALK_APP_KEY", "  "),
            ("LISTEN", ""),
        ])
        .unwrap();
        assert_eq!(config.backend, Backend::Emulator);
    }

    #[test]
    fn real_dingtalk_credentials_switch_to_the_real_platform() {
        let config = parse(&[
            ("DINGTALK_APP_KEY", "dingkey"),
            ("DINGTALK_APP_SECRET", "s3cr3t"),
            ("DINGTALK_CORP_ID", "dingcorp"),
        ])
        .unwrap();
        let Backend::DingTalk(app) = &config.backend else {
            panic!("expected DingTalk, got {:?}", config.backend)
        };
        assert_eq!(app.app_key, "dingkey");
        assert_eq!(app.corp_id, "dingcorp");
        assert_eq!(app.api_base, "https://oapi.dingtalk.com");
        assert!(!format!("{config:?}").contains("s3cr3t"));
    }

    #[test]
    fn lark_defaults_to_the_lark_host() {
        let config = parse(&[
            ("SILENT_LOGIN_PROVIDER", "Lark"),
            ("FEISHU_APP_ID", "cli_x"),
            ("FEISHU_APP_SECRET", "s"),
        ])
        .unwrap();
        assert_eq!(config.provider, ProviderKind::Lark);
        let Backend::Feishu(app) = config.backend else {
            panic!("expected Feishu")
        };
        assert_eq!(app.api_base, "https://open.larksuite.com");
    }

    #[test]
    fn feishu_credentials_alone_select_feishu() {
        let config = parse(&[("FEISHU_APP_ID", "cli_x"), ("FEISHU_APP_SECRET", "s")]).unwrap();
        assert_eq!(config.provider, ProviderKind::Feishu);
        assert!(matches!(config.backend, Backend::Feishu(_)));
    }

    #[test]
    fn an_app_key_without_its_secret_names_the_secret() {
        let error = error(&[("DINGTALK_APP_KEY", "dingkey")]);
        assert_eq!(error.variable(), "DINGTALK_APP_SECRET");
        assert!(error
            .to_string()
            .starts_with("DINGTALK_APP_SECRET: is not set, but DINGTALK_APP_KEY is"));
    }

    #[test]
    fn a_secret_without_its_app_key_names_the_key() {
        assert_eq!(
            error(&[("DINGTALK_APP_SECRET", "s")]).variable(),
            "DINGTALK_APP_KEY"
        );
        let feishu = [
            ("SILENT_LOGIN_PROVIDER", "feishu"),
            ("FEISHU_APP_SECRET", "s"),
        ];
        assert_eq!(error(&feishu).variable(), "FEISHU_APP_ID");
        let feishu = [
            ("SILENT_LOGIN_PROVIDER", "feishu"),
            ("FEISHU_APP_ID", "cli_x"),
        ];
        assert_eq!(error(&feishu).variable(), "FEISHU_APP_SECRET");
    }

    #[test]
    fn dingtalk_credentials_without_a_corp_id_name_the_corp_id() {
        let error = error(&[("DINGTALK_APP_KEY", "k"), ("DINGTALK_APP_SECRET", "s")]);
        assert_eq!(error.variable(), "DINGTALK_CORP_ID");
        assert!(error.message().contains("requestAuthCode"));
    }

    #[test]
    fn a_corp_id_or_api_base_without_credentials_is_refused() {
        assert_eq!(
            error(&[("DINGTALK_CORP_ID", "dingcorp")]).variable(),
            "DINGTALK_CORP_ID"
        );
        let base = [("DINGTALK_API_BASE", "http://127.0.0.1:9")];
        assert_eq!(error(&base).variable(), "DINGTALK_API_BASE");
        let base = [
            ("SILENT_LOGIN_PROVIDER", "feishu"),
            ("FEISHU_API_BASE", "http://x"),
        ];
        assert_eq!(error(&base).variable(), "FEISHU_API_BASE");
    }

    #[test]
    fn an_unknown_provider_is_refused_with_the_choices() {
        let error = error(&[("SILENT_LOGIN_PROVIDER", "wecom")]);
        assert_eq!(error.variable(), "SILENT_LOGIN_PROVIDER");
        assert!(error.message().contains("`wecom`"));
        assert!(error.message().contains("`dingtalk`, `feishu` or `lark`"));
    }

    #[test]
    fn a_malformed_session_key_is_refused() {
        for bad in ["too-short", "not base64 at all!", "c2hvcnQ="] {
            let error = error(&[("SILENT_LOGIN_SESSION_KEY", bad)]);
            assert_eq!(error.variable(), "SILENT_LOGIN_SESSION_KEY", "{bad}");
            assert!(error.message().contains("openssl rand -base64 32"));
        }
        let rotated = format!("{KEY},oops");
        assert_eq!(
            error(&[("SILENT_LOGIN_SESSION_KEY", &rotated)]).variable(),
            "SILENT_LOGIN_SESSION_KEY"
        );
    }

    #[test]
    fn session_keys_are_a_ring_with_the_current_key_first() {
        let both = format!("{KEY}, {OLD_KEY}");
        let config = parse(&[("SILENT_LOGIN_SESSION_KEY", &both)]).unwrap();
        let ring = config.session_keys.unwrap();
        let ids: Vec<&str> = ring.keys().map(|key| key.id()).collect();
        let current = silent_login::SessionKey::parse(KEY).unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0], current.id());
    }

    #[test]
    fn a_bad_listen_address_is_refused() {
        let error = error(&[("LISTEN", "localhost")]);
        assert_eq!(error.variable(), "LISTEN");
        assert!(error.message().contains("localhost:3000"), "{error}");
        let config = parse(&[("LISTEN", "0.0.0.0:8080")]).unwrap();
        assert_eq!(config.listen.port(), 8080);
    }

    #[test]
    fn listen_accepts_localhost_with_a_port() {
        let config = parse(&[("LISTEN", "localhost:3001")]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:3001".parse().unwrap());
    }

    #[test]
    fn every_mistake_is_reported_in_one_run() {
        let errors = parse(&[
            ("SILENT_LOGIN_PROVIDER", "wecom"),
            ("DINGTALK_APP_KEY", "k"),
            ("SILENT_LOGIN_SESSION_KEY", "short"),
            ("REDIS_URL", "http://x"),
            ("LISTEN", "nowhere"),
            ("SILENT_LOGIN_JSAPI_URL", "sdk.js"),
            ("SILENT_LOGIN_ALLOWED_ORIGIN", "https://h5.example.com/app"),
        ])
        .unwrap_err();
        let variables: Vec<&str> = errors.errors().iter().map(ConfigError::variable).collect();
        assert_eq!(
            variables,
            [
                "SILENT_LOGIN_PROVIDER",
                "DINGTALK_APP_SECRET",
                "SILENT_LOGIN_SESSION_KEY",
                "REDIS_URL",
                "LISTEN",
                "SILENT_LOGIN_JSAPI_URL",
                "SILENT_LOGIN_ALLOWED_ORIGIN",
            ]
        );
        let text = errors.to_string();
        assert!(
            text.starts_with("7 mistakes:\n  SILENT_LOGIN_PROVIDER: unknown provider"),
            "{text}"
        );
    }

    #[test]
    fn a_misspelled_variable_is_warned_about_with_the_name_meant() {
        let cases = [
            ("DINGTALK_APPKEY", "DINGTALK_APP_KEY"),
            ("DINGTALK_CLIENT_ID", "DINGTALK_APP_KEY"),
            ("DINGTALK_CLIENT_SECRET", "DINGTALK_APP_SECRET"),
            ("DINGTALK_CORPID", "DINGTALK_CORP_ID"),
            ("FEISHU_APPID", "FEISHU_APP_ID"),
            ("SILENT_LOGIN_SESION_KEY", "SILENT_LOGIN_SESSION_KEY"),
            ("SILENT_LOGIN_PROVDER", "SILENT_LOGIN_PROVIDER"),
            (
                "LARK_APP_ID",
                "FEISHU_APP_ID (Lark apps use the FEISHU_ variables)",
            ),
            (
                "LARK_APP_SECRET",
                "FEISHU_APP_SECRET (Lark apps use the FEISHU_ variables)",
            ),
        ];
        for (typo, meant) in cases {
            let warnings = warnings(&[(typo, "x")]);
            assert_eq!(
                warnings,
                [format!(
                    "{typo}: is not read by the examples (ignored); did you mean {meant}?"
                )],
            );
        }
        let far = warnings(&[("FEISHU_TENANT", "x")]);
        assert!(
            far[0].contains("they read SILENT_LOGIN_PROVIDER, DINGTALK_APP_KEY"),
            "{far:?}"
        );
        assert!(warnings(&[("PATH", "/bin"), ("RUST_LOG", "debug")]).is_empty());
    }

    #[test]
    fn credentials_of_the_platform_not_selected_are_warned_about() {
        let feishu_ignored = warnings(&[
            ("SILENT_LOGIN_PROVIDER", "dingtalk"),
            ("FEISHU_APP_ID", "cli_x"),
            ("FEISHU_APP_SECRET", "s"),
        ]);
        assert_eq!(
            feishu_ignored,
            [
                "FEISHU_APP_ID: FEISHU_APP_ID, FEISHU_APP_SECRET are ignored: \
              SILENT_LOGIN_PROVIDER=dingtalk selects DingTalk; set SILENT_LOGIN_PROVIDER=feishu \
              (or lark) to use them, or unset them"
            ]
        );
        let dingtalk_ignored =
            warnings(&[("SILENT_LOGIN_PROVIDER", "lark"), ("DINGTALK_APP_KEY", "k")]);
        assert!(dingtalk_ignored[0].starts_with("DINGTALK_APP_KEY: DINGTALK_APP_KEY is ignored: SILENT_LOGIN_PROVIDER=lark selects Feishu/Lark"), "{dingtalk_ignored:?}");
        let both = parse(&[
            ("DINGTALK_APP_KEY", "k"),
            ("DINGTALK_APP_SECRET", "s"),
            ("DINGTALK_CORP_ID", "c"),
            ("SILENT_LOGIN_SESSION_KEY", KEY),
            ("FEISHU_APP_ID", "cli_x"),
            ("FEISHU_APP_SECRET", "s"),
        ])
        .unwrap();
        assert!(matches!(both.backend, Backend::DingTalk(_)));
        assert_eq!(both.warnings.len(), 1);
        assert!(both.warnings[0]
            .message()
            .contains("SILENT_LOGIN_PROVIDER is not set and DingTalk was chosen"));
    }

    #[test]
    fn real_credentials_without_a_session_key_get_a_warning_that_says_what_breaks() {
        let real = [("FEISHU_APP_ID", "cli_x"), ("FEISHU_APP_SECRET", "s")];
        let warnings = warnings(&real);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].starts_with("SILENT_LOGIN_SESSION_KEY: is not set"));
        assert!(warnings[0].contains("ends when this process stops"));
        assert!(warnings[0].contains("no other replica can open them"));
        assert!(
            parse(&[]).unwrap().warnings.is_empty(),
            "the emulator needs no key"
        );
        let keyed = [real[0], real[1], ("SILENT_LOGIN_SESSION_KEY", KEY)];
        assert!(parse(&keyed).unwrap().warnings.is_empty());
    }

    #[test]
    fn allowed_origin_must_be_an_origin() {
        let config = parse(&[("SILENT_LOGIN_ALLOWED_ORIGIN", "https://h5.example.com/")]).unwrap();
        assert_eq!(
            config.allowed_origin.as_deref(),
            Some("https://h5.example.com")
        );
        for bad in [
            "h5.example.com",
            "https://h5.example.com/app",
            "https://u@h5.example.com",
        ] {
            let error = error(&[("SILENT_LOGIN_ALLOWED_ORIGIN", bad)]);
            assert_eq!(error.variable(), "SILENT_LOGIN_ALLOWED_ORIGIN", "{bad}");
        }
    }

    #[test]
    fn a_redis_url_without_the_redis_store_refuses_to_start() {
        let vars = Vars(BTreeMap::from([(
            "REDIS_URL".to_owned(),
            "redis://:hunter2@127.0.0.1:6379".to_owned(),
        )]));
        let mut read = Reading::default();
        assert_eq!(store(&vars, false, &mut read), None);
        let error = read.errors[0].to_string();
        assert!(
            error.starts_with(
                "REDIS_URL: is set (redis://***@127.0.0.1:6379), but this build has no Redis store"
            ),
            "{error}"
        );
        let mut read = Reading::default();
        assert!(matches!(
            store(&vars, true, &mut read),
            Some(StoreConfig::Redis(_))
        ));
    }

    #[test]
    fn the_help_lists_every_variable() {
        let help = environment_help();
        for variable in VARIABLES {
            assert!(help.contains(variable.name), "{}", variable.name);
        }
    }

    #[test]
    fn the_default_jsapi_scripts_are_pinned_https_urls() {
        for provider in [
            ProviderKind::DingTalk,
            ProviderKind::Feishu,
            ProviderKind::Lark,
        ] {
            let url = default_jsapi_url(provider);
            assert!(url.starts_with("https://"), "{url}");
            assert!(
                url.chars().filter(char::is_ascii_digit).count() >= 3,
                "no version: {url}"
            );
        }
    }

    #[test]
    fn api_bases_and_the_jsapi_url_must_be_http_urls() {
        let bad = [
            ("DINGTALK_APP_KEY", "k"),
            ("DINGTALK_APP_SECRET", "s"),
            ("DINGTALK_CORP_ID", "c"),
            ("DINGTALK_API_BASE", "oapi.dingtalk.com"),
        ];
        assert_eq!(error(&bad).variable(), "DINGTALK_API_BASE");
        let bad = [("SILENT_LOGIN_JSAPI_URL", "javascript:alert(1)")];
        assert_eq!(error(&bad).variable(), "SILENT_LOGIN_JSAPI_URL");
        let good = [("SILENT_LOGIN_JSAPI_URL", "https://example.com/sdk.js")];
        assert_eq!(
            parse(&good).unwrap().jsapi_url.as_deref(),
            Some("https://example.com/sdk.js")
        );
    }

    #[test]
    fn redis_url_is_accepted_and_its_password_never_printed() {
        let config = parse(&[("REDIS_URL", "redis://:hunter2@127.0.0.1:6379/0")]).unwrap();
        let StoreConfig::Redis(url) = &config.store else {
            panic!("expected Redis")
        };
        assert_eq!(url.expose(), "redis://:hunter2@127.0.0.1:6379/0");
        assert_eq!(url.to_string(), "redis://***@127.0.0.1:6379/0");
        assert!(!format!("{config:?}").contains("hunter2"));
        let error = error(&[("REDIS_URL", "http://:hunter2@127.0.0.1")]);
        assert_eq!(error.variable(), "REDIS_URL");
        assert!(!error.to_string().contains("hunter2"));
    }
}
