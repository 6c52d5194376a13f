//! Computed results of a period: a snapshot replaced as a whole by each computation. Each
//! unit's full [`UnitResult`] is kept as JSON (what is read back); rank, total, index, class
//! and deltas are copied into columns for queries across periods.

use chiso_domain::{
    GroupName, GroupStats, PeriodCode, PeriodResults, PreviousResult, UnitCode, UnitResult,
};
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::copy;
use crate::db::{Ex, ROWS_PER_STATEMENT, Tx, values_list};
use crate::periods::{self, position_of};
use crate::{Actor, Db, StoreError};

/// Audit entity of a period's results (key: the period).
pub const ENTITY: &str = "results";

fn summary(units: i64, groups: i64, computed_at: Option<OffsetDateTime>) -> serde_json::Value {
    serde_json::json!({
        "units": units,
        "groups": groups,
        "computed_at": computed_at.map(codec::ts),
    })
}

/// Replaces the period's results with `results` in one transaction and records when they were
/// computed; the audit entry summarises the old and new snapshot (unit and group counts).
/// [`StoreError::NotFound`] if the period does not exist, [`StoreError::Frozen`] if it is
/// published.
#[tracing::instrument(skip_all, fields(period = %period, units = results.units.len()))]
pub async fn save(
    db: &Db,
    period: &PeriodCode,
    results: &PeriodResults,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    save_in(&mut tx, period, results, actor, at).await?;
    tx.commit().await
}

/// [`save`] inside the caller's transaction, so that the scores a computation used and the
/// results computed from them are written together or not at all.
pub(crate) async fn save_in(
    tx: &mut Tx,
    period: &PeriodCode,
    results: &PeriodResults,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut r = Replacement::begin(tx, period).await?;
    r.part(tx, period, results).await?;
    r.finish(tx, period, actor, at).await
}

/// A replacement of a period's results in the caller's transaction, written part by part
/// (say one group at a time, so a national computation never holds every unit's result):
/// the old results are deleted when it begins, each part is appended in publication order,
/// and finishing records when they were computed with one audit entry for the whole.
pub(crate) struct Replacement {
    old_units: i64,
    old_groups: i64,
    old_computed_at: Option<OffsetDateTime>,
    units: usize,
    groups: usize,
}

impl Replacement {
    /// Deletes the period's results. [`StoreError::NotFound`] if the period does not exist,
    /// [`StoreError::Frozen`] if it is published.
    pub(crate) async fn begin(tx: &mut Tx, period: &PeriodCode) -> Result<Self, StoreError> {
        let p = periods::load_open(tx, period).await?;
        let old_units = sql!(
            tx,
            scalar i64,
            "SELECT COUNT(*) FROM results WHERE period = $1",
            period.as_str(),
        )?;
        let old_groups = sql!(
            tx,
            scalar i64,
            "SELECT COUNT(*) FROM result_groups WHERE period = $1",
            period.as_str(),
        )?;
        sql!(
            tx,
            execute,
            "DELETE FROM results WHERE period = $1",
            period.as_str()
        )?;
        sql!(
            tx,
            execute,
            "DELETE FROM result_groups WHERE period = $1",
            period.as_str()
        )?;
        Ok(Replacement {
            old_units,
            old_groups,
            old_computed_at: p.computed_at,
            units: 0,
            groups: 0,
        })
    }

    /// Appends `part` (whole groups, in publication order, after those appended before).
    pub(crate) async fn part(
        &mut self,
        tx: &mut Tx,
        period: &PeriodCode,
        part: &PeriodResults,
    ) -> Result<(), StoreError> {
        insert_units(tx, period, part, self.units).await?;
        for (i, g) in part.groups.iter().enumerate() {
            sql!(
                tx,
                execute,
                "INSERT INTO result_groups (period, group_name, position, stats) \
                 VALUES ($1, $2, $3, $4)",
                period.as_str(),
                g.group.as_str(),
                position_of(self.groups + i),
                Json(g),
            )?;
        }
        self.units += part.units.len();
        self.groups += part.groups.len();
        Ok(())
    }

    /// Records when the results were computed, with one audit entry summarising the old and
    /// new snapshot (unit and group counts).
    pub(crate) async fn finish(
        self,
        tx: &mut Tx,
        period: &PeriodCode,
        actor: &Actor,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sql!(
            tx,
            execute,
            "UPDATE periods SET computed_at = $1, updated_at = $1 WHERE code = $2",
            codec::ts(at),
            period.as_str(),
        )?;
        let mut entry = NewEntry::new(actor, at, "compute", ENTITY, period.as_str()).values(
            Some(summary(
                self.old_units,
                self.old_groups,
                self.old_computed_at,
            )),
            Some(summary(
                position_of(self.units),
                position_of(self.groups),
                Some(at),
            )),
        );
        entry.period = Some(period.as_str());
        audit::record(tx, entry).await
    }
}

