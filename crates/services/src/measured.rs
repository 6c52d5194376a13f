//! Survey and monitoring-data values entered in the app: until surveys and monitoring feed
//! them automatically, the administrator, or an appraiser within their assigned units and
//! areas, types the values of `survey` and `data` leaves per unit ([`save_measured`]) or
//! imports a scores file — the formats of `chiso import scores` — after seeing every change and
//! every problem it would bring ([`preview_measured`], then [`commit_measured`]).
//!
//! Every way writes through the path of the scores import ([`crate::import`]): the values,
//! one audit entry per change (who, when, old → new, why) and the recomputed results in one
//! transaction, refused as a whole when a unit is approved or the period published.

use std::collections::{BTreeMap, BTreeSet};

use chiso_domain::authz::{self, Action, Principal, Resource};
use chiso_domain::number::{NumberError, TypedError, vi_input};
use chiso_domain::{
    AssessmentState, GroupName, IndexSet, Node, NodeCode, PeriodCode, Points, RawValue, SetCode,
    Source, UnitCode,
};
use chiso_formats::ImportError;
use chiso_store::periods::Period;
use chiso_store::scores::{ScoreChange, StoredScore};
use chiso_store::{Actor, Db, assessments, index_sets, periods, scores, units};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::authz::authorize;
use crate::codes;
use crate::error::{Detail, Problem, ServiceError, ServiceResult};
use crate::import::{self, ScoresImported};

/// Whether a leaf's points come from surveys or monitoring data (not from the unit).
fn is_measured(node: &Node) -> bool {
    matches!(node.source, Source::Survey | Source::Data) && node.method.is_some()
}

fn leaf_resource(period: &PeriodCode, unit: &UnitCode, node: &NodeCode) -> Resource {
    Resource::Leaf {
        period: period.clone(),
        unit: unit.clone(),
        node: node.clone(),
    }
}

/// Refuses, before anything is read, a person whose roles cannot enter survey or data values
/// in `period` at all (no role, a unit's role, another period). An appraiser passes here
/// and is checked on each unit and leaf afterwards.
pub fn require_enter(p: &Principal, period: &PeriodCode) -> ServiceResult<()> {
    match authz::check(p, Action::EnterMeasured, &Resource::Period(period.clone())) {
        // Only the unit is missing: the role enters values of some units.
        Ok(()) | Err(authz::Denied::NoUnit) => Ok(()),
        Err(d) => Err(d.into()),
    }
}

/// What a period holds for its survey and data leaves, read once per request.
struct Context {
    period: Period,
    /// Groups in the period's order, each with its set.
    groups: Vec<(GroupName, SetCode)>,
    sets: BTreeMap<SetCode, IndexSet>,
    /// Units taking part, with their group, in the period's order.
    members: Vec<(UnitCode, GroupName)>,
    names: BTreeMap<UnitCode, String>,
    stored: BTreeMap<(UnitCode, NodeCode), StoredScore>,
    approved: BTreeSet<UnitCode>,
}

impl Context {
    async fn load(db: &Db, code: &PeriodCode) -> ServiceResult<Self> {
        let period = periods::get(db, code)
            .await?
            .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", code))?;
        let groups = periods::groups(db, code).await?;
        let mut sets = BTreeMap::new();
        for (_, set) in &groups {
            if !sets.contains_key(set) {
                let s = index_sets::get(db, set)
                    .await?
                    .ok_or_else(|| ServiceError::new(codes::SET_NOT_FOUND).arg("set", set))?;
                sets.insert(set.clone(), s);
            }
        }
        let members = periods::members(db, code)
            .await?
            .into_iter()
            .map(|m| (m.unit, m.group))
            .collect();
        let names = units::list(db)
            .await?
            .into_iter()
            .map(|u| (u.code, u.name))
            .collect();
        let stored = scores::list(db, code)
            .await?
            .into_iter()
            .map(|s| ((s.unit.clone(), s.node.clone()), s))
            .collect();
        let approved = assessments::list(db, code)
            .await?
            .into_iter()
            .filter(|a| a.state == AssessmentState::Finalised)
            .map(|a| a.unit)
            .collect();
        Ok(Context {
            period,
            groups,
            sets,
            members,
            names,
            stored,
            approved,
        })
    }

    fn code(&self) -> &PeriodCode {
        &self.period.code
    }

    fn published(&self) -> bool {
        self.period.status == periods::STATUS_PUBLISHED
    }

