//! The survey pages: a period's surveys, each defined on the questionnaire form or by a
//! workbook; one survey with its sample against the targets, every unit's points per leaf
//! (each linking to the answers it rests on), the import of answer files (previewed, then
//! confirmed), decisions on units below the minimum, closing into the survey leaves, the links
//! of the web questionnaire — and the questionnaire itself, which respondents open through
//! their link without signing in.
//!
//! Handlers are thin: parse → call `chiso_services::surveys` → render or redirect.

pub(crate) mod form;
pub(crate) mod form_page;
pub(crate) mod jobs;
pub(crate) mod views;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chiso_domain::PeriodCode;
use chiso_domain::authz::Principal;
use chiso_services::surveys::{
    self as service, AnswerFile, Decide, IssueLinks, STATUS_OPEN, Survey, WebAnswers,
};
use chiso_services::{Kind, ServiceError, codes};
use tower_sessions::Session;

use self::form::{Action, Draft, Errors, UnitGroup};
use self::form_page::{FormPage, Frame};
use self::views::{
    CellPage, LinksPage, ListPage, PreviewPage, QuestionnairePage, SurveyPage, list_href,
    survey_href,
};
use crate::auth::SignedIn;
use crate::error::{detail_lines, service_key};
use crate::measured::Kept;
use crate::multipart::{self, Bounds, Oversize, import_limit};
use crate::notice::Done;
use crate::pages::{PageCtx, render};
use crate::paths::{InPeriod, InSurvey, SurveyCell};
use crate::{AppError, AppState};

/// The routes of the survey pages and of the questionnaire.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/ky/{period}/dieu-tra", get(list))
        .route("/ky/{period}/dieu-tra/tao", post(create))
        .route("/ky/{period}/dieu-tra/mau.xlsx", get(template))
        .route(
            "/ky/{period}/dieu-tra/soan",
            get(compose_new).post(compose_new_post),
        )
        .route("/ky/{period}/dieu-tra/{survey}", get(show))
        .route("/ky/{period}/dieu-tra/{survey}/phieu.xlsx", get(workbook))
        .route("/ky/{period}/dieu-tra/{survey}/xlsform.xlsx", get(xlsform))
        .route("/ky/{period}/dieu-tra/{survey}/dinh-nghia", post(redefine))
        .route(
            "/ky/{period}/dieu-tra/{survey}/soan",
            get(compose_edit).post(compose_edit_post),
        )
        .route("/ky/{period}/dieu-tra/{survey}/nhap-phieu", post(upload))
        .route("/ky/{period}/dieu-tra/{survey}/xac-nhan", post(confirm))
        .route("/ky/{period}/dieu-tra/{survey}/khoa", post(close))
        .route(
            "/ky/{period}/dieu-tra/{survey}/tien-trinh/{job}",
            get(progress),
        )
        .route("/ky/{period}/dieu-tra/{survey}/duong-dan", post(issue))
        .route("/ky/{period}/dieu-tra/{survey}/thu-hoi", post(revoke))
        .route("/ky/{period}/dieu-tra/{survey}/do-tin-cay", get(intervals))
        .route("/ky/{period}/dieu-tra/{survey}/{unit}/{node}", get(cell))
        .route(
            "/ky/{period}/dieu-tra/{survey}/{unit}/{node}/quyet-dinh",
            post(decide),
        )
        .route("/phieu/{token}", get(questionnaire).post(answer))
}

/// The notices after a redirect (`?ok=<what>&n=<count>`).
const NOTICES: &[(&str, &str)] = &[
    ("created", "survey.created"),
    ("redefined", "survey.redefined"),
    ("imported", "survey.imported"),
    ("decided", "survey.decided"),
    ("closed", "survey.closed"),
    ("revoked", "survey.revoked"),
];

/// A refusal's message, then one line per listed problem.
fn messages(ctx: &PageCtx, e: &ServiceError) -> Vec<String> {
    messages_in(ctx.lang, e)
}

fn messages_in(lang: crate::i18n::Lang, e: &ServiceError) -> Vec<String> {
    let args: Vec<(&str, &str)> = e.args().iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut out = vec![lang.tf(&service_key(e.code()), &args)];
    let details = detail_lines(lang, e.details());
    // A list of problems repeats its first as the head: show the list alone.
    if matches!(e.details(), Some(chiso_services::Detail::Problems(_))) {
        out.clear();
    }
    out.extend(details);
    out
}

