//! Writing the unit's side of the cycle through the API: self-assessment values, submission,
//! evidence (upload, list, download, removal) and answers to explanation requests.
//!
//! Each endpoint loads the unit's dossier for the caller (`chiso_services::dossier::load`, the
//! same loader as the self-assessment page), parses its input into the service's command and
//! calls the same service as the page (`chiso_services::assessment`): same authorization,
//! same workflow, same validation, same optimistic versions (409 with `current`). Evidence
//! files pass the same checks and limits as on the page before anything is stored.

use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chiso_domain::number::{self, TypedError};
use chiso_domain::{NodeCode, PeriodCode, RawValue, UnitCode};
use chiso_evidence::{UploadError, content_disposition};
use chiso_services::assessment::{
    self, AnswerExplanation, AttachEvidence, LeafEntry, RemoveEvidence, SaveSelfAssessment, Submit,
};
use chiso_services::dossier::{self, Dossier, NewEvidence, SelfEntry};
use chiso_services::{Detail, Problem, ServiceError, codes};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::assessment::EvidenceDto;
use super::dto::ErrorBody;
use super::upload::{self, Upload};
use crate::auth::CurrentUser;
use crate::{AppError, AppState, service};

/// One leaf's self-assessment as sent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = SelfAssessmentLeaf)]
pub struct SelfLeafDto {
    /// The leaf.
    #[schema(example = "1.2.1")]
    pub leaf: String,
    /// The value as the leaf's method reads it, Vietnamese style: `có`/`không`,
    /// `không phát sinh`, `45/47` or `95,7%`, a count, points (`18` or `2,5`), a grade code,
    /// a date. Absent or empty: no value. Points are always computed here, never taken.
    #[serde(default)]
    #[schema(example = "18")]
    pub value: Option<String>,
    /// Declared data (số liệu kê khai).
    #[serde(default)]
    #[schema(example = "Ban hành 4/4 báo cáo đúng hạn")]
    pub declared_data: Option<String>,
    /// A note.
    #[serde(default)]
    pub note: Option<String>,
    /// Why the required evidence is missing (giải trình).
    #[serde(default)]
    pub explanation: Option<String>,
    /// The leaf's `self_version` the value is based on (0 when never saved). A stale version
    /// answers 409 (`leaves_stale`) with each stale leaf and its `current` version.
    #[schema(example = 0)]
    pub expected_version: i64,
}

/// Self-assessment values to save as a draft, all or none.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = SelfAssessmentSave, example = json!({"leaves": [
    {"leaf": "1.1.1", "value": "10", "declared_data": "Kế hoạch số 15/KH-SNV", "expected_version": 0},
    {"leaf": "2.2.1", "value": "không phát sinh", "expected_version": 0}
]}))]
pub struct SelfAssessmentDto {
    pub leaves: Vec<SelfLeafDto>,
}

/// What a save wrote.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SelfAssessmentSaved)]
pub struct SavedDto {
    /// Leaves written.
    #[schema(example = 2)]
    pub saved: usize,
}

/// A submission of the self-assessment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = Submission)]
pub struct SubmissionDto {
    /// The assessment's `version` the leader saw. A stale version answers 409
    /// (`stale_version`) with `current`.
    #[schema(example = 6)]
    pub expected_version: i64,
}

/// What an upload stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = EvidenceAttached)]
pub struct AttachedDto {
    /// Files recorded.
    #[schema(example = 1)]
    pub attached: usize,
}

/// An evidence document with its leaf.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = EvidenceItem)]
pub struct EvidenceItemDto {
    /// The leaf it supports.
    #[schema(example = "1.1.1")]
    pub leaf: String,
    #[serde(flatten)]
    pub document: EvidenceDto,
}

/// An answer to an explanation request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = ExplanationAnswer)]
pub struct AnswerDto {
    /// The answer (giải trình).
    #[schema(example = "Đã bổ sung Báo cáo số 12/BC-SNV ngày 28/12/2025")]
    pub answer: String,
    /// The request's `version` the answer is based on. A stale version answers 409
    /// (`answer_stale`) with `current`.
    #[schema(example = 1)]
    pub expected_version: i64,
}

