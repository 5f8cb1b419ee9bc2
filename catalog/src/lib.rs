#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate self as silent_login_catalog;

mod entry;
mod known;
mod lang;
mod provider;
#[cfg(test)]
mod testing;

pub use entry::{
    CatalogCode, Cause, CodeKey, Entry, LocalizedCause, LocalizedEntry, RaisedBy, Source, Text,
    UnknownCode,
};
pub use known::{canonical_provider, codes_of, find, lookup, lookup_raised_by, KnownCode};
pub use lang::{Lang, UnknownLang};
pub use provider::{ProviderKind, UnknownProvider};
pub use silent_login_macros::catalog;

#[doc(hidden)]
pub mod __private {
    pub use serde;
}

catalog!("dingtalk.yaml");
catalog!("feishu.yaml", name = FeishuCode);
catalog!("silent-login.yaml");
