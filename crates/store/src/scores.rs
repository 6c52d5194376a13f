//! Leaf values of a period (the input a unit or appraiser gave and/or the points), one row per
//! period, unit and leaf, each with a version for optimistic concurrency. Every actual change
//! is audited with its old and new value and the reason given.

use std::collections::{HashMap, HashSet};

use chiso_domain::workflow::AssessmentState;
use chiso_domain::{NodeCode, PeriodCode, PeriodResults, Points, RawValue, UnitCode};
use serde::Serialize;
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::db::{Ex, ROWS_PER_STATEMENT, Tx, values_list};
use crate::{Actor, Db, StoreError, periods, results};

/// Audit entity of a score (key `period/unit/node`).
pub const ENTITY: &str = "score";

/// One value to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScoreChange {
    pub unit: UnitCode,
    pub node: NodeCode,
    pub input: Option<RawValue>,
    pub points: Option<Points>,
    pub note: Option<String>,
    /// `Some(v)`: write only if the stored version is `v` (0 = no value stored yet), else
    /// [`StoreError::Conflict`]. `None`: write whatever is stored.
    pub expected_version: Option<i64>,
}

/// A stored value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredScore {
    pub unit: UnitCode,
    pub node: NodeCode,
    pub input: Option<RawValue>,
    pub points: Option<Points>,
    pub note: Option<String>,
    /// 1 for the first write, +1 for each change.
    pub version: i64,
    pub updated_by: String,
    pub updated_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct Row {
    unit: String,
    node: String,
    input: Option<Json<RawValue>>,
    points: Option<String>,
    note: Option<String>,
    version: i64,
    updated_by: String,
    updated_at: String,
}

impl Row {
    fn into_score(self) -> Result<StoredScore, StoreError> {
        Ok(StoredScore {
            unit: codec::id(&self.unit, UnitCode::parse)?,
            node: codec::id(&self.node, NodeCode::parse)?,
            input: self.input.map(|j| j.0),
            points: self
                .points
                .as_deref()
                .map(codec::parse_dec)
                .transpose()?
                .map(Points),
            note: self.note,
            version: self.version,
            updated_by: self.updated_by,
            updated_at: codec::parse_ts(&self.updated_at)?,
        })
    }
}

/// Writes `changes` to `period` in one transaction: all or nothing. A change equal to what is
/// stored writes nothing (no new version, no audit entry); every other change bumps the
/// version and appends an audit entry with the old and new value and `reason`. Changes are
/// applied in order, so a batch may change the same value twice.
///
/// [`StoreError::Conflict`] when an `expected_version` differs from the stored version, the
/// value was changed concurrently, or the unit does not exist; [`StoreError::NotFound`] if the
/// period does not exist; [`StoreError::Frozen`] if it is published.
#[tracing::instrument(skip_all, fields(period = %period, changes = changes.len()))]
pub async fn put(
    db: &Db,
    period: &PeriodCode,
    changes: &[ScoreChange],
    actor: &Actor,
    at: OffsetDateTime,
    reason: &str,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    put_in(&mut tx, period, changes, actor, at, reason).await?;
    tx.commit().await
}

/// The version of every stored value of a period, as read before computing results from
/// them; [`put_with_results`] refuses to write if any has changed since.
pub type Versions = HashMap<(UnitCode, NodeCode), i64>;

/// The versions of `stored` (what [`list`] returned), for [`put_with_results`].
pub fn versions(stored: &[StoredScore]) -> Versions {
    stored
        .iter()
        .map(|s| ((s.unit.clone(), s.node.clone()), s.version))
        .collect()
}

/// Imports `changes` into `period` and replaces its results with `results` (computed from
/// the stored values read at `read` with `changes` applied) in **one** transaction: the
/// scores, their audit entries and the results commit together or not at all, so an
/// interrupted import never leaves new scores beside results computed from the old ones.
///
/// Refused, changing nothing: [`StoreError::NotFound`] if the period does not exist;
/// [`StoreError::Frozen`] if it is published, or if a unit of `changes` has an approved
/// (finalised) assessment, whose scores only the approval sets (the workflow locks them);
/// [`StoreError::Conflict`] if any stored value of the period changed since `read` (the
/// results would not be those of the stored values), or as [`put`].
#[tracing::instrument(skip_all, fields(period = %period, changes = changes.len()))]
#[allow(clippy::too_many_arguments)]
pub async fn put_with_results(
    db: &Db,
    period: &PeriodCode,
    changes: &[ScoreChange],
    read: &Versions,
    results: &PeriodResults,
    actor: &Actor,
    at: OffsetDateTime,
    reason: &str,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    periods::load_open(&mut tx, period).await?;
    let approved = sql!(
        tx,
        scalar_all String,
        "SELECT unit FROM assessments WHERE period = $1 AND state = $2",
        period.as_str(),
        AssessmentState::Finalised.as_str(),
    )?;
    if let Some(unit) = approved
        .iter()
        .find(|a| changes.iter().any(|c| c.unit.as_str() == a.as_str()))
    {
        return Err(StoreError::Frozen(format!(
            "điểm của đơn vị {unit} (kỳ đánh giá {period} đã phê duyệt)"
        )));
    }
    let now = read_period(tx.ex(), period).await?;
    if now.len() != read.len()
        || now
            .iter()
            .any(|s| read.get(&(s.unit.clone(), s.node.clone())) != Some(&s.version))
    {
        return Err(changed_meanwhile(period));
    }
    put_in(&mut tx, period, changes, actor, at, reason).await?;
    results::save_in(&mut tx, period, results, actor, at).await?;
    tx.commit().await
}

