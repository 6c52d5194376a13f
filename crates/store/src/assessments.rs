//! Where each unit's assessment stands in a period ([`AssessmentState`]), whether an
//! administrator reopened it, and who submitted and approved it.
//!
//! The store records states; it does not decide them. The service asks
//! [`chiso_domain::workflow::apply`] which state a step leads to (and
//! [`chiso_domain::workflow::reopened_after`] whether the unit stays reopened), then saves the
//! result here with the version it read: a change based on a stale read is refused with
//! [`StoreError::Conflict`] and changes nothing, so two people cannot both move the same
//! assessment from the same state.
//!
//! The values themselves are kept per leaf in [`crate::leaves`]. [`crate::scores`] stays the
//! table the computation reads: saving [`AssessmentState::Finalised`] copies, in the same
//! transaction, each leaf's appraised value (its self-assessed value where it was not
//! appraised) into `scores`, so an approved unit's official inputs are always those it was
//! approved with, and imports and computation keep one source of inputs.

use chiso_domain::workflow::AssessmentState;
use chiso_domain::{PeriodCode, UnitCode};
use serde::Serialize;
use time::OffsetDateTime;

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::db::{Ex, Tx};
use crate::scores::{self, ScoreChange};
use crate::{Actor, Db, StoreError, leaves, outbox, periods};

/// Audit entity of an assessment (key `period/unit`).
pub const ENTITY: &str = "assessment";

/// The assessment of one unit in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub period: PeriodCode,
    pub unit: UnitCode,
    pub state: AssessmentState,
    /// An administrator reopened the unit and it has not been approved since: the period's
    /// milestones no longer bind it (see [`chiso_domain::workflow::Context`]).
    pub reopened: bool,
    /// The last submission of the self-assessment.
    pub submitted_by: Option<String>,
    pub submitted_at: Option<OffsetDateTime>,
    /// The council's approval.
    pub finalised_by: Option<String>,
    pub finalised_at: Option<OffsetDateTime>,
    /// Who closed the self-assessment as not submitted after the deadline, when and why
    /// ([`AssessmentState::ClosedUnsubmitted`]); kept through appraisal and approval, cleared
    /// when the unit submits after a reopening.
    pub closed: Option<Closure>,
    /// 0 while nothing is stored, 1 once created, +1 for each change.
    pub version: i64,
    /// The last change; `None` while nothing is stored.
    pub updated_by: Option<String>,
    pub updated_at: Option<OffsetDateTime>,
}

/// The closing of a self-assessment that was not submitted by the deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closure {
    pub by: String,
    pub at: OffsetDateTime,
    pub reason: Option<String>,
}

impl Assessment {
    /// A unit nothing was saved for yet (what [`get`] returning `None` means, at version 0).
    pub fn not_started(period: PeriodCode, unit: UnitCode) -> Self {
        Assessment {
            period,
            unit,
            state: AssessmentState::NotStarted,
            reopened: false,
            submitted_by: None,
            submitted_at: None,
            finalised_by: None,
            finalised_at: None,
            closed: None,
            version: 0,
            updated_by: None,
            updated_at: None,
        }
    }

    fn audit_value(&self) -> serde_json::Value {
        serde_json::json!({
            "state": self.state.as_str(),
            "reopened": self.reopened,
            "version": self.version,
        })
    }
}

/// A change of state to save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateChange<'a> {
    /// The state the step led to.
    pub state: AssessmentState,
    /// Whether the unit counts as reopened after the step.
    pub reopened: bool,
    /// Why, for the audit log (a reopening must say why; other steps may leave it empty).
    pub reason: &'a str,
}

#[derive(sqlx::FromRow)]
struct Row {
    period: String,
    unit: String,
    state: String,
    reopened: bool,
    submitted_by: Option<String>,
    submitted_at: Option<String>,
    finalised_by: Option<String>,
    finalised_at: Option<String>,
    closed_by: Option<String>,
    closed_at: Option<String>,
    closed_reason: Option<String>,
    version: i64,
    updated_by: String,
    updated_at: String,
}

