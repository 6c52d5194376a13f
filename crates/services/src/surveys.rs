//! Surveys (domain.md §6): defining a period's survey, following the sample, reading the
//! points every unit's answers give each survey leaf with what they rest on, deciding on units
//! with too few answers, and closing the survey into the period's survey leaves.
//!
//! Managing a survey is the administrator's ([`Action::ManagePeriods`] on the period).
//! Closing writes through the scores path ([`crate::import`]): one audit entry per changed
//! value and the recomputed results in one transaction, refused when a unit is approved, so
//! it can be run again until the council approves.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chiso_domain::authz::{Action, Principal, Resource};
use chiso_domain::number::{NumberKind, parse_number, vi_input};
use chiso_domain::questionnaire::{
    self, Counted, LeafSurvey, QuestionnaireKind, RespondentGroup, SurveyDefinition,
};
use chiso_domain::survey::{Answer, AnswerScale, Factor, SurveyPoints, satisfaction_level};
use chiso_domain::uncertainty::{self, Interval, ResultInterval, ResultIntervals, UnitUncertainty};
use chiso_domain::{GroupName, IndexSet, NodeCode, PeriodCode, Points, RawValue, UnitCode};
use chiso_formats::survey::{
    AnswerContext, AnswerFileError, AnswerRecord, AnswerStats, Progress, read_answers,
};
use chiso_store::periods::{self, Period};
use chiso_store::scores::ScoreChange;
use chiso_store::surveys::{self, NewAnswer, NewDecision, NewLink};
use chiso_store::{Actor, Db, StoreError, index_sets, units};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

pub use chiso_store::surveys::{
    Decision, ImportCounts, Link, STATUS_CLOSED, STATUS_OPEN, Survey, WebResponse,
};
use time::OffsetDateTime;

use crate::authz::authorize;
use crate::codes;
use crate::error::{Problem, ServiceError, ServiceResult};
use crate::import::{self, ScoresImported};

/// Refuses anyone who may not run the surveys of `period`.
pub fn require_manage(p: &Principal, period: &PeriodCode) -> ServiceResult<()> {
    authorize(p, Action::ManagePeriods, &Resource::Period(period.clone()))
}

fn actor(p: &Principal) -> Actor {
    Actor(p.login.clone())
}

fn not_found(code: &str) -> ServiceError {
    ServiceError::new(codes::SURVEY_NOT_FOUND).arg("survey", code)
}

/// What a period holds that a survey is checked and scored against.
pub(crate) struct Basis {
    pub period: Period,
    /// The set of each group of units of the period.
    pub sets: BTreeMap<GroupName, IndexSet>,
    /// Units taking part, with their group.
    pub units: BTreeMap<UnitCode, GroupName>,
    /// Units in the period's order.
    pub order: Vec<UnitCode>,
    pub names: BTreeMap<UnitCode, String>,
}

impl Basis {
    pub(crate) async fn load(db: &Db, code: &PeriodCode) -> ServiceResult<Self> {
        let period = periods::get(db, code)
            .await?
            .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", code))?;
        let mut sets = BTreeMap::new();
        for (group, set) in periods::groups(db, code).await? {
            let s = index_sets::get(db, &set)
                .await?
                .ok_or_else(|| ServiceError::new(codes::SET_NOT_FOUND).arg("set", &set))?;
            sets.insert(group, s);
        }
        let members = periods::members(db, code).await?;
        let order = members.iter().map(|m| m.unit.clone()).collect();
        let units = members.into_iter().map(|m| (m.unit, m.group)).collect();
        let names = units::list(db)
            .await?
            .into_iter()
            .map(|u| (u.code, u.name))
            .collect();
        Ok(Basis {
            period,
            sets,
            units,
            order,
            names,
        })
    }

    /// Every mistake of a definition against this period, as problems naming it.
    fn check(&self, definition: &SurveyDefinition) -> Vec<Problem> {
        let sets = self.sets.iter().map(|(g, s)| (g.clone(), s)).collect();
        definition
            .check(&sets)
            .into_iter()
            .map(|e| Problem::new(codes::SURVEY_DEFINITION_INVALID).arg("problem", e))
            .collect()
    }

    fn max(&self, group: &GroupName, leaf: &NodeCode) -> Option<Points> {
        self.sets.get(group)?.find(leaf).map(|n| n.max)
    }

    fn name(&self, unit: &UnitCode) -> String {
        self.names
            .get(unit)
            .cloned()
            .unwrap_or_else(|| unit.to_string())
    }
}

fn refuse_published(period: &Period) -> ServiceResult<()> {
    if period.status == periods::STATUS_PUBLISHED {
        return Err(ServiceError::new(codes::PERIOD_PUBLISHED).arg("period", &period.code));
    }
    Ok(())
}

/// Defines a new survey of `period`, checked against the period's groups and sets; every
/// mistake is reported at once.
pub async fn create(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    definition: &SurveyDefinition,
    at: OffsetDateTime,
) -> ServiceResult<Survey> {
    require_manage(p, period)?;
    let basis = Basis::load(db, period).await?;
    refuse_published(&basis.period)?;
    let problems = basis.check(definition);
    if !problems.is_empty() {
        return Err(ServiceError::from_problems(problems));
    }
    surveys::create(db, period, definition, &actor(p), at)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ServiceError::new(codes::SURVEY_EXISTS).arg("survey", &definition.code)
            }
            e => e.into(),
        })
}

/// Replaces the definition of an open survey; its code cannot change.
pub async fn redefine(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    code: &str,
    definition: &SurveyDefinition,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    require_manage(p, period)?;
    let survey = get(db, p, period, code).await?;
    if survey.status != surveys::STATUS_OPEN {
        return Err(ServiceError::new(codes::SURVEY_CLOSED).arg("survey", code));
    }
    if !definition.code.eq_ignore_ascii_case(&survey.code) {
        return Err(ServiceError::new(codes::SURVEY_CODE_FIXED)
            .arg("survey", code)
            .arg("field", "code"));
    }
    let basis = Basis::load(db, period).await?;
    refuse_published(&basis.period)?;
    let problems = basis.check(definition);
    if !problems.is_empty() {
        return Err(ServiceError::from_problems(problems));
    }
    let mut definition = definition.clone();
    definition.code.clone_from(&survey.code);
    Ok(surveys::redefine(db, &survey, &definition, &actor(p), at).await?)
}

/// The surveys of a period.
pub async fn list(db: &Db, p: &Principal, period: &PeriodCode) -> ServiceResult<Vec<Survey>> {
    require_manage(p, period)?;
    Ok(surveys::list(db, period).await?)
}

/// One survey of a period.
pub async fn get(db: &Db, p: &Principal, period: &PeriodCode, code: &str) -> ServiceResult<Survey> {
    require_manage(p, period)?;
    surveys::get(db, period, code)
        .await?
        .ok_or_else(|| not_found(code))
}

/// Responses of one respondent group against its target, and per evaluated unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupProgress {
    pub code: String,
    pub name: String,
    pub evaluates: GroupName,
    pub target: Option<u32>,
    pub respondents: u64,
    /// Each unit the group evaluates with the respondents who answered about it.
    pub units: Vec<(UnitCode, String, u64)>,
}

/// A leaf the survey feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafColumn {
    pub leaf: NodeCode,
    pub title: String,
}

/// One unit's points on one leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub max: Points,
    pub result: SurveyPoints,
    /// What the administrator decided when the answers are below the minimum.
    pub decision: Option<Decision>,
}

