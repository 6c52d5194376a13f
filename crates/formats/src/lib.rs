//! The file formats of chiso, read and written: index sets (YAML, CSV, XLSX), unit lists,
//! score files (long and wide), results (CSV, XLSX, JSON), and surveys (questionnaire
//! workbooks, XLSForms for ODK and KoboToolbox, answer files). The same readers serve the
//! command line, the web import pages and the API, so a file is judged the same way
//! everywhere.
//!
//! Every reader reports all the problems of a file at once, each with its row and column and a
//! stable code with named arguments ([`codes`]), and returns nothing usable when there is any,
//! so an import either succeeds whole or changes nothing. Entry points come in pairs: `read_x(path)` and
//! `read_x_bytes(file_name, bytes)`, the format chosen by the file's extension.

pub mod codes;
mod error;
mod index_set;
pub mod limits;
mod params;
mod results;
mod scores;
pub mod survey;
mod table;
mod text_stream;
mod units;

pub use error::{ExportError, ImportError, ImportErrors, Problem, ProblemCode, TEXTS_EN, TEXTS_VI};
pub use index_set::{
    index_set_csv, index_set_yaml, read_index_set, read_index_set_bytes, write_index_set_yaml,
};
pub use params::method_params;
pub use results::{
    BreakdownRow, OfficialGroup, OfficialWorkbook, UnitFile, file_slug, official_xlsx,
    previous_csv, read_results, read_results_bytes, results_csv, results_json, results_xlsx,
    unit_breakdown, unit_csv, unit_json, unit_xlsx, write_previous_csv, write_results,
};
pub use scores::{
    ScoreRecord, ScoreShape, ScoresFile, UnitScores, raw_value_text, read_scores,
    read_scores_bytes, read_unit_inputs, scores_long_csv, stream_scores, stream_scores_path,
    write_scores_long_csv,
};
pub use table::FileFormat;
pub use units::{UnitsFile, read_units, read_units_bytes, units_csv, write_units_csv};

/// Parses a scoring method from its name and compact parameter text, as the spreadsheet form's
/// `method` and `params` columns are read (the inverse of [`method_params`]); used by forms
/// that edit one criterion. Every problem is returned.
pub fn parse_method_params(name: &str, params: &str) -> Result<chiso_domain::Method, Vec<Problem>> {
    params::parse_method(name, params)
}
