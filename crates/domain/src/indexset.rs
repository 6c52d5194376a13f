//! Index sets (bộ chỉ số): the tree of areas → criteria → sub-criteria with maxima, sources and
//! scoring methods, the class bands per group and the ranking rule (domain.md §3, §5).
//! Each period keeps its own set, so history is always read with the set it was scored under.

use std::collections::{BTreeMap, HashMap, HashSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{GroupName, NodeCode, SetCode};
use crate::method::Method;
use crate::points::Points;

/// Where a leaf's points come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Self-assessed by the unit, then appraised.
    Assessed,
    /// From sociological or satisfaction survey answers.
    Survey,
    /// From monitoring data (e.g. the on-time dossier rate).
    Data,
    /// Extra points (initiatives); not part of the applicable maximum.
    Bonus,
    /// Points taken away (violations); not part of the applicable maximum.
    Deduction,
}

impl Source {
    /// Parses `assessed|survey|data|bonus|deduction` and the Vietnamese words
    /// (`thẩm định`, `điều tra`, `dữ liệu`, `thưởng`, `trừ`).
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw.trim().to_lowercase().as_str() {
            "assessed" | "thẩm định" | "tự đánh giá" | "đánh giá" => Self::Assessed,
            "survey" | "điều tra" | "khảo sát" | "xhh" => Self::Survey,
            "data" | "dữ liệu" | "số liệu" => Self::Data,
            "bonus" | "thưởng" | "điểm thưởng" | "cộng" => Self::Bonus,
            "deduction" | "trừ" | "điểm trừ" => Self::Deduction,
            _ => return None,
        })
    }

    /// Stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assessed => "assessed",
            Self::Survey => "survey",
            Self::Data => "data",
            Self::Bonus => "bonus",
            Self::Deduction => "deduction",
        }
    }

    /// True when the leaf's maximum counts in the unit's applicable maximum.
    pub fn counts_in_max(self) -> bool {
        !matches!(self, Self::Bonus | Self::Deduction)
    }
}

/// What happens when a unit declares a leaf not applicable (không phát sinh / không áp dụng).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NaPolicy {
    /// The leaf is dropped from the unit's applicable maximum (the index is renormalised).
    Exclude,
    /// The unit gets the leaf's full points.
    FullPoints,
}

/// One node of the tree. A leaf has a method and no children; an inner node has children and
/// its max must equal the sum of its children's maxima.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub code: NodeCode,
    pub title: String,
    pub max: Points,
    /// Source of a leaf's points; inner nodes carry the source their leaves mostly have
    /// (informative only).
    pub source: Source,
    /// Scoring method; `Some` exactly for leaves.
    pub method: Option<Method>,
    /// Rule text shown to the unit (cách tính điểm).
    pub rule: Option<String>,
    /// Evidence requirement (yêu cầu tài liệu kiểm chứng).
    pub evidence: Option<String>,
    /// `None`: "not applicable" is not an accepted answer for this leaf.
    pub not_applicable: Option<NaPolicy>,
    pub children: Vec<Node>,
}

impl Node {
    /// True when the node has no children.
    pub fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }

    /// Depth-first pre-order walk over this node and its descendants.
    pub fn walk(&self) -> Vec<&Node> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.walk());
        }
        out
    }
}

/// A class band: units whose published index is ≥ `min` (inclusive) and below the band above.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassBand {
    /// `Xuất sắc`, `Tốt`, `Khá`, `Trung bình`, `Yếu`, or MoHA's `A`, `B`, `C`.
    pub label: String,
    /// Inclusive lower bound, in percent.
    pub min: Decimal,
}

/// Class bands of a set: a default list (highest band first) and per-group overrides
/// (one province used ≥90 for departments but ≥80 for districts in the same year).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassScheme {
    pub default: Vec<ClassBand>,
    pub groups: BTreeMap<GroupName, Vec<ClassBand>>,
}

