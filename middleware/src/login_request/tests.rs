//! `parse_login` by example — every accepted name and place, near misses, empty, missing and
//! misplaced codes, unreadable bodies, JSAPI failure reports — and by property, against a
//! reference reader written from `docs/CONTRACTS.md` section 1 (its own URL decoding, name
//! precedence, trimming, length limit, near-miss distance and JSAPI rules; `serde_json::Value`
//! for JSON): whatever the query, `Content-Type` and body, `parse_login` answers what the
//! reference reader says. The generators (shared with the service's properties) put accepted
//! names, near misses, repeats, escapes (`%63ode`, `\u0063ode`), codes around the 512-byte
//! limit and JSAPI reports in the body and the query at once; nothing is filtered out.

use std::fmt;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use silent_login_catalog::{KnownCode, Lang};

use super::*;
use crate::testing::{proptest_config, untranslated};

fn dingtalk(query: Option<&str>, kind: BodyKind, body: &str) -> Result<LoginRequest, LoginError> {
    parse_login(ProviderKind::DingTalk, query, kind, body.as_bytes())
}

fn code(value: &str) -> Result<LoginRequest, LoginError> {
    Ok(LoginRequest::Code(AuthCode::parse(value).unwrap()))
}

#[test]
fn every_accepted_name_in_every_place_is_read() {
    for name in CODE_PARAMS {
        assert_eq!(
            dingtalk(None, BodyKind::Json, &format!(r#"{{"{name}":"c1"}}"#)),
            code("c1")
        );
        assert_eq!(
            dingtalk(None, BodyKind::Form, &format!("{name}=c2")),
            code("c2")
        );
        assert_eq!(
            dingtalk(Some(&format!("{name}=c3")), BodyKind::Empty, ""),
            code("c3")
        );
    }
    assert_eq!(
        dingtalk(
            None,
            BodyKind::from_content_type(Some("application/json; charset=utf-8")),
            r#"{"code":"c"}"#
        ),
        code("c")
    );
}

#[test]
fn near_misses_name_what_was_meant() {
    for (got, expected) in [
        ("temp_auth_code", "tmp_auth_code"),
        ("tmpAuthCode", "tmp_auth_code"),
        ("authcode", "authCode"),
        ("Code", "code"),
        ("tmp_authcode", "tmp_auth_code"),
    ] {
        let error = dingtalk(None, BodyKind::Json, &format!(r#"{{"{got}":"abc"}}"#)).unwrap_err();
        assert_eq!(error.errcode(), 41026, "{got}");
        assert_eq!(
            error.narrowed_cause().map(|c| c.id()),
            Some("param_misspelled")
        );
        assert_eq!(
            error.detail().unwrap(),
            &Detail::new(
                format!("got `{got}`, expected `{expected}`"),
                format!("收到的是 `{got}`，应为 `{expected}`")
            )
        );
    }
    let feishu = parse_login(
        ProviderKind::Feishu,
        Some("temp_auth_code=x"),
        BodyKind::Empty,
        b"",
    )
    .unwrap_err();
    assert!(feishu.is(SilentLoginCode::AuthCodeParamMisspelled));
}

#[test]
fn empty_missing_and_misplaced_codes_are_told_apart() {
    let empty = dingtalk(None, BodyKind::Json, r#"{"tmp_auth_code":"  "}"#).unwrap_err();
    assert_eq!(
        empty.narrowed_cause().map(|c| c.id()),
        Some("frontend_no_code")
    );
    let missing = dingtalk(None, BodyKind::Json, r#"{"user":"alice"}"#).unwrap_err();
    assert_eq!(
        missing.narrowed_cause().map(|c| c.id()),
        Some("param_missing")
    );
    let nested = dingtalk(None, BodyKind::Json, r#"{"data":{"code":"x"}}"#).unwrap_err();
    assert_eq!(
        nested.narrowed_cause().map(|c| c.id()),
        Some("query_string_wrong")
    );
    let detail = nested.detail().unwrap();
    assert!(detail.en().contains("inside `data`"), "{detail:?}");
    assert!(detail.get(Lang::Zh).contains("在 `data` 里"), "{detail:?}");
    let feishu_empty = parse_login(
        ProviderKind::Feishu,
        None,
        BodyKind::Json,
        br#"{"code":""}"#,
    )
    .unwrap_err();
    assert!(feishu_empty.is(SilentLoginCode::AuthCodeEmpty));
}

#[test]
fn bodies_that_cannot_be_read_are_refused_with_their_own_codes() {
    assert!(dingtalk(None, BodyKind::Json, "{not json")
        .unwrap_err()
        .is(SilentLoginCode::LoginBodyMalformed));
    assert!(dingtalk(None, BodyKind::Json, "[1,2]")
        .unwrap_err()
        .is(SilentLoginCode::LoginBodyMalformed));
    assert!(
        parse_login(ProviderKind::DingTalk, None, BodyKind::Form, &[0xff, 0xfe])
            .unwrap_err()
            .is(SilentLoginCode::LoginBodyMalformed)
    );
    assert!(dingtalk(None, BodyKind::Unsupported, "x")
        .unwrap_err()
        .is(SilentLoginCode::LoginBodyUnsupported));
    assert!(dingtalk(None, BodyKind::Json, r#"{"code":42}"#)
        .unwrap_err()
        .is(SilentLoginCode::AuthCodeMalformed));
}

#[test]
fn a_reported_jsapi_failure_gets_its_catalog_entry() {
    let Ok(LoginRequest::JsapiFailure(error)) = parse_login(
        ProviderKind::Feishu,
        None,
        BodyKind::Json,
        br#"{"errCode":10236,"errMsg":"invalid url"}"#,
    ) else {
        panic!("expected a JSAPI failure");
    };
    assert_eq!(error.errcode(), 10236);
    let Ok(LoginRequest::JsapiFailure(corp)) = dingtalk(
        None,
        BodyKind::Json,
        r#"{"errorCode":"3","errorMessage":"1002,corpId不合法"}"#,
    ) else {
        panic!("expected a JSAPI failure");
    };
    assert_eq!(corp.errcode(), 3);
    assert!(corp.is(DingTalkCode::NoMicroAppForDomain));
    let Ok(LoginRequest::JsapiFailure(unknown)) = dingtalk(
        None,
        BodyKind::Json,
        r#"{"errorCode":9,"errorMessage":"签名校验失败"}"#,
    ) else {
        panic!("expected a JSAPI failure");
    };
    assert!(unknown.is(SilentLoginCode::JsapiErrorUnknown));
    for lang in Lang::ALL {
        let detail = unknown.detail().unwrap().get(lang);
        assert!(detail.contains("`errorCode` = 9"), "{detail}");
        assert!(detail.contains("签名校验失败"), "{detail}");
    }
}

/// A Feishu `fail` as the page forwards it.
fn feishu_failure(body: &str) -> LoginError {
    match parse_login(ProviderKind::Feishu, None, BodyKind::Json, body.as_bytes()) {
        Ok(LoginRequest::JsapiFailure(error)) => error,
        other => panic!("expected a JSAPI failure, got {other:?}"),
    }
}

#[test]
fn an_errno_is_looked_up_in_its_own_code_space_and_wins_over_an_errcode() {
    let refused = feishu_failure(r#"{"errno":2700002,"errString":"Authorization terminated"}"#);
    assert_eq!(refused.errcode(), 2_700_002);
    assert_eq!(refused.entry().unwrap().raised_by, RaisedBy::JsapiErrno);
    // Both codes: Feishu asks to go by the errno.
    let both = feishu_failure(
        r#"{"errno":103,"errString":"feature not support","errCode":10236,"errMsg":"x"}"#,
    );
    assert_eq!(both.errcode(), 103);
    // An errno the catalog does not know, next to a known errCode: the errCode's help.
    let fallback = feishu_failure(r#"{"errno":1999999,"errCode":10236}"#);
    assert_eq!(fallback.errcode(), 10236);
    // An errCode number sent as an errno is not an errCode: never explained as one.
    let spaces = feishu_failure(r#"{"errno":10236,"errString":"?"}"#);
    assert!(spaces.is(SilentLoginCode::JsapiErrorUnknown), "{spaces:?}");
    let detail = spaces.detail().unwrap().get(Lang::En);
    assert!(
        detail.contains("`errno` = 10236") && detail.contains('?'),
        "{detail}"
    );
    // An errno number sent as an errCode is not an errno either.
    let errcode = feishu_failure(r#"{"errCode":2700002}"#);
    assert!(
        errcode.is(SilentLoginCode::JsapiErrorUnknown),
        "{errcode:?}"
    );
    // Neither known: both named in the detail.
    let neither = feishu_failure(r#"{"errno":1999999,"errString":"a","errCode":77,"errMsg":"b"}"#);
    assert!(neither.is(SilentLoginCode::JsapiErrorUnknown));
    let detail = neither.detail().unwrap().get(Lang::Zh);
    assert!(
        detail.contains("`errno` = 1999999") && detail.contains("`errCode` = 77"),
        "{detail}"
    );
}

// ---------------------------------------------------------------------------------------------
// The reference reader
// ---------------------------------------------------------------------------------------------

/// The accepted names, in the contract's order of preference (CONTRACTS.md 1.1).
const ACCEPTED_NAMES: [&str; 4] = ["tmp_auth_code", "code", "authCode", "auth_code"];
/// Where a front end reports its JSAPI failure (CONTRACTS.md 1.1).
const JSAPI_REPORT_NAMES: [&str; 3] = ["errCode", "errorCode", "errno"];
/// The names of the errCode space; `errno` is a space of its own.
const ERRCODE_NAMES: [&str; 2] = ["errCode", "errorCode"];
/// The longest code accepted, in bytes (CONTRACTS.md 1.1).
const LONGEST_CODE: usize = 512;

/// What a login request comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// This code, trimmed, goes to the platform.
    Code(String),
    /// The front end reported a JSAPI failure, explained by this entry.
    Jsapi(KnownCode),
    /// Refused with this entry, narrowed to `cause` when the contract says which (`Some(None)`:
    /// not narrowed; `None`: the contract does not say, so it is not compared).
    Refused {
        code: KnownCode,
        cause: Option<Option<&'static str>>,
    },
    /// Anything `parse_login` should never answer (an error the catalog does not know).
    Unexpected(String),
}

impl Verdict {
    fn refused(code: impl Into<KnownCode>, cause: Option<&'static str>) -> Self {
        Verdict::Refused {
            code: code.into(),
            cause: Some(cause),
        }
    }

    fn refused_for_any_cause(code: impl Into<KnownCode>) -> Self {
        Verdict::Refused {
            code: code.into(),
            cause: None,
        }
    }

    /// `parse_login`'s answer in the same terms as `expected` (whose causes are compared only
    /// where the contract names one).
    fn of(parsed: &Result<LoginRequest, LoginError>, expected: &Verdict) -> Verdict {
        match parsed {
            Ok(LoginRequest::Code(code)) => Verdict::Code(code.expose().to_owned()),
            Ok(LoginRequest::JsapiFailure(error)) => match error.known() {
                Some(code) => Verdict::Jsapi(code),
                None => Verdict::Unexpected(error.to_string()),
            },
            Err(error) => match error.known() {
                Some(code) => Verdict::Refused {
                    code,
                    cause: match expected {
                        Verdict::Refused { cause: None, .. } => None,
                        _ => Some(error.narrowed_cause().map(|cause| cause.id())),
                    },
                },
                None => Verdict::Unexpected(error.to_string()),
            },
        }
    }
}

/// The body's kind by CONTRACTS.md 1.1: JSON for `application/json` and `application/*+json`,
/// the form for `application/x-www-form-urlencoded` (media types are case-insensitive and may
/// carry parameters); anything else, or none, for a non-empty body is unsupported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReferenceKind {
    Json,
    Form,
    Other,
}

fn reference_kind(content_type: Option<&str>) -> ReferenceKind {
    let media_type = content_type.unwrap_or("");
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.strip_prefix("application/") {
        Some("x-www-form-urlencoded") => ReferenceKind::Form,
        Some(subtype) if subtype == "json" || subtype.ends_with("+json") => ReferenceKind::Json,
        _ => ReferenceKind::Other,
    }
}

/// `application/x-www-form-urlencoded` parsing as the URL Standard defines it: split on `&`,
/// skip empty pieces, split each at its first `=` (none: an empty value), `+` is a space, `%`
/// and two hex digits a byte, any other `%` itself; then UTF-8, invalid bytes replaced.
fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (percent_decoded(name), percent_decoded(value))
        })
        .collect()
}

fn percent_decoded(text: &str) -> String {
    let hex = |digit: u8| (digit as char).to_digit(16);
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        rest = tail;
        match (first, tail) {
            (b'+', _) => bytes.push(b' '),
            (b'%', [high, low, after @ ..]) => match (hex(*high), hex(*low)) {
                (Some(high), Some(low)) => {
                    bytes.push((high * 16 + low) as u8);
                    rest = after;
                }
                _ => bytes.push(b'%'),
            },
            _ => bytes.push(first),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Lowercase letters and digits: what a near miss is compared on.
fn folded(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Levenshtein distance of two ASCII strings, capped: anything over `cap` is `cap + 1`.
fn edit_distance(a: &str, b: &str, cap: usize) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > cap {
        return cap + 1;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, y) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(x != y);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()].min(cap + 1)
}

/// CONTRACTS.md 1.2: equal to an accepted name once lowercased and stripped of
/// non-alphanumerics, or within edit distance 2 of `tmp_auth_code` / `authCode` so compared.
fn is_near_miss(key: &str) -> bool {
    let key = folded(key);
    !key.is_empty()
        && (ACCEPTED_NAMES.iter().any(|name| key == folded(name))
            || ["tmp_auth_code", "authCode"]
                .iter()
                .any(|name| edit_distance(&key, &folded(name), 2) <= 2))
}

/// The answer for a problem the contract words per platform (CONTRACTS.md 1.2): DingTalk's
/// 41026 with `dingtalk_cause`, else silent-login's own code.
fn problem(
    provider: ProviderKind,
    dingtalk_cause: &'static str,
    ours: SilentLoginCode,
    our_cause: Option<&'static str>,
) -> Verdict {
    match provider {
        ProviderKind::DingTalk => {
            Verdict::refused(DingTalkCode::MissingTmpAuthCode, Some(dingtalk_cause))
        }
        ProviderKind::Feishu | ProviderKind::Lark => Verdict::refused(ours, our_cause),
    }
}

/// The value under an accepted name: a string, trimmed, of at most 512 bytes of visible
/// ASCII; empty, whitespace-only or `null` is "empty"; anything else is malformed.
fn code_verdict(provider: ProviderKind, value: &Value) -> Verdict {
    let empty = || {
        problem(
            provider,
            "frontend_no_code",
            SilentLoginCode::AuthCodeEmpty,
            Some("empty_value"),
        )
    };
    let malformed = || Verdict::refused(SilentLoginCode::AuthCodeMalformed, Some("malformed_code"));
    match value {
        Value::Null => empty(),
        Value::String(text) => {
            let code = text.trim_matches(char::is_whitespace);
            if code.is_empty() {
                empty()
            } else if code.len() > LONGEST_CODE || !code.bytes().all(|b| (b'!'..=b'~').contains(&b))
            {
                malformed()
            } else {
                Verdict::Code(code.to_owned())
            }
        }
        _ => malformed(),
    }
}

/// A JSAPI failure report: a number or numeric string; the catalog's JSAPI entry for it on
/// this platform, else 700110.
/// The entry of code space `space` a reported value names, if the catalog has one.
fn jsapi_entry(provider: ProviderKind, value: &Value, space: RaisedBy) -> Option<KnownCode> {
    let number = match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse::<i64>().ok(),
        _ => None,
    };
    number
        .and_then(|number| i32::try_from(number).ok())
        .and_then(|code| silent_login_catalog::lookup(provider, code))
        .filter(|code| code.entry().raised_by == space)
}

/// What CONTRACTS.md section 1 says a login request with this query, `Content-Type` and body
/// comes to.
pub(crate) fn reference_login(
    provider: ProviderKind,
    query: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Verdict {
    let mut params: Vec<(String, Value)> = Vec::new();
    if !body.is_empty() {
        match reference_kind(content_type) {
            // serde_json keeps the last of repeated member names, as JSON.parse does.
            ReferenceKind::Json => match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(members)) => params.extend(members),
                _ => return Verdict::refused_for_any_cause(SilentLoginCode::LoginBodyMalformed),
            },
            ReferenceKind::Form => match std::str::from_utf8(body) {
                Ok(text) => params.extend(
                    form_pairs(text)
                        .into_iter()
                        .map(|(name, value)| (name, Value::String(value))),
                ),
                Err(_) => {
                    return Verdict::refused_for_any_cause(SilentLoginCode::LoginBodyMalformed)
                }
            },
            ReferenceKind::Other => {
                return Verdict::refused_for_any_cause(SilentLoginCode::LoginBodyUnsupported)
            }
        }
    }
    params.extend(
        form_pairs(query.unwrap_or(""))
            .into_iter()
            .map(|(name, value)| (name, Value::String(value))),
    );
    // Names in order of preference; for one name the body before the query, and of a name
    // repeated in a form or a query the first.
    for name in ACCEPTED_NAMES {
        if let Some((_, value)) = params.iter().find(|(key, _)| key == name) {
            return code_verdict(provider, value);
        }
    }
    let reported = |names: &[&str], space: RaisedBy| {
        params
            .iter()
            .find(|(key, _)| names.contains(&key.as_str()))
            .map(|(_, value)| jsapi_entry(provider, value, space))
    };
    // The errno wins when the catalog knows it; else a known errCode; else neither is known.
    let errno = reported(&["errno"], RaisedBy::JsapiErrno);
    let errcode = reported(&ERRCODE_NAMES, RaisedBy::Jsapi);
    if errno.is_some() || errcode.is_some() {
        let entry = errno.flatten().or(errcode.flatten());
        return Verdict::Jsapi(entry.unwrap_or(SilentLoginCode::JsapiErrorUnknown.into()));
    }
    if params.iter().any(|(key, _)| is_near_miss(key)) {
        return problem(
            provider,
            "param_misspelled",
            SilentLoginCode::AuthCodeParamMisspelled,
            Some("param_misspelled"),
        );
    }
    let hides_a_code = |value: &Value| match value {
        Value::Object(members) => ACCEPTED_NAMES
            .iter()
            .any(|name| members.get(*name).is_some_and(Value::is_string)),
        _ => false,
    };
    if params.iter().any(|(_, value)| hides_a_code(value)) {
        return problem(
            provider,
            "query_string_wrong",
            SilentLoginCode::AuthCodeMissing,
            None,
        );
    }
    problem(
        provider,
        "param_missing",
        SilentLoginCode::AuthCodeMissing,
        None,
    )
}

#[test]
fn the_reference_reader_decodes_forms_as_the_url_standard_says() {
    assert_eq!(
        form_pairs("a=1&&b=%41+%zz&c&=d&e=%E4%B8%AD%FF&f=%4"),
        [
            ("a", "1"),
            ("b", "A %zz"),
            ("c", ""),
            ("", "d"),
            ("e", "中\u{fffd}"),
            ("f", "%4"),
        ]
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
    );
    assert_eq!(edit_distance("tmpauthcode", "tempauthcode", 2), 1);
    assert_eq!(edit_distance("authcode", "code", 2), 3);
    assert!(is_near_miss("TMP-AUTH-CODE") && is_near_miss("authcde") && is_near_miss("Code"));
    assert!(!is_near_miss("codes") && !is_near_miss("auth") && !is_near_miss("_"));
}

// ---------------------------------------------------------------------------------------------
// Generators (`login_input` is shared with `service/tests/properties.rs`)
// ---------------------------------------------------------------------------------------------

/// Names of a login request's parameters: the accepted names (often, so that repeats and
/// precedence between names and places are common), near misses, JSAPI report keys, and
/// anything at all.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(ACCEPTED_NAMES.to_vec()).prop_map(str::to_owned),
        3 => prop::sample::select(vec![
            "temp_auth_code", "tmpAuthCode", "TMP-AUTH-CODE", "tmp_authcode", "authcode",
            "authcde", "Code", "CODE", "AUTH_CODE", "codes", "xcode", "c0de", "auth",
            "tmp_auth_codes", "code_", "_code",
        ])
        .prop_map(str::to_owned),
        2 => prop::sample::select(vec![
            "errCode", "errorCode", "errno", "errMsg", "errorMessage", "message",
        ])
        .prop_map(str::to_owned),
        1 => prop::sample::select(vec!["data", "user", "state", ""]).prop_map(str::to_owned),
        2 => "[A-Za-z0-9_-]{0,14}",
        1 => "\\PC{0,6}",
    ]
}

/// Text values before any encoding: well-formed codes, visible ASCII with `%`, `&`, `=`, `+`,
/// quotes and backslashes, empty and whitespace-only values, codes with surrounding (also
/// non-ASCII) whitespace, codes around the 512-byte limit, control characters, non-ASCII,
/// numbers and JSAPI codes.
fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => "[A-Za-z0-9_-]{1,40}",
        2 => "[!-~]{1,24}",
        1 => "[ \t\r\n]{0,3}",
        1 => "[ \t\r\n]{0,2}[A-Za-z0-9]{1,12}[ \t\r\n]{0,2}",
        1 => "[\u{3000}\u{a0}\u{2003}\u{85}]{1,2}[A-Za-z0-9]{1,8}[\u{3000}\u{a0}]{0,2}",
        1 => "[A-Za-z0-9]{505,520}",
        1 => "[ \t]{1,3}[!-~]{510,514}[ \t]{0,3}",
        1 => "[!-~]{0,6}[\\x00-\\x08\\x0b-\\x1f\\x7f][!-~]{0,6}",
        1 => "\\PC{1,10}",
        1 => "-?[0-9]{1,6}",
        1 => prop::sample::select(vec![
            "10236", "10200", " 10207 ", "+10233", "10236.0", "3", "1002", "-1", "99999999999",
        ])
        .prop_map(str::to_owned),
    ]
}

/// `text` as a JSON string, each character as itself or escaped (`\u0063` for `c`), so a name
/// can hide behind an escape.
fn json_string(text: String) -> impl Strategy<Value = String> {
    let length = text.chars().count();
    prop::collection::vec(0..4u8, length).prop_map(move |choices| {
        let mut out = String::from("\"");
        for (c, choice) in text.chars().zip(choices) {
            match (c, choice) {
                ('"', _) => out.push_str("\\\""),
                ('\\', _) => out.push_str("\\\\"),
                (c, _) if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                (c, 0) => {
                    for unit in c.encode_utf16(&mut [0; 2]) {
                        out.push_str(&format!("\\u{unit:04X}"));
                    }
                }
                (c, _) => out.push(c),
            }
        }
        out.push('"');
        out
    })
}

/// A JSON object of already-encoded names and values (repeats kept as written).
fn object(members: &[(String, String)]) -> String {
    let members: Vec<String> = members
        .iter()
        .map(|(name, value)| format!("{name}:{value}"))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// JSON values: mostly strings, also `null`, booleans, integers (JSAPI codes among them),
/// floats (`NaN` and `inf` make the body invalid), and arrays and objects that may hide a code.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        8 => text_value().prop_flat_map(json_string),
        1 => Just("null".to_owned()),
        1 => prop::sample::select(vec!["true", "false"]).prop_map(str::to_owned),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec![10236_i64, 10200, 10207, 3, 0, -1, 2_147_483_648])
            .prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|n| format!("{n:?}")),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3)
                .prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec((key().prop_flat_map(json_string), inner), 0..3)
                .prop_map(|members| object(&members)),
        ]
    })
}

