//! Leaf values of a period (the input a unit or appraiser gave and/or the points), one row per
//! period, unit and leaf, each with a version for optimistic concurrency. Every actual change
//! is audited with its old and new value and the reason given.

use std::collections::{BTreeSet, HashMap, HashSet};

use chiso_domain::workflow::AssessmentState;
use chiso_domain::{GroupName, NodeCode, PeriodCode, PeriodResults, Points, RawValue, UnitCode};
use serde::Serialize;
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::codec;
use crate::copy;
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

/// What a period's stored values looked like when read: how many there are and the sum of
/// their versions. Every write of a value adds at least 1 to its version and values are never
/// deleted (only reloading the demonstration data empties the table), so any change between
/// two readings changes this pair; comparing it costs one aggregate query instead of reading
/// the period's values again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    count: i64,
    versions: i64,
}

/// The fingerprint of `stored` (what [`list`] returned), for [`put_with_results`].
pub fn fingerprint(stored: &[StoredScore]) -> Fingerprint {
    Fingerprint {
        count: i64::try_from(stored.len()).unwrap_or(i64::MAX),
        versions: stored.iter().map(|s| s.version).sum(),
    }
}

async fn fingerprint_now(tx: &mut Tx, period: &PeriodCode) -> Result<Fingerprint, StoreError> {
    let (count, versions) = sql!(
        tx,
        one(i64, i64),
        "SELECT COUNT(*), CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM scores \
         WHERE period = $1",
        period.as_str(),
    )?;
    Ok(Fingerprint { count, versions })
}

/// Imports `changes` into `period` and replaces its results with `results` (computed from
/// `read`, the period's stored values as [`list`] returned them, with `changes` applied) in
/// **one** transaction: the scores, their audit entries and the results commit together or
/// not at all, so an interrupted import never leaves new scores beside results computed from
/// the old ones.
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
    read: &[StoredScore],
    results: &PeriodResults,
    actor: &Actor,
    at: OffsetDateTime,
    reason: &str,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    periods::load_open(&mut tx, period).await?;
    let approved = approved_in(&mut tx, period).await?;
    if let Some(unit) = approved
        .iter()
        .find(|a| changes.iter().any(|c| c.unit.as_str() == a.as_str()))
    {
        return Err(StoreError::Frozen(format!(
            "điểm của đơn vị {unit} (kỳ đánh giá {period} đã phê duyệt)"
        )));
    }
    if fingerprint_now(&mut tx, period).await? != fingerprint(read) {
        return Err(changed_meanwhile(period));
    }
    let why = Why { actor, at, reason };
    let mut header = None;
    apply(
        &mut tx,
        period,
        changes,
        read,
        &why,
        Trail::Import(&mut header),
    )
    .await?;
    results::save_in(&mut tx, period, results, actor, at).await?;
    tx.commit().await
}

/// The units of `period` whose assessment is approved (finalised): the approval locks their
/// scores.
async fn approved_in(tx: &mut Tx, period: &PeriodCode) -> Result<Vec<String>, StoreError> {
    Ok(sql!(
        tx,
        scalar_all String,
        "SELECT unit FROM assessments WHERE period = $1 AND state = $2",
        period.as_str(),
        AssessmentState::Finalised.as_str(),
    )?)
}

/// A scores file imported slice by slice in **one** transaction, with the period's results
/// replaced group by group in the same transaction: memory stays that of one slice and one
/// group whatever the size of the file, and an interrupted or refused import (dropped
/// without [`Import::commit`]) leaves the period exactly as it was. Each slice is applied as
/// [`put`] applies a batch: only actual changes are written, each with its audit entry.
pub struct Import<'a> {
    tx: Tx,
    period: &'a PeriodCode,
    actor: &'a Actor,
    at: OffsetDateTime,
    reason: &'a str,
    /// No value of the period was stored when the import began: a slice has nothing to read
    /// back before it is written (a file never gives a value twice).
    empty: bool,
    approved: BTreeSet<UnitCode>,
    results: Option<results::Replacement>,
    /// The import's own audit entry, once a value has changed.
    header: Option<i64>,
}

