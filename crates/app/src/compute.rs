//! Computing a stored period: gather each group's set, members, stored inputs, the previous
//! period's results and the lineage, run the engine per set, and save the snapshot.

use std::collections::{BTreeMap, HashMap};

use chiso_domain::{
    ComputeInput, GroupName, IndexSet, PeriodCode, PeriodResults, SetCode, UnitCode, UnitInput,
    compute,
};
use chiso_store::{Actor, Db, index_sets, periods, results, scores, units};
use time::OffsetDateTime;

use crate::error::{AppError, AppResult};

/// Computes `period` from what is stored and replaces its results snapshot.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn compute_period(
    db: &Db,
    period: &PeriodCode,
    actor: &Actor,
    at: OffsetDateTime,
) -> AppResult<PeriodResults> {
    periods::get(db, period)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("kỳ đánh giá {period}")))?;
    let groups = periods::groups(db, period).await?;
    let members = periods::members(db, period).await?;
    let names: HashMap<UnitCode, String> = units::list(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let lineage = units::lineage(db).await?;
    let previous = results::previous_for(db, period).await?;

    let mut values: HashMap<UnitCode, Vec<_>> = HashMap::new();
    for s in scores::list(db, period).await? {
        if let Some(input) = s.input {
            values.entry(s.unit).or_default().push((s.node, input));
        }
    }

    let set_of: HashMap<&GroupName, &SetCode> = groups.iter().map(|(g, s)| (g, s)).collect();
    let mut by_set: BTreeMap<SetCode, Vec<UnitInput>> = BTreeMap::new();
    for m in &members {
        let set = set_of.get(&m.group).ok_or_else(|| {
            AppError::Invalid(format!("nhóm \"{}\" chưa được gán bộ chỉ số", m.group))
        })?;
        by_set.entry((*set).clone()).or_default().push(UnitInput {
            unit: m.unit.clone(),
            name: names
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
        let set: IndexSet = index_sets::get(db, code)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("bộ chỉ số {code}")))?;
        let r = compute(ComputeInput {
            set: &set,
            units: inputs,
            previous: &previous,
            lineage: &lineage,
        })
        .map_err(AppError::Score)?;
        out = out.merge(r).map_err(|e| AppError::Invalid(e.to_string()))?;
    }
    results::save(db, period, &out, actor, at).await?;
    Ok(out)
}

/// The index sets a period's groups use, each once, by set code.
pub async fn period_sets(db: &Db, period: &PeriodCode) -> AppResult<Vec<IndexSet>> {
    let mut out: BTreeMap<SetCode, IndexSet> = BTreeMap::new();
    for (_, code) in periods::groups(db, period).await? {
        if let std::collections::btree_map::Entry::Vacant(slot) = out.entry(code) {
            let set = index_sets::get(db, slot.key())
                .await?
                .ok_or_else(|| AppError::NotFound(format!("bộ chỉ số {}", slot.key())))?;
            slot.insert(set);
        }
    }
    Ok(out.into_values().collect())
}