/// JSON bodies: objects of any of those members (names repeated as often as the key pool
/// makes them), sometimes wrapped, padded, cut short or with a stray byte.
fn json_body() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((key().prop_flat_map(json_string), json_value()), 0..6),
        0..10u8,
        any::<Index>(),
    )
        .prop_map(|(members, shape, at)| {
            let text = object(&members);
            let mut bytes = match shape {
                0 => format!("[{text}]"),
                1 => format!(" \n{text}\t "),
                _ => text,
            }
            .into_bytes();
            match shape {
                2 => bytes.truncate(at.index(bytes.len() + 1)),
                3 => bytes.insert(at.index(bytes.len() + 1), b'\xff'),
                _ => {}
            }
            bytes
        })
}

/// `text` URL-encoded character by character: as itself (so `&`, `=`, `%` and `+` may change
/// the structure), percent-encoded in upper or lower case, or a space as `+`.
fn url_encoded(text: String) -> impl Strategy<Value = String> {
    let length = text.chars().count();
    prop::collection::vec(0..6u8, length).prop_map(move |choices| {
        let mut out = String::new();
        for (c, choice) in text.chars().zip(choices) {
            match (c, choice) {
                (' ', 0 | 1) => out.push('+'),
                (_, 0) => c
                    .to_string()
                    .bytes()
                    .for_each(|b| out.push_str(&format!("%{b:02X}"))),
                (_, 1) => c
                    .to_string()
                    .bytes()
                    .for_each(|b| out.push_str(&format!("%{b:02x}"))),
                _ => out.push(c),
            }
        }
        out
    })
}

