//! View models of the unit administration pages: the service's units turned into the strings
//! the templates lay out (translated kinds, Vietnamese dates and counts, links).

use askama::Template;
use chiso_domain::fmt::vi_date;
use chiso_domain::{LineageKind, Unit, UnitCode, UnitKind};
use chiso_services::records::{AuditEntry, IndexSetSummary, Period};

use super::form::FieldErrors;
use super::service::{
    Edge, ImportDraft, ImportProblem, Imported, ListedUnit, ReorgDraft, UnitDetail, UnitDraft,
    UnitFilter, UnitListing,
};
use crate::format::{self, DASH};
use crate::pages::PageCtx;

/// Where the unit administration lives.
pub(crate) const UNITS: &str = "/quan-tri/don-vi";

/// Every kind of unit, in the order the forms list them.
pub(crate) const KINDS: [UnitKind; 9] = [
    UnitKind::Province,
    UnitKind::Ministry,
    UnitKind::Department,
    UnitKind::District,
    UnitKind::Commune,
    UnitKind::Ward,
    UnitKind::Township,
    UnitKind::SpecialZone,
    UnitKind::Other,
];

/// The page of one unit.
pub(crate) fn unit_href(code: &UnitCode) -> String {
    format!("{UNITS}/{}", format::segment(code.as_str()))
}

/// The translated name of a kind of unit.
pub(crate) fn kind_label(ctx: &PageCtx, kind: UnitKind) -> String {
    ctx.lang
        .lookup(&format!("units.kind_{}", kind.as_str()))
        .map_or_else(|| kind.label_vi().to_owned(), str::to_owned)
}

/// The translated name of a kind of lineage.
fn lineage_label(ctx: &PageCtx, kind: LineageKind) -> &'static str {
    ctx.t(match kind {
        LineageKind::Merger => "units.lineage_merger",
        LineageKind::Split => "units.lineage_split",
        LineageKind::Rename => "units.lineage_rename",
    })
}

/// One `<option>`.
#[derive(Debug, Clone)]
pub(crate) struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn kind_options(ctx: &PageCtx, selected: &str) -> Vec<Opt> {
    let chosen = UnitKind::parse(selected);
    KINDS
        .iter()
        .map(|k| Opt {
            value: k.as_str().to_owned(),
            label: kind_label(ctx, *k),
            selected: chosen == Some(*k),
        })
        .collect()
}

/// A link to a unit's page.
#[derive(Debug, Clone)]
pub(crate) struct UnitLink {
    pub code: String,
    pub name: String,
    pub href: String,
}

impl UnitLink {
    fn new(code: &UnitCode, name: Option<&str>) -> Self {
        UnitLink {
            code: code.to_string(),
            name: name.unwrap_or_default().to_owned(),
            href: unit_href(code),
        }
    }
}

/// "từ 01/07/2025", "đến 30/06/2025", both, or a dash.
fn validity(ctx: &PageCtx, u: &Unit) -> String {
    match (u.valid_from, u.valid_to) {
        (None, None) => DASH.to_owned(),
        (Some(f), None) => ctx
            .lang
            .tf("units.valid_from_only", &[("from", &vi_date(f))]),
        (None, Some(t)) => ctx.lang.tf("units.valid_to_only", &[("to", &vi_date(t))]),
        (Some(f), Some(t)) => ctx.lang.tf(
            "units.valid_between",
            &[("from", &vi_date(f)), ("to", &vi_date(t))],
        ),
    }
}

/// One line of the unit list.
pub(crate) struct UnitRow {
    pub link: UnitLink,
    pub kind: String,
    pub parent: Option<UnitLink>,
    pub predecessors: Vec<UnitLink>,
    pub successors: Vec<UnitLink>,
    pub validity: String,
    pub ceased: bool,
}

