#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod authenticator;
mod body;
mod config;
mod context;
mod csrf;
mod endpoints;
mod error;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
mod extract;
mod future;
mod grpc;
mod identity;
mod layer;
mod login_request;
mod metrics;
mod misconfig;
pub mod provider;
mod rejection;
mod respond;
mod secret;
mod service;
pub mod session;
pub mod store;
#[cfg(test)]
mod testing;
mod token_cache;
mod upstream;
mod user_token;

pub use authenticator::{Authenticator, DEFAULT_MAX_CONCURRENT_EXCHANGES};
pub use body::ResponseBody;
pub use config::Mode;
pub use error::{CauseBody, Detail, Error, ErrorBody, ErrorCode, LoginError, Upstream};
pub use future::ResponseFuture;
pub use grpc::{ERROR_DOMAIN, GRPC_AUTH_CODE, GRPC_SESSION_TOKEN};
pub use identity::{Identity, IdentityFields, ProviderKind};
pub use layer::SilentLoginLayer;
pub use provider::{DingTalk, Feishu, FeishuOAuth, Provider};
pub use rejection::IdentityRejection;
pub use secret::{AppSecret, AppToken, AuthCode, RefreshToken, UserToken, MAX_AUTH_CODE_LEN};
pub use service::SilentLogin;
pub use session::{KeyRing, RevocationPolicy, Session, SessionInfo, SessionKey, Sessions};
pub use store::{MemoryStore, Store};
pub use token_cache::{FetchedToken, TokenCache, FETCH_FAILURE_BACKOFF};
pub use upstream::HttpConfig;
pub use user_token::{UserAccessToken, UserTokens, DEFAULT_USER_TOKEN_MARGIN};

pub use silent_login_catalog as catalog;
pub use silent_login_catalog::Lang;
