//! Appraisal, explanation requests, approval, reopening and the change log: the use cases of
//! the appraisers, the council chair and the administrator, the same for pages, the API and
//! the CLI. Every function takes typed values and the acting [`Principal`], asks
//! [`authorize`] *who* may act and [`workflow::apply`] *when*, and only then calls the store,
//! which audits each change in the same transaction.
//!
//! Refusals are [`ServiceError`] codes with arguments: a missing permission keeps its reason
//! (`denied_out_of_scope`, …); a workflow refusal is one `workflow_*` code
//! ([`workflow_error`], the one translation of [`WorkflowError`]); a value or a missing
//! comment is an `appraisal_*` code naming its `field`; a save based on a stale version is
//! [`codes::APPRAISAL_STALE`], with who saved the value now stored, when, and the value.
//!
//! What the caller may do is computed here once ([`FilePermissions`], `may_*` flags), so the
//! adapters present results without asking the authorization matrix again.

use std::collections::{BTreeMap, HashMap, HashSet};

use chiso_domain::authz::{Action, Principal, Resource};
use chiso_domain::completeness::{self, Acceptance, Gap, GapKind};
use chiso_domain::fmt::{vi_date, vi_plain};
use chiso_domain::notify::Event;
use chiso_domain::number::{NumberError, TypedError, vi_input};
use chiso_domain::workflow::{
    self, AppraisalEntry as Appraised, AssessmentState, Context, LeafExplanation, Phase,
    Transition, VN_OFFSET, Window, WorkflowError,
};
use chiso_domain::{GroupName, IndexSet, Node, NodeCode, PeriodCode, Points, Source, UnitCode};
use chiso_store::assessments::{self, AcceptedGap, Assessment, Expected, StateChange};
use chiso_store::audit::{self, AuditEntry, AuditFilter};
use chiso_store::evidence::{self, Evidence};
use chiso_store::explanations::{self, ExplanationRequest};
use chiso_store::leaves::{self, AppraisalEntry, LeafKey, StoredLeaf};
use chiso_store::outbox::Outgoing;
use chiso_store::periods::{self, Period};
use chiso_store::{Actor, Db, StoreError, index_sets, milestones, scores, units};
use time::OffsetDateTime;

use crate::authz::authorize;

/// The stored records the results of this module carry, named here so that adapters present
/// them without depending on the store.
pub mod records {
    pub use chiso_store::assessments::Assessment;
    pub use chiso_store::audit::AuditEntry;
    pub use chiso_store::evidence::Evidence;
    pub use chiso_store::explanations::ExplanationRequest;
    pub use chiso_store::leaves::StoredLeaf;
    pub use chiso_store::periods::Period;
}
use crate::codes;
use crate::compute::PeriodBasis;
use crate::error::{Detail, Kind, Problem, ServiceError, ServiceResult};
use crate::outbox;

/// The one translation of a workflow refusal into a code, so that every adapter says the same
/// thing about the same step.
pub fn workflow_error(e: WorkflowError) -> ServiceError {
    ServiceError::new(match e {
        WorkflowError::NotOpen(w) => match w {
            Window::SelfAssessment => codes::WORKFLOW_NOT_OPEN_SELF,
            Window::Appraisal => codes::WORKFLOW_NOT_OPEN_APPRAISAL,
            Window::Explanation => codes::WORKFLOW_NOT_OPEN_EXPLANATION,
            Window::Reappraisal => codes::WORKFLOW_NOT_OPEN_REAPPRAISAL,
            Window::Approval => codes::WORKFLOW_NOT_OPEN_APPROVAL,
        },
        WorkflowError::Closed(w) => match w {
            Window::SelfAssessment => codes::WORKFLOW_CLOSED_SELF,
            Window::Appraisal => codes::WORKFLOW_CLOSED_APPRAISAL,
            Window::Explanation => codes::WORKFLOW_CLOSED_EXPLANATION,
            Window::Reappraisal => codes::WORKFLOW_CLOSED_REAPPRAISAL,
            Window::Approval => codes::WORKFLOW_CLOSED_APPROVAL,
        },
        WorkflowError::AlreadySubmitted => codes::WORKFLOW_ALREADY_SUBMITTED,
        WorkflowError::NothingToSubmit => codes::WORKFLOW_NOTHING_TO_SUBMIT,
        WorkflowError::NotSubmitted => codes::WORKFLOW_NOT_SUBMITTED,
        WorkflowError::AppraisalNotStarted => codes::WORKFLOW_APPRAISAL_NOT_STARTED,
        WorkflowError::AppraisalAlreadyStarted => codes::WORKFLOW_APPRAISAL_ALREADY_STARTED,
        WorkflowError::ExplanationRoundOver => codes::WORKFLOW_EXPLANATION_ROUND_OVER,
        WorkflowError::NoExplanationRequested => codes::WORKFLOW_NO_EXPLANATION_REQUESTED,
        WorkflowError::NotAppraised => codes::WORKFLOW_NOT_APPRAISED,
        WorkflowError::Locked => codes::WORKFLOW_LOCKED,
        WorkflowError::Published => codes::WORKFLOW_PUBLISHED,
        WorkflowError::NothingToReopen => codes::WORKFLOW_NOTHING_TO_REOPEN,
        WorkflowError::DeadlineNotReached => codes::WORKFLOW_DEADLINE_NOT_REACHED,
        WorkflowError::ClosedUnsubmitted => codes::WORKFLOW_CLOSED_UNSUBMITTED,
        WorkflowError::AlreadyClosed => codes::WORKFLOW_ALREADY_CLOSED,
    })
}

/// `dd/mm/yyyy HH:MM` in Vietnam time: when a change was made, as arguments carry it.
pub(crate) fn vi_datetime(at: OffsetDateTime) -> String {
    let at = at.to_offset(VN_OFFSET);
    format!("{} {:02}:{:02}", vi_date(at.date()), at.hour(), at.minute())
}

/// True when `p` may take `action` on `resource`: the permissions results carry.
fn allowed(p: &Principal, action: Action, resource: &Resource) -> bool {
    authorize(p, action, resource).is_ok()
}

fn actor(p: &Principal) -> Actor {
    Actor(p.login.clone())
}

