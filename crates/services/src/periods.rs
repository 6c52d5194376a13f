//! Period administration: creating periods, their groups and members, their milestone plan,
//! and where every unit stands. Every function authorizes [`Action::ManagePeriods`] before
//! reading or changing anything, then calls the store, which audits each change in the same
//! transaction.

use std::collections::HashMap;

use chiso_domain::authz::{Action, Principal, Resource};
use chiso_domain::text::{SearchKey, SearchQuery, compare_vi};
use chiso_domain::workflow::{
    self, AssessmentState, Context, Milestone, Milestones, Phase, Transition, VN_OFFSET,
    WorkflowError,
};
use chiso_domain::{GroupName, Membership, PeriodCode, SetCode, Unit, UnitCode, UnitKind};
use chiso_store::assessments::{self, Assessment, StateChange};
use chiso_store::periods::{self, GroupPlan, Period, Withdrawal};
use chiso_store::{Actor, Db, IndexSetSummary, StoreError, index_sets, milestones, units};
use time::OffsetDateTime;

use crate::authz::authorize;
use crate::codes;
use crate::error::{Detail, Problem, ServiceError, ServiceResult};

/// Refuses anyone who may not manage `period` (`None`: periods in general, e.g. creating one).
pub fn require_manage(p: &Principal, period: Option<&PeriodCode>) -> ServiceResult<()> {
    let resource = period.map_or(Resource::System, |c| Resource::Period(c.clone()));
    authorize(p, Action::ManagePeriods, &resource)
}

fn period_not_found(code: &PeriodCode) -> ServiceError {
    ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", code)
}

fn published(code: &PeriodCode) -> ServiceError {
    ServiceError::new(codes::PERIOD_PUBLISHED).arg("period", code)
}

fn actor(p: &Principal) -> Actor {
    Actor(p.login.clone())
}

/// A period in the administrators' list.
#[derive(Debug, Clone)]
pub struct PeriodLine {
    pub period: Period,
    pub members: usize,
    pub phase: Phase,
}

/// The periods a person manages, and whether they may create new ones.
#[derive(Debug, Clone)]
pub struct PeriodsOverview {
    pub periods: Vec<PeriodLine>,
    pub may_create: bool,
}

/// Every period the person may manage, newest first. An administrator of every period also
/// creates periods; one granted a single period sees only it. Nobody else gets in.
pub async fn overview(
    db: &Db,
    p: &Principal,
    now: OffsetDateTime,
) -> ServiceResult<PeriodsOverview> {
    let may_create = require_manage(p, None).is_ok();
    let all = periods::list(db).await?;
    let mut lines = Vec::new();
    for period in all {
        if require_manage(p, Some(&period.code)).is_err() {
            continue;
        }
        let members = periods::members(db, &period.code).await?.len();
        let plan = milestones::get(db, &period.code).await?;
        let phase = workflow::period_phase(period.status == periods::STATUS_PUBLISHED, &plan, now);
        lines.push(PeriodLine {
            period,
            members,
            phase,
        });
    }
    if !may_create && lines.is_empty() {
        return Err(require_manage(p, None).unwrap_err());
    }
    Ok(PeriodsOverview {
        periods: lines,
        may_create,
    })
}

/// A period as typed in the creation form.
#[derive(Debug, Clone, Default)]
pub struct NewPeriod {
    pub code: String,
    pub name: String,
    pub year: String,
    /// Code of the period compared against; empty for none.
    pub previous: String,
}

