//! The service without sockets, as tower-http tests each middleware: requests go through
//! `ServiceExt::oneshot` to a `service_fn` that records what reached it. Which path the layer
//! answers itself, which it passes on, and how it refuses over HTTP and gRPC.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{
    ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, COOKIE, SET_COOKIE, WWW_AUTHENTICATE,
};
use http::{Extensions, HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use parking_lot::Mutex;
use serde_json::Value;
use silent_login_catalog::SilentLoginCode;
use silent_login_mock::{demo, MintCode, MockPlatform};
use tower::{service_fn, Layer, ServiceExt};

use crate::{
    DingTalk, Identity, IdentityRejection, KeyRing, Mode, ProviderKind, Session, SessionInfo,
    SessionKey, SilentLoginLayer, GRPC_AUTH_CODE, GRPC_SESSION_TOKEN,
};

/// Nothing listens on the discard port of loopback: a login that reaches the platform fails fast.
const UNROUTABLE: &str = "http://127.0.0.1:9";

/// What reached the inner service: the headers and extensions of each request.
type Seen = Arc<Mutex<Vec<(HeaderMap, Extensions)>>>;

/// The layer's answer to one request, and what reached the inner service.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    seen: Vec<(HeaderMap, Extensions)>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", self.body))
    }

    fn errcode(&self) -> i64 {
        self.json()["errcode"].as_i64().unwrap()
    }

    fn header(&self, name: impl http::header::AsHeaderName) -> &str {
        self.headers
            .get(name)
            .map_or("", |value| value.to_str().unwrap())
    }

    fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|value| value.to_str().unwrap())
            .collect()
    }

    fn clears_the_cookie(&self) -> bool {
        self.set_cookies().iter().any(|cookie| {
            cookie.starts_with("__Host-silent_login=;") && cookie.contains("Max-Age=0")
        })
    }

    fn reached_inner(&self) -> bool {
        !self.seen.is_empty()
    }

    /// The extensions of the one request that reached the inner service.
    fn extensions(&self) -> &Extensions {
        assert_eq!(
            self.seen.len(),
            1,
            "exactly one request reaches the inner service"
        );
        &self.seen[0].1
    }

    /// The `grpc-status` of a Trailers-Only answer.
    fn grpc_status(&self) -> &str {
        assert_eq!(self.status, StatusCode::OK, "gRPC errors are HTTP 200");
        assert!(self.body.is_empty(), "Trailers-Only has no body");
        self.header("grpc-status")
    }
}

/// Sends `request` through `layer` around an inner service that records what it sees and
/// answers `200 inner`.
async fn send(layer: &SilentLoginLayer, request: Request<Full<Bytes>>) -> Answer {
    let seen: Seen = Arc::default();
    let recorder = seen.clone();
    let inner = service_fn(move |request: Request<Full<Bytes>>| {
        let recorder = recorder.clone();
        async move {
            let (parts, _) = request.into_parts();
            recorder.lock().push((parts.headers, parts.extensions));
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"inner"))))
        }
    });
    let response = layer.layer(inner).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let seen = std::mem::take(&mut *seen.lock());
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
        seen,
    }
}

/// A DingTalk layer whose platform cannot be reached.
/// The audience of the sessions of `layer()`.
const APP: &str = "dingtalk:dingkey";
/// The audience of the demo DingTalk app's sessions.
const DEMO_APP: &str = concat!("dingtalk:", "dingdemoappkey");

fn layer() -> SilentLoginLayer {
    SilentLoginLayer::new(DingTalk::new("dingkey", "dingsecret").api_base(UNROUTABLE))
}

fn request(method: Method, uri: &str) -> http::request::Builder {
    Request::builder().method(method).uri(uri)
}

fn get(uri: &str) -> Request<Full<Bytes>> {
    request(Method::GET, uri).body(Full::default()).unwrap()
}

fn post_json(uri: &str, json: &str) -> Request<Full<Bytes>> {
    request(Method::POST, uri)
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::copy_from_slice(json.as_bytes())))
        .unwrap()
}

/// A unary gRPC call to `uri` with extra headers.
fn grpc(uri: &str, headers: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let mut builder = request(Method::POST, uri).header(CONTENT_TYPE, "application/grpc");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Full::default()).unwrap()
}

fn alice() -> Identity {
    Identity::new(crate::IdentityFields {
        provider: ProviderKind::DingTalk,
        user_id: "alice".into(),
        union_id: Some("union-alice".into()),
        open_id: None,
        name: Some("Alice".into()),
        tenant: Some("dingcorp".into()),
        is_admin: false,
        extra: Default::default(),
    })
}

