//! The unit's side of the cycle as a service: reading one unit's self-assessment with
//! everything around it ([`Sheet`]), and every change the unit makes — saving values, attaching
//! and removing evidence, answering explanation requests, submitting.
//!
//! Each change asks two questions before touching anything: **who** ([`authz::check`]: the
//! person's roles on the unit or the leaf) and **when** ([`workflow::apply`]: the assessment's
//! state and the period's phase at `now`, from its milestones). A refusal of the first kind is
//! a 403; of the second, a 409 with the workflow's reason. Values are checked by the leaf's
//! scoring method and versions compared before the store is called; the store checks versions
//! again inside its transaction, so a change based on a stale page never lands.
//!
//! Takes `&Db` and domain values, runs no SQL, knows no HTTP beyond the status a refusal maps
//! to, and produces no text for people: problems are returned as values and worded by the views.

use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use chiso_domain::authz::{self, Action, Principal, Resource};
use chiso_domain::workflow::{
    self, AssessmentState, Context, LeafExplanation, Milestones, Phase, SelfLeaf, SubmissionIssue,
    Transition, WorkflowError,
};
use chiso_domain::{IndexSet, InputError, Node, NodeCode, PeriodCode, Source, Unit, UnitCode};
use chiso_evidence::{BlobStore, FileBudget, FileKind, MAX_FILES_PER_LEAF, UploadError};
use chiso_store::assessments::{self, Assessment, StateChange};
use chiso_store::evidence::{self, Evidence, LeafFull, NewEvidence};
use chiso_store::explanations::{self, ExplanationRequest};
use chiso_store::leaves::{self, LeafKey, SelfBatch, SelfSave, StoredLeaf};
use chiso_store::periods::{self, Period};
use chiso_store::{Actor, Db, StoreError, index_sets, milestones, units};
use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::fields::{self, FieldProblem, LeafFields, PostedForm, Scored};
use crate::AppError;

/// Longest answer to an explanation request, in characters.
pub(crate) const MAX_ANSWER_CHARS: usize = 8000;

/// One unit's self-assessment in one period, with everything the page and the checks need.
#[derive(Debug, Clone)]
pub(crate) struct Sheet {
    pub period: Period,
    pub unit: Unit,
    pub set: IndexSet,
    /// As stored, or not started (version 0) when nothing was saved yet.
    pub assessment: Assessment,
    pub milestones: Milestones,
    /// The phase at `now` and whether the unit was reopened.
    pub context: Context,
    /// Stored leaves by code.
    pub leaves: BTreeMap<NodeCode, StoredLeaf>,
    /// Attached documents, not removed, in leaf then upload order.
    pub evidence: Vec<Evidence>,
    /// The period's explanation requests for this unit.
    pub requests: Vec<ExplanationRequest>,
}

/// A change refused for a reason the person can act on; the page is shown again with the
/// problems, with `status`, keeping what was typed.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub status: StatusCode,
    pub problems: Vec<Problem>,
    /// Fields typed per leaf, shown instead of the stored values.
    pub drafts: BTreeMap<NodeCode, LeafFields>,
    /// Answers typed per explanation request.
    pub answers: BTreeMap<i64, String>,
}

impl Refusal {
    fn new(status: StatusCode, problems: Vec<Problem>) -> Self {
        Refusal {
            status,
            problems,
            drafts: BTreeMap::new(),
            answers: BTreeMap::new(),
        }
    }

    fn conflict(problem: Problem) -> Self {
        Refusal::new(StatusCode::CONFLICT, vec![problem])
    }

    fn invalid(problem: Problem) -> Self {
        Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, vec![problem])
    }
}

/// What the person can act on.
#[derive(Debug)]
pub(crate) enum Problem {
    /// The workflow refuses the change now (submitted, window closed…).
    Workflow(WorkflowError),
    /// A leaf's fields cannot be saved.
    Field {
        node: NodeCode,
        problem: FieldProblem,
    },
    /// Someone saved the leaf after the page was loaded; `typed` was not saved.
    Stale { node: NodeCode, typed: LeafFields },
    /// The assessment changed state after the page was loaded (e.g. it was submitted).
    Moved,
    /// Something keeps the self-assessment from being submitted.
    Issue(SubmissionIssue),
    /// An uploaded file is refused.
    Upload(UploadError),
    /// An upload without any file.
    NoFile,
    /// No store for evidence files is configured.
    StorageMissing,
    /// An answer to an explanation request must say something.
    AnswerRequired,
    /// An answer longer than [`MAX_ANSWER_CHARS`].
    AnswerTooLong,
    /// Someone changed the answer after the page was loaded; `typed` was not saved.
    StaleAnswer { id: i64, typed: String },
    /// The document was removed already.
    AlreadyRemoved,
}

