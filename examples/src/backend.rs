//! Starting what the configuration asks for: a provider for the real platform, or the embedded
//! emulator with a provider pointed at it — and the [`SilentLoginLayer`] both example servers
//! put in front of their routes.

use std::sync::Arc;

use silent_login::{DingTalk, Feishu, KeyRing, Provider, SessionKey, SilentLoginLayer};
use silent_login_mock::{demo, MockPlatform, UserStatus};

use silent_login::ProviderKind;

use crate::config::{Backend, Config, StoreConfig};
use crate::StartError;

/// The platform the servers exchange codes with, ready to use.
#[derive(Debug)]
pub struct RunningBackend {
    provider: ProviderKind,
    layer: SilentLoginLayer,
    emulator: Option<MockPlatform>,
    client_id: String,
    feishu_api_base: Option<String>,
    notes: Vec<String>,
}

impl RunningBackend {
    /// Starts the emulator (demo organization, free loopback port) when the configuration has no
    /// credentials; otherwise only builds the provider for the real platform. Connects to Redis
    /// when `REDIS_URL` is set and the `redis` feature is on.
    pub async fn start(config: &Config) -> Result<Self, StartError> {
        let mut notes = Vec::new();
        let (provider, emulator, client_id): (Arc<dyn Provider>, _, _) = match &config.backend {
            Backend::DingTalk(app) => {
                let provider = DingTalk::new(&app.app_key, app.app_secret.expose())
                    .corp_id(&app.corp_id)
                    .api_base(&app.api_base);
                (Arc::new(provider), None, app.corp_id.clone())
            }
            Backend::Feishu(app) => {
                let provider = feishu(config.provider, &app.app_id, app.app_secret.expose())
                    .api_base(&app.api_base)
                    .oauth(config.feishu_oauth);
                (Arc::new(provider), None, app.app_id.clone())
            }
            Backend::Emulator => {
                let mock = MockPlatform::builder()
                    .demo()
                    .start()
                    .await
                    .map_err(StartError::Emulator)?;
                let (provider, client_id): (Arc<dyn Provider>, _) = match config.provider {
                    ProviderKind::DingTalk => (
                        Arc::new(
                            DingTalk::new(demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET)
                                .corp_id(demo::DINGTALK_CORP_ID)
                                .api_base(mock.base_url()),
                        ),
                        demo::DINGTALK_CORP_ID,
                    ),
                    platform => (
                        Arc::new(
                            feishu(platform, demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET)
                                .api_base(mock.base_url())
                                .oauth(config.feishu_oauth),
                        ),
                        demo::FEISHU_APP_ID,
                    ),
                };
                (provider, Some(mock), client_id.to_owned())
            }
        };
        let keys = match &config.session_keys {
            Some(ring) => ring.clone(),
            None => {
                // With real credentials the configuration already warned, loudly.
                if emulator.is_some() {
                    notes.push(
                        "SILENT_LOGIN_SESSION_KEY is not set: sessions are sealed with a random \
                         key and end when this process does"
                            .to_owned(),
                    );
                }
                KeyRing::new(SessionKey::generate())
            }
        };
        // Against the emulator (development) error answers carry `detail` and the platform's
        // raw answer; with real credentials they go to the log only.
        let layer = SilentLoginLayer::new(provider)
            .session_keys(keys)
            .secure_cookie(emulator.is_none())
            .expose_error_details(emulator.is_some());
        let layer = match &config.allowed_origin {
            Some(origin) => {
                notes.push(format!(
                    "logins with cookies are also accepted from {origin}"
                ));
                layer.allowed_origin(origin)
            }
            None => layer,
        };
        let layer = with_store(layer, &config.store, &mut notes).await?;
        // Feishu/Lark: keep each session's user token for /api/me/profile (Redis or memory, as
        // the sessions' other shared state).
        let layer = match config.provider {
            ProviderKind::DingTalk => layer,
            ProviderKind::Feishu | ProviderKind::Lark => layer.keep_user_tokens(),
        };
        let feishu_api_base = match (&config.backend, &emulator) {
            (Backend::Feishu(app), _) => Some(app.api_base.clone()),
            (Backend::Emulator, Some(mock)) if config.provider != ProviderKind::DingTalk => {
                Some(mock.base_url().to_owned())
            }
            _ => None,
        };
        Ok(Self {
            provider: config.provider,
            layer,
            emulator,
            client_id,
            feishu_api_base,
            notes,
        })
    }