fn leaf_resource(period: &PeriodCode, unit: &UnitCode, node: &NodeCode) -> Resource {
    Resource::Leaf {
        period: period.clone(),
        unit: unit.clone(),
        node: node.clone(),
    }
}

fn unit_resource(period: &PeriodCode, unit: &UnitCode) -> Resource {
    Resource::UnitAssessment {
        period: period.clone(),
        unit: unit.clone(),
    }
}

/// A store refusal of a change: a published period says so with its code; the rest as the
/// store's.
fn write_error(period: &PeriodCode, e: StoreError) -> ServiceError {
    match e {
        StoreError::Frozen(_) => ServiceError::new(codes::REVIEW_PERIOD_PUBLISHED)
            .arg("period", period)
            .source(e),
        e => e.into(),
    }
}

/// Leaves appraisers score: self-assessed leaves and the bonus and deduction blocks. Survey
/// and data leaves get their points from surveys and monitoring data instead.
pub fn appraisable(source: Source) -> bool {
    matches!(source, Source::Assessed | Source::Bonus | Source::Deduction)
}

/// The points that count for a leaf: the appraised value once appraised, else the unit's own.
pub fn official_points(leaf: Option<&StoredLeaf>) -> Option<Points> {
    leaf.and_then(|l| l.official().1)
}

/// The period, or `period_not_found`.
async fn period_of(db: &Db, period: &PeriodCode) -> ServiceResult<Period> {
    periods::get(db, period)
        .await?
        .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", period))
}

/// The period's phase now: from its milestones, and published once the period is.
async fn phase_of(db: &Db, period: &Period, now: OffsetDateTime) -> ServiceResult<Phase> {
    let plan = milestones::get(db, &period.code).await?;
    Ok(chiso_domain::workflow::period_phase(
        period.status == periods::STATUS_PUBLISHED,
        &plan,
        now,
    ))
}

/// The stored assessment, or a not-started one at version 0.
async fn assessment_of(db: &Db, period: &PeriodCode, unit: &UnitCode) -> ServiceResult<Assessment> {
    Ok(assessments::get(db, period, unit)
        .await?
        .unwrap_or_else(|| Assessment::not_started(period.clone(), unit.clone())))
}

/// What the person who loaded a [`UnitFile`] may do with it, decided once through
/// [`authorize`] so that pages and the API do not ask again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilePermissions {
    /// Leaves the person may see (an appraiser assigned by area: those areas' leaves).
    pub visible: HashSet<NodeCode>,
    /// Leaves the person holds the permission to appraise (whatever the time).
    pub appraise: HashSet<NodeCode>,
    /// Leaves the person holds the permission to question.
    pub request: HashSet<NodeCode>,
    /// The person may reopen the unit's assessment (the administrator).
    pub may_reopen: bool,
    /// The person may read the whole audit log of the unit.
    pub may_view_audit: bool,
}

/// Everything about one unit's assessment in one period that the appraisal pages show, with
/// what the person who loaded it may do.
#[derive(Debug, Clone)]
pub struct UnitFile {
    /// The period.
    pub period: Period,
    /// The unit.
    pub unit: UnitCode,
    /// Its name (its code when no name is stored).
    pub unit_name: String,
    /// Its group in the period.
    pub group: GroupName,
    /// The index set of its group.
    pub set: IndexSet,
    /// Its assessment (not started, version 0, when none is stored).
    pub assessment: Assessment,
    /// The period's phase when the file was loaded.
    pub phase: Phase,
    /// Its stored leaves.
    pub leaves: HashMap<NodeCode, StoredLeaf>,
    /// Explanation requests, by leaf.
    pub requests: HashMap<NodeCode, ExplanationRequest>,
    /// Documents attached, by leaf.
    pub evidence: HashMap<NodeCode, Vec<Evidence>>,
    /// What the loader's principal may do.
    pub may: FilePermissions,
    /// Display names by login, to say who entered, appraised or asked.
    pub names: HashMap<String, String>,
}

impl UnitFile {
    /// What the workflow judges steps against.
    pub fn context(&self) -> Context {
        Context {
            phase: self.phase,
            reopened: self.assessment.reopened,
        }
    }

    /// Whether an explanation was requested on the leaf, and answered.
    pub fn explanation(&self, node: &NodeCode) -> LeafExplanation {
        self.requests
            .get(node)
            .map_or(LeafExplanation::NotRequested, |r| r.status)
    }

    /// The leaves the person may see, in tree order.
    pub fn visible_leaves(&self) -> Vec<&Node> {
        self.set
            .leaves()
            .into_iter()
            .filter(|n| self.may.visible.contains(&n.code))
            .collect()
    }

    /// True when the person holds the permission to appraise this leaf (whatever the time).
    pub fn may_appraise(&self, node: &Node) -> bool {
        self.may.appraise.contains(&node.code)
    }

    /// True when the person holds the permission to request an explanation on this leaf.
    pub fn may_request(&self, node: &Node) -> bool {
        self.may.request.contains(&node.code)
    }

    /// Why the leaf's appraised value cannot change now; `None` when it can.
    pub fn appraisal_blocked(&self, node: &NodeCode) -> Option<ServiceError> {
        let state = self.assessment.state;
        let leaf = self.explanation(node);
        if workflow::appraiser_may_edit(state, self.context(), leaf) {
            return None;
        }
        let step = if state.awaits_appraisal() {
            Transition::StartAppraisal
        } else {
            Transition::Appraise
        };
        Some(match workflow::apply(state, step, self.context()) {
            Err(e) => workflow_error(e),
            // Re-appraisal after the explanation round touches only the answered leaves.
            Ok(_) => ServiceError::new(codes::REAPPRAISAL_ONLY_ANSWERED).arg("node", node),
        })
    }

    /// Why an explanation cannot be requested on the leaf now; `None` when it can.
    pub fn request_blocked(&self, node: &NodeCode) -> Option<ServiceError> {
        let state = self.assessment.state;
        let leaf = self.explanation(node);
        if workflow::appraiser_may_request(state, self.context(), leaf) {
            return None;
        }
        if leaf != LeafExplanation::NotRequested {
            return Some(ServiceError::new(codes::EXPLANATION_ALREADY_REQUESTED).arg("node", node));
        }
        Some(
            workflow::apply(state, Transition::RequestExplanation, self.context())
                .err()
                .map_or_else(
                    || ServiceError::new(codes::WORKFLOW_NOT_APPRAISED),
                    workflow_error,
                ),
        )
    }

