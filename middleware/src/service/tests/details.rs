//! Every detail is in the request's language: each refusal the layer answers with a detail,
//! asked in English and in Chinese (with `expose_error_details(true)`), carries a translated
//! one — not empty, not the English text, with the same code spans — and so does every detail
//! silent-login writes outside a request (a misconfiguration, a session key, the store).

use http::header::{ACCEPT_LANGUAGE, ORIGIN};

use super::*;
use crate::session::MAX_TOKEN_BYTES;
use crate::store::StoreError;
use crate::testing::assert_bilingual;
use crate::{Detail, Feishu, Lang, Provider};

/// Makes the request of one case (once per language).
type MakeRequest = dyn Fn() -> Request<Full<Bytes>>;

/// A layer whose error answers carry `detail`.
fn exposing() -> SilentLoginLayer {
    layer().expose_error_details(true)
}

/// The `detail` of the answer to `request` (the `case`), asked in English and in Chinese.
async fn answered_detail(
    case: &str,
    layer: &SilentLoginLayer,
    request: impl Fn() -> Request<Full<Bytes>>,
) -> Detail {
    let mut texts = Vec::new();
    for accept_language in ["en-US,en;q=0.9", "zh-CN,zh;q=0.9"] {
        let mut request = request();
        request.headers_mut().insert(
            ACCEPT_LANGUAGE,
            http::HeaderValue::from_static(accept_language),
        );
        let answer = send(layer, request).await;
        assert!(!answer.reached_inner(), "{case}");
        let body = answer.json();
        let detail = body["detail"]
            .as_str()
            .unwrap_or_else(|| panic!("{case}: no detail in {body:#}"));
        texts.push(detail.to_owned());
    }
    let zh = texts.pop().unwrap_or_default();
    let en = texts.pop().unwrap_or_default();
    Detail::new(en, zh)
}

fn post(uri: &str, content_type: &str, body: impl Into<Bytes>) -> Request<Full<Bytes>> {
    request(Method::POST, uri)
        .header(CONTENT_TYPE, content_type)
        .body(Full::new(body.into()))
        .unwrap()
}

fn with_header(name: &'static str, value: &[u8]) -> Request<Full<Bytes>> {
    let mut request = get("/api/me");
    request
        .headers_mut()
        .insert(name, http::HeaderValue::from_bytes(value).unwrap());
    request
}

