//! The rules of appraisal, explanation requests, approval and reopening, for the pages and any
//! future API alike: every function takes the database, typed codes and the acting
//! [`Principal`], asks [`authz::check`] *who* may act and [`workflow::apply`] *when*, and only
//! then calls the store, which audits each change in the same transaction.
//!
//! Refusals come back as [`WriteError`]: a missing permission is [`AppError::Forbidden`]; a
//! value, a missing comment or a step the workflow refuses is a [`FormError`] shown next to the
//! form; a save based on a stale version is [`WriteError::Stale`], shown with the value
//! currently stored.

use std::collections::{BTreeMap, HashMap};

use chiso_domain::authz::{self, Action, Principal, Resource};
use chiso_domain::number::{NumberError, TypedError, vi_input};
use chiso_domain::workflow::{
    self, AppraisalEntry as Appraised, AssessmentState, Context, LeafExplanation, Phase,
    Transition, Window, WorkflowError,
};
use chiso_domain::{GroupName, IndexSet, Node, NodeCode, PeriodCode, Points, Source, UnitCode};
use chiso_store::assessments::{self, Assessment, Expected, StateChange};
use chiso_store::audit::{self, AuditEntry, AuditFilter};
use chiso_store::evidence::{self, Evidence};
use chiso_store::explanations::{self, ExplanationRequest};
use chiso_store::leaves::{self, AppraisalEntry, LeafKey, StoredLeaf};
use chiso_store::periods::{self, Period};
use chiso_store::{Actor, Db, StoreError, index_sets, milestones, units};
use time::OffsetDateTime;

use crate::AppError;
use crate::error::FormError;

/// Why a change was refused.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// A field is wrong or the workflow refuses the step now; shown next to the form (422).
    Field(FormError),
    /// The value changed since the form was loaded; shown with the current value (409).
    Stale(FormError),
    /// Not found, forbidden, or a server fault.
    App(AppError),
}

impl From<AppError> for WriteError {
    fn from(e: AppError) -> Self {
        WriteError::App(e)
    }
}

impl From<StoreError> for WriteError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Frozen(_) => WriteError::Field(FormError::new("review.period_published")),
            e => WriteError::App(AppError::Store(e)),
        }
    }
}

impl From<FormError> for WriteError {
    fn from(e: FormError) -> Self {
        WriteError::Field(e)
    }
}

/// The localized message of a workflow refusal (the domain's own messages are Vietnamese
/// only).
pub(crate) fn workflow_error(e: WorkflowError) -> FormError {
    match e {
        WorkflowError::NotOpen(w) => FormError::new(match w {
            Window::SelfAssessment => "review.wf_not_open_self",
            Window::Appraisal => "review.wf_not_open_appraisal",
            Window::Explanation => "review.wf_not_open_explanation",
            Window::Reappraisal => "review.wf_not_open_reappraisal",
            Window::Approval => "review.wf_not_open_approval",
        }),
        WorkflowError::Closed(w) => FormError::new(match w {
            Window::SelfAssessment => "review.wf_closed_self",
            Window::Appraisal => "review.wf_closed_appraisal",
            Window::Explanation => "review.wf_closed_explanation",
            Window::Reappraisal => "review.wf_closed_reappraisal",
            Window::Approval => "review.wf_closed_approval",
        }),
        WorkflowError::AlreadySubmitted => FormError::new("review.wf_already_submitted"),
        WorkflowError::NothingToSubmit => FormError::new("review.wf_nothing_to_submit"),
        WorkflowError::NotSubmitted => FormError::new("review.wf_not_submitted"),
        WorkflowError::AppraisalNotStarted => FormError::new("review.wf_appraisal_not_started"),
        WorkflowError::AppraisalAlreadyStarted => {
            FormError::new("review.wf_appraisal_already_started")
        }
        WorkflowError::ExplanationRoundOver => FormError::new("review.wf_explanation_round_over"),
        WorkflowError::NoExplanationRequested => {
            FormError::new("review.wf_no_explanation_requested")
        }
        WorkflowError::NotAppraised => FormError::new("review.wf_not_appraised"),
        WorkflowError::Locked => FormError::new("review.wf_locked"),
        WorkflowError::Published => FormError::new("review.wf_published"),
        WorkflowError::NothingToReopen => FormError::new("review.wf_nothing_to_reopen"),
    }
}

