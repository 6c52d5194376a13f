//! Reading a ranking the way a citizen or an officer looks for a unit in it: a search typed
//! without diacritics, one group, the table ordered by any of its columns, and the periods
//! before and after the one read.
//!
//! Searching and ordering only choose which results are shown and in what order: every unit
//! keeps the rank its period gave it, so a search never makes a unit "first".

use std::cmp::Ordering;

use chiso_domain::authz::Principal;
use chiso_domain::text::{SearchKey, SearchQuery, compare_vi, fold};
use chiso_domain::{ClassScheme, GroupName, IndexSet, PeriodCode, UnitResult};
use chiso_store::{Db, periods, publications};

use crate::error::ServiceResult;
use crate::records::Period;
use crate::results::{GroupReport, PeriodReport};

/// Most characters of a search (or of a group's name) read from a request: unit names are far
/// shorter, and the bound keeps folding and matching cheap whatever a request carries.
pub const MAX_SEARCH_CHARS: usize = 100;

/// The column a ranking is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RankingSort {
    /// The official rank (the default order of every ranking).
    #[default]
    Rank,
    /// The unit's name, in Vietnamese alphabetical order.
    Name,
    /// Total points.
    Total,
    /// The index.
    Index,
    /// The class, lowest band to highest when ascending.
    Class,
    /// The change of index since the previous period.
    DeltaIndex,
    /// The change of rank since the previous period.
    DeltaRank,
}

impl RankingSort {
    /// Every column that can order a ranking.
    pub const ALL: [RankingSort; 7] = [
        RankingSort::Rank,
        RankingSort::Name,
        RankingSort::Total,
        RankingSort::Index,
        RankingSort::Class,
        RankingSort::DeltaIndex,
        RankingSort::DeltaRank,
    ];

    /// The column's word in addresses (`?sap-xep=chi-so`).
    pub fn slug(self) -> &'static str {
        match self {
            RankingSort::Rank => "hang",
            RankingSort::Name => "ten",
            RankingSort::Total => "diem",
            RankingSort::Index => "chi-so",
            RankingSort::Class => "xep-loai",
            RankingSort::DeltaIndex => "tang-giam-chi-so",
            RankingSort::DeltaRank => "tang-giam-hang",
        }
    }

    /// The column named by `slug`; `None` for anything else (the default order is then used).
    pub fn from_slug(slug: &str) -> Option<RankingSort> {
        let slug = slug.trim();
        Self::ALL.into_iter().find(|s| s.slug() == slug)
    }

    /// The order a first click on the column gives: ranks and names from the top of the
    /// list, figures from the highest, which is what a reader looks for first.
    pub fn first_order(self) -> SortOrder {
        match self {
            RankingSort::Rank | RankingSort::Name => SortOrder::Ascending,
            _ => SortOrder::Descending,
        }
    }
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortOrder {
    /// Smallest first (`tang`).
    Ascending,
    /// Largest first (`giam`).
    Descending,
}

impl SortOrder {
    /// The order's word in addresses (`?thu-tu=giam`).
    pub fn slug(self) -> &'static str {
        match self {
            SortOrder::Ascending => "tang",
            SortOrder::Descending => "giam",
        }
    }

    /// The order named by `slug`, if any.
    pub fn from_slug(slug: &str) -> Option<SortOrder> {
        match slug.trim() {
            "tang" => Some(SortOrder::Ascending),
            "giam" => Some(SortOrder::Descending),
            _ => None,
        }
    }

    /// The other order.
    pub fn reversed(self) -> SortOrder {
        match self {
            SortOrder::Ascending => SortOrder::Descending,
            SortOrder::Descending => SortOrder::Ascending,
        }
    }
}

/// What a reader asked of a ranking: a search, a group, an order. Built from raw request text
/// by [`RankingQuery::parse`], which bounds and normalises it, so that two requests asking the
/// same thing give equal queries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RankingQuery {
    /// The search as typed, cut to [`MAX_SEARCH_CHARS`] and trimmed (shown back in the field).
    pub text: String,
    /// The folded search (lower-case, without diacritics).
    pub folded: String,
    search: SearchQuery,
    /// The group asked for, folded; empty for every group.
    pub group: String,
    /// The column ordering the tables.
    pub sort: RankingSort,
    /// The order of that column.
    pub order: SortOrder,
}

impl Default for RankingQuery {
    fn default() -> Self {
        RankingQuery::parse("", "", "", "")
    }
}

