//! Results, shaped for people: the one place the HTML pages, the JSON API and the exports get
//! their figures from, so they can never show different ones.
//!
//! A published period is read from its publication's immutable snapshot (the latest version,
//! or the one asked for), by anybody: later changes to units, index sets or raw data never
//! alter a published number. Before publication results are confidential (domain.md §2,
//! step 8): the period's staff read them all ([`may_read_unpublished`]), a unit reads its own,
//! and anybody else is told they are not published.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chiso_domain::authz::{Action, Principal, Resource, can, may_read_unpublished};
use chiso_domain::uncertainty::ResultIntervals;
use chiso_domain::{
    GroupName, GroupStats, IndexSet, PeriodCode, PeriodResults, SetCode, UnitCode, UnitResult,
};
use chiso_store::publications::{self, Publication};
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
    /// The latest published version, if any.
    pub publication: Option<Publication>,
}

/// Every period, newest year first, with its number of units and latest publication.
#[tracing::instrument(skip_all)]
pub async fn list_periods(db: &Db) -> ServiceResult<Vec<PeriodSummary>> {
    let list = periods::list(db).await?;
    let mut published: HashMap<PeriodCode, Publication> = publications::latest_all(db)
        .await?
        .into_iter()
        .map(|p| (p.period.clone(), p))
        .collect();
    let mut out = Vec::with_capacity(list.len());
    for period in list {
        let units = periods::members(db, &period.code).await?.len();
        let publication = published.remove(&period.code);
        out.push(PeriodSummary {
            period,
            units,
            publication,
        });
    }
    Ok(out)
}

/// Whether the period's results page has something for `viewer` now, so that a list links
/// it: once published, for anybody; before, for the period's staff, and, once results are
/// computed, for signed-in people (a unit's people read their own unit's). A period still in
/// progress has nothing to show the others.
pub fn may_open(viewer: &Principal, summary: &PeriodSummary) -> bool {
    may_open_period(viewer, &summary.period, summary.publication.is_some())
}

/// [`may_open`] for a period known to be `published` or not.
pub fn may_open_period(viewer: &Principal, period: &Period, published: bool) -> bool {
    published
        || may_read_unpublished(viewer, &period.code)
        || (period.computed_at.is_some() && !viewer.grants.is_empty())
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

/// A period's results, group by group.
#[derive(Debug, Clone)]
pub struct PeriodReport {
    /// The period (as published, when read from a publication).
    pub period: Period,
    /// True once results exist.
    pub computed: bool,
    /// Groups in the order the period's plan lists them.
    pub groups: Vec<GroupReport>,
    /// What is shown: a published version, or confidential results before publication.
    pub source: Source,
    /// How far the period's closed surveys settle the results shown, when they do.
    pub intervals: Option<ReportIntervals>,
}

/// The survey intervals of the results shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportIntervals {
    /// Each unit's intervals (those the reader may see) and the unsettled neighbours among
    /// them.
    pub intervals: ResultIntervals,
    /// The confidential results were computed again after the intervals (a score changed
    /// since the last survey closed): they may no longer match until a survey is closed
    /// again, or the period is published, which computes them again.
    pub stale: bool,
}

impl ReportIntervals {
    /// Only the units `keep` lets through, and the pairs of two of them.
    fn only(mut self, keep: impl Fn(&UnitCode) -> bool) -> Self {
        self.intervals.units.retain(|u| keep(&u.unit));
        self.intervals.unsettled.retain(|(a, b)| keep(a) && keep(b));
        self
    }
}

/// The intervals a published version carries.
async fn published_intervals(
    db: &Db,
    code: &PeriodCode,
    version: i64,
) -> ServiceResult<Option<ReportIntervals>> {
    Ok(publications::intervals(db, code, version)
        .await?
        .map(|intervals| ReportIntervals {
            intervals,
            stale: false,
        }))
}

/// The intervals kept for the period's confidential results.
async fn kept_intervals(db: &Db, period: &Period) -> ServiceResult<Option<ReportIntervals>> {
    Ok(chiso_store::intervals::load(db, &period.code)
        .await?
        .map(|k| ReportIntervals {
            stale: k.computed_at != period.computed_at,
            intervals: k.intervals,
        }))
}

/// Where a report's figures come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A published version (its snapshot), with every version of the period, oldest first.
    Published {
        shown: Box<Publication>,
        versions: Vec<Publication>,
    },
    /// The results as last computed, before publication: shown to the period's staff, or to
    /// a unit for its own result (`own_only`).
    Confidential { own_only: bool },
}

impl Source {
    /// The version shown, when published.
    pub fn publication(&self) -> Option<&Publication> {
        match self {
            Source::Published { shown, .. } => Some(shown),
            Source::Confidential { .. } => None,
        }
    }

