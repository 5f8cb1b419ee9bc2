//! The two error types: [`LoginError`] — a catalog code, the cause that applies when we know it,
//! and what the platform said, everything a failed login or a refused request reports — and
//! [`Error`], silent-login's own failures outside a login (a key that does not parse, a
//! revocation the store could not record, a misconfiguration). Both carry a [`Detail`]: the
//! precise fact about this request or setting, in English and Chinese.

use std::fmt;

use http::StatusCode;
use serde::Serialize;
use silent_login_catalog::{Cause, Entry, KnownCode, Lang, ProviderKind, SilentLoginCode, Source};

/// The code of an error: a catalog code, or a platform code the catalog does not know yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A code of one of the catalogs.
    Known(KnownCode),
    /// A platform answered a code that is not in the catalog; it is kept, not lost.
    Unknown {
        /// The platform that answered it.
        provider: ProviderKind,
        /// The raw code.
        code: i32,
    },
}

/// `dingtalk error 40078: …`, or `feishu error 12345: not in the catalog`.
impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorCode::Known(code) => fmt::Display::fmt(code, f),
            ErrorCode::Unknown { provider, code } => {
                write!(f, "{} error {code}: not in the catalog", provider.catalog())
            }
        }
    }
}

/// A precise fact about one request or setting — what exactly was wrong — in English and
/// Chinese, never a secret. Error answers give it in the request's language (with
/// `expose_error_details(true)`); logs write the English one.
///
/// Both translations are required, so no detail exists in one language only. Names, parameters
/// and values are `code spans` (backticks) in both languages: a page renders them as code.
///
/// ```
/// use silent_login::{Detail, Lang, LoginError};
/// use silent_login::catalog::SilentLoginCode;
///
/// let detail = Detail::new(
///     "got `temp_auth_code`, expected `tmp_auth_code`",
///     "收到的是 `temp_auth_code`，应为 `tmp_auth_code`",
/// );
/// let error = LoginError::new(SilentLoginCode::AuthCodeParamMisspelled).with_detail(detail);
/// let detail = error.detail().unwrap();
/// assert_eq!(detail.get(Lang::Zh), "收到的是 `temp_auth_code`，应为 `tmp_auth_code`");
/// // English for logs, also as `Display`.
/// assert_eq!(detail.en(), "got `temp_auth_code`, expected `tmp_auth_code`");
/// assert_eq!(detail.to_string(), detail.en());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Detail {
    en: String,
    zh: String,
}

impl Detail {
    /// A detail from its English and its Chinese text.
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self {
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }

    /// The English text, as logs write it.
    pub fn en(&self) -> &str {
        &self.en
    }

    /// Both facts in one detail: `a; b`, `a；b`.
    #[must_use]
    pub(crate) fn and(self, other: Detail) -> Self {
        Self {
            en: format!("{}; {}", self.en, other.en),
            zh: format!("{}；{}", self.zh, other.zh),
        }
    }
}

/// The English text.
impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

/// What the platform answered, kept for logs and the error body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Upstream {
    /// The platform's code (`errcode` / `code`).
    pub errcode: i64,
    /// The platform's message (`errmsg` / `msg`), as it was.
    pub errmsg: String,
    /// `request_id` / `X-Tt-Logid`, to quote to the platform's support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Why a login failed or a request was refused, in the catalog's terms.
///
/// ```
/// use silent_login::LoginError;
/// use silent_login_catalog::{DingTalkCode, Lang};
///
/// let error = LoginError::new(DingTalkCode::TmpAuthCodeNotFound).with_cause("code_used");
/// assert_eq!(error.status(), http::StatusCode::UNAUTHORIZED);
/// assert!(error.narrowed_cause().unwrap().text(Lang::En).contains("has been used"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}{}", cause.map(|cause| format!(" (cause: {})", cause.id())).unwrap_or_default())]
pub struct LoginError {
    code: ErrorCode,
    cause: Option<&'static Cause>,
    /// Boxed: most errors have none, and a `Result` with this error stays small.
    detail: Option<Box<Detail>>,
    upstream: Option<Upstream>,
    /// The auth code never reached the platform (the token stage failed, or no connection),
    /// so the code is still good and must not be remembered as used.
    code_not_presented: bool,
}

