//! Display forms of the figures shown on pages, built on `chiso_domain::fmt` so that every
//! number reads the Vietnamese way (89,83; 1.423; 11/06/2024) in both interface languages:
//! the figures are quotations of official Vietnamese publications.

use chiso_domain::fmt::{vi_date, vi_decimal, vi_delta, vi_int};
use chiso_domain::points::round_display;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use time::{OffsetDateTime, UtcOffset};

/// Shown where a figure does not exist (no previous year, not ranked).
pub const DASH: &str = "—";

/// Vietnam's time zone (UTC+7, no daylight saving): a computation at 23:30 UTC on 10 June
/// happened on 11 June for the people reading the page.
const VIETNAM: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// An index or points figure: `89,83`.
pub fn num(d: Decimal) -> String {
    vi_decimal(d, 2)
}

/// A 90 % interval of an index or of points: `89,12–91,40`, or the one figure when both
/// ends are the same once rounded.
pub fn num_range(low: Decimal, high: Decimal) -> String {
    let (low, high) = (num(low), num(high));
    if low == high {
        low
    } else {
        format!("{low}–{high}")
    }
}

/// A 90 % interval of a rank: `3–6`, or `3` when the data settle it.
pub fn rank_range(best: u32, worst: u32) -> String {
    if best == worst {
        best.to_string()
    } else {
        format!("{best}–{worst}")
    }
}

/// A count: `1.423`.
pub fn count(n: impl Into<i64>) -> String {
    vi_int(n.into())
}

/// An index delta: `+0,21`, `-1,50`, or a dash when there is nothing to compare with.
pub fn delta(d: Option<Decimal>) -> String {
    d.map_or_else(|| DASH.to_owned(), vi_delta)
}

/// A rank delta (positive = moved up): `+2`, `-1`, `0`, or a dash.
pub fn delta_rank(d: Option<i32>) -> String {
    match d {
        None => DASH.to_owned(),
        Some(n) if n > 0 => format!("+{n}"),
        Some(n) => n.to_string(),
    }
}

/// `up`, `down`, `same` or `none`: a CSS hook so the arrow colour follows the sign (the sign
/// itself is always written, colour is never the only signal).
pub fn trend<T: PartialOrd + Default>(d: Option<T>) -> &'static str {
    match d {
        None => "none",
        Some(v) if v > T::default() => "up",
        Some(v) if v < T::default() => "down",
        Some(_) => "same",
    }
}

/// The day of an instant in Vietnam: `11/06/2024`.
pub fn date(t: OffsetDateTime) -> String {
    vi_date(t.to_offset(VIETNAM).date())
}

/// A published figure as a JSON number: rounded to 2 decimals first, so the binary double
/// prints as the published decimal (89.83, never 89.829999…).
pub fn json_num(d: Decimal) -> f64 {
    round_display(d).to_f64().unwrap_or_default()
}

/// Percent-encodes a code for use as one path segment. Codes are letters, digits, `-`, `_`,
/// `.`, but "letters" include Vietnamese ones, which must be encoded in a URL.
pub fn segment(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    for b in code.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Who did something, for people: "Nguyễn Văn An (can-bo)" for a user (the login tells two
/// people of one name apart), the server's command line or the demo loader in words, and any
/// other actor as recorded. `names` maps logins to display names.
pub fn actor(
    lang: crate::i18n::Lang,
    names: &std::collections::HashMap<String, String>,
    actor: &str,
) -> String {
    match names.get(actor) {
        Some(name) if name != actor => return format!("{name} ({actor})"),
        Some(_) => return actor.to_owned(),
        None => {}
    }
    match actor.split_once(':') {
        _ if actor == "cli" => lang.t("actor.cli").to_owned(),
        Some(("cli", account)) => lang.tf("actor.cli_account", &[("account", account)]),
        _ if actor == "demo" => lang.t("actor.demo").to_owned(),
        _ => actor.to_owned(),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn people_read_by_name_and_the_command_line_in_words() {
        let names: std::collections::HashMap<String, String> = [
            ("can-bo".to_owned(), "Nguyễn Thị Hạnh".to_owned()),
            ("td".to_owned(), "td".to_owned()),
        ]
        .into();
        let vi = crate::i18n::Lang::Vi;
        assert_eq!(actor(vi, &names, "can-bo"), "Nguyễn Thị Hạnh (can-bo)");
        assert_eq!(actor(vi, &names, "td"), "td");
        assert_eq!(
            actor(vi, &names, "cli:root"),
            "Quản trị hệ thống (dòng lệnh trên máy chủ, tài khoản root)"
        );
        assert_eq!(
            actor(vi, &names, "cli"),
            "Quản trị hệ thống (dòng lệnh trên máy chủ)"
        );
        assert_eq!(actor(vi, &names, "demo"), "Dữ liệu mẫu của hệ thống");
        assert_eq!(actor(vi, &names, "ai-do"), "ai-do");
    }
    use super::*;
    use rust_decimal_macros::dec;
    use time::macros::datetime;

    #[test]
    fn figures_read_the_vietnamese_way() {
        assert_eq!(num(dec!(89.825)), "89,83");
        assert_eq!(num_range(dec!(89.123), dec!(91.4)), "89,12–91,40");
        assert_eq!(num_range(dec!(89.001), dec!(88.999)), "89,00");
        assert_eq!(
            (rank_range(3, 6), rank_range(2, 2)),
            ("3–6".into(), "2".into())
        );
        assert_eq!(count(1423), "1.423");
        assert_eq!(delta(Some(dec!(0.21))), "+0,21");
        assert_eq!(delta(None), DASH);
        assert_eq!(delta_rank(Some(2)), "+2");
        assert_eq!(delta_rank(Some(-1)), "-1");
        assert_eq!(trend(Some(dec!(-0.5))), "down");
    }

    #[test]
    fn dates_are_days_in_vietnam() {
        assert_eq!(date(datetime!(2024-06-10 23:30 UTC)), "11/06/2024");
    }

    #[test]
    fn json_numbers_are_the_published_decimals() {
        assert_eq!(
            serde_json::to_string(&json_num(dec!(89.825))).unwrap(),
            "89.83"
        );
    }

    #[test]
    fn vietnamese_letters_are_percent_encoded_in_paths() {
        assert_eq!(segment("XA-1"), "XA-1");
        assert_eq!(segment("Đ1"), "%C4%901");
    }
}