#[tokio::test]
async fn every_login_refusal_has_its_detail_in_the_request_s_language() {
    let layer = exposing();
    let json = |body: &'static str| move || post_json("/api/login", body);
    let long_code = format!(r#"{{"code":"{}"}}"#, "c".repeat(600));
    let long_query = format!("/api/login?x={}", "q".repeat(3000));
    let cases: Vec<(&str, Box<MakeRequest>)> = vec![
        (
            "a GET",
            Box::new(|| {
                request(Method::GET, "/api/login")
                    .body(Full::default())
                    .unwrap()
            }),
        ),
        (
            "another site",
            Box::new(|| {
                let mut request = post_json("/api/login", "{}");
                request.headers_mut().insert(
                    ORIGIN,
                    http::HeaderValue::from_static("https://evil.example"),
                );
                request
            }),
        ),
        (
            "an opaque origin",
            Box::new(|| {
                let mut request = post_json("/api/login", "{}");
                request
                    .headers_mut()
                    .insert(ORIGIN, http::HeaderValue::from_static("null"));
                request
            }),
        ),
        (
            "an Origin that is no origin",
            Box::new(|| {
                let mut request = post_json("/api/login", "{}");
                request
                    .headers_mut()
                    .insert(ORIGIN, http::HeaderValue::from_static("evil"));
                request
            }),
        ),
        (
            "Sec-Fetch-Site: cross-site",
            Box::new(|| {
                let mut request = post_json("/api/login", "{}");
                request.headers_mut().insert(
                    "sec-fetch-site",
                    http::HeaderValue::from_static("cross-site"),
                );
                request
            }),
        ),
        (
            "a long query",
            Box::new(move || post_json(&long_query, "{}")),
        ),
        (
            "a large body",
            Box::new(|| post("/api/login", "application/json", vec![b' '; 8 * 1024])),
        ),
        (
            "a text body",
            Box::new(|| post("/api/login", "text/plain", "code=abc")),
        ),
        (
            "a body without a Content-Type",
            Box::new(|| {
                request(Method::POST, "/api/login")
                    .body(Full::new(Bytes::from_static(b"code=abc")))
                    .unwrap()
            }),
        ),
        ("a JSON array", Box::new(json("[]"))),
        ("JSON that does not parse", Box::new(json("{"))),
        (
            "a form that is not UTF-8",
            Box::new(|| {
                post(
                    "/api/login",
                    "application/x-www-form-urlencoded",
                    &[0xff, 0xfe][..],
                )
            }),
        ),
        (
            "a misspelled name",
            Box::new(json(r#"{"temp_auth_code":"abc"}"#)),
        ),
        ("no code", Box::new(json(r#"{"user":"alice"}"#))),
        ("an empty code", Box::new(json(r#"{"tmp_auth_code":" "}"#))),
        (
            "a nested code",
            Box::new(json(r#"{"data":{"code":"abc"}}"#)),
        ),
        ("a number for a code", Box::new(json(r#"{"code":5}"#))),
        (
            "an unknown JSAPI failure",
            Box::new(json(r#"{"errCode":99999,"errMsg":"boom"}"#)),
        ),
        ("a code with a space", Box::new(json(r#"{"code":"a b"}"#))),
        (
            "a code far too long",
            Box::new(move || post_json("/api/login", &long_code)),
        ),
        (
            "a platform that cannot be reached",
            Box::new(json(r#"{"code":"abc"}"#)),
        ),
    ];
    for (case, request) in cases {
        assert_bilingual(&answered_detail(case, &layer, request).await);
    }
}

#[tokio::test]
async fn every_session_refusal_has_its_detail_in_the_request_s_language() {
    let ring = KeyRing::new(SessionKey::generate());
    let layer = exposing().session_keys(ring.clone());
    let other_ring = KeyRing::new(SessionKey::generate());
    let bearer = |token: String| format!("Bearer {token}").into_bytes();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", bearer("garbage".to_owned())),
        ("tampered", bearer(tampered(&ring))),
        ("unbound", bearer("v1.abc.def".to_owned())),
        (
            "another app",
            bearer(ring.seal(&session(), "dingtalk:another")),
        ),
        ("an unknown key", bearer(other_ring.seal(&session(), APP))),
        ("far too long", bearer("t".repeat(MAX_TOKEN_BYTES + 1))),
        ("too large", bearer("t".repeat(MAX_TOKEN_BYTES + 64))),
        ("not ASCII", b"Bearer \xe4\xb8\xad".to_vec()),
    ];
    for (case, value) in cases {
        let request = || with_header("authorization", &value);
        assert_bilingual(&answered_detail(case, &layer, request).await);
    }
    let cookie = format!("__Host-silent_login={}", "c".repeat(20 * 1024));
    let request = || with_header("cookie", cookie.as_bytes());
    assert_bilingual(&answered_detail("a large cookie", &layer, request).await);
}

#[tokio::test]
async fn a_code_presented_again_and_a_tenant_not_allowed_have_chinese_details() {
    let mock = MockPlatform::builder().demo().start().await.unwrap();
    let provider = || {
        DingTalk::new(demo::DINGTALK_APP_KEY, demo::DINGTALK_APP_SECRET)
            .corp_id(demo::DINGTALK_CORP_ID)
            .api_base(mock.base_url())
    };
    let layer = SilentLoginLayer::new(provider()).expose_error_details(true);
    let code = mock.mint_code(MintCode::dingtalk(demo::ALICE)).unwrap();
    let uri = format!("/api/login?code={code}");
    let first = send(&layer, post_json(&uri, "")).await;
    assert_eq!(first.status, StatusCode::OK);
    let again = answered_detail("a code presented again", &layer, || post_json(&uri, "")).await;
    assert_bilingual(&again);

    // A tenant list is a Feishu setting (a DingTalk app belongs to one organization).
    let feishu =
        Feishu::new(demo::FEISHU_APP_ID, demo::FEISHU_APP_SECRET).api_base(mock.base_url());
    let elsewhere = SilentLoginLayer::new(feishu)
        .allowed_tenants(["another-tenant"])
        .expose_error_details(true);
    let mut texts = Vec::new();
    for lang in ["en", "zh"] {
        let code = mock.mint_code(MintCode::feishu(demo::BOB)).unwrap();
        let mut request = post_json(&format!("/api/login?code={code}"), "");
        request
            .headers_mut()
            .insert(ACCEPT_LANGUAGE, http::HeaderValue::from_static(lang));
        let answer = send(&elsewhere, request).await;
        assert_eq!(answer.errcode(), 700301, "{:?}", answer.body);
        texts.push(answer.json()["detail"].as_str().unwrap().to_owned());
    }
    assert_bilingual(&Detail::new(texts[0].clone(), texts[1].clone()));
}

#[test]
fn details_outside_a_request_are_translated_too() {
    let misconfigured = [
        SilentLoginLayer::new(DingTalk::new(" ", "").corp_id("").api_base("oapi"))
            .allowed_origin("https://h5.example.com/app")
            .allowed_tenants(["corp"])
            .login_path("auth")
            .logout_path("auth")
            .cookie_name("__Host-sid")
            .cookie_path("/app")
            .secure_cookie(false)
            .same_site(cookie::SameSite::None),
        SilentLoginLayer::new(DingTalk::new("k", "s"))
            .cookie_name("__Secure-sid")
            .secure_cookie(false),
        SilentLoginLayer::new(Feishu::new("", "").api_base("open.feishu.cn")),
        SilentLoginLayer::new(Feishu::lark("", "").api_base("https://open.larksuite.com?x")),
    ];
    for layer in misconfigured {
        let error = layer.validate().unwrap_err();
        assert_bilingual(error.detail());
        let answered = crate::LoginError::from(error);
        assert_bilingual(answered.detail().unwrap());
    }
    for error in [
        SessionKey::parse("too-short").unwrap_err(),
        SessionKey::parse("not base64 at all!").unwrap_err(),
        KeyRing::parse(" , ").unwrap_err(),
    ] {
        assert_bilingual(error.detail());
    }
    assert_bilingual(&StoreError("connection refused".to_owned()).detail());
    let provider = Feishu::new("cli_app", "secret");
    assert_bilingual(provider.code_already_used().detail().unwrap());
    assert_bilingual(
        IdentityRejection::missing()
            .error()
            .detail()
            .unwrap_or_else(|| panic!("the rejection names the missing layer")),
    );
    // A detail a replica of an older release sent (English only) is still in Chinese here.
    let record: crate::error::ErrorRecord = serde_json::from_str(
        r#"{"provider":"silent-login","errcode":700401,"cause":null,"detail":"could not connect to the platform","upstream":null}"#,
    )
    .unwrap();
    let shared = crate::LoginError::from_record(record);
    assert_bilingual(shared.detail().unwrap());
    assert!(shared
        .detail()
        .unwrap()
        .get(Lang::Zh)
        .ends_with("could not connect to the platform"));
}

#[test]
fn a_shared_outcome_keeps_both_languages_of_its_detail() {
    let error = crate::LoginError::new(SilentLoginCode::UpstreamTimeout).with_detail(Detail::new(
        "the platform did not answer in time",
        "平台没有及时应答",
    ));
    let json = serde_json::to_string(&error.to_record()).unwrap();
    let record = serde_json::from_str(&json).unwrap();
    let shared = crate::LoginError::from_record(record);
    assert_eq!(shared.detail(), error.detail());
    // A replica of an older release reads `detail` as before (and ignores `detail_zh`).
    let old: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(old["detail"], "the platform did not answer in time");
}