/// Form bodies and query strings: encoded pairs, names without `=`, and stray pieces (empty,
/// a lone `%`, invalid or cut escapes, invalid UTF-8 once decoded).
fn form_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => (key().prop_flat_map(url_encoded), text_value().prop_flat_map(url_encoded))
            .prop_map(|(name, value)| format!("{name}={value}")),
        1 => key().prop_flat_map(url_encoded),
        1 => prop::sample::select(vec!["", "=", "%", "%zz", "%4", "=%", "%E4%B8", "%FF"])
            .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|pieces| pieces.join("&"))
}

/// A query string: none, empty, or a form.
fn query() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(String::new())),
        5 => form_text().prop_map(Some),
    ]
}

/// Any `Content-Type`, or none.
fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("application/json".to_owned())),
        Just(Some("application/json; charset=utf-8".to_owned())),
        Just(Some("application/x-www-form-urlencoded".to_owned())),
        Just(Some("application/problem+json".to_owned())),
        Just(Some("APPLICATION/JSON".to_owned())),
        Just(Some(String::new())),
        "[ -~]{0,40}".prop_map(Some),
    ]
}

fn json_content_type() -> impl Strategy<Value = Option<String>> {
    prop::sample::select(vec![
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/problem+json",
        " application/vnd.api+json ;x=y",
    ])
    .prop_map(|value| Some(value.to_owned()))
}

