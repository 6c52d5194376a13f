//! Publication by decision (domain.md §2, step 8): the administrator publishes an approved
//! period with the decision's number and date, which writes an immutable snapshot of its
//! results (see `chiso_store::publications`); a correction reopens the period, and its next
//! publication is a new version with a reason, the earlier ones staying readable.

use chiso_domain::PeriodCode;
use chiso_domain::authz::Principal;
use chiso_domain::workflow::{AssessmentState, VN_OFFSET};
use chiso_evidence::{BlobId, BlobStore, FileKind, UploadError};
use chiso_store::publications::{self, NewPublication, PublishedGroup};
use chiso_store::{Actor, Db, StoreError, assessments, index_sets, periods, results};
use time::{Date, OffsetDateTime};

use crate::codes;
use crate::error::{ServiceError, ServiceResult};
use crate::periods::require_manage;

pub use chiso_store::publications::{Publication, STATUS_CORRECTING, decision_text};

/// Longest decision number accepted.
pub const MAX_DECISION_LEN: usize = 100;

/// Publishing the period's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    pub period: PeriodCode,
    /// The decision's number, e.g. `123/QĐ-UBND`.
    pub decision: String,
    /// The decision's date: not after today.
    pub decided_on: Date,
    /// Why, for a correction (required from the second version on).
    pub reason: Option<String>,
}

/// Largest signed decision file kept with a publication: a scanned decision of a few pages
/// with its annexes fits comfortably.
pub const MAX_DECISION_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// The signed decision sent with a publication, kept as evidence of it.
#[derive(Clone, PartialEq, Eq)]
pub struct DecisionFile {
    /// The name it was sent under (problems name it).
    pub file_name: String,
    /// The content: a PDF.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for DecisionFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecisionFile")
            .field("file_name", &self.file_name)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// Checks that `file` is a PDF within [`MAX_DECISION_FILE_BYTES`], each problem naming the
/// file and the form field `decision_file`.
fn check_file(file: &DecisionFile) -> ServiceResult<()> {
    let name = file.file_name.as_str();
    let refusal = |code| {
        ServiceError::new(code)
            .arg("file", name)
            .arg("field", "decision_file")
    };
    match chiso_evidence::check_upload(name, &file.bytes, MAX_DECISION_FILE_BYTES) {
        Ok(checked) if checked.kind == FileKind::Pdf => Ok(()),
        Ok(_)
        | Err(
            UploadError::MissingExtension { .. }
            | UploadError::ExtensionNotAllowed { .. }
            | UploadError::KindMismatch { .. },
        ) => Err(refusal(codes::PUBLICATION_FILE_NOT_PDF)),
        Err(UploadError::TooLarge { limit, .. }) => {
            Err(refusal(codes::FILE_TOO_LARGE).arg("limit", limit))
        }
        Err(UploadError::Empty { .. }) => Err(refusal(codes::EVIDENCE_EMPTY)),
        Err(_) => Err(refusal(codes::EVIDENCE_NAME_INVALID)),
    }
}

/// What a publication did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub version: i64,
    /// Units published.
    pub units: usize,
}

fn check(cmd: &Publish, today: Date) -> ServiceResult<()> {
    let decision = cmd.decision.trim();
    if decision.is_empty() {
        return Err(
            ServiceError::new(codes::PUBLICATION_DECISION_REQUIRED).arg("field", "decision")
        );
    }
    if decision.chars().count() > MAX_DECISION_LEN {
        return Err(ServiceError::new(codes::PUBLICATION_DECISION_TOO_LONG)
            .arg("field", "decision")
            .arg("max", MAX_DECISION_LEN));
    }
    if cmd.decided_on > today {
        return Err(ServiceError::new(codes::PUBLICATION_DATE_FUTURE)
            .arg("field", "decided_on")
            .arg("date", chiso_domain::fmt::vi_date(cmd.decided_on)));
    }
    Ok(())
}

/// Publishes the period's computed results as its next version. Refused unless the period's
/// results are computed and, when the assessment cycle ran in it, every unit is finalised
/// (approved); a published period needs a correction opened first, and a correction needs
/// its reason.
#[tracing::instrument(skip_all, fields(period = %cmd.period))]
pub async fn publish(
    db: &Db,
    principal: &Principal,
    cmd: &Publish,
    now: OffsetDateTime,
) -> ServiceResult<Published> {
    publish_with_file(db, None, principal, cmd, None, now).await
}