fn forbidden<T>(_: T) -> AppError {
    AppError::Forbidden
}

fn actor(p: &Principal) -> Actor {
    Actor(p.login.clone())
}

/// Leaves appraisers score: self-assessed leaves and the bonus and deduction blocks. Survey
/// and data leaves get their points from surveys and monitoring data instead.
pub(crate) fn appraisable(source: Source) -> bool {
    matches!(source, Source::Assessed | Source::Bonus | Source::Deduction)
}

/// The period, or 404.
async fn period_of(db: &Db, period: &PeriodCode) -> Result<Period, AppError> {
    periods::get(db, period)
        .await?
        .ok_or_else(|| AppError::PeriodNotFound(period.to_string()))
}

/// The period's phase now: from its milestones, and published once the period is.
async fn phase_of(db: &Db, period: &Period, now: OffsetDateTime) -> Result<Phase, AppError> {
    if period.status == periods::STATUS_PUBLISHED {
        return Ok(Phase::Published);
    }
    Ok(milestones::get(db, &period.code).await?.phase_at(now))
}

/// The stored assessment, or a not-started one at version 0.
async fn assessment_of(
    db: &Db,
    period: &PeriodCode,
    unit: &UnitCode,
) -> Result<Assessment, AppError> {
    Ok(assessments::get(db, period, unit)
        .await?
        .unwrap_or_else(|| Assessment::not_started(period.clone(), unit.clone())))
}

/// Everything about one unit's assessment in one period that the appraisal pages show.
#[derive(Debug, Clone)]
pub(crate) struct UnitFile {
    pub period: Period,
    pub unit: UnitCode,
    pub unit_name: String,
    pub group: GroupName,
    pub set: IndexSet,
    pub assessment: Assessment,
    pub phase: Phase,
    pub leaves: HashMap<NodeCode, StoredLeaf>,
    pub requests: HashMap<NodeCode, ExplanationRequest>,
    pub evidence: HashMap<NodeCode, Vec<Evidence>>,
}

impl UnitFile {
    /// What the workflow judges steps against.
    pub fn context(&self) -> Context {
        Context {
            phase: self.phase,
            reopened: self.assessment.reopened,
        }
    }

    /// The leaf as an authorization resource.
    pub fn resource(&self, node: &NodeCode) -> Resource {
        Resource::Leaf {
            period: self.period.code.clone(),
            unit: self.unit.clone(),
            node: node.clone(),
        }
    }

    /// Whether an explanation was requested on the leaf, and answered.
    pub fn explanation(&self, node: &NodeCode) -> LeafExplanation {
        self.requests
            .get(node)
            .map_or(LeafExplanation::NotRequested, |r| r.status)
    }

    /// The leaves `p` may see, in tree order: an appraiser assigned by area sees only those
    /// areas.
    pub fn visible_leaves<'a>(&'a self, p: &Principal) -> Vec<&'a Node> {
        self.set
            .leaves()
            .into_iter()
            .filter(|n| authz::can(p, Action::ViewAssessment, &self.resource(&n.code)))
            .collect()
    }

    /// True when `p` holds the permission to appraise this leaf (whatever the time).
    pub fn may_appraise(&self, p: &Principal, node: &Node) -> bool {
        appraisable(node.source) && authz::can(p, Action::Appraise, &self.resource(&node.code))
    }

    /// True when `p` holds the permission to request an explanation on this leaf.
    pub fn may_request(&self, p: &Principal, node: &Node) -> bool {
        authz::can(p, Action::RequestExplanation, &self.resource(&node.code))
    }

    /// Why the leaf's appraised value cannot change now; `None` when it can.
    pub fn appraisal_blocked(&self, node: &NodeCode) -> Option<FormError> {
        let state = self.assessment.state;
        let leaf = self.explanation(node);
        if workflow::appraiser_may_edit(state, self.context(), leaf) {
            return None;
        }
        let step = if state == AssessmentState::Submitted {
            Transition::StartAppraisal
        } else {
            Transition::Appraise
        };
        Some(match workflow::apply(state, step, self.context()) {
            Err(e) => workflow_error(e),
            // Re-appraisal after the explanation round touches only the answered leaves.
            Ok(_) => FormError::new("review.only_answered"),
        })
    }

    /// Why an explanation cannot be requested on the leaf now; `None` when it can.
    pub fn request_blocked(&self, node: &NodeCode) -> Option<FormError> {
        let state = self.assessment.state;
        let leaf = self.explanation(node);
        if workflow::appraiser_may_request(state, self.context(), leaf) {
            return None;
        }
        if leaf != LeafExplanation::NotRequested {
            return Some(FormError::new("review.already_requested").arg("node", node));
        }
        Some(
            workflow::apply(state, Transition::RequestExplanation, self.context())
                .err()
                .map_or_else(|| FormError::new("review.wf_not_appraised"), workflow_error),
        )
    }
}