    fn set_of_group(&self, group: &GroupName) -> Option<&IndexSet> {
        let code = self
            .groups
            .iter()
            .find(|(g, _)| g == group)
            .map(|(_, s)| s)?;
        self.sets.get(code)
    }

    fn set_of_unit(&self, unit: &UnitCode) -> Option<&IndexSet> {
        let group = self
            .members
            .iter()
            .find(|(u, _)| u == unit)
            .map(|(_, g)| g)?;
        self.set_of_group(group)
    }

    /// The survey or data leaf `node` of the unit's set, if it is one.
    fn leaf(&self, unit: &UnitCode, node: &NodeCode) -> Option<&Node> {
        self.set_of_unit(unit)?
            .find(node)
            .filter(|n| is_measured(n))
    }

    fn may(&self, p: &Principal, unit: &UnitCode, node: &NodeCode) -> bool {
        authz::can(
            p,
            Action::EnterMeasured,
            &leaf_resource(self.code(), unit, node),
        )
    }

    /// Every (unit, survey or data leaf) of the period.
    fn cells(&self) -> Vec<(&UnitCode, &Node)> {
        let mut out = Vec::new();
        for (unit, group) in &self.members {
            if let Some(set) = self.set_of_group(group) {
                for n in set.leaves().into_iter().filter(|n| is_measured(n)) {
                    out.push((unit, n));
                }
            }
        }
        out
    }

    /// Allows the person when they may enter at least one value of the period; otherwise
    /// refuses with the reason the first value gives (or the period's, without any).
    fn gate(&self, p: &Principal) -> ServiceResult<()> {
        require_enter(p, self.code())?;
        let cells = self.cells();
        if cells.iter().any(|(u, n)| self.may(p, u, &n.code)) {
            return Ok(());
        }
        match cells.first() {
            Some((u, n)) => authorize(
                p,
                Action::EnterMeasured,
                &leaf_resource(self.code(), u, &n.code),
            ),
            None => authorize(
                p,
                Action::EnterMeasured,
                &Resource::Period(self.code().clone()),
            ),
        }
    }

    fn refuse_published(&self) -> ServiceResult<()> {
        if self.published() {
            Err(ServiceError::new(codes::PERIOD_PUBLISHED).arg("period", self.code()))
        } else {
            Ok(())
        }
    }

    fn stored(&self, unit: &UnitCode, node: &NodeCode) -> Option<&StoredScore> {
        self.stored.get(&(unit.clone(), node.clone()))
    }

    fn version(&self, unit: &UnitCode, node: &NodeCode) -> i64 {
        self.stored(unit, node).map_or(0, |s| s.version)
    }
}

/// A survey or data leaf: one column of the sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetLeaf {
    pub code: NodeCode,
    pub title: String,
    pub source: Source,
    pub max: Points,
}

/// The value of one unit for one leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetCell {
    pub node: NodeCode,
    /// The value as stored (the input the points were computed from).
    pub input: Option<RawValue>,
    pub points: Option<Points>,
    /// The stored version (0: no value yet), sent back with a change.
    pub version: i64,
    /// Who last changed it, and when.
    pub changed: Option<(String, OffsetDateTime)>,
    /// Whether the person may change it now (in scope, unit not approved, period open).
    pub editable: bool,
}

/// One unit of a group, with a cell per leaf of the group (`None`: outside the person's
/// assigned areas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    pub unit: UnitCode,
    pub name: String,
    /// The council approved the unit's assessment: its values are locked.
    pub approved: bool,
    pub cells: Vec<Option<SheetCell>>,
}

/// The units of one group and the survey and data leaves of the group's set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetGroup {
    pub group: GroupName,
    pub set: SetCode,
    pub leaves: Vec<SheetLeaf>,
    pub rows: Vec<SheetRow>,
}

/// The grid of survey and data values of a period the person may enter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub period: Period,
    /// The period is published: every value is locked.
    pub published: bool,
    /// Groups with at least one unit the person may enter values of.
    pub groups: Vec<SheetGroup>,
}

