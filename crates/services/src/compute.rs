//! Computing a stored period: gather each group's set, members, stored inputs, the previous
//! period's results and the lineage, run the engine per set, and save the snapshot.

use std::collections::{BTreeMap, HashMap, HashSet};

use chiso_domain::{
    AreasWithValues, ComputeInput, GroupName, IndexSet, Lineage, Membership, NodeCode, PeriodCode,
    PeriodResults, PreviousResult, RawValue, ResultNote, SetCode, UnitCode, UnitInput, compute,
    compute_part,
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
        let mut out = PeriodResults::default();
        for (code, inputs) in self.inputs_by_set(self.members.iter(), &mut values)? {
            let r = self.run(code, &inputs, None)?;
            out = out
                .merge(r)
                .map_err(|e| ServiceError::new(codes::RESULTS_INCONSISTENT).arg("reason", &e))?;
        }
        Ok(out)
    }

    /// The results of `group` alone from its members' inputs, with `areas` the areas of its
    /// set holding values across **all** the set's units (see [`Self::areas_with_values`]):
    /// exactly that group's part of [`Self::compute_values`], in a group's memory.
    pub(crate) fn compute_group(
        &self,
        group: &GroupName,
        mut values: HashMap<UnitCode, Vec<(NodeCode, RawValue)>>,
        areas: &BTreeMap<SetCode, AreasWithValues>,
    ) -> ServiceResult<PeriodResults> {
        let members = self.members.iter().filter(|m| &m.group == group);
        let mut out = PeriodResults::default();
        for (code, inputs) in self.inputs_by_set(members, &mut values)? {
            out = self.run(code, &inputs, areas.get(code))?;
        }
        Ok(out)
    }

    /// The period's groups that have members, in publication (name) order.
    pub(crate) fn group_names(&self) -> Vec<&GroupName> {
        let mut names: Vec<&GroupName> = self.members.iter().map(|m| &m.group).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// For each set that leaves absent areas out of the maximum, the areas in which a member
    /// of one of its groups has a value, from `(group, leaf)` pairs with an input; sets that
    /// do not renormalise need none.
    pub(crate) fn areas_with_values(
        &self,
        leaves: &[(GroupName, NodeCode)],
    ) -> BTreeMap<SetCode, AreasWithValues> {
        let mut out = BTreeMap::new();
        for (code, set) in &self.sets {
            if !set.renormalise_absent_areas {
                continue;
            }
            let groups = self.groups_of_set(code);
            let with_value = leaves
                .iter()
                .filter(|(g, _)| groups.contains(g))
                .map(|(_, n)| n);
            out.insert(code.clone(), AreasWithValues::of_leaves(set, with_value));
        }
        out
    }

    /// Whether any set of the period leaves absent areas out of the maximum (then a
    /// group-by-group computation needs [`Self::areas_with_values`]).
    pub(crate) fn needs_areas(&self) -> bool {
        self.sets.values().any(|s| s.renormalise_absent_areas)
    }

    /// The computation inputs of `members`, by the set of their group; their values are
    /// taken out of `values`.
    fn inputs_by_set<'m>(
        &self,
        members: impl Iterator<Item = &'m Membership>,
        values: &mut HashMap<UnitCode, Vec<(NodeCode, RawValue)>>,
    ) -> ServiceResult<BTreeMap<&SetCode, Vec<UnitInput>>> {
        let set_of: HashMap<&GroupName, &SetCode> =
            self.groups.iter().map(|(g, s)| (g, s)).collect();
        let mut by_set: BTreeMap<&SetCode, Vec<UnitInput>> = BTreeMap::new();
        for m in members {
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
        Ok(by_set)
    }

    /// Runs the engine for units of set `code`, with the notes shown next to results.
    fn run(
        &self,
        code: &SetCode,
        inputs: &[UnitInput],
        areas: Option<&AreasWithValues>,
    ) -> ServiceResult<PeriodResults> {
        let set = self
            .sets
            .get(code)
            .ok_or_else(|| ServiceError::new(codes::SET_NOT_FOUND).arg("set", code))?;
        let input = ComputeInput {
            set,
            units: inputs,
            previous: &self.previous,
            lineage: &self.lineage,
        };
        let mut r = match areas {
            Some(a) => compute_part(input, a),
            None => compute(input),
        }
        .map_err(|e| {
            ServiceError::new(codes::SCORES_INVALID)
                .arg("count", e.len())
                .detail(Detail::Score(e))
        })?;
        for u in &mut r.units {
            u.note = self.notes.get(&u.unit).copied();
        }
        Ok(r)
    }

    /// The period's groups that use set `code`.
    fn groups_of_set(&self, code: &SetCode) -> HashSet<&GroupName> {
        self.groups
            .iter()
            .filter(|(_, s)| s == code)
            .map(|(g, _)| g)
            .collect()
    }

    /// The set of each group of the period.
    pub(crate) fn sets(&self) -> impl Iterator<Item = (&SetCode, &IndexSet)> {
        self.sets.iter()
    }

    /// The units of the period that belong to a group using set `code`.
    pub(crate) fn units_of_set(&self, code: &SetCode) -> Vec<UnitCode> {
        let groups = self.groups_of_set(code);
        self.members
            .iter()
            .filter(|m| groups.contains(&m.group))
            .map(|m| m.unit.clone())
            .collect()
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
