//! `ProviderKind`: which open platform — the one name for that idea in every crate.

use std::fmt;
use std::str::FromStr;

use crate::{DingTalkCode, FeishuCode};

/// Which open platform a login goes through, a code comes from, or an app lives on.
///
/// ```
/// use silent_login_catalog::ProviderKind;
/// assert_eq!("lark".parse::<ProviderKind>(), Ok(ProviderKind::Lark));
/// assert_eq!(ProviderKind::Lark.catalog(), "feishu");
/// assert_eq!(ProviderKind::DingTalk.to_string(), "dingtalk");
/// ```
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// DingTalk (钉钉), `oapi.dingtalk.com`.
    DingTalk,
    /// Feishu (飞书), `open.feishu.cn`.
    Feishu,
    /// Lark, Feishu's international edition, `open.larksuite.com`.
    Lark,
}

impl ProviderKind {
    /// Every platform.
    pub const ALL: [ProviderKind; 3] = [
        ProviderKind::DingTalk,
        ProviderKind::Feishu,
        ProviderKind::Lark,
    ];

    /// `dingtalk`, `feishu` or `lark`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProviderKind::DingTalk => "dingtalk",
            ProviderKind::Feishu => "feishu",
            ProviderKind::Lark => "lark",
        }
    }

    /// The id of the catalog this platform's codes live in (Feishu and Lark share one).
    pub const fn catalog(self) -> &'static str {
        match self {
            ProviderKind::DingTalk => DingTalkCode::PROVIDER,
            ProviderKind::Feishu | ProviderKind::Lark => FeishuCode::PROVIDER,
        }
    }

    /// Whether this is Feishu or its international edition Lark (one API, two hosts).
    pub const fn is_feishu_family(self) -> bool {
        matches!(self, ProviderKind::Feishu | ProviderKind::Lark)
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a platform's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider `{0:.40}` (expected dingtalk, feishu or lark)")]
pub struct UnknownProvider(pub String);

impl FromStr for ProviderKind {
    type Err = UnknownProvider;

    /// `dingtalk` (or `ding`), `feishu`, `lark` (or `larksuite`), in any case.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.trim().to_ascii_lowercase().as_str() {
            "dingtalk" | "ding" => Ok(ProviderKind::DingTalk),
            "feishu" => Ok(ProviderKind::Feishu),
            "lark" | "larksuite" => Ok(ProviderKind::Lark),
            _ => Err(UnknownProvider(name.to_owned())),
        }
    }
}
