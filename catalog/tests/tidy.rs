//! The tidy check over the real catalog, like rustc's error-index tidy: nothing missing,
//! nothing duplicated, every text in both languages, and every code of the source documents
//! present with every cause they list.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet};

use silent_login_catalog::{
    find, lookup, CatalogCode, DingTalkCode, Entry, FeishuCode, KnownCode, Lang, ProviderKind,
    RaisedBy, SilentLoginCode,
};

fn check_catalog<C: CatalogCode>() {
    let mut codes = HashSet::new();
    let mut names = HashSet::new();
    for &code in C::ALL {
        let entry = code.entry();
        assert_eq!(entry.provider, C::PROVIDER);
        assert!(codes.insert(entry.code), "duplicate code {}", entry.code);
        assert!(names.insert(entry.name), "duplicate name {}", entry.name);
        assert_eq!(
            C::from_code(entry.code),
            Some(code),
            "from_code(code()) for {}",
            entry.name
        );
        assert!(!entry.causes.is_empty(), "{} has no cause", entry.code);
        for lang in Lang::ALL {
            assert!(
                !entry.message.get(lang).trim().is_empty(),
                "{} message {lang}",
                entry.code
            );
            assert!(
                !entry.solution.get(lang).trim().is_empty(),
                "{} solution {lang}",
                entry.code
            );
            for cause in entry.causes {
                assert!(
                    !cause.text(lang).trim().is_empty(),
                    "{} cause {}",
                    entry.code,
                    cause.id()
                );
                for detail in cause.details() {
                    assert!(!detail.get(lang).trim().is_empty());
                }
            }
        }
        assert_chinese_is_chinese(entry);
        assert!((100..=599).contains(&entry.http_status));
    }
}

/// A zh text that is only ASCII was forgotten, not translated.
fn assert_chinese_is_chinese(entry: &Entry) {
    let texts = std::iter::once(entry.message.get(Lang::Zh))
        .chain(std::iter::once(entry.solution.get(Lang::Zh)))
        .chain(entry.causes.iter().map(|cause| cause.text(Lang::Zh)));
    for text in texts {
        assert!(
            !text.is_ascii(),
            "{} {}: zh text is not Chinese: {text}",
            entry.provider,
            entry.code
        );
    }
}

#[test]
fn every_catalog_is_tidy() {
    check_catalog::<DingTalkCode>();
    check_catalog::<FeishuCode>();
    check_catalog::<SilentLoginCode>();
}

/// `(code, top-level causes, sub-points)` of every `errcode=` section of the DingTalk document.
fn dingtalk_seed_sections() -> BTreeMap<i32, (usize, usize)> {
    let source = include_str!("../sources/dingtalk-silent-login-errors.txt");
    let mut sections = BTreeMap::new();
    let mut current = None;
    for line in source.lines() {
        if let Some(rest) = line.strip_prefix("errcode=") {
            let code: i32 = rest.split(',').next().unwrap().trim().parse().unwrap();
            sections.insert(code, (0, 0));
            current = Some(code);
        } else if let Some(code) = current {
            let counts = sections.get_mut(&code).unwrap();
            if line.starts_with("    • ") {
                counts.1 += 1;
            } else if line.starts_with("  • ") {
                counts.0 += 1;
            }
        }
    }
    sections
}

#[test]
fn every_dingtalk_seed_code_is_present_with_every_cause_and_sub_point() {
    let sections = dingtalk_seed_sections();
    assert_eq!(
        sections.keys().copied().collect::<Vec<_>>(),
        [40078, 40079, 40087, 40091, 41007, 41026]
    );
    for (code, (causes, sub_points)) in sections {
        let entry = DingTalkCode::from_code(code)
            .unwrap_or_else(|| panic!("{code} missing"))
            .entry();
        assert_eq!(entry.causes.len(), causes, "causes of {code}");
        // A sub-point is either a detail or, where it only explains its cause, folded into the
        // cause's text; either way no cause can have lost its sub-points entirely.
        let details: usize = entry
            .causes
            .iter()
            .map(|cause| cause.details().len().max(1))
            .sum();
        assert!(
            details >= sub_points,
            "{code}: {details} details for {sub_points} sub-points"
        );
    }
}