/// At most `max` characters of `s`.
fn bounded(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

impl RankingQuery {
    /// The query of the raw `tim` (search), `nhom` (group), `sap-xep` (column) and `thu-tu`
    /// (order) of a request. Never fails: an unknown column or order gives the default
    /// (by rank, or the column's first order), text past [`MAX_SEARCH_CHARS`] is dropped.
    pub fn parse(text: &str, group: &str, sort: &str, order: &str) -> Self {
        let text = bounded(text, MAX_SEARCH_CHARS).trim().to_owned();
        let folded = fold(&text);
        let sort = RankingSort::from_slug(sort).unwrap_or_default();
        let order = SortOrder::from_slug(order).unwrap_or_else(|| sort.first_order());
        RankingQuery {
            search: SearchQuery::new(&folded),
            folded,
            text,
            group: fold(bounded(group, MAX_SEARCH_CHARS)),
            sort,
            order,
        }
    }

    /// Whether the query narrows the ranking (a search or a group).
    pub fn filters(&self) -> bool {
        !self.search.is_empty() || !self.group.is_empty()
    }

    /// Whether the tables are in their default order (by rank, from the first).
    pub fn default_order(&self) -> bool {
        self.sort == RankingSort::Rank && self.order == SortOrder::Ascending
    }

    /// Whether `group` is one the query shows.
    pub fn shows_group(&self, group: &GroupName) -> bool {
        self.group.is_empty() || fold(group.as_str()) == self.group
    }

    /// Whether `unit` answers the search (its name or its code, without diacritics).
    pub fn matches(&self, unit: &UnitResult) -> bool {
        SearchKey::from_fields([unit.name.as_str(), unit.unit.as_str()]).matches(&self.search)
    }
}

/// The position of `class` among the bands of `group` in `set` (0 = the highest band); the
/// common default bands when the set is unknown.
pub fn class_band(set: Option<&IndexSet>, group: &GroupName, class: Option<&str>) -> Option<usize> {
    let class = class?;
    match set {
        Some(set) => set
            .classes
            .bands_for(group)
            .iter()
            .position(|b| b.label == class),
        None => ClassScheme::common_default()
            .default
            .iter()
            .position(|b| b.label == class),
    }
}

/// Compares two optional figures, a missing one after every present one whatever the order
/// (a unit without a rank or a previous year is never "first").
fn missing_last<T: Ord>(a: Option<T>, b: Option<T>, order: SortOrder) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => match order {
            SortOrder::Ascending => a.cmp(&b),
            SortOrder::Descending => b.cmp(&a),
        },
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The units of `group` that `query` shows, as indexes into `group.units`, in the order it
/// asks for; ties keep the official order.
pub fn select(group: &GroupReport, query: &RankingQuery) -> Vec<usize> {
    if !query.shows_group(&group.group) {
        return Vec::new();
    }
    let mut shown: Vec<usize> = (0..group.units.len())
        .filter(|&i| query.matches(&group.units[i]))
        .collect();
    let units = &group.units;
    let order = query.order;
    let set = group.set.as_deref();
    // Bands count from the highest (0), so a higher class has a smaller band: ascending by
    // class is descending by band.
    let band =
        |u: &UnitResult| class_band(set, &group.group, u.class.as_deref()).map(std::cmp::Reverse);
    shown.sort_by(|&a, &b| {
        let (x, y) = (&units[a], &units[b]);
        let by = match query.sort {
            RankingSort::Rank => missing_last(x.rank, y.rank, order),
            RankingSort::Name => {
                let c = compare_vi(&x.name, &y.name);
                match order {
                    SortOrder::Ascending => c,
                    SortOrder::Descending => c.reverse(),
                }
            }
            RankingSort::Total => missing_last(Some(x.total.0), Some(y.total.0), order),
            RankingSort::Index => missing_last(Some(x.index), Some(y.index), order),
            RankingSort::Class => missing_last(band(x), band(y), order),
            RankingSort::DeltaIndex => missing_last(x.delta_index, y.delta_index, order),
            RankingSort::DeltaRank => missing_last(x.delta_rank, y.delta_rank, order),
        };
        by.then(a.cmp(&b))
    });
    shown
}

/// For each group of `report`, the units `query` shows (see [`select`]).
pub fn select_all(report: &PeriodReport, query: &RankingQuery) -> Vec<Vec<usize>> {
    report.groups.iter().map(|g| select(g, query)).collect()
}

/// A period a page links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodLink {
    /// Its code.
    pub code: PeriodCode,
    /// Its name (as published, once it is).
    pub name: String,
    /// Its year.
    pub year: i32,
}

/// The periods just before and just after one, among those the reader may open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Neighbours {
    /// The nearest earlier period.
    pub previous: Option<PeriodLink>,
    /// The nearest later period.
    pub next: Option<PeriodLink>,
}

