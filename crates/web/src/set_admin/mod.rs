//! Administration of index sets: import, browse, validate, clone into a draft, freeze.

use axum::Router;

use crate::AppState;

/// The routes of index set administration.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