impl std::fmt::Debug for Import<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Import")
            .field("period", self.period)
            .field("empty", &self.empty)
            .finish_non_exhaustive()
    }
}

impl<'a> Import<'a> {
    /// Begins the transaction. [`StoreError::NotFound`] if the period does not exist,
    /// [`StoreError::Frozen`] if it is published.
    pub async fn begin(
        db: &Db,
        period: &'a PeriodCode,
        actor: &'a Actor,
        at: OffsetDateTime,
        reason: &'a str,
    ) -> Result<Import<'a>, StoreError> {
        let mut tx = db.begin().await?;
        periods::load_open(&mut tx, period).await?;
        let approved = approved_in(&mut tx, period)
            .await?
            .iter()
            .map(|u| codec::id(u, UnitCode::parse))
            .collect::<Result<_, _>>()?;
        let stored = sql!(
            tx,
            scalar_all String,
            "SELECT unit FROM scores WHERE period = $1 LIMIT 1",
            period.as_str(),
        )?;
        Ok(Import {
            tx,
            period,
            actor,
            at,
            reason,
            empty: stored.is_empty(),
            approved,
            results: None,
            header: None,
        })
    }

    /// The units whose assessment is approved: a file must not change their scores.
    pub fn approved(&self) -> &BTreeSet<UnitCode> {
        &self.approved
    }

    /// Writes one slice of the file (no value twice across slices); returns how many values
    /// actually changed. [`StoreError::Frozen`] for a value of an approved unit;
    /// [`StoreError::Conflict`] when a value was written meanwhile by someone else.
    pub async fn write(&mut self, changes: &[ScoreChange]) -> Result<usize, StoreError> {
        if let Some(c) = changes.iter().find(|c| self.approved.contains(&c.unit)) {
            return Err(StoreError::Frozen(format!(
                "điểm của đơn vị {} (kỳ đánh giá {} đã phê duyệt)",
                c.unit, self.period
            )));
        }
        let stored = if self.empty {
            Vec::new()
        } else {
            let keys: Vec<(&UnitCode, &NodeCode)> =
                changes.iter().map(|c| (&c.unit, &c.node)).collect();
            read_keys(&mut self.tx, self.period, &keys).await?
        };
        let why = Why {
            actor: self.actor,
            at: self.at,
            reason: self.reason,
        };
        apply(
            &mut self.tx,
            self.period,
            changes,
            &stored,
            &why,
            Trail::Import(&mut self.header),
        )
        .await
    }

    /// Every group of the period with the codes of the leaves some member of it has an input
    /// for, as stored now in the transaction.
    pub async fn leaves_with_input(&mut self) -> Result<Vec<(GroupName, NodeCode)>, StoreError> {
        let rows = sql!(
            self.tx,
            all(String, String),
            "SELECT m.group_name, s.node FROM scores s JOIN memberships m \
             ON m.period = s.period AND m.unit = s.unit \
             WHERE s.period = $1 AND s.input IS NOT NULL GROUP BY m.group_name, s.node",
            self.period.as_str(),
        )?;
        rows.into_iter()
            .map(|(g, n)| {
                Ok((
                    codec::id(&g, GroupName::parse)?,
                    codec::id(&n, NodeCode::parse)?,
                ))
            })
            .collect()
    }

    /// The stored inputs of the members of `group`, as stored now in the transaction (as
    /// [`inputs`] gives them).
    pub async fn group_inputs(&mut self, group: &GroupName) -> Result<Vec<UnitInputs>, StoreError> {
        read_inputs(self.tx.ex(), self.period, Some(group)).await
    }

    /// Appends the results of whole groups, in publication order; the first call deletes
    /// the period's results.
    pub async fn results_part(&mut self, part: &PeriodResults) -> Result<(), StoreError> {
        let mut r = match self.results.take() {
            Some(r) => r,
            None => results::Replacement::begin(&mut self.tx, self.period).await?,
        };
        r.part(&mut self.tx, self.period, part).await?;
        self.results = Some(r);
        Ok(())
    }

    /// Records the results (see [`Import::results_part`]) and commits everything.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let r = match self.results.take() {
            Some(r) => r,
            None => results::Replacement::begin(&mut self.tx, self.period).await?,
        };
        r.finish(&mut self.tx, self.period, self.actor, self.at)
            .await?;
        self.tx.commit().await
    }
}

