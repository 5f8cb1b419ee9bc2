//! The demo organization: one app per provider and five people who cover the interesting cases.
//!
//! | user | situation |
//! |---|---|
//! | [`ALICE`] | ordinary user |
//! | [`BOB`] | organization admin (DingTalk `sys: true`, `sys_level: 1`) |
//! | [`CAROL`] | outside the apps' visible scope (DingTalk 40079, Feishu JSAPI 10228) |
//! | [`DAVE`] | resigned (Feishu 20021; the DingTalk client refuses to mint) |
//! | [`ERIN`] | frozen (Feishu 20022; the DingTalk client refuses to mint) |

use crate::model::{DingTalkApp, FeishuApp, MockUser, UserStatus};

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

/// The demo DingTalk app.
pub fn dingtalk_app() -> DingTalkApp {
    DingTalkApp::new(DINGTALK_APP_KEY, DINGTALK_APP_SECRET, DINGTALK_CORP_ID)
}

/// The demo Feishu app.
pub fn feishu_app() -> FeishuApp {
    FeishuApp::new(FEISHU_APP_ID, FEISHU_APP_SECRET, FEISHU_TENANT_KEY)
}

/// The demo people.
pub fn users() -> Vec<MockUser> {
    vec![
        MockUser::new(ALICE, "张爱丽 Alice").en_name("Alice Zhang"),
        MockUser::new(BOB, "包博 Bob")
            .en_name("Bob Bao")
            .admin(true),
        MockUser::new(CAROL, "陈卡罗 Carol")
            .en_name("Carol Chen")
            .visible(false),
        MockUser::new(DAVE, "戴伟 Dave")
            .en_name("Dave Dai")
            .status(UserStatus::Resigned),
        MockUser::new(ERIN, "鄂琳 Erin")
            .en_name("Erin E")
            .status(UserStatus::Frozen),
    ]
}
