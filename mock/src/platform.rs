//! [`MockPlatform`], the running emulator, and [`MockPlatformBuilder`], which sets it up.
//!
//! The top of the crate: it wires the state, the platform endpoints and the control API together.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use silent_login_catalog::ProviderKind;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::app::{DingTalkApp, FeishuApp};
use crate::code::{CodeKind, JsapiError, MintCode};
use crate::config::MockConfig;
use crate::endpoint::{Endpoint, Stats};
use crate::fault::Fault;
use crate::state::{Shared, State};
use crate::user::MockUser;
use crate::violation::Violation;
use crate::{control, provider, server};

/// A running emulator of both platforms. Stops serving when dropped (or on [`shutdown`](Self::shutdown)).
#[derive(Debug)]
pub struct MockPlatform {
    shared: Arc<Shared>,
    addr: SocketAddr,
    task: Option<JoinHandle<()>>,
}

impl MockPlatform {
    /// A builder with no apps and no users; call [`demo`](MockPlatformBuilder::demo) for the demo org.
    pub fn builder() -> MockPlatformBuilder {
        MockPlatformBuilder::default()
    }

    /// Starts the demo organization on a free loopback port.
    pub async fn start_demo() -> io::Result<Self> {
        Self::builder().demo().start().await
    }

    /// `http://127.0.0.1:PORT`: the base URL of both DingTalk's and Feishu's endpoints.
    pub fn base_url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{addr}")
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Mints a one-time code as the client's JSAPI would, or fails like it — only with one of
    /// [`jsapi_failures`](crate::jsapi_failures).
    pub fn mint_code(&self, req: MintCode) -> Result<String, JsapiError> {
        self.shared.lock().mint_code(&req)
    }

    /// How many codes of `kind` were minted so far, by [`mint_code`](Self::mint_code), the
    /// control API or the browser shim (which front-end API a page used).
    pub fn codes_minted(&self, kind: CodeKind) -> u64 {
        self.shared.lock().codes_minted(kind)
    }

    /// Moves the emulator's clock forward (codes, tokens and user tokens age).
    pub fn advance_clock(&self, by: Duration) {
        self.shared.lock().advance_clock(by);
    }

    /// Makes the next `times` calls to `endpoint` misbehave with `fault` (queued after earlier faults).
    pub fn inject_fault(&self, endpoint: Endpoint, fault: Fault, times: u32) {
        self.shared.lock().inject_fault(endpoint, fault, times);
    }

    /// Call counts per endpoint.
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats()
    }

    /// How many Feishu user-token refresh requests named the app `app_id`, successful and
    /// refused, faulted ones included (see [`Stats::refreshes`](crate::Stats::refreshes)).
    pub fn refresh_count(&self, app_id: &str) -> u64 {
        self.shared.lock().stats().refreshes(app_id)
    }

    /// The protocol violations of the clients so far, oldest first — e.g. a Feishu refresh token
    /// presented again after it was consumed. A well-behaved client leaves this empty.
    pub fn violations(&self) -> Vec<Violation> {
        self.shared.lock().violations()
    }

    /// Ends every Feishu user access token issued so far, as if the platform had expired them
    /// before their `expires_in` said: `user_info` answers 99991677 for them. Tokens issued
    /// afterwards (by a login or a refresh) live their full lifetime; refresh tokens stay
    /// valid. Returns how many tokens were still valid.
    pub fn expire_feishu_user_tokens(&self) -> usize {
        self.shared.lock().expire_feishu_user_tokens()
    }

    /// Makes the Feishu user access tokens issued from now on (`authen/v2/oauth/token`) live
    /// `lifetime` instead of the documented 7200 s (`None`: back to 7200) — to bring a
    /// client's token inside its refresh margin. Tokens already issued keep theirs.
    pub fn set_feishu_user_token_lifetime(&self, lifetime: Option<Duration>) {
        self.shared
            .lock()
            .set_user_token_lifetime(lifetime.map(|lifetime| lifetime.as_secs()));
    }

    /// Gives the Feishu app `app_id` `offline_access` or takes it away (see
    /// [`FeishuApp::offline_access`]); `false` when there is no such app.
    pub fn set_offline_access(&self, app_id: &str, offline_access: bool) -> bool {
        self.shared
            .lock()
            .set_offline_access(app_id, offline_access)
    }

    /// Clears injected faults, stats, violations and the token endpoints' rate-limit windows.
    pub fn reset(&self) {
        self.shared.lock().reset();
    }

    /// Invalidates every issued app token now (DingTalk access tokens, Feishu app and tenant tokens).
    pub fn revoke_tokens(&self) {
        self.shared.lock().revoke_app_tokens();
    }

    /// Puts a user inside or outside the visible scope of `provider`'s apps (Lark's are Feishu's).
    pub fn set_visible(&self, provider: ProviderKind, user_id: &str, visible: bool) {
        self.shared.lock().set_visible(provider, user_id, visible);
    }

    /// Adds (or replaces) a user while running.
    pub fn add_user(&self, user: MockUser) {
        self.shared.lock().add_user(user);
    }

    /// Stops the server and waits until it has stopped.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for MockPlatform {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Configures a [`MockPlatform`].
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use silent_login_mock::{DingTalkApp, MockPlatform, MockUser};
/// let mock = MockPlatform::builder()
///     .demo()
///     .dingtalk_app(DingTalkApp::new("otherkey", "other-secret", "othercorp"))
///     .user(MockUser::new("zoe", "Zoe").corp("othercorp"))
///     .token_rate_limit(5)
///     .start()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct MockPlatformBuilder {
    config: MockConfig,
    listen: SocketAddr,
}