fn form_content_type() -> impl Strategy<Value = Option<String>> {
    prop::sample::select(vec![
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=UTF-8",
        "Application/X-WWW-Form-Urlencoded",
    ])
    .prop_map(|value| Some(value.to_owned()))
}

/// A login request as `parse_login` gets it.
#[derive(Clone)]
pub(crate) struct LoginInput {
    pub(crate) query: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Vec<u8>,
}

impl fmt::Debug for LoginInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginInput")
            .field("query", &self.query)
            .field("content_type", &self.content_type)
            .field("body", &String::from_utf8_lossy(&self.body))
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// JSAPI failure reports as a front end sends them: a code under one of the report names (a
/// number, a numeric string, padded, signed, fractional, not a number), and a message; as JSON
/// or as a form.
fn jsapi_report() -> impl Strategy<Value = (Option<String>, Vec<u8>)> {
    let code = prop::sample::select(vec![
        "10200",
        "10207",
        "10233",
        "10236",
        "3",
        "1002",
        "-1",
        "0",
        "10236.0",
        "2147483648",
        "\"10236\"",
        "\" 10207 \"",
        "\"+10233\"",
        "\"10236.0\"",
        "\"abc\"",
        "\"\"",
        "null",
        "true",
        "\"99999999999\"",
        "\"\\t10210\\n\"",
    ]);
    (
        prop::sample::select(JSAPI_REPORT_NAMES.to_vec()),
        code,
        prop::sample::select(vec!["errMsg", "errorMessage", "message"]),
        "\\PC{0,30}",
        any::<bool>(),
    )
        .prop_map(|(name, code, message_name, message, json)| {
            if json {
                let message = serde_json::to_string(&message).unwrap();
                let members = [
                    (format!("\"{name}\""), code.to_owned()),
                    (format!("\"{message_name}\""), message),
                ];
                (
                    Some("application/json".to_owned()),
                    object(&members).into_bytes(),
                )
            } else {
                let code = serde_json::from_str::<Value>(code)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .unwrap_or_else(|| code.to_owned());
                let form = format!(
                    "{name}={}&{message_name}={}",
                    encode_all(&code),
                    encode_all(&message)
                );
                (
                    Some("application/x-www-form-urlencoded".to_owned()),
                    form.into_bytes(),
                )
            }
        })
}

