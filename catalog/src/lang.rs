//! The two languages every catalog text is written in, and `Accept-Language` negotiation.

use std::fmt;
use std::str::FromStr;

/// A language of the catalog texts.
///
/// ```
/// use silent_login_catalog::Lang;
/// assert_eq!(Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
/// assert_eq!(Lang::from_accept_language("en-US,en;q=0.9,zh;q=0.5"), Lang::En);
/// assert_eq!(Lang::from_accept_language("fr"), Lang::En);
/// assert_eq!("zh-TW".parse::<Lang>(), Ok(Lang::Zh));
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English, the default.
    #[default]
    En,
    /// Chinese (中文), for `zh`, `zh-CN`, `zh-TW`, `zh-Hans`, …
    Zh,
}

impl Lang {
    /// Both languages.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The BCP 47 tag: `en` or `zh`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The language an `Accept-Language` header prefers among ours, honouring q-values;
    /// [`Lang::En`] when it names neither (or is garbage).
    pub fn from_accept_language(header: &str) -> Lang {
        Self::negotiate(header).unwrap_or_default()
    }

    /// Like [`Lang::from_accept_language`], but `None` when the header names neither language,
    /// so a caller can fall back to its own default.
    pub fn negotiate(header: &str) -> Option<Lang> {
        let mut best: Option<(Lang, u16)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let quality = parts
                .filter_map(|param| {
                    // The parameter name is case-insensitive (RFC 9110 section 12.4.2).
                    let param = param.trim();
                    param
                        .strip_prefix("q=")
                        .or_else(|| param.strip_prefix("Q="))
                })
                .find_map(parse_quality)
                .unwrap_or(1000);
            let Ok(lang) = tag.parse::<Lang>() else {
                continue;
            };
            if quality > 0 && best.is_none_or(|(_, q)| quality > q) {
                best = Some((lang, quality));
            }
        }
        best.map(|(lang, _)| lang)
    }
}

/// `q=0.8` → 800; anything malformed is ignored.
fn parse_quality(value: &str) -> Option<u16> {
    let q: f32 = value.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&q)
        .then(|| (q * 1000.0).round() as u16)
}

/// The language tag was neither English nor Chinese.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{0}` (expected `en` or `zh`)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(tag: &str) -> Result<Self, Self::Err> {
        let primary = tag.split(['-', '_']).next().unwrap_or("").trim();
        if primary.eq_ignore_ascii_case("zh") {
            Ok(Lang::Zh)
        } else if primary.eq_ignore_ascii_case("en") {
            Ok(Lang::En)
        } else {
            Err(UnknownLang(tag.to_owned()))
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_values_decide_between_chinese_and_english() {
        assert_eq!(
            Lang::from_accept_language("en;q=0.4, zh-CN;q=0.7"),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language("zh;q=0.1, en"), Lang::En);
        assert_eq!(Lang::from_accept_language("zh-TW"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("zh-Hans-CN, en;q=0.5"), Lang::Zh);
    }

    #[test]
    fn garbage_and_refusals_fall_back_to_english() {
        assert_eq!(Lang::from_accept_language(""), Lang::En);
        assert_eq!(Lang::from_accept_language("*"), Lang::En);
        assert_eq!(Lang::from_accept_language("zh;q=0"), Lang::En);
        assert_eq!(Lang::from_accept_language(";;;q=zh,,"), Lang::En);
        assert_eq!(Lang::negotiate("de, fr"), None);
    }
}