    /// The leaf `node` of the unit's set, or `leaf_not_in_set`.
    fn leaf(&self, node: &NodeCode) -> ServiceResult<&Node> {
        self.set.find(node).filter(|n| n.is_leaf()).ok_or_else(|| {
            ServiceError::new(codes::LEAF_NOT_IN_SET)
                .arg("node", node)
                .arg("set", &self.set.code)
        })
    }
}

/// Loads one unit's assessment for `p`: `period_not_found`, `unit_not_in_period`, or a
/// `denied_*` code when `p` may not view the unit's assessment.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub async fn unit_file(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    now: OffsetDateTime,
) -> ServiceResult<UnitFile> {
    let per = period_of(db, period).await?;
    authorize(p, Action::ViewAssessment, &unit_resource(period, unit))?;
    load(db, p, per, unit, now).await
}

/// [`unit_file`] without the permission check; the permissions are those of `p`.
async fn load(
    db: &Db,
    p: &Principal,
    period: Period,
    unit: &UnitCode,
    now: OffsetDateTime,
) -> ServiceResult<UnitFile> {
    let code = period.code.clone();
    let not_in_period = || {
        ServiceError::new(codes::UNIT_NOT_IN_PERIOD)
            .arg("period", &code)
            .arg("unit", unit)
    };
    let member = periods::members(db, &code)
        .await?
        .into_iter()
        .find(|m| &m.unit == unit)
        .ok_or_else(not_in_period)?;
    let set_code = periods::groups(db, &code)
        .await?
        .into_iter()
        .find(|(g, _)| g == &member.group)
        .map(|(_, s)| s)
        .ok_or_else(not_in_period)?;
    let set = index_sets::get(db, &set_code)
        .await?
        .ok_or_else(not_in_period)?;
    let unit_name = units::get(db, unit)
        .await?
        .map_or_else(|| unit.to_string(), |u| u.name);
    let phase = phase_of(db, &period, now).await?;
    let assessment = assessment_of(db, &code, unit).await?;
    let leaves = leaves::list(db, &code, unit)
        .await?
        .into_iter()
        .map(|l| (l.key.node.clone(), l))
        .collect();
    let requests = explanations::list(db, &code, Some(unit))
        .await?
        .into_iter()
        .map(|r| (r.key.node.clone(), r))
        .collect();
    let mut evidence: HashMap<NodeCode, Vec<Evidence>> = HashMap::new();
    for e in evidence::list(db, &code, unit, None, false).await? {
        evidence.entry(e.key.node.clone()).or_default().push(e);
    }
    let may = permissions(p, &code, unit, &set);
    Ok(UnitFile {
        period,
        unit: unit.clone(),
        unit_name,
        group: member.group,
        set,
        assessment,
        phase,
        leaves,
        requests,
        evidence,
        may,
        names: crate::dossier::names(db).await?,
    })
}

/// What `p` may do with the unit's file, leaf by leaf.
fn permissions(
    p: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    set: &IndexSet,
) -> FilePermissions {
    let mut may = FilePermissions::default();
    for n in set.leaves() {
        let r = leaf_resource(period, unit, &n.code);
        if allowed(p, Action::ViewAssessment, &r) {
            may.visible.insert(n.code.clone());
        }
        if appraisable(n.source) && allowed(p, Action::Appraise, &r) {
            may.appraise.insert(n.code.clone());
        }
        if allowed(p, Action::RequestExplanation, &r) {
            may.request.insert(n.code.clone());
        }
    }
    let whole = unit_resource(period, unit);
    may.may_reopen = allowed(p, Action::Reopen, &whole);
    may.may_view_audit = allowed(p, Action::ViewAudit, &whole);
    may
}

/// Takes one workflow step on the unit's assessment and saves it, reading the state afresh; if
/// someone else moved the assessment between the read and the write, reads and decides once
/// more.
#[allow(clippy::too_many_arguments)]
async fn advance(
    db: &Db,
    file: &UnitFile,
    step: Transition,
    reason: &str,
    outgoing: &[Outgoing],
    actor: &Actor,
    now: OffsetDateTime,
) -> ServiceResult<Assessment> {
    let (period, unit) = (&file.period.code, &file.unit);
    let mut attempt = 0;
    loop {
        let a = assessment_of(db, period, unit).await?;
        let ctx = Context {
            phase: file.phase,
            reopened: a.reopened,
        };
        let to = workflow::apply(a.state, step, ctx).map_err(workflow_error)?;
        let change = StateChange {
            state: to,
            reopened: workflow::reopened_after(step, a.reopened),
            reason,
        };
        let saved = assessments::set_state_and_notify(
            db, period, unit, a.version, &change, outgoing, actor, now,
        )
        .await;
        match saved {
            Ok(saved) => return Ok(saved),
            Err(StoreError::Conflict(_)) if attempt == 0 => attempt += 1,
            Err(e) => return Err(write_error(period, e)),
        }
    }
}

/// Saving one leaf's appraised value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveAppraisal {
    /// The period.
    pub period: PeriodCode,
    /// The appraised unit.
    pub unit: UnitCode,
    /// The leaf.
    pub leaf: NodeCode,
    /// The value as typed, read by the leaf's scoring method ("có", "45/47", "2,5"…).
    pub value: String,
    /// The appraiser's comment (nhận xét); required when the points differ from the unit's.
    pub comment: String,
    /// The leaf's appraisal version the value is based on (0: never appraised).
    pub expected_version: i64,
}

/// The refusal of a stale save: who changed the value meanwhile, when, what it is now and
/// its version.
fn stale(leaf: Option<&StoredLeaf>, node: &NodeCode) -> ServiceError {
    let (by, at, value) = match leaf {
        Some(l) if l.is_appraised() => (
            l.appraised_by.clone().unwrap_or_default(),
            l.appraised_at.map(vi_datetime).unwrap_or_default(),
            l.appraisal
                .points
                .map_or_else(String::new, |p| vi_plain(p.value())),
        ),
        _ => (String::new(), String::new(), String::new()),
    };
    ServiceError::new(codes::APPRAISAL_STALE)
        .arg("node", node)
        .arg("by", by)
        .arg("at", at)
        .arg("points", value)
        .arg("current", leaf.map_or(0, |l| l.appraisal_version))
}

