//! The criteria analysis page of a period and group (`/ky/{period}/phan-tich?nhom=…`): the
//! criteria that lose the most points, a heatmap of units × areas with its table, the
//! distribution of indexes and the units that rose or fell. Public once published; the
//! figures come from [`chiso_services::analysis::criteria_analysis`].

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use chiso_charts::{self as chart, HeatRow, HistogramBin};
use chiso_domain::{GroupName, PeriodCode, UnitCode};
use chiso_services::analysis::CriteriaAnalysis;
use rust_decimal::Decimal;

use super::views::{PeriodHead, period_href, unit_href};
use super::{PageCtx, render};
use crate::auth::CurrentUser;
use crate::format::{self, DASH};
use crate::service::{self, nodes_by_code};
use crate::{AppError, AppState};

/// Longest group name read from the query; longer names name no group.
const MAX_GROUP_LEN: usize = 200;

/// How many criteria the "lose the most points" table lists.
const TOP_LOSSES: usize = 10;

/// The page's route.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/ky/{period}/phan-tich", get(page))
}

/// The analysis page of `period` for `group` (the first group when `None`).
pub(crate) fn href(period: &PeriodCode, group: Option<&GroupName>) -> String {
    let base = format!("{}/phan-tich", period_href(period.as_str()));
    match group {
        Some(g) => format!("{base}?nhom={}", format::segment(g.as_str())),
        None => base,
    }
}

/// `?nhom=…&phien-ban=N`.
#[derive(Debug, Default, serde::Deserialize)]
struct AnalysisQuery {
    nhom: Option<String>,
    #[serde(rename = "phien-ban")]
    version: Option<String>,
}

/// `GET /ky/{period}/phan-tich`.
async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(period): Path<String>,
    Query(q): Query<AnalysisQuery>,
) -> Result<Html<String>, AppError> {
    let period = service::parse_period(&period)?;
    let version = service::parse_version(&period, q.version.as_deref())?;
    let group = match q.nhom.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(
            GroupName::parse(raw)
                .ok()
                .filter(|_| raw.len() <= MAX_GROUP_LEN)
                .ok_or_else(|| {
                    chiso_services::ServiceError::new(
                        chiso_services::codes::ANALYSIS_GROUP_NOT_FOUND,
                    )
                    .arg("period", &period)
                    .arg("group", raw.chars().take(MAX_GROUP_LEN).collect::<String>())
                })?,
        ),
    };
    let analysis = chiso_services::analysis::criteria_analysis(
        state.db(),
        &current.principal(),
        &period,
        group.as_ref(),
        version,
    )
    .await?;
    render(&AnalysisPage::new(ctx, &analysis, version))
}

/// A link among several, one of them the page shown.
pub(crate) struct Choice {
    pub label: String,
    pub href: String,
    pub current: bool,
}

/// A unit named on the page, linked to its profile.
pub(crate) struct UnitLink {
    pub name: String,
    pub href: String,
    /// A figure next to the name (points lost, change of index).
    pub figure: String,
}

/// One line of the "lose the most points" table.
pub(crate) struct LossRow {
    pub code: String,
    pub title: String,
    pub max: String,
    pub lost: String,
    pub losing: String,
    pub share: String,
    pub units: Vec<UnitLink>,
}

/// One unit's line of the heatmap's table.
pub(crate) struct HeatTableRow {
    pub name: String,
    pub href: String,
    pub cells: Vec<String>,
}

/// `GET /ky/{period}/phan-tich`.
#[derive(Template)]
#[template(path = "analysis.html")]
pub(crate) struct AnalysisPage {
    pub ctx: PageCtx,
    pub title: String,
    pub head: PeriodHead,
    pub groups: Vec<Choice>,
    pub units: String,
    pub losses: Vec<LossRow>,
    pub heat_columns: Vec<String>,
    pub heat_rows: Vec<HeatTableRow>,
    pub heatmap: String,
    pub bins: Vec<(String, String)>,
    pub histogram: String,
    pub improved: Vec<UnitLink>,
    pub declined: Vec<UnitLink>,
    pub unchanged: Vec<UnitLink>,
    pub new_units: Vec<UnitLink>,
}

