//! Downloads of what a results page shows: the period's (or one group's) results as the
//! official Excel workbook, CSV, JSON and the printed results report (PDF), and a unit's
//! result as XLSX, CSV, JSON and its printed result sheet (PDF). Each
//! file is made from the report its page is made from — the same version (`?phien-ban=N`),
//! the same access rules — by [`chiso_services::downloads`]; this module only routes, links
//! and sends them.
//!
//! The file name is the last segment of the URL (`/ky/2025/tai-ve/chi-so-cchc-2025-ubnd-cap-xa.xlsx`),
//! so a link copied from a page says what it downloads.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chiso_domain::GroupName;
use chiso_services::downloads::{self, Download, FileKind};
use chiso_services::{analysis, reports};

use super::{PageCtx, VersionQuery};
use crate::auth::CurrentUser;
use crate::format;
use crate::service::{self, PeriodReport, UnitReport};
use crate::{AppError, AppState};

/// The download routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/ky/{period}/tai-ve/{file}", get(period_file))
        .route("/ky/{period}/don-vi/{unit}/tai-ve/{file}", get(unit_file))
}

/// Refuses file names no page links, before any work: bounded length, one dot-separated
/// extension the pages offer.
fn plausible(file: &str) -> bool {
    file.len() <= 200
        && file
            .rsplit_once('.')
            .is_some_and(|(_, ext)| FileKind::from_ext(ext).is_some() || ext == "pdf")
}

/// A printed report rather than a data file.
fn is_pdf(file: &str) -> bool {
    file.ends_with(".pdf")
}

/// `GET /ky/{period}/tai-ve/{file}`: the period's results, or one group's, as a file.
async fn period_file(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, file)): Path<(String, String)>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, AppError> {
    let period = service::parse_period(&period)?;
    if !plausible(&file) {
        return Err(AppError::PageNotFound);
    }
    let version = service::parse_version(&period, q.version.as_deref())?;
    let report = service::period_report(state.db(), &current.principal(), &period, version).await?;
    if is_pdf(&file) {
        let Some(group) = reports::match_results_report(&report, &file) else {
            return Err(AppError::PageNotFound);
        };
        if !reports::has_results_report(&report) {
            return Err(AppError::PageNotFound);
        }
        let config = state.config();
        let prepared = reports::results_report(
            &report,
            group.as_ref(),
            &config.report_issuer,
            config.clock.now(),
        )?;
        return super::reports::typeset(prepared).await;
    }
    let Some((group, kind)) = downloads::match_results_file(&report, &file) else {
        return Err(AppError::PageNotFound);
    };
    if !report.computed {
        return Err(AppError::PageNotFound);
    }
    // A workbook of thousands of units takes a while to compress: off the async workers.
    let file =
        tokio::task::spawn_blocking(move || downloads::results_file(&report, group.as_ref(), kind))
            .await
            .map_err(|e| AppError::Service(chiso_services::ServiceError::internal(e)))??;
    Ok(send(file))
}

/// `GET /ky/{period}/don-vi/{unit}/tai-ve/{file}`: one unit's result as a file.
async fn unit_file(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((period, unit, file)): Path<(String, String, String)>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, AppError> {
    let period = service::parse_period(&period)?;
    let unit = service::parse_unit(&unit)?;
    if !plausible(&file) {
        return Err(AppError::PageNotFound);
    }
    let version = service::parse_version(&period, q.version.as_deref())?;
    if is_pdf(&file) {
        let profile =
            analysis::unit_profile(state.db(), &current.principal(), &period, &unit, version)
                .await?;
        if file != reports::unit_result_report_name(&profile.report) {
            return Err(AppError::PageNotFound);
        }
        let config = state.config();
        let prepared =
            reports::unit_result_report(&profile, &config.report_issuer, config.clock.now());
        return super::reports::typeset(prepared).await;
    }
    let report =
        service::unit_report(state.db(), &current.principal(), &period, &unit, version).await?;
    let Some((stem, ext)) = file.rsplit_once('.') else {
        return Err(AppError::PageNotFound);
    };
    let kind = FileKind::from_ext(ext).ok_or(AppError::PageNotFound)?;
    if stem != downloads::unit_stem(&report) {
        return Err(AppError::PageNotFound);
    }
    Ok(send(downloads::unit_file(&report, kind)?))
}

/// The file as an attachment: its media type, its name (with an ASCII fallback), and cache
/// rules that keep confidential results out of shared caches.
pub(super) fn send(d: Download) -> Response {
    let disposition = HeaderValue::from_str(&chiso_evidence::content_disposition(&d.name))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let cache = if d.public {
        "public, max-age=300"
    } else {
        "private, no-store"
    };
    let mut resp = d.bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(d.content_type),
    );
    h.insert(header::CONTENT_DISPOSITION, disposition);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// One download link.
pub(crate) struct FileLink {
    /// "Excel (.xlsx)".
    pub label: String,
    pub href: String,
    /// The name the file is saved under.
    pub name: String,
    /// `xlsx`, `csv`, `json`: a CSS hook.
    pub kind: &'static str,
}

/// The download block of a page (or of one group's section).
pub(crate) struct DownloadBlock {
    /// "Tải kết quả" or "Tải kết quả nhóm …".
    pub title: String,
    pub links: Vec<FileLink>,
    /// The printed report (PDF): the results report of the period or the group, a unit's
    /// result sheet.
    pub pdf: Option<FileLink>,
    /// The period's methodology page, linked next to the downloads.
    pub methodology: Option<String>,
}

impl DownloadBlock {
    /// True when there is nothing to offer (no results yet).
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }
}

