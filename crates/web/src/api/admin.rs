//! Administration through the API: creating a period and cloning an index set for the next
//! year, so that an integration (or a provincial portal) can prepare a cycle without the
//! pages. Both call the services the pages call (`chiso_services::{periods, index_sets}`),
//! with the same authorization (administrators) and the same field checks.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chiso_services::index_sets::{self, CloneSet, SetInfo};
use chiso_services::periods::{self, NewPeriod};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::dto::ErrorBody;
use crate::auth::CurrentUser;
use crate::paths::InSet;
use crate::{AppError, AppState};

/// A new period.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = NewPeriod)]
pub struct NewPeriodDto {
    /// Its code, used in addresses (usually the year).
    #[schema(example = "2027")]
    pub code: String,
    /// Its name.
    #[schema(example = "Chỉ số CCHC năm 2027")]
    pub name: String,
    /// The year assessed.
    #[schema(example = 2027)]
    pub year: i32,
    /// The period compared against, if any.
    #[serde(default)]
    #[schema(example = "2026")]
    pub previous: Option<String>,
}

/// What was created.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Created)]
pub struct CreatedDto {
    /// The new period's or set's code.
    #[schema(example = "2027")]
    pub code: String,
}

/// The new draft of a cloned index set.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = IndexSetClone)]
pub struct CloneDto {
    /// The new set's code, not taken yet.
    #[schema(example = "BCS-SO-2027")]
    pub code: String,
    /// Its name.
    #[schema(example = "Bộ chỉ số CCHC cấp sở năm 2027")]
    pub name: String,
    /// The year it applies to.
    #[schema(example = 2027)]
    pub year: i32,
    /// The decision that issues it, if already known.
    #[serde(default)]
    #[schema(example = "Quyết định số 15/QĐ-UBND")]
    pub decision: Option<String>,
    /// Move the dated rules (report deadlines) by the difference between `year` and the
    /// source set's year; `true` when left out. With `false` they keep the source's dates.
    #[serde(default)]
    #[schema(example = true)]
    pub shift_dates: Option<bool>,
}

/// A criterion whose rule names a date, moved by a clone or kept.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ClonedDatedRule)]
pub struct DatedRuleDto {
    /// The criterion's code.
    #[schema(example = "1.2")]
    pub code: String,
    /// Its text.
    #[schema(example = "Báo cáo CCHC năm gửi đúng thời hạn")]
    pub title: String,
    /// The date in the source set, `YYYY-MM-DD`.
    #[schema(example = "2026-12-10")]
    pub from: String,
    /// The date in the new draft, `YYYY-MM-DD` (the same as `from` when kept).
    #[schema(example = "2027-12-10")]
    pub to: String,
}

/// The new draft of a clone and what happened to its dated rules.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = IndexSetCloned)]
pub struct ClonedDto {
    /// The new set's code.
    #[schema(example = "BCS-SO-2027")]
    pub code: String,
    /// Years the dated rules moved (0 when they were kept).
    #[schema(example = 1)]
    pub years: i32,
    /// The dated rules moved.
    pub shifted: Vec<DatedRuleDto>,
    /// The dated rules that kept the source's dates.
    pub kept: Vec<DatedRuleDto>,
}

/// Creates a period (draft, no groups yet); administrators only.
#[utoipa::path(
    post,
    path = "/api/v1/periods",
    tag = "periods",
    request_body = NewPeriodDto,
    responses(
        (status = 201, description = "Created", body = CreatedDto),
        (status = 403, description = "Not an administrator", body = ErrorBody),
        (status = 409, description = "The code is taken", body = ErrorBody),
        (status = 422, description = "A field is wrong", body = ErrorBody)
    )
)]
pub(super) async fn create_period(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(body): Json<NewPeriodDto>,
) -> Result<(StatusCode, Json<CreatedDto>), AppError> {
    let new = NewPeriod {
        code: body.code,
        name: body.name,
        year: body.year.to_string(),
        previous: body.previous.unwrap_or_default(),
    };
    let now = state.config().clock.now();
    let code = periods::create_period(state.db(), &current.principal(), &new, now).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedDto {
            code: code.to_string(),
        }),
    ))
}

/// Clones an index set into a new draft for another year; administrators only. Its dated rules
/// (report deadlines) move by the difference of years unless `shift_dates` is `false`; the
/// answer lists them.
#[utoipa::path(
    post,
    path = "/api/v1/index-sets/{set}/clone",
    tag = "imports",
    params(("set" = String, Path, example = "BCS-SO-2026")),
    request_body = CloneDto,
    responses(
        (status = 201, description = "The new draft", body = ClonedDto),
        (status = 403, description = "Not an administrator", body = ErrorBody),
        (status = 404, description = "No such set", body = ErrorBody),
        (status = 409, description = "The new code is taken", body = ErrorBody),
        (status = 422, description = "A field is wrong", body = ErrorBody)
    )
)]
pub(super) async fn clone_set(
    State(state): State<AppState>,
    current: CurrentUser,
    InSet { set }: InSet,
    Json(body): Json<CloneDto>,
) -> Result<(StatusCode, Json<ClonedDto>), AppError> {
    let code = chiso_domain::SetCode::parse(body.code.trim()).map_err(|_| {
        chiso_services::ServiceError::new(chiso_services::codes::INVALID_FIELD).arg("field", "code")
    })?;
    let cmd = CloneSet {
        from: set,
        code,
        info: SetInfo {
            name: body.name,
            year: body.year,
            decision: body.decision.filter(|d| !d.trim().is_empty()),
        },
        // Shifting between equal years moves nothing, so "when the years differ" is `true`.
        shift_dates: body.shift_dates.unwrap_or(true),
    };
    let now = state.config().clock.now();
    let done = index_sets::clone_set(state.db(), &current.principal(), &cmd, now).await?;
    let rule = |code: &chiso_domain::NodeCode, title: &str, from: Date, to: Date| DatedRuleDto {
        code: code.to_string(),
        title: title.to_owned(),
        from: from.to_string(),
        to: to.to_string(),
    };
    Ok((
        StatusCode::CREATED,
        Json(ClonedDto {
            code: done.code.to_string(),
            years: done.years,
            shifted: done
                .shifted
                .iter()
                .map(|r| rule(&r.code, &r.title, r.from, r.to))
                .collect(),
            kept: done
                .kept
                .iter()
                .map(|r| rule(&r.code, &r.title, r.date, r.date))
                .collect(),
        }),
    ))
}