impl Cell {
    /// The points closing the survey writes: the decision's when points were set by hand.
    pub fn points(&self) -> Option<Points> {
        match &self.decision {
            Some(Decision {
                points: Some(p), ..
            }) => Some(Points::new(*p)),
            _ => self.result.points,
        }
    }

    /// Below the minimum with no decision yet: closing is refused until one is made.
    pub fn undecided(&self) -> bool {
        self.result.below_minimum && self.decision.is_none()
    }
}

/// One unit's row of the points table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    pub unit: UnitCode,
    pub name: String,
    pub group: GroupName,
    /// One per [`Overview::leaves`]; `None` where the unit's set has no such leaf or nobody
    /// answered about it.
    pub cells: Vec<Option<Cell>>,
}

/// Everything the survey's page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    pub survey: Survey,
    pub published: bool,
    pub groups: Vec<GroupProgress>,
    pub leaves: Vec<LeafColumn>,
    pub rows: Vec<UnitRow>,
    /// Stored answers the definition no longer covers (changed after they were stored).
    pub left_out: u64,
}

impl Overview {
    /// Cells below the minimum without a decision, as `(unit, leaf)`.
    pub fn undecided(&self) -> Vec<(&UnitCode, &NodeCode)> {
        self.rows
            .iter()
            .flat_map(|r| {
                r.cells.iter().zip(&self.leaves).filter_map(move |(c, l)| {
                    c.as_ref()
                        .filter(|c| c.undecided())
                        .map(|_| (&r.unit, &l.leaf))
                })
            })
            .collect()
    }
}

/// The points of every unit and leaf from the survey's stored answers.
async fn compute(db: &Db, basis: &Basis, survey: &Survey) -> ServiceResult<(Computed, u64)> {
    let counts = surveys::tallies(db, survey.id)
        .await?
        .into_iter()
        .filter_map(|t| {
            Some(Counted {
                group: t.grp,
                unit: UnitCode::parse(&t.unit).ok()?,
                question: t.question,
                answer: t.answer,
                count: u64::try_from(t.count).unwrap_or(0),
            })
        });
    Ok(questionnaire::aggregate(
        &survey.definition,
        &basis.units,
        |g, l| basis.max(g, l),
        counts,
    ))
}

/// The leaves a definition feeds, in the order of the first questionnaire naming each.
fn leaves_of(definition: &SurveyDefinition, basis: &Basis) -> Vec<LeafColumn> {
    let mut out: Vec<LeafColumn> = Vec::new();
    for g in &definition.groups {
        let mut leaves: Vec<&NodeCode> = g.questions.iter().filter_map(|q| g.leaf_of(q)).collect();
        if let QuestionnaireKind::Sipas { leaf } = &g.kind {
            leaves.push(leaf);
        }
        for leaf in leaves {
            if out.iter().any(|c| &c.leaf == leaf) {
                continue;
            }
            let title = basis
                .sets
                .get(&g.evaluates)
                .and_then(|s| s.find(leaf))
                .map(|n| n.title.clone())
                .unwrap_or_default();
            out.push(LeafColumn {
                leaf: leaf.clone(),
                title,
            });
        }
    }
    out
}

/// The survey's page: the sample against its targets and every unit's points per leaf.
pub async fn overview(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    code: &str,
) -> ServiceResult<Overview> {
    Ok(overview_with_points(db, p, period, code).await?.0)
}

/// Every unit's points and what they rest on, keyed by unit and leaf.
type Computed = BTreeMap<(UnitCode, NodeCode), LeafSurvey>;

/// The survey's page, with the computed points it was made from (for the breakdown of one
/// number, which needs the answers by option the page does not keep).
async fn overview_with_points(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    code: &str,
) -> ServiceResult<(Overview, Computed)> {
    let survey = get(db, p, period, code).await?;
    let basis = Basis::load(db, period).await?;
    let (points, left_out) = compute(db, &basis, &survey).await?;
    let decisions: BTreeMap<(String, String), Decision> = surveys::decisions(db, survey.id)
        .await?
        .into_iter()
        .map(|d| ((d.unit.clone(), d.leaf.clone()), d))
        .collect();
    let coverage: HashMap<(String, String), i64> = surveys::coverage(db, survey.id)
        .await?
        .into_iter()
        .map(|c| ((c.grp, c.unit), c.respondents))
        .collect();
    let count = |grp: &str, unit: &str| -> u64 {
        coverage
            .get(&(grp.to_owned(), unit.to_owned()))
            .map_or(0, |n| u64::try_from(*n).unwrap_or(0))
    };
    let groups = survey
        .definition
        .groups
        .iter()
        .map(|g| GroupProgress {
            code: g.code.clone(),
            name: g.name.clone(),
            evaluates: g.evaluates.clone(),
            target: g.target,
            respondents: count(&g.code, ""),
            units: basis
                .order
                .iter()
                .filter(|u| basis.units.get(*u) == Some(&g.evaluates))
                .map(|u| (u.clone(), basis.name(u), count(&g.code, u.as_str())))
                .collect(),
        })
        .collect();
    let leaves = leaves_of(&survey.definition, &basis);
    let evaluated: Vec<&GroupName> = survey
        .definition
        .groups
        .iter()
        .map(|g| &g.evaluates)
        .collect();
    let rows = basis
        .order
        .iter()
        .filter_map(|u| {
            let group = basis.units.get(u)?;
            if !evaluated.contains(&group) {
                return None;
            }
            let cells = leaves
                .iter()
                .map(|l| {
                    let max = basis.max(group, &l.leaf)?;
                    let result = points
                        .get(&(u.clone(), l.leaf.clone()))
                        .map(|s| s.result.clone())?;
                    Some(Cell {
                        max,
                        result,
                        decision: decisions.get(&(u.to_string(), l.leaf.to_string())).cloned(),
                    })
                })
                .collect();
            Some(UnitRow {
                unit: u.clone(),
                name: basis.name(u),
                group: group.clone(),
                cells,
            })
        })
        .collect();
    let ov = Overview {
        published: basis.period.status == periods::STATUS_PUBLISHED,
        survey,
        groups,
        leaves,
        rows,
        left_out,
    };
    Ok((ov, points))
}

/// The answers behind one unit's points on one leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakdown {
    pub survey: Survey,
    pub unit: UnitCode,
    pub unit_name: String,
    pub leaf: NodeCode,
    pub title: String,
    pub cell: Option<Cell>,
    /// Per respondent group: its name, then each option (code, label, weight, count) in the
    /// questionnaire's order, options nobody chose included.
    pub groups: Vec<GroupBreakdown>,
    /// SIPAS shares per factor (label, percent), when the leaf is fed by SIPAS.
    pub sipas: Vec<(String, Option<Decimal>)>,
}

/// One respondent group's answers about the unit on the leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupBreakdown {
    pub code: String,
    pub name: String,
    pub options: Vec<(String, String, Option<Decimal>, u64)>,
    pub valid: u64,
    /// Mean weight of the group's valid answers (0 to 1).
    pub mean: Option<Decimal>,
    /// The group's weight in the leaf, when groups are weighted.
    pub weight: Option<Decimal>,
}

