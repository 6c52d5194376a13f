//! The printed reports (PDF): the period's results report, linked from the period page, a
//! unit's self-assessment report, linked from its self-assessment page, and the appraisal
//! minutes of a unit, linked from its appraisal page. What they say and who may have them is
//! decided by [`chiso_services::reports`]; this module routes, typesets off the async workers
//! and sends.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use chiso_services::reports::{self, Prepared};

use super::VersionQuery;
use super::downloads::{FileLink, send};
use crate::auth::{CurrentUser, SignedIn};
use crate::paths::PeriodUnit;
use crate::service::{self, PeriodReport};
use crate::{AppError, AppState, format};

/// The report routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/ky/{period}/bao-cao-ket-qua.pdf", get(results_report))
        .route(
            "/ky/{period}/tu-danh-gia/{unit}/bao-cao.pdf",
            get(self_assessment),
        )
        .route("/ky/{period}/tham-dinh/{unit}/bien-ban.pdf", get(minutes))
}

/// Typesets on a blocking thread: a report takes a good part of a second of CPU.
pub(super) async fn typeset(prepared: Prepared) -> Result<Response, AppError> {
    let file = tokio::task::spawn_blocking(move || reports::render(prepared))
        .await
        .map_err(|e| AppError::Service(chiso_services::ServiceError::internal(e)))??;
    Ok(send(file))
}

/// `GET /ky/{period}/bao-cao-ket-qua.pdf`: the results report of the version the period page
/// shows (`?phien-ban=N`), to whoever may read the page.
async fn results_report(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(period): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, AppError> {
    let period = service::parse_period(&period)?;
    let version = service::parse_version(&period, q.version.as_deref())?;
    let report = service::period_report(state.db(), &current.principal(), &period, version).await?;
    if !reports::has_results_report(&report) {
        return Err(AppError::PageNotFound);
    }
    let config = state.config();
    let prepared =
        reports::results_report(&report, None, &config.report_issuer, config.clock.now())?;
    typeset(prepared).await
}

/// `GET /ky/{period}/tu-danh-gia/{unit}/bao-cao.pdf`: the unit's self-assessment report, to
/// whoever may open its self-assessment.
async fn self_assessment(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    PeriodUnit { period, unit }: PeriodUnit,
) -> Result<Response, AppError> {
    let config = state.config();
    let prepared = reports::self_assessment_report(
        state.db(),
        &p,
        &period,
        &unit,
        &config.report_issuer,
        config.clock.now(),
    )
    .await?;
    typeset(prepared).await
}

/// `GET /ky/{period}/tham-dinh/{unit}/bien-ban.pdf`: the unit's appraisal minutes, to whoever
/// may open its appraisal file.
async fn minutes(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    PeriodUnit { period, unit }: PeriodUnit,
) -> Result<Response, AppError> {
    let config = state.config();
    let prepared = reports::appraisal_minutes(
        state.db(),
        &p,
        &period,
        &unit,
        &config.report_issuer,
        config.clock.now(),
    )
    .await?;
    typeset(prepared).await
}

/// The link to a period's results report for the page showing `r`, when it has results.
pub(crate) fn results_link(label: String, r: &PeriodReport) -> Option<FileLink> {
    reports::has_results_report(r).then(|| {
        let query = super::downloads::version_query(&r.source);
        FileLink {
            label,
            href: format!(
                "/ky/{}/bao-cao-ket-qua.pdf{query}",
                format::segment(r.period.code.as_str())
            ),
            name: reports::results_report_name(r, None),
            kind: "pdf",
        }
    })
}
