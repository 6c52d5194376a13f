//! The unit's side of the cycle: saving self-assessment values, submitting, attaching and
//! removing evidence, answering explanation requests, and handing out documents.
//!
//! Each change asks two questions before touching anything: **who** ([`authorize`]: the
//! person's roles on the unit or the leaf) and **when** (the workflow: the assessment's state
//! and the period's phase, from its milestones). Values are scored again by the leaf's method
//! and versions compared before the store is called; the store compares versions again inside
//! its transaction, so a change based on a stale dossier never lands.
//!
//! Every use case works on a [`Dossier`] loaded for the same person ([`crate::dossier::load`])
//! and a typed command; refusals are codes with arguments, per-leaf ones listed in
//! [`Detail::Problems`] with a `field` argument naming the leaf.

use std::collections::HashMap;

use chiso_domain::authz::{Action, Principal, Resource};
use chiso_domain::notify::Event;
use chiso_domain::workflow::{self, Context, SubmissionIssue, Transition, WorkflowError};
use chiso_domain::{NodeCode, PeriodCode, UnitCode};
use chiso_evidence::{MAX_FILES_PER_LEAF, UploadError};
use chiso_store::assessments::{self, StateChange};
use chiso_store::evidence::{self, Evidence, LeafFull, NewEvidence};
use chiso_store::explanations;
use chiso_store::leaves::{self, SelfBatch, SelfEntry, SelfSave};
use chiso_store::{Actor, Db, StoreError};
use time::OffsetDateTime;

use crate::authz::authorize;
use crate::codes;
use crate::dossier::{self, Attach, Dossier, unit_enters, workflow_refused};
use crate::error::{Detail, Problem, ServiceError, ServiceResult};
use crate::outbox;

/// Longest declared data, note or explanation of a leaf, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;

/// Longest answer to an explanation request, in characters.
pub const MAX_ANSWER_CHARS: usize = 8000;

/// One leaf's self-assessment as entered, with the version of the leaf it was entered against.
#[derive(Debug, Clone)]
pub struct LeafEntry {
    /// The leaf.
    pub node: NodeCode,
    /// The value, declared data, note and explanation. Points are scored again here.
    pub entry: SelfEntry,
    /// The leaf's self version seen (0: never saved).
    pub expected_version: i64,
}

/// Saves several leaves of a unit's self-assessment as a draft, all or none.
#[derive(Debug, Clone)]
pub struct SaveSelfAssessment {
    /// The period of the dossier.
    pub period: PeriodCode,
    /// The unit of the dossier.
    pub unit: UnitCode,
    /// The leaves changed.
    pub leaves: Vec<LeafEntry>,
}

/// What a save wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// Leaves written (0: nothing to save).
    pub leaves: usize,
    /// The first of them.
    pub first: Option<NodeCode>,
}

/// The leader submits the self-assessment seen at `expected_version`.
#[derive(Debug, Clone)]
pub struct Submit {
    /// The period of the dossier.
    pub period: PeriodCode,
    /// The unit of the dossier.
    pub unit: UnitCode,
    /// The assessment's version seen.
    pub expected_version: i64,
}

/// Attaches checked and stored files to a leaf.
#[derive(Debug, Clone)]
pub struct AttachEvidence {
    /// The period of the dossier.
    pub period: PeriodCode,
    /// The unit of the dossier.
    pub unit: UnitCode,
    /// The leaf.
    pub node: NodeCode,
    /// The files, already checked and put in the blob store.
    pub files: Vec<NewEvidence>,
}

/// Removes (softly) one document of the unit.
#[derive(Debug, Clone)]
pub struct RemoveEvidence {
    /// The period of the dossier.
    pub period: PeriodCode,
    /// The unit of the dossier.
    pub unit: UnitCode,
    /// The document.
    pub id: i64,
    /// Why; a default reason is recorded when empty.
    pub reason: String,
}

/// Answers an explanation request, optionally with new documents for its leaf.
#[derive(Debug, Clone)]
pub struct AnswerExplanation {
    /// The period of the dossier.
    pub period: PeriodCode,
    /// The unit of the dossier.
    pub unit: UnitCode,
    /// The request.
    pub id: i64,
    /// The answer, whitespace normalised here.
    pub text: String,
    /// The request's version seen.
    pub expected_version: i64,
    /// Files already checked and put in the blob store.
    pub files: Vec<NewEvidence>,
}

