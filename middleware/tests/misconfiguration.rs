//! A configuration that cannot log anybody in is refused up front: `SilentLoginLayer::validate`
//! names every bad setting in one `Misconfigured` error, `Layer::layer` panics with that message,
//! and an `Authenticator` over a misconfigured provider answers `Misconfigured` instead of asking
//! the platform.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::convert::Infallible;

use http::{Request, Response, StatusCode};
use silent_login::catalog::{Lang, SilentLoginCode};
use silent_login::{AuthCode, Authenticator, DingTalk, Feishu, LoginError, SilentLoginLayer};
use tower::{service_fn, Layer};

/// An inner service that is never meant to run.
fn inner_never_called(
) -> impl tower::Service<Request<String>, Response = Response<String>, Error = Infallible> + Clone {
    service_fn(|_: Request<String>| async { Ok::<_, Infallible>(Response::new(String::new())) })
}

#[test]
fn validate_names_every_bad_setting_in_one_error() {
    let layer = SilentLoginLayer::new(DingTalk::new("", " ").api_base("oapi.dingtalk.com"))
        .allowed_origin("https://h5.example.com/app");

    let error = layer.validate().unwrap_err();

    assert_eq!(error.code(), SilentLoginCode::Misconfigured);
    assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
    for setting in [
        "the DingTalk AppKey is empty",
        "the DingTalk AppSecret is empty",
        "the DingTalk api_base `oapi.dingtalk.com` is not an http(s) URL",
        "allowed_origin `https://h5.example.com/app` is not an origin",
    ] {
        assert!(error.detail().en().contains(setting), "{setting}: {error}");
    }
    assert!(
        error
            .to_string()
            .ends_with(&format!(": {}", error.detail())),
        "Display is `<code>: <detail>`: {error}"
    );
    // The same problems in Chinese, for an error answer in Chinese.
    for problem in [
        "钉钉 AppKey 为空",
        "钉钉 AppSecret 为空",
        "钉钉 api_base `oapi.dingtalk.com` 不是 http(s) URL",
        "allowed_origin `https://h5.example.com/app` 不是源",
    ] {
        let chinese = error.detail().get(Lang::Zh);
        assert!(chinese.contains(problem), "{problem}: {chinese}");
    }
    let login_error = LoginError::from(error.clone());
    assert!(login_error.is(SilentLoginCode::Misconfigured));
    assert_eq!(login_error.detail(), Some(error.detail()));
}

#[test]
fn validate_names_the_feishu_settings_too() {
    for (provider, settings) in [
        (
            Feishu::new("", "secret").api_base("ftp://open.feishu.cn"),
            ["the Feishu App ID is empty", "the Feishu api_base"],
        ),
        (
            Feishu::lark("cli_lark", "").api_base("https://user@open.larksuite.com"),
            ["the Lark App Secret is empty", "the Lark api_base"],
        ),
    ] {
        let error = SilentLoginLayer::new(provider).validate().unwrap_err();
        assert_eq!(error.code(), SilentLoginCode::Misconfigured);
        for setting in settings {
            assert!(error.detail().en().contains(setting), "{setting}: {error}");
        }
    }
}

#[test]
fn a_sound_configuration_validates() {
    let layers = [
        SilentLoginLayer::new(DingTalk::new("dingkey", "secret")),
        SilentLoginLayer::new(
            DingTalk::new("dingkey", "secret")
                .corp_id("dingcorp")
                .api_base("http://127.0.0.1:8080/proxy/"),
        )
        .allowed_origin("https://h5.example.com:8443")
        .allowed_origin("http://localhost:3000/"),
        SilentLoginLayer::new(Feishu::new("cli_app", "secret").api_base("https://open.feishu.cn")),
        SilentLoginLayer::new(Feishu::lark("cli_app", "secret")),
    ];
    for layer in layers {
        assert_eq!(layer.validate(), Ok(()), "{layer:?}");
        let _service = layer.layer(inner_never_called());
    }
}

#[test]
#[should_panic(expected = "silent-login cannot start")]
fn building_a_service_from_a_misconfigured_layer_panics() {
    let layer = SilentLoginLayer::new(DingTalk::new("", "secret"));
    let _service = layer.layer(inner_never_called());
}

