//! The integration tests of chiso-store, linked into one test binary: each file beside this one is a
//! module, and the shared set-up is declared here once.

mod common;

mod assessment;
mod outbox;
mod publications;
mod store;
