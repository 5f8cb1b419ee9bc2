//! The runtime shape of a catalog entry, shared by every generated enum.

use std::fmt::{self, Write as _};

use serde::Serialize;

use crate::Lang;

/// A text in English and Chinese.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Text {
    en: &'static str,
    zh: &'static str,
}

impl Text {
    /// A text from its two translations.
    pub const fn new(en: &'static str, zh: &'static str) -> Self {
        Self { en, zh }
    }

    /// The text in `lang`.
    pub const fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Zh => self.zh,
        }
    }
}

/// Where a sentence of the catalog comes from: the YAML key `source` of every cause and every
/// solution.
///
/// ```
/// use silent_login_catalog::{DingTalkCode, Source};
/// let entry = DingTalkCode::TmpAuthCodeNotFound.entry();
/// assert_eq!(entry.cause("code_used").map(|cause| cause.source()), Some(Source::Seed));
/// assert_eq!(Source::Inferred.as_str(), "inferred");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The words of one of the two source documents in `catalog/sources/`: the DingTalk
    /// silent-login article (checked in English, its language) or Feishu's `requestAuthCode` page
    /// (checked in Chinese). The tidy test checks that the text occurs in the document's section
    /// for the code.
    Seed,
    /// The platform's published API documentation (`docs/PLATFORMS.md` names the page), in our
    /// words.
    Reference,
    /// Written by us from a thin description (a code's one-line label, say): a reasonable
    /// reading, not a documented fact.
    Inferred,
    /// A statement about silent-login's own behaviour, true by construction of this project.
    SilentLogin,
}

impl Source {
    /// `seed`, `reference`, `inferred` or `silent_login`, as in the YAML files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Seed => "seed",
            Source::Reference => "reference",
            Source::Inferred => "inferred",
            Source::SilentLogin => "silent_login",
        }
    }

    /// The mark after an inferred text in `help`: ` (inferred)`, `（推断）`; nothing for the
    /// other sources, which are documented facts or silent-login's own behaviour.
    pub const fn mark(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Source::Inferred, Lang::En) => " (inferred)",
            (Source::Inferred, Lang::Zh) => "（推断）",
            _ => "",
        }
    }
}

/// One documented cause of an error, with a stable id a program can match on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cause {
    id: &'static str,
    text: Text,
    details: &'static [Text],
    source: Source,
}

impl Cause {
    /// A cause from its id, text, sub-points and where its text comes from.
    pub const fn new(
        id: &'static str,
        text: Text,
        details: &'static [Text],
        source: Source,
    ) -> Self {
        Self {
            id,
            text,
            details,
            source,
        }
    }

    /// Where the text (and its sub-points) comes from.
    pub const fn source(&self) -> Source {
        self.source
    }

    /// The stable id, e.g. `code_used`.
    pub const fn id(&self) -> &'static str {
        self.id
    }

    /// The explanation in `lang`.
    pub const fn text(&self, lang: Lang) -> &'static str {
        self.text.get(lang)
    }

    /// Sub-points, e.g. "for mini programs use dd.getAuthCode".
    pub const fn details(&self) -> &'static [Text] {
        self.details
    }
}

/// Where an error is raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RaisedBy {
    /// The front-end JSAPI inside the DingTalk or Feishu client, in its own code space
    /// (DingTalk `errorCode`, Feishu `errCode`).
    Jsapi,
    /// The front-end JSAPI inside the Feishu client, in the `errno` code space its `fail`
    /// callback also carries (Feishu's Errno page: the common 1xx values and per-API 7-digit
    /// ones). A number means one thing per provider: errno and errCode values do not collide.
    JsapiErrno,
    /// The open platform's server API, during the code exchange.
    ServerApi,
    /// silent-login itself.
    Middleware,
}

