//! Imports into a stored period. A scores file holds units of groups that use one index set;
//! with several sets in a period, the file is checked against each and taken by the set all of
//! whose checks it passes, so a failed import changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chiso_domain::{GroupName, IndexSet, PeriodCode, SetCode, UnitCode};
use chiso_reports::{ImportError, ImportErrors, ScoresFile, UnitsFile};
use chiso_store::{Actor, Db, index_sets, periods, scores::ScoreChange, units};
use time::OffsetDateTime;

use crate::error::{AppError, AppResult};

/// Reads a scores file (CSV or XLSX, long or wide) for `period` and turns it into score
/// changes, each with the points its leaf's method gives. Nothing is written here.
pub async fn read_scores_for_period(
    db: &Db,
    period: &PeriodCode,
    path: &Path,
) -> AppResult<Vec<ScoreChange>> {
    let bytes = std::fs::read(path).map_err(|e| {
        AppError::Import(ImportErrors(vec![ImportError {
            file: path.display().to_string(),
            row: None,
            column: None,
            message: format!("không đọc được tệp: {e}"),
        }]))
    })?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    scores_for_period_bytes(db, period, &name, &bytes).await
}

/// Same as [`read_scores_for_period`] for an uploaded file's bytes.
pub async fn scores_for_period_bytes(
    db: &Db,
    period: &PeriodCode,
    file_name: &str,
    bytes: &[u8],
) -> AppResult<Vec<ScoreChange>> {
    periods::get(db, period)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("kỳ đánh giá {period}")))?;
    let groups = periods::groups(db, period).await?;
    let members = periods::members(db, period).await?;
    if groups.is_empty() {
        return Err(AppError::Invalid(format!(
            "kỳ {period} chưa có nhóm đơn vị nào (nhập danh sách đơn vị trước)"
        )));
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
            .ok_or_else(|| AppError::NotFound(format!("bộ chỉ số {code}")))?;
        match chiso_reports::read_scores_bytes(file_name, bytes, &set, Some(known)) {
            Ok(file) => return Ok(changes(&set, file)),
            Err(errs) => {
                if best.as_ref().is_none_or(|b| errs.0.len() < b.0.len()) {
                    best = Some(errs);
                }
            }
        }
    }
    Err(AppError::Import(best.unwrap_or_else(|| {
        ImportErrors(vec![ImportError {
            file: file_name.to_owned(),
            row: None,
            column: None,
            message: format!("kỳ {period} chưa có đơn vị tham gia"),
        }])
    })))
}

fn changes(set: &IndexSet, file: ScoresFile) -> Vec<ScoreChange> {
    let mut out = Vec::new();
    for u in file.units {
        let notes: BTreeMap<_, _> = u.notes.into_iter().collect();
        for (node, input) in u.values {
            let points = set.find(&node).and_then(|leaf| {
                let m = leaf.method.as_ref()?;
                m.score(leaf.max, leaf.source, leaf.not_applicable, &input)
                    .ok()
                    .map(|o| o.points)
            });
            out.push(ScoreChange {
                unit: u.unit.clone(),
                note: notes.get(&node).cloned(),
                node,
                input: Some(input),
                points,
                expected_version: None,
            });
        }
    }
    out
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
) -> AppResult<UnitsImported> {
    let mut problems = Vec::new();
    let known: BTreeSet<UnitCode> = units::list(db).await?.into_iter().map(|u| u.code).collect();
    let in_file: BTreeSet<&UnitCode> = file.units.iter().map(|u| &u.code).collect();
    for l in &file.lineage {
        if !known.contains(&l.predecessor) && !in_file.contains(&l.predecessor) {
            problems.push(format!(
                "đơn vị {}: đơn vị tiền thân {} chưa có trong cơ sở dữ liệu (nhập danh sách đơn vị của kỳ trước trước)",
                l.successor, l.predecessor
            ));
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
                        problems.push(format!(
                            "không có bộ chỉ số {code}: nhập bộ chỉ số trước (chiso import index-set)"
                        ));
                    }
                    groups.push((m.group.clone(), code));
                }
                None => problems.push(format!(
                    "nhóm \"{}\" chưa có bộ chỉ số: chỉ định mã bộ chỉ số cho kỳ {period}",
                    m.group
                )),
            }
        }
    }
    if !problems.is_empty() {
        problems.dedup();
        return Err(AppError::Invalid(problems.join("\n")));
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
                .map_err(|_| {
                    AppError::Invalid(format!("không suy ra được năm từ mã kỳ \"{period}\""))
                })?;
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
pub async fn units_changes(db: &Db, file: &UnitsFile) -> AppResult<UnitsChanges> {
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
