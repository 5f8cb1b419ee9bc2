#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every failure the emulator can produce, through the axum demo's `/api/login` as its page
//! drives it: each demo user and a user the emulator does not know, and each JSAPI failure of
//! [`jsapi_failures`], on DingTalk, Feishu and Lark — Feishu's `errno` failures
//! (`tt.requestAccess`) sent as `errno`, alone and next to a legacy `errCode`, which they win
//! over (Feishu's Errno page: "当fail回调中同时存在errno和errCode时…优先以errno错误码为准").
//!
//! A failure must be answered non-2xx and explained by a specific catalog entry of the
//! platform: never silent-login's "not in the catalog" codes (700110 `JsapiErrorUnknown`,
//! 700405 `UpstreamCodeUnknown`) or another of its generic codes, and never a platform code the
//! catalog does not know. Run with `--nocapture` to see the table of outcomes.

use std::fmt::Write as _;

use serde_json::{json, Value};
use silent_login::catalog::{lookup, RaisedBy, SilentLoginCode};
use silent_login::ProviderKind;
use silent_login_examples::axum_demo::{self, DemoServer};
use silent_login_examples::config::Config;
use silent_login_mock::{demo, jsapi_failures, jsapi_fallback, JsapiFailure};

const PLATFORMS: [ProviderKind; 3] = [
    ProviderKind::DingTalk,
    ProviderKind::Feishu,
    ProviderKind::Lark,
];

/// silent-login's own answers that explain nothing about the platform's failure.
const GENERIC: [SilentLoginCode; 9] = [
    SilentLoginCode::JsapiErrorUnknown,
    SilentLoginCode::UpstreamCodeUnknown,
    SilentLoginCode::UpstreamUnreachable,
    SilentLoginCode::UpstreamTimeout,
    SilentLoginCode::UpstreamGarbled,
    SilentLoginCode::UpstreamHttpError,
    SilentLoginCode::InternalError,
    SilentLoginCode::AuthCodeMissing,
    SilentLoginCode::LoginBodyMalformed,
];

/// An id no demo organization has.
const UNKNOWN_USER: &str = "nobody";

/// What a demo user comes to: the user id on success, else the platform's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expected {
    SignedIn,
    Refused(i64),
}