/// Inserts one row per unit: streamed with `COPY` on PostgreSQL (a national period's rows
/// carry some 40 MB of detail), several per statement on SQLite.
async fn insert_units(
    tx: &mut Tx,
    period: &PeriodCode,
    results: &PeriodResults,
    first: usize,
) -> Result<(), StoreError> {
    if let Ex::Postgres(c) = tx.ex() {
        let mut copy = copy::CopyIn::begin(
            c,
            "COPY results (period, unit, group_name, position, rank, group_size, total, max, \
             idx, class, delta_index, delta_rank, streak, detail) FROM STDIN",
        )
        .await?;
        for (position, u) in results.units.iter().enumerate() {
            let row = copy.row();
            row.text(period.as_str());
            row.text(u.unit.as_str());
            row.text(u.group.as_str());
            row.int(position_of(first + position));
            row.opt_int(u.rank.map(i64::from));
            row.int(i64::from(u.group_size));
            row.text(&codec::dec(u.total.value()));
            row.text(&codec::dec(u.max.value()));
            row.text(&codec::dec(u.index));
            row.opt_text(u.class.as_deref());
            row.opt_text(u.delta_index.map(codec::dec).as_deref());
            row.opt_int(u.delta_rank.map(i64::from));
            row.int(i64::from(u.streak));
            row.json(Some(u))?;
            copy.end_row().await?;
        }
        copy.finish().await?;
        return Ok(());
    }
    let units: Vec<(usize, &UnitResult)> = results
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| (first + i, u))
        .collect();
    for chunk in units.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO results (period, unit, group_name, position, rank, group_size, total, \
             max, idx, class, delta_index, delta_rank, streak, detail) VALUES {}",
            values_list(chunk.len(), 14, 1)
        );
        sql!(tx, execute_rows, sql.as_str(), [], chunk, |q, row| {
            let (position, u) = row;
            q.bind(period.as_str())
                .bind(u.unit.as_str())
                .bind(u.group.as_str())
                .bind(position_of(*position))
                .bind(u.rank.map(i64::from))
                .bind(i64::from(u.group_size))
                .bind(codec::dec(u.total.value()))
                .bind(codec::dec(u.max.value()))
                .bind(codec::dec(u.index))
                .bind(u.class.as_deref())
                .bind(u.delta_index.map(codec::dec))
                .bind(u.delta_rank.map(i64::from))
                .bind(i64::from(u.streak))
                .bind(Json(*u))
        })?;
    }
    Ok(())
}

/// The period's results in the order they were saved; `None` if the period does not exist
/// or was never computed.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn load(db: &Db, period: &PeriodCode) -> Result<Option<PeriodResults>, StoreError> {
    let mut c = db.conn().await?;
    let Some(p) = periods::read(c.ex(), period).await? else {
        return Ok(None);
    };
    if p.computed_at.is_none() {
        return Ok(None);
    }
    let units = sql!(
        c,
        scalar_all Json<UnitResult>,
        "SELECT detail FROM results WHERE period = $1 ORDER BY position",
        period.as_str(),
    )?;
    let groups = sql!(
        c,
        scalar_all Json<GroupStats>,
        "SELECT stats FROM result_groups WHERE period = $1 ORDER BY position",
        period.as_str(),
    )?;
    Ok(Some(PeriodResults {
        units: units.into_iter().map(|j| j.0).collect(),
        groups: groups.into_iter().map(|j| j.0).collect(),
    }))
}

/// The results of the period's previous period, as the computation needs them; empty when
/// there is no previous period or it has no results.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn previous_for(db: &Db, period: &PeriodCode) -> Result<Vec<PreviousResult>, StoreError> {
    let mut c = db.conn().await?;
    let p = periods::read(c.ex(), period)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("kỳ đánh giá {period}")))?;
    let Some(previous) = p.previous else {
        return Ok(Vec::new());
    };
    let rows = sql!(
        c,
        all(String, String, String, Option<i64>, i64),
        "SELECT unit, group_name, idx, rank, streak FROM results WHERE period = $1 \
         ORDER BY position",
        previous.as_str(),
    )?;
    rows.into_iter()
        .map(|(unit, group, idx, rank, streak)| {
            Ok(PreviousResult {
                unit: codec::id(&unit, UnitCode::parse)?,
                group: codec::id(&group, GroupName::parse)?,
                index: codec::parse_dec(&idx)?,
                rank: rank.map(to_u32).transpose()?,
                streak: to_u32(streak)?,
            })
        })
        .collect()
}

/// Every stored result of `unit` (under this code, without following lineage), oldest
/// period first.
#[tracing::instrument(skip_all, fields(unit = %unit))]
pub async fn unit_history(
    db: &Db,
    unit: &UnitCode,
) -> Result<Vec<(PeriodCode, UnitResult)>, StoreError> {
    let mut c = db.conn().await?;
    let rows = sql!(
        c,
        all(String, Json<UnitResult>),
        "SELECT r.period, r.detail FROM results r JOIN periods p ON p.code = r.period \
         WHERE r.unit = $1 ORDER BY p.year, p.code",
        unit.as_str(),
    )?;
    rows.into_iter()
        .map(|(period, detail)| Ok((codec::id(&period, PeriodCode::parse)?, detail.0)))
        .collect()
}

fn to_u32(v: i64) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("số thứ tự {v}")))
}
