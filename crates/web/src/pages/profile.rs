//! The unit profile's view models: the tree of areas, criteria and sub-criteria with the
//! group's mean and best, the strongest/weakest sentence, the streak badges and the history
//! line chart, as the strings the unit page shows.

use chiso_charts::{self as chart, LineChartOptions, LinePoint};
use chiso_domain::analysis::{NodeBenchmark, NodeFigure};
use chiso_domain::{IndexSet, NodeCode};
use chiso_services::analysis::UnitProfile;
use rust_decimal::Decimal;
use std::collections::HashMap;

use super::PageCtx;
use crate::format::{self, DASH};
use crate::service::{class_band, nodes_by_code};

/// Fill of the small per-area bars: one neutral colour, since areas have no class.
const AREA_FILL: &str = "#0b5cad";

/// One area with its criteria and sub-criteria, collapsible on the page.
pub(crate) struct TreeArea {
    pub code: String,
    pub title: String,
    pub points: String,
    pub max: String,
    pub index: String,
    pub bar: String,
    pub mean: String,
    pub best: String,
    pub rows: Vec<TreeRow>,
}

/// A criterion or sub-criterion under an area.
pub(crate) struct TreeRow {
    pub code: String,
    pub title: String,
    /// `criterion-row` or `sub-row` (indented further).
    pub class: &'static str,
    pub points: String,
    pub max: String,
    pub index: String,
    pub mean: String,
    pub best: String,
}

/// The unit in one year of its history.
pub(crate) struct ProfileHistoryRow {
    pub href: String,
    pub year: String,
    pub rank: String,
    pub index: String,
    pub class: String,
    pub tone: String,
    /// "Theo kết quả của Sở Tài chính, Sở Kế hoạch và Đầu tư" when read from predecessors.
    pub via: Option<String>,
    pub current: bool,
}

/// Everything the profile adds to the unit page.
pub(crate) struct ProfileView {
    pub areas: Vec<TreeArea>,
    /// True when the group's mean and best are shown (published, or the staff).
    pub benchmarks: bool,
    pub strength: Option<String>,
    pub badges: Vec<String>,
    pub history: Vec<ProfileHistoryRow>,
    pub history_chart: String,
}

fn share(f: &NodeFigure) -> String {
    if !f.applicable {
        return DASH.to_owned();
    }
    f.share().map_or_else(|| DASH.to_owned(), format::num)
}

fn bench(b: Option<&NodeBenchmark>) -> (String, String) {
    b.map_or_else(
        || (DASH.to_owned(), DASH.to_owned()),
        |b| (format::num(b.mean), format::num(b.best)),
    )
}

fn max_text(f: &NodeFigure) -> String {
    if f.max.is_zero() && !f.applicable {
        DASH.to_owned()
    } else {
        f.max.to_string()
    }
}

fn tree(
    set: Option<&IndexSet>,
    figures: &[NodeFigure],
    benchmarks: Option<&HashMap<NodeCode, NodeBenchmark>>,
) -> Vec<TreeArea> {
    let by_code = set.map(nodes_by_code).unwrap_or_default();
    let title = |c: &NodeCode| by_code.get(c).map_or_else(String::new, |n| n.title.clone());
    let b = |c: &NodeCode| bench(benchmarks.and_then(|m| m.get(c)));
    let mut areas: Vec<TreeArea> = Vec::new();
    for f in figures {
        let (mean, best) = b(&f.code);
        if f.depth == 1 {
            areas.push(TreeArea {
                code: f.code.to_string(),
                title: title(&f.code),
                points: f.points.to_string(),
                max: max_text(f),
                index: share(f),
                bar: f
                    .share()
                    .map(|i| chart::mini_bar(i, Decimal::ONE_HUNDRED, AREA_FILL))
                    .unwrap_or_default(),
                mean,
                best,
                rows: Vec::new(),
            });
        } else if let Some(area) = areas.last_mut() {
            area.rows.push(TreeRow {
                code: f.code.to_string(),
                title: title(&f.code),
                class: if f.depth == 2 {
                    "criterion-row"
                } else {
                    "sub-row"
                },
                points: f.points.to_string(),
                max: max_text(f),
                index: share(f),
                mean,
                best,
            });
        }
    }
    areas
}

