//! The integration tests of chiso-formats, linked into one test binary: each file beside this one is a
//! module, and the shared set-up is declared here once.

mod support;

mod examples;
mod fuzz;
mod hostile;
mod index_set;
mod results;
mod robustness;
mod scores;
mod survey_files;
mod units;
