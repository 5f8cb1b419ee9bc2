//! The comparison: the same handler behind axum-login with tower-sessions' `MemoryStore`, the
//! way its README sets it up (a backend that finds users in memory, a login route).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use axum_login::{AuthManagerLayerBuilder, AuthUser, AuthnBackend, UserId};
use tower_sessions::{MemoryStore, SessionManagerLayer};

use crate::USER;

/// A user of the in-memory backend.
#[derive(Clone, Debug)]
pub struct User {
    id: u64,
    name: String,
    /// What axum-login compares on every request to notice a changed password.
    auth_hash: Vec<u8>,
}

impl AuthUser for User {
    type Id = u64;

    fn id(&self) -> Self::Id {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        &self.auth_hash
    }
}

/// The users, by id.
#[derive(Clone, Debug)]
pub struct Backend {
    users: Arc<HashMap<u64, User>>,
}

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = u64;
    type Error = Infallible;

    async fn authenticate(&self, id: Self::Credentials) -> Result<Option<User>, Infallible> {
        Ok(self.users.get(&id).cloned())
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, Infallible> {
        Ok(self.users.get(id).cloned())
    }
}

type AuthSession = axum_login::AuthSession<Backend>;

async fn me(session: AuthSession) -> Result<String, StatusCode> {
    session
        .user
        .map(|user| user.name)
        .ok_or(StatusCode::UNAUTHORIZED)
}

async fn login(mut session: AuthSession) -> StatusCode {
    match session.authenticate(1).await {
        Ok(Some(user)) if session.login(&user).await.is_ok() => StatusCode::NO_CONTENT,
        _ => StatusCode::UNAUTHORIZED,
    }
}

/// `GET /api/me` and `POST /login` (logs in user 1, `alice`) behind axum-login.
pub fn router() -> Router {
    let user = User {
        id: 1,
        name: USER.to_owned(),
        auth_hash: b"a password hash".to_vec(),
    };
    let backend = Backend {
        users: Arc::new(HashMap::from([(user.id, user)])),
    };
    let sessions = SessionManagerLayer::new(MemoryStore::default()).with_secure(false);
    Router::new()
        .route("/api/me", get(me))
        .route("/login", post(login))
        .layer(AuthManagerLayerBuilder::new(backend, sessions).build())
}
