//! The DingTalk and Feishu clients against the answers the platforms DOCUMENT, not against our
//! emulator: each fixture under `tests/fixtures/platforms/` (sources in its `SOURCES.md`) is served
//! as it is — status, headers, body — by a tiny server on loopback, at the path the client calls.
//! A misunderstanding of a platform that the emulator shares with the clients shows up here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use serde_json::Value;
use silent_login::catalog::{DingTalkCode, FeishuCode, Lang, SilentLoginCode};
use silent_login::{
    AuthCode, Authenticator, Detail, DingTalk, Feishu, FeishuOAuth, HttpConfig, LoginError,
    ProviderKind,
};
use support::{cause, identity, refused, serve};

/// A fixture's text, checked in at `tests/fixtures/platforms/<path>`.
macro_rules! fixture {
    ($path:literal) => {
        include_str!(concat!("fixtures/platforms/", $path))
    };
}

const DT_GETTOKEN: &str = "/gettoken";
const DT_GETUSERINFO: &str = "/topapi/v2/user/getuserinfo";
const FS_APP_TOKEN: &str = "/open-apis/auth/v3/app_access_token/internal";
const FS_OIDC_TOKEN: &str = "/open-apis/authen/v1/oidc/access_token";
const FS_USER_INFO: &str = "/open-apis/authen/v1/user_info";

const DT_APP_KEY: &str = "dingfixtureappkey";
const DT_APP_SECRET: &str = "fixture-dingtalk-app-secret";
const DT_CORP_ID: &str = "dingfixturecorp";
const FS_APP_ID: &str = "cli_fixtureappid";
const FS_APP_SECRET: &str = "fixture-feishu-app-secret";

/// The `access_token` of `dingtalk/gettoken_ok.json`.
const DT_TOKEN: &str = "fixture-dingtalk-access-token-1";
/// The `app_access_token` and `tenant_access_token` of `feishu/app_access_token_internal_ok.json`.
const FS_APP_TOKEN_VALUE: &str = "t-fixture-app-access-token-1";
const FS_TENANT_TOKEN_VALUE: &str = "t-fixture-tenant-access-token-1";
/// `data.access_token` of `feishu/oidc_access_token_ok.json`.
const FS_USER_TOKEN_VALUE: &str = "u-fixture-user-access-token-1";

// ---------------------------------------------------------------------------------------------
// A platform that answers with fixtures
// ---------------------------------------------------------------------------------------------

/// One canned answer.
#[derive(Clone, Debug)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

impl Reply {
    /// HTTP 200 with a JSON body, as both platforms answer (DingTalk's `Content-Type`).
    fn json(body: &str) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type", "application/json;charset=utf-8".to_owned())],
            body: body.to_owned(),
        }
    }

    /// An HTML page, as a gateway in front of the platform answers.
    fn html(body: &str) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type", "text/html".to_owned())],
            body: body.to_owned(),
        }
    }

    fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

/// What the client sent to one path.
#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    query: HashMap<String, String>,
    authorization: Option<String>,
    body: String,
}

impl Seen {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Debug, Default)]
struct Routes {
    replies: HashMap<String, VecDeque<Reply>>,
    seen: HashMap<String, Vec<Seen>>,
}

/// Answers each path with its replies in order, repeating the last one; records every request.
#[derive(Debug)]
struct FixturePlatform {
    base: String,
    routes: Arc<Mutex<Routes>>,
}

impl FixturePlatform {
    async fn start() -> Self {
        let routes = Arc::new(Mutex::new(Routes::default()));
        let app = Router::new().fallback(answer).with_state(routes.clone());
        Self {
            base: serve(app).await,
            routes,
        }
    }

    fn on(&self, path: &str, replies: impl IntoIterator<Item = Reply>) {
        let replies: VecDeque<Reply> = replies.into_iter().collect();
        assert!(!replies.is_empty(), "a route needs a reply");
        self.routes
            .lock()
            .unwrap()
            .replies
            .insert(path.to_owned(), replies);
    }

    fn seen(&self, path: &str) -> Vec<Seen> {
        let routes = self.routes.lock().unwrap();
        routes.seen.get(path).cloned().unwrap_or_default()
    }

    fn hits(&self, path: &str) -> usize {
        self.seen(path).len()
    }

    fn dingtalk(&self) -> DingTalk {
        DingTalk::new(DT_APP_KEY, DT_APP_SECRET)
            .corp_id(DT_CORP_ID)
            .api_base(self.base.as_str())
    }

