//! Administration of index sets: import, browse, validate, clone into a draft, edit the draft,
//! freeze, download as YAML.
//!
//! Handlers are thin: extract → call [`service`] (which authorizes and validates) → redirect
//! after a change, or render the page again with status 422 (invalid input, the typed values
//! kept) or 409 (a frozen set) and the precise errors. Anonymous visitors are sent to sign in.

mod service;
mod views;

pub(crate) use views::method_text;

use axum::Form;
use axum::Router;
use axum::extract::{Multipart, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chiso_domain::{NodeCode, Principal, SetCode};
use serde::Deserialize;

use chiso_services::index_sets::{self, ImportIndexSet};
use chiso_services::{Detail, Kind, ServiceError};

use self::service::{NodeFields, SetError, SetInfo};
use self::views::{DetailDrafts, FileErrorRow, NodeDrafts, SETS, node_href, set_href};
use crate::auth::SignedIn;
use crate::error::{FormError, service_message};
use crate::format;
use crate::multipart::{self, Bounds, Oversize, Received, import_limit};
use crate::notice::Done;
use crate::pages::{PageCtx, render};
use crate::paths::{InSet, SetNode};
use crate::{AppError, AppState};

/// The routes of index set administration.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(SETS, get(list).post(import))
        .route("/quan-tri/bo-chi-so/{set}", get(detail))
        .route("/quan-tri/bo-chi-so/{set}/tai-xuong", get(download))
        .route("/quan-tri/bo-chi-so/{set}/nhan-ban", post(clone_set))
        .route("/quan-tri/bo-chi-so/{set}/khoa", post(freeze))
        .route("/quan-tri/bo-chi-so/{set}/thong-tin", post(edit_info))
        .route("/quan-tri/bo-chi-so/{set}/them", post(add_area))
        .route(
            "/quan-tri/bo-chi-so/{set}/tieu-chi/{node}",
            get(node).post(edit_node),
        )
        .route(
            "/quan-tri/bo-chi-so/{set}/tieu-chi/{node}/them",
            post(add_child),
        )
        .route(
            "/quan-tri/bo-chi-so/{set}/tieu-chi/{node}/xoa",
            post(remove_node),
        )
}

/// The notices after a redirect (`?ok=<what>`).
const NOTICES: &[(&str, &str)] = &[
    ("imported", "sets.done.imported"),
    ("cloned", "sets.done.cloned"),
    ("cloned_shifted", "sets.done.cloned_shifted"),
    ("cloned_kept", "sets.done.cloned_kept"),
    ("saved", "sets.done.saved"),
    ("added", "sets.done.added"),
    ("removed", "sets.done.removed"),
    ("frozen", "sets.done.frozen"),
];

fn notice(ctx: &PageCtx, done: &Done) -> Option<String> {
    // Only a count is shown, never the text of the address.
    let n = done
        .n
        .as_deref()
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    done.notice(NOTICES)
        .map(|notice| notice.arg("n", n).text(ctx.lang))
}

fn done(href: &str, what: &str) -> Response {
    Redirect::to(&format!("{href}?ok={what}")).into_response()
}

