//! Counters and histograms through the `metrics` facade (feature `metrics`); no-ops without it.

#[cfg(feature = "metrics")]
pub(crate) fn token_cache(outcome: &'static str) {
    ::metrics::counter!("silent_login_token_cache_total", "outcome" => outcome).increment(1);
}

#[cfg(not(feature = "metrics"))]
pub(crate) fn token_cache(_outcome: &'static str) {}

#[cfg(feature = "metrics")]
pub(crate) fn login(outcome: &'static str, provider: &'static str, code: i32) {
    ::metrics::counter!("silent_login_logins_total", "outcome" => outcome, "provider" => provider, "code" => code.to_string()).increment(1);
}

#[cfg(not(feature = "metrics"))]
pub(crate) fn login(_outcome: &'static str, _provider: &'static str, _code: i32) {}

#[cfg(feature = "metrics")]
pub(crate) fn upstream_latency(endpoint: &'static str, seconds: f64) {
    ::metrics::histogram!("silent_login_upstream_seconds", "endpoint" => endpoint).record(seconds);
}

#[cfg(not(feature = "metrics"))]
pub(crate) fn upstream_latency(_endpoint: &'static str, _seconds: f64) {}

#[cfg(feature = "metrics")]
pub(crate) fn store_failure(operation: &'static str) {
    ::metrics::counter!("silent_login_store_failures_total", "operation" => operation).increment(1);
}

#[cfg(not(feature = "metrics"))]
pub(crate) fn store_failure(_operation: &'static str) {}

/// A guard refused work: `exchange_cap` (too many exchanges in flight), `outcome_forged` (an
/// exchange outcome in the store without a valid MAC).
#[cfg(feature = "metrics")]
pub(crate) fn guard_refusal(reason: &'static str) {
    ::metrics::counter!("silent_login_guard_refusals_total", "reason" => reason).increment(1);
}

#[cfg(not(feature = "metrics"))]
pub(crate) fn guard_refusal(_reason: &'static str) {}

/// Counts refreshes of users' tokens by outcome (`refreshed`, `failed`).
#[cfg(feature = "metrics")]
pub(crate) fn user_token_refresh(outcome: &'static str) {
    ::metrics::counter!("silent_login_user_token_refreshes_total", "outcome" => outcome)
        .increment(1);
}
#[cfg(not(feature = "metrics"))]
pub(crate) fn user_token_refresh(_outcome: &'static str) {}
