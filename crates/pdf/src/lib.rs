//! The printed reports of chiso as PDF: the period's results report, a unit's result sheet, a
//! unit's self-assessment report and the appraisal minutes of a unit, typeset with typst in the layout of Vietnamese
//! administrative documents (Nghị định 30/2020/NĐ-CP: quốc hiệu and tiêu ngữ, the issuing
//! body on the left, place and date, title, signature block).
//!
//! This crate is pure: it takes documents whose every figure and date is already written the
//! Vietnamese way (the callers own the data and its rounding) and returns PDF bytes. The data
//! reaches the typst templates as one JSON string in `sys.inputs`, so nothing typed by people
//! is ever evaluated as typst markup. The only fonts are the Noto Sans files compiled into the
//! `notosans` crate: no system font is read and nothing is fetched, so a report looks the same
//! on every machine and every font is embedded in the file.

mod documents;
#[cfg(feature = "poppler")]
pub mod poppler;

pub use documents::{
    AppraisalMinutes, AppraisalRow, CriterionRow, Fact, Heading, ResultsGroup, ResultsReport,
    ResultsRow, Round, SelfAssessmentReport, Signature, UnitNodeRow, UnitResultReport,
};

use std::sync::LazyLock;

use serde::Serialize;
use typst::foundations::{Dict, IntoValue};
use typst_as_lib::{TypstEngine, TypstTemplateCollection};
use typst_layout::PagedDocument;

/// The most table rows one document may hold. A province has at most a few hundred units and
/// an index set a few hundred criteria; the bound keeps a malformed input from tying up a
/// worker thread for minutes.
pub const MAX_ROWS: usize = 5_000;

/// The most bytes of SVG charts one document may embed.
pub const MAX_CHART_BYTES: usize = 8 * 1024 * 1024;

/// Why a report could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The document has more rows or chart bytes than a report may hold.
    #[error("report too large: {rows} rows, {chart_bytes} bytes of charts")]
    TooLarge {
        /// Table rows in the document.
        rows: usize,
        /// Bytes of SVG charts in the document.
        chart_bytes: usize,
    },
    /// The template failed to typeset (a defect of this crate, never of the data).
    #[error("typesetting failed: {0}")]
    Typeset(String),
    /// The typeset document could not be written as PDF.
    #[error("PDF export failed: {0}")]
    Export(String),
}

const COMMON: &str = include_str!("../templates/common.typ");
const RESULTS: &str = include_str!("../templates/results.typ");
const SELF_ASSESSMENT: &str = include_str!("../templates/self_assessment.typ");
const MINUTES: &str = include_str!("../templates/minutes.typ");
const UNIT_RESULT: &str = include_str!("../templates/unit_result.typ");

/// One engine for the process: parsing the fonts and templates once, not per report.
static ENGINE: LazyLock<TypstEngine<TypstTemplateCollection>> = LazyLock::new(|| {
    TypstEngine::builder()
        .fonts([
            notosans::REGULAR_TTF,
            notosans::BOLD_TTF,
            notosans::ITALIC_TTF,
            notosans::BOLD_ITALIC_TTF,
        ])
        .with_static_source_file_resolver([
            ("common.typ", COMMON),
            ("results.typ", RESULTS),
            ("self_assessment.typ", SELF_ASSESSMENT),
            ("minutes.typ", MINUTES),
            ("unit_result.typ", UNIT_RESULT),
        ])
        .build()
});

/// A document this crate can typeset.
trait Document: Serialize {
    /// The template's file name.
    const TEMPLATE: &'static str;
    /// Table rows and chart bytes, for [`MAX_ROWS`] and [`MAX_CHART_BYTES`].
    fn size(&self) -> (usize, usize);
}

impl Document for ResultsReport {
    const TEMPLATE: &'static str = "results.typ";
    fn size(&self) -> (usize, usize) {
        let rows = self.groups.iter().map(|g| g.rows.len()).sum();
        let charts = self
            .groups
            .iter()
            .filter_map(|g| g.chart_svg.as_ref())
            .map(String::len)
            .sum();
        (rows, charts)
    }
}

impl Document for SelfAssessmentReport {
    const TEMPLATE: &'static str = "self_assessment.typ";
    fn size(&self) -> (usize, usize) {
        (self.rows.len(), 0)
    }
}

impl Document for AppraisalMinutes {
    const TEMPLATE: &'static str = "minutes.typ";
    fn size(&self) -> (usize, usize) {
        let lines: usize = self.rounds.iter().map(|r| r.lines.len()).sum();
        (self.rows.len() + lines, 0)
    }
}

impl Document for UnitResultReport {
    const TEMPLATE: &'static str = "unit_result.typ";
    fn size(&self) -> (usize, usize) {
        (
            self.rows.len(),
            self.chart_svg.as_ref().map_or(0, String::len),
        )
    }
}

/// Typesets `doc` with its template and writes it as PDF.
fn render<D: Document>(doc: &D) -> Result<Vec<u8>, PdfError> {
    let (rows, chart_bytes) = doc.size();
    if rows > MAX_ROWS || chart_bytes > MAX_CHART_BYTES {
        return Err(PdfError::TooLarge { rows, chart_bytes });
    }
    let json = serde_json::to_string(doc).map_err(|e| PdfError::Typeset(e.to_string()))?;
    let mut inputs = Dict::new();
    inputs.insert("data".into(), json.as_str().into_value());
    let typeset: PagedDocument = ENGINE
        .compile_with_input(D::TEMPLATE, inputs)
        .output
        .map_err(|e| PdfError::Typeset(e.to_string()))?;
    typst_pdf::pdf(&typeset, &typst_pdf::PdfOptions::default()).map_err(|errors| {
        PdfError::Export(
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// The period's results report as PDF.
pub fn results_report(doc: &ResultsReport) -> Result<Vec<u8>, PdfError> {
    render(doc)
}

/// A unit's self-assessment report as PDF.
pub fn self_assessment_report(doc: &SelfAssessmentReport) -> Result<Vec<u8>, PdfError> {
    render(doc)
}

/// The appraisal minutes of a unit as PDF.
pub fn appraisal_minutes(doc: &AppraisalMinutes) -> Result<Vec<u8>, PdfError> {
    render(doc)
}

/// A unit's result sheet as PDF.
pub fn unit_result_report(doc: &UnitResultReport) -> Result<Vec<u8>, PdfError> {
    render(doc)
}

/// The place and date line of a document, as Nghị định 30/2020/NĐ-CP writes it: `Hà Nội,
/// ngày 05 tháng 3 năm 2025` (day with two digits, month without a leading zero for 3 to 12
/// — "ngày 05 tháng 01" keeps January and February from being altered by hand).
pub fn place_and_date(place: &str, year: i32, month: u8, day: u8) -> String {
    let month = if month < 3 {
        format!("{month:02}")
    } else {
        month.to_string()
    };
    format!("{place}, ngày {day:02} tháng {month} năm {year}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_line_pads_the_day_and_the_first_two_months() {
        assert_eq!(
            place_and_date("Hà Nội", 2025, 3, 5),
            "Hà Nội, ngày 05 tháng 3 năm 2025"
        );
        assert_eq!(
            place_and_date("Huế", 2024, 1, 11),
            "Huế, ngày 11 tháng 01 năm 2024"
        );
        assert_eq!(
            place_and_date("Huế", 2024, 12, 31),
            "Huế, ngày 31 tháng 12 năm 2024"
        );
    }
}
