//! The shapes of the JSON API (version 1). They are separate from the domain types on purpose:
//! the domain may change its internals, but a published API only grows.
//!
//! Figures are JSON numbers holding the *published* value, rounded to 2 decimals half away
//! from zero (89.83): the same figure a decision prints. Full-precision values stay inside
//! the system. Codes are strings; absent values are `null`.

use std::collections::BTreeMap;

use chiso_domain::{RankMove, UnitResult};
use chiso_services::records::Period;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use crate::format::json_num;
use crate::service::{
    GroupReport, HistoryEntry, PeriodReport, PeriodSummary, UnitHistory, UnitReport, nodes_by_code,
};

/// An error: `{"error": {"code": "period_not_found", "message": "…"}}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The content of an error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine code: `period_not_found`, `unit_not_found`, `unit_not_in_period`,
    /// `not_found`, `method_not_allowed`, `bad_request`, `payload_too_large`, `internal`.
    #[schema(example = "period_not_found")]
    pub code: String,
    /// Human-readable message in the request's language (Vietnamese unless `?lang=en` or the
    /// `lang` cookie says otherwise).
    #[schema(example = "Không tìm thấy kỳ đánh giá “2099”.")]
    pub message: String,
    /// The code's arguments, for clients that act on them (e.g. `current`, the version now
    /// stored, with a 409); absent when there are none.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub args: std::collections::BTreeMap<String, String>,
    /// Every problem found at once, when there are several: each row and column of an
    /// imported file, each leaf of a refused save (its `field`, and `current` when stale),
    /// each refused file. Absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorItemDto>,
}

/// One of several problems of an error.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ErrorItem)]
pub struct ErrorItemDto {
    /// Stable machine code of this problem: a service code, or for a problem of an imported
    /// file one of the file problem codes (`missing_column`, `unit_code_invalid`…), located
    /// by `file`, `row` and `column`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "leaf_stale")]
    pub code: Option<String>,
    /// The problem in the request's language.
    #[schema(example = "Dòng 4, cột 1.2.1: không đọc được số \"mười\".")]
    pub message: String,
    /// The problem's arguments (e.g. `field` naming a leaf, `current` its stored version; for
    /// a file problem `column`, `value`…). A nested problem appears under its name as its
    /// code, its own arguments under `name.arg` (`reason` = `id_bad_chars`, `reason.value`).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub args: std::collections::BTreeMap<String, String>,
    /// The file, for a problem of an imported file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The row (1 is the header row), for a problem of an imported file.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 4)]
    pub row: Option<usize>,
    /// The column header as written in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "1.2.1")]
    pub column: Option<String>,
}

impl ErrorItemDto {
    /// The items of a service error's details, worded in `lang`.
    pub fn list(lang: crate::i18n::Lang, detail: Option<&chiso_services::Detail>) -> Vec<Self> {
        use chiso_services::Detail;
        let args = |a: &[(&'static str, String)]| {
            a.iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        let lines = crate::error::detail_lines(lang, detail);
        match detail {
            None => Vec::new(),
            Some(Detail::Import(errors)) => errors
                .errors()
                .iter()
                .map(|e| ErrorItemDto {
                    code: Some(e.code().as_str().to_owned()),
                    message: crate::error::problem_text(lang, &e.problem),
                    args: crate::error::problem_args(&e.problem),
                    file: Some(e.file.clone()),
                    row: e.row,
                    column: e.column.clone(),
                })
                .collect(),
            Some(Detail::Score(_)) => lines
                .into_iter()
                .map(|message| ErrorItemDto {
                    code: None,
                    message,
                    args: std::collections::BTreeMap::new(),
                    file: None,
                    row: None,
                    column: None,
                })
                .collect(),
            Some(Detail::Problems(problems)) => problems
                .iter()
                .zip(lines)
                .map(|(p, message)| ErrorItemDto {
                    code: Some(p.code.as_str().to_owned()),
                    message,
                    args: args(&p.args),
                    file: None,
                    row: None,
                    column: None,
                })
                .collect(),
        }
    }
}

impl ErrorBody {
    /// Adds the code's arguments.
    pub fn with_args(mut self, args: &[(&'static str, String)]) -> Self {
        self.error.args = args
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        self
    }

    /// An error body with a code and a message.
    pub fn new(code: &str, message: String) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                args: std::collections::BTreeMap::new(),
                details: Vec::new(),
            },
        }
    }

    /// Adds the problems listed with the error.
    pub fn with_details(mut self, details: Vec<ErrorItemDto>) -> Self {
        self.error.details = details;
        self
    }
}

/// The list of periods.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodList {
    /// Newest year first.
    pub periods: Vec<PeriodDto>,
}