/// Login requests: mostly a JSON or form body under its own `Content-Type`, also JSAPI
/// failure reports, any body under any `Content-Type`, and empty bodies; with or without a
/// query.
pub(crate) fn login_input() -> impl Strategy<Value = LoginInput> {
    let body = prop_oneof![
        4 => (json_content_type(), json_body()),
        4 => (form_content_type(), form_text().prop_map(String::into_bytes)),
        1 => jsapi_report(),
        2 => (
            content_type(),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..300),
                json_body(),
                form_text().prop_map(String::into_bytes),
            ]
        ),
        1 => (content_type(), Just(Vec::new())),
    ];
    (body, query()).prop_map(|((content_type, body), query)| LoginInput {
        query,
        content_type,
        body,
    })
}

fn provider() -> impl Strategy<Value = ProviderKind> {
    prop::sample::select(ProviderKind::ALL.to_vec())
}

fn parse(provider: ProviderKind, input: &LoginInput) -> Result<LoginRequest, LoginError> {
    parse_login(
        provider,
        input.query.as_deref(),
        BodyKind::from_content_type(input.content_type.as_deref()),
        &input.body,
    )
}

fn reference(provider: ProviderKind, input: &LoginInput) -> Verdict {
    reference_login(
        provider,
        input.query.as_deref(),
        input.content_type.as_deref(),
        &input.body,
    )
}

