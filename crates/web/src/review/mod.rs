//! The appraisers' and the council's side of the cycle: appraisal, explanation requests,
//! approval, reopening, the self-vs-appraised comparison and the change log.
//!
//! Handlers are thin: parse the form into a command → call a `chiso_services::review`
//! function (which authorizes and sequences the workflow) → render or redirect. A refused
//! form is shown again with status 422 (409 for a stale save) and the refusal's code
//! translated, keeping what was typed; a successful one redirects back with a notice.

pub(crate) mod views;

use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chiso_domain::authz::Principal;
use chiso_domain::{NodeCode, PeriodCode, UnitCode};
use chiso_services::review::{
    self as service, Approve, ConfirmSelf, Reopen, ReopenApproval, RequestExplanation,
    SaveAppraisal,
};
use chiso_services::{Kind, ServiceError, codes};
use serde::Deserialize;

use crate::auth::SignedIn;
use crate::error::service_message;
use crate::format;
use crate::notice::Notice;
use crate::pages::{PageCtx, render};
use crate::paths::{InPeriod, PeriodUnit, UnitLeaf};
use crate::{AppError, AppState};
use views::Draft;

/// The routes of appraisal and approval.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/ky/{period}/tham-dinh", get(list))
        .route("/ky/{period}/tham-dinh/{unit}", get(unit_page))
        .route(
            "/ky/{period}/tham-dinh/{unit}/tieu-chi/{node}",
            post(save_appraisal),
        )
        .route(
            "/ky/{period}/tham-dinh/{unit}/tieu-chi/{node}/giai-trinh",
            post(request_explanation),
        )
        .route("/ky/{period}/tham-dinh/{unit}/mo-lai", post(reopen))
        .route("/ky/{period}/tham-dinh/{unit}/dong-y", post(confirm_self))
        .route("/ky/{period}/tham-dinh/{unit}/so-sanh", get(diff))
        .route("/ky/{period}/phe-duyet", get(approval).post(approve))
        .route("/ky/{period}/phe-duyet/mo-lai", post(reopen_approval))
        .route("/ky/{period}/nhat-ky/{unit}", get(change_log))
}

fn parse_node(raw: &str) -> Result<NodeCode, AppError> {
    NodeCode::parse(raw).map_err(|_| AppError::PageNotFound)
}

/// What was just done, for the notice after the redirect.
#[derive(Debug, Default, Deserialize)]
struct Done {
    ok: Option<String>,
    #[serde(rename = "tieu-chi")]
    node: Option<String>,
    n: Option<String>,
    /// The criterion to work on next, whose value field takes the focus.
    tiep: Option<String>,
}

/// The notices after a redirect (`?ok=<what>&tieu-chi=<leaf>&n=<count>`).
const NOTICES: &[(&str, &str)] = &[
    ("saved", "review.saved"),
    ("requested", "review.requested"),
    ("reopened", "review.reopened"),
    ("confirmed", "review.confirmed"),
    ("approved", "review.approved"),
    ("approval_reopened", "review.approval_reopened"),
];

impl Done {
    fn notice(&self, ctx: &PageCtx) -> Option<String> {
        let notice = Notice::of(self.ok.as_deref(), NOTICES)?
            .arg("node", self.node.as_deref().unwrap_or_default())
            .arg("n", self.n.as_deref().unwrap_or_default());
        Some(notice.text(ctx.lang))
    }
}

/// `GET /ky/{period}/tham-dinh`: the units the person appraises (or, for the council, the
/// administrator and observers, every unit) with their state.
async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InPeriod { period }: InPeriod,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let list = service::list_units(state.db(), &p, &period, now).await?;
    let mut page = views::ListPage::new(ctx, &list);
    if crate::measured::may_enter(&p, &period) {
        page = page.with_measured(crate::measured::href(&period));
    }
    if crate::surveys::may_manage(&p, &period) {
        page = page.with_surveys(crate::surveys::href(&period));
    }
    Ok(render(&page)?.into_response())
}

/// Renders the appraisal page of one unit, with a refused form's draft when there is one.
#[allow(clippy::too_many_arguments)]
async fn unit_view(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    notice: Option<String>,
    draft: Option<(StatusCode, Draft)>,
    next: Option<NodeCode>,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let file = service::unit_file(state.db(), p, period, unit, now).await?;
    let (status, draft) = match draft {
        Some((s, d)) => (s, Some(d)),
        None => (StatusCode::OK, None),
    };
    let page = views::UnitPage::new(ctx, &file, notice, draft, next.as_ref());
    Ok((status, render(&page)?).into_response())
}

/// `GET /ky/{period}/tham-dinh/{unit}`: both sides of every leaf the person may see, with the
/// appraisal and explanation forms where they may act now.
async fn unit_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    PeriodUnit { period, unit }: PeriodUnit,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let notice = done.notice(&ctx);
    let next = done.tiep.as_deref().and_then(|n| NodeCode::parse(n).ok());
    unit_view(&state, ctx, &p, &period, &unit, notice, None, next).await
}