/// Why a change did not happen.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Not allowed, not found, or a server fault: an error page.
    App(AppError),
    /// Refused for a reason shown on the page.
    Refused(Refusal),
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::App(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            // The period was published meanwhile: nothing of it changes any more.
            StoreError::Frozen(_) => Failure::Refused(Refusal::conflict(Problem::Workflow(
                WorkflowError::Published,
            ))),
            e => Failure::App(e.into()),
        }
    }
}

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Self {
        Failure::Refused(r)
    }
}

/// Refuses with 403 unless `principal` may take `action` on `resource`.
fn allow(principal: &Principal, action: Action, resource: &Resource) -> Result<(), AppError> {
    authz::check(principal, action, resource).map_err(|_| AppError::Forbidden)
}

fn actor(principal: &Principal) -> Actor {
    Actor(principal.login.clone())
}

/// Reads one unit's self-assessment for a person who may view it. 403 when they may not
/// (checked first, so nothing is revealed about the period to outsiders), 404 when the period,
/// the unit or its membership in the period does not exist.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub(crate) async fn load(
    db: &Db,
    principal: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    now: OffsetDateTime,
) -> Result<Sheet, AppError> {
    let resource = Resource::UnitAssessment {
        period: period.clone(),
        unit: unit.clone(),
    };
    allow(principal, Action::ViewAssessment, &resource)?;
    let p = periods::get(db, period)
        .await?
        .ok_or_else(|| AppError::PeriodNotFound(period.to_string()))?;
    let not_member = || AppError::UnitNotInPeriod {
        period: period.to_string(),
        unit: unit.to_string(),
    };
    let membership = periods::members(db, period)
        .await?
        .into_iter()
        .find(|m| &m.unit == unit)
        .ok_or_else(not_member)?;
    let set_code = periods::groups(db, period)
        .await?
        .into_iter()
        .find(|(g, _)| g == &membership.group)
        .map(|(_, s)| s)
        .ok_or_else(not_member)?;
    let set = index_sets::get(db, &set_code)
        .await?
        .ok_or_else(not_member)?;
    let u = units::get(db, unit)
        .await?
        .ok_or_else(|| AppError::UnitNotFound(unit.to_string()))?;
    let assessment = assessments::get(db, period, unit)
        .await?
        .unwrap_or_else(|| not_started(period, unit));
    let plan = milestones::get(db, period).await?;
    // A published period is immutable whatever its milestones say.
    let phase = if p.status == periods::STATUS_PUBLISHED {
        Phase::Published
    } else {
        plan.phase_at(now)
    };
    let context = Context {
        phase,
        reopened: assessment.reopened,
    };
    let leaves = leaves::list(db, period, unit)
        .await?
        .into_iter()
        .map(|l| (l.key.node.clone(), l))
        .collect();
    let evidence = evidence::list(db, period, unit, None, false).await?;
    let requests = explanations::list(db, period, Some(unit)).await?;
    Ok(Sheet {
        period: p,
        unit: u,
        set,
        assessment,
        milestones: plan,
        context,
        leaves,
        evidence,
        requests,
    })
}

fn not_started(period: &PeriodCode, unit: &UnitCode) -> Assessment {
    Assessment {
        period: period.clone(),
        unit: unit.clone(),
        state: AssessmentState::NotStarted,
        reopened: false,
        submitted_by: None,
        submitted_at: None,
        finalised_by: None,
        finalised_at: None,
        version: 0,
        updated_by: None,
        updated_at: None,
    }
}

/// The value of a leaf as stored, scored again by its method (the page shows the engine's
/// sentence for it). `error` is set when the stored value no longer scores.
#[derive(Debug, Clone, Default)]
pub(crate) struct Current {
    pub scored: Scored,
    pub error: Option<InputError>,
}

/// Points of the leaves the unit enters: in total and per area.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    /// Proposed points, bonus added and deductions subtracted.
    pub points: Decimal,
    /// Maximum of the applicable leaves that count in the maximum.
    pub max: Decimal,
    /// The same per area, by the area's code.
    pub areas: BTreeMap<NodeCode, (Decimal, Decimal)>,
}

/// Whether explanations were requested on a leaf, by leaf.
fn request_status(r: &ExplanationRequest) -> LeafExplanation {
    r.status
}

impl Sheet {
    /// The unit's assessment as an authorization resource.
    pub(crate) fn resource(&self) -> Resource {
        Resource::UnitAssessment {
            period: self.period.code.clone(),
            unit: self.unit.code.clone(),
        }
    }

