//! The to-do list (việc cần làm): what awaits the signed-in person's action in every period
//! that is not published, derived from the roles they hold, the state of each assessment, the
//! explanation requests and the period's milestones.
//!
//! A task is listed while the workflow lets the person do it now ([`workflow::apply`] and the
//! `*_may_*` helpers decide, exactly as the pages that do the work), and also once its deadline
//! has passed without it being done (overdue), so that nothing late disappears silently. A
//! person sees only tasks on units and areas their own grants reach; nothing here reveals
//! anything about units outside them.

use std::collections::{BTreeSet, HashMap};

use chiso_domain::authz::{Action, AppraiserScope, Principal, Resource, Role, can};
use chiso_domain::text::compare_vi;
use chiso_domain::workflow::{
    self, AssessmentState, Context, LeafExplanation, Milestone, Milestones, Transition,
};
use chiso_domain::{PeriodCode, UnitCode};
use chiso_store::periods::{self, Period};
use chiso_store::{Db, assessments, explanations, milestones, units};
use time::OffsetDateTime;

use crate::error::ServiceResult;

/// What is to be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Enter the unit's self-assessment (officers and leaders).
    FillIn,
    /// Approve and submit the unit's self-assessment (leaders).
    Submit,
    /// Answer this many explanation requests (officers and leaders).
    Answer(usize),
    /// Appraise a submitted unit (appraisers in scope).
    Appraise,
    /// Re-appraise this many answered leaves (appraisers in scope).
    Reappraise(usize),
    /// Approve the appraisal of this many units (the council chair).
    Approve(usize),
    /// This many units are overdue (administrators).
    Overdue(usize),
}

/// One line of the to-do list.
#[derive(Debug, Clone)]
pub struct TodoItem {
    pub task: Task,
    pub period: PeriodCode,
    pub period_name: String,
    /// The unit concerned, with its name; `None` for tasks on the whole period.
    pub unit: Option<(UnitCode, String)>,
    /// The milestone by which it is due, and its instant.
    pub deadline: Option<(Milestone, OffsetDateTime)>,
    pub overdue: bool,
}

/// What the person's grants give them in one period.
#[derive(Debug, Default)]
struct Reach<'a> {
    officer: BTreeSet<&'a UnitCode>,
    leader: BTreeSet<&'a UnitCode>,
    scopes: Vec<&'a AppraiserScope>,
    chair: bool,
    admin: bool,
}

impl<'a> Reach<'a> {
    fn of(p: &'a Principal, period: &PeriodCode) -> Self {
        let mut reach = Reach {
            admin: can(p, Action::ManagePeriods, &Resource::Period(period.clone())),
            ..Reach::default()
        };
        for g in p.grants.iter().filter(|g| g.applies_to(Some(period))) {
            match &g.role {
                Role::UnitOfficer { unit } => {
                    reach.officer.insert(unit);
                }
                Role::UnitLeader { unit } => {
                    reach.leader.insert(unit);
                }
                Role::Appraiser { scope } => reach.scopes.push(scope),
                Role::CouncilChair => reach.chair = true,
                Role::Admin | Role::Observer => {}
            }
        }
        reach
    }

    fn is_empty(&self) -> bool {
        self.officer.is_empty()
            && self.leader.is_empty()
            && self.scopes.is_empty()
            && !self.chair
            && !self.admin
    }
}