/// A refused change as the status and messages of the page shown again.
fn refusal(ctx: &PageCtx, e: SetError) -> Result<(StatusCode, Vec<String>), AppError> {
    match e {
        SetError::App(e) => Err(e),
        SetError::Locked(code) => Ok((
            StatusCode::CONFLICT,
            vec![
                FormError::new("sets.error.locked")
                    .arg("code", code)
                    .message(ctx.lang),
            ],
        )),
        SetError::Invalid(errors) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            errors.iter().map(|e| e.message(ctx.lang)).collect(),
        )),
        // Only the problems are shown, each naming its criterion, as the form's list.
        SetError::Refused(e) if e.kind() == Kind::Invalid => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            crate::error::detail_lines(ctx.lang, e.details()),
        )),
        SetError::Refused(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The list and the import

/// Why an uploaded file was not imported.
#[derive(Debug)]
enum ImportFailure {
    /// The upload itself could not be read.
    Form(FormError),
    /// The import service refused the file (every problem of the file in its details).
    Service(ServiceError),
}

/// Renders the list, with the outcome of a failed import.
async fn list_page(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    notice: Option<String>,
    failure: Option<ImportFailure>,
    replace: bool,
) -> Result<Response, AppError> {
    let list = index_sets::list(state.db(), p).await?;
    let lang = ctx.lang;
    let mut page = views::ListPage::new(ctx, list.access.manage(), &list.items);
    page.notice = notice;
    page.replace = replace;
    let status = match failure {
        None => StatusCode::OK,
        Some(ImportFailure::Form(e)) => {
            page.errors.push(e.message(lang));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Some(ImportFailure::Service(e)) => match (e.kind(), e.details()) {
            (Kind::Forbidden | Kind::Internal | Kind::Unavailable, _) => return Err(e.into()),
            (_, Some(Detail::Import(errors))) => {
                let errors = errors.errors();
                page.errors
                    .push(lang.tf("sets.import.failed", &[("n", &errors.len().to_string())]));
                page.file_errors = errors.iter().map(|e| FileErrorRow::new(lang, e)).collect();
                StatusCode::UNPROCESSABLE_ENTITY
            }
            _ => {
                page.errors.push(service_message(lang, &e));
                StatusCode::UNPROCESSABLE_ENTITY
            }
        },
    };
    Ok((status, render(&page)?).into_response())
}

/// `GET /quan-tri/bo-chi-so`: the sets, and for administrators the import form.
async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    Query(d): Query<Done>,
) -> Result<Response, AppError> {
    let notice = notice(&ctx, &d);
    list_page(&state, ctx, &p, notice, None, false).await
}

/// `POST /quan-tri/bo-chi-so` (multipart: `file`, optional `replace`): imports a set.
async fn import(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    form: Multipart,
) -> Result<Response, AppError> {
    if !index_sets::access(&p)?.manage() {
        return Err(AppError::Forbidden);
    }
    // The last file sent is the one imported; a larger one than the importer takes keeps one
    // byte too many, for the importer to refuse it by its size.
    let read = multipart::read(form, Bounds::new(import_limit(), Oversize::Keep)).await;
    let replace = read
        .as_ref()
        .is_ok_and(|parts| parts.value("replace").is_some());
    let outcome = match read.map(|mut parts| parts.files.pop()) {
        Err(_) => Err(ImportFailure::Form(FormError::new(
            "sets.import.unreadable",
        ))),
        Ok(None) => Err(ImportFailure::Form(FormError::new("sets.import.no_file"))),
        Ok(Some(Received {
            name: file_name,
            content: bytes,
        })) => {
            let now = state.config().clock.now();
            let cmd = ImportIndexSet {
                file_name,
                bytes,
                replace,
            };
            index_sets::import(state.db(), &p, &cmd, now)
                .await
                .map_err(ImportFailure::Service)
        }
    };
    match outcome {
        Ok(done_) => Ok(done(&set_href(done_.code.as_str()), "imported")),
        Err(f) => list_page(&state, ctx, &p, None, Some(f), replace).await,
    }
}

// ---------------------------------------------------------------------------------------------
// One set

/// Renders a set's page, with the errors and typed values of a failed post.
async fn detail_page(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    code: &SetCode,
    notice: Option<String>,
    failure: Option<(SetError, DetailDrafts)>,
) -> Result<Response, AppError> {
    let loaded = index_sets::load(state.db(), p, code).await?;
    let (status, errors, drafts) = match failure {
        None => (StatusCode::OK, Vec::new(), DetailDrafts::default()),
        Some((e, drafts)) => {
            let (status, errors) = refusal(&ctx, e)?;
            (status, errors, drafts)
        }
    };
    let mut page = views::DetailPage::new(ctx, &loaded, drafts);
    page.notice = notice;
    page.errors = errors;
    Ok((status, render(&page)?).into_response())
}

/// `GET /quan-tri/bo-chi-so/{set}`: the tree, class bands, ranking rule and validation.
async fn detail(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSet { set: code }: InSet,
    Query(d): Query<Done>,
) -> Result<Response, AppError> {
    let notice = notice(&ctx, &d);
    detail_page(&state, ctx, &p, &code, notice, None).await
}

/// `GET /quan-tri/bo-chi-so/{set}/tai-xuong`: the set as a YAML file.
async fn download(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    InSet { set: code }: InSet,
) -> Result<Response, AppError> {
    let text = index_sets::yaml(state.db(), &p, &code).await?;
    let ascii: String = code
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}.yaml\"; filename*=UTF-8''{}.yaml",
        format::segment(code.as_str())
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/yaml; charset=utf-8".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct InfoForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    decision: String,
    /// The clone's checkbox "move the dated rules to the new year" (absent when unticked).
    shift_dates: Option<String>,
}