    /// One leaf as an authorization resource.
    pub(crate) fn leaf_resource(&self, node: &NodeCode) -> Resource {
        Resource::Leaf {
            period: self.period.code.clone(),
            unit: self.unit.code.clone(),
            node: node.clone(),
        }
    }

    fn key(&self, node: &NodeCode) -> LeafKey {
        LeafKey {
            period: self.period.code.clone(),
            unit: self.unit.code.clone(),
            node: node.clone(),
        }
    }

    /// Whether `principal` may see this leaf (an appraiser assigned by area sees only theirs).
    pub(crate) fn visible(&self, principal: &Principal, node: &NodeCode) -> bool {
        authz::can(principal, Action::ViewAssessment, &self.leaf_resource(node))
    }

    /// Why the unit may not change its self-assessment now, if it may not.
    pub(crate) fn edit_refusal(&self) -> Option<WorkflowError> {
        workflow::apply(self.assessment.state, Transition::SaveDraft, self.context).err()
    }

    /// Whether `principal` may change the self-assessment now.
    pub(crate) fn may_edit(&self, principal: &Principal) -> bool {
        authz::can(principal, Action::EditSelfAssessment, &self.resource())
            && workflow::unit_may_edit(self.assessment.state, self.context)
    }

    /// Whether `principal` holds the leader's right to submit (whatever the time).
    pub(crate) fn may_submit_at_all(&self, principal: &Principal) -> bool {
        authz::can(principal, Action::SubmitSelfAssessment, &self.resource())
    }

    /// Why the self-assessment cannot be submitted now, if it cannot.
    pub(crate) fn submit_refusal(&self) -> Option<WorkflowError> {
        workflow::apply(self.assessment.state, Transition::Submit, self.context).err()
    }

    /// The explanation request on a leaf, if any.
    pub(crate) fn request_on(&self, node: &NodeCode) -> Option<&ExplanationRequest> {
        self.requests.iter().find(|r| &r.key.node == node)
    }

    /// Whether `principal` may answer request `r` now.
    pub(crate) fn may_answer(&self, principal: &Principal, r: &ExplanationRequest) -> bool {
        authz::can(
            principal,
            Action::AnswerExplanation,
            &self.leaf_resource(&r.key.node),
        ) && workflow::unit_may_answer(self.assessment.state, self.context, request_status(r))
    }

    /// Documents attached to a leaf.
    pub(crate) fn files_of<'a>(&'a self, node: &'a NodeCode) -> impl Iterator<Item = &'a Evidence> {
        self.evidence.iter().filter(move |e| &e.key.node == node)
    }

    /// Every leaf with the area it belongs to, in tree order.
    pub(crate) fn leaves_by_area(&self) -> Vec<(&Node, Vec<&Node>)> {
        self.set
            .nodes
            .iter()
            .map(|area| {
                let leaves = area.walk().into_iter().filter(|n| n.is_leaf()).collect();
                (area, leaves)
            })
            .collect()
    }

    /// The stored value of a leaf, scored again.
    pub(crate) fn current(&self, node: &Node) -> Current {
        let input = self
            .leaves
            .get(&node.code)
            .and_then(|l| l.self_assessment.input.as_ref());
        match input {
            None => Current::default(),
            Some(raw) => match fields::score(node, raw) {
                Ok(outcome) => Current {
                    scored: Some((raw.clone(), outcome)),
                    error: None,
                },
                Err(e) => Current {
                    scored: None,
                    error: Some(e),
                },
            },
        }
    }

