//! Accepting an evidence upload: the name is cleaned, the size bounded, and the content must be
//! the kind its extension claims ([`check_upload`]); only then is it stored
//! ([`receive_upload`]). A refusal names the file and what was wrong, in Vietnamese.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::{BlobStore, FileKind, StoreError, StoredBlob, detect, format_size, sanitize_file_name};

/// The default size limit of one evidence file: 20 MB.
pub const DEFAULT_UPLOAD_LIMIT: u64 = 20 * 1024 * 1024;

/// The most files one upload (one form sent) may carry: 20. A criterion's evidence is a
/// handful of documents; a request with more is refused at its 21st file, before that file is
/// read, so a body of thousands of tiny files costs neither storage nor rows.
pub const MAX_FILES_PER_REQUEST: usize = 20;

/// The most documents one leaf may hold at a time (removed ones do not count): 50. Keeps the
/// unit's page, the appraisers' list and the audit trail readable however the uploads are
/// split into requests.
pub const MAX_FILES_PER_LEAF: usize = 50;

/// Counts the files of one upload as their parts arrive, against the files allowed per
/// request and the room left on the leaf: the first file over either limit is refused before
/// its content is read ([`FileBudget::admit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileBudget {
    per_request: usize,
    per_leaf: usize,
    held: usize,
    seen: usize,
}

impl FileBudget {
    /// A budget of `per_request` files per request, on a leaf holding `held` of at most
    /// `per_leaf` documents.
    #[must_use]
    pub const fn new(per_request: usize, per_leaf: usize, held: usize) -> Self {
        FileBudget {
            per_request,
            per_leaf,
            held,
            seen: 0,
        }
    }

    /// The default limits ([`MAX_FILES_PER_REQUEST`], [`MAX_FILES_PER_LEAF`]) on a leaf holding
    /// `held` documents.
    #[must_use]
    pub const fn for_leaf(held: usize) -> Self {
        Self::new(MAX_FILES_PER_REQUEST, MAX_FILES_PER_LEAF, held)
    }

    /// Counts one more file; refused when it is one too many for the request or the leaf.
    pub fn admit(&mut self) -> Result<(), UploadError> {
        self.seen = self.seen.saturating_add(1);
        if self.seen > self.per_request {
            return Err(UploadError::TooManyFiles {
                limit: self.per_request,
            });
        }
        if self.held.saturating_add(self.seen) > self.per_leaf {
            return Err(UploadError::LeafFull {
                limit: self.per_leaf,
                held: self.held,
            });
        }
        Ok(())
    }

    /// Files admitted so far.
    #[must_use]
    pub const fn admitted(&self) -> usize {
        self.seen
    }
}

/// An upload that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedUpload {
    /// The cleaned display name, kept for downloads.
    pub file_name: String,
    /// The kind, claimed by the extension and confirmed by the content.
    pub kind: FileKind,
    /// The size in bytes.
    pub len: u64,
}

/// An upload that was checked and stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUpload {
    /// The cleaned display name, kept for downloads.
    pub file_name: String,
    /// The kind, claimed by the extension and confirmed by the content.
    pub kind: FileKind,
    /// Where the content is: its id, size, and whether it was new to the store.
    pub blob: StoredBlob,
}

/// Why an upload was refused. Messages are in Vietnamese and name the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The name holds a control character or an invisible direction/format mark.
    #[error("tên tệp {name:?} chứa ký tự không được phép {found:?}")]
    ForbiddenCharacter {
        /// The name as sent.
        name: String,
        /// The first forbidden character.
        found: char,
    },
    /// The name has a `..` part: an attempt to leave the directory.
    #[error("tên tệp {name:?} chứa \"..\" (trỏ ra ngoài thư mục) nên không được chấp nhận")]
    PathTraversal {
        /// The name as sent.
        name: String,
    },
    /// Nothing usable is left of the name.
    #[error("tên tệp {name:?} trống")]
    EmptyName {
        /// The name as sent.
        name: String,
    },
    /// The name is longer than allowed.
    #[error("tên tệp dài {chars} ký tự, vượt quá {max} ký tự cho phép")]
    NameTooLong {
        /// Its length in characters.
        chars: usize,
        /// The maximum.
        max: usize,
    },
    /// The name has no extension, so no kind is claimed.
    #[error(
        "tệp \"{name}\" không có phần mở rộng (đuôi tệp); chỉ nhận {}",
        accepted_extensions()
    )]
    MissingExtension {
        /// The cleaned name.
        name: String,
    },
    /// The extension is not on the allow-list.
    #[error(
        "không nhận tệp \"{name}\" (loại .{extension}); chỉ nhận {}",
        accepted_extensions()
    )]
    ExtensionNotAllowed {
        /// The cleaned name.
        name: String,
        /// Its extension, lowercase.
        extension: String,
    },
    /// More bytes than the limit.
    #[error("tệp \"{name}\" vượt quá dung lượng cho phép {}", format_size(*limit))]
    TooLarge {
        /// The cleaned name.
        name: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// No bytes at all.
    #[error("tệp \"{name}\" rỗng")]
    Empty {
        /// The cleaned name.
        name: String,
    },
    /// The content is not what the extension claims (a disguised file).
    #[error("tệp \"{name}\" không phải {expected} (nội dung là {found})")]
    KindMismatch {
        /// The cleaned name.
        name: String,
        /// The kind the extension claims.
        expected: FileKind,
        /// What the content really is, in Vietnamese.
        found: String,
    },
    /// The upload stream failed before its end.
    #[error("việc tải tệp \"{name}\" lên bị gián đoạn")]
    Interrupted {
        /// The cleaned name.
        name: String,
        /// The read error.
        #[source]
        source: io::Error,
    },
    /// More files in one request than allowed.
    #[error("mỗi lần chỉ tải lên được tối đa {limit} tệp; hãy chia thành nhiều lần")]
    TooManyFiles {
        /// Files allowed per request.
        limit: usize,
    },
    /// The leaf would hold more documents than allowed.
    #[error(
        "mỗi tiêu chí có tối đa {limit} tài liệu kiểm chứng; tiêu chí này đã có {held} tài liệu"
    )]
    LeafFull {
        /// Documents allowed per leaf.
        limit: usize,
        /// Documents the leaf holds already.
        held: usize,
    },
    /// The file was acceptable but could not be stored (a server fault).
    #[error("không lưu được tệp \"{name}\"")]
    Storage {
        /// The cleaned name.
        name: String,
        /// The storage error.
        #[source]
        source: StoreError,
    },
}