/// An assessment period (kỳ đánh giá).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Period)]
pub struct PeriodDto {
    /// Period code, usually the year.
    #[schema(example = "2024")]
    pub code: String,
    /// Year assessed.
    #[schema(example = 2024)]
    pub year: i32,
    /// Name of the period.
    #[schema(example = "Chỉ số CCHC năm 2024")]
    pub name: String,
    /// Code of the period compared with (year-over-year deltas).
    pub previous: Option<String>,
    /// Workflow status of the period.
    pub status: String,
    /// The publishing decision, e.g. `Quyết định số 2161/QĐ-UBND ngày 11/6/2024`.
    pub decision: Option<String>,
    /// When results were last computed, RFC 3339 in UTC.
    pub computed_at: Option<String>,
    /// Number of units taking part.
    pub units: u32,
}

impl PeriodDto {
    fn new(p: &Period, units: usize) -> Self {
        PeriodDto {
            code: p.code.to_string(),
            year: p.year,
            name: p.name.clone(),
            previous: p.previous.as_ref().map(ToString::to_string),
            status: p.status.clone(),
            decision: p.decision.clone(),
            computed_at: p.computed_at.and_then(|t| t.format(&Rfc3339).ok()),
            units: u32::try_from(units).unwrap_or(u32::MAX),
        }
    }
}

impl From<&[PeriodSummary]> for PeriodList {
    fn from(list: &[PeriodSummary]) -> Self {
        PeriodList {
            periods: list
                .iter()
                .map(|s| PeriodDto::new(&s.period, s.units))
                .collect(),
        }
    }
}

/// The results of a period: every unit and every group's statistics.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = PeriodResults)]
pub struct PeriodResultsDto {
    /// The period.
    pub period: PeriodDto,
    /// False while the period has not been computed (then `units` and `groups` are empty).
    pub computed: bool,
    /// The published version shown; `null` for confidential results read before publication
    /// by the period's staff (or a unit, its own only).
    pub publication: Option<PublicationDto>,
    /// Every published version, oldest first (read another with `?version=N`).
    pub versions: Vec<PublicationDto>,
    /// Units, group by group, in rank order (unranked units last in their group).
    pub units: Vec<UnitRowDto>,
    /// Statistics of each computed group.
    pub groups: Vec<GroupDto>,
    /// What the units' `interval`s rest on; absent when the period has no closed survey
    /// with intervals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervals: Option<IntervalsDto>,
}

/// One published version of a period's results.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Publication)]
pub struct PublicationDto {
    /// 1 for the first publication, then one more per correction.
    #[schema(example = 1)]
    pub version: i64,
    /// The decision's number.
    #[schema(example = "123/QĐ-UBND")]
    pub decision: String,
    /// The decision's date, `YYYY-MM-DD`.
    #[schema(example = "2027-03-15")]
    pub decided_on: String,
    /// Why this version corrects the previous one; `null` for the first.
    pub reason: Option<String>,
    /// When it was published, RFC 3339 in UTC.
    pub published_at: String,
    /// Where the signed decision (PDF) is downloaded; `null` when it was published without.
    #[schema(example = "/ky/2024/quyet-dinh/1")]
    pub decision_file_url: Option<String>,
}

impl From<&chiso_services::publication::Publication> for PublicationDto {
    fn from(p: &chiso_services::publication::Publication) -> Self {
        PublicationDto {
            version: p.version,
            decision: p.decision.clone(),
            decided_on: p.decided_on.to_string(),
            reason: p.reason.clone(),
            published_at: p
                .published_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            decision_file_url: p
                .decision_file
                .as_ref()
                .map(|_| format!("/ky/{}/quyet-dinh/{}", p.period, p.version)),
        }
    }
}

/// The version shown and every version of a report's source.
fn publication_fields(
    source: &crate::service::Source,
) -> (Option<PublicationDto>, Vec<PublicationDto>) {
    match source {
        crate::service::Source::Published { shown, versions } => (
            Some(PublicationDto::from(shown.as_ref())),
            versions.iter().map(PublicationDto::from).collect(),
        ),
        crate::service::Source::Confidential { .. } => (None, Vec::new()),
    }
}

