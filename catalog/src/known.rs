//! One type over all three catalogs, and lookups by provider and number.

use std::fmt;

use serde::Serialize;

use crate::{DingTalkCode, Entry, FeishuCode, Lang, ProviderKind, RaisedBy, SilentLoginCode};

/// A code of any of the three catalogs.
///
/// ```
/// use silent_login_catalog::{lookup, DingTalkCode, KnownCode, ProviderKind};
/// assert_eq!(lookup(ProviderKind::DingTalk, 40078), Some(KnownCode::DingTalk(DingTalkCode::TmpAuthCodeNotFound)));
/// assert_eq!(lookup(ProviderKind::Lark, 20007), lookup(ProviderKind::Feishu, 20007));
/// assert_eq!(lookup(ProviderKind::DingTalk, 123), None);
/// assert_eq!(KnownCode::from_key("silent-login", 700101).map(|code| code.entry().name), Some("AuthCodeMissing"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KnownCode {
    /// A DingTalk code.
    DingTalk(DingTalkCode),
    /// A Feishu / Lark code.
    Feishu(FeishuCode),
    /// One of silent-login's own codes.
    SilentLogin(SilentLoginCode),
}

impl KnownCode {
    /// The entry behind the code.
    pub fn entry(self) -> &'static Entry {
        match self {
            KnownCode::DingTalk(code) => code.entry(),
            KnownCode::Feishu(code) => code.entry(),
            KnownCode::SilentLogin(code) => code.entry(),
        }
    }

    /// The code `code` of the catalog `provider` (`dingtalk`, `feishu`, `silent-login`, or a name
    /// [`canonical_provider`] knows): the inverse of [`Entry::key`].
    pub fn from_key(provider: &str, code: i32) -> Option<KnownCode> {
        match canonical_provider(provider)? {
            DingTalkCode::PROVIDER => DingTalkCode::from_code(code).map(KnownCode::DingTalk),
            FeishuCode::PROVIDER => FeishuCode::from_code(code).map(KnownCode::Feishu),
            _ => SilentLoginCode::from_code(code).map(KnownCode::SilentLogin),
        }
    }

    /// The catalog id (`dingtalk`, `feishu`, `silent-login`).
    pub fn provider(self) -> &'static str {
        self.entry().provider
    }

    /// The numeric code.
    pub fn code(self) -> i32 {
        self.entry().code
    }

    /// The message in `lang`.
    pub fn message(self, lang: Lang) -> &'static str {
        self.entry().message.get(lang)
    }

    /// The whole explanation in `lang`.
    pub fn help(self, lang: Lang) -> String {
        self.entry().help(lang)
    }

    /// Every code of every catalog.
    pub fn all() -> impl Iterator<Item = KnownCode> {
        DingTalkCode::ALL
            .iter()
            .map(|&code| KnownCode::DingTalk(code))
            .chain(FeishuCode::ALL.iter().map(|&code| KnownCode::Feishu(code)))
            .chain(
                SilentLoginCode::ALL
                    .iter()
                    .map(|&code| KnownCode::SilentLogin(code)),
            )
    }
}

impl From<DingTalkCode> for KnownCode {
    fn from(code: DingTalkCode) -> Self {
        KnownCode::DingTalk(code)
    }
}

impl From<FeishuCode> for KnownCode {
    fn from(code: FeishuCode) -> Self {
        KnownCode::Feishu(code)
    }
}

impl From<SilentLoginCode> for KnownCode {
    fn from(code: SilentLoginCode) -> Self {
        KnownCode::SilentLogin(code)
    }
}

impl fmt::Display for KnownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.entry(), f)
    }
}

impl std::error::Error for KnownCode {}

impl Serialize for KnownCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.entry().key().serialize(serializer)
    }
}

/// The catalog id for a name users type: a platform's name (`lark` is `feishu`), or
/// `silent-login` for silent-login's own codes.
pub fn canonical_provider(name: &str) -> Option<&'static str> {
    match name.trim().to_ascii_lowercase().as_str() {
        "silent-login" | "silent_login" | "silentlogin" => Some(SilentLoginCode::PROVIDER),
        other => other
            .parse::<ProviderKind>()
            .ok()
            .map(ProviderKind::catalog),
    }
}

/// The code `code` of platform `provider` (Feishu and Lark share one catalog).
pub fn lookup(provider: ProviderKind, code: i32) -> Option<KnownCode> {
    match provider {
        ProviderKind::DingTalk => DingTalkCode::from_code(code).map(KnownCode::DingTalk),
        ProviderKind::Feishu | ProviderKind::Lark => {
            FeishuCode::from_code(code).map(KnownCode::Feishu)
        }
    }
}

/// The code `code` of platform `provider`, only if it is raised where `raised_by` says: a
/// front end's `errno` is looked up among the [`RaisedBy::JsapiErrno`] entries, its `errCode`
/// among the [`RaisedBy::Jsapi`] ones, so a number reported in one field never explains itself
/// with an entry of another code space.
///
/// ```
/// use silent_login_catalog::{lookup, lookup_raised_by, ProviderKind, RaisedBy};
/// let errno = lookup_raised_by(ProviderKind::Feishu, 103, RaisedBy::JsapiErrno);
/// assert_eq!(errno.map(|code| code.entry().name), Some("ErrnoFeatureNotSupported"));
/// assert_eq!(lookup_raised_by(ProviderKind::Feishu, 10236, RaisedBy::JsapiErrno), None);
/// assert_eq!(lookup_raised_by(ProviderKind::Feishu, 10236, RaisedBy::Jsapi), lookup(ProviderKind::Feishu, 10236));
/// ```
pub fn lookup_raised_by(
    provider: ProviderKind,
    code: i32,
    raised_by: RaisedBy,
) -> Option<KnownCode> {
    lookup(provider, code).filter(|known| known.entry().raised_by == raised_by)
}

/// Every catalog's entry for `code` (a number can mean different things per provider).
pub fn find(code: i32) -> Vec<KnownCode> {
    [
        DingTalkCode::from_code(code).map(KnownCode::DingTalk),
        FeishuCode::from_code(code).map(KnownCode::Feishu),
        SilentLoginCode::from_code(code).map(KnownCode::SilentLogin),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Every code of one provider.
pub fn codes_of(provider: &str) -> Vec<KnownCode> {
    let Some(provider) = canonical_provider(provider) else {
        return Vec::new();
    };
    KnownCode::all()
        .filter(|code| code.provider() == provider)
        .collect()
}