/// The units × survey and data leaves of `period` the person may enter, with the stored
/// values, their versions and last change. Refused (`denied_*`) for people who may enter
/// none.
pub async fn sheet(db: &Db, p: &Principal, period: &PeriodCode) -> ServiceResult<Sheet> {
    let ctx = Context::load(db, period).await?;
    ctx.gate(p)?;
    let published = ctx.published();
    let mut groups = Vec::new();
    for (group, set_code) in &ctx.groups {
        let Some(set) = ctx.sets.get(set_code) else {
            continue;
        };
        let leaves: Vec<&Node> = set
            .leaves()
            .into_iter()
            .filter(|n| is_measured(n))
            .collect();
        if leaves.is_empty() {
            continue;
        }
        let mut rows = Vec::new();
        for (unit, _) in ctx.members.iter().filter(|(_, g)| g == group) {
            let approved = ctx.approved.contains(unit);
            let cells: Vec<Option<SheetCell>> = leaves
                .iter()
                .map(|n| {
                    ctx.may(p, unit, &n.code).then(|| {
                        let s = ctx.stored(unit, &n.code);
                        SheetCell {
                            node: n.code.clone(),
                            input: s.and_then(|s| s.input.clone()),
                            points: s.and_then(|s| s.points),
                            version: s.map_or(0, |s| s.version),
                            changed: s.map(|s| (s.updated_by.clone(), s.updated_at)),
                            editable: !approved && !published,
                        }
                    })
                })
                .collect();
            if cells.iter().any(Option::is_some) {
                rows.push(SheetRow {
                    unit: unit.clone(),
                    name: ctx.names.get(unit).cloned().unwrap_or_default(),
                    approved,
                    cells,
                });
            }
        }
        if rows.is_empty() {
            continue;
        }
        groups.push(SheetGroup {
            group: group.clone(),
            set: set_code.clone(),
            leaves: leaves
                .iter()
                .map(|n| SheetLeaf {
                    code: n.code.clone(),
                    title: n.title.clone(),
                    source: n.source,
                    max: n.max,
                })
                .collect(),
            rows,
        });
    }
    Ok(Sheet {
        period: ctx.period,
        published,
        groups,
    })
}

/// One value as typed in the sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasuredValue {
    pub unit: UnitCode,
    pub node: NodeCode,
    /// As typed, read by the leaf's method ("4,5", "95 %", "45/47"); blank removes the value.
    pub value: String,
    /// The version the value was shown at (0: none stored).
    pub expected_version: i64,
}

/// Saving typed values of one or several units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveMeasured {
    pub period: PeriodCode,
    /// Every value of the form; those equal to what is stored change nothing.
    pub values: Vec<MeasuredValue>,
    /// Why, for the audit log; blank: "Nhập điểm điều tra, số liệu".
    pub reason: String,
}

/// The reason the audit log keeps for values typed in the sheet without one.
pub const TYPED_REASON: &str = "Nhập điểm điều tra, số liệu";

/// The refusal of a number typed for `node` of `unit`.
fn number_problem(unit: &UnitCode, node: &NodeCode, e: &NumberError) -> Problem {
    let p = |code| Problem::new(code).arg("unit", unit).arg("node", node);
    match e {
        NumberError::NotANumber(v) => p(codes::MEASURED_NOT_A_NUMBER).arg("value", v),
        NumberError::NotWhole(v) => p(codes::MEASURED_NOT_WHOLE).arg("value", v),
        NumberError::Ambiguous {
            typed,
            thousands,
            decimal,
        } => p(codes::MEASURED_AMBIGUOUS_NUMBER)
            .arg("value", typed)
            .arg("thousands", vi_input(*thousands))
            .arg("decimal", vi_input(*decimal)),
    }
}

/// Reads `value` for `leaf`: `Ok(None)` when blank, the input and its points otherwise.
fn read_value(
    unit: &UnitCode,
    leaf: &Node,
    value: &str,
) -> Result<Option<(RawValue, Option<Points>)>, Problem> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let Some(method) = leaf.method.as_ref() else {
        return Err(Problem::new(codes::MEASURED_LEAF_UNKNOWN)
            .arg("unit", unit)
            .arg("node", &leaf.code));
    };
    let invalid = |e: chiso_domain::InputError| {
        Problem::new(codes::MEASURED_VALUE_INVALID)
            .arg("unit", unit)
            .arg("node", &leaf.code)
            .arg("value", value)
            .arg("detail", e)
    };
    let raw = chiso_domain::number::parse_typed(method, value).map_err(|e| match e {
        TypedError::Number(e) => number_problem(unit, &leaf.code, &e),
        TypedError::Input(e) => invalid(e),
    })?;
    let outcome = method
        .score(leaf.max, leaf.source, leaf.not_applicable, &raw)
        .map_err(invalid)?;
    Ok(Some((raw, Some(outcome.points))))
}