impl From<&PeriodReport> for PeriodResultsDto {
    fn from(r: &PeriodReport) -> Self {
        let units: Vec<UnitRowDto> = r
            .groups
            .iter()
            .flat_map(|g| {
                g.units
                    .iter()
                    .map(|u| row_with_interval(u, r.intervals.as_ref()))
            })
            .collect();
        let (publication, versions) = publication_fields(&r.source);
        PeriodResultsDto {
            intervals: r.intervals.as_ref().map(IntervalsDto::from),
            period: PeriodDto::new(&r.period, units.len()),
            computed: r.computed,
            publication,
            versions,
            groups: r.groups.iter().filter_map(GroupDto::new).collect(),
            units,
        }
    }
}

/// One unit's result.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = UnitResult)]
pub struct UnitRowDto {
    /// Unit code.
    #[schema(example = "SNV")]
    pub unit: String,
    /// Unit name.
    #[schema(example = "Sở Nội vụ")]
    pub name: String,
    /// Group the unit is ranked in.
    pub group: String,
    /// False for units assessed but not ranked.
    pub ranked: bool,
    /// Rank in the group (competition style: 1, 2, 2, 4); `null` when not ranked.
    #[schema(example = 5)]
    pub rank: Option<u32>,
    /// Number of ranked units in the group (the 9 of "5/9").
    #[schema(example = 9)]
    pub group_size: u32,
    /// Points achieved.
    #[schema(example = 89.83)]
    pub total: f64,
    /// Applicable maximum points.
    #[schema(example = 100.0)]
    pub max: f64,
    /// Index in percent: total ÷ max × 100.
    #[schema(example = 89.83)]
    pub index: f64,
    /// Class (xếp loại), e.g. `Tốt`.
    pub class: Option<String>,
    /// The comparable index of the previous period (through mergers and renames).
    pub previous_index: Option<f64>,
    /// Published index minus published previous index.
    #[schema(example = 0.21)]
    pub delta_index: Option<f64>,
    /// Previous rank minus rank: positive means the unit moved up.
    pub delta_rank: Option<i32>,
    /// The previous rank `delta_rank` starts from (through a rename or a split).
    #[schema(example = 12)]
    pub previous_rank: Option<u32>,
    /// How many units were ranked in the previous rank's group (the 16 of "12/16 → 11/11").
    #[schema(example = 16)]
    pub previous_group_size: Option<u32>,
    /// How the change of rank reads: `up`, `down`, `same`, or `not_comparable` when the group
    /// changed size and the index did not move the way the rank did (not a gain or a loss).
    #[schema(example = "up")]
    pub rank_move: Option<String>,
    /// Codes of the predecessors the deltas are computed against when the unit has no previous
    /// result of its own (after a merger: the mean of their indexes).
    pub compared_with: Vec<String>,
    /// Years in a row at rank 1, this period included (0 when not rank 1).
    pub streak: u32,
    /// A fact shown next to the unit: `closed_unsubmitted` when the unit did not submit its
    /// self-assessment by the deadline and was appraised from the evidence it had. Absent
    /// otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "closed_unsubmitted")]
    pub note: Option<String>,
    /// Points per area (top-level node), by area code.
    pub areas: BTreeMap<String, f64>,
    /// The 90 % intervals the period's closed surveys give the unit's index and rank. Absent
    /// when the period has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<IntervalDto>,
}

/// A unit's 90 % intervals from a bootstrap over the respondents of the period's closed
/// surveys.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = UnitInterval)]
pub struct IntervalDto {
    /// Lowest index of the interval, in percent.
    #[schema(example = 89.12)]
    pub index_low: f64,
    /// Highest index of the interval, in percent.
    #[schema(example = 91.4)]
    pub index_high: f64,
    /// Best rank of the interval; `null` for a unit not ranked.
    #[schema(example = 3)]
    pub rank_best: Option<u32>,
    /// Worst rank of the interval; `null` for a unit not ranked.
    #[schema(example = 6)]
    pub rank_worst: Option<u32>,
}

impl From<&chiso_domain::uncertainty::ResultInterval> for IntervalDto {
    fn from(i: &chiso_domain::uncertainty::ResultInterval) -> Self {
        IntervalDto {
            index_low: json_num(i.index.low),
            index_high: json_num(i.index.high),
            rank_best: i.rank.map(|r| r.low),
            rank_worst: i.rank.map(|r| r.high),
        }
    }
}

