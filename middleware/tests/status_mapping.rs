//! Every catalog code, as the layer answers it: over HTTP with the entry's `http_status`, over gRPC
//! as a Trailers-Only answer whose `grpc-status` is the one docs/CONTRACTS.md (section 5.1)
//! assigns to that HTTP status.
//!
//! A provider that answers each code with the catalog error the code names lets every code of
//! the three catalogs (and a platform code no catalog knows) come out of the layer itself, with
//! no platform, no socket and no clock involved.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::future::Ready;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use silent_login::catalog::{codes_of, KnownCode};
use silent_login::provider::ExchangeFuture;
use silent_login::{
    AuthCode, LoginError, Provider, ProviderKind, SilentLogin, SilentLoginLayer, TokenCache,
    Upstream,
};
use tower::util::ServiceFn;
use tower::{service_fn, Layer, ServiceExt};

/// The gRPC status code a catalog `http_status` is answered with, and its canonical name.
///
/// Written from docs/CONTRACTS.md, section 5.1, and the meaning of gRPC's canonical codes
/// (grpc/doc/statuscodes.md), not from the implementation. gRPC's
/// doc/http-grpc-status-mapping.md is the other direction's table: what a *client* concludes
/// from an HTTP answer that carries no `grpc-status` at all (400 → INTERNAL, 429 and 504 →
/// UNAVAILABLE, …). Our answers always carry `grpc-status`, so that table does not apply; the
/// two agree on 401, 403, 502 and 503.
fn grpc_status_for(http_status: u16) -> Option<(i32, &'static str)> {
    Some(match http_status {
        // The request itself is wrong: retrying it unchanged cannot help.
        400 | 405 | 413 | 415 | 431 => (3, "INVALID_ARGUMENT"),
        401 => (16, "UNAUTHENTICATED"),
        403 => (7, "PERMISSION_DENIED"),
        429 => (8, "RESOURCE_EXHAUSTED"),
        500 => (13, "INTERNAL"),
        502 | 503 => (14, "UNAVAILABLE"),
        // The client (408: its body did not arrive in time) or the platform (504) ran out of time.
        408 | 504 => (4, "DEADLINE_EXCEEDED"),
        _ => return None,
    })
}

/// Every code of the three catalogs.
fn every_code() -> Vec<KnownCode> {
    let codes: Vec<KnownCode> = ["dingtalk", "feishu", "silent-login"]
        .into_iter()
        .flat_map(codes_of)
        .collect();
    assert_eq!(
        codes.len(),
        KnownCode::all().count(),
        "codes_of covers every catalog"
    );
    codes
}

/// A provider whose exchange of the code `<catalog>:<code>:<nonce>` fails with that catalog
/// error; `unknown:<code>:<nonce>` is a DingTalk answer with a code no catalog knows.
#[derive(Debug)]
struct AnswersWithTheNamedError;

/// A DingTalk code that is in no catalog.
const UNKNOWN_PLATFORM_CODE: i32 = 987_654_321;

fn named_error(code: &str) -> LoginError {
    let mut parts = code.split(':');
    let (catalog, number) = (parts.next().unwrap(), parts.next().unwrap());
    let number: i32 = number.parse().unwrap();
    if catalog == "unknown" {
        return LoginError::from_platform(
            ProviderKind::DingTalk,
            Upstream {
                errcode: i64::from(number),
                errmsg: "a code the catalog does not know".to_owned(),
                request_id: None,
            },
        );
    }
    LoginError::new(KnownCode::from_key(catalog, number).unwrap())
}

impl Provider for AnswersWithTheNamedError {
    fn kind(&self) -> ProviderKind {
        ProviderKind::DingTalk
    }

    fn app_id(&self) -> &str {
        "status-mapping"
    }

    fn exchange<'a>(&'a self, code: &'a AuthCode, _tokens: &'a TokenCache) -> ExchangeFuture<'a> {
        let error = named_error(code.expose());
        Box::pin(async move { Err(error) })
    }

    fn code_already_used(&self) -> LoginError {
        panic!("every code of this test is presented once")
    }
}

