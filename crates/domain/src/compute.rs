//! Computation of a period (domain.md §5): leaf points → node totals → unit total, applicable
//! maximum, index, component indexes, class, rank within group, group statistics, and
//! year-over-year comparison through lineage, with streaks.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::exact::ExactSum;
use crate::ids::{GroupName, NodeCode, UnitCode};
use crate::indexset::{CompiledSet, IndexSet, Node, Source, TieBreaker};
use crate::method::{InputError, LeafOutcome, RawValue, kind_name};
use crate::points::{Points, percent, round_display};
use crate::unit::Lineage;

/// One unit's inputs for a computation: its group for the period and one raw value per leaf
/// it has data for (leaves without a value score 0 and stay in the maximum, unless their whole
/// area is absent for every unit and the set renormalises absent areas).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitInput {
    pub unit: UnitCode,
    pub name: String,
    pub group: GroupName,
    /// Assessed but not ranked when false.
    pub ranked: bool,
    pub values: Vec<(NodeCode, RawValue)>,
}

/// What the previous period published for a unit, used for deltas and streaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousResult {
    pub unit: UnitCode,
    pub group: GroupName,
    /// Full-precision index when known, else the published one.
    pub index: Decimal,
    pub rank: Option<u32>,
    /// Years in a row at rank 1 ending with the previous period (0 when not rank 1 then).
    pub streak: u32,
}

/// Everything a computation needs; all units use `set`.
#[derive(Debug, Clone, Copy)]
pub struct ComputeInput<'a> {
    pub set: &'a IndexSet,
    pub units: &'a [UnitInput],
    pub previous: &'a [PreviousResult],
    pub lineage: &'a [Lineage],
}

/// A value that could not be scored, naming the unit and the leaf.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    #[error("đơn vị {unit}, tiêu chí {node}: {error}")]
    Input {
        unit: UnitCode,
        node: NodeCode,
        error: InputError,
    },
    #[error("đơn vị {unit}: không có tiêu chí {node} trong bộ chỉ số")]
    UnknownNode { unit: UnitCode, node: NodeCode },
    #[error("đơn vị {unit}: tiêu chí {node} có tiêu chí con, chỉ nhập điểm cho tiêu chí lá")]
    NotALeaf { unit: UnitCode, node: NodeCode },
    #[error("đơn vị {unit}, tiêu chí {node}: nhập hai lần")]
    Duplicate { unit: UnitCode, node: NodeCode },
    #[error("đơn vị {0} xuất hiện hai lần")]
    DuplicateUnit(UnitCode),
}

/// Points of one node (area, criterion or leaf) for one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeScore {
    pub code: NodeCode,
    pub points: Points,
    /// The node's applicable maximum for this unit (not-applicable leaves removed).
    pub max: Points,
}

impl NodeScore {
    /// Component index `points ÷ max × 100`, `None` when nothing applies. Computed when
    /// shown rather than for every node of every unit: a division per node is a large share
    /// of a national computation, and only the figures on screen or in a report need it.
    pub fn index(&self) -> Option<Decimal> {
        percent(self.points.0, self.max.0)
    }
}

/// Points of one leaf for one unit, with the input that produced them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafScore {
    pub code: NodeCode,
    pub points: Points,
    pub applicable: bool,
    pub input: Option<RawValue>,
}

/// A fact about how a unit's result came about, shown next to the unit wherever its result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultNote {
    /// The unit did not submit its self-assessment by the deadline; the administrator closed
    /// it and appraisers scored it from the evidence it had.
    ClosedUnsubmitted,
}

impl ResultNote {
    /// Stable machine name (results snapshots, API).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClosedUnsubmitted => "closed_unsubmitted",
        }
    }

    /// Vietnamese text.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::ClosedUnsubmitted => "Hết hạn, không nộp tự đánh giá",
        }
    }

    /// English text.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::ClosedUnsubmitted => "Did not submit a self-assessment by the deadline",
        }
    }
}

/// The computed result of one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitResult {
    pub unit: UnitCode,
    pub name: String,
    pub group: GroupName,
    pub ranked: bool,
    pub total: Points,
    /// Applicable maximum (bonus and deduction leaves excluded).
    pub max: Points,
    /// Full precision; publish `Points(index).rounded()`.
    pub index: Decimal,
    pub class: Option<String>,
    /// Rank within the group among ranked units, competition style.
    pub rank: Option<u32>,
    /// Number of ranked units in the group (the "9" of "5/9").
    pub group_size: u32,
    /// Every non-leaf node, in tree order.
    pub nodes: Vec<NodeScore>,
    /// Every leaf, in tree order.
    pub leaves: Vec<LeafScore>,
    /// The comparable previous index (through lineage; mean of predecessors after a merger).
    pub previous_index: Option<Decimal>,
    /// `published(index) − published(previous_index)`.
    pub delta_index: Option<Decimal>,
    /// `previous rank − rank` (positive = moved up), when comparable.
    pub delta_rank: Option<i32>,
    /// The rank `delta_rank` starts from, and how many units were ranked in that group then:
    /// the "12/16" of "12/16 → 11/11". Groups change size when units merge, so a rank alone
    /// says little without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_rank: Option<u32>,
    /// See `previous_rank`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_group_size: Option<u32>,
    /// The predecessors whose previous results the deltas are computed against, when the
    /// unit has none of its own (a merger: the mean of their indexes; a rename or a split:
    /// the one predecessor's index and rank). Empty when the unit compares with itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compared_with: Vec<UnitCode>,
    /// Years in a row at rank 1, this period included (0 when not rank 1).
    pub streak: u32,
    /// A fact shown next to the unit (absent from results written before notes existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<ResultNote>,
}

/// How a change of rank reads next to the change of index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankMove {
    /// Moved up.
    Up,
    /// Moved down.
    Down,
    /// Same rank.
    Same,
    /// The group changed size and the index did not move the way the rank did: a unit that
    /// goes from 12th of 16 to 11th of 11 has not improved, whatever the difference of ranks.
    NotComparable,
}

impl UnitResult {
    /// How this unit's change of rank reads; see [`rank_move`].
    pub fn rank_move(&self) -> Option<RankMove> {
        rank_move(
            self.delta_rank,
            self.delta_index,
            self.previous_group_size,
            self.group_size,
        )
    }
}

/// How a change of rank reads. In a group of the same size as the year before the rank speaks
/// for itself. In a group that grew or shrank (mergers, splits, units moved between groups)
/// ranks shift mechanically, so a move reads as a move only when the index moved the same
/// way; otherwise it is [`RankMove::NotComparable`] and must not be shown as a gain or a loss.
/// `None` when there is no rank to compare.
pub fn rank_move(
    delta_rank: Option<i32>,
    delta_index: Option<Decimal>,
    previous_group_size: Option<u32>,
    group_size: u32,
) -> Option<RankMove> {
    let moved = delta_rank?.cmp(&0);
    let resized = previous_group_size.is_some_and(|p| p != group_size);
    let index = delta_index.map(|d| d.cmp(&Decimal::ZERO));
    if resized && moved != Ordering::Equal && index != Some(moved) {
        return Some(RankMove::NotComparable);
    }
    Some(match moved {
        Ordering::Greater => RankMove::Up,
        Ordering::Less => RankMove::Down,
        Ordering::Equal => RankMove::Same,
    })
}

/// Statistics of one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupStats {
    pub group: GroupName,
    pub units: u32,
    pub ranked: u32,
    /// Mean of the units' full-precision indexes.
    pub mean_index: Decimal,
    /// Count per class label, in band order (bands with 0 units included).
    pub per_class: Vec<(String, u32)>,
    pub improved: u32,
    pub declined: u32,
    pub unchanged: u32,
}

