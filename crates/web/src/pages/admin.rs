//! User administration for administrators: the list of users, creating one, resetting a
//! password, disabling and enabling sign-in, and each person's roles (granted per unit, area
//! and period, revoked with a reason). Every change goes through a service ([`accounts`],
//! [`roles`]) that checks the permission and writes the audit log.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chiso_domain::UnitCode;
use chiso_domain::authz::Role;
use serde::Deserialize;

use super::{PageCtx, render, views};
use crate::accounts::{self, NewUser};
use crate::auth::CurrentUser;
use crate::auth::to_sign_in;
use crate::format;
use crate::notice::Notice;
use crate::unit_admin::roles::{self, GrantDraft, RolesOverview};
use crate::unit_admin::{FieldErrors, Refusal};
use crate::{AppError, AppState};

const USERS: &str = "/quan-tri/nguoi-dung";

/// The administration routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(USERS, get(list).post(create))
        .route("/quan-tri/nguoi-dung/{login}/mat-khau", post(reset))
        .route("/quan-tri/nguoi-dung/{login}/khoa", post(disable))
        .route("/quan-tri/nguoi-dung/{login}/mo-khoa", post(enable))
        .route(
            "/quan-tri/nguoi-dung/{login}/vai-tro",
            get(roles_page).post(grant_role),
        )
        .route(
            "/quan-tri/nguoi-dung/{login}/vai-tro/{id}/thu-hoi",
            post(revoke_role),
        )
}

/// What was just done, for the notice after the redirect.
#[derive(Debug, Default, Deserialize)]
struct Done {
    ok: Option<String>,
    login: Option<String>,
}

/// The notices of the user list after a redirect (`?ok=<what>&login=<whose>`).
const USER_NOTICES: &[(&str, &str)] = &[
    ("created", "admin.created"),
    ("reset", "admin.reset_done"),
    ("disabled", "admin.disabled_done"),
    ("enabled", "admin.enabled_done"),
];

/// The notices of a person's roles after a redirect (`?ok=<what>`).
const ROLE_NOTICES: &[(&str, &str)] = &[("granted", "roles.granted"), ("revoked", "roles.revoked")];

fn done_notice(ctx: &PageCtx, done: &Done) -> Option<String> {
    let notice = Notice::of(done.ok.as_deref(), USER_NOTICES)?
        .arg("login", done.login.as_deref().unwrap_or_default());
    Some(notice.text(ctx.lang))
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
    error: Option<(Mistakes, views::UserDraft)>,
) -> Result<Response, AppError> {
    let principal = current.principal();
    let users = accounts::list_users(state.db(), &principal).await?;
    let (status, error, errors, draft) = match error {
        Some((Mistakes::Fields(errors), draft)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, None, errors, draft)
        }
        Some((Mistakes::Other(AppError::Form(e)), draft)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(e.message(ctx.lang)),
            FieldErrors::default(),
            draft,
        ),
        Some((Mistakes::Other(e), _)) => return Err(e),
        None => (
            StatusCode::OK,
            None,
            FieldErrors::default(),
            views::UserDraft::default(),
        ),
    };
    // Each person's roles, as the role page names them: "Thành viên thẩm định (2026)".
    let roles: std::collections::BTreeMap<String, String> =
        chiso_services::users::roles_by_user(state.db(), &principal)
            .await?
            .into_iter()
            .map(|(login, kinds)| {
                let text = kinds
                    .iter()
                    .map(|(kind, period)| match period {
                        Some(p) => format!("{} ({p})", role_label(&ctx, kind)),
                        None => role_label(&ctx, kind).to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                (login, text)
            })
            .collect();
    let view = views::UsersPage::new(
        ctx,
        &users,
        &roles,
        &principal.login,
        notice,
        error,
        errors,
        draft,
    );
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
        return Ok(to_sign_in(USERS).into_response());
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
    /// Optional address for e-mail notifications.
    #[serde(default)]
    email: String,
}

/// `POST /quan-tri/nguoi-dung`.
async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Form(f): Form<CreateForm>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_sign_in(USERS).into_response());
    }
    let login = f.login.trim().to_owned();
    let draft = views::UserDraft {
        login: login.clone(),
        display_name: f.display_name.clone(),
        is_admin: f.is_admin.is_some(),
        email: f.email.trim().to_owned(),
    };
    let new = NewUser {
        login: login.clone(),
        display_name: f.display_name,
        password: f.password,
        is_admin: f.is_admin.is_some(),
        email: f.email,
    };
    let now = state.config().clock.now();
    match accounts::create_user(state.db(), state.hashing(), &current.principal(), new, now).await {
        Ok(()) => Ok(back("created", &login).into_response()),
        // Every mistake of the form at once, each next to its field.
        Err(e) => match FieldErrors::of_service(ctx.lang, &e, &USER_FIELDS) {
            Some(errors) => {
                page(
                    &state,
                    ctx,
                    &current,
                    None,
                    Some((Mistakes::Fields(errors), draft)),
                )
                .await
            }
            None => {
                let e = accounts::form_error(e);
                page(
                    &state,
                    ctx,
                    &current,
                    None,
                    Some((Mistakes::Other(e), draft)),
                )
                .await
            }
        },
    }
}

