//! Server-rendered HTML pages for the public and officials: the list of periods, a period's
//! rankings and statistics, and one unit's breakdown and history. Plain HTML and CSS, no
//! script, so the pages work on any phone and print cleanly.
//!
//! Handlers are thin: extract → call a [`service`] function → build a view → render.

mod account;
mod admin;
mod analysis;
pub(crate) mod downloads;
pub(crate) mod methodology;
mod profile;
mod ranking;
mod reports;
mod tokens;
pub(crate) mod views;
mod whatif;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use askama::Template;

use tower_sessions::Session;

use crate::auth::{CurrentUser, csrf};
use crate::i18n::Lang;
use crate::public_pages::{PageKey, PublicPages, Rendered};
use crate::{AppError, AppState, accounts, service};

/// The page routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/ky/{period}", get(period))
        .route("/ky/{period}/don-vi/{unit}", get(unit))
        .route("/ky/{period}/quyet-dinh/{version}", get(decision_file))
        .route("/ky/{period}/phuong-phap", get(methodology::page))
        .merge(downloads::router())
        .merge(reports::router())
        .merge(account::router())
        .merge(admin::router())
        .merge(tokens::router())
        .merge(analysis::router())
        .merge(whatif::router())
}

/// What every page needs besides its data: language, demo banner, and the current path (for
/// the language switch link).
#[derive(Debug, Clone)]
pub(crate) struct PageCtx {
    pub(crate) lang: Lang,
    pub(crate) demo: bool,
    pub(crate) path: String,
    /// Display name of the signed-in person.
    pub(crate) user: Option<String>,
    /// Shows the administration link.
    pub(crate) admin: bool,
    /// The session's CSRF token, for the forms of the page (sign-out in the header).
    pub(crate) csrf: String,
    /// A public page with a form that needs the forms script (the web questionnaire).
    pub(crate) forms: bool,
}

impl PageCtx {
    /// The translated text for `key`.
    pub fn t(&self, key: &'static str) -> &'static str {
        self.lang.t(key)
    }

    /// The language code for `<html lang>`.
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// The language the switch link offers.
    pub fn other_code(&self) -> &'static str {
        self.lang.other().code()
    }

    /// The current page in the other language.
    pub fn switch_href(&self) -> String {
        format!("{}?lang={}", self.path, self.lang.other().code())
    }

    /// True when the demo banner must be shown.
    pub fn demo(&self) -> bool {
        self.demo
    }

    /// Display name of the signed-in person, if any.
    pub fn user_name(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// True when the signed-in person administers users.
    pub fn admin(&self) -> bool {
        self.admin
    }

    /// The CSRF token every form must post back in its hidden `csrf` field.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// URL of the stylesheet.
    pub fn css(&self) -> String {
        crate::assets::url("chiso.css")
    }

    /// URL of the icon.
    pub fn icon(&self) -> String {
        crate::assets::url("favicon.svg")
    }

    /// The script asking for confirmations and warning about unsaved values; only pages of
    /// signed-in people load it (the public pages carry no script at all).
    pub fn forms_script(&self) -> String {
        crate::assets::url("forms.js")
    }
}

impl PageCtx {
    /// The key under which an anonymous reader's page is kept once rendered (see
    /// [`PublicPages`]); `None` for a signed-in reader, whose page names them and is never
    /// shared.
    pub(crate) fn public_key(&self, page: &'static str, mut parts: Vec<String>) -> Option<PageKey> {
        if self.user.is_some() {
            return None;
        }
        parts.push(self.path.clone());
        Some(PageKey::new(page, self.lang.code(), parts))
    }

    fn bare(lang: Lang, demo: bool, path: String) -> Self {
        PageCtx {
            lang,
            demo,
            path,
            user: None,
            admin: false,
            csrf: String::new(),
            forms: false,
        }
    }
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut ctx = PageCtx::bare(
            Lang::from_request(&parts.uri, &parts.headers),
            state.config().demo,
            parts.uri.path().to_owned(),
        );
        let current = CurrentUser::from_request_parts(parts, state).await?;
        if let Some(user) = current.user() {
            ctx.user = Some(user.display_name.clone());
            ctx.admin = accounts::require_user_admin(&current.principal()).is_ok();
            if let Some(session) = parts.extensions.get::<Session>() {
                ctx.csrf = csrf::ensure_token(session).await?;
            }
        }
        Ok(ctx)
    }
}

pub(crate) fn render(page: &impl Template) -> Result<Html<String>, AppError> {
    Ok(Html(page.render()?))
}

/// `GET /`: the periods.
async fn home(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let key = ctx.public_key("home", Vec::new());
    PublicPages::serve(&state, &headers, key, || async {
        let periods = service::list_periods(state.db()).await?;
        let html = views::HomePage::new(ctx, &periods, &current.principal()).render()?;
        Ok(Rendered { html, public: true })
    })
    .await
}

