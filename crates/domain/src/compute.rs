//! Computation of a period (domain.md §5): leaf points → node totals → unit total, applicable
//! maximum, index, component indexes, class, rank within group, group statistics, and
//! year-over-year comparison through lineage, with streaks.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{GroupName, NodeCode, UnitCode};
use crate::indexset::IndexSet;
use crate::method::{InputError, RawValue};
use crate::points::Points;
use crate::unit::Lineage;

/// One unit's inputs for a computation: its group for the period and one raw value per leaf
/// it has data for (leaves without a value score 0 and stay in the maximum).
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
    Input { unit: UnitCode, node: NodeCode, error: InputError },
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
    /// Component index `points ÷ max × 100`, `None` when nothing applies.
    pub index: Option<Decimal>,
}

/// Points of one leaf for one unit, with the input that produced them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafScore {
    pub code: NodeCode,
    pub points: Points,
    pub applicable: bool,
    pub input: Option<RawValue>,
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
    /// Years in a row at rank 1, this period included (0 when not rank 1).
    pub streak: u32,
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

/// Computes a period for units that all use `input.set`.
pub fn compute(input: ComputeInput<'_>) -> Result<PeriodResults, Vec<ScoreError>> {
    let _ = input;
    todo!("implemented by the computation engine")
}