    /// The leaves as submission judges them (only those the unit enters).
    fn self_leaves(&self) -> Vec<SelfLeaf<'_>> {
        self.set
            .leaves()
            .into_iter()
            .filter(|n| fields::unit_enters(n))
            .map(|n| {
                let stored = self.leaves.get(&n.code).map(|l| &l.self_assessment);
                SelfLeaf {
                    node: &n.code,
                    source: n.source,
                    answered: stored.is_some_and(|s| s.input.is_some()),
                    evidence_required: fields::evidence_required(n),
                    evidence_files: self.files_of(&n.code).count(),
                    explanation: stored.and_then(|s| s.explanation.as_deref()).unwrap_or(""),
                }
            })
            .collect()
    }

    /// What keeps the self-assessment from being submitted.
    pub(crate) fn submission_issues(&self) -> Vec<SubmissionIssue> {
        workflow::submission_issues(self.self_leaves())
    }

    /// Whether a leaf needs an explanation because required evidence is missing.
    pub(crate) fn explanation_required(&self, node: &Node) -> bool {
        self.self_leaves()
            .iter()
            .find(|l| l.node == &node.code)
            .is_some_and(workflow::explanation_required)
    }

    /// Points and maxima of the leaves `principal` may see, with `overrides` (values being
    /// typed) in place of the stored ones.
    pub(crate) fn totals(
        &self,
        principal: &Principal,
        overrides: &BTreeMap<NodeCode, Scored>,
    ) -> Totals {
        let mut t = Totals::default();
        for (area, leaves) in self.leaves_by_area() {
            let (mut points, mut max) = (Decimal::ZERO, Decimal::ZERO);
            for node in leaves {
                if !fields::unit_enters(node) || !self.visible(principal, &node.code) {
                    continue;
                }
                let scored = match overrides.get(&node.code) {
                    Some(s) => s.clone(),
                    None => self.current(node).scored,
                };
                let (p, applicable) = match &scored {
                    Some((_, o)) => (o.points.value(), o.applicable),
                    // A stored value that no longer scores still counts with its stored points.
                    None => (
                        self.leaves
                            .get(&node.code)
                            .and_then(|l| l.self_assessment.points)
                            .map_or(Decimal::ZERO, |p| p.value()),
                        true,
                    ),
                };
                points += p;
                if applicable && node.source.counts_in_max() {
                    max += node.max.value();
                }
            }
            t.points += points;
            t.max += max;
            t.areas.insert(area.code.clone(), (points, max));
        }
        t
    }
}

