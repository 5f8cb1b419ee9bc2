//! Ending sessions from application code: one session, or every session of a user.

use std::sync::Arc;
use std::time::Duration;

use silent_login_catalog::SilentLoginCode;

use super::SessionInfo;
use crate::error::Error;
use crate::identity::Identity;
use crate::store::{Store, StoreError};

/// Revokes sessions in the layer's store; every replica sharing the store refuses them after.
///
/// ```no_run
/// # async fn demo(layer: silent_login::SilentLoginLayer, user: silent_login::Identity) -> Result<(), silent_login::Error> {
/// layer.sessions().logout_all(&user).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Sessions {
    store: Arc<dyn Store>,
    session_ttl: Duration,
}

impl Sessions {
    pub(crate) fn new(store: Arc<dyn Store>, session_ttl: Duration) -> Self {
        Self { store, session_ttl }
    }

    /// Ends one session.
    pub async fn logout(&self, session: &SessionInfo) -> Result<(), Error> {
        self.store
            .revoke_session(&session.id, session.expires_at_ms)
            .await
            .map_err(unavailable)
    }

    /// Ends every session of `user` issued until now, on every replica.
    pub async fn logout_all(&self, user: &Identity) -> Result<(), Error> {
        self.store
            .revoke_user(&user.key(), self.session_ttl)
            .await
            .map_err(unavailable)
    }
}

fn unavailable(error: StoreError) -> Error {
    crate::metrics::store_failure("revoke");
    Error::new(SilentLoginCode::StoreUnavailable, error.detail())
        .with_cause("revocation_not_recorded")
}
