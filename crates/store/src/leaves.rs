//! The values of each leaf criterion in a unit's assessment: the unit's self-assessment (raw
//! input, proposed points, declared data, note, explanation of missing evidence) and the
//! appraiser's value with a comment. Both are kept side by side, since both are published
//! (domain.md §2: "mean self 64,75 vs appraised 62,62").
//!
//! Each side has its own version, so the unit and an appraiser never overwrite each other and
//! two people editing the same side cannot both win: a save based on a stale version is
//! refused with [`StoreError::Conflict`] and changes nothing. Every actual change is audited
//! with the side's old and new value.
//!
//! These rows are the working values of the cycle; [`crate::scores`] keeps the official input
//! the computation reads (see [`crate::assessments`]).

use chiso_domain::{NodeCode, PeriodCode, Points, RawValue, UnitCode};
use serde::Serialize;
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::db::{Ex, Tx};
use crate::{Actor, Db, StoreError, periods};

/// Audit entity of a leaf's values (key `period/unit/node`).
pub const ENTITY: &str = "assessment_leaf";

/// One leaf of one unit in one period: what every per-leaf record is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct LeafKey {
    pub period: PeriodCode,
    pub unit: UnitCode,
    pub node: NodeCode,
}

impl LeafKey {
    /// `period/unit/node`, the audit key.
    pub fn audit_key(&self) -> String {
        format!("{}/{}/{}", self.period, self.unit, self.node)
    }

    /// An audit entry about this leaf.
    pub(crate) fn entry<'a>(
        &'a self,
        actor: &'a Actor,
        at: OffsetDateTime,
        action: &'a str,
        entity: &'a str,
    ) -> NewEntry<'a> {
        let mut e = NewEntry::new(actor, at, action, entity, self.audit_key());
        e.period = Some(self.period.as_str());
        e.unit = Some(self.unit.as_str());
        e.node = Some(self.node.as_str());
        e
    }
}

/// The unit's self-assessment of a leaf (tự đánh giá).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SelfEntry {
    /// The raw value the leaf's scoring method turns into points.
    pub input: Option<RawValue>,
    /// The points the unit proposes.
    pub points: Option<Points>,
    /// The figures the unit declares (số liệu kê khai).
    pub declared_data: Option<String>,
    pub note: Option<String>,
    /// Why evidence is missing or incomplete (giải trình).
    pub explanation: Option<String>,
}

/// The appraiser's value of a leaf (điểm thẩm định).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AppraisalEntry {
    pub input: Option<RawValue>,
    pub points: Option<Points>,
    /// The appraiser's comment (nhận xét), required when the points differ from the unit's.
    pub comment: Option<String>,
}

/// Both sides of a stored leaf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredLeaf {
    pub key: LeafKey,
    pub self_assessment: SelfEntry,
    pub self_by: Option<String>,
    pub self_at: Option<OffsetDateTime>,
    /// 0 while the unit never saved this leaf, +1 for each change.
    pub self_version: i64,
    pub appraisal: AppraisalEntry,
    pub appraised_by: Option<String>,
    pub appraised_at: Option<OffsetDateTime>,
    /// 0 while no appraiser saved this leaf, +1 for each change.
    pub appraisal_version: i64,
    pub updated_by: String,
    pub updated_at: OffsetDateTime,
}

impl StoredLeaf {
    /// True once an appraiser saved a value for this leaf.
    pub fn is_appraised(&self) -> bool {
        self.appraisal_version > 0
    }

