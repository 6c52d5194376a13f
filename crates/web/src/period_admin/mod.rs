//! Administration of periods: creation, participating units and sets per group, milestones,
//! and the progress dashboard; and every signed-in person's to-do list.
//!
//! Handlers are thin: extract → call a [`service`] or [`todo`] function (which checks the
//! permission and calls the store) → render. A rejected form is shown again with status 422
//! and the message next to the form; a change is followed by a redirect to the page with a
//! notice, so reloading never repeats it.

mod progress;
mod views;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chiso_domain::PeriodCode;
use chiso_domain::workflow::Milestone;
use serde::Deserialize;

use self::progress::PlanDraft;
use self::views::{LIST, Section, SetupExtras, setup_href};
use crate::auth::{CurrentUser, to_sign_in};
use crate::multipart::{self, Bounds, Oversize};
use crate::notice::Notice;
use crate::pages::{PageCtx, render};
use crate::unit_admin::FieldErrors;
use crate::{AppError, AppState, service as results};
use chiso_services::periods as service;
use chiso_services::publication::{self, DecisionFile, MAX_DECISION_FILE_BYTES, Publish};
use chiso_services::{Kind, ServiceError};

/// The routes of period administration and the to-do list.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(LIST, get(list).post(create))
        .route("/quan-tri/ky-danh-gia/{period}", get(setup))
        .route("/quan-tri/ky-danh-gia/{period}/nhom", post(save_group))
        .route(
            "/quan-tri/ky-danh-gia/{period}/nhom/xoa",
            post(remove_group),
        )
        .route(
            "/quan-tri/ky-danh-gia/{period}/them-don-vi",
            post(add_units),
        )
        .route(
            "/quan-tri/ky-danh-gia/{period}/them-theo-loai",
            post(add_kind),
        )
        .route(
            "/quan-tri/ky-danh-gia/{period}/don-vi/{unit}",
            post(update_member),
        )
        .route(
            "/quan-tri/ky-danh-gia/{period}/don-vi/{unit}/xoa",
            post(remove_member),
        )
        .route(
            "/quan-tri/ky-danh-gia/{period}/don-vi/{unit}/dong",
            post(close_unsubmitted),
        )
        .route("/quan-tri/ky-danh-gia/{period}/moc", post(save_plan))
        .route("/quan-tri/ky-danh-gia/{period}/cong-bo", post(publish))
        .route(
            "/quan-tri/ky-danh-gia/{period}/dinh-chinh",
            post(open_correction),
        )
        .route("/viec-can-lam", get(todo_list))
}

/// The form fields, repeated names kept (the unit checkboxes).
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn ticked(fields: &Fields, name: &str) -> bool {
    fields.iter().any(|(k, _)| k == name)
}

/// What was just done, for the notice after the redirect.
#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    ok: Option<String>,
    n: Option<usize>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    tt: String,
}

/// The notices after a redirect (`?ok=<what>`).
const NOTICES: &[(&str, &str)] = &[
    ("created", "periods.done.created"),
    ("group_saved", "periods.done.group_saved"),
    ("group_removed", "periods.done.group_removed"),
    ("units_added", "periods.done.units_added"),
    ("member_saved", "periods.done.member_saved"),
    ("member_removed", "periods.done.member_removed"),
    ("unit_closed", "periods.done.unit_closed"),
    ("plan_saved", "periods.done.plan_saved"),
    ("published", "periods.done.published"),
    ("correction_opened", "periods.done.correction_opened"),
];

fn notice(ctx: &PageCtx, q: &PageQuery) -> Option<String> {
    let notice = Notice::of(q.ok.as_deref(), NOTICES)?.arg("n", q.n.unwrap_or(0));
    Some(notice.text(ctx.lang))
}

// ---------------------------------------------------------------------------------------------
// The list of periods and creating one.

/// `GET /quan-tri/ky-danh-gia`.
async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_sign_in(LIST).into_response());
    }
    let now = state.config().clock.now();
    let overview = service::overview(state.db(), &current.principal(), now).await?;
    let notice = notice(&ctx, &q);
    let page = views::PeriodsPage::new(
        ctx,
        &overview,
        views::PeriodDraft::default(),
        notice,
        None,
        FieldErrors::default(),
    );
    Ok(render(&page)?.into_response())
}

