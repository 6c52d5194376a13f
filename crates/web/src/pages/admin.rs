//! User administration for administrators: the list of users, creating one, resetting a
//! password, disabling and enabling sign-in. Every change goes through [`accounts`], which
//! checks the permission and writes the audit log.

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::account::to_login;
use super::{PageCtx, render, views};
use crate::accounts::{self, NewUser};
use crate::auth::CurrentUser;
use crate::format;
use crate::{AppError, AppState};

const USERS: &str = "/quan-tri/nguoi-dung";

/// The administration routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(USERS, get(list).post(create))
        .route("/quan-tri/nguoi-dung/{login}/mat-khau", post(reset))
        .route("/quan-tri/nguoi-dung/{login}/khoa", post(disable))
        .route("/quan-tri/nguoi-dung/{login}/mo-khoa", post(enable))
}

/// What was just done, for the notice after the redirect.
#[derive(Debug, Default, Deserialize)]
struct Done {
    ok: Option<String>,
    login: Option<String>,
}

fn done_notice(ctx: &PageCtx, done: &Done) -> Option<String> {
    let key = match done.ok.as_deref()? {
        "created" => "admin.created",
        "reset" => "admin.reset_done",
        "disabled" => "admin.disabled_done",
        "enabled" => "admin.enabled_done",
        _ => return None,
    };
    let login = done.login.clone().unwrap_or_default();
    Some(ctx.lang.tf(key, &[("login", &login)]))
}

fn back(done: &str, login: &str) -> Redirect {
    Redirect::to(&format!(
        "{USERS}?ok={done}&login={}",
        format::segment(login)
    ))
}

/// Renders the list; with a form error, with status 422 and the typed values kept.
async fn page(
    state: &AppState,
    ctx: PageCtx,
    current: &CurrentUser,
    notice: Option<String>,
    error: Option<(AppError, views::UserDraft)>,
) -> Result<Response, AppError> {
    let principal = current.principal();
    let users = accounts::list_users(state.db(), &principal).await?;
    let (status, error, draft) = match error {
        Some((AppError::Form(e), draft)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(e.message(ctx.lang)),
            draft,
        ),
        Some((e, _)) => return Err(e),
        None => (StatusCode::OK, None, views::UserDraft::default()),
    };
    let view = views::UsersPage::new(ctx, &users, &principal.login, notice, error, draft);
    Ok((status, render(&view)?).into_response())
}

/// `GET /quan-tri/nguoi-dung`: anonymous visitors are sent to sign in, others without the
/// permission get 403.
async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_login(USERS).into_response());
    }
    let notice = done_notice(&ctx, &done);
    page(&state, ctx, &current, notice, None).await
}

#[derive(Debug, Deserialize)]
struct CreateForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    /// A checkbox: present ("on") when ticked.
    is_admin: Option<String>,
}

/// `POST /quan-tri/nguoi-dung`.
async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Form(f): Form<CreateForm>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_login(USERS).into_response());
    }
    let login = f.login.trim().to_owned();
    let draft = views::UserDraft {
        login: login.clone(),
        display_name: f.display_name.clone(),
        is_admin: f.is_admin.is_some(),
    };
    let new = NewUser {
        login: login.clone(),
        display_name: f.display_name,
        password: f.password,
        is_admin: f.is_admin.is_some(),
    };
    let now = state.config().clock.now();
    match accounts::create_user(state.db(), &current.principal(), new, now).await {
        Ok(()) => Ok(back("created", &login).into_response()),
        Err(e) => page(&state, ctx, &current, None, Some((e, draft))).await,
    }
}

#[derive(Debug, Deserialize)]
struct ResetForm {
    #[serde(default)]
    password: String,
}

/// `POST /quan-tri/nguoi-dung/{login}/mat-khau`.
async fn reset(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(login): Path<String>,
    Form(f): Form<ResetForm>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_login(USERS).into_response());
    }
    let now = state.config().clock.now();
    match accounts::reset_password(state.db(), &current.principal(), &login, f.password, now).await
    {
        Ok(()) => Ok(back("reset", &login).into_response()),
        Err(e) => page(&state, ctx, &current, None, Some((e, Default::default()))).await,
    }
}

async fn switch(
    state: AppState,
    ctx: PageCtx,
    current: CurrentUser,
    login: String,
    disabled: bool,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_login(USERS).into_response());
    }
    let now = state.config().clock.now();
    match accounts::set_disabled(state.db(), &current.principal(), &login, disabled, now).await {
        Ok(()) => Ok(back(if disabled { "disabled" } else { "enabled" }, &login).into_response()),
        Err(e) => page(&state, ctx, &current, None, Some((e, Default::default()))).await,
    }
}

/// `POST /quan-tri/nguoi-dung/{login}/khoa`.
async fn disable(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(login): Path<String>,
) -> Result<Response, AppError> {
    switch(state, ctx, current, login, true).await
}

/// `POST /quan-tri/nguoi-dung/{login}/mo-khoa`.
async fn enable(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(login): Path<String>,
) -> Result<Response, AppError> {
    switch(state, ctx, current, login, false).await
}