/// A session of alice for the next hour.
fn session() -> Session {
    let now = crate::store::now_ms();
    Session {
        id: "0123456789abcdef0123456789abcdef".into(),
        identity: alice(),
        issued_at_ms: now,
        expires_at_ms: now + 3_600_000,
    }
}

/// A token sealed with `ring` whose sealed part was altered.
fn tampered(ring: &KeyRing) -> String {
    let token = ring.seal(&session(), APP);
    let mut bytes = token.into_bytes();
    let at = bytes.len() - 10;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_login_path_is_answered_by_the_layer_and_never_reaches_the_inner_service() {
    let answer = send(&layer(), post_json("/api/login", "{}")).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.errcode(),
        41026,
        "DingTalk's own `missing tmp_auth_code`"
    );
    assert_eq!(answer.json()["cause_id"], "param_missing");
    assert!(answer.header(CONTENT_TYPE).starts_with("application/json"));
    assert_eq!(answer.header(CACHE_CONTROL), "no-store");
    assert!(!answer.reached_inner());

    // A moved login path: the default one is then an ordinary protected path.
    let moved = layer().login_path("/auth/dingtalk");
    let answer = send(&moved, post_json("/auth/dingtalk?x=1", "{}")).await;
    assert_eq!(answer.errcode(), 41026);
    assert!(!answer.reached_inner());
    let answer = send(&moved, post_json("/api/login", "{}")).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.errcode(), 700201);
    assert!(!answer.reached_inner());
}

#[tokio::test]
async fn a_login_the_platform_vouches_for_opens_a_session_the_next_request_carries() {
    let mock = MockPlatform::builder().demo().start().await.unwrap();
    let layer = SilentLoginLayer::new(
        DingTalk::new(demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET)
            .corp_id(demo::DINGTALK_CORP_ID)
            .api_base(mock.base_url()),
    );
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    let login = send(&layer, post_json(&format!("/api/login?code={code}"), "")).await;
    assert_eq!(login.status, StatusCode::OK, "{:?}", login.body);
    assert!(!login.reached_inner());
    let body = login.json();
    assert_eq!(body["user_id"], demo::ALICE);
    let cookie = login.set_cookies()[0].split(';').next().unwrap().to_owned();
    assert_eq!(
        cookie,
        format!("__Host-silent_login={}", body["token"].as_str().unwrap())
    );

    let next = request(Method::GET, "/api/me")
        .header(COOKIE, cookie)
        .body(Full::default())
        .unwrap();
    let answer = send(&layer, next).await;
    assert_eq!(answer.status, StatusCode::OK);
    let identity = answer.extensions().get::<Identity>().unwrap();
    assert_eq!(identity.user_id, demo::ALICE);
    assert_eq!(identity.tenant.as_deref(), Some(demo::DINGTALK_CORP_ID));
}

#[tokio::test]
async fn the_logout_path_is_answered_by_the_layer_and_clears_the_cookie() {
    for (uri, all) in [("/api/logout", false), ("/api/logout?all=1", true)] {
        let answer = send(
            &layer(),
            request(Method::POST, uri).body(Full::default()).unwrap(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}");
        assert_eq!(
            answer.json(),
            serde_json::json!({ "logged_out": true, "all": all })
        );
        assert!(answer.clears_the_cookie(), "{:?}", answer.set_cookies());
        assert_eq!(answer.header(CACHE_CONTROL), "no-store");
        assert!(!answer.reached_inner());
    }
}

#[tokio::test]
async fn login_and_logout_by_any_method_but_post_are_405_with_allow_post() {
    for (method, uri) in [
        (Method::GET, "/api/login"),
        (Method::PUT, "/api/login"),
        (Method::DELETE, "/api/login"),
        (Method::GET, "/api/logout"),
    ] {
        let answer = send(
            &layer(),
            request(method.clone(), uri).body(Full::default()).unwrap(),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}"
        );
        assert_eq!(answer.header(ALLOW), "POST");
        assert_eq!(answer.errcode(), 700108);
        assert!(!answer.reached_inner());
    }
}