/// What one unit's points on one leaf rest on.
pub async fn breakdown(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    code: &str,
    unit: &UnitCode,
    leaf: &NodeCode,
) -> ServiceResult<Breakdown> {
    let (ov, points) = overview_with_points(db, p, period, code).await?;
    let row = ov
        .rows
        .iter()
        .find(|r| &r.unit == unit)
        .ok_or_else(|| ServiceError::new(codes::UNIT_NOT_IN_PERIOD).arg("unit", unit))?;
    let column = ov
        .leaves
        .iter()
        .position(|l| &l.leaf == leaf)
        .ok_or_else(|| ServiceError::new(codes::SURVEY_LEAF_UNKNOWN).arg("leaf", leaf))?;
    let found = points.get(&(unit.clone(), leaf.clone()));
    let rule = ov.survey.definition.rule(leaf);
    let groups = ov
        .survey
        .definition
        .groups
        .iter()
        .filter(|g| {
            g.evaluates == row.group && (g.questions.iter().any(|q| g.leaf_of(q) == Some(leaf)))
        })
        .map(|g| {
            let chosen = |code: &str| -> u64 {
                found
                    .and_then(|f| f.options.get(&(g.code.clone(), code.to_owned())))
                    .copied()
                    .unwrap_or(0)
            };
            let options = match &g.kind {
                QuestionnaireKind::Sipas { .. } => (1..=5)
                    .map(|l| (l.to_string(), String::new(), None, chosen(&l.to_string())))
                    .collect(),
                QuestionnaireKind::Sociological => g
                    .scale()
                    .map(|s| {
                        s.options()
                            .iter()
                            .map(|o| {
                                let label = g
                                    .options
                                    .iter()
                                    .find(|d| d.code.trim().eq_ignore_ascii_case(&o.code))
                                    .map(|d| d.label.clone())
                                    .unwrap_or_default();
                                (
                                    o.code.clone(),
                                    label,
                                    o.weight,
                                    chosen(&o.code.to_ascii_uppercase()),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            let tally = found.and_then(|f| f.tally.groups().get(&g.code)).copied();
            GroupBreakdown {
                code: g.code.clone(),
                name: g.name.clone(),
                options,
                valid: tally.map_or(0, |t| t.valid),
                mean: tally
                    .filter(|t| t.valid > 0)
                    .map(|t| t.weight_sum / Decimal::from(t.valid)),
                weight: rule.and_then(|r| r.group_weights.get(&g.code).copied()),
            }
        })
        .collect();
    let sipas = found
        .and_then(|f| f.sipas.as_ref())
        .map(|s| {
            chiso_domain::survey::Factor::ALL
                .iter()
                .map(|f| (f.label_vi().to_owned(), s.share(*f)))
                .collect()
        })
        .unwrap_or_default();
    Ok(Breakdown {
        unit: unit.clone(),
        unit_name: row.name.clone(),
        leaf: leaf.clone(),
        title: ov.leaves[column].title.clone(),
        cell: row.cells[column].clone(),
        groups,
        sipas,
        survey: ov.survey,
    })
}

/// A decision on a unit and leaf below the minimum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decide {
    pub unit: UnitCode,
    pub leaf: NodeCode,
    /// `None`: keep the computed points; `Some`: points typed by the administrator.
    pub points: Option<String>,
    pub reason: String,
}

/// Records the administrator's decision on a unit and leaf, audited with its reason. Points
/// typed by hand are read in Vietnamese or plain notation and must lie within the leaf's
/// maximum.
pub async fn decide(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    code: &str,
    d: &Decide,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    let survey = get(db, p, period, code).await?;
    let basis = Basis::load(db, period).await?;
    refuse_published(&basis.period)?;
    let mut problems = Vec::new();
    let reason = d.reason.trim();
    if reason.is_empty() {
        problems.push(Problem::new(codes::SURVEY_REASON_REQUIRED).arg("field", "reason"));
    }
    let group = basis
        .units
        .get(&d.unit)
        .ok_or_else(|| ServiceError::new(codes::UNIT_NOT_IN_PERIOD).arg("unit", &d.unit))?;
    let max = basis
        .max(group, &d.leaf)
        .ok_or_else(|| ServiceError::new(codes::SURVEY_LEAF_UNKNOWN).arg("leaf", &d.leaf))?;
    let points = match d.points.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => match parse_number(raw, NumberKind::Decimal) {
            Ok(v) if v >= Decimal::ZERO && v <= max.value() => Some(v),
            _ => {
                problems.push(
                    Problem::new(codes::SURVEY_POINTS_INVALID)
                        .arg("field", "points")
                        .arg("value", raw)
                        .arg("max", vi_input(max.value())),
                );
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(ServiceError::from_problems(problems));
    }
    let new = NewDecision {
        unit: d.unit.as_str(),
        leaf: d.leaf.as_str(),
        points,
        reason,
    };
    Ok(surveys::decide(db, &survey, &new, &actor(p), at).await?)
}

/// What closing a survey wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// Values written (changed or not).
    pub values: usize,
    /// Values that changed.
    pub changed: usize,
    /// Units of the recomputed results.
    pub units: usize,
}

/// Closes the survey: writes every unit's points into the period's survey leaves (the
/// decision's points where the administrator set them by hand), audited per change with the
/// recomputed results, marks the survey closed and keeps the intervals the period's closed
/// surveys give its results ([`period_intervals`]). Refused, naming them, while units below
/// the minimum await a decision; refused as a whole when a unit is approved. Can be run again
/// until approval (after more answers, a decision, or a changed definition).
pub async fn close(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    code: &str,
    at: OffsetDateTime,
) -> ServiceResult<Closed> {
    let ov = overview(db, p, period, code).await?;
    if ov.published {
        return Err(ServiceError::new(codes::PERIOD_PUBLISHED).arg("period", period));
    }
    let undecided = ov.undecided();
    if !undecided.is_empty() {
        return Err(ServiceError::from_problems(
            undecided
                .into_iter()
                .map(|(u, l)| {
                    Problem::new(codes::SURVEY_UNDECIDED)
                        .arg("unit", u)
                        .arg("leaf", l)
                })
                .collect(),
        ));
    }
    let mut changes = Vec::new();
    for row in &ov.rows {
        for (cell, column) in row.cells.iter().zip(&ov.leaves) {
            let Some(cell) = cell else { continue };
            let Some(points) = cell.points() else {
                continue;
            };
            let note = match &cell.decision {
                Some(Decision {
                    points: Some(_),
                    reason,
                    ..
                }) => format!("Điều tra {}: đặt điểm — {reason}", ov.survey.code),
                _ => format!(
                    "Điều tra {}: {} câu trả lời hợp lệ",
                    ov.survey.code, cell.result.valid
                ),
            };
            changes.push(ScoreChange {
                unit: row.unit.clone(),
                node: column.leaf.clone(),
                input: Some(RawValue::Points(points.value())),
                points: Some(points),
                note: Some(note),
                expected_version: None,
            });
        }
    }
    let who = actor(p);
    let reason = format!("Khóa đợt điều tra {}", ov.survey.code);
    let ScoresImported {
        values,
        changed,
        units,
    } = import::write_scores(db, period, &changes, &who, at, &reason).await?;
    surveys::mark_closed(
        db,
        &ov.survey,
        serde_json::json!({"values": values, "changed": changed}),
        &who,
        at,
    )
    .await?;
    keep_intervals(db, p, period, at).await?;
    Ok(Closed {
        values,
        changed,
        units,
    })
}

/// An answer file about to be read: where it lies and what the person called it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerFile {
    pub path: std::path::PathBuf,
    pub file_name: String,
    /// The respondent group of rows that do not say theirs.
    pub group: Option<String>,
}

/// What importing a file would do: what it holds, and what is new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswersPreview {
    pub file_name: String,
    pub stats: AnswerStats,
    /// Respondents of the file not stored yet: importing adds them.
    pub new_respondents: usize,
    /// Respondents of the file already stored: importing passes over them.
    pub stored_respondents: usize,
}

/// The units of each group of the period, as answer files are checked against.
fn units_by_group(basis: &Basis) -> BTreeMap<GroupName, BTreeSet<UnitCode>> {
    let mut out: BTreeMap<GroupName, BTreeSet<UnitCode>> = BTreeMap::new();
    for (unit, group) in &basis.units {
        out.entry(group.clone()).or_default().insert(unit.clone());
    }
    out
}

fn file_refused(e: AnswerFileError<ServiceError>) -> ServiceError {
    match e {
        AnswerFileError::Invalid { errors, .. } => errors.into(),
        AnswerFileError::Stopped(e) => e,
    }
}

/// An open survey of a period that is not published, or the refusal.
async fn open_survey(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    code: &str,
) -> ServiceResult<(Survey, Basis)> {
    let survey = get(db, p, period, code).await?;
    let basis = Basis::load(db, period).await?;
    refuse_published(&basis.period)?;
    if survey.status != surveys::STATUS_OPEN {
        return Err(ServiceError::new(codes::SURVEY_CLOSED).arg("survey", code));
    }
    Ok((survey, basis))
}

/// Reads an answer file without storing anything: every problem, or what importing it adds.
pub async fn preview_answers(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    code: &str,
    file: &AnswerFile,
    progress: impl FnMut(Progress) + Send + 'static,
) -> ServiceResult<AnswersPreview> {
    let (survey, basis) = open_survey(db, p, period, code).await?;
    let stored = surveys::respondent_ids(db, survey.id).await?;
    let file_name = file.file_name.clone();
    let file = file.clone();
    let units = units_by_group(&basis);
    let (stats, seen) = tokio::task::spawn_blocking(move || {
        let ctx = AnswerContext {
            definition: &survey.definition,
            units: &units,
            group: file.group.as_deref(),
        };
        let mut seen: HashSet<std::sync::Arc<str>> = HashSet::new();
        let stats = read_answers(
            &file.path,
            &file.file_name,
            &ctx,
            |r| {
                if !seen.contains(&r.respondent) {
                    seen.insert(r.respondent);
                }
                Ok::<(), ServiceError>(())
            },
            progress,
        )
        .map_err(file_refused)?;
        Ok::<_, ServiceError>((stats, seen))
    })
    .await
    .map_err(ServiceError::internal)??;
    if stats.answers == 0 {
        return Err(ServiceError::new(codes::SURVEY_FILE_EMPTY));
    }
    let stored_respondents = seen.iter().filter(|r| stored.contains(&***r)).count();
    Ok(AnswersPreview {
        file_name,
        stats,
        new_respondents: seen.len() - stored_respondents,
        stored_respondents,
    })
}

/// Answers passed from the reading thread to the writer at a time: with a bounded channel
/// of a few batches, memory stays bounded however long the file is.
const BATCH: usize = 2_000;

/// What importing an answer file did, and what the file held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswersImported {
    pub counts: ImportCounts,
    pub stats: AnswerStats,
}

/// Imports an answer file in one transaction: every answer of respondents not stored yet,
/// or nothing when the file has a problem (every one listed, as a preview lists them). The
/// same file imported again adds nothing. `progress` hears how far reading has come. The file
/// is read once: a preview first is for people who want to see before writing.
pub async fn import_answers(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    code: &str,
    file: &AnswerFile,
    at: OffsetDateTime,
    progress: impl FnMut(Progress) + Send + 'static,
) -> ServiceResult<AnswersImported> {
    let (survey, basis) = open_survey(db, p, period, code).await?;
    let origin = format!("tệp {}", file.file_name);
    let mut import = surveys::Import::begin(db, &survey, &actor(p), at, &origin).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<AnswerRecord>>(4);
    let units = units_by_group(&basis);
    let reading = {
        let file = file.clone();
        let definition = survey.definition.clone();
        tokio::task::spawn_blocking(move || {
            let ctx = AnswerContext {
                definition: &definition,
                units: &units,
                group: file.group.as_deref(),
            };
            let mut batch = Vec::with_capacity(BATCH);
            let stats = read_answers(
                &file.path,
                &file.file_name,
                &ctx,
                |r| {
                    batch.push(r);
                    if batch.len() >= BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        // The writer stopped (a database error it reports itself).
                        tx.blocking_send(full).map_err(|_| ())?;
                    }
                    Ok::<(), ()>(())
                },
                progress,
            );
            if stats.is_ok() && !batch.is_empty() {
                let _ = tx.blocking_send(batch);
            }
            stats
        })
    };
    let mut written: ServiceResult<()> = Ok(());
    while let Some(batch) = rx.recv().await {
        if written.is_err() {
            continue;
        }
        for r in &batch {
            let answer = NewAnswer {
                respondent: &r.respondent,
                group: &r.group,
                unit: r.unit.as_str(),
                question: &r.question,
                answer: &r.answer,
            };
            if let Err(e) = import.add(answer).await {
                written = Err(e.into());
                break;
            }
        }
        if written.is_err() {
            // Dropping the receiver stops the reader at its next batch.
            rx.close();
        }
    }
    let stats = reading.await.map_err(ServiceError::internal)?;
    written?;
    let stats = stats.map_err(|e| match e {
        AnswerFileError::Invalid { errors, .. } => ServiceError::from(errors),
        AnswerFileError::Stopped(()) => {
            ServiceError::internal(std::io::Error::other("import stopped"))
        }
    })?;
    if stats.answers == 0 {
        return Err(ServiceError::new(codes::SURVEY_FILE_EMPTY));
    }
    let counts = import.commit(&survey, &file.file_name).await?;
    Ok(AnswersImported { counts, stats })
}

/// Most answers one web questionnaire takes (questions × units); more are not read.
pub const MAX_WEB_ANSWERS: usize = 20_000;

/// Most links issued at once, and most uses of one group link.
pub const MAX_LINKS: u32 = 5_000;

/// How links are issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueLinks {
    pub group: String,
    /// Personal links (each used once) or one link for the group.
    pub personal: bool,
    /// Personal links: how many; a group link: how many responses it may take.
    pub count: String,
    /// What the administrator calls them ("Phường 1", "Đoàn ĐBQH"); numbered when personal.
    pub label: String,
}