/// The results of a computation: units in group order then rank order, and group statistics.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PeriodResults {
    pub units: Vec<UnitResult>,
    pub groups: Vec<GroupStats>,
}

/// Why two sets of results of one period cannot be put together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("nhóm {0} có trong cả hai bảng kết quả")]
    GroupInBoth(GroupName),
    #[error("đơn vị {0} có trong cả hai bảng kết quả")]
    UnitInBoth(UnitCode),
}

impl PeriodResults {
    /// Puts together the results of groups scored with different sets in the same period
    /// (departments on one set, districts on another). Ranks and statistics are per group, so
    /// they stay valid as long as no group (and no unit) appears on both sides.
    pub fn merge(self, other: PeriodResults) -> Result<PeriodResults, MergeError> {
        let mine: HashSet<&GroupName> = self
            .groups
            .iter()
            .map(|g| &g.group)
            .chain(self.units.iter().map(|u| &u.group))
            .collect();
        let theirs = other
            .groups
            .iter()
            .map(|g| &g.group)
            .chain(other.units.iter().map(|u| &u.group));
        for g in theirs {
            if mine.contains(g) {
                return Err(MergeError::GroupInBoth(g.clone()));
            }
        }
        let units: HashSet<&UnitCode> = self.units.iter().map(|u| &u.unit).collect();
        if let Some(u) = other.units.iter().find(|u| units.contains(&u.unit)) {
            return Err(MergeError::UnitInBoth(u.unit.clone()));
        }
        let mut merged = self;
        merged.units.extend(other.units);
        merged.groups.extend(other.groups);
        sort_units(&mut merged.units);
        merged.groups.sort_by(|a, b| a.group.cmp(&b.group));
        Ok(merged)
    }
}

/// Group name, then rank (unranked last), then unit code: the order results are published in.
fn sort_units(units: &mut [UnitResult]) {
    units.sort_by(|a, b| {
        a.group
            .cmp(&b.group)
            .then_with(|| a.rank.is_none().cmp(&b.rank.is_none()))
            .then_with(|| a.rank.cmp(&b.rank))
            .then_with(|| a.unit.cmp(&b.unit))
    });
}

/// A tie-breaker resolved against the flattened set.
#[derive(Debug, Clone, Copy)]
enum TieKey {
    Source(Source),
    Node(usize),
    /// Names no node (an unvalidated set): separates nobody.
    Nothing,
}

/// Bonus blocks never give more than their max and deduction blocks never take more than
/// theirs (domain.md §4).
fn cap(source: Source, points: Decimal, max: Decimal) -> Decimal {
    match source {
        Source::Bonus => points.min(max),
        Source::Deduction => points.max(-max),
        _ => points,
    }
}

fn score_leaf(node: &Node, raw: &RawValue) -> Result<LeafOutcome, InputError> {
    match &node.method {
        Some(m) => m.score(node.max, node.source, node.not_applicable, raw),
        // Only an unvalidated set has such a leaf; nothing can be scored on it.
        None => Err(InputError::WrongKind(kind_name(raw))),
    }
}

/// The tie-breaker values of one unit, in the set's order (exact, unrounded points).
fn tie_values(ties: &[TieKey], cs: &CompiledSet<'_>, r: &UnitResult) -> Vec<Decimal> {
    ties.iter()
        .map(|t| match *t {
            TieKey::Source(s) => r
                .leaves
                .iter()
                .enumerate()
                .filter(|(i, _)| cs.leaf(*i).source == s)
                .map(|(_, l)| l.points.0)
                .sum(),
            TieKey::Node(p) => match cs.nodes()[p].leaf {
                Some(l) => r.leaves[l].points.0,
                None => {
                    let k = cs.inner_positions().partition_point(|&q| q < p);
                    r.nodes[k].points.0
                }
            },
            TieKey::Nothing => Decimal::ZERO,
        })
        .collect()
}

/// Computes a period for units that all use `input.set` (domain.md §5).
///
/// Every value is scored before anything is ranked, and every problem of every unit is
/// returned at once so a whole import can be corrected in one round. The set is assumed to
/// have passed [`IndexSet::validate`].
pub fn compute(input: ComputeInput<'_>) -> Result<PeriodResults, Vec<ScoreError>> {
    compute_with(input, None)
}

/// The areas of a set in which at least one unit computed with it has a value. An area
/// without any value is left out of everyone's maximum when the set renormalises absent
/// areas (domain.md §3), so the answer depends on every unit of the set, not on one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreasWithValues(Vec<bool>);

impl AreasWithValues {
    /// The areas holding at least one of `leaves` (codes of leaves with a value, in any
    /// order, repeated or not); codes that are not leaves of `set` are ignored.
    pub fn of_leaves<'a>(set: &IndexSet, leaves: impl IntoIterator<Item = &'a NodeCode>) -> Self {
        let cs = set.compile();
        let mut has = vec![false; cs.area_positions().len()];
        for code in leaves {
            if let Some(p) = cs.position(code)
                && cs.nodes()[p].leaf.is_some()
            {
                has[cs.nodes()[p].area] = true;
            }
        }
        AreasWithValues(has)
    }
}

/// [`compute`] for a part of the units of a set (say one group at a time, to bound the
/// memory of a national computation), with the areas that hold values across **all** the
/// set's units: each group's results are then exactly those of computing every unit at once.
pub fn compute_part(
    input: ComputeInput<'_>,
    areas: &AreasWithValues,
) -> Result<PeriodResults, Vec<ScoreError>> {
    compute_with(input, Some(areas))
}