/// [`put`] inside the caller's transaction, so that another change (approving an
/// assessment) and the scores it sets are written together or not at all.
pub(crate) async fn put_in(
    tx: &mut Tx,
    period: &PeriodCode,
    changes: &[ScoreChange],
    actor: &Actor,
    at: OffsetDateTime,
    reason: &str,
) -> Result<(), StoreError> {
    periods::load_open(tx, period).await?;

    // What is stored now, for the units the batch touches.
    let units: HashSet<&UnitCode> = changes.iter().map(|c| &c.unit).collect();
    let stored = if units.len() > UNITS_READ_ONE_BY_ONE {
        read_period(tx.ex(), period).await?
    } else {
        let mut all = Vec::new();
        for unit in &units {
            all.extend(read_unit(tx.ex(), period, unit).await?);
        }
        all
    };
    let mut current: HashMap<(&UnitCode, &NodeCode), Current<'_>> = HashMap::new();
    for s in &stored {
        current.insert(
            (&s.unit, &s.node),
            Current {
                input: s.input.as_ref(),
                points: s.points,
                note: s.note.as_deref(),
                version: s.version,
                stored_version: Some(s.version),
            },
        );
    }

    // Apply the batch in memory: checks, final values, one audit entry per actual change.
    let reason = Some(reason).filter(|r| !r.trim().is_empty());
    let mut touched: Vec<(&UnitCode, &NodeCode)> = Vec::new();
    let mut touched_once = HashSet::new();
    let mut entries = Vec::new();
    for ch in changes {
        let key = (&ch.unit, &ch.node);
        let old = current.get(&key).copied();
        let version = old.map_or(0, |o| o.version);
        if let Some(expected) = ch.expected_version
            && expected != version
        {
            return Err(stale(period, ch, version));
        }
        let unchanged = match old {
            Some(o) => {
                o.input == ch.input.as_ref()
                    && o.points == ch.points
                    && o.note == ch.note.as_deref()
            }
            None => ch.input.is_none() && ch.points.is_none() && ch.note.is_none(),
        };
        if unchanged {
            continue;
        }
        let new = Current {
            input: ch.input.as_ref(),
            points: ch.points,
            note: ch.note.as_deref(),
            version: version + 1,
            stored_version: old.and_then(|o| o.stored_version),
        };
        let mut entry = NewEntry::new(
            actor,
            at,
            if old.is_some() { "update" } else { "create" },
            ENTITY,
            format!("{period}/{}/{}", ch.unit, ch.node),
        )
        .values(old.map(Current::audit_value), Some(new.audit_value()));
        entry.period = Some(period.as_str());
        entry.unit = Some(ch.unit.as_str());
        entry.node = Some(ch.node.as_str());
        entry.reason = reason;
        entries.push(entry);
        current.insert(key, new);
        if touched_once.insert(key) {
            touched.push(key);
        }
    }

    // Write the final value of every touched leaf: new rows inserted, stored rows updated only
    // if their version is still the one read (else someone changed them meanwhile).
    let stamp = codec::ts(at);
    let rows: Vec<Written<'_>> = touched
        .iter()
        .map(|&(unit, node)| Written {
            unit,
            node,
            value: current[&(unit, node)],
        })
        .collect();
    let (updates, inserts): (Vec<_>, Vec<_>) =
        rows.iter().partition(|w| w.value.stored_version.is_some());
    for chunk in inserts.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO scores (period, unit, node, input, points, note, version, updated_by, \
             updated_at) VALUES {} ON CONFLICT (period, unit, node) DO NOTHING",
            values_list(chunk.len(), 9, 1)
        );
        let n = sql!(tx, execute_rows, sql.as_str(), [], chunk, |q, w| q
            .bind(period.as_str())
            .bind(w.unit.as_str())
            .bind(w.node.as_str())
            .bind(w.value.input.map(Json))
            .bind(w.value.points.map(|p| codec::dec(p.value())))
            .bind(w.value.note)
            .bind(w.value.version)
            .bind(actor.as_str())
            .bind(stamp.as_str()))?;
        if n != chunk.len() as u64 {
            return Err(changed_meanwhile(period));
        }
    }
    for chunk in updates.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "UPDATE scores SET input = v.column3, points = v.column4, note = v.column5, \
             version = v.column6, updated_by = $1, updated_at = $2 \
             FROM (VALUES {}) AS v \
             WHERE scores.period = $3 AND scores.unit = v.column1 AND scores.node = v.column2 \
             AND scores.version = v.column7",
            values_list(chunk.len(), 7, 4)
        );
        let n = sql!(
            tx,
            execute_rows,
            sql.as_str(),
            [actor.as_str(), stamp.as_str(), period.as_str()],
            chunk,
            |q, w| q
                .bind(w.unit.as_str())
                .bind(w.node.as_str())
                .bind(w.value.input.map(Json))
                .bind(w.value.points.map(|p| codec::dec(p.value())))
                .bind(w.value.note)
                .bind(w.value.version)
                .bind(w.value.stored_version.unwrap_or_default())
        )?;
        if n != chunk.len() as u64 {
            return Err(changed_meanwhile(period));
        }
    }
    audit::record_many(tx, &entries).await?;
    Ok(())
}