#[test]
#[should_panic(
    expected = "the DingTalk AppKey is empty; allowed_origin `h5.example.com` is not an origin"
)]
fn the_panic_names_every_bad_setting() {
    let layer = SilentLoginLayer::new(DingTalk::new("", "secret")).allowed_origin("h5.example.com");
    let _service = layer.layer(inner_never_called());
}

#[tokio::test]
async fn the_authenticator_answers_misconfigured_for_a_misconfigured_provider() {
    // Nothing listens there: had the platform been asked, the answer would be 503.
    let authenticator =
        Authenticator::new(DingTalk::new("", "secret").api_base(support::UNROUTABLE));
    let code = AuthCode::parse("a-code-from-the-front-end").unwrap();

    let error = authenticator.exchange(code.clone()).await.unwrap_err();

    assert!(error.is(SilentLoginCode::Misconfigured), "{error:?}");
    assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        error.detail().unwrap().en().contains("AppKey is empty"),
        "{error:?}"
    );
    // Nothing was remembered about the code: once configured, the code would still be tried.
    let again = authenticator.exchange(code).await.unwrap_err();
    assert!(again.is(SilentLoginCode::Misconfigured), "{again:?}");

    let feishu = Authenticator::new(Feishu::new("cli_app", "secret").api_base("open.feishu.cn"));
    let error = feishu
        .exchange(AuthCode::parse("another-code").unwrap())
        .await
        .unwrap_err();
    assert!(error.is(SilentLoginCode::Misconfigured), "{error:?}");
    assert!(
        error.detail().unwrap().en().contains("api_base"),
        "{error:?}"
    );
}

#[test]
fn settings_are_checked_as_they_finally_are() {
    // A corrected api_base wins; what was set before it does not linger.
    let corrected = DingTalk::new("dingkey", "secret")
        .api_base("oapi.dingtalk.com")
        .api_base("https://oapi.dingtalk.com");
    assert_eq!(SilentLoginLayer::new(corrected).validate(), Ok(()));
}

#[test]
fn an_empty_corp_id_a_query_in_api_base_and_clashing_paths_are_refused() {
    let layer = SilentLoginLayer::new(
        DingTalk::new("dingkey", "secret")
            .corp_id("")
            .api_base("https://oapi.dingtalk.com?x=1"),
    )
    .login_path("auth/login")
    .logout_path("auth/login");
    let error = layer.validate().unwrap_err();
    for problem in [
        "the DingTalk corpId is empty",
        "the DingTalk api_base",
        "login_path `auth/login` must start with `/`",
        "login_path and logout_path are both `auth/login`",
    ] {
        assert!(error.detail().en().contains(problem), "{problem}: {error}");
    }
    let login_error = LoginError::from(error);
    assert_eq!(
        login_error.narrowed_cause().map(|cause| cause.id()),
        Some("credentials_missing")
    );
}

#[test]
fn keeping_user_tokens_is_refused_where_they_cannot_be_kept() {
    // DingTalk's internal-app login yields no user token.
    let dingtalk =
        SilentLoginLayer::new(DingTalk::new("k", "s").corp_id("dingcorp")).keep_user_tokens();
    let error = dingtalk.validate().unwrap_err();
    assert_eq!(error.code(), SilentLoginCode::Misconfigured);
    assert!(
        error.detail().en().contains("issues no user tokens"),
        "{error}"
    );
    assert!(
        error.detail().get(Lang::Zh).contains("不签发用户令牌"),
        "{error}"
    );
    // A store that does not keep them (the trait's default, as a custom store has it).
    let store = std::sync::Arc::new(support::SharedTokens(silent_login::MemoryStore::new()));
    let feishu = SilentLoginLayer::new(Feishu::new("cli_a", "s"))
        .store(store)
        .keep_user_tokens();
    let error = feishu.validate().unwrap_err();
    assert!(
        error.detail().en().contains("cannot keep user tokens"),
        "{error}"
    );
    // The built-in stores do.
    assert!(SilentLoginLayer::new(Feishu::new("cli_a", "s"))
        .user_token_margin(std::time::Duration::from_secs(120))
        .validate()
        .is_ok());
}
