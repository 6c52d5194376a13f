//! Vietnamese display formats (domain.md §9): decimal comma and thousands dot (89,83; 1.423),
//! dates as dd/mm/yyyy (11/06/2024), and the citation form of official decisions.

use rust_decimal::Decimal;
use time::Date;

use crate::points::round_display;

/// Formats `d` rounded to `dp` decimals (half away from zero) with a decimal comma and a
/// thousands dot: `1423` → `1.423`, `89.825` → `89,83` (dp = 2).
pub fn vi_decimal(d: Decimal, dp: u32) -> String {
    let r = if dp == 2 {
        round_display(d)
    } else {
        d.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    };
    let s = format!("{:.*}", dp as usize, r.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    let sign = if r.is_sign_negative() && !r.is_zero() {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

/// Formats with 2 decimals and an explicit sign, for deltas: `+0,21`, `-1,50`, `0,00`.
pub fn vi_delta(d: Decimal) -> String {
    let r = round_display(d);
    if r > Decimal::ZERO {
        format!("+{}", vi_decimal(r, 2))
    } else {
        vi_decimal(r, 2)
    }
}

/// Formats a count with thousands dots: 1423 → `1.423`.
pub fn vi_int(n: i64) -> String {
    vi_decimal(Decimal::from(n), 0)
}

/// Formats a number without trailing zeros (rule texts, explanations): `1,5`, `2`, `0,25`.
pub fn vi_plain(d: Decimal) -> String {
    let n = d.normalize();
    let dp = n.scale();
    vi_decimal(n, dp)
}

/// `dd/mm/yyyy`.
pub fn vi_date(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

/// Parses `dd/mm/yyyy` (also `d/m/yyyy`) or ISO `yyyy-mm-dd`.
pub fn parse_date(raw: &str) -> Option<Date> {
    let s = raw.trim();
    let (y, m, d) = if let Some((a, rest)) = s.split_once('/') {
        let (b, c) = rest.split_once('/')?;
        (
            c.parse::<i32>().ok()?,
            b.parse::<u8>().ok()?,
            a.parse::<u8>().ok()?,
        )
    } else {
        let mut it = s.splitn(3, '-');
        let y = it.next()?.parse::<i32>().ok()?;
        let m = it.next()?.parse::<u8>().ok()?;
        let d = it.next()?.parse::<u8>().ok()?;
        (y, m, d)
    };
    let month = time::Month::try_from(m).ok()?;
    Date::from_calendar_date(y, month, d).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use time::macros::date;

    #[test]
    fn numbers_use_decimal_comma_and_thousands_dot() {
        assert_eq!(vi_decimal(dec!(89.83), 2), "89,83");
        assert_eq!(vi_decimal(dec!(89.825), 2), "89,83");
        assert_eq!(vi_int(1423), "1.423");
        assert_eq!(vi_decimal(dec!(1234567.891), 2), "1.234.567,89");
        assert_eq!(vi_decimal(dec!(-0.001), 2), "0,00");
        assert_eq!(vi_decimal(dec!(-12.5), 2), "-12,50");
        assert_eq!(vi_delta(dec!(0.21)), "+0,21");
        assert_eq!(vi_plain(dec!(1.50)), "1,5");
        assert_eq!(vi_plain(dec!(2)), "2");
    }

    #[test]
    fn dates_are_day_month_year() {
        assert_eq!(vi_date(date!(2024 - 06 - 11)), "11/06/2024");
        assert_eq!(parse_date("11/6/2024"), Some(date!(2024 - 06 - 11)));
        assert_eq!(parse_date("2024-06-11"), Some(date!(2024 - 06 - 11)));
        assert_eq!(parse_date("31/02/2024"), None);
    }
}
