//! View models of index set administration: a set turned into the rows, sentences and form
//! values its pages show. Every method is described with its parameters in the reader's
//! language, with numbers the Vietnamese way (1,5; 95 %), since they quote official rules.

use askama::Template;
use chiso_domain::fmt::{vi_date, vi_plain};
use chiso_domain::{
    ClassBand, IndexSet, Method, NaPolicy, Node, NodeCode, Points, Source, TieBreaker, Tier,
    TierBasis,
};
use rust_decimal::Decimal;

use chiso_services::index_sets::{CloneSet, LoadedSet, SetListItem};

use super::service::{NodeFields, SetInfo};
use crate::format::{self, DASH};
use crate::i18n::Lang;
use crate::pages::PageCtx;

/// The list of sets.
pub(crate) const SETS: &str = "/quan-tri/bo-chi-so";

/// `/quan-tri/bo-chi-so/{set}`.
pub(crate) fn set_href(code: &str) -> String {
    format!("{SETS}/{}", format::segment(code))
}

/// `/quan-tri/bo-chi-so/{set}/tieu-chi/{node}`.
pub(crate) fn node_href(set: &str, node: &str) -> String {
    format!("{}/tieu-chi/{}", set_href(set), format::segment(node))
}

fn source_label(lang: Lang, s: Source) -> &'static str {
    lang.t(match s {
        Source::Assessed => "sets.source.assessed",
        Source::Survey => "sets.source.survey",
        Source::Data => "sets.source.data",
        Source::Bonus => "sets.source.bonus",
        Source::Deduction => "sets.source.deduction",
    })
}

fn na_label(lang: Lang, na: Option<NaPolicy>) -> &'static str {
    lang.t(match na {
        None => "sets.na.none",
        Some(NaPolicy::Exclude) => "sets.na.exclude",
        Some(NaPolicy::FullPoints) => "sets.na.full_points",
    })
}

fn num(d: Decimal) -> String {
    vi_plain(d)
}

/// Tiers, highest first, each with the range it really covers: a tier without an upper bound
/// ends where the next higher tier starts.
fn tiers_text(lang: Lang, basis: &TierBasis, tiers: &[Tier]) -> String {
    let mut sorted: Vec<&Tier> = tiers.iter().collect();
    sorted.sort_by_key(|t| std::cmp::Reverse(t.min));
    let unit = match basis {
        TierBasis::Percent => " %",
        TierBasis::Count => "",
        TierBasis::DaysLate { .. } => lang.t("sets.describe.days_unit"),
    };
    let mut parts = Vec::with_capacity(sorted.len());
    for (i, t) in sorted.iter().enumerate() {
        let upper = t.below.or_else(|| i.checked_sub(1).map(|j| sorted[j].min));
        let min = format!("{}{unit}", num(t.min));
        let points = num(t.points);
        parts.push(match upper {
            Some(b) => lang.tf(
                "sets.describe.tier_range",
                &[
                    ("min", &min),
                    ("below", &format!("{}{unit}", num(b))),
                    ("points", &points),
                ],
            ),
            None => lang.tf(
                "sets.describe.tier_from",
                &[("min", &min), ("points", &points)],
            ),
        });
    }
    parts.join("; ")
}

/// One sentence describing how a leaf of maximum `max` is scored, with its parameters.
pub(crate) fn method_text(lang: Lang, method: &Method, max: Points) -> String {
    let m = num(max.value());
    match method {
        Method::YesNo => lang.tf("sets.describe.yes_no", &[("max", &m)]),
        Method::Count { per, cap } => {
            let cap = cap.unwrap_or(max.value()).min(max.value());
            lang.tf(
                "sets.describe.count",
                &[("per", &num(*per)), ("cap", &num(cap))],
            )
        }
        Method::Tiers { basis, tiers } => {
            let list = tiers_text(lang, basis, tiers);
            match basis {
                TierBasis::Percent => lang.tf("sets.describe.tiers_percent", &[("tiers", &list)]),
                TierBasis::Count => lang.tf("sets.describe.tiers_count", &[("tiers", &list)]),
                TierBasis::DaysLate { deadline } => lang.tf(
                    "sets.describe.days_late",
                    &[("deadline", &vi_date(*deadline)), ("tiers", &list)],
                ),
            }
        }
        Method::Proportional => lang.tf("sets.describe.proportional", &[("max", &m)]),
        Method::Graded { grades } => {
            let list: Vec<String> = grades
                .iter()
                .map(|g| {
                    let points = max
                        .value()
                        .checked_mul(g.percent)
                        .and_then(|p| p.checked_div(Decimal::ONE_HUNDRED))
                        .map_or_else(|| DASH.to_owned(), num);
                    lang.tf(
                        "sets.describe.grade",
                        &[
                            ("label", &g.label),
                            ("code", &g.code),
                            ("percent", &num(g.percent)),
                            ("points", &points),
                        ],
                    )
                })
                .collect();
            lang.tf("sets.describe.graded", &[("grades", &list.join("; "))])
        }
        Method::Deduction { per } => lang.tf(
            "sets.describe.deduction",
            &[("per", &num(*per)), ("max", &m)],
        ),
        Method::Manual { step: None } => lang.tf("sets.describe.manual", &[("max", &m)]),
        Method::Manual { step: Some(s) } => lang.tf(
            "sets.describe.manual_step",
            &[("max", &m), ("step", &num(*s))],
        ),
        Method::Survey => lang.tf("sets.describe.survey", &[("max", &m)]),
        Method::Bonus => lang.tf("sets.describe.bonus", &[("max", &m)]),
    }
}

