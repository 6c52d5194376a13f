//! Imports through the API: scores of survey and monitoring-data leaves, units (with a
//! period's groups) and index sets, as `multipart/form-data` uploads of the same files as the
//! command line and the pages read (CSV or XLSX; YAML too for index sets).
//!
//! Each endpoint calls the same service as the page or the command (`chiso_services::import`,
//! `units`, `index_sets`): same authorization, same checks, nothing written unless all is
//! well. A file's problems come back together in the error's `details`, each with its row and
//! column.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use chiso_domain::authz::{Action, Resource};
use chiso_domain::{PeriodCode, SetCode};
use chiso_services::import::{self, ImportScoresUpload};
use chiso_services::index_sets::{self, ImportIndexSet};
use chiso_services::units::{self, ImportUnits};
use chiso_services::{ServiceError, codes};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::ErrorBody;
use super::upload;
use crate::auth::CurrentUser;
use crate::multipart::{Parts, import_limit};
use crate::{AppError, AppState, service};

/// A scores file.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
#[schema(as = ScoresUpload)]
pub struct ScoresUpload {
    /// The file (`.csv` or `.xlsx`, long or wide, as `chiso import scores` reads it).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// A units file, and optionally the period whose groups it sets.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
#[schema(as = UnitsUpload)]
pub struct UnitsUpload {
    /// The file (`.csv` or `.xlsx`, as `chiso import units` reads it).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// A period whose groups and members the file's `group` column sets; it must exist.
    #[schema(example = "2026")]
    pub period: Option<String>,
    /// The index set of every group of the file (needs `period`); the period's own sets when
    /// absent.
    #[schema(example = "BCS-SO-2026")]
    pub set: Option<String>,
}

/// An index set file.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
#[schema(as = IndexSetUpload)]
pub struct IndexSetUpload {
    /// The file (`.yaml`, `.csv` or `.xlsx`, as `chiso import index-set` reads it).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// `true` to replace the stored set of the same code, which must still be a draft (a set
    /// a period uses is never replaced: clone it instead).
    #[schema(example = "false")]
    pub replace: Option<String>,
}

/// What a scores import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ScoresImported)]
pub struct ScoresImportedDto {
    /// Values in the file.
    #[schema(example = 12)]
    pub values: usize,
    /// Values that differ from what was stored (each audited).
    #[schema(example = 12)]
    pub changed: usize,
    /// Units in the recomputed results.
    #[schema(example = 6)]
    pub units: usize,
}

/// A group of a period and its index set.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = GroupSet)]
pub struct GroupSetDto {
    #[schema(example = "Sở, ban, ngành")]
    pub group: String,
    #[schema(example = "BCS-SO-2026")]
    pub set: String,
}

/// What a units import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = UnitsImported)]
pub struct UnitsImportedDto {
    /// Units in the file.
    #[schema(example = 3)]
    pub units: usize,
    /// Codes of units created, in file order.
    pub created: Vec<String>,
    /// Codes of units whose name, kind, parent or dates changed.
    pub updated: Vec<String>,
    /// Units of the file identical to the stored ones.
    pub unchanged: usize,
    /// New lineage edges (mergers, splits, renames).
    pub lineage: usize,
    /// The period whose groups were set, if any.
    pub period: Option<String>,
    /// Memberships of the period set from the file.
    pub members: usize,
    /// The period's groups with their sets.
    pub groups: Vec<GroupSetDto>,
}

/// What an index set import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = IndexSetImported)]
pub struct IndexSetImportedDto {
    #[schema(example = "BCS-SO-2026")]
    pub code: String,
    #[schema(example = "Bộ chỉ số CCHC các sở, ban, ngành năm 2026")]
    pub name: String,
    /// A stored draft of the same code was replaced.
    pub replaced: bool,
}

/// The one file of an import form, with its name (empty when none was sent, which the
/// services refuse naming the file as missing); several files are refused, since an import
/// reads one.
fn the_file(form: &mut Parts) -> Result<(String, Vec<u8>), AppError> {
    if form.files.len() > 1 {
        return Err(ServiceError::new(codes::INVALID_FIELD)
            .arg("field", "file")
            .into());
    }
    Ok(match form.files.pop() {
        Some(f) => (f.name, f.content),
        None => (String::new(), Vec::new()),
    })
}

/// Imports the scores of survey and monitoring-data leaves into a period.
///
/// For people who enter survey and data values of the period: the administrator, and
/// appraisers within their assigned units and areas (`denied_out_of_scope` otherwise). The
/// page `/ky/{period}/diem-khao-sat-so-lieu` offers the same import with a preview. The file
/// is checked whole first (`file_invalid`, every
/// problem with its row and column in `details`); values of leaves the units assess
/// themselves are refused (`scores_only_measured`, each in `details`); a published period
/// (`period_published`) or a unit whose appraisal the council approved (`units_approved`)
/// refuses the import with 409. Then the scores and the recomputed results are written
/// together, each changed value audited.
#[utoipa::path(
    post,
    path = "/api/v1/periods/{period}/scores",
    tag = "imports",
    params(("period" = String, Path, example = "2026")),
    request_body(content = ScoresUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Imported", body = ScoresImportedDto),
        (status = 403, description = "Not allowed to enter survey and data values of the period, or of a unit or criterion of the file; or a read-only token", body = ErrorBody),
        (status = 404, description = "Unknown period", body = ErrorBody),
        (status = 409, description = "The period is published, or units of the file are approved", body = ErrorBody,
            example = json!({"error": {"code": "units_approved", "message": "…",
                "args": {"period": "2026", "units": "SNV, STP", "count": "2"}}})),
        (status = 413, description = "The file is too large", body = ErrorBody),
        (status = 422, description = "The file is wrong (`file_invalid`, each row and column in `details`), or brings leaves that are not imported", body = ErrorBody,
            example = json!({"error": {"code": "file_invalid", "message": "…", "args": {"count": "1"},
                "details": [{"message": "…", "file": "diem.csv", "row": 3, "column": "value"}]}}))
    )
)]
pub(super) async fn import_scores(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(period): Path<String>,
    multipart: Multipart,
) -> Result<Json<ScoresImportedDto>, AppError> {
    let period = service::parse_period(&period)?;
    let principal = current.principal();
    // Who first: a refused person's file is never read.
    chiso_services::measured::require_enter(&principal, &period)?;
    let mut form = upload::read(multipart, import_limit(), None).await?;
    let (file_name, bytes) = the_file(&mut form)?;
    let cmd = ImportScoresUpload {
        period,
        file_name,
        bytes,
    };
    let now = state.config().clock.now();
    let done = import::import_scores_upload(state.db(), &principal, &cmd, now).await?;
    Ok(Json(ScoresImportedDto {
        values: done.values,
        changed: done.changed,
        units: done.units,
    }))
}