/// What the period's intervals rest on, and the orders they leave open.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Intervals)]
pub struct IntervalsDto {
    /// Codes of the closed surveys whose respondents were drawn.
    pub surveys: Vec<String>,
    /// Bootstrap draws behind the intervals.
    #[schema(example = 400)]
    pub draws: u32,
    /// True when the confidential results were computed again after the intervals, which
    /// may then no longer match them.
    pub stale: bool,
    /// Pairs of neighbouring units (codes, better first) whose order the survey data do not
    /// settle: their rank intervals overlap.
    pub unsettled: Vec<[String; 2]>,
}

impl From<&chiso_services::results::ReportIntervals> for IntervalsDto {
    fn from(r: &chiso_services::results::ReportIntervals) -> Self {
        IntervalsDto {
            surveys: r.intervals.surveys.clone(),
            draws: r.intervals.draws,
            stale: r.stale,
            unsettled: r
                .intervals
                .unsettled
                .iter()
                .map(|(a, b)| [a.to_string(), b.to_string()])
                .collect(),
        }
    }
}

/// A unit's row with its intervals from `intervals`, if any.
fn row_with_interval(
    u: &UnitResult,
    intervals: Option<&chiso_services::results::ReportIntervals>,
) -> UnitRowDto {
    let mut row = UnitRowDto::from(u);
    row.interval = intervals
        .and_then(|i| i.intervals.unit(&u.unit))
        .map(IntervalDto::from);
    row
}

impl From<&UnitResult> for UnitRowDto {
    fn from(u: &UnitResult) -> Self {
        UnitRowDto {
            unit: u.unit.to_string(),
            name: u.name.clone(),
            group: u.group.to_string(),
            ranked: u.ranked,
            rank: u.rank,
            group_size: u.group_size,
            total: json_num(u.total.value()),
            max: json_num(u.max.value()),
            index: json_num(u.index),
            class: u.class.clone(),
            previous_index: u.previous_index.map(json_num),
            delta_index: u.delta_index.map(json_num),
            delta_rank: u.delta_rank,
            previous_rank: u.previous_rank,
            previous_group_size: u.previous_group_size,
            rank_move: u.rank_move().map(|m| {
                match m {
                    RankMove::Up => "up",
                    RankMove::Down => "down",
                    RankMove::Same => "same",
                    RankMove::NotComparable => "not_comparable",
                }
                .to_owned()
            }),
            compared_with: u.compared_with.iter().map(ToString::to_string).collect(),
            streak: u.streak,
            note: u.note.map(|n| n.as_str().to_owned()),
            areas: u
                .nodes
                .iter()
                .filter(|n| n.code.depth() == 1)
                .map(|n| (n.code.to_string(), json_num(n.points.value())))
                .collect(),
            interval: None,
        }
    }
}

/// Statistics of one group.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = GroupStatistics)]
pub struct GroupDto {
    /// Group name.
    pub group: String,
    /// Code of the index set the group was scored under.
    pub set: Option<String>,
    /// Units assessed.
    pub units: u32,
    /// Units ranked.
    pub ranked: u32,
    /// Mean index of the group's units, in percent.
    #[schema(example = 78.39)]
    pub mean_index: f64,
    /// Units per class, highest band first (classes with no unit included).
    pub per_class: Vec<ClassCountDto>,
    /// Units whose index rose versus the previous period.
    pub improved: u32,
    /// Units whose index fell.
    pub declined: u32,
    /// Units whose index did not change.
    pub unchanged: u32,
}

impl GroupDto {
    fn new(g: &GroupReport) -> Option<Self> {
        let s = g.stats.as_ref()?;
        Some(GroupDto {
            group: g.group.to_string(),
            set: g.set.as_ref().map(|s| s.code.to_string()),
            units: s.units,
            ranked: s.ranked,
            mean_index: json_num(s.mean_index),
            per_class: s
                .per_class
                .iter()
                .map(|(class, units)| ClassCountDto {
                    class: class.clone(),
                    units: *units,
                })
                .collect(),
            improved: s.improved,
            declined: s.declined,
            unchanged: s.unchanged,
        })
    }
}

/// How many units got a class.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ClassCount)]
pub struct ClassCountDto {
    /// Class label.
    pub class: String,
    /// Number of units.
    pub units: u32,
}