/// Status of a set: a label and a CSS hook.
fn status(lang: Lang, frozen: bool, used: bool) -> (&'static str, &'static str) {
    if used {
        (lang.t("sets.status.in_use"), "locked")
    } else if frozen {
        (lang.t("sets.status.frozen"), "locked")
    } else {
        (lang.t("sets.status.draft"), "draft")
    }
}

fn join_codes<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return DASH.to_owned();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A choice of a `<select>`.
pub(crate) struct Opt {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

fn options(pairs: &[(&'static str, &'static str)], lang: Lang, current: &str) -> Vec<Opt> {
    pairs
        .iter()
        .map(|(value, key)| Opt {
            value,
            label: lang.t(key),
            selected: *value == current,
        })
        .collect()
}

const SOURCES: [(&str, &str); 5] = [
    ("assessed", "sets.source.assessed"),
    ("survey", "sets.source.survey"),
    ("data", "sets.source.data"),
    ("bonus", "sets.source.bonus"),
    ("deduction", "sets.source.deduction"),
];

const METHODS: [(&str, &str); 10] = [
    ("yes_no", "sets.method.yes_no"),
    ("count", "sets.method.count"),
    ("tiers", "sets.method.tiers"),
    ("days_late", "sets.method.days_late"),
    ("proportional", "sets.method.proportional"),
    ("graded", "sets.method.graded"),
    ("deduction", "sets.method.deduction"),
    ("manual", "sets.method.manual"),
    ("survey", "sets.method.survey"),
    ("bonus", "sets.method.bonus"),
];

const NAS: [(&str, &str); 3] = [
    ("", "sets.na.none"),
    ("exclude", "sets.na.exclude"),
    ("full_points", "sets.na.full_points"),
];

/// A criterion form: typed values and the choices of its selects.
pub(crate) struct FieldsForm {
    pub f: NodeFields,
    pub sources: Vec<Opt>,
    pub methods: Vec<Opt>,
    pub nas: Vec<Opt>,
}

impl FieldsForm {
    fn new(lang: Lang, f: NodeFields) -> Self {
        FieldsForm {
            sources: options(&SOURCES, lang, &f.source),
            methods: options(&METHODS, lang, &f.method),
            nas: options(&NAS, lang, &f.not_applicable),
            f,
        }
    }

