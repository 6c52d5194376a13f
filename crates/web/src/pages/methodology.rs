//! `GET /ky/{period}/phuong-phap`: how a period's results were computed, for the public —
//! each group's index set (areas, criteria, sub-criteria and leaves with their maxima and
//! each leaf's rule in words), the class bands of that year next to the previous year's (so
//! a reader sees why the same index reads differently across years), and how survey points
//! come from answers. Public once the period is published, for the staff before.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use chiso_domain::fmt::vi_plain;
use chiso_domain::questionnaire::{QuestionTarget, QuestionnaireKind, SurveyDefinition};
use chiso_domain::{ClassBand, GroupName, IndexSet, NaPolicy, Node, Source as LeafSource};
use chiso_services::methodology::{GroupMethod, Methodology, methodology};

use super::views::PeriodHead;
use super::{PageCtx, VersionQuery, render};
use crate::auth::CurrentUser;
use crate::i18n::Lang;
use crate::{AppError, AppState, service};

/// `GET /ky/{period}/phuong-phap`.
pub(crate) async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    Path(period): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<Html<String>, AppError> {
    let period = service::parse_period(&period)?;
    let version = service::parse_version(&period, q.version.as_deref())?;
    let m = methodology(state.db(), &current.principal(), &period, version).await?;
    render(&MethodologyPage::new(ctx, &m))
}

/// The page.
#[derive(Template)]
#[template(path = "methodology.html")]
pub(crate) struct MethodologyPage {
    pub ctx: PageCtx,
    pub title: String,
    pub head: PeriodHead,
    pub groups: Vec<GroupView>,
    pub surveys: Vec<SurveyView>,
}

/// One group: its set, bands and tree.
pub(crate) struct GroupView {
    pub name: String,
    pub anchor: String,
    /// "Bộ chỉ số … (năm 2024) — Quyết định …".
    pub set: Option<String>,
    pub max: String,
    pub bands: BandsView,
    pub previous_bands: Option<BandsView>,
    /// True when the previous year's bands differ from this year's.
    pub bands_changed: bool,
    pub rows: Vec<NodeRow>,
}

/// The class bands of one year.
pub(crate) struct BandsView {
    /// "Áp dụng năm 2025 (Bộ chỉ số …)".
    pub caption: String,
    pub bands: Vec<BandRow>,
}

/// One band: label and range in words with Vietnamese numbers ("Từ 80 đến dưới 90").
pub(crate) struct BandRow {
    pub label: String,
    pub range: String,
    pub tone: String,
}

/// One node of the tree.
pub(crate) struct NodeRow {
    pub code: String,
    pub title: String,
    pub max: String,
    /// 1 area, 2 criterion, 3 sub-criterion, 4+ deeper: a CSS hook for indentation.
    pub depth: usize,
    pub leaf: bool,
    /// Where the leaf's points come from (assessed, survey…).
    pub source: String,
    /// How the leaf is scored, in words.
    pub rule: String,
    /// The set's own rule text (cách tính điểm), when it has one.
    pub rule_text: Option<String>,
    /// What "không phát sinh" does.
    pub not_applicable: Option<String>,
}

/// One survey of the period.
pub(crate) struct SurveyView {
    pub name: String,
    pub groups: Vec<RespondentView>,
    pub leaves: Vec<String>,
}

/// One respondent group's questionnaire.
pub(crate) struct RespondentView {
    pub name: String,
    pub evaluates: String,
    /// The answer options and their weights, or the SIPAS levels.
    pub options: Vec<String>,
    pub sipas: Option<String>,
    pub questions: String,
}

fn band_rows(lang: Lang, bands: &[ClassBand]) -> Vec<BandRow> {
    bands
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let below = i.checked_sub(1).map(|j| bands[j].min);
            let min = vi_plain(b.min);
            let range = match below {
                None => lang.tf("methodology.band_from", &[("min", &min)]),
                Some(up) if b.min.is_zero() => {
                    lang.tf("methodology.band_below", &[("below", &vi_plain(up))])
                }
                Some(up) => lang.tf(
                    "methodology.band_range",
                    &[("min", &min), ("below", &vi_plain(up))],
                ),
            };
            BandRow {
                label: b.label.clone(),
                range,
                tone: format!("tone-{}", i.min(4)),
            }
        })
        .collect()
}

fn bands_of(lang: Lang, set: &IndexSet, group: &GroupName, year: i32) -> BandsView {
    BandsView {
        caption: lang.tf(
            "methodology.bands_caption",
            &[("year", &year.to_string()), ("set", &set.name)],
        ),
        bands: band_rows(lang, set.classes.bands_for(group)),
    }
}

fn source_label(lang: Lang, s: LeafSource) -> String {
    lang.lookup(&format!("sets.source.{}", s.as_str()))
        .unwrap_or(s.as_str())
        .to_owned()
}

fn node_rows(lang: Lang, set: &IndexSet) -> Vec<NodeRow> {
    set.walk()
        .into_iter()
        .map(|n: &Node| {
            let leaf = n.is_leaf();
            let rule = match (&n.method, leaf) {
                (Some(m), true) => crate::set_admin::method_text(lang, m, n.max),
                (None, true) => lang.t("methodology.no_method").to_owned(),
                (_, false) => lang.t("methodology.sum_of_children").to_owned(),
            };
            NodeRow {
                code: n.code.to_string(),
                title: n.title.clone(),
                max: vi_plain(n.max.value()),
                depth: n.code.depth().min(4),
                leaf,
                source: if leaf {
                    source_label(lang, n.source)
                } else {
                    String::new()
                },
                rule,
                rule_text: n.rule.clone().filter(|r| !r.trim().is_empty()),
                not_applicable: leaf.then(|| {
                    lang.t(match n.not_applicable {
                        None => "sets.na.none",
                        Some(NaPolicy::Exclude) => "sets.na.exclude",
                        Some(NaPolicy::FullPoints) => "sets.na.full_points",
                    })
                    .to_owned()
                }),
            }
        })
        .collect()
}