/// Years a period may be for: the index exists since 2012; far-future years are typos.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Creates a period (status draft, no groups yet). Every mistake of the form is reported at
/// once: the error carries the first, and [`Detail::Problems`] all of them, each with a
/// `field` argument (`code`, `name`, `year`, `previous`) naming the field at fault.
pub async fn create_period(
    db: &Db,
    p: &Principal,
    new: &NewPeriod,
    at: OffsetDateTime,
) -> ServiceResult<PeriodCode> {
    require_manage(p, None)?;
    let mut problems = Vec::new();
    let code = match PeriodCode::parse(&new.code) {
        Ok(code) => {
            if periods::get(db, &code).await?.is_some() {
                problems.push(
                    Problem::new(codes::PERIOD_CODE_TAKEN)
                        .arg("code", &code)
                        .arg("field", "code"),
                );
            }
            Some(code)
        }
        Err(_) => {
            problems.push(
                Problem::new(codes::PERIOD_CODE_INVALID)
                    .arg("value", new.code.trim())
                    .arg("field", "code"),
            );
            None
        }
    };
    let name = new.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        problems.push(Problem::new(codes::PERIOD_NAME_REQUIRED).arg("field", "name"));
    }
    let year = new
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| YEARS.contains(y));
    if year.is_none() {
        problems.push(
            Problem::new(codes::PERIOD_YEAR_INVALID)
                .arg("value", new.year.trim())
                .arg("min", YEARS.start())
                .arg("max", YEARS.end())
                .arg("field", "year"),
        );
    }
    let previous = match new.previous.trim() {
        "" => None,
        raw => {
            let known = match PeriodCode::parse(raw) {
                Ok(c) => periods::get(db, &c).await?.map(|_| c),
                Err(_) => None,
            };
            if known.is_none() {
                problems.push(
                    Problem::new(codes::PERIOD_PREVIOUS_UNKNOWN)
                        .arg("value", raw)
                        .arg("field", "previous"),
                );
            }
            known
        }
    };
    let (Some(code), Some(year), true) = (code, year, problems.is_empty()) else {
        return Err(ServiceError::from_problems(problems));
    };
    let period = Period {
        code: code.clone(),
        year,
        name,
        previous,
        status: periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    };
    match periods::create(db, &period, &actor(p), at).await {
        Ok(()) => Ok(code),
        Err(StoreError::Conflict(_)) => {
            Err(ServiceError::new(codes::PERIOD_CODE_TAKEN).arg("code", &code))
        }
        Err(e) => Err(e.into()),
    }
}

/// One participating unit, with where its assessment stands.
#[derive(Debug, Clone)]
pub struct MemberLine {
    pub unit: UnitCode,
    pub name: String,
    pub kind: Option<UnitKind>,
    pub ranked: bool,
    pub state: AssessmentState,
}

/// A group of the period: its index set and its units (Vietnamese order of names).
#[derive(Debug, Clone)]
pub struct GroupLine {
    pub name: GroupName,
    pub set: SetCode,
    pub set_name: Option<String>,
    pub members: Vec<MemberLine>,
}

/// One line of the progress dashboard.
#[derive(Debug, Clone)]
pub struct ProgressLine {
    pub unit: UnitCode,
    pub name: String,
    /// `None` for a unit that left the period after its assessment was started.
    pub group: Option<GroupName>,
    pub assessment: Assessment,
    /// The milestone the state waits for, and when it is reached.
    pub deadline: Option<(Milestone, OffsetDateTime)>,
    pub overdue: bool,
}

/// A unit withdrawn from the period, as the progress page lists it.
#[derive(Debug, Clone)]
pub struct WithdrawalLine {
    pub unit: UnitCode,
    pub name: String,
    pub withdrawal: Withdrawal,
}

/// Progress of every participating unit at one instant.
#[derive(Debug, Clone)]
pub struct Progress {
    pub phase: Phase,
    pub lines: Vec<ProgressLine>,
    /// Units withdrawn from the period (unit, when, who, why), oldest first.
    pub withdrawn: Vec<WithdrawalLine>,
    /// Units per state, in the order of the cycle (every state, zeros included).
    pub counts: Vec<(AssessmentState, usize)>,
    pub overdue: usize,
}

impl Progress {
    /// Where every member stands at `now` against `plan` (`published`: the period's results
    /// are published); units are listed group by group,
    /// names in Vietnamese order; units that left the period come last.
    pub fn build(
        published: bool,
        plan: &Milestones,
        groups: &[(GroupName, SetCode)],
        members: &[Membership],
        stored: Vec<Assessment>,
        names: &HashMap<UnitCode, Unit>,
        now: OffsetDateTime,
    ) -> Progress {
        let group_of: HashMap<&UnitCode, &GroupName> =
            members.iter().map(|m| (&m.unit, &m.group)).collect();
        let mut lines: Vec<ProgressLine> = stored
            .into_iter()
            .map(|a| {
                let deadline = chiso_domain::workflow::deadline(a.state, a.reopened, plan);
                ProgressLine {
                    name: names
                        .get(&a.unit)
                        .map_or_else(|| a.unit.to_string(), |u| u.name.clone()),
                    group: group_of.get(&a.unit).map(|g| (*g).clone()),
                    overdue: chiso_domain::workflow::is_overdue(a.state, a.reopened, plan, now),
                    deadline,
                    unit: a.unit.clone(),
                    assessment: a,
                }
            })
            .collect();
        let position = |g: &Option<GroupName>| {
            g.as_ref()
                .and_then(|g| groups.iter().position(|(n, _)| n == g))
                .unwrap_or(usize::MAX)
        };
        lines.sort_by(|a, b| {
            position(&a.group)
                .cmp(&position(&b.group))
                .then_with(|| compare_vi(&a.name, &b.name))
        });
        let counts = AssessmentState::ALL
            .into_iter()
            .map(|s| {
                let n = lines.iter().filter(|l| l.assessment.state == s).count();
                (s, n)
            })
            .collect();
        let overdue = lines.iter().filter(|l| l.overdue).count();
        Progress {
            phase: workflow::period_phase(published, plan, now),
            lines,
            withdrawn: Vec::new(),
            counts,
            overdue,
        }
    }
}