/// Loads one unit's assessment for `p`: 404 for an unknown period or a unit outside it, 403
/// when `p` may not view the unit's assessment.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub(crate) async fn unit_file(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    now: OffsetDateTime,
) -> Result<UnitFile, AppError> {
    let per = period_of(db, period).await?;
    let resource = Resource::UnitAssessment {
        period: period.clone(),
        unit: unit.clone(),
    };
    authz::check(p, Action::ViewAssessment, &resource).map_err(forbidden)?;
    load(db, per, unit, now).await
}

/// [`unit_file`] without the permission check.
async fn load(
    db: &Db,
    period: Period,
    unit: &UnitCode,
    now: OffsetDateTime,
) -> Result<UnitFile, AppError> {
    let code = period.code.clone();
    let not_in_period = || AppError::UnitNotInPeriod {
        period: code.to_string(),
        unit: unit.to_string(),
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
    })
}

/// The leaf `node` of the unit's set, or 404.
fn leaf_of<'a>(file: &'a UnitFile, node: &NodeCode) -> Result<&'a Node, AppError> {
    file.set
        .find(node)
        .filter(|n| n.is_leaf())
        .ok_or(AppError::PageNotFound)
}

/// Takes one workflow step on the unit's assessment and saves it, reading the state afresh; if
/// someone else moved the assessment between the read and the write, reads and decides once
/// more.
async fn advance(
    db: &Db,
    file: &UnitFile,
    step: Transition,
    reason: &str,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<Assessment, WriteError> {
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
        match assessments::set_state(db, period, unit, a.version, &change, actor, now).await {
            Ok(saved) => return Ok(saved),
            Err(StoreError::Conflict(_)) if attempt == 0 => attempt += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// An appraised value as typed in the form.
#[derive(Debug, Clone)]
pub(crate) struct AppraisalInput<'a> {
    /// The raw value, read by the leaf's scoring method ("có", "45/47", "2,5"…).
    pub value: &'a str,
    /// The appraiser's comment (nhận xét).
    pub comment: &'a str,
    /// The leaf's appraisal version the form was rendered with.
    pub version: i64,
}

/// The message of a stale save: who changed the value meanwhile, when, and what it is now.
fn stale(leaf: Option<&StoredLeaf>, node: &NodeCode) -> FormError {
    let (by, at, value) = match leaf {
        Some(l) if l.is_appraised() => (
            l.appraised_by.clone().unwrap_or_default(),
            l.appraised_at
                .map(super::views::vi_datetime)
                .unwrap_or_default(),
            l.appraisal
                .points
                .map_or_else(String::new, |p| chiso_domain::fmt::vi_plain(p.value())),
        ),
        _ => (String::new(), String::new(), String::new()),
    };
    FormError::new("review.stale")
        .arg("node", node)
        .arg("by", by)
        .arg("at", at)
        .arg("points", value)
}

/// The refusal of a number typed for `node`, with both readings of an ambiguous one.
fn number_error(node: &NodeCode, e: &NumberError) -> FormError {
    match e {
        NumberError::NotANumber(v) => FormError::new("review.number.not_a_number")
            .arg("node", node)
            .arg("value", v),
        NumberError::NotWhole(v) => FormError::new("review.number.not_whole")
            .arg("node", node)
            .arg("value", v),
        NumberError::Ambiguous {
            typed,
            thousands,
            decimal,
        } => FormError::new("review.number.ambiguous")
            .arg("node", node)
            .arg("value", typed)
            .arg("thousands", vi_input(*thousands))
            .arg("decimal", vi_input(*decimal)),
    }
}

/// Saves the appraised value of one leaf (the first value of a submitted assessment starts
/// its appraisal).
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit, node = %node))]
pub(crate) async fn save_appraisal(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    node: &NodeCode,
    input: &AppraisalInput<'_>,
    now: OffsetDateTime,
) -> Result<(), WriteError> {
    let key = LeafKey {
        period: period.clone(),
        unit: unit.clone(),
        node: node.clone(),
    };
    authz::check(
        p,
        Action::Appraise,
        &Resource::Leaf {
            period: period.clone(),
            unit: unit.clone(),
            node: node.clone(),
        },
    )
    .map_err(forbidden)?;
    let file = load(db, period_of(db, period).await?, unit, now).await?;
    let leaf = leaf_of(&file, node)?;
    let Some(method) = leaf.method.as_ref().filter(|_| appraisable(leaf.source)) else {
        return Err(FormError::new("review.source_not_appraised").into());
    };
    if let Some(e) = file.appraisal_blocked(node) {
        return Err(e.into());
    }
    let value = input.value.trim();
    if value.is_empty() {
        return Err(FormError::new("review.value_required").into());
    }
    let invalid = |e: chiso_domain::InputError| {
        WriteError::Field(FormError::new("review.value_invalid").arg("detail", e))
    };
    let raw = chiso_domain::number::parse_typed(method, value).map_err(|e| match e {
        TypedError::Number(e) => WriteError::Field(number_error(node, &e)),
        TypedError::Input(e) => invalid(e),
    })?;
    let outcome = method
        .score(leaf.max, leaf.source, leaf.not_applicable, &raw)
        .map_err(invalid)?;
    let stored = file.leaves.get(node);
    let self_points = stored.and_then(|l| l.self_assessment.points);
    let comment = input.comment.trim();
    if workflow::check_appraisal(&Appraised {
        self_points,
        appraised: outcome.points,
        comment,
    })
    .is_err()
    {
        return Err(FormError::new("review.comment_required")
            .arg(
                "appraised",
                chiso_domain::fmt::vi_plain(outcome.points.value()),
            )
            .arg(
                "self",
                self_points.map_or_else(
                    || "—".to_owned(),
                    |p| chiso_domain::fmt::vi_plain(p.value()),
                ),
            )
            .into());
    }
    let current = stored.map_or(0, |l| l.appraisal_version);
    if current != input.version {
        return Err(WriteError::Stale(stale(stored, node)));
    }
    let entry = AppraisalEntry {
        input: Some(raw),
        points: Some(outcome.points),
        comment: Some(comment.to_owned()).filter(|c| !c.is_empty()),
    };
    let who = actor(p);
    match leaves::save_appraisal(db, &key, &entry, input.version, &who, now).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            let now_stored = leaves::get(db, &key).await?;
            return Err(WriteError::Stale(stale(now_stored.as_ref(), node)));
        }
        Err(e) => return Err(e.into()),
    }
    if file.assessment.state == AssessmentState::Submitted {
        let started = advance(db, &file, Transition::StartAppraisal, "", &who, now).await;
        match started {
            // Another appraiser started the appraisal meanwhile: the value is saved all the same.
            Ok(_) | Err(WriteError::Field(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Asks the unit to explain one leaf; the assessment moves to "explanation requested".
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit, node = %node))]
pub(crate) async fn request_explanation(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    node: &NodeCode,
    text: &str,
    now: OffsetDateTime,
) -> Result<(), WriteError> {
    let key = LeafKey {
        period: period.clone(),
        unit: unit.clone(),
        node: node.clone(),
    };
    authz::check(
        p,
        Action::RequestExplanation,
        &Resource::Leaf {
            period: period.clone(),
            unit: unit.clone(),
            node: node.clone(),
        },
    )
    .map_err(forbidden)?;
    let file = load(db, period_of(db, period).await?, unit, now).await?;
    leaf_of(&file, node)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(FormError::new("review.request_required").into());
    }
    if let Some(e) = file.request_blocked(node) {
        return Err(e.into());
    }
    let who = actor(p);
    match explanations::request(db, &key, text, &who, now).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(FormError::new("review.already_requested")
                .arg("node", node)
                .into());
        }
        Err(e) => return Err(e.into()),
    }
    let reason = format!("Yêu cầu giải trình tiêu chí {node}");
    advance(
        db,
        &file,
        Transition::RequestExplanation,
        &reason,
        &who,
        now,
    )
    .await?;
    Ok(())
}

