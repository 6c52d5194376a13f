//! Writing the appraisal side of the cycle through the API: appraised values and comments,
//! explanation requests, approval and reopening. Each endpoint parses its JSON into the
//! service's command and calls the same service as the pages (`chiso_services::review`):
//! same authorization, same validation, same optimistic versions (409 with `current`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chiso_domain::NodeCode;
use chiso_services::review::{
    self, Approve, ConfirmSelf, Reopen, ReopenApproval, RequestExplanation, SaveAppraisal,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::ErrorBody;
use crate::auth::CurrentUser;
use crate::{AppError, AppState, service};

/// An appraised value for one leaf.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = AppraisalValue)]
pub struct AppraisalDto {
    /// The value as the leaf's method reads it, Vietnamese style: `có`/`không`, `45/47`,
    /// `2,5`, a count.
    #[schema(example = "có")]
    pub value: String,
    /// The appraiser's comment; required when the points differ from the unit's.
    #[serde(default)]
    #[schema(example = "Đúng minh chứng")]
    pub comment: String,
    /// The appraisal version the value is based on (`appraisal_version` of the assessment;
    /// 0 when never appraised). A stale version answers 409 with `current`.
    #[schema(example = 0)]
    pub expected_version: i64,
}

/// An explanation request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = NewExplanationRequest)]
pub struct ExplanationRequestDto {
    /// The leaf questioned.
    #[schema(example = "1.2.1")]
    pub leaf: String,
    /// What the unit is asked to explain.
    #[schema(example = "Đề nghị bổ sung quyết định ban hành kế hoạch.")]
    pub question: String,
}

/// A reopening.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = ReopenRequest)]
pub struct ReopenDto {
    /// Why; kept in the audit log.
    #[schema(example = "Đơn vị bổ sung minh chứng theo Công văn số 12/SNV")]
    pub reason: String,
}

/// What an approval did.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Approval)]
pub struct ApprovedDto {
    /// Units finalised by this approval.
    #[schema(example = 12)]
    pub finalised: usize,
}

fn leaf_code(raw: &str) -> Result<NodeCode, AppError> {
    NodeCode::parse(raw).map_err(|_| {
        chiso_services::ServiceError::new(chiso_services::codes::INVALID_FIELD)
            .arg("field", "leaf")
            .into()
    })
}

/// Saves the appraised value and comment of one leaf.
#[utoipa::path(
    put,
    path = "/api/v1/periods/{period}/assessments/{unit}/appraisal/{leaf}",
    tag = "assessments",
    params(
        ("period" = String, Path, example = "2026"),
        ("unit" = String, Path, example = "SNV"),
        ("leaf" = String, Path, example = "1.2.1")
    ),
    request_body = AppraisalDto,
    responses(
        (status = 204, description = "Saved"),
        (status = 403, description = "Not an appraiser of this unit or area", body = ErrorBody),
        (status = 409, description = "Saved meanwhile by someone else (`current`), or the workflow refuses it now", body = ErrorBody),
        (status = 422, description = "The value or comment is wrong (`field`)", body = ErrorBody)
    )
)]
pub(super) async fn save_appraisal(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit, leaf)): Path<(String, String, String)>,
    Json(body): Json<AppraisalDto>,
) -> Result<StatusCode, AppError> {
    let cmd = SaveAppraisal {
        period: service::parse_period(&period)?,
        unit: service::parse_unit(&unit)?,
        leaf: leaf_code(&leaf)?,
        value: body.value,
        comment: body.comment,
        expected_version: body.expected_version,
    };
    let now = state.config().clock.now();
    review::save_appraisal(state.db(), &current.principal(), &cmd, now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Asks the unit to explain one leaf.
#[utoipa::path(
    post,
    path = "/api/v1/periods/{period}/assessments/{unit}/explanation-requests",
    tag = "assessments",
    params(("period" = String, Path, example = "2026"), ("unit" = String, Path, example = "SNV")),
    request_body = ExplanationRequestDto,
    responses(
        (status = 201, description = "Requested"),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "The workflow refuses it now", body = ErrorBody),
        (status = 422, description = "A field is wrong", body = ErrorBody)
    )
)]
pub(super) async fn request_explanation(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit)): Path<(String, String)>,
    Json(body): Json<ExplanationRequestDto>,
) -> Result<StatusCode, AppError> {
    let cmd = RequestExplanation {
        period: service::parse_period(&period)?,
        unit: service::parse_unit(&unit)?,
        leaf: leaf_code(&body.leaf)?,
        question: body.question,
    };
    let now = state.config().clock.now();
    review::request_explanation(state.db(), &current.principal(), &cmd, now).await?;
    Ok(StatusCode::CREATED)
}