/// The list again with the refusal of an action on one user (a reset, a lock), or its error
/// page.
async fn refused(
    state: &AppState,
    ctx: PageCtx,
    current: &CurrentUser,
    e: AppError,
) -> Result<Response, AppError> {
    page(
        state,
        ctx,
        current,
        None,
        Some((Mistakes::Other(e), Default::default())),
    )
    .await
}

/// The fields of the form creating a user, top to bottom.
const USER_FIELDS: [&str; 4] = ["login", "display_name", "password", "email"];

/// What went wrong with a form of the users page.
enum Mistakes {
    /// Mistakes of the creation form's fields.
    Fields(FieldErrors),
    /// Any other refusal (shown above the form) or failure (an error page).
    Other(AppError),
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
        return Ok(to_sign_in(USERS).into_response());
    }
    let now = state.config().clock.now();
    match accounts::reset_password(
        state.db(),
        state.hashing(),
        &current.principal(),
        &login,
        f.password,
        now,
    )
    .await
    {
        Ok(()) => Ok(back("reset", &login).into_response()),
        Err(e) => refused(&state, ctx, &current, e).await,
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
        return Ok(to_sign_in(USERS).into_response());
    }
    let now = state.config().clock.now();
    match accounts::set_disabled(state.db(), &current.principal(), &login, disabled, now).await {
        Ok(()) => Ok(back(if disabled { "disabled" } else { "enabled" }, &login).into_response()),
        Err(e) => refused(&state, ctx, &current, e).await,
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

// ---------------------------------------------------------------------------------------------
// Roles of one person

fn roles_href(login: &str) -> String {
    format!("{USERS}/{}/vai-tro", format::segment(login))
}

/// One `<option>` of the role form.
pub(crate) struct RoleOpt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One grant the person holds.
pub(crate) struct GrantRow {
    pub role: &'static str,
    pub scope: String,
    pub period: String,
    pub granted: String,
    pub revoke_href: String,
}

/// `GET /quan-tri/nguoi-dung/{login}/vai-tro`.
#[derive(Template)]
#[template(path = "admin_roles.html")]
pub(crate) struct RolesPage {
    pub ctx: PageCtx,
    pub title: String,
    pub href: String,
    /// The account's own administrator flag, which the user list sets, not this page.
    pub admin_flag: bool,
    pub rows: Vec<GrantRow>,
    pub roles: Vec<RoleOpt>,
    pub periods: Vec<RoleOpt>,
    pub draft: GrantDraft,
    pub errors: FieldErrors,
    pub notice: Option<String>,
}

fn role_label(ctx: &PageCtx, kind: &str) -> &'static str {
    ctx.t(match kind {
        "admin" => "roles.role_admin",
        "unit_officer" => "roles.role_unit_officer",
        "unit_leader" => "roles.role_unit_leader",
        "appraiser" => "roles.role_appraiser",
        "council_chair" => "roles.role_council_chair",
        _ => "roles.role_observer",
    })
}

