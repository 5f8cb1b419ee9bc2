//! Properties: whatever a client sends as a login request or as a session token, the layer
//! never panics and never authenticates it, and every refusal is the catalog's. Checked through
//! the service with `tower::ServiceExt::oneshot` and on `KeyRing::unseal` directly.
//!
//! A login request is answered as the reference reader of `login_request::tests` (written from
//! CONTRACTS.md section 1, independent of `parse_login`) says: its refusal, its JSAPI entry, or —
//! for a well-formed code — the platform's refusal of a code it never issued (the emulator
//! serves both platforms on loopback: DingTalk 40078, Feishu 20007 on the v1 exchange, which answers both unknown and used codes with it), and never a session.

use std::convert::Infallible;
use std::sync::OnceLock;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use proptest::prelude::*;
use serde_json::Value;
use silent_login_catalog::{DingTalkCode, FeishuCode, KnownCode, ProviderKind, SilentLoginCode};
use silent_login_mock::{demo, MockPlatform};
use tower::{service_fn, Layer, ServiceExt};

use crate::login_request::tests::{login_input, reference_login, LoginInput, Verdict};
use crate::store::now_ms;
use crate::testing::proptest_config;
use crate::{DingTalk, Feishu, Identity, KeyRing, Session, SessionKey, SilentLoginLayer};

/// The layer's default login body limit (CONTRACTS.md 1.1).
const LOGIN_BODY_LIMIT: usize = 4 * 1024;
/// The longest query string a login may carry (CONTRACTS.md 1.1).
const LOGIN_QUERY_LIMIT: usize = 2 * 1024;

/// One multi-threaded runtime for every case, so the emulator keeps serving between them.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// The audience of the DingTalk layer's sessions.
const APP: &str = concat!("dingtalk:", "dingdemoappkey");

/// The emulator both platforms' layers ask; it has issued no code, so it refuses every one.
fn platform() -> &'static MockPlatform {
    static PLATFORM: OnceLock<MockPlatform> = OnceLock::new();
    PLATFORM.get_or_init(|| {
        runtime()
            .block_on(MockPlatform::builder().demo().start())
            .unwrap()
    })
}

fn ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| KeyRing::new(SessionKey::generate()))
}

/// Seals a session with the app's ring (the one place the tests seal).
fn seal(session: &Session) -> String {
    ring().seal(session, APP)
}

/// Opens a token with the app's ring (the one place the tests open).
fn open(token: &str, now_ms: u64) -> Result<Session, crate::LoginError> {
    ring().unseal(token, APP, now_ms)
}

/// One DingTalk layer for every case (one ledger of presented codes, one token cache).
fn layer() -> &'static SilentLoginLayer {
    static LAYER: OnceLock<SilentLoginLayer> = OnceLock::new();
    LAYER.get_or_init(|| {
        let provider = DingTalk::new(demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET)
            .corp_id(demo::DINGTALK_CORP_ID)
            .api_base(platform().base_url());
        SilentLoginLayer::new(provider).session_keys(ring().clone())
    })
}

