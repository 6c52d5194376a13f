//! How domain values are written in columns, identically on both backends: timestamps as
//! RFC 3339 text in UTC with 9 fractional digits (so text order is time order), dates as ISO
//! text, decimals as exact strings, enums by their serde names.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::error::StoreError;

/// `2024-06-11T08:30:00.000000000Z`.
pub(crate) fn ts(at: OffsetDateTime) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z");
    at.to_offset(UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_else(|_| at.to_string())
}

pub(crate) fn parse_ts(s: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|e| StoreError::Corrupt(format!("thời điểm \"{s}\": {e}")))
}

pub(crate) fn opt_ts(s: Option<String>) -> Result<Option<OffsetDateTime>, StoreError> {
    s.as_deref().map(parse_ts).transpose()
}

/// `2025-07-01`.
pub(crate) fn date(d: Date) -> String {
    let fmt = format_description!("[year]-[month]-[day]");
    d.format(&fmt).unwrap_or_else(|_| d.to_string())
}

pub(crate) fn parse_date(s: &str) -> Result<Date, StoreError> {
    let fmt = format_description!("[year]-[month]-[day]");
    Date::parse(s, &fmt).map_err(|e| StoreError::Corrupt(format!("ngày \"{s}\": {e}")))
}

pub(crate) fn opt_date(s: Option<String>) -> Result<Option<Date>, StoreError> {
    s.as_deref().map(parse_date).transpose()
}

/// The exact decimal string (`89.83`, `0.25`), keeping its scale.
pub(crate) fn dec(d: Decimal) -> String {
    d.to_string()
}

pub(crate) fn parse_dec(s: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(s).map_err(|e| StoreError::Corrupt(format!("số \"{s}\": {e}")))
}

/// The serde name of a unit-like enum variant (`department`, `merger`).
pub(crate) fn enum_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => e.to_string(),
    }
}

pub(crate) fn parse_enum<T: DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| StoreError::Corrupt(format!("giá trị \"{s}\": {e}")))
}

/// Parses a stored identifier (unit, period, set, node code, group name).
pub(crate) fn id<T, E>(s: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Result<T, StoreError>
where
    E: std::fmt::Display,
{
    parse(s).map_err(|e| StoreError::Corrupt(format!("mã \"{s}\": {e}")))
}

/// A serialisable value as JSON for the audit log.
pub(crate) fn json<T: Serialize + ?Sized>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_else(|e| serde_json::Value::String(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_are_fixed_width_utc_and_round_trip() {
        let at = datetime!(2024-06-11 15:30:00.5 +07:00);
        let s = ts(at);
        assert_eq!(s, "2024-06-11T08:30:00.500000000Z");
        assert_eq!(parse_ts(&s).unwrap(), at);
    }

    #[test]
    fn decimals_keep_their_exact_digits() {
        let d = Decimal::from_str("89.8312345678901234").unwrap();
        assert_eq!(
            parse_dec(&dec(d)).unwrap().to_string(),
            "89.8312345678901234"
        );
    }
}
