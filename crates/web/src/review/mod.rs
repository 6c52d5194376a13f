//! The appraisers' and the council's side of the cycle: appraisal, explanation requests,
//! approval, reopening, the self-vs-appraised comparison and the change log.

use axum::Router;

use crate::AppState;

/// The routes of appraisal and approval.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
