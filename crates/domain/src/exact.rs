//! Exact sums of decimals, used for the totals of the nodes of an index set.
//!
//! A national computation adds about 150 points per unit into the totals of criteria and
//! areas. Most are short (`1,5`, `0,25`), but a proportional leaf (`max × 45/47`) carries 28
//! digits, and the decimal type's general addition of such values used to be the largest single
//! cost of the computation. Integer significands add them exactly and cheaply; the total is
//! rounded once, at the end, and only when it has more digits than the decimal type can hold.

use rust_decimal::Decimal;

/// `10^k` for every scale a decimal can have.
pub(crate) const POWERS_OF_TEN: [i128; 29] = {
    let mut p = [1_i128; 29];
    let mut k = 1;
    while k < p.len() {
        p[k] = p[k - 1] * 10;
        k += 1;
    }
    p
};

/// The largest magnitude that can be multiplied by `10^k` without leaving `i128`.
const SCALE_UP_LIMIT: [u128; 29] = {
    let mut l = [0_u128; 29];
    let mut k = 0;
    while k < l.len() {
        l[k] = i128::MAX.unsigned_abs() / POWERS_OF_TEN[k].unsigned_abs();
        k += 1;
    }
    l
};

/// One more than the largest significand of a decimal (96 bits).
const DECIMAL_SIGNIFICAND_END: u128 = 1 << 96;

/// `m × 10^k`, `None` when it leaves `i128` (a plain multiplication after a bound check is
/// cheaper than an overflow-checked 128-bit one).
fn scale_up(m: i128, k: u32) -> Option<i128> {
    let k = usize::try_from(k).ok()?;
    if m.unsigned_abs() > *SCALE_UP_LIMIT.get(k)? {
        return None;
    }
    Some(m * POWERS_OF_TEN[k])
}

/// A running sum of decimals kept exactly: an integer significand and its number of decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExactSum {
    significand: i128,
    scale: u32,
}

impl ExactSum {
    pub(crate) const ZERO: ExactSum = ExactSum {
        significand: 0,
        scale: 0,
    };

    /// Adds `d` exactly; `None` when the sum no longer fits 128 bits (far beyond any real
    /// set; the caller then adds with decimals as before).
    pub(crate) fn add(self, d: Decimal) -> Option<ExactSum> {
        let scale = self.scale.max(d.scale());
        let a = scale_up(self.significand, scale - self.scale)?;
        let b = scale_up(d.mantissa(), scale - d.scale())?;
        Some(ExactSum {
            significand: a.checked_add(b)?,
            scale,
        })
    }

