//! Units administration: the list with its filters, one unit with its hierarchy, lineage and
//! history, creating and editing units, mergers and splits (whose rules are the domain's
//! [`reorg`]), and importing a units file (units, lineage and, for a period, its groups) with
//! the same checks on the web page and `chiso import units`.
//!
//! Everything is for those who may manage units, checked first. Refusals of what was asked
//! come together as `unit_refused` (or `units_import_refused`), one problem per mistake, each
//! naming its `field`, so that a form can show them all next to their fields at once.

use std::collections::{BTreeSet, HashMap};

use chiso_domain::authz::{Action, Principal, Resource};
use chiso_domain::reorg::{
    self, KnownUnits, ReorgRequest, Reorganisation, UnitFields, UnitProblem, UnitRule,
};
use chiso_domain::text::{SearchKey, SearchQuery, compare_vi};
use chiso_domain::{
    GroupName, Lineage, LineageKind, PeriodCode, SetCode, Unit, UnitCode, UnitKind,
};
use chiso_store::{Actor, Db, StoreError, index_sets, periods, units};
use time::OffsetDateTime;

pub use chiso_store::units::{LINEAGE_ENTITY, Reorganised};

use crate::records::{AuditEntry, IndexSetSummary, Period};

use crate::authz::authorize;
use crate::codes;
use crate::error::{Detail, Problem, ServiceError, ServiceResult};
use crate::import::{self, UnitsChanges};

/// Import a units file (CSV or XLSX by the file name's extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportUnits {
    /// The file's name as uploaded or given.
    pub file_name: String,
    /// The content.
    pub bytes: Vec<u8>,
    /// The period whose groups the file's `group` column sets; none: units and lineage only.
    pub period: Option<PeriodCode>,
    /// The index set of every group of the file; none: the sets the period already has.
    /// Needs a period.
    pub set: Option<SetCode>,
    /// Create the period (named after its year) when it does not exist yet, instead of
    /// refusing it: the command line has no other way to start a period.
    pub create_period: bool,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitsImportDone {
    /// Units created, updated and unchanged, and new lineage edges.
    pub changes: UnitsChanges,
    /// Units in the file.
    pub units: usize,
    /// Memberships of the period set from the file.
    pub members: usize,
    /// The period whose groups were set.
    pub period: Option<PeriodCode>,
    /// Its groups with the set each uses.
    pub groups: Vec<(GroupName, SetCode)>,
}

fn require(principal: &Principal) -> ServiceResult<()> {
    authorize(principal, Action::ManageUnits, &Resource::System)
}

