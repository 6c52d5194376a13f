//! The JSON API, version 1, under `/api/v1`: periods, results and unit histories for anyone;
//! assessments, the whole cycle (the unit's side in [`cycle`], the appraisal side in
//! [`review`]), imports ([`imports`]) and personal API tokens for the people allowed, signed
//! in or with a token. Every handler is declared with `#[utoipa::path]` and registered through
//! `utoipa_axum::routes!`, so a route cannot exist without being in the OpenAPI document
//! served at [`OPENAPI_PATH`] (and committed as `crates/web/openapi.json`).

mod admin;
mod assessment;
mod cycle;
pub mod dto;
mod imports;
mod publication;
mod review;
mod surveys;
mod tokens;
mod upload;

use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use serde::Deserialize;

use crate::auth::CurrentUser;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::service;
use crate::{AppError, AppState};
use dto::{ErrorBody, PeriodList, PeriodResultsDto, UnitDetailDto, UnitHistoryDto};

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

#[derive(OpenApi)]
#[openapi(
    // The version is the API contract's, not the software's: it changes only with the API.
    info(
        title = "chiso API",
        version = "1.0.0",
        description = "The results of the Administrative Reform Index (Chỉ số CCHC / PAR \
            Index): periods, rankings, group statistics, per-area points and unit histories, \
            readable by anyone; and, with a personal API token (`Authorization: Bearer \
            <secret>`, acting with exactly its owner's roles; a `read` token changes nothing), \
            the whole assessment cycle: self-assessment values, evidence, submission, \
            appraisal, explanation requests and answers, approval, and the imports of scores, \
            units and index sets. Writes follow the same rules as the pages, and those based on \
            a version (`expected_version`) are refused with 409 and the `current` one when \
            someone changed it meanwhile. Refusals carry a stable `code`, its `args` and, when \
            several problems are found at once, `details`. Figures are JSON numbers holding \
            the published value, rounded to 2 decimals half away from zero. Error messages \
            follow the `lang` cookie or the `?lang=en` parameter (Vietnamese by default).",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    tags(
        (name = "periods", description = "Assessment periods and their results"),
        (name = "units", description = "Units across periods"),
        (name = "assessments", description = "Assessments in progress, for the people who may see them"),
        (name = "tokens", description = "Personal API tokens: `Authorization: Bearer <secret>` acts with the owner's roles"),
        (name = "imports", description = "Files imported into the system: scores of survey and monitoring-data leaves, units, index sets"),
        (name = "surveys", description = "Sociological and satisfaction surveys: samples, points per unit and leaf, answer files, closing into the period")
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

/// The API routes with their OpenAPI description.
pub(crate) fn router() -> OpenApiRouter<crate::AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_periods, admin::create_period))
        .routes(routes!(admin::clone_set))
        .routes(routes!(get_period_results))
        .routes(routes!(
            publication::list_publications,
            publication::publish
        ))
        .routes(routes!(publication::open_correction))
        .routes(routes!(get_unit_result))
        .routes(routes!(get_unit_history))
        .routes(routes!(assessment::get_assessment))
        .routes(routes!(tokens::list_tokens, tokens::create_token))
        .routes(routes!(tokens::revoke_token))
        .routes(routes!(review::save_appraisal))
        .routes(routes!(review::request_explanation))
        .routes(routes!(review::reopen))
        .routes(routes!(review::close_unsubmitted))
        .routes(routes!(review::approve))
        .routes(routes!(review::reopen_approval))
        .routes(routes!(review::confirm_self))
        .routes(routes!(cycle::save_self_assessment))
        .routes(routes!(cycle::submit))
        .routes(routes!(cycle::list_evidence))
        .routes(routes!(cycle::upload_evidence))
        .routes(routes!(cycle::download_evidence, cycle::remove_evidence))
        .routes(routes!(cycle::answer_explanation))
        .routes(routes!(imports::import_scores))
        .routes(routes!(imports::import_units))
        .routes(routes!(imports::import_index_set))
        .routes(routes!(surveys::list_surveys))
        .routes(routes!(surveys::get_survey))
        .routes(routes!(surveys::import_answers))
        .routes(routes!(surveys::close_survey))
        // Uploads are bounded by the evidence limit per file, the readers' limit per imported
        // file and the application's body limit per request, not by the extractors' 2 MB.
        .layer(DefaultBodyLimit::disable())
}

