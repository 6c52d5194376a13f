//! Numbers as people type them in the forms of the web pages, read the way the pages show
//! them (domain.md §9): `.` groups thousands, `,` is the decimal sign (`1.234,5`).
//!
//! The same key means opposite things in the two conventions people bring with them, so a
//! number is read strictly and a text that could mean two numbers is refused with both
//! readings instead of being guessed:
//!
//! - `1.200` in a decimal field is 1200 (thousands dot) or 1,2 (a decimal point typed
//!   English-style): refused as [`NumberError::Ambiguous`], the person writes `1200` or `1,2`;
//! - `1.200` in a count is 1200: a count has no decimals, so the dot can only group thousands
//!   (when the groups are well formed);
//! - `2,5` in a count is refused ([`NumberError::NotWhole`]): counts are whole numbers;
//! - a dot that cannot group thousands (`1.5`, `0.25`, `1.2345`) has only one reading, the
//!   decimal point, and is read so;
//! - a comma is never a thousands separator (`1,234.5` is refused).
//!
//! Files (spreadsheets, CSV) are read by `points::parse_decimal`, which keeps its own, more
//! lenient rule: cells of a spreadsheet are numbers already, and CSV columns are checked whole.

use rust_decimal::Decimal;

use crate::method::{InputError, Method, RawValue, TierBasis};

/// What a numeric field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    /// A count: documents, violations, records. Whole numbers only.
    Whole,
    /// Points, percentages, numerators and denominators: decimals allowed.
    Decimal,
}

/// Why a typed number is refused. The web words these per language; the Vietnamese text here
/// serves the command line and logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Not a number written the Vietnamese way.
    #[error(
        "\"{0}\" không phải là số (dấu chấm ngăn cách hàng nghìn, dấu phẩy ngăn cách phần thập phân, ví dụ 1.234,5)"
    )]
    NotANumber(String),
    /// A count with decimals.
    #[error("\"{0}\": số lượng phải là số nguyên")]
    NotWhole(String),
    /// A text with two readings: the dot as a thousands separator or as a decimal point.
    #[error(
        "\"{typed}\" có hai cách hiểu: {} (dấu chấm ngăn cách hàng nghìn) hoặc {} (dấu chấm là dấu thập phân); hãy viết {} hoặc {}",
        vi_input(*thousands), vi_input(*decimal), vi_input(*thousands), vi_input(*decimal)
    )]
    Ambiguous {
        /// The text as typed (trimmed).
        typed: String,
        /// The reading with the dot grouping thousands.
        thousands: Decimal,
        /// The reading with the dot as a decimal point.
        decimal: Decimal,
    },
}

/// Why a value typed for a leaf is refused: its number, or the leaf's method.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypedError {
    /// A number is malformed, fractional where a count is expected, or ambiguous.
    #[error(transparent)]
    Number(#[from] NumberError),
    /// The method refuses the text (not a grade, not a date…).
    #[error(transparent)]
    Input(#[from] InputError),
}

/// A number as it is written back into an input: decimal comma, no thousands separator and no
/// trailing zeros (`1234,5`, `1200`, `0,25`). [`parse_number`] reads it back to the same value
/// in every kind of field, which a grouped `1.200` would not be in a decimal field.
pub fn vi_input(d: Decimal) -> String {
    d.normalize().to_string().replace('.', ",")
}

/// Reads a number typed in a form field of `kind` (see the module's rules). The result is
/// normalised (no trailing zeros).
pub fn parse_number(raw: &str, kind: NumberKind) -> Result<Decimal, NumberError> {
    let typed = raw.trim();
    let not_a_number = || NumberError::NotANumber(typed.to_owned());
    let (negative, body) = match typed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, typed),
    };
    let grouped = vietnamese(body);
    let pointed = english(body);
    let value = match (kind, grouped, pointed) {
        (_, None, None) => return Err(not_a_number()),
        (NumberKind::Whole, Some(v), _) | (_, None, Some(v)) => v,
        (NumberKind::Decimal, Some(v), None) => v,
        (NumberKind::Decimal, Some(thousands), Some(decimal)) => {
            let sign = |d: Decimal| if negative { -d } else { d };
            return Err(NumberError::Ambiguous {
                typed: typed.to_owned(),
                thousands: sign(thousands),
                decimal: sign(decimal),
            });
        }
    };
    if kind == NumberKind::Whole && !value.fract().is_zero() {
        return Err(NumberError::NotWhole(typed.to_owned()));
    }
    Ok(if negative { -value } else { value })
}

/// `1.234.567,89`, `1234567,89`, `12`: digits, optionally grouped by dots in threes (the first
/// group one to three digits, not starting with 0), optionally a comma and decimals.
fn vietnamese(body: &str) -> Option<Decimal> {
    let (int, frac) = match body.split_once(',') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if let Some(f) = frac
        && (f.is_empty() || !all_digits(f))
    {
        return None;
    }
    let digits: String = if int.contains('.') {
        let mut groups = int.split('.');
        let first = groups.next()?;
        let first_ok =
            (1..=3).contains(&first.len()) && all_digits(first) && !first.starts_with('0');
        if !first_ok || !groups.all(|g| g.len() == 3 && all_digits(g)) {
            return None;
        }
        int.replace('.', "")
    } else {
        if int.is_empty() || !all_digits(int) {
            return None;
        }
        int.to_owned()
    };
    decimal(&digits, frac.unwrap_or(""))
}

