#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties: whatever a client sends as a login body or as a session token, the layer never
//! panics and never authenticates it. Checked on `parse_login` and `KeyRing::unseal` directly,
//! and through the service with `tower::ServiceExt::oneshot` (no network: the provider points
//! at an unroutable base, so a code that was parsed by accident fails fast instead of logging in).

use std::sync::OnceLock;

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;
use silent_login::login::{parse_login, BodyKind, LoginRequest, CODE_PARAMS};
use silent_login::{
    DingTalk, Identity, KeyRing, LoginError, ProviderKind, Session, SessionKey, SilentLoginLayer,
};
use tower::ServiceExt;

/// Nothing listens on the discard port of loopback: a connection is refused at once.
const UNROUTABLE: &str = "http://127.0.0.1:9";

fn config() -> Config {
    Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

fn ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| KeyRing::new(SessionKey::generate()))
}

/// A router behind the layer; `/api/me` answers 200 only with an identity.
fn app() -> &'static Router {
    static APP: OnceLock<Router> = OnceLock::new();
    APP.get_or_init(|| {
        let provider = DingTalk::new("propkey", "propsecret").api_base(UNROUTABLE);
        Router::new()
            .route("/api/me", get(|user: Identity| async move { user.user_id }))
            .layer(SilentLoginLayer::new(provider).session_keys(ring().clone()))
    })
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A real session sealed with the app's ring.
fn real_token() -> String {
    let now = now_ms();
    ring().seal(&Session {
        id: "0123456789abcdef0123456789abcdef".to_owned(),
        identity: Identity {
            provider: ProviderKind::DingTalk,
            user_id: "alice".to_owned(),
            union_id: Some("union-alice".to_owned()),
            open_id: None,
            name: Some("Alice".to_owned()),
            tenant: Some("corp".to_owned()),
            is_admin: false,
            extra: serde_json::Map::new(),
        },
        issued_at_ms: now,
        expires_at_ms: now + 3_600_000,
    })
}

/// Status, `Set-Cookie`s and the JSON body of one request through the app.
fn call(request: Request<Body>) -> (StatusCode, Vec<String>, Value) {
    runtime().block_on(async {
        let response = app().clone().oneshot(request).await.unwrap();
        let status = response.status();
        let cookies = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, cookies, body)
    })
}