    /// The value that counts once the assessment is approved: the appraised one where the leaf
    /// was appraised, else the unit's own (input, points and the comment or note with them).
    pub fn official(&self) -> (Option<&RawValue>, Option<Points>, Option<&str>) {
        if self.is_appraised() {
            let a = &self.appraisal;
            (a.input.as_ref(), a.points, a.comment.as_deref())
        } else {
            let s = &self.self_assessment;
            (s.input.as_ref(), s.points, s.note.as_deref())
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    period: String,
    unit: String,
    node: String,
    self_input: Option<Json<RawValue>>,
    self_points: Option<String>,
    declared_data: Option<String>,
    note: Option<String>,
    explanation: Option<String>,
    self_by: Option<String>,
    self_at: Option<String>,
    self_version: i64,
    appraised_input: Option<Json<RawValue>>,
    appraised_points: Option<String>,
    appraisal_comment: Option<String>,
    appraised_by: Option<String>,
    appraised_at: Option<String>,
    appraisal_version: i64,
    updated_by: String,
    updated_at: String,
}

fn points(s: Option<String>) -> Result<Option<Points>, StoreError> {
    Ok(s.as_deref().map(codec::parse_dec).transpose()?.map(Points))
}

impl Row {
    fn into_leaf(self) -> Result<StoredLeaf, StoreError> {
        Ok(StoredLeaf {
            key: LeafKey {
                period: codec::id(&self.period, PeriodCode::parse)?,
                unit: codec::id(&self.unit, UnitCode::parse)?,
                node: codec::id(&self.node, NodeCode::parse)?,
            },
            self_assessment: SelfEntry {
                input: self.self_input.map(|j| j.0),
                points: points(self.self_points)?,
                declared_data: self.declared_data,
                note: self.note,
                explanation: self.explanation,
            },
            self_by: self.self_by,
            self_at: codec::opt_ts(self.self_at)?,
            self_version: self.self_version,
            appraisal: AppraisalEntry {
                input: self.appraised_input.map(|j| j.0),
                points: points(self.appraised_points)?,
                comment: self.appraisal_comment,
            },
            appraised_by: self.appraised_by,
            appraised_at: codec::opt_ts(self.appraised_at)?,
            appraisal_version: self.appraisal_version,
            updated_by: self.updated_by,
            updated_at: codec::parse_ts(&self.updated_at)?,
        })
    }
}

fn self_value(e: &SelfEntry, version: i64) -> serde_json::Value {
    serde_json::json!({
        "input": e.input,
        "points": e.points,
        "declared_data": e.declared_data,
        "note": e.note,
        "explanation": e.explanation,
        "version": version,
    })
}

fn appraisal_value(e: &AppraisalEntry, version: i64) -> serde_json::Value {
    serde_json::json!({
        "input": e.input,
        "points": e.points,
        "comment": e.comment,
        "version": version,
    })
}

/// Saves the unit's self-assessment of a leaf if its stored self version is still
/// `expected_version` (0: never saved), and returns the leaf as stored. Saving the value
/// already stored writes nothing. [`StoreError::Conflict`] when the version is stale (nothing
/// is changed) or the unit does not exist; [`StoreError::NotFound`] if the period does not
/// exist; [`StoreError::Frozen`] if it is published.
#[tracing::instrument(skip_all, fields(period = %key.period, unit = %key.unit, node = %key.node))]
pub async fn save_self(
    db: &Db,
    key: &LeafKey,
    entry: &SelfEntry,
    expected_version: i64,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<StoredLeaf, StoreError> {
    let mut tx = db.begin().await?;
    periods::load_open(&mut tx, &key.period).await?;
    let old = read(tx.ex(), key).await?;
    let version = old.as_ref().map_or(0, |l| l.self_version);
    if version != expected_version {
        return Err(stale(key, "tự đánh giá", expected_version, version));
    }
    if let Some(old) = &old
        && old.self_version > 0
        && old.self_assessment == *entry
    {
        return Ok(old.clone());
    }
    let stamp = codec::ts(at);
    let points = entry.points.map(|p| codec::dec(p.value()));
    let written = if old.is_none() {
        sql!(
            tx,
            execute,
            "INSERT INTO assessment_leaves (period, unit, node, self_input, self_points, \
             declared_data, note, explanation, self_by, self_at, self_version, updated_by, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $9, $10) \
             ON CONFLICT (period, unit, node) DO NOTHING",
            key.period.as_str(),
            key.unit.as_str(),
            key.node.as_str(),
            entry.input.as_ref().map(Json),
            points.as_deref(),
            entry.declared_data.as_deref(),
            entry.note.as_deref(),
            entry.explanation.as_deref(),
            actor.as_str(),
            stamp.as_str(),
        )?
    } else {
        sql!(
            tx,
            execute,
            "UPDATE assessment_leaves SET self_input = $1, self_points = $2, \
             declared_data = $3, note = $4, explanation = $5, self_by = $6, self_at = $7, \
             self_version = $8, updated_by = $6, updated_at = $7 \
             WHERE period = $9 AND unit = $10 AND node = $11 AND self_version = $12",
            entry.input.as_ref().map(Json),
            points.as_deref(),
            entry.declared_data.as_deref(),
            entry.note.as_deref(),
            entry.explanation.as_deref(),
            actor.as_str(),
            stamp.as_str(),
            version + 1,
            key.period.as_str(),
            key.unit.as_str(),
            key.node.as_str(),
            version,
        )?
    };
    if written != 1 {
        return Err(changed_meanwhile(key));
    }
    let audit_entry = key.entry(actor, at, "save_self", ENTITY).values(
        old.as_ref()
            .filter(|o| o.self_version > 0)
            .map(|o| self_value(&o.self_assessment, o.self_version)),
        Some(self_value(entry, version + 1)),
    );
    audit::record(&mut tx, audit_entry).await?;
    finish(tx, key).await
}

/// Saves the appraiser's value of a leaf if its stored appraisal version is still
/// `expected_version` (0: never appraised), and returns the leaf as stored. The unit's values
/// are left as they are. Errors as [`save_self`].
#[tracing::instrument(skip_all, fields(period = %key.period, unit = %key.unit, node = %key.node))]
pub async fn save_appraisal(
    db: &Db,
    key: &LeafKey,
    entry: &AppraisalEntry,
    expected_version: i64,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<StoredLeaf, StoreError> {
    let mut tx = db.begin().await?;
    periods::load_open(&mut tx, &key.period).await?;
    let old = read(tx.ex(), key).await?;
    let version = old.as_ref().map_or(0, |l| l.appraisal_version);
    if version != expected_version {
        return Err(stale(key, "thẩm định", expected_version, version));
    }
    if let Some(old) = &old
        && old.appraisal_version > 0
        && old.appraisal == *entry
    {
        return Ok(old.clone());
    }
    let stamp = codec::ts(at);
    let points = entry.points.map(|p| codec::dec(p.value()));
    let written = if old.is_none() {
        sql!(
            tx,
            execute,
            "INSERT INTO assessment_leaves (period, unit, node, appraised_input, \
             appraised_points, appraisal_comment, appraised_by, appraised_at, \
             appraisal_version, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $7, $8) \
             ON CONFLICT (period, unit, node) DO NOTHING",
            key.period.as_str(),
            key.unit.as_str(),
            key.node.as_str(),
            entry.input.as_ref().map(Json),
            points.as_deref(),
            entry.comment.as_deref(),
            actor.as_str(),
            stamp.as_str(),
        )?
    } else {
        sql!(
            tx,
            execute,
            "UPDATE assessment_leaves SET appraised_input = $1, appraised_points = $2, \
             appraisal_comment = $3, appraised_by = $4, appraised_at = $5, \
             appraisal_version = $6, updated_by = $4, updated_at = $5 \
             WHERE period = $7 AND unit = $8 AND node = $9 AND appraisal_version = $10",
            entry.input.as_ref().map(Json),
            points.as_deref(),
            entry.comment.as_deref(),
            actor.as_str(),
            stamp.as_str(),
            version + 1,
            key.period.as_str(),
            key.unit.as_str(),
            key.node.as_str(),
            version,
        )?
    };
    if written != 1 {
        return Err(changed_meanwhile(key));
    }
    let audit_entry = key.entry(actor, at, "save_appraisal", ENTITY).values(
        old.as_ref()
            .filter(|o| o.appraisal_version > 0)
            .map(|o| appraisal_value(&o.appraisal, o.appraisal_version)),
        Some(appraisal_value(entry, version + 1)),
    );
    audit::record(&mut tx, audit_entry).await?;
    finish(tx, key).await
}

/// Reads the leaf back as written and commits.
async fn finish(mut tx: Tx, key: &LeafKey) -> Result<StoredLeaf, StoreError> {
    let stored = read(tx.ex(), key)
        .await?
        .ok_or_else(|| changed_meanwhile(key))?;
    tx.commit().await?;
    Ok(stored)
}

/// One stored leaf, if either side was ever saved.
#[tracing::instrument(skip_all, fields(period = %key.period, unit = %key.unit, node = %key.node))]
pub async fn get(db: &Db, key: &LeafKey) -> Result<Option<StoredLeaf>, StoreError> {
    let mut c = db.conn().await?;
    read(c.ex(), key).await
}

async fn read(mut ex: Ex<'_>, key: &LeafKey) -> Result<Option<StoredLeaf>, StoreError> {
    sql!(
        ex,
        optional Row,
        "SELECT period, unit, node, self_input, self_points, declared_data, note, explanation, \
         self_by, self_at, self_version, appraised_input, appraised_points, appraisal_comment, \
         appraised_by, appraised_at, appraisal_version, updated_by, updated_at \
         FROM assessment_leaves WHERE period = $1 AND unit = $2 AND node = $3",
        key.period.as_str(),
        key.unit.as_str(),
        key.node.as_str(),
    )?
    .map(Row::into_leaf)
    .transpose()
}

/// Every stored leaf of the unit in the period, in numeric leaf order (`1.9` before `1.10`).
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub async fn list(
    db: &Db,
    period: &PeriodCode,
    unit: &UnitCode,
) -> Result<Vec<StoredLeaf>, StoreError> {
    let mut c = db.conn().await?;
    read_unit(c.ex(), period, unit).await
}

pub(crate) async fn read_unit(
    mut ex: Ex<'_>,
    period: &PeriodCode,
    unit: &UnitCode,
) -> Result<Vec<StoredLeaf>, StoreError> {
    let mut out = sql!(
        ex,
        all Row,
        "SELECT period, unit, node, self_input, self_points, declared_data, note, explanation, \
         self_by, self_at, self_version, appraised_input, appraised_points, appraisal_comment, \
         appraised_by, appraised_at, appraisal_version, updated_by, updated_at \
         FROM assessment_leaves WHERE period = $1 AND unit = $2",
        period.as_str(),
        unit.as_str(),
    )?
    .into_iter()
    .map(Row::into_leaf)
    .collect::<Result<Vec<_>, _>>()?;
    out.sort_by(|a, b| a.key.node.cmp(&b.key.node));
    Ok(out)
}

fn stale(key: &LeafKey, side: &str, expected: i64, stored: i64) -> StoreError {
    StoreError::Conflict(format!(
        "{side} tiêu chí {} của đơn vị {} (kỳ {}) đã được sửa: phiên bản hiện tại {stored}, \
         không phải {expected}; hãy tải lại",
        key.node, key.unit, key.period
    ))
}

fn changed_meanwhile(key: &LeafKey) -> StoreError {
    StoreError::Conflict(format!(
        "tiêu chí {} của đơn vị {} (kỳ {}) vừa được người khác sửa; hãy tải lại và nhập lại",
        key.node, key.unit, key.period
    ))
}
