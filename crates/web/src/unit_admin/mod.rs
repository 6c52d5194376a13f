//! Administration of units: list and search, create and edit, CSV import, mergers and splits;
//! and, in [`roles`], the service behind the role assignment pages of the user administration.
//!
//! Handlers are thin: extract → call [`service`] (which checks the permission first) → render.
//! Anonymous visitors are sent to sign in; signed-in people without the permission get 403
//! and nothing changes.

mod form;
pub(crate) mod roles;
mod service;
mod views;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chiso_domain::{UnitCode, UnitKind};
use serde::Deserialize;

pub(crate) use form::{FieldError, FieldErrors, Refusal};

use self::service::{ImportDraft, ReorgDraft, UnitDraft, UnitFilter};
use self::views::{UNITS, unit_href};
use crate::auth::CurrentUser;
use crate::error::FormError;
use crate::multipart::{self, Bounds, Oversize, import_limit};
use crate::notice::Done;
use crate::pages::{PageCtx, render};
use crate::{AppError, AppState};

/// The routes of unit administration.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(UNITS, get(list))
        .route("/quan-tri/don-vi/them", get(new_form).post(create))
        .route("/quan-tri/don-vi/nhap-tep", get(import_form).post(import))
        .route(
            "/quan-tri/don-vi/sap-nhap-chia-tach",
            get(reorg_form).post(reorganise),
        )
        .route("/quan-tri/don-vi/{code}", get(unit).post(save))
}

/// The sign-in page for a visitor, returning to `path` afterwards.
pub(crate) fn to_login(path: &str) -> Redirect {
    Redirect::to(&format!("/dang-nhap?next={}", encode_path(path)))
}

fn encode_path(path: &str) -> String {
    let mut q = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.') {
            q.push(char::from(b));
        } else {
            q.push_str(&format!("%{b:02X}"));
        }
    }
    q
}

/// The list's query string: `?q=da+nang&loai=commune&thuoc=H-TK&trang=2`.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    loai: String,
    #[serde(default)]
    thuoc: String,
    #[serde(default)]
    trang: String,
}

impl ListQuery {
    /// Filters from the address; a value that names nothing is ignored rather than refused,
    /// since it can only come from an edited address.
    fn filter(&self) -> UnitFilter {
        UnitFilter {
            query: self.q.trim().to_owned(),
            kind: UnitKind::parse(&self.loai),
            parent: UnitCode::parse(&self.thuoc).ok(),
            page: self.trang.trim().parse().unwrap_or(1),
        }
    }
}

/// `GET /quan-tri/don-vi`.
async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_login(UNITS).into_response());
    }
    let filter = q.filter();
    let listing = service::list_units(state.db(), &current.principal(), &filter).await?;
    Ok(render(&views::UnitsListPage::new(ctx, &filter, &listing))?.into_response())
}

/// `GET /quan-tri/don-vi/them`.
async fn new_form(ctx: PageCtx, current: CurrentUser) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_login("/quan-tri/don-vi/them").into_response());
    }
    service::require(&current.principal())?;
    let page = views::NewUnitPage::new(ctx, UnitDraft::default(), FieldErrors::default());
    Ok(render(&page)?.into_response())
}

/// `POST /quan-tri/don-vi/them`: creates the unit and shows its page, or the form again with
/// every mistake (422).
async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Form(draft): Form<UnitDraft>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_login("/quan-tri/don-vi/them").into_response());
    }
    let now = state.config().clock.now();
    match service::create_unit(state.db(), &current.principal(), &draft, now).await {
        Ok(code) => Ok(Redirect::to(&format!("{}?ok=created", unit_href(&code))).into_response()),
        Err(Refusal::Fields(errors)) => {
            let errors = FieldErrors::new(ctx.lang, &errors);
            let page = views::NewUnitPage::new(ctx, draft, errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(Refusal::App(e)) => Err(e),
    }
}

/// The notices after a redirect (`?ok=<what>`).
const NOTICES: &[(&str, &str)] = &[
    ("created", "units.created"),
    ("saved", "units.saved"),
    ("unchanged", "units.unchanged"),
    ("merger", "units.merger_done"),
    ("split", "units.split_done"),
];

/// A unit code from the path: checked for permission first, so that a refused person learns
/// nothing about which units exist.
fn path_code(current: &CurrentUser, raw: &str) -> Result<UnitCode, AppError> {
    service::require(&current.principal())?;
    UnitCode::parse(raw).map_err(|_| AppError::UnitNotFound(raw.to_owned()))
}

/// `GET /quan-tri/don-vi/{code}`.
async fn unit(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(raw): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_login(&format!("{UNITS}/{raw}")).into_response());
    }
    let code = path_code(&current, &raw)?;
    let detail = service::unit_detail(state.db(), &current.principal(), &code).await?;
    let notice = done.notice(NOTICES).map(|n| n.text(ctx.lang));
    let page = views::UnitPage::new(ctx, &detail, None, FieldErrors::default(), notice);
    Ok(render(&page)?.into_response())
}