/// Whether a response sets a session (a non-empty `silent_login` cookie).
fn sets_a_session(cookies: &[String]) -> bool {
    cookies.iter().any(|cookie| {
        cookie
            .split(';')
            .next()
            .and_then(|pair| pair.trim().split_once('='))
            .is_some_and(|(name, value)| name == "silent_login" && !value.is_empty())
    })
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Keys that are not an accepted code name (nor contain one): random words, near misses, the
/// JSAPI failure keys and a wrapper.
fn key() -> impl Strategy<Value = String> {
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

fn json_value() -> impl Strategy<Value = String> {
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

fn object(pairs: &[(String, String)]) -> String {
    let members: Vec<String> = pairs
        .iter()
        .map(|(key, value)| format!("{}:{value}", serde_json::to_string(key).unwrap()))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// JSON objects without an accepted code name, sometimes cut short or with stray bytes.
fn json_ish() -> impl Strategy<Value = Vec<u8>> {
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
fn form_ish() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((key(), "[ -~]{0,12}"), 0..5).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(key, value)| format!("{key}={}", value.replace('%', "")))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes()
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
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
fn could_name_a_code(bytes: &[u8]) -> bool {
    let lower = bytes.to_ascii_lowercase();
    lower.windows(4).any(|window| window == b"code")
        || lower.contains(&b'%')
        || lower.contains(&b'\\')
}

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

fn query() -> impl Strategy<Value = Option<String>> {
    prop::option::of("[A-Za-z0-9_=&.+-]{0,30}").prop_filter("no accepted name", |query| {
        query
            .as_deref()
            .is_none_or(|query| !could_name_a_code(query.as_bytes()))
    })
}

/// Strings a client might send as a session token.
fn token_ish() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,120}",
        "[ -~]{0,300}",
        "v1\\.[0-9a-f]{0,10}\\.[A-Za-z0-9+/=%_-]{0,200}",
        "[A-Za-z0-9+/=]{0,400}"
            .prop_map(|sealed| format!("v1.{}.{sealed}", ring().keys().next().unwrap().id())),
        (any::<prop::sample::Index>(), "[A-Za-z0-9+/=._%-]").prop_filter_map(
            "a change",
            |(at, replacement)| {
                let token = real_token();
                let at = at.index(token.len());
                let mut bytes = token.clone().into_bytes();
                bytes[at] = replacement.as_bytes()[0];
                let tampered = String::from_utf8(bytes).unwrap();
                (tampered != token).then_some(tampered)
            }
        ),
        (any::<prop::sample::Index>(), 1..40usize).prop_map(|(at, cut)| {
            let token = real_token();
            let at = at.index(token.len());
            let end = (at + cut).min(token.len());
            format!("{}{}", &token[..at], &token[end..])
        }),
    ]
}

// ---------------------------------------------------------------------------------------------
// Login bodies
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parse_login_never_finds_a_code_where_no_accepted_name_is(
        body in body(),
        content_type in content_type(),
        query in query(),
        provider in prop::sample::select(vec![ProviderKind::DingTalk, ProviderKind::Feishu, ProviderKind::Lark]),
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
        let text = serde_json::to_string(&error.body(silent_login::Lang::En, "id")).unwrap();
        prop_assert!(text.len() < 8 * 1024, "the error body grows with the input: {} bytes", text.len());
    }

    #[test]
    fn parse_login_reads_a_code_under_every_accepted_name_in_every_place(
        code in "[A-Za-z0-9_-]{1,64}",
        name in prop::sample::select(CODE_PARAMS.to_vec()),
        place in 0..3u8,
        noise in prop::collection::vec((key(), "[a-z0-9]{0,8}"), 0..3),
    ) {
        let expected = LoginRequest::Code(silent_login::AuthCode::parse(&code).unwrap());
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

    #[test]
    fn login_bodies_through_the_service_never_authenticate_and_agree_with_parse_login(
        body in body(),
        content_type in content_type(),
        query in query(),
    ) {
        let uri = match &query {
            Some(query) => format!("/api/login?{query}"),
            None => "/api/login".to_owned(),
        };
        let mut request = Request::post(uri).body(Body::from(body.clone())).unwrap();
        if let Some(content_type) = &content_type {
            request.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        }
        let (status, cookies, answer) = call(request);
        prop_assert_ne!(status, StatusCode::OK);
        prop_assert!(!sets_a_session(&cookies), "{:?}", cookies);
        let kind = BodyKind::from_content_type(content_type.as_deref());
        match parse_login(ProviderKind::DingTalk, query.as_deref(), kind, &body) {
            Ok(LoginRequest::Code(_)) => {
                prop_assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            }
            Ok(LoginRequest::JsapiFailure(error)) | Err(error) => {
                prop_assert_eq!(status, error.status());
                prop_assert_eq!(&answer["errcode"], &Value::from(error.errcode()), "{:#}", answer);
                prop_assert!(status.is_client_error());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Session tokens
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn unseal_never_opens_anything_but_a_sealed_session(token in token_ish()) {
        let opened = ring().unseal(&token, now_ms());
        prop_assert!(opened.is_err(), "{:?} opened as {:?}", token, opened);
        let error = opened.unwrap_err();
        prop_assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn tokens_through_the_service_never_authenticate(token in token_ish(), as_cookie in any::<bool>()) {
        let value = if as_cookie {
            format!("silent_login={token}")
        } else {
            format!("Bearer {token}")
        };
        let Ok(value) = HeaderValue::from_bytes(value.as_bytes()) else {
            return Err(TestCaseError::reject("not a header value"));
        };
        let header = if as_cookie { COOKIE } else { AUTHORIZATION };
        let request = Request::get("/api/me").header(header, value).body(Body::empty()).unwrap();
        let (status, _, answer) = call(request);
        prop_assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "{:?} answered {}: {:#}", token, status, answer
        );
        let errcode = answer["errcode"].as_i64().unwrap_or_default();
        prop_assert!((700111..=700205).contains(&errcode), "{:#}", answer);
    }
}

#[test]
fn the_real_token_does_authenticate_so_the_properties_are_not_vacuous() {
    let token = real_token();
    assert!(ring().unseal(&token, now_ms()).is_ok());
    let request = Request::get("/api/me")
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, _) = call(request);
    assert_eq!(status, StatusCode::OK);
    let request = Request::get("/api/me")
        .header(COOKIE, format!("silent_login={token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(request).0, StatusCode::OK);
}
