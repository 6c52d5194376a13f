//! Public results: what a period published, shaped for people. The one place the HTML pages
//! and the JSON API get their figures from, so the two can never show different ones. These
//! reads are open to everybody (results are public once computed), hence no principal.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chiso_domain::{
    GroupName, GroupStats, IndexSet, PeriodCode, PeriodResults, SetCode, UnitCode, UnitResult,
};
use chiso_store::{Db, index_sets, periods, results, units};

use crate::codes;
use crate::error::{ServiceError, ServiceResult};
use crate::records::Period;

/// A period as listed on the home page.
#[derive(Debug, Clone)]
pub struct PeriodSummary {
    /// The period.
    pub period: Period,
    /// Units taking part (members of its groups).
    pub units: usize,
}

/// Every period, newest year first, with its number of units.
#[tracing::instrument(skip_all)]
pub async fn list_periods(db: &Db) -> ServiceResult<Vec<PeriodSummary>> {
    let list = periods::list(db).await?;
    let mut out = Vec::with_capacity(list.len());
    for period in list {
        let units = periods::members(db, &period.code).await?.len();
        out.push(PeriodSummary { period, units });
    }
    Ok(out)
}

/// One group of a period: its index set, statistics and units in rank order.
#[derive(Debug, Clone)]
pub struct GroupReport {
    /// The group's name.
    pub group: GroupName,
    /// The index set the group was scored under (titles of areas, class bands).
    pub set: Option<Arc<IndexSet>>,
    /// Statistics, once computed.
    pub stats: Option<GroupStats>,
    /// Results by rank; unranked units last.
    pub units: Vec<UnitResult>,
}

/// A period's published results, group by group.
#[derive(Debug, Clone)]
pub struct PeriodReport {
    /// The period.
    pub period: Period,
    /// True once results exist.
    pub computed: bool,
    /// Groups in the order the period's plan lists them.
    pub groups: Vec<GroupReport>,
}

/// The results of `code`, or `period_not_found`.
#[tracing::instrument(skip_all, fields(period = %code))]
pub async fn period_report(db: &Db, code: &PeriodCode) -> ServiceResult<PeriodReport> {
    let period = get_period(db, code).await?;
    let assignments = periods::groups(db, code).await?;
    let sets = load_sets(db, &assignments).await?;
    let stored = results::load(db, code).await?;
    let computed = stored.is_some();
    let stored = stored.unwrap_or_default();

    let mut groups: Vec<GroupReport> = assignments
        .iter()
        .map(|(group, set)| GroupReport {
            group: group.clone(),
            set: sets.get(set).cloned(),
            stats: None,
            units: Vec::new(),
        })
        .collect();
    for unit in stored.units {
        let i = group_slot(&mut groups, &unit.group);
        groups[i].units.push(unit);
    }
    for stats in stored.groups {
        let i = group_slot(&mut groups, &stats.group);
        groups[i].stats = Some(stats);
    }
    for g in &mut groups {
        g.units.sort_by(|a, b| {
            (a.rank.is_none(), a.rank, &a.unit).cmp(&(b.rank.is_none(), b.rank, &b.unit))
        });
    }
    Ok(PeriodReport {
        period,
        computed,
        groups,
    })
}

fn group_slot(groups: &mut Vec<GroupReport>, name: &GroupName) -> usize {
    if let Some(i) = groups.iter().position(|g| &g.group == name) {
        return i;
    }
    groups.push(GroupReport {
        group: name.clone(),
        set: None,
        stats: None,
        units: Vec::new(),
    });
    groups.len() - 1
}

/// One past (or current) result of a unit.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    /// The period's code.
    pub period: PeriodCode,
    /// The period's year, when the period is known.
    pub year: Option<i32>,
    /// The unit's result in that period.
    pub result: UnitResult,
}

