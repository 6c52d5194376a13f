//! Personal API tokens in the browser: a person lists, creates and revokes their own tokens
//! (`/tai-khoan/khoa-api`), a user administrator does the same for anyone
//! (`/quan-tri/nguoi-dung/{login}/khoa-api`). The secret of a new token is shown once, on the
//! page that answers the creation, and never again: only its digest is kept.
//!
//! Every rule (who may manage whose tokens, validity, scope, audit) is in
//! [`chiso_services::tokens`]; these handlers parse the form and present the result.

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chiso_services::tokens::{self, CreateToken, StoredToken, TokenScope, VALIDITY_DAYS};
use serde::Deserialize;
use time::OffsetDateTime;

use super::{PageCtx, render, views};
use crate::auth::SignedIn;
use crate::error::service_message;
use crate::format;
use crate::notice::Done;
use crate::{AppError, AppState};

/// The token routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(OWN, get(own_page).post(own_create))
        .route("/tai-khoan/khoa-api/{id}/thu-hoi", post(own_revoke))
        .route(
            "/quan-tri/nguoi-dung/{login}/khoa-api",
            get(other_page).post(other_create),
        )
        .route(
            "/quan-tri/nguoi-dung/{login}/khoa-api/{id}/thu-hoi",
            post(other_revoke),
        )
}

const OWN: &str = "/tai-khoan/khoa-api";

/// Validity offered by default: long enough for a quarter's reporting, short enough that a
/// forgotten integration stops on its own.
const DEFAULT_DAYS: i64 = 90;

/// Whose tokens a page shows: the visitor's own, or (administrators) another person's.
#[derive(Debug, Clone)]
enum Owner {
    Own,
    Other(String),
}

impl Owner {
    fn path(&self) -> String {
        match self {
            Owner::Own => OWN.to_owned(),
            Owner::Other(login) => {
                format!("/quan-tri/nguoi-dung/{}/khoa-api", format::segment(login))
            }
        }
    }

    fn login(&self) -> Option<String> {
        match self {
            Owner::Own => None,
            Owner::Other(login) => Some(login.clone()),
        }
    }
}

/// The creation form as typed, kept when it is refused.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub days: String,
}

impl Default for TokenForm {
    fn default() -> Self {
        TokenForm {
            name: String::new(),
            scope: TokenScope::Read.as_str().to_owned(),
            days: DEFAULT_DAYS.to_string(),
        }
    }
}

/// One line of the token list.
pub(crate) struct TokenRow {
    pub id: i64,
    pub name: String,
    pub scope: &'static str,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub status: &'static str,
    pub active: bool,
}

fn row(ctx: &PageCtx, t: &StoredToken, now: OffsetDateTime) -> TokenRow {
    let (status, active) = if t.revoked_at.is_some() {
        ("tokens.status_revoked", false)
    } else if t.expires_at <= now {
        ("tokens.status_expired", false)
    } else {
        ("tokens.status_active", true)
    };
    let scope = match TokenScope::parse(&t.scope) {
        Ok(TokenScope::Write) => "tokens.scope_write",
        _ => "tokens.scope_read",
    };
    TokenRow {
        id: t.id,
        name: t.name.clone(),
        scope: ctx.t(scope),
        created: format::date(t.created_at),
        expires: format::date(t.expires_at),
        last_used: t.last_used_at.map(format::date).unwrap_or_default(),
        status: ctx.t(status),
        active,
    }
}

/// What the page shows besides the list.
#[derive(Default)]
struct Shown {
    /// The creation form's values.
    form: TokenForm,
    /// The secret of a token just created: the one moment it is shown.
    secret: Option<String>,
    notice: Option<String>,
    /// A refused creation: its status and message.
    error: Option<(StatusCode, String)>,
}