#[tokio::test]
async fn public_exact_paths_and_prefixes_reach_the_inner_service_without_a_session() {
    let layer = layer().public_path("/healthz").public_prefix("/static/");
    for path in [
        "/healthz",
        "/healthz?probe=1",
        "/static/app.js",
        "/static/css/site.css",
    ] {
        let answer = send(&layer, get(path)).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(answer.body, "inner");
        let extensions = answer.extensions();
        assert!(extensions.get::<Identity>().is_none());
        assert!(extensions.get::<IdentityRejection>().is_none());
    }
    for path in ["/healthz/", "/healthzz", "/statics/app.js", "/static"] {
        let answer = send(&layer, get(path)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(!answer.reached_inner(), "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_protected_path_without_a_session_is_refused_with_401_and_the_catalog_body() {
    let request = request(Method::GET, "/api/me")
        .header("x-request-id", "req-1")
        .body(Full::default())
        .unwrap();
    let answer = send(&layer(), request).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.header(WWW_AUTHENTICATE),
        r#"Bearer realm="silent-login""#
    );
    assert!(answer.header(CONTENT_TYPE).starts_with("application/json"));
    assert_eq!(answer.header(CACHE_CONTROL), "no-store");
    assert_eq!(answer.header("x-request-id"), "req-1");
    let body = answer.json();
    assert_eq!(body["provider"], "silent-login");
    assert_eq!(body["errcode"], 700201);
    assert_eq!(body["request_id"], "req-1");
    assert!(
        answer.set_cookies().is_empty(),
        "no session, nothing to clear"
    );
    assert!(!answer.reached_inner());
}

#[tokio::test]
async fn a_tampered_bearer_is_refused_as_session_invalid_and_clears_the_cookie() {
    let ring = KeyRing::new(SessionKey::generate());
    let layer = layer().session_keys(ring.clone());
    let request = request(Method::GET, "/api/me")
        .header(AUTHORIZATION, format!("Bearer {}", tampered(&ring)))
        .body(Full::default())
        .unwrap();
    let answer = send(&layer, request).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.errcode(),
        i64::from(SilentLoginCode::SessionInvalid.code())
    );
    assert!(answer
        .header(WWW_AUTHENTICATE)
        .contains(r#"error="invalid_token""#));
    assert!(answer.clears_the_cookie(), "{:?}", answer.set_cookies());
    assert!(!answer.reached_inner());
}

#[tokio::test]
async fn a_session_sealed_with_the_layer_s_keys_reaches_the_inner_service_with_identity_and_session_info(
) {
    let ring = KeyRing::new(SessionKey::generate());
    let layer = layer().session_keys(ring.clone());
    let session = session();
    let token = ring.seal(&session, APP);
    for (header, value) in [
        (AUTHORIZATION, format!("Bearer {token}")),
        (COOKIE, format!("theme=dark; __Host-silent_login={token}")),
    ] {
        let request = request(Method::GET, "/api/me")
            .header(header.clone(), value)
            .body(Full::default())
            .unwrap();
        let answer = send(&layer, request).await;
        assert_eq!(answer.status, StatusCode::OK, "{header}");
        assert_eq!(answer.body, "inner");
        let extensions = answer.extensions();
        assert_eq!(extensions.get::<Identity>(), Some(&alice()));
        assert_eq!(extensions.get::<SessionInfo>(), Some(&session.info()));
        assert!(extensions.get::<IdentityRejection>().is_none());
    }
}

#[tokio::test]
async fn optional_mode_passes_the_request_on_with_the_rejection_the_layer_would_have_answered() {
    let ring = KeyRing::new(SessionKey::generate());
    let optional = layer().session_keys(ring.clone()).mode(Mode::Optional);
    let required = layer().session_keys(ring.clone());

    let answer = send(&optional, get("/feed")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let extensions = answer.extensions();
    assert!(extensions.get::<Identity>().is_none());
    let rejection = extensions.get::<IdentityRejection>().unwrap();
    assert_eq!(rejection.status(), StatusCode::UNAUTHORIZED);
    assert!(rejection.error().is(SilentLoginCode::SessionMissing));
    assert!(rejection.body_text().contains("\"errcode\":700201"));

    // A dead session: the rejection answers exactly as the layer does in required mode.
    let dead = || {
        request(Method::GET, "/feed")
            .header(COOKIE, format!("__Host-silent_login={}", tampered(&ring)))
            .body(Full::default())
            .unwrap()
    };
    let passed = send(&optional, dead()).await;
    let refused = send(&required, dead()).await;
    let rejection = passed
        .extensions()
        .get::<IdentityRejection>()
        .unwrap()
        .clone();
    assert!(rejection.error().is(SilentLoginCode::SessionInvalid));
    assert!(rejection.to_string().contains("700203"), "{rejection}");
    let response = rejection.into_response::<Full<Bytes>>();
    assert_eq!(response.status(), refused.status);
    for name in [WWW_AUTHENTICATE, SET_COOKIE, CONTENT_TYPE, CACHE_CONTROL] {
        assert_eq!(
            response.headers().get(&name),
            refused.headers.get(&name),
            "{name}"
        );
    }
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errcode"], refused.json()["errcode"]);
    assert_eq!(body["detail"], refused.json()["detail"]);

    // A good session is simply accepted.
    let good = request(Method::GET, "/feed")
        .header(
            AUTHORIZATION,
            format!("Bearer {}", ring.seal(&session(), APP)),
        )
        .body(Full::default())
        .unwrap();
    let answer = send(&optional, good).await;
    assert_eq!(answer.extensions().get::<Identity>(), Some(&alice()));
    assert!(answer.extensions().get::<IdentityRejection>().is_none());
}

// ---------------------------------------------------------------------------------------------
// gRPC
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_grpc_call_without_a_session_gets_a_trailers_only_unauthenticated() {
    for content_type in [
        "application/grpc",
        "application/grpc+proto",
        "application/grpc-web+proto",
    ] {
        let request = request(Method::POST, "/demo.Greeter/SayHello")
            .header(CONTENT_TYPE, content_type)
            .body(Full::default())
            .unwrap();
        let answer = send(&layer(), request).await;
        assert_eq!(
            answer.grpc_status(),
            "16",
            "{content_type}: UNAUTHENTICATED"
        );
        assert!(!answer.header("grpc-message").is_empty());
        assert_eq!(answer.header(CONTENT_TYPE), content_type);
        assert!(answer.headers.get(WWW_AUTHENTICATE).is_none());
        assert!(!answer.reached_inner());
    }
}

#[tokio::test]
async fn a_grpc_call_with_a_dead_session_keeps_its_cookie_out_of_it() {
    let ring = KeyRing::new(SessionKey::generate());
    let layer = layer().session_keys(ring.clone());
    let bearer = format!("Bearer {}", tampered(&ring));
    let answer = send(
        &layer,
        grpc("/demo.Greeter/SayHello", &[("authorization", &bearer)]),
    )
    .await;
    assert_eq!(answer.grpc_status(), "16");
    assert!(
        answer.set_cookies().is_empty(),
        "{:?}",
        answer.set_cookies()
    );
    assert!(!answer.reached_inner());

    let good = format!("Bearer {}", ring.seal(&session(), APP));
    let answer = send(
        &layer,
        grpc("/demo.Greeter/SayHello", &[("authorization", &good)]),
    )
    .await;
    assert_eq!(answer.extensions().get::<Identity>(), Some(&alice()));
}

#[tokio::test]
async fn a_grpc_login_with_an_empty_code_is_invalid_argument_before_the_method_runs() {
    let answer = send(
        &layer(),
        grpc("/demo.Greeter/SayHello", &[(GRPC_AUTH_CODE, "")]),
    )
    .await;
    assert_eq!(answer.grpc_status(), "3", "INVALID_ARGUMENT");
    assert!(!answer.reached_inner());
}

#[tokio::test]
async fn a_grpc_login_the_platform_cannot_answer_is_unavailable() {
    let answer = send(
        &layer(),
        grpc("/demo.Greeter/SayHello", &[(GRPC_AUTH_CODE, "a-code")]),
    )
    .await;
    assert_eq!(answer.grpc_status(), "14", "UNAVAILABLE");
    assert!(answer.headers.get(GRPC_SESSION_TOKEN).is_none());
    assert!(!answer.reached_inner());
}

#[tokio::test]
async fn a_grpc_login_runs_the_method_with_the_identity_and_returns_the_session_token() {
    let mock = MockPlatform::builder().demo().start().await.unwrap();
    let ring = KeyRing::new(SessionKey::generate());
    let layer = SilentLoginLayer::new(
        DingTalk::new(demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET)
            .corp_id(demo::DINGTALK_CORP_ID)
            .api_base(mock.base_url()),
    )
    .session_keys(ring.clone());
    let code = mock.mint_code(MintCode::dingtalk(demo::BOB)).unwrap();

    let answer = send(
        &layer,
        grpc("/demo.Greeter/SayHello", &[(GRPC_AUTH_CODE, &code)]),
    )
    .await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, "inner", "the method ran");
    let (headers, extensions) = &answer.seen[0];
    assert!(
        headers.get(GRPC_AUTH_CODE).is_none(),
        "the code is not passed on"
    );
    assert_eq!(extensions.get::<Identity>().unwrap().user_id, demo::BOB);
    assert!(extensions.get::<SessionInfo>().is_some());
    let token = answer.header(GRPC_SESSION_TOKEN);
    let opened = ring
        .unseal(token, DEMO_APP, crate::store::now_ms())
        .unwrap();
    assert_eq!(opened.identity.user_id, demo::BOB);
    assert!(
        answer.set_cookies().is_empty(),
        "gRPC clients get no cookie"
    );
}

mod details;
mod properties;
