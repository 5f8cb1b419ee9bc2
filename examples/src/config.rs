//! The example servers' configuration, read from the environment in one place: which platform,
//! its credentials (or none: the embedded emulator), the session keys, the store, where to
//! listen. Every mistake is a [`ConfigError`] that names the variable to fix.

use std::fmt;
use std::net::SocketAddr;

use silent_login::provider::{DINGTALK_API_BASE, FEISHU_API_BASE, LARK_API_BASE};
use silent_login::{AppSecret, KeyRing, ProviderKind};

/// Every variable the examples read.
pub const VARIABLES: [&str; 12] = [
    "SILENT_LOGIN_PROVIDER",
    "DINGTALK_APP_KEY",
    "DINGTALK_APP_SECRET",
    "DINGTALK_CORP_ID",
    "DINGTALK_API_BASE",
    "FEISHU_APP_ID",
    "FEISHU_APP_SECRET",
    "FEISHU_API_BASE",
    "SILENT_LOGIN_SESSION_KEY",
    "REDIS_URL",
    "LISTEN",
    "SILENT_LOGIN_JSAPI_URL",
];

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
    /// `SILENT_LOGIN_JSAPI_URL`: the platform's official JSAPI SDK for the H5 page.
    pub jsapi_url: Option<String>,
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

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        for variable in VARIABLES {
            if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(variable) {
                return Err(ConfigError::new(variable, "is not valid UTF-8"));
            }
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables from `lookup` (an empty value counts as unset).
    ///
    /// ```
    /// use silent_login::ProviderKind;
    /// use silent_login_examples::config::{Backend, Config};
    ///
    /// let config = Config::from_lookup(|name| (name == "SILENT_LOGIN_PROVIDER").then(|| "feishu".into()))?;
    /// assert_eq!(config.provider, ProviderKind::Feishu);
    /// assert_eq!(config.backend, Backend::Emulator);
    ///
    /// let half = Config::from_lookup(|name| (name == "DINGTALK_APP_KEY").then(|| "dingkey".into()));
    /// assert_eq!(half.unwrap_err().variable(), "DINGTALK_APP_SECRET");
    /// # Ok::<(), silent_login_examples::config::ConfigError>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(&lookup);
        let provider = provider(&vars)?;
        let backend = match provider {
            ProviderKind::DingTalk => dingtalk(&vars)?,
            ProviderKind::Feishu | ProviderKind::Lark => feishu(&vars, provider)?,
        };
        Ok(Self {
            provider,
            backend,
            session_keys: session_keys(&vars)?,
            store: store(&vars)?,
            listen: listen(&vars)?,
            jsapi_url: vars
                .get("SILENT_LOGIN_JSAPI_URL")
                .map(|url| http_url("SILENT_LOGIN_JSAPI_URL", url))
                .transpose()?,
        })
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

/// The variables, with empty values treated as unset.
struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    fn any(&self, names: &[&str]) -> bool {
        names.iter().any(|name| self.get(name).is_some())
    }
}

fn provider(vars: &Vars<'_>) -> Result<ProviderKind, ConfigError> {
    let Some(value) = vars.get("SILENT_LOGIN_PROVIDER") else {
        // Only Feishu credentials given: the user meant Feishu.
        let feishu = vars.any(&["FEISHU_APP_ID", "FEISHU_APP_SECRET"]);
        let dingtalk = vars.any(&[
            "DINGTALK_APP_KEY",
            "DINGTALK_APP_SECRET",
            "DINGTALK_CORP_ID",
        ]);
        return Ok(if feishu && !dingtalk {
            ProviderKind::Feishu
        } else {
            ProviderKind::DingTalk
        });
    };
    match value.to_ascii_lowercase().as_str() {
        "dingtalk" => Ok(ProviderKind::DingTalk),
        "feishu" => Ok(ProviderKind::Feishu),
        "lark" => Ok(ProviderKind::Lark),
        _ => Err(ConfigError::new(
            "SILENT_LOGIN_PROVIDER",
            format!("unknown provider `{value}`; expected `dingtalk`, `feishu` or `lark`"),
        )),
    }
}

