//! Survey and monitoring-data values entered in the app: the sheet of a period's units × the
//! survey and data leaves of their index sets, saved as one form; and a scores file uploaded,
//! previewed (every change, every problem) and imported once confirmed.
//!
//! Handlers are thin: parse the form into a command → call `chiso_services::measured` (which
//! authorizes, checks and writes) → render or redirect. A refused save shows the sheet again
//! with status 422 (409 when the values changed meanwhile), the values as typed and each
//! message next to its field; a successful one redirects back with a notice. The previewed
//! file waits on the server for its confirmation (see [`store`]).

mod store;
pub(crate) mod views;

use std::collections::BTreeMap;

use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chiso_domain::authz::Principal;
use chiso_domain::{NodeCode, PeriodCode, UnitCode};
use chiso_services::measured::{self as service, CommitMeasured, MeasuredValue, SaveMeasured};
use chiso_services::{Detail, Kind, ServiceError, codes};

pub(crate) use self::store::{Kept, Previews};
use self::views::{Draft, PreviewPage, SheetPage, sheet_href};
use crate::auth::SignedIn;
use crate::error::service_message;
use crate::multipart::{self, Bounds, Oversize, import_limit};
use crate::notice::Done;
use crate::pages::{PageCtx, render};
use crate::paths::InPeriod;
use crate::{AppError, AppState};

/// The routes of the sheet, its save, and the import of a file.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/ky/{period}/diem-khao-sat-so-lieu", get(sheet))
        .route("/ky/{period}/diem-khao-sat-so-lieu/luu", post(save))
        .route("/ky/{period}/diem-khao-sat-so-lieu/nhap-tep", post(upload))
        .route("/ky/{period}/diem-khao-sat-so-lieu/xac-nhan", post(confirm))
}

/// The notices after a redirect (`?ok=<what>&n=<count>`).
const NOTICES: &[(&str, &str)] = &[
    ("saved", "measured.saved"),
    ("imported", "measured.imported"),
];

/// The sheet, with a refused form's draft when there is one.
async fn sheet_view(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    period: &PeriodCode,
    notice: Option<String>,
    draft: Draft,
) -> Result<SheetPage, AppError> {
    let sheet = service::sheet(state.db(), p, period).await?;
    Ok(SheetPage::new(ctx, &sheet, notice, draft))
}

/// `GET /ky/{period}/diem-khao-sat-so-lieu`: every value the person may enter, by group.
async fn sheet(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InPeriod { period }: InPeriod,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let notice = done
        .notice(NOTICES)
        .map(|n| n.arg("n", done.n.as_deref().unwrap_or("0")).text(ctx.lang));
    let page = sheet_view(&state, ctx, &p, &period, notice, Draft::default()).await?;
    Ok(render(&page)?.into_response())
}

/// The values of the form: `v:{unit}:{node}` with `version:{unit}:{node}` beside it.
fn read_values(fields: &[(String, String)]) -> Result<Vec<MeasuredValue>, AppError> {
    let versions: BTreeMap<&str, &str> = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("version:")?, v.as_str())))
        .collect();
    let mut out = Vec::new();
    for (k, v) in fields {
        let Some(cell) = k.strip_prefix("v:") else {
            continue;
        };
        let (unit, node) = cell.split_once(':').ok_or(AppError::PageNotFound)?;
        out.push(MeasuredValue {
            unit: UnitCode::parse(unit).map_err(|_| AppError::PageNotFound)?,
            node: NodeCode::parse(node).map_err(|_| AppError::PageNotFound)?,
            value: v.clone(),
            // A version that is not a number cannot match any stored one: the save is stale.
            expected_version: versions
                .get(cell)
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(-1),
        });
    }
    Ok(out)
}