/// Checks the options of an import without reading the file or writing: `units_import_refused`
/// with one problem per field at fault (`file`, `period`, `set`), the field named first.
pub async fn check_import(db: &Db, cmd: &ImportUnits) -> ServiceResult<()> {
    let mut problems = Vec::new();
    if cmd.file_name.trim().is_empty() || cmd.bytes.is_empty() {
        problems.push(Problem::new(codes::UNITS_FILE_MISSING).arg("field", "file"));
    }
    if let Some(p) = &cmd.period
        && !cmd.create_period
        && periods::get(db, p).await?.is_none()
    {
        problems.push(
            Problem::new(codes::UNITS_UNKNOWN_PERIOD)
                .arg("field", "period")
                .arg("period", p),
        );
    }
    if let Some(s) = &cmd.set {
        if index_sets::get(db, s).await?.is_none() {
            problems.push(
                Problem::new(codes::UNITS_UNKNOWN_SET)
                    .arg("field", "set")
                    .arg("set", s),
            );
        }
        if cmd.period.is_none() {
            problems.push(Problem::new(codes::UNITS_SET_WITHOUT_PERIOD).arg("field", "set"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::new(codes::UNITS_IMPORT_REFUSED)
            .arg("count", problems.len())
            .detail(Detail::Problems(problems)))
    }
}

/// Imports a units file: the options are checked ([`check_import`]), then the file is read
/// (`file_invalid` with every problem and its row and column), compared with the stored units
/// and stored with its lineage and the period's groups ([`import::import_units`], which
/// refuses a file contradicting the database with `units_refused`).
#[tracing::instrument(skip_all, fields(file = %cmd.file_name))]
pub async fn import(
    db: &Db,
    principal: &Principal,
    cmd: &ImportUnits,
    at: OffsetDateTime,
) -> ServiceResult<UnitsImportDone> {
    require(principal)?;
    check_import(db, cmd).await?;
    let file = chiso_formats::read_units_bytes(cmd.file_name.trim(), &cmd.bytes)?;
    let changes = import::units_changes(db, &file).await?;
    let actor = Actor(principal.login.clone());
    let done =
        import::import_units(db, &file, cmd.period.as_ref(), cmd.set.as_ref(), &actor, at).await?;
    Ok(UnitsImportDone {
        changes,
        units: done.units,
        members: if cmd.period.is_some() {
            file.memberships.len()
        } else {
            0
        },
        period: cmd.period.clone(),
        groups: done.groups,
    })
}

/// The periods and index sets an import can name, for the choices of its form.
#[derive(Debug, Clone)]
pub struct ImportChoices {
    /// Every period, newest first as the store lists them.
    pub periods: Vec<Period>,
    /// Every index set.
    pub sets: Vec<IndexSetSummary>,
}

/// What the import form offers to choose from; only for those who may import.
pub async fn import_choices(db: &Db, principal: &Principal) -> ServiceResult<ImportChoices> {
    require(principal)?;
    Ok(ImportChoices {
        periods: periods::list(db).await?,
        sets: index_sets::list(db).await?,
    })
}

// ---- reading and editing units ---------------------------------------------------------

/// Units shown per page of the list.
pub const PAGE_SIZE: usize = 50;

/// Entries of a unit's change history its page shows.
const HISTORY: i64 = 50;

/// Last path segments of the unit administration pages: a unit cannot take one of them as
/// its code, or its page could not be reached, whichever way it was created.
pub const RESERVED_CODES: [&str; 3] = ["them", "nhap-tep", "sap-nhap-chia-tach"];

/// Who may manage units; for adapters that show a form before anything is read.
pub fn require_manage(principal: &Principal) -> ServiceResult<()> {
    require(principal)
}

/// Which units to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitFilter {
    /// Words matched against name and code without diacritics ("da nang" finds "Đà Nẵng").
    pub query: String,
    pub kind: Option<UnitKind>,
    /// Only the direct subordinates of this unit.
    pub parent: Option<UnitCode>,
    /// 1-based page number; beyond the last page, the last page.
    pub page: usize,
}

/// One unit of the list, with what the list shows about its neighbours.
#[derive(Debug, Clone)]
pub struct ListedUnit {
    pub unit: Unit,
    pub parent_name: Option<String>,
    /// Units it continues (merged into it, split from, renamed from).
    pub predecessors: Vec<UnitCode>,
    /// Units continuing it.
    pub successors: Vec<UnitCode>,
}

/// One page of the list.
#[derive(Debug, Clone)]
pub struct UnitListing {
    pub rows: Vec<ListedUnit>,
    /// Units matching the filter, over all pages.
    pub matching: usize,
    /// Units stored.
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    /// Units that have subordinates, for the parent filter, in Vietnamese order.
    pub parents: Vec<(UnitCode, String)>,
}

/// Sorts units by name in Vietnamese order, then by code (two units may share a name).
fn sort_units(units: &mut [Unit]) {
    units.sort_by(|a, b| compare_vi(&a.name, &b.name).then_with(|| a.code.cmp(&b.code)));
}

/// The units matching `filter`, one page of them, in Vietnamese alphabetical order.
///
/// Units are few enough (a province has hundreds, the whole country about 4.000) to be read
/// whole and searched in memory: search folds Vietnamese diacritics and lists follow
/// Vietnamese alphabetical order, which SQL collations do differently on SQLite and PostgreSQL.
#[tracing::instrument(skip_all, fields(query = %filter.query))]
pub async fn list(
    db: &Db,
    principal: &Principal,
    filter: &UnitFilter,
) -> ServiceResult<UnitListing> {
    require(principal)?;
    let all = units::list(db).await?;
    let lineage = units::lineage(db).await?;
    let names: HashMap<&UnitCode, &str> = all.iter().map(|u| (&u.code, u.name.as_str())).collect();
    let parent_codes: BTreeSet<&UnitCode> = all.iter().filter_map(|u| u.parent.as_ref()).collect();
    let mut parents: Vec<(UnitCode, String)> = parent_codes
        .iter()
        .map(|c| {
            let name = names
                .get(c)
                .map_or_else(|| c.to_string(), |n| (*n).to_owned());
            ((*c).clone(), name)
        })
        .collect();
    parents.sort_by(|a, b| compare_vi(&a.1, &b.1).then_with(|| a.0.cmp(&b.0)));

    let query = SearchQuery::new(&filter.query);
    let mut matching: Vec<Unit> = all
        .iter()
        .filter(|u| filter.kind.is_none_or(|k| u.kind == k))
        .filter(|u| filter.parent.is_none() || u.parent == filter.parent)
        .filter(|u| {
            query.is_empty()
                || SearchKey::from_fields([u.name.as_str(), u.code.as_str()]).matches(&query)
        })
        .cloned()
        .collect();
    sort_units(&mut matching);
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
    let page = filter.page.clamp(1, pages);
    let rows = matching
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|u| ListedUnit {
            parent_name: u
                .parent
                .as_ref()
                .and_then(|p| names.get(p))
                .map(|n| (*n).to_owned()),
            predecessors: lineage
                .iter()
                .filter(|l| l.successor == u.code)
                .map(|l| l.predecessor.clone())
                .collect(),
            successors: lineage
                .iter()
                .filter(|l| l.predecessor == u.code)
                .map(|l| l.successor.clone())
                .collect(),
            unit: u.clone(),
        })
        .collect();
    Ok(UnitListing {
        rows,
        matching: matching.len(),
        total: all.len(),
        page,
        pages,
        parents,
    })
}

