//! One unit's assessment as JSON, for the people who may see it: the same service as the
//! self-assessment page (`chiso_services::dossier::load`, with the reader's permissions), so
//! the page and the API can never disagree about who sees what.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::ErrorBody;
use crate::auth::CurrentUser;
use crate::{AppError, AppState, service};
use chiso_services::dossier;

/// A unit's assessment in a period: state, every leaf the caller may see with both sides,
/// evidence and explanation requests. Points are exact decimals written as strings.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Assessment)]
pub struct AssessmentDto {
    #[schema(example = "2026")]
    pub period: String,
    #[schema(example = "SNV")]
    pub unit: String,
    /// `not_started`, `draft`, `submitted`, `under_appraisal`, `explanation_requested`,
    /// `explained`, `finalised`.
    pub state: String,
    /// Reopened by an administrator after submission or approval.
    pub reopened: bool,
    /// Version of the assessment, for a submission (optimistic concurrency); 0 while
    /// nothing is stored.
    #[schema(example = 3)]
    pub version: i64,
    /// Where the period stands now: `self_assessment`, `appraisal`, `explanation`,
    /// `approval`, `published`, …
    #[schema(example = "self_assessment")]
    pub phase: String,
    /// The caller may change the self-assessment now.
    pub may_edit: bool,
    /// The caller may submit it now (the unit's leader).
    pub may_submit: bool,
    /// Index set code.
    pub set: String,
    pub leaves: Vec<AssessedLeafDto>,
}

/// Both sides of one leaf.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = AssessedLeaf)]
pub struct AssessedLeafDto {
    #[schema(example = "1.2.1")]
    pub code: String,
    pub title: String,
    /// Where its points come from: `assessed` (the unit enters them, appraisers check
    /// them), `survey` or `data` (imported), `bonus`, `deduction`.
    #[schema(example = "assessed")]
    pub source: String,
    /// The caller holds the right to enter this leaf's self-assessment.
    pub may_edit: bool,
    /// The leaf's maximum, exact.
    #[schema(example = "1.5")]
    pub max: String,
    /// The unit's value as `{"kind": …, "value": …}`; `null` when not entered.
    pub self_input: Option<serde_json::Value>,
    /// The points the unit's value earns, exact.
    pub self_points: Option<String>,
    pub declared_data: Option<String>,
    pub note: Option<String>,
    /// Why evidence is missing (giải trình).
    pub explanation: Option<String>,
    pub appraised_input: Option<serde_json::Value>,
    pub appraised_points: Option<String>,
    /// The appraiser's comment.
    pub comment: Option<String>,
    /// Version of the unit's side, for a later save (optimistic concurrency).
    pub self_version: i64,
    /// Version of the appraised side.
    pub appraisal_version: i64,
    pub evidence: Vec<EvidenceDto>,
    pub requests: Vec<ExplanationDto>,
}

/// An evidence document (removed ones are left out).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Evidence)]
pub struct EvidenceDto {
    pub id: i64,
    pub file_name: String,
    /// Bytes.
    pub size: u64,
    /// Who attached it, and when (RFC 3339).
    pub uploaded_by: String,
    pub uploaded_at: String,
    /// Where to download it through the API (same permission as this document).
    #[schema(example = "/api/v1/periods/2026/assessments/SNV/evidence/12")]
    pub href: String,
}

impl EvidenceDto {
    /// A document of the dossier whose API path is `base`.
    pub fn new(e: &chiso_services::dossier::Evidence, base: &str) -> Self {
        EvidenceDto {
            id: e.id,
            file_name: e.file_name.clone(),
            size: e.size,
            uploaded_by: e.uploaded_by.clone(),
            uploaded_at: e
                .uploaded_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            href: format!("{base}/evidence/{}", e.id),
        }
    }
}

/// An explanation request and its answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ExplanationRequest)]
pub struct ExplanationDto {
    pub id: i64,
    pub request: String,
    pub answer: Option<String>,
    /// Version of the request, for an answer (1 when requested, +1 per answer).
    #[schema(example = 1)]
    pub version: i64,
    /// The caller may answer it now.
    pub may_answer: bool,
}