impl ClassScheme {
    /// The common default: xuất sắc ≥ 90; tốt 80–<90; khá 70–<80; trung bình 50–<70; yếu < 50.
    pub fn common_default() -> Self {
        let band = |label: &str, min: i64| ClassBand {
            label: label.to_owned(),
            min: Decimal::from(min),
        };
        ClassScheme {
            default: vec![
                band("Xuất sắc", 90),
                band("Tốt", 80),
                band("Khá", 70),
                band("Trung bình", 50),
                band("Yếu", 0),
            ],
            groups: BTreeMap::new(),
        }
    }

    /// The bands that apply to `group`.
    pub fn bands_for(&self, group: &GroupName) -> &[ClassBand] {
        self.groups.get(group).map_or(&self.default, Vec::as_slice)
    }

    /// The class of a (published, rounded) index in `group`; `None` below every band.
    pub fn classify(&self, group: &GroupName, index: Decimal) -> Option<&str> {
        self.bands_for(group)
            .iter()
            .find(|b| index >= b.min)
            .map(|b| b.label.as_str())
    }
}

/// What decides between units with the same published index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TieBreaker {
    /// More points from leaves of this source first (e.g. appraised, then survey points).
    SourcePoints(Source),
    /// More points in this node (area or criterion) first.
    NodePoints(NodeCode),
}

/// Ranking rule of a set. Ranks follow the published (2-decimal) index, descending; equal
/// indexes share a rank, competition style (1, 2, 2, 4), unless tie-breakers separate them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RankingRule {
    /// Applied in order; units still equal after all of them share a rank.
    pub tie_breakers: Vec<TieBreaker>,
}

/// An index set as issued by decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexSet {
    pub code: SetCode,
    pub name: String,
    pub year: i32,
    /// The issuing decision, e.g. `2071/QĐ-UBND ngày 27/7/2018`.
    pub decision: Option<String>,
    pub classes: ClassScheme,
    pub ranking: RankingRule,
    /// When a whole top-level area has no input for any unit of a computation (e.g. no survey
    /// was run), drop it from every unit's maximum instead of scoring it 0 — one city rescales
    /// the appraised part to 100 this way (domain.md §3).
    pub renormalise_absent_areas: bool,
    /// Top-level nodes (areas, lĩnh vực).
    pub nodes: Vec<Node>,
}

/// One problem found by [`IndexSet::validate`], with the node it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetIssue {
    #[error("mã tiêu chí {0} bị trùng")]
    DuplicateCode(NodeCode),
    #[error("tiêu chí {code}: điểm tối đa {max} khác tổng điểm tối đa các tiêu chí con {sum}")]
    MaxNotSum {
        code: NodeCode,
        max: Points,
        sum: Points,
    },
    #[error("tiêu chí {0}: điểm tối đa không được âm")]
    NegativeMax(NodeCode),
    #[error("tiêu chí {child}: mã không thuộc tiêu chí cha {parent}")]
    CodeNotUnderParent { parent: NodeCode, child: NodeCode },
    #[error("tiêu chí {0}: tiêu chí lá phải có phương pháp chấm điểm")]
    LeafWithoutMethod(NodeCode),
    #[error("tiêu chí {0}: tiêu chí có tiêu chí con không được có phương pháp chấm điểm")]
    InnerWithMethod(NodeCode),
    #[error("tiêu chí {code}: {message}")]
    BadMethod { code: NodeCode, message: String },
    #[error("xếp loại: {0}")]
    BadClasses(String),
    #[error("bộ chỉ số không có tiêu chí nào")]
    Empty,
    /// A top-level node (lĩnh vực) whose dotted code names a parent it does not have.
    #[error("lĩnh vực {0}: mã lĩnh vực chỉ có một cấp (1, 2, 3… hoặc I, II…)")]
    AreaCodeNotTopLevel(NodeCode),
    /// A tie-breaker names a node the set does not have.
    #[error("xếp hạng: tiêu chí phụ {0} không có trong bộ chỉ số")]
    UnknownTieBreaker(NodeCode),
    /// A node inside a bonus or deduction block has another source: the block's cap and its
    /// exclusion from the maximum would silently apply to ordinary points.
    #[error("tiêu chí {child}: thuộc khối điểm thưởng/điểm trừ {parent} nên phải cùng nguồn điểm")]
    SourceNotAsBlock { parent: NodeCode, child: NodeCode },
}

