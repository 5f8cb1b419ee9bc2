//! `parse_login` by example — every accepted name and place, near misses, empty, missing and
//! misplaced codes, unreadable bodies, JSAPI failure reports — and by property: no code where no
//! accepted name is, a code under every accepted name, any `Content-Type` classified.

use proptest::prelude::*;
use proptest::test_runner::Config;

use super::*;

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
            format!("got `{got}`, expected `{expected}`")
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
    assert!(nested.detail().unwrap().contains("inside `data`"));
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
    let Ok(LoginRequest::JsapiFailure(unknown)) = dingtalk(
        None,
        BodyKind::Json,
        r#"{"errorCode":3,"errorMessage":"1002,corpId不合法"}"#,
    ) else {
        panic!("expected a JSAPI failure");
    };
    assert!(unknown.is(SilentLoginCode::JsapiErrorUnknown));
    assert!(unknown.detail().unwrap().contains("corpId不合法"));
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

pub(crate) fn config() -> Config {
    Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Keys that are not an accepted code name (nor contain one): random words, near misses, the
/// JSAPI failure keys and a wrapper.
pub(crate) fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z_]{0,14}".prop_filter("not a code name", |key| {
            !key.to_ascii_lowercase().contains("code")
        }),
        1 => prop::sample::select(vec![
            "temp_auth_code", "tmpAuthCode", "authcode", "Code", "tmp_authcode", "errCode",
            "errno", "errorCode", "errMsg", "data", "", "TMP_AUTH_CODE",
        ])
        .prop_map(str::to_owned),
    ]
}

pub(crate) fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| format!("{n:?}")),
        "[a-zA-Z0-9 _.-]{0,16}".prop_map(|s| format!("\"{s}\"")),
        "\\PC{0,8}".prop_map(|s| serde_json::to_string(&s).unwrap()),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec((key(), inner), 0..4).prop_map(|pairs| object(&pairs)),
        ]
    })
}

/// A JSON object of already-encoded values.
pub(crate) fn object(pairs: &[(String, String)]) -> String {
    let members: Vec<String> = pairs
        .iter()
        .map(|(key, value)| format!("{}:{value}", serde_json::to_string(key).unwrap()))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// JSON objects without an accepted code name, sometimes cut short or with stray bytes.
pub(crate) fn json_ish() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((key(), json_value()), 0..6),
        any::<prop::sample::Index>(),
        0..4u8,
    )
        .prop_map(|(pairs, cut, damage)| {
            let mut text = object(&pairs).into_bytes();
            match damage {
                0 => text.truncate(cut.index(text.len() + 1)),
                1 => text.insert(cut.index(text.len() + 1), b'\xff'),
                _ => {}
            }
            text
        })
}

/// Form bodies without an accepted code name.
pub(crate) fn form_ish() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((key(), "[ -~]{0,12}"), 0..5).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(key, value)| format!("{key}={}", value.replace('%', "")))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes()
    })
}

/// Bodies of any shape in which no accepted name can hide.
pub(crate) fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        json_ish(),
        form_ish(),
    ]
    .prop_filter("no accepted name can hide in it", |bytes| {
        !could_name_a_code(bytes)
    })
}

/// A body or query that spells `code` in any case, or could encode it (`%63`, `\u0063`).
pub(crate) fn could_name_a_code(bytes: &[u8]) -> bool {
    let lower = bytes.to_ascii_lowercase();
    lower.windows(4).any(|window| window == b"code")
        || lower.contains(&b'%')
        || lower.contains(&b'\\')
}

pub(crate) fn content_type() -> impl Strategy<Value = Option<String>> {
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

pub(crate) fn query() -> impl Strategy<Value = Option<String>> {
    prop::option::of("[A-Za-z0-9_=&.+-]{0,30}").prop_filter("no accepted name", |query| {
        query
            .as_deref()
            .is_none_or(|query| !could_name_a_code(query.as_bytes()))
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parse_login_never_finds_a_code_where_no_accepted_name_is(
        body in body(),
        content_type in content_type(),
        query in query(),
        provider in prop::sample::select(ProviderKind::ALL.to_vec()),
    ) {
        let kind = BodyKind::from_content_type(content_type.as_deref());
        let parsed = parse_login(provider, query.as_deref(), kind, &body);
        prop_assert!(
            !matches!(parsed, Ok(LoginRequest::Code(_))),
            "a code came out of {:?} / {:?}", String::from_utf8_lossy(&body), query
        );
        let error: LoginError = match parsed {
            Ok(LoginRequest::JsapiFailure(error)) | Err(error) => error,
            Ok(LoginRequest::Code(_)) => unreachable!(),
        };
        prop_assert!(error.status().is_client_error(), "{error}: {}", error.status());
        let text = serde_json::to_string(&error.body(silent_login_catalog::Lang::En, "id")).unwrap();
        prop_assert!(text.len() < 8 * 1024, "the error body grows with the input: {} bytes", text.len());
    }

    #[test]
    fn parse_login_reads_a_code_under_every_accepted_name_in_every_place(
        code in "[A-Za-z0-9_-]{1,64}",
        name in prop::sample::select(CODE_PARAMS.to_vec()),
        place in 0..3u8,
        noise in prop::collection::vec((key(), "[a-z0-9]{0,8}"), 0..3),
    ) {
        let expected = LoginRequest::Code(AuthCode::parse(&code).unwrap());
        let mut pairs: Vec<(String, String)> =
            noise.into_iter().map(|(key, value)| (key, format!("\"{value}\""))).collect();
        pairs.push((name.to_owned(), format!("\"{code}\"")));
        let form: String = pairs
            .iter()
            .map(|(key, value)| format!("{key}={}", value.trim_matches('"')))
            .collect::<Vec<_>>()
            .join("&");
        let parsed = match place {
            0 => parse_login(ProviderKind::DingTalk, None, BodyKind::Json, object(&pairs).as_bytes()),
            1 => parse_login(ProviderKind::DingTalk, None, BodyKind::Form, form.as_bytes()),
            _ => parse_login(ProviderKind::Feishu, Some(&form), BodyKind::Empty, b""),
        };
        prop_assert_eq!(parsed, Ok(expected));
    }

    #[test]
    fn content_types_of_any_shape_are_classified_without_panicking(content_type in "\\PC{0,60}") {
        let kind = BodyKind::from_content_type(Some(&content_type));
        let essence = content_type.split(';').next().unwrap().trim().to_ascii_lowercase();
        if kind == BodyKind::Json {
            prop_assert!(essence == "application/json" || essence.ends_with("+json"));
        }
    }
}