/// How a refusal shows on a page: 409 for a conflict, 422 for a mistake; anything else
/// (forbidden, not found, a fault) is the error page.
fn on_form(e: ServiceError) -> Result<(StatusCode, ServiceError), AppError> {
    match e.kind() {
        Kind::Conflict => Ok((StatusCode::CONFLICT, e)),
        Kind::Invalid | Kind::TooLarge => Ok((StatusCode::UNPROCESSABLE_ENTITY, e)),
        _ => Err(AppError::Service(e)),
    }
}

async fn period_name(state: &AppState, p: &Principal, period: &PeriodCode) -> String {
    service::period_name(state.db(), p, period)
        .await
        .unwrap_or_else(|_| period.to_string())
}

async fn list_view(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    period: &PeriodCode,
    errors: Vec<String>,
) -> Result<ListPage, AppError> {
    let surveys = service::list(state.db(), p, period).await?;
    let name = period_name(state, p, period).await;
    Ok(ListPage::new(ctx, period.as_str(), &name, &surveys, errors))
}

/// `GET /ky/{period}/dieu-tra`.
async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InPeriod { period }: InPeriod,
) -> Result<Response, AppError> {
    let page = list_view(&state, ctx, &p, &period, Vec::new()).await?;
    Ok(render(&page)?.into_response())
}

/// The one file of an upload, with the name the person gave it.
async fn one_file(form: Multipart, limit: u64) -> Option<(multipart::Parts, String, Vec<u8>)> {
    let mut parts = multipart::read(form, Bounds::new(limit, Oversize::Keep))
        .await
        .ok()?;
    let f = parts.files.pop()?;
    let name = f
        .name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .to_owned();
    Some((parts, name, f.content))
}