fn dingtalk(vars: &Vars<'_>) -> Result<Backend, ConfigError> {
    let key = vars.get("DINGTALK_APP_KEY");
    let secret = vars.get("DINGTALK_APP_SECRET");
    let corp_id = vars.get("DINGTALK_CORP_ID");
    let api_base = vars.get("DINGTALK_API_BASE");
    let (key, secret) = match (key, secret) {
        (Some(key), Some(secret)) => (key, secret),
        (Some(_), None) => return Err(missing_pair("DINGTALK_APP_SECRET", "DINGTALK_APP_KEY")),
        (None, Some(_)) => return Err(missing_pair("DINGTALK_APP_KEY", "DINGTALK_APP_SECRET")),
        (None, None) => {
            let stray = ["DINGTALK_CORP_ID", "DINGTALK_API_BASE"]
                .into_iter()
                .find(|name| vars.get(name).is_some());
            return match stray {
                Some(name) => Err(without_credentials(
                    name,
                    "DINGTALK_APP_KEY and DINGTALK_APP_SECRET",
                )),
                None => Ok(Backend::Emulator),
            };
        }
    };
    let corp_id = corp_id.ok_or_else(|| {
        ConfigError::new(
            "DINGTALK_CORP_ID",
            "is not set, but DINGTALK_APP_KEY is: the H5 page passes the organization's corpId \
             to dd.runtime.permission.requestAuthCode (开发者后台 → 基础信息 → CorpId)",
        )
    })?;
    let api_base = match api_base {
        Some(base) => http_url("DINGTALK_API_BASE", base)?,
        None => DINGTALK_API_BASE.to_owned(),
    };
    Ok(Backend::DingTalk(DingTalkApp {
        app_key: key,
        app_secret: AppSecret::new(secret),
        corp_id,
        api_base,
    }))
}

fn feishu(vars: &Vars<'_>, provider: ProviderKind) -> Result<Backend, ConfigError> {
    let id = vars.get("FEISHU_APP_ID");
    let secret = vars.get("FEISHU_APP_SECRET");
    let api_base = vars.get("FEISHU_API_BASE");
    let (id, secret) = match (id, secret) {
        (Some(id), Some(secret)) => (id, secret),
        (Some(_), None) => return Err(missing_pair("FEISHU_APP_SECRET", "FEISHU_APP_ID")),
        (None, Some(_)) => return Err(missing_pair("FEISHU_APP_ID", "FEISHU_APP_SECRET")),
        (None, None) if api_base.is_some() => {
            return Err(without_credentials(
                "FEISHU_API_BASE",
                "FEISHU_APP_ID and FEISHU_APP_SECRET",
            ))
        }
        (None, None) => return Ok(Backend::Emulator),
    };
    let api_base = match (api_base, provider) {
        (Some(base), _) => http_url("FEISHU_API_BASE", base)?,
        (None, ProviderKind::Lark) => LARK_API_BASE.to_owned(),
        (None, _) => FEISHU_API_BASE.to_owned(),
    };
    Ok(Backend::Feishu(FeishuApp {
        app_id: id,
        app_secret: AppSecret::new(secret),
        api_base,
    }))
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

fn session_keys(vars: &Vars<'_>) -> Result<Option<KeyRing>, ConfigError> {
    let Some(text) = vars.get("SILENT_LOGIN_SESSION_KEY") else {
        return Ok(None);
    };
    KeyRing::parse(&text).map(Some).map_err(|error| {
        let why = error.detail().to_owned();
        ConfigError::new(
            "SILENT_LOGIN_SESSION_KEY",
            format!(
                "{why}; give one or more keys of at least 32 bytes in base64 or hex, separated \
                 by commas, the current key first (generate one with `openssl rand -base64 32`)"
            ),
        )
    })
}

fn store(vars: &Vars<'_>) -> Result<StoreConfig, ConfigError> {
    let Some(url) = vars.get("REDIS_URL") else {
        return Ok(StoreConfig::Memory);
    };
    let scheme_ok = ["redis://", "rediss://", "redis+unix://", "unix://"]
        .iter()
        .any(|scheme| url.starts_with(scheme) && url.len() > scheme.len());
    if !scheme_ok {
        let shown = RedisUrl(url);
        return Err(ConfigError::new(
            "REDIS_URL",
            format!("`{shown}` is not a Redis URL such as redis://127.0.0.1:6379/0"),
        ));
    }
    Ok(StoreConfig::Redis(RedisUrl(url)))
}

fn listen(vars: &Vars<'_>) -> Result<SocketAddr, ConfigError> {
    let text = vars
        .get("LISTEN")
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    text.parse().map_err(|_| {
        ConfigError::new(
            "LISTEN",
            format!("`{text}` is not an address and port such as {DEFAULT_LISTEN} or 0.0.0.0:8080"),
        )
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::HashMap;

    use super::*;

    const KEY: &str = "q8R7cLxkP0yfQ2l0bZ0mA1s9u7Xo2V3dW4eT6hYg5jE=";
    const OLD_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn parse(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    fn error(pairs: &[(&str, &str)]) -> ConfigError {
        parse(pairs).expect_err("the configuration should be refused")
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
        let config = parse(&[("LISTEN", "0.0.0.0:8080")]).unwrap();
        assert_eq!(config.listen.port(), 8080);
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