/// `?phien-ban=N` when the page shows a version other than the latest, so the file is of
/// the version the page shows.
pub(super) fn version_query(source: &chiso_services::results::Source) -> String {
    match source.publication() {
        Some(p) if source.superseded() => format!("?phien-ban={}", p.version),
        _ => String::new(),
    }
}

fn kind_label(ctx: &PageCtx, kind: FileKind) -> String {
    ctx.t(match kind {
        FileKind::Xlsx => "downloads.xlsx",
        FileKind::Csv => "downloads.csv",
        FileKind::Json => "downloads.json",
    })
    .to_owned()
}

fn links(ctx: &PageCtx, base: &str, stem: &str, query: &str) -> Vec<FileLink> {
    FileKind::ALL
        .into_iter()
        .map(|kind| {
            let name = format!("{stem}.{}", kind.ext());
            FileLink {
                label: kind_label(ctx, kind),
                href: format!("{base}/tai-ve/{name}{query}"),
                name,
                kind: kind.ext(),
            }
        })
        .collect()
}

/// The methodology page of a period.
pub(crate) fn methodology_href(period: &str) -> String {
    format!("/ky/{}/phuong-phap", format::segment(period))
}

/// The block of a whole period page; empty before results exist.
pub(crate) fn period_block(ctx: &PageCtx, r: &PeriodReport) -> DownloadBlock {
    let base = format!("/ky/{}", format::segment(r.period.code.as_str()));
    let links = if r.computed && r.groups.iter().any(|g| !g.units.is_empty()) {
        links(
            ctx,
            &base,
            &downloads::results_stem(r, None),
            &version_query(&r.source),
        )
    } else {
        Vec::new()
    };
    DownloadBlock {
        title: ctx.t("downloads.title").to_owned(),
        pdf: (!links.is_empty())
            .then(|| super::reports::results_link(ctx.t("downloads.pdf").to_owned(), r))
            .flatten(),
        links,
        methodology: Some(methodology_href(r.period.code.as_str())),
    }
}

/// The block of one group's section.
pub(crate) fn group_block(ctx: &PageCtx, r: &PeriodReport, group: &GroupName) -> DownloadBlock {
    let base = format!("/ky/{}", format::segment(r.period.code.as_str()));
    DownloadBlock {
        title: ctx
            .lang
            .tf("downloads.group_title", &[("group", group.as_str())]),
        links: links(
            ctx,
            &base,
            &downloads::results_stem(r, Some(group)),
            &version_query(&r.source),
        ),
        pdf: r
            .groups
            .iter()
            .any(|g| &g.group == group && !g.units.is_empty())
            .then(|| {
                let name = reports::results_report_name(r, Some(group));
                FileLink {
                    label: ctx.t("downloads.pdf").to_owned(),
                    href: format!("{base}/tai-ve/{name}{}", version_query(&r.source)),
                    name,
                    kind: "pdf",
                }
            }),
        methodology: None,
    }
}

/// The block of a unit's page.
pub(crate) fn unit_block(ctx: &PageCtx, r: &UnitReport) -> DownloadBlock {
    let period = r.period.code.as_str();
    let base = format!(
        "/ky/{}/don-vi/{}",
        format::segment(period),
        format::segment(r.result.unit.as_str())
    );
    DownloadBlock {
        title: ctx.t("downloads.unit_title").to_owned(),
        links: links(
            ctx,
            &base,
            &downloads::unit_stem(r),
            &version_query(&r.source),
        ),
        pdf: Some({
            let name = reports::unit_result_report_name(r);
            FileLink {
                label: ctx.t("downloads.unit_pdf").to_owned(),
                href: format!("{base}/tai-ve/{name}{}", version_query(&r.source)),
                name,
                kind: "pdf",
            }
        }),
        methodology: Some(methodology_href(period)),
    }
}