impl UnitRow {
    fn new(ctx: &PageCtx, l: &ListedUnit) -> Self {
        let u = &l.unit;
        UnitRow {
            link: UnitLink::new(&u.code, Some(&u.name)),
            kind: kind_label(ctx, u.kind),
            parent: u
                .parent
                .as_ref()
                .map(|p| UnitLink::new(p, l.parent_name.as_deref())),
            predecessors: l
                .predecessors
                .iter()
                .map(|c| UnitLink::new(c, None))
                .collect(),
            successors: l
                .successors
                .iter()
                .map(|c| UnitLink::new(c, None))
                .collect(),
            validity: validity(ctx, u),
            ceased: u.valid_to.is_some(),
        }
    }
}

/// `GET /quan-tri/don-vi`.
#[derive(Template)]
#[template(path = "units_list.html")]
pub(crate) struct UnitsListPage {
    pub ctx: PageCtx,
    pub title: &'static str,
    pub query: String,
    pub kinds: Vec<Opt>,
    pub parents: Vec<Opt>,
    pub rows: Vec<UnitRow>,
    pub summary: String,
    pub page_label: String,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub filtered: bool,
}

/// The list's address with these filters and page.
fn list_href(filter: &UnitFilter, page: usize) -> String {
    let mut parts = Vec::new();
    if !filter.query.trim().is_empty() {
        parts.push(format!("q={}", format::segment(filter.query.trim())));
    }
    if let Some(k) = filter.kind {
        parts.push(format!("loai={}", k.as_str()));
    }
    if let Some(p) = &filter.parent {
        parts.push(format!("thuoc={}", format::segment(p.as_str())));
    }
    if page > 1 {
        parts.push(format!("trang={page}"));
    }
    if parts.is_empty() {
        UNITS.to_owned()
    } else {
        format!("{UNITS}?{}", parts.join("&"))
    }
}

