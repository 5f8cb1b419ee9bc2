//! Properties: whatever a client sends as a login body or as a session token, the layer never
//! panics and never authenticates it, and every refusal is the catalog's. Checked through the
//! service with `tower::ServiceExt::oneshot` (no network: the provider points at an unroutable
//! base, so a code that reaches the platform fails fast instead of logging in) and on
//! `KeyRing::unseal` directly. `parse_login` itself is property-tested in `login_request`, whose
//! generators these share.

use std::convert::Infallible;
use std::sync::OnceLock;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use proptest::prelude::*;
use serde_json::Value;
use silent_login_catalog::{KnownCode, ProviderKind, SilentLoginCode};
use tower::{service_fn, Layer, ServiceExt};

use crate::login_request::tests::{body, config, content_type, query};
use crate::login_request::CODE_PARAMS as CODE_NAMES;
use crate::store::now_ms;
use crate::{DingTalk, Identity, KeyRing, Session, SessionKey, SilentLoginLayer};

/// Nothing listens on the discard port of loopback: a connection is refused at once.
const UNROUTABLE: &str = "http://127.0.0.1:9";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

/// The audience of `layer()`'s sessions.
const APP: &str = "dingtalk:propkey";

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
    ring().seal(
        &Session {
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
        },
        APP,
    )
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

/// The catalog entry an error body names by its `provider` and `errcode`.
fn entry_of(answer: &Value) -> Option<&'static silent_login_catalog::Entry> {
    let provider = answer["provider"].as_str()?;
    let errcode = i32::try_from(answer["errcode"].as_i64()?).ok()?;
    KnownCode::from_key(provider, errcode).map(KnownCode::entry)
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

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
        let opened = ring().unseal(&token, APP, now_ms());
        prop_assert!(opened.is_err(), "{:?} opened as {:?}", token, opened);
        let error = opened.unwrap_err();
        prop_assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
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
    assert!(ring().unseal(&token, APP, now_ms()).is_ok());
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