/// Where to go back to after a change on the unit's page.
fn back_to_unit(
    period: &PeriodCode,
    unit: &UnitCode,
    query: &str,
    node: Option<&NodeCode>,
) -> Response {
    let base = views::Links::new(period.as_str(), unit.as_str()).unit;
    let fragment = node
        .map(|n| format!("#{}", views::anchor(n)))
        .unwrap_or_default();
    Redirect::to(&format!("{base}?{query}{fragment}")).into_response()
}

/// Where to go after `node` was saved or agreed with: the page, ready at the next criterion
/// to appraise (`tiep`, whose field takes the focus), or at `node` when none is left. With a
/// next criterion the address has no fragment: a fragment would keep the browser from
/// focusing the field.
async fn back_to_next(
    state: &AppState,
    p: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    query: &str,
    node: &NodeCode,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let file = service::unit_file(state.db(), p, period, unit, now).await?;
    Ok(match views::next_to_appraise(&file, node) {
        Some(next) => back_to_unit(
            period,
            unit,
            &format!("{query}&tiep={}", format::segment(next.as_str())),
            None,
        ),
        None => back_to_unit(period, unit, query, Some(node)),
    })
}

/// How a refusal shows on a form: status 409 for a stale save, 422 for a value or a step
/// refused now, with its message; any other refusal (not found, forbidden, a fault) is the
/// error page.
fn on_form(ctx: &PageCtx, err: ServiceError) -> Result<(StatusCode, String, bool), AppError> {
    let message = service_message(ctx.lang, &err);
    if err.is(codes::APPRAISAL_STALE) {
        return Ok((StatusCode::CONFLICT, message, true));
    }
    match err.kind() {
        Kind::Invalid | Kind::Conflict => Ok((StatusCode::UNPROCESSABLE_ENTITY, message, false)),
        _ => Err(err.into()),
    }
}

/// Turns a refused change into the page shown again (or the error page).
async fn refused(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    err: ServiceError,
    draft: impl FnOnce(String, bool) -> Draft,
) -> Result<Response, AppError> {
    let (status, error, stale) = on_form(&ctx, err)?;
    let d = draft(error, stale);
    unit_view(state, ctx, p, period, unit, None, Some((status, d)), None).await
}

#[derive(Debug, Deserialize)]
struct AppraisalForm {
    #[serde(default)]
    value: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    version: String,
}

