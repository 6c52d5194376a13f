//! The integration tests of chiso-web, linked into one test binary: each file beside this one is a
//! module, and the shared set-up is declared here once.

#[macro_use]
mod common;

mod accounts;
mod analysis;
mod api_cycle;
mod app;
mod authz_matrix;
mod cycle;
mod downloads;
mod hardening;
mod lapsed;
mod measured;
mod notify;
mod period_admin;
mod public_pages;
mod publication;
mod pure;
mod ranking_search;
mod reports;
mod review;
mod set_admin;
mod survey_form;
mod surveys;
mod tokens;
mod unit_admin;
