//! Publication by decision (domain.md §2, step 8): the administrator publishes an approved
//! period with the decision's number and date, which writes an immutable snapshot of its
//! results (see `chiso_store::publications`); a correction reopens the period, and its next
//! publication is a new version with a reason, the earlier ones staying readable.

use chiso_domain::PeriodCode;
use chiso_domain::authz::Principal;
use chiso_domain::workflow::{AssessmentState, VN_OFFSET};
use chiso_store::publications::{self, NewPublication, PublishedGroup};
use chiso_store::{Actor, Db, StoreError, assessments, index_sets, periods, results};
use time::{Date, OffsetDateTime};

use crate::codes;
use crate::error::{ServiceError, ServiceResult};
use crate::periods::require_manage;

pub use chiso_store::publications::{Publication, STATUS_CORRECTING, decision_text};

/// Longest decision number accepted.
pub const MAX_DECISION_LEN: usize = 100;

/// Publishing the period's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    pub period: PeriodCode,
    /// The decision's number, e.g. `123/QĐ-UBND`.
    pub decision: String,
    /// The decision's date: not after today.
    pub decided_on: Date,
    /// Why, for a correction (required from the second version on).
    pub reason: Option<String>,
}

/// What a publication did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub version: i64,
    /// Units published.
    pub units: usize,
}

fn check(cmd: &Publish, today: Date) -> ServiceResult<()> {
    let decision = cmd.decision.trim();
    if decision.is_empty() {
        return Err(
            ServiceError::new(codes::PUBLICATION_DECISION_REQUIRED).arg("field", "decision")
        );
    }
    if decision.chars().count() > MAX_DECISION_LEN {
        return Err(ServiceError::new(codes::PUBLICATION_DECISION_TOO_LONG)
            .arg("field", "decision")
            .arg("max", MAX_DECISION_LEN));
    }
    if cmd.decided_on > today {
        return Err(ServiceError::new(codes::PUBLICATION_DATE_FUTURE)
            .arg("field", "decided_on")
            .arg("date", chiso_domain::fmt::vi_date(cmd.decided_on)));
    }
    Ok(())
}

/// Publishes the period's computed results as its next version. Refused unless the period's
/// results are computed and, when the assessment cycle ran in it, every unit is finalised
/// (approved); a published period needs a correction opened first, and a correction needs
/// its reason.
#[tracing::instrument(skip_all, fields(period = %cmd.period))]
pub async fn publish(
    db: &Db,
    principal: &Principal,
    cmd: &Publish,
    now: OffsetDateTime,
) -> ServiceResult<Published> {
    let code = &cmd.period;
    require_manage(principal, Some(code))?;
    check(cmd, now.to_offset(VN_OFFSET).date())?;
    let period = periods::get(db, code)
        .await?
        .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", code))?;
    if period.status == periods::STATUS_PUBLISHED {
        return Err(ServiceError::new(codes::PUBLICATION_EXISTS).arg("period", code));
    }
    let reason = cmd
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if period.status == STATUS_CORRECTING && reason.is_none() {
        return Err(ServiceError::new(codes::PUBLICATION_REASON_REQUIRED).arg("field", "reason"));
    }
    let assessed = assessments::list(db, code).await?;
    if assessed.iter().any(|a| a.version > 0) {
        let open: Vec<String> = assessed
            .iter()
            .filter(|a| a.state != AssessmentState::Finalised)
            .map(|a| a.unit.to_string())
            .collect();
        if !open.is_empty() {
            return Err(ServiceError::new(codes::PUBLICATION_NOT_APPROVED)
                .arg("period", code)
                .arg("count", open.len())
                .arg("units", open.join(", ")));
        }
    }
    let decision = Decision {
        number: cmd.decision.trim().to_owned(),
        decided_on: cmd.decided_on,
        reason,
    };
    write(db, &period, &decision, &Actor(principal.login.clone()), now).await
}