/// `POST /ky/{period}/diem-khao-sat-so-lieu/luu`: saves every value of the form, or none.
async fn save(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InPeriod { period }: InPeriod,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let values = read_values(&fields)?;
    let reason = fields
        .iter()
        .find(|(k, _)| k == "reason")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let cmd = SaveMeasured {
        period: period.clone(),
        values,
        reason: reason.clone(),
    };
    let now = state.config().clock.now();
    match service::save_measured(state.db(), &p, &cmd, now).await {
        Ok(done) => Ok(Redirect::to(&format!(
            "{}?ok=saved&n={}",
            sheet_href(period.as_str()),
            done.changed
        ))
        .into_response()),
        Err(e) => {
            let (status, e) = on_form(e)?;
            let mut draft = Draft {
                reason,
                ..Draft::default()
            };
            for v in &cmd.values {
                draft
                    .typed
                    .insert((v.unit.to_string(), v.node.to_string()), v.value.clone());
            }
            draft.messages.push(service_message_head(&ctx, &e));
            if let Some(Detail::Problems(problems)) = e.details() {
                for pr in problems {
                    let arg = |k: &str| {
                        pr.args
                            .iter()
                            .find(|(n, _)| *n == k)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    let message = views::problem_message(ctx.lang, pr);
                    draft.messages.push(message.clone());
                    draft.fields.insert((arg("unit"), arg("node")), message);
                }
            }
            let page = sheet_view(&state, ctx, &p, &period, None, draft).await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

/// The message of a refusal without its listed details (those go next to their fields).
fn service_message_head(ctx: &PageCtx, e: &ServiceError) -> String {
    let args: Vec<(&str, &str)> = e.args().iter().map(|(k, v)| (*k, v.as_str())).collect();
    ctx.lang.tf(&crate::error::service_key(e.code()), &args)
}

/// How a refusal shows on the page: 409 for a value changed meanwhile or a lock, 422 for
/// values refused; any other refusal (forbidden, not found, a fault) is the error page.
fn on_form(e: ServiceError) -> Result<(StatusCode, ServiceError), AppError> {
    match e.kind() {
        Kind::Conflict => Ok((StatusCode::CONFLICT, e)),
        Kind::Invalid | Kind::TooLarge => Ok((StatusCode::UNPROCESSABLE_ENTITY, e)),
        _ => Err(AppError::Service(e)),
    }
}

/// The sheet again with a refused upload or confirmation.
async fn upload_refused(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    period: &PeriodCode,
    status: StatusCode,
    message: String,
) -> Result<Response, AppError> {
    let page = sheet_view(state, ctx, p, period, None, Draft::default())
        .await?
        .upload_refused(message);
    Ok((status, render(&page)?).into_response())
}

/// `POST /ky/{period}/diem-khao-sat-so-lieu/nhap-tep` (multipart): reads the file within the
/// importers' own limit and shows every change and every problem it would bring; nothing is
/// written. The file waits on the server for the confirmation.
async fn upload(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InPeriod { period }: InPeriod,
    form: Multipart,
) -> Result<Response, AppError> {
    service::require_enter(&p, &period)?;
    let bounds = Bounds::new(import_limit(), Oversize::Keep);
    let Ok(mut parts) = multipart::read(form, bounds).await else {
        let message = ctx.t("measured.upload_unreadable").to_owned();
        return upload_refused(
            &state,
            ctx,
            &p,
            &period,
            StatusCode::UNPROCESSABLE_ENTITY,
            message,
        )
        .await;
    };
    let (file_name, bytes) = parts.files.pop().map_or_else(Default::default, |f| {
        let name = f
            .name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or_default()
            .to_owned();
        (name, f.content)
    });
    let preview = match service::preview_measured(state.db(), &p, &period, &file_name, &bytes).await
    {
        Ok(preview) => preview,
        Err(e) => {
            let (status, e) = on_form(e)?;
            let message = service_message(ctx.lang, &e);
            return upload_refused(&state, ctx, &p, &period, status, message).await;
        }
    };
    let now = state.config().clock.now();
    let id = state.previews().keep(
        Kept {
            login: p.login.clone(),
            period: period.clone(),
            about: String::new(),
            file_name,
            bytes,
        },
        now,
    );
    let sheet = service::sheet(state.db(), &p, &period).await?;
    let status = if preview.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PreviewPage::new(ctx, &sheet.period.name, &preview, id);
    Ok((status, render(&page)?).into_response())
}

/// `POST /ky/{period}/diem-khao-sat-so-lieu/xac-nhan`: imports the previewed file, if it is
/// still the one previewed against the same stored values.
async fn confirm(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InPeriod { period }: InPeriod,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    service::require_enter(&p, &period)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let id = field("id");
    let now = state.config().clock.now();
    let Some(kept) = state
        .previews()
        .get(&id, &p.login, &period, now)
        .filter(|k| k.about.is_empty())
    else {
        let message = ctx.t("measured.preview_expired").to_owned();
        return upload_refused(&state, ctx, &p, &period, StatusCode::CONFLICT, message).await;
    };
    let cmd = CommitMeasured {
        period: period.clone(),
        file_name: kept.file_name,
        bytes: kept.bytes,
        digest: field("digest"),
    };
    match service::commit_measured(state.db(), &p, &cmd, now).await {
        Ok(done) => {
            state.previews().forget(&id);
            Ok(Redirect::to(&format!(
                "{}?ok=imported&n={}",
                sheet_href(period.as_str()),
                done.changed
            ))
            .into_response())
        }
        Err(e) => {
            let (status, e) = on_form(e)?;
            if e.is(codes::MEASURED_PREVIEW_STALE) {
                state.previews().forget(&id);
            }
            let message = service_message(ctx.lang, &e);
            upload_refused(&state, ctx, &p, &period, status, message).await
        }
    }
}

/// Whether the person may open the sheet of `period` (for links from other pages).
pub(crate) fn may_enter(p: &Principal, period: &PeriodCode) -> bool {
    service::require_enter(p, period).is_ok()
}

/// The sheet's address, for links from other pages.
pub(crate) fn href(period: &PeriodCode) -> String {
    sheet_href(period.as_str())
}