impl AnalysisPage {
    fn new(ctx: PageCtx, a: &CriteriaAnalysis, version: Option<i64>) -> Self {
        let period = a.period.code.as_str();
        let set = a.set.as_deref();
        let by_code = set.map(nodes_by_code).unwrap_or_default();
        let name_of = |code: &UnitCode| {
            a.units
                .iter()
                .find(|u| &u.unit == code)
                .map_or_else(|| code.to_string(), |u| u.name.clone())
        };
        let link = |code: &UnitCode, figure: String| UnitLink {
            name: name_of(code),
            href: unit_href(period, code.as_str()),
            figure,
        };
        let versioned = |href: String| match version {
            Some(v) => format!("{href}&phien-ban={v}"),
            None => href,
        };
        let losses = a
            .losses
            .iter()
            .filter(|l| l.lost > Decimal::ZERO)
            .take(TOP_LOSSES)
            .map(|l| {
                let node = by_code.get(&l.code);
                LossRow {
                    code: l.code.to_string(),
                    title: node.map_or_else(String::new, |n| n.title.clone()),
                    max: node.map_or_else(|| DASH.to_owned(), |n| n.max.to_string()),
                    lost: format::num(l.lost),
                    losing: format!(
                        "{}/{}",
                        format::count(i64::try_from(l.losers.len()).unwrap_or(i64::MAX)),
                        format::count(l.applicable)
                    ),
                    share: l
                        .losing_share()
                        .map_or_else(|| DASH.to_owned(), format::num),
                    units: l
                        .losers
                        .iter()
                        .map(|(u, lost)| link(u, format::num(*lost)))
                        .collect(),
                }
            })
            .collect();
        let areas: Vec<&chiso_domain::Node> =
            set.map(|s| s.nodes.iter().collect()).unwrap_or_default();
        let heat_columns: Vec<String> = areas.iter().map(|n| n.code.to_string()).collect();
        let mut heat_rows_svg: Vec<HeatRow> = Vec::with_capacity(a.units.len());
        let mut heat_rows: Vec<HeatTableRow> = Vec::with_capacity(a.units.len());
        for (u, fs) in a.area_figures() {
            let cells: Vec<(Option<Decimal>, String)> = areas
                .iter()
                .map(|n| {
                    let share = fs.iter().find(|f| f.code == n.code).and_then(|f| f.share());
                    (share, share.map_or_else(|| DASH.to_owned(), format::num))
                })
                .collect();
            heat_rows.push(HeatTableRow {
                name: u.name.clone(),
                href: unit_href(period, u.unit.as_str()),
                cells: cells.iter().map(|(_, t)| t.clone()).collect(),
            });
            heat_rows_svg.push(HeatRow {
                label: u.name.clone(),
                cells,
            });
        }
        let group = a.group.to_string();
        let legend = areas
            .iter()
            .map(|n| format!("{} {}", n.code, n.title))
            .collect::<Vec<_>>()
            .join("; ");
        let heatmap = chart::heatmap(
            &heat_columns,
            &heat_rows_svg,
            &ctx.lang.tf("analysis.heatmap_title", &[("group", &group)]),
            &ctx.lang.tf("analysis.heatmap_desc", &[("areas", &legend)]),
        );
        let bins: Vec<HistogramBin> = a
            .histogram
            .iter()
            .map(|b| HistogramBin {
                label: format!("{}–{}", b.low, b.high),
                count: b.count,
            })
            .collect();
        let histogram = chart::histogram(
            &bins,
            &ctx.lang
                .tf("analysis.histogram_title", &[("group", &group)]),
            &bins
                .iter()
                .map(|b| format!("{}: {}", b.label, b.count))
                .collect::<Vec<_>>()
                .join("; "),
        );
        let groups = a
            .groups
            .iter()
            .map(|g| Choice {
                label: g.to_string(),
                href: versioned(href(&a.period.code, Some(g))),
                current: g == &a.group,
            })
            .collect();
        AnalysisPage {
            title: ctx.lang.tf(
                "analysis.title",
                &[("group", &group), ("period", &a.period.name)],
            ),
            head: PeriodHead::new(&ctx, &a.period, Some(&a.source)),
            units: format::count(i64::try_from(a.units.len()).unwrap_or(i64::MAX)),
            losses,
            heat_columns,
            heat_rows,
            heatmap,
            bins: bins
                .iter()
                .map(|b| (b.label.clone(), b.count.to_string()))
                .collect(),
            histogram,
            improved: a
                .movers
                .improved
                .iter()
                .map(|(u, d)| link(u, format::delta(Some(*d))))
                .collect(),
            declined: a
                .movers
                .declined
                .iter()
                .map(|(u, d)| link(u, format::delta(Some(*d))))
                .collect(),
            unchanged: a
                .movers
                .unchanged
                .iter()
                .map(|u| link(u, String::new()))
                .collect(),
            new_units: a
                .movers
                .new
                .iter()
                .map(|u| link(u, String::new()))
                .collect(),
            groups,
            ctx,
        }
    }
}
