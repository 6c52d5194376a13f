//! Reading results further than the ranking (domain.md §2 step 9): a unit's profile (every node
//! of its tree next to its group's mean and best, its history through reorganisations, its
//! streaks) and a group's criteria analysis (points lost per criterion, shares per area, the
//! distribution of indexes, the units that rose or fell).
//!
//! Figures come from the same snapshot as the page they sit on: a published version, read by
//! anybody; before publication, the confidential results, which only the period's staff may
//! compare across units (a unit's people see their own unit without the group's figures).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use chiso_domain::analysis::{
    self, Bin, Movers, NodeBenchmark, NodeFigure, NodeLoss, Streaks, YearPoint,
};
use chiso_domain::authz::{Principal, may_read_unpublished};
use chiso_domain::{GroupName, IndexSet, NodeCode, PeriodCode, UnitCode, UnitResult};
use chiso_store::{Db, publications, results as stored_results, units};

use crate::codes;
use crate::error::{ServiceError, ServiceResult};
use crate::records::Period;
use crate::results::{Source, UnitReport, period_report, unit_report};

/// Most predecessors followed back through a unit's lineage: far more than any real chain of
/// mergers, and a bound on the reads should the stored lineage loop.
const MAX_ANCESTORS: usize = 64;

/// One year of a unit's history on its profile.
#[derive(Debug, Clone)]
pub struct ProfileYear {
    /// The period the year's result was published in.
    pub period: PeriodCode,
    /// Index, rank and class of the year, and the predecessors it is read from.
    pub point: YearPoint,
    /// Ranked units of the group that year (the "9" of "5/9"), when the year has a rank.
    pub group_size: Option<u32>,
    /// Names of the predecessors of `point.via`, as that year published them.
    pub via_names: Vec<String>,
}

/// A unit's profile: its report, every node with the group's figures, its history and streaks.
#[derive(Debug, Clone)]
pub struct UnitProfile {
    /// The unit's result as [`unit_report`] reads it.
    pub report: UnitReport,
    /// Every node of the unit's tree, areas to leaves, in tree order.
    pub figures: Vec<NodeFigure>,
    /// Mean and best of each node in the unit's group, from the same snapshot; `None` when the
    /// viewer may not compare (a unit before publication).
    pub benchmarks: Option<HashMap<NodeCode, NodeBenchmark>>,
    /// Every year, oldest first, completed through the unit's predecessors.
    pub history: Vec<ProfileYear>,
    /// Streaks ending with the period shown.
    pub streaks: Streaks,
    /// Where the unit's story goes on once it ceased (merged into, renamed or split into
    /// other units): each direct successor's first published year after the unit's last one.
    pub successors: Vec<SuccessorYear>,
}

/// The first published year of a unit that took over from the unit shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuccessorYear {
    /// The period of that year.
    pub period: PeriodCode,
    /// The year.
    pub year: i32,
    /// The successor's code.
    pub unit: UnitCode,
    /// The successor's name as that year published it.
    pub name: String,
}

impl UnitProfile {
    /// The strongest and weakest criteria of the unit.
    pub fn strongest_weakest(&self) -> Option<(&NodeFigure, &NodeFigure)> {
        analysis::strongest_weakest(&self.figures)
    }

    /// A node of the unit's set as a reader names it: `3.2 Cải cách tổ chức bộ máy` (its code
    /// alone when the set does not have it).
    pub fn named(&self, f: &NodeFigure) -> String {
        let title = self
            .report
            .set
            .as_deref()
            .and_then(|s| s.find(&f.code))
            .map(|n| n.title.as_str())
            .unwrap_or_default();
        format!("{} {title}", f.code).trim_end().to_owned()
    }

    /// The rank the unit holds and for how many consecutive years. The engine counts years at
    /// rank 1 through every computed year, the history only the published ones: the longer
    /// run is the true one.
    pub fn rank_streak(&self) -> Option<(u32, u32)> {
        let u = &self.report.result;
        let engine_rank1 = (u.rank == Some(1)).then_some(u.streak);
        match (self.streaks.rank, engine_rank1) {
            (Some((1, n)), Some(e)) => Some((1, n.max(e))),
            (None, Some(e)) => Some((1, e)),
            (s, _) => s,
        }
    }
}