/// Refuses a command naming another dossier than the one it is applied to.
fn same_dossier(dossier: &Dossier, period: &PeriodCode, unit: &UnitCode) -> ServiceResult<()> {
    if &dossier.period.code == period && &dossier.unit.code == unit {
        Ok(())
    } else {
        Err(ServiceError::new(codes::DOSSIER_MISMATCH)
            .arg("period", period)
            .arg("unit", unit))
    }
}

fn actor(principal: &Principal) -> Actor {
    Actor(principal.login.clone())
}

/// Store refusals of the unit's changes: a period published meanwhile is the workflow's
/// refusal; a version conflict means the assessment moved on.
fn store_refusal(e: StoreError, current: i64) -> ServiceError {
    match e {
        StoreError::Frozen(_) => workflow_refused(WorkflowError::Published),
        StoreError::Conflict(_) => ServiceError::new(codes::STALE_VERSION).arg("current", current),
        e => e.into(),
    }
}

/// Line endings made `\n` and the text trimmed at both ends.
pub fn normalise_text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .trim()
        .to_owned()
}

/// Who and when for a save of `leaves` (codes with the versions seen): the right on the unit
/// and on each leaf, the workflow, and the versions. Pure: adapters call it before reading
/// what was typed, so that a refused person learns that first.
pub fn check_save(
    principal: &Principal,
    dossier: &Dossier,
    leaves: &[(NodeCode, i64)],
) -> ServiceResult<()> {
    authorize(principal, Action::EditSelfAssessment, &dossier.resource())?;
    for (node, _) in leaves {
        if !dossier.set.find(node).is_some_and(unit_enters) {
            return Err(ServiceError::new(codes::LEAF_NOT_FOUND).arg("node", node));
        }
        authorize(
            principal,
            Action::EditSelfAssessment,
            &dossier.leaf_resource(node),
        )?;
    }
    if let Some(e) = dossier.edit_refusal() {
        return Err(workflow_refused(e));
    }
    let stale: Vec<Problem> = leaves
        .iter()
        .filter(|(node, seen)| dossier.self_version(node) != *seen)
        .map(|(node, _)| leaf_stale(node, dossier.self_version(node)))
        .collect();
    if stale.is_empty() {
        Ok(())
    } else {
        Err(leaves_stale(stale))
    }
}

fn leaf_stale(node: &NodeCode, current: i64) -> Problem {
    Problem::new(codes::LEAF_STALE)
        .arg("field", node)
        .arg("current", current)
}

fn leaves_stale(problems: Vec<Problem>) -> ServiceError {
    ServiceError::new(codes::LEAVES_STALE)
        .arg("count", problems.len())
        .detail(Detail::Problems(problems))
}

/// The entry as it will be stored: the value scored by the leaf's method (points are never
/// taken from the caller) and texts normalised and bounded.
fn validated(node: &chiso_domain::Node, entry: &SelfEntry) -> Result<SelfEntry, Problem> {
    let points = match (&entry.input, &node.method) {
        (None, _) => None,
        (Some(raw), Some(m)) => Some(
            m.score(node.max, node.source, node.not_applicable, raw)
                .map_err(|_| Problem::new(codes::LEAF_VALUE_REFUSED).arg("field", &node.code))?
                .points,
        ),
        (Some(_), None) => {
            return Err(Problem::new(codes::LEAF_VALUE_REFUSED).arg("field", &node.code));
        }
    };
    let text = |s: &Option<String>| -> Result<Option<String>, Problem> {
        let Some(s) = s else { return Ok(None) };
        let t = normalise_text(s);
        if t.chars().count() > MAX_TEXT_CHARS {
            return Err(Problem::new(codes::LEAF_TEXT_TOO_LONG)
                .arg("field", &node.code)
                .arg("max", MAX_TEXT_CHARS));
        }
        Ok(Some(t).filter(|t| !t.is_empty()))
    };
    Ok(SelfEntry {
        input: entry.input.clone(),
        points,
        declared_data: text(&entry.declared_data)?,
        note: text(&entry.note)?,
        explanation: text(&entry.explanation)?,
    })
}