/// Builds and renders the page.
async fn show(
    state: &AppState,
    ctx: PageCtx,
    p: &chiso_domain::authz::Principal,
    owner: Owner,
    shown: Shown,
) -> Result<Response, AppError> {
    let Shown {
        form,
        secret,
        notice,
        error,
    } = shown;
    let now = state.config().clock.now();
    let list = tokens::list_tokens(state.db(), p, owner.login().as_deref()).await?;
    let rows = list.iter().map(|t| row(&ctx, t, now)).collect();
    let status = error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    let page = views::TokensPage {
        title: ctx.t("tokens.title"),
        owner: owner.login(),
        action: owner.path(),
        rows,
        form,
        min_days: *VALIDITY_DAYS.start(),
        max_days: *VALIDITY_DAYS.end(),
        secret,
        notice,
        error: error.map(|(_, m)| m),
        ctx,
    };
    Ok((status, render(&page)?).into_response())
}

/// The notices after a redirect (`?ok=<what>`).
const NOTICES: &[(&str, &str)] = &[("revoked", "tokens.revoked")];

fn notice_of(ctx: &PageCtx, done: &Done) -> Option<String> {
    done.notice(NOTICES).map(|n| n.text(ctx.lang))
}

/// `GET /tai-khoan/khoa-api`.
async fn own_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let notice = notice_of(&ctx, &done);
    let shown = Shown {
        notice,
        ..Shown::default()
    };
    show(&state, ctx, &p, Owner::Own, shown).await
}

/// `GET /quan-tri/nguoi-dung/{login}/khoa-api`.
async fn other_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    Path(login): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let notice = notice_of(&ctx, &done);
    let owner = Owner::Other(login);
    let shown = Shown {
        notice,
        ..Shown::default()
    };
    show(&state, ctx, &p, owner, shown).await
}

async fn create(
    state: &AppState,
    ctx: PageCtx,
    p: &chiso_domain::authz::Principal,
    owner: Owner,
    form: TokenForm,
) -> Result<Response, AppError> {
    let parsed = TokenScope::parse(form.scope.trim()).and_then(|scope| {
        let days = form.days.trim().parse::<i64>().map_err(|_| {
            chiso_services::ServiceError::new(chiso_services::codes::INVALID_FIELD)
                .arg("field", "valid_days")
        })?;
        Ok((scope, days))
    });
    let made = match parsed {
        Ok((scope, valid_days)) => {
            let cmd = CreateToken {
                owner: owner.login(),
                name: form.name.clone(),
                scope,
                valid_days,
                with_token: false,
            };
            let now = state.config().clock.now();
            tokens::create_token(state.db(), p, cmd, now).await
        }
        Err(e) => Err(e),
    };
    match made {
        Ok(made) => {
            tracing::info!(token = made.token.id, owner = %made.token.login, "API token created");
            let notice = ctx.t("tokens.created").to_owned();
            let shown = Shown {
                secret: Some(made.secret),
                notice: Some(notice),
                ..Shown::default()
            };
            show(state, ctx, p, owner, shown).await
        }
        Err(e) if matches!(e.kind(), chiso_services::Kind::Invalid) => {
            let message = service_message(ctx.lang, &e);
            let shown = Shown {
                form,
                error: Some((StatusCode::UNPROCESSABLE_ENTITY, message)),
                ..Shown::default()
            };
            show(state, ctx, p, owner, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /tai-khoan/khoa-api`: answers with the page showing the new secret once.
async fn own_create(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    create(&state, ctx, &p, Owner::Own, form).await
}

/// `POST /quan-tri/nguoi-dung/{login}/khoa-api`.
async fn other_create(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    Path(login): Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    create(&state, ctx, &p, Owner::Other(login), form).await
}

async fn revoke(
    state: &AppState,
    p: &chiso_domain::authz::Principal,
    owner: Owner,
    id: i64,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    tokens::revoke_token(state.db(), p, id, now).await?;
    Ok(Redirect::to(&format!("{}?ok=revoked", owner.path())).into_response())
}

/// `POST /tai-khoan/khoa-api/{id}/thu-hoi`.
async fn own_revoke(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    revoke(&state, &p, Owner::Own, id).await
}

/// `POST /quan-tri/nguoi-dung/{login}/khoa-api/{id}/thu-hoi`.
async fn other_revoke(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path((login, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    revoke(&state, &p, Owner::Other(login), id).await
}