impl Default for MockPlatformBuilder {
    fn default() -> Self {
        Self {
            config: MockConfig::default(),
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }
}

impl MockPlatformBuilder {
    /// Adds the demo organization (see [`demo`](crate::demo)).
    pub fn demo(self) -> Self {
        self.config(MockConfig::demo())
    }

    /// Adds the apps and users of a configuration (a later rate limit wins).
    pub fn config(mut self, config: MockConfig) -> Self {
        self.config.dingtalk_apps.extend(config.dingtalk_apps);
        self.config.feishu_apps.extend(config.feishu_apps);
        self.config.users.extend(config.users);
        if config.token_rate_limit.is_some() {
            self.config.token_rate_limit = config.token_rate_limit;
        }
        self
    }

    /// Adds a DingTalk app.
    pub fn dingtalk_app(mut self, app: DingTalkApp) -> Self {
        self.config.dingtalk_apps.push(app);
        self
    }

    /// Adds a Feishu app.
    pub fn feishu_app(mut self, app: FeishuApp) -> Self {
        self.config.feishu_apps.push(app);
        self
    }

    /// Adds a user (a later user with the same id replaces an earlier one).
    pub fn user(mut self, user: MockUser) -> Self {
        self.config.users.push(user);
        self
    }

    /// Token-endpoint calls allowed per second per app before DingTalk 90018 / Feishu 99991400
    /// (default 20; 0 = unlimited).
    pub fn token_rate_limit(mut self, per_second: u32) -> Self {
        self.config.token_rate_limit = Some(per_second);
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Binds the address and starts serving on the current tokio runtime.
    pub async fn start(self) -> io::Result<MockPlatform> {
        let shared = Arc::new(Shared::new(State::new(self.config)));
        let listener = TcpListener::bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let task = server::spawn(listener, router(Arc::clone(&shared)));
        tracing::info!(%addr, "silent-login mock platform listening");
        Ok(MockPlatform {
            shared,
            addr,
            task: Some(task),
        })
    }
}

/// Both platforms' endpoints behind the fault middleware, plus the control API.
fn router(shared: Arc<Shared>) -> Router {
    provider::routes(Arc::clone(&shared))
        .merge(control::routes())
        .with_state(shared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;

    #[test]
    fn demo_constants_match_the_demo_config() {
        let config = MockConfig::demo();
        assert_eq!(config.dingtalk_apps[0].app_key, demo::DINGTALK_APP_KEY);
        assert_eq!(config.feishu_apps[0].app_id, demo::FEISHU_APP_ID);
        assert_eq!(config.users.len(), 5);
    }
}