/// Moves a not-started assessment to draft (the first change of the unit) and returns the
/// assessment's version to save against. Tries once more when someone else moved it first.
async fn ensure_draft(
    db: &Db,
    dossier: &Dossier,
    who: &Actor,
    now: OffsetDateTime,
) -> ServiceResult<i64> {
    let (period, unit) = (&dossier.period.code, &dossier.unit.code);
    let mut current = dossier.assessment.clone();
    for _ in 0..2 {
        let context = Context {
            phase: dossier.context.phase,
            reopened: current.reopened,
        };
        let to = workflow::apply(current.state, Transition::SaveDraft, context)
            .map_err(workflow_refused)?;
        if current.version > 0 && current.state == to {
            return Ok(current.version);
        }
        let change = StateChange {
            state: to,
            reopened: workflow::reopened_after(Transition::SaveDraft, current.reopened),
            reason: Transition::SaveDraft.label_vi(),
        };
        match assessments::set_state(db, period, unit, current.version, &change, who, now).await {
            Ok(a) => return Ok(a.version),
            Err(StoreError::Conflict(_)) => {
                current = assessments::get(db, period, unit)
                    .await?
                    .unwrap_or_else(|| dossier::not_started(period, unit));
            }
            Err(e) => return Err(store_refusal(e, current.version)),
        }
    }
    Err(ServiceError::new(codes::STALE_VERSION).arg("current", current.version))
}

/// Saves the leaves of `cmd` as a draft, all or none. Refused with `leaves_stale` (the leaves
/// someone saved meanwhile, each with its `current` version) or `leaves_invalid` (values the
/// leaf's method refuses, texts too long), per leaf in the details.
#[tracing::instrument(skip_all, fields(period = %dossier.period.code, unit = %dossier.unit.code))]
pub async fn save(
    db: &Db,
    principal: &Principal,
    dossier: &Dossier,
    cmd: &SaveSelfAssessment,
    now: OffsetDateTime,
) -> ServiceResult<Saved> {
    same_dossier(dossier, &cmd.period, &cmd.unit)?;
    let seen: Vec<(NodeCode, i64)> = cmd
        .leaves
        .iter()
        .map(|l| (l.node.clone(), l.expected_version))
        .collect();
    check_save(principal, dossier, &seen)?;
    if cmd.leaves.is_empty() {
        return Ok(Saved {
            leaves: 0,
            first: None,
        });
    }
    let mut problems = Vec::new();
    let mut saves = Vec::with_capacity(cmd.leaves.len());
    for l in &cmd.leaves {
        let Some(node) = dossier.set.find(&l.node) else {
            continue;
        };
        match validated(node, &l.entry) {
            Ok(entry) => saves.push(SelfSave {
                node: l.node.clone(),
                entry,
                expected_version: l.expected_version,
            }),
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::new(codes::LEAVES_INVALID)
            .arg("count", problems.len())
            .detail(Detail::Problems(problems)));
    }
    let who = actor(principal);
    let version = ensure_draft(db, dossier, &who, now).await?;
    let batch = SelfBatch {
        period: &dossier.period.code,
        unit: &dossier.unit.code,
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
                leaves::list(db, &dossier.period.code, &dossier.unit.code)
                    .await?
                    .into_iter()
                    .map(|l| (l.key.node, l.self_version))
                    .collect();
            let stale: Vec<Problem> = saves
                .iter()
                .filter_map(|s| {
                    let now = fresh.get(&s.node).copied().unwrap_or(0);
                    (now != s.expected_version).then(|| leaf_stale(&s.node, now))
                })
                .collect();
            if stale.is_empty() {
                let current = assessments::get(db, &dossier.period.code, &dossier.unit.code)
                    .await?
                    .map_or(0, |a| a.version);
                Err(ServiceError::new(codes::STALE_VERSION).arg("current", current))
            } else {
                Err(leaves_stale(stale))
            }
        }
        Err(e) => Err(store_refusal(e, version)),
    }
}