/// The refusal of a number typed for `node`, with both readings of an ambiguous one.
fn number_error(node: &NodeCode, e: &NumberError) -> ServiceError {
    match e {
        NumberError::NotANumber(v) => ServiceError::new(codes::APPRAISAL_NOT_A_NUMBER)
            .arg("field", "value")
            .arg("node", node)
            .arg("value", v),
        NumberError::NotWhole(v) => ServiceError::new(codes::APPRAISAL_NOT_WHOLE)
            .arg("field", "value")
            .arg("node", node)
            .arg("value", v),
        NumberError::Ambiguous {
            typed,
            thousands,
            decimal,
        } => ServiceError::new(codes::APPRAISAL_AMBIGUOUS_NUMBER)
            .arg("field", "value")
            .arg("node", node)
            .arg("value", typed)
            .arg("thousands", vi_input(*thousands))
            .arg("decimal", vi_input(*decimal)),
    }
}

/// Saves the appraised value of one leaf (the first value of a submitted assessment starts
/// its appraisal).
#[tracing::instrument(skip_all, fields(period = %cmd.period, unit = %cmd.unit, node = %cmd.leaf))]
pub async fn save_appraisal(
    db: &Db,
    p: &Principal,
    cmd: &SaveAppraisal,
    now: OffsetDateTime,
) -> ServiceResult<()> {
    let (period, unit, node) = (&cmd.period, &cmd.unit, &cmd.leaf);
    authorize(p, Action::Appraise, &leaf_resource(period, unit, node))?;
    let file = load(db, p, period_of(db, period).await?, unit, now).await?;
    let leaf = file.leaf(node)?;
    let Some(method) = leaf.method.as_ref().filter(|_| appraisable(leaf.source)) else {
        return Err(ServiceError::new(codes::LEAF_NOT_APPRAISED_SOURCE).arg("node", node));
    };
    if let Some(e) = file.appraisal_blocked(node) {
        return Err(e);
    }
    let value = cmd.value.trim();
    if value.is_empty() {
        return Err(ServiceError::new(codes::APPRAISAL_VALUE_REQUIRED)
            .arg("field", "value")
            .arg("node", node));
    }
    let invalid = |e: chiso_domain::InputError| {
        ServiceError::new(codes::APPRAISAL_VALUE_INVALID)
            .arg("field", "value")
            .arg("node", node)
            .arg("detail", e)
    };
    let raw = chiso_domain::number::parse_typed(method, value).map_err(|e| match e {
        TypedError::Number(e) => number_error(node, &e),
        TypedError::Input(e) => invalid(e),
    })?;
    let outcome = method
        .score(leaf.max, leaf.source, leaf.not_applicable, &raw)
        .map_err(invalid)?;
    let stored = file.leaves.get(node);
    let self_points = stored.and_then(|l| l.self_assessment.points);
    let comment = cmd.comment.trim();
    if workflow::check_appraisal(&Appraised {
        self_points,
        appraised: outcome.points,
        comment,
    })
    .is_err()
    {
        return Err(ServiceError::new(codes::APPRAISAL_COMMENT_REQUIRED)
            .arg("field", "comment")
            .arg("node", node)
            .arg("appraised", vi_plain(outcome.points.value()))
            .arg(
                "self",
                self_points.map_or_else(|| "—".to_owned(), |p| vi_plain(p.value())),
            ));
    }
    let current = stored.map_or(0, |l| l.appraisal_version);
    if current != cmd.expected_version {
        return Err(stale(stored, node));
    }
    let entry = AppraisalEntry {
        input: Some(raw),
        points: Some(outcome.points),
        comment: Some(comment.to_owned()).filter(|c| !c.is_empty()),
    };
    let key = LeafKey {
        period: period.clone(),
        unit: unit.clone(),
        node: node.clone(),
    };
    let who = actor(p);
    match leaves::save_appraisal(db, &key, &entry, cmd.expected_version, &who, now).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            let now_stored = leaves::get(db, &key).await?;
            return Err(stale(now_stored.as_ref(), node));
        }
        Err(e) => return Err(write_error(period, e)),
    }
    start_appraisal(db, &file, &who, now).await
}