/// `1.5`, `1.200`: one dot as a decimal point, digits on both sides, no comma.
fn english(body: &str) -> Option<Decimal> {
    let (int, frac) = body.split_once('.')?;
    if int.is_empty() || frac.is_empty() || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    decimal(int, frac)
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// The exact decimal `int.frac`; `None` beyond what a decimal holds (never rounded).
fn decimal(int: &str, frac: &str) -> Option<Decimal> {
    let text = if frac.is_empty() {
        int.to_owned()
    } else {
        format!("{int}.{frac}")
    };
    Decimal::from_str_exact(&text).ok().map(|d| d.normalize())
}

/// Reads the text typed for a leaf in a form (the appraisal's single field, a unit's count or
/// points), numbers the Vietnamese way: counts of [`Method::Count`], [`Method::Deduction`] and
/// count tiers are whole numbers; ratios are `numerator/denominator` or a percentage (a
/// trailing `%` allowed); points are decimals. Texts without a digit (`không phát sinh`,
/// `có`, a grade code) and dates go to [`Method::parse_input`].
pub fn parse_typed(method: &Method, raw: &str) -> Result<RawValue, TypedError> {
    let s = raw.trim();
    let numeric = s.bytes().any(|b| b.is_ascii_digit());
    let whole = |t: &str| parse_number(t, NumberKind::Whole);
    let dec = |t: &str| parse_number(t, NumberKind::Decimal);
    let percent = |t: &str| dec(t.strip_suffix('%').unwrap_or(t).trim_end());
    match method {
        _ if !numeric => Ok(method.parse_input(s)?),
        Method::Count { .. }
        | Method::Deduction { .. }
        | Method::Tiers {
            basis: TierBasis::Count,
            ..
        } => Ok(RawValue::Count(whole(s)?)),
        Method::Tiers {
            basis: TierBasis::Percent,
            ..
        }
        | Method::Proportional => match s.split_once('/') {
            Some((num, den)) => Ok(RawValue::Ratio {
                num: dec(num)?,
                den: dec(den)?,
            }),
            None => Ok(RawValue::Percent(percent(s)?)),
        },
        Method::Survey if s.ends_with('%') => Ok(RawValue::Percent(percent(s)?)),
        Method::Manual { .. } | Method::Bonus | Method::Survey => Ok(RawValue::Points(dec(s)?)),
        Method::YesNo
        | Method::Graded { .. }
        | Method::Tiers {
            basis: TierBasis::DaysLate { .. },
            ..
        } => Ok(method.parse_input(s)?),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    use super::*;
    use crate::fmt::{vi_decimal, vi_int};

    fn whole(s: &str) -> Result<Decimal, NumberError> {
        parse_number(s, NumberKind::Whole)
    }

    fn decimal_field(s: &str) -> Result<Decimal, NumberError> {
        parse_number(s, NumberKind::Decimal)
    }

    #[test]
    fn a_thousands_dot_in_a_count_groups_thousands() {
        assert_eq!(whole("1.200"), Ok(dec!(1200)));
        assert_eq!(whole("1.234.567"), Ok(dec!(1234567)));
        assert_eq!(whole("1200"), Ok(dec!(1200)));
        assert_eq!(whole(" 7 "), Ok(dec!(7)));
        assert_eq!(
            whole("2,0"),
            Ok(dec!(2)),
            "a whole number with a zero decimal"
        );
    }

    #[test]
    fn a_count_with_decimals_is_refused_as_not_whole() {
        assert_eq!(whole("2,5"), Err(NumberError::NotWhole("2,5".into())));
        assert_eq!(whole("1.5"), Err(NumberError::NotWhole("1.5".into())));
        assert_eq!(whole("1.20"), Err(NumberError::NotWhole("1.20".into())));
    }

    #[test]
    fn a_dot_before_three_digits_in_a_decimal_field_is_refused_with_both_readings() {
        assert_eq!(
            decimal_field("1.200"),
            Err(NumberError::Ambiguous {
                typed: "1.200".into(),
                thousands: dec!(1200),
                decimal: dec!(1.2),
            })
        );
        let e = decimal_field("-12.345").unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"-12.345\" có hai cách hiểu: -12345 (dấu chấm ngăn cách hàng nghìn) hoặc -12,345 \
             (dấu chấm là dấu thập phân); hãy viết -12345 hoặc -12,345"
        );
    }

    #[test]
    fn decimal_fields_read_the_vietnamese_way_and_a_lone_decimal_point() {
        assert_eq!(decimal_field("1.234,5"), Ok(dec!(1234.5)));
        assert_eq!(decimal_field("1234,5"), Ok(dec!(1234.5)));
        assert_eq!(decimal_field("0,25"), Ok(dec!(0.25)));
        assert_eq!(decimal_field("1.5"), Ok(dec!(1.5)), "only a decimal point");
        assert_eq!(
            decimal_field("0.500"),
            Ok(dec!(0.5)),
            "0.500 groups nothing"
        );
        assert_eq!(decimal_field("1.2345"), Ok(dec!(1.2345)));
        assert_eq!(decimal_field("1.234.567"), Ok(dec!(1234567)));
        assert_eq!(decimal_field("-4,5"), Ok(dec!(-4.5)));
    }

    #[test]
    fn malformed_numbers_are_refused() {
        for s in [
            "",
            "ba",
            "1,234.5",
            "1,2,3",
            "1.23.4",
            ",5",
            "5,",
            "1 200",
            "+3",
            "1e3",
            "0x10",
            "--1",
            "12.34.56,7",
            "01.234,5",
            "1.2.3",
        ] {
            assert!(
                matches!(
                    parse_number(s, NumberKind::Decimal),
                    Err(NumberError::NotANumber(_))
                ),
                "{s:?} in a decimal field"
            );
        }
        assert!(matches!(whole("abc"), Err(NumberError::NotANumber(_))));
    }

    #[test]
    fn numbers_too_long_for_a_decimal_are_refused_not_rounded() {
        assert!(decimal_field("1,00000000000000000000000000000001").is_err());
        assert!(whole("123456789012345678901234567890123").is_err());
    }

    #[test]
    fn typed_values_are_read_by_the_leafs_method() {
        let count = Method::Count {
            per: dec!(0.5),
            cap: None,
        };
        assert_eq!(
            parse_typed(&count, "1.200"),
            Ok(RawValue::Count(dec!(1200)))
        );
        assert_eq!(
            parse_typed(&count, "2,5"),
            Err(TypedError::Number(NumberError::NotWhole("2,5".into())))
        );
        assert_eq!(
            parse_typed(&count, "không phát sinh"),
            Ok(RawValue::NotApplicable)
        );
        assert!(matches!(
            parse_typed(&count, "ba"),
            Err(TypedError::Input(InputError::NotANumber(_)))
        ));
        let ratio = Method::Proportional;
        assert_eq!(
            parse_typed(&ratio, "45/47"),
            Ok(RawValue::Ratio {
                num: dec!(45),
                den: dec!(47)
            })
        );
        assert_eq!(
            parse_typed(&ratio, "95,2 %"),
            Ok(RawValue::Percent(dec!(95.2)))
        );
        assert!(matches!(
            parse_typed(&ratio, "1.200/1.500"),
            Err(TypedError::Number(NumberError::Ambiguous { .. }))
        ));
        let manual = Method::Manual { step: None };
        assert_eq!(
            parse_typed(&manual, "0,75"),
            Ok(RawValue::Points(dec!(0.75)))
        );
        assert_eq!(parse_typed(&Method::YesNo, "1"), Ok(RawValue::Yes));
        let late = Method::Tiers {
            basis: TierBasis::DaysLate {
                deadline: time::macros::date!(2025 - 01 - 15),
            },
            tiers: vec![],
        };
        assert_eq!(
            parse_typed(&late, "20/01/2025"),
            Ok(RawValue::Date(time::macros::date!(2025 - 01 - 20)))
        );
    }

    /// Decimals as a form can hold them: up to 15 integer digits and 6 decimals, either sign.
    fn typed_decimal() -> impl Strategy<Value = Decimal> {
        (-999_999_999_999_999_i64..=999_999_999_999_999, 0_u32..=6)
            .prop_map(|(m, s)| Decimal::new(m, s))
    }

    proptest! {
        #[test]
        fn a_number_shown_in_an_input_reads_back_the_same(d in typed_decimal()) {
            prop_assert_eq!(decimal_field(&vi_input(d)), Ok(d.normalize()));
        }

        #[test]
        fn a_number_formatted_the_vietnamese_way_with_decimals_reads_back_the_same(
            d in typed_decimal(),
            dp in 1_u32..=6,
        ) {
            let rounded = d.round_dp(dp);
            prop_assert_eq!(decimal_field(&vi_decimal(rounded, dp)), Ok(rounded.normalize()));
        }

        #[test]
        fn a_count_formatted_with_thousands_dots_reads_back_the_same(
            n in -999_999_999_999_999_i64..=999_999_999_999_999,
        ) {
            prop_assert_eq!(whole(&vi_int(n)), Ok(Decimal::from(n)));
            prop_assert_eq!(whole(&vi_input(Decimal::from(n))), Ok(Decimal::from(n)));
        }

        #[test]
        fn a_count_never_reads_as_a_fraction(s in "-?[0-9.,]{1,12}") {
            if let Ok(v) = whole(&s) {
                prop_assert!(v.fract().is_zero(), "{} read as {}", s, v);
            }
        }

        #[test]
        fn a_dot_before_three_digits_is_never_guessed_in_a_decimal_field(
            int in 1_u32..=999,
            frac in 0_u32..=999,
        ) {
            let s = format!("{int}.{frac:03}");
            let is_ambiguous = matches!(decimal_field(&s), Err(NumberError::Ambiguous { .. }));
            prop_assert!(is_ambiguous, "{}", s);
        }
    }
}