/// Everything the setup page of one period shows.
#[derive(Debug, Clone)]
pub struct Setup {
    pub period: Period,
    pub groups: Vec<GroupLine>,
    /// Index sets that a group may use.
    pub sets: Vec<IndexSetSummary>,
    /// Units not in the period that match the search, Vietnamese order of names.
    pub candidates: Vec<Unit>,
    /// How many units are not in the period at all.
    pub outside: usize,
    /// Kinds of the units not in the period, with how many of each.
    pub kinds: Vec<(UnitKind, usize)>,
    pub plan: Milestones,
    pub progress: Progress,
    /// The published versions, oldest first.
    pub publications: Vec<chiso_store::publications::Publication>,
}

/// Most search results listed at once; a narrower query finds the rest.
pub const MAX_CANDIDATES: usize = 50;

/// The setup and progress of `period` at `now`; `query` searches the units not in it.
pub async fn setup(
    db: &Db,
    p: &Principal,
    code: &PeriodCode,
    query: &str,
    now: OffsetDateTime,
) -> ServiceResult<Setup> {
    require_manage(p, Some(code))?;
    let period = periods::get(db, code)
        .await?
        .ok_or_else(|| period_not_found(code))?;
    let assignments = periods::groups(db, code).await?;
    let members = periods::members(db, code).await?;
    let all_units = units::list(db).await?;
    let names: HashMap<UnitCode, Unit> = all_units
        .iter()
        .map(|u| (u.code.clone(), u.clone()))
        .collect();
    let sets = index_sets::list(db).await?;
    let plan = milestones::get(db, code).await?;
    let stored = assessments::list(db, code).await?;
    let state_of: HashMap<UnitCode, AssessmentState> =
        stored.iter().map(|a| (a.unit.clone(), a.state)).collect();

    let groups = assignments
        .iter()
        .map(|(name, set)| {
            let mut lines: Vec<MemberLine> = members
                .iter()
                .filter(|m| &m.group == name)
                .map(|m| {
                    let unit = names.get(&m.unit);
                    MemberLine {
                        unit: m.unit.clone(),
                        name: unit.map_or_else(|| m.unit.to_string(), |u| u.name.clone()),
                        kind: unit.map(|u| u.kind),
                        ranked: m.ranked,
                        state: state_of
                            .get(&m.unit)
                            .copied()
                            .unwrap_or(AssessmentState::NotStarted),
                    }
                })
                .collect();
            lines.sort_by(|a, b| compare_vi(&a.name, &b.name));
            GroupLine {
                name: name.clone(),
                set: set.clone(),
                set_name: sets.iter().find(|s| &s.code == set).map(|s| s.name.clone()),
                members: lines,
            }
        })
        .collect();

    let is_member = |u: &UnitCode| members.iter().any(|m| &m.unit == u);
    let mut outside: Vec<Unit> = all_units
        .iter()
        .filter(|u| !is_member(&u.code) && exists_in(u, period.year))
        .cloned()
        .collect();
    outside.sort_by(|a, b| compare_vi(&a.name, &b.name));
    let mut kinds: Vec<(UnitKind, usize)> = Vec::new();
    for u in &outside {
        match kinds.iter_mut().find(|(k, _)| *k == u.kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((u.kind, 1)),
        }
    }
    let search = SearchQuery::new(query);
    let candidates = outside
        .iter()
        .filter(|u| SearchKey::from_fields([u.name.as_str(), u.code.as_str()]).matches(&search))
        .take(MAX_CANDIDATES)
        .cloned()
        .collect();
    let mut progress = Progress::build(
        period.status == periods::STATUS_PUBLISHED,
        &plan,
        &assignments,
        &members,
        stored,
        &names,
        now,
    );
    progress.withdrawn = periods::withdrawals(db, code)
        .await?
        .into_iter()
        .map(|w| WithdrawalLine {
            name: names
                .get(&w.unit)
                .map_or_else(|| w.unit.to_string(), |u| u.name.clone()),
            unit: w.unit.clone(),
            withdrawal: w,
        })
        .collect();
    Ok(Setup {
        period,
        groups,
        sets,
        candidates,
        outside: outside.len(),
        kinds,
        plan,
        progress,
        publications: chiso_store::publications::versions(db, code).await?,
    })
}

