//! [`LocalDiskStore`]: blobs as files under one configured directory, the default for a single
//! machine.
//!
//! Layout under the root: `sha256/ab/cd/<64 hex digits>` for published blobs and `tmp/` for
//! writes in progress. Temporary files live inside the root, on the same file system as the
//! blobs, so publishing is a `rename` — atomic: a reader sees the whole blob or none. Every path
//! is built from the root and a [`BlobId`] (validated hex), so nothing is ever written outside
//! the root whatever a user sends.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use tempfile::TempPath;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::{BlobId, BlobReader, BlobStore, StoreError, StoredBlob};

const BLOBS_DIR: &str = "sha256";
const TMP_DIR: &str = "tmp";
const CHUNK: usize = 64 * 1024;

/// A [`BlobStore`] on the local file system.
#[derive(Debug, Clone)]
pub struct LocalDiskStore {
    root: PathBuf,
}

impl LocalDiskStore {
    /// Opens (creating if needed) a store rooted at `root`.
    #[tracing::instrument(skip_all, fields(root = %root.as_ref().display()))]
    pub async fn open(root: impl AsRef<Path>) -> Result<Self, StoreError> {
        let root = root.as_ref();
        for dir in [BLOBS_DIR, TMP_DIR] {
            tokio::fs::create_dir_all(root.join(dir))
                .await
                .map_err(StoreError::io("tạo thư mục lưu trữ"))?;
        }
        let root = tokio::fs::canonicalize(root)
            .await
            .map_err(StoreError::io("mở thư mục lưu trữ"))?;
        Ok(Self { root })
    }

    /// The store's root directory (absolute).
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a blob's file is (or would be). Built from validated hex only.
    #[must_use]
    pub fn path_of(&self, id: &BlobId) -> PathBuf {
        let hex = id.to_hex();
        self.root
            .join(BLOBS_DIR)
            .join(&hex[0..2])
            .join(&hex[2..4])
            .join(hex)
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join(TMP_DIR)
    }

    /// Removes temporary files older than `older_than` at `now`: writes abandoned by a process
    /// that was killed or lost power (a dropped write cleans up after itself). Safe while other
    /// writes run, as long as `older_than` exceeds the longest upload. Returns how many went.
    #[tracing::instrument(skip_all)]
    pub async fn remove_stale_temp_files(
        &self,
        now: SystemTime,
        older_than: Duration,
    ) -> Result<usize, StoreError> {
        let mut entries = tokio::fs::read_dir(self.tmp_dir())
            .await
            .map_err(StoreError::io("đọc thư mục tạm"))?;
        let mut removed = 0;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(StoreError::io("đọc thư mục tạm"))?
        {
            let Ok(metadata) = entry.metadata().await else {
                continue;
            };
            let stale = metadata
                .modified()
                .ok()
                .and_then(|modified| now.duration_since(modified).ok())
                .is_some_and(|age| age > older_than);
            if metadata.is_file() && stale {
                match tokio::fs::remove_file(entry.path()).await {
                    Ok(()) => removed += 1,
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                    Err(error) => return Err(StoreError::io("xóa tệp tạm")(error)),
                }
            }
        }
        if removed > 0 {
            tracing::info!(removed, "removed stale temporary upload files");
        }
        Ok(removed)
    }

    /// Whether `id` is stored with exactly `len` bytes (a shorter file would be damage, and is
    /// replaced rather than trusted).
    async fn stored_with_len(&self, id: &BlobId, len: u64) -> bool {
        tokio::fs::metadata(self.path_of(id))
            .await
            .is_ok_and(|metadata| metadata.is_file() && metadata.len() == len)
    }
}