    /// The sum as a decimal with as many decimals as its most precise term. When that needs
    /// more than the decimal type's 96-bit significand, the last digits are rounded once,
    /// half to even, as the decimal type itself rounds what it cannot hold. `None` only when
    /// the whole part itself does not fit.
    pub(crate) fn to_decimal(self) -> Option<Decimal> {
        let (m, scale) = (self.significand, self.scale);
        if m.unsigned_abs() < DECIMAL_SIGNIFICAND_END {
            return Decimal::try_from_i128_with_scale(m, scale).ok();
        }
        for k in 1..=scale {
            let p = POWERS_OF_TEN[usize::try_from(k).ok()?];
            let q = m / p;
            if q.unsigned_abs() >= DECIMAL_SIGNIFICAND_END {
                continue;
            }
            let twice_rest = (m - q * p).unsigned_abs() * 2;
            let up =
                twice_rest > p.unsigned_abs() || (twice_rest == p.unsigned_abs() && q % 2 != 0);
            let q = if up { q + m.signum() } else { q };
            // Rounding up may reach 2^96: then drop one more digit.
            if let Ok(d) = Decimal::try_from_i128_with_scale(q, scale - k)
                && q.unsigned_abs() < DECIMAL_SIGNIFICAND_END
            {
                return Some(d);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    use super::*;

    fn sum(terms: &[Decimal]) -> Decimal {
        terms
            .iter()
            .try_fold(ExactSum::ZERO, |s, d| s.add(*d))
            .and_then(ExactSum::to_decimal)
            .unwrap()
    }

    #[test]
    fn short_terms_sum_exactly_with_the_scale_of_the_most_precise() {
        let s = sum(&[dec!(1.5), dec!(0.25), dec!(2), dec!(-0.75)]);
        assert_eq!(s, dec!(3.00));
        assert_eq!(s.to_string(), "3.00");
        assert_eq!(sum(&[]), Decimal::ZERO);
    }

    #[test]
    fn long_terms_are_rounded_once_half_to_even() {
        // 2 × 45 ÷ 47 has 28 decimals; ten of them need 29 digits before the point is placed.
        let p = dec!(2) * dec!(45) / dec!(47);
        assert!(p.mantissa() * 10 >= 1 << 96);
        // Ten of them: the significand needs a 97th bit, and dropping the last digit is exact.
        let ten = sum(&[p; 10]);
        assert_eq!(
            ten,
            Decimal::from_i128_with_scale(p.mantissa(), p.scale() - 1)
        );
        // Eleven: the dropped digit is rounded.
        let eleven = sum(&[p; 11]);
        let e = p.mantissa() * 11;
        let (q, r) = (e / 10, e % 10);
        let want = if r > 5 || (r == 5 && q % 2 == 1) {
            q + 1
        } else {
            q
        };
        assert_eq!((eleven.mantissa(), eleven.scale()), (want, p.scale() - 1));
        // A tie rounds to the even neighbour, either way, and a carry that no longer fits
        // drops one more digit.
        let tie = |x: i128| {
            ExactSum {
                significand: x * 10 + 5 * x.signum(),
                scale: 28,
            }
            .to_decimal()
            .unwrap()
        };
        let top = (1_i128 << 96) - 1;
        assert_eq!(tie(top - 1), Decimal::from_i128_with_scale(top - 1, 27));
        assert_eq!(tie(top - 2), Decimal::from_i128_with_scale(top - 1, 27));
        assert_eq!(
            tie(-(top - 2)),
            Decimal::from_i128_with_scale(-(top - 1), 27)
        );
        // 792281625142643375935439503355 ÷ 100 → …033,55 → …034.
        assert_eq!(
            tie(top),
            Decimal::from_i128_with_scale(7_922_816_251_426_433_759_354_395_034, 26)
        );
    }

    proptest! {
        /// Where the decimal type adds without rounding, the exact sum is the same number with
        /// the same scale.
        #[test]
        fn it_agrees_with_decimal_addition_when_that_is_exact(
            terms in prop::collection::vec((-100_000_i64..=100_000, 0_u32..=6), 0..40)
        ) {
            let terms: Vec<Decimal> = terms.iter().map(|&(m, s)| Decimal::new(m, s)).collect();
            let plain = terms.iter().fold(Decimal::ZERO, |a, d| a + d);
            let exact = sum(&terms);
            prop_assert_eq!(exact, plain);
            if !terms.iter().all(Decimal::is_zero) {
                prop_assert_eq!(exact.scale(), plain.scale());
            }
        }

        /// With long terms the sum is within half a unit of its last digit of the true sum.
        #[test]
        fn long_sums_are_within_half_a_last_digit(
            nums in prop::collection::vec((1_i64..=1_000, 1_i64..=1_000, 1_u32..=3), 1..30)
        ) {
            let terms: Vec<Decimal> = nums
                .iter()
                .map(|&(a, b, m)| Decimal::from(m) * Decimal::from(a.min(b)) / Decimal::from(a.max(b)))
                .collect();
            let s = sum(&terms);
            // The terms are exact at their own scale; compare the rounded sum with them at s's scale.
            let mut true_sum = 0_i128;
            let top = terms.iter().map(Decimal::scale).max().unwrap();
            for t in &terms {
                true_sum += t.mantissa() * POWERS_OF_TEN[(top - t.scale()) as usize];
            }
            let drop = POWERS_OF_TEN[(top - s.scale()) as usize];
            let diff = (s.mantissa() * drop - true_sum).abs();
            prop_assert!(diff * 2 <= drop, "{s} vs {true_sum}e-{top}");
        }
    }
}