impl Row {
    fn into_assessment(self) -> Result<Assessment, StoreError> {
        Ok(Assessment {
            period: codec::id(&self.period, PeriodCode::parse)?,
            unit: codec::id(&self.unit, UnitCode::parse)?,
            state: AssessmentState::parse(&self.state)
                .ok_or_else(|| StoreError::Corrupt(format!("trạng thái \"{}\"", self.state)))?,
            reopened: self.reopened,
            submitted_by: self.submitted_by,
            submitted_at: codec::opt_ts(self.submitted_at)?,
            finalised_by: self.finalised_by,
            finalised_at: codec::opt_ts(self.finalised_at)?,
            closed: match (self.closed_by, codec::opt_ts(self.closed_at)?) {
                (Some(by), Some(at)) => Some(Closure {
                    by,
                    at,
                    reason: self.closed_reason,
                }),
                _ => None,
            },
            version: self.version,
            updated_by: Some(self.updated_by),
            updated_at: Some(codec::parse_ts(&self.updated_at)?),
        })
    }
}

fn key(period: &PeriodCode, unit: &UnitCode) -> String {
    format!("{period}/{unit}")
}

/// The stored assessment, if any.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub async fn get(
    db: &Db,
    period: &PeriodCode,
    unit: &UnitCode,
) -> Result<Option<Assessment>, StoreError> {
    let mut c = db.conn().await?;
    read(c.ex(), period, unit).await
}

pub(crate) async fn read(
    mut ex: Ex<'_>,
    period: &PeriodCode,
    unit: &UnitCode,
) -> Result<Option<Assessment>, StoreError> {
    sql!(
        ex,
        optional Row,
        "SELECT period, unit, state, reopened, submitted_by, submitted_at, finalised_by, \
         finalised_at, closed_by, closed_at, closed_reason, version, updated_by, updated_at \
         FROM assessments \
         WHERE period = $1 AND unit = $2",
        period.as_str(),
        unit.as_str(),
    )?
    .map(Row::into_assessment)
    .transpose()
}

/// The stored assessment, created as not started (version 1, audited) when missing, so that
/// a unit's page always has a version to save against. [`StoreError::NotFound`] if the period
/// does not exist, [`StoreError::Frozen`] if it is published, [`StoreError::Conflict`] if the
/// unit does not exist.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub async fn get_or_create(
    db: &Db,
    period: &PeriodCode,
    unit: &UnitCode,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Assessment, StoreError> {
    if let Some(a) = get(db, period, unit).await? {
        return Ok(a);
    }
    let mut tx = db.begin().await?;
    periods::load_open(&mut tx, period).await?;
    let stamp = codec::ts(at);
    let inserted = sql!(
        tx,
        execute,
        "INSERT INTO assessments (period, unit, state, reopened, version, updated_by, \
         updated_at) VALUES ($1, $2, $3, $4, 1, $5, $6) \
         ON CONFLICT (period, unit) DO NOTHING",
        period.as_str(),
        unit.as_str(),
        AssessmentState::NotStarted.as_str(),
        false,
        actor.as_str(),
        stamp.as_str(),
    )?;
    let stored = read(tx.ex(), period, unit)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("hồ sơ {}", key(period, unit))))?;
    if inserted == 1 {
        let mut entry = NewEntry::new(actor, at, "create", ENTITY, key(period, unit))
            .values(None, Some(stored.audit_value()));
        entry.period = Some(period.as_str());
        entry.unit = Some(unit.as_str());
        audit::record(&mut tx, entry).await?;
    }
    tx.commit().await?;
    Ok(stored)
}