#[derive(Debug, Deserialize)]
struct CreateForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    previous: String,
}

/// The fields of the form creating a period, top to bottom.
const PERIOD_FIELDS: [&str; 4] = ["code", "name", "year", "previous"];

/// `POST /quan-tri/ky-danh-gia`.
async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Form(f): Form<CreateForm>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_sign_in(LIST).into_response());
    }
    let principal = current.principal();
    let now = state.config().clock.now();
    let new = service::NewPeriod {
        code: f.code.clone(),
        name: f.name.clone(),
        year: f.year.clone(),
        previous: f.previous.clone(),
    };
    match service::create_period(state.db(), &principal, &new, now).await {
        Ok(code) => {
            Ok(Redirect::to(&format!("{}?ok=created", setup_href(code.as_str()))).into_response())
        }
        Err(e) if shown_on_form(&e) => {
            let overview = service::overview(state.db(), &principal, now).await?;
            // Every mistake of the form at once, each next to its field.
            let errors = FieldErrors::of_service(ctx.lang, &e, &PERIOD_FIELDS);
            let message = errors
                .is_none()
                .then(|| crate::error::service_message(ctx.lang, &e));
            let draft = views::PeriodDraft {
                code: f.code,
                name: f.name,
                year: f.year,
                previous: f.previous,
            };
            let page = views::PeriodsPage::new(
                ctx,
                &overview,
                draft,
                None,
                message,
                errors.unwrap_or_default(),
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether a refusal belongs next to the form (a wrong field, a state that forbids the change)
/// rather than on an error page (no permission, no such period, a server fault).
fn shown_on_form(e: &ServiceError) -> bool {
    matches!(e.kind(), Kind::Invalid | Kind::Conflict | Kind::TooLarge)
}

// ---------------------------------------------------------------------------------------------
// One period: setup, milestones and progress.

async fn setup_page(
    state: &AppState,
    ctx: PageCtx,
    current: &CurrentUser,
    code: &PeriodCode,
    extras: SetupExtras,
    status: StatusCode,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let s = service::setup(state.db(), &current.principal(), code, &extras.query, now).await?;
    let page = views::SetupPage::new(ctx, &s, now, extras);
    Ok((status, render(&page)?).into_response())
}

/// `GET /quan-tri/ky-danh-gia/{period}`.
async fn setup(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(period): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_sign_in(&setup_href(&period)).into_response());
    }
    let code = results::parse_period(&period)?;
    let extras = SetupExtras {
        notice: notice(&ctx, &q),
        query: q.q,
        filter: q.tt,
        ..SetupExtras::default()
    };
    setup_page(&state, ctx, &current, &code, extras, StatusCode::OK).await
}

/// After a change: back to the page with a notice, at the section changed.
fn done(code: &PeriodCode, what: &str, n: Option<usize>, anchor: &str) -> Response {
    let n = n.map(|n| format!("&n={n}")).unwrap_or_default();
    Redirect::to(&format!(
        "{}?ok={what}{n}#{anchor}",
        setup_href(code.as_str())
    ))
    .into_response()
}

/// A rejected form: the page again, with the message in the section concerned. Other errors
/// (403, 404, server faults) go to the error page.
async fn rejected(
    state: &AppState,
    ctx: PageCtx,
    current: &CurrentUser,
    code: &PeriodCode,
    section: Section,
    e: ServiceError,
) -> Result<Response, AppError> {
    if !shown_on_form(&e) {
        return Err(e.into());
    }
    let extras = SetupExtras {
        error: Some((section, crate::error::service_message(ctx.lang, &e))),
        ..SetupExtras::default()
    };
    setup_page(
        state,
        ctx,
        current,
        code,
        extras,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// Everything a change to one period needs; anonymous visitors are sent to sign in.
struct Change {
    state: AppState,
    ctx: PageCtx,
    current: CurrentUser,
    code: PeriodCode,
}

impl Change {
    fn new(
        state: AppState,
        ctx: PageCtx,
        current: CurrentUser,
        period: &str,
    ) -> Result<Result<Change, Response>, AppError> {
        if current.user().is_none() {
            return Ok(Err(to_sign_in(&setup_href(period)).into_response()));
        }
        let code = results::parse_period(period)?;
        Ok(Ok(Change {
            state,
            ctx,
            current,
            code,
        }))
    }

    async fn finish<T>(
        self,
        outcome: Result<T, ServiceError>,
        section: Section,
        ok: impl FnOnce(&PeriodCode, T) -> Response,
    ) -> Result<Response, AppError> {
        match outcome {
            Ok(v) => Ok(ok(&self.code, v)),
            Err(e) => rejected(&self.state, self.ctx, &self.current, &self.code, section, e).await,
        }
    }
}

macro_rules! change_or_return {
    ($state:expr, $ctx:expr, $current:expr, $period:expr) => {
        match Change::new($state, $ctx, $current, &$period)? {
            Ok(c) => c,
            Err(redirect) => return Ok(redirect),
        }
    };
}

/// `POST /quan-tri/ky-danh-gia/{period}/nhom`: adds a group, or changes its index set.
async fn save_group(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(period): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let c = change_or_return!(state, ctx, current, period);
    let now = c.state.config().clock.now();
    let p = c.current.principal();
    let out = service::save_group(
        c.state.db(),
        &p,
        &c.code,
        field(&f, "group"),
        field(&f, "set"),
        now,
    )
    .await;
    c.finish(out, Section::Groups, |code, ()| {
        done(code, "group_saved", None, "nhom")
    })
    .await
}

/// `POST /quan-tri/ky-danh-gia/{period}/nhom/xoa`.
async fn remove_group(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(period): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let c = change_or_return!(state, ctx, current, period);
    let now = c.state.config().clock.now();
    let p = c.current.principal();
    let out = service::remove_group(c.state.db(), &p, &c.code, field(&f, "group"), now).await;
    c.finish(out, Section::Groups, |code, ()| {
        done(code, "group_removed", None, "nhom")
    })
    .await
}

/// `POST /quan-tri/ky-danh-gia/{period}/them-don-vi`: the units ticked in the search results.
async fn add_units(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(period): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let c = change_or_return!(state, ctx, current, period);
    let now = c.state.config().clock.now();
    let p = c.current.principal();
    let units: Vec<String> = f
        .iter()
        .filter(|(k, _)| k == "unit")
        .map(|(_, v)| v.clone())
        .collect();
    let out = service::add_units(
        c.state.db(),
        &p,
        &c.code,
        field(&f, "group"),
        &units,
        ticked(&f, "ranked"),
        now,
    )
    .await;
    c.finish(out, Section::Members, |code, n| {
        done(code, "units_added", Some(n), "don-vi")
    })
    .await
}

/// `POST /quan-tri/ky-danh-gia/{period}/them-theo-loai`: every unit of one kind.
async fn add_kind(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(period): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let c = change_or_return!(state, ctx, current, period);
    let now = c.state.config().clock.now();
    let p = c.current.principal();
    let out = service::add_kind(
        c.state.db(),
        &p,
        &c.code,
        field(&f, "group"),
        field(&f, "kind"),
        ticked(&f, "ranked"),
        now,
    )
    .await;
    c.finish(out, Section::Members, |code, n| {
        done(code, "units_added", Some(n), "don-vi")
    })
    .await
}

/// `POST /quan-tri/ky-danh-gia/{period}/don-vi/{unit}`: group and ranking of one unit.
async fn update_member(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path((period, unit)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let c = change_or_return!(state, ctx, current, period);
    let unit = results::parse_unit(&unit)?;
    let now = c.state.config().clock.now();
    let p = c.current.principal();
    let out = service::update_member(
        c.state.db(),
        &p,
        &c.code,
        &unit,
        field(&f, "group"),
        ticked(&f, "ranked"),
        now,
    )
    .await;
    c.finish(out, Section::Members, |code, ()| {
        done(code, "member_saved", None, "don-vi")
    })
    .await
}

/// A change that needs its confirmation box ticked (`xac-nhan`): the page again with the
/// request to tick it, in `section`.
async fn unconfirmed_change(c: Change, section: Section) -> Result<Response, AppError> {
    let message = c.ctx.lang.t("periods.confirm_required").to_owned();
    let extras = SetupExtras {
        error: Some((section, message)),
        ..SetupExtras::default()
    };
    setup_page(
        &c.state,
        c.ctx,
        &c.current,
        &c.code,
        extras,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `POST /quan-tri/ky-danh-gia/{period}/don-vi/{unit}/xoa`: withdraws the unit from the period
/// with the reason typed, once the confirmation box is ticked.
async fn remove_member(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path((period, unit)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let c = change_or_return!(state, ctx, current, period);
    let unit = results::parse_unit(&unit)?;
    if !ticked(&f, "xac-nhan") {
        return unconfirmed_change(c, Section::Members).await;
    }
    let now = c.state.config().clock.now();
    let p = c.current.principal();
    let reason = field(&f, "reason");
    let out = service::remove_member(c.state.db(), &p, &c.code, &unit, reason, now).await;
    c.finish(out, Section::Members, |code, ()| {
        done(code, "member_removed", None, "don-vi")
    })
    .await
}

/// `POST /quan-tri/ky-danh-gia/{period}/don-vi/{unit}/dong`: after the self-assessment
/// deadline, closes the self-assessment of a unit that did not submit (hết hạn, không nộp),
/// once the confirmation box is ticked; the reason is optional.
async fn close_unsubmitted(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path((period, unit)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let c = change_or_return!(state, ctx, current, period);
    let unit = results::parse_unit(&unit)?;
    if !ticked(&f, "xac-nhan") {
        return unconfirmed_change(c, Section::Progress).await;
    }
    let now = c.state.config().clock.now();
    let p = c.current.principal();
    let reason = Some(field(&f, "reason")).filter(|r| !r.trim().is_empty());
    let out = service::close_unsubmitted(c.state.db(), &p, &c.code, &unit, reason, now).await;
    c.finish(out, Section::Progress, |code, _| {
        done(code, "unit_closed", None, "tien-do")
    })
    .await
}

/// `POST /quan-tri/ky-danh-gia/{period}/moc`: the milestones, one dd/mm/yyyy field each.
async fn save_plan(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(period): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let c = change_or_return!(state, ctx, current, period);
    let now = c.state.config().clock.now();
    let p = c.current.principal();
    let mut draft = PlanDraft::default();
    for (i, m) in Milestone::ALL.into_iter().enumerate() {
        draft.days[i] = field(&f, m.as_str()).trim().to_owned();
    }
    let plan = match progress::parse_plan(&draft) {
        Ok(plan) => plan,
        Err(errors) => {
            let extras = SetupExtras {
                plan: Some((draft, errors)),
                ..SetupExtras::default()
            };
            return setup_page(
                &c.state,
                c.ctx,
                &c.current,
                &c.code,
                extras,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match service::save_plan(c.state.db(), &p, &c.code, &plan, now).await {
        Ok(()) => Ok(done(&c.code, "plan_saved", None, "moc")),
        Err(e) => rejected(&c.state, c.ctx, &c.current, &c.code, Section::Plan, e).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Publication by decision, and corrections.

/// The publish or correction form shown again with `message`, keeping what was typed.
async fn publication_refused(
    c: Change,
    draft: views::PublishDraft,
    message: String,
) -> Result<Response, AppError> {
    let extras = SetupExtras {
        error: Some((Section::Publication, message)),
        publish: Some(draft),
        ..SetupExtras::default()
    };
    setup_page(
        &c.state,
        c.ctx,
        &c.current,
        &c.code,
        extras,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// The publish or correction form again, asking to tick the confirmation box.
async fn unconfirmed(c: Change, draft: views::PublishDraft) -> Result<Response, AppError> {
    let message = c.ctx.lang.t("periods.pub.confirm_required").to_owned();
    publication_refused(c, draft, message).await
}

/// After a publication or a correction: back to the section when done, the form again with
/// the refusal next to it, or an error page (no permission, no such period, a fault).
async fn publication_outcome<T>(
    c: Change,
    draft: views::PublishDraft,
    out: Result<T, ServiceError>,
    ok: impl FnOnce(&PeriodCode, T) -> Response,
) -> Result<Response, AppError> {
    match out {
        Ok(v) => Ok(ok(&c.code, v)),
        Err(e) if shown_on_form(&e) => {
            let message = crate::error::service_message(c.ctx.lang, &e);
            publication_refused(c, draft, message).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /quan-tri/ky-danh-gia/{period}/cong-bo`: publishes the approved results by decision
/// (a new version when a correction is open). Irreversible, hence the confirmation box.
async fn publish(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(period): Path<String>,
    form: Multipart,
) -> Result<Response, AppError> {
    let c = change_or_return!(state, ctx, current, period);
    // The file is kept with one byte too many, for the service to refuse it in its words.
    let bounds = Bounds::new(MAX_DECISION_FILE_BYTES, Oversize::Keep);
    let Ok(parts) = multipart::read(form, bounds).await else {
        let message = c.ctx.lang.t("periods.pub.file_unreadable").to_owned();
        return publication_refused(c, views::PublishDraft::default(), message).await;
    };
    let text = |name| parts.get(name).unwrap_or_default().to_owned();
    let draft = views::PublishDraft {
        decision: text("decision"),
        date: text("ngay"),
        reason: text("reason"),
    };
    if parts.value("xac-nhan").is_none() {
        return unconfirmed(c, draft).await;
    }
    let Some(decided_on) = chiso_domain::fmt::parse_date(&draft.date) else {
        let message = c
            .ctx
            .lang
            .tf("periods.pub.date_invalid", &[("value", &draft.date)]);
        return publication_refused(c, draft, message).await;
    };
    let file = parts
        .files
        .into_iter()
        .rfind(|f| !f.is_unchosen())
        .map(|f| DecisionFile {
            file_name: f.name,
            bytes: f.content,
        });
    let cmd = Publish {
        period: c.code.clone(),
        decision: draft.decision.clone(),
        decided_on,
        reason: Some(draft.reason.clone()).filter(|r| !r.is_empty()),
    };
    let now = c.state.config().clock.now();
    let p = c.current.principal();
    let store = c.state.evidence_store().map(|s| s.as_ref());
    let out =
        publication::publish_with_file(c.state.db(), store, &p, &cmd, file.as_ref(), now).await;
    publication_outcome(c, draft, out, |code, published| {
        let version = usize::try_from(published.version).unwrap_or(0);
        done(code, "published", Some(version), "cong-bo")
    })
    .await
}

/// `POST /quan-tri/ky-danh-gia/{period}/dinh-chinh`: reopens a published period for a
/// correction, with its reason; the published version stays public meanwhile.
async fn open_correction(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(period): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let c = change_or_return!(state, ctx, current, period);
    let draft = views::PublishDraft {
        reason: field(&f, "reason").trim().to_owned(),
        ..views::PublishDraft::default()
    };
    if !ticked(&f, "xac-nhan") {
        return unconfirmed(c, draft).await;
    }
    let now = c.state.config().clock.now();
    let p = c.current.principal();
    let opened =
        chiso_services::publication::open_correction(c.state.db(), &p, &c.code, &draft.reason, now)
            .await;
    publication_outcome(c, draft, opened, |code, ()| {
        done(code, "correction_opened", None, "cong-bo")
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// The to-do list.

/// `GET /viec-can-lam`: what awaits the signed-in person.
async fn todo_list(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_sign_in("/viec-can-lam").into_response());
    }
    let now = state.config().clock.now();
    let p = current.principal();
    let items = chiso_services::todo::for_person(state.db(), &p, now).await?;
    let shortcuts = chiso_services::todo::shortcuts(state.db(), &p).await?;
    Ok(render(&views::TodoPage::new(ctx, &items, &shortcuts))?.into_response())
}