/// The stored values of `keys` (unit, leaf) in the period, read by primary key a few hundred
/// at a time.
async fn read_keys(
    tx: &mut Tx,
    period: &PeriodCode,
    keys: &[(&UnitCode, &NodeCode)],
) -> Result<Vec<StoredScore>, StoreError> {
    let mut rows = Vec::new();
    for chunk in keys.chunks(KEYS_PER_READ) {
        // The period first and the keys as a table the join walks, so both backends look
        // each key up in the primary key instead of scanning the period.
        let sql = format!(
            "WITH p (period) AS (VALUES ($1)), k (unit, node) AS (VALUES {}) \
             SELECT s.unit, s.node, s.input, s.points, s.note, s.version, s.updated_by, \
             s.updated_at FROM k JOIN p ON TRUE JOIN scores s \
             ON s.period = p.period AND s.unit = k.unit AND s.node = k.node",
            values_list(chunk.len(), 2, 2)
        );
        rows.extend(sql!(
            tx,
            all_rows Row,
            sql.as_str(),
            [period.as_str()],
            chunk,
            |q, k| q.bind(k.0.as_str()).bind(k.1.as_str())
        )?);
    }
    rows.into_iter().map(Row::into_score).collect()
}

/// Keys per read of [`read_keys`] (two parameters each).
const KEYS_PER_READ: usize = 500;

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
    let why = Why { actor, at, reason };
    apply(tx, period, changes, &stored, &why, Trail::EachValue)
        .await
        .map(|_| ())
}

/// Who changes values, when and why: what every audit entry of a batch records.
#[derive(Debug, Clone, Copy)]
struct Why<'a> {
    actor: &'a Actor,
    at: OffsetDateTime,
    reason: &'a str,
}

/// How the changes of a batch are audited.
#[derive(Debug)]
enum Trail<'h> {
    /// One audit entry per change: values edited by hand, a few at a time.
    EachValue,
    /// An import: one entry for the import itself, written with its first change (its id
    /// kept in `header` for the slices after), and the changed values grouped by unit in
    /// `audit_values` (migration 0020).
    Import(&'h mut Option<i64>),
}

