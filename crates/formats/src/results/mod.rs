//! Results of a period as files: written as CSV, XLSX and JSON (one row per unit), and read
//! back as the previous period's results for deltas and streaks.

mod read;
mod write;

pub use read::{read_results, read_results_bytes};
pub use write::{
    previous_csv, results_csv, results_json, results_xlsx, write_previous_csv, write_results,
};
