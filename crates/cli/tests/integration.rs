//! The integration tests of chiso-cli, linked into one test binary: each file beside this one is a
//! module, and the shared set-up is declared here once.

mod common;

mod cli;
mod import_crash;
mod logs;
mod messages;
mod outbox_delivery;
mod publish;
mod reports;
mod serve_limits;
mod survey;
