//! Points: exact decimals kept at full precision and rounded in one place only, for display and
//! publication (2 decimals, half away from zero — domain.md §5).

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, Neg, Sub};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// A number of points (or an index in percent). Never binary floating point.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Points(pub Decimal);

/// Decimals shown and published.
pub const DISPLAY_DP: u32 = 2;

impl Points {
    /// Zero points.
    pub const ZERO: Points = Points(Decimal::ZERO);

    /// Wraps an exact decimal.
    pub fn new(d: Decimal) -> Self {
        Points(d)
    }

    /// The exact value.
    pub fn value(self) -> Decimal {
        self.0
    }

    /// The published value: 2 decimals, half away from zero. This is the only place that
    /// rounds points; callers keep full precision until they show or publish a figure.
    pub fn rounded(self) -> Decimal {
        round_display(self.0)
    }

    /// `min(self, other)`.
    pub fn min(self, other: Points) -> Points {
        if self <= other { self } else { other }
    }

    /// `max(self, other)`.
    pub fn max(self, other: Points) -> Points {
        if self >= other { self } else { other }
    }

    /// Clamps into `[lo, hi]`.
    pub fn clamp(self, lo: Points, hi: Points) -> Points {
        self.max(lo).min(hi)
    }

    /// True for zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

/// Rounds a decimal for display: 2 decimals, half away from zero (89,825 → 89,83).
pub fn round_display(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(DISPLAY_DP, RoundingStrategy::MidpointAwayFromZero)
}

/// `part ÷ whole × 100`, exact to the decimal type's precision; `None` when `whole` is zero.
pub fn percent(part: Decimal, whole: Decimal) -> Option<Decimal> {
    if whole.is_zero() {
        return None;
    }
    if part.is_zero() {
        return Some(Decimal::ZERO);
    }
    // part ÷ (whole ÷ 100): moving the decimal point of `whole` is exact, so there is one
    // rounding (in the division) instead of two, and no multiplication of a long `part`.
    let mut hundredth = whole;
    if hundredth.set_scale(whole.scale() + 2).is_ok()
        && let Some(p) = part.checked_div(hundredth)
    {
        return Some(p);
    }
    part.checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|p| p.checked_div(whole))
        .or_else(|| {
            part.checked_div(whole)
                .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
        })
}

/// Parses a decimal as people type it in Vietnam or in English: `1,5`, `1.5`, `-0,25`, `95,2%`.
/// When both separators occur the last one is the decimal mark (`1.423,5`, `1,423.5`).
/// A lone separator is always the decimal mark (scores are small numbers; `1.423` reads 1,423).
pub fn parse_decimal(raw: &str) -> Option<Decimal> {
    if let Some(d) = parse_plain_decimal(raw) {
        return d;
    }
    let s: String = raw
        .trim()
        .trim_end_matches('%')
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    if s.is_empty() {
        return None;
    }
    let last_dot = s.rfind('.');
    let last_comma = s.rfind(',');
    let normalised = match (last_dot, last_comma) {
        (Some(d), Some(c)) if d > c => s.replace(',', ""),
        (Some(_), Some(_)) => s.replace('.', "").replace(',', "."),
        (None, Some(_)) => {
            if s.matches(',').count() > 1 {
                return None;
            }
            s.replace(',', ".")
        }
        _ => s,
    };
    if normalised.matches('.').count() > 1 {
        return None;
    }
    Decimal::from_str(&normalised).ok().map(|d| d.normalize())
}

/// [`parse_decimal`] without allocating, for what files hold almost always: digits with at
/// most one `.` or one `,` as the decimal mark and an optional sign. `None` when the text
/// needs the general rules (spaces, `%`, both separators, several commas), which give the
/// same result for the texts taken here: a national score file parses half a million
/// numbers.
fn parse_plain_decimal(raw: &str) -> Option<Option<Decimal>> {
    let b = raw.as_bytes();
    if b.is_empty() || b.len() > 40 {
        return None;
    }
    let mut separator = None;
    for (i, c) in b.iter().enumerate() {
        match c {
            b'0'..=b'9' => {}
            b'-' | b'+' if i == 0 => {}
            b'.' | b',' if separator.is_none() => separator = Some(i),
            _ => return None,
        }
    }
    let mut buf = [0u8; 40];
    buf[..b.len()].copy_from_slice(b);
    if let Some(i) = separator {
        buf[i] = b'.';
    }
    let text = std::str::from_utf8(&buf[..b.len()]).ok()?;
    Some(Decimal::from_str(text).ok().map(|d| d.normalize()))
}