/// Moves a not-started assessment to draft (the first change of the unit) and returns the
/// assessment's version to save against. Tries once more when someone else moved it first.
async fn ensure_draft(
    db: &Db,
    sheet: &Sheet,
    who: &Actor,
    now: OffsetDateTime,
) -> Result<i64, Failure> {
    let mut current = sheet.assessment.clone();
    for _ in 0..2 {
        let context = Context {
            phase: sheet.context.phase,
            reopened: current.reopened,
        };
        let to = workflow::apply(current.state, Transition::SaveDraft, context)
            .map_err(|e| Refusal::conflict(Problem::Workflow(e)))?;
        if current.version > 0 && current.state == to {
            return Ok(current.version);
        }
        let change = StateChange {
            state: to,
            reopened: workflow::reopened_after(Transition::SaveDraft, current.reopened),
            reason: Transition::SaveDraft.label_vi(),
        };
        let saved = assessments::set_state(
            db,
            &sheet.period.code,
            &sheet.unit.code,
            current.version,
            &change,
            who,
            now,
        )
        .await;
        match saved {
            Ok(a) => return Ok(a.version),
            Err(StoreError::Conflict(_)) => {
                current = assessments::get(db, &sheet.period.code, &sheet.unit.code)
                    .await?
                    .unwrap_or_else(|| not_started(&sheet.period.code, &sheet.unit.code));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Refusal::conflict(Problem::Moved).into())
}

/// What a save wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Saved {
    /// Leaves changed by the person (0: nothing to save).
    pub leaves: usize,
    /// The first of them, to return to.
    pub first: Option<NodeCode>,
}

/// Saves the leaves a person changed in a posted form (one leaf when the form names it in
/// `only`, else every leaf block of the form), all or none.
#[tracing::instrument(skip_all, fields(period = %sheet.period.code, unit = %sheet.unit.code))]
pub(crate) async fn save(
    db: &Db,
    principal: &Principal,
    sheet: &Sheet,
    form: &PostedForm,
    now: OffsetDateTime,
) -> Result<Saved, Failure> {
    allow(principal, Action::EditSelfAssessment, &sheet.resource())?;
    let only = form.get("only").and_then(|c| NodeCode::parse(c).ok());
    let changed: Vec<(&Node, &fields::PostedLeaf)> = form
        .leaves
        .iter()
        .filter(|(code, _)| only.as_ref().is_none_or(|o| o == *code))
        .filter(|(_, posted)| posted.changed())
        .filter_map(|(code, posted)| {
            sheet
                .set
                .find(code)
                .filter(|n| fields::unit_enters(n))
                .map(|n| (n, posted))
        })
        .collect();
    for (node, _) in &changed {
        allow(
            principal,
            Action::EditSelfAssessment,
            &sheet.leaf_resource(&node.code),
        )?;
    }
    let drafts: BTreeMap<NodeCode, LeafFields> = changed
        .iter()
        .map(|(n, p)| (n.code.clone(), p.fields.clone()))
        .collect();
    if let Some(e) = sheet.edit_refusal() {
        let mut r = Refusal::conflict(Problem::Workflow(e));
        r.drafts = drafts;
        return Err(r.into());
    }
    if changed.is_empty() {
        return Ok(Saved {
            leaves: 0,
            first: None,
        });
    }
    let mut problems = Vec::new();
    let mut saves = Vec::with_capacity(changed.len());
    for (node, posted) in &changed {
        let stored_version = sheet.leaves.get(&node.code).map_or(0, |l| l.self_version);
        if posted.version != stored_version {
            problems.push(Problem::Stale {
                node: node.code.clone(),
                typed: posted.fields.clone(),
            });
            continue;
        }
        match fields::read_entry(node, &posted.fields) {
            Ok(entry) => saves.push(SelfSave {
                node: node.code.clone(),
                entry,
                expected_version: posted.version,
            }),
            Err(problem) => problems.push(Problem::Field {
                node: node.code.clone(),
                problem,
            }),
        }
    }
    if !problems.is_empty() {
        return Err(refused_values(problems, drafts).into());
    }
    let who = actor(principal);
    let version = ensure_draft(db, sheet, &who, now).await?;
    let batch = SelfBatch {
        period: &sheet.period.code,
        unit: &sheet.unit.code,
        assessment_version: version,
        saves: &saves,
        reason: Transition::SaveDraft.label_vi(),
    };
    match leaves::save_self_many(db, &batch, &who, now).await {
        Ok(_) => Ok(Saved {
            leaves: saves.len(),
            first: saves.first().map(|s| s.node.clone()),
        }),
        Err(StoreError::Conflict(_)) => {
            // Someone saved meanwhile: name the leaves that moved, or the assessment.
            let fresh: HashMap<NodeCode, i64> =
                leaves::list(db, &sheet.period.code, &sheet.unit.code)
                    .await?
                    .into_iter()
                    .map(|l| (l.key.node, l.self_version))
                    .collect();
            let problems: Vec<Problem> = saves
                .iter()
                .filter(|s| fresh.get(&s.node).copied().unwrap_or(0) != s.expected_version)
                .map(|s| Problem::Stale {
                    node: s.node.clone(),
                    typed: drafts.get(&s.node).cloned().unwrap_or_default(),
                })
                .collect();
            let problems = if problems.is_empty() {
                vec![Problem::Moved]
            } else {
                problems
            };
            Err(refused_values(problems, drafts).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// A refusal of typed values: 409 when some leaf is stale, else 422. Stale leaves show their
/// current value (their typed value is in the problem); the others keep what was typed.
fn refused_values(problems: Vec<Problem>, mut drafts: BTreeMap<NodeCode, LeafFields>) -> Refusal {
    let stale = problems
        .iter()
        .filter_map(|p| match p {
            Problem::Stale { node, .. } => Some(node.clone()),
            _ => None,
        })
        .collect::<Vec<_>>();
    for node in &stale {
        drafts.remove(node);
    }
    let status = if stale.is_empty() && !problems.iter().any(|p| matches!(p, Problem::Moved)) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::CONFLICT
    };
    Refusal {
        status,
        problems,
        drafts,
        answers: BTreeMap::new(),
    }
}

/// The leader submits the self-assessment seen at `version`.
#[tracing::instrument(skip_all, fields(period = %sheet.period.code, unit = %sheet.unit.code))]
pub(crate) async fn submit(
    db: &Db,
    principal: &Principal,
    sheet: &Sheet,
    version: i64,
    now: OffsetDateTime,
) -> Result<(), Failure> {
    allow(principal, Action::SubmitSelfAssessment, &sheet.resource())?;
    let to = workflow::apply(sheet.assessment.state, Transition::Submit, sheet.context)
        .map_err(|e| Refusal::conflict(Problem::Workflow(e)))?;
    if version != sheet.assessment.version {
        return Err(Refusal::conflict(Problem::Moved).into());
    }
    let issues = sheet.submission_issues();
    if !issues.is_empty() {
        return Err(Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            issues.into_iter().map(Problem::Issue).collect(),
        )
        .into());
    }
    let change = StateChange {
        state: to,
        reopened: workflow::reopened_after(Transition::Submit, sheet.assessment.reopened),
        reason: Transition::Submit.label_vi(),
    };
    match assessments::set_state(
        db,
        &sheet.period.code,
        &sheet.unit.code,
        version,
        &change,
        &actor(principal),
        now,
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(StoreError::Conflict(_)) => Err(Refusal::conflict(Problem::Moved).into()),
        Err(e) => Err(e.into()),
    }
}

/// Why documents may be attached to a leaf now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attach {
    /// As part of the self-assessment, while the unit may edit it.
    SelfAssessment,
    /// With the answer to the leaf's explanation request, in the explanation window.
    Answer,
}

/// Whether `principal` may attach documents to `node` now, and as part of what.
pub(crate) fn may_attach(
    principal: &Principal,
    sheet: &Sheet,
    node: &NodeCode,
) -> Result<Attach, Failure> {
    let leaf = sheet
        .set
        .find(node)
        .filter(|n| n.is_leaf())
        .ok_or(AppError::PageNotFound)?;
    allow(
        principal,
        Action::UploadEvidence,
        &sheet.leaf_resource(&leaf.code),
    )?;
    if sheet.edit_refusal().is_none() {
        if !fields::unit_enters(leaf) {
            return Err(AppError::PageNotFound.into());
        }
        return Ok(Attach::SelfAssessment);
    }
    if let Some(r) = sheet.request_on(node)
        && sheet.may_answer(principal, r)
    {
        return Ok(Attach::Answer);
    }
    let reason = sheet
        .edit_refusal()
        .unwrap_or(WorkflowError::AlreadySubmitted);
    Err(Refusal::conflict(Problem::Workflow(reason)).into())
}

/// One file as received in a form.
#[derive(Debug)]
pub(crate) struct Incoming {
    /// The name the browser sent.
    pub name: String,
    pub content: Vec<u8>,
}

impl Sheet {
    /// How many more files a form may carry for `node`: the files allowed per request, and
    /// the room left on the leaf given the documents it holds.
    pub(crate) fn file_budget(&self, node: &NodeCode) -> FileBudget {
        FileBudget::for_leaf(self.files_of(node).count())
    }
}

/// Refuses `n` files for `node` when they are too many for one request or for the leaf (the
/// form was read with the same budget; this keeps the rule for every caller).
fn check_count(sheet: &Sheet, node: &NodeCode, n: usize) -> Result<(), Refusal> {
    let mut budget = sheet.file_budget(node);
    for _ in 0..n {
        budget
            .admit()
            .map_err(|e| Refusal::invalid(Problem::Upload(e)))?;
    }
    Ok(())
}

/// The refusal of a leaf found full inside the store's transaction (another upload filled it
/// meanwhile).
fn leaf_full(full: LeafFull) -> Failure {
    Refusal::invalid(Problem::Upload(UploadError::LeafFull {
        limit: full.cap,
        held: full.held,
    }))
    .into()
}

/// Checks every file (name, size, content against the claimed kind) before anything is
/// stored: one refused file refuses them all.
pub(crate) fn check_files(
    files: &[Incoming],
    limit: u64,
) -> Result<Vec<(String, FileKind)>, Refusal> {
    let mut ok = Vec::with_capacity(files.len());
    let mut problems = Vec::new();
    for f in files {
        match chiso_evidence::check_upload(&f.name, &f.content, limit) {
            Ok(c) => ok.push((c.file_name, c.kind)),
            Err(e) => problems.push(Problem::Upload(e)),
        }
    }
    if problems.is_empty() {
        Ok(ok)
    } else {
        Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, problems))
    }
}

