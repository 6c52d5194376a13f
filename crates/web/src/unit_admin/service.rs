//! The unit administration pages' adapter: the forms as typed are parsed into the typed
//! commands of [`chiso_services::units`] (codes, kinds and dates that do not parse are the
//! form's own mistakes), the service decides with the domain's rules, and its refusals are
//! shown next to the fields they name. Every mistake is shown at once: when the form has its
//! own, the service still checks the rest without writing.

use chiso_domain::fmt::parse_date;
use chiso_domain::reorg::{MergeTarget, ReorgRequest, ReorgShape, UnitFields};
use chiso_domain::{GroupName, IdError, PeriodCode, SetCode, Unit, UnitCode, UnitKind};
use chiso_services::import::UnitsChanges;
use chiso_services::units::{self as svc};
use chiso_services::{Db, Detail, ServiceError, ServiceResult, codes};
use time::{Date, OffsetDateTime};

use super::form::{FieldError, Refusal, in_form_order, split_list};
use crate::AppError;
use crate::error::FormError;

pub(crate) use chiso_services::units::{
    Edge, ListedUnit, PAGE_SIZE, UnitDetail, UnitFilter, UnitListing,
};

/// Refuses anyone who may not manage units.
pub(crate) fn require(p: &chiso_domain::authz::Principal) -> Result<(), AppError> {
    Ok(svc::require_manage(p)?)
}

type Principal = chiso_domain::authz::Principal;

/// The units matching `filter`, one page of them.
pub(crate) async fn list_units(
    db: &Db,
    p: &Principal,
    filter: &UnitFilter,
) -> Result<UnitListing, AppError> {
    Ok(svc::list(db, p, filter).await?)
}

/// One unit with its hierarchy, lineage and change history; 404 when unknown.
pub(crate) async fn unit_detail(
    db: &Db,
    p: &Principal,
    code: &UnitCode,
) -> Result<UnitDetail, AppError> {
    Ok(svc::detail(db, p, code).await?)
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
    FieldError::new(field, FormError::new("units.code_invalid").arg("reason", e))
}