/// Why a document is removed.
#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct RemoveQuery {
    /// Kept in the audit log; a default reason is recorded when absent.
    pub reason: Option<String>,
}

/// The period and unit of a path.
fn codes_of(period: &str, unit: &str) -> Result<(PeriodCode, UnitCode), AppError> {
    Ok((service::parse_period(period)?, service::parse_unit(unit)?))
}

fn leaf_code(raw: &str) -> Result<NodeCode, AppError> {
    NodeCode::parse(raw).map_err(|_| {
        ServiceError::new(codes::INVALID_FIELD)
            .arg("field", "leaf")
            .into()
    })
}

/// The unit's dossier as the caller may use it.
async fn load(
    state: &AppState,
    current: &CurrentUser,
    period: &PeriodCode,
    unit: &UnitCode,
) -> Result<Dossier, AppError> {
    let now = state.config().clock.now();
    Ok(dossier::load(state.db(), &current.principal(), period, unit, now).await?)
}

/// Reads one leaf's value with its method, Vietnamese style, as the page's single field does
/// (points are scored by the service); a value the method cannot read is a problem naming the
/// leaf.
fn read_value(node: &chiso_domain::Node, typed: Option<&str>) -> Result<Option<RawValue>, Problem> {
    let Some(typed) = typed.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let refused = || Problem::new(codes::LEAF_VALUE_REFUSED).arg("field", &node.code);
    let method = node.method.as_ref().ok_or_else(refused)?;
    number::parse_typed(method, typed)
        .map(Some)
        .map_err(|_: TypedError| refused())
}

/// Saves self-assessment values of one unit as a draft.
///
/// All or none: a value the leaf's method refuses (`leaves_invalid`) or a leaf saved
/// meanwhile by someone else (`leaves_stale`, 409) refuses the whole request, each leaf
/// named in `details` (`field`, and `current` when stale). The unit's officers and leaders,
/// while self-assessment is open (or the unit was reopened).
#[utoipa::path(
    put,
    path = "/api/v1/periods/{period}/assessments/{unit}/self-assessment",
    tag = "assessments",
    params(
        ("period" = String, Path, example = "2026"),
        ("unit" = String, Path, example = "SNV")
    ),
    request_body = SelfAssessmentDto,
    responses(
        (status = 200, description = "Saved", body = SavedDto),
        (status = 403, description = "Not an officer or leader of this unit, or a read-only token", body = ErrorBody),
        (status = 404, description = "Unknown period, unit or leaf", body = ErrorBody),
        (status = 409, description = "Saved meanwhile by someone else (`leaves_stale`, each leaf with `current`), or the workflow refuses it now", body = ErrorBody,
            example = json!({"error": {"code": "leaves_stale", "message": "…", "args": {"count": "1"},
                "details": [{"code": "leaf_stale", "message": "…", "args": {"field": "1.2.1", "current": "2"}}]}})),
        (status = 422, description = "A value or text is refused (`leaves_invalid`, each leaf in `details`)", body = ErrorBody)
    )
)]
pub(super) async fn save_self_assessment(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit)): Path<(String, String)>,
    Json(body): Json<SelfAssessmentDto>,
) -> Result<Json<SavedDto>, AppError> {
    let (period, unit) = codes_of(&period, &unit)?;
    let sheet = load(&state, &current, &period, &unit).await?;
    let principal = current.principal();
    let mut leaves = Vec::with_capacity(body.leaves.len());
    let mut unread = Vec::new();
    for l in &body.leaves {
        let node = leaf_code(&l.leaf)?;
        let input = match sheet.set.find(&node) {
            // Unknown leaves are refused by the service, who and when first.
            None => None,
            Some(n) => read_value(n, l.value.as_deref()).unwrap_or_else(|p| {
                unread.push(p);
                None
            }),
        };
        leaves.push(LeafEntry {
            node,
            entry: SelfEntry {
                input,
                points: None,
                declared_data: l.declared_data.clone(),
                note: l.note.clone(),
                explanation: l.explanation.clone(),
            },
            expected_version: l.expected_version,
        });
    }
    if !unread.is_empty() {
        // Who, when and the versions come first, as for any save.
        let seen: Vec<(NodeCode, i64)> = leaves
            .iter()
            .map(|l| (l.node.clone(), l.expected_version))
            .collect();
        assessment::check_save(&principal, &sheet, &seen)?;
        return Err(ServiceError::new(codes::LEAVES_INVALID)
            .arg("count", unread.len())
            .detail(Detail::Problems(unread))
            .into());
    }
    let cmd = SaveSelfAssessment {
        period,
        unit,
        leaves,
    };
    let now = state.config().clock.now();
    let saved = assessment::save(state.db(), &principal, &sheet, &cmd, now).await?;
    Ok(Json(SavedDto {
        saved: saved.leaves,
    }))
}