/// The issues keeping a self-assessment from being submitted, as problems naming their leaf.
fn issue_problem(issue: &SubmissionIssue) -> Problem {
    match issue {
        SubmissionIssue::MissingValue(node) => {
            Problem::new(codes::MISSING_VALUE).arg("field", node)
        }
        SubmissionIssue::MissingExplanation(node) => {
            Problem::new(codes::MISSING_EXPLANATION).arg("field", node)
        }
    }
}

/// The leader submits the self-assessment. Refused with `stale_version` when it changed since
/// `expected_version`, `submission_incomplete` (per leaf in the details) when something is
/// missing.
#[tracing::instrument(skip_all, fields(period = %dossier.period.code, unit = %dossier.unit.code))]
pub async fn submit(
    db: &Db,
    principal: &Principal,
    dossier: &Dossier,
    cmd: &Submit,
    now: OffsetDateTime,
) -> ServiceResult<()> {
    same_dossier(dossier, &cmd.period, &cmd.unit)?;
    authorize(principal, Action::SubmitSelfAssessment, &dossier.resource())?;
    let to = workflow::apply(
        dossier.assessment.state,
        Transition::Submit,
        dossier.context,
    )
    .map_err(workflow_refused)?;
    let current = dossier.assessment.version;
    if cmd.expected_version != current {
        return Err(ServiceError::new(codes::STALE_VERSION).arg("current", current));
    }
    let issues = dossier.submission_issues();
    if !issues.is_empty() {
        return Err(ServiceError::new(codes::SUBMISSION_INCOMPLETE)
            .arg("count", issues.len())
            .detail(Detail::Problems(issues.iter().map(issue_problem).collect())));
    }
    let change = StateChange {
        state: to,
        reopened: workflow::reopened_after(Transition::Submit, dossier.assessment.reopened),
        reason: Transition::Submit.label_vi(),
    };
    let told = outbox::outgoing(
        db,
        Event::SelfAssessmentSubmitted {
            period: dossier.period.code.clone(),
            unit: dossier.unit.code.clone(),
        },
    )
    .await?;
    assessments::set_state_and_notify(
        db,
        &dossier.period.code,
        &dossier.unit.code,
        current,
        &change,
        &[told],
        &actor(principal),
        now,
    )
    .await
    .map(|_| ())
    .map_err(|e| store_refusal(e, current))
}

/// Refuses `n` more files for `node` when they are too many for one request or for the leaf.
pub fn check_count(dossier: &Dossier, node: &NodeCode, n: usize) -> ServiceResult<()> {
    let mut budget = dossier.file_budget(node);
    for _ in 0..n {
        budget.admit().map_err(|e| match e {
            UploadError::TooManyFiles { limit } => {
                ServiceError::new(codes::EVIDENCE_TOO_MANY).arg("limit", limit)
            }
            UploadError::LeafFull { limit, held } => ServiceError::new(codes::EVIDENCE_LEAF_FULL)
                .arg("limit", limit)
                .arg("held", held),
            e => ServiceError::internal(e),
        })?;
    }
    Ok(())
}

fn leaf_full(full: LeafFull) -> ServiceError {
    ServiceError::new(codes::EVIDENCE_LEAF_FULL)
        .arg("limit", full.cap)
        .arg("held", full.held)
}

/// Records new documents of a leaf, capped, against assessment `version`.
#[allow(clippy::too_many_arguments)]
async fn record_files(
    db: &Db,
    dossier: &Dossier,
    node: &NodeCode,
    version: i64,
    files: &[NewEvidence],
    reason: &str,
    who: &Actor,
    now: OffsetDateTime,
) -> ServiceResult<usize> {
    let added = evidence::add_many_capped(
        db,
        &dossier.key(node),
        version,
        files,
        MAX_FILES_PER_LEAF,
        reason,
        who,
        now,
    )
    .await;
    match added {
        Ok(Ok(added)) => Ok(added.len()),
        Ok(Err(full)) => Err(leaf_full(full)),
        Err(e) => Err(store_refusal(e, version)),
    }
}