fn group_view(lang: Lang, i: usize, g: &GroupMethod, m: &Methodology) -> GroupView {
    let set = g.set.as_deref();
    let year = m.period.year;
    let bands = match set {
        Some(s) => bands_of(lang, s, &g.group, year),
        None => BandsView {
            caption: lang.tf(
                "methodology.bands_caption_default",
                &[("year", &year.to_string())],
            ),
            bands: band_rows(lang, &chiso_domain::ClassScheme::common_default().default),
        },
    };
    let previous = m.previous.as_ref().and_then(|p| {
        let prev = p.groups.iter().find(|x| x.group == g.group)?;
        let s = prev.set.as_deref()?;
        Some((
            bands_of(lang, s, &g.group, p.year),
            s.classes.bands_for(&g.group),
        ))
    });
    let bands_changed = match (&previous, set) {
        (Some((_, before)), Some(s)) => *before != s.classes.bands_for(&g.group),
        _ => false,
    };
    GroupView {
        name: g.group.to_string(),
        anchor: format!("nhom-{}", i + 1),
        set: set.map(|s| {
            let mut t = lang.tf(
                "methodology.set_line",
                &[("name", &s.name), ("year", &s.year.to_string())],
            );
            if let Some(d) = &s.decision {
                t.push_str(" — ");
                t.push_str(d);
            }
            t
        }),
        max: set.map_or_else(String::new, |s| vi_plain(s.total_max().value())),
        bands,
        previous_bands: previous.map(|(b, _)| b),
        bands_changed,
        rows: set.map(|s| node_rows(lang, s)).unwrap_or_default(),
    }
}

fn percent_of(w: rust_decimal::Decimal) -> String {
    format!("{} %", vi_plain(w * rust_decimal::Decimal::ONE_HUNDRED))
}

fn survey_view(lang: Lang, s: &SurveyDefinition) -> SurveyView {
    let groups = s
        .groups
        .iter()
        .map(|g| {
            let (options, sipas) = match &g.kind {
                QuestionnaireKind::Sipas { leaf } => (
                    Vec::new(),
                    Some(lang.tf("methodology.sipas_leaf", &[("leaf", leaf.as_str())])),
                ),
                QuestionnaireKind::Sociological => {
                    let opts = match g.scale() {
                        Ok(scale) => scale
                            .options()
                            .iter()
                            .map(|o| {
                                let label = g
                                    .options
                                    .iter()
                                    .find(|d| d.code.trim() == o.code)
                                    .map(|d| d.label.trim())
                                    .filter(|l| !l.is_empty());
                                let name = match label {
                                    Some(l) => format!("{} ({l})", o.code),
                                    None => o.code.clone(),
                                };
                                match o.weight {
                                    Some(w) => format!("{name}: {}", percent_of(w)),
                                    None => {
                                        lang.tf("methodology.option_excluded", &[("option", &name)])
                                    }
                                }
                            })
                            .collect(),
                        Err(_) => Vec::new(),
                    };
                    (opts, None)
                }
            };
            let mut leaves: Vec<&str> = g
                .questions
                .iter()
                .filter_map(|q| match &q.target {
                    QuestionTarget::Leaf(l) => Some(l.as_str()),
                    QuestionTarget::Factor(_) => None,
                })
                .collect();
            leaves.sort_unstable();
            leaves.dedup();
            RespondentView {
                name: g.name.clone(),
                evaluates: g.evaluates.to_string(),
                options,
                sipas,
                questions: lang.tf(
                    "methodology.questions",
                    &[
                        ("n", &g.questions.len().to_string()),
                        ("leaves", &leaves.join(", ")),
                    ],
                ),
            }
        })
        .collect();
    let leaves = s
        .leaves
        .iter()
        .map(|r| {
            let mut t = lang.tf(
                "methodology.leaf_minimum",
                &[("leaf", r.leaf.as_str()), ("n", &r.minimum.to_string())],
            );
            if !r.group_weights.is_empty() {
                let w: Vec<String> = r
                    .group_weights
                    .iter()
                    .map(|(g, w)| format!("{g}: {}", vi_plain(*w)))
                    .collect();
                t.push_str(&lang.tf("methodology.group_weights", &[("weights", &w.join("; "))]));
            }
            t
        })
        .collect();
    SurveyView {
        name: s.name.clone(),
        groups,
        leaves,
    }
}

impl MethodologyPage {
    pub fn new(ctx: PageCtx, m: &Methodology) -> Self {
        let lang = ctx.lang;
        MethodologyPage {
            title: lang.tf("methodology.title", &[("period", &m.period.name)]),
            head: PeriodHead::new(&ctx, &m.period, Some(&m.source)),
            groups: m
                .groups
                .iter()
                .enumerate()
                .map(|(i, g)| group_view(lang, i, g, m))
                .collect(),
            surveys: m.surveys.iter().map(|s| survey_view(lang, s)).collect(),
            ctx,
        }
    }
}
