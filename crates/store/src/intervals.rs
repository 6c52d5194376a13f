//! A period's survey intervals (migration `0018_survey_intervals.sql`): what the bootstrap
//! over the respondents of its closed surveys says of each unit's index and rank, replaced
//! as a whole each time a survey closes. Published versions carry their own copy (see
//! [`crate::publications`]).

use chiso_domain::PeriodCode;
use chiso_domain::uncertainty::ResultIntervals;
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::codec;
use crate::{Db, StoreError};

/// The intervals kept for a period, with the computation of the results they rest on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub intervals: ResultIntervals,
    /// The period's `computed_at` when they were computed: a later one means the results
    /// were computed again since.
    pub computed_at: Option<OffsetDateTime>,
    pub kept_at: OffsetDateTime,
}

/// Keeps `intervals` as the period's, replacing any kept before.
pub async fn keep(
    db: &Db,
    period: &PeriodCode,
    intervals: &ResultIntervals,
    computed_at: Option<OffsetDateTime>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut c = db.conn().await?;
    sql!(
        c,
        execute,
        "INSERT INTO survey_intervals (period, computed_at, intervals, kept_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (period) DO UPDATE SET \
         computed_at = excluded.computed_at, intervals = excluded.intervals, \
         kept_at = excluded.kept_at",
        period.as_str(),
        computed_at.map(codec::ts),
        Json(intervals),
        codec::ts(at),
    )?;
    Ok(())
}

/// The intervals kept for `period`, if a survey of it was closed.
pub async fn load(db: &Db, period: &PeriodCode) -> Result<Option<Kept>, StoreError> {
    let mut c = db.conn().await?;
    let row = sql!(
        c,
        optional(Option<String>, Json<ResultIntervals>, String),
        "SELECT computed_at, intervals, kept_at FROM survey_intervals WHERE period = $1",
        period.as_str(),
    )?;
    row.map(|(computed_at, intervals, kept_at)| {
        Ok(Kept {
            intervals: intervals.0,
            computed_at: codec::opt_ts(computed_at)?,
            kept_at: codec::parse_ts(&kept_at)?,
        })
    })
    .transpose()
}
