//! The local disk store keeps the blob-store contract: content-addressed, atomic, and clean
//! after every failure.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use chiso_evidence::{BlobId, BlobStore, LocalDiskStore, StoreError};
use support::{InterruptedReader, StalledReader, bytes, files_under};

async fn new_store() -> (tempfile::TempDir, LocalDiskStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalDiskStore::open(dir.path().join("blobs"))
        .await
        .unwrap();
    (dir, store)
}

#[tokio::test]
async fn a_stored_file_reads_back_identically() {
    let (_dir, store) = new_store().await;
    let content = bytes(200_000);
    let stored = store
        .put_stream(&mut content.as_slice(), 1_000_000)
        .await
        .unwrap();
    assert_eq!(stored.id, BlobId::of(&content));
    assert_eq!(stored.len, 200_000);
    assert!(stored.created);
    assert!(store.exists(&stored.id).await.unwrap());
    assert_eq!(store.len(&stored.id).await.unwrap(), 200_000);
    assert_eq!(store.get_bytes(&stored.id).await.unwrap(), content);
}

#[tokio::test]
async fn a_blob_lives_under_its_sha256_path_inside_the_root() {
    let (dir, store) = new_store().await;
    let stored = store.put_bytes(b"bien ban hop").await.unwrap();
    let hex = stored.id.to_hex();
    let expected = store
        .root()
        .join("sha256")
        .join(&hex[0..2])
        .join(&hex[2..4])
        .join(&hex);
    assert_eq!(store.path_of(&stored.id), expected);
    assert_eq!(files_under(dir.path()), vec![expected]);
    assert_eq!(
        stored.id.storage_key(),
        format!("sha256/{}/{}/{hex}", &hex[0..2], &hex[2..4])
    );
}

#[tokio::test]
async fn the_same_content_is_stored_once() {
    let (dir, store) = new_store().await;
    let content = bytes(10_000);
    let first = store.put_bytes(&content).await.unwrap();
    let second = store
        .put_stream(&mut content.as_slice(), 10_000)
        .await
        .unwrap();
    let third = store.put_bytes(&content).await.unwrap();
    assert!(first.created);
    assert!(!second.created);
    assert!(!third.created);
    assert_eq!(first.id, second.id);
    assert_eq!(first.id, third.id);
    assert_eq!(files_under(dir.path()).len(), 1);
}

#[tokio::test]
async fn identical_uploads_racing_each_other_leave_one_blob() {
    let (dir, store) = new_store().await;
    let store: Arc<dyn BlobStore> = Arc::new(store);
    let content = Arc::new(bytes(300_000));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            let content = Arc::clone(&content);
            tokio::spawn(async move { store.put_bytes(&content).await.unwrap() })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids, vec![BlobId::of(&content)]);
    assert_eq!(files_under(dir.path()).len(), 1);
    assert_eq!(store.get_bytes(&ids[0]).await.unwrap(), *content);
}

#[tokio::test]
async fn an_oversized_stream_is_refused_and_leaves_no_file() {
    let (dir, store) = new_store().await;
    let content = bytes(300_000);
    let error = store
        .put_stream(&mut content.as_slice(), 100_000)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::TooLarge { limit: 100_000 }));
    assert_eq!(
        error.to_string(),
        "tệp vượt quá dung lượng cho phép 97,6 KB"
    );
    assert_eq!(files_under(dir.path()), Vec::<std::path::PathBuf>::new());
    assert!(!store.exists(&BlobId::of(&content)).await.unwrap());
}

#[tokio::test]
async fn a_stream_of_exactly_the_limit_is_accepted() {
    let (_dir, store) = new_store().await;
    let content = bytes(65_536 * 2);
    let stored = store
        .put_stream(&mut content.as_slice(), 65_536 * 2)
        .await
        .unwrap();
    assert_eq!(stored.len, 65_536 * 2);
}

#[tokio::test]
async fn an_interrupted_upload_leaves_nothing() {
    let (dir, store) = new_store().await;
    let mut source = InterruptedReader::new(bytes(150_000));
    let error = store.put_stream(&mut source, 1_000_000).await.unwrap_err();
    assert!(matches!(error, StoreError::Source(_)), "{error:?}");
    assert_eq!(error.to_string(), "việc tải tệp lên bị gián đoạn");
    assert!(files_under(dir.path()).is_empty());
}

#[tokio::test]
async fn an_abandoned_upload_leaves_nothing() {
    let (dir, store) = new_store().await;
    let mut source = StalledReader::new(bytes(50_000));
    let mut put = Box::pin(store.put_stream(&mut source, 1_000_000));
    let tmp = store.root().join("tmp");
    // Let the write run until it waits on the stalled client with its temporary file open.
    for _ in 0..250 {
        tokio::select! {
            _ = &mut put => panic!("the stalled upload should not finish"),
            () = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
        if !files_under(&tmp).is_empty() {
            break;
        }
    }
    assert_eq!(
        files_under(&tmp).len(),
        1,
        "the write in progress has its temporary file"
    );
    drop(put);
    // The dropped write removes its temporary file; allow the blocking pool to settle.
    for _ in 0..50 {
        if files_under(dir.path()).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(files_under(dir.path()).is_empty());
}

#[tokio::test]
async fn deleting_removes_the_blob_and_reports_whether_it_was_there() {
    let (dir, store) = new_store().await;
    let stored = store.put_bytes(b"quyet dinh").await.unwrap();
    assert!(store.delete(&stored.id).await.unwrap());
    assert!(!store.delete(&stored.id).await.unwrap());
    assert!(!store.exists(&stored.id).await.unwrap());
    assert!(files_under(dir.path()).is_empty());
}

#[tokio::test]
async fn reading_a_missing_blob_says_so_in_vietnamese() {
    let (_dir, store) = new_store().await;
    let id = BlobId::of(b"never stored");
    let Err(error) = store.get(&id).await else {
        panic!("a missing blob must not open");
    };
    assert!(matches!(error, StoreError::NotFound { .. }));
    assert_eq!(error.to_string(), format!("không tìm thấy tệp có mã {id}"));
    assert!(matches!(
        store.len(&id).await,
        Err(StoreError::NotFound { .. })
    ));
}

#[tokio::test]
async fn stale_temporary_files_from_a_crash_are_swept() {
    let (dir, store) = new_store().await;
    let leftover = store.root().join("tmp").join("upload-crashed.part");
    std::fs::write(&leftover, b"half an upload").unwrap();
    let written = std::fs::metadata(&leftover).unwrap().modified().unwrap();
    let hour = Duration::from_secs(3600);

    let removed = store
        .remove_stale_temp_files(written + Duration::from_secs(60), hour)
        .await
        .unwrap();
    assert_eq!(
        removed, 0,
        "a recent temporary file may be a running upload"
    );
    assert_eq!(files_under(dir.path()).len(), 1);

    let removed = store
        .remove_stale_temp_files(written + 2 * hour, hour)
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert!(files_under(dir.path()).is_empty());
}

#[tokio::test]
async fn reopening_a_store_finds_its_blobs() {
    let (dir, store) = new_store().await;
    let stored = store.put_bytes(b"ho so").await.unwrap();
    drop(store);
    let reopened = LocalDiskStore::open(dir.path().join("blobs"))
        .await
        .unwrap();
    assert_eq!(reopened.get_bytes(&stored.id).await.unwrap(), b"ho so");
}
