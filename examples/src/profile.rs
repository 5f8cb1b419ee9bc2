//! `GET /api/me/profile` (Feishu/Lark): calls Feishu's `GET /open-apis/authen/v1/user_info` as
//! the user, with the session's user token from the layer, and answers what Feishu answered.
//!
//! The pattern every handler that calls Feishu as the user follows: take a [`UserAccessToken`]
//! (the layer refreshes it when less than the margin is left), call the API, and when Feishu
//! refuses the token although it looked good ([`USER_TOKEN_REFUSED`]), hand it back once with
//! [`UserAccessToken::renew`] and call again with the fresh one.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use silent_login::provider::USER_TOKEN_REFUSED;
use silent_login::UserAccessToken;

/// Where `user_info` is, and the client that calls it.
#[derive(Clone, Debug)]
pub struct ProfileApi {
    client: reqwest::Client,
    url: String,
}

impl ProfileApi {
    /// `user_info` on `api_base` (`https://open.feishu.cn`, Lark's host, or the emulator).
    pub fn new(api_base: &str) -> Self {
        Self {
            client: reqwest::Client::new(),
            url: format!(
                "{}/open-apis/authen/v1/user_info",
                api_base.trim_end_matches('/')
            ),
        }
    }

    /// Feishu's HTTP status and JSON body, or why there is none.
    async fn user_info(&self, token: &UserAccessToken) -> Result<(StatusCode, Value), String> {
        let response = self
            .client
            .get(&self.url)
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(|error| format!("Feishu did not answer: {error}"))?;
        let status =
            StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let body = response
            .json::<Value>()
            .await
            .map_err(|error| format!("Feishu's answer is not JSON: {error}"))?;
        Ok((status, body))
    }
}

/// Whether Feishu refused the user token itself (not the request).
fn token_refused(body: &Value) -> bool {
    body.get("code")
        .and_then(Value::as_i64)
        .is_some_and(|code| USER_TOKEN_REFUSED.contains(&code))
}

/// `GET /api/me/profile`.
pub async fn profile(State(api): State<ProfileApi>, token: UserAccessToken) -> Response {
    let mut answer = api.user_info(&token).await;
    if matches!(&answer, Ok((_, body)) if token_refused(body)) {
        tracing::info!("Feishu refused the session's user token; handing it back for a fresh one");
        match token.renew().await {
            Ok(fresh) => answer = api.user_info(&fresh).await,
            Err(error) => return error.into_response(),
        }
    }
    match answer {
        Ok((status, body)) => (status, Json(body)).into_response(),
        Err(message) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({ "error": "user_info_unavailable", "detail": message })),
        )
            .into_response(),
    }
}