/// Everything awaiting `p` at `now`, soonest deadline first (overdue tasks therefore first,
/// tasks without a deadline last).
pub async fn for_person(
    db: &Db,
    p: &Principal,
    now: OffsetDateTime,
) -> ServiceResult<Vec<TodoItem>> {
    let mut items = Vec::new();
    if p.grants.is_empty() {
        return Ok(items);
    }
    let names: HashMap<UnitCode, String> = units::list(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    for period in periods::list(db).await? {
        if period.status == periods::STATUS_PUBLISHED {
            continue;
        }
        let reach = Reach::of(p, &period.code);
        if reach.is_empty() {
            continue;
        }
        period_tasks(db, &period, &reach, &names, now, &mut items).await?;
    }
    items.sort_by(|a, b| {
        let when = |i: &TodoItem| i.deadline.map(|(_, at)| at);
        match (when(a), when(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| b.period.cmp(&a.period))
        .then_with(|| {
            let name = |i: &TodoItem| i.unit.as_ref().map_or("", |(_, n)| n.as_str()).to_owned();
            compare_vi(&name(a), &name(b))
        })
    });
    Ok(items)
}

async fn period_tasks(
    db: &Db,
    period: &Period,
    reach: &Reach<'_>,
    names: &HashMap<UnitCode, String>,
    now: OffsetDateTime,
    items: &mut Vec<TodoItem>,
) -> ServiceResult<()> {
    let code = &period.code;
    let members = periods::members(db, code).await?;
    let plan = milestones::get(db, code).await?;
    let phase = workflow::period_phase(period.status == periods::STATUS_PUBLISHED, &plan, now);
    let stored = assessments::list(db, code).await?;
    let requests = if reach.officer.is_empty() && reach.leader.is_empty() && reach.scopes.is_empty()
    {
        Vec::new()
    } else {
        explanations::list(db, code, None).await?
    };
    let name_of = |u: &UnitCode| names.get(u).cloned().unwrap_or_else(|| u.to_string());
    let item =
        |task, unit: Option<&UnitCode>, deadline: Option<(Milestone, OffsetDateTime)>| TodoItem {
            task,
            period: code.clone(),
            period_name: period.name.clone(),
            unit: unit.map(|u| (u.clone(), name_of(u))),
            overdue: deadline.is_some_and(|(_, at)| at <= now),
            deadline,
        };
    let due =
        |m: Milestone, reopened: bool| (!reopened).then(|| plan.get(m).map(|at| (m, at))).flatten();
    let is_member = |u: &UnitCode| members.iter().any(|m| &m.unit == u);
    let mut ready_for_approval = 0;
    let mut overdue: Vec<OffsetDateTime> = Vec::new();

    for a in stored.iter().filter(|a| is_member(&a.unit)) {
        let unit = &a.unit;
        let ctx = Context {
            phase,
            reopened: a.reopened,
        };
        let reached = |d: Option<(Milestone, OffsetDateTime)>| d.is_some_and(|(_, at)| at <= now);

        if reach.officer.contains(unit) || reach.leader.contains(unit) {
            match a.state {
                AssessmentState::NotStarted | AssessmentState::Draft => {
                    let submit = reach.leader.contains(unit) && a.state == AssessmentState::Draft;
                    let (task, allowed) = if submit {
                        (Task::Submit, workflow::unit_may_submit(a.state, ctx))
                    } else {
                        (Task::FillIn, workflow::unit_may_edit(a.state, ctx))
                    };
                    let deadline = due(Milestone::SelfClose, a.reopened);
                    if allowed || reached(deadline) {
                        items.push(item(task, Some(unit), deadline));
                    }
                }
                AssessmentState::ExplanationRequested | AssessmentState::Explained => {
                    let open = requests
                        .iter()
                        .filter(|r| &r.key.unit == unit && r.status == LeafExplanation::Requested)
                        .count();
                    let allowed =
                        workflow::unit_may_answer(a.state, ctx, LeafExplanation::Requested);
                    let deadline = due(Milestone::ExplanationClose, a.reopened);
                    if open > 0 && (allowed || reached(deadline)) {
                        items.push(item(Task::Answer(open), Some(unit), deadline));
                    }
                }
                _ => {}
            }
        }

        let scopes: Vec<&AppraiserScope> = reach
            .scopes
            .iter()
            .copied()
            .filter(|s| s.covers_unit(unit))
            .collect();
        if !scopes.is_empty() {
            match a.state {
                AssessmentState::Submitted | AssessmentState::ClosedUnsubmitted => {
                    let allowed = workflow::apply(a.state, Transition::StartAppraisal, ctx).is_ok();
                    let deadline = due(Milestone::AppraisalClose, a.reopened);
                    if allowed || reached(deadline) {
                        items.push(item(Task::Appraise, Some(unit), deadline));
                    }
                }
                // Appraised and awaiting approval once the appraisal window has closed.
                AssessmentState::UnderAppraisal
                    if workflow::apply(a.state, Transition::Appraise, ctx).is_ok() =>
                {
                    let deadline = due(Milestone::AppraisalClose, a.reopened);
                    items.push(item(Task::Appraise, Some(unit), deadline));
                }
                AssessmentState::Explained => {
                    let answered = requests
                        .iter()
                        .filter(|r| &r.key.unit == unit && r.status == LeafExplanation::Answered)
                        .filter(|r| scopes.iter().any(|s| s.covers_node(&r.key.node)))
                        .count();
                    let allowed =
                        workflow::appraiser_may_edit(a.state, ctx, LeafExplanation::Answered);
                    if answered > 0 && allowed {
                        let deadline = due(Milestone::Approval, a.reopened);
                        items.push(item(Task::Reappraise(answered), Some(unit), deadline));
                    }
                }
                _ => {}
            }
        }

        if reach.chair && workflow::apply(a.state, Transition::Finalise, ctx).is_ok() {
            ready_for_approval += 1;
        }
        if reach.admin
            && let Some((_, at)) = chiso_domain::workflow::deadline(a.state, a.reopened, &plan)
            && at <= now
        {
            overdue.push(at);
        }
    }
    if ready_for_approval > 0 {
        let deadline = due(Milestone::Publication, false);
        items.push(item(Task::Approve(ready_for_approval), None, deadline));
    }
    if let Some(first) = overdue.iter().min() {
        let mut it = item(Task::Overdue(overdue.len()), None, None);
        it.deadline = earliest(&plan, *first);
        it.overdue = true;
        items.push(it);
    }
    Ok(())
}

/// The milestone reached at `at` (the earliest deadline an overdue unit missed).
fn earliest(plan: &Milestones, at: OffsetDateTime) -> Option<(Milestone, OffsetDateTime)> {
    plan.set().into_iter().find(|(_, t)| *t == at)
}

/// A page a person works on in a period still open, whether or not a task awaits them there
/// today: so that the chair finds the approval page and an appraiser the list of units before
/// any unit has submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The self-assessment of one unit (its officers and leaders).
    SelfAssessment(UnitCode, String),
    /// The appraisal list of the period (appraisers, the chair, administrators).
    Appraisal,
    /// The approval page (the chair, administrators).
    Approval,
}

/// One shortcut of the to-do page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortcut {
    pub period: PeriodCode,
    pub period_name: String,
    pub place: Place,
}