/// Saves typed survey and data values, all or nothing:
/// - `denied_*` when a value is outside the person's units or areas;
/// - `period_published` when the period is published, `units_approved` when a changed value
///   belongs to an approved unit;
/// - `measured_refused` with every refused value in the details, each naming its unit and
///   leaf: not a number, above the leaf's maximum, not a survey or data leaf of the unit, or
///   changed by someone else since the page was shown (`measured_stale`).
///
/// Values equal to the stored ones are left alone; the others are written with one audit
/// entry each and the recomputed results, in one transaction. Returns how many changed.
#[tracing::instrument(skip_all, fields(period = %cmd.period, values = cmd.values.len()))]
pub async fn save_measured(
    db: &Db,
    p: &Principal,
    cmd: &SaveMeasured,
    at: OffsetDateTime,
) -> ServiceResult<ScoresImported> {
    let ctx = Context::load(db, &cmd.period).await?;
    ctx.gate(p)?;
    for v in &cmd.values {
        authorize(
            p,
            Action::EnterMeasured,
            &leaf_resource(&cmd.period, &v.unit, &v.node),
        )?;
    }
    ctx.refuse_published()?;
    let mut problems = Vec::new();
    let mut changes = Vec::new();
    for v in &cmd.values {
        let Some(leaf) = ctx.leaf(&v.unit, &v.node) else {
            problems.push(
                Problem::new(codes::MEASURED_LEAF_UNKNOWN)
                    .arg("unit", &v.unit)
                    .arg("node", &v.node),
            );
            continue;
        };
        let read = match read_value(&v.unit, leaf, &v.value) {
            Ok(r) => r,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let stored = ctx.stored(&v.unit, &v.node);
        let (input, points) = match read {
            Some((raw, points)) => (Some(raw), points),
            None => (None, None),
        };
        if stored.and_then(|s| s.input.as_ref()) == input.as_ref() {
            continue;
        }
        let current = ctx.version(&v.unit, &v.node);
        if current != v.expected_version {
            let (by, when) = stored.map_or_else(Default::default, |s| {
                (
                    s.updated_by.clone(),
                    crate::review::vi_datetime(s.updated_at),
                )
            });
            problems.push(
                Problem::new(codes::MEASURED_STALE)
                    .arg("unit", &v.unit)
                    .arg("node", &v.node)
                    .arg("by", by)
                    .arg("at", when)
                    .arg("current", current),
            );
            continue;
        }
        changes.push(ScoreChange {
            unit: v.unit.clone(),
            node: v.node.clone(),
            input,
            points,
            note: stored.and_then(|s| s.note.clone()),
            expected_version: Some(current),
        });
    }
    if !problems.is_empty() {
        return Err(ServiceError::new(codes::MEASURED_REFUSED)
            .arg("count", problems.len())
            .detail(Detail::Problems(problems)));
    }
    let reason = match cmd.reason.trim() {
        "" => TYPED_REASON.to_owned(),
        r => r.to_owned(),
    };
    write(db, &ctx, p, &changes, at, &reason).await
}

/// Writes checked changes through the scores import's path; a value changed meanwhile
/// (the store's version check) is `measured_changed_meanwhile`.
async fn write(
    db: &Db,
    ctx: &Context,
    p: &Principal,
    changes: &[ScoreChange],
    at: OffsetDateTime,
    reason: &str,
) -> ServiceResult<ScoresImported> {
    if changes.is_empty() {
        return Ok(ScoresImported {
            values: 0,
            changed: 0,
            units: 0,
        });
    }
    let actor = Actor(p.login.clone());
    import::write_scores(db, ctx.code(), changes, &actor, at, reason)
        .await
        .map_err(|e| {
            if e.is(codes::CONFLICT) {
                ServiceError::new(codes::MEASURED_CHANGED_MEANWHILE).arg("period", ctx.code())
            } else {
                e
            }
        })
}

/// One value a file would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewChange {
    pub unit: UnitCode,
    pub unit_name: String,
    pub node: NodeCode,
    pub title: String,
    pub max: Points,
    /// What is stored now (`None`: no value).
    pub old_input: Option<RawValue>,
    pub old_points: Option<Points>,
    /// What the file brings.
    pub new_input: Option<RawValue>,
    pub new_points: Option<Points>,
}

/// A problem of a previewed file: one of its cells (row, column), or one of its values
/// (unit, leaf) refused by the checks against the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewProblem {
    File(ImportError),
    Value {
        unit: UnitCode,
        node: NodeCode,
        problem: Problem,
    },
}