    /// A later version exists than the one shown.
    pub fn superseded(&self) -> bool {
        match self {
            Source::Published { shown, versions } => {
                versions.last().is_some_and(|l| l.version > shown.version)
            }
            Source::Confidential { .. } => false,
        }
    }
}

/// The published version `version` (latest when `None`) of `code` with all its versions, or
/// `None` when the period was never published.
pub(crate) async fn publication_of(
    db: &Db,
    code: &PeriodCode,
    version: Option<i64>,
) -> ServiceResult<Option<(Publication, Vec<Publication>)>> {
    let versions = publications::versions(db, code).await?;
    let Some(latest) = versions.last() else {
        return match version {
            Some(v) => Err(version_not_found(code, v)),
            None => Ok(None),
        };
    };
    let shown = match version {
        None => latest.clone(),
        Some(v) => versions
            .iter()
            .find(|p| p.version == v)
            .cloned()
            .ok_or_else(|| version_not_found(code, v))?,
    };
    Ok(Some((shown, versions)))
}

fn version_not_found(code: &PeriodCode, version: i64) -> ServiceError {
    ServiceError::new(codes::PUBLICATION_VERSION_NOT_FOUND)
        .arg("period", code)
        .arg("version", version)
}

pub(crate) fn not_published(code: &PeriodCode) -> ServiceError {
    ServiceError::new(codes::RESULTS_NOT_PUBLISHED).arg("period", code)
}

/// The period as its publication showed it (name and year of that version).
pub(crate) fn as_published(mut period: Period, shown: &Publication) -> Period {
    period.name = shown.period_name.clone();
    period.year = shown.year;
    period
}

/// Whether `viewer` may read `unit`'s confidential result in `period`.
fn may_read_own(viewer: &Principal, period: &PeriodCode, unit: &UnitCode) -> bool {
    can(
        viewer,
        Action::ViewAssessment,
        &Resource::UnitAssessment {
            period: period.clone(),
            unit: unit.clone(),
        },
    )
}

/// The results of `code` as `viewer` may read them: the published version `version` (latest
/// when `None`); before publication, everything for the period's staff and only their own
/// units for unit people (no group statistics). `period_not_found`, `results_not_published`
/// (for anybody else, or a unit without a result), `publication_version_not_found`.
#[tracing::instrument(skip_all, fields(period = %code))]
pub async fn period_report(
    db: &Db,
    viewer: &Principal,
    code: &PeriodCode,
    version: Option<i64>,
) -> ServiceResult<PeriodReport> {
    read_period_report(db, viewer, code, version, false).await
}

/// [`period_report`] without the units' leaves (each result's `leaves` is empty): what a
/// ranking page shows (totals, areas, indexes, classes, ranks). A national period's leaves
/// are three quarters of its published snapshot; a page read by everybody on publication day
/// neither fetches nor decodes them.
#[tracing::instrument(skip_all, fields(period = %code))]
pub async fn period_summary(
    db: &Db,
    viewer: &Principal,
    code: &PeriodCode,
    version: Option<i64>,
) -> ServiceResult<PeriodReport> {
    read_period_report(db, viewer, code, version, true).await
}

