//! The YAML configuration file of the `silent-login-mock` binary (see the crate docs): the apps,
//! users and rate limit an emulator starts with.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::app::{DingTalkApp, FeishuApp};
use crate::demo;
use crate::user::MockUser;

/// The organizations an emulator starts with: apps and users, plus the token rate limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockConfig {
    /// DingTalk apps.
    #[serde(default)]
    pub dingtalk_apps: Vec<DingTalkApp>,
    /// Feishu apps.
    #[serde(default)]
    pub feishu_apps: Vec<FeishuApp>,
    /// People, shared by both providers.
    #[serde(default)]
    pub users: Vec<MockUser>,
    /// Token-endpoint calls allowed per second per app (default 20; 0 = unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_rate_limit: Option<u32>,
}

impl MockConfig {
    /// The demo organization (the same as `mock/demo.yaml`).
    pub fn demo() -> Self {
        Self {
            dingtalk_apps: vec![demo::dingtalk_app()],
            feishu_apps: vec![demo::feishu_app()],
            users: demo::users(),
            token_rate_limit: None,
        }
    }

    /// Parses a YAML document.
    pub fn from_yaml(yaml: &str) -> Result<Self, ConfigError> {
        serde_yaml::from_str(yaml).map_err(|e| ConfigError(e.to_string()))
    }

    /// Reads and parses a YAML file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
        Self::from_yaml(&text).map_err(|e| ConfigError(format!("{}: {}", path.display(), e.0)))
    }
}

/// A configuration file that could not be read or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_demo_yaml_is_the_demo_organization() {
        let shipped = MockConfig::from_yaml(include_str!("../demo.yaml")).unwrap();
        assert_eq!(shipped, MockConfig::demo());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = MockConfig::from_yaml("dingtalk_app: []").unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn user_fields_default_to_an_active_visible_demo_member() {
        let config = MockConfig::from_yaml("users:\n  - id: zoe\n    name: Zoe\n").unwrap();
        assert_eq!(config.users, vec![MockUser::new("zoe", "Zoe")]);
    }
}