/// The administrator reopens one unit's assessment; the reason is required and recorded in
/// the audit log with the change of state.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub(crate) async fn reopen(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    reason: &str,
    now: OffsetDateTime,
) -> Result<(), WriteError> {
    let resource = Resource::UnitAssessment {
        period: period.clone(),
        unit: unit.clone(),
    };
    authz::check(p, Action::Reopen, &resource).map_err(forbidden)?;
    let file = load(db, period_of(db, period).await?, unit, now).await?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(FormError::new("review.reason_required").into());
    }
    advance(db, &file, Transition::Reopen, reason, &actor(p), now).await?;
    Ok(())
}

/// One unit of the period as the list of appraisals shows it.
#[derive(Debug, Clone)]
pub(crate) struct ListRow {
    pub unit: UnitCode,
    pub name: String,
    pub group: GroupName,
    pub state: AssessmentState,
    /// Leaves of the unit `p` may see (an area appraiser: their areas).
    pub leaves: usize,
    /// Of those, the leaves appraised.
    pub appraised: usize,
    /// Explanation requests on those leaves not answered yet.
    pub open_requests: usize,
    /// Explanation requests on those leaves answered.
    pub answered: usize,
}

/// The units of the period `p` may see in appraisal: an appraiser's assigned units, every unit
/// for the council chair, the administrator and observers. 403 when there is none and `p`
/// may not view the period.
#[tracing::instrument(skip_all, fields(period = %period))]
pub(crate) async fn list_units(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    now: OffsetDateTime,
) -> Result<(Period, Phase, Vec<ListRow>), AppError> {
    let per = period_of(db, period).await?;
    let phase = phase_of(db, &per, now).await?;
    let members = periods::members(db, period).await?;
    let visible: Vec<_> = members
        .into_iter()
        .filter(|m| {
            authz::can(
                p,
                Action::ViewAssessment,
                &Resource::UnitAssessment {
                    period: period.clone(),
                    unit: m.unit.clone(),
                },
            )
        })
        .collect();
    if visible.is_empty() {
        authz::check(p, Action::ViewAssessment, &Resource::Period(period.clone()))
            .map_err(forbidden)?;
    }
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
        let leaf_ok = |node: &NodeCode| {
            authz::can(
                p,
                Action::ViewAssessment,
                &Resource::Leaf {
                    period: period.clone(),
                    unit: m.unit.clone(),
                    node: node.clone(),
                },
            )
        };
        let in_scope: Vec<&NodeCode> = sets
            .get(&m.group)
            .map(|s| {
                s.leaves()
                    .into_iter()
                    .map(|n| &n.code)
                    .filter(|c| leaf_ok(c))
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
    Ok((per, phase, rows))
}

/// One unit of the period on the approval page.
#[derive(Debug, Clone)]
pub(crate) struct ApprovalRow {
    pub unit: UnitCode,
    pub name: String,
    pub state: AssessmentState,
    /// The stored version the approval is based on (0: nothing stored).
    pub version: i64,
    /// Why the unit cannot be finalised now; `None` when it can or already is.
    pub blocked: Option<WorkflowError>,
}

/// The approval page's facts.
#[derive(Debug, Clone)]
pub(crate) struct ApprovalOverview {
    pub period: Period,
    pub phase: Phase,
    pub rows: Vec<ApprovalRow>,
    /// `p` is the council chair of the period.
    pub may_approve: bool,
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
    /// yet appraised (listed), or the approval window (not open yet, or over). The page shows
    /// it in place of the button, and [`approve`] refuses with the same message.
    pub fn blocker(&self) -> Option<FormError> {
        if self.rows.is_empty() {
            return Some(FormError::new("review.no_units"));
        }
        let missing = self.not_appraised();
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(|r| format!("{} ({})", r.name, r.unit))
                .collect::<Vec<_>>()
                .join("; ");
            return Some(
                FormError::new("review.approve_not_appraised")
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
/// observers may look; everyone else gets 403.
#[tracing::instrument(skip_all, fields(period = %period))]
pub(crate) async fn approval_overview(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    now: OffsetDateTime,
) -> Result<ApprovalOverview, AppError> {
    let per = period_of(db, period).await?;
    let resource = Resource::Period(period.clone());
    let may_approve = authz::can(p, Action::ApproveAppraisal, &resource);
    if !may_approve {
        authz::check(p, Action::ViewAssessment, &resource).map_err(forbidden)?;
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
    Ok(ApprovalOverview {
        period: per,
        phase,
        rows,
        may_approve,
    })
}

/// What an approval did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Approved {
    /// Units finalised now (those finalised before are left as they are).
    pub finalised: usize,
}

/// The council chair approves the period's appraisal: every unit not yet finalised is
/// finalised in one transaction (its scores lock and its official values become the inputs of
/// the computation), then the period's results are computed again so the published ranking
/// shows the approved scores. Refused, changing nothing, while any unit is not appraised (the
/// message lists them) or the workflow refuses the step now. Approving again once every unit
/// is finalised only recomputes the results.
#[tracing::instrument(skip_all, fields(period = %period))]
pub(crate) async fn approve(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    now: OffsetDateTime,
) -> Result<Approved, WriteError> {
    authz::check(
        p,
        Action::ApproveAppraisal,
        &Resource::Period(period.clone()),
    )
    .map_err(forbidden)?;
    let overview = approval_overview(db, p, period, now).await?;
    if let Some(e) = overview.blocker() {
        return Err(e.into());
    }
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
    let who = actor(p);
    if !pending.is_empty() {
        let change = StateChange {
            state: AssessmentState::Finalised,
            reopened: workflow::reopened_after(Transition::Finalise, false),
            reason: assessments::APPROVAL_REASON,
        };
        match assessments::set_states(db, period, &pending, &change, &who, now).await {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(FormError::new("review.approve_conflict").into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    match chiso_services::compute::compute_period(db, period, &who, now).await {
        Ok(_) => {}
        Err(e) if e.kind() == chiso_services::Kind::Internal => {
            return Err(WriteError::App(e.into()));
        }
        Err(e) => {
            return Err(FormError::new("review.compute_failed")
                .arg("detail", e.code())
                .into());
        }
    }
    Ok(Approved {
        finalised: pending.len(),
    })
}

/// The change log of one unit's assessment, newest first, optionally of one leaf. Readable by
/// whoever may read the audit log, and by whoever may view the unit's assessment (the unit,
/// its appraisers, the council, observers), who then see the entries of the leaves they may
/// view and those about the whole assessment.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub(crate) async fn change_log(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    node: Option<&NodeCode>,
) -> Result<(Period, String, Vec<AuditEntry>), AppError> {
    let per = period_of(db, period).await?;
    let resource = Resource::UnitAssessment {
        period: period.clone(),
        unit: unit.clone(),
    };
    let auditor = authz::can(p, Action::ViewAudit, &resource);
    if !auditor {
        authz::check(p, Action::ViewAssessment, &resource).map_err(forbidden)?;
    }
    let name = units::get(db, unit)
        .await?
        .ok_or_else(|| AppError::UnitNotFound(unit.to_string()))?
        .name;
    if let Some(n) = node {
        let leaf = Resource::Leaf {
            period: period.clone(),
            unit: unit.clone(),
            node: n.clone(),
        };
        if !auditor {
            authz::check(p, Action::ViewAssessment, &leaf).map_err(forbidden)?;
        }
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
                        authz::can(
                            p,
                            Action::ViewAssessment,
                            &Resource::Leaf {
                                period: period.clone(),
                                unit: unit.clone(),
                                node: n,
                            },
                        )
                    })
        })
        .collect();
    Ok((per, name, entries))
}

/// The points that count for a leaf: the appraised value once appraised, else the unit's own.
pub(crate) fn official_points(leaf: Option<&StoredLeaf>) -> Option<Points> {
    leaf.and_then(|l| l.official().1)
}