/// Whether a unit exists at some time during the period's year (a unit merged away before the
/// year, or founded after it, is not offered).
fn exists_in(u: &Unit, year: i32) -> bool {
    u.valid_to.is_none_or(|d| d.year() >= year) && u.valid_from.is_none_or(|d| d.year() <= year)
}

/// The period's plan, edited under the period's lock. Members are kept group by group, names in
/// Vietnamese order, so every list of the period reads alike.
async fn edit(
    db: &Db,
    p: &Principal,
    code: &PeriodCode,
    at: OffsetDateTime,
    change: impl FnOnce(&mut GroupPlan, &HashMap<UnitCode, Unit>) -> ServiceResult<()>,
) -> ServiceResult<()> {
    require_manage(p, Some(code))?;
    let names: HashMap<UnitCode, Unit> = units::list(db)
        .await?
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect();
    let edited = periods::edit_groups(db, code, &actor(p), at, |plan: &mut GroupPlan| {
        change(plan, &names)?;
        let position = |g: &GroupName| plan.groups.iter().position(|(n, _)| n == g);
        fn name<'a>(names: &'a HashMap<UnitCode, Unit>, u: &'a UnitCode) -> &'a str {
            names.get(u).map_or(u.as_str(), |x| x.name.as_str())
        }
        let mut members = std::mem::take(&mut plan.members);
        members.sort_by(|a, b| {
            position(&a.group)
                .cmp(&position(&b.group))
                .then_with(|| compare_vi(name(&names, &a.unit), name(&names, &b.unit)))
        });
        plan.members = members;
        Ok::<(), ServiceError>(())
    })
    .await;
    match edited {
        Ok(_) => Ok(()),
        Err(e) if e.is(codes::NOT_FOUND) => Err(period_not_found(code)),
        Err(e) if e.is(codes::FROZEN) => Err(published(code)),
        Err(e) => Err(e),
    }
}

fn parse_group(raw: &str) -> ServiceResult<GroupName> {
    GroupName::parse(raw).map_err(|_| ServiceError::new(codes::PERIOD_GROUP_REQUIRED))
}

fn known_group(plan: &GroupPlan, raw: &str) -> ServiceResult<GroupName> {
    let name = parse_group(raw)?;
    if plan.groups.iter().any(|(g, _)| *g == name) {
        Ok(name)
    } else {
        Err(ServiceError::new(codes::PERIOD_GROUP_UNKNOWN).arg("group", raw.trim()))
    }
}

/// Adds a group with its index set, or gives an existing group another set.
pub async fn save_group(
    db: &Db,
    p: &Principal,
    code: &PeriodCode,
    group: &str,
    set: &str,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    require_manage(p, Some(code))?;
    let name = parse_group(group)?;
    let sets = index_sets::list(db).await?;
    let set = SetCode::parse(set)
        .ok()
        .filter(|c| sets.iter().any(|s| &s.code == c))
        .ok_or_else(|| ServiceError::new(codes::PERIOD_SET_UNKNOWN).arg("set", set.trim()))?;
    edit(db, p, code, at, |plan, _| {
        match plan.groups.iter_mut().find(|(g, _)| *g == name) {
            Some((_, s)) => *s = set,
            None => plan.groups.push((name, set)),
        }
        Ok(())
    })
    .await
}

/// Removes a group that has no units left.
pub async fn remove_group(
    db: &Db,
    p: &Principal,
    code: &PeriodCode,
    group: &str,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    edit(db, p, code, at, |plan, _| {
        let name = known_group(plan, group)?;
        let n = plan.members.iter().filter(|m| m.group == name).count();
        if n > 0 {
            return Err(ServiceError::new(codes::PERIOD_GROUP_NOT_EMPTY)
                .arg("group", &name)
                .arg("n", n));
        }
        plan.groups.retain(|(g, _)| *g != name);
        Ok(())
    })
    .await
}