fn compute_with(
    input: ComputeInput<'_>,
    areas: Option<&AreasWithValues>,
) -> Result<PeriodResults, Vec<ScoreError>> {
    let set = input.set;
    let cs = set.compile();
    let mut errors = Vec::new();
    let placed = place_values(&cs, input.units, &mut errors);

    let area_has_value = match areas {
        Some(a) if a.0.len() == placed.area_has_value.len() => a.0.as_slice(),
        _ => placed.area_has_value.as_slice(),
    };
    let mut scorer = Scorer::new(&cs, area_has_value);
    let n = cs.leaf_count();
    let mut results: Vec<UnitResult> = Vec::with_capacity(placed.units.len());
    // Each unit's published (2-decimal) index, rounded once and used for class, rank,
    // statistics and deltas alike.
    let mut published: Vec<Decimal> = Vec::with_capacity(placed.units.len());
    for (i, u) in placed.units.iter().enumerate() {
        let values = &placed.slots[i * n..(i + 1) * n];
        let (result, shown) = scorer.score_unit(u, values, &mut errors);
        results.push(result);
        published.push(shown);
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // Members in unit-code order: sums of full-precision indexes round at the decimal type's
    // last digit, so a fixed order keeps the results independent of the input order.
    let mut by_code: Vec<usize> = (0..placed.units.len()).collect();
    // Codes are unique here (duplicates were refused above), so an unstable sort is exact.
    by_code.sort_unstable_by(|&a, &b| placed.units[a].unit.cmp(&placed.units[b].unit));
    let mut by_group: BTreeMap<&GroupName, Vec<usize>> = BTreeMap::new();
    for i in by_code {
        by_group.entry(&placed.units[i].group).or_default().push(i);
    }
    let ties = resolve_tie_breakers(&cs);
    for members in by_group.values() {
        rank_group(members, &mut results, &published, &ties, &cs);
    }
    compare_with_previous(&mut results, &published, input.previous, input.lineage);
    let groups = by_group
        .iter()
        .map(|(group, members)| group_stats(set, group, members, &results, &published))
        .collect();

    Ok(PeriodResults {
        units: publication_order(results, by_group.into_values()),
        groups,
    })
}

/// The units in the order [`sort_units`] gives, built from the groups (already in name order,
/// members in code order) instead of comparing whole results: a stable sort by rank within
/// each group is enough, and moving each result once is cheaper than sorting them.
fn publication_order(
    results: Vec<UnitResult>,
    groups: impl Iterator<Item = Vec<usize>>,
) -> Vec<UnitResult> {
    let mut order = Vec::with_capacity(results.len());
    for mut members in groups {
        members.sort_by_key(|&i| (results[i].rank.is_none(), results[i].rank));
        order.extend(members);
    }
    let mut slots: Vec<Option<UnitResult>> = results.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// The units of a computation (first occurrence of each) and their values laid out by leaf
/// position: `slots[unit × leaf_count + leaf]`.
struct Placed<'a> {
    units: Vec<&'a UnitInput>,
    slots: Vec<Option<&'a RawValue>>,
    /// Per area: does any unit have any value in it?
    area_has_value: Vec<bool>,
}

/// Puts every value on its leaf. Values usually come in tree order, so the next leaf is tried
/// before the code is looked up.
fn place_values<'a>(
    cs: &CompiledSet<'_>,
    inputs: &'a [UnitInput],
    errors: &mut Vec<ScoreError>,
) -> Placed<'a> {
    let flat = cs.nodes();
    let n = cs.leaf_count();
    let mut placed = Placed {
        units: Vec::with_capacity(inputs.len()),
        slots: Vec::with_capacity(inputs.len() * n),
        area_has_value: vec![false; cs.area_positions().len()],
    };
    let mut seen: HashSet<&UnitCode> = HashSet::with_capacity(inputs.len());
    for u in inputs {
        if !seen.insert(&u.unit) {
            errors.push(ScoreError::DuplicateUnit(u.unit.clone()));
            continue;
        }
        let base = placed.slots.len();
        placed.slots.resize(base + n, None);
        let mut next = 0;
        for (code, raw) in &u.values {
            let leaf = if next < n && same_code(&cs.leaf(next).code, code) {
                next
            } else {
                match cs.position(code).map(|p| flat[p].leaf) {
                    Some(Some(l)) => l,
                    Some(None) => {
                        let (unit, node) = (u.unit.clone(), code.clone());
                        errors.push(ScoreError::NotALeaf { unit, node });
                        continue;
                    }
                    None => {
                        let (unit, node) = (u.unit.clone(), code.clone());
                        errors.push(ScoreError::UnknownNode { unit, node });
                        continue;
                    }
                }
            };
            next = leaf + 1;
            let slot = &mut placed.slots[base + leaf];
            if slot.is_some() {
                errors.push(ScoreError::Duplicate {
                    unit: u.unit.clone(),
                    node: code.clone(),
                });
                continue;
            }
            *slot = Some(raw);
            placed.area_has_value[flat[cs.leaf_positions()[leaf]].area] = true;
        }
        placed.units.push(u);
    }
    placed
}

/// Code equality for the short codes of a set, compared inline: this runs once per value of
/// every unit, where a library call per comparison shows in a national computation.
fn same_code(a: &NodeCode, b: &NodeCode) -> bool {
    let (a, b) = (a.as_str().as_bytes(), b.as_str().as_bytes());
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Scores units one after the other on a flattened set, reusing its buffers.
struct Scorer<'s, 'a> {
    cs: &'s CompiledSet<'a>,
    /// Per area: dropped from everyone's maximum because nobody has a value in it.
    dropped: Vec<bool>,
    /// The maximum of every node when all its leaves apply.
    full_max: Vec<Decimal>,
    points: Vec<Decimal>,
    /// Running exact sums of each node's children (`None` past 128 bits).
    sums: Vec<Option<ExactSum>>,
    max: Vec<Decimal>,
}

impl<'s, 'a> Scorer<'s, 'a> {
    fn new(cs: &'s CompiledSet<'a>, area_has_value: &[bool]) -> Self {
        let flat = cs.nodes();
        // An area nobody has a value for (no survey run) leaves everyone's maximum when the
        // set says so, instead of costing everyone its points (domain.md §3).
        let renormalise = cs.set().renormalise_absent_areas;
        let dropped: Vec<bool> = area_has_value
            .iter()
            .map(|has| renormalise && !has)
            .collect();
        let mut full_max = vec![Decimal::ZERO; flat.len()];
        for &pos in cs.leaf_positions() {
            let f = &flat[pos];
            if f.node.source.counts_in_max() && !dropped[f.area] {
                full_max[pos] = f.node.max.0;
            }
        }
        // Reverse pre-order visits every child before its parent.
        for pos in (0..flat.len()).rev() {
            if let Some(parent) = flat[pos].parent {
                let m = full_max[pos];
                full_max[parent] += m;
            }
        }
        Scorer {
            cs,
            dropped,
            points: vec![Decimal::ZERO; flat.len()],
            sums: vec![Some(ExactSum::ZERO); flat.len()],
            max: full_max.clone(),
            full_max,
        }
    }

    /// Leaf points, then every node bottom-up, then the unit's total, maximum, index and
    /// class; returns the result with its published index. Rank and deltas are filled in
    /// later, once every unit is scored.
    fn score_unit(
        &mut self,
        u: &UnitInput,
        values: &[Option<&RawValue>],
        errors: &mut Vec<ScoreError>,
    ) -> (UnitResult, Decimal) {
        let cs = self.cs;
        let flat = cs.nodes();
        self.points.fill(Decimal::ZERO);
        // Not-applicable leaves are taken off their ancestors' maxima below: far rarer than
        // summing every node's maximum again for every unit.
        self.max.copy_from_slice(&self.full_max);
        let mut leaves = Vec::with_capacity(values.len());
        for (&pos, value) in cs.leaf_positions().iter().zip(values) {
            let f = &flat[pos];
            let node = f.node;
            let (points, applicable) = match value {
                None => (Decimal::ZERO, !self.dropped[f.area]),
                Some(raw) => match score_leaf(node, raw) {
                    Ok(o) => (cap(node.source, o.points.0, node.max.0), o.applicable),
                    Err(error) => {
                        let (unit, node) = (u.unit.clone(), node.code.clone());
                        errors.push(ScoreError::Input { unit, node, error });
                        (Decimal::ZERO, true)
                    }
                },
            };
            self.points[pos] = points;
            if !applicable && !self.max[pos].is_zero() {
                let m = self.max[pos];
                let mut at = Some(pos);
                while let Some(p) = at {
                    self.max[p] -= m;
                    at = flat[p].parent;
                }
            }
            leaves.push(LeafScore {
                code: node.code.clone(),
                points: Points(points),
                applicable,
                input: value.cloned(),
            });
        }
        // Each node's points are the exact sum of its children's, rounded once (crate::exact).
        self.sums.fill(Some(ExactSum::ZERO));
        for pos in (0..flat.len()).rev() {
            let f = &flat[pos];
            if f.leaf.is_none() {
                let total = self.sums[pos]
                    .and_then(ExactSum::to_decimal)
                    .unwrap_or_else(|| self.decimal_sum_of_children(pos));
                self.points[pos] = cap(f.node.source, total, f.node.max.0);
            }
            if let Some(parent) = f.parent {
                let p = self.points[pos];
                // Unanswered and zero-scored leaves are common.
                if !p.is_zero() {
                    self.sums[parent] = self.sums[parent].and_then(|s| s.add(p));
                }
            }
        }
        let total: Decimal = cs.area_positions().iter().map(|&p| self.points[p]).sum();
        let max: Decimal = cs.area_positions().iter().map(|&p| self.max[p]).sum();
        let index = percent(total, max).unwrap_or(Decimal::ZERO);
        let nodes = cs
            .inner_positions()
            .iter()
            .map(|&p| NodeScore {
                code: flat[p].node.code.clone(),
                points: Points(self.points[p]),
                max: Points(self.max[p]),
            })
            .collect();
        let published = round_display(index);
        let class = cs.set().classes.classify(&u.group, published);
        let result = UnitResult {
            unit: u.unit.clone(),
            name: u.name.clone(),
            group: u.group.clone(),
            ranked: u.ranked,
            total: Points(total),
            max: Points(max),
            index,
            class: class.map(str::to_owned),
            rank: None,
            group_size: 0,
            nodes,
            leaves,
            previous_index: None,
            delta_index: None,
            delta_rank: None,
            previous_rank: None,
            previous_group_size: None,
            compared_with: Vec::new(),
            streak: 0,
            note: None,
        };
        (result, published)
    }

    /// The points of `pos`'s children added as decimals, last child first: only for sums
    /// beyond 128-bit integers, which no real set reaches.
    fn decimal_sum_of_children(&self, pos: usize) -> Decimal {
        let flat = self.cs.nodes();
        (pos + 1..flat.len())
            .rev()
            .filter(|&q| flat[q].parent == Some(pos))
            .map(|q| self.points[q])
            .filter(|p| !p.is_zero())
            .fold(Decimal::ZERO, |sum, p| sum + p)
    }
}

fn resolve_tie_breakers(cs: &CompiledSet<'_>) -> Vec<TieKey> {
    cs.set()
        .ranking
        .tie_breakers
        .iter()
        .map(|tb| match tb {
            TieBreaker::SourcePoints(s) => TieKey::Source(*s),
            TieBreaker::NodePoints(c) => cs.position(c).map_or(TieKey::Nothing, TieKey::Node),
        })
        .collect()
}

/// Ranks the ranked members of one group by published index, descending, competition style
/// (1, 2, 2, 4), the set's tie-breakers deciding between equal indexes. The total decides,
/// never one block of it (domain.md §5). Sets every member's group size.
fn rank_group(
    members: &[usize],
    results: &mut [UnitResult],
    published: &[Decimal],
    ties: &[TieKey],
    cs: &CompiledSet<'_>,
) {
    let mut order: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| results[i].ranked)
        .collect();
    // Runs of equal indexes are ordered completely below, so stability is not needed here.
    order.sort_unstable_by(|&a, &b| published[b].cmp(&published[a]));
    // Tie-breakers only matter, and are only worked out, among equal published indexes.
    let mut keyed: Vec<(usize, Vec<Decimal>)> = Vec::with_capacity(order.len());
    for run in order.chunk_by(|&a, &b| published[a] == published[b]) {
        let start = keyed.len();
        for &i in run {
            let key = if run.len() > 1 {
                tie_values(ties, cs, &results[i])
            } else {
                Vec::new()
            };
            keyed.push((i, key));
        }
        keyed[start..].sort_by(|(a, ka), (b, kb)| {
            kb.cmp(ka)
                .then_with(|| results[*a].unit.cmp(&results[*b].unit))
        });
    }
    let mut rank = 0;
    let mut previous: Option<&(usize, Vec<Decimal>)> = None;
    for (k, entry) in keyed.iter().enumerate() {
        let (i, key) = entry;
        let tied = previous.is_some_and(|(j, pk)| published[*i] == published[*j] && key == pk);
        if !tied {
            rank = u32::try_from(k + 1).unwrap_or(u32::MAX);
        }
        results[*i].rank = Some(rank);
        previous = Some(entry);
    }
    let size = u32::try_from(keyed.len()).unwrap_or(u32::MAX);
    for &i in members {
        results[i].group_size = size;
    }
}