/// One unit's result in a period, with every node and leaf.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = UnitDetail)]
pub struct UnitDetailDto {
    /// Period code.
    pub period: String,
    /// Code of the index set the unit was scored under.
    pub set: Option<String>,
    /// The published version shown; `null` for a confidential result before publication.
    pub publication: Option<PublicationDto>,
    /// The result.
    pub result: UnitRowDto,
    /// Areas and criteria (every node with children), in tree order.
    pub nodes: Vec<NodeDto>,
    /// Sub-criteria (leaves), in tree order.
    pub leaves: Vec<LeafDto>,
}

/// Points of an area or criterion.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = NodeScore)]
pub struct NodeDto {
    /// Node code: `1` (area), `1.2` (criterion)…
    #[schema(example = "1.2")]
    pub code: String,
    /// Title from the index set.
    pub title: Option<String>,
    /// Depth: 1 for an area, 2 for a criterion, …
    pub level: u32,
    /// Points achieved.
    pub points: f64,
    /// Applicable maximum for this unit.
    pub max: f64,
    /// Component index in percent; `null` when nothing applies.
    pub index: Option<f64>,
}

/// Points of a leaf criterion.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = LeafScore)]
pub struct LeafDto {
    /// Leaf code.
    #[schema(example = "1.2.1")]
    pub code: String,
    /// Title from the index set.
    pub title: Option<String>,
    /// Points achieved (negative for deductions).
    pub points: f64,
    /// The leaf's maximum in the index set.
    pub max: Option<f64>,
    /// False when the unit declared the leaf not applicable and it left the maximum.
    pub applicable: bool,
    /// The input scored, as `{"kind": "percent", "value": "95.2"}` (decimals as strings, kinds
    /// `yes`, `no`, `not_applicable`, `count`, `ratio`, `percent`, `grade`, `date`, `points`).
    pub input: Option<serde_json::Value>,
}

impl From<&UnitReport> for UnitDetailDto {
    fn from(r: &UnitReport) -> Self {
        let by_code = r.set.as_deref().map(nodes_by_code).unwrap_or_default();
        let title = |c| by_code.get(c).map(|n| n.title.clone());
        UnitDetailDto {
            period: r.period.code.to_string(),
            set: r.set.as_ref().map(|s| s.code.to_string()),
            publication: r.source.publication().map(PublicationDto::from),
            result: row_with_interval(&r.result, r.intervals.as_ref()),
            nodes: r
                .result
                .nodes
                .iter()
                .map(|n| NodeDto {
                    code: n.code.to_string(),
                    title: title(&n.code),
                    level: u32::try_from(n.code.depth()).unwrap_or(u32::MAX),
                    points: json_num(n.points.value()),
                    max: json_num(n.max.value()),
                    index: n.index().map(json_num),
                })
                .collect(),
            leaves: r
                .result
                .leaves
                .iter()
                .map(|l| LeafDto {
                    code: l.code.to_string(),
                    title: title(&l.code),
                    points: json_num(l.points.value()),
                    max: by_code.get(&l.code).map(|n| json_num(n.max.value())),
                    applicable: l.applicable,
                    input: l.input.as_ref().and_then(|v| serde_json::to_value(v).ok()),
                })
                .collect(),
        }
    }
}

/// A unit's results across periods.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = UnitHistory)]
pub struct UnitHistoryDto {
    /// Unit code.
    pub unit: String,
    /// Current name of the unit.
    pub name: String,
    /// One entry per period, oldest first.
    pub entries: Vec<HistoryEntryDto>,
}

/// The unit's result in one period.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = HistoryEntry)]
pub struct HistoryEntryDto {
    /// Period code.
    pub period: String,
    /// Year of the period.
    pub year: Option<i32>,
    /// The result.
    pub result: UnitRowDto,
}

impl From<&UnitHistory> for UnitHistoryDto {
    fn from(h: &UnitHistory) -> Self {
        UnitHistoryDto {
            unit: h.unit.to_string(),
            name: h.name.clone(),
            entries: h.entries.iter().map(HistoryEntryDto::from).collect(),
        }
    }
}

impl From<&HistoryEntry> for HistoryEntryDto {
    fn from(e: &HistoryEntry) -> Self {
        HistoryEntryDto {
            period: e.period.to_string(),
            year: e.year,
            result: UnitRowDto::from(&e.result),
        }
    }
}
