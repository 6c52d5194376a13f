//! The API's side of uploads: evidence files and the files of imports, read by
//! [`crate::multipart`] and refused with the API's error codes. A file over its limit refuses
//! the request with 413 without reading the rest, a file one too many for the leaf's budget
//! with 422, a body that breaks off with 400; nothing is stored here.

use axum::extract::Multipart;
use chiso_evidence::{FileBudget, UploadError};
use chiso_services::{ServiceError, codes};
use utoipa::ToSchema;

use crate::AppError;
use crate::multipart::{self, Bounds, Oversize, Parts, ReadError};

/// Evidence files: one or more `file` parts, each with its file name.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
#[schema(as = EvidenceUpload)]
pub struct Upload {
    /// A file to attach (repeat the part for several).
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
}

/// Reads a multipart body: every `file` part (each at most `limit` bytes, else 413
/// `file_too_large`; counted against `budget` when given, the first one too many refused
/// before its content is read) and the other parts as text fields (a longer one than a form
/// needs is refused as `invalid_field`).
pub async fn read(
    multipart: Multipart,
    limit: u64,
    budget: Option<FileBudget>,
) -> Result<Parts, AppError> {
    let bounds = Bounds::new(limit, Oversize::Refuse);
    let bounds = match budget {
        Some(b) => bounds.counted(b),
        None => bounds,
    };
    multipart::read(multipart, bounds).await.map_err(refusal)
}

fn refusal(e: ReadError) -> AppError {
    match e {
        ReadError::Interrupted { .. } => AppError::BodyIncomplete,
        ReadError::FileTooLarge { file, limit } => ServiceError::new(codes::FILE_TOO_LARGE)
            .arg("file", file)
            .arg("limit", limit)
            .into(),
        ReadError::TextTooLong { field } => ServiceError::new(codes::INVALID_FIELD)
            .arg("field", field)
            .into(),
        ReadError::Budget(UploadError::TooManyFiles { limit }) => {
            ServiceError::new(codes::EVIDENCE_TOO_MANY)
                .arg("limit", limit)
                .into()
        }
        ReadError::Budget(UploadError::LeafFull { limit, held }) => {
            ServiceError::new(codes::EVIDENCE_LEAF_FULL)
                .arg("limit", limit)
                .arg("held", held)
                .into()
        }
        ReadError::Budget(e) => ServiceError::internal(e).into(),
    }
}
