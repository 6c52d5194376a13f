//! Units administration: importing a units file (units, lineage and, for a period, its
//! groups) with the same checks on the web page and `chiso import units`. The options are
//! checked together, every problem named with its field, before the file is read; the file's
//! own problems come with their rows and columns; nothing is written unless all is well.

use chiso_domain::authz::{Action, Principal, Resource};
use chiso_domain::{GroupName, PeriodCode, SetCode};
use chiso_store::{Actor, Db, index_sets, periods};
use time::OffsetDateTime;

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