    /// The Feishu/Lark API the user's token is good for (the emulator's, or the real one);
    /// `None` for DingTalk.
    pub fn feishu_api_base(&self) -> Option<&str> {
        self.feishu_api_base.as_deref()
    }

    /// The platform users log in with.
    pub fn provider(&self) -> ProviderKind {
        self.provider
    }

    /// The running emulator, when it stands in for the platform.
    pub fn emulator(&self) -> Option<&MockPlatform> {
        self.emulator.as_ref()
    }

    /// What the front end passes to `requestAuthCode`: DingTalk `corpId`, Feishu `appId`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Things the operator should know at startup (a random session key, no Redis, …).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The layer: login and logout endpoints, sessions sealed with the configured keys, cookies
    /// without `Secure` only when the emulator serves plain-HTTP development.
    /// Every call returns the same layer (one store, one token cache); add route options to the
    /// returned clone.
    pub fn layer(&self) -> SilentLoginLayer {
        self.layer.clone()
    }

    /// Lines that tell a developer how to use the emulator: its URL and the demo users, and
    /// `how_to_choose` one (the page's picker, or the client's `--user`).
    pub fn emulator_banner(&self, how_to_choose: &str) -> Vec<String> {
        let Some(mock) = &self.emulator else {
            return Vec::new();
        };
        let mut lines = vec![
            format!(
                "no {} credentials given: the embedded emulator (demo organization) answers at {}",
                self.provider,
                mock.base_url()
            ),
            format!("demo users ({how_to_choose}):"),
        ];
        for user in demo::users() {
            let situation = match (user.visible, user.admin, user.status) {
                (false, _, _) => "cannot see the app",
                (_, _, UserStatus::Resigned) => "resigned",
                (_, _, UserStatus::Frozen) => "frozen",
                (_, true, _) => "organization admin",
                _ => "ordinary user",
            };
            lines.push(format!("  {:<6} {} — {situation}", user.id, user.name));
        }
        lines
    }
}

#[cfg(feature = "redis")]
async fn with_store(
    layer: SilentLoginLayer,
    store: &StoreConfig,
    notes: &mut Vec<String>,
) -> Result<SilentLoginLayer, StartError> {
    let StoreConfig::Redis(url) = store else {
        return Ok(layer);
    };
    let redis = silent_login::store::RedisStore::connect(url.expose())
        .await
        .map_err(|error| StartError::Store(url.to_string(), error.to_string()))?;
    notes.push(format!(
        "sessions' shared state (app tokens, used codes, logouts) lives in Redis at {url}"
    ));
    Ok(layer.store(Arc::new(redis)))
}

/// Without the Redis store a `REDIS_URL` cannot be honoured: refuse rather than run replicas
/// that silently share nothing (the configuration refuses it first).
#[cfg(not(feature = "redis"))]
async fn with_store(
    layer: SilentLoginLayer,
    store: &StoreConfig,
    _notes: &mut Vec<String>,
) -> Result<SilentLoginLayer, StartError> {
    match store {
        StoreConfig::Memory => Ok(layer),
        StoreConfig::Redis(url) => Err(StartError::Store(
            url.to_string(),
            "this build has no Redis store (the `redis` feature is off)".to_owned(),
        )),
    }
}

fn feishu(platform: ProviderKind, app_id: &str, app_secret: &str) -> Feishu {
    match platform {
        ProviderKind::Lark => Feishu::lark(app_id, app_secret),
        _ => Feishu::new(app_id, app_secret),
    }
}
