//! The unit's side of the assessment cycle: self-assessment, evidence, explanations, submission.
//!
//! One page per unit and period (`/ky/{period}/tu-danh-gia/{unit}`) shows every leaf of the
//! unit's index set grouped by area, with its rule, maximum, evidence requirement and an input
//! fitting its scoring method, the points the engine gives and its sentence, the running total,
//! a completeness panel, the explanation requests of appraisers and the leader's submission.
//! Everything works with plain forms; `static/cycle.js` only refreshes points and totals while
//! typing, through the preview endpoint.
//!
//! Handlers are thin: extract → [`service`] (typed commands for `chiso_services::assessment`,
//! which authorizes, applies the workflow and writes) → redirect, or the page again with the
//! problems and what was typed.

mod fields;
pub(crate) mod service;
mod views;

pub(crate) use self::views::number_message;

use axum::Router;
use std::collections::HashMap;

use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json};
use chiso_domain::authz::Principal;
use chiso_domain::{PeriodCode, UnitCode};
use chiso_evidence::{FileBudget, UploadError, content_disposition, sanitize_file_name};

use self::fields::PostedForm;
use self::service::{Answer, Failure, Problem, Refusal};
use self::views::{Feedback, Preview, SelfPage};
use crate::auth::{CurrentUser, SignedIn};
use crate::multipart::{self, Bounds, Oversize, ReadError, Received};
use crate::notice::Done;
use crate::pages::{PageCtx, render};
use crate::paths::{PeriodUnit, UnitItem, UnitLeaf};
use crate::{AppError, AppState, format};

/// The page of one unit's self-assessment; saving posts to it.
const PAGE: &str = "/ky/{period}/tu-danh-gia/{unit}";

/// The routes of the unit's side of the cycle.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page).post(save))
        .route(
            "/ky/{period}/tu-danh-gia/{unit}/xem-truoc",
            get(back_to_page).post(preview),
        )
        .route(
            "/ky/{period}/tu-danh-gia/{unit}/nop",
            get(back_to_page).post(submit),
        )
        .route(
            "/ky/{period}/tu-danh-gia/{unit}/minh-chung/{id}",
            get(download),
        )
        .route(
            "/ky/{period}/tu-danh-gia/{unit}/minh-chung/{id}/go-bo",
            get(back_to_page).post(remove),
        )
        // Files are bounded by the evidence limit per file and by the application's body limit
        // per request, not by the extractors' default of 2 MB.
        .route(
            "/ky/{period}/tu-danh-gia/{unit}/tieu-chi/{node}/minh-chung",
            post(upload)
                .layer(DefaultBodyLimit::disable())
                .get(back_to_page),
        )
        .route(
            "/ky/{period}/tu-danh-gia/{unit}/giai-trinh/{id}",
            post(answer)
                .layer(DefaultBodyLimit::disable())
                .get(back_to_page),
        )
}

/// `GET` of an action's address: after a refused upload or answer the page is shown again
/// under the action's address, and reloading it (or following it) would ask the action for a
/// page. It sends the person back to the page, at the criterion or request concerned.
async fn back_to_page(
    uri: axum::http::Uri,
    Path(params): Path<HashMap<String, String>>,
) -> Redirect {
    let path = uri.path();
    let part = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    let page = format!(
        "/ky/{}/tu-danh-gia/{}",
        format::segment(part("period")),
        format::segment(part("unit"))
    );
    let anchor = match (params.get("node"), params.get("id")) {
        (Some(node), _) => format!("#leaf-{}", format::segment(node)),
        // An explanation's answer; a removed document has no place of its own.
        (None, Some(id)) if !path.contains("/minh-chung/") => {
            format!("#request-{}", format::segment(id))
        }
        _ => String::new(),
    };
    Redirect::to(&format!("{page}{anchor}"))
}

/// Display names of every user, for "saved by".
async fn names(state: &AppState) -> Result<views::Names, AppError> {
    Ok(chiso_services::dossier::names(state.db()).await?)
}