/// What importing a file would do, computed without writing anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasuredPreview {
    pub period: PeriodCode,
    pub file_name: String,
    /// Values that differ from the stored ones, in file order.
    pub changes: Vec<PreviewChange>,
    /// Values equal to the stored ones.
    pub unchanged: usize,
    /// Every problem; a file with any is not imported.
    pub problems: Vec<PreviewProblem>,
    /// Names this file, this period and the stored versions of the values it changes:
    /// [`commit_measured`] writes only when it is still the same.
    pub digest: String,
}

/// A preview with the score changes to write.
struct Planned {
    preview: MeasuredPreview,
    changes: Vec<ScoreChange>,
}

/// Reads an uploaded scores file against the period and lists every change (unit, leaf,
/// old → new) and every problem (row and column of the file, or the unit and leaf refused:
/// not a survey or data leaf, outside the person's scope, an approved unit), writing
/// nothing. Refused as a whole (an error, not a problem) when the file is missing or too
/// large, the period is published, or the person may enter no value of the period.
#[tracing::instrument(skip_all, fields(period = %period, file = %file_name))]
pub async fn preview_measured(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    file_name: &str,
    bytes: &[u8],
) -> ServiceResult<MeasuredPreview> {
    Ok(plan(db, p, period, file_name, bytes).await?.0.preview)
}

async fn plan(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    file_name: &str,
    bytes: &[u8],
) -> ServiceResult<(Planned, Context)> {
    require_enter(p, period)?;
    let ctx = Context::load(db, period).await?;
    ctx.gate(p)?;
    let file_name = file_name.trim();
    if file_name.is_empty() || bytes.is_empty() {
        return Err(ServiceError::new(codes::SCORES_FILE_MISSING));
    }
    if bytes.len() > chiso_formats::limits::MAX_FILE_BYTES {
        return Err(ServiceError::new(codes::FILE_TOO_LARGE)
            .arg("file", file_name)
            .arg("limit", chiso_formats::limits::MAX_FILE_BYTES));
    }
    ctx.refuse_published()?;
    let mut problems = Vec::new();
    let read = match import::scores_for_period_bytes(db, period, file_name, bytes).await {
        Ok(read) => read,
        Err(e) => match e.details() {
            Some(Detail::Import(errors)) => {
                problems.extend(errors.errors().iter().cloned().map(PreviewProblem::File));
                Vec::new()
            }
            _ => return Err(e),
        },
    };
    let mut changes = Vec::new();
    let mut shown = Vec::new();
    let mut unchanged = 0;
    let mut hasher = Sha256::new();
    for part in [b"chiso-measured".as_slice(), period.as_str().as_bytes()] {
        hasher.update(part);
        hasher.update([0]);
    }
    hasher.update(file_name.as_bytes());
    hasher.update([0]);
    hasher.update(bytes);
    for c in read {
        let refuse = |problem: Problem| PreviewProblem::Value {
            unit: c.unit.clone(),
            node: c.node.clone(),
            problem,
        };
        // The council's approval locks every value of the unit, whatever the file brings.
        if ctx.approved.contains(&c.unit) {
            problems.push(refuse(
                Problem::new(codes::MEASURED_UNIT_APPROVED)
                    .arg("unit", &c.unit)
                    .arg("node", &c.node),
            ));
            continue;
        }
        let Some(leaf) = ctx.leaf(&c.unit, &c.node) else {
            problems.push(refuse(
                Problem::new(codes::SCORES_LEAF_NOT_MEASURED)
                    .arg("unit", &c.unit)
                    .arg("node", &c.node),
            ));
            continue;
        };
        if let Err(d) = authz::check(
            p,
            Action::EnterMeasured,
            &leaf_resource(period, &c.unit, &c.node),
        ) {
            let e = ServiceError::from(d);
            let mut problem = Problem::new(e.code())
                .arg("unit", &c.unit)
                .arg("node", &c.node);
            problem.args.extend(e.args().iter().cloned());
            problems.push(refuse(problem));
            continue;
        }
        let stored = ctx.stored(&c.unit, &c.node);
        let version = stored.map_or(0, |s| s.version);
        hasher.update(format!("\n{}\t{}\t{version}", c.unit, c.node).as_bytes());
        let same = stored.is_some_and(|s| {
            s.input == c.input && s.points == c.points && (c.note.is_none() || c.note == s.note)
        });
        if same {
            unchanged += 1;
            continue;
        }
        shown.push(PreviewChange {
            unit: c.unit.clone(),
            unit_name: ctx.names.get(&c.unit).cloned().unwrap_or_default(),
            node: c.node.clone(),
            title: leaf.title.clone(),
            max: leaf.max,
            old_input: stored.and_then(|s| s.input.clone()),
            old_points: stored.and_then(|s| s.points),
            new_input: c.input.clone(),
            new_points: c.points,
        });
        changes.push(ScoreChange {
            note: c
                .note
                .clone()
                .or_else(|| stored.and_then(|s| s.note.clone())),
            expected_version: Some(version),
            ..c
        });
    }
    let digest = hex::encode(hasher.finalize());
    let preview = MeasuredPreview {
        period: period.clone(),
        file_name: file_name.to_owned(),
        changes: shown,
        unchanged,
        problems,
        digest,
    };
    Ok((Planned { preview, changes }, ctx))
}

