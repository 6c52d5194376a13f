//! Index sets (bộ chỉ số): the tree of areas → criteria → sub-criteria with maxima, sources and
//! scoring methods, the class bands per group and the ranking rule (domain.md §3, §5).
//! Each period keeps its own set, so history is always read with the set it was scored under.

use std::collections::BTreeMap;

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
        let band = |label: &str, min: i64| ClassBand { label: label.to_owned(), min: Decimal::from(min) };
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
        self.bands_for(group).iter().find(|b| index >= b.min).map(|b| b.label.as_str())
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
    MaxNotSum { code: NodeCode, max: Points, sum: Points },
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
}