    fn feishu(&self) -> Feishu {
        Feishu::new(FS_APP_ID, FS_APP_SECRET)
            .api_base(self.base.as_str())
            .oauth(FeishuOAuth::V1)
    }
}

async fn answer(
    State(routes): State<Arc<Mutex<Routes>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let seen = Seen {
        method,
        query: serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap(),
        authorization: headers
            .get("authorization")
            .map(|value| value.to_str().unwrap().to_owned()),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let reply = {
        let mut routes = routes.lock().unwrap();
        routes.seen.entry(path.clone()).or_default().push(seen);
        routes.replies.get_mut(&path).and_then(|queue| {
            if queue.len() > 1 {
                queue.pop_front()
            } else {
                queue.front().cloned()
            }
        })
    };
    let Some(reply) = reply else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::from(format!("no fixture for {path}")))
            .unwrap();
    };
    let mut response = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        response = response.header(*name, value.as_str());
    }
    response.body(Body::from(reply.body)).unwrap()
}

/// A fixture with one edit (a documented shape with another value, or without a key).
fn edited(fixture: &str, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut value: Value = serde_json::from_str(fixture).unwrap();
    edit(value.as_object_mut().unwrap());
    value.to_string()
}

fn code(n: u32) -> AuthCode {
    AuthCode::parse(&format!("fixture-code-{n}")).unwrap()
}

fn upstream_request_id(error: &LoginError) -> Option<&str> {
    error
        .upstream()
        .unwrap_or_else(|| panic!("{error:?} keeps no upstream answer"))
        .request_id
        .as_deref()
}

/// A DingTalk platform whose `gettoken` answers the documented success.
async fn dingtalk_platform(getuserinfo: impl IntoIterator<Item = Reply>) -> FixturePlatform {
    let platform = FixturePlatform::start().await;
    platform.on(
        DT_GETTOKEN,
        [Reply::json(fixture!("dingtalk/gettoken_ok.json"))],
    );
    platform.on(DT_GETUSERINFO, getuserinfo);
    platform
}

/// A Feishu platform whose app token and `user_info` answer the documented successes.
async fn feishu_platform(oidc: impl IntoIterator<Item = Reply>) -> FixturePlatform {
    let platform = FixturePlatform::start().await;
    platform.on(
        FS_APP_TOKEN,
        [Reply::json(fixture!(
            "feishu/app_access_token_internal_ok.json"
        ))],
    );
    platform.on(FS_OIDC_TOKEN, oidc);
    platform.on(
        FS_USER_INFO,
        [Reply::json(fixture!("feishu/user_info_ok.json"))],
    );
    platform
}

// ---------------------------------------------------------------------------------------------
// DingTalk: gettoken + topapi/v2/user/getuserinfo
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn dingtalk_documented_success_gives_userid_unionid_name_admin_flag_and_extras() {
    let platform = dingtalk_platform([Reply::json(fixture!("dingtalk/getuserinfo_ok.json"))]).await;
    let auth = Authenticator::new(platform.dingtalk());

    let user = identity(&auth, code(1)).await;

    assert_eq!(user.provider, ProviderKind::DingTalk);
    assert_eq!(user.user_id, "zhangsan01");
    assert_eq!(user.union_id.as_deref(), Some("fixture-unionid-zhangsan"));
    assert_eq!(user.name.as_deref(), Some("张三"));
    assert_eq!(
        user.tenant.as_deref(),
        Some(DT_CORP_ID),
        "the configured corpId"
    );
    assert_eq!(user.open_id, None);
    assert!(user.is_admin, "`sys: true` is an organization admin");
    assert_eq!(user.extra["sys_level"], 1);
    assert_eq!(user.extra["device_id"], "fixture-device-id");
    assert_eq!(
        user.extra["associated_unionid"],
        "fixture-associated-unionid"
    );

    // The requests are the documented ones.
    let gettoken = &platform.seen(DT_GETTOKEN)[0];
    assert_eq!(gettoken.method, Method::GET);
    assert_eq!(gettoken.query["appkey"], DT_APP_KEY);
    assert_eq!(gettoken.query["appsecret"], DT_APP_SECRET);
    let getuserinfo = &platform.seen(DT_GETUSERINFO)[0];
    assert_eq!(getuserinfo.method, Method::POST);
    assert_eq!(getuserinfo.query["access_token"], DT_TOKEN);
    assert_eq!(getuserinfo.json()["code"], "fixture-code-1");
}