/// The decision a version is published by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    pub number: String,
    pub decided_on: Date,
    pub reason: Option<String>,
}

/// Writes the snapshot of `period`'s computed results as its next version (the checks are the
/// caller's).
pub(crate) async fn write(
    db: &Db,
    period: &periods::Period,
    decision: &Decision,
    actor: &Actor,
    now: OffsetDateTime,
) -> ServiceResult<Published> {
    let code = &period.code;
    let stored = results::load(db, code)
        .await?
        .ok_or_else(|| ServiceError::new(codes::PUBLICATION_NOT_COMPUTED).arg("period", code))?;
    let mut groups = Vec::new();
    for (group, set) in periods::groups(db, code).await? {
        let stats = stored.groups.iter().find(|g| g.group == group).cloned();
        groups.push(PublishedGroup {
            set: index_sets::get(db, &set).await?,
            group,
            stats,
        });
    }
    let units = stored.units.len();
    let new = NewPublication {
        period: code.clone(),
        decision: decision.number.clone(),
        decided_on: decision.decided_on,
        reason: decision.reason.clone(),
        decision_file: None,
        period_name: period.name.clone(),
        year: period.year,
        groups,
        units: stored.units,
        computed_at: period.computed_at,
    };
    match publications::publish(db, &new, actor, now).await {
        Ok(version) => Ok(Published { version, units }),
        Err(StoreError::Conflict(_)) => {
            Err(ServiceError::new(codes::PUBLICATION_STALE).arg("period", code))
        }
        Err(StoreError::Frozen(_)) => {
            Err(ServiceError::new(codes::PUBLICATION_EXISTS).arg("period", code))
        }
        Err(e) => Err(e.into()),
    }
}

/// Opens a correction of a published period, with its reason (audited): the period can change
/// again, and its next publication is a new version, while the published ones stay public.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn open_correction(
    db: &Db,
    principal: &Principal,
    period: &PeriodCode,
    reason: &str,
    now: OffsetDateTime,
) -> ServiceResult<()> {
    require_manage(principal, Some(period))?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::new(codes::PUBLICATION_REASON_REQUIRED).arg("field", "reason"));
    }
    let actor = Actor(principal.login.clone());
    match publications::open_correction(db, period, reason, &actor, now).await {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound(_)) => {
            Err(ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", period))
        }
        Err(StoreError::Conflict(_)) => {
            Err(ServiceError::new(codes::CORRECTION_NOT_POSSIBLE).arg("period", period))
        }
        Err(e) => Err(e.into()),
    }
}

/// Every published version of `period`, oldest first (public).
pub async fn versions(db: &Db, period: &PeriodCode) -> ServiceResult<Vec<Publication>> {
    Ok(publications::versions(db, period).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn cmd(decision: &str, on: Date) -> Publish {
        Publish {
            period: PeriodCode::parse("2025").unwrap(),
            decision: decision.to_owned(),
            decided_on: on,
            reason: None,
        }
    }

    #[test]
    fn a_decision_needs_its_number_of_bounded_length_and_a_date_not_after_today() {
        let today = date!(2026 - 03 - 15);
        assert!(check(&cmd("123/QĐ-UBND", today), today).is_ok());
        let code = |c: &Publish| check(c, today).unwrap_err().code();
        assert_eq!(
            code(&cmd("  ", today)),
            codes::PUBLICATION_DECISION_REQUIRED
        );
        assert_eq!(
            code(&cmd(&"9".repeat(MAX_DECISION_LEN + 1), today)),
            codes::PUBLICATION_DECISION_TOO_LONG
        );
        let e = check(&cmd("123/QĐ-UBND", date!(2026 - 03 - 16)), today).unwrap_err();
        assert_eq!(e.code(), codes::PUBLICATION_DATE_FUTURE);
        assert_eq!(e.get("date"), Some("16/03/2026"));
    }
}