impl LoginError {
    /// An error with a catalog code (narrowed to its cause when the catalog lists only one).
    pub fn new(code: impl Into<KnownCode>) -> Self {
        Self {
            code: ErrorCode::Known(code.into()),
            cause: None,
            detail: None,
            upstream: None,
            code_not_presented: false,
        }
        .with_only_cause()
    }

    /// The error for a platform's answer: its catalog entry, or an unknown code kept as it was.
    pub fn from_platform(provider: ProviderKind, upstream: Upstream) -> Self {
        let code = i32::try_from(upstream.errcode).ok();
        let known = code.and_then(|code| silent_login_catalog::lookup(provider, code));
        let code = match (known, code) {
            (Some(known), _) => ErrorCode::Known(known),
            (None, Some(code)) => ErrorCode::Unknown { provider, code },
            (None, None) => ErrorCode::Known(SilentLoginCode::UpstreamGarbled.into()),
        };
        Self {
            code,
            cause: None,
            detail: None,
            upstream: Some(upstream),
            code_not_presented: false,
        }
        .with_only_cause()
    }

    /// A code with a single documented cause is already narrowed to it.
    #[must_use]
    pub(crate) fn with_only_cause(mut self) -> Self {
        if let Some([only]) = self.entry().map(|entry| entry.causes) {
            self.cause = Some(only);
        }
        self
    }

    /// Narrows the error to the cause with this id (ignored if the entry has no such cause).
    #[must_use]
    pub fn with_cause(mut self, id: &str) -> Self {
        if let Some(cause) = self.entry().and_then(|entry| entry.cause(id)) {
            self.cause = Some(cause);
        }
        self
    }

    /// Adds a precise fact about this request (never a secret), in English and Chinese, e.g.
    /// "got `temp_auth_code`, expected `tmp_auth_code`" (see [`Detail`]).
    #[must_use]
    pub fn with_detail(mut self, detail: Detail) -> Self {
        self.detail = Some(Box::new(detail));
        self
    }

    /// Attaches what the platform answered.
    #[must_use]
    pub fn with_upstream(mut self, upstream: Upstream) -> Self {
        self.upstream = Some(upstream);
        self
    }

    /// Marks that the auth code never reached the platform.
    #[must_use]
    pub(crate) fn code_not_presented(mut self) -> Self {
        self.code_not_presented = true;
        self
    }

    /// Whether the auth code never reached the platform (it can still be used).
    pub fn is_code_unused(&self) -> bool {
        self.code_not_presented
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The catalog code, if known.
    pub fn known(&self) -> Option<KnownCode> {
        match self.code {
            ErrorCode::Known(code) => Some(code),
            ErrorCode::Unknown { .. } => None,
        }
    }

    /// Whether this is the given catalog code.
    pub fn is(&self, code: impl Into<KnownCode>) -> bool {
        self.known() == Some(code.into())
    }

    /// The catalog entry, if the code is known.
    pub fn entry(&self) -> Option<&'static Entry> {
        self.known().map(KnownCode::entry)
    }

