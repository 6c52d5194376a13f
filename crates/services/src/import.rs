//! Imports into a stored period. A scores file holds units of groups that use one index set;
//! with several sets in a period, the file is checked against each and taken by the set all of
//! whose checks it passes, so a failed import changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chiso_domain::{
    AssessmentState, GroupName, IndexSet, NodeCode, PeriodCode, RawValue, SetCode, UnitCode,
};
use chiso_formats::{ImportErrors, ScoresFile, UnitsFile};
use chiso_store::scores::{ScoreChange, StoredScore};
use chiso_store::{Actor, Db, assessments, index_sets, periods, scores, units};
use time::OffsetDateTime;

use crate::codes;
use crate::compute::PeriodBasis;
use crate::error::{Detail, Problem, ServiceError, ServiceResult};

/// Reads a scores file (CSV or XLSX, long or wide) for `period` and turns it into score
/// changes, each with the points its leaf's method gives. Nothing is written here.
pub async fn read_scores_for_period(
    db: &Db,
    period: &PeriodCode,
    path: &Path,
) -> ServiceResult<Vec<ScoreChange>> {
    // The message names the file once ("không có tệp điểm.csv"), not as a row error.
    let bytes = std::fs::read(path).map_err(|e| {
        ServiceError::new(codes::FILE_UNREADABLE)
            .arg("file", path.display())
            .arg("reason", format!("{:?}", e.kind()))
            .source(e)
    })?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    scores_for_period_bytes(db, period, &name, &bytes).await
}

/// What a scores import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoresImported {
    /// Values in the file.
    pub values: usize,
    /// Values that differ from what was stored (each written with one audit entry).
    pub changed: usize,
    /// Units in the recomputed results.
    pub units: usize,
}

/// How far a score import has come, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportProgress {
    /// `values` checked and written so far, after reading `bytes_read` of the file's
    /// `bytes_total` bytes.
    Reading {
        values: usize,
        bytes_read: u64,
        bytes_total: u64,
    },
    /// Results computed and written for `done` of the period's `groups`.
    Results { done: usize, groups: usize },
}

/// Imports a scores file into `period` and recomputes the period, in **one** transaction:
/// an interrupted or refused import leaves the period as it was, never new scores beside old
/// results.
///
/// The file is streamed: a reader thread checks each row and hands the values over in
/// slices, which are written (each actual change with its audit entry) while the next slice
/// is read; then the results are computed and written one group at a time from what the
/// transaction holds. Memory is that of a slice and a group, whatever the size of the file;
/// a CSV file may hold up to [`chiso_formats::limits::StreamBounds::LOCAL_FILE`]. With
/// several index sets in the period, the file is taken by the set all of whose checks it
/// passes (each attempt rolled back when it does not).
///
/// Refused, changing nothing, when the period does not exist, is published, when the file
/// has any problem (every one named, with row and column), or when a unit of the file has an
/// approved assessment: as on the web, an approved unit's scores are those the council
/// approved (the workflow locks them) and a published period is frozen.
///
/// `progress` hears how far the import has come after each slice and each group.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn import_scores(
    db: &Db,
    period: &PeriodCode,
    path: &Path,
    actor: &Actor,
    at: OffsetDateTime,
    progress: &(dyn Fn(ImportProgress) + Sync),
) -> ServiceResult<ScoresImported> {
    let p = periods::get(db, period)
        .await?
        .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", period))?;
    if p.status == periods::STATUS_PUBLISHED {
        return Err(ServiceError::new(codes::PERIOD_PUBLISHED).arg("period", period));
    }
    // The message names the file once ("không có tệp điểm.csv"), not as a row error.
    let bytes_total = std::fs::metadata(path)
        .map_err(|e| {
            ServiceError::new(codes::FILE_UNREADABLE)
                .arg("file", path.display())
                .arg("reason", format!("{:?}", e.kind()))
                .source(e)
        })?
        .len();
    let basis = PeriodBasis::load(db, period).await?;
    if basis.group_names().is_empty() {
        return Err(ServiceError::new(codes::PERIOD_NO_GROUPS).arg("period", period));
    }
    let reason = format!("Nhập tệp {}", path.display());
    let mut best: Option<ImportErrors> = None;
    for (code, set) in basis.sets() {
        let known = basis.units_of_set(code);
        if known.is_empty() {
            continue;
        }
        let attempt = Attempt {
            path,
            bytes_total,
            set: set.clone(),
            known,
            progress,
        };
        match attempt.run(db, period, &basis, actor, at, &reason).await? {
            Ok(done) => return Ok(done),
            Err(errors) => {
                if best.as_ref().is_none_or(|b| errors.0.len() < b.0.len()) {
                    best = Some(errors);
                }
            }
        }
    }
    Err(match best {
        Some(errors) => errors.into(),
        None => ServiceError::new(codes::PERIOD_NO_UNITS).arg("period", period),
    })
}

