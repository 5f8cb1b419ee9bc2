//! [`ApiError`]: a platform's refusal as its rules decide it, a numeric code and a message,
//! before a handler wraps it in the endpoint's envelope.

/// A platform error: the numeric code and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) code: i64,
    pub(crate) msg: String,
}

impl ApiError {
    pub(crate) fn new(code: i64, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
        }
    }
}