/// A lineage edge with the name of the unit at its other end.
#[derive(Debug, Clone)]
pub struct Edge {
    pub lineage: Lineage,
    pub other_name: Option<String>,
}

/// Everything known about one unit.
#[derive(Debug, Clone)]
pub struct UnitDetail {
    pub unit: Unit,
    pub parent: Option<Unit>,
    /// Direct subordinates, in Vietnamese order.
    pub children: Vec<Unit>,
    pub predecessors: Vec<Edge>,
    pub successors: Vec<Edge>,
    /// Changes of the unit and of its lineage, newest first (the last [`HISTORY`]).
    pub history: Vec<AuditEntry>,
}

fn not_found(code: &UnitCode) -> ServiceError {
    ServiceError::new(codes::UNIT_NOT_FOUND).arg("unit", code)
}

/// One unit with its hierarchy, lineage and change history; `unit_not_found` when unknown.
#[tracing::instrument(skip_all, fields(unit = %code))]
pub async fn detail(db: &Db, principal: &Principal, code: &UnitCode) -> ServiceResult<UnitDetail> {
    require(principal)?;
    let all = units::list(db).await?;
    let unit = all
        .iter()
        .find(|u| &u.code == code)
        .cloned()
        .ok_or_else(|| not_found(code))?;
    let name_of = |c: &UnitCode| all.iter().find(|u| &u.code == c).map(|u| u.name.clone());
    let parent = unit
        .parent
        .as_ref()
        .and_then(|pc| all.iter().find(|u| &u.code == pc))
        .cloned();
    let mut children: Vec<Unit> = all
        .iter()
        .filter(|u| u.parent.as_ref() == Some(code))
        .cloned()
        .collect();
    sort_units(&mut children);
    let lineage = units::lineage(db).await?;
    let edge = |l: &Lineage, other: &UnitCode| Edge {
        other_name: name_of(other),
        lineage: l.clone(),
    };
    let predecessors = lineage
        .iter()
        .filter(|l| &l.successor == code)
        .map(|l| edge(l, &l.predecessor))
        .collect();
    let successors = lineage
        .iter()
        .filter(|l| &l.predecessor == code)
        .map(|l| edge(l, &l.successor))
        .collect();
    let history = units::history(db, code, HISTORY).await?;
    Ok(UnitDetail {
        unit,
        parent,
        children,
        predecessors,
        successors,
        history,
    })
}

