//! Evidence files (tài liệu kiểm chứng): where the documents that units attach to leaf criteria
//! are kept, and the checks an upload must pass before anything is kept.
//!
//! Files are stored **content-addressed**: a blob's key is the SHA-256 of its bytes
//! ([`BlobId`]), so storage paths never come from a user, identical files are kept once, and a
//! stored file cannot change under a reference to it. The name a user gave a file is only
//! metadata, cleaned by [`sanitize_file_name`] and kept by the caller next to the [`BlobId`].
//!
//! Storage goes through the [`BlobStore`] trait (usable as `Arc<dyn BlobStore>`) so that a single
//! machine keeps files on local disk ([`LocalDiskStore`]) and several application nodes can later
//! share S3-compatible object storage without the callers changing (docs/adr/0001).
//!
//! An upload is judged by its content, not by its name: [`check_upload`] detects the real
//! [`FileKind`] from the bytes (magic numbers, the entries of OOXML archives, the streams of
//! legacy Office files) and refuses a file whose extension disagrees, one over the size limit,
//! or one whose name tries to leave its directory; [`FileBudget`] bounds how many files one
//! request and one leaf may carry. [`receive_upload`] reads, checks and stores
//! in that order, so a refused or interrupted upload leaves nothing behind. Who may download a
//! file is decided elsewhere (the service layer); this crate only keeps and serves bytes.

mod blob_id;
mod kind;
mod local;
mod name;
mod size;
mod store;
mod upload;

pub use blob_id::{BlobId, BlobIdError};
pub use kind::{Detected, FileKind, detect};
pub use local::LocalDiskStore;
pub use name::{MAX_FILE_NAME_CHARS, content_disposition, sanitize_file_name};
pub use size::format_size;
pub use store::{BlobReader, BlobStore, StoreError, StoredBlob};
pub use upload::{
    CheckedUpload, DEFAULT_UPLOAD_LIMIT, FileBudget, MAX_FILES_PER_LEAF, MAX_FILES_PER_REQUEST,
    StoredUpload, UploadError, check_upload, receive_upload,
};