/// Applies `changes` over `stored` (the values the batch may touch, as they are in the
/// transaction): checks expected versions, then writes the final value of every touched leaf
/// and one audit entry per actual change.
async fn apply(
    tx: &mut Tx,
    period: &PeriodCode,
    changes: &[ScoreChange],
    stored: &[StoredScore],
    why: &Why<'_>,
    trail: Trail<'_>,
) -> Result<usize, StoreError> {
    let Why { actor, at, reason } = *why;
    let mut current: HashMap<(&UnitCode, &NodeCode), Current<'_>> =
        HashMap::with_capacity(stored.len() + changes.len());
    for s in stored {
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
    let mut entries: Vec<Change<'_>> = Vec::new();
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
        entries.push(Change {
            unit: &ch.unit,
            node: &ch.node,
            old,
            new,
        });
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
    insert_rows(tx, period, &inserts, actor, &stamp).await?;
    update_rows(tx, period, &updates, actor, &stamp).await?;
    let audit = AuditRows {
        period,
        actor,
        stamp: &stamp,
        reason,
    };
    match trail {
        Trail::EachValue => audit.write(tx, &entries).await?,
        Trail::Import(header) => audit.write_grouped(tx, header, &entries).await?,
    }
    Ok(entries.len())
}

/// Inserts the rows of values not stored yet. On PostgreSQL they are streamed with `COPY`;
/// a row inserted meanwhile by another transaction then breaks the primary key, which is
/// reported as a concurrent change, as the counted `ON CONFLICT DO NOTHING` does on SQLite.
async fn insert_rows(
    tx: &mut Tx,
    period: &PeriodCode,
    rows: &[&Written<'_>],
    actor: &Actor,
    stamp: &str,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    if let Ex::Postgres(c) = tx.ex() {
        let mut copy = copy::CopyIn::begin(
            c,
            "COPY scores (period, unit, node, input, points, note, version, updated_by, \
             updated_at) FROM STDIN",
        )
        .await?;
        for w in rows {
            let row = copy.row();
            row.text(period.as_str());
            row.text(w.unit.as_str());
            row.text(w.node.as_str());
            row.json(w.value.input)?;
            row.opt_text(w.value.points.map(|p| codec::dec(p.value())).as_deref());
            row.opt_text(w.value.note);
            row.int(w.value.version);
            row.text(actor.as_str());
            row.text(stamp);
            copy.end_row().await?;
        }
        return match copy.finish().await {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict(m)) if m.starts_with("trùng khóa") => {
                Err(changed_meanwhile(period))
            }
            Err(e) => Err(e),
        };
    }
    // Every chunk but the last has the same size: its statement is written once.
    let mut sql = String::new();
    let mut sql_rows = 0;
    for chunk in rows.chunks(SQLITE_ROWS_PER_STATEMENT) {
        if chunk.len() != sql_rows {
            sql = format!(
                "INSERT INTO scores (period, unit, node, input, points, note, version, \
                 updated_by, updated_at) VALUES {} ON CONFLICT (period, unit, node) DO NOTHING",
                values_list(chunk.len(), 9, 1)
            );
            sql_rows = chunk.len();
        }
        let n = sql!(tx, execute_rows, sql.as_str(), [], chunk, |q, w| q
            .bind(period.as_str())
            .bind(w.unit.as_str())
            .bind(w.node.as_str())
            .bind(w.value.input.map(Json))
            .bind(w.value.points.map(|p| codec::dec(p.value())))
            .bind(w.value.note)
            .bind(w.value.version)
            .bind(actor.as_str())
            .bind(stamp))?;
        if n != chunk.len() as u64 {
            return Err(changed_meanwhile(period));
        }
    }
    Ok(())
}

/// Updates stored rows whose version is still the one read.
async fn update_rows(
    tx: &mut Tx,
    period: &PeriodCode,
    rows: &[&Written<'_>],
    actor: &Actor,
    stamp: &str,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
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
            [actor.as_str(), stamp, period.as_str()],
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
    Ok(())
}

/// Rows per multi-row statement when inserting into SQLite: more than elsewhere, because
/// every statement is a round trip to the connection's worker thread, and anonymous
/// parameters (see `db::positional`) keep a long statement's binding linear. 500 rows of 11
/// values stay far below SQLite's 32.766 parameters.
const SQLITE_ROWS_PER_STATEMENT: usize = 500;

/// One actual change of a value, as its audit entry records it.
struct Change<'a> {
    unit: &'a UnitCode,
    node: &'a NodeCode,
    old: Option<Current<'a>>,
    new: Current<'a>,
}

/// Writes the audit entries of a batch: the columns `audit::record` writes, with the old and
/// new values serialised straight to JSON text (a batch may hold a whole national
/// file: half a million entries).
struct AuditRows<'a> {
    period: &'a PeriodCode,
    actor: &'a Actor,
    stamp: &'a str,
    reason: Option<&'a str>,
}