#[tokio::test]
async fn dingtalk_40078_is_tmp_auth_code_not_found_with_the_platform_answer_and_no_retry() {
    let platform =
        dingtalk_platform([Reply::json(fixture!("dingtalk/getuserinfo_40078.json"))]).await;
    let auth = Authenticator::new(platform.dingtalk());

    let error = refused(&auth, code(1)).await;

    assert!(error.is(DingTalkCode::TmpAuthCodeNotFound), "{error:?}");
    assert_eq!(error.errcode(), 40078);
    assert_eq!(error.status(), 401);
    let upstream = error.upstream().unwrap();
    assert_eq!(upstream.errcode, 40078);
    assert_eq!(upstream.errmsg, "不存在的临时授权码");
    assert_eq!(upstream.request_id.as_deref(), Some("fixturebodyid02"));
    assert_eq!(
        cause(&error),
        None,
        "the platform does not say which of the four causes applies"
    );
    assert!(!error.is_code_unused(), "the platform saw the code");
    assert_eq!(platform.hits(DT_GETUSERINFO), 1, "a code answer is final");
}

#[tokio::test]
async fn dingtalk_40079_is_auth_info_not_found_403() {
    let platform =
        dingtalk_platform([Reply::json(fixture!("dingtalk/getuserinfo_40079.json"))]).await;
    let auth = Authenticator::new(platform.dingtalk());

    let error = refused(&auth, code(1)).await;

    assert!(error.is(DingTalkCode::AuthInfoNotFound), "{error:?}");
    assert_eq!(error.errcode(), 40079);
    assert_eq!(error.status(), 403);
    assert_eq!(upstream_request_id(&error), Some("fixturebodyid03"));
    assert_eq!(platform.hits(DT_GETUSERINFO), 1);
}

#[tokio::test]
async fn dingtalk_40014_at_getuserinfo_fetches_a_new_app_token_and_retries_once() {
    let platform = dingtalk_platform([
        Reply::json(fixture!("dingtalk/getuserinfo_40014.json")),
        Reply::json(fixture!("dingtalk/getuserinfo_ok.json")),
    ])
    .await;
    let renewed = edited(fixture!("dingtalk/gettoken_ok.json"), |body| {
        body.insert(
            "access_token".into(),
            "fixture-dingtalk-access-token-2".into(),
        );
    });
    platform.on(
        DT_GETTOKEN,
        [
            Reply::json(fixture!("dingtalk/gettoken_ok.json")),
            Reply::json(&renewed),
        ],
    );
    let auth = Authenticator::new(platform.dingtalk());

    let user = identity(&auth, code(1)).await;

    assert_eq!(user.user_id, "zhangsan01");
    assert_eq!(platform.hits(DT_GETTOKEN), 2);
    let calls = platform.seen(DT_GETUSERINFO);
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].query["access_token"], DT_TOKEN);
    assert_eq!(
        calls[1].query["access_token"], "fixture-dingtalk-access-token-2",
        "the retry carries the new token"
    );
}

#[tokio::test]
async fn dingtalk_40014_again_after_the_refresh_is_invalid_access_token_and_leaves_the_code_unused()
{
    let platform =
        dingtalk_platform([Reply::json(fixture!("dingtalk/getuserinfo_40014.json"))]).await;
    let auth = Authenticator::new(platform.dingtalk());

    let error = refused(&auth, code(1)).await;

    assert!(error.is(DingTalkCode::InvalidAccessToken), "{error:?}");
    assert_eq!(error.status(), 502);
    assert!(
        error.is_code_unused(),
        "the platform refused the token before it read the code"
    );
    assert_eq!(platform.hits(DT_GETTOKEN), 2);
    assert_eq!(platform.hits(DT_GETUSERINFO), 2, "retried once, not more");
}

