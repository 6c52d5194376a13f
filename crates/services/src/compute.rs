//! Computing a stored period: gather each group's set, members, stored inputs, the previous
//! period's results and the lineage, run the engine per set, and save the snapshot.

use std::collections::{BTreeMap, HashMap};

use chiso_domain::{
    ComputeInput, GroupName, IndexSet, Lineage, Membership, NodeCode, PeriodCode, PeriodResults,
    PreviousResult, RawValue, ResultNote, SetCode, UnitCode, UnitInput, compute,
};
use chiso_store::scores::StoredScore;
use chiso_store::{Actor, Db, assessments, index_sets, periods, results, scores, units};
use time::OffsetDateTime;

use crate::codes;
use crate::error::{Detail, ServiceError, ServiceResult};

/// Computes `period` from what is stored and replaces its results snapshot.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn compute_period(
    db: &Db,
    period: &PeriodCode,
    actor: &Actor,
    at: OffsetDateTime,
) -> ServiceResult<PeriodResults> {
    let started = std::time::Instant::now();
    let (out, read) = read_and_compute(db, period).await?;
    let computed = started.elapsed();
    results::save(db, period, &out, actor, at).await?;
    // The split of a recomputation, for the national benchmarks (docs/performance.md).
    tracing::info!(
        read_us = micros(read),
        compute_us = micros(computed.saturating_sub(read)),
        write_us = micros(started.elapsed().saturating_sub(computed)),
        units = out.units.len(),
        "period recomputed"
    );
    Ok(out)
}

fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Computes `period` from what is stored without saving anything: what [`compute_period`]
/// would store now (used to check that stored results are those of the stored scores).
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn compute_stored(db: &Db, period: &PeriodCode) -> ServiceResult<PeriodResults> {
    Ok(read_and_compute(db, period).await?.0)
}

/// The period's results from what is stored, with the time spent reading it.
async fn read_and_compute(
    db: &Db,
    period: &PeriodCode,
) -> ServiceResult<(PeriodResults, std::time::Duration)> {
    let started = std::time::Instant::now();
    let basis = PeriodBasis::load(db, period).await?;
    let inputs = scores::inputs(db, period).await?;
    let read = started.elapsed();
    let out = basis.compute_values(inputs.into_iter().map(|u| (u.unit, u.values)).collect())?;
    Ok((out, read))
}

/// Everything a period's computation needs besides its scores, read once.
#[derive(Debug, Clone)]
pub(crate) struct PeriodBasis {
    groups: Vec<(GroupName, SetCode)>,
    members: Vec<Membership>,
    names: HashMap<UnitCode, String>,
    lineage: Vec<Lineage>,
    previous: Vec<PreviousResult>,
    sets: BTreeMap<SetCode, IndexSet>,
    /// Facts shown next to a unit's result: a self-assessment closed as not submitted.
    notes: HashMap<UnitCode, ResultNote>,
}

impl PeriodBasis {
    /// Reads the period's groups, members, unit names, lineage, previous results and sets.
    pub(crate) async fn load(db: &Db, period: &PeriodCode) -> ServiceResult<PeriodBasis> {
        periods::get(db, period)
            .await?
            .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", period))?;
        let groups = periods::groups(db, period).await?;
        let members = periods::members(db, period).await?;
        let names = units::list(db)
            .await?
            .into_iter()
            .map(|u| (u.code, u.name))
            .collect();
        let lineage = units::lineage(db).await?;
        let previous = results::previous_for(db, period).await?;
        let mut sets = BTreeMap::new();
        for (_, code) in &groups {
            if !sets.contains_key(code) {
                let set = index_sets::get(db, code)
                    .await?
                    .ok_or_else(|| ServiceError::new(codes::SET_NOT_FOUND).arg("set", code))?;
                sets.insert(code.clone(), set);
            }
        }
        let notes = assessments::list(db, period)
            .await?
            .into_iter()
            .filter(|a| a.closed.is_some())
            .map(|a| (a.unit, ResultNote::ClosedUnsubmitted))
            .collect();
        Ok(PeriodBasis {
            groups,
            members,
            names,
            lineage,
            previous,
            sets,
            notes,
        })
    }

    /// The period's results from `stored` values (their inputs; the engine scores them).
    pub(crate) fn compute(&self, stored: &[StoredScore]) -> ServiceResult<PeriodResults> {
        self.compute_inputs(stored.iter().filter_map(|s| {
            s.input
                .as_ref()
                .map(|input| (&s.unit, &s.node, input.clone()))
        }))
    }

    /// The period's results from each unit's leaf inputs.
    pub(crate) fn compute_inputs<'a>(
        &self,
        inputs: impl IntoIterator<Item = (&'a UnitCode, &'a NodeCode, RawValue)>,
    ) -> ServiceResult<PeriodResults> {
        let mut values: HashMap<UnitCode, Vec<_>> = HashMap::new();
        for (unit, node, input) in inputs {
            values
                .entry(unit.clone())
                .or_default()
                .push((node.clone(), input));
        }
        self.compute_values(values)
    }

    /// The period's results from each unit's leaf inputs, gathered by unit.
    pub(crate) fn compute_values(
        &self,
        mut values: HashMap<UnitCode, Vec<(NodeCode, RawValue)>>,
    ) -> ServiceResult<PeriodResults> {
        let set_of: HashMap<&GroupName, &SetCode> =
            self.groups.iter().map(|(g, s)| (g, s)).collect();
        let mut by_set: BTreeMap<&SetCode, Vec<UnitInput>> = BTreeMap::new();
        for m in &self.members {
            let set = set_of.get(&m.group).ok_or_else(|| {
                ServiceError::new(codes::GROUP_WITHOUT_SET).arg("group", &m.group)
            })?;
            by_set.entry(set).or_default().push(UnitInput {
                unit: m.unit.clone(),
                name: self
                    .names
                    .get(&m.unit)
                    .cloned()
                    .unwrap_or_else(|| m.unit.to_string()),
                group: m.group.clone(),
                ranked: m.ranked,
                values: values.remove(&m.unit).unwrap_or_default(),
            });
        }
        let mut out = PeriodResults::default();
        for (code, inputs) in &by_set {
            let set = self
                .sets
                .get(*code)
                .ok_or_else(|| ServiceError::new(codes::SET_NOT_FOUND).arg("set", code))?;
            let r = compute(ComputeInput {
                set,
                units: inputs,
                previous: &self.previous,
                lineage: &self.lineage,
            })
            .map_err(|e| {
                ServiceError::new(codes::SCORES_INVALID)
                    .arg("count", e.len())
                    .detail(Detail::Score(e))
            })?;
            out = out
                .merge(r)
                .map_err(|e| ServiceError::new(codes::RESULTS_INCONSISTENT).arg("reason", &e))?;
        }
        for u in &mut out.units {
            u.note = self.notes.get(&u.unit).copied();
        }
        Ok(out)
    }
}

/// The index sets a period's groups use, each once, by set code.
pub async fn period_sets(db: &Db, period: &PeriodCode) -> ServiceResult<Vec<IndexSet>> {
    let mut out: BTreeMap<SetCode, IndexSet> = BTreeMap::new();
    for (_, code) in periods::groups(db, period).await? {
        if let std::collections::btree_map::Entry::Vacant(slot) = out.entry(code) {
            let set = index_sets::get(db, slot.key())
                .await?
                .ok_or_else(|| ServiceError::new(codes::SET_NOT_FOUND).arg("set", slot.key()))?;
            slot.insert(set);
        }
    }
    Ok(out.into_values().collect())
}