/// [`publish`], keeping the signed decision `file` (a PDF) in the evidence `store` with the
/// version: everybody who may read the results may download it. Every check, the file's
/// included, runs before anything is stored.
#[tracing::instrument(skip_all, fields(period = %cmd.period, file = file.is_some()))]
pub async fn publish_with_file(
    db: &Db,
    store: Option<&dyn BlobStore>,
    principal: &Principal,
    cmd: &Publish,
    file: Option<&DecisionFile>,
    now: OffsetDateTime,
) -> ServiceResult<Published> {
    let code = &cmd.period;
    require_manage(principal, Some(code))?;
    check(cmd, now.to_offset(VN_OFFSET).date())?;
    if let Some(f) = file {
        check_file(f)?;
    }
    let period = periods::get(db, code)
        .await?
        .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", code))?;
    if period.status == periods::STATUS_PUBLISHED {
        return Err(ServiceError::new(codes::PUBLICATION_EXISTS).arg("period", code));
    }
    let reason = cmd
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if period.status == STATUS_CORRECTING && reason.is_none() {
        return Err(ServiceError::new(codes::PUBLICATION_REASON_REQUIRED).arg("field", "reason"));
    }
    let assessed = assessments::list(db, code).await?;
    if assessed.iter().any(|a| a.version > 0) {
        let open: Vec<String> = assessed
            .iter()
            .filter(|a| a.state != AssessmentState::Finalised)
            .map(|a| a.unit.to_string())
            .collect();
        if !open.is_empty() {
            return Err(ServiceError::new(codes::PUBLICATION_NOT_APPROVED)
                .arg("period", code)
                .arg("count", open.len())
                .arg("units", open.join(", ")));
        }
    }
    let file = match file {
        None => None,
        Some(f) => {
            let store = store.ok_or_else(|| ServiceError::new(codes::EVIDENCE_STORAGE_MISSING))?;
            // Content-addressed: should the publication below fail, the blob is merely unused.
            let blob = store.put_bytes(&f.bytes).await.map_err(|e| {
                tracing::error!(error = %e, "storing a decision file failed");
                ServiceError::internal(e)
            })?;
            Some(blob.id)
        }
    };
    let decision = Decision {
        number: cmd.decision.trim().to_owned(),
        decided_on: cmd.decided_on,
        reason,
        file,
    };
    // A publication carries the survey intervals of the results it publishes.
    crate::surveys::refresh_intervals(db, principal, code, now).await?;
    write(db, &period, &decision, &Actor(principal.login.clone()), now).await
}

/// The decision a version is published by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    pub number: String,
    pub decided_on: Date,
    pub reason: Option<String>,
    /// The signed decision, kept in the evidence store.
    pub file: Option<BlobId>,
}

/// Writes the snapshot of `period`'s computed results as its next version (the checks are the
/// caller's).
pub(crate) async fn write(
    db: &Db,
    period: &periods::Period,
    decision: &Decision,
    actor: &Actor,
    now: OffsetDateTime,
) -> ServiceResult<Published> {
    let code = &period.code;
    let stored = results::load(db, code)
        .await?
        .ok_or_else(|| ServiceError::new(codes::PUBLICATION_NOT_COMPUTED).arg("period", code))?;
    let mut groups = Vec::new();
    for (group, set) in periods::groups(db, code).await? {
        let stats = stored.groups.iter().find(|g| g.group == group).cloned();
        groups.push(PublishedGroup {
            set: index_sets::get(db, &set).await?,
            group,
            stats,
        });
    }
    let units = stored.units.len();
    // The kept intervals go with the results only when they rest on this very computation.
    let intervals = chiso_store::intervals::load(db, code)
        .await?
        .filter(|k| k.computed_at == period.computed_at)
        .map(|k| k.intervals);
    let new = NewPublication {
        period: code.clone(),
        decision: decision.number.clone(),
        decided_on: decision.decided_on,
        reason: decision.reason.clone(),
        decision_file: decision.file.map(|id| id.to_hex()),
        period_name: period.name.clone(),
        year: period.year,
        groups,
        units: stored.units,
        computed_at: period.computed_at,
        intervals,
    };
    match publications::publish(db, &new, actor, now).await {
        Ok(version) => Ok(Published { version, units }),
        Err(StoreError::Conflict(_)) => {
            Err(ServiceError::new(codes::PUBLICATION_STALE).arg("period", code))
        }
        Err(StoreError::Frozen(_)) => {
            Err(ServiceError::new(codes::PUBLICATION_EXISTS).arg("period", code))
        }
        Err(e) => Err(e.into()),
    }
}