/// A link just issued, with its secret: shown once, never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedLink {
    pub label: String,
    pub token: String,
}

fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Issues links of the web questionnaire for one respondent group of an open survey.
pub async fn issue_links(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    code: &str,
    cmd: &IssueLinks,
    at: OffsetDateTime,
) -> ServiceResult<Vec<IssuedLink>> {
    let (survey, _) = open_survey(db, p, period, code).await?;
    let mut problems = Vec::new();
    let group = survey.definition.group(&cmd.group).map(|g| g.code.clone());
    if group.is_none() {
        problems.push(
            Problem::new(codes::SURVEY_DEFINITION_INVALID)
                .arg("field", "group")
                .arg(
                    "problem",
                    format!("không có nhóm đối tượng “{}”", cmd.group),
                ),
        );
    }
    let count = match cmd.count.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_LINKS).contains(&n) => n,
        _ => {
            problems.push(
                Problem::new(codes::SURVEY_LINK_COUNT_INVALID)
                    .arg("field", "count")
                    .arg("value", cmd.count.trim())
                    .arg("max", MAX_LINKS),
            );
            0
        }
    };
    let (Some(group), true) = (group, problems.is_empty()) else {
        return Err(ServiceError::from_problems(problems));
    };
    let label = cmd.label.trim();
    let label = if label.is_empty() {
        group.as_str()
    } else {
        label
    };
    let issued: Vec<IssuedLink> = if cmd.personal {
        (1..=count)
            .map(|i| IssuedLink {
                label: format!("{label} – {i}"),
                token: hex::encode(rand::random::<[u8; 18]>()),
            })
            .collect()
    } else {
        vec![IssuedLink {
            label: label.to_owned(),
            token: hex::encode(rand::random::<[u8; 18]>()),
        }]
    };
    let stored: Vec<NewLink> = issued
        .iter()
        .map(|l| NewLink {
            token_hash: token_digest(&l.token),
            grp: group.clone(),
            label: l.label.clone(),
            max_uses: if cmd.personal { 1 } else { i64::from(count) },
        })
        .collect();
    surveys::create_links(db, &survey, &stored, &actor(p), at).await?;
    Ok(issued)
}

