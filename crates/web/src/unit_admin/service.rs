//! The unit administration service: every read and write of the unit pages goes through here,
//! checked against [`Action::ManageUnits`] before anything else, so no page can forget it.
//!
//! Units are few enough (a province has hundreds, the whole country about 4.000) to be read
//! whole and searched in memory: search folds Vietnamese diacritics ("da nang" finds
//! "Đà Nẵng") and lists follow Vietnamese alphabetical order, neither of which SQL collations
//! do the same way on SQLite and PostgreSQL.

use std::collections::{BTreeSet, HashMap};

use chiso_domain::authz::{Action, Principal, Resource};
use chiso_domain::fmt::parse_date;
use chiso_domain::text::{SearchKey, SearchQuery, compare_vi};
use chiso_domain::{
    GroupName, IdError, Lineage, LineageKind, PeriodCode, SetCode, Unit, UnitCode, UnitKind,
};
use chiso_services::import::UnitsChanges;
use chiso_store::audit::AuditEntry;
use chiso_store::units::{self, Reorganisation, Reorganised};
use chiso_store::{Actor, Db, StoreError};
use time::{Date, OffsetDateTime};

use super::form::{FieldError, Refusal, in_form_order, split_list};
use crate::AppError;
use crate::error::FormError;

/// Units shown per page of the list.
pub(crate) const PAGE_SIZE: usize = 50;

/// Longest unit name accepted.
const MAX_NAME: usize = 200;

/// Longest decision reference accepted for a reorganisation.
const MAX_BASIS: usize = 500;

/// Entries of a unit's change history shown on its page.
const HISTORY: i64 = 50;

/// Last path segments of the unit administration that are pages, not unit codes: a unit
/// cannot be created with one of them as its code, or its page could not be reached.
pub(crate) const RESERVED: [&str; 3] = ["them", "nhap-tep", "sap-nhap-chia-tach"];

/// Refuses anyone who may not manage units.
pub(crate) fn require(p: &Principal) -> Result<(), AppError> {
    Ok(chiso_services::authz::authorize(
        p,
        Action::ManageUnits,
        &Resource::System,
    )?)
}

fn actor(p: &Principal) -> Actor {
    Actor(p.login.clone())
}

/// Which units to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UnitFilter {
    /// Words typed in the search box, matched against name and code without diacritics.
    pub query: String,
    pub kind: Option<UnitKind>,
    /// Only the direct subordinates of this unit.
    pub parent: Option<UnitCode>,
    /// 1-based page number; beyond the last page, the last page.
    pub page: usize,
}

/// One unit of the list, with what the list shows about its neighbours.
#[derive(Debug, Clone)]
pub(crate) struct ListedUnit {
    pub unit: Unit,
    pub parent_name: Option<String>,
    /// Units it continues (merged into it, split from, renamed from).
    pub predecessors: Vec<UnitCode>,
    /// Units continuing it.
    pub successors: Vec<UnitCode>,
}

