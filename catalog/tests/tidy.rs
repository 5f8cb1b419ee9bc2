//! The tidy check over the real catalog, like rustc's error-index tidy: nothing missing,
//! nothing duplicated, every text in both languages, every code of the source documents
//! present with every cause they list, and every text marked `source: seed` in the source
//! document's own words.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet};

use silent_login_catalog::{
    find, lookup, lookup_raised_by, CatalogCode, DingTalkCode, Entry, FeishuCode, KnownCode, Lang,
    ProviderKind, RaisedBy, SilentLoginCode, Source,
};

const DINGTALK_SOURCE: &str = include_str!("../sources/dingtalk-silent-login-errors.txt");
const FEISHU_SOURCE: &str = include_str!("../sources/feishu-requestAuthCode.md");

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
    let source = DINGTALK_SOURCE;
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
    let source = FEISHU_SOURCE;
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

// ---------------------------------------------------------------------------------------------
// `source: seed` means the document's own words
// ---------------------------------------------------------------------------------------------

/// Letters and digits only, lowercased: whitespace, punctuation, Markdown (`**`, backticks,
/// `[text](link)` keeps both), quote styles and full- or half-width brackets do not count; every
/// word does.
fn normalized(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The sentences of a text: split after `。！？；` (Chinese) and after `. ` (English), so a
/// catalog text may join sentences of one section that the document writes apart (a cause and
/// its sub-point, or both of a code's table rows), but never change one.
fn sentences(text: &str) -> Vec<String> {
    text.split(['。', '！', '？', '；'])
        .flat_map(|part| part.split(". "))
        .map(normalized)
        .filter(|sentence| !sentence.is_empty())
        .collect()
}

/// Every section of the DingTalk document, normalized: from `errcode=N` to the next `errcode=`.
fn dingtalk_sections() -> BTreeMap<i32, String> {
    let mut sections: BTreeMap<i32, String> = BTreeMap::new();
    let mut current = None;
    for line in DINGTALK_SOURCE.lines() {
        if let Some(rest) = line.strip_prefix("errcode=") {
            current = rest.split(',').next().and_then(|n| n.trim().parse().ok());
        }
        if let Some(code) = current {
            sections
                .entry(code)
                .or_default()
                .push_str(&normalized(line));
        }
    }
    sections
}

/// Every section of the Feishu document, normalized: the rows of both errCode tables that start
/// with `N | `, each with its continuation lines up to a blank line or the next row.
fn feishu_sections() -> BTreeMap<i32, String> {
    let mut sections: BTreeMap<i32, String> = BTreeMap::new();
    let mut current = None;
    for line in FEISHU_SOURCE.lines() {
        let row = line
            .split_once(" | ")
            .and_then(|(first, _)| first.trim().parse::<i32>().ok());
        if row.is_some() {
            current = row;
        } else if line.trim().is_empty() {
            current = None;
        }
        if let Some(code) = current {
            sections
                .entry(code)
                .or_default()
                .push_str(&normalized(line));
        }
    }
    sections
}

/// The sentences of `text` that are not in `section`, or a complaint if it has none.
fn not_in_section(text: &str, section: &str) -> Vec<String> {
    let sentences = sentences(text);
    if sentences.is_empty() {
        return vec![format!("no words in {text:?}")];
    }
    sentences
        .into_iter()
        .filter(|sentence| !section.contains(sentence.as_str()))
        .collect()
}

/// Every `seed` text of a catalog, in the document's language, that is not the document's.
fn seed_mismatches<C: CatalogCode>(sections: &BTreeMap<i32, String>, lang: Lang) -> Vec<String> {
    let mut problems = Vec::new();
    for &code in C::ALL {
        let entry = code.entry();
        let mut texts: Vec<(String, &str)> = Vec::new();
        for cause in entry.causes.iter().filter(|c| c.source() == Source::Seed) {
            texts.push((format!("cause `{}`", cause.id()), cause.text(lang)));
            for detail in cause.details() {
                texts.push((
                    format!("a detail of cause `{}`", cause.id()),
                    detail.get(lang),
                ));
            }
        }
        if entry.solution_source == Source::Seed {
            texts.push(("the solution".to_owned(), entry.solution.get(lang)));
        }
        for (what, text) in texts {
            let Some(section) = sections.get(&entry.code) else {
                problems.push(format!(
                    "{} {}: {what} is `seed`, but no source document has a section for the code",
                    entry.provider, entry.code
                ));
                continue;
            };
            for missing in not_in_section(text, section) {
                problems.push(format!(
                    "{} {}: {what} is `seed`, but the document's section does not say {missing:?} \
                     (use the document's words, or mark it `reference` / `inferred`)",
                    entry.provider, entry.code
                ));
            }
        }
    }
    problems
}

/// DingTalk's document is English, Feishu's Chinese: a `seed` text is checked in the document's
/// language (the other translation is a translation of it); silent-login has no document.
#[test]
fn every_seed_text_is_the_source_documents_own_words() {
    let mut problems = seed_mismatches::<DingTalkCode>(&dingtalk_sections(), Lang::En);
    problems.extend(seed_mismatches::<FeishuCode>(&feishu_sections(), Lang::Zh));
    problems.extend(seed_mismatches::<SilentLoginCode>(
        &BTreeMap::new(),
        Lang::En,
    ));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_seed_check_rejects_a_paraphrase_and_accepts_the_documents_words() {
    let dingtalk = dingtalk_sections();
    let missing = &dingtalk[&41026];
    let paraphrase = "The front end did not get the authorization code, so the server cannot build a complete request.";
    assert!(!not_in_section(paraphrase, missing).is_empty());
    let words = "The front end did not return the authorization code successfully, so the server cannot construct a complete request.";
    assert!(not_in_section(words, missing).is_empty());
    // A sentence of another code's section is not this code's.
    assert!(!not_in_section("The ssoCode has been consumed.", missing).is_empty());

    let feishu = feishu_sections();
    let failed = &feishu[&10232];
    assert!(!not_in_section("建议重新打开页面，再次尝试调用 requestAuthCode。", failed).is_empty());
    assert!(not_in_section(
        "获取免登临时授权码 Code 失败。建议再次打开页面尝试调用。",
        failed
    )
    .is_empty());
    // Both table rows of a code are its section; Markdown links keep their address.
    let not_configured = &feishu[&10235];
    assert!(not_in_section(
        "你可以在开发者后台（https://open.feishu.cn/app）的指定应用详情页内，进入「安全设置」页面配置「重定向 URL」。如果没有，请配置之后再试。",
        not_configured
    )
    .is_empty());
    assert!(!not_in_section(
        "请到 https://open.feishu.cn/apps 配置重定向 URL。",
        not_configured
    )
    .is_empty());
    assert!(
        !not_in_section("。", not_configured).is_empty(),
        "a text without words is no quote"
    );
}

#[test]
fn every_source_document_code_has_a_section_for_the_seed_check() {
    assert_eq!(
        dingtalk_sections().keys().copied().collect::<Vec<_>>(),
        [40078, 40079, 40087, 40091, 41007, 41026]
    );
    assert_eq!(
        feishu_sections().keys().copied().collect::<Vec<_>>(),
        [10200, 10207, 10210, 10227, 10228, 10232, 10233, 10234, 10235, 10236]
    );
}

/// silent-login's own codes describe silent-login: nothing else can be their source.
#[test]
fn silent_login_codes_are_sourced_to_silent_login() {
    for code in SilentLoginCode::ALL {
        let entry = code.entry();
        assert_eq!(entry.solution_source, Source::SilentLogin, "{}", entry.code);
        for cause in entry.causes {
            assert_eq!(
                cause.source(),
                Source::SilentLogin,
                "{} {}",
                entry.code,
                cause.id()
            );
        }
    }
}

#[test]
fn inferred_text_is_marked_in_help_and_documented_text_is_not() {
    let session_empty = FeishuCode::from_code(10207).unwrap();
    assert!(session_empty
        .causes()
        .iter()
        .all(|cause| cause.source() == Source::Inferred));
    let en = session_empty.help(Lang::En);
    assert_eq!(
        en.matches("(inferred)").count(),
        2,
        "the cause and the solution: {en}"
    );
    let zh = session_empty.help(Lang::Zh);
    assert_eq!(zh.matches("（推断）").count(), 2, "{zh}");
    let missing = DingTalkCode::from_code(41026).unwrap().help(Lang::En);
    assert!(!missing.contains("(inferred)"), "{missing}");
}

// ---------------------------------------------------------------------------------------------
// Fidelity: the classification agrees with the text
// ---------------------------------------------------------------------------------------------

/// A code the catalog calls not retryable must not tell the user to simply retry: that is what
/// `retryable: false` denies.
#[test]
fn a_code_that_retrying_cannot_fix_does_not_advise_retrying() {
    let en_phrases = [
        "retry later",
        "try again later",
        "retry once",
        "retry the call once",
    ];
    let zh_phrases = ["稍后再试", "稍后重试", "重试一次"];
    let mut problems = Vec::new();
    for code in KnownCode::all() {
        let entry = code.entry();
        if entry.retryable {
            continue;
        }
        let en = entry.solution.get(Lang::En).to_lowercase();
        let zh = entry.solution.get(Lang::Zh);
        for phrase in en_phrases {
            if en.contains(phrase) {
                problems.push(format!("{} {}: {phrase:?}", entry.provider, entry.code));
            }
        }
        for phrase in zh_phrases {
            if zh.contains(phrase) {
                problems.push(format!("{} {}: {phrase:?}", entry.provider, entry.code));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// 40087 is the ISV persistent-code API: three of its four documented causes are settings, so it
/// is not retryable, and its one rate-limit cause does not turn the advice into "retry later".
#[test]
fn the_persistent_code_failure_is_not_retryable_and_keeps_its_rate_limit_cause() {
    let entry = DingTalkCode::from_code(40087).unwrap().entry();
    assert!(!entry.retryable);
    assert_ne!(entry.http_status, 429);
    assert!(entry.cause("rate_limited").is_some());
    assert!(entry
        .solution
        .get(Lang::En)
        .contains("lower call frequency"));
}

/// silent-login already refetches the token and retries once on 40001
/// (middleware/src/provider/dingtalk.rs), so the 40001 a user sees is not retryable.
#[test]
fn the_secret_or_token_code_says_silent_login_already_retried() {
    let entry = DingTalkCode::from_code(40001).unwrap().entry();
    assert!(!entry.retryable);
    assert_eq!(entry.solution_source, Source::SilentLogin);
    assert!(entry.solution.get(Lang::En).contains("already"));
    assert!(entry.solution.get(Lang::Zh).contains("已经"));
}

/// 10232, 10233 and 10234 all say the client failed to get something (获取…失败): the document
/// advises reopening the page for the two it advises on, so the three are classified alike.
#[test]
fn the_three_failed_to_get_codes_are_classified_alike() {
    let classes: Vec<(u16, bool)> = [10232, 10233, 10234]
        .into_iter()
        .map(|code| {
            let entry = FeishuCode::from_code(code).unwrap().entry();
            (entry.http_status, entry.retryable)
        })
        .collect();
    assert_eq!(classes, [(503, true); 3]);
}

/// No source says what 10227's visibility check failed on: it is classified like an unknown
/// front-end failure, and its causes say they are inferred.
#[test]
fn the_visibility_check_failure_is_classified_neutrally() {
    let entry = FeishuCode::from_code(10227).unwrap().entry();
    let unknown = SilentLoginCode::JsapiErrorUnknown.entry();
    assert_eq!(
        (entry.http_status, entry.retryable),
        (unknown.http_status, unknown.retryable)
    );
    assert!(entry.causes.iter().all(|c| c.source() == Source::Inferred));
    assert_eq!(entry.solution_source, Source::Inferred);
}

#[test]
fn the_missing_code_cause_says_the_front_end_did_not_return_it() {
    let cause = DingTalkCode::from_code(41026)
        .unwrap()
        .entry()
        .cause("frontend_no_code")
        .unwrap();
    assert!(cause.text(Lang::Zh).starts_with("前端没有成功返回授权码"));
    assert!(cause.text(Lang::En).contains("did not return"));
}

#[test]
fn the_developer_console_link_of_the_source_is_in_the_redirect_and_app_id_advice() {
    for code in [10200, 10235, 10236] {
        let entry = FeishuCode::from_code(code).unwrap().entry();
        for lang in Lang::ALL {
            assert!(
                entry
                    .solution
                    .get(lang)
                    .contains("https://open.feishu.cn/app"),
                "{code} {lang}"
            );
        }
    }
}

/// The document's facts that are not errors reach the user through 10200's solution.
#[test]
fn the_app_id_advice_carries_the_documents_facts() {
    let entry = FeishuCode::from_code(10200).unwrap().entry();
    let en = entry.solution.get(Lang::En);
    for fact in [
        "web apps",
        "mini programs",
        "V5.1.0",
        "V6.9.0",
        "h5sdk.config",
        "required",
        "凭证与基础信息",
    ] {
        assert!(en.contains(fact), "{fact} missing from {en}");
    }
    let zh = entry.solution.get(Lang::Zh);
    for fact in [
        "网页应用",
        "小程序",
        "V5.1.0",
        "V6.9.0",
        "网页应用鉴权",
        "必填",
        "凭证与基础信息",
        "appID",
    ] {
        assert!(zh.contains(fact), "{fact} missing from {zh}");
    }
}

/// The 512-byte bound of 700104 is silent-login's, not a platform's.
#[test]
fn the_code_length_limit_is_said_to_be_silent_logins() {
    let cause = SilentLoginCode::AuthCodeMalformed.entry().causes[0];
    assert!(cause
        .text(Lang::En)
        .contains("512 bytes, silent-login's own bound"));
    assert!(cause.text(Lang::Zh).contains("silent-login 自己设定的上限"));
}

// ---------------------------------------------------------------------------------------------
// Feishu refresh codes and the errno code space
// ---------------------------------------------------------------------------------------------

/// A refresh token that no longer works means a new login: 401 to the browser; the refresh
/// switch is a setting of the app.
#[test]
fn the_refresh_codes_ask_for_a_new_login_or_the_refresh_switch() {
    let refresh_page =
        "https://open.feishu.cn/document/authentication-management/access-token/refresh-user-access-token";
    for (code, name, status) in [
        (20026, "RefreshTokenInvalid", 401),
        (20037, "RefreshTokenExpired", 401),
        (20064, "RefreshTokenRevoked", 401),
        (20073, "RefreshTokenUsed", 401),
        (20074, "RefreshNotAllowed", 502),
    ] {
        let entry = FeishuCode::from_code(code).unwrap().entry();
        assert_eq!(entry.name, name);
        assert_eq!(entry.http_status, status, "{code}");
        assert!(!entry.retryable, "{code}");
        assert_eq!(entry.raised_by, RaisedBy::ServerApi);
        assert_eq!(entry.docs, Some(refresh_page));
        assert!(entry.causes.iter().all(|c| c.source() == Source::Reference));
    }
    let switch = FeishuCode::from_code(20074).unwrap().help(Lang::Zh);
    assert!(
        switch.contains("安全设置") && switch.contains("发布"),
        "{switch}"
    );
}

#[test]
fn the_documented_errno_values_are_present() {
    let mut errno: Vec<i32> = FeishuCode::ALL
        .iter()
        .map(|code| code.entry())
        .filter(|entry| entry.raised_by == RaisedBy::JsapiErrno)
        .map(|entry| entry.code)
        .collect();
    errno.sort_unstable();
    let expected: Vec<i32> = (100..=113).chain([2_700_001, 2_700_002]).collect();
    assert_eq!(errno, expected);
    assert!(DingTalkCode::ALL
        .iter()
        .all(|code| code.entry().raised_by != RaisedBy::JsapiErrno));
    let old_client = lookup_raised_by(ProviderKind::Lark, 103, RaisedBy::JsapiErrno).unwrap();
    assert_eq!(old_client.entry().name, "ErrnoFeatureNotSupported");
    assert!(old_client.help(Lang::En).contains("V6.9.0"));
    assert!(old_client.help(Lang::En).contains("requestAuthCode"));
    let refused = FeishuCode::from_code(2_700_002).unwrap().entry();
    assert_eq!(refused.name, "RequestAccessAuthorizationFailed");
    assert!(refused.cause("user_refused").is_some() && refused.cause("server_refused").is_some());
    assert_eq!(
        FeishuCode::from_code(2_700_001).unwrap().entry().name,
        "RequestAccessSessionUnavailable"
    );
    assert_eq!(
        lookup_raised_by(ProviderKind::Feishu, 10236, RaisedBy::JsapiErrno),
        None
    );
}

/// A front end may report `errCode`, `errno` or both, and a catalog holds one entry per number
/// (`catalog!` rejects a second entry with the same code whatever its `raised_by`). So the two
/// code spaces must not share a number: if Feishu ever documents an errno equal to an errCode,
/// this fails, and the catalog needs a separate errno space before that errno can be added.
/// Checked against the errCode table of the source document, not only the catalog's copy of it.
#[test]
fn no_feishu_errno_equals_a_documented_err_code() {
    let err_codes: HashSet<i32> = feishu_sections().keys().copied().collect();
    let jsapi: HashSet<i32> = FeishuCode::ALL
        .iter()
        .map(|code| code.entry())
        .filter(|entry| entry.raised_by == RaisedBy::Jsapi)
        .map(|entry| entry.code)
        .collect();
    for code in FeishuCode::ALL {
        let entry = code.entry();
        if entry.raised_by == RaisedBy::JsapiErrno {
            assert!(!err_codes.contains(&entry.code), "errno {}", entry.code);
            assert!(!jsapi.contains(&entry.code), "errno {}", entry.code);
        }
    }
}