impl UnitsListPage {
    pub fn new(ctx: PageCtx, filter: &UnitFilter, listing: &UnitListing) -> Self {
        let first = (listing.page - 1) * super::service::PAGE_SIZE;
        let summary = if listing.matching == 0 {
            ctx.t("units.list_none").to_owned()
        } else {
            ctx.lang.tf(
                "units.list_summary",
                &[
                    ("from", &format::count(to_i64(first + 1))),
                    ("to", &format::count(to_i64(first + listing.rows.len()))),
                    ("matching", &format::count(to_i64(listing.matching))),
                    ("total", &format::count(to_i64(listing.total))),
                ],
            )
        };
        let kind = filter.kind.map(|k| k.as_str()).unwrap_or_default();
        UnitsListPage {
            title: ctx.t("units.title"),
            query: filter.query.clone(),
            kinds: kind_options(&ctx, kind),
            parents: listing
                .parents
                .iter()
                .map(|(c, n)| Opt {
                    value: c.to_string(),
                    label: format!("{n} ({c})"),
                    selected: filter.parent.as_ref() == Some(c),
                })
                .collect(),
            rows: listing.rows.iter().map(|r| UnitRow::new(&ctx, r)).collect(),
            summary,
            page_label: ctx.lang.tf(
                "units.page_of",
                &[
                    ("page", &listing.page.to_string()),
                    ("pages", &listing.pages.to_string()),
                ],
            ),
            prev_href: (listing.page > 1).then(|| list_href(filter, listing.page - 1)),
            next_href: (listing.page < listing.pages).then(|| list_href(filter, listing.page + 1)),
            filtered: filter.kind.is_some()
                || filter.parent.is_some()
                || !filter.query.trim().is_empty(),
            ctx,
        }
    }
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `GET /quan-tri/don-vi/them`.
#[derive(Template)]
#[template(path = "units_new.html")]
pub(crate) struct NewUnitPage {
    pub ctx: PageCtx,
    pub title: &'static str,
    pub draft: UnitDraft,
    pub kinds: Vec<Opt>,
    pub errors: FieldErrors,
}

impl NewUnitPage {
    pub fn new(ctx: PageCtx, draft: UnitDraft, errors: FieldErrors) -> Self {
        NewUnitPage {
            title: ctx.t("units.new_title"),
            kinds: kind_options(&ctx, &draft.kind),
            draft,
            errors,
            ctx,
        }
    }
}

/// A lineage edge as the unit page shows it.
pub(crate) struct EdgeRow {
    pub other: UnitLink,
    pub kind: &'static str,
    pub effective: String,
}

fn edge_row(ctx: &PageCtx, e: &Edge, other: &UnitCode) -> EdgeRow {
    EdgeRow {
        other: UnitLink::new(other, e.other_name.as_deref()),
        kind: lineage_label(ctx, e.lineage.kind),
        effective: e.lineage.effective.map_or_else(|| DASH.to_owned(), vi_date),
    }
}

/// One change of the unit's history.
pub(crate) struct HistoryRow {
    pub when: String,
    pub who: String,
    pub what: String,
    pub reason: String,
}

fn describe_change(ctx: &PageCtx, e: &AuditEntry) -> String {
    let unit_of = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .and_then(|j| serde_json::from_value::<Unit>(j.clone()).ok())
    };
    let lineage_of = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .and_then(|j| serde_json::from_value::<chiso_domain::Lineage>(j.clone()).ok())
    };
    if e.entity == chiso_services::units::LINEAGE_ENTITY {
        return match lineage_of(&e.new).or_else(|| lineage_of(&e.old)) {
            Some(l) => ctx.lang.tf(
                "units.history_lineage",
                &[
                    ("kind", lineage_label(ctx, l.kind)),
                    ("from", l.predecessor.as_str()),
                    ("to", l.successor.as_str()),
                    (
                        "date",
                        &l.effective.map_or_else(|| DASH.to_owned(), vi_date),
                    ),
                ],
            ),
            None => e.entity_key.clone(),
        };
    }
    match (unit_of(&e.old), unit_of(&e.new)) {
        (None, Some(_)) => ctx.t("units.history_created").to_owned(),
        (Some(old), Some(new)) => {
            let opt = |c: &Option<UnitCode>| {
                c.as_ref()
                    .map_or_else(|| DASH.to_owned(), ToString::to_string)
            };
            let day = |d: Option<time::Date>| d.map_or_else(|| DASH.to_owned(), vi_date);
            let mut parts = Vec::new();
            let mut diff = |key: &'static str, a: String, b: String| {
                if a != b {
                    parts.push(format!("{}: {a} → {b}", ctx.t(key)));
                }
            };
            diff("units.field_name", old.name.clone(), new.name.clone());
            diff(
                "units.field_kind",
                kind_label(ctx, old.kind),
                kind_label(ctx, new.kind),
            );
            diff("units.field_parent", opt(&old.parent), opt(&new.parent));
            diff(
                "units.field_valid_from",
                day(old.valid_from),
                day(new.valid_from),
            );
            diff("units.field_valid_to", day(old.valid_to), day(new.valid_to));
            if parts.is_empty() {
                ctx.t("units.history_updated").to_owned()
            } else {
                parts.join("; ")
            }
        }
        _ => e.action.clone(),
    }
}

/// `GET /quan-tri/don-vi/{code}`: the unit, its lineage and history, and its edit form.
#[derive(Template)]
#[template(path = "units_unit.html")]
pub(crate) struct UnitPage {
    pub ctx: PageCtx,
    pub title: String,
    pub code: String,
    pub href: String,
    pub kind: String,
    pub parent: Option<UnitLink>,
    pub validity: String,
    pub children: Vec<UnitLink>,
    pub children_href: String,
    pub predecessors: Vec<EdgeRow>,
    pub successors: Vec<EdgeRow>,
    pub history: Vec<HistoryRow>,
    pub draft: UnitDraft,
    pub kinds: Vec<Opt>,
    pub errors: FieldErrors,
    pub notice: Option<String>,
    pub merge_href: String,
    pub split_href: String,
}

