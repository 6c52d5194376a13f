//! One unit's dossier in one period, read once for every use case around it: the index set
//! and its leaves, the stored values, the evidence, the explanation requests, the state with
//! its version and the period's phase, and what the reader may do with it.
//!
//! The self-assessment page, the JSON API and the appraisal all start here, so that they can
//! never disagree about who sees what: the reader's permissions are computed once, at load,
//! through [`crate::authz`], and carried in [`Permissions`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chiso_domain::authz::{self, Action, Principal, Resource};
use chiso_domain::workflow::{
    self, AssessmentState, Context, Milestones, Phase, SelfLeaf, SubmissionIssue, Transition,
    WorkflowError,
};
use chiso_domain::{IndexSet, Method, Node, NodeCode, PeriodCode, Source, Unit, UnitCode};
use chiso_evidence::FileBudget;
use chiso_store::{assessments, evidence, explanations, leaves, periods};
use chiso_store::{index_sets, milestones, units, users};
use time::OffsetDateTime;

/// The records a dossier is made of, named here so that adapters use them without reaching
/// into the store.
pub use chiso_store::Db;
pub use chiso_store::assessments::Assessment;
pub use chiso_store::evidence::{Evidence, NewEvidence};
pub use chiso_store::explanations::ExplanationRequest;
pub use chiso_store::leaves::{LeafKey, SelfEntry, StoredLeaf};
pub use chiso_store::periods::Period;

use crate::authz::authorize;
use crate::codes;
use crate::error::{ServiceError, ServiceResult};

/// Why documents may be attached to a leaf now: the reason decides which documents may be
/// removed again and how the change is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attach {
    /// As part of the self-assessment, while the unit may edit it.
    SelfAssessment,
    /// With the answer to the leaf's explanation request, in the explanation window.
    Answer,
}

/// What the reader may do with one leaf, so that pages do not ask the matrix again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeafPermissions {
    /// May see the leaf (an appraiser assigned by area sees only the leaves of their areas).
    pub may_view: bool,
    /// Holds the right to edit the leaf's self-assessment (whatever the time).
    pub may_edit: bool,
    /// May attach documents now, and as part of what; `None` when not.
    pub attach: Option<Attach>,
}

/// What the reader may do with the dossier, computed once when it is loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    /// Holds the right to edit the self-assessment (whatever the time): only such readers are
    /// told why it is closed.
    pub may_edit_at_all: bool,
    /// May change the self-assessment now (the right, and the workflow allows it).
    pub may_edit: bool,
    /// Holds the leader's right to submit (whatever the time).
    pub may_submit_at_all: bool,
    /// May submit now (the right, and the workflow allows it).
    pub may_submit: bool,
    /// Per leaf of the set.
    pub leaves: BTreeMap<NodeCode, LeafPermissions>,
    /// Explanation requests the reader may answer now, by id.
    pub may_answer: BTreeSet<i64>,
}

/// One unit's dossier in one period, as the reader who loaded it may use it.
#[derive(Debug, Clone)]
pub struct Dossier {
    /// The period.
    pub period: Period,
    /// The unit.
    pub unit: Unit,
    /// The index set of the unit's group.
    pub set: IndexSet,
    /// As stored, or not started (version 0) when nothing was saved yet.
    pub assessment: Assessment,
    /// The period's milestones.
    pub milestones: Milestones,
    /// The phase at load time and whether the unit was reopened.
    pub context: Context,
    /// Stored leaves by code.
    pub leaves: BTreeMap<NodeCode, StoredLeaf>,
    /// Attached documents, not removed, in leaf then upload order.
    pub evidence: Vec<Evidence>,
    /// The period's explanation requests for this unit.
    pub requests: Vec<ExplanationRequest>,
    /// What the reader may do.
    pub permissions: Permissions,
}