/// The first appraised value starts the appraisal of a submitted assessment.
async fn start_appraisal(
    db: &Db,
    file: &UnitFile,
    who: &Actor,
    now: OffsetDateTime,
) -> ServiceResult<()> {
    if file.assessment.state.awaits_appraisal() {
        match advance(db, file, Transition::StartAppraisal, "", &[], who, now).await {
            // Another appraiser started the appraisal meanwhile: the value is saved all the same.
            Ok(_) => {}
            Err(e) if matches!(e.kind(), Kind::Conflict | Kind::Invalid) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The reason recorded with each value an appraiser confirms as the unit gave it.
pub const CONFIRM_REASON: &str = "Đồng ý với tự đánh giá";

/// An appraiser agreeing with the unit's own values ("đồng ý với tự đánh giá").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmSelf {
    /// The period.
    pub period: PeriodCode,
    /// The appraised unit.
    pub unit: UnitCode,
    /// The leaves confirmed (one leaf, an area's leaves); empty: every leaf the appraiser may
    /// appraise now that has the unit's value and no appraised value yet.
    pub leaves: Vec<NodeCode>,
}

/// The appraiser takes the unit's self-assessed value as the appraised value of each leaf
/// asked for, so confirming a unit does not mean typing every value again. Each leaf is
/// saved as an appraisal equal to the unit's value (no comment needed, since the points are
/// the same), audited with [`CONFIRM_REASON`], all in **one** transaction; the appraisal
/// starts as with a single value. Named leaves must each be appraisable by the person now and
/// carry the unit's value (otherwise the refusal names the leaf and nothing is saved); leaves
/// already appraised are left as they are. With no leaves named, every leaf in the person's
/// scope that may be appraised now, has the unit's value and no appraisal is confirmed.
/// `appraisal_nothing_to_confirm` when that leaves nothing. Returns how many were confirmed.
#[tracing::instrument(skip_all, fields(period = %cmd.period, unit = %cmd.unit, n = cmd.leaves.len()))]
pub async fn confirm_self(
    db: &Db,
    p: &Principal,
    cmd: &ConfirmSelf,
    now: OffsetDateTime,
) -> ServiceResult<usize> {
    let (period, unit) = (&cmd.period, &cmd.unit);
    let file = load(db, p, period_of(db, period).await?, unit, now).await?;
    let named = !cmd.leaves.is_empty();
    let candidates: Vec<&Node> = if named {
        cmd.leaves
            .iter()
            .map(|n| file.leaf(n))
            .collect::<ServiceResult<_>>()?
    } else {
        file.set.leaves()
    };
    let mut batch = Vec::new();
    for leaf in candidates {
        let node = &leaf.code;
        if named {
            authorize(p, Action::Appraise, &leaf_resource(period, unit, node))?;
        } else if !file.may_appraise(leaf) {
            continue;
        }
        if !appraisable(leaf.source) {
            if named {
                return Err(ServiceError::new(codes::LEAF_NOT_APPRAISED_SOURCE).arg("node", node));
            }
            continue;
        }
        if let Some(e) = file.appraisal_blocked(node) {
            // A closed window refuses the whole confirmation; leaves the round does not
            // reopen are simply not part of an unnamed one.
            if named || !e.is(codes::REAPPRAISAL_ONLY_ANSWERED) {
                return Err(e);
            }
            continue;
        }
        let stored = file.leaves.get(node);
        if stored.is_some_and(StoredLeaf::is_appraised) {
            continue;
        }
        let Some(own) = stored.filter(|l| l.self_assessment.input.is_some()) else {
            if named {
                return Err(ServiceError::new(codes::APPRAISAL_NO_SELF_VALUE).arg("node", node));
            }
            continue;
        };
        batch.push(leaves::Appraisal {
            key: LeafKey {
                period: period.clone(),
                unit: unit.clone(),
                node: node.clone(),
            },
            entry: AppraisalEntry {
                input: own.self_assessment.input.clone(),
                points: own.self_assessment.points,
                comment: None,
            },
            expected_version: own.appraisal_version,
        });
    }
    if batch.is_empty() {
        return Err(ServiceError::new(codes::APPRAISAL_NOTHING_TO_CONFIRM).arg("unit", unit));
    }
    let who = actor(p);
    let n = match leaves::save_appraisals(db, &batch, CONFIRM_REASON, &who, now).await {
        Ok(n) => n,
        Err(StoreError::Conflict(_)) => {
            return Err(ServiceError::new(codes::APPRAISAL_CONFIRM_CONFLICT).arg("unit", unit));
        }
        Err(e) => return Err(write_error(period, e)),
    };
    start_appraisal(db, &file, &who, now).await?;
    Ok(n)
}

/// Asking the unit to explain one leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestExplanation {
    /// The period.
    pub period: PeriodCode,
    /// The unit asked.
    pub unit: UnitCode,
    /// The leaf questioned.
    pub leaf: NodeCode,
    /// What the unit is asked to explain.
    pub question: String,
}

/// Asks the unit to explain one leaf; the assessment moves to "explanation requested".
#[tracing::instrument(skip_all, fields(period = %cmd.period, unit = %cmd.unit, node = %cmd.leaf))]
pub async fn request_explanation(
    db: &Db,
    p: &Principal,
    cmd: &RequestExplanation,
    now: OffsetDateTime,
) -> ServiceResult<()> {
    let (period, unit, node) = (&cmd.period, &cmd.unit, &cmd.leaf);
    authorize(
        p,
        Action::RequestExplanation,
        &leaf_resource(period, unit, node),
    )?;
    let file = load(db, p, period_of(db, period).await?, unit, now).await?;
    file.leaf(node)?;
    let text = cmd.question.trim();
    if text.is_empty() {
        return Err(ServiceError::new(codes::EXPLANATION_QUESTION_REQUIRED).arg("field", "request"));
    }
    if let Some(e) = file.request_blocked(node) {
        return Err(e);
    }
    let key = LeafKey {
        period: period.clone(),
        unit: unit.clone(),
        node: node.clone(),
    };
    let who = actor(p);
    match explanations::request(db, &key, text, &who, now).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(ServiceError::new(codes::EXPLANATION_ALREADY_REQUESTED).arg("node", node));
        }
        Err(e) => return Err(write_error(period, e)),
    }
    let reason = format!("Yêu cầu giải trình tiêu chí {node}");
    let told = outbox::outgoing(
        db,
        Event::ExplanationRequested {
            period: period.clone(),
            unit: unit.clone(),
            leaf: node.clone(),
        },
    )
    .await?;
    advance(
        db,
        &file,
        Transition::RequestExplanation,
        &reason,
        &[told],
        &who,
        now,
    )
    .await?;
    Ok(())
}

/// Reopening one unit's assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reopen {
    /// The period.
    pub period: PeriodCode,
    /// The unit reopened.
    pub unit: UnitCode,
    /// Why; required and kept in the audit log.
    pub reason: String,
}

/// The administrator reopens one unit's assessment; the reason is required and recorded in
/// the audit log with the change of state.
#[tracing::instrument(skip_all, fields(period = %cmd.period, unit = %cmd.unit))]
pub async fn reopen(
    db: &Db,
    p: &Principal,
    cmd: &Reopen,
    now: OffsetDateTime,
) -> ServiceResult<()> {
    authorize(p, Action::Reopen, &unit_resource(&cmd.period, &cmd.unit))?;
    let file = load(db, p, period_of(db, &cmd.period).await?, &cmd.unit, now).await?;
    let reason = cmd.reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::new(codes::REOPEN_REASON_REQUIRED).arg("field", "reason"));
    }
    advance(db, &file, Transition::Reopen, reason, &[], &actor(p), now).await?;
    Ok(())
}

/// One unit of the period as the list of appraisals shows it.
#[derive(Debug, Clone)]
pub struct ListRow {
    /// The unit.
    pub unit: UnitCode,
    /// Its name.
    pub name: String,
    /// Its group.
    pub group: GroupName,
    /// Its assessment's state.
    pub state: AssessmentState,
    /// Leaves of the unit the person may see and appraisers score (an area appraiser: their
    /// areas; survey and data leaves are not counted).
    pub leaves: usize,
    /// Of those, the leaves appraised.
    pub appraised: usize,
    /// Explanation requests on those leaves not answered yet.
    pub open_requests: usize,
    /// Explanation requests on those leaves answered.
    pub answered: usize,
}