/// Adds the units to a group; units already in the period stay where they are. Returns how
/// many were added.
pub async fn add_units(
    db: &Db,
    p: &Principal,
    code: &PeriodCode,
    group: &str,
    codes: &[String],
    ranked: bool,
    at: OffsetDateTime,
) -> ServiceResult<usize> {
    if codes.is_empty() {
        require_manage(p, Some(code))?;
        return Err(ServiceError::new(codes::PERIOD_UNITS_NONE_CHOSEN));
    }
    let mut added = 0;
    edit(db, p, code, at, |plan, names| {
        let group = known_group(plan, group)?;
        for raw in codes {
            let unit = UnitCode::parse(raw)
                .ok()
                .filter(|u| names.contains_key(u))
                .ok_or_else(|| {
                    ServiceError::new(codes::PERIOD_UNIT_UNKNOWN).arg("unit", raw.trim())
                })?;
            if plan.members.iter().any(|m| m.unit == unit) {
                continue;
            }
            plan.members.push(Membership {
                unit,
                group: group.clone(),
                ranked,
            });
            added += 1;
        }
        Ok(())
    })
    .await?;
    Ok(added)
}

/// Adds every unit of one kind that exists in the period's year and is not in the period yet.
/// Returns how many were added.
pub async fn add_kind(
    db: &Db,
    p: &Principal,
    code: &PeriodCode,
    group: &str,
    kind: &str,
    ranked: bool,
    at: OffsetDateTime,
) -> ServiceResult<usize> {
    require_manage(p, Some(code))?;
    let kind = UnitKind::parse(kind)
        .ok_or_else(|| ServiceError::new(codes::PERIOD_KIND_UNKNOWN).arg("kind", kind.trim()))?;
    let year = periods::get(db, code)
        .await?
        .ok_or_else(|| period_not_found(code))?
        .year;
    let mut added = 0;
    edit(db, p, code, at, |plan, names| {
        let group = known_group(plan, group)?;
        let mut of_kind: Vec<&Unit> = names
            .values()
            .filter(|u| u.kind == kind && exists_in(u, year))
            .filter(|u| !plan.members.iter().any(|m| m.unit == u.code))
            .collect();
        of_kind.sort_by(|a, b| a.code.cmp(&b.code));
        for u in of_kind {
            plan.members.push(Membership {
                unit: u.code.clone(),
                group: group.clone(),
                ranked,
            });
            added += 1;
        }
        Ok(())
    })
    .await?;
    Ok(added)
}

/// Moves a unit to another group and/or sets whether it is ranked.
pub async fn update_member(
    db: &Db,
    p: &Principal,
    code: &PeriodCode,
    unit: &UnitCode,
    group: &str,
    ranked: bool,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    edit(db, p, code, at, |plan, _| {
        let group = known_group(plan, group)?;
        let member = plan
            .members
            .iter_mut()
            .find(|m| &m.unit == unit)
            .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_MEMBER).arg("unit", unit))?;
        member.group = group;
        member.ranked = ranked;
        Ok(())
    })
    .await
}

/// Withdraws a unit from the period (rút khỏi kỳ): it is no longer a member, so it is neither
/// assessed nor ranked. The reason is required; the withdrawal is audited and listed on the
/// progress page with who did it and when. Refused once the unit has started its
/// self-assessment: its entries and evidence would be left without a place in any group (a
/// unit that does not submit is closed after the deadline instead, see [`close_unsubmitted`]).
pub async fn remove_member(
    db: &Db,
    p: &Principal,
    code: &PeriodCode,
    unit: &UnitCode,
    reason: &str,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    require_manage(p, Some(code))?;
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.is_empty() {
        return Err(ServiceError::new(codes::WITHDRAW_REASON_REQUIRED)
            .arg("field", "reason")
            .arg("unit", unit));
    }
    if let Some(a) = assessments::get(db, code, unit).await?
        && a.state != AssessmentState::NotStarted
    {
        return Err(ServiceError::new(codes::PERIOD_MEMBER_STARTED).arg("unit", unit));
    }
    match periods::withdraw(db, code, unit, &reason, &actor(p), at).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ServiceError::new(codes::PERIOD_NOT_MEMBER).arg("unit", unit)),
        Err(StoreError::NotFound(_)) => Err(period_not_found(code)),
        Err(StoreError::Frozen(_)) => Err(published(code)),
        Err(e) => Err(e.into()),
    }
}