impl RaisedBy {
    /// `jsapi`, `jsapi_errno`, `server_api` or `middleware`, as in the YAML files.
    pub const fn as_str(self) -> &'static str {
        match self {
            RaisedBy::Jsapi => "jsapi",
            RaisedBy::JsapiErrno => "jsapi_errno",
            RaisedBy::ServerApi => "server_api",
            RaisedBy::Middleware => "middleware",
        }
    }

    fn describe(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (RaisedBy::Jsapi, Lang::En) => "the front-end JSAPI",
            (RaisedBy::Jsapi, Lang::Zh) => "前端 JSAPI",
            (RaisedBy::JsapiErrno, Lang::En) => "the front-end JSAPI (errno)",
            (RaisedBy::JsapiErrno, Lang::Zh) => "前端 JSAPI（errno）",
            (RaisedBy::ServerApi, Lang::En) => "the platform's server API",
            (RaisedBy::ServerApi, Lang::Zh) => "开放平台服务端接口",
            (RaisedBy::Middleware, Lang::En) => "silent-login",
            (RaisedBy::Middleware, Lang::Zh) => "silent-login 中间件",
        }
    }
}

/// One catalog entry: everything the YAML file says about one code.
///
/// Generated enums hold a `const` table of these; reach one through `entry()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The provider id: `dingtalk`, `feishu`, `silent-login`, …
    pub provider: &'static str,
    /// The numeric code.
    pub code: i32,
    /// The variant name.
    pub name: &'static str,
    /// The short message.
    pub message: Text,
    /// Every documented cause.
    pub causes: &'static [Cause],
    /// What to do about it.
    pub solution: Text,
    /// Where the solution's text comes from.
    pub solution_source: Source,
    /// The HTTP status a server answers with.
    pub http_status: u16,
    /// Whether the same request can succeed later without a change.
    pub retryable: bool,
    /// Where it is raised.
    pub raised_by: RaisedBy,
    /// A documentation link.
    pub docs: Option<&'static str>,
    /// The platform no longer returns this code; it stays documented.
    pub removed: bool,
}

impl Entry {
    /// The cause with this id.
    pub fn cause(&self, id: &str) -> Option<&'static Cause> {
        self.causes.iter().find(|cause| cause.id == id)
    }

    /// The whole explanation, like `rustc --explain`.
    ///
    /// ```
    /// use silent_login_catalog::{DingTalkCode, Lang};
    /// let help = DingTalkCode::TmpAuthCodeNotFound.help(Lang::En);
    /// assert!(help.contains("40078"));
    /// assert!(help.contains("dd.getAuthCode"));
    /// ```
    pub fn help(&self, lang: Lang) -> String {
        let (causes, solution, status, retry, raised, docs, removed) = match lang {
            Lang::En => (
                "Possible causes",
                "Solution",
                "HTTP status",
                "Retryable",
                "Raised by",
                "Docs",
                "Removed: the platform no longer returns this code.",
            ),
            Lang::Zh => (
                "可能原因",
                "解决方法",
                "HTTP 状态码",
                "可重试",
                "出处",
                "文档",
                "已移除：平台不再返回此错误码。",
            ),
        };
        let yes_no = |flag: bool| match (flag, lang) {
            (true, Lang::En) => "yes",
            (false, Lang::En) => "no",
            (true, Lang::Zh) => "是",
            (false, Lang::Zh) => "否",
        };
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{} {} ({})", self.provider, self.code, self.name);
        let _ = writeln!(out, "{}", self.message.get(lang));
        if self.removed {
            let _ = writeln!(out, "\n{removed}");
        }
        let _ = writeln!(out, "\n{causes}:");
        for (index, cause) in self.causes.iter().enumerate() {
            let _ = writeln!(
                out,
                "  {}. {}{} [{}]",
                index + 1,
                cause.text(lang),
                cause.source.mark(lang),
                cause.id
            );
            for detail in cause.details {
                let _ = writeln!(out, "     - {}", detail.get(lang));
            }
        }
        let _ = writeln!(out, "\n{solution}:");
        let mut lines = self.solution.get(lang).lines().peekable();
        while let Some(line) = lines.next() {
            let mark = if lines.peek().is_none() {
                self.solution_source.mark(lang)
            } else {
                ""
            };
            let _ = writeln!(out, "  {line}{mark}");
        }
        let _ = writeln!(
            out,
            "\n{status}: {} · {retry}: {} · {raised}: {}",
            self.http_status,
            yes_no(self.retryable),
            self.raised_by.describe(lang)
        );
        if let Some(link) = self.docs {
            let _ = writeln!(out, "{docs}: {link}");
        }
        out
    }

    /// The entry in one language, shaped for JSON output (`silent-login explain --json`).
    pub fn localized(&self, lang: Lang) -> LocalizedEntry {
        LocalizedEntry {
            provider: self.provider,
            code: self.code,
            name: self.name,
            message: self.message.get(lang),
            causes: self
                .causes
                .iter()
                .map(|cause| LocalizedCause {
                    id: cause.id,
                    text: cause.text(lang),
                    details: cause
                        .details
                        .iter()
                        .map(|detail| detail.get(lang))
                        .collect(),
                    source: cause.source,
                })
                .collect(),
            solution: self.solution.get(lang),
            solution_source: self.solution_source,
            http_status: self.http_status,
            retryable: self.retryable,
            raised_by: self.raised_by,
            docs: self.docs,
        }
    }

    /// What a generated enum serializes as: `{"provider","code","name"}`.
    pub const fn key(&self) -> CodeKey {
        CodeKey {
            provider: self.provider,
            code: self.code,
            name: self.name,
        }
    }
}