/// Imports a units file: units, lineage and, with `period`, that period's groups.
///
/// For people who manage units. The options are checked first (`units_import_refused`,
/// each `field` in `details`), then the file (`file_invalid`, each row and column in
/// `details`) and its agreement with the database (`units_refused`); nothing is written
/// unless all is well.
#[utoipa::path(
    post,
    path = "/api/v1/units",
    tag = "imports",
    request_body(content = UnitsUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Imported", body = UnitsImportedDto),
        (status = 403, description = "Not allowed to manage units, or a read-only token", body = ErrorBody),
        (status = 413, description = "The file is too large", body = ErrorBody),
        (status = 422, description = "An option or the file is wrong (each problem in `details`)", body = ErrorBody)
    )
)]
pub(super) async fn import_units(
    State(state): State<AppState>,
    current: CurrentUser,
    multipart: Multipart,
) -> Result<Json<UnitsImportedDto>, AppError> {
    let principal = current.principal();
    chiso_services::authz::authorize(&principal, Action::ManageUnits, &Resource::System)?;
    let mut form = upload::read(multipart, import_limit(), None).await?;
    let period = form
        .get("period")
        .map(|p| {
            PeriodCode::parse(p)
                .map_err(|_| ServiceError::new(codes::INVALID_FIELD).arg("field", "period"))
        })
        .transpose()?;
    let set = form
        .get("set")
        .map(|s| {
            SetCode::parse(s)
                .map_err(|_| ServiceError::new(codes::INVALID_FIELD).arg("field", "set"))
        })
        .transpose()?;
    let (file_name, bytes) = the_file(&mut form)?;
    let cmd = ImportUnits {
        file_name,
        bytes,
        period,
        set,
        create_period: false,
    };
    let now = state.config().clock.now();
    let done = units::import(state.db(), &principal, &cmd, now).await?;
    Ok(Json(UnitsImportedDto {
        units: done.units,
        created: done
            .changes
            .created
            .iter()
            .map(ToString::to_string)
            .collect(),
        updated: done
            .changes
            .updated
            .iter()
            .map(ToString::to_string)
            .collect(),
        unchanged: done.changes.unchanged,
        lineage: done.changes.lineage,
        period: done.period.as_ref().map(ToString::to_string),
        members: done.members,
        groups: done
            .groups
            .iter()
            .map(|(g, s)| GroupSetDto {
                group: g.to_string(),
                set: s.to_string(),
            })
            .collect(),
    }))
}

/// Imports an index set.
///
/// For people who manage index sets. The whole set is validated first (`file_invalid`, every
/// problem in `details`). A set whose code exists is replaced only with `replace=true` and
/// only while it is a draft: one a period uses is refused (`set_in_use`, 409), a frozen one
/// too (`set_frozen`).
#[utoipa::path(
    post,
    path = "/api/v1/index-sets",
    tag = "imports",
    request_body(content = IndexSetUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Imported", body = IndexSetImportedDto),
        (status = 403, description = "Not allowed to manage index sets, or a read-only token", body = ErrorBody),
        (status = 409, description = "The code exists and `replace` was not asked, or the set is used by a period or frozen", body = ErrorBody,
            example = json!({"error": {"code": "set_in_use", "message": "…", "args": {"set": "BCS-MAU", "periods": "2024, 2025"}}})),
        (status = 413, description = "The file is too large", body = ErrorBody),
        (status = 422, description = "The file is wrong (each problem in `details`)", body = ErrorBody)
    )
)]
pub(super) async fn import_index_set(
    State(state): State<AppState>,
    current: CurrentUser,
    multipart: Multipart,
) -> Result<(StatusCode, Json<IndexSetImportedDto>), AppError> {
    let principal = current.principal();
    // Who first: a refused person's file is never read.
    chiso_services::authz::authorize(&principal, Action::ManageIndexSets, &Resource::System)?;
    let mut form = upload::read(multipart, import_limit(), None).await?;
    let replace = match form.get("replace") {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(_) => {
            return Err(ServiceError::new(codes::INVALID_FIELD)
                .arg("field", "replace")
                .into());
        }
    };
    let (file_name, bytes) = the_file(&mut form)?;
    let cmd = ImportIndexSet {
        file_name,
        bytes,
        replace,
    };
    let now = state.config().clock.now();
    let done = index_sets::import(state.db(), &principal, &cmd, now).await?;
    Ok((
        StatusCode::CREATED,
        Json(IndexSetImportedDto {
            code: done.code.to_string(),
            name: done.name,
            replaced: done.replaced,
        }),
    ))
}