/// The units of a period in appraisal, as one person may see them.
#[derive(Debug, Clone)]
pub struct UnitList {
    /// The period.
    pub period: Period,
    /// Its phase now.
    pub phase: Phase,
    /// The units the person may see.
    pub rows: Vec<ListRow>,
    /// The person may open the approval page (the council, administrators, observers).
    pub may_view_approval: bool,
}

/// The units of the period `p` may see in appraisal: an appraiser's assigned units, every unit
/// for the council chair, the administrator and observers. Refused (`denied_*`) when there is
/// none and `p` may not view the period.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn list_units(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    now: OffsetDateTime,
) -> ServiceResult<UnitList> {
    let per = period_of(db, period).await?;
    let phase = phase_of(db, &per, now).await?;
    let members = periods::members(db, period).await?;
    let visible: Vec<_> = members
        .into_iter()
        .filter(|m| allowed(p, Action::ViewAssessment, &unit_resource(period, &m.unit)))
        .collect();
    let whole = Resource::Period(period.clone());
    if visible.is_empty() {
        authorize(p, Action::ViewAssessment, &whole)?;
    }
    let may_view_approval =
        allowed(p, Action::ApproveAppraisal, &whole) || allowed(p, Action::ViewAssessment, &whole);
    let names: HashMap<UnitCode, String> = units::list(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let states: HashMap<UnitCode, AssessmentState> = assessments::list(db, period)
        .await?
        .into_iter()
        .map(|a| (a.unit, a.state))
        .collect();
    let sets: HashMap<GroupName, IndexSet> = {
        let mut out = HashMap::new();
        let mut cache: BTreeMap<chiso_domain::SetCode, IndexSet> = BTreeMap::new();
        for (group, code) in periods::groups(db, period).await? {
            if !cache.contains_key(&code)
                && let Some(set) = index_sets::get(db, &code).await?
            {
                cache.insert(code.clone(), set);
            }
            if let Some(set) = cache.get(&code) {
                out.insert(group, set.clone());
            }
        }
        out
    };
    let requests = explanations::list(db, period, None).await?;
    let mut rows = Vec::with_capacity(visible.len());
    for m in visible {
        let in_scope: Vec<&NodeCode> = sets
            .get(&m.group)
            .map(|s| {
                // Survey and data leaves get their points elsewhere: an appraiser's progress
                // counts only what appraisers score.
                s.leaves()
                    .into_iter()
                    .filter(|n| appraisable(n.source))
                    .map(|n| &n.code)
                    .filter(|c| {
                        allowed(
                            p,
                            Action::ViewAssessment,
                            &leaf_resource(period, &m.unit, c),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let stored = leaves::list(db, period, &m.unit).await?;
        let appraised = stored
            .iter()
            .filter(|l| l.is_appraised() && in_scope.contains(&&l.key.node))
            .count();
        let mine = requests
            .iter()
            .filter(|r| r.key.unit == m.unit && in_scope.contains(&&r.key.node));
        let (answered, open): (Vec<_>, Vec<_>) =
            mine.partition(|r| r.status == LeafExplanation::Answered);
        rows.push(ListRow {
            name: names
                .get(&m.unit)
                .cloned()
                .unwrap_or_else(|| m.unit.to_string()),
            state: states
                .get(&m.unit)
                .copied()
                .unwrap_or(AssessmentState::NotStarted),
            leaves: in_scope.len(),
            appraised,
            open_requests: open.len(),
            answered: answered.len(),
            unit: m.unit,
            group: m.group,
        });
    }
    Ok(UnitList {
        period: per,
        phase,
        rows,
        may_view_approval,
    })
}

/// One unit of the period on the approval page.
#[derive(Debug, Clone)]
pub struct ApprovalRow {
    /// The unit.
    pub unit: UnitCode,
    /// Its name.
    pub name: String,
    /// Its assessment's state.
    pub state: AssessmentState,
    /// The stored version the approval is based on (0: nothing stored).
    pub version: i64,
    /// Why the unit cannot be finalised now; `None` when it can or already is.
    pub blocked: Option<WorkflowError>,
}

/// The approval page's facts.
#[derive(Debug, Clone)]
pub struct ApprovalOverview {
    /// The period.
    pub period: Period,
    /// Its phase now.
    pub phase: Phase,
    /// Its units.
    pub rows: Vec<ApprovalRow>,
    /// What is incomplete in the units not yet finalised: survey and data leaves without a
    /// value, unanswered explanation requests. Approval needs a reason for each.
    pub gaps: Vec<Gap>,
    /// The person is the council chair of the period.
    pub may_approve: bool,
    /// The person may reopen the approval (the period's administrators).
    pub may_reopen: bool,
}

impl ApprovalOverview {
    /// The units not yet appraised, which keep the period from being approved.
    pub fn not_appraised(&self) -> Vec<&ApprovalRow> {
        self.rows
            .iter()
            .filter(|r| r.blocked == Some(WorkflowError::NotAppraised))
            .collect()
    }

    /// Why approving now would be refused, `None` when it would go ahead: no units, units not
    /// yet appraised (listed), or the approval window (not open yet, or over). Pages show it
    /// in place of the button, and [`approve`] refuses with the same code.
    pub fn blocker(&self) -> Option<ServiceError> {
        if self.rows.is_empty() {
            return Some(
                ServiceError::new(codes::APPROVAL_NO_UNITS).arg("period", &self.period.code),
            );
        }
        let missing = self.not_appraised();
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(|r| format!("{} ({})", r.name, r.unit))
                .collect::<Vec<_>>()
                .join("; ");
            return Some(
                ServiceError::new(codes::APPROVAL_NOT_APPRAISED)
                    .arg("n", missing.len())
                    .arg("units", list),
            );
        }
        // Any other refusal is the period's (approval is not open yet, or is over): the same
        // for every unit that follows the milestones.
        self.rows.iter().find_map(|r| r.blocked).map(workflow_error)
    }

    /// True once every unit is finalised.
    pub fn all_finalised(&self) -> bool {
        !self.rows.is_empty()
            && self
                .rows
                .iter()
                .all(|r| r.state == AssessmentState::Finalised)
    }
}

/// The period's units and whether each may be finalised now. The chair, the administrator and
/// observers may look; everyone else is refused.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn approval_overview(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    now: OffsetDateTime,
) -> ServiceResult<ApprovalOverview> {
    let per = period_of(db, period).await?;
    let resource = Resource::Period(period.clone());
    let may_approve = allowed(p, Action::ApproveAppraisal, &resource);
    let may_reopen = allowed(p, Action::Reopen, &resource);
    if !may_approve {
        authorize(p, Action::ViewAssessment, &resource)?;
    }
    let phase = phase_of(db, &per, now).await?;
    let names: HashMap<UnitCode, String> = units::list(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let mut stored: HashMap<UnitCode, Assessment> = assessments::list(db, period)
        .await?
        .into_iter()
        .map(|a| (a.unit.clone(), a))
        .collect();
    let mut rows = Vec::new();
    for m in periods::members(db, period).await? {
        let a = stored
            .remove(&m.unit)
            .unwrap_or_else(|| Assessment::not_started(period.clone(), m.unit.clone()));
        let blocked = if a.state == AssessmentState::Finalised {
            None
        } else {
            let ctx = Context {
                phase,
                reopened: a.reopened,
            };
            workflow::apply(a.state, Transition::Finalise, ctx).err()
        };
        rows.push(ApprovalRow {
            name: names
                .get(&m.unit)
                .cloned()
                .unwrap_or_else(|| m.unit.to_string()),
            unit: m.unit,
            state: a.state,
            version: a.version,
            blocked,
        });
    }
    let open: HashSet<UnitCode> = rows
        .iter()
        .filter(|r| r.state != AssessmentState::Finalised)
        .map(|r| r.unit.clone())
        .collect();
    let gaps = gaps_of(db, period, &open).await?;
    Ok(ApprovalOverview {
        period: per,
        phase,
        rows,
        gaps,
        may_approve,
        may_reopen,
    })
}

/// The gaps of `units` in `period` (see [`chiso_domain::completeness`]), by unit then leaf.
async fn gaps_of(
    db: &Db,
    period: &PeriodCode,
    units: &HashSet<UnitCode>,
) -> ServiceResult<Vec<Gap>> {
    let mut measured: HashMap<GroupName, Vec<NodeCode>> = HashMap::new();
    for (group, code) in periods::groups(db, period).await? {
        let leaves = index_sets::get(db, &code)
            .await?
            .map(|set| {
                set.leaves()
                    .into_iter()
                    .filter(|n| matches!(n.source, Source::Survey | Source::Data))
                    .map(|n| n.code.clone())
                    .collect()
            })
            .unwrap_or_default();
        measured.insert(group, leaves);
    }
    let valued: HashSet<(UnitCode, NodeCode)> = scores::list(db, period)
        .await?
        .into_iter()
        .filter(|s| s.input.is_some() || s.points.is_some())
        .map(|s| (s.unit, s.node))
        .collect();
    let mut gaps = Vec::new();
    for m in periods::members(db, period).await? {
        if !units.contains(&m.unit) {
            continue;
        }
        for leaf in measured.get(&m.group).into_iter().flatten() {
            if !valued.contains(&(m.unit.clone(), leaf.clone())) {
                gaps.push(Gap {
                    unit: m.unit.clone(),
                    leaf: leaf.clone(),
                    kind: GapKind::NoValue,
                });
            }
        }
    }
    for r in explanations::list(db, period, None).await? {
        if units.contains(&r.key.unit) && r.status == LeafExplanation::Requested {
            gaps.push(Gap {
                unit: r.key.unit,
                leaf: r.key.node,
                kind: GapKind::OpenExplanation,
            });
        }
    }
    gaps.sort();
    Ok(gaps)
}

/// The refusal of an approval that leaves `gaps` without a reason: `approval_incomplete`, each
/// gap in the details naming its unit, leaf and the field of its reason.
fn incomplete(gaps: &[&Gap]) -> ServiceError {
    let problems = gaps
        .iter()
        .map(|g| {
            let code = match g.kind {
                GapKind::NoValue => codes::GAP_NO_VALUE,
                GapKind::OpenExplanation => codes::GAP_OPEN_EXPLANATION,
            };
            Problem::new(code)
                .arg("unit", &g.unit)
                .arg("node", &g.leaf)
                .arg("field", gap_field(g))
        })
        .collect();
    ServiceError::new(codes::APPROVAL_INCOMPLETE)
        .arg("count", gaps.len())
        .detail(Detail::Problems(problems))
}

/// The form field of a gap's reason: `ly-do:{unit}:{leaf}`.
pub fn gap_field(g: &Gap) -> String {
    format!("ly-do:{}:{}", g.unit, g.leaf)
}

/// The council chair's approval of a period's appraisal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approve {
    /// The period approved.
    pub period: PeriodCode,
    /// The chair's reasons for approving despite gaps (one per unit and leaf).
    pub accepted: Vec<Acceptance>,
}

/// What an approval did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Approved {
    /// Units finalised now (those finalised before are left as they are).
    pub finalised: usize,
}

/// The council chair approves the period's appraisal: every unit not yet finalised is
/// finalised (its scores lock and its official values become the inputs of the computation)
/// and the period's results are computed from those values and saved, all in **one**
/// transaction, so the published ranking shows the approved scores and a computation that
/// fails leaves the period unapproved (`approval_compute_failed`, with the computation's code
/// as `reason`). Refused, changing nothing, while any unit is not appraised (the refusal lists
/// them) or the workflow refuses the step now; `approval_conflict` when a unit changed since
/// it was read. Approving again once every unit is finalised only recomputes the results.
#[tracing::instrument(skip_all, fields(period = %cmd.period))]
pub async fn approve(
    db: &Db,
    p: &Principal,
    cmd: &Approve,
    now: OffsetDateTime,
) -> ServiceResult<Approved> {
    let period = &cmd.period;
    authorize(
        p,
        Action::ApproveAppraisal,
        &Resource::Period(period.clone()),
    )?;
    let overview = approval_overview(db, p, period, now).await?;
    if let Some(e) = overview.blocker() {
        return Err(e);
    }
    let left = completeness::unaccepted(&overview.gaps, &cmd.accepted);
    if !left.is_empty() {
        return Err(incomplete(&left));
    }
    let used = completeness::used(&overview.gaps, &cmd.accepted);
    let recorded: Vec<AcceptedGap<'_>> = overview
        .gaps
        .iter()
        .filter_map(|g| {
            used.iter()
                .find(|a| a.unit == g.unit && a.leaf == g.leaf)
                .map(|a| AcceptedGap {
                    gap: g,
                    reason: a.reason.trim(),
                })
        })
        .collect();
    // A unit changed since these versions were read makes the whole approval fail with a
    // conflict, changing nothing.
    let pending: Vec<Expected> = overview
        .rows
        .iter()
        .filter(|r| r.state != AssessmentState::Finalised)
        .map(|r| Expected {
            unit: r.unit.clone(),
            version: r.version,
        })
        .collect();
    let basis = PeriodBasis::load(db, period).await?;
    let change = StateChange {
        state: AssessmentState::Finalised,
        reopened: workflow::reopened_after(Transition::Finalise, false),
        reason: assessments::APPROVAL_REASON,
    };
    let told = outbox::outgoing(
        db,
        Event::PeriodApproved {
            period: period.clone(),
        },
    )
    .await?;
    let done = assessments::finalise_with_results(
        db,
        period,
        &pending,
        &change,
        &[told],
        &recorded,
        &actor(p),
        now,
        |stored| {
            basis.compute(stored).map_err(|e| {
                if e.kind() == Kind::Internal {
                    return e;
                }
                let reason = e.code();
                let out = ServiceError::new(codes::APPROVAL_COMPUTE_FAILED).arg("reason", reason);
                match e.details() {
                    Some(d) => out.detail(d.clone()),
                    None => out,
                }
            })
        },
    )
    .await;
    match done {
        Ok(_) => Ok(Approved {
            finalised: pending.len(),
        }),
        Err(e) if e.is(codes::CONFLICT) => Err(ServiceError::new(codes::APPROVAL_CONFLICT)),
        Err(e) if e.is(codes::FROZEN) => {
            Err(ServiceError::new(codes::REVIEW_PERIOD_PUBLISHED).arg("period", period))
        }
        Err(e) => Err(e),
    }
}

/// Reopening the council's approval of a whole period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReopenApproval {
    /// The period.
    pub period: PeriodCode,
    /// Why; required and kept in the audit log of every unit reopened.
    pub reason: String,
}

/// The administrator reopens the approval of a period not yet published: every finalised unit
/// goes back to appraisal ([`workflow::reopen_approval`]) in **one** transaction, each change
/// audited with the reason, and the chair approves again once the scores are right; until
/// then the period cannot be published. Returns how many units were reopened.
///
/// Refused, changing nothing: `reopen_reason_required` without a reason,
/// `review_period_published` once published (a correction is the way then),
/// `approval_nothing_to_reopen` when no unit is finalised, `approval_conflict` when a unit
/// changed meanwhile.
#[tracing::instrument(skip_all, fields(period = %cmd.period))]
pub async fn reopen_approval(
    db: &Db,
    p: &Principal,
    cmd: &ReopenApproval,
    now: OffsetDateTime,
) -> ServiceResult<usize> {
    let period = &cmd.period;
    authorize(p, Action::Reopen, &Resource::Period(period.clone()))?;
    let reason = cmd.reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::new(codes::REOPEN_REASON_REQUIRED).arg("field", "reason"));
    }
    let overview = approval_overview(db, p, period, now).await?;
    let mut units = Vec::new();
    for r in &overview.rows {
        match workflow::reopen_approval(r.state, overview.phase) {
            Ok(_) => units.push(Expected {
                unit: r.unit.clone(),
                version: r.version,
            }),
            Err(WorkflowError::NothingToReopen) => {}
            Err(e) => return Err(workflow_error(e)),
        }
    }
    if units.is_empty() {
        return Err(ServiceError::new(codes::APPROVAL_NOTHING_TO_REOPEN).arg("period", period));
    }
    let change = StateChange {
        state: AssessmentState::UnderAppraisal,
        reopened: true,
        reason,
    };
    match assessments::set_states(db, period, &units, &change, &actor(p), now).await {
        Ok(done) => Ok(done.len()),
        Err(StoreError::Conflict(_)) => Err(ServiceError::new(codes::APPROVAL_CONFLICT)),
        Err(e) => Err(write_error(period, e)),
    }
}