impl fmt::Display for Points {
    /// Vietnamese display form, rounded: `89,83`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::fmt::vi_decimal(self.0, DISPLAY_DP))
    }
}

impl Add for Points {
    type Output = Points;
    fn add(self, rhs: Points) -> Points {
        Points(self.0 + rhs.0)
    }
}

impl AddAssign for Points {
    fn add_assign(&mut self, rhs: Points) {
        self.0 += rhs.0;
    }
}

impl Sub for Points {
    type Output = Points;
    fn sub(self, rhs: Points) -> Points {
        Points(self.0 - rhs.0)
    }
}

impl Neg for Points {
    type Output = Points;
    fn neg(self) -> Points {
        Points(-self.0)
    }
}

impl Mul<Decimal> for Points {
    type Output = Points;
    fn mul(self, rhs: Decimal) -> Points {
        Points(self.0 * rhs)
    }
}

impl Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        iter.fold(Points::ZERO, Add::add)
    }
}

impl From<Decimal> for Points {
    fn from(d: Decimal) -> Self {
        Points(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_display(dec!(89.825)), dec!(89.83));
        assert_eq!(round_display(dec!(89.835)), dec!(89.84));
        assert_eq!(round_display(dec!(-0.125)), dec!(-0.13));
        assert_eq!(round_display(dec!(0.124999)), dec!(0.12));
    }

    #[test]
    fn decimals_parse_with_comma_or_point() {
        assert_eq!(parse_decimal("1,5"), Some(dec!(1.5)));
        assert_eq!(parse_decimal("1.5"), Some(dec!(1.5)));
        assert_eq!(parse_decimal(" -0,25 "), Some(dec!(-0.25)));
        assert_eq!(parse_decimal("95,2%"), Some(dec!(95.2)));
        assert_eq!(parse_decimal("1.423,5"), Some(dec!(1423.5)));
        assert_eq!(parse_decimal("1,423.5"), Some(dec!(1423.5)));
        assert_eq!(parse_decimal("abc"), None);
        assert_eq!(parse_decimal(""), None);
        assert_eq!(parse_decimal("1,2,3"), None);
    }

    #[test]
    fn percent_of_zero_is_none() {
        assert_eq!(percent(dec!(1), dec!(0)), None);
        assert_eq!(percent(dec!(89.83), dec!(100)), Some(dec!(89.83)));
        assert_eq!(
            percent(dec!(2), dec!(3)).map(round_display),
            Some(dec!(66.67))
        );
        assert_eq!(percent(dec!(52), dec!(65)), Some(dec!(80)));
        let tiny = Decimal::from_i128_with_scale(3, 28);
        assert_eq!(
            percent(dec!(1), tiny),
            None,
            "beyond the decimal type: no panic"
        );
    }

    /// `parse_decimal` by its general rules only, as it was before the allocation-free path.
    fn general(raw: &str) -> Option<Decimal> {
        let s: String = raw
            .trim()
            .trim_end_matches('%')
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
            .collect();
        if s.is_empty() {
            return None;
        }
        let normalised = match (s.rfind('.'), s.rfind(',')) {
            (Some(d), Some(c)) if d > c => s.replace(',', ""),
            (Some(_), Some(_)) => s.replace('.', "").replace(',', "."),
            (None, Some(_)) => {
                if s.matches(',').count() > 1 {
                    return None;
                }
                s.replace(',', ".")
            }
            _ => s,
        };
        if normalised.matches('.').count() > 1 {
            return None;
        }
        Decimal::from_str(&normalised).ok().map(|d| d.normalize())
    }

    #[test]
    fn plain_numbers_parse_as_the_general_rules_parse_them() {
        for raw in [
            "0",
            "1",
            "-1",
            "+2",
            "1,5",
            "1.5",
            "-0,25",
            "3,75",
            ".5",
            ",5",
            "1.",
            "1,",
            "-",
            "+",
            ".",
            ",",
            "007",
            "1.423",
            "1,423",
            "99999999999999999999999999999",
            "999999999999999999999999999999",
            "0.0000000000000000000000000001",
            "1-2",
        ] {
            assert_eq!(parse_decimal(raw), general(raw), "{raw}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_short_text_of_digits_signs_and_separators_parses_as_the_general_rules(
            raw in "[-+]?[0-9.,]{0,32}"
        ) {
            proptest::prop_assert_eq!(parse_decimal(&raw), general(&raw));
        }
    }
}