/// One unit's assessment in a period.
///
/// For people who may see it (a session cookie or an API token): the unit's officers and
/// leaders, appraisers assigned to it (only the leaves of their areas), the council chair,
/// observers and administrators. Carries the versions and links that the write endpoints
/// need: `version` for a submission, each leaf's `self_version` and `appraisal_version`,
/// each request's `version`, each document's `href`.
#[utoipa::path(
    get,
    path = "/api/v1/periods/{period}/assessments/{unit}",
    tag = "assessments",
    params(
        ("period" = String, Path, description = "Period code", example = "2026"),
        ("unit" = String, Path, description = "Unit code", example = "SNV")
    ),
    responses(
        (status = 200, description = "The assessment", body = AssessmentDto),
        (status = 403, description = "Not signed in, or not allowed to see it", body = ErrorBody),
        (status = 404, description = "Unknown period or unit, or the unit is not in the period", body = ErrorBody)
    )
)]
pub(super) async fn get_assessment(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit)): Path<(String, String)>,
) -> Result<Json<AssessmentDto>, AppError> {
    let period = service::parse_period(&period)?;
    let unit = service::parse_unit(&unit)?;
    let principal = current.principal();
    let now = state.config().clock.now();
    let sheet = dossier::load(state.db(), &principal, &period, &unit, now).await?;
    let dec = |d: rust_decimal::Decimal| d.normalize().to_string();
    let json = |v: Option<&chiso_domain::RawValue>| v.and_then(|v| serde_json::to_value(v).ok());
    let base = format!("/api/v1/periods/{period}/assessments/{unit}");
    let leaves = sheet
        .set
        .leaves()
        .into_iter()
        .filter(|n| sheet.visible(&n.code))
        .map(|n| {
            let stored = sheet.leaves.get(&n.code);
            let s = stored.map(|l| &l.self_assessment);
            let a = stored.map(|l| &l.appraisal);
            AssessedLeafDto {
                code: n.code.to_string(),
                title: n.title.clone(),
                source: source_name(n.source).to_owned(),
                may_edit: sheet.leaf(&n.code).may_edit,
                max: dec(n.max.value()),
                self_input: json(s.and_then(|s| s.input.as_ref())),
                self_points: s.and_then(|s| s.points).map(|p| dec(p.value())),
                declared_data: s.and_then(|s| s.declared_data.clone()),
                note: s.and_then(|s| s.note.clone()),
                explanation: s.and_then(|s| s.explanation.clone()),
                appraised_input: json(a.and_then(|a| a.input.as_ref())),
                appraised_points: a.and_then(|a| a.points).map(|p| dec(p.value())),
                comment: a.and_then(|a| a.comment.clone()),
                self_version: stored.map_or(0, |l| l.self_version),
                appraisal_version: stored.map_or(0, |l| l.appraisal_version),
                evidence: sheet
                    .files_of(&n.code)
                    .map(|e| EvidenceDto::new(e, &base))
                    .collect(),
                requests: sheet
                    .requests
                    .iter()
                    .filter(|r| r.key.node == n.code)
                    .map(|r| ExplanationDto {
                        id: r.id,
                        request: r.request.clone(),
                        answer: r.answer.clone(),
                        version: r.version,
                        may_answer: sheet.may_answer(r),
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(Json(AssessmentDto {
        period: period.to_string(),
        unit: unit.to_string(),
        state: sheet.assessment.state.as_str().to_owned(),
        reopened: sheet.assessment.reopened,
        version: sheet.assessment.version,
        phase: sheet.context.phase.as_str().to_owned(),
        may_edit: sheet.may_edit(),
        may_submit: sheet.permissions.may_submit,
        set: sheet.set.code.to_string(),
        leaves,
    }))
}

/// The stable name of a leaf's source of points.
fn source_name(s: chiso_domain::Source) -> &'static str {
    use chiso_domain::Source;
    match s {
        Source::Assessed => "assessed",
        Source::Survey => "survey",
        Source::Data => "data",
        Source::Bonus => "bonus",
        Source::Deduction => "deduction",
    }
}