/// `POST /ky/{period}/tham-dinh/{unit}/tieu-chi/{node}`: saves one appraised value.
async fn save_appraisal(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    UnitLeaf { period, unit, node }: UnitLeaf,
    Form(f): Form<AppraisalForm>,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    // A version that is not a number cannot match any stored one: the save is stale.
    let version = f.version.trim().parse::<i64>().unwrap_or(-1);
    let cmd = SaveAppraisal {
        period: period.clone(),
        unit: unit.clone(),
        leaf: node.clone(),
        value: f.value.clone(),
        comment: f.comment.clone(),
        expected_version: version,
    };
    match service::save_appraisal(state.db(), &p, &cmd, now).await {
        Ok(()) => {
            let query = format!("ok=saved&tieu-chi={}", format::segment(node.as_str()));
            back_to_next(&state, &p, &period, &unit, &query, &node).await
        }
        Err(e) => {
            refused(&state, ctx, &p, &period, &unit, e, |error, stale| {
                Draft::Appraisal {
                    node: node.clone(),
                    value: f.value.clone(),
                    comment: f.comment.clone(),
                    error,
                    stale,
                }
            })
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
struct RequestForm {
    #[serde(default)]
    request: String,
}

/// `POST /ky/{period}/tham-dinh/{unit}/tieu-chi/{node}/giai-trinh`: asks the unit to explain
/// one leaf.
async fn request_explanation(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    UnitLeaf { period, unit, node }: UnitLeaf,
    Form(f): Form<RequestForm>,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let cmd = RequestExplanation {
        period: period.clone(),
        unit: unit.clone(),
        leaf: node.clone(),
        question: f.request.clone(),
    };
    match service::request_explanation(state.db(), &p, &cmd, now).await {
        Ok(()) => Ok(back_to_unit(
            &period,
            &unit,
            &format!("ok=requested&tieu-chi={}", format::segment(node.as_str())),
            Some(&node),
        )),
        Err(e) => {
            refused(&state, ctx, &p, &period, &unit, e, |error, _| {
                Draft::Request {
                    node: node.clone(),
                    text: f.request.clone(),
                    error,
                }
            })
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
struct ReopenForm {
    #[serde(default)]
    reason: String,
}

/// `POST /ky/{period}/tham-dinh/{unit}/mo-lai`: the administrator reopens the unit.
async fn reopen(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    PeriodUnit { period, unit }: PeriodUnit,
    Form(f): Form<ReopenForm>,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let cmd = Reopen {
        period: period.clone(),
        unit: unit.clone(),
        reason: f.reason.clone(),
    };
    match service::reopen(state.db(), &p, &cmd, now).await {
        Ok(()) => Ok(back_to_unit(&period, &unit, "ok=reopened", None)),
        Err(e) => {
            refused(&state, ctx, &p, &period, &unit, e, |error, _| {
                Draft::Reopen {
                    reason: f.reason.clone(),
                    error,
                }
            })
            .await
        }
    }
}

/// `POST /ky/{period}/tham-dinh/{unit}/dong-y`: the appraiser agrees with the unit's values
/// of the leaves posted as `tieu-chi` (one leaf, an area), or of every leaf not yet appraised
/// when none is posted.
async fn confirm_self(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    PeriodUnit { period, unit }: PeriodUnit,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let leaves = f
        .iter()
        .filter(|(k, _)| k == "tieu-chi")
        .map(|(_, v)| parse_node(v.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let cmd = ConfirmSelf {
        period: period.clone(),
        unit: unit.clone(),
        leaves,
    };
    match service::confirm_self(state.db(), &p, &cmd, now).await {
        Ok(n) => {
            let query = format!("ok=confirmed&n={n}");
            match cmd.leaves.as_slice() {
                [leaf] => back_to_next(&state, &p, &period, &unit, &query, leaf).await,
                _ => Ok(back_to_unit(&period, &unit, &query, None)),
            }
        }
        Err(e) => {
            refused(&state, ctx, &p, &period, &unit, e, |error, _| {
                Draft::Confirm { error }
            })
            .await
        }
    }
}

/// `GET /ky/{period}/tham-dinh/{unit}/so-sanh`: self-assessment against appraisal, per leaf and
/// per area, with the appraisers' reasons.
async fn diff(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    PeriodUnit { period, unit }: PeriodUnit,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let file = service::unit_file(state.db(), &p, &period, &unit, now).await?;
    Ok(render(&views::DiffPage::new(ctx, &file))?.into_response())
}

/// Renders the approval page; with a refusal, status 422 and the message.
async fn approval_view(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    period: &PeriodCode,
    notice: Option<String>,
    error: Option<String>,
    typed: &[(String, String)],
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let overview = service::approval_overview(state.db(), p, period, now).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = views::ApprovalPage::new(ctx, &overview, notice, error, typed);
    Ok((status, render(&page)?).into_response())
}

/// `GET /ky/{period}/phe-duyet`: every unit's state and whether the period may be approved.
async fn approval(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InPeriod { period }: InPeriod,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let notice = done.notice(&ctx);
    approval_view(&state, ctx, &p, &period, notice, None, &[]).await
}

/// `POST /ky/{period}/phe-duyet`: the council chair approves the appraisal.
async fn approve(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InPeriod { period }: InPeriod,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    // `ly-do:{unit}:{leaf}`: the chair's reason for approving despite that gap.
    let accepted = f
        .iter()
        .filter_map(|(k, v)| {
            let (unit, leaf) = k.strip_prefix("ly-do:")?.split_once(':')?;
            Some(chiso_domain::completeness::Acceptance {
                unit: chiso_domain::UnitCode::parse(unit).ok()?,
                leaf: chiso_domain::NodeCode::parse(leaf).ok()?,
                reason: v.trim().to_owned(),
            })
        })
        .collect();
    let cmd = Approve {
        period: period.clone(),
        accepted,
    };
    match service::approve(state.db(), &p, &cmd, now).await {
        Ok(done) => {
            let href = views::Links::new(period.as_str(), "").approval;
            Ok(Redirect::to(&format!("{href}?ok=approved&n={}", done.finalised)).into_response())
        }
        Err(e) => {
            let (_, message, _) = on_form(&ctx, e)?;
            approval_view(&state, ctx, &p, &period, None, Some(message), &f).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct ReopenApprovalForm {
    #[serde(default, rename = "ly-do")]
    reason: String,
}

/// `POST /ky/{period}/phe-duyet/mo-lai`: the administrator reopens the period's approval with
/// a reason; every approved unit goes back to appraisal.
async fn reopen_approval(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InPeriod { period }: InPeriod,
    Form(f): Form<ReopenApprovalForm>,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let cmd = ReopenApproval {
        period: period.clone(),
        reason: f.reason,
    };
    match service::reopen_approval(state.db(), &p, &cmd, now).await {
        Ok(n) => {
            let href = views::Links::new(period.as_str(), "").approval;
            Ok(Redirect::to(&format!("{href}?ok=approval_reopened&n={n}")).into_response())
        }
        Err(e) => {
            let (_, message, _) = on_form(&ctx, e)?;
            approval_view(&state, ctx, &p, &period, None, Some(message), &[]).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct LogQuery {
    #[serde(rename = "tieu-chi")]
    node: Option<String>,
}

/// `GET /ky/{period}/nhat-ky/{unit}` (`?tieu-chi=` for one leaf): who changed what, when, from
/// which value to which, and why.
async fn change_log(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    PeriodUnit { period, unit }: PeriodUnit,
    Query(q): Query<LogQuery>,
) -> Result<Response, AppError> {
    let node = match q.node.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Some(parse_node(raw)?),
        None => None,
    };
    let log = service::change_log(state.db(), &p, &period, &unit, node.as_ref()).await?;
    let page = views::LogPage::new(
        ctx,
        &log.period,
        unit.as_str(),
        &log.unit_name,
        node.as_ref(),
        &log.entries,
        &log.names,
    );
    Ok(render(&page)?.into_response())
}
