//! Reading what a period published, for the HTML pages and the JSON API alike: the use cases
//! are [`chiso_services::results`]; this module adds what only a reader of URLs and pages needs
//! (codes from paths, node titles, class colours).

use std::collections::HashMap;

use chiso_domain::{GroupName, IndexSet, Node, NodeCode, PeriodCode, UnitCode};

use crate::AppError;

pub use chiso_services::results::{
    GroupReport, HistoryEntry, PeriodReport, PeriodSummary, Source, UnitHistory, UnitReport,
    list_periods, period_report, period_summary, unit_history, unit_report,
};

/// Parses a period code from a URL; a malformed code names no period, hence 404.
pub fn parse_period(raw: &str) -> Result<PeriodCode, AppError> {
    PeriodCode::parse(raw).map_err(|_| AppError::PeriodNotFound(raw.to_owned()))
}

/// Parses a version number from a query (`None` when absent); anything but a positive number
/// names no version, hence 404.
pub fn parse_version(period: &PeriodCode, raw: Option<&str>) -> Result<Option<i64>, AppError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(chiso_services::ServiceError::new(
                chiso_services::codes::PUBLICATION_VERSION_NOT_FOUND,
            )
            .arg("period", period)
            .arg("version", v)
            .into()),
        },
    }
}

/// Parses a unit code from a URL; a malformed code names no unit, hence 404.
pub fn parse_unit(raw: &str) -> Result<UnitCode, AppError> {
    UnitCode::parse(raw).map_err(|_| AppError::UnitNotFound(raw.to_owned()))
}

/// Every node of a set by code, for titles and maxima.
pub fn nodes_by_code(set: &IndexSet) -> HashMap<&NodeCode, &Node> {
    set.nodes
        .iter()
        .flat_map(Node::walk)
        .map(|n| (&n.code, n))
        .collect()
}

/// Position of a class label among the bands of `group` in `set` (0 = highest band), which
/// decides the class's colour; `None` when the class is missing or the label is unknown.
pub fn class_band(set: Option<&IndexSet>, group: &GroupName, class: Option<&str>) -> Option<usize> {
    chiso_services::ranking::class_band(set, group, class)
}