/// The last day of self-assessment as `dd/mm/yyyy` (the self-assessment closes at the end of
/// that day), or `—` when the plan sets no deadline.
fn self_deadline_day(plan: &Milestones) -> String {
    plan.self_close.map_or_else(
        || "—".to_owned(),
        |at| {
            let last = at.checked_sub(time::Duration::SECOND).unwrap_or(at);
            chiso_domain::fmt::vi_date(last.to_offset(VN_OFFSET).date())
        },
    )
}

/// Closes the self-assessment of a unit that did not submit by the deadline (hết hạn, không
/// nộp): the unit can no longer edit it, appraisers appraise it from the evidence it has, and
/// its results carry the note. For those who manage the period, after the self-assessment
/// deadline and before publication; `reason` is optional and kept in the audit log with who
/// closed it and when.
///
/// Refusals: `close_before_deadline` (with the deadline `dd/mm/yyyy`), `period_not_member`,
/// the workflow's codes (`workflow_already_submitted`, `workflow_already_closed`, …),
/// `period_published`, `stale_version` when someone changed the assessment meanwhile.
#[tracing::instrument(skip_all, fields(period = %code, unit = %unit))]
pub async fn close_unsubmitted(
    db: &Db,
    p: &Principal,
    code: &PeriodCode,
    unit: &UnitCode,
    reason: Option<&str>,
    now: OffsetDateTime,
) -> ServiceResult<Assessment> {
    require_manage(p, Some(code))?;
    let period = periods::get(db, code)
        .await?
        .ok_or_else(|| period_not_found(code))?;
    if !periods::members(db, code)
        .await?
        .iter()
        .any(|m| &m.unit == unit)
    {
        return Err(ServiceError::new(codes::PERIOD_NOT_MEMBER).arg("unit", unit));
    }
    let plan = milestones::get(db, code).await?;
    let phase = workflow::period_phase(period.status == periods::STATUS_PUBLISHED, &plan, now);
    let current = assessments::get(db, code, unit)
        .await?
        .unwrap_or_else(|| Assessment::not_started(code.clone(), unit.clone()));
    let ctx = Context {
        phase,
        reopened: current.reopened,
    };
    let step = Transition::CloseUnsubmitted;
    let state = match workflow::apply(current.state, step, ctx) {
        Ok(s) => s,
        Err(WorkflowError::DeadlineNotReached) => {
            return Err(ServiceError::new(codes::CLOSE_BEFORE_DEADLINE)
                .arg("unit", unit)
                .arg("deadline", self_deadline_day(&plan)));
        }
        Err(e) => return Err(crate::review::workflow_error(e).arg("unit", unit)),
    };
    let reason = reason
        .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let change = StateChange {
        state,
        reopened: workflow::reopened_after(step, current.reopened),
        reason: &reason,
    };
    match assessments::set_state(db, code, unit, current.version, &change, &actor(p), now).await {
        Ok(a) => Ok(a),
        Err(StoreError::Conflict(_)) => {
            Err(ServiceError::new(codes::STALE_VERSION).arg("current", current.version + 1))
        }
        Err(StoreError::Frozen(_)) => Err(published(code)),
        Err(StoreError::NotFound(_)) => Err(period_not_found(code)),
        Err(e) => Err(e.into()),
    }
}

/// Saves the period's milestones (audited by the store from the old plan to the new one).
/// The plan is checked again here, whoever typed it: every issue is returned, each naming the
/// milestone it concerns as its `field`.
pub async fn save_plan(
    db: &Db,
    p: &Principal,
    code: &PeriodCode,
    plan: &Milestones,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    require_manage(p, Some(code))?;
    let issues = plan.validate();
    if !issues.is_empty() {
        let problems: Vec<Problem> = issues
            .iter()
            .map(|i| Problem::new(codes::PLAN_INVALID).arg("field", format!("{i:?}")))
            .collect();
        return Err(ServiceError::new(codes::PLAN_INVALID)
            .arg("count", problems.len())
            .detail(Detail::Problems(problems)));
    }
    match milestones::set_all(db, code, plan, &actor(p), at).await {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound(_)) => Err(period_not_found(code)),
        Err(StoreError::Frozen(_)) => Err(published(code)),
        Err(e) => Err(e.into()),
    }
}