async fn read_period_report(
    db: &Db,
    viewer: &Principal,
    code: &PeriodCode,
    version: Option<i64>,
    without_leaves: bool,
) -> ServiceResult<PeriodReport> {
    let period = get_period(db, code).await?;
    if let Some((shown, versions)) = publication_of(db, code, version).await? {
        let published = publications::groups(db, code, shown.version).await?;
        let mut groups: Vec<GroupReport> = Vec::with_capacity(published.len());
        for g in published {
            groups.push(GroupReport {
                group: g.group,
                set: g.set.map(Arc::new),
                stats: g.stats,
                units: Vec::new(),
            });
        }
        let scope = publications::ResultsScope {
            group: None,
            without_leaves,
        };
        for unit in publications::results_in(db, code, shown.version, scope).await? {
            let i = group_slot(&mut groups, &unit.group);
            groups[i].units.push(unit);
        }
        let intervals = published_intervals(db, code, shown.version).await?;
        return Ok(PeriodReport {
            period: as_published(period, &shown),
            computed: true,
            groups,
            intervals,
            source: Source::Published {
                shown: Box::new(shown),
                versions,
            },
        });
    }
    let own_only = !may_read_unpublished(viewer, code);
    let assignments = periods::groups(db, code).await?;
    let sets = load_sets(db, &assignments).await?;
    let stored = results::load(db, code).await?;
    let computed = stored.is_some();
    let mut stored = stored.unwrap_or_default();
    if own_only {
        stored.units.retain(|u| may_read_own(viewer, code, &u.unit));
        stored.groups.clear();
        if stored.units.is_empty() {
            return Err(not_published(code));
        }
    }

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
    if own_only {
        groups.retain(|g| !g.units.is_empty());
    }
    let shown = |u: &UnitCode| groups.iter().any(|g| g.units.iter().any(|r| &r.unit == u));
    let intervals = match computed {
        true => kept_intervals(db, &period).await?.map(|i| i.only(shown)),
        false => None,
    };
    Ok(PeriodReport {
        period,
        computed,
        groups,
        source: Source::Confidential { own_only },
        intervals,
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
    /// The period (as published, when read from a publication).
    pub period: Period,
    /// The unit's result.
    pub result: UnitResult,
    /// The index set of the unit's group.
    pub set: Option<Arc<IndexSet>>,
    /// Every published period the unit has results for, oldest first (with this one even
    /// before its publication).
    pub history: Vec<HistoryEntry>,
    /// What is shown: a published version, or the confidential result before publication.
    pub source: Source,
    /// The units the deltas compare with when the unit has no previous result of its own
    /// (a merger, a rename, a split), as the previous period published them.
    pub compared_with: Vec<Predecessor>,
    /// The unit's survey intervals and the unsettled pairs it is in, when there are some.
    pub intervals: Option<ReportIntervals>,
}

/// A unit whose previous result a successor's deltas are computed against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predecessor {
    /// Its code.
    pub unit: UnitCode,
    /// Its name in the previous period's published results (its code when it has none there).
    pub name: String,
    /// The previous period, where its result can be read; `None` when it has no published
    /// result there.
    pub period: Option<PeriodCode>,
}

/// The predecessors of `result`, named as the previous period of `period` published them.
async fn predecessors(
    db: &Db,
    period: &Period,
    result: &UnitResult,
) -> ServiceResult<Vec<Predecessor>> {
    let mut out = Vec::with_capacity(result.compared_with.len());
    for code in &result.compared_with {
        let there = match &period.previous {
            Some(previous) => publications::latest_unit_result(db, previous, code)
                .await?
                .map(|r| (previous.clone(), r)),
            None => None,
        };
        out.push(match there {
            Some((p, r)) => Predecessor {
                unit: code.clone(),
                name: r.name,
                period: Some(p),
            },
            None => Predecessor {
                unit: code.clone(),
                name: code.to_string(),
                period: None,
            },
        });
    }
    Ok(out)
}

/// The result of `unit` in `period` as `viewer` may read it (see [`period_report`]), or
/// `unit_not_in_period`, `results_not_published`, `publication_version_not_found`.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub async fn unit_report(
    db: &Db,
    viewer: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    version: Option<i64>,
) -> ServiceResult<UnitReport> {
    let p = get_period(db, period).await?;
    let not_in_period = || {
        ServiceError::new(codes::UNIT_NOT_IN_PERIOD)
            .arg("period", period)
            .arg("unit", unit)
    };
    let history = history_of(db, unit).await?;
    if let Some((shown, versions)) = publication_of(db, period, version).await? {
        let result = publications::unit_result(db, period, shown.version, unit)
            .await?
            .ok_or_else(not_in_period)?;
        let set = publications::groups(db, period, shown.version)
            .await?
            .into_iter()
            .find(|g| g.group == result.group)
            .and_then(|g| g.set)
            .map(Arc::new);
        let compared_with = predecessors(db, &p, &result).await?;
        let intervals = published_intervals(db, period, shown.version)
            .await?
            .map(|i| i.only(|u| u == unit))
            .filter(|i| !i.intervals.units.is_empty());
        return Ok(UnitReport {
            intervals,
            period: as_published(p, &shown),
            result,
            set,
            history,
            compared_with,
            source: Source::Published {
                shown: Box::new(shown),
                versions,
            },
        });
    }
    let staff = may_read_unpublished(viewer, period);
    if !staff && !may_read_own(viewer, period, unit) {
        return Err(not_published(period));
    }
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
    let mut history = history;
    history.push(HistoryEntry {
        period: period.clone(),
        year: Some(p.year),
        result: result.clone(),
    });
    let compared_with = predecessors(db, &p, &result).await?;
    let intervals = kept_intervals(db, &p)
        .await?
        .map(|i| i.only(|u| u == unit))
        .filter(|i| !i.intervals.units.is_empty());
    Ok(UnitReport {
        intervals,
        period: p,
        result,
        set,
        history,
        compared_with,
        source: Source::Confidential { own_only: !staff },
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

/// The published history of `unit`, or `unit_not_found`.
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

/// The unit's published results (the latest version of each period), oldest first.
async fn history_of(db: &Db, unit: &UnitCode) -> ServiceResult<Vec<HistoryEntry>> {
    Ok(publications::unit_history(db, unit)
        .await?
        .into_iter()
        .map(|(period, year, result)| HistoryEntry {
            period,
            year: Some(year),
            result,
        })
        .collect())
}

pub(crate) async fn get_period(db: &Db, code: &PeriodCode) -> ServiceResult<Period> {
    periods::get(db, code)
        .await?
        .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", code))
}

pub(crate) async fn load_sets(
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
