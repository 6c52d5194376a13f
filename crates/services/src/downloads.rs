//! Results as files to download: what a results page shows (a period, one of its groups, one
//! unit), made from the same report the page is made from ([`crate::results`]), so a file
//! never says something the page does not, and is refused to whoever the page is refused to.
//! Also the official workbook of a period, which the results page offers and the command line
//! writes (`chiso export results --official`).
//!
//! File names say what they hold without diacritics, for every mail client and file system:
//! `chi-so-cchc-2025-ubnd-cap-xa.xlsx`; an older published version than the latest gets
//! `-phien-ban-N`, so two downloads of a corrected period never overwrite each other.

use std::collections::BTreeMap;

use chiso_domain::{GroupName, IndexSet, PeriodResults, SetCode};
use chiso_formats::{OfficialGroup, OfficialWorkbook, UnitFile, file_slug};

use crate::error::{ServiceError, ServiceResult};
use crate::publication::decision_text;
use crate::records::Period;
use crate::results::{GroupReport, PeriodReport, Source, UnitReport};

/// The kinds of file a results page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Comma-separated values, UTF-8, decimal point.
    Csv,
    /// An Excel workbook.
    Xlsx,
    /// JSON.
    Json,
}

impl FileKind {
    /// Every kind, in the order pages list them.
    pub const ALL: [FileKind; 3] = [FileKind::Xlsx, FileKind::Csv, FileKind::Json];

    /// The file name extension, without the dot.
    pub fn ext(self) -> &'static str {
        match self {
            FileKind::Csv => "csv",
            FileKind::Xlsx => "xlsx",
            FileKind::Json => "json",
        }
    }

    /// The kind of a file name extension (`csv`, `xlsx`, `json`, any case).
    pub fn from_ext(ext: &str) -> Option<Self> {
        FileKind::ALL
            .into_iter()
            .find(|k| k.ext().eq_ignore_ascii_case(ext))
    }

    /// The media type sent with the file.
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Csv => "text/csv; charset=utf-8",
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileKind::Json => "application/json",
        }
    }
}

/// A file ready to send.
#[derive(Debug, Clone)]
pub struct Download {
    /// The name to save it under.
    pub name: String,
    /// Its media type.
    pub content_type: &'static str,
    /// Its content.
    pub bytes: Vec<u8>,
    /// True when the figures are published (anybody may keep a copy); false for confidential
    /// results, which no shared cache may keep.
    pub public: bool,
}

/// The start of every file name of a period: `chi-so-cchc-2025`, plus `-phien-ban-N` when the
/// version shown is not the latest.
fn period_stem(period: &Period, source: &Source) -> String {
    let code = file_slug(period.code.as_str());
    let mut stem = format!("chi-so-cchc-{code}");
    if let Some(p) = source.publication().filter(|_| source.superseded()) {
        stem.push_str(&format!("-phien-ban-{}", p.version));
    }
    stem
}

/// The file name stem of a period's results (`group` = `None`) or of one group's.
pub fn results_stem(report: &PeriodReport, group: Option<&GroupName>) -> String {
    let stem = period_stem(&report.period, &report.source);
    match group.map(|g| file_slug(g.as_str())) {
        Some(slug) if !slug.is_empty() => format!("{stem}-{slug}"),
        Some(_) => format!("{stem}-nhom"),
        None => stem,
    }
}

/// The file name stem of a unit's result: `chi-so-cchc-2025-so-noi-vu`.
pub fn unit_stem(report: &UnitReport) -> String {
    let stem = period_stem(&report.period, &report.source);
    let mut slug = file_slug(&report.result.name);
    if slug.is_empty() {
        slug = file_slug(report.result.unit.as_str());
    }
    format!("{stem}-{slug}")
}

/// What a file's name asks for among a period's files: the whole period (`None`) or one group,
/// and the kind; `None` when the name is none of them.
pub fn match_results_file(
    report: &PeriodReport,
    file: &str,
) -> Option<(Option<GroupName>, FileKind)> {
    let (stem, ext) = file.rsplit_once('.')?;
    let kind = FileKind::from_ext(ext)?;
    if stem == results_stem(report, None) {
        return Some((None, kind));
    }
    report
        .groups
        .iter()
        .find(|g| results_stem(report, Some(&g.group)) == stem)
        .map(|g| (Some(g.group.clone()), kind))
}