/// `POST /quan-tri/don-vi/{code}`: saves the edit form.
async fn save(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(raw): Path<String>,
    Form(draft): Form<UnitDraft>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_login(&format!("{UNITS}/{raw}")).into_response());
    }
    let code = path_code(&current, &raw)?;
    let p = current.principal();
    let now = state.config().clock.now();
    match service::update_unit(state.db(), &p, &code, &draft, now).await {
        Ok(changed) => {
            let done = if changed { "saved" } else { "unchanged" };
            Ok(Redirect::to(&format!("{}?ok={done}", unit_href(&code))).into_response())
        }
        Err(Refusal::Fields(errors)) => {
            let detail = service::unit_detail(state.db(), &p, &code).await?;
            let errors = FieldErrors::new(ctx.lang, &errors);
            let draft = UnitDraft {
                code: code.to_string(),
                ..draft
            };
            let page = views::UnitPage::new(ctx, &detail, Some(draft), errors, None);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(Refusal::App(e)) => Err(e),
    }
}

/// The import page with the period and index set choices.
async fn import_page(
    state: &AppState,
    principal: &chiso_domain::authz::Principal,
    ctx: PageCtx,
    draft: &ImportDraft,
    errors: FieldErrors,
) -> Result<views::ImportPage, AppError> {
    let choices = chiso_services::units::import_choices(state.db(), principal).await?;
    Ok(views::ImportPage::new(
        ctx,
        &choices.periods,
        &choices.sets,
        draft,
        errors,
    ))
}

/// `GET /quan-tri/don-vi/nhap-tep`.
async fn import_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_login("/quan-tri/don-vi/nhap-tep").into_response());
    }
    let p = current.principal();
    service::require(&p)?;
    let page = import_page(
        &state,
        &p,
        ctx,
        &ImportDraft::default(),
        FieldErrors::default(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

/// The uploaded file and the options of the import form.
#[derive(Debug, Default)]
struct Upload {
    file_name: String,
    bytes: Vec<u8>,
    draft: ImportDraft,
}

/// The import form, read by [`crate::multipart`] within the importers' own file limit (a
/// larger file keeps one byte too many, for the import to refuse it by its size); the last
/// file sent is the one imported, without the folders of its name.
async fn read_upload(form: Multipart) -> Result<Upload, FieldError> {
    let bounds = Bounds::new(import_limit(), Oversize::Keep);
    let mut parts = multipart::read(form, bounds)
        .await
        .map_err(|_| FieldError::new("file", FormError::new("units.import_unreadable")))?;
    let text = |name| parts.value(name).unwrap_or_default().to_owned();
    let draft = ImportDraft {
        period: text("period"),
        set: text("set"),
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
    Ok(Upload {
        file_name,
        bytes,
        draft,
    })
}

/// `POST /quan-tri/don-vi/nhap-tep` (multipart): imports the file and shows what it did, or
/// every problem of the file (422) with nothing imported.
async fn import(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    form: Multipart,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_login("/quan-tri/don-vi/nhap-tep").into_response());
    }
    let p = current.principal();
    service::require(&p)?;
    let up = match read_upload(form).await {
        Ok(up) => up,
        Err(e) => {
            let errors = FieldErrors::new(ctx.lang, &[e]);
            let page = import_page(&state, &p, ctx, &ImportDraft::default(), errors).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    let now = state.config().clock.now();
    let outcome = service::import_units(
        state.db(),
        &p,
        &up.file_name,
        &up.bytes,
        &up.draft,
        now,
        ctx.lang,
    )
    .await;
    match outcome {
        Ok(Ok(done)) => {
            let page = import_page(
                &state,
                &p,
                ctx,
                &ImportDraft::default(),
                FieldErrors::default(),
            )
            .await?
            .imported(&done);
            Ok(render(&page)?.into_response())
        }
        Ok(Err(problems)) => {
            let page = import_page(&state, &p, ctx, &up.draft, FieldErrors::default())
                .await?
                .refused(&up.file_name, &problems);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(Refusal::Fields(errors)) => {
            let errors = FieldErrors::new(ctx.lang, &errors);
            let page = import_page(&state, &p, ctx, &up.draft, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(Refusal::App(e)) => Err(e),
    }
}

/// `?tu=CODE`: the unit the reorganisation forms start from.
#[derive(Debug, Default, Deserialize)]
struct StartFrom {
    #[serde(default)]
    tu: String,
}

/// `GET /quan-tri/don-vi/sap-nhap-chia-tach`.
async fn reorg_form(
    ctx: PageCtx,
    current: CurrentUser,
    Query(from): Query<StartFrom>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_login("/quan-tri/don-vi/sap-nhap-chia-tach").into_response());
    }
    service::require(&current.principal())?;
    let from = UnitCode::parse(&from.tu)
        .map(|c| c.to_string())
        .unwrap_or_default();
    Ok(render(&views::ReorgPage::new(ctx, None, &from))?.into_response())
}

/// `POST /quan-tri/don-vi/sap-nhap-chia-tach`: records the merger or split and shows the unit
/// it concerns, or the form again with every mistake (422).
async fn reorganise(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Form(draft): Form<ReorgDraft>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_login("/quan-tri/don-vi/sap-nhap-chia-tach").into_response());
    }
    let now = state.config().clock.now();
    match service::reorganise(state.db(), &current.principal(), &draft, now).await {
        Ok(code) => {
            let done = if draft.is_split() { "split" } else { "merger" };
            Ok(Redirect::to(&format!("{}?ok={done}", unit_href(&code))).into_response())
        }
        Err(Refusal::Fields(errors)) => {
            let errors = FieldErrors::new(ctx.lang, &errors);
            let page = views::ReorgPage::new(ctx, Some((draft, errors)), "");
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(Refusal::App(e)) => Err(e),
    }
}
