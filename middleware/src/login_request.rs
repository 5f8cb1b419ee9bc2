//! Reading a login request: the code from the query, a JSON or a form body, under any of the
//! accepted names — or the JSAPI failure the front end reports — and, when neither is there,
//! exactly what is wrong (a misspelled name, an empty value, a code in the wrong place).

use serde_json::Value;
use silent_login_catalog::{
    lookup, DingTalkCode, KnownCode, ProviderKind, RaisedBy, SilentLoginCode,
};

use crate::error::{Detail, LoginError};
use crate::secret::AuthCode;

/// The names a code may be sent under, in order of preference.
pub(crate) const CODE_PARAMS: [&str; 4] = ["tmp_auth_code", "code", "authCode", "auth_code"];
/// The names a front end reports a JSAPI failure's code under: Feishu `errCode`, DingTalk
/// `errorCode` — one code space, the entries `raised_by: jsapi`.
const JSAPI_ERROR_PARAMS: [&str; 2] = ["errCode", "errorCode"];
const JSAPI_MESSAGE_PARAMS: [&str; 3] = ["errMsg", "errorMessage", "message"];
/// Feishu's `errno` (with `errString`): another code space, the entries `raised_by:
/// jsapi_errno` — never looked up among the errCodes
/// (<https://open.feishu.cn/document/client-docs/gadget/-web-app-api/errno>).
const ERRNO_PARAM: &str = "errno";
const ERRNO_MESSAGE_PARAM: &str = "errString";

/// What a login request asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LoginRequest {
    /// Exchange this code.
    Code(AuthCode),
    /// The front end's JSAPI failed; explain its code.
    JsapiFailure(LoginError),
}

/// The body's kind, from `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// `application/json` (or `+json`).
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// No body, or no content type and an empty body.
    Empty,
    /// Anything else.
    Unsupported,
}

impl BodyKind {
    /// The kind of a `Content-Type` value (`None` when absent).
    pub(crate) fn from_content_type(content_type: Option<&str>) -> Self {
        let Some(value) = content_type else {
            return BodyKind::Empty;
        };
        let essence = value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => BodyKind::Json,
            _ if essence.starts_with("application/") && essence.ends_with("+json") => {
                BodyKind::Json
            }
            "application/x-www-form-urlencoded" => BodyKind::Form,
            "" => BodyKind::Empty,
            _ => BodyKind::Unsupported,
        }
    }
}

/// Parses a login request of `provider` from its query string and body.
pub(crate) fn parse_login(
    provider: ProviderKind,
    query: Option<&str>,
    kind: BodyKind,
    body: &[u8],
) -> Result<LoginRequest, LoginError> {
    let mut params = body_params(kind, body)?;
    if let Some(query) = query.filter(|query| !query.is_empty()) {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|_| {
            malformed(
                "invalid_form",
                Detail::new(
                    "the query string is not valid URL encoding",
                    "查询字符串不是有效的 URL 编码",
                ),
            )
        })?;
        params.extend(
            pairs
                .into_iter()
                .map(|(key, value)| (key, Value::String(value))),
        );
    }
    let problems = Problems { provider };
    for name in CODE_PARAMS {
        if let Some((_, value)) = params.iter().find(|(key, _)| key == name) {
            return code_value(name, value, &problems).map(LoginRequest::Code);
        }
    }
    if let Some(failure) = jsapi_failure(provider, &params) {
        return Ok(LoginRequest::JsapiFailure(failure));
    }
    for (key, _) in &params {
        if let Some(expected) = near_miss(key) {
            return Err(problems.misspelled(key, expected));
        }
    }
    for (key, value) in &params {
        if let Some(inner) = nested_code(value) {
            return Err(problems.wrong_place(Detail::new(
                format!("found `{inner}` inside `{key}`; send it at the top level of the body or as `?tmp_auth_code=`"),
                format!("在 `{key}` 里找到了 `{inner}`；请把它放在请求体的顶层，或作为 `?tmp_auth_code=` 发送"),
            )));
        }
    }
    Err(problems.missing())
}