/// Stores checked files in the blob store; what to record for each.
async fn store_files(
    store: &dyn BlobStore,
    files: &[Incoming],
    checked: Vec<(String, FileKind)>,
) -> Result<Vec<NewEvidence>, Failure> {
    let mut out = Vec::with_capacity(files.len());
    for (f, (file_name, kind)) in files.iter().zip(checked) {
        let blob = store.put_bytes(&f.content).await.map_err(|source| {
            tracing::error!(error = %source, "storing an evidence file failed");
            Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                vec![Problem::Upload(UploadError::Storage {
                    name: file_name.clone(),
                    source,
                })],
            )
        })?;
        out.push(NewEvidence {
            blob_id: blob.id,
            file_name,
            kind,
            size: blob.len,
        });
    }
    Ok(out)
}

/// Attaches files to a leaf: checked first, stored, then recorded in one transaction.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, fields(period = %sheet.period.code, unit = %sheet.unit.code, node = %node))]
pub(crate) async fn attach(
    db: &Db,
    store: Option<&dyn BlobStore>,
    principal: &Principal,
    sheet: &Sheet,
    node: &NodeCode,
    files: &[Incoming],
    limit: u64,
    now: OffsetDateTime,
) -> Result<usize, Failure> {
    let mode = may_attach(principal, sheet, node)?;
    let store = store.ok_or_else(|| {
        Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            vec![Problem::StorageMissing],
        )
    })?;
    if files.is_empty() {
        return Err(Refusal::invalid(Problem::NoFile).into());
    }
    check_count(sheet, node, files.len())?;
    let checked = check_files(files, limit)?;
    let who = actor(principal);
    let version = match mode {
        Attach::SelfAssessment => ensure_draft(db, sheet, &who, now).await?,
        Attach::Answer => sheet.assessment.version,
    };
    let new = store_files(store, files, checked).await?;
    let reason = match mode {
        Attach::SelfAssessment => "Tải lên tài liệu kiểm chứng",
        Attach::Answer => "Tài liệu kiểm chứng bổ sung khi giải trình",
    };
    let added = evidence::add_many_capped(
        db,
        &sheet.key(node),
        version,
        &new,
        MAX_FILES_PER_LEAF,
        reason,
        &who,
        now,
    )
    .await;
    match added {
        Ok(Ok(added)) => Ok(added.len()),
        Ok(Err(full)) => Err(leaf_full(full)),
        Err(StoreError::Conflict(_)) => Err(Refusal::conflict(Problem::Moved).into()),
        Err(e) => Err(e.into()),
    }
}