#[async_trait]
impl BlobStore for LocalDiskStore {
    #[tracing::instrument(skip_all, fields(limit = limit))]
    async fn put_stream(
        &self,
        source: &mut (dyn AsyncRead + Send + Unpin),
        limit: u64,
    ) -> Result<StoredBlob, StoreError> {
        let tmp_dir = self.tmp_dir();
        let temp = blocking(move || {
            tempfile::Builder::new()
                .prefix("upload-")
                .suffix(".part")
                .tempfile_in(tmp_dir)
        })
        .await
        .map_err(StoreError::io("tạo tệp tạm"))?;
        // From here on `temp_path` deletes the temporary file when dropped: on every error
        // return below, and when this future is dropped mid-way (the client went away).
        let (file, temp_path) = temp.into_parts();
        let mut file = tokio::fs::File::from_std(file);
        let mut hasher = Sha256::new();
        let mut len: u64 = 0;
        let mut buffer = vec![0_u8; CHUNK];
        loop {
            let read = source.read(&mut buffer).await.map_err(StoreError::Source)?;
            if read == 0 {
                break;
            }
            len = len.saturating_add(read as u64);
            if len > limit {
                return Err(StoreError::TooLarge { limit });
            }
            let chunk = &buffer[..read];
            hasher.update(chunk);
            file.write_all(chunk)
                .await
                .map_err(StoreError::io("ghi tệp tạm"))?;
        }
        file.flush().await.map_err(StoreError::io("ghi tệp tạm"))?;
        // Durable before it becomes visible: a crash after the rename must not expose a blob
        // whose bytes never reached the disk.
        file.sync_all()
            .await
            .map_err(StoreError::io("ghi tệp tạm"))?;
        drop(file);

        let id = BlobId::from_digest(hasher.finalize().into());
        if self.stored_with_len(&id, len).await {
            // Identical content is already stored; `temp_path` is dropped and removed.
            return Ok(StoredBlob {
                id,
                len,
                created: false,
            });
        }
        let target = self.path_of(&id);
        blocking(move || publish(temp_path, &target))
            .await
            .map_err(StoreError::io("lưu tệp"))?;
        tracing::debug!(%id, len, "blob stored");
        Ok(StoredBlob {
            id,
            len,
            created: true,
        })
    }

    #[tracing::instrument(skip_all, fields(len = content.len()))]
    async fn put_bytes(&self, content: &[u8]) -> Result<StoredBlob, StoreError> {
        let id = BlobId::of(content);
        let len = content.len() as u64;
        if self.stored_with_len(&id, len).await {
            return Ok(StoredBlob {
                id,
                len,
                created: false,
            });
        }
        let mut source = content;
        self.put_stream(&mut source, u64::MAX).await
    }

    #[tracing::instrument(skip_all, fields(%id))]
    async fn get(&self, id: &BlobId) -> Result<BlobReader, StoreError> {
        match tokio::fs::File::open(self.path_of(id)).await {
            Ok(file) => Ok(Box::pin(file)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                Err(StoreError::NotFound { id: *id })
            }
            Err(error) => Err(StoreError::io("mở tệp")(error)),
        }
    }

    async fn exists(&self, id: &BlobId) -> Result<bool, StoreError> {
        tokio::fs::try_exists(self.path_of(id))
            .await
            .map_err(StoreError::io("kiểm tra tệp"))
    }

    #[tracing::instrument(skip_all, fields(%id))]
    async fn delete(&self, id: &BlobId) -> Result<bool, StoreError> {
        match tokio::fs::remove_file(self.path_of(id)).await {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(StoreError::io("xóa tệp")(error)),
        }
    }

    async fn len(&self, id: &BlobId) -> Result<u64, StoreError> {
        match tokio::fs::metadata(self.path_of(id)).await {
            Ok(metadata) => Ok(metadata.len()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                Err(StoreError::NotFound { id: *id })
            }
            Err(error) => Err(StoreError::io("đọc kích thước tệp")(error)),
        }
    }
}

/// Moves a complete temporary file to its final place. On failure the temporary file is
/// removed (the persist error hands `TempPath` back, and dropping it deletes the file).
fn publish(temp_path: TempPath, target: &Path) -> io::Result<()> {
    let parent = target
        .parent()
        .ok_or_else(|| io::Error::other("blob path has no parent"))?;
    std::fs::create_dir_all(parent)?;
    // `rename` replaces an existing file atomically, so two identical uploads racing each other
    // both succeed and leave one blob with the same bytes.
    temp_path.persist(target).map_err(|error| error.error)?;
    // Make the new directory entry itself durable.
    #[cfg(unix)]
    std::fs::File::open(parent)?.sync_all()?;
    Ok(())
}

/// Runs blocking file-system work off the async threads. If the caller's future is dropped the
/// work still finishes, and whatever it returned (a `TempPath`) is dropped, cleaning up.
async fn blocking<T, F>(work: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(io::Error::other)?
}