/// Values per slice of a streamed import: large enough for multi-row statements and `COPY`
/// to run at full speed, small enough that a slice and the next one being read stay a few
/// megabytes.
const SLICE: usize = 8_192;

/// One attempt at importing a file as scores of one index set.
struct Attempt<'p> {
    path: &'p Path,
    bytes_total: u64,
    set: IndexSet,
    /// The period's units that use the set.
    known: Vec<UnitCode>,
    progress: &'p (dyn Fn(ImportProgress) + Sync),
}

impl Attempt<'_> {
    /// `Ok(Err(problems))` when the file does not fit the set (the transaction rolled back).
    async fn run(
        self,
        db: &Db,
        period: &PeriodCode,
        basis: &PeriodBasis,
        actor: &Actor,
        at: OffsetDateTime,
        reason: &str,
    ) -> ServiceResult<Result<ScoresImported, ImportErrors>> {
        let mut import = scores::Import::begin(db, period, actor, at, reason).await?;
        let approved = import.approved().clone();
        let (slices, mut received) = tokio::sync::mpsc::channel::<Vec<ScoreChange>>(2);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let bytes_read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (path, counted) = (self.path.to_owned(), bytes_read.clone());
        let (set, known) = (self.set, self.known);
        let reader = tokio::task::spawn_blocking(move || {
            read_slices(&path, &set, &known, &approved, &counted, &stopped, &slices)
        });
        let mut changed = 0;
        let mut written = 0;
        let mut failed = None;
        while let Some(slice) = received.recv().await {
            match import.write(&slice).await {
                Ok(n) => {
                    changed += n;
                    written += slice.len();
                    (self.progress)(ImportProgress::Reading {
                        values: written,
                        bytes_read: bytes_read.load(std::sync::atomic::Ordering::Relaxed),
                        bytes_total: self.bytes_total,
                    });
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        // A failed write stops the hand-over; the reader still reads to the end, so the
        // file's own problems are reported before the write's.
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        drop(received);
        let read = reader.await.map_err(|e| {
            ServiceError::new(codes::INTERNAL)
                .arg("reason", e.to_string())
                .source(e)
        })?;
        let (values, locked) = match read {
            Ok(read) => read,
            Err(errors) => return Ok(Err(errors)),
        };
        if !locked.is_empty() {
            let locked: Vec<&UnitCode> = locked.iter().collect();
            return Err(ServiceError::new(codes::UNITS_APPROVED)
                .arg("period", period)
                .arg("units", list_some(&locked))
                .arg("count", locked.len()));
        }
        if let Some(e) = failed {
            return Err(e.into());
        }
        let units = write_results(basis, &mut import, self.progress).await?;
        import.commit().await?;
        Ok(Ok(ScoresImported {
            values,
            changed,
            units,
        }))
    }
}

/// Reads the file at `path` against `set`, sending its values in slices of [`SLICE`] until
/// the file shows a problem, a unit of `approved` appears, or `stop` is set, counting the
/// bytes read in `bytes_read`; returns how many values the file holds and the approved units
/// it names.
fn read_slices(
    path: &Path,
    set: &IndexSet,
    known: &[UnitCode],
    approved: &BTreeSet<UnitCode>,
    bytes_read: &std::sync::atomic::AtomicU64,
    stop: &std::sync::atomic::AtomicBool,
    slices: &tokio::sync::mpsc::Sender<Vec<ScoreChange>>,
) -> Result<(usize, BTreeSet<UnitCode>), ImportErrors> {
    let mut values = 0;
    let mut locked = BTreeSet::new();
    let mut slice = Vec::with_capacity(SLICE);
    let mut sending = true;
    chiso_formats::stream_scores_path(path, set, Some(known), bytes_read, |r| {
        values += 1;
        if approved.contains(r.unit) {
            locked.insert(r.unit.clone());
            sending = false;
        }
        if !sending || stop.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        slice.push(change(set, r.unit, r.node, r.value, r.note));
        if slice.len() == SLICE && slices.blocking_send(std::mem::take(&mut slice)).is_err() {
            sending = false;
        }
    })?;
    if sending && !slice.is_empty() {
        // A refused send means the writer stopped; it reports why.
        let _ = slices.blocking_send(slice);
    }
    Ok((values, locked))
}

/// Computes the period's results one group at a time from the values the import's
/// transaction holds and writes them there; returns the number of units.
async fn write_results(
    basis: &PeriodBasis,
    import: &mut scores::Import<'_>,
    progress: &(dyn Fn(ImportProgress) + Sync),
) -> ServiceResult<usize> {
    let areas = if basis.needs_areas() {
        basis.areas_with_values(&import.leaves_with_input().await?)
    } else {
        BTreeMap::new()
    };
    let mut units = 0;
    let groups = basis.group_names();
    progress(ImportProgress::Results {
        done: 0,
        groups: groups.len(),
    });
    for (done, group) in groups.iter().enumerate() {
        let values = import
            .group_inputs(group)
            .await?
            .into_iter()
            .map(|u| (u.unit, u.values))
            .collect();
        let part = basis.compute_group(group, values, &areas)?;
        units += part.units.len();
        import.results_part(&part).await?;
        progress(ImportProgress::Results {
            done: done + 1,
            groups: groups.len(),
        });
    }
    Ok(units)
}

/// Writes checked score changes into `period` with the recomputed results, in one
/// transaction: refused, changing nothing, when any unit of the changes has an approved
/// assessment (its scores are those the council approved).
pub(crate) async fn write_scores(
    db: &Db,
    period: &PeriodCode,
    changes: &[ScoreChange],
    actor: &Actor,
    at: OffsetDateTime,
    reason: &str,
) -> ServiceResult<ScoresImported> {
    refuse_approved(db, period, changes).await?;
    let basis = PeriodBasis::load(db, period).await?;
    let stored = scores::list(db, period).await?;
    // The stored inputs with the file's applied, as the store will hold them.
    let mut inputs: BTreeMap<(&UnitCode, &NodeCode), &RawValue> = stored
        .iter()
        .filter_map(|s| s.input.as_ref().map(|i| ((&s.unit, &s.node), i)))
        .collect();
    let before: BTreeMap<(&UnitCode, &NodeCode), &StoredScore> =
        stored.iter().map(|s| ((&s.unit, &s.node), s)).collect();
    let mut changed = BTreeSet::new();
    for c in changes {
        let key = (&c.unit, &c.node);
        let same = before
            .get(&key)
            .is_some_and(|s| s.input == c.input && s.points == c.points && s.note == c.note);
        if !same {
            changed.insert(key);
        }
        match &c.input {
            Some(i) => inputs.insert(key, i),
            None => inputs.remove(&key),
        };
    }
    let results = basis.compute_inputs(
        inputs
            .into_iter()
            .map(|((unit, node), input)| (unit, node, input.clone())),
    )?;
    scores::put_with_results(db, period, changes, &stored, &results, actor, at, reason).await?;
    Ok(ScoresImported {
        values: changes.len(),
        changed: changed.len(),
        units: results.units.len(),
    })
}

/// Refuses changes of units whose assessment is approved (`units_approved`, naming them):
/// the council's approval locks a unit's scores.
async fn refuse_approved(
    db: &Db,
    period: &PeriodCode,
    changes: &[ScoreChange],
) -> ServiceResult<()> {
    let approved: BTreeSet<UnitCode> = assessments::list(db, period)
        .await?
        .into_iter()
        .filter(|a| a.state == AssessmentState::Finalised)
        .map(|a| a.unit)
        .collect();
    let locked: Vec<&UnitCode> = changes
        .iter()
        .map(|c| &c.unit)
        .filter(|u| approved.contains(*u))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if locked.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::new(codes::UNITS_APPROVED)
            .arg("period", period)
            .arg("units", list_some(&locked))
            .arg("count", locked.len()))
    }
}