/// The unit's leader submits the self-assessment.
///
/// Refused with `submission_incomplete` (each missing value or explanation in `details`)
/// when something is missing, `stale_version` (409, with `current`) when the assessment
/// changed since `expected_version`.
#[utoipa::path(
    post,
    path = "/api/v1/periods/{period}/assessments/{unit}/submission",
    tag = "assessments",
    params(
        ("period" = String, Path, example = "2026"),
        ("unit" = String, Path, example = "SNV")
    ),
    request_body = SubmissionDto,
    responses(
        (status = 204, description = "Submitted"),
        (status = 403, description = "Not the unit's leader", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (`stale_version` with `current`), or the workflow refuses it now", body = ErrorBody,
            example = json!({"error": {"code": "stale_version", "message": "…", "args": {"current": "7"}}})),
        (status = 422, description = "Something is missing (`submission_incomplete`, each leaf in `details`)", body = ErrorBody)
    )
)]
pub(super) async fn submit(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit)): Path<(String, String)>,
    Json(body): Json<SubmissionDto>,
) -> Result<StatusCode, AppError> {
    let (period, unit) = codes_of(&period, &unit)?;
    let sheet = load(&state, &current, &period, &unit).await?;
    let cmd = Submit {
        period,
        unit,
        expected_version: body.expected_version,
    };
    let now = state.config().clock.now();
    assessment::submit(state.db(), &current.principal(), &sheet, &cmd, now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The unit's evidence documents the caller may see.
#[utoipa::path(
    get,
    path = "/api/v1/periods/{period}/assessments/{unit}/evidence",
    tag = "assessments",
    params(
        ("period" = String, Path, example = "2026"),
        ("unit" = String, Path, example = "SNV")
    ),
    responses(
        (status = 200, description = "The documents, leaf by leaf", body = [EvidenceItemDto]),
        (status = 403, description = "Not allowed to see the assessment", body = ErrorBody),
        (status = 404, description = "Unknown period or unit", body = ErrorBody)
    )
)]
pub(super) async fn list_evidence(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit)): Path<(String, String)>,
) -> Result<Json<Vec<EvidenceItemDto>>, AppError> {
    let (period, unit) = codes_of(&period, &unit)?;
    let sheet = load(&state, &current, &period, &unit).await?;
    let base = format!("/api/v1/periods/{period}/assessments/{unit}");
    let list = sheet
        .evidence
        .iter()
        .filter(|e| sheet.visible(&e.key.node))
        .map(|e| EvidenceItemDto {
            leaf: e.key.node.to_string(),
            document: EvidenceDto::new(e, &base),
        })
        .collect();
    Ok(Json(list))
}