/// The change log of one unit's assessment.
#[derive(Debug, Clone)]
pub struct ChangeLog {
    /// The period.
    pub period: Period,
    /// The unit's name.
    pub unit_name: String,
    /// The entries the person may read, newest first.
    pub entries: Vec<AuditEntry>,
    /// The person reads the whole log (an auditor), not only the leaves they may view.
    pub may_view_audit: bool,
    /// Display names by login, so the log says who acted by name.
    pub names: HashMap<String, String>,
}

/// The change log of one unit's assessment, newest first, optionally of one leaf. Readable by
/// whoever may read the audit log, and by whoever may view the unit's assessment (the unit,
/// its appraisers, the council, observers), who then see the entries of the leaves they may
/// view and those about the whole assessment.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub async fn change_log(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    node: Option<&NodeCode>,
) -> ServiceResult<ChangeLog> {
    let per = period_of(db, period).await?;
    let resource = unit_resource(period, unit);
    let auditor = allowed(p, Action::ViewAudit, &resource);
    if !auditor {
        authorize(p, Action::ViewAssessment, &resource)?;
    }
    let unit_name = units::get(db, unit)
        .await?
        .ok_or_else(|| ServiceError::new(codes::UNIT_NOT_FOUND).arg("unit", unit))?
        .name;
    if let Some(n) = node
        && !auditor
    {
        authorize(p, Action::ViewAssessment, &leaf_resource(period, unit, n))?;
    }
    let filter = AuditFilter {
        period: Some(period.clone()),
        unit: Some(unit.clone()),
        node: node.cloned(),
        limit: 0,
    };
    let entries = audit::list(db, &filter)
        .await?
        .into_iter()
        .filter(|e| {
            auditor
                || e.node
                    .as_deref()
                    .and_then(|n| NodeCode::parse(n).ok())
                    .is_none_or(|n| {
                        allowed(p, Action::ViewAssessment, &leaf_resource(period, unit, &n))
                    })
        })
        .collect();
    Ok(ChangeLog {
        period: per,
        unit_name,
        entries,
        may_view_audit: auditor,
        names: crate::dossier::names(db).await?,
    })
}