/// Where a code is placed in a precedence case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Body,
    Query,
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(proptest_config())]

    /// The whole contract of section 1 at once: code, JSAPI report or refusal, with the same
    /// code, entry and (where the contract names one) cause as the reference reader.
    #[test]
    fn parse_login_answers_what_the_reference_reader_does(
        input in login_input(),
        provider in provider(),
    ) {
        let expected = reference(provider, &input);
        let parsed = parse(provider, &input);
        prop_assert_eq!(Verdict::of(&parsed, &expected), expected);
        if let Ok(LoginRequest::JsapiFailure(error)) | Err(error) = &parsed {
            // A 5xx only for a JSAPI failure worth retrying (Feishu 10232–10234: the client failed
            // to get something; the catalog answers 503, retryable).
            prop_assert!(error.status().is_client_error() || error.retryable(), "{}: {}", error, error.status());
            if let Some(problem) = error.detail().and_then(untranslated) {
                return Err(TestCaseError::fail(problem));
            }
            let text = serde_json::to_string(&error.body(silent_login_catalog::Lang::En, "id")).unwrap();
            prop_assert!(text.len() < 8 * 1024, "the error body grows with the input: {} bytes", text.len());
        }
    }

    /// Precedence, spelled out on a model instead of re-read: the first accepted name in the
    /// contract's order wins; for one name the body wins over the query; a name repeated in a
    /// form or a query counts once, first; repeated in JSON, last.
    #[test]
    fn the_preferred_name_wins_then_the_body_then_the_first_of_a_form(
        entries in prop::collection::vec(
            (0..4usize, prop_oneof![Just(Place::Body), Just(Place::Query)], "[A-Za-z0-9_.-]{1,24}"),
            1..6,
        ),
        json in any::<bool>(),
        provider in provider(),
    ) {
        let in_body: Vec<(usize, &str)> = entries.iter()
            .filter(|(_, place, _)| *place == Place::Body)
            .map(|(name, _, code)| (*name, code.as_str()))
            .collect();
        let in_query: Vec<String> = entries.iter()
            .filter(|(_, place, _)| *place == Place::Query)
            .map(|(name, _, code)| format!("{}={code}", ACCEPTED_NAMES[*name]))
            .collect();
        let (content_type, body) = if json {
            let members: Vec<(String, String)> = in_body.iter()
                .map(|(name, code)| (format!("\"{}\"", ACCEPTED_NAMES[*name]), format!("\"{code}\"")))
                .collect();
            ("application/json", object(&members))
        } else {
            let pairs: Vec<String> = in_body.iter()
                .map(|(name, code)| format!("{}={code}", ACCEPTED_NAMES[*name]))
                .collect();
            ("application/x-www-form-urlencoded", pairs.join("&"))
        };
        let best = entries.iter().map(|(name, _, _)| *name).min().unwrap();
        let from_body: Vec<&str> = in_body.iter().filter(|(name, _)| *name == best).map(|(_, code)| *code).collect();
        let winner = match (from_body.first(), from_body.last()) {
            (Some(first), Some(last)) => if json { *last } else { *first },
            _ => entries.iter()
                .find(|(name, place, _)| *name == best && *place == Place::Query)
                .map(|(_, _, code)| code.as_str())
                .unwrap(),
        };
        let input = LoginInput {
            query: Some(in_query.join("&")),
            content_type: Some(content_type.to_owned()),
            body: body.into_bytes(),
        };
        let expected = Verdict::Code(winner.to_owned());
        prop_assert_eq!(Verdict::of(&parse(provider, &input), &expected), expected.clone());
        prop_assert_eq!(reference(provider, &input), expected);
    }

    /// The length limit: a code of up to 512 bytes (after trimming) is read, one byte more is
    /// 700104, wherever it is sent and however it is padded.
    #[test]
    fn codes_are_read_up_to_512_bytes_and_refused_beyond(
        code in "[!-~]{500,530}",
        padding in "[ \t]{0,3}",
        name in prop::sample::select(ACCEPTED_NAMES.to_vec()),
        place in 0..3u8,
        provider in provider(),
    ) {
        let padded = format!("{padding}{code}{padding}");
        let input = match place {
            0 => LoginInput {
                query: None,
                content_type: Some("application/json".to_owned()),
                body: serde_json::json!({ name: padded }).to_string().into_bytes(),
            },
            1 => LoginInput {
                query: None,
                content_type: Some("application/x-www-form-urlencoded".to_owned()),
                body: format!("{name}={}", encode_all(&padded)).into_bytes(),
            },
            _ => LoginInput {
                query: Some(format!("{name}={}", encode_all(&padded))),
                content_type: None,
                body: Vec::new(),
            },
        };
        let expected = if code.len() <= 512 {
            Verdict::Code(code.clone())
        } else {
            Verdict::refused(SilentLoginCode::AuthCodeMalformed, Some("malformed_code"))
        };
        prop_assert_eq!(Verdict::of(&parse(provider, &input), &expected), expected);
    }

    /// Any `Content-Type` is classified as the contract says, without panicking.
    #[test]
    fn content_types_of_any_shape_are_classified_as_the_contract_says(
        content_type in prop_oneof!["\\PC{0,60}", "[ -~]{0,60}", "(?i)application/[a-z+.-]{0,12}(json)?( ?;[ -~]{0,10})?"],
    ) {
        let kind = BodyKind::from_content_type(Some(&content_type));
        let expected = match reference_kind(Some(&content_type)) {
            ReferenceKind::Json => vec![BodyKind::Json],
            ReferenceKind::Form => vec![BodyKind::Form],
            ReferenceKind::Other => vec![BodyKind::Empty, BodyKind::Unsupported],
        };
        prop_assert!(expected.contains(&kind), "{:?} is {:?}, expected one of {:?}", content_type, kind, expected);
    }
}