impl UnitPage {
    pub fn new(
        ctx: PageCtx,
        d: &UnitDetail,
        draft: Option<UnitDraft>,
        errors: FieldErrors,
        notice: Option<String>,
    ) -> Self {
        let u = &d.unit;
        let draft = draft.unwrap_or_else(|| UnitDraft::of(u));
        let code = format::segment(u.code.as_str());
        UnitPage {
            title: u.name.clone(),
            code: u.code.to_string(),
            href: unit_href(&u.code),
            kind: kind_label(&ctx, u.kind),
            parent: d
                .parent
                .as_ref()
                .map(|p| UnitLink::new(&p.code, Some(&p.name))),
            validity: validity(&ctx, u),
            children: d
                .children
                .iter()
                .map(|c| UnitLink::new(&c.code, Some(&c.name)))
                .collect(),
            children_href: format!("{UNITS}?thuoc={code}"),
            predecessors: d
                .predecessors
                .iter()
                .map(|e| edge_row(&ctx, e, &e.lineage.predecessor))
                .collect(),
            successors: d
                .successors
                .iter()
                .map(|e| edge_row(&ctx, e, &e.lineage.successor))
                .collect(),
            history: d
                .history
                .iter()
                .map(|e| HistoryRow {
                    when: format::date(e.at),
                    who: e.actor.clone(),
                    what: describe_change(&ctx, e),
                    reason: e.reason.clone().unwrap_or_default(),
                })
                .collect(),
            kinds: kind_options(&ctx, &draft.kind),
            draft,
            errors,
            notice,
            merge_href: format!("{UNITS}/sap-nhap-chia-tach?tu={code}#sap-nhap"),
            split_href: format!("{UNITS}/sap-nhap-chia-tach?tu={code}#chia-tach"),
            ctx,
        }
    }
}

/// One problem of a refused file, as the table shows it.
pub(crate) struct ProblemRow {
    pub row: String,
    pub column: String,
    pub message: String,
}

/// What an accepted import did, as the page shows it.
pub(crate) struct ImportSummary {
    pub headline: String,
    pub created: Vec<UnitLink>,
    pub updated: Vec<UnitLink>,
    pub groups: Vec<String>,
}

/// `GET /quan-tri/don-vi/nhap-tep` and the answer to an upload.
#[derive(Template)]
#[template(path = "units_import.html")]
pub(crate) struct ImportPage {
    pub ctx: PageCtx,
    pub title: &'static str,
    pub periods: Vec<Opt>,
    pub sets: Vec<Opt>,
    pub errors: FieldErrors,
    pub file: String,
    pub problems: Vec<ProblemRow>,
    pub problems_title: String,
    pub summary: Option<ImportSummary>,
}

impl ImportPage {
    pub fn new(
        ctx: PageCtx,
        periods: &[Period],
        sets: &[IndexSetSummary],
        draft: &ImportDraft,
        errors: FieldErrors,
    ) -> Self {
        ImportPage {
            title: ctx.t("units.import_title"),
            periods: periods
                .iter()
                .map(|p| Opt {
                    value: p.code.to_string(),
                    label: format!("{} ({})", p.name, p.code),
                    selected: draft.period.trim() == p.code.as_str(),
                })
                .collect(),
            sets: sets
                .iter()
                .map(|s| Opt {
                    value: s.code.to_string(),
                    label: format!("{} ({})", s.name, s.code),
                    selected: draft.set.trim() == s.code.as_str(),
                })
                .collect(),
            errors,
            file: String::new(),
            problems: Vec::new(),
            problems_title: String::new(),
            summary: None,
            ctx,
        }
    }

    /// The file was refused: every problem, by row and column.
    pub fn refused(mut self, file: &str, problems: &[ImportProblem]) -> Self {
        self.file = file.to_owned();
        self.problems_title = self.ctx.lang.tf(
            "units.import_refused",
            &[
                ("file", file),
                ("n", &format::count(to_i64(problems.len()))),
            ],
        );
        self.problems = problems
            .iter()
            .map(|p| ProblemRow {
                row: p.row.map_or_else(|| DASH.to_owned(), |r| r.to_string()),
                column: p.column.clone().unwrap_or_else(|| DASH.to_owned()),
                message: p.message.clone(),
            })
            .collect();
        self
    }

