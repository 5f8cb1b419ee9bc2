#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod authenticator;
mod error;
mod identity;
pub mod login;
mod metrics;
pub mod provider;
mod secret;
pub mod session;
pub mod store;
mod token_cache;
mod upstream;

pub use authenticator::Authenticator;
pub use error::{ErrorBody, ErrorCode, LoginError, Upstream};
pub use identity::{Identity, ProviderKind};
pub use provider::{DingTalk, Feishu, Provider};
pub use secret::{AppSecret, AppToken, AuthCode, MAX_AUTH_CODE_LEN};
pub use session::{KeyRing, Session, SessionKey};
pub use store::{MemoryStore, Store};
pub use token_cache::{FetchedToken, TokenCache};
pub use upstream::HttpConfig;

pub use silent_login_catalog as catalog;
pub use silent_login_catalog::Lang;
