//! Settings checked before the layer starts. Builders cannot fail (they chain), so the settings
//! are checked as a whole when the layer is built, and every problem is named at once.

use silent_login_catalog::SilentLoginCode;

use crate::error::{Detail, Error};

/// The problems found in a component's settings, each naming the setting, with the catalog
/// cause (of `Misconfigured`) it falls under.
///
/// A setting is named in English and Chinese: `("the DingTalk AppKey", "钉钉 AppKey")`.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<(&'static str, Detail)>);

impl Problems {
    /// A credential or id that must not be empty (cause `credentials_missing`).
    pub(crate) fn non_empty(&mut self, (setting, setting_zh): (&str, &str), value: &str) {
        if value.trim().is_empty() {
            self.0.push((
                "credentials_missing",
                Detail::new(format!("{setting} is empty"), format!("{setting_zh} 为空")),
            ));
        }
    }

    /// An absolute `http://` or `https://` URL; a path is allowed, a query or fragment is not
    /// (cause `invalid_url`).
    pub(crate) fn http_url(&mut self, (setting, setting_zh): (&str, &str), value: &str) {
        if !is_http_url(value, true) {
            self.0.push((
                "invalid_url",
                Detail::new(
                    format!(
                        "{setting} `{value:.100}` is not an http(s) URL such as https://example.com"
                    ),
                    format!(
                        "{setting_zh} `{value:.100}` 不是 http(s) URL（例如 https://example.com）"
                    ),
                ),
            ));
        }
    }

    /// An origin: scheme, host and optional port, nothing after (cause `invalid_url`).
    pub(crate) fn origin(&mut self, (setting, setting_zh): (&str, &str), value: &str) {
        if !is_http_url(value, false) {
            self.0.push((
                "invalid_url",
                Detail::new(
                    format!("{setting} `{value:.100}` is not an origin such as https://h5.example.com (scheme, host and port only)"),
                    format!("{setting_zh} `{value:.100}` 不是源（origin），应形如 https://h5.example.com（只含协议、主机和端口）"),
                ),
            ));
        }
    }

    /// Any other wrong or contradictory value (cause `invalid_setting`).
    pub(crate) fn invalid(&mut self, problem: Detail) {
        self.0.push(("invalid_setting", problem));
    }

    /// `Misconfigured` naming every problem (narrowed to the first one's cause), or nothing.
    pub(crate) fn check(self) -> Result<(), Error> {
        let mut problems = self.0.into_iter();
        let Some((cause, first)) = problems.next() else {
            return Ok(());
        };
        let detail = problems.fold(first, |detail, (_, problem)| detail.and(problem));
        Err(Error::new(SilentLoginCode::Misconfigured, detail).with_cause(cause))
    }
}

fn is_http_url(value: &str, path_allowed: bool) -> bool {
    let Ok(uri) = value.parse::<http::Uri>() else {
        return false;
    };
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let host_ok = uri.host().is_some_and(|host| !host.is_empty());
    let path_ok = path_allowed || matches!(uri.path(), "" | "/");
    scheme_ok && host_ok && path_ok && uri.query().is_none() && !value.contains(['@', '#'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_named_once_in_one_error() {
        let mut problems = Problems::default();
        problems.non_empty(("the DingTalk AppKey", "钉钉 AppKey"), " ");
        problems.http_url(("api_base", "api_base"), "oapi.dingtalk.com");
        problems.origin(
            ("allowed_origin", "allowed_origin"),
            "https://h5.example.com/app",
        );
        let error = problems.check().unwrap_err();
        assert_eq!(error.code(), SilentLoginCode::Misconfigured);
        for setting in ["AppKey", "api_base", "allowed_origin"] {
            for lang in crate::Lang::ALL {
                let detail = error.detail().get(lang);
                assert!(detail.contains(setting), "{setting}: {detail}");
            }
        }
        assert!(error
            .detail()
            .get(crate::Lang::Zh)
            .contains("钉钉 AppKey 为空；"));
        let error = crate::LoginError::from(error);
        assert_eq!(
            error.narrowed_cause().map(|cause| cause.id()),
            Some("credentials_missing")
        );
    }

    #[test]
    fn urls_with_a_query_or_fragment_and_origins_with_a_path_are_refused() {
        for (url, path_allowed) in [
            ("https://oapi.dingtalk.com?x=1", true),
            ("https://oapi.dingtalk.com#x", true),
            ("ftp://oapi.dingtalk.com", true),
            ("https://user@oapi.dingtalk.com", true),
            ("https://h5.example.com/app", false),
        ] {
            assert!(!is_http_url(url, path_allowed), "{url}");
        }
    }

    #[test]
    fn good_settings_pass() {
        let mut problems = Problems::default();
        problems.non_empty(("key", "key"), "dingkey");
        problems.http_url(("api_base", "api_base"), "http://127.0.0.1:8080/proxy");
        let origin = ("allowed_origin", "allowed_origin");
        problems.origin(origin, "https://h5.example.com:8443");
        problems.origin(origin, "http://localhost:3000/");
        assert_eq!(problems.check(), Ok(()));
    }
}