/// Attaches evidence files to a leaf.
///
/// `multipart/form-data` with one or more `file` parts. Each file passes the same checks as
/// on the page (name, allowed kinds, content matching its extension, size) before anything
/// is stored; one refused file refuses them all (`evidence_files_refused`, each in
/// `details`). A file over the size limit answers 413 (`file_too_large`). Allowed while the
/// unit may change its self-assessment, or with the answer to the leaf's explanation request.
#[utoipa::path(
    post,
    path = "/api/v1/periods/{period}/assessments/{unit}/leaves/{leaf}/evidence",
    tag = "assessments",
    params(
        ("period" = String, Path, example = "2026"),
        ("unit" = String, Path, example = "SNV"),
        ("leaf" = String, Path, example = "1.1.1")
    ),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = AttachedDto),
        (status = 403, description = "Not allowed to attach to this leaf", body = ErrorBody),
        (status = 409, description = "The workflow refuses it now", body = ErrorBody),
        (status = 413, description = "A file is larger than allowed (`file_too_large`)", body = ErrorBody),
        (status = 422, description = "A file is refused (`evidence_files_refused`), none sent, or too many", body = ErrorBody),
        (status = 503, description = "No evidence store is configured", body = ErrorBody)
    )
)]
pub(super) async fn upload_evidence(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit, leaf)): Path<(String, String, String)>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<AttachedDto>), AppError> {
    let (period, unit) = codes_of(&period, &unit)?;
    let node = leaf_code(&leaf)?;
    let sheet = load(&state, &current, &period, &unit).await?;
    let principal = current.principal();
    // Who and when first: a refused person's files are never read.
    sheet.may_attach(&principal, &node)?;
    let store = state
        .evidence_store()
        .ok_or_else(|| ServiceError::new(codes::EVIDENCE_STORAGE_MISSING))?;
    let limit = state.config().evidence_limit;
    let files = upload::read(multipart, limit, Some(sheet.file_budget(&node)))
        .await?
        .files;
    if files.is_empty() {
        return Err(ServiceError::new(codes::EVIDENCE_NO_FILE).into());
    }
    assessment::check_count(&sheet, &node, files.len())?;
    let mut checked = Vec::with_capacity(files.len());
    let mut refused = Vec::new();
    for f in &files {
        match chiso_evidence::check_upload(&f.name, &f.content, limit) {
            Ok(c) => checked.push((c.file_name, c.kind)),
            Err(e) => refused.push(upload_refusal(&f.name, &e)?),
        }
    }
    if !refused.is_empty() {
        return Err(ServiceError::new(codes::EVIDENCE_FILES_REFUSED)
            .arg("count", refused.len())
            .detail(Detail::Problems(refused))
            .into());
    }
    let mut new = Vec::with_capacity(files.len());
    for (f, (file_name, kind)) in files.iter().zip(checked) {
        let blob = store
            .put_bytes(&f.content)
            .await
            .map_err(ServiceError::internal)?;
        new.push(NewEvidence {
            blob_id: blob.id,
            file_name,
            kind,
            size: blob.len,
        });
    }
    let cmd = AttachEvidence {
        period,
        unit,
        node,
        files: new,
    };
    let now = state.config().clock.now();
    let attached = assessment::attach(state.db(), &principal, &sheet, &cmd, now).await?;
    Ok((StatusCode::CREATED, Json(AttachedDto { attached })))
}

/// A refused file as a problem naming it; a file over the size limit refuses the request
/// as too large (413) instead.
fn upload_refusal(sent: &str, e: &UploadError) -> Result<Problem, AppError> {
    let problem = |code| Problem::new(code).arg("file", sent);
    Ok(match e {
        UploadError::TooLarge { name, limit } => {
            return Err(ServiceError::new(codes::FILE_TOO_LARGE)
                .arg("file", name)
                .arg("limit", limit)
                .into());
        }
        UploadError::ForbiddenCharacter { .. }
        | UploadError::PathTraversal { .. }
        | UploadError::EmptyName { .. }
        | UploadError::NameTooLong { .. } => problem(codes::EVIDENCE_NAME_INVALID),
        UploadError::MissingExtension { .. } | UploadError::ExtensionNotAllowed { .. } => {
            problem(codes::EVIDENCE_TYPE_NOT_ALLOWED).arg("accepted", accepted_extensions())
        }
        UploadError::Empty { .. } => problem(codes::EVIDENCE_EMPTY),
        UploadError::KindMismatch { expected, .. } => {
            problem(codes::EVIDENCE_KIND_MISMATCH).arg("expected", format_name(*expected))
        }
        e => return Err(ServiceError::internal(std::io::Error::other(e.to_string())).into()),
    })
}

/// A kind of file by its usual extension (`PDF`, `DOCX`), the same in every language.
fn format_name(kind: chiso_evidence::FileKind) -> String {
    kind.extensions()
        .first()
        .map_or_else(String::new, |e| e.to_uppercase())
}