/// The OpenAPI document of the API, exactly as served.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().into_openapi()
}

/// The OpenAPI document as committed: pretty JSON (keys in `serde_json::Value` order, so the
/// served and committed forms compare equal after a parse) with a final newline.
pub fn openapi_json() -> String {
    let value = serde_json::to_value(openapi()).unwrap_or_default();
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

/// Every period.
///
/// Newest year first, with the number of units taking part.
#[utoipa::path(
    get,
    path = "/api/v1/periods",
    tag = "periods",
    responses((status = 200, description = "The periods", body = PeriodList))
)]
async fn list_periods(State(state): State<AppState>) -> Result<Json<PeriodList>, AppError> {
    let list = service::list_periods(state.db()).await?;
    Ok(Json(PeriodList::from(list.as_slice())))
}

/// `?version=N`: a published version other than the latest.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
struct VersionParam {
    /// A published version (1, 2…); the latest when absent.
    version: Option<String>,
}

/// The results of a period.
///
/// Every unit (rank, points, index, class, deltas, streak, points per area) and every
/// group's statistics.
#[utoipa::path(
    get,
    path = "/api/v1/periods/{period}/results",
    tag = "periods",
    params(("period" = String, Path, description = "Period code", example = "2024"), VersionParam),
    responses(
        (status = 200, description = "The period's results: the published version, or confidential results for the period's staff before publication", body = PeriodResultsDto),
        (status = 404, description = "Unknown period or version, or results not published yet", body = ErrorBody)
    )
)]
async fn get_period_results(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(period): Path<String>,
    Query(q): Query<VersionParam>,
) -> Result<Json<PeriodResultsDto>, AppError> {
    let period = service::parse_period(&period)?;
    let version = service::parse_version(&period, q.version.as_deref())?;
    let report = service::period_report(state.db(), &current.principal(), &period, version).await?;
    Ok(Json(PeriodResultsDto::from(&report)))
}

/// One unit's result in a period.
///
/// With the points of every area, criterion and leaf, titled from the period's index set.
#[utoipa::path(
    get,
    path = "/api/v1/periods/{period}/units/{unit}",
    tag = "periods",
    params(
        ("period" = String, Path, description = "Period code", example = "2024"),
        ("unit" = String, Path, description = "Unit code", example = "SNV"),
        VersionParam
    ),
    responses(
        (status = 200, description = "The unit's result: published, or confidential for the period's staff and the unit itself before publication", body = UnitDetailDto),
        (status = 404, description = "Unknown period or version, no result for the unit in it, or results not published yet", body = ErrorBody)
    )
)]
async fn get_unit_result(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit)): Path<(String, String)>,
    Query(q): Query<VersionParam>,
) -> Result<Json<UnitDetailDto>, AppError> {
    let period = service::parse_period(&period)?;
    let unit = service::parse_unit(&unit)?;
    let version = service::parse_version(&period, q.version.as_deref())?;
    let report =
        service::unit_report(state.db(), &current.principal(), &period, &unit, version).await?;
    Ok(Json(UnitDetailDto::from(&report)))
}

/// A unit's results in every period.
///
/// Oldest period first; results are those stored under this unit code.
#[utoipa::path(
    get,
    path = "/api/v1/units/{unit}/history",
    tag = "units",
    params(("unit" = String, Path, description = "Unit code", example = "SNV")),
    responses(
        (status = 200, description = "The unit's history", body = UnitHistoryDto),
        (status = 404, description = "Unknown unit", body = ErrorBody)
    )
)]
async fn get_unit_history(
    State(state): State<AppState>,
    Path(unit): Path<String>,
) -> Result<Json<UnitHistoryDto>, AppError> {
    let unit = service::parse_unit(&unit)?;
    let history = service::unit_history(state.db(), &unit).await?;
    Ok(Json(UnitHistoryDto::from(&history)))
}