fn body_params(kind: BodyKind, body: &[u8]) -> Result<Vec<(String, Value)>, LoginError> {
    match kind {
        _ if body.is_empty() => Ok(Vec::new()),
        BodyKind::Json => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(map.into_iter().collect()),
            Ok(_) => Err(malformed("invalid_json", Detail::new(
                "the JSON body must be an object such as {\"tmp_auth_code\": \"…\"}",
                "JSON 请求体必须是一个对象，例如 {\"tmp_auth_code\": \"…\"}",
            ))),
            Err(error) => Err(malformed("invalid_json", Detail::new(
                format!("the JSON body does not parse: {error}"),
                format!("JSON 请求体无法解析：{error}"),
            ))),
        },
        BodyKind::Form => {
            let text = std::str::from_utf8(body).map_err(|_| malformed("invalid_utf8", Detail::new(
                "the form body is not UTF-8",
                "表单请求体不是 UTF-8 编码",
            )))?;
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text).map_err(|_| malformed("invalid_form", Detail::new(
                "the form body is not valid URL encoding",
                "表单请求体不是有效的 URL 编码",
            )))?;
            Ok(pairs.into_iter().map(|(key, value)| (key, Value::String(value))).collect())
        }
        BodyKind::Empty => Err(LoginError::new(SilentLoginCode::LoginBodyUnsupported)
            .with_detail(Detail::new(
                "the body has no Content-Type; send application/json or application/x-www-form-urlencoded",
                "请求体没有 Content-Type；请以 application/json 或 application/x-www-form-urlencoded 发送",
            ))),
        BodyKind::Unsupported => Err(LoginError::new(SilentLoginCode::LoginBodyUnsupported)
            .with_detail(Detail::new(
                "send application/json or application/x-www-form-urlencoded",
                "请以 application/json 或 application/x-www-form-urlencoded 发送",
            ))),
    }
}

fn malformed(cause: &str, detail: Detail) -> LoginError {
    LoginError::new(SilentLoginCode::LoginBodyMalformed)
        .with_cause(cause)
        .with_detail(detail)
}

fn code_value(name: &str, value: &Value, problems: &Problems) -> Result<AuthCode, LoginError> {
    match value {
        Value::String(text) if text.trim().is_empty() => Err(problems.empty(name)),
        Value::String(text) => AuthCode::parse(text),
        Value::Null => Err(problems.empty(name)),
        _ => Err(LoginError::new(SilentLoginCode::AuthCodeMalformed)
            .with_cause("malformed_code")
            .with_detail(Detail::new(
                format!("`{name}` must be a string"),
                format!("`{name}` 必须是字符串"),
            ))),
    }
}

/// A front end that reports `{"errCode": 10236, "errMsg": "…"}` gets that code's help; one that
/// reports `{"errno": 2700002, "errString": "…"}` gets the errno's. When both are there the
/// errno wins, as Feishu asks ("当fail回调中同时存在errno和errCode时，我们强烈建议优先以errno错误码为准"),
/// unless only the errCode is one the catalog knows.
fn jsapi_failure(provider: ProviderKind, params: &[(String, Value)]) -> Option<LoginError> {
    let errno = reported(
        params,
        &[ERRNO_PARAM],
        &[ERRNO_MESSAGE_PARAM],
        provider,
        RaisedBy::JsapiErrno,
    );
    let errcode = reported(
        params,
        &JSAPI_ERROR_PARAMS,
        &JSAPI_MESSAGE_PARAMS,
        provider,
        RaisedBy::Jsapi,
    );
    let error = match (errno, errcode) {
        (None, None) => return None,
        (Some(errno), _) if errno.known.is_some() => errno.error(),
        (_, Some(errcode)) if errcode.known.is_some() => errcode.error(),
        (Some(errno), errcode) => {
            let mut said = errno.said();
            if let Some(errcode) = errcode {
                said = said.and(errcode.said());
            }
            LoginError::new(SilentLoginCode::JsapiErrorUnknown).with_detail(said)
        }
        (None, Some(errcode)) => errcode.error(),
    };
    Some(error.with_only_cause())
}

/// One code a front end reported, in one code space.
struct Reported {
    name: String,
    value: Value,
    message: Option<String>,
    known: Option<KnownCode>,
}

impl Reported {
    fn error(&self) -> LoginError {
        match self.known {
            Some(code) => LoginError::new(code),
            None => LoginError::new(SilentLoginCode::JsapiErrorUnknown).with_detail(self.said()),
        }
    }

    fn said(&self) -> Detail {
        let (name, value) = (&self.name, &self.value);
        let (said, said_zh) = match self.message.as_deref() {
            Some(message) => (format!(" ({message})"), format!("（{message}）")),
            None => (String::new(), String::new()),
        };
        Detail::new(
            format!("the front end reported `{name}` = {value}{said}"),
            format!("前端报告了 `{name}` = {value}{said_zh}"),
        )
    }
}

