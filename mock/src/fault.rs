//! [`Fault`]: the ways one call to an emulated endpoint can go wrong, and their control-API JSON.
//!
//! Only the description lives here; `provider::inject` is the middleware that acts them out.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A way for one call to an endpoint to go wrong.
///
/// In the control API a fault is JSON tagged by `kind`: `{"kind":"latency","ms":500}`,
/// `{"kind":"http_status","status":503}`, `{"kind":"garbled_json"}`,
/// `{"kind":"connection_reset"}`, `{"kind":"error_code","code":-1,"message":"系统繁忙"}`.
///
/// Except for `Latency`, a fault answers before the endpoint runs, so a code sent with a faulted
/// call is not consumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "FaultSpec", from = "FaultSpec")]
pub enum Fault {
    /// Wait this long, then answer normally.
    Latency(Duration),
    /// Answer with this HTTP status and a gateway's HTML error page.
    HttpStatus(u16),
    /// Answer `200` with a truncated JSON body.
    GarbledJson,
    /// Close the TCP connection (with a reset) without answering.
    ConnectionReset,
    /// Answer with this platform error code in the endpoint's own envelope.
    ErrorCode {
        /// The platform error code (DingTalk `errcode`, Feishu `code`).
        code: i64,
        /// The message (`errmsg` / `msg`).
        message: String,
    },
}

/// The JSON form: tagged by `kind`, with latency in whole milliseconds.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum FaultSpec {
    Latency { ms: u64 },
    HttpStatus { status: u16 },
    GarbledJson,
    ConnectionReset,
    ErrorCode { code: i64, message: String },
}

impl From<Fault> for FaultSpec {
    fn from(fault: Fault) -> Self {
        match fault {
            Fault::Latency(d) => Self::Latency {
                ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            },
            Fault::HttpStatus(status) => Self::HttpStatus { status },
            Fault::GarbledJson => Self::GarbledJson,
            Fault::ConnectionReset => Self::ConnectionReset,
            Fault::ErrorCode { code, message } => Self::ErrorCode { code, message },
        }
    }
}

impl From<FaultSpec> for Fault {
    fn from(spec: FaultSpec) -> Self {
        match spec {
            FaultSpec::Latency { ms } => Self::Latency(Duration::from_millis(ms)),
            FaultSpec::HttpStatus { status } => Self::HttpStatus(status),
            FaultSpec::GarbledJson => Self::GarbledJson,
            FaultSpec::ConnectionReset => Self::ConnectionReset,
            FaultSpec::ErrorCode { code, message } => Self::ErrorCode { code, message },
        }
    }
}