    /// The file was imported.
    pub fn imported(mut self, done: &Imported) -> Self {
        let c = &done.changes;
        let headline = self.ctx.lang.tf(
            "units.import_done",
            &[
                ("file", &done.file),
                ("created", &format::count(to_i64(c.created.len()))),
                ("updated", &format::count(to_i64(c.updated.len()))),
                ("unchanged", &format::count(to_i64(c.unchanged))),
                ("lineage", &format::count(to_i64(c.lineage))),
            ],
        );
        let groups = match &done.period {
            Some(p) => done
                .groups
                .iter()
                .map(|(g, s)| {
                    self.ctx.lang.tf(
                        "units.import_group",
                        &[
                            ("group", g.as_str()),
                            ("set", s.as_str()),
                            ("period", p.as_str()),
                        ],
                    )
                })
                .collect(),
            None => Vec::new(),
        };
        self.file = done.file.clone();
        self.summary = Some(ImportSummary {
            headline,
            created: c.created.iter().map(|u| UnitLink::new(u, None)).collect(),
            updated: c.updated.iter().map(|u| UnitLink::new(u, None)).collect(),
            groups,
        });
        self
    }
}

/// `GET /quan-tri/don-vi/sap-nhap-chia-tach`: the merger and split forms.
#[derive(Template)]
#[template(path = "units_lineage.html")]
pub(crate) struct ReorgPage {
    pub ctx: PageCtx,
    pub title: &'static str,
    pub merger: ReorgDraft,
    pub split: ReorgDraft,
    pub merger_errors: FieldErrors,
    pub split_errors: FieldErrors,
    pub kinds: Vec<Opt>,
}

impl ReorgPage {
    /// The forms, the one submitted filled with what was typed and its mistakes.
    pub fn new(ctx: PageCtx, submitted: Option<(ReorgDraft, FieldErrors)>, from: &str) -> Self {
        let mut merger = ReorgDraft {
            kind: "merger".to_owned(),
            target: "existing".to_owned(),
            predecessors: from.to_owned(),
            ..ReorgDraft::default()
        };
        let mut split = ReorgDraft {
            kind: "split".to_owned(),
            predecessor: from.to_owned(),
            ..ReorgDraft::default()
        };
        let (mut merger_errors, mut split_errors) =
            (FieldErrors::default(), FieldErrors::default());
        if let Some((draft, errors)) = submitted {
            if draft.is_split() {
                split = draft;
                split_errors = errors;
            } else {
                merger = draft;
                merger_errors = errors;
            }
        }
        ReorgPage {
            title: ctx.t("units.reorg_title"),
            kinds: kind_options(&ctx, &merger.new_kind),
            merger,
            split,
            merger_errors,
            split_errors,
            ctx,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn every_kind_of_unit_and_of_lineage_has_a_label_in_both_languages() {
        for lang in Lang::ALL {
            for k in KINDS {
                assert!(
                    lang.lookup(&format!("units.kind_{}", k.as_str())).is_some(),
                    "{k:?} in {lang:?}"
                );
            }
            for key in [
                "units.lineage_merger",
                "units.lineage_split",
                "units.lineage_rename",
            ] {
                assert!(lang.lookup(key).is_some(), "{key}");
            }
        }
    }

    #[test]
    fn the_list_address_keeps_the_filters_and_drops_the_first_page_number() {
        let filter = UnitFilter {
            query: " tân khê ".to_owned(),
            kind: Some(UnitKind::Commune),
            parent: Some(UnitCode::parse("H-TK").unwrap()),
            page: 3,
        };
        assert_eq!(
            list_href(&filter, 2),
            "/quan-tri/don-vi?q=t%C3%A2n%20kh%C3%AA&loai=commune&thuoc=H-TK&trang=2"
        );
        assert_eq!(list_href(&UnitFilter::default(), 1), "/quan-tri/don-vi");
    }
}