/// Reads one unit's dossier for a reader who may view it. Refused first when they may not
/// (so nothing is revealed about the period to outsiders); `period_not_found`,
/// `unit_not_in_period` or `unit_not_found` when it does not exist.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub async fn load(
    db: &Db,
    principal: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    now: OffsetDateTime,
) -> ServiceResult<Dossier> {
    let resource = Resource::UnitAssessment {
        period: period.clone(),
        unit: unit.clone(),
    };
    authorize(principal, Action::ViewAssessment, &resource)?;
    let p = periods::get(db, period)
        .await?
        .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", period))?;
    let not_member = || {
        ServiceError::new(codes::UNIT_NOT_IN_PERIOD)
            .arg("period", period)
            .arg("unit", unit)
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
        .ok_or_else(|| ServiceError::new(codes::UNIT_NOT_FOUND).arg("unit", unit))?;
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
    let mut dossier = Dossier {
        period: p,
        unit: u,
        set,
        assessment,
        milestones: plan,
        context,
        leaves,
        evidence,
        requests,
        permissions: Permissions::default(),
    };
    dossier.permissions = dossier.permissions_of(principal);
    Ok(dossier)
}

/// Display names of every account by login, for "saved by", "answered by" and "uploaded by"
/// in a dossier.
pub async fn names(db: &Db) -> ServiceResult<HashMap<String, String>> {
    Ok(users::list(db)
        .await?
        .into_iter()
        .map(|u| (u.login, u.display_name))
        .collect())
}

/// An assessment nothing was saved for yet.
pub(crate) fn not_started(period: &PeriodCode, unit: &UnitCode) -> Assessment {
    Assessment {
        period: period.clone(),
        unit: unit.clone(),
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

/// Whether the unit enters a value for this leaf itself (assessed, bonus and deduction leaves
/// with a method the unit can answer; surveys and computed leaves are filled by others).
pub fn unit_enters(node: &Node) -> bool {
    node.is_leaf()
        && matches!(
            node.source,
            Source::Assessed | Source::Bonus | Source::Deduction
        )
        && !matches!(node.method, Some(Method::Survey) | None)
}

/// Whether the index set requires evidence documents for this leaf.
pub fn evidence_required(node: &Node) -> bool {
    node.evidence
        .as_deref()
        .is_some_and(|e| !e.trim().is_empty())
}

/// Whether a leaf must be answered before submission (as opposed to bonus and deduction
/// leaves, which may stay empty).
pub fn required_leaf(node: &Node) -> bool {
    unit_enters(node) && node.source == Source::Assessed
}

impl Dossier {
    /// The unit's assessment as an authorization resource.
    pub fn resource(&self) -> Resource {
        Resource::UnitAssessment {
            period: self.period.code.clone(),
            unit: self.unit.code.clone(),
        }
    }

    /// One leaf as an authorization resource.
    pub fn leaf_resource(&self, node: &NodeCode) -> Resource {
        Resource::Leaf {
            period: self.period.code.clone(),
            unit: self.unit.code.clone(),
            node: node.clone(),
        }
    }

    /// The store's key of one leaf of this dossier.
    pub fn key(&self, node: &NodeCode) -> LeafKey {
        LeafKey {
            period: self.period.code.clone(),
            unit: self.unit.code.clone(),
            node: node.clone(),
        }
    }

    /// Everything `principal` may do with this dossier, asked of the matrix once.
    fn permissions_of(&self, principal: &Principal) -> Permissions {
        let resource = self.resource();
        let may_edit_at_all = authz::can(principal, Action::EditSelfAssessment, &resource);
        let may_submit_at_all = authz::can(principal, Action::SubmitSelfAssessment, &resource);
        let may_answer = self
            .requests
            .iter()
            .filter(|r| self.answerable(principal, r))
            .map(|r| r.id)
            .collect();
        let mut p = Permissions {
            may_edit_at_all,
            may_edit: may_edit_at_all
                && workflow::unit_may_edit(self.assessment.state, self.context),
            may_submit_at_all,
            may_submit: may_submit_at_all && self.submit_refusal().is_none(),
            leaves: BTreeMap::new(),
            may_answer,
        };
        for node in self.set.leaves() {
            let leaf = self.leaf_resource(&node.code);
            let perms = LeafPermissions {
                may_view: authz::can(principal, Action::ViewAssessment, &leaf),
                may_edit: authz::can(principal, Action::EditSelfAssessment, &leaf),
                attach: self.attach_mode(principal, &p, node).ok(),
            };
            p.leaves.insert(node.code.clone(), perms);
        }
        p
    }

    /// Whether `principal` may answer request `r` now (the right and the workflow).
    fn answerable(&self, principal: &Principal, r: &ExplanationRequest) -> bool {
        authz::can(
            principal,
            Action::AnswerExplanation,
            &self.leaf_resource(&r.key.node),
        ) && workflow::unit_may_answer(self.assessment.state, self.context, r.status)
    }

    /// Whether `principal` may attach documents to `node` now, and as part of what.
    fn attach_mode(
        &self,
        principal: &Principal,
        perms: &Permissions,
        node: &Node,
    ) -> ServiceResult<Attach> {
        authorize(
            principal,
            Action::UploadEvidence,
            &self.leaf_resource(&node.code),
        )?;
        if self.edit_refusal().is_none() {
            if !unit_enters(node) {
                return Err(ServiceError::new(codes::LEAF_NOT_FOUND).arg("node", &node.code));
            }
            return Ok(Attach::SelfAssessment);
        }
        if let Some(r) = self.request_on(&node.code)
            && perms.may_answer.contains(&r.id)
        {
            return Ok(Attach::Answer);
        }
        let reason = self
            .edit_refusal()
            .unwrap_or(WorkflowError::AlreadySubmitted);
        Err(workflow_refused(reason))
    }

    /// Whether `principal` may attach documents to `node` now, and as part of what: refused
    /// with the reason (the right, the leaf, or the workflow) when not.
    pub fn may_attach(&self, principal: &Principal, node: &NodeCode) -> ServiceResult<Attach> {
        let leaf = self
            .set
            .find(node)
            .filter(|n| n.is_leaf())
            .ok_or_else(|| ServiceError::new(codes::LEAF_NOT_FOUND).arg("node", node))?;
        self.attach_mode(principal, &self.permissions, leaf)
    }

    /// What the reader may do with a leaf (nothing for a code outside the set).
    pub fn leaf(&self, node: &NodeCode) -> LeafPermissions {
        self.permissions
            .leaves
            .get(node)
            .cloned()
            .unwrap_or_default()
    }

    /// Whether the reader may see this leaf.
    pub fn visible(&self, node: &NodeCode) -> bool {
        self.permissions
            .leaves
            .get(node)
            .is_some_and(|l| l.may_view)
    }

    /// Whether the reader may change the self-assessment now.
    pub fn may_edit(&self) -> bool {
        self.permissions.may_edit
    }

    /// Whether the reader holds the right to edit the self-assessment (whatever the time).
    pub fn may_edit_at_all(&self) -> bool {
        self.permissions.may_edit_at_all
    }

    /// Whether the reader holds the leader's right to submit (whatever the time).
    pub fn may_submit_at_all(&self) -> bool {
        self.permissions.may_submit_at_all
    }

    /// Whether the reader may answer request `r` now.
    pub fn may_answer(&self, r: &ExplanationRequest) -> bool {
        self.permissions.may_answer.contains(&r.id)
    }

    /// Why the unit may not change its self-assessment now, if it may not.
    pub fn edit_refusal(&self) -> Option<WorkflowError> {
        workflow::apply(self.assessment.state, Transition::SaveDraft, self.context).err()
    }

    /// Why the self-assessment cannot be submitted now, if it cannot.
    pub fn submit_refusal(&self) -> Option<WorkflowError> {
        workflow::apply(self.assessment.state, Transition::Submit, self.context).err()
    }

    /// The explanation request on a leaf, if any.
    pub fn request_on(&self, node: &NodeCode) -> Option<&ExplanationRequest> {
        self.requests.iter().find(|r| &r.key.node == node)
    }

    /// Documents attached to a leaf.
    pub fn files_of<'a>(&'a self, node: &'a NodeCode) -> impl Iterator<Item = &'a Evidence> {
        self.evidence.iter().filter(move |e| &e.key.node == node)
    }

    /// How many more files one request may carry for `node`: the files allowed per request,
    /// and the room left on the leaf given the documents it holds.
    pub fn file_budget(&self, node: &NodeCode) -> FileBudget {
        FileBudget::for_leaf(self.files_of(node).count())
    }

    /// Every area with its leaves, in tree order.
    pub fn leaves_by_area(&self) -> Vec<(&Node, Vec<&Node>)> {
        self.set
            .nodes
            .iter()
            .map(|area| {
                let leaves = area.walk().into_iter().filter(|n| n.is_leaf()).collect();
                (area, leaves)
            })
            .collect()
    }

    /// The version of a leaf's self-assessment (0 when never saved).
    pub fn self_version(&self, node: &NodeCode) -> i64 {
        self.leaves.get(node).map_or(0, |l| l.self_version)
    }

    /// The leaves as submission judges them (only those the unit enters).
    fn self_leaves(&self) -> Vec<SelfLeaf<'_>> {
        self.set
            .leaves()
            .into_iter()
            .filter(|n| unit_enters(n))
            .map(|n| {
                let stored = self.leaves.get(&n.code).map(|l| &l.self_assessment);
                SelfLeaf {
                    node: &n.code,
                    source: n.source,
                    answered: stored.is_some_and(|s| s.input.is_some()),
                    evidence_required: evidence_required(n),
                    evidence_files: self.files_of(&n.code).count(),
                    explanation: stored.and_then(|s| s.explanation.as_deref()).unwrap_or(""),
                }
            })
            .collect()
    }

    /// What keeps the self-assessment from being submitted.
    pub fn submission_issues(&self) -> Vec<SubmissionIssue> {
        workflow::submission_issues(self.self_leaves())
    }

    /// Whether a leaf needs an explanation because required evidence is missing.
    pub fn explanation_required(&self, node: &Node) -> bool {
        self.self_leaves()
            .iter()
            .find(|l| l.node == &node.code)
            .is_some_and(workflow::explanation_required)
    }
}

/// The workflow's refusal as an error: `assessment_workflow` with the `reason` code.
pub fn workflow_refused(e: WorkflowError) -> ServiceError {
    ServiceError::new(codes::ASSESSMENT_WORKFLOW).arg("reason", workflow_reason(e))
}

/// The stable code of a workflow refusal (`already_submitted`, `closed_self_assessment`, …).
pub fn workflow_reason(e: WorkflowError) -> String {
    use WorkflowError as W;
    match e {
        W::NotOpen(w) => format!("not_open_{}", window_code(w)),
        W::Closed(w) => format!("closed_{}", window_code(w)),
        W::AlreadySubmitted => "already_submitted".into(),
        W::NothingToSubmit => "nothing_to_submit".into(),
        W::NotSubmitted => "not_submitted".into(),
        W::AppraisalNotStarted => "appraisal_not_started".into(),
        W::AppraisalAlreadyStarted => "appraisal_already_started".into(),
        W::ExplanationRoundOver => "explanation_round_over".into(),
        W::NoExplanationRequested => "no_explanation_requested".into(),
        W::NotAppraised => "not_appraised".into(),
        W::Locked => "locked".into(),
        W::Published => "published".into(),
        W::NothingToReopen => "nothing_to_reopen".into(),
        W::DeadlineNotReached => "deadline_not_reached".into(),
        W::ClosedUnsubmitted => "closed_unsubmitted".into(),
        W::AlreadyClosed => "already_closed".into(),
    }
}

const WINDOWS: [workflow::Window; 5] = [
    workflow::Window::SelfAssessment,
    workflow::Window::Appraisal,
    workflow::Window::Explanation,
    workflow::Window::Reappraisal,
    workflow::Window::Approval,
];

fn window_code(w: workflow::Window) -> &'static str {
    use workflow::Window as Wi;
    match w {
        Wi::SelfAssessment => "self_assessment",
        Wi::Appraisal => "appraisal",
        Wi::Explanation => "explanation",
        Wi::Reappraisal => "reappraisal",
        Wi::Approval => "approval",
    }
}

/// The workflow refusal of a `reason` code (the inverse of [`workflow_reason`]), so that an
/// adapter can word it with the workflow's own vocabulary.
pub fn workflow_error(reason: &str) -> Option<WorkflowError> {
    use WorkflowError as W;
    let plain = [
        W::AlreadySubmitted,
        W::NothingToSubmit,
        W::NotSubmitted,
        W::AppraisalNotStarted,
        W::AppraisalAlreadyStarted,
        W::ExplanationRoundOver,
        W::NoExplanationRequested,
        W::NotAppraised,
        W::Locked,
        W::Published,
        W::NothingToReopen,
    ];
    plain
        .into_iter()
        .chain(
            WINDOWS
                .into_iter()
                .flat_map(|w| [W::NotOpen(w), W::Closed(w)]),
        )
        .find(|e| workflow_reason(*e) == reason)
}