/// One page of the list.
#[derive(Debug, Clone)]
pub(crate) struct UnitListing {
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
#[tracing::instrument(skip_all, fields(query = %filter.query))]
pub(crate) async fn list_units(
    db: &Db,
    p: &Principal,
    filter: &UnitFilter,
) -> Result<UnitListing, AppError> {
    require(p)?;
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
pub(crate) struct Edge {
    pub lineage: Lineage,
    pub other_name: Option<String>,
}

/// Everything the page of one unit shows.
#[derive(Debug, Clone)]
pub(crate) struct UnitDetail {
    pub unit: Unit,
    pub parent: Option<Unit>,
    /// Direct subordinates, in Vietnamese order.
    pub children: Vec<Unit>,
    pub predecessors: Vec<Edge>,
    pub successors: Vec<Edge>,
    /// Changes of the unit and of its lineage, newest first.
    pub history: Vec<AuditEntry>,
}

/// One unit with its hierarchy, lineage and change history; 404 when unknown.
#[tracing::instrument(skip_all, fields(unit = %code))]
pub(crate) async fn unit_detail(
    db: &Db,
    p: &Principal,
    code: &UnitCode,
) -> Result<UnitDetail, AppError> {
    require(p)?;
    let all = units::list(db).await?;
    let unit = all
        .iter()
        .find(|u| &u.code == code)
        .cloned()
        .ok_or_else(|| AppError::UnitNotFound(code.to_string()))?;
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
    let predecessors = lineage
        .iter()
        .filter(|l| &l.successor == code)
        .map(|l| Edge {
            other_name: name_of(&l.predecessor),
            lineage: l.clone(),
        })
        .collect();
    let successors = lineage
        .iter()
        .filter(|l| &l.predecessor == code)
        .map(|l| Edge {
            other_name: name_of(&l.successor),
            lineage: l.clone(),
        })
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

/// The unit form as typed, kept to fill the form again when it is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub(crate) struct UnitDraft {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub parent: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
}

impl UnitDraft {
    /// The form filled with a stored unit (dates written the Vietnamese way).
    pub(crate) fn of(u: &Unit) -> Self {
        UnitDraft {
            code: u.code.to_string(),
            name: u.name.clone(),
            kind: u.kind.as_str().to_owned(),
            parent: u
                .parent
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            valid_from: u
                .valid_from
                .map(chiso_domain::fmt::vi_date)
                .unwrap_or_default(),
            valid_to: u
                .valid_to
                .map(chiso_domain::fmt::vi_date)
                .unwrap_or_default(),
        }
    }
}

fn id_error(field: &'static str, e: &IdError) -> FieldError {
    match e {
        IdError::Empty => FieldError::new(field, FormError::new("units.code_required")),
        e => FieldError::new(field, FormError::new("units.code_invalid").arg("reason", e)),
    }
}

/// A new unit's code: well-formed, not a page name, not taken.
fn new_code(
    field: &'static str,
    raw: &str,
    known: &HashMap<UnitCode, Unit>,
    errors: &mut Vec<FieldError>,
) -> Option<UnitCode> {
    match UnitCode::parse(raw) {
        Ok(c) if RESERVED.contains(&c.as_str()) => {
            errors.push(FieldError::new(
                field,
                FormError::new("units.code_reserved").arg("code", &c),
            ));
            None
        }
        Ok(c) if known.contains_key(&c) => {
            errors.push(FieldError::new(
                field,
                FormError::new("units.code_taken").arg("code", &c),
            ));
            None
        }
        Ok(c) => Some(c),
        Err(e) => {
            errors.push(id_error(field, &e));
            None
        }
    }
}

/// A code that must name a stored unit.
fn existing_code(
    field: &'static str,
    raw: &str,
    known: &HashMap<UnitCode, Unit>,
    errors: &mut Vec<FieldError>,
) -> Option<UnitCode> {
    match UnitCode::parse(raw) {
        Ok(c) if known.contains_key(&c) => Some(c),
        Ok(c) => {
            errors.push(FieldError::new(
                field,
                FormError::new("units.unknown_unit").arg("code", &c),
            ));
            None
        }
        Err(e) => {
            errors.push(id_error(field, &e));
            None
        }
    }
}

fn clean_name(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn name(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let name = clean_name(raw);
    if name.is_empty() {
        errors.push(FieldError::new(
            field,
            FormError::new("units.name_required"),
        ));
        return None;
    }
    if name.chars().count() > MAX_NAME {
        errors.push(FieldError::new(
            field,
            FormError::new("units.name_too_long").arg("n", MAX_NAME),
        ));
        return None;
    }
    Some(name)
}

fn kind(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> Option<UnitKind> {
    if raw.trim().is_empty() {
        errors.push(FieldError::new(
            field,
            FormError::new("units.kind_required"),
        ));
        return None;
    }
    let k = UnitKind::parse(raw);
    if k.is_none() {
        errors.push(FieldError::new(
            field,
            FormError::new("units.kind_invalid").arg("value", raw.trim()),
        ));
    }
    k
}

/// An optional date, `dd/mm/yyyy` (or ISO from a date picker); `Some(None)` when blank.
fn opt_date(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> Option<Option<Date>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Some(None);
    }
    match parse_date(raw) {
        Some(d) => Some(Some(d)),
        None => {
            errors.push(FieldError::new(
                field,
                FormError::new("units.date_invalid").arg("value", raw),
            ));
            None
        }
    }
}

/// The parent of `code`: blank for none; otherwise a stored unit that is neither the unit
/// itself nor one of its subordinates (which would make the hierarchy a loop).
fn parent(
    field: &'static str,
    raw: &str,
    code: Option<&UnitCode>,
    known: &HashMap<UnitCode, Unit>,
    errors: &mut Vec<FieldError>,
) -> Option<Option<UnitCode>> {
    if raw.trim().is_empty() {
        return Some(None);
    }
    let p = existing_code(field, raw, known, errors)?;
    if let Some(code) = code {
        if &p == code {
            errors.push(FieldError::new(field, FormError::new("units.parent_self")));
            return None;
        }
        let mut cur = known.get(&p).and_then(|u| u.parent.as_ref());
        let mut steps = 0;
        while let Some(c) = cur {
            if c == code {
                errors.push(FieldError::new(
                    field,
                    FormError::new("units.parent_cycle").arg("parent", &p),
                ));
                return None;
            }
            steps += 1;
            if steps > known.len() {
                break;
            }
            cur = known.get(c).and_then(|u| u.parent.as_ref());
        }
    }
    Some(Some(p))
}

/// Checks a unit form; `code` is the unit being edited (its code is not re-read from the
/// form), `None` for a new unit.
fn check_unit(
    draft: &UnitDraft,
    code: Option<&UnitCode>,
    known: &HashMap<UnitCode, Unit>,
) -> Result<Unit, Vec<FieldError>> {
    let mut errors = Vec::new();
    let code = match code {
        Some(c) => Some(c.clone()),
        None => new_code("code", &draft.code, known, &mut errors),
    };
    let name = name("name", &draft.name, &mut errors);
    let kind = kind("kind", &draft.kind, &mut errors);
    let parent = parent("parent", &draft.parent, code.as_ref(), known, &mut errors);
    let valid_from = opt_date("valid_from", &draft.valid_from, &mut errors);
    let valid_to = opt_date("valid_to", &draft.valid_to, &mut errors);
    if let (Some(Some(f)), Some(Some(t))) = (valid_from, valid_to)
        && t < f
    {
        errors.push(FieldError::new(
            "valid_to",
            FormError::new("units.dates_reversed"),
        ));
    }
    in_form_order(
        &mut errors,
        &["code", "name", "kind", "parent", "valid_from", "valid_to"],
    );
    match (code, name, kind, parent, valid_from, valid_to) {
        (Some(code), Some(name), Some(kind), Some(parent), Some(valid_from), Some(valid_to))
            if errors.is_empty() =>
        {
            Ok(Unit {
                code,
                name,
                kind,
                parent,
                valid_from,
                valid_to,
            })
        }
        _ => Err(errors),
    }
}

async fn known_units(db: &Db) -> Result<HashMap<UnitCode, Unit>, StoreError> {
    Ok(units::list(db)
        .await?
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect())
}

/// Creates a unit from the form; returns its code.
#[tracing::instrument(skip_all)]
pub(crate) async fn create_unit(
    db: &Db,
    p: &Principal,
    draft: &UnitDraft,
    at: OffsetDateTime,
) -> Result<UnitCode, Refusal> {
    require(p)?;
    let known = known_units(db).await?;
    let unit = check_unit(draft, None, &known)?;
    match units::create(db, &unit, &actor(p), at).await {
        Ok(()) => Ok(unit.code),
        // Another administrator created the same code a moment ago.
        Err(StoreError::Conflict(_)) => Err(Refusal::Fields(vec![FieldError::new(
            "code",
            FormError::new("units.code_taken").arg("code", &unit.code),
        )])),
        Err(e) => Err(e.into()),
    }
}

/// Saves the edited unit `code`; returns false when nothing changed.
#[tracing::instrument(skip_all, fields(unit = %code))]
pub(crate) async fn update_unit(
    db: &Db,
    p: &Principal,
    code: &UnitCode,
    draft: &UnitDraft,
    at: OffsetDateTime,
) -> Result<bool, Refusal> {
    require(p)?;
    let known = known_units(db).await?;
    if !known.contains_key(code) {
        return Err(AppError::UnitNotFound(code.to_string()).into());
    }
    let unit = check_unit(draft, Some(code), &known)?;
    match units::update(db, &unit, &actor(p), at).await {
        Ok(changed) => Ok(changed),
        Err(StoreError::NotFound(_)) => Err(AppError::UnitNotFound(code.to_string()).into()),
        Err(e) => Err(e.into()),
    }
}

/// The options of the import form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ImportDraft {
    /// Period whose groups the file's `group` column sets; blank: units and lineage only.
    pub period: String,
    /// Index set of every group of the file; blank: the sets the period already has.
    pub set: String,
}

/// One problem of a refused file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportProblem {
    pub row: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

/// What an accepted import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Imported {
    pub file: String,
    pub changes: UnitsChanges,
    pub period: Option<PeriodCode>,
    pub groups: Vec<(GroupName, SetCode)>,
}

/// A refusal of the units service's option checks as the form's message next to its field.
fn import_field_error(p: &chiso_services::Problem) -> Option<FieldError> {
    use chiso_services::codes;
    let arg = |name: &str| {
        p.args
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Some(match p.code {
        c if c == codes::UNITS_FILE_MISSING => {
            FieldError::new("file", FormError::new("units.import_no_file"))
        }
        c if c == codes::UNITS_UNKNOWN_PERIOD => FieldError::new(
            "period",
            FormError::new("units.unknown_period").arg("period", arg("period")),
        ),
        c if c == codes::UNITS_UNKNOWN_SET => FieldError::new(
            "set",
            FormError::new("units.unknown_set").arg("set", arg("set")),
        ),
        c if c == codes::UNITS_SET_WITHOUT_PERIOD => {
            FieldError::new("set", FormError::new("units.set_without_period"))
        }
        _ => return None,
    })
}

/// Imports an uploaded units file (CSV or XLSX) through the units service, with the same
/// checks as `chiso import units`. Every problem of the form is shown next to its field;
/// every problem of the file is reported, with its row and column, and nothing is written
/// unless there is none.
#[tracing::instrument(skip_all, fields(file = %file_name, bytes = bytes.len()))]
pub(crate) async fn import_units(
    db: &Db,
    p: &Principal,
    file_name: &str,
    bytes: &[u8],
    draft: &ImportDraft,
    at: OffsetDateTime,
    lang: crate::i18n::Lang,
) -> Result<Result<Imported, Vec<ImportProblem>>, Refusal> {
    require(p)?;
    let mut errors = Vec::new();
    let period = match draft.period.trim() {
        "" => None,
        raw => PeriodCode::parse(raw)
            .map_err(|_| {
                errors.push(FieldError::new(
                    "period",
                    FormError::new("units.unknown_period").arg("period", raw),
                ));
            })
            .ok(),
    };
    let set = match draft.set.trim() {
        "" => None,
        raw => SetCode::parse(raw)
            .map_err(|_| {
                errors.push(FieldError::new(
                    "set",
                    FormError::new("units.unknown_set").arg("set", raw),
                ));
            })
            .ok(),
    };
    let cmd = chiso_services::units::ImportUnits {
        file_name: file_name.to_owned(),
        bytes: bytes.to_vec(),
        period: period.clone(),
        set,
        create_period: false,
    };
    let refused = if errors.is_empty() {
        match chiso_services::units::import(db, p, &cmd, at).await {
            Ok(done) => {
                return Ok(Ok(Imported {
                    file: file_name.to_owned(),
                    changes: done.changes,
                    period,
                    groups: done.groups,
                }));
            }
            Err(e) => Some(e),
        }
    } else {
        // The form has mistakes already: the service's checks complete the list.
        chiso_services::units::check_import(db, &cmd).await.err()
    };
    if let Some(e) = refused {
        if e.is(chiso_services::codes::UNITS_IMPORT_REFUSED)
            && let Some(chiso_services::Detail::Problems(problems)) = e.details()
            && let Some(found) = problems
                .iter()
                .map(import_field_error)
                .collect::<Option<Vec<_>>>()
        {
            errors.extend(found);
        } else if errors.is_empty() {
            return file_problems(lang, e);
        } else {
            return Err(app_error(e));
        }
    }
    in_form_order(&mut errors, &["file", "period", "set"]);
    Err(Refusal::Fields(errors))
}

/// A refused file as the problems listed under the form.
fn file_problems(
    lang: crate::i18n::Lang,
    e: chiso_services::ServiceError,
) -> Result<Result<Imported, Vec<ImportProblem>>, Refusal> {
    match e.details() {
        Some(chiso_services::Detail::Import(errs)) => Ok(Err(errs
            .errors()
            .iter()
            .map(|e| ImportProblem {
                row: e.row,
                column: e.column.clone(),
                message: e.message.clone(),
            })
            .collect())),
        // The file's inconsistencies with the database, each in the reader's language.
        Some(chiso_services::Detail::Problems(_)) => {
            Ok(Err(crate::error::detail_lines(lang, e.details())
                .into_iter()
                .map(|message| ImportProblem {
                    row: None,
                    column: None,
                    message,
                })
                .collect()))
        }
        // A reference the checks could not foresee (e.g. a unit removed meanwhile): the
        // whole transaction was rolled back, so this is one more problem of the file.
        _ if e.kind() == chiso_services::Kind::Invalid || e.is(chiso_services::codes::CONFLICT) => {
            Ok(Err(vec![ImportProblem {
                row: None,
                column: None,
                message: crate::error::service_message(lang, &e),
            }]))
        }
        _ => Err(app_error(e)),
    }
}

/// A service failure that is not the file's fault: a database error, logged and opaque.
fn app_error(e: chiso_services::ServiceError) -> Refusal {
    Refusal::App(AppError::Service(e))
}

/// The reorganisation forms as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub(crate) struct ReorgDraft {
    /// `merger` or `split`.
    #[serde(default)]
    pub kind: String,
    /// Merger: the merged units.
    #[serde(default)]
    pub predecessors: String,
    /// Merger: `existing` (into the unit `successor`) or `new` (a unit founded by it).
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub successor: String,
    #[serde(default)]
    pub new_code: String,
    #[serde(default)]
    pub new_name: String,
    #[serde(default)]
    pub new_kind: String,
    #[serde(default)]
    pub new_parent: String,
    /// Split: the unit split.
    #[serde(default)]
    pub predecessor: String,
    /// Split: the units it is split into.
    #[serde(default)]
    pub successors: String,
    #[serde(default)]
    pub effective: String,
    /// The decision carried out (số, ngày của nghị quyết/quyết định).
    #[serde(default)]
    pub basis: String,
}

impl ReorgDraft {
    /// True for the split form, false for the merger form.
    pub(crate) fn is_split(&self) -> bool {
        self.kind == "split"
    }