/// The pages `p`'s roles lead to in every period not yet published, newest period first;
/// units outside the period are left out.
pub async fn shortcuts(db: &Db, p: &Principal) -> ServiceResult<Vec<Shortcut>> {
    let mut out = Vec::new();
    if p.grants.is_empty() {
        return Ok(out);
    }
    let names: HashMap<UnitCode, String> = units::list(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let mut list = periods::list(db).await?;
    list.sort_by(|a, b| b.year.cmp(&a.year).then_with(|| b.code.cmp(&a.code)));
    for period in list {
        if period.status == periods::STATUS_PUBLISHED {
            continue;
        }
        let reach = Reach::of(p, &period.code);
        if reach.is_empty() {
            continue;
        }
        let at = |place| Shortcut {
            period: period.code.clone(),
            period_name: period.name.clone(),
            place,
        };
        let members = periods::members(db, &period.code).await?;
        let own: BTreeSet<&UnitCode> = reach.officer.union(&reach.leader).copied().collect();
        for unit in own {
            if members.iter().any(|m| &m.unit == unit) {
                let name = names.get(unit).cloned().unwrap_or_else(|| unit.to_string());
                out.push(at(Place::SelfAssessment(unit.clone(), name)));
            }
        }
        if reach.admin || reach.chair || !reach.scopes.is_empty() {
            out.push(at(Place::Appraisal));
        }
        if reach.admin || reach.chair {
            out.push(at(Place::Approval));
        }
    }
    Ok(out)
}