impl UploadError {
    /// Whether the uploader can fix this (a 4xx answer) rather than the server (5xx).
    #[must_use]
    pub const fn is_uploaders_fault(&self) -> bool {
        !matches!(self, Self::Storage { .. })
    }
}

/// "PDF, PNG, JPG, JPEG, …", for messages.
fn accepted_extensions() -> String {
    FileKind::ALL
        .iter()
        .flat_map(|kind| kind.extensions())
        .map(|extension| extension.to_uppercase())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kind a cleaned name's extension claims.
fn claimed_kind(file_name: &str) -> Result<FileKind, UploadError> {
    let Some((_, extension)) = file_name
        .rsplit_once('.')
        .filter(|(_, ext)| !ext.is_empty())
    else {
        return Err(UploadError::MissingExtension {
            name: file_name.to_owned(),
        });
    };
    FileKind::from_extension(extension).ok_or_else(|| UploadError::ExtensionNotAllowed {
        name: file_name.to_owned(),
        extension: extension.to_lowercase(),
    })
}

/// Checks a whole upload: its name ([`sanitize_file_name`]), its size against `limit` bytes,
/// and that its content is the [`FileKind`] its extension claims. A `.zip` name accepts any
/// readable ZIP archive (a DOCX is one); every other extension needs exactly its own kind.
pub fn check_upload(
    declared_name: &str,
    content: &[u8],
    limit: u64,
) -> Result<CheckedUpload, UploadError> {
    let file_name = sanitize_file_name(declared_name)?;
    let claimed = claimed_kind(&file_name)?;
    let len = content.len() as u64;
    if len > limit {
        return Err(UploadError::TooLarge {
            name: file_name,
            limit,
        });
    }
    if content.is_empty() {
        return Err(UploadError::Empty { name: file_name });
    }
    let detected = detect(content);
    let agrees = detected.file_kind() == Some(claimed)
        || (claimed == FileKind::Zip && detected.is_zip_archive());
    if !agrees {
        return Err(UploadError::KindMismatch {
            name: file_name,
            expected: claimed,
            found: detected.description().to_owned(),
        });
    }
    Ok(CheckedUpload {
        file_name,
        kind: claimed,
        len,
    })
}

/// Receives one upload: checks the name first (before reading a byte), reads at most `limit`
/// bytes (one more means too large), checks the content with [`check_upload`], and only then
/// stores it. A refused, oversized or interrupted upload therefore never reaches the store.
///
/// The content is held in memory (at most `limit` bytes per upload) because telling DOCX from
/// XLSX needs the archive directory at the end of the file, and checking before storing means a
/// refused file never touches the store — not even briefly under a shared content address.
#[tracing::instrument(skip_all, fields(limit = limit))]
pub async fn receive_upload<S>(
    store: &S,
    declared_name: &str,
    source: &mut (dyn AsyncRead + Send + Unpin),
    limit: u64,
) -> Result<StoredUpload, UploadError>
where
    S: BlobStore + ?Sized,
{
    let file_name = sanitize_file_name(declared_name)?;
    claimed_kind(&file_name)?;
    let mut content = Vec::new();
    source
        .take(limit.saturating_add(1))
        .read_to_end(&mut content)
        .await
        .map_err(|source| UploadError::Interrupted {
            name: file_name.clone(),
            source,
        })?;
    let checked = check_upload(declared_name, &content, limit)?;
    let blob = store
        .put_bytes(&content)
        .await
        .map_err(|source| UploadError::Storage {
            name: checked.file_name.clone(),
            source,
        })?;
    Ok(StoredUpload {
        file_name: checked.file_name,
        kind: checked.kind,
        blob,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accepted_list_names_every_extension() {
        assert_eq!(
            accepted_extensions(),
            "PDF, PNG, JPG, JPEG, DOCX, XLSX, ZIP, DOC, XLS"
        );
    }

    #[test]
    fn a_name_without_extension_claims_nothing() {
        assert!(matches!(
            check_upload("bien_ban", b"%PDF-1.4", 100),
            Err(UploadError::MissingExtension { .. })
        ));
        assert!(matches!(
            check_upload("bien_ban.", b"%PDF-1.4", 100),
            Err(UploadError::MissingExtension { .. })
        ));
    }

    #[test]
    fn extensions_are_compared_without_case() {
        let checked = check_upload("ANH.JPG", &[0xFF, 0xD8, 0xFF, 0xE0], 100).unwrap();
        assert_eq!(checked.kind, FileKind::Jpeg);
        assert_eq!(checked.file_name, "ANH.JPG");
    }

    #[test]
    fn storage_failures_are_not_the_uploaders_fault() {
        let error = UploadError::Storage {
            name: "a.pdf".into(),
            source: StoreError::Io {
                action: "ghi",
                source: io::Error::other("disk full"),
            },
        };
        assert!(!error.is_uploaders_fault());
        assert!(
            UploadError::Empty {
                name: "a.pdf".into()
            }
            .is_uploaders_fault()
        );
    }
}
