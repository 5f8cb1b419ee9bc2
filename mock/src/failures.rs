//! Every front-end JSAPI failure the emulated clients can produce, in one list per platform:
//! [`jsapi_failures`] says what they are and how the browser shim uses them.
//!
//! Feishu has two code spaces ([`JsapiCodeSpace`]): the legacy `errCode` of each API's own
//! table (`tt.requestAuthCode`'s 10200–10236) and the unified `errno` of the Errno page, the
//! only one `tt.requestAccess` documents. The same number means different things in each, so
//! every failure says which space its code is in.

use serde::Serialize;
use serde_json::{json, Value};
use silent_login_catalog::ProviderKind;

/// A failure the client's code request can end in: what `onFail` / `fail` receives
/// (DingTalk `{errorCode, errorMessage}`; Feishu `{errCode, errMsg}`, or
/// `{errMsg, errno, errString}` for an [`Errno`](JsapiCodeSpace::Errno) failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct JsapiFailure {
    /// The JSAPI error code: a catalog entry of the platform with `raised_by: jsapi` (an
    /// `errCode` / `errorCode`) or `raised_by: jsapi_errno` (an `errno`).
    pub code: i32,
    /// The message, as the platform documents it or was seen to send it; empty where it gives
    /// none (DingTalk 7 was seen as a bare `{errorCode: 7}`). For an `errno`, its documented
    /// `errString`.
    pub message: &'static str,
    /// Which field of the fail object carries [`code`](Self::code).
    pub space: JsapiCodeSpace,
}

impl JsapiFailure {
    /// Whether the code is a Feishu `errno` (not an `errCode` / `errorCode`).
    pub fn is_errno(&self) -> bool {
        self.space == JsapiCodeSpace::Errno
    }
}

/// The code space of a JSAPI failure: which field of the fail object carries the code.
///
/// Feishu's Errno page: "当fail回调中同时存在errno和errCode时，我们强烈建议优先以errno错误码为准"
/// (<https://open.feishu.cn/document/client-docs/gadget/-web-app-api/errno>); errno and errCode
/// are separate numberings, so a code is only meaningful with its space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JsapiCodeSpace {
    /// The API's own error code: DingTalk `errorCode`, Feishu `errCode` (with `errMsg`).
    ErrCode,
    /// Feishu's unified `errno` (with `errString`), from the client's V5.15 on.
    Errno,
}

/// DingTalk's `errorCode` values (docs/PLATFORMS.md §3.7).
pub(crate) mod dingtalk {
    use super::JsapiCodeSpace::ErrCode;
    use super::JsapiFailure;

    /// A corpId that is not the app's organization (observed payload,
    /// github.com/wushu0725/dingtalk-demo/issues/17).
    pub(crate) const CORP_ID_INVALID: JsapiFailure = JsapiFailure {
        code: 3,
        message: "1002,corpId不合法",
        space: ErrCode,
    };
    /// No micro app of the organization on this domain: the official text of
    /// `runtime.permission.requestAuthCode`'s 错误码 table, `xxxx` included.
    pub(crate) const NO_MICRO_APP: JsapiFailure = JsapiFailure {
        code: 3,
        message: "对应企业没有xxxx域名微应用",
        space: ErrCode,
    };
    /// `dd.getAuthCode`'s documented 3: a system error.
    pub(crate) const SYSTEM_ERROR: JsapiFailure = JsapiFailure {
        code: 3,
        message: "系统异常",
        space: ErrCode,
    };
    const NOT_SUPPORTED: JsapiFailure = JsapiFailure {
        code: 1,
        message: "当前端不支持此API",
        space: ErrCode,
    };
    const INVALID_PARAMETER: JsapiFailure = JsapiFailure {
        code: 2,
        message: "参数无效",
        space: ErrCode,
    };
    const NO_PERMISSION: JsapiFailure = JsapiFailure {
        code: 7,
        message: "",
        space: ErrCode,
    };
    /// dingtalk-jsapi's own refusal outside the client (`lib/log.js` template, platform
    /// `notInDingTalk`).
    const NOT_IN_DINGTALK: JsapiFailure = JsapiFailure {
        code: 4050,
        message: "[DINGTALK-JSAPI] ERROR 4050: 'runtime.permission.requestAuthCode' do not support the current platform ('notInDingTalk')",
        space: ErrCode,
    };
    const NOT_CONFIGURED: JsapiFailure = JsapiFailure {
        code: 4060,
        message: "[DINGTALK-JSAPI] ERROR 4060: This API method is not configured for the platform ('notInDingTalk')",
        space: ErrCode,
    };