impl AuditRows<'_> {
    fn key(&self, c: &Change<'_>) -> String {
        entity_key(self.period.as_str(), c.unit.as_str(), c.node.as_str())
    }

    async fn write(&self, tx: &mut Tx, entries: &[Change<'_>]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        if let Ex::Postgres(c) = tx.ex() {
            let mut copy = copy::CopyIn::begin(
                c,
                "COPY audit_log (at, actor, action, entity, entity_key, period, unit, node, \
                 old_value, new_value, reason) FROM STDIN",
            )
            .await?;
            for e in entries {
                let row = copy.row();
                row.text(self.stamp);
                row.text(self.actor.as_str());
                row.text(action(e));
                row.text(ENTITY);
                row.text(&self.key(e));
                row.text(self.period.as_str());
                row.text(e.unit.as_str());
                row.text(e.node.as_str());
                row.opt_text(e.old.map(Current::audit_json).transpose()?.as_deref());
                row.text(&e.new.audit_json()?);
                row.opt_text(self.reason);
                copy.end_row().await?;
            }
            copy.finish().await?;
            return Ok(());
        }
        for chunk in entries.chunks(SQLITE_ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO audit_log (at, actor, action, entity, entity_key, period, unit, \
                 node, old_value, new_value, reason) VALUES {}",
                values_list(chunk.len(), 11, 1)
            );
            let mut texts = Vec::with_capacity(chunk.len());
            for e in chunk {
                texts.push((
                    self.key(e),
                    e.old.map(Current::audit_json).transpose()?,
                    e.new.audit_json()?,
                ));
            }
            let rows: Vec<(&Change<'_>, &AuditTexts)> = chunk.iter().zip(texts.iter()).collect();
            sql!(tx, execute_rows, sql.as_str(), [], &rows, |q, r| q
                .bind(self.stamp)
                .bind(self.actor.as_str())
                .bind(action(r.0))
                .bind(ENTITY)
                .bind(r.1.0.as_str())
                .bind(self.period.as_str())
                .bind(r.0.unit.as_str())
                .bind(r.0.node.as_str())
                .bind(r.1.1.as_deref())
                .bind(r.1.2.as_str())
                .bind(self.reason))?;
        }
        Ok(())
    }

    /// Writes the changes of an import: the import's own entry (once: `header` keeps its id
    /// for the next slices), then the changed values grouped by unit, each as
    /// `[node, old, new]` with the values [`AuditRows::write`] would record.
    async fn write_grouped(
        &self,
        tx: &mut Tx,
        header: &mut Option<i64>,
        entries: &[Change<'_>],
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let entry = match *header {
            Some(id) => id,
            None => {
                let id = sql!(
                    tx,
                    scalar i64,
                    "INSERT INTO audit_log (at, actor, action, entity, entity_key, period, \
                     reason) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    self.stamp,
                    self.actor.as_str(),
                    IMPORT_ACTION,
                    IMPORT_ENTITY,
                    self.period.as_str(),
                    self.period.as_str(),
                    self.reason,
                )?;
                *header = Some(id);
                id
            }
        };
        // By unit, each unit's values in the order of the batch.
        let mut order: Vec<&Change<'_>> = entries.iter().collect();
        order.sort_by(|a, b| a.unit.cmp(b.unit));
        let mut rows: Vec<(&UnitCode, String)> = Vec::new();
        for unit in order.chunk_by(|a, b| a.unit == b.unit) {
            let values: Vec<(&str, Option<Audited<'_>>, Audited<'_>)> = unit
                .iter()
                .map(|c| {
                    (
                        c.node.as_str(),
                        c.old.map(Current::audited),
                        c.new.audited(),
                    )
                })
                .collect();
            rows.push((
                unit[0].unit,
                serde_json::to_string(&values).map_err(audit_text)?,
            ));
        }
        for chunk in rows.chunks(SQLITE_ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO audit_values (entry, period, unit, changes) VALUES {}",
                values_list(chunk.len(), 4, 1)
            );
            sql!(tx, execute_rows, sql.as_str(), [], chunk, |q, r| q
                .bind(entry)
                .bind(self.period.as_str())
                .bind(r.0.as_str())
                .bind(r.1.as_str()))?;
        }
        Ok(())
    }
}

/// Audit entity of an import of scores (key: the period); its changed values are in
/// `audit_values`.
pub const IMPORT_ENTITY: &str = "scores";
/// Audit action of an import of scores.
pub const IMPORT_ACTION: &str = "import";

/// An audit entry's key, old value and new value as text.
type AuditTexts = (String, Option<String>, String);

fn action(c: &Change<'_>) -> &'static str {
    value_action(c.old.is_some())
}

/// The audit action of a value's change: `update` when it had a value before, else `create`.
pub(crate) fn value_action(had_value: bool) -> &'static str {
    if had_value { "update" } else { "create" }
}

/// The audit key of a value: `period/unit/leaf`.
pub(crate) fn entity_key(period: &str, unit: &str, node: &str) -> String {
    format!("{period}/{unit}/{node}")
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

/// A value as its audit entry shows it, keys in the order `serde_json::json!` gives.
#[derive(Serialize)]
struct Audited<'a> {
    input: Option<&'a RawValue>,
    note: Option<&'a str>,
    points: Option<Points>,
    version: i64,
}