impl ProfileView {
    pub(crate) fn new(ctx: &PageCtx, p: &UnitProfile) -> Self {
        let r = &p.report;
        let u = &r.result;
        let set = r.set.as_deref();
        let strength = p.strongest_weakest().map(|(s, w)| {
            ctx.lang.tf(
                "profile.strength",
                &[
                    ("strong", &p.named(s)),
                    ("strong_share", &share(s)),
                    ("weak", &p.named(w)),
                    ("weak_share", &share(w)),
                ],
            )
        });
        let mut badges = Vec::new();
        if let Some((rank, n)) = p.rank_streak().filter(|(_, n)| *n >= 2) {
            badges.push(ctx.lang.tf(
                "profile.rank_streak",
                &[("rank", &rank.to_string()), ("n", &n.to_string())],
            ));
        }
        if let Some((class, n)) = p.streaks.class.as_ref().filter(|(_, n)| *n >= 2) {
            badges.push(ctx.lang.tf(
                "profile.class_streak",
                &[("class", class), ("n", &n.to_string())],
            ));
        }
        let tone_of = |g: &chiso_domain::GroupName, class: Option<&str>| {
            class_band(if g == &u.group { set } else { None }, g, class)
        };
        let history = p
            .history
            .iter()
            .map(|h| {
                let current = h.period == r.period.code && h.point.via.is_empty();
                ProfileHistoryRow {
                    href: super::views::unit_href(
                        h.period.as_str(),
                        h.point.via.first().map_or(u.unit.as_str(), |c| c.as_str()),
                    ),
                    year: h.point.year.to_string(),
                    rank: match (h.point.rank, h.group_size) {
                        (Some(rank), Some(size)) => format!("{rank}/{size}"),
                        (Some(rank), None) => rank.to_string(),
                        _ => DASH.to_owned(),
                    },
                    index: format::num(h.point.index),
                    class: h.point.class.clone().unwrap_or_else(|| DASH.to_owned()),
                    tone: super::views::tone(tone_of(&u.group, h.point.class.as_deref())),
                    via: (!h.via_names.is_empty()).then(|| {
                        ctx.lang
                            .tf("profile.via", &[("units", &h.via_names.join(", "))])
                    }),
                    current,
                }
            })
            .collect();
        let points: Vec<LinePoint> = p
            .history
            .iter()
            .map(|h| LinePoint {
                label: h.point.year.to_string(),
                value: h.point.index,
                value_label: format::num(h.point.index),
                note: match (h.point.rank, h.group_size) {
                    (Some(rank), Some(size)) => Some(format!("{rank}/{size}")),
                    (Some(rank), None) => Some(rank.to_string()),
                    _ => None,
                },
                fill: chart::class_fill(tone_of(&u.group, h.point.class.as_deref())).to_owned(),
            })
            .collect();
        let description = p
            .history
            .iter()
            .map(|h| {
                let class = h.point.class.as_deref().unwrap_or(DASH);
                match h.point.rank {
                    Some(rank) => format!(
                        "{}: {} ({}, {rank})",
                        h.point.year,
                        format::num(h.point.index),
                        class
                    ),
                    None => format!("{}: {} ({class})", h.point.year, format::num(h.point.index)),
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
        let history_chart = chart::line_chart(
            &points,
            &LineChartOptions {
                title: ctx.lang.tf("chart.history", &[("unit", &u.name)]),
                description,
                ..LineChartOptions::default()
            },
        );
        ProfileView {
            areas: tree(set, &p.figures, p.benchmarks.as_ref()),
            benchmarks: p.benchmarks.is_some(),
            strength,
            badges,
            history,
            history_chart,
        }
    }
}
