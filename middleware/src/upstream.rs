//! The HTTP client every provider shares: rustls, connection reuse, timeouts, a response size
//! limit, and transport failures turned into silent-login's own catalog codes.

use std::time::Duration;

use http::StatusCode;
use serde::de::DeserializeOwned;
use silent_login_catalog::SilentLoginCode;

use crate::error::{Detail, LoginError};

/// Timeouts and limits of the calls to the open platform.
///
/// ```
/// use std::time::Duration;
/// let config = silent_login::HttpConfig::default().request_timeout(Duration::from_secs(3));
/// # let _ = config;
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct HttpConfig {
    connect_timeout: Duration,
    request_timeout: Duration,
    max_response_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(8),
            max_response_bytes: 256 * 1024,
        }
    }
}

impl HttpConfig {
    /// How long to wait for a TCP + TLS connection (default 3 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one call may take in all (default 8 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The largest response body accepted (default 256 KiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }
}

/// A platform's JSON envelope: whether it carries the platform's result code. A non-2xx answer
/// whose JSON has none is a gateway's page, not the platform's answer.
pub(crate) trait Envelope: DeserializeOwned {
    fn has_code(&self) -> bool;
}

/// A response whose body was JSON of the expected shape.
#[derive(Debug)]
pub(crate) struct JsonResponse<T> {
    pub(crate) body: T,
    /// `X-Tt-Logid` / `x-acs-request-id`, when the platform sent one.
    pub(crate) request_id: Option<String>,
}

/// One client per provider; cloning shares the connection pool.
#[derive(Clone, Debug)]
pub(crate) struct HttpClient {
    client: reqwest::Client,
    max_response_bytes: usize,
}

impl HttpClient {
    pub(crate) fn new(config: HttpConfig) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("silent-login/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            client,
            max_response_bytes: config.max_response_bytes,
        }
    }

    pub(crate) fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.client.get(url)
    }

    pub(crate) fn post(&self, url: &str) -> reqwest::RequestBuilder {
        self.client.post(url)
    }

    /// Sends the request and decodes a JSON body of type `T`, whatever the HTTP status: both
    /// platforms put their error envelope in non-200 answers too.
    pub(crate) async fn send_json<T: Envelope>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<JsonResponse<T>, LoginError> {
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        let request_id = ["x-tt-logid", "x-acs-request-id", "x-request-id"]
            .iter()
            .find_map(|name| response.headers().get(*name))
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > self.max_response_bytes {
                let limit = self.max_response_bytes;
                return Err(
                    LoginError::new(SilentLoginCode::UpstreamGarbled).with_detail(Detail::new(
                        format!("the response is larger than {limit} bytes"),
                        format!("应答超过了 {limit} 字节"),
                    )),
                );
            }
            body.extend_from_slice(&chunk);
        }
        match serde_json::from_slice::<T>(&body) {
            Ok(body) if !status.is_success() && !body.has_code() => Err(http_status_error(status)),
            Ok(body) => Ok(JsonResponse { body, request_id }),
            Err(_) if !status.is_success() => Err(http_status_error(status)),
            Err(error) => Err(
                LoginError::new(SilentLoginCode::UpstreamGarbled).with_detail(Detail::new(
                    format!("HTTP {status}: not the platform's JSON envelope: `{error}`"),
                    format!("HTTP {status}：不是平台的 JSON 应答格式：`{error}`"),
                )),
            ),
        }
    }
}

fn http_status_error(status: StatusCode) -> LoginError {
    LoginError::new(SilentLoginCode::UpstreamHttpError).with_detail(Detail::new(
        format!("the platform answered HTTP {status} without an error envelope"),
        format!("平台应答了 HTTP {status}，但没有错误信息体"),
    ))
}

fn transport_error(error: reqwest::Error) -> LoginError {
    if error.is_timeout() {
        LoginError::new(SilentLoginCode::UpstreamTimeout)
            .with_cause("request_timed_out")
            .with_detail(Detail::new(
                "the platform did not answer in time",
                "平台没有及时应答",
            ))
    } else if error.is_connect() {
        LoginError::new(SilentLoginCode::UpstreamUnreachable)
            .with_detail(Detail::new(
                "could not connect to the platform",
                "无法连接到平台",
            ))
            .code_not_presented()
    } else if error.is_decode() {
        LoginError::new(SilentLoginCode::UpstreamGarbled).with_detail(Detail::new(
            "the response body could not be read",
            "无法读取应答体",
        ))
    } else {
        LoginError::new(SilentLoginCode::UpstreamUnreachable).with_detail(Detail::new(
            "the connection to the platform failed before a complete answer",
            "与平台的连接在收到完整应答之前就断了",
        ))
    }
}
