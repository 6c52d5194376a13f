//! What must be complete before the council approves a period (domain.md §2, steps 5–7): every
//! survey and monitoring-data leaf of every unit has its value, and no explanation request is
//! left unanswered. A gap does not have to be filled: the council chair may approve with an
//! explicit reason for it (a survey that was not run for a new ward, say), which is recorded.

use serde::{Deserialize, Serialize};

use crate::ids::{NodeCode, UnitCode};

/// Why one leaf of one unit is not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// A survey or monitoring-data leaf without a value.
    NoValue,
    /// An explanation was requested and the unit has not answered.
    OpenExplanation,
}

impl GapKind {
    /// Stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            GapKind::NoValue => "no_value",
            GapKind::OpenExplanation => "open_explanation",
        }
    }
}

/// One incomplete leaf of one unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Gap {
    pub unit: UnitCode,
    pub leaf: NodeCode,
    pub kind: GapKind,
}

/// The chair's reason for approving despite a gap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    pub unit: UnitCode,
    pub leaf: NodeCode,
    pub reason: String,
}

/// The gaps no acceptance with a non-blank reason covers (an acceptance covers every gap of
/// its unit and leaf).
pub fn unaccepted<'a>(gaps: &'a [Gap], accepted: &[Acceptance]) -> Vec<&'a Gap> {
    gaps.iter()
        .filter(|g| {
            !accepted
                .iter()
                .any(|a| a.unit == g.unit && a.leaf == g.leaf && !a.reason.trim().is_empty())
        })
        .collect()
}

/// The acceptances that cover a gap, each once: what the approval records.
pub fn used<'a>(gaps: &[Gap], accepted: &'a [Acceptance]) -> Vec<&'a Acceptance> {
    let mut out: Vec<&Acceptance> = accepted
        .iter()
        .filter(|a| !a.reason.trim().is_empty())
        .filter(|a| gaps.iter().any(|g| g.unit == a.unit && g.leaf == a.leaf))
        .collect();
    out.sort_by(|a, b| (&a.unit, &a.leaf).cmp(&(&b.unit, &b.leaf)));
    out.dedup_by(|a, b| a.unit == b.unit && a.leaf == b.leaf);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn gap(u: &str, l: &str, kind: GapKind) -> Gap {
        Gap {
            unit: UnitCode::parse(u).unwrap(),
            leaf: NodeCode::parse(l).unwrap(),
            kind,
        }
    }

    fn accept(u: &str, l: &str, reason: &str) -> Acceptance {
        Acceptance {
            unit: UnitCode::parse(u).unwrap(),
            leaf: NodeCode::parse(l).unwrap(),
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn a_gap_is_accepted_only_by_a_reason_for_its_own_unit_and_leaf() {
        let gaps = [
            gap("SNV", "6.1", GapKind::NoValue),
            gap("STP", "6.1", GapKind::NoValue),
            gap("STP", "2.3", GapKind::OpenExplanation),
        ];
        let accepted = [
            accept(
                "SNV",
                "6.1",
                "Chưa tổ chức điều tra với đơn vị mới thành lập",
            ),
            accept("STP", "6.1", "   "),
            accept("STP", "9.9", "không có khoảng trống này"),
        ];
        let left: Vec<_> = unaccepted(&gaps, &accepted);
        assert_eq!(left, [&gaps[1], &gaps[2]]);
        let recorded = used(&gaps, &accepted);
        assert_eq!(recorded, [&accepted[0]]);
    }

    proptest! {
        #[test]
        fn every_gap_is_either_left_or_covered_by_a_recorded_reason(
            picks in proptest::collection::vec((0usize..3, 0usize..3, any::<bool>()), 0..12),
            reasons in proptest::collection::vec((0usize..3, 0usize..3, any::<bool>()), 0..12),
        ) {
            let units = ["A", "B", "C"];
            let leaves = ["1.1", "2.1", "3.1"];
            let gaps: Vec<Gap> = picks.iter().map(|(u, l, open)| gap(
                units[*u], leaves[*l],
                if *open { GapKind::OpenExplanation } else { GapKind::NoValue },
            )).collect();
            let accepted: Vec<Acceptance> = reasons.iter().map(|(u, l, blank)| accept(
                units[*u], leaves[*l], if *blank { " " } else { "lý do" },
            )).collect();
            let left = unaccepted(&gaps, &accepted);
            let recorded = used(&gaps, &accepted);
            for g in &gaps {
                let covered = recorded.iter().any(|a| a.unit == g.unit && a.leaf == g.leaf);
                prop_assert_ne!(covered, left.contains(&g));
            }
        }
    }
}