    /// The entry that explains this error: the code's own, or "unknown platform code".
    fn explaining_entry(&self) -> &'static Entry {
        self.entry()
            .unwrap_or_else(|| SilentLoginCode::UpstreamCodeUnknown.entry())
    }

    /// The provider id of the catalog (`dingtalk`, `feishu`, `silent-login`).
    pub fn provider(&self) -> &'static str {
        match self.code {
            ErrorCode::Known(code) => code.provider(),
            ErrorCode::Unknown { provider, .. } => provider.catalog(),
        }
    }

    /// The numeric code.
    pub fn errcode(&self) -> i32 {
        match self.code {
            ErrorCode::Known(code) => code.code(),
            ErrorCode::Unknown { code, .. } => code,
        }
    }

    /// The cause that applies, when silent-login could tell which one.
    pub fn narrowed_cause(&self) -> Option<&'static Cause> {
        self.cause
    }

    /// The precise fact about this request, if any: [`Detail::get`] gives it in a language,
    /// [`Detail::en`] in English for logs.
    pub fn detail(&self) -> Option<&Detail> {
        self.detail.as_deref()
    }

    /// What the platform answered, if it answered.
    pub fn upstream(&self) -> Option<&Upstream> {
        self.upstream.as_ref()
    }

    /// The HTTP status to answer with, from the catalog.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.explaining_entry().http_status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Whether the same request can succeed later without a change.
    pub fn retryable(&self) -> bool {
        self.explaining_entry().retryable
    }

    /// The gRPC status code: UNAUTHENTICATED for login problems, PERMISSION_DENIED for
    /// visibility and tenant refusals, UNAVAILABLE when the platform cannot be reached, …
    pub fn grpc_code(&self) -> i32 {
        grpc_code_for(self.status())
    }

    /// `DINGTALK_40078`: the `ErrorInfo.reason` of the gRPC details.
    pub fn reason(&self) -> String {
        let provider = self.provider().replace('-', "_").to_ascii_uppercase();
        format!("{provider}_{}", self.errcode())
    }

    /// The message in `lang`: the catalog's, or the platform's own words for a code the catalog
    /// does not know.
    pub fn message(&self, lang: Lang) -> String {
        match (&self.upstream, self.entry()) {
            (_, Some(entry)) => entry.message.get(lang).to_owned(),
            (Some(upstream), None) => upstream.errmsg.clone(),
            (None, None) => self.explaining_entry().message.get(lang).to_owned(),
        }
    }

    /// The message an anonymous caller gets: the catalog's, never the platform's own words
    /// (which can name the server's egress IP, for one).
    pub(crate) fn public_message(&self, lang: Lang) -> String {
        self.explaining_entry().message.get(lang).to_owned()
    }

    /// The JSON error body as an anonymous caller gets it: the code, its cause and solution and
    /// the request id, without `detail` or the platform's raw answer (`upstream`), which go to
    /// the server log under the request id.
    pub fn public_body(&self, lang: Lang, request_id: &str) -> ErrorBody<'_> {
        ErrorBody {
            errmsg: self.public_message(lang),
            detail: None,
            upstream: None,
            ..self.body(lang, request_id)
        }
    }

    /// The whole JSON error body (docs/CONTRACTS.md) in `lang`, with `detail` (in `lang` too)
    /// and `upstream`: for logs, tools and a development server (`expose_error_details`).
    pub fn body(&self, lang: Lang, request_id: &str) -> ErrorBody<'_> {
        let entry = self.explaining_entry();
        let unknown_upstream = self.entry().is_none();
        let errmsg = self.message(lang);
        let causes: &'static [Cause] = if unknown_upstream { &[] } else { entry.causes };
        ErrorBody {
            provider: self.provider(),
            errcode: self.errcode(),
            name: self.entry().map(|entry| entry.name),
            errmsg,
            cause: self.cause.map(|cause| cause.text(lang)),
            cause_id: self.cause.map(Cause::id),
            cause_details: self
                .cause
                .map(|cause| details(cause, lang))
                .unwrap_or_default(),
            cause_source: self.cause.map(Cause::source),
            causes: causes.iter().map(|c| c.text(lang)).collect(),
            causes_detailed: causes
                .iter()
                .map(|cause| CauseBody {
                    id: cause.id(),
                    text: cause.text(lang),
                    details: details(cause, lang),
                    source: cause.source(),
                })
                .collect(),
            solution: entry.solution.get(lang),
            solution_source: entry.solution_source,
            docs: entry.docs,
            detail: self.detail.as_ref().map(|detail| detail.get(lang)),
            retryable: entry.retryable,
            upstream: self.upstream.as_ref(),
            request_id: request_id.to_owned(),
        }
    }
}

/// A cause's sub-points in `lang`.
fn details(cause: &Cause, lang: Lang) -> Vec<&'static str> {
    cause
        .details()
        .iter()
        .map(|detail| detail.get(lang))
        .collect()
}

/// Maps an HTTP status from the catalog to the gRPC code a client expects.
pub(crate) fn grpc_code_for(status: StatusCode) -> i32 {
    match status.as_u16() {
        401 => 16,                        // UNAUTHENTICATED
        403 => 7,                         // PERMISSION_DENIED
        429 => 8,                         // RESOURCE_EXHAUSTED
        400 | 405 | 413 | 415 | 431 => 3, // INVALID_ARGUMENT
        502 | 503 => 14,                  // UNAVAILABLE
        408 | 504 => 4,                   // DEADLINE_EXCEEDED
        _ => 13,                          // INTERNAL
    }
}