/// The code and arguments of a broken rule of the unit tree; the `field` argument first.
pub fn rule_problem(p: &UnitProblem) -> Problem {
    let base = |code| Problem::new(code).arg("field", p.field);
    match &p.rule {
        UnitRule::CodeRequired => base(codes::UNIT_CODE_REQUIRED),
        UnitRule::CodeReserved(c) => base(codes::UNIT_CODE_RESERVED).arg("code", c),
        UnitRule::CodeTaken(c) => base(codes::UNIT_CODE_TAKEN).arg("code", c),
        UnitRule::UnknownUnit(c) => base(codes::UNIT_UNKNOWN).arg("code", c),
        UnitRule::NameRequired => base(codes::UNIT_NAME_REQUIRED),
        UnitRule::NameTooLong { max } => base(codes::UNIT_NAME_TOO_LONG).arg("max", max),
        UnitRule::KindRequired => base(codes::UNIT_KIND_REQUIRED),
        UnitRule::ParentSelf => base(codes::UNIT_PARENT_SELF),
        UnitRule::ParentCycle(c) => base(codes::UNIT_PARENT_CYCLE).arg("parent", c),
        UnitRule::DatesReversed => base(codes::UNIT_DATES_REVERSED),
        UnitRule::EffectiveRequired => base(codes::REORG_EFFECTIVE_REQUIRED),
        UnitRule::BasisTooLong { max } => base(codes::REORG_BASIS_TOO_LONG).arg("max", max),
        UnitRule::SplitNeedsPredecessor => base(codes::REORG_SPLIT_NEEDS_PREDECESSOR),
        UnitRule::SplitNeedsTwo => base(codes::REORG_SPLIT_NEEDS_TWO),
        UnitRule::MergerNeedsTwo => base(codes::REORG_MERGER_NEEDS_TWO),
        UnitRule::MergerNeedsOther => base(codes::REORG_MERGER_NEEDS_OTHER),
        UnitRule::MergerNeedsSuccessor => base(codes::REORG_MERGER_NEEDS_SUCCESSOR),
        UnitRule::MergerTargetRequired => base(codes::REORG_MERGER_TARGET_REQUIRED),
        UnitRule::LineageExists { from, to } => base(codes::REORG_LINEAGE_EXISTS)
            .arg("from", from)
            .arg("to", to),
    }
}

/// `unit_refused` carrying every problem.
fn refused(problems: Vec<Problem>) -> ServiceError {
    ServiceError::new(codes::UNIT_REFUSED)
        .arg("count", problems.len())
        .detail(Detail::Problems(problems))
}

fn refused_by(problems: &[UnitProblem]) -> ServiceError {
    refused(problems.iter().map(rule_problem).collect())
}

async fn known_units(db: &Db) -> ServiceResult<KnownUnits> {
    Ok(units::list(db)
        .await?
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect())
}

/// Checks a new unit without writing: `unit_refused` with every problem.
pub async fn check_create(
    db: &Db,
    principal: &Principal,
    fields: &UnitFields,
) -> ServiceResult<Unit> {
    require(principal)?;
    let known = known_units(db).await?;
    reorg::check_unit(fields, None, &known, &RESERVED_CODES).map_err(|p| refused_by(&p))
}