/// Reopens one unit's assessment (administrators).
#[utoipa::path(
    post,
    path = "/api/v1/periods/{period}/assessments/{unit}/reopen",
    tag = "assessments",
    params(("period" = String, Path, example = "2026"), ("unit" = String, Path, example = "SNV")),
    request_body = ReopenDto,
    responses(
        (status = 204, description = "Reopened"),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "Nothing to reopen, or the period is published", body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody)
    )
)]
pub(super) async fn reopen(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit)): Path<(String, String)>,
    Json(body): Json<ReopenDto>,
) -> Result<StatusCode, AppError> {
    let cmd = Reopen {
        period: service::parse_period(&period)?,
        unit: service::parse_unit(&unit)?,
        reason: body.reason,
    };
    let now = state.config().clock.now();
    review::reopen(state.db(), &current.principal(), &cmd, now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Closing the self-assessment of a unit that did not submit by the deadline.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[schema(as = CloseUnsubmittedRequest)]
pub struct CloseUnsubmittedDto {
    /// An optional note, kept in the audit log.
    #[serde(default)]
    #[schema(example = "Đã nhắc 2 lần bằng công văn, đơn vị không nộp")]
    pub reason: Option<String>,
}

/// After the self-assessment deadline, closes the self-assessment of a unit that did not
/// submit ("hết hạn, không nộp"; those who manage the period): the unit can no longer edit it,
/// appraisers appraise it from the evidence it has, and its results carry the note
/// `closed_unsubmitted`.
#[utoipa::path(
    post,
    path = "/api/v1/periods/{period}/assessments/{unit}/close-unsubmitted",
    tag = "assessments",
    params(("period" = String, Path, example = "2026"), ("unit" = String, Path, example = "SNV")),
    request_body = CloseUnsubmittedDto,
    responses(
        (status = 204, description = "Closed"),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "Before the deadline (`close_before_deadline`, with the deadline), already submitted or closed, or the period is published", body = ErrorBody),
        (status = 422, description = "The unit takes no part in the period", body = ErrorBody)
    )
)]
pub(super) async fn close_unsubmitted(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit)): Path<(String, String)>,
    Json(body): Json<CloseUnsubmittedDto>,
) -> Result<StatusCode, AppError> {
    let period = service::parse_period(&period)?;
    let unit = service::parse_unit(&unit)?;
    let now = state.config().clock.now();
    chiso_services::periods::close_unsubmitted(
        state.db(),
        &current.principal(),
        &period,
        &unit,
        body.reason.as_deref(),
        now,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the chair approves despite: gaps with their reasons.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[schema(as = Approval)]
pub struct ApproveDto {
    /// One reason per incomplete leaf (survey or data value missing, explanation unanswered)
    /// that is approved as it is; the refusal `approval_incomplete` lists the gaps.
    #[serde(default)]
    pub accepted_gaps: Vec<AcceptedGapDto>,
}

/// A gap approved as it is.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = AcceptedGap)]
pub struct AcceptedGapDto {
    #[schema(example = "SNV")]
    pub unit: String,
    #[schema(example = "6.1")]
    pub leaf: String,
    #[schema(example = "Không tổ chức điều tra tại đơn vị mới thành lập")]
    pub reason: String,
}

/// The council chair approves the period's appraisal; the results are computed and saved in
/// the same transaction (still confidential until published). Every survey and data leaf must
/// have its value and every explanation request its answer, or a reason in `accepted_gaps`.
#[utoipa::path(
    post,
    path = "/api/v1/periods/{period}/approval",
    tag = "assessments",
    params(("period" = String, Path, example = "2026")),
    request_body(content = Option<ApproveDto>, description = "Optional: reasons for gaps approved as they are"),
    responses(
        (status = 200, description = "Approved", body = ApprovedDto),
        (status = 403, description = "Not the council chair", body = ErrorBody),
        (status = 409, description = "Not every unit is appraised, a gap has no reason (approval_incomplete, each in details), or the approval window is not open", body = ErrorBody)
    )
)]
pub(super) async fn approve(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(period): Path<String>,
    body: Option<Json<ApproveDto>>,
) -> Result<Json<ApprovedDto>, AppError> {
    let accepted = body
        .map(|Json(b)| b.accepted_gaps)
        .unwrap_or_default()
        .into_iter()
        .map(|g| {
            let bad = |field: &str, value: &str| {
                chiso_services::ServiceError::new(chiso_services::codes::INVALID_FIELD)
                    .arg("field", field)
                    .arg("value", value)
            };
            Ok(chiso_domain::completeness::Acceptance {
                unit: chiso_domain::UnitCode::parse(&g.unit).map_err(|_| bad("unit", &g.unit))?,
                leaf: chiso_domain::NodeCode::parse(&g.leaf).map_err(|_| bad("leaf", &g.leaf))?,
                reason: g.reason,
            })
        })
        .collect::<Result<Vec<_>, chiso_services::ServiceError>>()?;
    let cmd = Approve {
        period: service::parse_period(&period)?,
        accepted,
    };
    let now = state.config().clock.now();
    let done = review::approve(state.db(), &current.principal(), &cmd, now).await?;
    Ok(Json(ApprovedDto {
        finalised: done.finalised,
    }))
}