/// The code reported under one of `names`, with its message, and the catalog entry of `space`
/// it names, if any.
fn reported(
    params: &[(String, Value)],
    names: &[&str],
    messages: &[&str],
    provider: ProviderKind,
    space: RaisedBy,
) -> Option<Reported> {
    let (name, value) = params
        .iter()
        .find(|(key, _)| names.contains(&key.as_str()))?;
    let number = match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    };
    let message = params
        .iter()
        .find(|(key, _)| messages.contains(&key.as_str()))
        .and_then(|(_, value)| value.as_str())
        .map(|text| {
            text.chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect::<String>()
        });
    let known = number
        .and_then(|number| i32::try_from(number).ok())
        .and_then(|code| lookup(provider, code))
        .filter(|code| code.entry().raised_by == space);
    Some(Reported {
        name: name.clone(),
        value: value.clone(),
        message,
        known,
    })
}

/// `temp_auth_code`, `tmpAuthCode`, `authcode`, `Code`: which accepted name was meant.
fn near_miss(key: &str) -> Option<&'static str> {
    let normalized = normalize(key);
    if normalized.is_empty() {
        return None;
    }
    CODE_PARAMS
        .iter()
        .map(|name| (*name, strsim::levenshtein(&normalized, &normalize(name))))
        .filter(|(name, distance)| {
            let length = normalize(name).len();
            *distance == 0 || (length >= 8 && *distance <= 2)
        })
        .min_by_key(|(_, distance)| *distance)
        .map(|(name, _)| name)
}

/// Letters and digits only, lowercased, and no longer than a name could be: the distance is
/// quadratic in the length.
fn normalize(key: &str) -> String {
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(64)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A code nested one level down, e.g. `{"data": {"code": "…"}}`.
fn nested_code(value: &Value) -> Option<&'static str> {
    let Value::Object(map) = value else {
        return None;
    };
    CODE_PARAMS
        .into_iter()
        .find(|name| map.get(*name).is_some_and(Value::is_string))
}

/// The provider's own words for a login request without a usable code: DingTalk's 41026 is
/// exactly "missing tmp_auth_code" with these causes; Feishu has no such code, so silent-login's.
struct Problems {
    provider: ProviderKind,
}

impl Problems {
    fn error(&self, dingtalk_cause: &str, ours: SilentLoginCode, detail: Detail) -> LoginError {
        let error = match self.provider {
            ProviderKind::DingTalk => {
                LoginError::new(DingTalkCode::MissingTmpAuthCode).with_cause(dingtalk_cause)
            }
            ProviderKind::Feishu | ProviderKind::Lark => LoginError::new(ours).with_only_cause(),
        };
        error.with_detail(detail)
    }

    fn missing(&self) -> LoginError {
        self.error(
            "param_missing",
            SilentLoginCode::AuthCodeMissing,
            Detail::new(
                "no `tmp_auth_code`, `code`, `authCode` or `auth_code` in the query, JSON or form body",
                "查询字符串、JSON 或表单请求体中都没有 `tmp_auth_code`、`code`、`authCode` 或 `auth_code`",
            ),
        )
    }

    fn misspelled(&self, got: &str, expected: &str) -> LoginError {
        let got: String = got.chars().filter(|c| !c.is_control()).take(64).collect();
        self.error(
            "param_misspelled",
            SilentLoginCode::AuthCodeParamMisspelled,
            Detail::new(
                format!("got `{got}`, expected `{expected}`"),
                format!("收到的是 `{got}`，应为 `{expected}`"),
            ),
        )
    }

    fn empty(&self, name: &str) -> LoginError {
        let error = match self.provider {
            ProviderKind::DingTalk => {
                LoginError::new(DingTalkCode::MissingTmpAuthCode).with_cause("frontend_no_code")
            }
            ProviderKind::Feishu | ProviderKind::Lark => {
                LoginError::new(SilentLoginCode::AuthCodeEmpty).with_only_cause()
            }
        };
        error.with_detail(Detail::new(
            format!("`{name}` is empty: the JSAPI call probably failed before it returned a code"),
            format!("`{name}` 为空：JSAPI 调用很可能在返回授权码之前就失败了"),
        ))
    }

    fn wrong_place(&self, detail: Detail) -> LoginError {
        self.error(
            "query_string_wrong",
            SilentLoginCode::AuthCodeMissing,
            detail,
        )
    }
}

#[cfg(test)]
pub(crate) mod tests;