/// Importing a previewed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitMeasured {
    pub period: PeriodCode,
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// The [`MeasuredPreview::digest`] the person confirmed.
    pub digest: String,
}

/// Imports a previewed file: checked again, and written only when the file, the period and
/// the stored values it changes are those of the preview (`measured_preview_stale`
/// otherwise) and it has no problem (`measured_preview_problems`).
#[tracing::instrument(skip_all, fields(period = %cmd.period, file = %cmd.file_name))]
pub async fn commit_measured(
    db: &Db,
    p: &Principal,
    cmd: &CommitMeasured,
    at: OffsetDateTime,
) -> ServiceResult<ScoresImported> {
    let (planned, ctx) = plan(db, p, &cmd.period, &cmd.file_name, &cmd.bytes).await?;
    if planned.preview.digest != cmd.digest.trim() {
        return Err(ServiceError::new(codes::MEASURED_PREVIEW_STALE).arg("period", &cmd.period));
    }
    if !planned.preview.problems.is_empty() {
        return Err(ServiceError::new(codes::MEASURED_PREVIEW_PROBLEMS)
            .arg("count", planned.preview.problems.len()));
    }
    let reason = format!("Nhập tệp {}", planned.preview.file_name);
    write(db, &ctx, p, &planned.changes, at, &reason).await
}

/// The API's import of a scores file in one step, with the checks of the preview: refused
/// as a whole with the file's problems (`file_invalid`, each with its row and column) or
/// the values refused (`scores_only_measured`, `units_approved`, `denied_*`).
pub(crate) async fn import_now(
    db: &Db,
    p: &Principal,
    period: &PeriodCode,
    file_name: &str,
    bytes: &[u8],
    at: OffsetDateTime,
) -> ServiceResult<ScoresImported> {
    let (planned, ctx) = plan(db, p, period, file_name, bytes).await?;
    let mut file = Vec::new();
    let mut approved: Vec<&UnitCode> = Vec::new();
    let mut values = Vec::new();
    for pr in &planned.preview.problems {
        match pr {
            PreviewProblem::File(e) => file.push(e.clone()),
            PreviewProblem::Value { problem, .. }
                if problem.code.kind() == crate::Kind::Forbidden =>
            {
                let mut e = ServiceError::new(problem.code);
                for (k, v) in &problem.args {
                    e = e.arg(k, v);
                }
                return Err(e);
            }
            PreviewProblem::Value { unit, problem, .. }
                if problem.code == codes::MEASURED_UNIT_APPROVED =>
            {
                if !approved.contains(&unit) {
                    approved.push(unit);
                }
            }
            PreviewProblem::Value { problem, .. } => values.push(problem.clone()),
        }
    }
    if !file.is_empty() {
        return Err(chiso_formats::ImportErrors(file).into());
    }
    if !approved.is_empty() {
        approved.sort();
        return Err(ServiceError::new(codes::UNITS_APPROVED)
            .arg("period", period)
            .arg("units", import::list_some(&approved))
            .arg("count", approved.len()));
    }
    if !values.is_empty() {
        return Err(ServiceError::new(codes::SCORES_ONLY_MEASURED)
            .arg("count", values.len())
            .detail(Detail::Problems(values)));
    }
    let reason = format!("Nhập tệp {}", planned.preview.file_name);
    let actor = Actor(p.login.clone());
    let mut done =
        import::write_scores(db, ctx.code(), &planned.changes, &actor, at, &reason).await?;
    done.values = planned.changes.len() + planned.preview.unchanged;
    Ok(done)
}