/// The method behind the layer, which no failed login reaches.
type Method = fn(Request<Full<Bytes>>) -> Ready<Result<Response<Full<Bytes>>, Infallible>>;
type Service = SilentLogin<ServiceFn<Method>>;

fn method(_: Request<Full<Bytes>>) -> Ready<Result<Response<Full<Bytes>>, Infallible>> {
    panic!("a failed login never reaches the method")
}

fn service() -> Service {
    SilentLoginLayer::new(AnswersWithTheNamedError)
        .secure_cookie(false)
        .layer(service_fn(method as Method))
}

/// What a test expects of one code.
struct Expected {
    /// `<catalog>:<code>`, the start of the auth code that raises it.
    key: String,
    provider: &'static str,
    errcode: i32,
    name: Option<&'static str>,
    http_status: u16,
    /// `google.rpc.ErrorInfo.reason`.
    reason: String,
}

impl Expected {
    fn known(code: KnownCode) -> Self {
        let entry = code.entry();
        Self {
            key: format!("{}:{}", entry.provider, entry.code),
            provider: entry.provider,
            errcode: entry.code,
            name: Some(entry.name),
            http_status: entry.http_status,
            reason: format!(
                "{}_{}",
                entry.provider.replace('-', "_").to_ascii_uppercase(),
                entry.code
            ),
        }
    }

    fn unknown_platform_code() -> Self {
        Self {
            key: format!("unknown:{UNKNOWN_PLATFORM_CODE}"),
            provider: "dingtalk",
            errcode: UNKNOWN_PLATFORM_CODE,
            name: None,
            // docs/CONTRACTS.md 4.1: 502 for a platform code the catalog does not know.
            http_status: 502,
            reason: format!("DINGTALK_{UNKNOWN_PLATFORM_CODE}"),
        }
    }

    fn grpc_status(&self) -> (i32, &'static str) {
        grpc_status_for(self.http_status).unwrap_or_else(|| {
            panic!(
                "{}: http_status {} has no gRPC code in docs/CONTRACTS.md 5.1",
                self.key, self.http_status
            )
        })
    }
}

fn every_expectation() -> Vec<Expected> {
    every_code()
        .into_iter()
        .map(Expected::known)
        .chain([Expected::unknown_platform_code()])
        .collect()
}

/// Logs in over gRPC with the code that raises `expected`; returns the layer's answer.
async fn grpc_login(service: &Service, expected: &Expected) -> Response<Bytes> {
    let request = Request::post("/whoami.v1.WhoAmI/Get")
        .header("content-type", "application/grpc")
        .header("accept-language", "en")
        .header("x-request-id", format!("grpc-{}", expected.key))
        .header("x-auth-code", format!("{}:grpc", expected.key))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = service.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Response::from_parts(parts, body)
}

#[test]
fn every_http_status_of_the_catalogs_has_a_grpc_code_in_the_contract() {
    let statuses: BTreeSet<u16> = every_code()
        .into_iter()
        .map(|code| code.entry().http_status)
        .collect();
    let unmapped: Vec<u16> = statuses
        .iter()
        .copied()
        .filter(|status| grpc_status_for(*status).is_none())
        .collect();
    assert!(
        unmapped.is_empty(),
        "catalog statuses {unmapped:?} have no row in docs/CONTRACTS.md 5.1: decide their gRPC code"
    );
    // The table is not vacuous: the catalogs use most of its rows.
    for status in [400, 401, 403, 429, 500, 502, 503, 504] {
        assert!(
            statuses.contains(&status),
            "no catalog code answers {status}"
        );
    }
}

#[test]
fn the_error_of_every_code_reports_its_catalog_status_and_grpc_code() {
    for code in every_code() {
        let error = LoginError::new(code);
        let expected = Expected::known(code);
        assert_eq!(error.status().as_u16(), expected.http_status, "{code}");
        assert_eq!(
            error.grpc_code(),
            expected.grpc_status().0,
            "{code}: http_status {} should be {:?}",
            expected.http_status,
            expected.grpc_status()
        );
        assert_eq!(error.reason(), expected.reason, "{code}");
    }
}

