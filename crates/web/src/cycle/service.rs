//! The unit's side of the cycle, as the pages use it: the unit's dossier ([`Sheet`], loaded
//! by `chiso_services::dossier` with the reader's permissions) and every change the unit
//! makes, delegated to `chiso_services::assessment`.
//!
//! This module only adapts: it turns posted fields into typed commands, keeps what was typed
//! when a change is refused, and turns the service's codes back into the problems the page
//! words next to their leaf or request. Who and when are decided by the services; a refusal
//! of the first kind is a 403, of the second a 409 with the workflow's reason.

use std::collections::BTreeMap;
use std::ops::Deref;

use axum::http::StatusCode;
use chiso_domain::authz::Principal;
use chiso_domain::workflow::{SubmissionIssue, WorkflowError};
use chiso_domain::{InputError, Node, NodeCode, PeriodCode, UnitCode};
use chiso_evidence::{BlobStore, FileKind, UploadError};
use chiso_services::assessment::{
    self, AnswerExplanation, AttachEvidence, LeafEntry, RemoveEvidence, SaveSelfAssessment, Submit,
};
use chiso_services::dossier::{self, Db, Dossier, Evidence, NewEvidence};
use chiso_services::{Detail, ServiceError, codes};
use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::fields::{self, FieldProblem, LeafFields, PostedForm, Scored};
use crate::AppError;
use crate::multipart::Received;

pub(crate) use chiso_services::assessment::MAX_ANSWER_CHARS;
pub(crate) use chiso_services::dossier::{Attach, required_leaf};

/// One unit's self-assessment in one period, with everything the page and the checks need,
/// and what the reader may do with it.
#[derive(Debug, Clone)]
pub(crate) struct Sheet(Dossier);

impl Deref for Sheet {
    type Target = Dossier;

    fn deref(&self) -> &Dossier {
        &self.0
    }
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
    /// A leaf's fields cannot be read.
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
    /// Files sent with values that have mistakes: neither was stored.
    ValuesHeld,
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
    /// Any other refusal of the services, worded from its code.
    Service(chiso_services::Problem),
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

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Self {
        Failure::Refused(r)
    }
}

/// The problems listed in a service error's details.
fn details(e: &ServiceError) -> &[chiso_services::Problem] {
    match e.details() {
        Some(Detail::Problems(p)) => p,
        _ => &[],
    }
}

/// The leaf a detail names (its `field` argument).
fn field_of(p: &chiso_services::Problem) -> Option<NodeCode> {
    p.args
        .iter()
        .find(|(k, _)| *k == "field")
        .and_then(|(_, v)| NodeCode::parse(v).ok())
}

impl From<ServiceError> for Failure {
    /// Refusals the page words are shown on it; denials, unknown rows and faults are error
    /// pages with the service's code.
    fn from(e: ServiceError) -> Self {
        use chiso_services::Kind;
        let problem =
            |p: Problem| Failure::Refused(Refusal::new(crate::error::status_of(e.kind()), vec![p]));
        let code = e.code();
        if code == codes::ASSESSMENT_WORKFLOW {
            match e.get("reason").and_then(dossier::workflow_error) {
                Some(w) => problem(Problem::Workflow(w)),
                None => Failure::App(e.into()),
            }
        } else if code == codes::STALE_VERSION {
            problem(Problem::Moved)
        } else if code == codes::SUBMISSION_INCOMPLETE {
            let issues = details(&e)
                .iter()
                .filter_map(|p| {
                    let node = field_of(p)?;
                    Some(Problem::Issue(if p.code == codes::MISSING_VALUE {
                        SubmissionIssue::MissingValue(node)
                    } else {
                        SubmissionIssue::MissingExplanation(node)
                    }))
                })
                .collect();
            Failure::Refused(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, issues))
        } else if code == codes::EVIDENCE_NO_FILE {
            problem(Problem::NoFile)
        } else if code == codes::EVIDENCE_TOO_MANY || code == codes::EVIDENCE_LEAF_FULL {
            let n = |k| e.get(k).and_then(|v| v.parse().ok()).unwrap_or(0);
            problem(Problem::Upload(if code == codes::EVIDENCE_TOO_MANY {
                UploadError::TooManyFiles { limit: n("limit") }
            } else {
                UploadError::LeafFull {
                    limit: n("limit"),
                    held: n("held"),
                }
            }))
        } else if code == codes::EVIDENCE_ALREADY_REMOVED {
            problem(Problem::AlreadyRemoved)
        } else if code == codes::ANSWER_REQUIRED {
            problem(Problem::AnswerRequired)
        } else if code == codes::ANSWER_TOO_LONG {
            problem(Problem::AnswerTooLong)
        } else if matches!(e.kind(), Kind::Invalid | Kind::Conflict) {
            let mut problems = vec![Problem::Service(chiso_services::Problem {
                code,
                args: e.args().to_vec(),
            })];
            problems.extend(details(&e).iter().cloned().map(Problem::Service));
            Failure::Refused(Refusal::new(crate::error::status_of(e.kind()), problems))
        } else {
            Failure::App(e.into())
        }
    }
}

