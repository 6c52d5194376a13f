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
    let change = SelfChange {
        entry,
        expected_version,
        reason: None,
    };
    if let Some(same) = write_self(&mut tx, key, &change, actor, at).await? {
        return Ok(same);
    }
    finish(tx, key).await
}

/// One leaf's new self-assessment inside a transaction.
struct SelfChange<'a> {
    entry: &'a SelfEntry,
    expected_version: i64,
    reason: Option<&'a str>,
}

/// Writes the unit's side of one leaf inside `tx` if its self version is still the expected
/// one, audited with the old and new value. Returns the stored leaf when it already holds
/// exactly this value (nothing written), `None` once written.
async fn write_self(
    tx: &mut Tx,
    key: &LeafKey,
    change: &SelfChange<'_>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Option<StoredLeaf>, StoreError> {
    let entry = change.entry;
    let old = read(tx.ex(), key).await?;
    let version = old.as_ref().map_or(0, |l| l.self_version);
    if version != change.expected_version {
        return Err(stale(key, "tự đánh giá", change.expected_version, version));
    }
    if let Some(old) = &old
        && old.self_version > 0
        && old.self_assessment == *entry
    {
        return Ok(Some(old.clone()));
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
    let mut audit_entry = key.entry(actor, at, "save_self", ENTITY).values(
        old.as_ref()
            .filter(|o| o.self_version > 0)
            .map(|o| self_value(&o.self_assessment, o.self_version)),
        Some(self_value(entry, version + 1)),
    );
    audit_entry.reason = change.reason.filter(|r| !r.trim().is_empty());
    audit::record(tx, audit_entry).await?;
    Ok(None)
}

/// One leaf of a [`SelfBatch`]: its new self-assessment and the self version it was entered
/// against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfSave {
    pub node: NodeCode,
    pub entry: SelfEntry,
    /// The leaf's self version the person saw (0: never saved).
    pub expected_version: i64,
}

/// Several leaves of one unit's self-assessment saved together (a whole area of the form).
#[derive(Debug, Clone, Copy)]
pub struct SelfBatch<'a> {
    pub period: &'a PeriodCode,
    pub unit: &'a UnitCode,
    /// The version of the unit's assessment (its state) the values were entered against; see
    /// [`save_self_many`].
    pub assessment_version: i64,
    pub saves: &'a [SelfSave],
    /// Why, for the audit log of every leaf.
    pub reason: &'a str,
}

/// Saves several leaves of a unit's self-assessment in one transaction: all of them or none.
///
/// Each leaf must still be at its expected self version, and the unit's assessment must still
/// be at `assessment_version` (which must exist): the state changes only by submission,
/// reopening and the other workflow steps, so a value entered before the leader submitted can
/// never land after the submission. On PostgreSQL the assessment row stays locked until the
/// values are committed, so a submission waits for them rather than passing them by. Leaves
/// whose value is already stored write nothing; each written leaf is audited with `reason`.
/// Returns the leaves as stored, in the order given.
///
/// [`StoreError::Conflict`] when a leaf or the assessment is stale (nothing is changed);
/// [`StoreError::NotFound`] if the period does not exist; [`StoreError::Frozen`] if it is
/// published.
#[tracing::instrument(skip_all, fields(period = %batch.period, unit = %batch.unit, leaves = batch.saves.len()))]
pub async fn save_self_many(
    db: &Db,
    batch: &SelfBatch<'_>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Vec<StoredLeaf>, StoreError> {
    let mut tx = db.begin().await?;
    periods::load_open(&mut tx, batch.period).await?;
    hold_assessment(&mut tx, batch.period, batch.unit, batch.assessment_version).await?;
    let mut keys = Vec::with_capacity(batch.saves.len());
    for save in batch.saves {
        let key = LeafKey {
            period: batch.period.clone(),
            unit: batch.unit.clone(),
            node: save.node.clone(),
        };
        let change = SelfChange {
            entry: &save.entry,
            expected_version: save.expected_version,
            reason: Some(batch.reason),
        };
        write_self(&mut tx, &key, &change, actor, at).await?;
        keys.push(key);
    }
    let mut stored = Vec::with_capacity(keys.len());
    for key in &keys {
        stored.push(
            read(tx.ex(), key)
                .await?
                .ok_or_else(|| changed_meanwhile(key))?,
        );
    }
    tx.commit().await?;
    Ok(stored)
}