/// Removes (softly) document `id` of this unit, with the person's reason.
#[tracing::instrument(skip_all, fields(period = %sheet.period.code, unit = %sheet.unit.code, id))]
pub(crate) async fn remove(
    db: &Db,
    principal: &Principal,
    sheet: &Sheet,
    id: i64,
    reason: &str,
    now: OffsetDateTime,
) -> Result<NodeCode, Failure> {
    let Some(file) = sheet.evidence.iter().find(|e| e.id == id) else {
        // Removed already, or not a document of this assessment at all.
        return match evidence::get(db, id).await? {
            Some(e)
                if e.key.period == sheet.period.code
                    && e.key.unit == sheet.unit.code
                    && authz::can(
                        principal,
                        Action::UploadEvidence,
                        &sheet.leaf_resource(&e.key.node),
                    ) =>
            {
                Err(Refusal::conflict(Problem::AlreadyRemoved).into())
            }
            Some(e) if e.key.period == sheet.period.code && e.key.unit == sheet.unit.code => {
                Err(AppError::Forbidden.into())
            }
            _ => Err(AppError::PageNotFound.into()),
        };
    };
    allow(
        principal,
        Action::UploadEvidence,
        &sheet.leaf_resource(&file.key.node),
    )?;
    let removable = match may_attach(principal, sheet, &file.key.node)? {
        Attach::SelfAssessment => true,
        // While answering, only what was added for the answer (after submission) may go.
        Attach::Answer => sheet
            .assessment
            .submitted_at
            .is_some_and(|s| file.uploaded_at > s),
    };
    if !removable {
        return Err(Refusal::conflict(Problem::Workflow(WorkflowError::AlreadySubmitted)).into());
    }
    let reason = if reason.trim().is_empty() {
        "Đơn vị gỡ bỏ tài liệu kiểm chứng"
    } else {
        reason.trim()
    };
    match evidence::soft_remove_guarded(
        db,
        id,
        sheet.assessment.version,
        reason,
        &actor(principal),
        now,
    )
    .await
    {
        Ok(e) => Ok(e.key.node),
        Err(StoreError::Conflict(_)) => {
            let gone = evidence::get(db, id).await?.is_some_and(|e| e.is_removed());
            let problem = if gone {
                Problem::AlreadyRemoved
            } else {
                Problem::Moved
            };
            Err(Refusal::conflict(problem).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// An answer to an explanation request as posted.
#[derive(Debug)]
pub(crate) struct Answer {
    pub id: i64,
    pub text: String,
    /// The request's version the person saw.
    pub version: i64,
    pub files: Vec<Incoming>,
}

/// The unit answers an explanation request (text, and optionally new documents), then the
/// assessment moves on as the workflow says (explanations answered).
#[tracing::instrument(skip_all, fields(period = %sheet.period.code, unit = %sheet.unit.code, id = answer.id))]
pub(crate) async fn answer(
    db: &Db,
    store: Option<&dyn BlobStore>,
    principal: &Principal,
    sheet: &Sheet,
    answer: &Answer,
    limit: u64,
    now: OffsetDateTime,
) -> Result<NodeCode, Failure> {
    let request = sheet
        .requests
        .iter()
        .find(|r| r.id == answer.id)
        .ok_or(AppError::PageNotFound)?;
    let node = request.key.node.clone();
    allow(
        principal,
        Action::AnswerExplanation,
        &sheet.leaf_resource(&node),
    )?;
    let keep = |mut r: Refusal| {
        r.answers.insert(answer.id, answer.text.clone());
        Failure::Refused(r)
    };
    if !sheet.may_answer(principal, request) {
        let reason = workflow::apply(
            sheet.assessment.state,
            Transition::AnswerExplanation,
            sheet.context,
        )
        .err()
        .unwrap_or(WorkflowError::NoExplanationRequested);
        return Err(keep(Refusal::conflict(Problem::Workflow(reason))));
    }
    let text = fields::normalise_text(&answer.text);
    if text.is_empty() {
        return Err(keep(Refusal::invalid(Problem::AnswerRequired)));
    }
    if text.chars().count() > MAX_ANSWER_CHARS {
        return Err(keep(Refusal::invalid(Problem::AnswerTooLong)));
    }
    let stored_files = if answer.files.is_empty() {
        Vec::new()
    } else {
        let store = store.ok_or_else(|| {
            keep(Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                vec![Problem::StorageMissing],
            ))
        })?;
        check_count(sheet, &node, answer.files.len()).map_err(keep)?;
        let checked = check_files(&answer.files, limit).map_err(keep)?;
        store_files(store, &answer.files, checked).await?
    };
    let who = actor(principal);
    match explanations::answer(db, answer.id, &text, answer.version, &who, now).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(keep(Refusal::conflict(Problem::StaleAnswer {
                id: answer.id,
                typed: text,
            })));
        }
        Err(e) => return Err(e.into()),
    }
    let version = sheet.assessment.version;
    if !stored_files.is_empty() {
        let reason = "Tài liệu kiểm chứng bổ sung khi giải trình";
        match evidence::add_many_capped(
            db,
            &sheet.key(&node),
            version,
            &stored_files,
            MAX_FILES_PER_LEAF,
            reason,
            &who,
            now,
        )
        .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(full)) => return Err(leaf_full(full)),
            Err(StoreError::Conflict(_)) => return Err(Refusal::conflict(Problem::Moved).into()),
            Err(e) => return Err(e.into()),
        }
    }
    let to = workflow::apply(
        sheet.assessment.state,
        Transition::AnswerExplanation,
        sheet.context,
    )
    .map_err(|e| Refusal::conflict(Problem::Workflow(e)))?;
    if to != sheet.assessment.state {
        let change = StateChange {
            state: to,
            reopened: workflow::reopened_after(
                Transition::AnswerExplanation,
                sheet.assessment.reopened,
            ),
            reason: Transition::AnswerExplanation.label_vi(),
        };
        let moved = assessments::set_state(
            db,
            &sheet.period.code,
            &sheet.unit.code,
            version,
            &change,
            &who,
            now,
        )
        .await;
        match moved {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => {
                // Another answer moved it first: fine if it is where this one would have.
                let state = assessments::get(db, &sheet.period.code, &sheet.unit.code)
                    .await?
                    .map(|a| a.state);
                if state != Some(to) {
                    return Err(Refusal::conflict(Problem::Moved).into());
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(node)
}

/// One document, for a person who may download it. 404 when it does not exist, was removed,
/// or is not a document of this unit and period; 403 when the person may not see its leaf.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit, id))]
pub(crate) async fn document(
    db: &Db,
    principal: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    id: i64,
) -> Result<Evidence, AppError> {
    // A removed document stays recorded (and audited) but is no longer evidence: it is not
    // offered for download any more, to anyone.
    let file = evidence::get(db, id)
        .await?
        .filter(|e| &e.key.period == period && &e.key.unit == unit && !e.is_removed())
        .ok_or(AppError::PageNotFound)?;
    let resource = Resource::Leaf {
        period: period.clone(),
        unit: unit.clone(),
        node: file.key.node.clone(),
    };
    allow(principal, Action::DownloadEvidence, &resource)?;
    Ok(file)
}

/// Each previewed leaf with its typed value read and scored, or why it cannot be.
pub(crate) type PreviewLeaves = Vec<(NodeCode, Result<Scored, FieldProblem>)>;

/// The points of typed values: every leaf block of `form` read and scored (declared data and
/// notes aside), and the totals with those values in place of the stored ones.
pub(crate) fn preview(
    principal: &Principal,
    sheet: &Sheet,
    form: &PostedForm,
) -> (PreviewLeaves, Totals) {
    let mut leaves = Vec::new();
    let mut overrides = BTreeMap::new();
    for (code, posted) in &form.leaves {
        let Some(node) = sheet
            .set
            .find(code)
            .filter(|n| fields::unit_enters(n) && sheet.visible(principal, code))
        else {
            continue;
        };
        let read = fields::read_value(node, &posted.fields);
        if let Ok(scored) = &read {
            overrides.insert(code.clone(), scored.clone());
        }
        leaves.push((code.clone(), read));
    }
    let totals = sheet.totals(principal, &overrides);
    (leaves, totals)
}

/// Whether a leaf is one the unit declares with source `Source::Assessed` (as opposed to bonus
/// and deduction leaves, which may stay empty).
pub(crate) fn required_leaf(node: &Node) -> bool {
    fields::unit_enters(node) && node.source == Source::Assessed
}
