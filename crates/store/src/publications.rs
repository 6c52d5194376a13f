//! Publications (migration `0013_publications.sql`): each version of a period's published
//! results, an immutable snapshot of what the public reads, with the decision that published
//! it. Writing one also marks the period published (frozen); opening a correction unfreezes
//! the period while the published versions stay as they are.

use chiso_domain::uncertainty::ResultIntervals;
use chiso_domain::{GroupName, GroupStats, IndexSet, PeriodCode, UnitCode, UnitResult};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use time::{Date, OffsetDateTime};

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::{Actor, Db, StoreError, periods};

/// Audit entity of a publication (key: `period/version`).
pub const ENTITY: &str = "publication";

/// Status of a published period reopened for a correction: it can change again, while the
/// published versions stay readable and the latest stays the public one.
pub const STATUS_CORRECTING: &str = "correcting";

/// One group as published: the set it was scored under and its statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedGroup {
    pub group: GroupName,
    pub set: Option<IndexSet>,
    pub stats: Option<GroupStats>,
}

/// What a new version publishes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPublication {
    pub period: PeriodCode,
    /// The decision's number, e.g. `123/QĐ-UBND`.
    pub decision: String,
    /// The decision's date.
    pub decided_on: Date,
    /// Why a correction was published; required from version 2 on.
    pub reason: Option<String>,
    /// The signed decision (a PDF kept in the evidence store), if attached.
    pub decision_file: Option<String>,
    /// The period's name and year as published.
    pub period_name: String,
    pub year: i32,
    pub groups: Vec<PublishedGroup>,
    /// Every unit's result, in the order pages list them.
    pub units: Vec<UnitResult>,
    /// The computation this snapshot was made from (the period's `computed_at`): if the
    /// results were computed again meanwhile, the publication is refused as stale.
    pub computed_at: Option<OffsetDateTime>,
    /// The survey intervals of the results, as they stand when the version is published.
    pub intervals: Option<ResultIntervals>,
}

/// A published version, without its results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Publication {
    pub period: PeriodCode,
    pub version: i64,
    pub decision: String,
    pub decided_on: Date,
    pub reason: Option<String>,
    pub decision_file: Option<String>,
    /// When the published results were computed.
    pub computed_at: Option<OffsetDateTime>,
    pub period_name: String,
    pub year: i32,
    pub published_by: String,
    pub published_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct Row {
    period: String,
    version: i64,
    decision: String,
    decided_on: String,
    reason: Option<String>,
    decision_file: Option<String>,
    computed_at: Option<String>,
    period_name: String,
    year: i64,
    published_by: String,
    published_at: String,
}

impl Row {
    fn into_publication(self) -> Result<Publication, StoreError> {
        Ok(Publication {
            period: codec::id(&self.period, PeriodCode::parse)?,
            version: self.version,
            decision: self.decision,
            decided_on: codec::parse_date(&self.decided_on)?,
            reason: self.reason,
            decision_file: self.decision_file,
            computed_at: codec::opt_ts(self.computed_at)?,
            period_name: self.period_name,
            year: crate::index_sets::year(self.year)?,
            published_by: self.published_by,
            published_at: codec::parse_ts(&self.published_at)?,
        })
    }
}

macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT period, version, decision, decided_on, reason, decision_file, computed_at, ",
            "period_name, ",
            "year, published_by, published_at FROM publications ",
            $rest
        )
    };
}

/// "Quyết định số 123/QĐ-UBND ngày 15/03/2027", as the period's `decision` shows it.
pub fn decision_text(number: &str, on: Date) -> String {
    format!(
        "Quyết định số {number} ngày {}",
        chiso_domain::fmt::vi_date(on)
    )
}