impl<'a> Current<'a> {
    fn audited(self) -> Audited<'a> {
        Audited {
            input: self.input,
            note: self.note,
            points: self.points,
            version: self.version,
        }
    }

    /// The value as its audit entry shows it.
    fn audit_json(self) -> Result<String, StoreError> {
        serde_json::to_string(&self.audited()).map_err(audit_text)
    }
}

fn audit_text(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("giá trị nhật ký: {e}"))
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

/// Every stored input of a period, grouped by unit (units and each unit's leaves in code
/// order): what a computation reads. The database gathers each unit's inputs into one JSON
/// array of `[node, input]` pairs, so a national period comes back as a few thousand rows
/// instead of half a million.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn inputs(db: &Db, period: &PeriodCode) -> Result<Vec<UnitInputs>, StoreError> {
    let mut c = db.conn().await?;
    read_inputs(c.ex(), period, None).await
}

/// [`inputs`] of every unit, or of the members of `group`.
async fn read_inputs(
    ex: Ex<'_>,
    period: &PeriodCode,
    group: Option<&GroupName>,
) -> Result<Vec<UnitInputs>, StoreError> {
    // The pairs are written as text: node codes need no escaping (letters, digits, `.`, `-`,
    // `_`) and inputs are stored as valid JSON, so the database need not parse half a
    // million values only to print them again (SQLite's `json()` took most of a national
    // recomputation; PostgreSQL prints jsonb as text a third faster than `json_agg`).
    let members = if group.is_some() {
        " AND unit IN (SELECT unit FROM memberships WHERE period = $1 AND group_name = $2)"
    } else {
        ""
    };
    let group = group.map_or("", GroupName::as_str);
    let rows: Vec<(String, String)> = match ex {
        Ex::Sqlite(c) => {
            let sql = format!(
                "SELECT unit, '[' || group_concat('[\"' || node || '\",' || input || ']', ',') \
                 || ']' FROM scores WHERE period = $1 AND input IS NOT NULL{members} \
                 GROUP BY unit"
            );
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(period.as_str());
            let q = if members.is_empty() { q } else { q.bind(group) };
            q.fetch_all(c).await?
        }
        Ex::Postgres(c) => {
            // The members' codes as an array: inside the import's transaction the planner
            // has no statistics of the rows just written and scanned the whole period for
            // each group where the subquery was used; `= ANY` walks the primary key.
            let members = if members.is_empty() {
                ""
            } else {
                " AND unit = ANY($2)"
            };
            let sql = format!(
                "SELECT unit, '[' || string_agg('[\"' || node || '\",' || input::text || ']', \
                 ',') || ']' FROM scores WHERE period = $1 AND input IS NOT NULL{members} \
                 GROUP BY unit"
            );
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(period.as_str());
            let q = if members.is_empty() {
                q
            } else {
                let units: Vec<String> = sqlx::query_scalar(
                    "SELECT unit FROM memberships WHERE period = $1 AND group_name = $2",
                )
                .bind(period.as_str())
                .bind(group)
                .fetch_all(&mut *c)
                .await?;
                q.bind(units)
            };
            q.fetch_all(c).await?
        }
    };
    let mut out = rows
        .into_iter()
        .map(|(unit, values)| {
            let unit = codec::id(&unit, UnitCode::parse)?;
            let pairs: Vec<(&str, RawValue)> = serde_json::from_str(&values)
                .map_err(|e| StoreError::Corrupt(format!("điểm của đơn vị {unit}: {e}")))?;
            let mut values = pairs
                .into_iter()
                .map(|(node, input)| Ok((codec::id(node, NodeCode::parse)?, input)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            values.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            Ok(UnitInputs { unit, values })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    out.sort_unstable_by(|a, b| a.unit.cmp(&b.unit));
    Ok(out)
}

/// One unit's stored inputs, by leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitInputs {
    pub unit: UnitCode,
    pub values: Vec<(NodeCode, RawValue)>,
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