#[tokio::test]
async fn every_code_is_a_trailers_only_answer_with_the_grpc_status_of_its_http_status() {
    let service = service();
    for expected in every_expectation() {
        let response = grpc_login(&service, &expected).await;
        let key = &expected.key;
        let (grpc_status, grpc_name) = expected.grpc_status();
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .map(|value| value.to_str().unwrap().to_owned())
        };
        assert_eq!(response.status(), 200, "{key}: Trailers-Only is HTTP 200");
        assert!(
            response.body().is_empty(),
            "{key}: Trailers-Only has no body"
        );
        assert_eq!(header("content-type").as_deref(), Some("application/grpc"));
        assert_eq!(
            header("grpc-status"),
            Some(grpc_status.to_string()),
            "{key} (http_status {}) should be {grpc_name}",
            expected.http_status
        );
        assert_eq!(header("x-request-id"), Some(format!("grpc-{key}")));
        assert_eq!(header("set-cookie"), None, "{key}: no cookie over gRPC");
        assert_eq!(header("www-authenticate"), None, "{key}: none over gRPC");
        assert_reason(headers, &expected);
    }
}

/// The answer names the code: `ErrorInfo` (feature `grpc-error-details`) or `grpc-message`.
#[cfg(feature = "grpc-error-details")]
fn assert_reason(headers: &http::HeaderMap, expected: &Expected) {
    use silent_login::catalog::Lang;
    use tonic_types::StatusExt;

    let key = &expected.key;
    let status = tonic::Status::from_header_map(headers)
        .unwrap_or_else(|| panic!("{key}: no gRPC status in {headers:?}"));
    assert_eq!(status.code() as i32, expected.grpc_status().0, "{key}");
    let details = status.get_error_details();
    let info = details
        .error_info()
        .unwrap_or_else(|| panic!("{key}: no ErrorInfo in {status:?}"));
    assert_eq!(info.reason, expected.reason, "{key}");
    assert_eq!(info.domain, silent_login::ERROR_DOMAIN, "{key}");
    assert_eq!(info.metadata["provider"], expected.provider, "{key}");
    assert_eq!(info.metadata["errcode"], expected.errcode.to_string());
    assert_eq!(info.metadata["request_id"], format!("grpc-{key}"));
    if expected.name.is_some() {
        let code = KnownCode::from_key(expected.provider, expected.errcode).unwrap();
        assert_eq!(status.message(), code.message(Lang::En), "{key}");
        assert_eq!(
            info.metadata["solution"],
            code.entry().solution.get(Lang::En),
            "{key}"
        );
    }
}

#[cfg(not(feature = "grpc-error-details"))]
fn assert_reason(headers: &http::HeaderMap, expected: &Expected) {
    assert_eq!(
        headers["grpc-message"], expected.reason,
        "{}: without details, grpc-message is the reason",
        expected.key
    );
}

#[tokio::test]
async fn every_code_is_answered_over_http_with_its_catalog_status_and_body() {
    let service = service();
    for expected in every_expectation() {
        let key = &expected.key;
        let request = Request::post("/api/login")
            .header("content-type", "application/json")
            .header("accept-language", "en")
            .body(Full::new(Bytes::from(
                serde_json::json!({ "tmp_auth_code": format!("{key}:http") }).to_string(),
            )))
            .unwrap();
        let response = service.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status().as_u16(), expected.http_status, "{key}");
        assert_eq!(
            response.headers().contains_key("www-authenticate"),
            expected.http_status == 401,
            "{key}: WWW-Authenticate on every 401 and only there"
        );
        assert_eq!(response.headers().get("grpc-status"), None, "{key}");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["provider"], expected.provider, "{key}: {body:#}");
        assert_eq!(body["errcode"], expected.errcode, "{key}: {body:#}");
        assert_eq!(
            body["name"].as_str(),
            expected.name,
            "{key}: name of {body:#}"
        );
    }
}