/// The links of a survey.
pub async fn links(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    code: &str,
) -> ServiceResult<Vec<Link>> {
    let survey = get(db, p, period, code).await?;
    Ok(surveys::links(db, survey.id).await?)
}

/// Revokes a link (named by its digest); the responses it brought stay.
pub async fn revoke_link(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    code: &str,
    digest: &str,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    let survey = get(db, p, period, code).await?;
    if surveys::revoke_link(db, &survey, digest, &actor(p), at).await? {
        Ok(())
    } else {
        Err(ServiceError::new(codes::SURVEY_LINK_INVALID))
    }
}

/// What a respondent sees through a link: the questionnaire of their group, the units to
/// evaluate, and what they saved before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Questionnaire {
    pub survey_name: String,
    pub period_name: String,
    pub group: RespondentGroup,
    /// Code and label of each option, weight hidden.
    pub options: Vec<(String, String)>,
    pub units: Vec<(UnitCode, String)>,
    /// The response under way (`None` before the first save).
    pub response: Option<WebResponse>,
    /// Responses the link may still start.
    pub remaining: i64,
}

/// The link behind `token`, refused when unknown or revoked.
async fn link_of(db: &Db, token: &str) -> ServiceResult<Link> {
    surveys::link(db, &token_digest(token))
        .await?
        .filter(|l| l.revoked_at.is_none())
        .ok_or_else(|| ServiceError::new(codes::SURVEY_LINK_INVALID))
}

/// The respondent id of a personal link: one response, whatever device it is opened on.
fn personal_respondent(link: &Link) -> Option<String> {
    (link.max_uses == 1).then(|| format!("web-{}", &link.token_hash[..16]))
}

/// The questionnaire behind a link, with the response `respondent` (from the respondent's
/// browser) when it belongs to this link. No sign-in: the unguessable link is the key.
pub async fn questionnaire(
    db: &Db,
    token: &str,
    respondent: Option<&str>,
) -> ServiceResult<Questionnaire> {
    let link = link_of(db, token).await?;
    let survey = surveys::by_id(db, link.survey)
        .await?
        .ok_or_else(|| ServiceError::new(codes::SURVEY_LINK_INVALID))?;
    let basis = Basis::load(db, &survey.period).await?;
    let group = survey
        .definition
        .group(&link.grp)
        .cloned()
        .ok_or_else(|| ServiceError::new(codes::SURVEY_LINK_INVALID))?;
    let options = match &group.kind {
        QuestionnaireKind::Sipas { .. } => chiso_formats::survey::SIPAS_LEVELS
            .iter()
            .map(|(c, l)| ((*c).to_owned(), (*l).to_owned()))
            .collect(),
        QuestionnaireKind::Sociological if group.options.is_empty() => {
            chiso_formats::survey::STANDARD_LABELS
                .iter()
                .map(|(c, l)| ((*c).to_owned(), (*l).to_owned()))
                .collect()
        }
        QuestionnaireKind::Sociological => group
            .options
            .iter()
            .map(|o| (o.code.clone(), o.label.clone()))
            .collect(),
    };
    let units = basis
        .order
        .iter()
        .filter(|u| basis.units.get(*u) == Some(&group.evaluates))
        .map(|u| (u.clone(), basis.name(u)))
        .collect();
    let mine = personal_respondent(&link).or_else(|| respondent.map(str::to_owned));
    let response = match mine {
        Some(r) if belongs(db, survey.id, &r, &link).await => {
            surveys::web_response(db, survey.id, &r).await?
        }
        _ => None,
    };
    Ok(Questionnaire {
        survey_name: survey.name,
        period_name: basis.period.name,
        group,
        options,
        units,
        response,
        remaining: link.max_uses - link.used,
    })
}

/// Whether the response `respondent` was started through `link`.
async fn belongs(db: &Db, survey: i64, respondent: &str, link: &Link) -> bool {
    surveys::response_link(db, survey, respondent)
        .await
        .ok()
        .flatten()
        .is_some_and(|l| l == link.token_hash)
}

/// Answers given on the web questionnaire: `(unit, question, option)`; an empty option is no
/// answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAnswers {
    pub answers: Vec<(String, String, String)>,
    /// Send the questionnaire (no change afterwards) rather than save it for later.
    pub submit: bool,
}

/// Saves (or sends) the answers given through a link; returns the respondent id the
/// browser keeps to come back. Every answer is checked against the questionnaire; a refused
/// one is named with its unit and question.
pub async fn answer(
    db: &Db,
    token: &str,
    respondent: Option<&str>,
    given: &WebAnswers,
    at: OffsetDateTime,
) -> ServiceResult<String> {
    let q = questionnaire(db, token, respondent).await?;
    let link = link_of(db, token).await?;
    if q.response.as_ref().is_some_and(|r| r.submitted) {
        return Err(ServiceError::new(codes::SURVEY_SUBMITTED));
    }
    let sipas = matches!(q.group.kind, QuestionnaireKind::Sipas { .. });
    let mut problems = Vec::new();
    let mut kept = Vec::new();
    for (unit, question, option) in &given.answers {
        let option = option.trim();
        if option.is_empty() {
            continue;
        }
        let known_unit = q.units.iter().any(|(u, _)| u.as_str() == unit);
        let known_question = q.group.question(question);
        let known_option = q
            .options
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(option));
        match (known_unit, known_question, known_option) {
            (true, Some(qq), Some((code, _))) => {
                kept.push((
                    unit.clone(),
                    qq.code.clone(),
                    if sipas && code == "0" {
                        String::new()
                    } else {
                        code.clone()
                    },
                ));
            }
            _ => problems.push(
                Problem::new(codes::SURVEY_ANSWER_INVALID)
                    .arg("unit", unit)
                    .arg("question", question)
                    .arg("answer", option),
            ),
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::from_problems(problems));
    }
    let survey = link.survey;
    let respondent = match &q.response {
        Some(r) => r.respondent.clone(),
        None => {
            let id = personal_respondent(&link)
                .unwrap_or_else(|| format!("web-{}", hex::encode(rand::random::<[u8; 8]>())));
            surveys::start_response(db, &link, &id, "web", at)
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(_) => ServiceError::new(codes::SURVEY_LINK_USED_UP),
                    e => e.into(),
                })?;
            id
        }
    };
    surveys::save_response(db, survey, &respondent, &kept, given.submit, at)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ServiceError::new(codes::SURVEY_SUBMITTED),
            e => e.into(),
        })?;
    Ok(respondent)
}

/// A starting questionnaire for `period`: one respondent group per group of units whose set
/// has survey leaves, one question per survey leaf (its title as the question), the standard
/// options. What the questionnaire workbook offered for download is filled in with, so the
/// administrator edits rather than types codes.
pub async fn template(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
) -> ServiceResult<SurveyDefinition> {
    require_manage(p, period)?;
    let basis = Basis::load(db, period).await?;
    Ok(template_of(&basis))
}

