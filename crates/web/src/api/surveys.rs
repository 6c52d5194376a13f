//! Surveys through the API: a period's surveys, every unit's points per survey leaf with the
//! answers they rest on and their 90 % intervals, the import of an answer file (KoboToolbox or
//! ODK export, or a long CSV), and closing a survey into the period's survey leaves. The same
//! services as the pages (`chiso_services::surveys`): the administrator of the period only.

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use chiso_services::surveys::{self as service, AnswerFile};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::ErrorBody;
use super::upload;
use crate::auth::CurrentUser;
use crate::{AppError, AppState, service as parse};

/// A survey of a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SurveySummary)]
pub struct SurveyDto {
    #[schema(example = "XHH-2026")]
    pub code: String,
    pub name: String,
    /// `open` (collecting) or `closed` (points written into the period).
    #[schema(example = "open")]
    pub status: String,
    /// Respondent groups: code, name, target, responses collected.
    pub groups: Vec<GroupDto>,
}

/// A respondent group's sample.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SurveyGroup)]
pub struct GroupDto {
    #[schema(example = "N1")]
    pub code: String,
    pub name: String,
    /// The group of units its respondents evaluate.
    pub evaluates: String,
    pub target: Option<u32>,
    pub respondents: u64,
}

/// One unit's points on one survey leaf.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SurveyPoints)]
pub struct PointsDto {
    #[schema(example = "SNV")]
    pub unit: String,
    #[schema(example = "2.1")]
    pub leaf: String,
    /// Exact points (as a decimal string); what closing writes (the decision's when set).
    #[schema(example = "18")]
    pub points: Option<String>,
    #[schema(example = "30")]
    pub max: String,
    pub valid_answers: u64,
    pub below_minimum: bool,
    /// `keep` or `manual` when the administrator decided.
    pub decision: Option<String>,
}

/// A survey with its sample and points.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SurveyDetail)]
pub struct SurveyDetailDto {
    #[serde(flatten)]
    pub survey: SurveyDto,
    pub points: Vec<PointsDto>,
}

/// What an answers import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = AnswersImported)]
pub struct AnswersImportedDto {
    /// `true` when nothing was written (`dry_run`).
    pub dry_run: bool,
    pub rows: usize,
    pub answers: usize,
    pub respondents_added: u64,
    /// Respondents of the file already stored, passed over.
    pub respondents_skipped: u64,
}

/// An answers file.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
#[schema(as = AnswersUpload)]
pub struct AnswersUpload {
    /// `.csv` or `.xlsx`: a KoboToolbox/ODK export or a long file (`docs/formats.md`).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// The respondent group of rows that do not say theirs.
    #[schema(example = "N1")]
    pub group: Option<String>,
}

/// Options of an import.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportQuery {
    /// `true`: check and count only, write nothing.
    pub dry_run: Option<bool>,
}

/// What closing wrote.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SurveyClosed)]
pub struct ClosedDto {
    pub values: usize,
    pub changed: usize,
}

fn summary(ov: &service::Overview) -> SurveyDto {
    SurveyDto {
        code: ov.survey.code.clone(),
        name: ov.survey.name.clone(),
        status: ov.survey.status.clone(),
        groups: ov
            .groups
            .iter()
            .map(|g| GroupDto {
                code: g.code.clone(),
                name: g.name.clone(),
                evaluates: g.evaluates.to_string(),
                target: g.target,
                respondents: g.respondents,
            })
            .collect(),
    }
}

/// Lists the surveys of a period with their samples.
#[utoipa::path(
    get,
    path = "/api/v1/periods/{period}/surveys",
    tag = "surveys",
    params(("period" = String, Path, example = "2026")),
    responses(
        (status = 200, description = "The surveys", body = Vec<SurveyDto>),
        (status = 403, description = "Not the period's administrator", body = ErrorBody),
        (status = 404, description = "Unknown period", body = ErrorBody)
    )
)]
pub(super) async fn list_surveys(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(period): Path<String>,
) -> Result<Json<Vec<SurveyDto>>, AppError> {
    let period = parse::parse_period(&period)?;
    let p = current.principal();
    let mut out = Vec::new();
    for s in service::list(state.db(), &p, &period).await? {
        let ov = service::overview(state.db(), &p, &period, &s.code).await?;
        out.push(summary(&ov));
    }
    Ok(Json(out))
}