/// The profile of `unit` in `period` (version `version`, latest when `None`), readable by
/// whoever may read its [`unit_report`].
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub async fn unit_profile(
    db: &Db,
    viewer: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    version: Option<i64>,
) -> ServiceResult<UnitProfile> {
    let report = unit_report(db, viewer, period, unit, version).await?;
    let figures = report
        .set
        .as_deref()
        .map(|set| analysis::node_figures(set, &report.result))
        .unwrap_or_default();
    let group = group_results(db, viewer, &report).await?;
    let benchmarks = match (report.set.as_deref(), group) {
        (Some(set), Some(group)) => {
            let refs: Vec<&UnitResult> = group.iter().collect();
            Some(analysis::node_benchmarks(set, &refs))
        }
        _ => None,
    };
    let history = history_through_lineage(db, &report).await?;
    let shown_year = report.period.year;
    let upto: Vec<YearPoint> = history
        .iter()
        .filter(|y| y.point.year <= shown_year)
        .map(|y| y.point.clone())
        .collect();
    let streaks = analysis::streaks(&upto);
    let successors = successor_years(db, &report, &history).await?;
    Ok(UnitProfile {
        report,
        figures,
        benchmarks,
        history,
        streaks,
        successors,
    })
}

/// The first published year of each direct successor of the unit after the last year of its
/// own history, so that a reader of a unit that ceased can follow it into the next years.
async fn successor_years(
    db: &Db,
    report: &UnitReport,
    history: &[ProfileYear],
) -> ServiceResult<Vec<SuccessorYear>> {
    let unit = &report.result.unit;
    let last = history
        .iter()
        .map(|y| y.point.year)
        .chain([report.period.year])
        .max()
        .unwrap_or(report.period.year);
    let mut out = Vec::new();
    for l in units::lineage(db)
        .await?
        .iter()
        .filter(|l| &l.predecessor == unit && &l.successor != unit)
    {
        let later = publications::unit_history(db, &l.successor)
            .await?
            .into_iter()
            .filter(|(_, year, _)| *year > last)
            .min_by_key(|(_, year, _)| *year);
        if let Some((period, year, r)) = later {
            out.push(SuccessorYear {
                period,
                year,
                unit: l.successor.clone(),
                name: r.name,
            });
        }
    }
    out.sort_by(|a, b| (a.year, &a.unit).cmp(&(b.year, &b.unit)));
    Ok(out)
}

/// The results of the unit's group in the snapshot `report` was read from, when the viewer
/// may compare them: always once published, only for the period's staff before.
async fn group_results(
    db: &Db,
    viewer: &Principal,
    report: &UnitReport,
) -> ServiceResult<Option<Vec<UnitResult>>> {
    let group = &report.result.group;
    let code = &report.period.code;
    let all = match &report.source {
        Source::Published { shown, .. } => {
            let scope = publications::ResultsScope {
                group: Some(group),
                without_leaves: false,
            };
            publications::results_in(db, code, shown.version, scope).await?
        }
        Source::Confidential { .. } if may_read_unpublished(viewer, code) => {
            stored_results::load(db, code)
                .await?
                .map(|r| r.units)
                .unwrap_or_default()
        }
        Source::Confidential { .. } => return Ok(None),
    };
    Ok(Some(
        all.into_iter().filter(|u| &u.group == group).collect(),
    ))
}

fn point_of(r: &UnitResult, year: i32) -> YearPoint {
    YearPoint {
        year,
        index: r.index,
        rank: r.rank,
        class: r.class.clone(),
        via: Vec::new(),
    }
}

/// The unit's years (its published ones, the shown snapshot for its own period) and, before
/// its first, its predecessors' published years, followed back through every reorganisation.
async fn history_through_lineage(db: &Db, report: &UnitReport) -> ServiceResult<Vec<ProfileYear>> {
    let unit = &report.result.unit;
    let mut own_at: HashMap<i32, (PeriodCode, UnitResult)> = HashMap::new();
    for h in &report.history {
        let Some(year) = h.year else { continue };
        own_at.insert(year, (h.period.clone(), h.result.clone()));
    }
    // The year shown reads as the snapshot shown, whichever version it is.
    own_at.insert(
        report.period.year,
        (report.period.code.clone(), report.result.clone()),
    );
    let own: Vec<YearPoint> = own_at.iter().map(|(y, (_, r))| point_of(r, *y)).collect();

    let lineage = units::lineage(db).await?;
    let mut seen: HashSet<UnitCode> = HashSet::from([unit.clone()]);
    let mut queue: VecDeque<UnitCode> = VecDeque::from([unit.clone()]);
    let mut ancestors: Vec<(UnitCode, YearPoint)> = Vec::new();
    let mut ancestor_at: HashMap<(UnitCode, i32), (PeriodCode, UnitResult)> = HashMap::new();
    while let Some(next) = queue.pop_front() {
        for l in lineage.iter().filter(|l| l.successor == next) {
            if seen.len() > MAX_ANCESTORS || !seen.insert(l.predecessor.clone()) {
                continue;
            }
            for (period, year, r) in publications::unit_history(db, &l.predecessor).await? {
                ancestors.push((l.predecessor.clone(), point_of(&r, year)));
                ancestor_at.insert((l.predecessor.clone(), year), (period, r));
            }
            queue.push_back(l.predecessor.clone());
        }
    }
    let merged = analysis::lineage_history(&own, &ancestors);
    Ok(merged
        .into_iter()
        .filter_map(|point| {
            if point.via.is_empty() {
                let (period, r) = own_at.get(&point.year)?;
                return Some(ProfileYear {
                    period: period.clone(),
                    group_size: r.rank.map(|_| r.group_size),
                    point,
                    via_names: Vec::new(),
                });
            }
            let found: Vec<&(PeriodCode, UnitResult)> = point
                .via
                .iter()
                .filter_map(|c| ancestor_at.get(&(c.clone(), point.year)))
                .collect();
            let (period, first) = found.first()?;
            Some(ProfileYear {
                period: period.clone(),
                group_size: point.rank.map(|_| first.group_size),
                via_names: found.iter().map(|(_, r)| r.name.clone()).collect(),
                point,
            })
        })
        .collect())
}