fn xlsx(file_name: &str, bytes: Vec<u8>) -> Response {
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

fn export_failed(e: chiso_formats::ExportError) -> AppError {
    AppError::Service(ServiceError::internal(e))
}

/// `GET /ky/{period}/dieu-tra/mau.xlsx`: a questionnaire workbook filled in from the period's
/// survey leaves, to edit and upload.
async fn template(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    InPeriod { period }: InPeriod,
) -> Result<Response, AppError> {
    let def = service::template(state.db(), &p, &period).await?;
    let bytes = chiso_formats::survey::questionnaire_xlsx(&def).map_err(export_failed)?;
    Ok(xlsx(&format!("phieu-dieu-tra-{period}.xlsx"), bytes))
}

/// `POST /ky/{period}/dieu-tra/tao` (multipart): a questionnaire workbook (or JSON) defines a
/// new survey; every mistake is listed.
async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InPeriod { period }: InPeriod,
    form: Multipart,
) -> Result<Response, AppError> {
    service::require_manage(&p, &period)?;
    let refused = |ctx: PageCtx, errors: Vec<String>| async {
        let page = list_view(&state, ctx, &p, &period, errors).await?;
        Ok::<_, AppError>((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
    };
    let Some((_, name, bytes)) = one_file(form, import_limit())
        .await
        .filter(|f| !f.1.is_empty())
    else {
        let message = ctx.t("survey.choose_file").to_owned();
        return refused(ctx, vec![message]).await;
    };
    let def = match chiso_formats::survey::read_questionnaire_bytes(&name, &bytes) {
        Ok(d) => d,
        Err(errors) => {
            let e = ServiceError::from(errors);
            let m = messages(&ctx, &e);
            return refused(ctx, m).await;
        }
    };
    let now = state.config().clock.now();
    match service::create(state.db(), &p, &period, &def, now).await {
        Ok(s) => Ok(Redirect::to(&format!(
            "{}?ok=created",
            survey_href(period.as_str(), &s.code)
        ))
        .into_response()),
        Err(e) => {
            let (status, e) = on_form(e)?;
            let m = messages(&ctx, &e);
            let page = list_view(&state, ctx, &p, &period, m).await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

async fn survey_view(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    period: &PeriodCode,
    survey: &str,
    notice: Option<String>,
    errors: Vec<String>,
) -> Result<SurveyPage, AppError> {
    let ov = service::overview(state.db(), p, period, survey).await?;
    let links = service::links(state.db(), p, period, survey).await?;
    let name = period_name(state, p, period).await;
    Ok(SurveyPage::new(ctx, &name, &ov, &links, notice, errors))
}

/// `GET /ky/{period}/dieu-tra/{survey}`.
async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSurvey { period, survey }: InSurvey,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let notice = done
        .notice(NOTICES)
        .map(|n| n.arg("n", done.n.as_deref().unwrap_or("0")).text(ctx.lang));
    let page = survey_view(&state, ctx, &p, &period, &survey, notice, Vec::new()).await?;
    Ok(render(&page)?.into_response())
}

/// The survey's page again with a refusal.
async fn refused(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    period: &PeriodCode,
    survey: &str,
    e: ServiceError,
) -> Result<Response, AppError> {
    let (status, e) = on_form(e)?;
    let m = messages(&ctx, &e);
    let page = survey_view(state, ctx, p, period, survey, None, m).await?;
    Ok((status, render(&page)?).into_response())
}

/// The survey page with notice `ok` (and count `n`) after a change, or the page again with
/// the refusal.
async fn done_or_refused(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    period: &PeriodCode,
    survey: &str,
    result: Result<Option<usize>, ServiceError>,
    ok: &str,
) -> Result<Response, AppError> {
    match result {
        Ok(n) => {
            let count = n.map(|n| format!("&n={n}")).unwrap_or_default();
            Ok(Redirect::to(&format!(
                "{}?ok={ok}{count}",
                survey_href(period.as_str(), survey)
            ))
            .into_response())
        }
        Err(e) => refused(state, ctx, p, period, survey, e).await,
    }
}

/// `GET /ky/{period}/dieu-tra/{survey}/phieu.xlsx`: the questionnaire workbook.
async fn workbook(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    InSurvey { period, survey }: InSurvey,
) -> Result<Response, AppError> {
    let s = service::get(state.db(), &p, &period, &survey).await?;
    let bytes = chiso_formats::survey::questionnaire_xlsx(&s.definition).map_err(export_failed)?;
    Ok(xlsx(&format!("phieu-{}.xlsx", s.code), bytes))
}

/// The respondent group a form is asked for.
#[derive(Debug, serde::Deserialize)]
struct GroupQuery {
    nhom: String,
}

/// `GET /ky/{period}/dieu-tra/{survey}/xlsform.xlsx?nhom={group}`: the XLSForm of one
/// group's questionnaire, for ODK or KoboToolbox.
async fn xlsform(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    InSurvey { period, survey }: InSurvey,
    Query(GroupQuery { nhom: group }): Query<GroupQuery>,
) -> Result<Response, AppError> {
    let (s, units) = service::group_units(state.db(), &p, &period, &survey, &group).await?;
    let bytes = chiso_formats::survey::xlsform_xlsx(&s.definition, &group, &units)
        .map_err(export_failed)?;
    Ok(xlsx(&format!("xlsform-{}-{group}.xlsx", s.code), bytes))
}

/// `POST …/dinh-nghia` (multipart): a changed questionnaire workbook replaces the definition.
async fn redefine(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSurvey { period, survey }: InSurvey,
    form: Multipart,
) -> Result<Response, AppError> {
    service::require_manage(&p, &period)?;
    let Some((_, name, bytes)) = one_file(form, import_limit())
        .await
        .filter(|f| !f.1.is_empty())
    else {
        let m = vec![ctx.t("survey.choose_file").to_owned()];
        let page = survey_view(&state, ctx, &p, &period, &survey, None, m).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    let result = match chiso_formats::survey::read_questionnaire_bytes(&name, &bytes) {
        Ok(def) => {
            let now = state.config().clock.now();
            service::redefine(state.db(), &p, &period, &survey, &def, now).await
        }
        Err(errors) => Err(ServiceError::from(errors)),
    };
    let result = result.map(|()| None);
    done_or_refused(&state, ctx, &p, &period, &survey, result, "redefined").await
}

/// The period's groups of units with their survey leaves, which the form's selects offer.
async fn choices_of(
    state: &AppState,
    p: &Principal,
    period: &PeriodCode,
) -> Result<Vec<UnitGroup>, AppError> {
    Ok(service::form_choices(state.db(), p, period)
        .await?
        .iter()
        .map(UnitGroup::from)
        .collect())
}

/// What the questionnaire form is shown for: a period, and the survey when one is edited.
struct Composing<'a> {
    period: &'a PeriodCode,
    survey: Option<&'a Survey>,
    choices: &'a [UnitGroup],
}

/// The questionnaire form with `draft`, its mistakes and the field to put the cursor in.
async fn form_response(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    at: &Composing<'_>,
    (draft, errors, focus): (&Draft, &Errors, Option<String>),
    status: StatusCode,
) -> Result<Response, AppError> {
    let name = period_name(state, p, at.period).await;
    let frame = Frame {
        period: at.period.as_str(),
        period_name: &name,
        survey: at.survey.map(|s| (s.code.as_str(), s.name.as_str())),
        choices: at.choices,
        focus,
    };
    let page = FormPage::new(ctx, &frame, draft, errors);
    Ok((status, render(&page)?).into_response())
}

/// The form filled in with `definition`.
async fn show_form(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    period: &PeriodCode,
    survey: Option<&Survey>,
    definition: &chiso_domain::questionnaire::SurveyDefinition,
) -> Result<Response, AppError> {
    let choices = choices_of(state, p, period).await?;
    let mut draft = Draft::of(definition);
    draft.arrange_leaves(&choices);
    let at = Composing {
        period,
        survey,
        choices: &choices,
    };
    let errors = Errors::default();
    form_response(state, ctx, p, &at, (&draft, &errors, None), StatusCode::OK).await
}

/// `GET /ky/{period}/dieu-tra/soan`: a new survey on the form, filled in from the period's
/// survey leaves (as the template workbook is).
async fn compose_new(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InPeriod { period }: InPeriod,
) -> Result<Response, AppError> {
    let def = service::template(state.db(), &p, &period).await?;
    show_form(&state, ctx, &p, &period, None, &def).await
}

/// `GET …/{survey}/soan`: an open survey's definition on the form.
async fn compose_edit(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSurvey { period, survey }: InSurvey,
) -> Result<Response, AppError> {
    let s = service::get(state.db(), &p, &period, &survey).await?;
    if s.status != STATUS_OPEN {
        let e = ServiceError::new(codes::SURVEY_CLOSED).arg("survey", &s.code);
        return refused(&state, ctx, &p, &period, &survey, e).await;
    }
    show_form(&state, ctx, &p, &period, Some(&s), &s.definition).await
}

/// `POST /ky/{period}/dieu-tra/soan`.
async fn compose_new_post(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InPeriod { period }: InPeriod,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    compose_post(&state, ctx, &p, &period, None, &fields).await
}

/// `POST …/{survey}/soan`.
async fn compose_edit_post(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSurvey { period, survey }: InSurvey,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let s = service::get(state.db(), &p, &period, &survey).await?;
    compose_post(&state, ctx, &p, &period, Some(&s), &fields).await
}

/// A posted questionnaire form: a row button shows it again with the row added or removed;
/// saving turns it into a definition, checked against the period, then creates or
/// redefines the survey. Every mistake is shown next to its field, with what was typed.
async fn compose_post(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    period: &PeriodCode,
    survey: Option<&Survey>,
    fields: &[(String, String)],
) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let choices = choices_of(state, p, period).await?;
    let at = Composing {
        period,
        survey,
        choices: &choices,
    };
    let form::Posted {
        mut draft,
        action,
        refused,
    } = form::read(lang, fields);
    if !refused.is_empty() {
        draft.arrange_leaves(&choices);
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return form_response(state, ctx, p, &at, (&draft, &refused, None), status).await;
    }
    if action != Action::Save {
        let applied = draft.apply(lang, action, &choices);
        let status = if applied.refused.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let shown = (&draft, &applied.refused, applied.focus);
        return form_response(state, ctx, p, &at, shown, status).await;
    }
    draft.arrange_leaves(&choices);
    let fixed = survey.map(|s| s.code.as_str());
    let built = draft.build(lang, fixed);
    let mut errors = built.errors;
    let problems = service::definition_problems(state.db(), p, period, &built.definition).await?;
    draft.place(lang, &problems, fixed.is_some(), &mut errors);
    if !errors.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return form_response(state, ctx, p, &at, (&draft, &errors, None), status).await;
    }
    let now = state.config().clock.now();
    let saved = match survey {
        None => service::create(state.db(), p, period, &built.definition, now)
            .await
            .map(|s| (s.code, "created")),
        Some(s) => service::redefine(state.db(), p, period, &s.code, &built.definition, now)
            .await
            .map(|()| (s.code.clone(), "redefined")),
    };
    match saved {
        Ok((code, ok)) => Ok(Redirect::to(&format!(
            "{}?ok={ok}",
            survey_href(period.as_str(), &code)
        ))
        .into_response()),
        Err(e) => {
            let (status, e) = on_form(e)?;
            if e.is(codes::SURVEY_EXISTS) {
                errors.add("code", messages(&ctx, &e).join(" "));
            } else {
                for m in messages(&ctx, &e) {
                    errors.add(form::GENERAL, m);
                }
            }
            form_response(state, ctx, p, &at, (&draft, &errors, None), status).await
        }
    }
}

/// `POST …/nhap-phieu` (multipart): an answer file is read and checked; its preview says what
/// importing it adds, or lists every problem. Nothing is stored until it is confirmed.
async fn upload(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSurvey { period, survey }: InSurvey,
    form: Multipart,
) -> Result<Response, AppError> {
    service::require_manage(&p, &period)?;
    let limit = state.config().answer_file_limit;
    let Some((parts, name, bytes)) = one_file(form, limit).await.filter(|f| !f.1.is_empty()) else {
        let m = vec![ctx.t("survey.choose_file").to_owned()];
        let page = survey_view(&state, ctx, &p, &period, &survey, None, m).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    let group = parts.get("group").map(str::to_owned);
    if !state.survey_jobs().has_room() {
        return Err(AppError::Service(ServiceError::new(
            chiso_services::codes::BUSY,
        )));
    }
    let now = state.config().clock.now();
    let kept_id = state.previews().keep(
        Kept {
            login: p.login.clone(),
            period: period.clone(),
            about: format!("survey:{survey}:{}", group.clone().unwrap_or_default()),
            file_name: name.clone(),
            bytes: bytes.clone(),
        },
        now,
    );
    let tmp = temp_copy(&bytes)?;
    drop(bytes);
    let file = AnswerFile {
        path: tmp.path().to_owned(),
        file_name: name,
        group,
    };
    let id = start_job(&state, &p, &period, &survey, now);
    let jobs = state.survey_jobs().clone();
    let db = state.db().clone();
    let job = id.clone();
    let (period_code, survey_code) = (period.clone(), survey.clone());
    tokio::spawn(async move {
        let progress = {
            let (jobs, job) = (jobs.clone(), job.clone());
            move |pr| jobs.progress(&job, pr)
        };
        let outcome =
            service::preview_answers(&db, &p, &period_code, &survey_code, &file, progress).await;
        drop(tmp);
        jobs.finish(
            &job,
            match outcome {
                Ok(preview) => jobs::State::Previewed {
                    preview,
                    kept: kept_id,
                },
                Err(e) => jobs::State::Failed(e),
            },
        );
    });
    Ok(Redirect::to(&progress_href(period.as_str(), &(survey, id))).into_response())
}

/// The page following a job.
fn progress_href(period: &str, (survey, id): &(String, String)) -> String {
    format!("{}/tien-trinh/{id}", survey_href(period, survey))
}

/// Registers a running job of `p` on the survey.
fn start_job(
    state: &AppState,
    p: &Principal,
    period: &PeriodCode,
    survey: &str,
    now: time::OffsetDateTime,
) -> String {
    state.survey_jobs().start(
        jobs::Job {
            login: p.login.clone(),
            period: period.clone(),
            survey: survey.to_owned(),
            started: now,
            progress: chiso_formats::survey::Progress::default(),
            state: jobs::State::Running,
        },
        now,
    )
}

/// What the progress page shows once a job has ended.
enum Ended {
    Running((u64, usize, usize, Option<i64>)),
    Previewed(chiso_services::surveys::AnswersPreview, String),
    Imported(u64),
    Failed(StatusCode, Vec<String>),
}

/// `GET …/tien-trinh/{job}`: how far the reading or import has come (the page reloads every
/// second), then the preview, the refusal, or the survey page with the import's notice.
async fn progress(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSurvey { period, survey }: InSurvey,
    Path((_, _, id)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    service::require_manage(&p, &period)?;
    let now = state.config().clock.now();
    let lang = ctx.lang;
    let ended = state
        .survey_jobs()
        .with(&id, &p.login, &period, &survey, |job| match &job.state {
            jobs::State::Running => Ended::Running(jobs::estimate(job, now)),
            jobs::State::Previewed { preview, kept } => {
                Ended::Previewed(preview.clone(), kept.clone())
            }
            jobs::State::Imported(counts) => Ended::Imported(counts.respondents_added),
            jobs::State::Failed(e) => Ended::Failed(
                match e.kind() {
                    Kind::Conflict => StatusCode::CONFLICT,
                    Kind::Invalid | Kind::TooLarge => StatusCode::UNPROCESSABLE_ENTITY,
                    kind => crate::error::status_of(kind),
                },
                messages_in(lang, e),
            ),
        });
    let Some(ended) = ended else {
        let m = vec![ctx.t("survey.preview_expired").to_owned()];
        let page = survey_view(&state, ctx, &p, &period, &survey, None, m).await?;
        return Ok((StatusCode::CONFLICT, render(&page)?).into_response());
    };
    match ended {
        Ended::Running(figures) => {
            let page =
                views::ProgressPage::new(ctx, survey_href(period.as_str(), &survey), figures);
            Ok(render(&page)?.into_response())
        }
        Ended::Previewed(preview, kept) => {
            let s = service::get(state.db(), &p, &period, &survey).await?;
            let page = PreviewPage::new(ctx, &s, &preview, kept);
            Ok(render(&page)?.into_response())
        }
        Ended::Imported(n) => Ok(Redirect::to(&format!(
            "{}?ok=imported&n={n}",
            survey_href(period.as_str(), &survey)
        ))
        .into_response()),
        Ended::Failed(status, m) => {
            let page = survey_view(&state, ctx, &p, &period, &survey, None, m).await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

/// The uploaded bytes in a temporary file, which the readers stream from.
fn temp_copy(bytes: &[u8]) -> Result<tempfile::NamedTempFile, AppError> {
    use std::io::Write;
    let mut f =
        tempfile::NamedTempFile::new().map_err(|e| AppError::Service(ServiceError::internal(e)))?;
    f.write_all(bytes)
        .map_err(|e| AppError::Service(ServiceError::internal(e)))?;
    Ok(f)
}

/// `POST …/xac-nhan`: imports the previewed file in one transaction.
async fn confirm(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSurvey { period, survey }: InSurvey,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    service::require_manage(&p, &period)?;
    let id = field(&fields, "id");
    let now = state.config().clock.now();
    let prefix = format!("survey:{survey}:");
    let Some(kept) = state
        .previews()
        .get(&id, &p.login, &period, now)
        .filter(|k| k.about.starts_with(&prefix))
    else {
        let m = vec![ctx.t("survey.preview_expired").to_owned()];
        let page = survey_view(&state, ctx, &p, &period, &survey, None, m).await?;
        return Ok((StatusCode::CONFLICT, render(&page)?).into_response());
    };
    let group = kept.about[prefix.len()..].to_owned();
    if !state.survey_jobs().has_room() {
        return Err(AppError::Service(ServiceError::new(
            chiso_services::codes::BUSY,
        )));
    }
    let tmp = temp_copy(&kept.bytes)?;
    let file = AnswerFile {
        path: tmp.path().to_owned(),
        file_name: kept.file_name,
        group: (!group.is_empty()).then_some(group),
    };
    state.previews().forget(&id);
    let job = start_job(&state, &p, &period, &survey, now);
    let jobs = state.survey_jobs().clone();
    let db = state.db().clone();
    let (job_id, period_code, survey_code) = (job.clone(), period.clone(), survey.clone());
    tokio::spawn(async move {
        let progress = {
            let (jobs, job) = (jobs.clone(), job_id.clone());
            move |pr| jobs.progress(&job, pr)
        };
        let outcome =
            service::import_answers(&db, &p, &period_code, &survey_code, &file, now, progress)
                .await;
        drop(tmp);
        jobs.finish(
            &job_id,
            match outcome {
                Ok(done) => jobs::State::Imported(done.counts),
                Err(e) => jobs::State::Failed(e),
            },
        );
    });
    Ok(Redirect::to(&progress_href(period.as_str(), &(survey, job))).into_response())
}

fn field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// `POST …/khoa`: writes the points into the survey leaves and closes the survey.
async fn close(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSurvey { period, survey }: InSurvey,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let result = service::close(state.db(), &p, &period, &survey, now)
        .await
        .map(|done| Some(done.changed));
    done_or_refused(&state, ctx, &p, &period, &survey, result, "closed").await
}

/// The address respondents open, from the address this request came to.
fn link_url(headers: &HeaderMap, secure: bool, token: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let scheme = if secure { "https" } else { "http" };
    format!("{scheme}://{host}/phieu/{token}")
}

/// `POST …/duong-dan`: issues links and shows them once (only their digests are kept).
async fn issue(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSurvey { period, survey }: InSurvey,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let cmd = IssueLinks {
        group: field(&fields, "group"),
        personal: field(&fields, "kind") != "group",
        count: field(&fields, "count"),
        label: field(&fields, "label"),
    };
    let now = state.config().clock.now();
    match service::issue_links(state.db(), &p, &period, &survey, &cmd, now).await {
        Ok(issued) => {
            let secure = state.config().secure_cookies;
            let links: Vec<(String, String)> = issued
                .iter()
                .map(|l| (l.label.clone(), link_url(&headers, secure, &l.token)))
                .collect();
            let all = links
                .iter()
                .map(|(label, url)| format!("{label}\t{url}"))
                .collect::<Vec<_>>()
                .join("\n");
            let page = LinksPage {
                title: ctx.t("survey.links_issued_title").to_owned(),
                survey_href: survey_href(period.as_str(), &survey),
                links,
                all,
                ctx,
            };
            Ok(render(&page)?.into_response())
        }
        Err(e) => refused(&state, ctx, &p, &period, &survey, e).await,
    }
}

/// `POST …/thu-hoi`: revokes one link.
async fn revoke(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSurvey { period, survey }: InSurvey,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let digest = field(&fields, "link");
    let result = service::revoke_link(state.db(), &p, &period, &survey, &digest, now)
        .await
        .map(|()| None);
    done_or_refused(&state, ctx, &p, &period, &survey, result, "revoked").await
}

/// `GET …/do-tin-cay`: each unit's 90 % intervals of survey points, total and rank, and the
/// neighbours whose order the answers do not settle.
async fn intervals(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSurvey { period, survey }: InSurvey,
) -> Result<Response, AppError> {
    let (s, groups) = service::intervals(state.db(), &p, &period, &survey).await?;
    let page = views::IntervalsPage::new(ctx, &s, &groups);
    Ok(render(&page)?.into_response())
}

async fn cell_view(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    at: &SurveyCell,
) -> Result<CellPage, AppError> {
    let b = service::breakdown(state.db(), p, &at.period, &at.survey, &at.unit, &at.node).await?;
    let name = period_name(state, p, &at.period).await;
    Ok(CellPage::new(ctx, &name, &b))
}

/// `GET …/{unit}/{node}`: the answers behind one unit's points on one leaf.
async fn cell(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    at: SurveyCell,
) -> Result<Response, AppError> {
    let page = cell_view(&state, ctx, &p, &at).await?;
    Ok(render(&page)?.into_response())
}

/// `POST …/{unit}/{node}/quyet-dinh`: keep the computed points or set them, with a reason.
async fn decide(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    at: SurveyCell,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let keep = field(&fields, "decision") != "manual";
    let d = Decide {
        unit: at.unit.clone(),
        leaf: at.node.clone(),
        points: (!keep).then(|| field(&fields, "points")),
        reason: field(&fields, "reason"),
    };
    let now = state.config().clock.now();
    match service::decide(state.db(), &p, &at.period, &at.survey, &d, now).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "{}?ok=decided",
            survey_href(at.period.as_str(), &at.survey)
        ))
        .into_response()),
        Err(e) => {
            let (status, e) = on_form(e)?;
            let m = messages(&ctx, &e);
            let mut page = cell_view(&state, ctx, &p, &at).await?;
            page.errors = m;
            page.typed_points = d.points.unwrap_or_default();
            page.typed_reason = d.reason;
            Ok((status, render(&page)?).into_response())
        }
    }
}

/// Cookie of the response a browser started through a group link, scoped to that link's
/// address so that each link keeps its own.
const RESPONSE_COOKIE: &str = "phieu";

fn response_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix("phieu="))
        .find(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_owned)
}

/// A link's token as typed in the address: hex only, of a sensible length.
fn token_of(raw: &str) -> Result<&str, AppError> {
    (raw.len() <= 128 && raw.chars().all(|c| c.is_ascii_hexdigit()))
        .then_some(raw)
        .ok_or(AppError::Service(ServiceError::new(
            chiso_services::codes::SURVEY_LINK_INVALID,
        )))
}

/// `GET /phieu/{token}`: the questionnaire, with what this browser saved before.
async fn questionnaire(
    State(state): State<AppState>,
    mut ctx: PageCtx,
    session: Session,
    Path(token): Path<String>,
    headers: HeaderMap,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let token = token_of(&token)?;
    let q = service::questionnaire(state.db(), token, response_cookie(&headers).as_deref()).await?;
    ctx.csrf = crate::auth::csrf::ensure_token(&session).await?;
    ctx.forms = true;
    let mut page = QuestionnairePage::new(ctx, &q, format!("/phieu/{token}"), None);
    page.notice = match done.ok.as_deref() {
        Some("saved") => Some(page.ctx.t("survey.q_saved").to_owned()),
        Some("sent") => Some(page.ctx.t("survey.q_sent").to_owned()),
        _ => None,
    };
    Ok(render(&page)?.into_response())
}

/// `POST /phieu/{token}`: saves the answers for later, or sends them.
async fn answer(
    State(state): State<AppState>,
    mut ctx: PageCtx,
    session: Session,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let token = token_of(&token)?.to_owned();
    let given: Vec<(String, String, String)> = fields
        .iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix("a:")?;
            let (unit, question) = rest.rsplit_once(':')?;
            Some((unit.to_owned(), question.to_owned(), v.trim().to_owned()))
        })
        .take(chiso_services::surveys::MAX_WEB_ANSWERS)
        .collect();
    let submit = field(&fields, "action") == "send";
    let cookie = response_cookie(&headers);
    let now = state.config().clock.now();
    let cmd = WebAnswers {
        answers: given.clone(),
        submit,
    };
    match service::answer(state.db(), &token, cookie.as_deref(), &cmd, now).await {
        Ok(respondent) => {
            let to = format!(
                "/phieu/{token}?ok={}",
                if submit { "sent" } else { "saved" }
            );
            let mut resp = Redirect::to(&to).into_response();
            let secure = if state.config().secure_cookies {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{RESPONSE_COOKIE}={respondent}; Path=/phieu/{token}; Max-Age=7776000; \
                 SameSite=Lax; HttpOnly{secure}"
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(resp)
        }
        Err(e) => {
            let (status, e) = on_form(e)?;
            let q = service::questionnaire(state.db(), &token, cookie.as_deref()).await?;
            ctx.csrf = crate::auth::csrf::ensure_token(&session).await?;
            ctx.forms = true;
            let m = messages(&ctx, &e);
            let mut page = QuestionnairePage::new(ctx, &q, format!("/phieu/{token}"), Some(&given));
            page.errors = m;
            Ok((status, render(&page)?).into_response())
        }
    }
}

/// Whether the person may run the surveys of `period` (for links from other pages).
pub(crate) fn may_manage(p: &Principal, period: &PeriodCode) -> bool {
    service::require_manage(p, period).is_ok()
}

/// The list's address, for links from other pages.
pub(crate) fn href(period: &PeriodCode) -> String {
    list_href(period.as_str())
}

#[cfg(test)]
mod tests {
    use super::views::answer_field;

    #[test]
    fn an_answer_field_names_its_unit_and_question() {
        assert_eq!(answer_field("SNV", "C1"), "a:SNV:C1");
    }
}