impl From<InfoForm> for SetInfo {
    fn from(f: InfoForm) -> Self {
        SetInfo {
            code: f.code.trim().to_owned(),
            name: f.name,
            year: f.year,
            decision: f.decision,
            shift: f.shift_dates.is_some(),
        }
    }
}

/// `POST /quan-tri/bo-chi-so/{set}/nhan-ban`: copies the set into a new draft.
async fn clone_set(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSet { set: code }: InSet,
    Form(f): Form<InfoForm>,
) -> Result<Response, AppError> {
    let info = SetInfo::from(f);
    let now = state.config().clock.now();
    match service::clone_set(state.db(), &p, &code, &info, now).await {
        Ok(cloned) => {
            let href = set_href(cloned.code.as_str());
            Ok(match (cloned.shifted.len(), cloned.kept.len()) {
                (0, 0) => done(&href, "cloned"),
                (0, kept) => done(&href, &format!("cloned_kept&n={kept}")),
                (shifted, _) => done(&href, &format!("cloned_shifted&n={shifted}")),
            })
        }
        Err(e) => {
            let drafts = DetailDrafts {
                clone: Some(info),
                ..DetailDrafts::default()
            };
            detail_page(&state, ctx, &p, &code, None, Some((e, drafts))).await
        }
    }
}

/// `POST /quan-tri/bo-chi-so/{set}/thong-tin`: a draft's name, year and decision.
async fn edit_info(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSet { set: code }: InSet,
    Form(f): Form<InfoForm>,
) -> Result<Response, AppError> {
    let info = SetInfo::from(f);
    let now = state.config().clock.now();
    match service::edit_info(state.db(), &p, &code, &info, now).await {
        Ok(()) => Ok(done(&set_href(code.as_str()), "saved")),
        Err(e) => {
            let drafts = DetailDrafts {
                info: Some(info),
                ..DetailDrafts::default()
            };
            detail_page(&state, ctx, &p, &code, None, Some((e, drafts))).await
        }
    }
}

/// `POST /quan-tri/bo-chi-so/{set}/khoa`: freezes the set.
async fn freeze(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    InSet { set: code }: InSet,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    index_sets::freeze(state.db(), &p, &code, now).await?;
    Ok(done(&set_href(code.as_str()), "frozen"))
}

/// A criterion form as posted.
#[derive(Debug, Deserialize)]
struct FieldsPost {
    #[serde(default)]
    code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    max: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    params: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    not_applicable: String,
    /// A checkbox: present when ticked.
    propagate: Option<String>,
}

impl From<FieldsPost> for NodeFields {
    fn from(f: FieldsPost) -> Self {
        NodeFields {
            code: f.code.trim().to_owned(),
            title: f.title,
            max: f.max,
            source: f.source,
            method: f.method,
            params: f.params,
            rule: f.rule,
            evidence: f.evidence,
            not_applicable: f.not_applicable,
            propagate: f.propagate.is_some(),
        }
    }
}