#[test]
fn every_feishu_request_auth_code_err_code_is_present_as_a_jsapi_error() {
    let source = include_str!("../sources/feishu-requestAuthCode.md");
    let mut seen = HashSet::new();
    for line in source.lines() {
        let Some((first, _)) = line.split_once(" | ") else {
            continue;
        };
        let Ok(code) = first.trim().parse::<i32>() else {
            continue;
        };
        seen.insert(code);
        let entry = FeishuCode::from_code(code)
            .unwrap_or_else(|| panic!("{code} missing"))
            .entry();
        assert_eq!(entry.raised_by, RaisedBy::Jsapi, "{code}");
    }
    assert_eq!(seen.len(), 10, "{seen:?}");
}

/// DingTalk documents its JSAPI `errorCode` values per API (docs/PLATFORMS.md §3.7); these are
/// the ones with a public source. -1 (the SDK's "cancel") is not among them: the number is the
/// server's "system busy", and a catalog holds one entry per code.
#[test]
fn every_documented_dingtalk_jsapi_code_is_present_and_minus_one_stays_the_server_code() {
    let mut jsapi: Vec<i32> = DingTalkCode::ALL
        .iter()
        .map(|code| code.entry())
        .filter(|entry| entry.raised_by == RaisedBy::Jsapi)
        .map(|entry| entry.code)
        .collect();
    jsapi.sort_unstable();
    assert_eq!(jsapi, [1, 2, 3, 7, 4050, 4060]);
    let three = DingTalkCode::from_code(3).unwrap();
    for cause in [
        "corp_id_invalid",
        "page_domain_mismatch",
        "dd_config_failed",
        "mini_program_system_error",
    ] {
        assert!(
            three.entry().cause(cause).is_some(),
            "3 has no cause {cause}"
        );
    }
    let help = three.help(Lang::Zh);
    for text in [
        "1002,corpId不合法",
        "对应企业没有xxxx域名微应用",
        "系统异常",
        "$CORPID$",
    ] {
        assert!(help.contains(text), "{text} missing from {help}");
    }
    assert_eq!(
        DingTalkCode::from_code(-1).unwrap().entry().raised_by,
        RaisedBy::ServerApi
    );
}

#[test]
fn the_redirect_url_advice_explains_how_to_compute_the_page_url() {
    let help = FeishuCode::from_code(10236).unwrap().help(Lang::Zh);
    assert!(
        help.contains("window.location.href.split('?')[0].split('#')[0]"),
        "{help}"
    );
    assert!(help.contains("http://127.0.0.1:3000/"), "{help}");
}

#[test]
fn the_causes_the_middleware_narrows_to_exist() {
    let needed = [
        (lookup(ProviderKind::DingTalk, 40078), "code_used"),
        (lookup(ProviderKind::DingTalk, 40078), "code_type_mixed"),
        (lookup(ProviderKind::DingTalk, 41026), "param_misspelled"),
        (lookup(ProviderKind::DingTalk, 41026), "param_missing"),
        (lookup(ProviderKind::DingTalk, 40079), "user_not_visible"),
        (lookup(ProviderKind::Feishu, 20007), "code_used"),
        (lookup(ProviderKind::Feishu, 20024), "app_id_mismatch"),
        (
            lookup(ProviderKind::Feishu, 10228),
            "app_not_visible_to_user",
        ),
    ];
    for (code, cause) in needed {
        let entry = code.expect("code exists").entry();
        assert!(
            entry.cause(cause).is_some(),
            "{} {} has no cause {cause}",
            entry.provider,
            entry.code
        );
    }
}

