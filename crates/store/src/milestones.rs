//! A period's plan: the instant each [`Milestone`] is reached (self-assessment, appraisal and
//! explanation windows, approval, publication). The phase at a given instant, and so what may
//! happen then, is derived from these by [`Milestones::phase_at`]; whether a plan is usable is
//! judged by [`Milestones::validate`] before it is saved here.

use chiso_domain::PeriodCode;
use chiso_domain::workflow::{Milestone, Milestones};
use time::OffsetDateTime;

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::db::Ex;
use crate::{Actor, Db, StoreError, periods};

/// Audit entity of a period's milestones (key: the period).
pub const ENTITY: &str = "milestones";

/// Replaces every milestone of `period` (unset ones are removed), audited from the old plan to
/// the new one. Saving the plan already stored writes nothing. [`StoreError::NotFound`] if the
/// period does not exist, [`StoreError::Frozen`] if it is published.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn set_all(
    db: &Db,
    period: &PeriodCode,
    plan: &Milestones,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    periods::load_open(&mut tx, period).await?;
    let old = read(tx.ex(), period).await?;
    if old == *plan {
        return Ok(());
    }
    sql!(
        tx,
        execute,
        "DELETE FROM period_milestones WHERE period = $1",
        period.as_str()
    )?;
    for (milestone, when) in plan.set() {
        sql!(
            tx,
            execute,
            "INSERT INTO period_milestones (period, milestone, at) VALUES ($1, $2, $3)",
            period.as_str(),
            milestone.as_str(),
            codec::ts(when),
        )?;
    }
    let mut entry = NewEntry::new(actor, at, "set_milestones", ENTITY, period.as_str())
        .values(Some(audit_value(&old)), Some(audit_value(plan)));
    entry.period = Some(period.as_str());
    audit::record(&mut tx, entry).await?;
    tx.commit().await
}

/// The set milestones by name, as stored (UTC), so that old and new values read alike
/// whatever offset the plan was entered in.
fn audit_value(plan: &Milestones) -> serde_json::Value {
    plan.set()
        .into_iter()
        .map(|(m, at)| {
            (
                m.as_str().to_owned(),
                serde_json::Value::String(codec::ts(at)),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The period's milestones; every one unset when none were saved.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn get(db: &Db, period: &PeriodCode) -> Result<Milestones, StoreError> {
    let mut c = db.conn().await?;
    read(c.ex(), period).await
}

pub(crate) async fn read(mut ex: Ex<'_>, period: &PeriodCode) -> Result<Milestones, StoreError> {
    let rows = sql!(
        ex,
        all(String, String),
        "SELECT milestone, at FROM period_milestones WHERE period = $1",
        period.as_str(),
    )?;
    let mut plan = Milestones::default();
    for (name, when) in rows {
        let milestone = Milestone::ALL
            .into_iter()
            .find(|m| m.as_str() == name)
            .ok_or_else(|| StoreError::Corrupt(format!("mốc \"{name}\"")))?;
        let when = Some(codec::parse_ts(&when)?);
        match milestone {
            Milestone::SelfOpen => plan.self_open = when,
            Milestone::SelfClose => plan.self_close = when,
            Milestone::AppraisalOpen => plan.appraisal_open = when,
            Milestone::AppraisalClose => plan.appraisal_close = when,
            Milestone::ExplanationOpen => plan.explanation_open = when,
            Milestone::ExplanationClose => plan.explanation_close = when,
            Milestone::Approval => plan.approval = when,
            Milestone::Publication => plan.publication = when,
        }
    }
    Ok(plan)
}