impl IndexSet {
    /// Every node in tree order (depth-first pre-order), areas first among their descendants.
    pub fn walk(&self) -> Vec<&Node> {
        let mut out = Vec::new();
        for area in &self.nodes {
            push_pre_order(area, &mut out);
        }
        out
    }

    /// The leaves in tree order: the criteria units actually enter values for.
    pub fn leaves(&self) -> Vec<&Node> {
        self.walk().into_iter().filter(|n| n.is_leaf()).collect()
    }

    /// The node with `code`, anywhere in the tree.
    pub fn find(&self, code: &NodeCode) -> Option<&Node> {
        fn search<'a>(nodes: &'a [Node], code: &NodeCode) -> Option<&'a Node> {
            nodes.iter().find_map(|n| {
                if &n.code == code {
                    Some(n)
                } else {
                    search(&n.children, code)
                }
            })
        }
        search(&self.nodes, code)
    }

    /// The node with `code`, anywhere in the tree, to change it.
    pub fn find_mut(&mut self, code: &NodeCode) -> Option<&mut Node> {
        find_in_mut(&mut self.nodes, code)
    }

    /// The set's nominal maximum: the areas whose points count in the maximum (bonus and
    /// deduction blocks add or take points on top of it, domain.md §4).
    pub fn total_max(&self) -> Points {
        self.nodes
            .iter()
            .filter(|n| n.source.counts_in_max())
            .map(|n| n.max)
            .sum()
    }

    /// Checks the set before it is used to score anything, and reports every problem at once
    /// so whoever maintains the set can fix them in one go (domain.md §3).
    ///
    /// A node's max must equal the sum of the maxima of its children that count in the
    /// maximum; bonus and deduction children add points on top and are left out. A bonus or
    /// deduction block may be smaller than the sum of its children: its max is then a cap on
    /// the block ("điểm thưởng tối đa …").
    pub fn validate(&self) -> Result<(), Vec<SetIssue>> {
        let mut issues = Vec::new();
        if self.nodes.is_empty() {
            issues.push(SetIssue::Empty);
        }
        let mut seen = HashSet::new();
        let mut reported = HashSet::new();
        for area in &self.nodes {
            if area.code.parent().is_some() {
                issues.push(SetIssue::AreaCodeNotTopLevel(area.code.clone()));
            }
            validate_node(area, &mut seen, &mut reported, &mut issues);
        }
        validate_bands("mặc định", &self.classes.default, &mut issues);
        for (group, bands) in &self.classes.groups {
            validate_bands(group.as_str(), bands, &mut issues);
        }
        for tb in &self.ranking.tie_breakers {
            if let TieBreaker::NodePoints(code) = tb
                && self.find(code).is_none()
            {
                issues.push(SetIssue::UnknownTieBreaker(code.clone()));
            }
        }
        if issues.is_empty() {
            Ok(())
        } else {
            Err(issues)
        }
    }

    /// The flattened form used to score many units quickly.
    pub fn compile(&self) -> CompiledSet<'_> {
        CompiledSet::new(self)
    }
}

fn push_pre_order<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
    out.push(node);
    for c in &node.children {
        push_pre_order(c, out);
    }
}

