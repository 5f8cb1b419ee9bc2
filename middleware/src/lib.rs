#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod authenticator;
mod body;
mod csrf;
mod endpoints;
mod error;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
mod extract;
mod future;
pub mod grpc;
mod identity;
mod layer;
pub mod login;
mod metrics;
pub mod provider;
mod respond;
mod secret;
mod service;
pub mod session;
mod session_check;
mod sessions;
pub mod store;
mod token_cache;
mod upstream;

pub use authenticator::Authenticator;
pub use body::ResponseBody;
pub use error::{ErrorBody, ErrorCode, LoginError, Upstream};
#[cfg(feature = "axum")]
pub use extract::IdentityRejection;
pub use future::ResponseFuture;
pub use identity::{Identity, ProviderKind};
pub use layer::{Mode, RevocationPolicy, SilentLoginLayer};
pub use provider::{DingTalk, Feishu, Provider};
pub use secret::{AppSecret, AppToken, AuthCode, MAX_AUTH_CODE_LEN};
pub use service::{SilentLogin, GRPC_AUTH_CODE, GRPC_SESSION_TOKEN};
pub use session::{KeyRing, Session, SessionInfo, SessionKey};
pub use sessions::Sessions;
pub use store::{MemoryStore, Store};
pub use token_cache::{FetchedToken, TokenCache};
pub use upstream::HttpConfig;

pub use silent_login_catalog as catalog;
pub use silent_login_catalog::Lang;