/// The middleware pauses token requests after a token-endpoint answer whose catalog status is
/// 429 (`middleware/src/token_cache.rs`): every DingTalk rate-limit code must say 429 and
/// retryable, the per-app QPS limit 90018 included (docs/PLATFORMS.md §3.5, §3.6).
#[test]
fn every_dingtalk_rate_limit_code_is_429_and_retryable() {
    let rate_limits: Vec<i32> = [45009, 90018].into_iter().chain(90001..=90014).collect();
    for code in &rate_limits {
        let entry = DingTalkCode::from_code(*code)
            .unwrap_or_else(|| panic!("{code} missing"))
            .entry();
        assert_eq!(entry.http_status, 429, "{code}");
        assert!(entry.retryable, "{code}");
        assert_eq!(entry.raised_by, RaisedBy::ServerApi, "{code}");
    }
    let mut answering_429: Vec<i32> = DingTalkCode::ALL
        .iter()
        .map(|code| code.entry())
        .filter(|entry| entry.http_status == 429)
        .map(|entry| entry.code)
        .collect();
    answering_429.sort_unstable();
    let mut expected = rate_limits;
    expected.sort_unstable();
    assert_eq!(
        answering_429, expected,
        "429 means a rate limit, and only that"
    );

    let qps = DingTalkCode::from_code(90018).unwrap();
    assert_eq!(qps, DingTalkCode::AppApiQpsLimitExceeded);
    let help = qps.help(Lang::Zh);
    assert!(help.contains("20 次"), "{help}");
    assert!(qps
        .entry()
        .docs
        .is_some_and(|docs| docs.contains("api-throttling")));
}

/// 60020: the egress IP allowlist, a setting of the app, never healed by retrying.
#[test]
fn the_ip_whitelist_code_points_to_the_egress_ip_setting() {
    let code = DingTalkCode::from_code(60020).unwrap();
    assert_eq!(code, DingTalkCode::IpNotInWhitelist);
    let entry = code.entry();
    assert_eq!(entry.http_status, 502);
    assert!(!entry.retryable);
    assert_eq!(entry.raised_by, RaisedBy::ServerApi);
    for cause in [
        "egress_ip_not_listed",
        "egress_ip_list_empty",
        "token_of_another_app",
    ] {
        assert!(entry.cause(cause).is_some(), "60020 has no cause {cause}");
    }
    let zh = code.help(Lang::Zh);
    for text in ["开发配置 → 安全设置 → 服务端出口 IP", "request ip="] {
        assert!(zh.contains(text), "{text} missing from {zh}");
    }
    assert!(code.help(Lang::En).contains("request ip="));
}

/// 50002: the visible scope is set per version in the developer console, not the admin console.
#[test]
fn the_visible_scope_advice_names_the_version_release_page() {
    let code = DingTalkCode::from_code(50002).unwrap();
    let en = code.help(Lang::En);
    assert!(
        en.contains("版本管理与发布") && en.contains("可使用范围"),
        "{en}"
    );
    assert!(!en.contains("admin console"), "{en}");
    assert!(!code.help(Lang::Zh).contains("管理后台"));
    assert!(code
        .entry()
        .docs
        .is_some_and(|docs| docs.contains("application-visible-range")));
}

#[test]
fn a_number_can_mean_something_in_several_catalogs() {
    for code in KnownCode::all() {
        assert!(find(code.code()).contains(&code));
        assert_eq!(
            KnownCode::from_key(code.provider(), code.code()),
            Some(code)
        );
    }
    assert_eq!(
        lookup(ProviderKind::Lark, 10236),
        lookup(ProviderKind::Feishu, 10236)
    );
    assert_eq!(KnownCode::from_key("wecom", 40078), None);
}

#[test]
fn display_is_short_and_lowercase_and_serialize_names_the_code() {
    let code = DingTalkCode::TmpAuthCodeNotFound;
    assert_eq!(
        code.to_string(),
        "dingtalk error 40078: the temporary authorization code does not exist"
    );
    assert_eq!(
        serde_json::to_string(&code).unwrap(),
        r#"{"provider":"dingtalk","code":40078,"name":"TmpAuthCodeNotFound"}"#
    );
    assert_eq!(DingTalkCode::try_from(40078), Ok(code));
    assert!(DingTalkCode::try_from(123).is_err());
}

#[test]
fn help_reads_like_rustc_explain_in_both_languages() {
    let code = DingTalkCode::from_code(41026).unwrap();
    let en = code.help(Lang::En);
    assert!(
        en.starts_with("dingtalk 41026 (MissingTmpAuthCode)\n"),
        "{en}"
    );
    assert!(
        en.contains("Possible causes:") && en.contains("Solution:"),
        "{en}"
    );
    assert!(
        en.contains("temp_auth_code"),
        "the misspelling example of the source: {en}"
    );
    let zh = code.help(Lang::Zh);
    assert!(zh.contains("可能原因") && zh.contains("解决方法"), "{zh}");
}