fn template_of(basis: &Basis) -> SurveyDefinition {
    let groups = basis
        .sets
        .iter()
        .enumerate()
        .filter_map(|(i, (group, set))| {
            let questions: Vec<questionnaire::Question> = set
                .nodes
                .iter()
                .flat_map(|n| n.walk())
                .filter(|n| n.is_leaf() && n.source == chiso_domain::Source::Survey)
                .enumerate()
                .map(|(k, n)| questionnaire::Question {
                    code: format!("C{}", k + 1),
                    text: n.title.clone(),
                    target: questionnaire::QuestionTarget::Leaf(n.code.clone()),
                })
                .collect();
            (!questions.is_empty()).then(|| RespondentGroup {
                code: format!("N{}", i + 1),
                name: format!("Người đánh giá {group}"),
                target: None,
                evaluates: group.clone(),
                kind: QuestionnaireKind::Sociological,
                questions,
                options: Vec::new(),
            })
        })
        .collect();
    SurveyDefinition {
        code: format!("XHH-{}", basis.period.year),
        name: format!("Điều tra xã hội học {}", basis.period.name),
        groups,
        leaves: Vec::new(),
    }
}

/// A group of units of a period as the questionnaire form offers it: the set its units use
/// and that set's survey leaves, which its respondent groups' questions may be mapped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitGroupLeaves {
    pub group: GroupName,
    pub set: chiso_domain::SetCode,
    /// Survey leaves with their titles, in the set's order.
    pub leaves: Vec<(NodeCode, String)>,
}

/// The period's groups of units with their survey leaves, so that a questionnaire typed in a
/// form is chosen from what the period holds instead of typed codes.
pub async fn form_choices(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
) -> ServiceResult<Vec<UnitGroupLeaves>> {
    require_manage(p, period)?;
    let basis = Basis::load(db, period).await?;
    Ok(basis
        .sets
        .iter()
        .map(|(group, set)| UnitGroupLeaves {
            group: group.clone(),
            set: set.code.clone(),
            leaves: set
                .nodes
                .iter()
                .flat_map(|n| n.walk())
                .filter(|n| n.is_leaf() && n.source == chiso_domain::Source::Survey)
                .map(|n| (n.code.clone(), n.title.clone()))
                .collect(),
        })
        .collect())
}

/// Every mistake of `definition` against the period, as the domain names them (group,
/// question, leaf), so that a form can show each one next to its field. [`create`] and
/// [`redefine`] check again when the definition is saved.
pub async fn definition_problems(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    definition: &SurveyDefinition,
) -> ServiceResult<Vec<questionnaire::DefinitionError>> {
    require_manage(p, period)?;
    let basis = Basis::load(db, period).await?;
    let sets = basis.sets.iter().map(|(g, s)| (g.clone(), s)).collect();
    Ok(definition.check(&sets))
}

/// Respondents per group of the demo survey, and its minimum of answers per unit and leaf.
const DEMO_RESPONDENTS: usize = 24;
const DEMO_MINIMUM: u32 = 5;

/// The demo province's survey of the period in progress: the starting questionnaire with a
/// target of 30 respondents per group and a minimum of five answers, and 24 respondents'
/// answers (the last unit of each group rated by only three), left open for the
/// administrator to follow, import more, decide and close.
pub(crate) async fn load_demo_survey(
    db: &Db,
    period: &PeriodCode,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    let basis = Basis::load(db, period).await?;
    let mut def = template_of(&basis);
    for g in &mut def.groups {
        g.target = Some(30);
    }
    let leaves: BTreeSet<NodeCode> = def
        .groups
        .iter()
        .flat_map(|g| g.questions.iter().filter_map(|q| g.leaf_of(q).cloned()))
        .collect();
    def.leaves = leaves
        .into_iter()
        .map(|leaf| questionnaire::LeafRule {
            leaf,
            minimum: DEMO_MINIMUM,
            group_weights: BTreeMap::new(),
        })
        .collect();
    if def.groups.is_empty() {
        return Ok(());
    }
    let actor = Actor("demo".to_owned());
    let survey = surveys::create(db, period, &def, &actor, at).await?;
    let mut units: BTreeMap<GroupName, Vec<UnitCode>> = BTreeMap::new();
    for u in &basis.order {
        if let Some(g) = basis.units.get(u) {
            units.entry(g.clone()).or_default().push(u.clone());
        }
    }
    let answers = chiso_demo::survey_answers(
        &def,
        &units,
        DEMO_RESPONDENTS,
        u64::from(basis.period.year.unsigned_abs()),
    );
    let mut import = surveys::Import::begin(db, &survey, &actor, at, "dữ liệu mẫu").await?;
    for a in &answers {
        import
            .add(NewAnswer {
                respondent: &a.respondent,
                group: &a.group,
                unit: a.unit.as_str(),
                question: &a.question,
                answer: &a.answer,
            })
            .await?;
    }
    import.commit(&survey, "dữ liệu mẫu").await?;
    Ok(())
}

/// The units a respondent group evaluates, with their names, in the period's order (what its
/// XLSForm asks about).
pub async fn group_units(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    code: &str,
    group: &str,
) -> ServiceResult<(Survey, Vec<(UnitCode, String)>)> {
    let survey = get(db, p, period, code).await?;
    let g = survey.definition.group(group).ok_or_else(|| {
        ServiceError::new(codes::SURVEY_DEFINITION_INVALID)
            .arg("problem", format!("không có nhóm đối tượng “{group}”"))
    })?;
    let basis = Basis::load(db, period).await?;
    let units = basis
        .order
        .iter()
        .filter(|u| basis.units.get(*u) == Some(&g.evaluates))
        .map(|u| (u.clone(), basis.name(u)))
        .collect();
    Ok((survey, units))
}

/// The name of a period whose surveys the person runs (for the pages' headings).
pub async fn period_name(db: &Db, p: &Principal, period: &PeriodCode) -> ServiceResult<String> {
    require_manage(p, period)?;
    Ok(periods::get(db, period)
        .await?
        .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", period))?
        .name)
}

/// Bootstrap draws behind the intervals: enough for stable 5th and 95th percentiles.
pub const DRAWS: u32 = 400;

/// One unit's intervals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitInterval {
    pub unit: UnitCode,
    pub name: String,
    /// Survey points with every respondent (the sum over the survey's leaves).
    pub survey_points: Decimal,
    pub uncertainty: UnitUncertainty,
    /// Its total with every respondent: the other points plus the survey points.
    pub total: Decimal,
    /// Its index with every respondent and the index at the ends of its total's interval, as
    /// the results compute it (total ÷ applicable maximum × 100); `None` before results.
    pub index: Option<(Decimal, Interval<Decimal>)>,
}

/// A group of units compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupIntervals {
    pub group: GroupName,
    /// Units best first (by their index with every respondent, or their total before
    /// results), units the results do not rank last.
    pub units: Vec<UnitInterval>,
    /// Neighbours in that order whose order the data do not settle.
    pub unsettled: Vec<(UnitCode, UnitCode)>,
    /// Whether the other points come from the period's computed results (otherwise units are
    /// compared on their survey points alone).
    pub with_results: bool,
}