/// `dingtalk error 40078: the temporary authorization code does not exist`
impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error {}: ", self.provider, self.code)?;
        let message = self.message.get(Lang::En).trim_end_matches('.');
        let mut chars = message.chars();
        if let Some(first) = chars.next() {
            // Keep acronyms ("ID", "URL") as they are; lowercase only a capitalised word.
            let second_is_lower = message.chars().nth(1).is_some_and(char::is_lowercase);
            if second_is_lower {
                write!(f, "{}", first.to_lowercase())?;
            } else {
                write!(f, "{first}")?;
            }
            f.write_str(chars.as_str())?;
        }
        Ok(())
    }
}

/// The identity of a code, as generated enums serialize.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CodeKey {
    /// The provider id.
    pub provider: &'static str,
    /// The numeric code.
    pub code: i32,
    /// The variant name.
    pub name: &'static str,
}

/// An entry in one language: the `--json` shape of `silent-login explain`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalizedEntry {
    /// The provider id.
    pub provider: &'static str,
    /// The numeric code.
    pub code: i32,
    /// The variant name.
    pub name: &'static str,
    /// The message.
    pub message: &'static str,
    /// Every cause.
    pub causes: Vec<LocalizedCause>,
    /// The solution.
    pub solution: &'static str,
    /// Where the solution comes from.
    pub solution_source: Source,
    /// The HTTP status.
    pub http_status: u16,
    /// Whether retrying can help.
    pub retryable: bool,
    /// Where it is raised.
    pub raised_by: RaisedBy,
    /// A documentation link.
    pub docs: Option<&'static str>,
}

/// A cause in one language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalizedCause {
    /// The stable id.
    pub id: &'static str,
    /// The explanation.
    pub text: &'static str,
    /// Sub-points.
    pub details: Vec<&'static str>,
    /// Where the text comes from.
    pub source: Source,
}

/// A number that is not a code of this catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{provider} has no error code {code}")]
pub struct UnknownCode {
    /// The catalog that was asked.
    pub provider: &'static str,
    /// The number.
    pub code: i32,
}

/// Implemented by every enum `catalog!` generates.
pub trait CatalogCode: Copy + Eq + std::hash::Hash + fmt::Debug + 'static {
    /// The provider id.
    const PROVIDER: &'static str;
    /// Every code, in file order.
    const ALL: &'static [Self];
    /// The entry behind the code.
    fn entry(self) -> &'static Entry;
    /// The variant for a number.
    fn from_code(code: i32) -> Option<Self>;
}