/// The first few codes of `units`, then an ellipsis when there are more (the count travels
/// as its own argument).
pub(crate) fn list_some(units: &[&UnitCode]) -> String {
    const SHOWN: usize = 5;
    let mut out = units
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if units.len() > SHOWN {
        out.push_str(", …");
    }
    out
}

/// Same as [`read_scores_for_period`] for an uploaded file's bytes.
pub async fn scores_for_period_bytes(
    db: &Db,
    period: &PeriodCode,
    file_name: &str,
    bytes: &[u8],
) -> ServiceResult<Vec<ScoreChange>> {
    periods::get(db, period)
        .await?
        .ok_or_else(|| ServiceError::new(codes::PERIOD_NOT_FOUND).arg("period", period))?;
    let groups = periods::groups(db, period).await?;
    let members = periods::members(db, period).await?;
    if groups.is_empty() {
        return Err(ServiceError::new(codes::PERIOD_NO_GROUPS).arg("period", period));
    }
    let mut units_by_set: BTreeMap<SetCode, Vec<UnitCode>> = BTreeMap::new();
    for m in &members {
        if let Some((_, set)) = groups.iter().find(|(g, _)| g == &m.group) {
            units_by_set
                .entry(set.clone())
                .or_default()
                .push(m.unit.clone());
        }
    }
    let mut best: Option<ImportErrors> = None;
    for (code, known) in &units_by_set {
        let set = index_sets::get(db, code)
            .await?
            .ok_or_else(|| ServiceError::new(codes::SET_NOT_FOUND).arg("set", code))?;
        match chiso_formats::read_scores_bytes(file_name, bytes, &set, Some(known)) {
            Ok(file) => return Ok(changes(&set, file)),
            Err(errs) => {
                if best.as_ref().is_none_or(|b| errs.0.len() < b.0.len()) {
                    best = Some(errs);
                }
            }
        }
    }
    Err(match best {
        Some(errors) => errors.into(),
        None => ServiceError::new(codes::PERIOD_NO_UNITS).arg("period", period),
    })
}