fn scope_text(ctx: &PageCtx, o: &RolesOverview, role: &Role) -> String {
    let unit = |c: &UnitCode| match o.unit_names.get(c) {
        Some(n) => format!("{n} ({c})"),
        None => c.to_string(),
    };
    match role {
        Role::UnitOfficer { unit: u } | Role::UnitLeader { unit: u } => {
            ctx.lang.tf("roles.scope_unit", &[("unit", &unit(u))])
        }
        Role::Appraiser { scope } => {
            let units = scope.units.as_ref().map_or_else(
                || ctx.t("roles.every_unit").to_owned(),
                |us| us.iter().map(unit).collect::<Vec<_>>().join(", "),
            );
            let areas = scope.areas.as_ref().map_or_else(
                || ctx.t("roles.every_area").to_owned(),
                |a| {
                    a.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            );
            ctx.lang.tf(
                "roles.scope_appraiser",
                &[("units", &units), ("areas", &areas)],
            )
        }
        Role::Admin | Role::CouncilChair | Role::Observer => format::DASH.to_owned(),
    }
}

impl RolesPage {
    fn new(
        ctx: PageCtx,
        o: &RolesOverview,
        draft: GrantDraft,
        errors: FieldErrors,
        notice: Option<String>,
        names: &std::collections::HashMap<String, String>,
    ) -> Self {
        let login = o.user.login.clone();
        let href = roles_href(&login);
        let rows = o
            .grants
            .iter()
            .map(|g| GrantRow {
                role: role_label(&ctx, g.grant.role.as_str()),
                scope: scope_text(&ctx, o, &g.grant.role),
                period: match &g.grant.period {
                    None => ctx.t("roles.every_period").to_owned(),
                    Some(p) => o
                        .periods
                        .iter()
                        .find(|x| &x.code == p)
                        .map_or_else(|| p.to_string(), |x| format!("{} ({p})", x.name)),
                },
                granted: ctx.lang.tf(
                    "roles.granted_by",
                    &[
                        ("who", &format::actor(ctx.lang, names, &g.granted_by)),
                        ("date", &format::date(g.granted_at)),
                    ],
                ),
                revoke_href: format!("{href}/{}/thu-hoi", g.id),
            })
            .collect();
        let roles = roles::ROLE_KINDS
            .iter()
            .map(|k| RoleOpt {
                value: (*k).to_owned(),
                label: role_label(&ctx, k).to_owned(),
                selected: draft.role == *k,
            })
            .collect();
        let periods = o
            .periods
            .iter()
            .map(|p| RoleOpt {
                value: p.code.to_string(),
                label: format!("{} ({})", p.name, p.code),
                selected: draft.period.trim() == p.code.as_str(),
            })
            .collect();
        RolesPage {
            title: ctx.lang.tf(
                "roles.title",
                &[("name", &o.user.display_name), ("login", &login)],
            ),
            href,
            admin_flag: o.user.is_admin,
            rows,
            roles,
            periods,
            draft,
            errors,
            notice,
            ctx,
        }
    }
}

/// Renders the role page; with mistakes, with status 422 and the typed values kept.
async fn roles_view(
    state: &AppState,
    ctx: PageCtx,
    current: &CurrentUser,
    login: &str,
    draft: GrantDraft,
    errors: Vec<crate::unit_admin::FieldError>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let o = roles::overview(state.db(), &current.principal(), login).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let errors = FieldErrors::new(ctx.lang, &errors);
    let names = chiso_services::dossier::names(state.db()).await?;
    let page = RolesPage::new(ctx, &o, draft, errors, notice, &names);
    Ok((status, render(&page)?).into_response())
}

/// `GET /quan-tri/nguoi-dung/{login}/vai-tro`.
async fn roles_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(login): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_sign_in(&roles_href(&login)).into_response());
    }
    let notice = Notice::of(done.ok.as_deref(), ROLE_NOTICES).map(|n| n.text(ctx.lang));
    roles_view(
        &state,
        ctx,
        &current,
        &login,
        GrantDraft::default(),
        Vec::new(),
        notice,
    )
    .await
}

/// `POST /quan-tri/nguoi-dung/{login}/vai-tro`: grants a role.
async fn grant_role(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(login): Path<String>,
    Form(draft): Form<GrantDraft>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_sign_in(&roles_href(&login)).into_response());
    }
    let now = state.config().clock.now();
    match roles::grant(state.db(), &current.principal(), &login, &draft, now).await {
        Ok(_) => Ok(Redirect::to(&format!("{}?ok=granted", roles_href(&login))).into_response()),
        Err(Refusal::Fields(errors)) => {
            roles_view(&state, ctx, &current, &login, draft, errors, None).await
        }
        Err(Refusal::App(e)) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
struct RevokeForm {
    #[serde(default)]
    reason: String,
}

/// `POST /quan-tri/nguoi-dung/{login}/vai-tro/{id}/thu-hoi`: revokes a grant.
async fn revoke_role(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path((login, id)): Path<(String, String)>,
    Form(f): Form<RevokeForm>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_sign_in(&roles_href(&login)).into_response());
    }
    let p = current.principal();
    let Ok(id) = id.parse::<i64>() else {
        // Refused people learn nothing from a malformed id either.
        accounts::require_user_admin(&p)?;
        return Err(AppError::PageNotFound);
    };
    let now = state.config().clock.now();
    match roles::revoke(state.db(), &p, &login, id, &f.reason, now).await {
        Ok(_) => Ok(Redirect::to(&format!("{}?ok=revoked", roles_href(&login))).into_response()),
        Err(Refusal::Fields(errors)) => {
            roles_view(
                &state,
                ctx,
                &current,
                &login,
                GrantDraft::default(),
                errors,
                None,
            )
            .await
        }
        Err(Refusal::App(e)) => Err(e),
    }
}