/// A typed code: blank is `None` for the service to judge (required or not); one that does
/// not parse is the form's mistake.
fn opt_code(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> Option<UnitCode> {
    match UnitCode::parse(raw) {
        Ok(c) => Some(c),
        Err(IdError::Empty) => None,
        Err(e) => {
            errors.push(id_error(field, &e));
            None
        }
    }
}

/// A typed kind: blank is `None` (the service says it is required).
fn opt_kind(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> Option<UnitKind> {
    if raw.trim().is_empty() {
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

/// An optional date, `dd/mm/yyyy` (or ISO from a date picker).
fn opt_date(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> Option<Date> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let d = parse_date(raw);
    if d.is_none() {
        errors.push(FieldError::new(
            field,
            FormError::new("units.date_invalid").arg("value", raw),
        ));
    }
    d
}

/// The unit form as the service's fields, with the form's own mistakes.
fn unit_fields(draft: &UnitDraft) -> (UnitFields, Vec<FieldError>) {
    let mut errors = Vec::new();
    let fields = UnitFields {
        code: opt_code("code", &draft.code, &mut errors),
        name: draft.name.clone(),
        kind: opt_kind("kind", &draft.kind, &mut errors),
        parent: opt_code("parent", &draft.parent, &mut errors),
        valid_from: opt_date("valid_from", &draft.valid_from, &mut errors),
        valid_to: opt_date("valid_to", &draft.valid_to, &mut errors),
    };
    (fields, errors)
}

/// The fields of the unit form, in the order mistakes are listed.
const UNIT_ORDER: [&str; 6] = ["code", "name", "kind", "parent", "valid_from", "valid_to"];

/// The field mistakes of a `unit_refused` error (a field the form already faulted is not
/// faulted twice), or the error itself for an error page.
fn field_errors(e: ServiceError, form: &[FieldError]) -> Result<Vec<FieldError>, AppError> {
    if !e.is(codes::UNIT_REFUSED) {
        return Err(e.into());
    }
    let Some(Detail::Problems(problems)) = e.details() else {
        return Err(e.into());
    };
    let mut out = Vec::new();
    for p in problems {
        let Some(field) = p
            .args
            .iter()
            .find(|(k, _)| *k == "field")
            .and_then(|(_, f)| FIELDS.iter().find(|known| **known == f.as_str()))
        else {
            return Err(e.into());
        };
        if !form.iter().any(|f| f.field == *field) {
            out.push(FieldError::new(field, FormError::of_problem(p)));
        }
    }
    Ok(out)
}

/// Every field of the unit and reorganisation forms (a field name must be `'static`).
const FIELDS: [&str; 17] = [
    "code",
    "name",
    "kind",
    "parent",
    "valid_from",
    "valid_to",
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
];

/// Runs `act` when the form has no mistake of its own, else only `check` (which writes
/// nothing), and gathers every mistake in the order of `order`.
fn outcome<T>(
    result: ServiceResult<T>,
    mut errors: Vec<FieldError>,
    order: &[&str],
) -> Result<T, Refusal> {
    match result {
        Ok(v) if errors.is_empty() => return Ok(v),
        Ok(_) => {}
        Err(e) => {
            let more = field_errors(e, &errors)?;
            errors.extend(more);
        }
    }
    in_form_order(&mut errors, order);
    Err(Refusal::Fields(errors))
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
    let (fields, errors) = unit_fields(draft);
    let result = if errors.is_empty() {
        svc::create(db, p, &fields, at).await
    } else {
        svc::check_create(db, p, &fields).await.map(|u| u.code)
    };
    outcome(result, errors, &UNIT_ORDER)
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
    let (mut fields, mut errors) = unit_fields(draft);
    // The code of a stored unit never changes: what the form says about it is ignored.
    fields.code = None;
    errors.retain(|e| e.field != "code");
    let result = if errors.is_empty() {
        svc::update(db, p, code, &fields, at).await
    } else {
        svc::check_update(db, p, code, &fields).await.map(|_| false)
    };
    outcome(result, errors, &UNIT_ORDER)
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
    let cmd = svc::ImportUnits {
        file_name: file_name.to_owned(),
        bytes: bytes.to_vec(),
        period: period.clone(),
        set,
        create_period: false,
    };
    let refused = if errors.is_empty() {
        match svc::import(db, p, &cmd, at).await {
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
        svc::check_import(db, &cmd).await.err()
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
                message: crate::error::problem_text(lang, &e.problem),
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
}

/// Distinct typed codes of a list, in the order typed; codes that do not parse are mistakes.
fn code_list(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> Vec<UnitCode> {
    split_list(raw)
        .into_iter()
        .filter_map(|item| opt_code(field, item, errors))
        .collect()
}

/// The reorganisation form as the service's request, with the form's own mistakes.
fn reorg_request(draft: &ReorgDraft) -> (ReorgRequest, Vec<FieldError>) {
    let mut errors = Vec::new();
    let shape = if draft.is_split() {
        ReorgShape::Split {
            predecessor: opt_code("predecessor", &draft.predecessor, &mut errors),
            successors: code_list("successors", &draft.successors, &mut errors),
        }
    } else {
        let into = match draft.target.as_str() {
            "new" => Some(MergeTarget::New(UnitFields {
                code: opt_code("new_code", &draft.new_code, &mut errors),
                name: draft.new_name.clone(),
                kind: opt_kind("new_kind", &draft.new_kind, &mut errors),
                parent: opt_code("new_parent", &draft.new_parent, &mut errors),
                valid_from: None,
                valid_to: None,
            })),
            "existing" => Some(MergeTarget::Existing(opt_code(
                "successor",
                &draft.successor,
                &mut errors,
            ))),
            _ => None,
        };
        ReorgShape::Merger {
            predecessors: code_list("predecessors", &draft.predecessors, &mut errors),
            into,
        }
    };
    let effective = opt_date("effective", &draft.effective, &mut errors);
    (
        ReorgRequest {
            shape,
            effective,
            basis: draft.basis.clone(),
        },
        errors,
    )
}

/// Records a merger or a split from the form; returns the unit whose page shows it (the
/// successor of a merger, the predecessor of a split).
#[tracing::instrument(skip_all)]
pub(crate) async fn reorganise(
    db: &Db,
    p: &Principal,
    draft: &ReorgDraft,
    at: OffsetDateTime,
) -> Result<UnitCode, Refusal> {
    require(p)?;
    let (req, errors) = reorg_request(draft);
    let result = if errors.is_empty() {
        svc::reorganise(db, p, &req, at).await.map(|d| d.shown)
    } else {
        svc::check_reorganise(db, p, &req)
            .await
            .map(|r| r.shown().clone())
    };
    outcome(result, errors, &FIELDS)
}

#[cfg(test)]
mod tests {
    use chiso_services::{Problem, ServiceError};

    use super::*;

    #[test]
    fn what_does_not_parse_is_the_forms_mistake_and_what_is_blank_is_left_to_the_service() {
        let draft = UnitDraft {
            code: "XA A".into(),
            name: "Xã An".into(),
            kind: String::new(),
            parent: "H-DONG".into(),
            valid_from: "32/13/2025".into(),
            valid_to: String::new(),
        };
        let (fields, errors) = unit_fields(&draft);
        let keys: Vec<_> = errors
            .iter()
            .map(|e| (e.field, e.error.key.as_ref()))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("code", "units.code_invalid"),
                ("valid_from", "units.date_invalid")
            ]
        );
        assert_eq!(
            (fields.code, fields.kind, fields.valid_from),
            (None, None, None)
        );
        assert_eq!(fields.parent, UnitCode::parse("H-DONG").ok());
    }

    #[test]
    fn a_field_the_form_already_faulted_is_not_faulted_again_by_the_service() {
        let e = ServiceError::new(codes::UNIT_REFUSED).detail(Detail::Problems(vec![
            Problem::new(codes::UNIT_CODE_REQUIRED).arg("field", "code"),
            Problem::new(codes::UNIT_KIND_REQUIRED).arg("field", "kind"),
        ]));
        let form = [FieldError::new(
            "code",
            FormError::new("units.code_invalid"),
        )];
        let more = field_errors(e, &form).unwrap();
        let keys: Vec<_> = more
            .iter()
            .map(|e| (e.field, e.error.key.as_ref()))
            .collect();
        assert_eq!(keys, vec![("kind", "error.unit_kind_required")]);
        // Any other refusal is not the form's: it becomes an error page.
        let e = ServiceError::new(codes::UNIT_NOT_FOUND).arg("unit", "XA-A");
        assert!(field_errors(e, &[]).is_err());
    }

    #[test]
    fn the_merger_form_becomes_a_request_for_the_unit_it_names() {
        let draft = ReorgDraft {
            kind: "merger".into(),
            predecessors: "XA-A, XA-B;XA-A".into(),
            target: "existing".into(),
            successor: String::new(),
            effective: "01/07/2025".into(),
            ..ReorgDraft::default()
        };
        let (req, errors) = reorg_request(&draft);
        assert!(errors.is_empty());
        let ReorgShape::Merger { predecessors, into } = req.shape else {
            panic!("a merger")
        };
        assert_eq!(predecessors.len(), 3, "repeats are the domain's to drop");
        assert_eq!(into, Some(MergeTarget::Existing(None)));
        assert_eq!(req.effective, parse_date("01/07/2025"));
    }
}
