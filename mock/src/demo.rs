//! The demo organization: one app per provider and five people who cover the interesting cases.
//!
//! | user | situation |
//! |---|---|
//! | [`ALICE`] | ordinary user |
//! | [`BOB`] | organization admin (DingTalk `sys: true`, `sys_level: 1`) |
//! | [`CAROL`] | outside the apps' visible scope (DingTalk 40079, Feishu JSAPI 10228) |
//! | [`DAVE`] | resigned (DingTalk 40079, Feishu 20021, both at the code exchange) |
//! | [`ERIN`] | frozen (DingTalk 40079, Feishu 20022, both at the code exchange) |
//!
//! A user id the emulator does not know gets DingTalk 40079 at the code exchange and Feishu
//! JSAPI 10228 (the app is not visible to someone outside its tenant).

use crate::app::{DingTalkApp, FeishuApp};
pub use crate::demo_ids::{
    ALICE, BOB, CAROL, DAVE, DINGTALK_APP_KEY, DINGTALK_APP_SECRET, DINGTALK_CORP_ID, ERIN,
    FEISHU_APP_ID, FEISHU_APP_SECRET, FEISHU_TENANT_KEY,
};
use crate::user::{MockUser, UserStatus};

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
