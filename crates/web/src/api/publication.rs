//! Publication through the API: the versions of a period's published results, publishing by
//! decision, and opening a correction. The same services as the period administration page
//! (`chiso_services::publication`), administrators only for the changes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chiso_services::publication::{self, Publish};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{ErrorBody, PublicationDto};
use crate::auth::CurrentUser;
use crate::paths::InPeriod;
use crate::{AppError, AppState};

/// A publication by decision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = NewPublication)]
pub struct PublishDto {
    /// The decision's number.
    #[schema(example = "123/QĐ-UBND")]
    pub decision: String,
    /// The decision's date, `YYYY-MM-DD` (or `dd/mm/yyyy`); not after today.
    #[schema(example = "2027-03-15")]
    pub decided_on: String,
    /// Why, for a correction (required from the second version on).
    #[serde(default)]
    #[schema(example = json!(null))]
    pub reason: Option<String>,
}

/// Opening a correction.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = Correction)]
pub struct CorrectionDto {
    /// Why the published results must be corrected.
    #[schema(example = "Sai số liệu tiêu chí 6.2 của Sở Tư pháp")]
    pub reason: String,
}

/// What a publication did.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Published)]
pub struct PublishedDto {
    /// The version published (1, then one more per correction).
    #[schema(example = 1)]
    pub version: i64,
    /// Units published.
    #[schema(example = 35)]
    pub units: usize,
}

/// The published versions of a period, oldest first (public).
#[utoipa::path(
    get,
    path = "/api/v1/periods/{period}/publications",
    tag = "periods",
    params(("period" = String, Path, example = "2024")),
    responses(
        (status = 200, description = "The versions, oldest first (empty before publication)", body = Vec<PublicationDto>),
        (status = 404, description = "Unknown period", body = ErrorBody)
    )
)]
pub(super) async fn list_publications(
    State(state): State<AppState>,
    InPeriod { period }: InPeriod,
) -> Result<Json<Vec<PublicationDto>>, AppError> {
    chiso_services::results::find_period(state.db(), &period)
        .await?
        .ok_or_else(|| {
            chiso_services::ServiceError::new(chiso_services::codes::PERIOD_NOT_FOUND)
                .arg("period", &period)
        })?;
    let versions = publication::versions(state.db(), &period).await?;
    Ok(Json(versions.iter().map(PublicationDto::from).collect()))
}

/// Publishes the period's approved results by decision: an immutable snapshot, public at
/// once; a new version (with its reason) when a correction is open. Administrators only.
#[utoipa::path(
    post,
    path = "/api/v1/periods/{period}/publications",
    tag = "periods",
    params(("period" = String, Path, example = "2025")),
    request_body = PublishDto,
    responses(
        (status = 201, description = "Published", body = PublishedDto),
        (status = 403, description = "Not an administrator", body = ErrorBody),
        (status = 409, description = "Not approved, not computed, or already published (open a correction first)", body = ErrorBody),
        (status = 422, description = "A field is wrong: decision, decided_on, reason", body = ErrorBody)
    )
)]
pub(super) async fn publish(
    State(state): State<AppState>,
    current: CurrentUser,
    InPeriod { period }: InPeriod,
    Json(body): Json<PublishDto>,
) -> Result<(StatusCode, Json<PublishedDto>), AppError> {
    let decided_on = chiso_domain::fmt::parse_date(&body.decided_on).ok_or_else(|| {
        chiso_services::ServiceError::new(chiso_services::codes::INVALID_FIELD)
            .arg("field", "decided_on")
            .arg("value", &body.decided_on)
    })?;
    let cmd = Publish {
        period,
        decision: body.decision,
        decided_on,
        reason: body.reason,
    };
    let now = state.config().clock.now();
    let done = publication::publish(state.db(), &current.principal(), &cmd, now).await?;
    Ok((
        StatusCode::CREATED,
        Json(PublishedDto {
            version: done.version,
            units: done.units,
        }),
    ))
}

/// Opens a correction of a published period: it can change and be approved again, and its
/// next publication is a new version; the published one stays public meanwhile.
/// Administrators only.
#[utoipa::path(
    post,
    path = "/api/v1/periods/{period}/correction",
    tag = "periods",
    params(("period" = String, Path, example = "2025")),
    request_body = CorrectionDto,
    responses(
        (status = 204, description = "The correction is open"),
        (status = 403, description = "Not an administrator", body = ErrorBody),
        (status = 409, description = "Not published, or a correction is already open", body = ErrorBody),
        (status = 422, description = "The reason is missing", body = ErrorBody)
    )
)]
pub(super) async fn open_correction(
    State(state): State<AppState>,
    current: CurrentUser,
    InPeriod { period }: InPeriod,
    Json(body): Json<CorrectionDto>,
) -> Result<StatusCode, AppError> {
    let now = state.config().clock.now();
    publication::open_correction(state.db(), &current.principal(), &period, &body.reason, now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