fn changes(set: &IndexSet, file: ScoresFile) -> Vec<ScoreChange> {
    let mut out = Vec::new();
    for u in file.units {
        let notes: BTreeMap<_, _> = u.notes.into_iter().collect();
        for (node, input) in u.values {
            let note = notes.get(&node).map(String::as_str);
            out.push(change(set, &u.unit, &node, input, note));
        }
    }
    out
}

/// The change a file's value makes, with the points its leaf's method gives.
fn change(
    set: &IndexSet,
    unit: &UnitCode,
    node: &NodeCode,
    input: RawValue,
    note: Option<&str>,
) -> ScoreChange {
    let points = set.find(node).and_then(|leaf| {
        let m = leaf.method.as_ref()?;
        m.score(leaf.max, leaf.source, leaf.not_applicable, &input)
            .ok()
            .map(|o| o.points)
    });
    ScoreChange {
        unit: unit.clone(),
        node: node.clone(),
        input: Some(input),
        points,
        note: note.map(str::to_owned),
        expected_version: None,
    }
}

/// What a units import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitsImported {
    pub units: usize,
    /// Groups defined for the period, with the set each uses.
    pub groups: Vec<(GroupName, SetCode)>,
}

/// Stores the units and lineage of a units file; with `period`, also makes the file's `group`
/// column that period's groups (creating the period, named after its year, when missing).
/// Every check runs before anything is written, so a refused import changes nothing.
pub async fn import_units(
    db: &Db,
    file: &UnitsFile,
    period: Option<&PeriodCode>,
    set: Option<&SetCode>,
    actor: &Actor,
    at: OffsetDateTime,
) -> ServiceResult<UnitsImported> {
    let mut problems = Vec::new();
    let known: BTreeSet<UnitCode> = units::list(db).await?.into_iter().map(|u| u.code).collect();
    let in_file: BTreeSet<&UnitCode> = file.units.iter().map(|u| &u.code).collect();
    for l in &file.lineage {
        if !known.contains(&l.predecessor) && !in_file.contains(&l.predecessor) {
            problems.push(
                Problem::new(codes::PREDECESSOR_UNKNOWN)
                    .arg("unit", &l.successor)
                    .arg("predecessor", &l.predecessor),
            );
        }
    }
    let mut groups: Vec<(GroupName, SetCode)> = Vec::new();
    if let Some(period) = period {
        let existing: BTreeMap<GroupName, SetCode> = match periods::get(db, period).await? {
            Some(_) => periods::groups(db, period).await?.into_iter().collect(),
            None => BTreeMap::new(),
        };
        for m in &file.memberships {
            if groups.iter().any(|(g, _)| g == &m.group) {
                continue;
            }
            match set.cloned().or_else(|| existing.get(&m.group).cloned()) {
                Some(code) => {
                    if index_sets::get(db, &code).await?.is_none() {
                        problems.push(Problem::new(codes::SET_NOT_FOUND).arg("set", &code));
                    }
                    groups.push((m.group.clone(), code));
                }
                None => problems.push(
                    Problem::new(codes::GROUP_WITHOUT_SET)
                        .arg("group", &m.group)
                        .arg("period", period),
                ),
            }
        }
    }
    if !problems.is_empty() {
        problems.dedup();
        return Err(ServiceError::new(codes::UNITS_REFUSED)
            .arg("count", problems.len())
            .detail(Detail::Problems(problems)));
    }
    units::upsert_many(db, &file.units, &file.lineage, actor, at).await?;
    if let Some(period) = period {
        if periods::get(db, period).await?.is_none() {
            let year: i32 = period
                .as_str()
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .map_err(|_| ServiceError::new(codes::PERIOD_CODE_NO_YEAR).arg("period", period))?;
            let p = periods::Period {
                code: period.clone(),
                year,
                name: format!("Chỉ số CCHC năm {year}"),
                previous: None,
                status: periods::STATUS_DRAFT.to_owned(),
                decision: None,
                computed_at: None,
            };
            periods::create(db, &p, actor, at).await?;
        }
        periods::set_groups(db, period, &groups, &file.memberships, actor, at).await?;
    }
    Ok(UnitsImported {
        units: file.units.len(),
        groups,
    })
}

