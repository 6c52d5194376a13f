//! Reading the `multipart/form-data` bodies of the API's uploads: evidence files and the
//! files of imports. Files are read up to one byte over their limit (a larger one is refused
//! with 413 without reading the rest), counted against the leaf's budget as their parts
//! arrive, and a body that breaks off is refused as incomplete; nothing is stored here.

use axum::extract::Multipart;
use chiso_evidence::{FileBudget, UploadError};
use chiso_services::{ServiceError, codes};
use utoipa::ToSchema;

use crate::AppError;

/// Longest text field of a form, in bytes: options, never content.
const MAX_FIELD_BYTES: usize = 64 * 1024;

/// Evidence files: one or more `file` parts, each with its file name.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
#[schema(as = EvidenceUpload)]
pub struct Upload {
    /// A file to attach (repeat the part for several).
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
}

/// One file as received.
#[derive(Debug)]
pub struct Received {
    /// The name the client sent.
    pub name: String,
    pub content: Vec<u8>,
}

/// The text fields and files of a multipart body.
#[derive(Debug, Default)]
pub struct Form {
    /// Text fields, in order.
    pub fields: Vec<(String, String)>,
    /// The `file` parts that carried a file.
    pub files: Vec<Received>,
}

impl Form {
    /// The first value of a text field, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

fn incomplete(_: axum::extract::multipart::MultipartError) -> AppError {
    AppError::BodyIncomplete
}

fn budget_refusal(e: UploadError) -> AppError {
    match e {
        UploadError::TooManyFiles { limit } => ServiceError::new(codes::EVIDENCE_TOO_MANY)
            .arg("limit", limit)
            .into(),
        UploadError::LeafFull { limit, held } => ServiceError::new(codes::EVIDENCE_LEAF_FULL)
            .arg("limit", limit)
            .arg("held", held)
            .into(),
        e => ServiceError::internal(e).into(),
    }
}

/// Reads a multipart body: every `file` part (each at most `limit` bytes, else 413
/// `file_too_large`; counted against `budget` when given, the first one too many refused
/// before its content is read) and the other parts as text fields.
pub async fn read(
    mut multipart: Multipart,
    limit: u64,
    mut budget: Option<FileBudget>,
) -> Result<Form, AppError> {
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut form = Form::default();
    while let Some(mut field) = multipart.next_field().await.map_err(incomplete)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(incomplete)? {
                if text.len() + chunk.len() > MAX_FIELD_BYTES {
                    return Err(ServiceError::new(codes::INVALID_FIELD)
                        .arg("field", name)
                        .into());
                }
                text.extend_from_slice(&chunk);
            }
            form.fields
                .push((name, String::from_utf8_lossy(&text).into_owned()));
            continue;
        }
        let file_name = field.file_name().unwrap_or_default().to_owned();
        if let Some(b) = budget.as_mut() {
            b.admit().map_err(budget_refusal)?;
        }
        let mut content = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(incomplete)? {
            if content.len() + chunk.len() > cap {
                return Err(ServiceError::new(codes::FILE_TOO_LARGE)
                    .arg("file", &file_name)
                    .arg("limit", limit)
                    .into());
            }
            content.extend_from_slice(&chunk);
        }
        form.files.push(Received {
            name: file_name,
            content,
        });
    }
    Ok(form)
}