/// The periods before and after `code` in the order of years that `viewer` may open (see
/// [`crate::results::may_open_period`]): a visitor moves between published years only.
#[tracing::instrument(skip_all, fields(period = %code))]
pub async fn neighbours(
    db: &Db,
    viewer: &Principal,
    code: &PeriodCode,
) -> ServiceResult<Neighbours> {
    // Newest first.
    let list = periods::list(db).await?;
    let published = publications::latest_all(db).await?;
    let Some(at) = list.iter().position(|p| &p.code == code) else {
        return Ok(Neighbours::default());
    };
    let link = |p: &Period| {
        let publication = published.iter().find(|x| x.period == p.code);
        crate::results::may_open_period(viewer, p, publication.is_some()).then(|| PeriodLink {
            code: p.code.clone(),
            name: publication.map_or_else(|| p.name.clone(), |x| x.period_name.clone()),
            year: publication.map_or(p.year, |x| x.year),
        })
    };
    Ok(Neighbours {
        previous: list[at + 1..].iter().find_map(link),
        next: list[..at].iter().rev().find_map(link),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chiso_domain::{Points, UnitCode};
    use rust_decimal::Decimal;

    fn unit(code: &str, name: &str, rank: u32, index: i64) -> UnitResult {
        UnitResult {
            unit: UnitCode::parse(code).unwrap(),
            name: name.to_owned(),
            group: GroupName::parse("Sở").unwrap(),
            ranked: true,
            total: Points(Decimal::from(index)),
            max: Points(Decimal::from(100)),
            index: Decimal::from(index),
            class: None,
            rank: Some(rank),
            group_size: 3,
            nodes: Vec::new(),
            leaves: Vec::new(),
            previous_index: None,
            delta_index: None,
            delta_rank: None,
            previous_rank: None,
            previous_group_size: None,
            compared_with: Vec::new(),
            streak: 0,
            note: None,
        }
    }

    fn group() -> GroupReport {
        GroupReport {
            group: GroupName::parse("Sở").unwrap(),
            set: None,
            stats: None,
            units: vec![
                unit("SNV", "Sở Nội vụ", 1, 90),
                unit("STP", "Sở Tư pháp", 2, 80),
                unit("SDT", "Sở Đào tạo", 3, 70),
            ],
        }
    }

    fn codes(g: &GroupReport, shown: &[usize]) -> Vec<String> {
        shown.iter().map(|&i| g.units[i].unit.to_string()).collect()
    }

    #[test]
    fn a_search_without_diacritics_or_case_finds_the_unit() {
        let g = group();
        for typed in ["so noi vu", "SO NOI VU", "nội", "snv"] {
            let q = RankingQuery::parse(typed, "", "", "");
            assert_eq!(codes(&g, &select(&g, &q)), ["SNV"], "{typed}");
        }
    }

    #[test]
    fn names_sort_in_vietnamese_order_with_d_stroke_after_d() {
        let g = group();
        let q = RankingQuery::parse("", "", "ten", "tang");
        // Đ is a letter of its own between D and E, so "Sở Đào tạo" comes before "Sở Nội vụ".
        assert_eq!(codes(&g, &select(&g, &q)), ["SDT", "SNV", "STP"]);
        let q = RankingQuery::parse("", "", "ten", "giam");
        assert_eq!(codes(&g, &select(&g, &q)), ["STP", "SNV", "SDT"]);
    }

    #[test]
    fn an_index_sort_ascending_puts_the_lowest_first() {
        let g = group();
        let q = RankingQuery::parse("", "", "chi-so", "tang");
        assert_eq!(codes(&g, &select(&g, &q)), ["SDT", "STP", "SNV"]);
    }

    #[test]
    fn an_unknown_column_falls_back_to_the_rank_order() {
        let g = group();
        let q = RankingQuery::parse("", "", "<script>", "sideways");
        assert_eq!(q.sort, RankingSort::Rank);
        assert_eq!(q.order, SortOrder::Ascending);
        assert_eq!(codes(&g, &select(&g, &q)), ["SNV", "STP", "SDT"]);
    }

    #[test]
    fn a_long_search_is_cut_to_its_bound() {
        let q = RankingQuery::parse(&"ạ".repeat(10_000), "", "", "");
        assert_eq!(q.text.chars().count(), MAX_SEARCH_CHARS);
        assert_eq!(q.folded, "a".repeat(MAX_SEARCH_CHARS));
    }

    #[test]
    fn another_group_shows_nothing_of_this_one() {
        let g = group();
        let q = RankingQuery::parse("", "ubnd cap huyen", "", "");
        assert!(select(&g, &q).is_empty());
        let q = RankingQuery::parse("", "SỞ", "", "");
        assert_eq!(select(&g, &q).len(), 3);
    }
}
