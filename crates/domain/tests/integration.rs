//! The integration tests of chiso-domain, linked into one test binary: each file beside this one is a
//! module, and the shared set-up is declared here once.

mod golden;
mod properties;
