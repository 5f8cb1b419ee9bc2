//! The emulated clients fail only with JSAPI codes the platforms document: each platform's list
//! is exactly its catalog's `raised_by: jsapi` codes, and every refusal comes from the list.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashSet};

use serde_json::{json, Value};
use silent_login_catalog::{codes_of, RaisedBy};
use silent_login_mock::{
    demo, jsapi_failure, jsapi_failures, jsapi_fallback, CodeKind, JsapiCodeSpace, JsapiError,
    MintCode, MockPlatform, MockUser, ProviderKind,
};

const PROVIDERS: [ProviderKind; 3] = [
    ProviderKind::DingTalk,
    ProviderKind::Feishu,
    ProviderKind::Lark,
];

/// errCodes are the catalog's `raised_by: jsapi` codes, Feishu errnos its `raised_by:
/// jsapi_errno` ones (compared by name: the catalog's errno space is `RaisedBy`'s newest).
#[test]
fn each_list_is_exactly_the_catalogs_jsapi_codes_of_its_platform() {
    for provider in PROVIDERS {
        for (space, raised_by) in [
            (JsapiCodeSpace::ErrCode, RaisedBy::Jsapi.as_str()),
            (JsapiCodeSpace::Errno, "jsapi_errno"),
        ] {
            let listed: BTreeSet<i32> = jsapi_failures(provider)
                .iter()
                .filter(|failure| failure.space == space)
                .map(|failure| failure.code)
                .collect();
            let documented: BTreeSet<i32> = codes_of(provider.as_str())
                .into_iter()
                .filter(|code| code.entry().raised_by.as_str() == raised_by)
                .map(|code| code.code())
                .collect();
            assert_eq!(listed, documented, "{provider:?} {space:?}");
        }
    }
}

#[test]
fn a_code_picks_its_first_failure_and_the_fallback_is_listed() {
    for provider in PROVIDERS {
        let failures = jsapi_failures(provider);
        let distinct: HashSet<_> = failures.iter().collect();
        assert_eq!(
            distinct.len(),
            failures.len(),
            "{provider:?} repeats a failure"
        );
        for failure in failures {
            let picked = jsapi_failure(provider, failure.code).unwrap();
            let first = failures.iter().find(|f| f.code == failure.code).unwrap();
            assert_eq!(picked, *first);
        }
        assert!(failures.contains(&jsapi_fallback(provider)), "{provider:?}");
    }
    let corp = jsapi_failure(ProviderKind::DingTalk, 3).unwrap();
    assert_eq!(corp.message, "1002,corpId不合法");
    assert_eq!(jsapi_fallback(ProviderKind::DingTalk).message, "系统异常");
    assert_eq!(jsapi_fallback(ProviderKind::Feishu).code, 10232);
    // -1 is the SDK's "cancel" and DingTalk's server "system busy"; 9 is dd.config's signature
    // failure; 0 is success: none is a documented failure of the code request.
    for code in [-1, 0, 9] {
        assert_eq!(jsapi_failure(ProviderKind::DingTalk, code), None, "{code}");
    }
    assert_eq!(jsapi_failure(ProviderKind::Feishu, 3), None);
}

/// `err` is a listed failure of `provider`, at most with a note after the message.
fn assert_listed(provider: ProviderKind, err: &JsapiError, what: &str) {
    let listed = jsapi_failures(provider).iter().any(|failure| {
        i64::from(failure.code) == err.code
            && (err.message == failure.message
                || err
                    .message
                    .strip_prefix(failure.message)
                    .is_some_and(|rest| rest.trim_start().starts_with("(silent-login-mock: ")))
    });
    assert!(
        listed,
        "{what}: {err:?} is not a listed {provider:?} failure"
    );
}

#[tokio::test]
async fn every_refusal_is_a_listed_failure() {
    let mock = MockPlatform::builder()
        .demo()
        .user(
            MockUser::new("zoe", "Zoe")
                .corp("othercorp")
                .tenant("othertenant"),
        )
        .start()
        .await
        .unwrap();
    let refusals = [
        ("another corp", MintCode::dingtalk("zoe")),
        (
            "unknown app",
            MintCode::dingtalk(demo::ALICE).with_app("dingnope"),
        ),
        (
            "not a DingTalk kind",
            MintCode::dingtalk(demo::ALICE).with_kind(CodeKind::FeishuWebApp),
        ),
        ("not visible", MintCode::feishu(demo::CAROL)),
        ("unknown user", MintCode::feishu("nobody")),
        ("another tenant", MintCode::feishu("zoe")),
        (
            "unknown app",
            MintCode::feishu(demo::ALICE).with_app("cli_nope"),
        ),
        (
            "not a Feishu kind",
            MintCode::feishu(demo::ALICE).with_kind(CodeKind::H5),
        ),
    ];
    for (what, request) in refusals {
        let provider = request.provider;
        let err = mock.mint_code(request).unwrap_err();
        assert_eq!(err.provider, provider, "{what}");
        assert_listed(provider, &err, what);
    }

    // The control API answers the same refusals in the client's fail shape.
    let client = reqwest::Client::new();
    for (body, code_key, message_key) in [
        (
            json!({ "provider": "dingtalk", "user": "alice", "corp_id": "dingwrong" }),
            "errorCode",
            "errorMessage",
        ),
        (
            json!({ "provider": "lark", "user": "nobody" }),
            "errCode",
            "errMsg",
        ),
    ] {
        let response = client
            .post(format!("{}/_mock/codes", mock.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await.unwrap();
        let provider = if code_key == "errorCode" {
            ProviderKind::DingTalk
        } else {
            ProviderKind::Feishu
        };
        let err = JsapiError {
            provider,
            code: answer[code_key].as_i64().unwrap(),
            message: answer[message_key].as_str().unwrap().to_owned(),
        };
        assert_listed(provider, &err, &body.to_string());
    }
}

#[tokio::test]
async fn the_served_shim_carries_the_lists_and_no_table_of_its_own() {
    let mock = MockPlatform::builder().demo().start().await.unwrap();
    let js = reqwest::get(format!("{}/_mock/jsapi.js", mock.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !js.contains("SILENT_LOGIN_MOCK_FAILURES"),
        "placeholder left"
    );
    assert!(
        !js.contains("mock failure"),
        "an invented failure text is back"
    );
    for provider in [ProviderKind::DingTalk, ProviderKind::Feishu] {
        for failure in jsapi_failures(provider) {
            let json = serde_json::to_string(failure).unwrap();
            assert!(js.contains(&json), "{json} missing from the shim");
        }
    }
}
