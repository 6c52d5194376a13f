//! The pure rules of chiso: what an index set is, how each scoring method turns a unit's raw
//! input into points, and how totals, indexes, classes, ranks and comparisons are computed.
//!
//! Nothing here performs I/O; every other crate (store, reports, web, cli) depends on this one
//! and never the other way round, so the rules can be tested exhaustively and reused everywhere.

pub mod analysis;
pub mod authz;
pub mod completeness;
pub mod compute;
pub mod dated;
mod exact;
pub mod fmt;
pub mod ids;
pub mod indexset;
pub mod method;
pub mod notify;
pub mod number;
pub mod points;
pub mod questionnaire;
pub mod reorg;
pub mod survey;
pub mod text;
pub mod uncertainty;
pub mod unit;
pub mod whatif;
pub mod workflow;

pub use authz::{Action, AppraiserScope, Denied, Grant, Principal, Resource, Role, can};
pub use compute::{
    AreasWithValues, ComputeInput, GroupStats, LeafScore, MergeError, NodeScore, PeriodResults,
    PreviousResult, RankMove, ResultNote, ScoreError, UnitInput, UnitResult, compute, compute_part,
    rank_move,
};
pub use dated::{DatedRule, ShiftOutOfRange, ShiftedRule, shift_date};
pub use ids::{GradeCode, GroupName, IdError, NodeCode, PeriodCode, SetCode, UnitCode};
pub use indexset::{
    ClassBand, ClassScheme, CompiledSet, FlatNode, IndexSet, NaPolicy, Node, RankingRule, SetIssue,
    Source, TieBreaker,
};
pub use method::{Grade, InputError, LeafOutcome, Method, RawValue, Tier, TierBasis};
pub use points::Points;
pub use unit::{Lineage, LineageKind, Membership, Unit, UnitKind};
pub use workflow::{AssessmentState, Milestones, Phase, Transition, WorkflowError};

/// The source of "now". Injected so computations and tests are reproducible; only the binary
/// reads the system clock.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> time::OffsetDateTime;
}

/// A clock that always answers the same instant (tests, reproducible imports).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub time::OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> time::OffsetDateTime {
        self.0
    }
}
