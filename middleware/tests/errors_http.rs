//! The HTTP error body and its headers (docs/CONTRACTS.md, section 4): every key of the
//! contract, `WWW-Authenticate` and the caller's request id on a refusal, texts — `detail`
//! included — in the language the caller asked for (else the layer's `default_lang`), and
//! oversized headers refused with 431.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use silent_login::catalog::{lookup, Lang};
use silent_login::ProviderKind;
use support::{
    catalog_text, client, error_body, get_me, login, serve_layer, start_mock, Auth, TestPlatform,
};

#[tokio::test]
async fn a_chinese_accept_language_gets_chinese_texts() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let response = client
        .post(format!("{base}/api/login"))
        .header("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")
        .json(&json!({ "temp_auth_code": "abc" }))
        .send()
        .await
        .unwrap();
    let body = error_body(response, 400, 41026).await;
    let (message, solution) = catalog_text("dingtalk", 41026, Lang::Zh);
    assert_eq!(body["errmsg"], message);
    assert_eq!(body["solution"], solution);
    let entry = lookup(ProviderKind::DingTalk, 41026).unwrap().entry();
    let cause = entry.cause("param_misspelled").unwrap();
    assert_eq!(body["cause"], cause.text(Lang::Zh));
    assert!(
        body["errmsg"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c > '\u{2e80}'),
        "{body:#}"
    );

    let refused = client
        .get(format!("{base}/api/me"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap();
    let body = error_body(refused, 401, 700201).await;
    let (message, solution) = catalog_text("silent-login", 700201, Lang::Zh);
    assert_eq!(body["errmsg"], message);
    assert_eq!(body["solution"], solution);
}

#[tokio::test]
async fn a_refused_request_carries_www_authenticate_and_every_key_of_the_error_body() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let response = client
        .get(format!("{base}/api/me"))
        .header("x-request-id", "req-123")
        .send()
        .await
        .unwrap();
    let www = response
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(www.starts_with("Bearer"), "{www}");
    assert_eq!(response.headers()["x-request-id"], "req-123");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = error_body(response, 401, 700201).await;
    assert_eq!(body["provider"], "silent-login");
    assert_eq!(body["request_id"], "req-123");
    assert!(!body["causes"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_huge_cookie_or_authorization_header_is_refused_with_431() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let cookie = format!("other={}; silent_login=abc", "c".repeat(20 * 1024));
    let response = get_me(&client, &base, Auth::Cookie(&cookie)).await;
    error_body(response, 431, 700111).await;
    let bearer = "b".repeat(9 * 1024);
    let response = get_me(&client, &base, Auth::Bearer(&bearer)).await;
    error_body(response, 431, 700111).await;
}

#[tokio::test]
async fn texts_are_in_default_lang_unless_accept_language_names_english_or_chinese() {
    let mock = start_mock().await;
    let client = client();
    let chinese = serve_layer(ProviderKind::DingTalk.layer(&mock).default_lang(Lang::Zh)).await;
    let english = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let cases = [
        (&chinese, None, Lang::Zh),
        (&chinese, Some("en-US,en;q=0.9"), Lang::En),
        (&chinese, Some("fr-FR,de;q=0.8"), Lang::Zh),
        (&chinese, Some("klingon"), Lang::Zh),
        // The default of the default is English.
        (&english, None, Lang::En),
        (&english, Some("fr-FR"), Lang::En),
        (&english, Some("zh-TW"), Lang::Zh),
    ];
    let missing = lookup(ProviderKind::DingTalk, 41026).unwrap().entry();
    let misspelled = missing.cause("param_misspelled").unwrap();
    for (base, accept_language, lang) in cases {
        let case = format!("{accept_language:?} on {base}");
        // A session refusal and a login refusal alike.
        let mut me = client.get(format!("{base}/api/me"));
        let mut login = client
            .post(format!("{base}/api/login"))
            .json(&json!({ "temp_auth_code": "abc" }));
        if let Some(value) = accept_language {
            me = me.header("accept-language", value);
            login = login.header("accept-language", value);
        }
        let body = error_body(me.send().await.unwrap(), 401, 700201).await;
        let (message, solution) = catalog_text("silent-login", 700201, lang);
        assert_eq!(body["errmsg"], message, "{case}");
        assert_eq!(body["solution"], solution, "{case}");

        let body = error_body(login.send().await.unwrap(), 400, 41026).await;
        let (message, solution) = catalog_text("dingtalk", 41026, lang);
        assert_eq!(body["errmsg"], message, "{case}");
        assert_eq!(body["solution"], solution, "{case}");
        assert_eq!(body["cause"], misspelled.text(lang), "{case}");
        let causes: Vec<&str> = missing.causes.iter().map(|c| c.text(lang)).collect();
        assert_eq!(body["causes"], json!(causes), "{case}");
    }
}

/// Every cause of the entry as an object with its sub-points and source, and the sources of the
/// narrowed cause and of the solution, over HTTP as a browser gets them.
#[tokio::test]
async fn the_body_says_where_each_text_comes_from_and_keeps_every_sub_point() {
    let mock = start_mock().await;
    let client = client();
    let base = serve_layer(ProviderKind::DingTalk.layer(&mock)).await;
    let code = ProviderKind::DingTalk.mint(&mock, silent_login_mock::demo::ALICE);
    assert_eq!(login(&client, &base, &code).await.status(), 200);
    let body = error_body(login(&client, &base, &code).await, 401, 40078).await;
    assert_eq!(body["cause_id"], "code_used", "{body:#}");
    assert_eq!(
        body["cause_source"], "seed",
        "the DingTalk document's words"
    );
    assert_eq!(body["cause_details"], json!([]));
    assert_eq!(body["solution_source"], "inferred");
    let entry = lookup(ProviderKind::DingTalk, 40078).unwrap().entry();
    let detailed = body["causes_detailed"].as_array().unwrap();
    assert_eq!(detailed.len(), entry.causes.len(), "{body:#}");
    for (object, cause) in detailed.iter().zip(entry.causes) {
        assert_eq!(object["id"], cause.id());
        assert_eq!(object["text"], cause.text(Lang::En));
        let details: Vec<&str> = cause.details().iter().map(|d| d.get(Lang::En)).collect();
        assert_eq!(object["details"], json!(details));
        assert_eq!(object["source"], cause.source().as_str());
    }
    assert_eq!(
        detailed[0]["details"][0],
        "For mini program apps, use dd.getAuthCode."
    );
}

/// `detail` of a misspelled code name, in English and Chinese.
const MISSPELLED: [&str; 2] = [
    "got `temp_auth_code`, expected `tmp_auth_code`",
    "收到的是 `temp_auth_code`，应为 `tmp_auth_code`",
];
/// `detail` of a bearer token that is none of ours, in English and Chinese.
const NOT_A_TOKEN: [&str; 2] = [
    "not a silent-login session token",
    "这不是 silent-login 的会话令牌",
];

#[tokio::test]
async fn detail_is_in_the_language_of_the_request_and_answered_only_when_exposed() {
    let mock = start_mock().await;
    let client = client();
    let layer = || ProviderKind::DingTalk.layer(&mock);
    let exposing = serve_layer(layer().expose_error_details(true)).await;
    let chinese = serve_layer(layer().expose_error_details(true).default_lang(Lang::Zh)).await;
    let hiding = serve_layer(layer()).await;
    let cases = [
        (&exposing, None, Lang::En),
        (&exposing, Some("en-US,en;q=0.9"), Lang::En),
        (&exposing, Some("fr-FR"), Lang::En),
        (&exposing, Some("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh),
        (&exposing, Some("zh-TW"), Lang::Zh),
        (&exposing, Some("en;q=0.5,zh;q=0.8"), Lang::Zh),
        // The layer's `default_lang` when the header names neither language.
        (&chinese, None, Lang::Zh),
        (&chinese, Some("de-DE"), Lang::Zh),
        (&chinese, Some("en"), Lang::En),
    ];
    for (base, accept_language, lang) in cases {
        let case = format!("{accept_language:?} on {base}");
        let index = usize::from(lang == Lang::Zh);
        let mut login = client
            .post(format!("{base}/api/login"))
            .json(&json!({ "temp_auth_code": "abc" }));
        let mut me = client.get(format!("{base}/api/me")).bearer_auth("garbage");
        if let Some(value) = accept_language {
            login = login.header("accept-language", value);
            me = me.header("accept-language", value);
        }
        let body = error_body(login.send().await.unwrap(), 400, 41026).await;
        assert_eq!(body["detail"], MISSPELLED[index], "{case}: {body:#}");
        let (message, _) = catalog_text("dingtalk", 41026, lang);
        assert_eq!(body["errmsg"], message, "{case}");

        let body = error_body(me.send().await.unwrap(), 401, 700203).await;
        assert_eq!(body["detail"], NOT_A_TOKEN[index], "{case}: {body:#}");
    }

    // Without `expose_error_details` there is no detail in either language.
    for accept_language in ["en", "zh-CN"] {
        let response = client
            .post(format!("{hiding}/api/login"))
            .header("accept-language", accept_language)
            .json(&json!({ "temp_auth_code": "abc" }))
            .send()
            .await
            .unwrap();
        let body = error_body(response, 400, 41026).await;
        assert!(body.get("detail").is_none(), "{accept_language}: {body:#}");
    }
}