/// Opens a correction of a published period, with its reason (audited): the period can change
/// again, and its next publication is a new version, while the published ones stay public.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn open_correction(
    db: &Db,
    principal: &Principal,
    period: &PeriodCode,
    reason: &str,
    now: OffsetDateTime,
) -> ServiceResult<()> {
    require_manage(principal, Some(period))?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::new(codes::PUBLICATION_REASON_REQUIRED).arg("field", "reason"));
    }
    let actor = Actor(principal.login.clone());
    match publications::open_correction(db, period, reason, &actor, now).await {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound(_)) => {
            Err(ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", period))
        }
        Err(StoreError::Conflict(_)) => {
            Err(ServiceError::new(codes::CORRECTION_NOT_POSSIBLE).arg("period", period))
        }
        Err(e) => Err(e.into()),
    }
}

/// Every published version of `period`, oldest first (public).
pub async fn versions(db: &Db, period: &PeriodCode) -> ServiceResult<Vec<Publication>> {
    Ok(publications::versions(db, period).await?)
}

/// The signed decision file of a published version (public, like the version itself):
/// `publication_version_not_found` for a version that does not exist,
/// `publication_file_not_found` when it was published without one.
pub async fn decision_file(db: &Db, period: &PeriodCode, version: i64) -> ServiceResult<BlobId> {
    let shown = publications::versions(db, period)
        .await?
        .into_iter()
        .find(|p| p.version == version)
        .ok_or_else(|| {
            ServiceError::new(codes::PUBLICATION_VERSION_NOT_FOUND)
                .arg("period", period)
                .arg("version", version)
        })?;
    let missing = || {
        ServiceError::new(codes::PUBLICATION_FILE_NOT_FOUND)
            .arg("period", period)
            .arg("version", version)
    };
    let hex = shown.decision_file.ok_or_else(missing)?;
    BlobId::parse(&hex).map_err(|e| {
        tracing::error!(error = %e, period = %period, version, "unreadable decision file reference");
        missing()
    })
}

/// The name a decision file is downloaded under, e.g. `quyet-dinh-cong-bo-2025-v2.pdf`.
pub fn decision_file_name(period: &PeriodCode, version: i64) -> String {
    format!("quyet-dinh-cong-bo-{period}-v{version}.pdf")
}

/// What anonymous readers can see, as a short text that changes whenever any of it may have
/// changed (see [`publications::public_fingerprint`]): public pages rendered once are served
/// again while it stays the same.
pub async fn public_fingerprint(db: &Db) -> ServiceResult<String> {
    Ok(publications::public_fingerprint(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn cmd(decision: &str, on: Date) -> Publish {
        Publish {
            period: PeriodCode::parse("2025").unwrap(),
            decision: decision.to_owned(),
            decided_on: on,
            reason: None,
        }
    }

    #[test]
    fn a_decision_needs_its_number_of_bounded_length_and_a_date_not_after_today() {
        let today = date!(2026 - 03 - 15);
        assert!(check(&cmd("123/QĐ-UBND", today), today).is_ok());
        let code = |c: &Publish| check(c, today).unwrap_err().code();
        assert_eq!(
            code(&cmd("  ", today)),
            codes::PUBLICATION_DECISION_REQUIRED
        );
        assert_eq!(
            code(&cmd(&"9".repeat(MAX_DECISION_LEN + 1), today)),
            codes::PUBLICATION_DECISION_TOO_LONG
        );
        let e = check(&cmd("123/QĐ-UBND", date!(2026 - 03 - 16)), today).unwrap_err();
        assert_eq!(e.code(), codes::PUBLICATION_DATE_FUTURE);
        assert_eq!(e.get("date"), Some("16/03/2026"));
    }
}
