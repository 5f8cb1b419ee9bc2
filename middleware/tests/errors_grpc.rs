//! The gRPC error answer's texts (docs/CONTRACTS.md, sections 5.1 and 5.2, feature
//! `grpc-error-details`): `grpc-message` and the `google.rpc.ErrorInfo` metadata — `cause`,
//! `solution` and, with `expose_error_details(true)` only, `detail` — in the language the call
//! asked for with `Accept-Language` (else the layer's `default_lang`).
#![cfg(feature = "grpc-error-details")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use silent_login::catalog::{Lang, SilentLoginCode};
use silent_login::{DingTalk, SilentLoginLayer, GRPC_AUTH_CODE};
use tonic_types::StatusExt;
use tower::{service_fn, Layer, ServiceExt};

/// `detail` of a bearer token that is none of ours, in English and Chinese.
const NOT_A_TOKEN: [&str; 2] = [
    "not a silent-login session token",
    "这不是 silent-login 的会话令牌",
];
/// `detail` of an `x-auth-code` with a space in it, in English and Chinese.
const CODE_WITH_A_SPACE: [&str; 2] = [
    "the code contains spaces, control or non-ASCII characters",
    "授权码含有空格、控制字符或非 ASCII 字符",
];

/// A DingTalk layer whose platform cannot be reached (no call here gets that far).
fn layer() -> SilentLoginLayer {
    SilentLoginLayer::new(DingTalk::new("dingkey", "dingsecret").api_base(support::UNROUTABLE))
        .secure_cookie(false)
}

/// The method behind the layer, which no refused call reaches.
async fn method(_: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    panic!("a refused call never reaches the method")
}

/// The gRPC status of the layer's answer to a unary call with `headers`: its message and the
/// metadata of its `ErrorInfo`.
async fn grpc_error(
    layer: &SilentLoginLayer,
    headers: &[(&str, &str)],
) -> (tonic::Status, HashMap<String, String>) {
    let mut request =
        Request::post("/demo.Greeter/SayHello").header("content-type", "application/grpc");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(Bytes::new())).unwrap();
    let service = layer.layer(service_fn(method));
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200, "Trailers-Only is HTTP 200");
    let status = tonic::Status::from_header_map(response.headers())
        .unwrap_or_else(|| panic!("no gRPC status in {:?}", response.headers()));
    let metadata = status
        .get_error_details()
        .error_info()
        .unwrap_or_else(|| panic!("no ErrorInfo in {status:?}"))
        .metadata
        .clone();
    (status, metadata)
}

#[tokio::test]
async fn the_message_and_error_info_are_in_the_language_of_the_call() {
    let exposing = layer().expose_error_details(true);
    let chinese = layer().expose_error_details(true).default_lang(Lang::Zh);
    let cases = [
        (&exposing, None, Lang::En),
        (&exposing, Some("en-US,en;q=0.9"), Lang::En),
        (&exposing, Some("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh),
        (&exposing, Some("zh-TW"), Lang::Zh),
        (&chinese, None, Lang::Zh),
        (&chinese, Some("fr-FR"), Lang::Zh),
        (&chinese, Some("en"), Lang::En),
    ];
    for (index, (layer, accept_language, lang)) in cases.into_iter().enumerate() {
        let case = format!("case {index}: {accept_language:?}");
        let zh = usize::from(lang == Lang::Zh);
        let mut headers = vec![("authorization", "Bearer garbage")];
        if let Some(value) = accept_language {
            headers.push(("accept-language", value));
        }
        let (status, metadata) = grpc_error(layer, &headers).await;
        assert_eq!(status.code(), tonic::Code::Unauthenticated, "{case}");
        let entry = SilentLoginCode::SessionInvalid.entry();
        assert_eq!(status.message(), entry.message.get(lang), "{case}");
        assert_eq!(metadata["solution"], entry.solution.get(lang), "{case}");
        assert_eq!(metadata["detail"], NOT_A_TOKEN[zh], "{case}: {metadata:?}");

        // A login by metadata alike, with its narrowed cause.
        headers[0] = (GRPC_AUTH_CODE, "a b");
        let (status, metadata) = grpc_error(layer, &headers).await;
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{case}");
        let entry = SilentLoginCode::AuthCodeMalformed.entry();
        assert_eq!(status.message(), entry.message.get(lang), "{case}");
        let cause = entry.cause("malformed_code").unwrap();
        assert_eq!(metadata["cause"], cause.text(lang), "{case}");
        assert_eq!(metadata["cause_source"], "silent_login", "{case}");
        assert_eq!(
            metadata["detail"], CODE_WITH_A_SPACE[zh],
            "{case}: {metadata:?}"
        );
    }
}

#[tokio::test]
async fn without_expose_error_details_the_error_info_has_no_detail() {
    for accept_language in ["en", "zh-CN"] {
        let (_, metadata) = grpc_error(
            &layer(),
            &[
                ("authorization", "Bearer garbage"),
                ("accept-language", accept_language),
            ],
        )
        .await;
        assert!(
            !metadata.contains_key("detail"),
            "{accept_language}: {metadata:?}"
        );
        assert_eq!(metadata["errcode"], "700203");
    }
}