/// What reopening an approval did.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ApprovalReopened)]
pub struct ApprovalReopenedDto {
    /// Units sent back to appraisal.
    #[schema(example = 12)]
    pub reopened: usize,
}

/// Reopens the approval of a period not yet published (administrators): every approved unit
/// goes back to appraisal, in one transaction, with the reason in each unit's audit log; the
/// council chair approves again before the period can be published.
#[utoipa::path(
    post,
    path = "/api/v1/periods/{period}/approval/reopen",
    tag = "assessments",
    params(("period" = String, Path, example = "2026")),
    request_body = ReopenDto,
    responses(
        (status = 200, description = "Reopened", body = ApprovalReopenedDto),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "No unit approved, the period is published, or a unit changed meanwhile", body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody)
    )
)]
pub(super) async fn reopen_approval(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(period): Path<String>,
    Json(body): Json<ReopenDto>,
) -> Result<Json<ApprovalReopenedDto>, AppError> {
    let cmd = ReopenApproval {
        period: service::parse_period(&period)?,
        reason: body.reason,
    };
    let now = state.config().clock.now();
    let reopened = review::reopen_approval(state.db(), &current.principal(), &cmd, now).await?;
    Ok(Json(ApprovalReopenedDto { reopened }))
}

/// Leaves whose self-assessed value the appraiser agrees with.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[schema(as = ConfirmSelfRequest)]
pub struct ConfirmSelfDto {
    /// The leaves; empty or missing: every leaf the appraiser may appraise now that has the
    /// unit's value and no appraisal yet.
    #[serde(default)]
    #[schema(example = json!(["1.1.1", "1.1.2"]))]
    pub leaves: Vec<String>,
}

/// What an agreement did.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SelfConfirmed)]
pub struct ConfirmedDto {
    /// Leaves whose appraised value is now the unit's own value.
    #[schema(example = 27)]
    pub confirmed: usize,
}

/// The appraiser agrees with the unit's self-assessed values ("đồng ý với tự đánh giá"): each
/// leaf gets an appraisal equal to the unit's value, audited per leaf, in one transaction.
#[utoipa::path(
    post,
    path = "/api/v1/periods/{period}/assessments/{unit}/appraisal/confirm",
    tag = "assessments",
    params(("period" = String, Path, example = "2026"), ("unit" = String, Path, example = "SNV")),
    request_body(content = Option<ConfirmSelfDto>, description = "Optional: the leaves; all when empty"),
    responses(
        (status = 200, description = "Confirmed", body = ConfirmedDto),
        (status = 403, description = "Not an appraiser of these leaves", body = ErrorBody),
        (status = 409, description = "Appraisal window not open, nothing left to confirm, or a leaf appraised meanwhile", body = ErrorBody),
        (status = 422, description = "A named leaf has no self-assessed value or is not appraised", body = ErrorBody)
    )
)]
pub(super) async fn confirm_self(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit)): Path<(String, String)>,
    body: Option<Json<ConfirmSelfDto>>,
) -> Result<Json<ConfirmedDto>, AppError> {
    let leaves = body
        .map(|Json(b)| b.leaves)
        .unwrap_or_default()
        .iter()
        .map(|l| leaf_code(l))
        .collect::<Result<Vec<_>, _>>()?;
    let cmd = ConfirmSelf {
        period: service::parse_period(&period)?,
        unit: service::parse_unit(&unit)?,
        leaves,
    };
    let now = state.config().clock.now();
    let confirmed = review::confirm_self(state.db(), &current.principal(), &cmd, now).await?;
    Ok(Json(ConfirmedDto { confirmed }))
}