/// One unit's result in a period, with the set it was scored under and its history.
#[derive(Debug, Clone)]
pub struct UnitReport {
    /// The period.
    pub period: Period,
    /// The unit's result.
    pub result: UnitResult,
    /// The index set of the unit's group.
    pub set: Option<Arc<IndexSet>>,
    /// Every period the unit has results for, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// The result of `unit` in `period`, or `unit_not_in_period`.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub async fn unit_report(
    db: &Db,
    period: &PeriodCode,
    unit: &UnitCode,
) -> ServiceResult<UnitReport> {
    let p = get_period(db, period).await?;
    let not_in_period = || {
        ServiceError::new(codes::UNIT_NOT_IN_PERIOD)
            .arg("period", period)
            .arg("unit", unit)
    };
    let stored = results::load(db, period).await?.ok_or_else(not_in_period)?;
    let result = stored
        .units
        .into_iter()
        .find(|u| &u.unit == unit)
        .ok_or_else(not_in_period)?;
    let set = match periods::groups(db, period)
        .await?
        .into_iter()
        .find(|(g, _)| g == &result.group)
    {
        Some((_, code)) => index_sets::get(db, &code).await?.map(Arc::new),
        None => None,
    };
    let history = history_of(db, unit).await?;
    Ok(UnitReport {
        period: p,
        result,
        set,
        history,
    })
}

/// A unit's results across periods.
#[derive(Debug, Clone)]
pub struct UnitHistory {
    /// The unit's code.
    pub unit: UnitCode,
    /// The unit's current name.
    pub name: String,
    /// Results, oldest first.
    pub entries: Vec<HistoryEntry>,
}

/// The history of `unit`, or `unit_not_found`.
#[tracing::instrument(skip_all, fields(unit = %unit))]
pub async fn unit_history(db: &Db, unit: &UnitCode) -> ServiceResult<UnitHistory> {
    let u = units::get(db, unit)
        .await?
        .ok_or_else(|| ServiceError::new(codes::UNIT_NOT_FOUND).arg("unit", unit))?;
    let entries = history_of(db, unit).await?;
    Ok(UnitHistory {
        unit: u.code,
        name: u.name,
        entries,
    })
}

async fn history_of(db: &Db, unit: &UnitCode) -> ServiceResult<Vec<HistoryEntry>> {
    let years: HashMap<PeriodCode, i32> = periods::list(db)
        .await?
        .into_iter()
        .map(|p| (p.code, p.year))
        .collect();
    let mut entries: Vec<HistoryEntry> = results::unit_history(db, unit)
        .await?
        .into_iter()
        .map(|(period, result)| HistoryEntry {
            year: years.get(&period).copied(),
            period,
            result,
        })
        .collect();
    entries.sort_by(|a, b| {
        (a.year.is_none(), a.year, &a.period).cmp(&(b.year.is_none(), b.year, &b.period))
    });
    Ok(entries)
}

async fn get_period(db: &Db, code: &PeriodCode) -> ServiceResult<Period> {
    periods::get(db, code)
        .await?
        .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", code))
}

async fn load_sets(
    db: &Db,
    assignments: &[(GroupName, SetCode)],
) -> ServiceResult<BTreeMap<SetCode, Arc<IndexSet>>> {
    let mut sets = BTreeMap::new();
    for (_, code) in assignments {
        if sets.contains_key(code) {
            continue;
        }
        if let Some(set) = index_sets::get(db, code).await? {
            sets.insert(code.clone(), Arc::new(set));
        }
    }
    Ok(sets)
}

/// The period `code`, if it exists.
pub async fn find_period(db: &Db, code: &PeriodCode) -> ServiceResult<Option<Period>> {
    Ok(periods::get(db, code).await?)
}

/// The stored results of a period, as computed last; `None` before the first computation.
pub async fn stored(db: &Db, code: &PeriodCode) -> ServiceResult<Option<PeriodResults>> {
    Ok(results::load(db, code).await?)
}
