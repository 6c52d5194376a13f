//! The reader's tools on a period's ranking: the search form (`?tim=`, `?nhom=`), the column
//! headers that order the tables (`?sap-xep=`, `?thu-tu=`) and the links to the years before
//! and after. Everything works with plain links and a GET form: the public pages carry no
//! script.

use chiso_services::ranking::{Neighbours, RankingQuery, RankingSort, SortOrder};
use chiso_services::results::PeriodReport;

use super::PageCtx;
use super::views::period_href;

/// `?tim=…&nhom=…&sap-xep=…&thu-tu=…&phien-ban=…` of a period page, as a request carries them.
/// Every field is text so that no value, however odd, turns the page into an error: the
/// values are bounded and normalised by [`RankingQuery::parse`].
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct RankingParams {
    #[serde(rename = "phien-ban")]
    pub(crate) version: Option<String>,
    pub(crate) tim: Option<String>,
    pub(crate) nhom: Option<String>,
    #[serde(rename = "sap-xep")]
    pub(crate) sort: Option<String>,
    #[serde(rename = "thu-tu")]
    pub(crate) order: Option<String>,
}

impl RankingParams {
    /// The normalised query.
    pub(crate) fn query(&self) -> RankingQuery {
        RankingQuery::parse(
            self.tim.as_deref().unwrap_or(""),
            self.nhom.as_deref().unwrap_or(""),
            self.sort.as_deref().unwrap_or(""),
            self.order.as_deref().unwrap_or(""),
        )
    }

    /// The parts of the page's key among the pages kept for anonymous readers: everything
    /// that changes the page, normalised and bounded. The search is kept as the page shows it
    /// back (cut to 100 characters and trimmed), not folded: "TƯ PHÁP" and "tu phap" find the
    /// same units but the field and the sentence "khớp với «…»" repeat what was typed. The
    /// group is folded (the page names it as the period spells it), the column and the order
    /// are their names, so an unknown value shares the default's key.
    pub(crate) fn key_parts(&self) -> Vec<String> {
        let q = self.query();
        vec![
            format!("tim={}", q.text),
            format!("nhom={}", q.group),
            format!("sap-xep={}", q.sort.slug()),
            format!("thu-tu={}", q.order.slug()),
        ]
    }
}

/// A group offered by the search form.
pub(crate) struct GroupOption {
    pub value: String,
    pub selected: bool,
}

/// The search form and what it found.
pub(crate) struct SearchView {
    /// Where the form is sent: the period's page.
    pub action: String,
    /// The search as typed (bounded), shown back in the field.
    pub text: String,
    /// The groups to choose from; empty when the period has one group.
    pub groups: Vec<GroupOption>,
    /// Fields the form sends back unchanged: the order and the version read.
    pub hidden: Vec<(&'static str, String)>,
    /// "Tìm thấy 2 đơn vị.", when the ranking is narrowed and something was found.
    pub found: Option<String>,
    /// Why nothing is shown, when the ranking is narrowed to nothing.
    pub empty: Option<String>,
    /// The whole ranking again, when it is narrowed.
    pub clear_href: Option<String>,
}

/// One column heading of a ranking table.
pub(crate) struct SortHead {
    pub label: &'static str,
    /// The column's class (`col-index`), which the phone layout uses to keep rank, unit, index
    /// and class in view.
    pub col: &'static str,
    pub num: bool,
    /// The link ordering the tables by this column (the other order when it already does).
    pub href: Option<String>,
    /// `ascending` or `descending` on the column the tables are ordered by.
    pub aria_sort: Option<&'static str>,
    /// The link's purpose for screen readers ("Sắp xếp theo Chỉ số (%)").
    pub title: String,
    /// ▲ or ▼ on the column the tables are ordered by.
    pub arrow: &'static str,
}

/// Links to the periods before and after.
pub(crate) struct YearLinks {
    pub previous: Option<(String, String)>,
    pub next: Option<(String, String)>,
}

impl YearLinks {
    pub(crate) fn new(ctx: &PageCtx, n: &Neighbours) -> Self {
        let link = |key: &str, p: &chiso_services::ranking::PeriodLink| {
            (
                ctx.lang.tf(key, &[("name", &p.name)]),
                period_href(p.code.as_str()),
            )
        };
        YearLinks {
            previous: n.previous.as_ref().map(|p| link("years.previous", p)),
            next: n.next.as_ref().map(|p| link("years.next", p)),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.previous.is_none() && self.next.is_none()
    }
}

/// The state of a period page's tools: the query, the version read, and the group the
/// query's group names.
pub(crate) struct Tools<'a> {
    pub query: &'a RankingQuery,
    pub version: Option<i64>,
    /// The name of the group asked for, as the period spells it.
    pub group: Option<String>,
    pub href: String,
}

impl<'a> Tools<'a> {
    pub(crate) fn new(r: &PeriodReport, query: &'a RankingQuery, version: Option<i64>) -> Self {
        let group = r
            .groups
            .iter()
            .find(|g| !query.group.is_empty() && query.shows_group(&g.group))
            .map(|g| g.group.to_string());
        Tools {
            query,
            version,
            group,
            href: period_href(r.period.code.as_str()),
        }
    }

