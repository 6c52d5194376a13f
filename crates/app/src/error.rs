//! The one error type of the service layer; front ends map it to exit codes or HTTP statuses.

use chiso_domain::ScoreError;
use chiso_reports::ImportErrors;
use chiso_store::StoreError;

/// What can go wrong in a service call.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A file did not pass its checks; nothing was imported.
    #[error("{0}")]
    Import(ImportErrors),
    /// Stored values could not be scored (e.g. a set changed under stored inputs).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Score(Vec<ScoreError>),
    /// Something the request names does not exist.
    #[error("không tìm thấy {0}")]
    NotFound(String),
    /// The request contradicts stored state (e.g. a unit in no group).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ImportErrors> for AppError {
    fn from(e: ImportErrors) -> Self {
        AppError::Import(e)
    }
}

/// Service result.
pub type AppResult<T> = Result<T, AppError>;