    /// An empty leaf with code `code`, scored by the appraiser (the most common case).
    fn blank(lang: Lang, code: String, source: Source) -> Self {
        Self::new(
            lang,
            NodeFields {
                code,
                source: source.as_str().to_owned(),
                method: "manual".to_owned(),
                propagate: true,
                ..NodeFields::default()
            },
        )
    }
}

/// The heading facts of a set.
pub(crate) struct SetHead {
    pub code: String,
    pub name: String,
    pub year: String,
    pub decision: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub periods: String,
    pub total_max: String,
    pub href: String,
    pub yaml_href: String,
    pub leaves: String,
}

impl SetHead {
    fn new(lang: Lang, loaded: &LoadedSet) -> Self {
        let set = &loaded.set;
        let (status, status_class) =
            status(lang, loaded.state.frozen, !loaded.state.periods.is_empty());
        let href = set_href(set.code.as_str());
        SetHead {
            code: set.code.to_string(),
            name: set.name.clone(),
            // A year is a label, not a quantity: never "2.024".
            year: set.year.to_string(),
            decision: set.decision.clone().unwrap_or_else(|| DASH.to_owned()),
            status,
            status_class,
            periods: join_codes(&loaded.state.periods),
            total_max: num(set.total_max().value()),
            yaml_href: format!("{href}/tai-xuong"),
            href,
            leaves: format::count(i64::try_from(set.leaves().len()).unwrap_or(i64::MAX)),
        }
    }
}

/// One criterion as a row of the tree.
pub(crate) struct NodeRow {
    pub code: String,
    /// 1 for an area, 2 for a criterion, 3 for a sub-criterion…
    pub depth: usize,
    pub href: String,
    pub title: String,
    pub max: String,
    pub source: &'static str,
    pub leaf: bool,
    /// How the leaf is scored, with its parameters.
    pub method: String,
    pub rule: Option<String>,
    pub evidence: Option<String>,
    pub na: &'static str,
}

impl NodeRow {
    fn new(lang: Lang, set: &IndexSet, n: &Node) -> Self {
        NodeRow {
            code: n.code.to_string(),
            depth: n.code.depth().min(6),
            href: node_href(set.code.as_str(), n.code.as_str()),
            title: n.title.clone(),
            max: num(n.max.value()),
            source: source_label(lang, n.source),
            leaf: n.is_leaf(),
            method: n
                .method
                .as_ref()
                .map_or_else(String::new, |m| method_text(lang, m, n.max)),
            rule: n.rule.clone(),
            evidence: n.evidence.clone(),
            na: na_label(lang, n.not_applicable),
        }
    }
}

/// The class bands of one group (or the default ones).
pub(crate) struct BandGroup {
    pub name: String,
    pub bands: Vec<BandView>,
}

/// One class band with the range of indexes it covers.
pub(crate) struct BandView {
    pub label: String,
    pub range: String,
}

fn band_views(lang: Lang, bands: &[ClassBand]) -> Vec<BandView> {
    bands
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let min = num(b.min);
            let range = match i.checked_sub(1).map(|j| &bands[j]) {
                Some(above) => lang.tf(
                    "sets.band.range",
                    &[("min", &min), ("below", &num(above.min))],
                ),
                None => lang.tf("sets.band.from", &[("min", &min)]),
            };
            BandView {
                label: b.label.clone(),
                range,
            }
        })
        .collect()
}

fn ranking_lines(lang: Lang, set: &IndexSet) -> Vec<String> {
    let mut out = vec![lang.t("sets.ranking.shared").to_owned()];
    for tb in &set.ranking.tie_breakers {
        out.push(match tb {
            TieBreaker::SourcePoints(s) => lang.tf(
                "sets.ranking.by_source",
                &[("source", source_label(lang, *s))],
            ),
            TieBreaker::NodePoints(c) => {
                let title = set.find(c).map_or("", |n| n.title.as_str());
                lang.tf(
                    "sets.ranking.by_node",
                    &[("code", c.as_str()), ("title", title)],
                )
            }
        });
    }
    if set.renormalise_absent_areas {
        out.push(lang.t("sets.ranking.renormalise").to_owned());
    }
    out
}

/// `GET /quan-tri/bo-chi-so`.
#[derive(Template)]
#[template(path = "sets_list.html")]
pub(crate) struct ListPage {
    pub ctx: PageCtx,
    pub title: &'static str,
    pub manage: bool,
    pub rows: Vec<SetRow>,
    pub notice: Option<String>,
    pub errors: Vec<String>,
    pub file_errors: Vec<FileErrorRow>,
    pub replace: bool,
}

/// One line of the list.
pub(crate) struct SetRow {
    pub code: String,
    pub href: String,
    pub name: String,
    pub year: String,
    pub decision: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub periods: String,
    pub leaves: String,
}

/// One problem of an imported file.
pub(crate) struct FileErrorRow {
    pub file: String,
    pub row: String,
    pub column: String,
    pub message: String,
}

impl FileErrorRow {
    pub fn new(lang: crate::Lang, e: &chiso_formats::ImportError) -> Self {
        FileErrorRow {
            file: e.file.clone(),
            row: e.row.map_or_else(|| DASH.to_owned(), |r| r.to_string()),
            column: e.column.clone().unwrap_or_else(|| DASH.to_owned()),
            message: crate::error::problem_text(lang, &e.problem),
        }
    }
}

impl ListPage {
    pub fn new(ctx: PageCtx, manage: bool, items: &[SetListItem]) -> Self {
        let lang = ctx.lang;
        let rows = items
            .iter()
            .map(|i| {
                let s = &i.summary;
                let (status, status_class) = status(lang, s.frozen, !i.periods.is_empty());
                SetRow {
                    code: s.code.to_string(),
                    href: set_href(s.code.as_str()),
                    name: s.name.clone(),
                    year: s.year.to_string(),
                    decision: s.decision.clone().unwrap_or_else(|| DASH.to_owned()),
                    status,
                    status_class,
                    periods: join_codes(&i.periods),
                    leaves: format::count(s.leaves),
                }
            })
            .collect();
        ListPage {
            title: ctx.t("sets.title"),
            ctx,
            manage,
            rows,
            notice: None,
            errors: Vec::new(),
            file_errors: Vec::new(),
            replace: false,
        }
    }
}

