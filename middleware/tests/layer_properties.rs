//! Properties: whatever a client sends as a login body or as a session token, the layer never
//! panics and never authenticates it, and every refusal is the catalog's. Checked through the
//! service with `tower::ServiceExt::oneshot` (no network: the provider points at an unroutable
//! base, so a code that reaches the platform fails fast instead of logging in) and on
//! `KeyRing::unseal` directly. `parse_login` itself is property-tested inside the crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::convert::Infallible;
use std::sync::OnceLock;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;
use silent_login::catalog::{KnownCode, SilentLoginCode};
use silent_login::{
    DingTalk, Identity, KeyRing, ProviderKind, Session, SessionKey, SilentLoginLayer,
};
use support::{now_ms, UNROUTABLE};
use tower::{service_fn, Layer, ServiceExt};

/// The names a code is accepted under (docs/CONTRACTS.md, 1.1).
const CODE_NAMES: [&str; 4] = ["tmp_auth_code", "code", "authCode", "auth_code"];

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

/// One layer for every case (one ledger of presented codes, one token cache).
fn layer() -> &'static SilentLoginLayer {
    static LAYER: OnceLock<SilentLoginLayer> = OnceLock::new();
    LAYER.get_or_init(|| {
        let provider = DingTalk::new("propkey", "propsecret").api_base(UNROUTABLE);
        SilentLoginLayer::new(provider).session_keys(ring().clone())
    })
}

/// The inner service: 200 with the user id only when the layer vouched for someone.
async fn inner(request: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::default());
    match request.extensions().get::<Identity>() {
        Some(user) => *response.body_mut() = Full::new(Bytes::from(user.user_id.clone())),
        None => *response.status_mut() = StatusCode::IM_A_TEAPOT,
    }
    Ok(response)
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

/// Status, `Set-Cookie`s and the JSON body of one request through the layer.
fn call(request: Request<Full<Bytes>>) -> (StatusCode, Vec<String>, Value) {
    runtime().block_on(async {
        let response = layer()
            .layer(service_fn(inner))
            .oneshot(request)
            .await
            .unwrap();
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

/// The catalog entry an error body names by its `provider` and `errcode`.
fn entry_of(answer: &Value) -> Option<&'static silent_login::catalog::Entry> {
    let provider = answer["provider"].as_str()?;
    let errcode = i32::try_from(answer["errcode"].as_i64()?).ok()?;
    KnownCode::from_key(provider, errcode).map(KnownCode::entry)
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

/// A login request: (query, `Content-Type`, body, whether it carries a code under an accepted
/// name). Most carry none — bodies of any shape in which no accepted name can hide; some carry a
/// well-formed code in the JSON body, the form body or the query.
type LoginRequest = (Option<String>, Option<String>, Vec<u8>, bool);

fn login_request() -> impl Strategy<Value = LoginRequest> {
    let without_code = (query(), content_type(), body())
        .prop_map(|(query, content_type, body)| (query, content_type, body, false));
    let with_code = (
        "[A-Za-z0-9_-]{1,64}",
        prop::sample::select(CODE_NAMES.to_vec()),
        0..3u8,
    )
        .prop_map(|(code, name, place)| match place {
            0 => (
                None,
                Some("application/json".to_owned()),
                serde_json::json!({ name: code }).to_string().into_bytes(),
                true,
            ),
            1 => (
                None,
                Some("application/x-www-form-urlencoded".to_owned()),
                format!("{name}={code}").into_bytes(),
                true,
            ),
            _ => (Some(format!("{name}={code}")), None, Vec::new(), true),
        });
    // A code that reaches the unroutable platform costs the token cache's backoff: keep them few.
    prop_oneof![15 => without_code, 1 => with_code]
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
    fn login_requests_never_authenticate_and_are_refused_with_their_catalog_status(
        (query, content_type, body, carries_a_code) in login_request(),
    ) {
        let uri = match &query {
            Some(query) => format!("/api/login?{query}"),
            None => "/api/login".to_owned(),
        };
        let mut request = Request::post(uri).body(Full::new(Bytes::from(body))).unwrap();
        if let Some(content_type) = &content_type {
            request.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        }
        let (status, cookies, answer) = call(request);
        prop_assert_ne!(status, StatusCode::OK);
        prop_assert!(!sets_a_session(&cookies), "{:?}", cookies);
        let entry = entry_of(&answer);
        prop_assert!(entry.is_some(), "not a catalog error body: {:#}", answer);
        let entry = entry.unwrap();
        prop_assert_eq!(status.as_u16(), entry.http_status, "{:#}", answer);
        if carries_a_code {
            // Well formed: it went to the platform, which cannot be reached.
            prop_assert_eq!(
                &answer["errcode"],
                &Value::from(SilentLoginCode::UpstreamUnreachable.code()),
                "{:#}", answer
            );
            prop_assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        } else {
            prop_assert!(status.is_client_error(), "{} for {:#}", status, answer);
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
        let request = Request::get("/api/me").header(header, value).body(Full::default()).unwrap();
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
        .body(Full::default())
        .unwrap();
    let (status, _, _) = call(request);
    assert_eq!(status, StatusCode::OK);
    let request = Request::get("/api/me")
        .header(COOKIE, format!("silent_login={token}"))
        .body(Full::default())
        .unwrap();
    assert_eq!(call(request).0, StatusCode::OK);
}