/// "PDF, PNG, JPG, JPEG, …": the extensions accepted as evidence.
fn accepted_extensions() -> String {
    chiso_evidence::FileKind::ALL
        .iter()
        .flat_map(|kind| kind.extensions())
        .map(|extension| extension.to_uppercase())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Downloads one evidence document, for people who may see its leaf.
#[utoipa::path(
    get,
    path = "/api/v1/periods/{period}/assessments/{unit}/evidence/{id}",
    tag = "assessments",
    params(
        ("period" = String, Path, example = "2026"),
        ("unit" = String, Path, example = "SNV"),
        ("id" = i64, Path, example = 12)
    ),
    responses(
        (status = 200, description = "The file, as an attachment", content_type = "application/octet-stream"),
        (status = 403, description = "Not allowed to see its leaf", body = ErrorBody),
        (status = 404, description = "No such document in this dossier, or removed", body = ErrorBody)
    )
)]
pub(super) async fn download_evidence(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit, id)): Path<(String, String, i64)>,
) -> Result<Response, AppError> {
    let (period, unit) = codes_of(&period, &unit)?;
    let file = assessment::document(state.db(), &current.principal(), &period, &unit, id).await?;
    let store = state
        .evidence_store()
        .ok_or_else(|| ServiceError::new(codes::EVIDENCE_STORAGE_MISSING))?;
    let bytes = store
        .get_bytes(&file.blob_id)
        .await
        .map_err(ServiceError::internal)?;
    let disposition = HeaderValue::from_str(&content_disposition(&file.file_name))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let mut resp = Body::from(bytes).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.kind.mime()),
    );
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(resp)
}

/// Removes an evidence document (it stays recorded; the removal and its reason are audited).
///
/// While answering an explanation request, only documents added after the submission may go.
#[utoipa::path(
    delete,
    path = "/api/v1/periods/{period}/assessments/{unit}/evidence/{id}",
    tag = "assessments",
    params(
        ("period" = String, Path, example = "2026"),
        ("unit" = String, Path, example = "SNV"),
        ("id" = i64, Path, example = 12),
        RemoveQuery
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such document in this dossier", body = ErrorBody),
        (status = 409, description = "Removed already, changed meanwhile, or the workflow refuses it now", body = ErrorBody)
    )
)]
pub(super) async fn remove_evidence(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit, id)): Path<(String, String, i64)>,
    Query(q): Query<RemoveQuery>,
) -> Result<StatusCode, AppError> {
    let (period, unit) = codes_of(&period, &unit)?;
    let sheet = load(&state, &current, &period, &unit).await?;
    let cmd = RemoveEvidence {
        period,
        unit,
        id,
        reason: q.reason.unwrap_or_default(),
    };
    let now = state.config().clock.now();
    assessment::remove(state.db(), &current.principal(), &sheet, &cmd, now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The unit answers an explanation request.
///
/// Documents for the answer are attached to the request's leaf with the evidence upload,
/// in the same window. Once every request is answered the assessment moves to `explained`.
#[utoipa::path(
    post,
    path = "/api/v1/periods/{period}/assessments/{unit}/explanation-requests/{id}/answer",
    tag = "assessments",
    params(
        ("period" = String, Path, example = "2026"),
        ("unit" = String, Path, example = "SNV"),
        ("id" = i64, Path, example = 3)
    ),
    request_body = AnswerDto,
    responses(
        (status = 204, description = "Answered"),
        (status = 403, description = "Not an officer or leader of this unit", body = ErrorBody),
        (status = 404, description = "No such request in this dossier", body = ErrorBody),
        (status = 409, description = "Answered meanwhile (`answer_stale` with `current`), or the explanation window is not open", body = ErrorBody),
        (status = 422, description = "No answer, or too long", body = ErrorBody)
    )
)]
pub(super) async fn answer_explanation(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit, id)): Path<(String, String, i64)>,
    Json(body): Json<AnswerDto>,
) -> Result<StatusCode, AppError> {
    let (period, unit) = codes_of(&period, &unit)?;
    let sheet = load(&state, &current, &period, &unit).await?;
    let cmd = AnswerExplanation {
        period,
        unit,
        id,
        text: body.answer,
        expected_version: body.expected_version,
        files: Vec::new(),
    };
    let now = state.config().clock.now();
    assessment::answer(state.db(), &current.principal(), &sheet, &cmd, now).await?;
    Ok(StatusCode::NO_CONTENT)
}