    /// True when the merger goes into a new unit.
    pub(crate) fn merges_into_new(&self) -> bool {
        self.target == "new"
    }
}

/// Distinct stored units of a typed list, in the order typed.
fn code_list(
    field: &'static str,
    raw: &str,
    known: &HashMap<UnitCode, Unit>,
    errors: &mut Vec<FieldError>,
) -> Vec<UnitCode> {
    let mut out: Vec<UnitCode> = Vec::new();
    for item in split_list(raw) {
        if let Some(c) = existing_code(field, item, known, errors)
            && !out.contains(&c)
        {
            out.push(c);
        }
    }
    out
}

fn required_date(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> Option<Date> {
    if raw.trim().is_empty() {
        errors.push(FieldError::new(
            field,
            FormError::new("units.effective_required"),
        ));
        return None;
    }
    opt_date(field, raw, errors).flatten()
}

/// Checks a reorganisation form against the stored units and lineage.
fn check_reorg(
    draft: &ReorgDraft,
    known: &HashMap<UnitCode, Unit>,
    lineage: &[Lineage],
) -> Result<Reorganisation, Vec<FieldError>> {
    let mut errors = Vec::new();
    let effective = required_date("effective", &draft.effective, &mut errors);
    let basis = clean_name(&draft.basis);
    if basis.chars().count() > MAX_BASIS {
        errors.push(FieldError::new(
            "basis",
            FormError::new("units.basis_too_long").arg("n", MAX_BASIS),
        ));
    }
    let (kind, predecessors, successors, new_units, pred_field, succ_field) = if draft.is_split() {
        let predecessor = if draft.predecessor.trim().is_empty() {
            errors.push(FieldError::new(
                "predecessor",
                FormError::new("units.split_needs_predecessor"),
            ));
            None
        } else {
            existing_code("predecessor", &draft.predecessor, known, &mut errors)
        };
        let successors = code_list("successors", &draft.successors, known, &mut errors);
        let others = successors
            .iter()
            .filter(|s| Some(*s) != predecessor.as_ref())
            .count();
        if others == 0 || successors.len() < 2 {
            errors.push(FieldError::new(
                "successors",
                FormError::new("units.split_needs_two"),
            ));
        }
        (
            LineageKind::Split,
            predecessor.into_iter().collect::<Vec<_>>(),
            successors,
            Vec::new(),
            "predecessor",
            "successors",
        )
    } else {
        let predecessors = code_list("predecessors", &draft.predecessors, known, &mut errors);
        let (successor, new_units) = if draft.merges_into_new() {
            let code = new_code("new_code", &draft.new_code, known, &mut errors);
            let name = name("new_name", &draft.new_name, &mut errors);
            let kind = kind("new_kind", &draft.new_kind, &mut errors);
            let parent = parent("new_parent", &draft.new_parent, None, known, &mut errors);
            if predecessors.len() < 2 {
                errors.push(FieldError::new(
                    "predecessors",
                    FormError::new("units.merger_needs_two"),
                ));
            }
            match (code, name, kind, parent) {
                (Some(code), Some(name), Some(kind), Some(parent)) => (
                    Some(code.clone()),
                    vec![Unit {
                        code,
                        name,
                        kind,
                        parent,
                        valid_from: effective,
                        valid_to: None,
                    }],
                ),
                _ => (None, Vec::new()),
            }
        } else if draft.target == "existing" {
            let successor = if draft.successor.trim().is_empty() {
                errors.push(FieldError::new(
                    "successor",
                    FormError::new("units.merger_needs_successor"),
                ));
                None
            } else {
                existing_code("successor", &draft.successor, known, &mut errors)
            };
            let others = predecessors
                .iter()
                .filter(|p| Some(*p) != successor.as_ref())
                .count();
            if others == 0 {
                errors.push(FieldError::new(
                    "predecessors",
                    FormError::new("units.merger_needs_other"),
                ));
            }
            (successor, Vec::new())
        } else {
            errors.push(FieldError::new(
                "target",
                FormError::new("units.merger_target_required"),
            ));
            (None, Vec::new())
        };
        if predecessors.is_empty() && !errors.iter().any(|e| e.field == "predecessors") {
            errors.push(FieldError::new(
                "predecessors",
                FormError::new("units.merger_needs_two"),
            ));
        }
        (
            LineageKind::Merger,
            predecessors,
            successor.into_iter().collect(),
            new_units,
            "predecessors",
            if draft.merges_into_new() {
                "new_code"
            } else {
                "successor"
            },
        )
    };
    for p in &predecessors {
        for s in successors.iter().filter(|s| *s != p) {
            if lineage
                .iter()
                .any(|l| &l.predecessor == p && &l.successor == s)
            {
                errors.push(FieldError::new(
                    if draft.is_split() {
                        succ_field
                    } else {
                        pred_field
                    },
                    FormError::new("units.lineage_exists")
                        .arg("from", p)
                        .arg("to", s),
                ));
            }
        }
    }
    in_form_order(
        &mut errors,
        &[
            "predecessors",
            "target",
            "successor",
            "new_code",
            "new_name",
            "new_kind",
            "new_parent",
            "predecessor",
            "successors",
            "effective",
            "basis",
        ],
    );
    match effective {
        Some(effective) if errors.is_empty() => Ok(Reorganisation {
            kind,
            predecessors,
            successors,
            new_units,
            effective,
            basis: Some(basis).filter(|b| !b.is_empty()),
        }),
        _ => Err(errors),
    }
}

/// Records a merger or a split from the form; returns the unit whose page shows it (the
/// successor of a merger, the predecessor of a split) and what changed.
#[tracing::instrument(skip_all)]
pub(crate) async fn reorganise(
    db: &Db,
    p: &Principal,
    draft: &ReorgDraft,
    at: OffsetDateTime,
) -> Result<(UnitCode, Reorganised), Refusal> {
    require(p)?;
    let known = known_units(db).await?;
    let lineage = units::lineage(db).await?;
    let r = check_reorg(draft, &known, &lineage)?;
    let shown = match r.kind {
        LineageKind::Split => r.predecessors.first(),
        _ => r.successors.first(),
    }
    .cloned()
    .ok_or_else(|| AppError::Form(FormError::new("error.internal")))?;
    match units::record_reorganisation(db, &r, &actor(p), at).await {
        Ok(done) => Ok((shown, done)),
        // Recorded by someone else a moment ago.
        Err(StoreError::Conflict(msg)) => Err(Refusal::Fields(vec![FieldError::new(
            if r.kind == LineageKind::Split {
                "successors"
            } else {
                "predecessors"
            },
            FormError::new("units.conflict").arg("detail", msg),
        )])),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn unit(code: &str, name: &str, parent: Option<&str>) -> Unit {
        Unit {
            code: UnitCode::parse(code).unwrap(),
            name: name.to_owned(),
            kind: UnitKind::Commune,
            parent: parent.map(|p| UnitCode::parse(p).unwrap()),
            valid_from: None,
            valid_to: None,
        }
    }

    fn known() -> HashMap<UnitCode, Unit> {
        [
            unit("H-TK", "Huyện Tân Khê", None),
            unit("XA-A", "Xã An", Some("H-TK")),
            unit("XA-B", "Xã Bình", Some("H-TK")),
            unit("XA-C", "Xã Cát", Some("XA-B")),
        ]
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect()
    }

    fn fields(
        r: Result<impl std::fmt::Debug, Vec<FieldError>>,
    ) -> Vec<(&'static str, &'static str)> {
        r.unwrap_err()
            .iter()
            .map(|e| (e.field, e.error.key))
            .collect()
    }

    #[test]
    fn a_new_unit_names_every_field_at_fault_at_once() {
        let draft = UnitDraft {
            code: "XA A".into(),
            name: "  ".into(),
            kind: "galaxy".into(),
            parent: "NOPE".into(),
            valid_from: "31/02/2025".into(),
            valid_to: "".into(),
        };
        assert_eq!(
            fields(check_unit(&draft, None, &known())),
            vec![
                ("code", "units.code_invalid"),
                ("name", "units.name_required"),
                ("kind", "units.kind_invalid"),
                ("parent", "units.unknown_unit"),
                ("valid_from", "units.date_invalid"),
            ]
        );
    }

    #[test]
    fn a_taken_or_reserved_code_is_refused_and_names_are_tidied() {
        let mut draft = UnitDraft {
            code: "XA-A".into(),
            name: "Xã  Mới ".into(),
            kind: "xã".into(),
            ..UnitDraft::default()
        };
        assert_eq!(
            fields(check_unit(&draft, None, &known())),
            vec![("code", "units.code_taken")]
        );
        draft.code = "them".into();
        assert_eq!(
            fields(check_unit(&draft, None, &known())),
            vec![("code", "units.code_reserved")]
        );
        draft.code = "XA-MOI".into();
        draft.valid_from = "01/07/2025".into();
        let u = check_unit(&draft, None, &known()).unwrap();
        assert_eq!(u.name, "Xã Mới");
        assert_eq!(u.kind, UnitKind::Commune);
        assert_eq!(u.valid_from, Some(date!(2025 - 07 - 01)));
    }

    #[test]
    fn a_unit_cannot_become_its_own_parent_or_its_subordinates_subordinate() {
        let b = UnitCode::parse("XA-B").unwrap();
        let mut draft = UnitDraft::of(&known()[&b]);
        draft.parent = "XA-B".into();
        assert_eq!(
            fields(check_unit(&draft, Some(&b), &known())),
            vec![("parent", "units.parent_self")]
        );
        draft.parent = "XA-C".into();
        assert_eq!(
            fields(check_unit(&draft, Some(&b), &known())),
            vec![("parent", "units.parent_cycle")]
        );
        draft.valid_from = "02/01/2025".into();
        draft.valid_to = "01/01/2025".into();
        draft.parent = "H-TK".into();
        assert_eq!(
            fields(check_unit(&draft, Some(&b), &known())),
            vec![("valid_to", "units.dates_reversed")]
        );
    }

    #[test]
    fn a_merger_into_a_new_unit_needs_two_predecessors_and_creates_the_unit() {
        let mut draft = ReorgDraft {
            kind: "merger".into(),
            predecessors: "XA-A".into(),
            target: "new".into(),
            new_code: "XA-AB".into(),
            new_name: "Xã An Bình".into(),
            new_kind: "commune".into(),
            effective: "01/07/2025".into(),
            ..ReorgDraft::default()
        };
        assert_eq!(
            fields(check_reorg(&draft, &known(), &[])),
            vec![("predecessors", "units.merger_needs_two")]
        );
        draft.predecessors = "XA-A, XA-B".into();
        let r = check_reorg(&draft, &known(), &[]).unwrap();
        assert_eq!(r.kind, LineageKind::Merger);
        assert_eq!(r.successors, vec![UnitCode::parse("XA-AB").unwrap()]);
        assert_eq!(r.new_units[0].valid_from, Some(date!(2025 - 07 - 01)));
    }

    #[test]
    fn a_split_needs_one_predecessor_and_another_successor_and_refuses_known_edges() {
        let mut draft = ReorgDraft {
            kind: "split".into(),
            predecessor: "XA-B".into(),
            successors: "XA-B".into(),
            effective: "".into(),
            ..ReorgDraft::default()
        };
        assert_eq!(
            fields(check_reorg(&draft, &known(), &[])),
            vec![
                ("successors", "units.split_needs_two"),
                ("effective", "units.effective_required"),
            ]
        );
        draft.successors = "XA-B XA-C".into();
        draft.effective = "2025-07-01".into();
        let edge = Lineage {
            predecessor: UnitCode::parse("XA-B").unwrap(),
            successor: UnitCode::parse("XA-C").unwrap(),
            kind: LineageKind::Split,
            effective: None,
        };
        assert_eq!(
            fields(check_reorg(&draft, &known(), &[edge])),
            vec![("successors", "units.lineage_exists")]
        );
        assert!(check_reorg(&draft, &known(), &[]).is_ok());
    }
}