/// How far the answers settle each unit's survey points, total and rank: a seeded bootstrap
/// over whole respondents ([`chiso_domain::uncertainty`]), per group of units, with the
/// points other than this survey's from the period's last computation. SIPAS questionnaires'
/// respondents are drawn like the others; points an administrator set by hand stay fixed.
pub async fn intervals(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    code: &str,
) -> ServiceResult<(Survey, Vec<GroupIntervals>)> {
    let ov = overview(db, p, period, code).await?;
    let results = chiso_store::results::load(db, period).await?;
    let answers = surveys::answers(db, ov.survey.id).await?;
    let groups = bootstrap_groups(&[(&ov, &answers)], results.as_ref());
    Ok((ov.survey, groups))
}

/// The index `total` gives a unit whose applicable maximum is `max`, as the results compute
/// it.
fn index_of(total: Decimal, max: Decimal) -> Decimal {
    chiso_domain::points::percent(total, max).unwrap_or(Decimal::ZERO)
}

/// Where one survey's answers land in one group's bootstrap.
#[derive(Default)]
struct GroupDraw<'a> {
    slots: Vec<uncertainty::Slot>,
    /// (source, unit, leaf) → slot.
    slot_of: BTreeMap<(usize, usize, &'a NodeCode), usize>,
    cells: Vec<uncertainty::Cell>,
    /// (slot, respondent group or "" when pooled) → cell.
    cell_of: BTreeMap<(usize, &'a str), usize>,
    /// A SIPAS slot's cells, one per factor in the order of `Factor::ALL`.
    factor_cells: BTreeMap<usize, [usize; 5]>,
}

impl<'a> GroupDraw<'a> {
    /// The cell one valid answer of respondent group `g` to `q` about unit `u` counts in, and
    /// what it counts for `(weight, valid)`; `None` for an answer that moves nothing.
    fn cell(
        &mut self,
        (source, u): (usize, usize),
        (g, q): (&'a RespondentGroup, &'a questionnaire::Question),
        answer: &str,
        def: &'a SurveyDefinition,
        scales: &BTreeMap<&str, AnswerScale>,
    ) -> Option<(usize, Decimal)> {
        let leaf = g.leaf_of(q)?;
        let slot = *self.slot_of.get(&(source, u, leaf))?;
        match &q.target {
            questionnaire::QuestionTarget::Factor(f) => {
                let cells = self.factor_cells.get(&slot)?;
                let i = Factor::ALL.iter().position(|x| x == f)?;
                let level = satisfaction_level(answer).flatten()?;
                Some((cells[i], Decimal::from(u8::from(level >= 4))))
            }
            questionnaire::QuestionTarget::Leaf(_) => {
                let s = self.slots.get(slot)?;
                if s.sipas {
                    return None;
                }
                let Some(Answer::Valid(weight)) = scales
                    .get(g.code.as_str())
                    .and_then(|s| s.read(answer).ok())
                else {
                    return None;
                };
                let key = if s.weighted { g.code.as_str() } else { "" };
                let next = self.cells.len();
                let cell = *self.cell_of.entry((slot, key)).or_insert(next);
                if cell == next {
                    self.cells.push(uncertainty::Cell {
                        unit: u,
                        slot,
                        weight: def
                            .rule(leaf)
                            .and_then(|r| r.group_weights.get(&g.code).copied())
                            .unwrap_or(Decimal::ONE),
                    });
                }
                Some((cell, weight))
            }
        }
    }
}

/// A survey's page and answers, as one source of a bootstrap.
type Drawn<'a> = (&'a Overview, &'a [surveys::RespondentAnswer]);

/// The (unit, leaf) pairs of a survey fed by SIPAS answers: those with at least one answer to
/// a factor question, as [`questionnaire::aggregate`] decides.
fn sipas_fed<'a>(
    def: &'a SurveyDefinition,
    answers: &[surveys::RespondentAnswer],
) -> BTreeSet<(String, &'a NodeCode)> {
    let mut out = BTreeSet::new();
    for a in answers {
        let Some(g) = def.group(&a.grp) else { continue };
        let Some(q) = g.question(&a.question) else {
            continue;
        };
        if let (questionnaire::QuestionTarget::Factor(_), Some(leaf)) = (&q.target, g.leaf_of(q))
            && satisfaction_level(&a.answer).is_some()
        {
            out.insert((a.unit.clone(), leaf));
        }
    }
    out
}