/// A criterion whose rule names a day, as the clone form lists it.
pub(crate) struct DatedRow {
    pub code: String,
    pub title: String,
    /// `10/12/2025`.
    pub date: String,
    pub href: String,
}

/// The forms of the set page, with what was typed when a post failed.
#[derive(Default)]
pub(crate) struct DetailDrafts {
    pub clone: Option<SetInfo>,
    pub info: Option<SetInfo>,
    pub add: Option<NodeFields>,
}

/// `GET /quan-tri/bo-chi-so/{set}`.
#[derive(Template)]
#[template(path = "sets_detail.html")]
pub(crate) struct DetailPage {
    pub ctx: PageCtx,
    pub title: String,
    pub head: SetHead,
    pub manage: bool,
    pub editable: bool,
    pub rows: Vec<NodeRow>,
    pub bands: Vec<BandGroup>,
    pub ranking: Vec<String>,
    pub issues: Vec<String>,
    pub notice: Option<String>,
    pub errors: Vec<String>,
    pub clone: SetInfo,
    /// The criteria whose rules name a day, which a clone may move to the new year.
    pub dated: Vec<DatedRow>,
    pub info: SetInfo,
    pub add: FieldsForm,
}

impl DetailPage {
    pub fn new(ctx: PageCtx, loaded: &LoadedSet, drafts: DetailDrafts) -> Self {
        let lang = ctx.lang;
        let manage = loaded.access.manage();
        let set = &loaded.set;
        let mut bands = vec![BandGroup {
            name: lang.t("sets.band.default").to_owned(),
            bands: band_views(lang, &set.classes.default),
        }];
        for (group, b) in &set.classes.groups {
            bands.push(BandGroup {
                name: group.to_string(),
                bands: band_views(lang, b),
            });
        }
        let next_year = set.year.saturating_add(1);
        let clone = drafts.clone.unwrap_or_else(|| SetInfo {
            code: suggest_code(set.code.as_str(), set.year, next_year),
            name: set
                .name
                .replace(&set.year.to_string(), &next_year.to_string()),
            year: next_year.to_string(),
            decision: String::new(),
            shift: CloneSet::shift_by_default(set.year, next_year),
        });
        let dated = set
            .dated_rules()
            .into_iter()
            .map(|r| DatedRow {
                href: node_href(set.code.as_str(), r.code.as_str()),
                code: r.code.to_string(),
                title: r.title,
                date: vi_date(r.date),
            })
            .collect();
        let info = drafts.info.unwrap_or_else(|| SetInfo {
            code: set.code.to_string(),
            name: set.name.clone(),
            year: set.year.to_string(),
            decision: set.decision.clone().unwrap_or_default(),
            shift: false,
        });
        let add = match drafts.add {
            Some(f) => FieldsForm::new(lang, f),
            None => FieldsForm::blank(lang, super::service::next_code(set, None), Source::Assessed),
        };
        DetailPage {
            title: set.name.clone(),
            head: SetHead::new(lang, loaded),
            manage,
            editable: loaded.editable(),
            rows: set
                .walk()
                .into_iter()
                .map(|n| NodeRow::new(lang, set, n))
                .collect(),
            bands,
            ranking: ranking_lines(lang, set),
            issues: crate::error::detail_lines(
                lang,
                Some(&chiso_services::Detail::Problems(
                    chiso_services::index_sets::issues(set),
                )),
            ),
            notice: None,
            errors: Vec::new(),
            clone,
            dated,
            info,
            add,
            ctx,
        }
    }
}

/// Last year's code with the year replaced (`XA-2024` → `XA-2025`), else the code and the
/// new year.
fn suggest_code(code: &str, year: i32, next: i32) -> String {
    let y = year.to_string();
    if code.contains(&y) {
        code.replace(&y, &next.to_string())
    } else {
        format!("{code}-{next}")
    }
}

/// The forms of the criterion page, with what was typed when a post failed.
#[derive(Default)]
pub(crate) struct NodeDrafts {
    pub edit: Option<NodeFields>,
    pub add: Option<NodeFields>,
}