#[tokio::test]
async fn dingtalk_errcode_88_with_the_documented_string_sub_code_60011_is_reported_as_60011() {
    let platform = dingtalk_platform([Reply::json(fixture!(
        "dingtalk/errcode_88_sub_code_60011.json"
    ))])
    .await;
    let auth = Authenticator::new(platform.dingtalk());

    let error = refused(&auth, code(1)).await;

    assert!(error.is(DingTalkCode::NoApiPermission), "{error:?}");
    assert_eq!(error.errcode(), 60011);
    assert_eq!(error.status(), 403);
    let upstream = error.upstream().unwrap();
    assert_eq!(upstream.errcode, 60011, "the remapped code, not 88");
    assert_eq!(
        upstream.errmsg, "ding talk error[subcode=60011,submsg=没有调用该接口的权限]",
        "the platform's errmsg is kept as it was"
    );
    assert_eq!(upstream.request_id.as_deref(), Some("fixturebodyid05"));
    assert_eq!(
        platform.hits(DT_GETTOKEN),
        1,
        "60011 is not a token problem"
    );
    assert_eq!(platform.hits(DT_GETUSERINFO), 1);
}

#[tokio::test]
async fn dingtalk_errcode_88_with_sub_code_40014_refreshes_the_app_token_and_retries_once() {
    let platform = dingtalk_platform([
        Reply::json(fixture!("dingtalk/errcode_88_sub_code_40014.json")),
        Reply::json(fixture!("dingtalk/getuserinfo_ok.json")),
    ])
    .await;
    let auth = Authenticator::new(platform.dingtalk());

    let user = identity(&auth, code(1)).await;

    assert_eq!(user.user_id, "zhangsan01");
    assert_eq!(platform.hits(DT_GETTOKEN), 2);
    assert_eq!(platform.hits(DT_GETUSERINFO), 2);
}

#[tokio::test]
async fn dingtalk_errcode_88_without_sub_code_stays_88_auth_exception() {
    let platform =
        dingtalk_platform([Reply::json(fixture!("dingtalk/errcode_88_bare.json"))]).await;
    let auth = Authenticator::new(platform.dingtalk());

    let error = refused(&auth, code(1)).await;

    assert!(error.is(DingTalkCode::AuthException), "{error:?}");
    assert_eq!(error.errcode(), 88);
    assert_eq!(error.upstream().unwrap().errcode, 88);
    assert_eq!(error.upstream().unwrap().errmsg, "鉴权异常");
    assert_eq!(error.status(), 502);
}

#[tokio::test]
async fn dingtalk_answers_without_errcode_are_success_as_the_official_sdk_reads_them() {
    let no_errcode = |fixture: &str| {
        edited(fixture, |body| {
            body.remove("errcode");
            body.remove("errmsg");
        })
    };
    let platform = FixturePlatform::start().await;
    platform.on(
        DT_GETTOKEN,
        [Reply::json(&no_errcode(fixture!(
            "dingtalk/gettoken_ok.json"
        )))],
    );
    platform.on(
        DT_GETUSERINFO,
        [Reply::json(&no_errcode(fixture!(
            "dingtalk/getuserinfo_ok.json"
        )))],
    );
    let auth = Authenticator::new(platform.dingtalk());

    let user = identity(&auth, code(1)).await;

    assert_eq!(user.user_id, "zhangsan01");
    assert_eq!(
        platform.seen(DT_GETUSERINFO)[0].query["access_token"],
        DT_TOKEN
    );
}