/// The documented outcome of each demo user, and of an unknown one, on `platform`.
fn expected_users(platform: ProviderKind) -> [(&'static str, Expected); 6] {
    use Expected::{Refused, SignedIn};
    match platform {
        // 40079 "the user is not within the app's visible scope (… not in Contacts …)": no
        // DingTalk source documents a JSAPI refusal for resigned, frozen or unknown users.
        ProviderKind::DingTalk => [
            (demo::ALICE, SignedIn),
            (demo::BOB, SignedIn),
            (demo::CAROL, Refused(40079)),
            (demo::DAVE, Refused(40079)),
            (demo::ERIN, Refused(40079)),
            (UNKNOWN_USER, Refused(40079)),
        ],
        // JSAPI 10228 "应用对该用户不可见" for a user outside the app's availability or tenant;
        // the v2 exchange's 20066 "用户状态非法" for the resigned and the frozen (v2 documents no
        // 20021 / 20022; the historic v1 exchange answers those).
        ProviderKind::Feishu | ProviderKind::Lark => [
            (demo::ALICE, SignedIn),
            (demo::BOB, SignedIn),
            (demo::CAROL, Refused(10228)),
            (demo::DAVE, Refused(20066)),
            (demo::ERIN, Refused(20066)),
            (UNKNOWN_USER, Refused(10228)),
        ],
    }
}

struct Demo {
    platform: ProviderKind,
    server: DemoServer,
    client: reqwest::Client,
    table: String,
}

impl Demo {
    async fn start(platform: ProviderKind) -> Self {
        let config = Config::emulated(platform).listen_on("127.0.0.1:0".parse().unwrap());
        Self {
            platform,
            server: axum_demo::serve(config).await.unwrap(),
            client: reqwest::Client::new(),
            table: String::new(),
        }
    }

    /// `POST /_mock/codes` as the shim does, for `kind` (the platform's default when `None`):
    /// the code, or the client's fail object.
    async fn mint(&self, user: &str, kind: Option<&str>) -> Result<String, Value> {
        let mock = self.server.backend().emulator().unwrap();
        let mut request = json!({ "provider": self.platform.as_str(), "user": user });
        if let Some(kind) = kind {
            request["kind"] = json!(kind);
            request["scopes"] = json!([]);
        }
        let response = self
            .client
            .post(format!("{}/_mock/codes", mock.base_url()))
            .json(&request)
            .send()
            .await
            .unwrap();
        let ok = response.status().is_success();
        let body: Value = response.json().await.unwrap();
        match body["code"].as_str() {
            Some(code) if ok => Ok(code.to_owned()),
            _ => {
                assert_eq!(body.as_object().map(|o| o.len()), Some(2), "{body}");
                Err(body)
            }
        }
    }

    /// What the page posts: the code under the name the platform's example uses
    /// (examples/static/app.js), or the JSAPI's fail object as it got it.
    async fn login(&self, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}api/login", self.server.url()))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    fn code_body(&self, code: &str) -> Value {
        match self.platform {
            ProviderKind::DingTalk => json!({ "tmp_auth_code": code }),
            ProviderKind::Feishu | ProviderKind::Lark => json!({ "code": code }),
        }
    }

    /// The fail object of the platform's client for `failure` as the page forwards it,
    /// `errorCode` as a number or as the numeric string DingTalk also sends. An errno comes as
    /// `tt.requestAccess` gives it, `{errMsg, errno, errString}`.
    fn failure_body(&self, failure: &JsapiFailure, as_string: bool) -> Value {
        let code = if as_string {
            json!(failure.code.to_string())
        } else {
            json!(failure.code)
        };
        match self.platform {
            ProviderKind::DingTalk => json!({ "errorCode": code, "errorMessage": failure.message }),
            ProviderKind::Feishu | ProviderKind::Lark if failure.is_errno() => json!({
                "errMsg": format!("requestAccess:fail {}", failure.message),
                "errno": code,
                "errString": failure.message,
            }),
            ProviderKind::Feishu | ProviderKind::Lark => {
                json!({ "errCode": code, "errMsg": failure.message })
            }
        }
    }

    /// An errno failure that also carries a legacy `errCode` (the client's catch-all): the
    /// two code spaces side by side, as the Errno page says a fail object can.
    fn with_legacy_err_code(&self, mut body: Value) -> Value {
        body["errCode"] = json!(jsapi_fallback(self.platform).code);
        body
    }

    fn row(&mut self, case: &str, status: u16, body: &Value) {
        let outcome = match body["user_id"].as_str() {
            Some(user) if status == 200 => format!(
                "signed in as {user}{} | -",
                if body["is_admin"] == true {
                    " (admin)"
                } else {
                    ""
                }
            ),
            _ => format!(
                "{} {} | {}",
                body["errcode"],
                body["name"].as_str().unwrap_or("-"),
                body["cause_id"].as_str().unwrap_or("-")
            ),
        };
        writeln!(
            self.table,
            "| {} | {case} | {status} | {outcome} |",
            self.platform.as_str()
        )
        .unwrap();
    }

    /// The answer is a failure explained by the platform's catalog entry `code`.
    fn assert_explained(&self, case: &str, status: u16, body: &Value, code: i64) -> RaisedBy {
        assert!(!(200..300).contains(&status), "{case}: {status} {body:#}");
        assert_eq!(body["errcode"], code, "{case}: {body:#}");
        for generic in GENERIC {
            assert_ne!(
                body["errcode"],
                generic.code(),
                "{case}: generic answer {body:#}"
            );
        }
        let entry = lookup(self.platform, i32::try_from(code).unwrap())
            .unwrap_or_else(|| panic!("{case}: {code} is not in the catalog"))
            .entry();
        assert_eq!(body["provider"], entry.provider, "{case}: {body:#}");
        assert_eq!(body["name"], entry.name, "{case}: {body:#}");
        assert_eq!(status, entry.http_status, "{case}: {body:#}");
        assert!(
            body["solution"].as_str().is_some_and(|s| !s.is_empty()),
            "{case}: {body:#}"
        );
        entry.raised_by
    }

    async fn walk_users(&mut self) {
        let fallback = i64::from(jsapi_fallback(self.platform).code);
        // Feishu's page asks tt.requestAccess first, requestAuthCode on older clients.
        let kinds: &[Option<&str>] = match self.platform {
            ProviderKind::DingTalk => &[None],
            ProviderKind::Feishu | ProviderKind::Lark => &[None, Some("feishu_access")],
        };
        let cases = expected_users(self.platform)
            .into_iter()
            .flat_map(|(user, expected)| kinds.iter().map(move |kind| (user, expected, *kind)));
        for (user, expected, kind) in cases {
            let case = match kind {
                Some(kind) => format!("user {user} ({kind})"),
                None => format!("user {user}"),
            };
            let body = match self.mint(user, kind).await {
                Ok(code) => self.code_body(&code),
                Err(fail) => fail,
            };
            let (status, answer) = self.login(&body).await;
            self.row(&case, status, &answer);
            match expected {
                Expected::SignedIn => {
                    assert_eq!(status, 200, "{case}: {answer:#}");
                    assert_eq!(answer["user_id"], user, "{case}: {answer:#}");
                }
                Expected::Refused(code) => {
                    self.assert_explained(&case, status, &answer, code);
                    assert_ne!(
                        code, fallback,
                        "{case}: the client's catch-all failure explains nothing"
                    );
                }
            }
        }
    }

    async fn walk_jsapi_failures(&mut self) {
        for failure in jsapi_failures(self.platform) {
            // (code as a string, a legacy errCode next to the errno)
            let forms: &[(bool, bool)] = match self.platform {
                ProviderKind::DingTalk => &[(false, false), (true, false)],
                ProviderKind::Feishu | ProviderKind::Lark if failure.is_errno() => {
                    &[(false, false), (false, true)]
                }
                ProviderKind::Feishu | ProviderKind::Lark => &[(false, false)],
            };
            for &(as_string, with_err_code) in forms {
                let case = format!(
                    "mock_fail={}{}{}{} ({})",
                    failure.code,
                    if failure.is_errno() { " errno" } else { "" },
                    if as_string { " as a string" } else { "" },
                    if with_err_code {
                        " with a legacy errCode"
                    } else {
                        ""
                    },
                    if failure.message.is_empty() {
                        "no message"
                    } else {
                        failure.message
                    }
                );
                let mut body = self.failure_body(failure, as_string);
                if with_err_code {
                    body = self.with_legacy_err_code(body);
                }
                let (status, answer) = self.login(&body).await;
                self.row(&case, status, &answer);
                let raised_by =
                    self.assert_explained(&case, status, &answer, i64::from(failure.code));
                // Compared by name: `jsapi_errno` is the catalog's errno space.
                let expected = if failure.is_errno() {
                    "jsapi_errno"
                } else {
                    RaisedBy::Jsapi.as_str()
                };
                assert_eq!(raised_by.as_str(), expected, "{case}");
            }
        }
    }
}

#[tokio::test]
async fn every_failure_the_emulator_can_produce_is_explained_by_a_specific_catalog_code() {
    let mut table = String::from(
        "| platform | case | HTTP | errcode name | cause_id |\n|---|---|---|---|---|\n",
    );
    for platform in PLATFORMS {
        let mut demo = Demo::start(platform).await;
        demo.walk_users().await;
        demo.walk_jsapi_failures().await;
        table.push_str(&demo.table);
        demo.server.shutdown().await.unwrap();
    }
    println!("{table}");
}