/// Every assessment of the period: first the period's members in their order (a member with
/// nothing stored is [`AssessmentState::NotStarted`] at version 0), then stored assessments of
/// units that are no longer members, by unit code.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn list(db: &Db, period: &PeriodCode) -> Result<Vec<Assessment>, StoreError> {
    let mut c = db.conn().await?;
    let members = sql!(
        c,
        scalar_all String,
        "SELECT unit FROM memberships WHERE period = $1 ORDER BY position",
        period.as_str(),
    )?;
    let mut stored = sql!(
        c,
        all Row,
        "SELECT period, unit, state, reopened, submitted_by, submitted_at, finalised_by, \
         finalised_at, closed_by, closed_at, closed_reason, version, updated_by, updated_at \
         FROM assessments WHERE period = $1",
        period.as_str(),
    )?
    .into_iter()
    .map(Row::into_assessment)
    .collect::<Result<Vec<_>, _>>()?;
    stored.sort_by(|a, b| a.unit.cmp(&b.unit));
    let mut out = Vec::with_capacity(members.len().max(stored.len()));
    for m in members {
        let unit = codec::id(&m, UnitCode::parse)?;
        match stored.iter().position(|a| a.unit == unit) {
            Some(i) => out.push(stored.remove(i)),
            None => out.push(Assessment::not_started(period.clone(), unit)),
        }
    }
    out.extend(stored);
    Ok(out)
}

/// Saves a new state if the stored version is still `expected_version` (0: nothing stored
/// yet, then the assessment is created). The last submission and the approval are stamped
/// with `actor` and `at` when the new state is [`AssessmentState::Submitted`] or
/// [`AssessmentState::Finalised`]. Audited from the old state to the new one with the change's
/// reason; saving the state and flag already stored writes nothing. Saving
/// [`AssessmentState::Finalised`] also writes each leaf's official value into `scores` (see the
/// module header), audited as score changes.
///
/// [`StoreError::Conflict`] when the version is stale (nothing is changed) or the unit does
/// not exist; [`StoreError::NotFound`] if the period does not exist; [`StoreError::Frozen`] if
/// it is published.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit, state = change.state.as_str()))]
pub async fn set_state(
    db: &Db,
    period: &PeriodCode,
    unit: &UnitCode,
    expected_version: i64,
    change: &StateChange<'_>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Assessment, StoreError> {
    set_state_and_notify(db, period, unit, expected_version, change, &[], actor, at).await
}

/// [`set_state`], recording `outgoing` notifications in the same transaction
/// ([`crate::outbox`]): they exist if and only if the change does. When the state and flag are
/// already stored nothing changes and nothing is recorded.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit, state = change.state.as_str()))]
pub async fn set_state_and_notify(
    db: &Db,
    period: &PeriodCode,
    unit: &UnitCode,
    expected_version: i64,
    change: &StateChange<'_>,
    outgoing: &[outbox::Outgoing],
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Assessment, StoreError> {
    let mut tx = db.begin().await?;
    periods::load_open(&mut tx, period).await?;
    let new = set_state_in(&mut tx, period, unit, expected_version, change, actor, at).await?;
    if new.version != expected_version {
        outbox::enqueue_in(&mut tx, outgoing, actor, at).await?;
    }
    tx.commit().await?;
    Ok(new)
}

/// Audit entity of a gap the council chair accepted at approval (key: `period/unit/leaf`).
pub const GAP_ENTITY: &str = "approval_gap";

/// A gap approved with the chair's reason, recorded with the approval.
#[derive(Debug, Clone, Copy)]
pub struct AcceptedGap<'a> {
    pub gap: &'a chiso_domain::completeness::Gap,
    pub reason: &'a str,
}

/// One unit's expected version for [`set_states`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub unit: UnitCode,
    /// The version the caller read (0: nothing stored).
    pub version: i64,
}

/// Saves the same change for several units of a period in one transaction: all of them or,
/// on the first error, none. The council's approval finalises every unit of the period this
/// way, so a period is never left half approved. Each unit is saved and audited as by
/// [`set_state`] (finalising copies its official values into `scores`); the results are in
/// the order of `units`. Errors as [`set_state`].
#[tracing::instrument(skip_all, fields(period = %period, units = units.len(), state = change.state.as_str()))]
pub async fn set_states(
    db: &Db,
    period: &PeriodCode,
    units: &[Expected],
    change: &StateChange<'_>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Vec<Assessment>, StoreError> {
    let mut tx = db.begin().await?;
    periods::load_open(&mut tx, period).await?;
    let mut out = Vec::with_capacity(units.len());
    for u in units {
        out.push(set_state_in(&mut tx, period, &u.unit, u.version, change, actor, at).await?);
    }
    tx.commit().await?;
    Ok(out)
}