#[tokio::test]
async fn dingtalk_an_answer_without_errcode_and_without_result_is_upstream_garbled_not_a_login() {
    let platform = dingtalk_platform([Reply::json(r#"{"request_id":"fixturebodyid09"}"#)]).await;
    let auth = Authenticator::new(platform.dingtalk());

    let error = refused(&auth, code(1)).await;

    assert!(error.is(SilentLoginCode::UpstreamGarbled), "{error:?}");
    assert!(
        error.detail().unwrap().en().contains("without result"),
        "{error:?}"
    );
    assert_eq!(
        error.detail().unwrap().get(Lang::Zh),
        "getuserinfo 的应答中没有 result"
    );
}

#[tokio::test]
async fn dingtalk_gettoken_40089_is_invalid_credentials_with_the_code_unused_and_the_header_request_id(
) {
    let platform = FixturePlatform::start().await;
    platform.on(
        DT_GETTOKEN,
        [Reply::json(fixture!("dingtalk/gettoken_40089.json"))
            .header("x-acs-request-id", "FIXTURE-HEADER-REQUEST-ID-01")],
    );
    platform.on(
        DT_GETUSERINFO,
        [Reply::json(fixture!("dingtalk/getuserinfo_ok.json"))],
    );
    let auth = Authenticator::new(platform.dingtalk());

    let error = refused(&auth, code(1)).await;

    assert!(error.is(DingTalkCode::InvalidCorpIdOrSecret), "{error:?}");
    assert_eq!(cause(&error), Some("credentials_wrong"));
    assert_eq!(
        error.upstream().unwrap().errmsg,
        "不合法的corpId或corpSecret"
    );
    assert_eq!(
        upstream_request_id(&error),
        Some("FIXTURE-HEADER-REQUEST-ID-01"),
        "gettoken documents no body request_id; the header's is kept"
    );
    assert!(error.is_code_unused());
    assert_eq!(
        platform.hits(DT_GETTOKEN),
        1,
        "a wrong secret is not retried"
    );
    assert_eq!(platform.hits(DT_GETUSERINFO), 0);
}

#[tokio::test]
async fn dingtalk_body_request_id_wins_over_the_x_acs_request_id_header() {
    let platform = dingtalk_platform([Reply::json(fixture!("dingtalk/getuserinfo_40078.json"))
        .header("x-acs-request-id", "FIXTURE-HEADER-REQUEST-ID-02")])
    .await;
    let auth = Authenticator::new(platform.dingtalk());

    let error = refused(&auth, code(1)).await;

    assert_eq!(upstream_request_id(&error), Some("fixturebodyid02"));
}

// ---------------------------------------------------------------------------------------------
// Feishu: app_access_token/internal + authen/v1/oidc/access_token + authen/v1/user_info
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn feishu_documented_success_gives_user_id_open_id_union_id_tenant_key_and_extras() {
    let platform =
        feishu_platform([Reply::json(fixture!("feishu/oidc_access_token_ok.json"))]).await;
    let auth = Authenticator::new(platform.feishu());

    let user = identity(&auth, code(1)).await;

    assert_eq!(user.provider, ProviderKind::Feishu);
    assert_eq!(user.user_id, "lisi01");
    assert_eq!(user.open_id.as_deref(), Some("ou_fixture_lisi"));
    assert_eq!(user.union_id.as_deref(), Some("on_fixture_lisi"));
    assert_eq!(user.name.as_deref(), Some("李四"));
    assert_eq!(user.tenant.as_deref(), Some("fixture_tenant_key"));
    assert!(!user.is_admin, "user_info does not say");
    assert_eq!(user.extra["en_name"], "Li Si");
    assert_eq!(
        user.extra["avatar_url"],
        "https://example.invalid/avatar/lisi.png"
    );
    assert!(
        user.extra.get("email").is_none() && user.extra.get("mobile").is_none(),
        "unverified contact fields are not identity: {:?}",
        user.extra
    );

    // The requests are the documented ones, each with the right token.
    let app_token = &platform.seen(FS_APP_TOKEN)[0];
    assert_eq!(app_token.method, Method::POST);
    assert_eq!(app_token.json()["app_id"], FS_APP_ID);
    assert_eq!(app_token.json()["app_secret"], FS_APP_SECRET);
    let oidc = &platform.seen(FS_OIDC_TOKEN)[0];
    assert_eq!(oidc.method, Method::POST);
    assert_eq!(
        oidc.authorization.as_deref(),
        Some(format!("Bearer {FS_APP_TOKEN_VALUE}").as_str()),
        "the app_access_token, not the tenant_access_token ({FS_TENANT_TOKEN_VALUE})"
    );
    assert_eq!(oidc.json()["grant_type"], "authorization_code");
    assert_eq!(oidc.json()["code"], "fixture-code-1");
    let user_info = &platform.seen(FS_USER_INFO)[0];
    assert_eq!(user_info.method, Method::GET);
    assert_eq!(
        user_info.authorization.as_deref(),
        Some(format!("Bearer {FS_USER_TOKEN_VALUE}").as_str())
    );
}

#[tokio::test]
async fn feishu_user_info_without_user_id_falls_back_to_the_open_id() {
    let platform =
        feishu_platform([Reply::json(fixture!("feishu/oidc_access_token_ok.json"))]).await;
    platform.on(
        FS_USER_INFO,
        [Reply::json(fixture!(
            "feishu/user_info_ok_without_user_id.json"
        ))],
    );
    let auth = Authenticator::new(platform.feishu());

    let user = identity(&auth, code(1)).await;

    assert_eq!(user.user_id, "ou_fixture_lisi");
    assert_eq!(user.open_id.as_deref(), Some("ou_fixture_lisi"));
    assert_eq!(user.union_id.as_deref(), Some("on_fixture_lisi"));
    assert_eq!(user.tenant.as_deref(), Some("fixture_tenant_key"));
    assert_eq!(user.key(), "feishu:fixture_tenant_key:ou_fixture_lisi");
}

#[tokio::test]
async fn feishu_a_tenant_access_token_answer_is_not_taken_for_an_app_access_token() {
    let platform =
        feishu_platform([Reply::json(fixture!("feishu/oidc_access_token_ok.json"))]).await;
    platform.on(
        FS_APP_TOKEN,
        [Reply::json(fixture!(
            "feishu/tenant_access_token_internal_ok.json"
        ))],
    );
    let auth = Authenticator::new(platform.feishu());

    let error = refused(&auth, code(1)).await;

    assert!(error.is(SilentLoginCode::UpstreamGarbled), "{error:?}");
    assert!(
        error.detail().unwrap().en().contains("app_access_token"),
        "{error:?}"
    );
    assert!(error.is_code_unused());
    assert_eq!(platform.hits(FS_OIDC_TOKEN), 0);
}

#[tokio::test]
async fn feishu_app_token_10015_is_wrong_app_secret_with_the_code_unused() {
    let platform =
        feishu_platform([Reply::json(fixture!("feishu/oidc_access_token_ok.json"))]).await;
    platform.on(
        FS_APP_TOKEN,
        [Reply::json(fixture!(
            "feishu/app_access_token_internal_10015.json"
        ))],
    );
    let auth = Authenticator::new(platform.feishu());

    let error = refused(&auth, code(1)).await;

    assert!(error.is(FeishuCode::WrongAppSecret), "{error:?}");
    assert_eq!(error.errcode(), 10015);
    assert_eq!(cause(&error), Some("app_secret_wrong"));
    assert!(error.is_code_unused());
    assert_eq!(
        platform.hits(FS_APP_TOKEN),
        1,
        "a wrong secret is not retried"
    );
    assert_eq!(platform.hits(FS_OIDC_TOKEN), 0);
}

#[tokio::test]
async fn feishu_20007_is_auth_code_invalid_whatever_the_http_status_and_is_not_retried() {
    // The HTTP status of Feishu's errors is UNVERIFIED (docs/PLATFORMS.md section 2).
    for status in [200, 400] {
        let platform =
            feishu_platform([
                Reply::json(fixture!("feishu/oidc_access_token_20007.json")).status(status)
            ])
            .await;
        let auth = Authenticator::new(platform.feishu());

        let error = refused(&auth, code(1)).await;

        assert!(error.is(FeishuCode::AuthCodeInvalid), "{status}: {error:?}");
        assert_eq!(error.errcode(), 20007);
        assert_eq!(error.status(), 401);
        assert_eq!(
            upstream_request_id(&error),
            Some("20240101000000FIXTUREBODYLOGID01")
        );
        assert_eq!(cause(&error), None, "used, expired or a gadget code");
        assert!(!error.is_code_unused());
        assert_eq!(platform.hits(FS_OIDC_TOKEN), 1, "{status}");
        assert_eq!(platform.hits(FS_USER_INFO), 0, "{status}");
    }
}

#[tokio::test]
async fn feishu_error_log_id_in_the_body_wins_over_the_x_tt_logid_header() {
    let platform = feishu_platform(
        [Reply::json(fixture!("feishu/oidc_access_token_20007.json"))
            .status(400)
            .header("x-tt-logid", "FIXTUREHEADERLOGID01")],
    )
    .await;
    let auth = Authenticator::new(platform.feishu());

    let error = refused(&auth, code(1)).await;

    assert_eq!(
        upstream_request_id(&error),
        Some("20240101000000FIXTUREBODYLOGID01")
    );
}

#[tokio::test]
async fn feishu_without_error_log_id_the_x_tt_logid_header_is_kept_and_wins_over_x_request_id() {
    let without_error = edited(fixture!("feishu/oidc_access_token_20007.json"), |body| {
        body.remove("error");
    });
    let platform = feishu_platform([Reply::json(&without_error)
        .status(400)
        .header("x-request-id", "FIXTURE-X-REQUEST-ID")
        .header("x-tt-logid", "FIXTUREHEADERLOGID02")])
    .await;
    let auth = Authenticator::new(platform.feishu());

    let error = refused(&auth, code(1)).await;

    assert!(error.is(FeishuCode::AuthCodeInvalid), "{error:?}");
    assert_eq!(upstream_request_id(&error), Some("FIXTUREHEADERLOGID02"));
}

#[tokio::test]
async fn feishu_99991663_at_the_code_exchange_fetches_a_new_app_token_and_retries_once() {
    let platform = feishu_platform([
        Reply::json(fixture!("feishu/oidc_access_token_99991663.json")).status(400),
        Reply::json(fixture!("feishu/oidc_access_token_ok.json")),
    ])
    .await;
    let renewed = edited(
        fixture!("feishu/app_access_token_internal_ok.json"),
        |body| {
            body.insert(
                "app_access_token".into(),
                "t-fixture-app-access-token-2".into(),
            );
        },
    );
    platform.on(
        FS_APP_TOKEN,
        [
            Reply::json(fixture!("feishu/app_access_token_internal_ok.json")),
            Reply::json(&renewed),
        ],
    );
    let auth = Authenticator::new(platform.feishu());

    let user = identity(&auth, code(1)).await;

    assert_eq!(user.user_id, "lisi01");
    assert_eq!(platform.hits(FS_APP_TOKEN), 2);
    let calls = platform.seen(FS_OIDC_TOKEN);
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[1].authorization.as_deref(),
        Some("Bearer t-fixture-app-access-token-2")
    );
}

#[tokio::test]
async fn feishu_an_answer_without_code_is_upstream_garbled_unlike_dingtalk() {
    let without_code = edited(fixture!("feishu/user_info_ok.json"), |body| {
        body.remove("code");
    });
    let platform =
        feishu_platform([Reply::json(fixture!("feishu/oidc_access_token_ok.json"))]).await;
    platform.on(FS_USER_INFO, [Reply::json(&without_code)]);
    let auth = Authenticator::new(platform.feishu());

    let error = refused(&auth, code(1)).await;

    assert!(error.is(SilentLoginCode::UpstreamGarbled), "{error:?}");
    assert!(error.detail().unwrap().en().contains("`code`"), "{error:?}");
}

// ---------------------------------------------------------------------------------------------
// Gateways in front of the platform
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_nginx_502_page_at_the_code_exchange_is_upstream_http_error_and_not_retried() {
    let page = || Reply::html(fixture!("gateway/nginx_502.html")).status(502);

    let dingtalk = dingtalk_platform([page()]).await;
    let error = refused(&Authenticator::new(dingtalk.dingtalk()), code(1)).await;
    assert!(error.is(SilentLoginCode::UpstreamHttpError), "{error:?}");
    assert!(error.detail().unwrap().en().contains("502"), "{error:?}");
    assert!(error.upstream().is_none());
    assert_eq!(dingtalk.hits(DT_GETUSERINFO), 1);

    let feishu = feishu_platform([page()]).await;
    let error = refused(&Authenticator::new(feishu.feishu()), code(1)).await;
    assert!(error.is(SilentLoginCode::UpstreamHttpError), "{error:?}");
    assert!(error.detail().unwrap().en().contains("502"), "{error:?}");
    assert_eq!(feishu.hits(FS_OIDC_TOKEN), 1);
    assert_eq!(feishu.hits(FS_USER_INFO), 0);
}

#[tokio::test]
async fn an_nginx_502_page_at_gettoken_is_one_request_then_upstream_http_error_with_the_code_unused(
) {
    let platform = dingtalk_platform([Reply::json(fixture!("dingtalk/getuserinfo_ok.json"))]).await;
    platform.on(
        DT_GETTOKEN,
        [Reply::html(fixture!("gateway/nginx_502.html")).status(502)],
    );
    let auth = Authenticator::new(platform.dingtalk());

    let error = refused(&auth, code(1)).await;

    assert!(error.is(SilentLoginCode::UpstreamHttpError), "{error:?}");
    assert!(error.is_code_unused());
    assert_eq!(
        platform.hits(DT_GETTOKEN),
        1,
        "one request; its failure is remembered"
    );
    assert_eq!(platform.hits(DT_GETUSERINFO), 0);
}

/// A gateway's own JSON error page is not the platform's answer: without the envelope's code, a
/// non-2xx answer is an HTTP error (not a success without `result`, nor a garbled answer).
#[tokio::test]
async fn a_gateway_json_502_without_the_platform_envelope_is_upstream_http_error() {
    let gateway = || Reply::json(fixture!("gateway/json_502.json")).status(502);

    let dingtalk = dingtalk_platform([gateway()]).await;
    let error = refused(&Authenticator::new(dingtalk.dingtalk()), code(1)).await;
    assert!(
        error.is(SilentLoginCode::UpstreamHttpError),
        "DingTalk: {error:?}"
    );
    assert!(error.detail().unwrap().en().contains("502"), "{error:?}");

    let feishu = feishu_platform([gateway()]).await;
    let error = refused(&Authenticator::new(feishu.feishu()), code(1)).await;
    assert!(
        error.is(SilentLoginCode::UpstreamHttpError),
        "Feishu: {error:?}"
    );
    assert!(error.detail().unwrap().en().contains("502"), "{error:?}");
}

// ---------------------------------------------------------------------------------------------
// Limits: the response size, the token lifetime
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_response_over_max_response_bytes_is_upstream_garbled_and_one_exactly_at_it_is_read() {
    let userinfo = fixture!("dingtalk/getuserinfo_ok.json");
    let limit = userinfo.len();
    assert!(fixture!("dingtalk/gettoken_ok.json").len() < limit - 1);
    let platform = dingtalk_platform([Reply::json(userinfo)]).await;

    let at_limit = platform
        .dingtalk()
        .http_config(HttpConfig::default().max_response_bytes(limit));
    let user = identity(&Authenticator::new(at_limit), code(1)).await;
    assert_eq!(user.user_id, "zhangsan01");

    let below = platform
        .dingtalk()
        .http_config(HttpConfig::default().max_response_bytes(limit - 1));
    let error = refused(&Authenticator::new(below), code(2)).await;
    assert!(error.is(SilentLoginCode::UpstreamGarbled), "{error:?}");
    assert_eq!(
        error.detail().map(Detail::en),
        Some(format!("the response is larger than {} bytes", limit - 1).as_str())
    );
    assert_eq!(
        error.detail().map(|detail| detail.get(Lang::Zh)),
        Some(format!("应答超过了 {} 字节", limit - 1).as_str())
    );
}

/// `gettoken_ok.json` with another `expires_in`.
fn gettoken_expiring_in(seconds: u64) -> String {
    edited(fixture!("dingtalk/gettoken_ok.json"), |body| {
        body.insert("expires_in".into(), seconds.into());
    })
}

#[tokio::test]
async fn a_token_living_60_s_less_than_the_180_s_margin_still_logs_in_with_at_most_one_fetch_per_login(
) {
    let platform = dingtalk_platform([Reply::json(fixture!("dingtalk/getuserinfo_ok.json"))]).await;
    platform.on(DT_GETTOKEN, [Reply::json(&gettoken_expiring_in(60))]);
    let auth = Authenticator::new(platform.dingtalk());

    assert_eq!(identity(&auth, code(1)).await.user_id, "zhangsan01");
    assert_eq!(identity(&auth, code(2)).await.user_id, "zhangsan01");

    assert!(
        platform.hits(DT_GETTOKEN) <= 2,
        "{}",
        platform.hits(DT_GETTOKEN)
    );
    assert_eq!(platform.hits(DT_GETUSERINFO), 2);
}

/// A token living less than the 180 s refresh margin is used for half its life, not refetched at
/// every login (which would also run into the platform's rate limit on the token endpoint).
#[tokio::test]
async fn a_token_living_60_s_is_reused_by_the_login_right_after() {
    let platform = dingtalk_platform([Reply::json(fixture!("dingtalk/getuserinfo_ok.json"))]).await;
    platform.on(DT_GETTOKEN, [Reply::json(&gettoken_expiring_in(60))]);
    let auth = Authenticator::new(platform.dingtalk());

    identity(&auth, code(1)).await;
    identity(&auth, code(2)).await;

    assert_eq!(
        platform.hits(DT_GETTOKEN),
        1,
        "a token still valid for about a minute serves the next login"
    );
}

/// A stated lifetime of `u64::MAX` seconds is clamped, not added to `Instant::now()` (which
/// would panic inside the exchange task).
#[tokio::test]
async fn an_absurdly_long_expires_in_still_logs_in() {
    let platform = dingtalk_platform([Reply::json(fixture!("dingtalk/getuserinfo_ok.json"))]).await;
    platform.on(DT_GETTOKEN, [Reply::json(&gettoken_expiring_in(u64::MAX))]);
    let auth = Authenticator::new(platform.dingtalk());

    assert_eq!(identity(&auth, code(1)).await.user_id, "zhangsan01");
    assert_eq!(identity(&auth, code(2)).await.user_id, "zhangsan01");
    assert_eq!(platform.hits(DT_GETTOKEN), 1);
}