/// One survey: its sample and every unit's points per survey leaf.
#[utoipa::path(
    get,
    path = "/api/v1/periods/{period}/surveys/{survey}",
    tag = "surveys",
    params(("period" = String, Path, example = "2026"), ("survey" = String, Path, example = "XHH-2026")),
    responses(
        (status = 200, description = "The survey", body = SurveyDetailDto),
        (status = 403, description = "Not the period's administrator", body = ErrorBody),
        (status = 404, description = "Unknown period or survey", body = ErrorBody)
    )
)]
pub(super) async fn get_survey(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, survey)): Path<(String, String)>,
) -> Result<Json<SurveyDetailDto>, AppError> {
    let period = parse::parse_period(&period)?;
    let ov = service::overview(state.db(), &current.principal(), &period, &survey).await?;
    let points = ov
        .rows
        .iter()
        .flat_map(|r| {
            r.cells.iter().zip(&ov.leaves).filter_map(move |(c, l)| {
                let c = c.as_ref()?;
                Some(PointsDto {
                    unit: r.unit.to_string(),
                    leaf: l.leaf.to_string(),
                    points: c.points().map(|p| p.value().normalize().to_string()),
                    max: c.max.value().normalize().to_string(),
                    valid_answers: c.result.valid,
                    below_minimum: c.result.below_minimum,
                    decision: c
                        .decision
                        .as_ref()
                        .map(|d| if d.points.is_some() { "manual" } else { "keep" }.to_owned()),
                })
            })
        })
        .collect();
    Ok(Json(SurveyDetailDto {
        survey: summary(&ov),
        points,
    }))
}

/// Imports an answers file into an open survey (or, with `dry_run`, only checks it).
///
/// The file is checked whole (`file_invalid`, every problem with its row and column in
/// `details`); respondents already stored are passed over, so the same file twice adds
/// nothing; the answers are written in one transaction.
#[utoipa::path(
    post,
    path = "/api/v1/periods/{period}/surveys/{survey}/answers",
    tag = "surveys",
    params(("period" = String, Path, example = "2026"), ("survey" = String, Path, example = "XHH-2026"), ImportQuery),
    request_body(content = AnswersUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Imported (or checked)", body = AnswersImportedDto),
        (status = 403, description = "Not the period's administrator, or a read-only token", body = ErrorBody),
        (status = 404, description = "Unknown period or survey", body = ErrorBody),
        (status = 409, description = "The survey is closed or the period published", body = ErrorBody),
        (status = 413, description = "The file is too large", body = ErrorBody),
        (status = 422, description = "The file is wrong (each row and column in `details`)", body = ErrorBody)
    )
)]
pub(super) async fn import_answers(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, survey)): Path<(String, String)>,
    Query(q): Query<ImportQuery>,
    multipart: Multipart,
) -> Result<Json<AnswersImportedDto>, AppError> {
    let period = parse::parse_period(&period)?;
    let p = current.principal();
    service::require_manage(&p, &period)?;
    let mut form = upload::read(multipart, state.config().answer_file_limit, None).await?;
    let group = form.get("group").map(str::to_owned);
    let f = form
        .files
        .pop()
        .unwrap_or_else(|| crate::multipart::Received {
            name: String::new(),
            content: Vec::new(),
        });
    let mut tmp = tempfile::NamedTempFile::new().map_err(chiso_services::ServiceError::internal)?;
    std::io::Write::write_all(&mut tmp, &f.content)
        .map_err(chiso_services::ServiceError::internal)?;
    let file = AnswerFile {
        path: tmp.path().to_owned(),
        file_name: f.name,
        group,
    };
    if q.dry_run.unwrap_or(false) {
        let preview =
            service::preview_answers(state.db(), &p, &period, &survey, &file, |_| {}).await?;
        return Ok(Json(AnswersImportedDto {
            dry_run: true,
            rows: preview.stats.rows,
            answers: preview.stats.answers,
            respondents_added: 0,
            respondents_skipped: u64::try_from(preview.stored_respondents).unwrap_or(0),
        }));
    }
    let now = state.config().clock.now();
    let done =
        service::import_answers(state.db(), &p, &period, &survey, &file, now, |_| {}).await?;
    Ok(Json(AnswersImportedDto {
        dry_run: false,
        rows: done.stats.rows,
        answers: done.stats.answers,
        respondents_added: done.counts.respondents_added,
        respondents_skipped: done.counts.respondents_skipped,
    }))
}

/// Closes a survey: writes every unit's points into the period's survey leaves (audited,
/// results recomputed); `survey_undecided` (409, each unit and leaf in `details`) while units
/// below the minimum await a decision. Can be repeated until approval.
#[utoipa::path(
    post,
    path = "/api/v1/periods/{period}/surveys/{survey}/close",
    tag = "surveys",
    params(("period" = String, Path, example = "2026"), ("survey" = String, Path, example = "XHH-2026")),
    responses(
        (status = 200, description = "Closed", body = ClosedDto),
        (status = 403, description = "Not the period's administrator, or a read-only token", body = ErrorBody),
        (status = 404, description = "Unknown period or survey", body = ErrorBody),
        (status = 409, description = "Units await a decision, units are approved, or the period is published", body = ErrorBody)
    )
)]
pub(super) async fn close_survey(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, survey)): Path<(String, String)>,
) -> Result<Json<ClosedDto>, AppError> {
    let period = parse::parse_period(&period)?;
    let now = state.config().clock.now();
    let done = service::close(state.db(), &current.principal(), &period, &survey, now).await?;
    Ok(Json(ClosedDto {
        values: done.values,
        changed: done.changed,
    }))
}