/// Reads one unit's self-assessment for a person who may view it (refused first, so nothing
/// is revealed about the period to outsiders; not found when the period, the unit or its
/// membership in the period does not exist).
pub(crate) async fn load(
    db: &Db,
    principal: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    now: OffsetDateTime,
) -> Result<Sheet, AppError> {
    Ok(Sheet(
        dossier::load(db, principal, period, unit, now).await?,
    ))
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

impl Sheet {
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

    /// Points and maxima of the leaves the reader may see, with `overrides` (values being
    /// typed) in place of the stored ones.
    pub(crate) fn totals(&self, overrides: &BTreeMap<NodeCode, Scored>) -> Totals {
        let mut t = Totals::default();
        for (area, leaves) in self.leaves_by_area() {
            let (mut points, mut max) = (Decimal::ZERO, Decimal::ZERO);
            for node in leaves {
                if !fields::unit_enters(node) || !self.visible(&node.code) {
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

/// What a save wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Saved {
    /// Leaves changed by the person (0: nothing to save).
    pub leaves: usize,
    /// The first of them, to return to.
    pub first: Option<NodeCode>,
}

/// A refused save as the page shows it: the service's refusal with the fields that could not
/// be read (`unread`), keeping what was typed.
fn refused_save(
    e: ServiceError,
    unread: Vec<Problem>,
    drafts: BTreeMap<NodeCode, LeafFields>,
) -> Failure {
    if e.is(codes::LEAVES_STALE) || e.is(codes::LEAVES_INVALID) {
        let mut problems: Vec<Problem> = details(&e)
            .iter()
            .map(|p| match field_of(p) {
                Some(node) if p.code == codes::LEAF_STALE => Problem::Stale {
                    typed: drafts.get(&node).cloned().unwrap_or_default(),
                    node,
                },
                _ => Problem::Service(p.clone()),
            })
            .collect();
        problems.extend(unread);
        return refused_values(problems, drafts).into();
    }
    match Failure::from(e) {
        Failure::Refused(mut r) => {
            r.drafts = drafts;
            Failure::Refused(r)
        }
        app => app,
    }
}

/// A refusal of the values sent along with files: it also says that the files were not
/// stored, since the browser cannot keep them through the page shown again.
pub(crate) fn hold_files(f: Failure) -> Failure {
    match f {
        Failure::Refused(mut r) => {
            r.problems.insert(0, Problem::ValuesHeld);
            Failure::Refused(r)
        }
        app => app,
    }
}

/// Saves the leaves a person changed in a posted form (one leaf when the form names it in
/// `only`, else every leaf block of the form), all or none.
pub(crate) async fn save(
    db: &Db,
    principal: &Principal,
    sheet: &Sheet,
    form: &PostedForm,
    now: OffsetDateTime,
) -> Result<Saved, Failure> {
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
    let drafts: BTreeMap<NodeCode, LeafFields> = changed
        .iter()
        .map(|(n, p)| (n.code.clone(), p.fields.clone()))
        .collect();
    let mut unread = Vec::new();
    let mut entries = Vec::with_capacity(changed.len());
    for (node, posted) in &changed {
        match fields::read_entry(node, &posted.fields) {
            Ok(entry) => entries.push(LeafEntry {
                node: node.code.clone(),
                entry,
                expected_version: posted.version,
            }),
            Err(problem) => unread.push(Problem::Field {
                node: node.code.clone(),
                problem,
            }),
        }
    }
    if !unread.is_empty() {
        // Who, when and the versions come first, as for any save.
        let seen: Vec<(NodeCode, i64)> = changed
            .iter()
            .map(|(n, p)| (n.code.clone(), p.version))
            .collect();
        return Err(match assessment::check_save(principal, sheet, &seen) {
            Ok(()) => refused_values(unread, drafts).into(),
            Err(e) => refused_save(e, unread, drafts),
        });
    }
    let cmd = SaveSelfAssessment {
        period: sheet.period.code.clone(),
        unit: sheet.unit.code.clone(),
        leaves: entries,
    };
    match assessment::save(db, principal, sheet, &cmd, now).await {
        Ok(saved) => Ok(Saved {
            leaves: saved.leaves,
            first: saved.first,
        }),
        Err(e) => Err(refused_save(e, Vec::new(), drafts)),
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
pub(crate) async fn submit(
    db: &Db,
    principal: &Principal,
    sheet: &Sheet,
    version: i64,
    now: OffsetDateTime,
) -> Result<(), Failure> {
    let cmd = Submit {
        period: sheet.period.code.clone(),
        unit: sheet.unit.code.clone(),
        expected_version: version,
    };
    Ok(assessment::submit(db, principal, sheet, &cmd, now).await?)
}

/// Whether `principal` may attach documents to `node` now, and as part of what.
pub(crate) fn may_attach(
    principal: &Principal,
    sheet: &Sheet,
    node: &NodeCode,
) -> Result<Attach, Failure> {
    Ok(sheet.may_attach(principal, node)?)
}

/// Checks every file (name, size, content against the claimed kind) before anything is
/// stored: one refused file refuses them all.
pub(crate) fn check_files(
    files: &[Received],
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
    files: &[Received],
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

/// Attaches files to a leaf: checked first, stored, then recorded by the service.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn attach(
    db: &Db,
    store: Option<&dyn BlobStore>,
    principal: &Principal,
    sheet: &Sheet,
    node: &NodeCode,
    files: &[Received],
    limit: u64,
    now: OffsetDateTime,
) -> Result<usize, Failure> {
    may_attach(principal, sheet, node)?;
    let store = store.ok_or_else(|| {
        Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            vec![Problem::StorageMissing],
        )
    })?;
    if files.is_empty() {
        return Err(Refusal::invalid(Problem::NoFile).into());
    }
    assessment::check_count(sheet, node, files.len())?;
    let checked = check_files(files, limit)?;
    let new = store_files(store, files, checked).await?;
    let cmd = AttachEvidence {
        period: sheet.period.code.clone(),
        unit: sheet.unit.code.clone(),
        node: node.clone(),
        files: new,
    };
    Ok(assessment::attach(db, principal, sheet, &cmd, now).await?)
}

/// Removes (softly) document `id` of this unit, with the person's reason.
pub(crate) async fn remove(
    db: &Db,
    principal: &Principal,
    sheet: &Sheet,
    id: i64,
    reason: &str,
    now: OffsetDateTime,
) -> Result<NodeCode, Failure> {
    let cmd = RemoveEvidence {
        period: sheet.period.code.clone(),
        unit: sheet.unit.code.clone(),
        id,
        reason: reason.to_owned(),
    };
    Ok(assessment::remove(db, principal, sheet, &cmd, now).await?)
}

/// An answer to an explanation request as posted.
#[derive(Debug)]
pub(crate) struct Answer {
    pub id: i64,
    pub text: String,
    /// The request's version the person saw.
    pub version: i64,
    pub files: Vec<Received>,
}

/// The unit answers an explanation request (text, and optionally new documents), then the
/// assessment moves on as the workflow says (explanations answered).
pub(crate) async fn answer(
    db: &Db,
    store: Option<&dyn BlobStore>,
    principal: &Principal,
    sheet: &Sheet,
    answer: &Answer,
    limit: u64,
    now: OffsetDateTime,
) -> Result<NodeCode, Failure> {
    let keep = |f: Failure| match f {
        Failure::Refused(mut r) => {
            r.answers.insert(answer.id, answer.text.clone());
            Failure::Refused(r)
        }
        app => app,
    };
    let (node, text) = assessment::check_answer(principal, sheet, answer.id, &answer.text)
        .map_err(|e| keep(e.into()))?;
    let files = if answer.files.is_empty() {
        Vec::new()
    } else {
        let store = store.ok_or_else(|| {
            keep(
                Refusal::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    vec![Problem::StorageMissing],
                )
                .into(),
            )
        })?;
        assessment::check_count(sheet, &node, answer.files.len()).map_err(|e| keep(e.into()))?;
        let checked = check_files(&answer.files, limit).map_err(|r| keep(r.into()))?;
        store_files(store, &answer.files, checked).await?
    };
    let cmd = AnswerExplanation {
        period: sheet.period.code.clone(),
        unit: sheet.unit.code.clone(),
        id: answer.id,
        text: answer.text.clone(),
        expected_version: answer.version,
        files,
    };
    assessment::answer(db, principal, sheet, &cmd, now)
        .await
        .map_err(|e| {
            if e.is(codes::ANSWER_STALE) {
                keep(
                    Refusal::conflict(Problem::StaleAnswer {
                        id: answer.id,
                        typed: text,
                    })
                    .into(),
                )
            } else {
                keep(e.into())
            }
        })
}

/// One document, for a person who may download it: not found when it does not exist, was
/// removed, or is not a document of this unit and period; refused when the person may not
/// see its leaf.
pub(crate) async fn document(
    db: &Db,
    principal: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    id: i64,
) -> Result<Evidence, AppError> {
    Ok(assessment::document(db, principal, period, unit, id).await?)
}

/// Each previewed leaf with its typed value read and scored, or why it cannot be.
pub(crate) type PreviewLeaves = Vec<(NodeCode, Result<Scored, FieldProblem>)>;

/// The points of typed values: every leaf block of `form` read and scored (declared data and
/// notes aside), and the totals with those values in place of the stored ones.
pub(crate) fn preview(sheet: &Sheet, form: &PostedForm) -> (PreviewLeaves, Totals) {
    let mut leaves = Vec::new();
    let mut overrides = BTreeMap::new();
    for (code, posted) in &form.leaves {
        let Some(node) = sheet
            .set
            .find(code)
            .filter(|n| fields::unit_enters(n) && sheet.visible(code))
        else {
            continue;
        };
        let read = fields::read_value(node, &posted.fields);
        if let Ok(scored) = &read {
            overrides.insert(code.clone(), scored.clone());
        }
        leaves.push((code.clone(), read));
    }
    let totals = sheet.totals(&overrides);
    (leaves, totals)
}