/// `GET /quan-tri/bo-chi-so/{set}/tieu-chi/{node}`.
#[derive(Template)]
#[template(path = "sets_node.html")]
pub(crate) struct NodePage {
    pub ctx: PageCtx,
    pub title: String,
    pub head: SetHead,
    pub node: NodeRow,
    /// Breadcrumb above the node: its ancestors.
    pub trail: Vec<NodeRow>,
    pub children: Vec<NodeRow>,
    pub manage: bool,
    pub editable: bool,
    pub notice: Option<String>,
    pub errors: Vec<String>,
    pub edit: FieldsForm,
    pub add: FieldsForm,
}

impl NodePage {
    /// `None` when the set has no node `code`.
    pub fn new(
        ctx: PageCtx,
        loaded: &LoadedSet,
        code: &NodeCode,
        drafts: NodeDrafts,
    ) -> Option<Self> {
        let lang = ctx.lang;
        let manage = loaded.access.manage();
        let set = &loaded.set;
        let node = set.find(code)?;
        let mut trail = Vec::new();
        let mut up = code.parent();
        while let Some(p) = up {
            if let Some(n) = set.find(&p) {
                trail.push(NodeRow::new(lang, set, n));
            }
            up = p.parent();
        }
        trail.reverse();
        let edit = FieldsForm::new(lang, drafts.edit.unwrap_or_else(|| NodeFields::of(node)));
        let add = match drafts.add {
            Some(f) => FieldsForm::new(lang, f),
            None => FieldsForm::blank(
                lang,
                super::service::next_code(set, Some(code)),
                node.source,
            ),
        };
        Some(NodePage {
            title: format!("{} {}", node.code, node.title),
            head: SetHead::new(lang, loaded),
            node: NodeRow::new(lang, set, node),
            trail,
            children: node
                .children
                .iter()
                .map(|c| NodeRow::new(lang, set, c))
                .collect(),
            manage,
            editable: loaded.editable(),
            notice: None,
            errors: Vec::new(),
            edit,
            add,
            ctx,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chiso_domain::Grade;
    use rust_decimal_macros::dec;
    use time::macros::date;

    fn tier(min: Decimal, below: Option<Decimal>, points: Decimal) -> Tier {
        Tier { min, below, points }
    }

    #[test]
    fn tiers_read_highest_first_with_the_ranges_they_really_cover() {
        let m = Method::Tiers {
            basis: TierBasis::Percent,
            tiers: vec![
                tier(dec!(0), None, dec!(0)),
                tier(dec!(90), None, dec!(1)),
                tier(dec!(95), None, dec!(1.5)),
                tier(dec!(100), None, dec!(2)),
            ],
        };
        assert_eq!(
            method_text(Lang::Vi, &m, Points(dec!(2))),
            "Theo tỷ lệ phần trăm: từ 100 % trở lên: 2 điểm; từ 95 % đến dưới 100 %: 1,5 điểm; \
             từ 90 % đến dưới 95 %: 1 điểm; từ 0 % đến dưới 90 %: 0 điểm"
        );
        assert!(method_text(Lang::En, &m, Points(dec!(2))).contains("from 95 % to below 100 %"));
    }

    #[test]
    fn every_method_is_described_with_its_parameters() {
        let max = Points(dec!(2));
        let cases = [
            (Method::YesNo, "2"),
            (
                Method::Count {
                    per: dec!(0.5),
                    cap: None,
                },
                "0,5",
            ),
            (Method::Proportional, "2"),
            (
                Method::Graded {
                    grades: vec![Grade {
                        code: "T".to_owned(),
                        label: "Hoàn thành tốt".to_owned(),
                        percent: dec!(75),
                    }],
                },
                "1,5",
            ),
            (Method::Deduction { per: dec!(0.25) }, "0,25"),
            (
                Method::Manual {
                    step: Some(dec!(0.25)),
                },
                "0,25",
            ),
            (Method::Survey, "2"),
            (Method::Bonus, "2"),
            (
                Method::Tiers {
                    basis: TierBasis::DaysLate {
                        deadline: date!(2024 - 01 - 10),
                    },
                    tiers: vec![tier(dec!(0), Some(dec!(1)), dec!(2))],
                },
                "10/01/2024",
            ),
        ];
        for (m, needle) in cases {
            for lang in Lang::ALL {
                let text = method_text(lang, &m, max);
                assert!(text.contains(needle), "{m:?} in {lang:?}: {text}");
                assert!(!text.contains('{') && !text.contains("sets."), "{text}");
            }
        }
    }

    #[test]
    fn a_clone_suggests_next_years_code() {
        assert_eq!(suggest_code("XA-2024", 2024, 2025), "XA-2025");
        assert_eq!(suggest_code("BCS-MAU", 2023, 2024), "BCS-MAU-2024");
    }
}