/// Attaches files to a leaf, as part of the self-assessment or of an answer (whichever the
/// workflow allows now); returns how many were recorded.
#[tracing::instrument(skip_all, fields(period = %dossier.period.code, unit = %dossier.unit.code, node = %cmd.node))]
pub async fn attach(
    db: &Db,
    principal: &Principal,
    dossier: &Dossier,
    cmd: &AttachEvidence,
    now: OffsetDateTime,
) -> ServiceResult<usize> {
    same_dossier(dossier, &cmd.period, &cmd.unit)?;
    let mode = dossier.may_attach(principal, &cmd.node)?;
    if cmd.files.is_empty() {
        return Err(ServiceError::new(codes::EVIDENCE_NO_FILE));
    }
    check_count(dossier, &cmd.node, cmd.files.len())?;
    let who = actor(principal);
    let version = match mode {
        Attach::SelfAssessment => ensure_draft(db, dossier, &who, now).await?,
        Attach::Answer => dossier.assessment.version,
    };
    let reason = match mode {
        Attach::SelfAssessment => "Tải lên tài liệu kiểm chứng",
        Attach::Answer => "Tài liệu kiểm chứng bổ sung khi giải trình",
    };
    record_files(
        db, dossier, &cmd.node, version, &cmd.files, reason, &who, now,
    )
    .await
}

/// Removes (softly) a document of this unit with the person's reason; returns its leaf.
/// While answering an explanation request only documents added after submission may go.
#[tracing::instrument(skip_all, fields(period = %dossier.period.code, unit = %dossier.unit.code, id = cmd.id))]
pub async fn remove(
    db: &Db,
    principal: &Principal,
    dossier: &Dossier,
    cmd: &RemoveEvidence,
    now: OffsetDateTime,
) -> ServiceResult<NodeCode> {
    same_dossier(dossier, &cmd.period, &cmd.unit)?;
    let id = cmd.id;
    let not_found = || ServiceError::new(codes::EVIDENCE_NOT_FOUND).arg("id", id);
    let Some(file) = dossier.evidence.iter().find(|e| e.id == id) else {
        // Removed already, or not a document of this assessment at all.
        let e = evidence::get(db, id)
            .await?
            .filter(|e| e.key.period == dossier.period.code && e.key.unit == dossier.unit.code)
            .ok_or_else(not_found)?;
        authorize(
            principal,
            Action::UploadEvidence,
            &dossier.leaf_resource(&e.key.node),
        )?;
        return Err(ServiceError::new(codes::EVIDENCE_ALREADY_REMOVED).arg("id", id));
    };
    authorize(
        principal,
        Action::UploadEvidence,
        &dossier.leaf_resource(&file.key.node),
    )?;
    let removable = match dossier.may_attach(principal, &file.key.node)? {
        Attach::SelfAssessment => true,
        Attach::Answer => dossier
            .assessment
            .submitted_at
            .is_some_and(|s| file.uploaded_at > s),
    };
    if !removable {
        return Err(workflow_refused(WorkflowError::AlreadySubmitted));
    }
    let reason = match cmd.reason.trim() {
        "" => "Đơn vị gỡ bỏ tài liệu kiểm chứng",
        r => r,
    };
    let version = dossier.assessment.version;
    match evidence::soft_remove_guarded(db, id, version, reason, &actor(principal), now).await {
        Ok(e) => Ok(e.key.node),
        Err(StoreError::Conflict(_)) => {
            let gone = evidence::get(db, id).await?.is_some_and(|e| e.is_removed());
            if gone {
                Err(ServiceError::new(codes::EVIDENCE_ALREADY_REMOVED).arg("id", id))
            } else {
                let current = assessments::get(db, &dossier.period.code, &dossier.unit.code)
                    .await?
                    .map_or(0, |a| a.version);
                Err(ServiceError::new(codes::STALE_VERSION).arg("current", current))
            }
        }
        Err(e) => Err(store_refusal(e, version)),
    }
}