/// Checks inside `tx` that the unit's assessment is still at `version`, and holds it there
/// until the transaction ends: the no-op update locks the row on PostgreSQL (a concurrent
/// change of state waits, then sees the version it expected is gone) and takes the write lock
/// on SQLite. [`StoreError::Conflict`] when the version moved or nothing is stored.
pub(crate) async fn hold_assessment(
    tx: &mut Tx,
    period: &PeriodCode,
    unit: &UnitCode,
    version: i64,
) -> Result<(), StoreError> {
    let held = sql!(
        tx,
        execute,
        "UPDATE assessments SET version = version \
         WHERE period = $1 AND unit = $2 AND version = $3",
        period.as_str(),
        unit.as_str(),
        version,
    )?;
    if held != 1 {
        return Err(StoreError::Conflict(format!(
            "hồ sơ của đơn vị {unit} (kỳ {period}) vừa thay đổi trạng thái (phiên bản khác \
             {version}); hãy tải lại"
        )));
    }
    Ok(())
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
    appraise_in(&mut tx, key, entry, expected_version, None, actor, at).await?;
    finish(tx, key).await
}

/// One appraisal of a batch: the leaf, its value and the appraisal version it is based on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appraisal {
    pub key: LeafKey,
    pub entry: AppraisalEntry,
    pub expected_version: i64,
}

