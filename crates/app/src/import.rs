//! Imports into a stored period. A scores file holds units of groups that use one index set;
//! with several sets in a period, the file is checked against each and taken by the set all of
//! whose checks it passes, so a failed import changes nothing.

use std::collections::BTreeMap;
use std::path::Path;

use chiso_domain::{IndexSet, PeriodCode, SetCode, UnitCode};
use chiso_reports::{ImportError, ImportErrors, ScoresFile};
use chiso_store::{Db, index_sets, periods, scores::ScoreChange};

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