/// The line under a file's title: the decision that published the version, or that the
/// results are not published.
fn decision_line(source: &Source) -> String {
    match source.publication() {
        Some(p) => {
            let mut line = format!("Công bố theo {}", decision_text(&p.decision, p.decided_on));
            if p.version > 1 {
                line.push_str(&format!(" (phiên bản {})", p.version));
            }
            line
        }
        None => "Kết quả chưa công bố — tài liệu mật, chỉ dùng nội bộ".to_owned(),
    }
}

/// The results and sets of some groups, in the shape the results writers take.
fn results_of(groups: &[&GroupReport]) -> (PeriodResults, Vec<IndexSet>) {
    let units = groups
        .iter()
        .flat_map(|g| g.units.iter().cloned())
        .collect();
    let stats = groups.iter().filter_map(|g| g.stats.clone()).collect();
    let sets: BTreeMap<SetCode, IndexSet> = groups
        .iter()
        .filter_map(|g| g.set.as_deref())
        .map(|s| (s.code.clone(), s.clone()))
        .collect();
    (
        PeriodResults {
            units,
            groups: stats,
        },
        sets.into_values().collect(),
    )
}

fn export_failed(e: chiso_formats::ExportError) -> ServiceError {
    ServiceError::internal(e)
}

/// The official workbook of some groups of a report (see [`chiso_formats::official_xlsx`]).
fn workbook(report: &PeriodReport, groups: &[&GroupReport]) -> ServiceResult<Vec<u8>> {
    let decision = decision_line(&report.source);
    let w = OfficialWorkbook {
        period_name: &report.period.name,
        decision: &decision,
        groups: groups
            .iter()
            .map(|g| OfficialGroup {
                name: &g.group,
                set: g.set.as_deref(),
                stats: g.stats.as_ref(),
                units: &g.units,
            })
            .collect(),
    };
    chiso_formats::official_xlsx(&w).map_err(export_failed)
}

/// The official workbook of the whole report: what `chiso export results --official` writes
/// and the results page's Excel download.
pub fn official_workbook(report: &PeriodReport) -> ServiceResult<Vec<u8>> {
    let groups: Vec<&GroupReport> = report.groups.iter().collect();
    workbook(report, &groups)
}

/// The file of a report's results (one group's when `group` is given) as the reader of the
/// report sees them: the official workbook for XLSX, the results table for CSV and JSON (the
/// format `chiso export results` writes and `--previous` reads back).
pub fn results_file(
    report: &PeriodReport,
    group: Option<&GroupName>,
    kind: FileKind,
) -> ServiceResult<Download> {
    let groups: Vec<&GroupReport> = report
        .groups
        .iter()
        .filter(|g| group.is_none_or(|name| &g.group == name))
        .collect();
    let (results, sets) = results_of(&groups);
    let with_previous = results.units.iter().any(|u| u.previous_index.is_some());
    let intervals = report.intervals.as_ref().map(|i| &i.intervals);
    let bytes = match kind {
        FileKind::Xlsx => workbook(report, &groups)?,
        FileKind::Csv => {
            chiso_formats::results_csv(&results, &sets, with_previous, intervals).into_bytes()
        }
        FileKind::Json => {
            chiso_formats::results_json(&results, &sets, with_previous, intervals).into_bytes()
        }
    };
    Ok(Download {
        name: format!("{}.{}", results_stem(report, group), kind.ext()),
        content_type: kind.content_type(),
        bytes,
        public: report.source.publication().is_some(),
    })
}

/// The file of a unit's result as its page shows it.
pub fn unit_file(report: &UnitReport, kind: FileKind) -> ServiceResult<Download> {
    let decision = decision_line(&report.source);
    let f = UnitFile {
        period_name: &report.period.name,
        decision: &decision,
        result: &report.result,
        set: report.set.as_deref(),
    };
    let bytes = match kind {
        FileKind::Csv => chiso_formats::unit_csv(&f).into_bytes(),
        FileKind::Json => chiso_formats::unit_json(&f).into_bytes(),
        FileKind::Xlsx => chiso_formats::unit_xlsx(&f).map_err(export_failed)?,
    };
    Ok(Download {
        name: format!("{}.{}", unit_stem(report), kind.ext()),
        content_type: kind.content_type(),
        bytes,
        public: report.source.publication().is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_kinds_are_read_from_extensions_in_any_case() {
        assert_eq!(FileKind::from_ext("XLSX"), Some(FileKind::Xlsx));
        assert_eq!(FileKind::from_ext("csv"), Some(FileKind::Csv));
        assert_eq!(FileKind::from_ext("pdf"), None);
        assert!(FileKind::Xlsx.content_type().contains("spreadsheetml"));
    }
}
