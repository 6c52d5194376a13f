//! The unit's side of the assessment cycle: self-assessment, evidence, explanations, submission.

use axum::Router;

use crate::AppState;

/// The routes of the unit's side of the cycle.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
