//! Demo and benchmark data for chiso, generated in memory without any I/O.
//!
//! - [`province`]: "Tỉnh Mẫu (dữ liệu mẫu)", a fictional province with four years of index
//!   sets and raw inputs (2022–2025, across the 2025 reorganisation), from which the engine
//!   computes results with the shapes of real published figures (domain.md §1), and 2026 in
//!   progress with its own sets (the 2025 ones with their deadlines moved a year).
//! - [`synthetic`]: national-scale data of any size for benchmarks (`chiso bench-data`).
//!
//! Inputs are always raw values per leaf; results are never typed in, so the demo exercises
//! the same computation as real data.

mod inputs;
mod names;
mod province;
mod sets;
mod survey;
mod synthetic;

use chiso_domain::{ComputeInput, PeriodResults, PreviousResult, ScoreError, UnitInput, compute};

pub use province::{DemoPeriod, DemoProvince, province};
pub use survey::{DemoAnswer, survey_answers};
pub use synthetic::{Synthetic, UNITS_PER_GROUP, synthetic};

/// What a computed period hands to the next one for deltas and streaks: each unit's
/// full-precision index, rank and streak.
pub fn previous_results(results: &PeriodResults) -> Vec<PreviousResult> {
    results
        .units
        .iter()
        .map(|u| PreviousResult {
            unit: u.unit.clone(),
            group: u.group.clone(),
            index: u.index,
            rank: u.rank,
            streak: u.streak,
        })
        .collect()
}

impl DemoProvince {
    /// Computes one period: each group with its own set, against `previous` (the results of
    /// the period before, through the demo's lineage), merged in the period's group order.
    ///
    /// # Panics
    /// If a group of the period names a set the demo does not have, or a unit appears in two
    /// groups (bugs of the demo).
    pub fn compute_period(
        &self,
        period: &DemoPeriod,
        previous: &[PreviousResult],
    ) -> Result<PeriodResults, Vec<ScoreError>> {
        let mut out = PeriodResults::default();
        for (group, set_code) in &period.groups {
            let set = self.set(set_code).unwrap_or_else(|| {
                panic!("demo period {} uses unknown set {set_code}", period.code)
            });
            let units: Vec<UnitInput> = period
                .inputs
                .iter()
                .filter(|u| &u.group == group)
                .cloned()
                .collect();
            let r = compute(ComputeInput {
                set,
                units: &units,
                previous,
                lineage: &self.lineage,
            })?;
            out = out
                .merge(r)
                .expect("each demo group and unit appears once per period");
        }
        Ok(out)
    }

    /// Computes every period in order, each compared with the one before; one result per
    /// period, oldest first.
    pub fn compute_all(&self) -> Result<Vec<PeriodResults>, Vec<ScoreError>> {
        let mut all: Vec<PeriodResults> = Vec::with_capacity(self.periods.len());
        for period in &self.periods {
            let previous = all.last().map(previous_results).unwrap_or_default();
            all.push(self.compute_period(period, &previous)?);
        }
        Ok(all)
    }
}
