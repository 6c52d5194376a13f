//! The integration tests of chiso-services, linked into one test binary: each file beside this one is a
//! module, and the shared set-up is declared here once.

mod matrix;

mod accounts;
mod assessment;
mod authz_matrix;
mod import_scores;
mod import_scores_upload;
mod import_streamed;
mod index_sets;
mod lapsed;
mod layering;
mod measured;
mod periods;
mod publication;
mod reports;
mod review;
mod roles;
mod services;
mod surveys;
mod unit_admin;
mod units;