    /// The page's address with the search kept and the tables ordered by `sort`, `order`,
    /// landing on `anchor`.
    pub(crate) fn href(&self, sort: RankingSort, order: SortOrder, anchor: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if !self.query.text.is_empty() {
            q.append_pair("tim", &self.query.text);
        }
        if let Some(g) = &self.group {
            q.append_pair("nhom", g);
        }
        if sort != RankingSort::Rank || order != SortOrder::Ascending {
            q.append_pair("sap-xep", sort.slug());
            q.append_pair("thu-tu", order.slug());
        }
        if let Some(v) = self.version {
            q.append_pair("phien-ban", &v.to_string());
        }
        let q = q.finish();
        let mut out = self.href.clone();
        if !q.is_empty() {
            out.push('?');
            out.push_str(&q);
        }
        if !anchor.is_empty() {
            out.push('#');
            out.push_str(anchor);
        }
        out
    }

    /// The headings of a ranking table in `anchor`'s section.
    pub(crate) fn heads(&self, ctx: &PageCtx, anchor: &str) -> Vec<SortHead> {
        let columns: [(&'static str, &'static str, bool, Option<RankingSort>); 9] = [
            ("col.rank", "col-rank", true, Some(RankingSort::Rank)),
            ("col.code", "col-code", false, None),
            ("col.unit", "col-unit", false, Some(RankingSort::Name)),
            ("col.total", "col-total", true, Some(RankingSort::Total)),
            ("col.max", "col-max", true, None),
            ("col.index", "col-index", true, Some(RankingSort::Index)),
            ("col.class", "col-class", false, Some(RankingSort::Class)),
            (
                "col.delta_index",
                "col-delta",
                true,
                Some(RankingSort::DeltaIndex),
            ),
            (
                "col.delta_rank",
                "col-delta",
                true,
                Some(RankingSort::DeltaRank),
            ),
        ];
        columns
            .into_iter()
            .map(|(key, col, num, sort)| {
                let label = ctx.t(key);
                let current = sort.filter(|s| *s == self.query.sort);
                let order = match current {
                    Some(_) => self.query.order.reversed(),
                    None => sort.map_or(SortOrder::Ascending, RankingSort::first_order),
                };
                SortHead {
                    label,
                    col,
                    num,
                    href: sort.map(|s| self.href(s, order, anchor)),
                    aria_sort: current.map(|_| match self.query.order {
                        SortOrder::Ascending => "ascending",
                        SortOrder::Descending => "descending",
                    }),
                    title: ctx.lang.tf("ranking.sort_by", &[("column", label)]),
                    arrow: match (current, self.query.order) {
                        (None, _) => "",
                        (Some(_), SortOrder::Ascending) => "▲",
                        (Some(_), SortOrder::Descending) => "▼",
                    },
                }
            })
            .collect()
    }

    /// The search form, with what the search found among `found` units.
    pub(crate) fn search(&self, ctx: &PageCtx, r: &PeriodReport, found: usize) -> SearchView {
        let q = self.query;
        let mut hidden = Vec::new();
        if !q.default_order() {
            hidden.push(("sap-xep", q.sort.slug().to_owned()));
            hidden.push(("thu-tu", q.order.slug().to_owned()));
        }
        if let Some(v) = self.version {
            hidden.push(("phien-ban", v.to_string()));
        }
        let narrowed = q.filters();
        let n = crate::format::count(i64::try_from(found).unwrap_or(i64::MAX));
        let (found_text, empty) = match (narrowed, found, q.text.is_empty()) {
            (false, _, _) => (None, None),
            (true, 0, false) => (
                None,
                Some(ctx.lang.tf("ranking.none", &[("text", &q.text)])),
            ),
            (true, 0, true) => (None, Some(ctx.t("ranking.none_in_group").to_owned())),
            (true, _, false) => (
                Some(
                    ctx.lang
                        .tf("ranking.found_for", &[("n", &n), ("text", &q.text)]),
                ),
                None,
            ),
            (true, _, true) => (Some(ctx.lang.tf("ranking.found", &[("n", &n)])), None),
        };
        let clear_href = narrowed.then(|| {
            let all = Tools {
                query: &RankingQuery::default(),
                version: self.version,
                group: None,
                href: self.href.clone(),
            };
            all.href(q.sort, q.order, "")
        });
        SearchView {
            action: self.href.clone(),
            text: q.text.clone(),
            groups: if r.groups.len() > 1 {
                r.groups
                    .iter()
                    .map(|g| GroupOption {
                        selected: self.group.as_deref() == Some(g.group.as_str()),
                        value: g.group.to_string(),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            hidden,
            found: found_text,
            empty,
            clear_href,
        }
    }
}