/// A group's criteria analysis in one period.
#[derive(Debug, Clone)]
pub struct CriteriaAnalysis {
    /// The period (as published, when read from a publication).
    pub period: Period,
    /// What is shown: a published version, or confidential results for the staff.
    pub source: Source,
    /// Every group of the period with results, in the plan's order.
    pub groups: Vec<GroupName>,
    /// The group analysed.
    pub group: GroupName,
    /// Its index set (titles, areas).
    pub set: Option<Arc<IndexSet>>,
    /// Its units in rank order.
    pub units: Vec<UnitResult>,
    /// Points lost per criterion, the largest loss first.
    pub losses: Vec<NodeLoss>,
    /// Published indexes in bins of 10 points.
    pub histogram: Vec<Bin>,
    /// Units that rose, fell or stayed level against the previous year.
    pub movers: Movers,
}

impl CriteriaAnalysis {
    /// Every unit's figure for every area (depth 1), in the set's order.
    pub fn area_figures(&self) -> Vec<(&UnitResult, Vec<NodeFigure>)> {
        let Some(set) = self.set.as_deref() else {
            return Vec::new();
        };
        self.units
            .iter()
            .map(|u| {
                let areas = analysis::node_figures(set, u)
                    .into_iter()
                    .filter(|f| f.depth == 1)
                    .collect();
                (u, areas)
            })
            .collect()
    }
}

/// Width of a histogram bin, in index points.
pub const HISTOGRAM_BIN: u32 = 10;

/// The criteria analysis of `group` (the period's first group with results when `None`) in
/// `period` (version `version`, latest when `None`): public once published, for the period's
/// staff before. `analysis_group_not_found`, and the refusals of [`period_report`].
#[tracing::instrument(skip_all, fields(period = %code))]
pub async fn criteria_analysis(
    db: &Db,
    viewer: &Principal,
    code: &PeriodCode,
    group: Option<&GroupName>,
    version: Option<i64>,
) -> ServiceResult<CriteriaAnalysis> {
    let report = period_report(db, viewer, code, version).await?;
    if matches!(report.source, Source::Confidential { own_only: true }) {
        // A unit's people read their own result before publication, never a comparison.
        return Err(ServiceError::new(codes::RESULTS_NOT_PUBLISHED).arg("period", code));
    }
    let groups: Vec<GroupName> = report
        .groups
        .iter()
        .filter(|g| !g.units.is_empty())
        .map(|g| g.group.clone())
        .collect();
    let chosen = match group {
        Some(name) => report
            .groups
            .iter()
            .find(|g| &g.group == name && !g.units.is_empty()),
        None => report.groups.iter().find(|g| !g.units.is_empty()),
    }
    .ok_or_else(|| {
        ServiceError::new(codes::ANALYSIS_GROUP_NOT_FOUND)
            .arg("period", code)
            .arg("group", group.map_or("", GroupName::as_str))
    })?;
    let refs: Vec<&UnitResult> = chosen.units.iter().collect();
    let losses = chosen
        .set
        .as_deref()
        .map(|set| analysis::losses(set, &refs, 2))
        .unwrap_or_default();
    let indexes: Vec<_> = chosen.units.iter().map(|u| u.index).collect();
    Ok(CriteriaAnalysis {
        histogram: analysis::histogram(&indexes, HISTOGRAM_BIN),
        movers: analysis::movers(&refs),
        losses,
        group: chosen.group.clone(),
        set: chosen.set.clone(),
        units: chosen.units.clone(),
        groups,
        period: report.period,
        source: report.source,
    })
}