/// Saves several appraised values in **one** transaction, each audited with `reason`: all of
/// them, or on the first stale version or error, none. An appraiser confirming a unit's own
/// values for many leaves at once gets the same rows and audit entries as leaf by leaf.
#[tracing::instrument(skip_all, fields(n = batch.len()))]
pub async fn save_appraisals(
    db: &Db,
    batch: &[Appraisal],
    reason: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<usize, StoreError> {
    let Some(first) = batch.first() else {
        return Ok(0);
    };
    let mut tx = db.begin().await?;
    periods::load_open(&mut tx, &first.key.period).await?;
    for a in batch {
        appraise_in(
            &mut tx,
            &a.key,
            &a.entry,
            a.expected_version,
            Some(reason),
            actor,
            at,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(batch.len())
}

/// Writes one appraised value inside `tx` (see [`save_appraisal`]) with its audit entry;
/// nothing when the same value is stored already.
async fn appraise_in(
    tx: &mut Tx,
    key: &LeafKey,
    entry: &AppraisalEntry,
    expected_version: i64,
    reason: Option<&str>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let old = read(tx.ex(), key).await?;
    let version = old.as_ref().map_or(0, |l| l.appraisal_version);
    if version != expected_version {
        return Err(stale(key, "thẩm định", expected_version, version));
    }
    if let Some(old) = &old
        && old.appraisal_version > 0
        && old.appraisal == *entry
    {
        return Ok(());
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
    let mut audit_entry = key.entry(actor, at, "save_appraisal", ENTITY).values(
        old.as_ref()
            .filter(|o| o.appraisal_version > 0)
            .map(|o| appraisal_value(&o.appraisal, o.appraisal_version)),
        Some(appraisal_value(entry, version + 1)),
    );
    audit_entry.reason = reason;
    audit::record(tx, audit_entry).await
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

#[cfg(test)]
mod tests {
    use chiso_domain::workflow::AssessmentState;
    use chiso_domain::{Unit, UnitKind};
    use rust_decimal_macros::dec;
    use time::macros::datetime;

    use super::*;
    use crate::assessments::{self, StateChange};
    use crate::periods::{self, Period};
    use crate::units;

    const AT: OffsetDateTime = datetime!(2025-02-10 03:00 UTC);

    /// A SQLite database with period 2025, unit U and its assessment in draft (version 1).
    async fn draft() -> (tempfile::TempDir, Db, PeriodCode, UnitCode) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let actor = Actor::system();
        let unit = UnitCode::parse("U").unwrap();
        let u = Unit {
            code: unit.clone(),
            name: "Đơn vị".to_owned(),
            kind: UnitKind::Department,
            parent: None,
            valid_from: None,
            valid_to: None,
        };
        units::upsert_many(&db, &[u], &[], &actor, AT)
            .await
            .unwrap();
        let period = PeriodCode::parse("2025").unwrap();
        let p = Period {
            code: period.clone(),
            year: 2025,
            name: "2025".to_owned(),
            previous: None,
            status: periods::STATUS_DRAFT.to_owned(),
            decision: None,
            computed_at: None,
        };
        periods::create(&db, &p, &actor, AT).await.unwrap();
        let change = StateChange {
            state: AssessmentState::Draft,
            reopened: false,
            reason: "",
        };
        assessments::set_state(&db, &period, &unit, 0, &change, &actor, AT)
            .await
            .unwrap();
        (dir, db, period, unit)
    }

    fn save(node: &str, points: rust_decimal::Decimal, expected_version: i64) -> SelfSave {
        SelfSave {
            node: NodeCode::parse(node).unwrap(),
            entry: SelfEntry {
                input: Some(RawValue::Points(points)),
                points: Some(Points(points)),
                ..SelfEntry::default()
            },
            expected_version,
        }
    }

    #[tokio::test]
    async fn a_batch_is_saved_whole_or_not_at_all_and_audited_with_its_reason() {
        let (_dir, db, period, unit) = draft().await;
        let actor = Actor("can-bo".to_owned());
        let first = [save("1.1", dec!(1), 0), save("1.2", dec!(2), 0)];
        let batch = SelfBatch {
            period: &period,
            unit: &unit,
            assessment_version: 1,
            saves: &first,
            reason: "Lưu nháp",
        };
        let stored = save_self_many(&db, &batch, &actor, AT).await.unwrap();
        assert_eq!(stored.len(), 2);
        assert!(stored.iter().all(|l| l.self_version == 1));

        // 1.2 is stale: neither leaf changes.
        let second = [save("1.1", dec!(3), 1), save("1.2", dec!(4), 0)];
        let batch = SelfBatch {
            saves: &second,
            ..batch
        };
        let refused = save_self_many(&db, &batch, &actor, AT).await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
        let now = list(&db, &period, &unit).await.unwrap();
        let points: Vec<_> = now.iter().map(|l| l.self_assessment.points).collect();
        assert_eq!(points, [Some(Points(dec!(1))), Some(Points(dec!(2)))]);

        let log = crate::audit::list(&db, &crate::audit::AuditFilter::default())
            .await
            .unwrap();
        let saves: Vec<_> = log.iter().filter(|e| e.action == "save_self").collect();
        assert_eq!(saves.len(), 2);
        assert!(
            saves
                .iter()
                .all(|e| e.reason.as_deref() == Some("Lưu nháp"))
        );
    }

    #[tokio::test]
    async fn values_entered_before_a_submission_cannot_land_after_it() {
        let (_dir, db, period, unit) = draft().await;
        let submit = StateChange {
            state: AssessmentState::Submitted,
            reopened: false,
            reason: "Nộp tự đánh giá",
        };
        assessments::set_state(&db, &period, &unit, 1, &submit, &Actor::system(), AT)
            .await
            .unwrap();
        let late = [save("1.1", dec!(1), 0)];
        let batch = SelfBatch {
            period: &period,
            unit: &unit,
            assessment_version: 1,
            saves: &late,
            reason: "Lưu nháp",
        };
        let refused = save_self_many(&db, &batch, &Actor::system(), AT).await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
        assert!(list(&db, &period, &unit).await.unwrap().is_empty());
        let file = crate::evidence::NewEvidence {
            blob_id: chiso_evidence::BlobId::parse(&"ab".repeat(32)).unwrap(),
            file_name: "a.pdf".to_owned(),
            kind: chiso_evidence::FileKind::Pdf,
            size: 10,
        };
        let key = LeafKey {
            period: period.clone(),
            unit: unit.clone(),
            node: NodeCode::parse("1.1").unwrap(),
        };
        let refused =
            crate::evidence::add_many(&db, &key, 1, &[file], "", &Actor::system(), AT).await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
        let files = crate::evidence::list(&db, &period, &unit, None, true)
            .await
            .unwrap();
        assert!(files.is_empty());
    }
}