/// The council's approval with its results, in **one** transaction: finalises `units` as
/// [`set_states`] does (copying each unit's official values into `scores`), then reads the
/// period's scores as they now stand in the transaction, asks `results` for the period's
/// results from them and saves those ([`crate::results::save`]). The approval, its scores, the
/// results and all their audit entries commit together or not at all: if the results cannot
/// be computed, no unit is left approved beside results of the old scores. With no `units`
/// (everything approved already) only the results are computed and saved again.
///
/// `results` runs inside the transaction and must not touch the database; its error is
/// returned as is (nothing is written). `outgoing` notifications are recorded in the same
/// transaction when at least one unit was finalised, and each `accepted` gap is audited with
/// its reason. Store errors as [`set_states`].
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, fields(period = %period, units = units.len()))]
pub async fn finalise_with_results<E, F>(
    db: &Db,
    period: &PeriodCode,
    units: &[Expected],
    change: &StateChange<'_>,
    outgoing: &[outbox::Outgoing],
    accepted: &[AcceptedGap<'_>],
    actor: &Actor,
    at: OffsetDateTime,
    results: F,
) -> Result<Vec<Assessment>, E>
where
    E: From<StoreError>,
    F: FnOnce(&[scores::StoredScore]) -> Result<chiso_domain::PeriodResults, E>,
{
    let mut tx = db.begin().await?;
    periods::load_open(&mut tx, period).await?;
    let mut out = Vec::with_capacity(units.len());
    for u in units {
        out.push(set_state_in(&mut tx, period, &u.unit, u.version, change, actor, at).await?);
    }
    let stored = scores::read_period(tx.ex(), period).await?;
    let computed = results(&stored)?;
    crate::results::save_in(&mut tx, period, &computed, actor, at).await?;
    for a in accepted {
        let (unit, node) = (a.gap.unit.as_str(), a.gap.leaf.as_str());
        let mut entry = NewEntry::new(
            actor,
            at,
            "accept_gap",
            GAP_ENTITY,
            format!("{period}/{unit}/{node}"),
        )
        .values(
            None,
            Some(serde_json::json!({ "gap": a.gap.kind.as_str() })),
        );
        entry.period = Some(period.as_str());
        entry.unit = Some(unit);
        entry.node = Some(node);
        entry.reason = Some(a.reason);
        audit::record(&mut tx, entry).await?;
    }
    if !units.is_empty() {
        outbox::enqueue_in(&mut tx, outgoing, actor, at).await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// [`set_state`] inside the caller's transaction (the period is already checked open).
async fn set_state_in(
    tx: &mut Tx,
    period: &PeriodCode,
    unit: &UnitCode,
    expected_version: i64,
    change: &StateChange<'_>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Assessment, StoreError> {
    let old = read(tx.ex(), period, unit).await?;
    let version = old.as_ref().map_or(0, |a| a.version);
    if version != expected_version {
        return Err(stale(period, unit, expected_version, version));
    }
    let old = old.unwrap_or_else(|| Assessment::not_started(period.clone(), unit.clone()));
    if old.version > 0 && old.state == change.state && old.reopened == change.reopened {
        return Ok(old);
    }
    let mut new = old.clone();
    new.state = change.state;
    new.reopened = change.reopened;
    new.version = version + 1;
    new.updated_by = Some(actor.as_str().to_owned());
    new.updated_at = Some(at);
    if change.state == AssessmentState::Submitted {
        new.submitted_by = Some(actor.as_str().to_owned());
        new.submitted_at = Some(at);
    }
    if change.state == AssessmentState::Submitted {
        new.closed = None;
    }
    if change.state == AssessmentState::ClosedUnsubmitted {
        new.closed = Some(Closure {
            by: actor.as_str().to_owned(),
            at,
            reason: Some(change.reason.trim().to_owned()).filter(|r| !r.is_empty()),
        });
    }
    if change.state == AssessmentState::Finalised {
        new.finalised_by = Some(actor.as_str().to_owned());
        new.finalised_at = Some(at);
    }
    let (closed_by, closed_at, closed_reason) = match &new.closed {
        Some(c) => (
            Some(c.by.as_str()),
            Some(codec::ts(c.at)),
            c.reason.as_deref(),
        ),
        None => (None, None, None),
    };
    let written = if version == 0 {
        sql!(
            tx,
            execute,
            "INSERT INTO assessments (period, unit, state, reopened, submitted_by, \
             submitted_at, finalised_by, finalised_at, closed_by, closed_at, closed_reason, \
             version, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (period, unit) DO NOTHING",
            period.as_str(),
            unit.as_str(),
            new.state.as_str(),
            new.reopened,
            new.submitted_by.as_deref(),
            new.submitted_at.map(codec::ts),
            new.finalised_by.as_deref(),
            new.finalised_at.map(codec::ts),
            closed_by,
            closed_at.as_deref(),
            closed_reason,
            new.version,
            actor.as_str(),
            codec::ts(at),
        )?
    } else {
        sql!(
            tx,
            execute,
            "UPDATE assessments SET state = $1, reopened = $2, submitted_by = $3, \
             submitted_at = $4, finalised_by = $5, finalised_at = $6, closed_by = $7, \
             closed_at = $8, closed_reason = $9, version = $10, updated_by = $11, \
             updated_at = $12 WHERE period = $13 AND unit = $14 AND version = $15",
            new.state.as_str(),
            new.reopened,
            new.submitted_by.as_deref(),
            new.submitted_at.map(codec::ts),
            new.finalised_by.as_deref(),
            new.finalised_at.map(codec::ts),
            closed_by,
            closed_at.as_deref(),
            closed_reason,
            new.version,
            actor.as_str(),
            codec::ts(at),
            period.as_str(),
            unit.as_str(),
            version,
        )?
    };
    // Another writer got there between the read and the write (PostgreSQL re-checks the
    // version after waiting for the other transaction).
    if written != 1 {
        return Err(stale(period, unit, expected_version, version + 1));
    }
    let mut entry = NewEntry::new(actor, at, "set_state", ENTITY, key(period, unit)).values(
        (version > 0).then(|| old.audit_value()),
        Some(new.audit_value()),
    );
    entry.period = Some(period.as_str());
    entry.unit = Some(unit.as_str());
    entry.reason = Some(change.reason).filter(|r| !r.trim().is_empty());
    audit::record(tx, entry).await?;
    if change.state == AssessmentState::Finalised {
        copy_official_values(tx, period, unit, change.reason, actor, at).await?;
    }
    Ok(new)
}

/// Reason recorded on the scores an approval sets when the approval gives none.
pub const APPROVAL_REASON: &str = "Phê duyệt kết quả thẩm định";

/// Writes each stored leaf's official value ([`crate::leaves::StoredLeaf::official`]) into
/// `scores`, where the computation reads it; each actual change is audited as a score change.
async fn copy_official_values(
    tx: &mut Tx,
    period: &PeriodCode,
    unit: &UnitCode,
    reason: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let stored = leaves::read_unit(tx.ex(), period, unit).await?;
    let changes: Vec<ScoreChange> = stored
        .iter()
        .map(|leaf| {
            let (input, points, note) = leaf.official();
            ScoreChange {
                unit: unit.clone(),
                node: leaf.key.node.clone(),
                input: input.cloned(),
                points,
                note: note.map(str::to_owned),
                // The approval is authoritative over whatever was entered in `scores` before.
                expected_version: None,
            }
        })
        .collect();
    let reason = Some(reason)
        .filter(|r| !r.trim().is_empty())
        .unwrap_or(APPROVAL_REASON);
    scores::put_in(tx, period, &changes, actor, at, reason).await
}

fn stale(period: &PeriodCode, unit: &UnitCode, expected: i64, stored: i64) -> StoreError {
    StoreError::Conflict(format!(
        "hồ sơ của đơn vị {unit} (kỳ {period}) đã được người khác cập nhật: phiên bản hiện tại \
         {stored}, không phải {expected}; hãy tải lại"
    ))
}