/// Renders the page of the unit, with a notice or the problems of a refused change.
async fn show(
    state: &AppState,
    ctx: PageCtx,
    principal: &Principal,
    (period, unit): &(PeriodCode, UnitCode),
    feedback: Feedback,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let sheet = service::load(state.db(), principal, period, unit, now).await?;
    let names = names(state).await?;
    let status = feedback
        .refusal
        .as_ref()
        .map_or(StatusCode::OK, |r| r.status);
    let view = SelfPage::new(ctx, &sheet, &names, state.config().evidence_limit, feedback);
    Ok((status, render(&view)?).into_response())
}

/// A change's outcome: the redirect, an error page, or the page again with its problems.
async fn finish(
    state: &AppState,
    ctx: PageCtx,
    principal: &Principal,
    codes: &(PeriodCode, UnitCode),
    outcome: Result<String, Failure>,
) -> Result<Response, AppError> {
    match outcome {
        Ok(location) => Ok(Redirect::to(&location).into_response()),
        Err(Failure::App(e)) => Err(e),
        Err(Failure::Refused(refusal)) => {
            let feedback = Feedback {
                notice: None,
                refusal: Some(refusal),
            };
            show(state, ctx, principal, codes, feedback).await
        }
    }
}

fn base(codes: &(PeriodCode, UnitCode)) -> String {
    views::base_href(codes.0.as_str(), codes.1.as_str())
}

/// `GET /ky/{period}/tu-danh-gia/{unit}`: visitors are sent to sign in; people who may not see
/// the unit's assessment get 403.
async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(principal): SignedIn,
    PeriodUnit { period, unit }: PeriodUnit,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let codes = (period, unit);
    let feedback = Feedback {
        notice: views::notice(ctx.lang, &done),
        refusal: None,
    };
    show(&state, ctx, &principal, &codes, feedback).await
}

/// `POST /ky/{period}/tu-danh-gia/{unit}`: saves every leaf changed on the page (or only the
/// leaf named by `only`, for clients that send one) as a draft.
async fn save(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(principal): SignedIn,
    PeriodUnit { period, unit }: PeriodUnit,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let codes = (period, unit);
    let form = PostedForm::parse(pairs);
    let now = state.config().clock.now();
    let sheet = service::load(state.db(), &principal, &codes.0, &codes.1, now).await?;
    let outcome = service::save(state.db(), &principal, &sheet, &form, now)
        .await
        .map(|saved| {
            // Back to the button pressed: a leaf's (`at`) or an area's; every changed value
            // of the page was saved either way.
            let leaf = form.get("only").or_else(|| form.get("at"));
            let anchor = match (leaf, form.get("area"), &saved.first) {
                (Some(leaf), _, _) => format!("#leaf-{leaf}"),
                (None, Some(area), _) => format!("#area-{area}"),
                (None, None, Some(first)) => format!("#leaf-{first}"),
                _ => String::new(),
            };
            if saved.leaves == 0 {
                format!("{}?ok=unchanged{anchor}", base(&codes))
            } else {
                format!("{}?ok=saved&n={}{anchor}", base(&codes), saved.leaves)
            }
        });
    finish(&state, ctx, &principal, &codes, outcome).await
}

/// `POST /ky/{period}/tu-danh-gia/{unit}/xem-truoc`: the points, sentences and totals of the
/// values being typed, as JSON (for `cycle.js`); nothing is saved.
async fn preview(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    PeriodUnit { period, unit }: PeriodUnit,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let codes = (period, unit);
    if current.user().is_none() {
        return Err(AppError::Forbidden);
    }
    let principal = current.principal();
    let now = state.config().clock.now();
    let sheet = service::load(state.db(), &principal, &codes.0, &codes.1, now).await?;
    let form = PostedForm::parse(pairs);
    let (leaves, totals) = service::preview(&sheet, &form);
    let body = Preview::new(ctx.lang, &sheet, leaves, &totals);
    let mut resp = Json(body).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// `POST /ky/{period}/tu-danh-gia/{unit}/nop`: the leader submits.
async fn submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(principal): SignedIn,
    PeriodUnit { period, unit }: PeriodUnit,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let codes = (period, unit);
    let form = PostedForm::parse(pairs);
    let version = form
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(-1);
    let now = state.config().clock.now();
    let sheet = service::load(state.db(), &principal, &codes.0, &codes.1, now).await?;
    let outcome = service::submit(state.db(), &principal, &sheet, version, now)
        .await
        .map(|()| format!("{}?ok=submitted", base(&codes)));
    finish(&state, ctx, &principal, &codes, outcome).await
}