    /// `CORP_ID_INVALID` first: `mock_fail=3` means it.
    pub(super) const ALL: &[JsapiFailure] = &[
        CORP_ID_INVALID,
        NO_MICRO_APP,
        SYSTEM_ERROR,
        NOT_SUPPORTED,
        INVALID_PARAMETER,
        NO_PERMISSION,
        NOT_IN_DINGTALK,
        NOT_CONFIGURED,
    ];
}

/// Feishu's (and Lark's) `tt.requestAuthCode` `errCode` values with the descriptions of its
/// errCode table (catalog/sources/feishu-requestAuthCode.md; docs/PLATFORMS.md §4.8), and
/// `tt.requestAccess`'s `errno` values with their `errString`.
pub(crate) mod feishu {
    use super::JsapiCodeSpace::{ErrCode, Errno};
    use super::JsapiFailure;

    pub(crate) const INVALID_APP_ID: JsapiFailure = JsapiFailure {
        code: 10200,
        message: "appid 不合法。",
        space: ErrCode,
    };
    const SESSION_ID_EMPTY: JsapiFailure = JsapiFailure {
        code: 10207,
        message: "sessionid 为空。",
        space: ErrCode,
    };
    const SESSION_ID_INVALID: JsapiFailure = JsapiFailure {
        code: 10210,
        message: "sessionid 不合法。",
        space: ErrCode,
    };
    const LARK_SESSION_UNAVAILABLE: JsapiFailure = JsapiFailure {
        code: 10233,
        message: "获取 larksession 失败。",
        space: ErrCode,
    };
    const VISIBILITY_CHECK_FAILED: JsapiFailure = JsapiFailure {
        code: 10227,
        message: "可见性检查失败。",
        space: ErrCode,
    };
    pub(crate) const NOT_VISIBLE: JsapiFailure = JsapiFailure {
        code: 10228,
        message: "应用对该用户不可见。",
        space: ErrCode,
    };
    pub(crate) const AUTH_CODE_FAILED: JsapiFailure = JsapiFailure {
        code: 10232,
        message: "获取授权码失败。",
        space: ErrCode,
    };
    const REDIRECT_LIST_UNAVAILABLE: JsapiFailure = JsapiFailure {
        code: 10234,
        message: "获取开发者后台配置的重定向 URL 列表失败。",
        space: ErrCode,
    };
    const REDIRECT_NOT_CONFIGURED: JsapiFailure = JsapiFailure {
        code: 10235,
        message: "未在开发者后台配置重定向 URL。",
        space: ErrCode,
    };
    const REDIRECT_INVALID: JsapiFailure = JsapiFailure {
        code: 10236,
        message: "URL 不合法（URL 为空，或不在重定向 URL 列表中）。",
        space: ErrCode,
    };

    // `tt.requestAccess`'s failures: `errno` values of the Errno page
    // (https://open.feishu.cn/document/client-docs/gadget/-web-app-api/errno, 最后更新于
    // 2025-04-15), with their `errString`; the requestAccess page documents no errCode
    // (https://open.feishu.cn/document/web-app/gadget-api/open-ability/login/requestaccess).

