//! Administration of units: list and search, create and edit, CSV import, mergers and splits.

use axum::Router;

use crate::AppState;

/// The routes of unit administration.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