/// `?phien-ban=N`: a published version other than the latest.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct VersionQuery {
    #[serde(rename = "phien-ban")]
    pub(crate) version: Option<String>,
}

/// `GET /ky/{period}`: rankings, statistics and charts of every group, narrowed by a search
/// and ordered as the reader asks (`?tim=…&nhom=…&sap-xep=…&thu-tu=…`).
async fn period(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(period): Path<String>,
    Query(q): Query<ranking::RankingParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let period = service::parse_period(&period)?;
    let version = service::parse_version(&period, q.version.as_deref())?;
    let mut parts = vec![period.to_string(), format!("{version:?}")];
    parts.extend(q.key_parts());
    let key = ctx.public_key("period", parts);
    PublicPages::serve(&state, &headers, key, || async {
        let viewer = current.principal();
        let report = service::period_summary(state.db(), &viewer, &period, version).await?;
        let years = chiso_services::ranking::neighbours(state.db(), &viewer, &period).await?;
        let public = report.source.publication().is_some();
        let html = views::PeriodPage::new(ctx, &report, &q.query(), version, &years).render()?;
        Ok(Rendered { html, public })
    })
    .await
}

/// `GET /ky/{period}/don-vi/{unit}`: one unit's breakdown and history.
async fn unit(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path((period, unit)): Path<(String, String)>,
    Query(q): Query<VersionQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let period = service::parse_period(&period)?;
    let unit = service::parse_unit(&unit)?;
    let version = service::parse_version(&period, q.version.as_deref())?;
    let key = ctx.public_key(
        "unit",
        vec![period.to_string(), unit.to_string(), format!("{version:?}")],
    );
    PublicPages::serve(&state, &headers, key, || async {
        let viewer = current.principal();
        let profile =
            chiso_services::analysis::unit_profile(state.db(), &viewer, &period, &unit, version)
                .await?;
        let published = profile.report.source.publication().is_some();
        let what_if_href = chiso_services::whatif::may_try(&viewer, &period, &unit, published)
            .then(|| whatif::href(&period, &unit));
        let analysis_href = (published
            || chiso_domain::authz::may_read_unpublished(&viewer, &period))
        .then(|| analysis::href(&period, Some(&profile.report.result.group)));
        let html = views::UnitPage::new(ctx, &profile, what_if_href, analysis_href).render()?;
        Ok(Rendered {
            html,
            public: published,
        })
    })
    .await
}

/// `GET /ky/{period}/quyet-dinh/{version}`: the signed decision a version was published by,
/// public like the version itself. Published files never change, so caches may keep them.
async fn decision_file(
    State(state): State<AppState>,
    Path((period, version)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let period = service::parse_period(&period)?;
    let Some(version) = service::parse_version(&period, Some(&version))? else {
        return Err(AppError::PeriodNotFound(period.to_string()));
    };
    let blob = chiso_services::publication::decision_file(state.db(), &period, version).await?;
    let Some(store) = state.evidence_store() else {
        tracing::error!("decision download without an evidence store configured");
        return Ok(StatusCode::SERVICE_UNAVAILABLE.into_response());
    };
    let bytes = match store.get_bytes(&blob).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, blob = %blob, "decision file unreadable");
            return Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
    };
    let name = chiso_services::publication::decision_file_name(&period, version);
    let disposition = HeaderValue::from_str(&chiso_evidence::content_disposition(&name))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let mut resp = bytes.into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(resp)
}

/// The context of an error page: a signed-in person keeps their name, menu and sign-out in
/// the header (a refusal is not a sign-out); anyone else gets the bare header. Never fails:
/// an error page must render even when the session cannot be read.
pub(crate) async fn error_ctx(
    state: &AppState,
    lang: Lang,
    path: String,
    session: Option<Session>,
) -> PageCtx {
    let mut ctx = PageCtx::bare(lang, state.config().demo, path);
    let Some(session) = session else {
        return ctx;
    };
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    parts.extensions.insert(session.clone());
    let Ok(current) = CurrentUser::from_request_parts(&mut parts, state).await else {
        return ctx;
    };
    if let Some(user) = current.user() {
        ctx.user = Some(user.display_name.clone());
        ctx.admin = accounts::require_user_admin(&current.principal()).is_ok();
        if let Ok(token) = csrf::ensure_token(&session).await {
            ctx.csrf = token;
        }
    }
    ctx
}

/// The error page (404, 500…) in the request's language.
pub(crate) fn error_page(
    ctx: PageCtx,
    status: StatusCode,
    message: String,
    request_id: Option<String>,
) -> Result<String, askama::Error> {
    views::ErrorPage::new(ctx, status, message, request_id).render()
}