/// What importing a units file would change, unit by unit, compared with the stored units:
/// shown to the administrator after an import ("12 đơn vị mới, 3 đơn vị cập nhật").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnitsChanges {
    /// Codes not stored yet, in file order.
    pub created: Vec<UnitCode>,
    /// Codes stored with other values (name, kind, parent, dates), in file order.
    pub updated: Vec<UnitCode>,
    /// Units of the file identical to the stored ones.
    pub unchanged: usize,
    /// Lineage edges of the file not stored yet or stored with another kind or date.
    pub lineage: usize,
}

/// Compares a units file with the database without writing anything; call it just before
/// [`import_units`] to report what the import did.
pub async fn units_changes(db: &Db, file: &UnitsFile) -> ServiceResult<UnitsChanges> {
    let stored: BTreeMap<UnitCode, chiso_domain::Unit> = units::list(db)
        .await?
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect();
    let stored_lineage = units::lineage(db).await?;
    let mut out = UnitsChanges::default();
    for u in &file.units {
        match stored.get(&u.code) {
            None => out.created.push(u.code.clone()),
            Some(old) if old == u => out.unchanged += 1,
            Some(_) => out.updated.push(u.code.clone()),
        }
    }
    out.lineage = file
        .lineage
        .iter()
        .filter(|l| !stored_lineage.contains(l))
        .count();
    Ok(out)
}

/// Import an uploaded scores file into a period: the values of survey and monitoring-data
/// leaves, which no unit enters and no appraiser checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportScoresUpload {
    /// The period the scores belong to.
    pub period: PeriodCode,
    /// The file's name as uploaded; its extension picks the format (CSV or XLSX), and
    /// problems name it.
    pub file_name: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// Imports an uploaded scores file (the formats of `chiso import scores`), for people who
/// enter survey and data values of the period (the administrator; appraisers within their
/// units and areas). Every check of the page's preview ([`crate::measured`]) runs before
/// anything is written:
/// - `period_published` when the period is published, `units_approved` when a unit of the
///   file has an approved assessment: the council's approval locks a unit's scores;
/// - `file_invalid` with every problem of the file (row, column) in the details;
/// - `denied_*` when a value is outside the person's units or areas;
/// - `scores_only_measured` when the file brings values of leaves that units assess
///   themselves (each named in the details): those scores come from the self-assessment
///   and its appraisal, and a file must not overwrite them behind the appraisers' backs.
///
/// Then the scores and the recomputed results are written in one transaction.
#[tracing::instrument(skip_all, fields(period = %cmd.period, file = %cmd.file_name))]
pub async fn import_scores_upload(
    db: &Db,
    principal: &chiso_domain::authz::Principal,
    cmd: &ImportScoresUpload,
    at: OffsetDateTime,
) -> ServiceResult<ScoresImported> {
    crate::measured::import_now(db, principal, &cmd.period, &cmd.file_name, &cmd.bytes, at).await
}