/// Mean index, units per class band (every band of the group, zeros included) and how many
/// improved, declined or stayed level by published index.
fn group_stats(
    set: &IndexSet,
    group: &GroupName,
    members: &[usize],
    results: &[UnitResult],
    published: &[Decimal],
) -> GroupStats {
    let bands = set.classes.bands_for(group);
    let mut per_class: Vec<(String, u32)> = bands.iter().map(|b| (b.label.clone(), 0)).collect();
    let (mut improved, mut declined, mut unchanged, mut ranked) = (0, 0, 0, 0);
    let mut sum = Decimal::ZERO;
    for &i in members {
        let r = &results[i];
        sum += r.index;
        if r.ranked {
            ranked += 1;
        }
        if let Some(k) = bands.iter().position(|b| published[i] >= b.min) {
            per_class[k].1 += 1;
        }
        match r.delta_index.map(|d| d.cmp(&Decimal::ZERO)) {
            Some(Ordering::Greater) => improved += 1,
            Some(Ordering::Less) => declined += 1,
            Some(Ordering::Equal) => unchanged += 1,
            None => {}
        }
    }
    GroupStats {
        group: group.clone(),
        units: u32::try_from(members.len()).unwrap_or(u32::MAX),
        ranked,
        mean_index: if members.is_empty() {
            Decimal::ZERO
        } else {
            sum / Decimal::from(members.len())
        },
        per_class,
        improved,
        declined,
        unchanged,
    }
}