/// Creates a unit; returns its code. `unit_refused` with every problem of the fields.
#[tracing::instrument(skip_all)]
pub async fn create(
    db: &Db,
    principal: &Principal,
    fields: &UnitFields,
    at: OffsetDateTime,
) -> ServiceResult<UnitCode> {
    let unit = check_create(db, principal, fields).await?;
    match units::create(db, &unit, &Actor(principal.login.clone()), at).await {
        Ok(()) => Ok(unit.code),
        // Another administrator created the same code a moment ago.
        Err(StoreError::Conflict(_)) => Err(refused(vec![
            Problem::new(codes::UNIT_CODE_TAKEN)
                .arg("field", "code")
                .arg("code", &unit.code),
        ])),
        Err(e) => Err(e.into()),
    }
}

/// Checks the new fields of the stored unit `code` without writing: `unit_not_found`, or
/// `unit_refused` with every problem.
pub async fn check_update(
    db: &Db,
    principal: &Principal,
    code: &UnitCode,
    fields: &UnitFields,
) -> ServiceResult<Unit> {
    require(principal)?;
    let known = known_units(db).await?;
    if !known.contains_key(code) {
        return Err(not_found(code));
    }
    reorg::check_unit(fields, Some(code), &known, &RESERVED_CODES).map_err(|p| refused_by(&p))
}

/// Saves new fields of the stored unit `code` (its code never changes); false when nothing
/// changed, and then nothing is recorded.
#[tracing::instrument(skip_all, fields(unit = %code))]
pub async fn update(
    db: &Db,
    principal: &Principal,
    code: &UnitCode,
    fields: &UnitFields,
    at: OffsetDateTime,
) -> ServiceResult<bool> {
    let unit = check_update(db, principal, code, fields).await?;
    match units::update(db, &unit, &Actor(principal.login.clone()), at).await {
        Ok(changed) => Ok(changed),
        Err(StoreError::NotFound(_)) => Err(not_found(code)),
        Err(e) => Err(e.into()),
    }
}

/// Checks a merger or a split without writing ([`reorg::check_reorganisation`] against the
/// stored units and lineage): `unit_refused` with every problem.
pub async fn check_reorganise(
    db: &Db,
    principal: &Principal,
    req: &ReorgRequest,
) -> ServiceResult<Reorganisation> {
    require(principal)?;
    let known = known_units(db).await?;
    let lineage = units::lineage(db).await?;
    reorg::check_reorganisation(req, &known, &lineage, &RESERVED_CODES).map_err(|p| refused_by(&p))
}

/// What a recorded reorganisation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReorgDone {
    /// The unit whose page shows it: the successor of a merger, the unit split.
    pub shown: UnitCode,
    /// Edges written, units created and units that ceased.
    pub changes: Reorganised,
}

/// Records a merger or a split: the units it founds are created, one lineage edge per
/// predecessor and successor is written, and merged units cease the day before it takes
/// effect, all in one transaction and audited with the decision as reason. Recorded by
/// someone else a moment before: `unit_refused` with `reorg_recorded_meanwhile`.
#[tracing::instrument(skip_all)]
pub async fn reorganise(
    db: &Db,
    principal: &Principal,
    req: &ReorgRequest,
    at: OffsetDateTime,
) -> ServiceResult<ReorgDone> {
    let r = check_reorganise(db, principal, req).await?;
    let record = units::Reorganisation {
        kind: r.kind,
        predecessors: r.predecessors.clone(),
        successors: r.successors.clone(),
        new_units: r.new_units.clone(),
        effective: r.effective,
        basis: r.basis.clone(),
    };
    match units::record_reorganisation(db, &record, &Actor(principal.login.clone()), at).await {
        Ok(changes) => Ok(ReorgDone {
            shown: r.shown().clone(),
            changes,
        }),
        Err(e @ (StoreError::Conflict(_) | StoreError::NotFound(_))) => {
            tracing::info!(error = %e, "reorganisation changed meanwhile");
            let field = if r.kind == LineageKind::Split {
                "successors"
            } else {
                "predecessors"
            };
            Err(refused(vec![
                Problem::new(codes::REORG_RECORDED_MEANWHILE).arg("field", field),
            ]))
        }
        Err(e) => Err(e.into()),
    }
}
