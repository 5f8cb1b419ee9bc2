//! Settings checked as they are set. Builders cannot fail (they chain), so each remembers what is
//! wrong with it, and the layer refuses to start with every problem named at once.

use silent_login_catalog::SilentLoginCode;

use crate::error::Error;

/// The problems found in one component's settings, each naming the setting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Problems(Vec<String>);

impl Problems {
    pub(crate) fn non_empty(&mut self, setting: &str, value: &str) {
        if value.trim().is_empty() {
            self.0.push(format!("{setting} is empty"));
        }
    }

    /// `value` must be an absolute `http://` or `https://` URL (a path is allowed).
    pub(crate) fn http_url(&mut self, setting: &str, value: &str) {
        if !is_http_url(value, true) {
            self.0.push(format!(
                "{setting} `{value:.100}` is not an http(s) URL such as https://example.com"
            ));
        }
    }

    /// `value` must be an origin: scheme, host and optional port, nothing after.
    pub(crate) fn origin(&mut self, setting: &str, value: &str) {
        if !is_http_url(value, false) {
            self.0.push(format!(
                "{setting} `{value:.100}` is not an origin such as https://h5.example.com (scheme, host and port only)"
            ));
        }
    }

    /// `Misconfigured`, naming every problem, or nothing.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(Error::new(
            SilentLoginCode::Misconfigured,
            self.0.join("; "),
        ))
    }
}

fn is_http_url(value: &str, path_allowed: bool) -> bool {
    let Ok(uri) = value.parse::<http::Uri>() else {
        return false;
    };
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let host_ok = uri.host().is_some_and(|host| !host.is_empty());
    let rest_ok = path_allowed || (matches!(uri.path(), "" | "/") && uri.query().is_none());
    scheme_ok && host_ok && rest_ok && !value.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_named_once_in_one_error() {
        let mut problems = Problems::default();
        problems.non_empty("the DingTalk AppKey", " ");
        problems.http_url("api_base", "oapi.dingtalk.com");
        problems.origin("allowed_origin", "https://h5.example.com/app");
        let error = problems.check().unwrap_err();
        assert_eq!(error.code(), SilentLoginCode::Misconfigured);
        for setting in ["AppKey", "api_base", "allowed_origin"] {
            assert!(error.detail().contains(setting), "{setting}: {error}");
        }
    }

    #[test]
    fn good_settings_pass() {
        let mut problems = Problems::default();
        problems.non_empty("key", "dingkey");
        problems.http_url("api_base", "http://127.0.0.1:8080/proxy");
        problems.origin("allowed_origin", "https://h5.example.com:8443");
        problems.origin("allowed_origin", "http://localhost:3000/");
        assert_eq!(problems.check(), Ok(()));
    }
}
