//! Evidence documents (tài liệu kiểm chứng) attached to a leaf of a unit's assessment: which
//! stored file, under which name, of which kind and size, uploaded by whom and when. The bytes
//! live in the blob store (`chiso-evidence`) under their SHA-256 [`BlobId`]; this table is what
//! says which leaf they support.
//!
//! Removal is soft: the row stays with who removed it and when, and the removal is audited,
//! because appraisers may have judged the leaf on a document that is later withdrawn.

use chiso_domain::{NodeCode, PeriodCode, UnitCode};
use chiso_evidence::{BlobId, FileKind};
use serde::Serialize;
use time::OffsetDateTime;

use crate::audit;
use crate::codec;
use crate::db::{Ex, Tx};
use crate::leaves::{LeafKey, hold_assessment};
use crate::{Actor, Db, StoreError, periods};

/// Audit entity of an evidence document (key `period/unit/node/id`).
pub const ENTITY: &str = "evidence";

/// A document to attach, already written to the blob store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewEvidence {
    pub blob_id: BlobId,
    /// The name shown and offered on download (already sanitised).
    pub file_name: String,
    pub kind: FileKind,
    /// Bytes.
    pub size: u64,
}

/// An attached document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub id: i64,
    pub key: LeafKey,
    pub blob_id: BlobId,
    pub file_name: String,
    pub kind: FileKind,
    pub size: u64,
    pub uploaded_by: String,
    pub uploaded_at: OffsetDateTime,
    pub removed_by: Option<String>,
    pub removed_at: Option<OffsetDateTime>,
}

impl Evidence {
    /// True once removed: kept for the record, no longer offered as evidence.
    pub fn is_removed(&self) -> bool {
        self.removed_at.is_some()
    }

    fn audit_key(&self) -> String {
        format!("{}/{}", self.key.audit_key(), self.id)
    }

    fn audit_value(&self) -> serde_json::Value {
        serde_json::json!({
            "blob_id": self.blob_id,
            "file_name": self.file_name,
            "kind": self.kind,
            "size": self.size,
            "removed_by": self.removed_by,
            "removed_at": self.removed_at.map(codec::ts),
        })
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    period: String,
    unit: String,
    node: String,
    blob_id: String,
    file_name: String,
    kind: String,
    size: i64,
    uploaded_by: String,
    uploaded_at: String,
    removed_by: Option<String>,
    removed_at: Option<String>,
}

impl Row {
    fn into_evidence(self) -> Result<Evidence, StoreError> {
        Ok(Evidence {
            id: self.id,
            key: LeafKey {
                period: codec::id(&self.period, PeriodCode::parse)?,
                unit: codec::id(&self.unit, UnitCode::parse)?,
                node: codec::id(&self.node, NodeCode::parse)?,
            },
            blob_id: codec::id(&self.blob_id, BlobId::parse)?,
            file_name: self.file_name,
            kind: self
                .kind
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("loại tệp \"{}\"", self.kind)))?,
            size: u64::try_from(self.size)
                .map_err(|_| StoreError::Corrupt(format!("kích thước tệp {}", self.size)))?,
            uploaded_by: self.uploaded_by,
            uploaded_at: codec::parse_ts(&self.uploaded_at)?,
            removed_by: self.removed_by,
            removed_at: codec::opt_ts(self.removed_at)?,
        })
    }
}