/// Publishes the next version of `new.period` in one transaction: the snapshot, the period
/// marked published (its status, decision text and publication time) and an audit entry.
/// Returns the version. [`StoreError::NotFound`] for an unknown period; [`StoreError::Frozen`]
/// when it is published and no correction is open; [`StoreError::Conflict`] when its results
/// were computed again since `new.computed_at`, or a correction comes without a reason.
#[tracing::instrument(skip_all, fields(period = %new.period, units = new.units.len()))]
pub async fn publish(
    db: &Db,
    new: &NewPublication,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    let mut period = periods::load_open(&mut tx, &new.period).await?;
    if period.computed_at != new.computed_at {
        return Err(StoreError::Conflict(format!(
            "kết quả kỳ {} đã được tính lại",
            new.period
        )));
    }
    let version = sql!(
        tx,
        scalar i64,
        "SELECT COALESCE(MAX(version), 0) + 1 FROM publications WHERE period = $1",
        new.period.as_str(),
    )?;
    let reason = new
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if version > 1 && reason.is_none() {
        return Err(StoreError::Conflict(format!(
            "đính chính kỳ {} cần lý do",
            new.period
        )));
    }
    sql!(
        tx,
        execute,
        "INSERT INTO publications (period, version, decision, decided_on, reason, \
         decision_file, period_name, year, groups, published_by, published_at, computed_at, \
         intervals) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        new.period.as_str(),
        version,
        new.decision.as_str(),
        codec::date(new.decided_on),
        reason,
        new.decision_file.as_deref(),
        new.period_name.as_str(),
        i64::from(new.year),
        Json(&new.groups),
        actor.as_str(),
        codec::ts(at),
        new.computed_at.map(codec::ts),
        new.intervals.as_ref().map(Json),
    )?;
    let per = crate::db::ROWS_PER_STATEMENT;
    for (n, chunk) in new.units.chunks(per).enumerate() {
        let sql = format!(
            "INSERT INTO published_results (period, version, unit, position, result) VALUES {}",
            crate::db::values_list(chunk.len(), 5, 1)
        );
        let rows: Vec<(i64, &UnitResult)> = chunk
            .iter()
            .enumerate()
            .map(|(i, u)| (i64::try_from(n * per + i).unwrap_or(i64::MAX), u))
            .collect();
        sql!(tx, execute_rows, sql.as_str(), [], &rows, |q, row| q
            .bind(new.period.as_str())
            .bind(version)
            .bind(row.1.unit.as_str())
            .bind(row.0)
            .bind(Json(row.1)))?;
    }
    let old = period.clone();
    period.status = periods::STATUS_PUBLISHED.to_owned();
    period.decision = Some(decision_text(&new.decision, new.decided_on));
    sql!(
        tx,
        execute,
        "UPDATE periods SET status = $1, decision = $2, published_at = $3, updated_at = $3 \
         WHERE code = $4",
        period.status.as_str(),
        period.decision.as_deref(),
        codec::ts(at),
        new.period.as_str(),
    )?;
    let mut entry = NewEntry::new(
        actor,
        at,
        "publish",
        ENTITY,
        format!("{}/{version}", new.period),
    )
    .values(
        Some(serde_json::json!({ "status": old.status, "decision": old.decision })),
        Some(serde_json::json!({
            "version": version,
            "decision": new.decision,
            "decided_on": codec::date(new.decided_on),
            "units": new.units.len(),
            "decision_file": new.decision_file,
        })),
    );
    entry.period = Some(new.period.as_str());
    entry.reason = reason;
    audit::record(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(version)
}

/// Opens a correction of a published period: it can change again (to be approved and
/// published as the next version) while the published versions stay the public ones.
/// Audited with `reason`. [`StoreError::NotFound`] for an unknown period,
/// [`StoreError::Conflict`] when it is not published.
pub async fn open_correction(
    db: &Db,
    period: &PeriodCode,
    reason: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let p = periods::load(&mut tx, period).await?;
    if p.status != periods::STATUS_PUBLISHED {
        return Err(StoreError::Conflict(format!(
            "kỳ {period} chưa công bố hoặc đang đính chính"
        )));
    }
    sql!(
        tx,
        execute,
        "UPDATE periods SET status = $1, updated_at = $2 WHERE code = $3",
        STATUS_CORRECTING,
        codec::ts(at),
        period.as_str(),
    )?;
    let mut entry = NewEntry::new(actor, at, "open_correction", ENTITY, period.to_string()).values(
        Some(serde_json::json!({ "status": p.status })),
        Some(serde_json::json!({ "status": STATUS_CORRECTING })),
    );
    entry.period = Some(period.as_str());
    entry.reason = Some(reason);
    audit::record(&mut tx, entry).await?;
    tx.commit().await
}

/// Every published version of `period`, oldest first.
pub async fn versions(db: &Db, period: &PeriodCode) -> Result<Vec<Publication>, StoreError> {
    let mut c = db.conn().await?;
    sql!(
        c,
        all Row,
        select!("WHERE period = $1 ORDER BY version"),
        period.as_str(),
    )?
    .into_iter()
    .map(Row::into_publication)
    .collect()
}

/// The latest version of every published period.
pub async fn latest_all(db: &Db) -> Result<Vec<Publication>, StoreError> {
    let mut c = db.conn().await?;
    sql!(
        c,
        all Row,
        select!(
            "p WHERE version = (SELECT MAX(version) FROM publications q \
             WHERE q.period = p.period) ORDER BY year DESC, period"
        ),
    )?
    .into_iter()
    .map(Row::into_publication)
    .collect()
}

/// The groups of one version (sets and statistics), in the published order.
pub async fn groups(
    db: &Db,
    period: &PeriodCode,
    version: i64,
) -> Result<Vec<PublishedGroup>, StoreError> {
    let mut c = db.conn().await?;
    let groups = sql!(
        c,
        scalar_optional Json<Vec<PublishedGroup>>,
        "SELECT groups FROM publications WHERE period = $1 AND version = $2",
        period.as_str(),
        version,
    )?;
    Ok(groups.map(|g| g.0).unwrap_or_default())
}

/// The survey intervals one version was published with, if any.
pub async fn intervals(
    db: &Db,
    period: &PeriodCode,
    version: i64,
) -> Result<Option<ResultIntervals>, StoreError> {
    let mut c = db.conn().await?;
    let kept = sql!(
        c,
        scalar_optional Option<Json<ResultIntervals>>,
        "SELECT intervals FROM publications WHERE period = $1 AND version = $2",
        period.as_str(),
        version,
    )?;
    Ok(kept.flatten().map(|i| i.0))
}

/// The unit results of one version, in the published order.
pub async fn results(
    db: &Db,
    period: &PeriodCode,
    version: i64,
) -> Result<Vec<UnitResult>, StoreError> {
    let mut c = db.conn().await?;
    Ok(sql!(
        c,
        scalar_all Json<UnitResult>,
        "SELECT result FROM published_results WHERE period = $1 AND version = $2 \
         ORDER BY position",
        period.as_str(),
        version,
    )?
    .into_iter()
    .map(|r| r.0)
    .collect())
}

/// One unit's result in one version, if it was published.
pub async fn unit_result(
    db: &Db,
    period: &PeriodCode,
    version: i64,
    unit: &UnitCode,
) -> Result<Option<UnitResult>, StoreError> {
    let mut c = db.conn().await?;
    Ok(sql!(
        c,
        scalar_optional Json<UnitResult>,
        "SELECT result FROM published_results WHERE period = $1 AND version = $2 \
         AND unit = $3",
        period.as_str(),
        version,
        unit.as_str(),
    )?
    .map(|r| r.0))
}

/// A unit's result in the latest published version of `period`, if it has one there: one row,
/// whatever the length of the unit's history.
pub async fn latest_unit_result(
    db: &Db,
    period: &PeriodCode,
    unit: &UnitCode,
) -> Result<Option<UnitResult>, StoreError> {
    let mut c = db.conn().await?;
    Ok(sql!(
        c,
        scalar_optional Json<UnitResult>,
        "SELECT result FROM published_results WHERE period = $1 AND unit = $2 \
         AND version = (SELECT MAX(version) FROM publications WHERE period = $1)",
        period.as_str(),
        unit.as_str(),
    )?
    .map(|r| r.0))
}

/// A unit's result in the latest version of every published period, with the period's year,
/// oldest first.
pub async fn unit_history(
    db: &Db,
    unit: &UnitCode,
) -> Result<Vec<(PeriodCode, i32, UnitResult)>, StoreError> {
    let mut c = db.conn().await?;
    let rows = sql!(
        c,
        all(String, i64, Json<UnitResult>),
        "SELECT r.period, p.year, r.result FROM published_results r \
         JOIN publications p ON p.period = r.period AND p.version = r.version \
         WHERE r.unit = $1 AND r.version = (SELECT MAX(version) FROM publications q \
         WHERE q.period = r.period) ORDER BY p.year, r.period",
        unit.as_str(),
    )?;
    rows.into_iter()
        .map(|(period, year, r)| {
            Ok((
                codec::id(&period, PeriodCode::parse)?,
                crate::index_sets::year(year)?,
                r.0,
            ))
        })
        .collect()
}

/// A short text that changes whenever anything an anonymous reader can see may have changed:
/// a version published, a period created or changed, a unit renamed, added, reorganised or
/// taken into a period.
/// Public pages rendered once are kept while it stays the same, so it must be cheap (a few
/// index lookups) and must never stay the same across such a change.
pub async fn public_fingerprint(db: &Db) -> Result<String, StoreError> {
    let mut c = db.conn().await?;
    sql!(
        c,
        scalar String,
        "SELECT CAST((SELECT COUNT(*) FROM publications) AS TEXT) || '/' || \
         COALESCE(CAST((SELECT MAX(published_at) FROM publications) AS TEXT), '') || '/' || \
         CAST((SELECT COUNT(*) FROM periods) AS TEXT) || '/' || \
         CAST((SELECT COUNT(*) FROM periods WHERE status = 'published') AS TEXT) || '/' || \
         COALESCE(CAST((SELECT MAX(updated_at) FROM periods) AS TEXT), '') || '/' || \
         CAST((SELECT COUNT(*) FROM units) AS TEXT) || '/' || \
         COALESCE(CAST((SELECT MAX(updated_at) FROM units) AS TEXT), '') || '/' || \
         CAST((SELECT COUNT(*) FROM lineage) AS TEXT) || '/' || \
         CAST((SELECT COUNT(*) FROM memberships) AS TEXT)",
    )
    .map_err(StoreError::from)
}