/// Above this many units in one batch, the whole period is read at once.
const UNITS_READ_ONE_BY_ONE: usize = 16;

/// The value of a leaf while a batch is applied.
#[derive(Debug, Clone, Copy)]
struct Current<'a> {
    input: Option<&'a RawValue>,
    points: Option<Points>,
    note: Option<&'a str>,
    version: i64,
    /// The version in the database before the batch; `None` when no row exists.
    stored_version: Option<i64>,
}

impl Current<'_> {
    fn audit_value(self) -> serde_json::Value {
        serde_json::json!({
            "input": self.input,
            "points": self.points,
            "note": self.note,
            "version": self.version,
        })
    }
}

/// A leaf's final value in a batch.
struct Written<'a> {
    unit: &'a UnitCode,
    node: &'a NodeCode,
    value: Current<'a>,
}

fn changed_meanwhile(period: &PeriodCode) -> StoreError {
    StoreError::Conflict(format!(
        "điểm của kỳ {period} vừa được người khác sửa; hãy tải lại và nhập lại"
    ))
}

fn stale(period: &PeriodCode, ch: &ScoreChange, stored: i64) -> StoreError {
    StoreError::Conflict(format!(
        "điểm tiêu chí {} của đơn vị {} (kỳ {period}) đã được sửa: phiên bản hiện tại {stored}, \
         không phải {}",
        ch.node,
        ch.unit,
        ch.expected_version.unwrap_or_default()
    ))
}

/// Every stored value of the period, by unit then leaf (numeric order: `1.9` before `1.10`).
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn list(db: &Db, period: &PeriodCode) -> Result<Vec<StoredScore>, StoreError> {
    let mut c = db.conn().await?;
    read_period(c.ex(), period).await
}

/// The stored values of one unit in the period, by leaf.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub async fn for_unit(
    db: &Db,
    period: &PeriodCode,
    unit: &UnitCode,
) -> Result<Vec<StoredScore>, StoreError> {
    let mut c = db.conn().await?;
    read_unit(c.ex(), period, unit).await
}

pub(crate) async fn read_period(
    mut ex: Ex<'_>,
    period: &PeriodCode,
) -> Result<Vec<StoredScore>, StoreError> {
    let rows = sql!(
        ex,
        all Row,
        "SELECT unit, node, input, points, note, version, updated_by, updated_at FROM scores \
         WHERE period = $1",
        period.as_str(),
    )?;
    sorted(rows)
}

async fn read_unit(
    mut ex: Ex<'_>,
    period: &PeriodCode,
    unit: &UnitCode,
) -> Result<Vec<StoredScore>, StoreError> {
    let rows = sql!(
        ex,
        all Row,
        "SELECT unit, node, input, points, note, version, updated_by, updated_at FROM scores \
         WHERE period = $1 AND unit = $2",
        period.as_str(),
        unit.as_str(),
    )?;
    sorted(rows)
}

fn sorted(rows: Vec<Row>) -> Result<Vec<StoredScore>, StoreError> {
    let mut out = rows
        .into_iter()
        .map(Row::into_score)
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by(|a, b| a.unit.cmp(&b.unit).then_with(|| a.node.cmp(&b.node)));
    Ok(out)
}