/// silent-login's own failure outside a login: a session key that does not parse, a revocation
/// the store could not record, a misconfigured provider or layer. The catalog code inside says
/// which; the detail names the setting or the store's complaint.
///
/// ```
/// use silent_login::SessionKey;
/// use silent_login::catalog::SilentLoginCode;
///
/// let error = SessionKey::parse("too-short").unwrap_err();
/// assert_eq!(error.code(), SilentLoginCode::SessionKeyInvalid);
/// assert!(error.to_string().contains("base64 or hex"));
/// assert!(error.detail().get(silent_login::Lang::Zh).contains("base64"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct Error {
    code: SilentLoginCode,
    detail: Detail,
    /// The id of the code's cause that applies, when known.
    cause: Option<&'static str>,
}

impl Error {
    pub(crate) fn new(code: SilentLoginCode, detail: Detail) -> Self {
        Self {
            code,
            detail,
            cause: None,
        }
    }

    /// One error naming the problems of both (narrowed as `self` is).
    #[must_use]
    pub(crate) fn and(mut self, other: Error) -> Self {
        self.detail = self.detail.and(other.detail);
        self
    }

    /// Narrows the error to the code's cause with this id.
    #[must_use]
    pub(crate) fn with_cause(mut self, id: &'static str) -> Self {
        self.cause = Some(id);
        self
    }

    /// The catalog code.
    pub fn code(&self) -> SilentLoginCode {
        self.code
    }

    /// What exactly went wrong (never a secret), in English and Chinese; `Display` writes the
    /// English one.
    pub fn detail(&self) -> &Detail {
        &self.detail
    }

    /// The HTTP status a request failing with this error is answered with, from the catalog.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.entry().http_status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The layer answers a request that failed this way with the catalog body.
impl From<Error> for LoginError {
    fn from(error: Error) -> Self {
        let login_error = LoginError::new(error.code).with_detail(error.detail);
        match error.cause {
            Some(cause) => login_error.with_cause(cause),
            None => login_error,
        }
    }
}

/// A `LoginError` as replicas hand it to each other (the outcome of a shared code exchange).
#[derive(Debug, Serialize, serde::Deserialize)]
pub(crate) struct ErrorRecord {
    provider: String,
    errcode: i32,
    cause: Option<String>,
    /// The detail in English: all a replica of a release before bilingual details writes and
    /// reads (it ignores `detail_zh`), so replicas of both releases share outcomes.
    detail: Option<String>,
    /// The detail in Chinese.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail_zh: Option<String>,
    upstream: Option<Upstream>,
}

impl LoginError {
    pub(crate) fn to_record(&self) -> ErrorRecord {
        ErrorRecord {
            provider: self.provider().to_owned(),
            errcode: self.errcode(),
            cause: self.cause.map(|cause| cause.id().to_owned()),
            detail: self.detail.as_ref().map(|detail| detail.en.clone()),
            detail_zh: self.detail.as_ref().map(|detail| detail.zh.clone()),
            upstream: self.upstream.clone(),
        }
    }

    pub(crate) fn from_record(record: ErrorRecord) -> Self {
        let platform = record.provider.parse::<ProviderKind>().ok();
        let mut error = match (record.upstream, platform) {
            (Some(upstream), Some(platform)) => LoginError::from_platform(platform, upstream),
            _ => match KnownCode::from_key(&record.provider, record.errcode) {
                Some(code) => LoginError::new(code),
                None => LoginError::new(SilentLoginCode::InternalError),
            },
        };
        if let Some(cause) = record.cause {
            error = error.with_cause(&cause);
        }
        if let Some(en) = record.detail {
            // A replica of a release before bilingual details sent English only.
            let zh = record
                .detail_zh
                .unwrap_or_else(|| format!("另一个副本（较早的版本）只给出了英文说明：{en}"));
            error = error.with_detail(Detail::new(en, zh));
        }
        error
    }
}

/// The error body every failure answers with (docs/CONTRACTS.md).
///
/// `{"provider","errcode","errmsg","cause","causes","solution","docs","request_id"}`, plus
/// `name`, `cause_id`, `cause_details`, `cause_source`, `causes_detailed`, `solution_source`,
/// `detail`, `retryable` and `upstream` (the platform's raw answer).
#[derive(Clone, Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// The catalog provider id.
    pub provider: &'static str,
    /// The numeric code.
    pub errcode: i32,
    /// The catalog name of the code.
    pub name: Option<&'static str>,
    /// The message.
    pub errmsg: String,
    /// The narrowed cause, or `null`.
    pub cause: Option<&'static str>,
    /// The narrowed cause's stable id, or `null`.
    pub cause_id: Option<&'static str>,
    /// The narrowed cause's sub-points (empty without a narrowed cause).
    pub cause_details: Vec<&'static str>,
    /// Where the narrowed cause's text comes from, or `null`.
    pub cause_source: Option<Source>,
    /// Every documented cause.
    pub causes: Vec<&'static str>,
    /// Every documented cause with its id, sub-points and source, in the same order as `causes`.
    pub causes_detailed: Vec<CauseBody>,
    /// What to do.
    pub solution: &'static str,
    /// Where the solution's text comes from.
    pub solution_source: Source,
    /// A documentation link.
    pub docs: Option<&'static str>,
    /// A precise fact about this request, in the body's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'a str>,
    /// Whether retrying can help.
    pub retryable: bool,
    /// What the platform answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<&'a Upstream>,
    /// This request's id, also in the logs.
    pub request_id: String,
}