/// The fields and files of a multipart form, read by [`crate::multipart`]: a file over `limit`
/// is kept with one byte too many, for the checks to name it among the others' problems; the
/// first file too many for `budget` refuses the form (422) before its content is read, and a
/// form that breaks off is refused as interrupted (400). Either way nothing is stored yet. The
/// part an empty file input sends is no file.
async fn read_multipart(
    form: Multipart,
    limit: u64,
    budget: FileBudget,
    also: Option<String>,
) -> Result<(PostedForm, Vec<Received>), Refusal> {
    let mut bounds = Bounds::new(limit, Oversize::Keep).counted(budget);
    if let Some(name) = also {
        bounds = bounds.also_from(name);
    }
    let parts = multipart::read(form, bounds).await.map_err(|e| {
        let (status, problem) = match e {
            ReadError::Interrupted { file, source } => {
                let name = sanitize_file_name(&file).unwrap_or(file);
                let source = std::io::Error::other(source.body_text());
                let e = UploadError::Interrupted { name, source };
                (StatusCode::BAD_REQUEST, Problem::Upload(e))
            }
            ReadError::Budget(e) => (StatusCode::UNPROCESSABLE_ENTITY, Problem::Upload(e)),
            // Not raised with `Oversize::Keep`; worded as the API would word them.
            ReadError::FileTooLarge { file, limit } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Problem::Upload(UploadError::TooLarge { name: file, limit }),
            ),
            ReadError::TextTooLong { field } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Problem::Service(
                    chiso_services::Problem::new(chiso_services::codes::INVALID_FIELD)
                        .arg("field", field),
                ),
            ),
        };
        Refusal {
            status,
            problems: vec![problem],
            drafts: Default::default(),
            answers: Default::default(),
        }
    })?;
    let files = parts.files.into_iter().filter(|f| !f.is_unchosen());
    Ok((PostedForm::parse(parts.fields), files.collect()))
}

/// `POST /ky/{period}/tu-danh-gia/{unit}/tieu-chi/{node}/minh-chung`: attaches files to a
/// leaf (multipart field `file` or `file:{node}`, several allowed).
///
/// The page's upload buttons send the whole values form along: the values changed on the
/// page are saved first (all or none), so that an upload never loses what was typed; when
/// they have mistakes, nothing is stored and the page shows them with what was typed.
async fn upload(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(principal): SignedIn,
    UnitLeaf { period, unit, node }: UnitLeaf,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let codes = (period, unit);
    let now = state.config().clock.now();
    let sheet = service::load(state.db(), &principal, &codes.0, &codes.1, now).await?;
    let limit = state.config().evidence_limit;
    // Who and when first: a refused person's files are never read.
    let outcome = match service::may_attach(&principal, &sheet, &node) {
        Err(f) => Err(f),
        Ok(_) => {
            let own = format!("file:{node}");
            match read_multipart(multipart, limit, sheet.file_budget(&node), Some(own)).await {
                Err(r) => Err(Failure::Refused(r)),
                Ok((form, files)) => {
                    let typed = form.leaves.values().any(|l| l.changed());
                    let saved = if typed {
                        service::save(state.db(), &principal, &sheet, &form, now)
                            .await
                            .map_err(service::hold_files)
                    } else {
                        Ok(service::Saved::default())
                    };
                    match saved {
                        Err(f) => Err(f),
                        Ok(saved) => {
                            // The values saved changed the versions the sheet was read at.
                            let sheet = if saved.leaves > 0 {
                                service::load(state.db(), &principal, &codes.0, &codes.1, now)
                                    .await?
                            } else {
                                sheet
                            };
                            let store = state.evidence_store().map(|s| s.as_ref());
                            service::attach(
                                state.db(),
                                store,
                                &principal,
                                &sheet,
                                &node,
                                &files,
                                limit,
                                now,
                            )
                            .await
                            .map(|n| (n, saved.leaves > 0))
                        }
                    }
                }
            }
        }
    }
    .map(|(n, saved)| {
        let ok = if saved { "uploaded_saved" } else { "uploaded" };
        format!("{}?ok={ok}&n={n}#leaf-{node}", base(&codes))
    });
    finish(&state, ctx, &principal, &codes, outcome).await
}

