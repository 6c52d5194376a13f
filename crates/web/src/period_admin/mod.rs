//! Administration of periods: creation, participating units and sets per group, milestones,
//! and the progress dashboard.

use axum::Router;

use crate::AppState;

/// The routes of period administration.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