/// Who, when and what for an answer to request `id`, before any file is read or stored:
/// returns the request's leaf and the normalised text.
pub fn check_answer(
    principal: &Principal,
    dossier: &Dossier,
    id: i64,
    text: &str,
) -> ServiceResult<(NodeCode, String)> {
    let request = dossier
        .requests
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| ServiceError::new(codes::EXPLANATION_NOT_FOUND).arg("id", id))?;
    let node = request.key.node.clone();
    authorize(
        principal,
        Action::AnswerExplanation,
        &dossier.leaf_resource(&node),
    )?;
    if !dossier.may_answer(request) {
        let reason = workflow::apply(
            dossier.assessment.state,
            Transition::AnswerExplanation,
            dossier.context,
        )
        .err()
        .unwrap_or(WorkflowError::NoExplanationRequested);
        return Err(workflow_refused(reason));
    }
    let text = normalise_text(text);
    if text.is_empty() {
        return Err(ServiceError::new(codes::ANSWER_REQUIRED));
    }
    if text.chars().count() > MAX_ANSWER_CHARS {
        return Err(ServiceError::new(codes::ANSWER_TOO_LONG).arg("max", MAX_ANSWER_CHARS));
    }
    Ok((node, text))
}

/// The unit answers an explanation request (text, and optionally new documents), then the
/// assessment moves on as the workflow says; returns the request's leaf. Refused with
/// `answer_stale` (and the `current` version) when someone changed the answer meanwhile.
#[tracing::instrument(skip_all, fields(period = %dossier.period.code, unit = %dossier.unit.code, id = cmd.id))]
pub async fn answer(
    db: &Db,
    principal: &Principal,
    dossier: &Dossier,
    cmd: &AnswerExplanation,
    now: OffsetDateTime,
) -> ServiceResult<NodeCode> {
    same_dossier(dossier, &cmd.period, &cmd.unit)?;
    let (node, text) = check_answer(principal, dossier, cmd.id, &cmd.text)?;
    if !cmd.files.is_empty() {
        check_count(dossier, &node, cmd.files.len())?;
    }
    let who = actor(principal);
    match explanations::answer(db, cmd.id, &text, cmd.expected_version, &who, now).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            let current = explanations::list(db, &dossier.period.code, Some(&dossier.unit.code))
                .await?
                .into_iter()
                .find(|r| r.id == cmd.id)
                .map_or(0, |r| r.version);
            return Err(ServiceError::new(codes::ANSWER_STALE)
                .arg("id", cmd.id)
                .arg("current", current));
        }
        Err(e) => return Err(store_refusal(e, dossier.assessment.version)),
    }
    let version = dossier.assessment.version;
    if !cmd.files.is_empty() {
        let reason = "Tài liệu kiểm chứng bổ sung khi giải trình";
        record_files(db, dossier, &node, version, &cmd.files, reason, &who, now).await?;
    }
    let to = workflow::apply(
        dossier.assessment.state,
        Transition::AnswerExplanation,
        dossier.context,
    )
    .map_err(workflow_refused)?;
    if to != dossier.assessment.state {
        let change = StateChange {
            state: to,
            reopened: workflow::reopened_after(
                Transition::AnswerExplanation,
                dossier.assessment.reopened,
            ),
            reason: Transition::AnswerExplanation.label_vi(),
        };
        let (period, unit) = (&dossier.period.code, &dossier.unit.code);
        match assessments::set_state(db, period, unit, version, &change, &who, now).await {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => {
                // Another answer moved it first: fine if it is where this one would have.
                let now_at = assessments::get(db, period, unit).await?;
                if now_at.as_ref().map(|a| a.state) != Some(to) {
                    let current = now_at.map_or(0, |a| a.version);
                    return Err(ServiceError::new(codes::STALE_VERSION).arg("current", current));
                }
            }
            Err(e) => return Err(store_refusal(e, version)),
        }
    }
    Ok(node)
}

/// One document, for a person who may download it: `evidence_not_found` when it does not
/// exist, was removed, or is not a document of this unit and period; refused when the person
/// may not see its leaf.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit, id))]
pub async fn document(
    db: &Db,
    principal: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    id: i64,
) -> ServiceResult<Evidence> {
    // A removed document stays recorded (and audited) but is no longer evidence: it is not
    // offered for download any more, to anyone.
    let file = evidence::get(db, id)
        .await?
        .filter(|e| &e.key.period == period && &e.key.unit == unit && !e.is_removed())
        .ok_or_else(|| ServiceError::new(codes::EVIDENCE_NOT_FOUND).arg("id", id))?;
    let resource = Resource::Leaf {
        period: period.clone(),
        unit: unit.clone(),
        node: file.key.node.clone(),
    };
    authorize(principal, Action::DownloadEvidence, &resource)?;
    Ok(file)
}