/// One cause in the error body's `causes_detailed` (docs/CONTRACTS.md §4.2).
#[derive(Clone, Debug, Serialize)]
pub struct CauseBody {
    /// The stable id (`code_used`).
    pub id: &'static str,
    /// The explanation, in the body's language.
    pub text: &'static str,
    /// Sub-points, in the body's language; often empty.
    pub details: Vec<&'static str>,
    /// Where the text comes from: `seed`, `reference`, `inferred` or `silent_login`.
    pub source: Source,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::{json, Value};
    use silent_login_catalog::{DingTalkCode, FeishuCode};

    use super::*;

    fn body_json(error: &LoginError, lang: Lang) -> Value {
        serde_json::to_value(error.public_body(lang, "req-1")).unwrap()
    }

    #[test]
    fn the_body_carries_the_narrowed_causes_details_and_source() {
        let error = LoginError::new(DingTalkCode::TmpAuthCodeNotFound).with_cause("wrong_jsapi");
        let body = body_json(&error, Lang::Zh);
        assert_eq!(body["cause_id"], "wrong_jsapi");
        assert_eq!(body["cause_source"], "seed");
        assert_eq!(
            body["cause_details"],
            json!([
                "小程序应用请使用 dd.getAuthCode 获取。",
                "H5 微应用请使用 dd.runtime.permission.requestAuthCode 或 dd.runtime.permission.requestOperateAuthCode 获取。"
            ])
        );
        assert_eq!(body["solution_source"], "inferred");
    }

    #[test]
    fn every_cause_comes_with_its_id_details_and_source_beside_the_plain_list() {
        let error = LoginError::new(DingTalkCode::TmpAuthCodeNotFound);
        let body = body_json(&error, Lang::En);
        let entry = DingTalkCode::TmpAuthCodeNotFound.entry();
        assert_eq!(body["cause_source"], Value::Null, "no cause narrowed");
        assert_eq!(body["cause_details"], json!([]));
        let detailed = body["causes_detailed"].as_array().unwrap();
        assert_eq!(detailed.len(), entry.causes.len());
        for (object, text) in detailed.iter().zip(body["causes"].as_array().unwrap()) {
            assert_eq!(&object["text"], text, "the same order as `causes`");
            assert_eq!(object["source"], "seed");
        }
        assert_eq!(detailed[0]["id"], "wrong_jsapi");
        assert_eq!(detailed[0]["details"].as_array().unwrap().len(), 2);
        assert_eq!(detailed[1]["details"], json!([]));
    }

    #[test]
    fn inferred_text_says_so_in_the_body() {
        let error = LoginError::new(FeishuCode::SessionIdEmpty);
        let body = body_json(&error, Lang::En);
        assert_eq!(body["cause_id"], "client_session_missing", "the only cause");
        assert_eq!(body["cause_source"], "inferred");
        assert_eq!(body["causes_detailed"][0]["source"], "inferred");
        assert_eq!(body["solution_source"], "inferred");
    }

    #[test]
    fn an_unknown_platform_code_has_no_causes_and_silent_logins_solution() {
        let error = LoginError::from_platform(
            ProviderKind::Feishu,
            Upstream {
                errcode: 12345,
                errmsg: "some new error".to_owned(),
                request_id: None,
            },
        );
        let body = body_json(&error, Lang::En);
        assert_eq!(body["causes"], json!([]));
        assert_eq!(body["causes_detailed"], json!([]));
        assert_eq!(body["solution_source"], "silent_login");
    }
}