fn validate_node<'a>(
    node: &'a Node,
    seen: &mut HashSet<&'a NodeCode>,
    reported: &mut HashSet<&'a NodeCode>,
    issues: &mut Vec<SetIssue>,
) {
    if !seen.insert(&node.code) && reported.insert(&node.code) {
        issues.push(SetIssue::DuplicateCode(node.code.clone()));
    }
    if node.max.0 < Decimal::ZERO {
        issues.push(SetIssue::NegativeMax(node.code.clone()));
    }
    if node.is_leaf() {
        match &node.method {
            None => issues.push(SetIssue::LeafWithoutMethod(node.code.clone())),
            Some(m) => {
                if let Err(message) = m.validate(node.max) {
                    issues.push(SetIssue::BadMethod {
                        code: node.code.clone(),
                        message,
                    });
                }
            }
        }
        return;
    }
    if node.method.is_some() {
        issues.push(SetIssue::InnerWithMethod(node.code.clone()));
    }
    let block = !node.source.counts_in_max();
    for child in &node.children {
        // A dotted code names its parent; under a numbered node a code without a dot is a
        // slip (`2` under `1`). Other codes (`I` → `1`, `TD`) take their place from the tree.
        let misplaced = match child.code.parent() {
            Some(named) => named != node.code,
            None => node.code.is_numbered(),
        };
        if misplaced {
            issues.push(SetIssue::CodeNotUnderParent {
                parent: node.code.clone(),
                child: child.code.clone(),
            });
        }
        if block && child.source != node.source {
            issues.push(SetIssue::SourceNotAsBlock {
                parent: node.code.clone(),
                child: child.code.clone(),
            });
        }
    }
    if block {
        let sum: Points = node.children.iter().map(|c| c.max).sum();
        if node.max > sum {
            issues.push(SetIssue::MaxNotSum {
                code: node.code.clone(),
                max: node.max,
                sum,
            });
        }
    } else {
        let sum: Points = node
            .children
            .iter()
            .filter(|c| c.source.counts_in_max())
            .map(|c| c.max)
            .sum();
        // Exact decimal comparison: 2.50 equals 2.5, but 2.499 does not.
        if node.max != sum {
            issues.push(SetIssue::MaxNotSum {
                code: node.code.clone(),
                max: node.max,
                sum,
            });
        }
    }
    for child in &node.children {
        validate_node(child, seen, reported, issues);
    }
}

fn validate_bands(whose: &str, bands: &[ClassBand], issues: &mut Vec<SetIssue>) {
    if bands.is_empty() {
        issues.push(SetIssue::BadClasses(format!(
            "nhóm {whose}: chưa có mức xếp loại nào"
        )));
        return;
    }
    for pair in bands.windows(2) {
        if pair[1].min >= pair[0].min {
            issues.push(SetIssue::BadClasses(format!(
                "nhóm {whose}: mức \"{}\" (từ {}) phải có cận dưới thấp hơn mức \"{}\" (từ {}) \
                 đứng trên nó",
                pair[1].label,
                crate::fmt::vi_plain(pair[1].min),
                pair[0].label,
                crate::fmt::vi_plain(pair[0].min),
            )));
        }
    }
}

/// One node of a [`CompiledSet`], with its place in the tree given as positions.
#[derive(Debug, Clone, Copy)]
pub struct FlatNode<'a> {
    /// The node itself, as written in the set.
    pub node: &'a Node,
    /// Position of the parent in [`CompiledSet::nodes`]; `None` for an area.
    pub parent: Option<usize>,
    /// Position of the node's area among the set's top-level nodes.
    pub area: usize,
    /// Position among the leaves when the node is a leaf.
    pub leaf: Option<usize>,
}

/// An index set flattened into tree-order arrays, so a computation addresses nodes by
/// position instead of looking codes up for every unit and leaf. Build it once per set.
#[derive(Debug, Clone)]
pub struct CompiledSet<'a> {
    set: &'a IndexSet,
    nodes: Vec<FlatNode<'a>>,
    leaves: Vec<usize>,
    inner: Vec<usize>,
    areas: Vec<usize>,
    by_code: HashMap<&'a str, usize>,
}

impl<'a> CompiledSet<'a> {
    /// Flattens `set`. With duplicate codes (an invalid set) the first node wins the lookup.
    pub fn new(set: &'a IndexSet) -> Self {
        let mut out = CompiledSet {
            set,
            nodes: Vec::new(),
            leaves: Vec::new(),
            inner: Vec::new(),
            areas: Vec::new(),
            by_code: HashMap::new(),
        };
        for (area, node) in set.nodes.iter().enumerate() {
            out.areas.push(out.nodes.len());
            out.push(node, None, area);
        }
        out
    }