/// Every character percent-encoded.
fn encode_all(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// The properties are not vacuous: the generated requests come to every kind of answer,
/// carry codes in the body and the query at once, and repeat names.
#[test]
fn the_generated_requests_reach_every_answer() {
    let mut runner = TestRunner::deterministic();
    let strategy = (login_input(), provider());
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..4_000 {
        let (input, provider) = strategy.new_tree(&mut runner).unwrap().current();
        let label = match reference(provider, &input) {
            Verdict::Code(_) => "code".to_owned(),
            Verdict::Jsapi(code) if code == SilentLoginCode::JsapiErrorUnknown.into() => {
                "jsapi unknown".to_owned()
            }
            Verdict::Jsapi(_) => "jsapi known".to_owned(),
            Verdict::Refused { code, cause } => format!("{} {:?}", code.code(), cause.flatten()),
            Verdict::Unexpected(text) => text,
        };
        seen.insert(label);
        let query_names = form_pairs(input.query.as_deref().unwrap_or(""));
        let body_text = String::from_utf8_lossy(&input.body);
        if query_names
            .iter()
            .any(|(name, _)| ACCEPTED_NAMES.contains(&name.as_str()))
            && ACCEPTED_NAMES.iter().any(|name| body_text.contains(name))
        {
            seen.insert("a name in the body and the query".to_owned());
        }
        if query_names
            .iter()
            .filter(|(name, _)| ACCEPTED_NAMES.contains(&name.as_str()))
            .count()
            > 1
        {
            seen.insert("a name repeated in the query".to_owned());
        }
    }
    for wanted in [
        "code",
        "jsapi unknown",
        "jsapi known",
        "41026 Some(\"param_missing\")",
        "41026 Some(\"param_misspelled\")",
        "41026 Some(\"query_string_wrong\")",
        "41026 Some(\"frontend_no_code\")",
        "700101 None",
        "700102 Some(\"param_misspelled\")",
        "700103 Some(\"empty_value\")",
        "700104 Some(\"malformed_code\")",
        "700105 None",
        "700107 None",
        "a name in the body and the query",
        "a name repeated in the query",
    ] {
        assert!(
            seen.contains(wanted),
            "never generated: {wanted}; saw {seen:?}"
        );
    }
}
