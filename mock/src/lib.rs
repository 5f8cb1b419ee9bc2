//! An emulator of the DingTalk and Feishu/Lark open platforms on loopback, for testing
//! silent login (免登).
//!
//! Like wiremock, but it knows the platforms' rules: it serves the real endpoints with their
//! real envelopes and error codes, codes live five minutes and work once, tokens expire and are
//! renewed the way each platform renews them, users outside an app's visible scope are refused,
//! and code types must not be mixed. A small control API mints codes (what the client's JSAPI
//! does), moves the clock and injects faults.
//!
//! ```no_run
//! use silent_login_mock::{demo, MintCode, MockPlatform};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mock = MockPlatform::builder().demo().start().await?;
//! // Point the DingTalk and Feishu clients under test at the emulator.
//! let base = mock.base_url(); // http://127.0.0.1:PORT, serving both platforms
//! // What `dd.runtime.permission.requestAuthCode` returns in the DingTalk client:
//! let code = mock.mint_code(MintCode::dingtalk(demo::ALICE))?;
//! // … POST the code to the server under test; it calls {base}/gettoken and
//! // {base}/topapi/v2/user/getuserinfo and should come back with userid "alice".
//! # let _ = (base, code);
//! # Ok(()) }
//! ```
//!
//! # Endpoints
//!
//! DingTalk (HTTP 200, flat `{errcode, errmsg, …}`, header `x-acs-request-id`):
//!
//! | endpoint | success | errors |
//! |---|---|---|
//! | `GET /gettoken?appkey=&appsecret=` | `access_token`, `expires_in: 7200`; the same token (renewed) while valid | 40089 bad key/secret, 90018 rate limit (20 per second per app) |
//! | `POST /topapi/v2/user/getuserinfo?access_token=` (JSON or form `code`) | `result{userid, unionid, associated_unionid, device_id, sys, sys_level, name}`, `request_id` | 41001 no token, 40014 unknown/expired token, 41026 no code, 40078 unknown/used/expired/wrong-kind/other-app code, 40079 a user outside the visible scope, resigned, frozen or unknown |
//! | `GET /user/getuserinfo?access_token=&code=` | flat `userid, deviceId, is_sys, sys_level, name` | as above |
//!
//! Feishu/Lark (`{code, msg, data}`, token endpoints flat; header `X-Tt-Logid`; errors HTTP 400
//! with `error.log_id`, except at `authen/v2/oauth/token`):
//!
//! | endpoint | success | errors |
//! |---|---|---|
//! | `POST /open-apis/auth/v3/app_access_token/internal` | `app_access_token` (`a-…`), `expire`, `tenant_access_token`; a new token once under 30 min are left, the old one stays valid | 10012 unknown app, 10015 bad secret, 99991400 rate limit |
//! | `POST /open-apis/auth/v3/tenant_access_token/internal` | `tenant_access_token` (`t-…`), `expire` | as above |
//! | `POST /open-apis/authen/v1/oidc/access_token` | `data{access_token (u-…), refresh_token (ur-…), token_type, expires_in: 6900, refresh_expires_in: 2592000, scope}` | 99991661 no bearer, 99991671 malformed, 99991664 bad app token, 20001 bad grant_type, 20007 unknown/used/expired/gadget code, 20024 other app's code, 20021 resigned, 20022 frozen, 20010 no longer visible |
//! | `POST /open-apis/authen/v1/access_token` | as oidc, plus the profile | as above |
//! | `POST /open-apis/authen/v1/oidc/refresh_access_token` (app token bearer, `{grant_type: "refresh_token", refresh_token}`) | as oidc: a new pair; the old refresh token is void | 99991661 / 99991671 / 99991664, 20001, 20026 unknown or v2 refresh token, 20024 other app's, 20064 used (recorded as a [`Violation`]), 20037 expired, 20021 / 20022 / 20010 |
//! | `POST /open-apis/authen/v2/oauth/token` (JSON or form, `client_id` + `client_secret` in the body) | flat `{code: 0, access_token (eyJ…), expires_in: 7200, token_type, scope, refresh_token?, refresh_token_expires_in?: 604800}`; a refresh token only with [`FeishuApp::offline_access`] | flat `{code, error, error_description}`, HTTP 400 (20050: 500, 20072: 503): 20063, 20070, 20001, 20048, 20002, 20036; code grant 20003 unknown, 20065 used, 20004 expired, 20024, 20008, 20066, 20010, 20067, 20068; refresh grant 20026, 20024, 20064 used ([`Violation`]), 20037, 20074 |
//! | `GET /open-apis/authen/v1/user_info` | `data{name, en_name, avatar_url, open_id, union_id, user_id, tenant_key, email, enterprise_email, employee_no}` | 99991661, 99991671, 99991668 unknown token, 99991677 expired (or expired early by [`MockPlatform::expire_feishu_user_tokens`]) |
//!
//! A refresh token works once: a refresh issues a new access token and a new refresh token and
//! voids the old refresh token at once; the old access token stays valid until its own expiry.
//! v2 and oidc refresh tokens are not interchangeable (20026).
//!
//! # Control API
//!
//! JSON under `/_mock`, with permissive CORS. Wherever a `provider` is named, `"lark"` is
//! accepted too and means Feishu (one API, two hosts):
//!
//! | request | effect |
//! |---|---|
//! | `POST /_mock/codes {"provider":"dingtalk","user":"alice","app"?,"kind"?,"corp_id"?,"scopes"?}` | `{"code":"…"}`, or HTTP 400 with the JSAPI fail shape (`{"errorCode","errorMessage"}` / `{"errCode","errMsg"}`) of one of [`jsapi_failures`] |
//! | `POST /_mock/apps {"provider":"dingtalk","app_key","app_secret","corp_id"}` or `{"provider":"feishu","app_id","app_secret","tenant_key","offline_access"?}` | registers an app ([`MockPlatform::set_offline_access`]) |
//! | `POST /_mock/users {MockUser}` / `GET /_mock/users?provider=dingtalk` | registers / lists users |
//! | `POST /_mock/visibility {"provider","user","visible"}` | [`MockPlatform::set_visible`] |
//! | `POST /_mock/clock {"advance_secs":N}` | [`MockPlatform::advance_clock`] |
//! | `POST /_mock/faults {"endpoint":"/gettoken","fault":{"kind":"latency","ms":500},"times":N}` | [`MockPlatform::inject_fault`], see [`Fault`] |
//! | `POST /_mock/revoke_tokens` | [`MockPlatform::revoke_tokens`] |
//! | `POST /_mock/feishu/expire_user_tokens` | [`MockPlatform::expire_feishu_user_tokens`]; `{"ok":true,"expired":N}` |
//! | `POST /_mock/reset` | clears faults, stats, violations and rate-limit windows |
//! | `GET /_mock/stats` | `{"calls":{"/gettoken":3,…},"refreshes":{"cli_…":1}}`, see [`Stats`] and [`MockPlatform::refresh_count`] |
//! | `GET /_mock/violations` | `{"violations":[Violation…]}`, see [`MockPlatform::violations`] |
//! | `GET /_mock/jsapi.js` | the browser shim: `window.dd`, `window.h5sdk`, `window.tt` |
//!
//! # The browser shim
//!
//! `<script src="http://127.0.0.1:4000/_mock/jsapi.js"></script>` defines
//! `dd.ready`, `dd.error`, `dd.runtime.permission.requestAuthCode`,
//! `dd.runtime.permission.requestOperateAuthCode`, `dd.getAuthCode`, `h5sdk.ready`,
//! `h5sdk.error`, `tt.requestAuthCode`, `tt.requestAccess` and `tt.login`. They mint codes from
//! the emulator the script came from for the user named by `window.SILENT_LOGIN_MOCK.user`,
//! `?mock_user=`, `localStorage['silent-login-mock-user']`, or else picked in a small floating
//! `<select id="silent-login-mock-user">` + `<button id="silent-login-mock-go">`. They fail like
//! the real JSAPI with `?mock_fail=10236` (or `window.SILENT_LOGIN_MOCK = {fail: 10236}`), and
//! when the page passes a corpId / appId the emulator does not know. They fail only with the
//! documented failures of [`jsapi_failures`]; a `mock_fail` that is not one of their codes is
//! reported with `console.error` and fails with [`jsapi_fallback`] (see [`jsapi_failures`]).
//! `?mock_client=old` / `no_access` plays a Feishu client older than V6.9.0 (no
//! `tt.requestAccess`, or errno 103), and `tt.requestAccess` refuses `appId` for `appID` and a
//! missing `scopeList` with errno 104, as the shim's module documents.
//!
//! # Configuration file
//!
//! `silent-login-mock --listen 127.0.0.1:4000 --config org.yaml` reads a [`MockConfig`]
//! (without `--config`: the demo organization, the same as the shipped `demo.yaml`):
//!
//! ```yaml
//! dingtalk_apps:
//!   - app_key: dingdemoappkey
//!     app_secret: dingdemo-secret-0123456789
//!     corp_id: dingdemocorp            # default: dingdemocorp
//! feishu_apps:
//!   - app_id: cli_demo0123456789
//!     app_secret: feishu-demo-secret-0123456789
//!     tenant_key: demo_tenant          # default: demo_tenant
//!     offline_access: true             # default: true
//! users:
//!   - id: alice                        # DingTalk userid, Feishu user_id (open_id ou_alice)
//!     name: 张爱丽 Alice
//!     en_name: Alice Zhang             # default: ""
//!     admin: false                     # default: false
//!     visible: true                    # default: true
//!     status: active                   # active | resigned | frozen; default: active
//!     corp_id: dingdemocorp            # default: dingdemocorp
//!     tenant_key: demo_tenant          # default: demo_tenant
//! token_rate_limit: 20                 # token calls per second per app; 0 = unlimited
//! ```

// Modules in layers, from the leaves up: each imports only from the layers above it.

// Leaves: nothing from this crate.
mod clock;
mod demo_ids;
mod endpoint;
mod failures;
mod fault;
mod random;
mod server;
mod violation;

// The browser shim, served with the failure lists.
mod shim;

// The data model, and the demo organization made of it.
mod app;
mod code;
mod user;

pub mod demo;

mod config;

// The emulator's state and rules, then the HTTP faces that call into it.
mod state;

mod control;
mod provider;

mod platform;

pub use app::{DingTalkApp, FeishuApp};
pub use code::{CodeKind, JsapiError, MintCode};
pub use config::{ConfigError, MockConfig};
pub use endpoint::{Endpoint, Stats};
pub use failures::{jsapi_failure, jsapi_failures, jsapi_fallback, JsapiCodeSpace, JsapiFailure};
pub use fault::Fault;
pub use platform::{MockPlatform, MockPlatformBuilder};
pub use silent_login_catalog::ProviderKind;
pub use user::{MockUser, UserStatus};
pub use violation::{token_fingerprint, Violation, ViolationKind};
