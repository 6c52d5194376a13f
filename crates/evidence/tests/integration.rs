//! The integration tests of chiso-evidence, linked into one test binary: each file beside this one is a
//! module, and the shared set-up is declared here once.

mod support;

mod store;
mod upload;