/// `GET /ky/{period}/tu-danh-gia/{unit}/minh-chung/{id}`: one document, as an attachment, for
/// people who may see its leaf.
async fn download(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    UnitItem { period, unit, id }: UnitItem,
) -> Result<Response, AppError> {
    let codes = (period, unit);
    let file = service::document(state.db(), &principal, &codes.0, &codes.1, id).await?;
    let Some(store) = state.evidence_store() else {
        tracing::error!("evidence download without an evidence store configured");
        return Ok(StatusCode::SERVICE_UNAVAILABLE.into_response());
    };
    let bytes = match store.get_bytes(&file.blob_id).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, blob = %file.blob_id, "evidence file unreadable");
            return Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
    };
    let disposition = HeaderValue::from_str(&content_disposition(&file.file_name))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let mut resp = bytes.into_response();
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

/// `POST /ky/{period}/tu-danh-gia/{unit}/minh-chung/{id}/go-bo`: removes a document (it stays
/// recorded; the removal and its reason are audited).
async fn remove(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(principal): SignedIn,
    UnitItem { period, unit, id }: UnitItem,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let codes = (period, unit);
    let form = PostedForm::parse(pairs);
    let now = state.config().clock.now();
    let sheet = service::load(state.db(), &principal, &codes.0, &codes.1, now).await?;
    let reason = form.get("reason").unwrap_or_default();
    let outcome = service::remove(state.db(), &principal, &sheet, id, reason, now)
        .await
        .map(|node| format!("{}?ok=removed#leaf-{node}", base(&codes)));
    finish(&state, ctx, &principal, &codes, outcome).await
}

/// `POST /ky/{period}/tu-danh-gia/{unit}/giai-trinh/{id}`: the unit answers an explanation
/// request (multipart: `answer`, `version`, optional `file`s).
async fn answer(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(principal): SignedIn,
    UnitItem { period, unit, id }: UnitItem,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let codes = (period, unit);
    let now = state.config().clock.now();
    let sheet = service::load(state.db(), &principal, &codes.0, &codes.1, now).await?;
    let limit = state.config().evidence_limit;
    // The files of an answer go to the leaf of the request; an unknown request is refused
    // by the service (404) after the form is read.
    let budget = sheet
        .requests
        .iter()
        .find(|r| r.id == id)
        .map_or(FileBudget::for_leaf(0), |r| sheet.file_budget(&r.key.node));
    let outcome = match read_multipart(multipart, limit, budget, None).await {
        Err(r) => Err(Failure::Refused(r)),
        Ok((form, files)) => {
            let posted = Answer {
                id,
                text: form.other.get("answer").cloned().unwrap_or_default(),
                version: form
                    .get("version")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(-1),
                files,
            };
            let store = state.evidence_store().map(|s| s.as_ref());
            service::answer(state.db(), store, &principal, &sheet, &posted, limit, now).await
        }
    }
    .map(|_| format!("{}?ok=answered#request-{id}", base(&codes)));
    finish(&state, ctx, &principal, &codes, outcome).await
}