/// Each group's intervals from a bootstrap over the respondents of every source together
/// (a later source's leaf gives way to an earlier one's, as the last survey closed wrote its
/// points last), the points outside the sources' leaves taken from `results`. Seeded by the
/// first source's survey.
fn bootstrap_groups(
    sources: &[Drawn<'_>],
    results: Option<&chiso_domain::PeriodResults>,
) -> Vec<GroupIntervals> {
    let Some((first, _)) = sources.first() else {
        return Vec::new();
    };
    let seed = first.survey.id.unsigned_abs();
    let sipas: Vec<BTreeSet<(String, &NodeCode)>> = sources
        .iter()
        .map(|(ov, answers)| sipas_fed(&ov.survey.definition, answers))
        .collect();
    let scales: Vec<BTreeMap<&str, AnswerScale>> = sources
        .iter()
        .map(|(ov, _)| {
            ov.survey
                .definition
                .groups
                .iter()
                .filter_map(|g| g.scale().ok().map(|s| (g.code.as_str(), s)))
                .collect()
        })
        .collect();
    let fed: BTreeSet<&NodeCode> = sources
        .iter()
        .flat_map(|(ov, _)| ov.leaves.iter().map(|c| &c.leaf))
        .collect();
    let mut groups: Vec<&GroupName> = Vec::new();
    for (ov, _) in sources {
        for r in &ov.rows {
            if !groups.contains(&&r.group) {
                groups.push(&r.group);
            }
        }
    }
    let mut out = Vec::new();
    for group in groups {
        // Every source evaluating the group lists all its units, in the period's order.
        let Some(rows) = sources.iter().find_map(|(ov, _)| {
            let rows: Vec<&UnitRow> = ov.rows.iter().filter(|r| &r.group == group).collect();
            (!rows.is_empty()).then_some(rows)
        }) else {
            continue;
        };
        let index: BTreeMap<&UnitCode, usize> =
            rows.iter().enumerate().map(|(i, r)| (&r.unit, i)).collect();
        let mut d = GroupDraw::default();
        let mut survey_points = vec![Decimal::ZERO; rows.len()];
        let mut taken: BTreeSet<(usize, &NodeCode)> = BTreeSet::new();
        for (s, (ov, _)) in sources.iter().enumerate() {
            let def = &ov.survey.definition;
            for r in ov.rows.iter().filter(|r| &r.group == group) {
                let Some(&u) = index.get(&r.unit) else {
                    continue;
                };
                for (cell, column) in r.cells.iter().zip(&ov.leaves) {
                    let Some(cell) = cell else { continue };
                    if !taken.insert((u, &column.leaf)) {
                        continue;
                    }
                    let estimate = cell.points().map_or(Decimal::ZERO, |p| p.value());
                    survey_points[u] += estimate;
                    let slot = d.slots.len();
                    let by_hand = matches!(
                        cell.decision,
                        Some(Decision {
                            points: Some(_),
                            ..
                        })
                    );
                    let is_sipas = sipas[s].contains(&(r.unit.to_string(), &column.leaf));
                    d.slots.push(uncertainty::Slot {
                        max: cell.max.value(),
                        weighted: def
                            .rule(&column.leaf)
                            .is_some_and(|rule| !rule.group_weights.is_empty()),
                        sipas: is_sipas,
                        estimate,
                    });
                    // Points set by hand are not drawn: the slot has no cell and keeps them.
                    if by_hand {
                        continue;
                    }
                    d.slot_of.insert((s, u, &column.leaf), slot);
                    if is_sipas {
                        let first = d.cells.len();
                        for _ in Factor::ALL {
                            d.cells.push(uncertainty::Cell {
                                unit: u,
                                slot,
                                weight: Decimal::ONE,
                            });
                        }
                        d.factor_cells
                            .insert(slot, [first, first + 1, first + 2, first + 3, first + 4]);
                    }
                }
            }
        }
        let mut respondents: Vec<uncertainty::Respondent> = Vec::new();
        for (s, (ov, answers)) in sources.iter().enumerate() {
            let def = &ov.survey.definition;
            let mut acc: BTreeMap<usize, (Decimal, u32)> = BTreeMap::new();
            let mut current: Option<&str> = None;
            for a in answers.iter() {
                if current != Some(a.respondent.as_str()) {
                    push_respondent(&mut acc, &mut respondents);
                    current = Some(a.respondent.as_str());
                }
                let Some(g) = def.group(&a.grp).filter(|g| &g.evaluates == group) else {
                    continue;
                };
                let Some(q) = g.question(&a.question) else {
                    continue;
                };
                let Some(&u) = UnitCode::parse(&a.unit)
                    .ok()
                    .as_ref()
                    .and_then(|u| index.get(u))
                else {
                    continue;
                };
                if let Some((cell, weight)) = d.cell((s, u), (g, q), &a.answer, def, &scales[s]) {
                    let e = acc.entry(cell).or_default();
                    e.0 += weight;
                    e.1 += 1;
                }
            }
            push_respondent(&mut acc, &mut respondents);
        }
        let result_of =
            |unit: &UnitCode| results.and_then(|x| x.units.iter().find(|res| &res.unit == unit));
        let other: Vec<Decimal> = rows
            .iter()
            .map(|r| {
                let Some(res) = result_of(&r.unit) else {
                    return Decimal::ZERO;
                };
                let stored: Decimal = res
                    .leaves
                    .iter()
                    .filter(|l| fed.contains(&l.code))
                    .map(|l| l.points.value())
                    .sum();
                res.total.value() - stored
            })
            .collect();
        let rank_by = match results {
            Some(_) => uncertainty::RankBy::Index(
                rows.iter()
                    .map(|r| {
                        result_of(&r.unit)
                            .filter(|x| x.ranked)
                            .map(|x| x.max.value())
                    })
                    .collect(),
            ),
            None => uncertainty::RankBy::Total,
        };
        let leaves = uncertainty::Leaves {
            cells: d.cells,
            slots: d.slots,
            other_points: other.clone(),
            rank_by,
        };
        let drawn = uncertainty::bootstrap_leaves(&respondents, &leaves, DRAWS, seed);
        let mut units: Vec<UnitInterval> = rows
            .iter()
            .zip(drawn)
            .enumerate()
            .map(|(i, (r, u))| {
                let total = other[i] + survey_points[i];
                UnitInterval {
                    unit: r.unit.clone(),
                    name: r.name.clone(),
                    survey_points: survey_points[i],
                    index: result_of(&r.unit).map(|res| {
                        let max = res.max.value();
                        (
                            index_of(total, max),
                            Interval {
                                low: index_of(u.total.low, max),
                                high: index_of(u.total.high, max),
                            },
                        )
                    }),
                    uncertainty: u,
                    total,
                }
            })
            .collect();
        units.sort_by_key(|u| {
            (
                u.uncertainty.rank.is_none(),
                std::cmp::Reverse(u.index.map_or(u.total, |(i, _)| i)),
            )
        });
        let unsettled = units
            .windows(2)
            .filter(|w| w[1].uncertainty.rank.is_some())
            .filter(|w| !uncertainty::order_settled(&w[0].uncertainty, &w[1].uncertainty))
            .map(|w| (w[0].unit.clone(), w[1].unit.clone()))
            .collect();
        out.push(GroupIntervals {
            group: group.clone(),
            units,
            unsettled,
            with_results: results.is_some(),
        });
    }
    out
}

/// Ends the respondent whose answers `acc` holds, if they count anywhere.
fn push_respondent(
    acc: &mut BTreeMap<usize, (Decimal, u32)>,
    respondents: &mut Vec<uncertainty::Respondent>,
) {
    if !acc.is_empty() {
        respondents.push(uncertainty::Respondent {
            answers: std::mem::take(acc)
                .into_iter()
                .map(|(c, (w, v))| (c, w, v))
                .collect(),
        });
    }
}

/// What the survey data say of the period's results, from a bootstrap over the respondents of
/// all its closed surveys together (the last closed first), or `None` without a closed survey
/// or computed results. Each unit's index and rank intervals hold its published index and
/// rank.
pub(crate) async fn period_intervals(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
) -> ServiceResult<Option<ResultIntervals>> {
    let Some(results) = chiso_store::results::load(db, period).await? else {
        return Ok(None);
    };
    let mut closed: Vec<Survey> = list(db, p, period)
        .await?
        .into_iter()
        .filter(|s| s.status == surveys::STATUS_CLOSED)
        .collect();
    if closed.is_empty() {
        return Ok(None);
    }
    closed.sort_by_key(|s| std::cmp::Reverse((s.closed_at, s.id)));
    let mut pages = Vec::with_capacity(closed.len());
    for s in &closed {
        let ov = overview(db, p, period, &s.code).await?;
        let answers = surveys::answers(db, s.id).await?;
        pages.push((ov, answers));
    }
    let sources: Vec<Drawn<'_>> = pages.iter().map(|(ov, a)| (ov, a.as_slice())).collect();
    let groups = bootstrap_groups(&sources, Some(&results));
    let mut units = Vec::new();
    let mut unsettled = Vec::new();
    for g in groups {
        for u in g.units {
            let Some(res) = results.units.iter().find(|r| r.unit == u.unit) else {
                continue;
            };
            let Some((_, index)) = u.index else { continue };
            let hold = |i: Interval<Decimal>, v: Decimal| Interval {
                low: i.low.min(v),
                high: i.high.max(v),
            };
            units.push(ResultInterval {
                unit: u.unit,
                group: g.group.clone(),
                index: hold(index, res.index),
                rank: match (u.uncertainty.rank, res.rank) {
                    (Some(i), Some(r)) => Some(Interval {
                        low: i.low.min(r),
                        high: i.high.max(r),
                    }),
                    _ => None,
                },
                survey_points: u.uncertainty.survey_points,
                total: hold(u.uncertainty.total, res.total.value()),
            });
        }
        unsettled.extend(g.unsettled);
    }
    Ok(Some(ResultIntervals {
        surveys: closed.iter().map(|s| s.code.clone()).collect(),
        draws: DRAWS,
        units,
        unsettled,
    }))
}

/// Computes the period's intervals again and keeps them with the computation of the results
/// they rest on (or forgets them when nothing is left to compute them from).
async fn keep_intervals(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    let computed_at = periods::get(db, period).await?.and_then(|x| x.computed_at);
    match period_intervals(db, p, period).await? {
        Some(i) => Ok(chiso_store::intervals::keep(db, period, &i, computed_at, at).await?),
        None => Ok(()),
    }
}

/// Brings the period's kept intervals up to date with its results before a publication:
/// computed again when the results were computed again since they were kept. Nothing when
/// no survey of the period was closed.
pub(crate) async fn refresh_intervals(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    let Some(kept) = chiso_store::intervals::load(db, period).await? else {
        return Ok(());
    };
    let computed_at = periods::get(db, period).await?.and_then(|x| x.computed_at);
    if kept.computed_at == computed_at {
        return Ok(());
    }
    keep_intervals(db, p, period, at).await
}
