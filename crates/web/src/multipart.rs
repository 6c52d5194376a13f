//! Reading `multipart/form-data` bodies: the one reader behind every upload, so that evidence,
//! explanation answers and imports, on the pages and through the API, are bounded alike.
//!
//! Every part is read up to one byte over its limit and no further: that byte tells a part is
//! too large without reading the rest of it. Files are counted against a budget as their parts
//! arrive, so the first one too many refuses the body before its content is read. A body that
//! breaks off is refused as interrupted. Nothing is stored here; each caller turns a
//! [`ReadError`] into its own refusal (an API error with its code, a problem on the page).

use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError};
use chiso_evidence::{FileBudget, UploadError};

/// Longest text field, in bytes: forms carry options and short texts, each with a much lower
/// limit of its own, never content.
pub(crate) const MAX_TEXT_BYTES: usize = 64 * 1024;

/// Largest file of an import, in bytes: the importers' own limit, so that a larger file is
/// refused by them, in their words, after one byte too many.
pub(crate) fn import_limit() -> u64 {
    u64::try_from(chiso_formats::limits::MAX_FILE_BYTES).unwrap_or(u64::MAX)
}

/// The name of the parts that carry files.
const FILE_PART: &str = "file";

/// What becomes of a part over its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Oversize {
    /// The body is refused at once ([`ReadError::FileTooLarge`], [`ReadError::TextTooLong`]):
    /// the API answers one error, and reading on would only cost time.
    Refuse,
    /// The part is kept with its one byte too many and reading goes on: the pages' checks
    /// that follow name it, among the problems of the other files, in their own words.
    Keep,
}

/// How much of a body is read.
#[derive(Debug)]
pub(crate) struct Bounds {
    /// Largest file, in bytes.
    file_bytes: u64,
    oversize: Oversize,
    /// The files still allowed, when they are counted.
    budget: Option<FileBudget>,
    /// Another name the files may come under besides `file` (the file input of one leaf on a
    /// page with one per leaf).
    also: Option<String>,
}

impl Bounds {
    /// Files of at most `file_bytes`, not counted.
    pub(crate) fn new(file_bytes: u64, oversize: Oversize) -> Self {
        Bounds {
            file_bytes,
            oversize,
            budget: None,
            also: None,
        }
    }

    /// The same bounds, with files also taken from the part named `name`. Files of any other
    /// part (the inputs of other leaves, sent along by the browser) are passed over unread.
    pub(crate) fn also_from(self, name: String) -> Self {
        Bounds {
            also: Some(name),
            ..self
        }
    }

    /// The same bounds, with the files counted against `budget`.
    pub(crate) fn counted(self, budget: FileBudget) -> Self {
        Bounds {
            budget: Some(budget),
            ..self
        }
    }
}

/// Why a body was not read to its end.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The body broke off or is malformed, while reading the file named `file` (empty when it
    /// happened elsewhere).
    Interrupted {
        file: String,
        source: MultipartError,
    },
    /// A file larger than the limit, with [`Oversize::Refuse`].
    FileTooLarge { file: String, limit: u64 },
    /// A text field longer than [`MAX_TEXT_BYTES`], with [`Oversize::Refuse`].
    TextTooLong { field: String },
    /// A file one too many for the budget ([`UploadError::TooManyFiles`] or
    /// [`UploadError::LeafFull`]).
    Budget(UploadError),
}

/// One file as received.
#[derive(Debug)]
pub(crate) struct Received {
    /// The name the client sent, as sent.
    pub name: String,
    pub content: Vec<u8>,
}

impl Received {
    /// Whether this is the part an empty file input still sends: no name, no content.
    pub(crate) fn is_unchosen(&self) -> bool {
        self.name.is_empty() && self.content.is_empty()
    }
}

/// The text fields and files of a body.
#[derive(Debug, Default)]
pub(crate) struct Parts {
    /// Text fields, in order.
    pub fields: Vec<(String, String)>,
    /// The `file` parts, in order, unchosen ones included (see [`Received::is_unchosen`]).
    pub files: Vec<Received>,
}

impl Parts {
    /// The first value of a text field, as sent.
    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a text field, trimmed; `None` when absent or blank.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.value(name).map(str::trim).filter(|v| !v.is_empty())
    }
}

/// Reads a body: the `file` parts as files, the other parts as text fields, within `bounds`.
pub(crate) async fn read(mut multipart: Multipart, bounds: Bounds) -> Result<Parts, ReadError> {
    let Bounds {
        file_bytes,
        oversize,
        mut budget,
        also,
    } = bounds;
    let file_cap = usize::try_from(file_bytes).unwrap_or(usize::MAX);
    let mut parts = Parts::default();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| interrupted("", e))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file_part = name == FILE_PART || also.as_deref() == Some(name.as_str());
        if !is_file_part && also.is_some() && field.file_name().is_some() {
            // Another leaf's file input: not this upload's, never read.
            continue;
        }
        if !is_file_part {
            let text = up_to(&mut field, MAX_TEXT_BYTES)
                .await
                .map_err(|e| interrupted("", e))?;
            if text.len() > MAX_TEXT_BYTES && oversize == Oversize::Refuse {
                return Err(ReadError::TextTooLong { field: name });
            }
            parts
                .fields
                .push((name, String::from_utf8_lossy(&text).into_owned()));
            continue;
        }
        let file = field.file_name().unwrap_or_default().to_owned();
        // Counted at its header, so a file one too many is never read.
        if !file.is_empty() {
            admit(budget.as_mut())?;
        }
        let content = up_to(&mut field, file_cap)
            .await
            .map_err(|e| interrupted(&file, e))?;
        if content.len() > file_cap && oversize == Oversize::Refuse {
            return Err(ReadError::FileTooLarge {
                file,
                limit: file_bytes,
            });
        }
        // An empty file input still sends a part: that is no file, and counts for nothing
        // (an answer without files must not be refused because the leaf is full).
        if file.is_empty() && !content.is_empty() {
            admit(budget.as_mut())?;
        }
        parts.files.push(Received {
            name: file,
            content,
        });
    }
    Ok(parts)
}

fn interrupted(file: &str, source: MultipartError) -> ReadError {
    ReadError::Interrupted {
        file: file.to_owned(),
        source,
    }
}

fn admit(budget: Option<&mut FileBudget>) -> Result<(), ReadError> {
    budget.map_or(Ok(()), |b| b.admit().map_err(ReadError::Budget))
}

/// A part's bytes, at most `limit` and one: the one over tells the part is too large; the rest
/// of it is passed over, never held.
async fn up_to(field: &mut Field<'_>, limit: usize) -> Result<Vec<u8>, MultipartError> {
    let cap = limit.saturating_add(1);
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        let room = cap.saturating_sub(bytes.len());
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if bytes.len() >= cap {
            break;
        }
    }
    Ok(bytes)
}
