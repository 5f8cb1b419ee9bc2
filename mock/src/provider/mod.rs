//! The emulated platform endpoints: DingTalk's and Feishu's HTTP handlers behind the
//! fault-injection middleware. Handlers own the wire (queries, bodies, headers, envelopes);
//! the rules they answer by are the state's.

mod dingtalk;
mod feishu;
mod inject;

use std::sync::Arc;

use axum::middleware::from_fn_with_state;
use axum::Router;

use crate::state::Shared;

/// Both platforms' endpoints, each call counted and possibly faulted first.
pub(crate) fn routes(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    dingtalk::routes()
        .merge(feishu::routes())
        .layer(from_fn_with_state(shared, inject::apply))
}