    fn push(&mut self, node: &'a Node, parent: Option<usize>, area: usize) {
        let pos = self.nodes.len();
        let leaf = if node.is_leaf() {
            self.leaves.push(pos);
            Some(self.leaves.len() - 1)
        } else {
            self.inner.push(pos);
            None
        };
        self.nodes.push(FlatNode {
            node,
            parent,
            area,
            leaf,
        });
        self.by_code.entry(node.code.as_str()).or_insert(pos);
        for child in &node.children {
            self.push(child, Some(pos), area);
        }
    }

    /// The set this was built from.
    pub fn set(&self) -> &'a IndexSet {
        self.set
    }

    /// Every node in tree order.
    pub fn nodes(&self) -> &[FlatNode<'a>] {
        &self.nodes
    }

    /// Positions (in [`Self::nodes`]) of the leaves, in tree order.
    pub fn leaf_positions(&self) -> &[usize] {
        &self.leaves
    }

    /// Positions (in [`Self::nodes`]) of the non-leaf nodes, in tree order.
    pub fn inner_positions(&self) -> &[usize] {
        &self.inner
    }

    /// Positions (in [`Self::nodes`]) of the areas, in order.
    pub fn area_positions(&self) -> &[usize] {
        &self.areas
    }

    /// Number of leaves.
    pub fn leaf_count(&self) -> usize {
        self.leaves.len()
    }

    /// The leaf at position `i` among the leaves.
    pub fn leaf(&self, i: usize) -> &'a Node {
        self.nodes[self.leaves[i]].node
    }

    /// Position of the node with `code` in [`Self::nodes`].
    pub fn position(&self, code: &NodeCode) -> Option<usize> {
        self.by_code.get(code.as_str()).copied()
    }

    /// Position of the leaf with `code` among the leaves; `None` for unknown or inner codes.
    pub fn leaf_position(&self, code: &NodeCode) -> Option<usize> {
        self.position(code).and_then(|p| self.nodes[p].leaf)
    }
}