/// `POST /quan-tri/bo-chi-so/{set}/them`: adds an area (a top-level leaf, to be split later).
async fn add_area(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    InSet { set: code }: InSet,
    Form(f): Form<FieldsPost>,
) -> Result<Response, AppError> {
    let fields = NodeFields::from(f);
    let now = state.config().clock.now();
    match service::add_node(state.db(), &p, &code, None, &fields, now).await {
        Ok(new) => Ok(done(&node_href(code.as_str(), new.as_str()), "added")),
        Err(e) => {
            let drafts = DetailDrafts {
                add: Some(fields),
                ..DetailDrafts::default()
            };
            detail_page(&state, ctx, &p, &code, None, Some((e, drafts))).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One criterion

/// Renders a criterion's page, with the errors and typed values of a failed post.
async fn node_page(
    state: &AppState,
    ctx: PageCtx,
    p: &Principal,
    code: &SetCode,
    node: &NodeCode,
    notice: Option<String>,
    failure: Option<(SetError, NodeDrafts)>,
) -> Result<Response, AppError> {
    let loaded = index_sets::load(state.db(), p, code).await?;
    let (status, errors, drafts) = match failure {
        None => (StatusCode::OK, Vec::new(), NodeDrafts::default()),
        Some((e, drafts)) => {
            let (status, errors) = refusal(&ctx, e)?;
            (status, errors, drafts)
        }
    };
    let mut page =
        views::NodePage::new(ctx, &loaded, node, drafts).ok_or(AppError::PageNotFound)?;
    page.notice = notice;
    page.errors = errors;
    Ok((status, render(&page)?).into_response())
}

/// `GET /quan-tri/bo-chi-so/{set}/tieu-chi/{node}`: one criterion, its edit and add forms.
async fn node(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    SetNode { set: code, node }: SetNode,
    Query(d): Query<Done>,
) -> Result<Response, AppError> {
    let notice = notice(&ctx, &d);
    node_page(&state, ctx, &p, &code, &node, notice, None).await
}

/// `POST /quan-tri/bo-chi-so/{set}/tieu-chi/{node}`: saves the criterion's fields.
async fn edit_node(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    SetNode { set: code, node }: SetNode,
    Form(f): Form<FieldsPost>,
) -> Result<Response, AppError> {
    let fields = NodeFields::from(f);
    let now = state.config().clock.now();
    match service::edit_node(state.db(), &p, &code, &node, &fields, now).await {
        Ok(()) => Ok(done(&node_href(code.as_str(), node.as_str()), "saved")),
        Err(e) => {
            let drafts = NodeDrafts {
                edit: Some(fields),
                ..NodeDrafts::default()
            };
            node_page(&state, ctx, &p, &code, &node, None, Some((e, drafts))).await
        }
    }
}

/// `POST /quan-tri/bo-chi-so/{set}/tieu-chi/{node}/them`: adds a leaf under the criterion.
async fn add_child(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    SetNode { set: code, node }: SetNode,
    Form(f): Form<FieldsPost>,
) -> Result<Response, AppError> {
    let fields = NodeFields::from(f);
    let now = state.config().clock.now();
    match service::add_node(state.db(), &p, &code, Some(&node), &fields, now).await {
        Ok(new) => Ok(done(&node_href(code.as_str(), new.as_str()), "added")),
        Err(e) => {
            let drafts = NodeDrafts {
                add: Some(fields),
                ..NodeDrafts::default()
            };
            node_page(&state, ctx, &p, &code, &node, None, Some((e, drafts))).await
        }
    }
}

#[derive(Debug, Deserialize)]
struct RemovePost {
    propagate: Option<String>,
}

/// `POST /quan-tri/bo-chi-so/{set}/tieu-chi/{node}/xoa`: removes the criterion and its
/// children.
async fn remove_node(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(p): SignedIn,
    SetNode { set: code, node }: SetNode,
    Form(f): Form<RemovePost>,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let propagate = f.propagate.is_some();
    match service::remove_node(state.db(), &p, &code, &node, propagate, now).await {
        Ok(()) => Ok(done(&set_href(code.as_str()), "removed")),
        Err(e) => {
            node_page(
                &state,
                ctx,
                &p,
                &code,
                &node,
                None,
                Some((e, NodeDrafts::default())),
            )
            .await
        }
    }
}