/// Attaches a document to a leaf and returns it. [`StoreError::Conflict`] if the unit does not
/// exist; [`StoreError::NotFound`] if the period does not exist; [`StoreError::Frozen`] if it is
/// published.
#[tracing::instrument(skip_all, fields(period = %key.period, unit = %key.unit, node = %key.node))]
pub async fn add(
    db: &Db,
    key: &LeafKey,
    file: &NewEvidence,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Evidence, StoreError> {
    let mut tx = db.begin().await?;
    periods::load_open(&mut tx, &key.period).await?;
    let stored = insert(&mut tx, key, file, None, actor, at).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Attaches several documents to a leaf in one transaction (all or none), each audited with
/// `reason`, if the unit's assessment is still at `assessment_version`: documents uploaded
/// while the leader submits cannot land after the submission (see
/// [`crate::leaves::save_self_many`]). Returns them in the order given.
/// [`StoreError::Conflict`] if the assessment moved, is not stored, or the unit does not
/// exist; [`StoreError::NotFound`] if the period does not exist; [`StoreError::Frozen`] if it
/// is published.
#[tracing::instrument(skip_all, fields(period = %key.period, unit = %key.unit, node = %key.node, files = files.len()))]
pub async fn add_many(
    db: &Db,
    key: &LeafKey,
    assessment_version: i64,
    files: &[NewEvidence],
    reason: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Vec<Evidence>, StoreError> {
    add_many_capped(
        db,
        key,
        assessment_version,
        files,
        usize::MAX,
        reason,
        actor,
        at,
    )
    .await?
    .map_err(|full| {
        StoreError::Conflict(format!(
            "tiêu chí {} đã có {} tài liệu kiểm chứng",
            key.node, full.held
        ))
    })
}

/// A leaf that cannot take the documents: it holds `held` and may hold at most `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeafFull {
    /// Documents on the leaf now (removed ones not counted).
    pub held: usize,
    /// The most documents the leaf may hold.
    pub cap: usize,
}

/// Like [`add_many`], but only while the leaf then holds at most `cap` documents (removed ones
/// not counted); otherwise nothing is added and the inner result says how full the leaf is.
/// The count is taken after the assessment row is held, so two uploads racing to the same
/// leaf cannot both squeeze under the cap.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, fields(period = %key.period, unit = %key.unit, node = %key.node, files = files.len(), cap))]
pub async fn add_many_capped(
    db: &Db,
    key: &LeafKey,
    assessment_version: i64,
    files: &[NewEvidence],
    cap: usize,
    reason: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Result<Vec<Evidence>, LeafFull>, StoreError> {
    let mut tx = db.begin().await?;
    periods::load_open(&mut tx, &key.period).await?;
    hold_assessment(&mut tx, &key.period, &key.unit, assessment_version).await?;
    let held = sql!(
        tx,
        scalar i64,
        "SELECT COUNT(*) FROM evidence \
         WHERE period = $1 AND unit = $2 AND node = $3 AND removed_at IS NULL",
        key.period.as_str(),
        key.unit.as_str(),
        key.node.as_str(),
    )?;
    let held = usize::try_from(held).unwrap_or(usize::MAX);
    if held.saturating_add(files.len()) > cap {
        // Dropping the transaction rolls it back: nothing was written.
        return Ok(Err(LeafFull { held, cap }));
    }
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        out.push(insert(&mut tx, key, file, Some(reason), actor, at).await?);
    }
    tx.commit().await?;
    Ok(Ok(out))
}

/// Inserts one document inside `tx`, audited.
async fn insert(
    tx: &mut Tx,
    key: &LeafKey,
    file: &NewEvidence,
    reason: Option<&str>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Evidence, StoreError> {
    let id = sql!(
        tx,
        scalar i64,
        "INSERT INTO evidence (period, unit, node, blob_id, file_name, kind, size, \
         uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        key.period.as_str(),
        key.unit.as_str(),
        key.node.as_str(),
        file.blob_id.to_string(),
        file.file_name.as_str(),
        file.kind.as_str(),
        // Files are limited far below 8 EiB by the upload limit.
        i64::try_from(file.size).unwrap_or(i64::MAX),
        actor.as_str(),
        codec::ts(at),
    )?;
    let stored = read(tx.ex(), id).await?;
    let mut entry = key
        .entry(actor, at, "add", ENTITY)
        .values(None, Some(stored.audit_value()));
    entry.entity_key = stored.audit_key();
    entry.reason = reason.filter(|r| !r.trim().is_empty());
    audit::record(tx, entry).await?;
    Ok(stored)
}

/// Like [`soft_remove`], if the unit's assessment is still at `assessment_version` (see
/// [`add_many`]); [`StoreError::Conflict`] also when it moved.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn soft_remove_guarded(
    db: &Db,
    id: i64,
    assessment_version: i64,
    reason: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Evidence, StoreError> {
    let mut tx = db.begin().await?;
    let old = read(tx.ex(), id).await?;
    periods::load_open(&mut tx, &old.key.period).await?;
    hold_assessment(&mut tx, &old.key.period, &old.key.unit, assessment_version).await?;
    let new = remove_in(&mut tx, &old, reason, actor, at).await?;
    tx.commit().await?;
    Ok(new)
}

/// Marks `old` removed inside `tx`, audited with `reason`.
async fn remove_in(
    tx: &mut Tx,
    old: &Evidence,
    reason: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Evidence, StoreError> {
    let written = sql!(
        tx,
        execute,
        "UPDATE evidence SET removed_by = $1, removed_at = $2 \
         WHERE id = $3 AND removed_at IS NULL",
        actor.as_str(),
        codec::ts(at),
        old.id,
    )?;
    if written != 1 {
        return Err(StoreError::Conflict(format!(
            "tệp \"{}\" đã được gỡ bỏ",
            old.file_name
        )));
    }
    let new = read(tx.ex(), old.id).await?;
    let mut entry = old
        .key
        .entry(actor, at, "remove", ENTITY)
        .values(Some(old.audit_value()), Some(new.audit_value()));
    entry.entity_key = new.audit_key();
    entry.reason = Some(reason).filter(|r| !r.trim().is_empty());
    audit::record(tx, entry).await?;
    Ok(new)
}

/// Marks document `id` removed (the row and the blob stay) and returns it, audited with
/// `reason`. [`StoreError::NotFound`] if there is no such document, [`StoreError::Conflict`]
/// if it is already removed, [`StoreError::Frozen`] if its period is published.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn soft_remove(
    db: &Db,
    id: i64,
    reason: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Evidence, StoreError> {
    let mut tx = db.begin().await?;
    let old = read(tx.ex(), id).await?;
    periods::load_open(&mut tx, &old.key.period).await?;
    let new = remove_in(&mut tx, &old, reason, actor, at).await?;
    tx.commit().await?;
    Ok(new)
}

/// One document, removed or not.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn get(db: &Db, id: i64) -> Result<Option<Evidence>, StoreError> {
    let mut c = db.conn().await?;
    match read(c.ex(), id).await {
        Ok(e) => Ok(Some(e)),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn read(mut ex: Ex<'_>, id: i64) -> Result<Evidence, StoreError> {
    sql!(
        ex,
        optional Row,
        "SELECT id, period, unit, node, blob_id, file_name, kind, size, uploaded_by, \
         uploaded_at, removed_by, removed_at FROM evidence WHERE id = $1",
        id,
    )?
    .ok_or_else(|| StoreError::NotFound(format!("tài liệu kiểm chứng số {id}")))?
    .into_evidence()
}

/// The unit's documents in the period, of one leaf or of every leaf, by numeric leaf order
/// then upload order. Removed documents are included only when asked for (the history shown
/// to appraisers and in the audit view).
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit, node = ?node))]
pub async fn list(
    db: &Db,
    period: &PeriodCode,
    unit: &UnitCode,
    node: Option<&NodeCode>,
    include_removed: bool,
) -> Result<Vec<Evidence>, StoreError> {
    let mut c = db.conn().await?;
    let mut out = sql!(
        c,
        all Row,
        "SELECT id, period, unit, node, blob_id, file_name, kind, size, uploaded_by, \
         uploaded_at, removed_by, removed_at FROM evidence \
         WHERE period = $1 AND unit = $2 AND ($3 IS NULL OR node = $3) \
         AND ($4 OR removed_at IS NULL)",
        period.as_str(),
        unit.as_str(),
        node.map(NodeCode::as_str),
        include_removed,
    )?
    .into_iter()
    .map(Row::into_evidence)
    .collect::<Result<Vec<_>, _>>()?;
    out.sort_by(|a, b| a.key.node.cmp(&b.key.node).then(a.id.cmp(&b.id)));
    Ok(out)
}
