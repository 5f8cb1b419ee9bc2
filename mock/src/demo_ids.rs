//! The demo organization's ids and secrets, re-exported by `demo`. A leaf of its own so the
//! data model can default to the demo corp, tenant and apps without importing `demo`, which
//! builds its apps and users out of the model.

/// The demo DingTalk app's `appkey`.
pub const DINGTALK_APP_KEY: &str = "dingdemoappkey";
/// The demo DingTalk app's `appsecret`.
pub const DINGTALK_APP_SECRET: &str = "dingdemo-secret-0123456789";
/// The demo DingTalk organization's `corpId`.
pub const DINGTALK_CORP_ID: &str = "dingdemocorp";
/// The demo Feishu app's `app_id`.
pub const FEISHU_APP_ID: &str = "cli_demo0123456789";
/// The demo Feishu app's `app_secret`.
pub const FEISHU_APP_SECRET: &str = "feishu-demo-secret-0123456789";
/// The demo Feishu tenant's `tenant_key`.
pub const FEISHU_TENANT_KEY: &str = "demo_tenant";

/// An ordinary user.
pub const ALICE: &str = "alice";
/// An organization admin.
pub const BOB: &str = "bob";
/// A user outside the app's visible scope.
pub const CAROL: &str = "carol";
/// A user who has resigned.
pub const DAVE: &str = "dave";
/// A user whose account is frozen.
pub const ERIN: &str = "erin";