/// The node with `code` among `nodes` and their descendants, to change it (the tree of a set,
/// or of a part of it being built).
pub fn find_in_mut<'a>(nodes: &'a mut [Node], code: &NodeCode) -> Option<&'a mut Node> {
    for n in nodes.iter_mut() {
        if &n.code == code {
            return Some(n);
        }
        if let Some(found) = find_in_mut(&mut n.children, code) {
            return Some(found);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::{Tier, TierBasis};
    use rust_decimal_macros::dec;

    fn code(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    fn leaf(c: &str, max: Decimal, source: Source) -> Node {
        Node {
            code: code(c),
            title: format!("Tiêu chí {c}"),
            max: Points(max),
            source,
            method: Some(Method::Manual { step: None }),
            rule: None,
            evidence: None,
            not_applicable: None,
            children: vec![],
        }
    }

    fn inner(c: &str, max: Decimal, source: Source, children: Vec<Node>) -> Node {
        Node {
            method: None,
            children,
            ..leaf(c, max, source)
        }
    }

    fn set(nodes: Vec<Node>) -> IndexSet {
        IndexSet {
            code: SetCode::parse("HUYEN-2024").unwrap(),
            name: "Bộ chỉ số cấp huyện".to_owned(),
            year: 2024,
            decision: None,
            classes: ClassScheme::common_default(),
            ranking: RankingRule::default(),
            renormalise_absent_areas: false,
            nodes,
        }
    }

    fn good() -> IndexSet {
        set(vec![
            inner(
                "1",
                dec!(65),
                Source::Assessed,
                vec![
                    leaf("1.1", dec!(40), Source::Assessed),
                    inner(
                        "1.2",
                        dec!(25),
                        Source::Assessed,
                        vec![
                            leaf("1.2.1", dec!(12.5), Source::Assessed),
                            leaf("1.2.2", dec!(12.50), Source::Assessed),
                        ],
                    ),
                    leaf("1.3", dec!(1), Source::Bonus),
                ],
            ),
            inner(
                "2",
                dec!(35),
                Source::Survey,
                vec![leaf("2.1", dec!(35), Source::Survey)],
            ),
            inner(
                "3",
                dec!(2),
                Source::Bonus,
                vec![
                    leaf("3.1", dec!(1.5), Source::Bonus),
                    leaf("3.2", dec!(1.5), Source::Bonus),
                ],
            ),
        ])
    }

    fn issues(s: &IndexSet) -> Vec<SetIssue> {
        s.validate().unwrap_err()
    }

    #[test]
    fn a_well_formed_set_validates_and_knows_its_maximum() {
        let s = good();
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.total_max(), Points(dec!(100)));
        let leaves: Vec<&str> = s.leaves().iter().map(|n| n.code.as_str()).collect();
        assert_eq!(
            leaves,
            ["1.1", "1.2.1", "1.2.2", "1.3", "2.1", "3.1", "3.2"]
        );
        assert_eq!(
            s.find(&code("1.2.2")).map(|n| n.max),
            Some(Points(dec!(12.5)))
        );
        assert!(s.find(&code("4")).is_none());
    }

    #[test]
    fn an_empty_set_is_reported() {
        assert_eq!(issues(&set(vec![])), vec![SetIssue::Empty]);
    }

    #[test]
    fn a_parent_whose_max_differs_from_its_children_is_reported() {
        let mut s = good();
        s.nodes[0].children[1].max = Points(dec!(24.99));
        s.nodes[0].max = Points(dec!(64.99));
        assert_eq!(
            issues(&s),
            vec![SetIssue::MaxNotSum {
                code: code("1.2"),
                max: Points(dec!(24.99)),
                sum: Points(dec!(25)),
            }]
        );
    }

    #[test]
    fn a_bonus_block_may_cap_its_children_but_not_exceed_them() {
        let mut s = good();
        s.nodes[2].max = Points(dec!(3.01));
        assert!(matches!(issues(&s)[..], [SetIssue::MaxNotSum { .. }]));
    }

    #[test]
    fn duplicate_codes_are_reported_once_each() {
        let mut s = good();
        s.nodes[1]
            .children
            .push(leaf("2.1", dec!(0), Source::Survey));
        s.nodes[1]
            .children
            .push(leaf("2.1", dec!(0), Source::Survey));
        assert_eq!(issues(&s), vec![SetIssue::DuplicateCode(code("2.1"))]);
    }

    #[test]
    fn a_child_code_must_extend_its_parent_by_one_segment() {
        let mut s = good();
        s.nodes[1].children[0].code = code("3.1");
        s.nodes[0].children[1].children[0].code = code("1.2.1.1");
        let got = issues(&s);
        assert!(got.contains(&SetIssue::CodeNotUnderParent {
            parent: code("2"),
            child: code("3.1")
        }));
        assert!(got.contains(&SetIssue::CodeNotUnderParent {
            parent: code("1.2"),
            child: code("1.2.1.1")
        }));
        assert_eq!(got.len(), 3, "3.1 also duplicates the bonus leaf: {got:?}");
    }

    #[test]
    fn a_tree_coded_with_roman_numerals_and_letters_validates() {
        let s = set(vec![
            inner(
                "I",
                dec!(60),
                Source::Assessed,
                vec![
                    inner(
                        "1",
                        dec!(40),
                        Source::Assessed,
                        vec![
                            leaf("1.a", dec!(20), Source::Assessed),
                            leaf("1.b", dec!(20), Source::Assessed),
                        ],
                    ),
                    leaf("TC-3", dec!(20), Source::Assessed),
                ],
            ),
            inner(
                "II",
                dec!(40),
                Source::Survey,
                vec![leaf("II.1", dec!(40), Source::Survey)],
            ),
            inner(
                "XHH",
                dec!(0),
                Source::Survey,
                vec![leaf("TD", dec!(0), Source::Survey)],
            ),
        ]);
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn under_a_numbered_node_a_child_without_its_number_is_misplaced() {
        let mut s = good();
        s.nodes[1].children[0].code = code("7");
        assert_eq!(
            issues(&s),
            vec![SetIssue::CodeNotUnderParent {
                parent: code("2"),
                child: code("7")
            }]
        );
        s.nodes[1].children[0].code = code("I.1");
        assert_eq!(
            issues(&s),
            vec![SetIssue::CodeNotUnderParent {
                parent: code("2"),
                child: code("I.1")
            }]
        );
    }

    #[test]
    fn an_area_code_must_have_one_segment() {
        let mut s = good();
        s.nodes[1] = inner(
            "2.1",
            dec!(35),
            Source::Survey,
            vec![leaf("2.1.1", dec!(35), Source::Survey)],
        );
        assert_eq!(issues(&s), vec![SetIssue::AreaCodeNotTopLevel(code("2.1"))]);
    }

    #[test]
    fn a_negative_max_is_reported() {
        let mut s = good();
        s.nodes[2].children[0].max = Points(dec!(-1));
        let got = issues(&s);
        assert!(got.contains(&SetIssue::NegativeMax(code("3.1"))));
    }

    #[test]
    fn leaves_need_a_method_and_inner_nodes_must_not_have_one() {
        let mut s = good();
        s.nodes[1].children[0].method = None;
        s.nodes[0].method = Some(Method::YesNo);
        assert_eq!(
            issues(&s),
            vec![
                SetIssue::InnerWithMethod(code("1")),
                SetIssue::LeafWithoutMethod(code("2.1"))
            ]
        );
    }

    #[test]
    fn a_leaf_method_that_does_not_fit_its_max_is_reported() {
        let mut s = good();
        s.nodes[0].children[0].method = Some(Method::Tiers {
            basis: TierBasis::Percent,
            tiers: vec![Tier {
                min: dec!(0),
                below: None,
                points: dec!(41),
            }],
        });
        let got = issues(&s);
        assert!(matches!(&got[..], [SetIssue::BadMethod { code: c, .. }] if c.as_str() == "1.1"));
    }

    #[test]
    fn class_bands_must_descend_strictly_and_not_be_empty() {
        let mut s = good();
        s.classes.default.swap(1, 2);
        let districts = GroupName::parse("UBND cấp huyện").unwrap();
        s.classes.groups.insert(districts, vec![]);
        let got = issues(&s);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got.iter().all(|i| matches!(i, SetIssue::BadClasses(_))));
        assert!(got[1].to_string().contains("UBND cấp huyện"));
    }

    #[test]
    fn a_tie_breaker_naming_an_unknown_node_is_reported() {
        let mut s = good();
        s.ranking.tie_breakers = vec![
            TieBreaker::SourcePoints(Source::Assessed),
            TieBreaker::NodePoints(code("1.2")),
            TieBreaker::NodePoints(code("9")),
        ];
        assert_eq!(issues(&s), vec![SetIssue::UnknownTieBreaker(code("9"))]);
    }

    #[test]
    fn a_bonus_block_may_only_hold_bonus_points() {
        let mut s = good();
        s.nodes[2].children[1].source = Source::Assessed;
        assert_eq!(
            issues(&s),
            vec![SetIssue::SourceNotAsBlock {
                parent: code("3"),
                child: code("3.2")
            }]
        );
    }

    #[test]
    fn every_issue_is_reported_at_once() {
        let mut s = good();
        s.nodes[0].max = Points(dec!(1));
        s.nodes[1].children[0].method = None;
        s.classes.default.clear();
        assert_eq!(issues(&s).len(), 3);
    }

    #[test]
    fn the_compiled_set_addresses_nodes_by_position() {
        let s = good();
        let c = s.compile();
        assert_eq!(c.nodes().len(), 11);
        assert_eq!(c.leaf_count(), 7);
        assert_eq!(c.inner_positions().len(), 4);
        assert_eq!(c.area_positions(), &[0, 6, 8]);
        assert_eq!(c.leaf_position(&code("2.1")), Some(4));
        assert_eq!(c.leaf_position(&code("1.2")), None);
        assert_eq!(c.leaf(4).code.as_str(), "2.1");
        let p = c.position(&code("1.2.2")).unwrap();
        assert_eq!(c.nodes()[p].parent, c.position(&code("1.2")));
        assert_eq!(c.nodes()[p].area, 0);
    }
}