    /// 103 "API 不可用": a client older than V6.9.0 — the page falls back to requestAuthCode.
    pub(crate) const ERRNO_FEATURE_NOT_SUPPORTED: JsapiFailure = JsapiFailure {
        code: 103,
        message: "feature not support",
        space: Errno,
    };
    /// 104 "参数错误": what the emulator answers for `appId` instead of `appID`, no `appID`, or
    /// a `scopeList` that is not an array of strings (which errno the real client gives for
    /// each is not documented; 104 is the Errno page's code for a bad parameter).
    pub(crate) const ERRNO_INVALID_PARAMETER: JsapiFailure = JsapiFailure {
        code: 104,
        message: "invalid parameter",
        space: Errno,
    };
    const ERRNO_USER_PERMISSION_DENIED: JsapiFailure = JsapiFailure {
        code: 107,
        message: "user permission denied",
        space: Errno,
    };
    const ERRNO_TOO_MANY_CALLS: JsapiFailure = JsapiFailure {
        code: 111,
        message: "Too many API calls",
        space: Errno,
    };
    const ERRNO_NO_SESSION: JsapiFailure = JsapiFailure {
        code: 2_700_001,
        message: "Unable to get session",
        space: Errno,
    };
    /// Also what the user's refusal of the consent sheet gives ("如果用户拒绝授权，则授权框会关闭，
    /// 接口返回 2700002 的错误码", <https://open.feishu.cn/document/sso/web-application-end-user-consent/gadget-incremental-authorization-access-guide>);
    /// `xx` stands for the server's code and message, as on the Errno page.
    const ERRNO_AUTHORIZATION_FAILED: JsapiFailure = JsapiFailure {
        code: 2_700_002,
        message: "Authorization terminated unexpectedly. Error code: xx; error message: xx",
        space: Errno,
    };

    /// The Errno page's other common (通用) errnos: any API, requestAccess included, may
    /// answer them.
    const ERRNO_COMMON: [JsapiFailure; 10] = [
        errno(100, "unknown error"),
        errno(101, "unknwon exception"),
        errno(102, "internal error"),
        errno(105, "authentication fail"),
        errno(106, "system permission denied"),
        errno(108, "organization permission denied"),
        errno(109, "Page destroyed"),
        errno(110, "API call prohibited"),
        errno(112, "Unable to call this API in the background"),
        errno(113, "Background API calls exceed allowed limit"),
    ];

    const fn errno(code: i32, message: &'static str) -> JsapiFailure {
        JsapiFailure {
            code,
            message,
            space: Errno,
        }
    }

    /// In the order of the errCode table, then requestAccess's errnos, then the other common
    /// ones.
    pub(super) const ALL: &[JsapiFailure] = &[
        INVALID_APP_ID,
        SESSION_ID_EMPTY,
        SESSION_ID_INVALID,
        LARK_SESSION_UNAVAILABLE,
        VISIBILITY_CHECK_FAILED,
        NOT_VISIBLE,
        AUTH_CODE_FAILED,
        REDIRECT_LIST_UNAVAILABLE,
        REDIRECT_NOT_CONFIGURED,
        REDIRECT_INVALID,
        ERRNO_FEATURE_NOT_SUPPORTED,
        ERRNO_INVALID_PARAMETER,
        ERRNO_USER_PERMISSION_DENIED,
        ERRNO_TOO_MANY_CALLS,
        ERRNO_NO_SESSION,
        ERRNO_AUTHORIZATION_FAILED,
        ERRNO_COMMON[0],
        ERRNO_COMMON[1],
        ERRNO_COMMON[2],
        ERRNO_COMMON[3],
        ERRNO_COMMON[4],
        ERRNO_COMMON[5],
        ERRNO_COMMON[6],
        ERRNO_COMMON[7],
        ERRNO_COMMON[8],
        ERRNO_COMMON[9],
    ];
}