/// The same for Feishu.
fn feishu_layer() -> &'static SilentLoginLayer {
    static LAYER: OnceLock<SilentLoginLayer> = OnceLock::new();
    LAYER.get_or_init(|| {
        let provider = Feishu::new(demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET)
            .api_base(platform().base_url())
            .oauth(crate::FeishuOAuth::V1);
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
    seal(&Session {
        id: "0123456789abcdef0123456789abcdef".into(),
        identity: Identity::new(crate::IdentityFields {
            provider: ProviderKind::DingTalk,
            user_id: "alice".into(),
            union_id: Some("union-alice".into()),
            open_id: None,
            name: Some("Alice".into()),
            tenant: Some("corp".into()),
            is_admin: false,
            extra: Default::default(),
        }),
        issued_at_ms: now,
        expires_at_ms: now + 3_600_000,
    })
}

/// Status, `Set-Cookie`s and the JSON body of one request through `layer`.
fn call_through(
    layer: &SilentLoginLayer,
    request: Request<Full<Bytes>>,
) -> (StatusCode, Vec<String>, Value) {
    runtime().block_on(async {
        let response = layer
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

/// Through the DingTalk layer.
fn call(request: Request<Full<Bytes>>) -> (StatusCode, Vec<String>, Value) {
    call_through(layer(), request)
}

/// Whether a response sets a session (a non-empty `__Host-silent_login` cookie).
fn sets_a_session(cookies: &[String]) -> bool {
    cookies.iter().any(|cookie| {
        cookie
            .split(';')
            .next()
            .and_then(|pair| pair.trim().split_once('='))
            .is_some_and(|(name, value)| name == "__Host-silent_login" && !value.is_empty())
    })
}

/// A query string as a URI can carry it: bytes a URI may not hold percent-encoded, the rest
/// (`%`, `+`, `&`, `=` included) as they are.
fn uri_query(query: &str) -> String {
    query
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~!$'()*+,;=:@/?&%".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What the layer answers a login request with (entry, and cause where the contract names
/// one): the reference reader's refusal or JSAPI entry; for a well-formed code, the
/// platform's "no such code" (the emulator issued none).
fn expected_login_answer(
    provider: ProviderKind,
    query: Option<&str>,
    input: &LoginInput,
) -> (KnownCode, Option<Option<&'static str>>) {
    // The query string is measured first (CONTRACTS.md 1.1: at most 2 KiB), then the body.
    if query.is_some_and(|query| query.len() > LOGIN_QUERY_LIMIT) {
        return (
            SilentLoginCode::LoginBodyTooLarge.into(),
            Some(Some("query_over_limit")),
        );
    }
    if input.body.len() > LOGIN_BODY_LIMIT {
        return (
            SilentLoginCode::LoginBodyTooLarge.into(),
            Some(Some("body_over_limit")),
        );
    }
    match reference_login(provider, query, input.content_type.as_deref(), &input.body) {
        Verdict::Code(_) => match provider {
            ProviderKind::DingTalk => (DingTalkCode::TmpAuthCodeNotFound.into(), None),
            ProviderKind::Feishu | ProviderKind::Lark => (FeishuCode::AuthCodeInvalid.into(), None),
        },
        Verdict::Jsapi(code) => (code, None),
        Verdict::Refused { code, cause } => (code, cause),
        Verdict::Unexpected(text) => panic!("the reference reader never answers {text}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

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
// Login requests
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn login_requests_are_answered_as_the_reference_reader_says_and_never_log_in(
        input in login_input(),
        feishu in any::<bool>(),
    ) {
        let (layer, provider) = if feishu {
            (feishu_layer(), ProviderKind::Feishu)
        } else {
            (layer(), ProviderKind::DingTalk)
        };
        let uri = match &input.query {
            Some(query) => format!("/api/login?{}", uri_query(query)),
            None => "/api/login".to_owned(),
        };
        let mut request = Request::post(uri).body(Full::new(Bytes::from(input.body.clone()))).unwrap();
        if let Some(content_type) = &input.content_type {
            request.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        }
        let query = request.uri().query().map(str::to_owned);
        let (code, cause) = expected_login_answer(provider, query.as_deref(), &input);
        let (status, cookies, answer) = call_through(layer, request);
        prop_assert!(!sets_a_session(&cookies), "{:?}", cookies);
        prop_assert_eq!(
            (answer["provider"].as_str(), answer["errcode"].as_i64()),
            (Some(code.provider()), Some(i64::from(code.code()))),
            "query {:?}: {:#}", query, answer
        );
        prop_assert_eq!(status.as_u16(), code.entry().http_status, "{:#}", answer);
        prop_assert_ne!(status, StatusCode::OK);
        if let Some(cause) = cause {
            prop_assert_eq!(answer["cause_id"].as_str(), cause, "{:#}", answer);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Session tokens
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn unseal_never_opens_anything_but_a_sealed_session(token in token_ish()) {
        let opened = open(&token, now_ms());
        prop_assert!(opened.is_err(), "{:?} opened as {:?}", token, opened);
        let error = opened.unwrap_err();
        prop_assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
        // Every refusal of a token is explained in both languages.
        if let Some(problem) = error.detail().and_then(crate::testing::untranslated) {
            return Err(TestCaseError::fail(problem));
        }
    }

    #[test]
    fn tokens_through_the_service_never_authenticate(token in token_ish(), as_cookie in any::<bool>()) {
        let value = if as_cookie {
            format!("__Host-silent_login={token}")
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
    assert!(open(&token, now_ms()).is_ok());
    let request = Request::get("/api/me")
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .body(Full::default())
        .unwrap();
    let (status, _, _) = call(request);
    assert_eq!(status, StatusCode::OK);
    let request = Request::get("/api/me")
        .header(COOKIE, format!("__Host-silent_login={token}"))
        .body(Full::default())
        .unwrap();
    assert_eq!(call(request).0, StatusCode::OK);
}
