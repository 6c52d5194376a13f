//! The [`BlobStore`] trait: content-addressed storage of immutable blobs, the seam between the
//! application and wherever the bytes live (local disk now, S3-compatible object storage when
//! several application nodes must share files).
//!
//! The contract every implementation keeps: a blob becomes visible under its [`BlobId`] only
//! once it is complete (write elsewhere, then publish atomically); a write that fails, exceeds
//! its limit, or is abandoned (its future dropped) leaves nothing behind; storing content that
//! is already there stores nothing new.

use std::fmt;
use std::io;
use std::pin::Pin;

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::{BlobId, format_size};

/// A blob being read: any async byte source.
pub type BlobReader = Pin<Box<dyn AsyncRead + Send>>;

/// What a write stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredBlob {
    /// The blob's key, the SHA-256 of its content.
    pub id: BlobId,
    /// Its size in bytes.
    pub len: u64,
    /// `false` when identical content was already stored, so nothing new was kept.
    pub created: bool,
}

/// Why a storage operation failed. Messages are in Vietnamese; only [`StoreError::TooLarge`]
/// and [`StoreError::Source`] are the uploader's doing, the rest are server faults.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stream had more bytes than the limit; nothing was kept.
    #[error("tệp vượt quá dung lượng cho phép {}", format_size(*limit))]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// Reading the incoming stream failed (the upload was interrupted); nothing was kept.
    #[error("việc tải tệp lên bị gián đoạn")]
    Source(#[source] io::Error),
    /// No blob has this id.
    #[error("không tìm thấy tệp có mã {id}")]
    NotFound {
        /// The id asked for.
        id: BlobId,
    },
    /// The storage itself failed.
    #[error("lỗi kho lưu trữ tệp khi {action}")]
    Io {
        /// What was being done, in Vietnamese ("ghi tệp tạm", "đọc tệp"…).
        action: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl StoreError {
    /// Wraps a storage I/O error with what was being done.
    pub(crate) fn io(action: &'static str) -> impl FnOnce(io::Error) -> Self {
        move |source| Self::Io { action, source }
    }
}

/// Content-addressed storage of immutable blobs. Object-safe: hold it as `Arc<dyn BlobStore>`.
///
/// Keys are [`BlobId`]s computed by the store from the bytes it received, never names or paths
/// from a user. Deleting is for garbage collection by the caller, which must know that no
/// record still refers to the blob (identical uploads share one blob).
#[async_trait]
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// Stores everything `source` yields, at most `limit` bytes, hashing while writing. The blob
    /// is published only when complete; on [`StoreError::TooLarge`], a read error
    /// ([`StoreError::Source`]), a storage error, or cancellation, nothing is left.
    ///
    /// A stream of `Bytes` chunks (a multipart field) becomes a source through
    /// `tokio_util::io::StreamReader`.
    async fn put_stream(
        &self,
        source: &mut (dyn AsyncRead + Send + Unpin),
        limit: u64,
    ) -> Result<StoredBlob, StoreError>;

    /// Stores `content`, already in memory (and already checked against any limit).
    async fn put_bytes(&self, content: &[u8]) -> Result<StoredBlob, StoreError> {
        let mut source = content;
        self.put_stream(&mut source, u64::MAX).await
    }

    /// Opens a blob for reading.
    async fn get(&self, id: &BlobId) -> Result<BlobReader, StoreError>;

    /// Reads a whole blob into memory.
    async fn get_bytes(&self, id: &BlobId) -> Result<Vec<u8>, StoreError> {
        let mut reader = self.get(id).await?;
        let mut content = Vec::new();
        reader
            .read_to_end(&mut content)
            .await
            .map_err(StoreError::io("đọc tệp"))?;
        Ok(content)
    }

    /// Whether a blob is stored.
    async fn exists(&self, id: &BlobId) -> Result<bool, StoreError>;

    /// Removes a blob; `Ok(false)` if it was not there.
    async fn delete(&self, id: &BlobId) -> Result<bool, StoreError>;

    /// The size of a blob in bytes.
    async fn len(&self, id: &BlobId) -> Result<u64, StoreError>;
}