/// Fills previous index, deltas and streaks. The unit's own previous result wins; otherwise
/// its predecessors' results are used: the mean index after a merger, and also the rank when
/// there is exactly one predecessor (rename, split).
fn compare_with_previous(
    results: &mut [UnitResult],
    published: &[Decimal],
    previous: &[PreviousResult],
    lineage: &[Lineage],
) {
    let prev: HashMap<&UnitCode, &PreviousResult> = previous.iter().map(|p| (&p.unit, p)).collect();
    // Ranked units per group of the previous period: the size a previous rank was counted in.
    let mut ranked_in: HashMap<&GroupName, u32> = HashMap::new();
    for p in previous.iter().filter(|p| p.rank.is_some()) {
        *ranked_in.entry(&p.group).or_default() += 1;
    }
    let mut predecessors: HashMap<&UnitCode, Vec<&UnitCode>> = HashMap::new();
    for l in lineage {
        let list = predecessors.entry(&l.successor).or_default();
        if l.predecessor != l.successor && !list.contains(&&l.predecessor) {
            list.push(&l.predecessor);
        }
    }
    for (r, &shown) in results.iter_mut().zip(published) {
        let mut compared_with = Vec::new();
        let (index, rank, size, streak) = if let Some(p) = prev.get(&r.unit) {
            (
                Some(p.index),
                p.rank,
                ranked_in.get(&p.group).copied(),
                p.streak,
            )
        } else if let Some(preds) = predecessors.get(&r.unit) {
            let mut found: Vec<&PreviousResult> =
                preds.iter().filter_map(|c| prev.get(c).copied()).collect();
            // A fixed order, so the mean does not depend on how the lineage was listed.
            found.sort_by(|a, b| a.unit.cmp(&b.unit));
            compared_with = found.iter().map(|p| p.unit.clone()).collect();
            if found.is_empty() {
                (None, None, None, 0)
            } else {
                let sum: Decimal = found.iter().map(|p| p.index).sum();
                let mean = sum / Decimal::from(found.len());
                let (rank, size) = if preds.len() == 1 {
                    (found[0].rank, ranked_in.get(&found[0].group).copied())
                } else {
                    (None, None)
                };
                let streak = found
                    .iter()
                    .filter(|p| p.rank == Some(1))
                    .map(|p| p.streak)
                    .max()
                    .unwrap_or(0);
                (Some(mean), rank, size, streak)
            }
        } else {
            (None, None, None, 0)
        };
        r.previous_index = index;
        r.delta_index = index.map(|p| shown - round_display(p));
        r.delta_rank = match (rank, r.rank) {
            (Some(before), Some(now)) => i32::try_from(i64::from(before) - i64::from(now)).ok(),
            _ => None,
        };
        r.previous_rank = rank;
        r.previous_group_size = rank.and(size);
        r.compared_with = compared_with;
        r.streak = if r.rank == Some(1) {
            streak.saturating_add(1)
        } else {
            0
        };
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;
    use crate::ids::SetCode;
    use crate::indexset::{ClassBand, ClassScheme, NaPolicy, RankingRule};
    use crate::method::Method;
    use crate::unit::LineageKind;

    fn code(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    fn unit(s: &str) -> UnitCode {
        UnitCode::parse(s).unwrap()
    }

    fn group(s: &str) -> GroupName {
        GroupName::parse(s).unwrap()
    }

    fn leaf(c: &str, max: Decimal, source: Source) -> Node {
        let method = match source {
            Source::Survey => Method::Survey,
            Source::Bonus => Method::Bonus,
            Source::Deduction => Method::Deduction { per: dec!(1) },
            _ => Method::Manual { step: None },
        };
        Node {
            code: code(c),
            title: format!("Tiêu chí {c}"),
            max: Points(max),
            source,
            method: Some(method),
            rule: None,
            evidence: None,
            not_applicable: None,
            children: vec![],
        }
    }

    fn na(mut node: Node, policy: NaPolicy) -> Node {
        node.not_applicable = Some(policy);
        node
    }

    /// An inner node whose max is what validation expects: the sum of its children that
    /// count in the maximum (all children for a bonus or deduction block).
    fn area(c: &str, source: Source, children: Vec<Node>) -> Node {
        let max = children
            .iter()
            .filter(|n| !source.counts_in_max() || n.source.counts_in_max())
            .map(|n| n.max)
            .sum();
        Node {
            method: None,
            children,
            ..leaf(c, Decimal::ZERO, source)
        }
        .with_max(max)
    }

    trait WithMax {
        fn with_max(self, max: Points) -> Self;
    }

    impl WithMax for Node {
        fn with_max(mut self, max: Points) -> Self {
            self.max = max;
            self
        }
    }

    fn set_of(nodes: Vec<Node>) -> IndexSet {
        let set = IndexSet {
            code: SetCode::parse("HUYEN-2024").unwrap(),
            name: "Bộ chỉ số cấp huyện".to_owned(),
            year: 2024,
            decision: None,
            classes: ClassScheme::common_default(),
            ranking: RankingRule::default(),
            renormalise_absent_areas: false,
            nodes,
        };
        assert_eq!(set.validate(), Ok(()), "test sets are valid");
        set
    }

    /// Appraisal out of 65 and survey out of 35, as in many district sets.
    fn district_set() -> IndexSet {
        set_of(vec![
            area(
                "1",
                Source::Assessed,
                vec![leaf("1.1", dec!(65), Source::Assessed)],
            ),
            area(
                "2",
                Source::Survey,
                vec![leaf("2.1", dec!(35), Source::Survey)],
            ),
        ])
    }

    fn input(u: &str, g: &str, values: Vec<(&str, RawValue)>) -> UnitInput {
        UnitInput {
            unit: unit(u),
            name: format!("Đơn vị {u}"),
            group: group(g),
            ranked: true,
            values: values.into_iter().map(|(c, v)| (code(c), v)).collect(),
        }
    }

    /// A unit of the district set with its appraisal and survey points.
    fn district(u: &str, g: &str, appraisal: Decimal, survey: Decimal) -> UnitInput {
        input(
            u,
            g,
            vec![
                ("1.1", RawValue::Points(appraisal)),
                ("2.1", RawValue::Points(survey)),
            ],
        )
    }

    fn run(set: &IndexSet, units: &[UnitInput]) -> PeriodResults {
        run_with(set, units, &[], &[])
    }

    fn run_with(
        set: &IndexSet,
        units: &[UnitInput],
        previous: &[PreviousResult],
        lineage: &[Lineage],
    ) -> PeriodResults {
        compute(ComputeInput {
            set,
            units,
            previous,
            lineage,
        })
        .unwrap()
    }

    fn get<'r>(res: &'r PeriodResults, u: &str) -> &'r UnitResult {
        res.units.iter().find(|r| r.unit.as_str() == u).unwrap()
    }

    fn ranks(res: &PeriodResults) -> Vec<(&str, Option<u32>)> {
        res.units
            .iter()
            .map(|r| (r.unit.as_str(), r.rank))
            .collect()
    }

    fn prev(u: &str, g: &str, index: Decimal, rank: u32, streak: u32) -> PreviousResult {
        PreviousResult {
            unit: unit(u),
            group: group(g),
            index,
            rank: Some(rank),
            streak,
        }
    }

    fn lineage(from: &str, to: &str, kind: LineageKind) -> Lineage {
        Lineage {
            predecessor: unit(from),
            successor: unit(to),
            kind,
            effective: None,
        }
    }

    const G: &str = "UBND cấp huyện";

    #[test]
    fn missing_values_score_zero_and_stay_in_the_maximum() {
        let res = run(
            &district_set(),
            &[input("H1", G, vec![("1.1", RawValue::Points(dec!(52)))])],
        );
        let r = get(&res, "H1");
        assert_eq!(
            (r.total, r.max, r.index),
            (Points(dec!(52)), Points(dec!(100)), dec!(52))
        );
        let survey = &r.leaves[1];
        assert_eq!(
            (survey.points, survey.applicable, &survey.input),
            (Points::ZERO, true, &None)
        );
    }

    #[test]
    fn a_not_applicable_leaf_is_dropped_from_the_maximum() {
        let set = set_of(vec![area(
            "1",
            Source::Assessed,
            vec![
                na(leaf("1.1", dec!(10), Source::Assessed), NaPolicy::Exclude),
                leaf("1.2", dec!(10), Source::Assessed),
            ],
        )]);
        let u = input(
            "H1",
            G,
            vec![
                ("1.1", RawValue::NotApplicable),
                ("1.2", RawValue::Points(dec!(8))),
            ],
        );
        let res = run(&set, &[u]);
        let r = get(&res, "H1");
        assert_eq!(
            (r.total, r.max, r.index),
            (Points(dec!(8)), Points(dec!(10)), dec!(80))
        );
        assert!(!r.leaves[0].applicable);
        assert_eq!(r.nodes[0].max, Points(dec!(10)));
        assert_eq!(r.nodes[0].index(), Some(dec!(80)));
    }

    #[test]
    fn not_applicable_with_full_points_gives_the_leaf_max() {
        let set = set_of(vec![area(
            "1",
            Source::Assessed,
            vec![
                na(
                    leaf("1.1", dec!(10), Source::Assessed),
                    NaPolicy::FullPoints,
                ),
                leaf("1.2", dec!(10), Source::Assessed),
            ],
        )]);
        let u = input(
            "H1",
            G,
            vec![
                ("1.1", RawValue::NotApplicable),
                ("1.2", RawValue::Points(dec!(8))),
            ],
        );
        let r = &run(&set, &[u]).units[0];
        assert_eq!(
            (r.total, r.max, r.index),
            (Points(dec!(18)), Points(dec!(20)), dec!(90))
        );
        assert!(r.leaves[0].applicable);
    }

    #[test]
    fn not_applicable_refused_by_the_leaf_is_an_input_error() {
        let u = input("H1", G, vec![("1.1", RawValue::NotApplicable)]);
        let errors = compute(ComputeInput {
            set: &district_set(),
            units: &[u],
            previous: &[],
            lineage: &[],
        })
        .unwrap_err();
        assert_eq!(
            errors,
            vec![ScoreError::Input {
                unit: unit("H1"),
                node: code("1.1"),
                error: InputError::NotApplicableRefused,
            }]
        );
    }

    fn bonus_set() -> IndexSet {
        let bonus = area(
            "2",
            Source::Bonus,
            vec![
                leaf("2.1", dec!(1.5), Source::Bonus),
                leaf("2.2", dec!(1.5), Source::Bonus),
            ],
        )
        .with_max(Points(dec!(2)));
        set_of(vec![
            area(
                "1",
                Source::Assessed,
                vec![leaf("1.1", dec!(100), Source::Assessed)],
            ),
            bonus,
        ])
    }

    #[test]
    fn bonus_points_come_on_top_of_the_maximum_and_the_block_is_capped() {
        let set = bonus_set();
        assert_eq!(set.total_max(), Points(dec!(100)));
        let a = input(
            "A",
            G,
            vec![
                ("1.1", RawValue::Points(dec!(97))),
                ("2.1", RawValue::Points(dec!(1.5))),
                ("2.2", RawValue::Points(dec!(1.5))),
            ],
        );
        let b = input(
            "B",
            G,
            vec![
                ("1.1", RawValue::Points(dec!(99.5))),
                ("2.1", RawValue::Points(dec!(1))),
            ],
        );
        let res = run(&set, &[a, b]);
        let a = get(&res, "A");
        assert_eq!(
            (a.total, a.max, a.index),
            (Points(dec!(99)), Points(dec!(100)), dec!(99))
        );
        assert_eq!(
            a.nodes[1].points,
            Points(dec!(2)),
            "3 bonus points capped at the block's 2"
        );
        assert_eq!(
            a.nodes[1].index(),
            None,
            "a bonus block has no maximum of its own"
        );
        let b = get(&res, "B");
        assert_eq!(b.index, dec!(100.5), "bonus can lift an index above 100");
    }

    #[test]
    fn a_bonus_leaf_inside_an_area_adds_points_without_raising_its_max() {
        let set = set_of(vec![area(
            "1",
            Source::Assessed,
            vec![
                leaf("1.1", dec!(10), Source::Assessed),
                leaf("1.2", dec!(1), Source::Bonus),
            ],
        )]);
        let u = input(
            "A",
            G,
            vec![
                ("1.1", RawValue::Points(dec!(9))),
                ("1.2", RawValue::Points(dec!(1))),
            ],
        );
        let r = &run(&set, &[u]).units[0];
        assert_eq!(
            (r.total, r.max, r.index),
            (Points(dec!(10)), Points(dec!(10)), dec!(100))
        );
    }

    #[test]
    fn deductions_take_points_away_without_changing_the_maximum() {
        let set = set_of(vec![
            area(
                "1",
                Source::Assessed,
                vec![leaf("1.1", dec!(100), Source::Assessed)],
            ),
            area(
                "2",
                Source::Deduction,
                vec![leaf("2.1", dec!(5), Source::Deduction)],
            ),
        ]);
        let u = |c: &str, violations: i64| {
            input(
                c,
                G,
                vec![
                    ("1.1", RawValue::Points(dec!(90))),
                    ("2.1", RawValue::Count(Decimal::from(violations))),
                ],
            )
        };
        let res = run(&set, &[u("A", 3), u("B", 7)]);
        let a = get(&res, "A");
        assert_eq!(
            (a.total, a.max, a.index),
            (Points(dec!(87)), Points(dec!(100)), dec!(87))
        );
        assert_eq!(
            get(&res, "B").total,
            Points(dec!(85)),
            "at most the block's 5 points are taken"
        );
    }

    #[test]
    fn an_area_nobody_has_values_for_is_dropped_when_the_set_says_so() {
        let mut set = district_set();
        set.renormalise_absent_areas = true;
        let only_appraisal = |u: &str, a: Decimal| input(u, G, vec![("1.1", RawValue::Points(a))]);
        let res = run(
            &set,
            &[only_appraisal("A", dec!(52)), only_appraisal("B", dec!(65))],
        );
        let a = get(&res, "A");
        assert_eq!(
            (a.total, a.max, a.index),
            (Points(dec!(52)), Points(dec!(65)), dec!(80))
        );
        assert!(!a.leaves[1].applicable);
        assert_eq!((a.nodes[1].max, a.nodes[1].index()), (Points::ZERO, None));
        assert_eq!(get(&res, "B").index, dec!(100));

        // As soon as one unit has a survey value, the area counts for everyone.
        let res = run(
            &set,
            &[
                only_appraisal("A", dec!(52)),
                district("B", G, dec!(60), dec!(30)),
            ],
        );
        assert_eq!(get(&res, "A").max, Points(dec!(100)));
        assert_eq!(get(&res, "A").index, dec!(52));
    }

    #[test]
    fn without_renormalisation_an_absent_area_scores_zero() {
        let res = run(
            &district_set(),
            &[input("A", G, vec![("1.1", RawValue::Points(dec!(52)))])],
        );
        assert_eq!(get(&res, "A").index, dec!(52));
    }

    #[test]
    fn equal_published_indexes_share_a_rank_competition_style() {
        let units = [
            district("A", G, dec!(60), dec!(30)),
            district("B", G, dec!(60), dec!(25.004)),
            district("C", G, dec!(60), dec!(24.996)),
            district("D", G, dec!(50), dec!(30)),
        ];
        let res = run(&district_set(), &units);
        assert_eq!(
            ranks(&res),
            [
                ("A", Some(1)),
                ("B", Some(2)),
                ("C", Some(2)),
                ("D", Some(4))
            ]
        );
        assert!(res.units.iter().all(|r| r.group_size == 4));
    }

    #[test]
    fn tie_breakers_decide_on_exact_points_in_order_and_then_ranks_are_shared() {
        let mut set = district_set();
        set.ranking.tie_breakers = vec![
            TieBreaker::SourcePoints(Source::Survey),
            TieBreaker::NodePoints(code("1")),
        ];
        let units = [
            // All publish 85,00; A has the highest exact total but the fewest survey points.
            district("A", G, dec!(60.004), dec!(25)),
            district("B", G, dec!(60), dec!(25.001)),
            district("C", G, dec!(59.999), dec!(25.001)),
            district("D", G, dec!(59.999), dec!(25.001)),
            district("E", G, dec!(50), dec!(30)),
        ];
        let res = run(&set, &units);
        assert_eq!(
            ranks(&res),
            [
                ("B", Some(1)),
                ("C", Some(2)),
                ("D", Some(2)),
                ("A", Some(4)),
                ("E", Some(5))
            ]
        );
    }

    #[test]
    fn a_node_tie_breaker_uses_that_node_points() {
        let mut set = district_set();
        set.ranking.tie_breakers = vec![TieBreaker::NodePoints(code("2.1"))];
        let units = [
            district("A", G, dec!(60), dec!(25)),
            district("B", G, dec!(59), dec!(26)),
        ];
        assert_eq!(ranks(&run(&set, &units)), [("B", Some(1)), ("A", Some(2))]);
    }

    #[test]
    fn unranked_units_get_no_rank_and_do_not_count_in_the_group_size() {
        let mut best = district("A", G, dec!(65), dec!(35));
        best.ranked = false;
        let units = [
            best,
            district("B", G, dec!(60), dec!(30)),
            district("C", G, dec!(50), dec!(30)),
        ];
        let res = run(&district_set(), &units);
        assert_eq!(ranks(&res), [("B", Some(1)), ("C", Some(2)), ("A", None)]);
        assert!(res.units.iter().all(|r| r.group_size == 2));
        assert_eq!((res.groups[0].units, res.groups[0].ranked), (3, 2));
        assert_eq!(
            get(&res, "A").class.as_deref(),
            Some("Xuất sắc"),
            "still classified"
        );
    }

    #[test]
    fn class_bands_are_chosen_per_group_on_the_published_index() {
        let mut set = district_set();
        let band = |label: &str, min: Decimal| ClassBand {
            label: label.to_owned(),
            min,
        };
        set.classes.groups.insert(
            group(G),
            vec![
                band("Xuất sắc", dec!(80)),
                band("Tốt", dec!(70)),
                band("Khá", dec!(0)),
            ],
        );
        let units = [
            district("H", G, dec!(55), dec!(30)),
            district("S", "Sở, ban, ngành", dec!(55), dec!(30)),
            district("T", "Sở, ban, ngành", dec!(59.995), dec!(30)),
        ];
        let res = run(&set, &units);
        assert_eq!(get(&res, "H").class.as_deref(), Some("Xuất sắc"));
        assert_eq!(get(&res, "S").class.as_deref(), Some("Tốt"));
        assert_eq!(
            get(&res, "T").class.as_deref(),
            Some("Xuất sắc"),
            "89,995 publishes as 90,00"
        );
        let districts = res.groups.iter().find(|g| g.group.as_str() == G).unwrap();
        let labels: Vec<(&str, u32)> = districts
            .per_class
            .iter()
            .map(|(l, n)| (l.as_str(), *n))
            .collect();
        assert_eq!(labels, [("Xuất sắc", 1), ("Tốt", 0), ("Khá", 0)]);
    }

    #[test]
    fn component_indexes_are_points_over_the_node_max() {
        let res = run(&district_set(), &[district("A", G, dec!(52), dec!(28))]);
        let r = &res.units[0];
        let nodes: Vec<(&str, Option<Decimal>)> = r
            .nodes
            .iter()
            .map(|n| (n.code.as_str(), n.index()))
            .collect();
        assert_eq!(nodes, [("1", Some(dec!(80))), ("2", Some(dec!(80)))]);
        let leaves: Vec<&str> = r.leaves.iter().map(|l| l.code.as_str()).collect();
        assert_eq!(leaves, ["1.1", "2.1"]);
        assert_eq!(r.leaves[0].input, Some(RawValue::Points(dec!(52))));
    }

    #[test]
    fn values_in_any_order_land_on_their_leaves() {
        let set = district_set();
        let forward = district("A", G, dec!(52), dec!(28));
        let mut backward = forward.clone();
        backward.values.reverse();
        assert_eq!(run(&set, &[forward]), run(&set, &[backward]));
    }

    #[test]
    fn every_input_problem_of_every_unit_is_reported_at_once() {
        let a = input(
            "A",
            G,
            vec![
                ("1.1", RawValue::Points(dec!(10))),
                ("9.9", RawValue::Points(dec!(1))),
                ("1", RawValue::Points(dec!(1))),
                ("1.1", RawValue::Points(dec!(11))),
            ],
        );
        let b = input(
            "B",
            G,
            vec![("1.1", RawValue::Points(dec!(70))), ("2.1", RawValue::Yes)],
        );
        let units = [a.clone(), b, a];
        let errors = compute(ComputeInput {
            set: &district_set(),
            units: &units,
            previous: &[],
            lineage: &[],
        })
        .unwrap_err();
        assert_eq!(errors.len(), 6, "{errors:#?}");
        assert!(errors.contains(&ScoreError::UnknownNode {
            unit: unit("A"),
            node: code("9.9")
        }));
        assert!(errors.contains(&ScoreError::NotALeaf {
            unit: unit("A"),
            node: code("1")
        }));
        assert!(errors.contains(&ScoreError::Duplicate {
            unit: unit("A"),
            node: code("1.1")
        }));
        assert!(errors.contains(&ScoreError::DuplicateUnit(unit("A"))));
        assert!(errors.iter().any(|e| matches!(
            e,
            ScoreError::Input { node, error: InputError::AboveMax { .. }, .. } if node.as_str() == "1.1"
        )));
        assert!(errors.iter().any(|e| matches!(
            e,
            ScoreError::Input {
                error: InputError::WrongKind(_),
                ..
            }
        )));
        assert!(errors[0].to_string().contains("đơn vị A"));
    }

    #[test]
    fn nothing_to_compute_gives_empty_results() {
        assert_eq!(run(&district_set(), &[]), PeriodResults::default());
    }

    #[test]
    fn results_are_ordered_by_group_then_rank_then_code() {
        let mut late = district("Z", "A-nhóm", dec!(60), dec!(30));
        late.ranked = false;
        let units = [
            district("B", "B-nhóm", dec!(50), dec!(30)),
            late,
            district("Y", "A-nhóm", dec!(50), dec!(30)),
            district("X", "A-nhóm", dec!(50), dec!(30)),
            district("A", "B-nhóm", dec!(60), dec!(30)),
        ];
        let res = run(&district_set(), &units);
        let order: Vec<&str> = res.units.iter().map(|r| r.unit.as_str()).collect();
        assert_eq!(order, ["X", "Y", "Z", "A", "B"]);
        let groups: Vec<&str> = res.groups.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(groups, ["A-nhóm", "B-nhóm"]);
    }

    #[test]
    fn the_same_unit_compares_with_its_own_previous_result() {
        let previous = [
            prev("A", G, dec!(80.004), 2, 0),
            prev("B", G, dec!(90), 1, 2),
        ];
        let units = [
            district("A", G, dec!(60), dec!(30)),
            district("B", G, dec!(55), dec!(30)),
        ];
        let res = run_with(&district_set(), &units, &previous, &[]);
        let a = get(&res, "A");
        assert_eq!(
            (a.previous_index, a.delta_index, a.delta_rank),
            (Some(dec!(80.004)), Some(dec!(10)), Some(1))
        );
        assert_eq!(a.streak, 1);
        let b = get(&res, "B");
        assert_eq!(
            (b.delta_index, b.delta_rank, b.streak),
            (Some(dec!(-5)), Some(-1), 0)
        );
        let stats = &res.groups[0];
        assert_eq!((stats.improved, stats.declined, stats.unchanged), (1, 1, 0));
    }

    #[test]
    fn the_previous_rank_comes_with_the_size_of_its_group() {
        let previous = [
            prev("A", G, dec!(80), 2, 0),
            prev("B", G, dec!(90), 1, 0),
            prev("X", G, dec!(70), 3, 0),
        ];
        let units = [
            district("A", G, dec!(60), dec!(30)),
            district("B", G, dec!(55), dec!(30)),
        ];
        let res = run_with(&district_set(), &units, &previous, &[]);
        let a = get(&res, "A");
        assert_eq!(
            (a.previous_rank, a.previous_group_size, a.rank, a.group_size),
            (Some(2), Some(3), Some(1), 2)
        );
        assert!(a.compared_with.is_empty());
        assert_eq!(a.rank_move(), Some(RankMove::Up), "its index rose too");
        let b = get(&res, "B");
        assert_eq!(b.rank_move(), Some(RankMove::Down));
    }

    #[test]
    fn a_rank_gained_in_a_smaller_group_while_the_index_fell_is_not_an_improvement() {
        // 12/16 -> 11/11 with a lower index: fewer units, not a better unit.
        assert_eq!(
            rank_move(Some(1), Some(dec!(-1.2)), Some(16), 11),
            Some(RankMove::NotComparable)
        );
        assert_eq!(
            rank_move(Some(1), Some(dec!(0.5)), Some(16), 11),
            Some(RankMove::Up)
        );
        assert_eq!(
            rank_move(Some(1), Some(dec!(-1.2)), Some(11), 11),
            Some(RankMove::Up),
            "in a group of the same size the rank speaks for itself"
        );
        assert_eq!(
            rank_move(Some(-2), Some(dec!(3)), Some(9), 12),
            Some(RankMove::NotComparable)
        );
        assert_eq!(
            rank_move(Some(0), Some(dec!(-3)), Some(9), 12),
            Some(RankMove::Same)
        );
        assert_eq!(rank_move(None, Some(dec!(3)), Some(9), 12), None);
    }

    #[test]
    fn a_merged_unit_compares_with_the_mean_of_its_predecessors() {
        let previous = [prev("A", G, dec!(80), 2, 0), prev("B", G, dec!(90), 1, 3)];
        let lineage = [
            lineage("A", "C", LineageKind::Merger),
            lineage("B", "C", LineageKind::Merger),
        ];
        let units = [
            district("C", G, dec!(58), dec!(30)),
            district("D", G, dec!(60), dec!(30)),
        ];
        let res = run_with(&district_set(), &units, &previous, &lineage);
        let c = get(&res, "C");
        assert_eq!(c.previous_index, Some(dec!(85)));
        assert_eq!(c.delta_index, Some(dec!(3)));
        assert_eq!(c.delta_rank, None, "no rank to compare with after a merger");
        assert_eq!(
            (c.previous_rank, c.previous_group_size),
            (None, None),
            "no rank to compare with after a merger"
        );
        assert_eq!(
            c.compared_with,
            vec![UnitCode::parse("A").unwrap(), UnitCode::parse("B").unwrap()]
        );
        assert_eq!(c.streak, 0);
        let d = get(&res, "D");
        assert_eq!((d.previous_index, d.streak), (None, 1));
        assert_eq!(
            res.groups[0].improved, 1,
            "units without a previous index are not counted"
        );
    }

    #[test]
    fn a_renamed_unit_keeps_its_index_and_rank_history() {
        let previous = [prev("CU", G, dec!(85), 3, 0)];
        let lineage = [lineage("CU", "MOI", LineageKind::Rename)];
        let units = [
            district("MOI", G, dec!(56), dec!(30)),
            district("K", G, dec!(50), dec!(30)),
        ];
        let res = run_with(&district_set(), &units, &previous, &lineage);
        let r = get(&res, "MOI");
        assert_eq!(
            (r.previous_index, r.delta_index, r.delta_rank),
            (Some(dec!(85)), Some(dec!(1)), Some(2))
        );
        assert_eq!(r.streak, 1);
    }

    #[test]
    fn both_parts_of_a_split_unit_compare_with_it() {
        let previous = [prev("GOC", G, dec!(84), 2, 0)];
        let lineage = [
            lineage("GOC", "P1", LineageKind::Split),
            lineage("GOC", "P2", LineageKind::Split),
        ];
        let units = [
            district("P1", G, dec!(56), dec!(30)),
            district("P2", G, dec!(50), dec!(30)),
        ];
        let res = run_with(&district_set(), &units, &previous, &lineage);
        assert_eq!(get(&res, "P1").delta_rank, Some(1));
        assert_eq!(get(&res, "P2").delta_index, Some(dec!(-4)));
        assert_eq!(get(&res, "P2").delta_rank, Some(0));
    }

    #[test]
    fn a_streak_at_rank_one_survives_a_merger() {
        let previous = [
            prev("A", G, dec!(95), 1, 4),
            prev("B", "Khác", dec!(97), 1, 6),
            prev("X", G, dec!(80), 5, 0),
        ];
        let lineage = [
            lineage("A", "C", LineageKind::Merger),
            lineage("X", "C", LineageKind::Merger),
        ];
        let units = [
            district("C", G, dec!(64), dec!(32)),
            district("Y", G, dec!(50), dec!(30)),
        ];
        let res = run_with(&district_set(), &units, &previous, &lineage);
        assert_eq!(
            get(&res, "C").streak,
            5,
            "4 years of A at rank 1, then this one"
        );
        assert_eq!(get(&res, "C").previous_index, Some(dec!(87.5)));
    }

    #[test]
    fn a_streak_ends_when_rank_one_is_lost() {
        let previous = [prev("A", G, dec!(95), 1, 4), prev("B", G, dec!(94), 2, 0)];
        let units = [
            district("A", G, dec!(60), dec!(30)),
            district("B", G, dec!(64), dec!(30)),
        ];
        let res = run_with(&district_set(), &units, &previous, &[]);
        assert_eq!((get(&res, "A").streak, get(&res, "B").streak), (0, 1));
    }

    #[test]
    fn group_statistics_count_classes_and_changes() {
        let previous = [
            prev("A", G, dec!(90), 1, 0),
            prev("B", G, dec!(79), 2, 0),
            prev("C", G, dec!(70.004), 3, 0),
        ];
        let units = [
            district("A", G, dec!(60), dec!(30)),
            district("B", G, dec!(50), dec!(30)),
            district("C", G, dec!(40), dec!(29.996)),
            district("D", G, dec!(20), dec!(20)),
        ];
        let res = run_with(&district_set(), &units, &previous, &[]);
        let g = &res.groups[0];
        assert_eq!((g.units, g.ranked), (4, 4));
        assert_eq!(g.mean_index, dec!(69.999));
        let counts: Vec<u32> = g.per_class.iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [1, 1, 1, 0, 1]);
        assert_eq!(
            (g.improved, g.declined, g.unchanged),
            (1, 0, 2),
            "70,00 vs 70,004: unchanged"
        );
    }

    #[test]
    fn results_of_disjoint_groups_merge_in_order() {
        let set = district_set();
        let districts = run(
            &set,
            &[district("H1", "UBND cấp huyện", dec!(60), dec!(30))],
        );
        let departments = run(
            &set,
            &[district("S1", "Sở, ban, ngành", dec!(60), dec!(30))],
        );
        let both = departments.clone().merge(districts.clone()).unwrap();
        let order: Vec<&str> = both.units.iter().map(|r| r.unit.as_str()).collect();
        assert_eq!(order, ["S1", "H1"]);
        assert_eq!(both.groups.len(), 2);
        assert_eq!(both, districts.clone().merge(departments).unwrap());
        assert_eq!(
            districts.clone().merge(districts.clone()),
            Err(MergeError::GroupInBoth(group("UBND cấp huyện")))
        );
        let other = run(&set, &[district("H1", "Khác", dec!(60), dec!(30))]);
        assert_eq!(
            districts.merge(other),
            Err(MergeError::UnitInBoth(unit("H1")))
        );
    }

    mod rank_reading {
        use proptest::prelude::*;
        use rust_decimal::Decimal;

        use super::super::{RankMove, rank_move};

        proptest! {
            #[test]
            fn a_rank_in_a_resized_group_never_reads_against_the_index(
                delta_rank in -20i32..20,
                cents in proptest::option::of(-3000i64..3000),
                before in 1u32..30,
                now in 1u32..30,
            ) {
                let delta_index = cents.map(|c| Decimal::new(c, 2));
                let read = rank_move(Some(delta_rank), delta_index, Some(before), now);
                if before != now {
                    if read == Some(RankMove::Up) {
                        prop_assert!(delta_index.is_some_and(|d| d > Decimal::ZERO));
                    }
                    if read == Some(RankMove::Down) {
                        prop_assert!(delta_index.is_some_and(|d| d < Decimal::ZERO));
                    }
                } else {
                    let expected = match delta_rank.signum() {
                        1 => RankMove::Up,
                        -1 => RankMove::Down,
                        _ => RankMove::Same,
                    };
                    prop_assert_eq!(read, Some(expected));
                }
            }
        }
    }
}