/// Every JSAPI failure the emulated client of `provider` can produce (Lark: Feishu's).
///
/// Each is a code the platform documents — an entry of the silent-login catalog with
/// `raised_by: jsapi` (an `errCode` / `errorCode`) or, for Feishu's `errno` values,
/// `raised_by: jsapi_errno` — with the message the platform documents or was seen to send
/// (sources in the repository's docs/PLATFORMS.md §3.7 for DingTalk, §4.8 for Feishu, and the
/// Errno page for the errnos). A code can appear more than once, with different documented
/// messages (DingTalk 3). Nothing else in the emulator makes up a JSAPI failure: the refusals of
/// [`MockPlatform::mint_code`](crate::MockPlatform::mint_code) and `POST /_mock/codes` are
/// taken from these lists (always errCode ones, with at most a `(silent-login-mock: …)` note
/// after the message), and the browser shim `/_mock/jsapi.js` is served with them.
///
/// # In the browser shim
///
/// `?mock_fail=N` (or `window.SILENT_LOGIN_MOCK.fail = N`) makes every code request fail with
/// [`jsapi_failure`]`(provider, N)`: the first failure of the list whose code is `N`, in the
/// field of its [`space`](JsapiFailure::space) — `{errMsg: "requestAccess:fail …", errno,
/// errString}` for an errno, `{errCode, errMsg}` for an errCode. A value that
/// is not such a code is a usage error, not a new failure: the shim writes `console.error`
/// naming the codes it accepts, and fails with [`jsapi_fallback`] — the documented "the client
/// could not get a code" failure (DingTalk 3 系统异常, Feishu 10232 获取授权码失败) — its
/// message ending in a `(silent-login-mock: …)` note. It does the same when the emulator cannot
/// be reached. So the page always meets a failure the real client can produce, and the console
/// says why it is not the one asked for. (Failing with the undocumented number instead would
/// end in silent-login's "not in the catalog — please report it"; ignoring `mock_fail` would
/// hide the mistake behind a successful login.)
///
/// ```
/// use silent_login_mock::{jsapi_failure, jsapi_failures, jsapi_fallback, ProviderKind};
///
/// let corp = jsapi_failure(ProviderKind::DingTalk, 3).unwrap();
/// assert_eq!((corp.code, corp.message), (3, "1002,corpId不合法"));
/// assert!(jsapi_failure(ProviderKind::DingTalk, 9).is_none()); // not documented
/// assert_eq!(jsapi_fallback(ProviderKind::Lark).code, 10232);
/// assert!(jsapi_failures(ProviderKind::Feishu).iter().any(|f| f.code == 10236));
/// // tt.requestAccess's "authorization failed", an errno, not an errCode:
/// assert!(jsapi_failure(ProviderKind::Feishu, 2_700_002).unwrap().is_errno());
/// ```
pub fn jsapi_failures(provider: ProviderKind) -> &'static [JsapiFailure] {
    match provider {
        ProviderKind::DingTalk => dingtalk::ALL,
        ProviderKind::Feishu | ProviderKind::Lark => feishu::ALL,
    }
}

/// What `?mock_fail=code` produces: the first of [`jsapi_failures`] with that code, or `None`
/// when the platform documents no such JSAPI code.
pub fn jsapi_failure(provider: ProviderKind, code: i32) -> Option<JsapiFailure> {
    jsapi_failures(provider)
        .iter()
        .find(|failure| failure.code == code)
        .copied()
}

/// The documented failure for "the client could not get a code" (DingTalk 3 系统异常, Feishu
/// 10232 获取授权码失败): what the shim fails with when `mock_fail` names no documented code or
/// the emulator cannot be reached. It is one of [`jsapi_failures`].
pub fn jsapi_fallback(provider: ProviderKind) -> JsapiFailure {
    match provider {
        ProviderKind::DingTalk => dingtalk::SYSTEM_ERROR,
        ProviderKind::Feishu | ProviderKind::Lark => feishu::AUTH_CODE_FAILED,
    }
}

/// The lists as the browser shim reads them: `{"dingtalk": {"failures": [{code, message, space},
/// …], "fallback": {code, message, space}}, "feishu": …}`, `space` `err_code` or `errno`.
pub(crate) fn shim_table() -> Value {
    let table = |provider| {
        json!({
            "failures": jsapi_failures(provider),
            "fallback": jsapi_fallback(provider),
        })
    };
    json!({
        "dingtalk": table(ProviderKind::DingTalk),
        "feishu": table(ProviderKind::Feishu),
    })
}
