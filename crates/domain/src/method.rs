//! Scoring methods (domain.md §4): each turns a unit's raw input for one leaf into points and
//! can explain the result in one Vietnamese sentence ("95,2 % ≥ 95 % → 1,5/2 điểm").
//!
//! Scoring ([`Method::score`]) allocates nothing so a national computation stays fast; the
//! sentence is produced on demand by [`Method::explain`].

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::exact::POWERS_OF_TEN;
use crate::fmt::{parse_date, vi_date, vi_plain};
use crate::ids::GradeCode;
use crate::indexset::{NaPolicy, Source};
use crate::points::{Points, parse_decimal, percent};

/// One tier of a tiered rule: values in `[min, below)` earn `points`.
/// `below` may be left out; the tier then ends where the next higher tier starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub min: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<Decimal>,
    pub points: Decimal,
}

/// What the tiers of a tiered rule are measured on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierBasis {
    /// A percentage, entered as `numerator/denominator` or as a percent (`95,2`).
    Percent,
    /// A plain count or quantity (e.g. number of inspections).
    Count,
    /// Days after a deadline a report was sent (0 when on time), entered as the sending date.
    DaysLate { deadline: Date },
}

/// One grade of a graded rule: `percent` of the leaf max.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grade {
    /// Short code typed in files (`XS`, `T`, `HT`, `KHT`).
    pub code: String,
    /// Label shown (`Hoàn thành xuất sắc`).
    pub label: String,
    pub percent: Decimal,
}

/// A scoring method and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// "Có: điểm tối đa; không: 0".
    YesNo,
    /// "Mỗi … đạt `per` điểm, tối đa `cap`" (cap defaults to the leaf max).
    Count { per: Decimal, cap: Option<Decimal> },
    /// Points by tiers of a percentage, a count or a delay.
    Tiers { basis: TierBasis, tiers: Vec<Tier> },
    /// Points = max × ratio.
    Proportional,
    /// Points = max × the grade's percent.
    Graded { grades: Vec<Grade> },
    /// "Mỗi vi phạm trừ `per`": from the leaf max down to 0, or, on a deduction leaf, a negative
    /// amount of at most the leaf max.
    Deduction { per: Decimal },
    /// The appraiser enters any value 0…max, in multiples of `step` when given.
    Manual { step: Option<Decimal> },
    /// Points from a survey: either the points themselves or the mean answer weight (`%`).
    Survey,
    /// Extra points, capped at the leaf max.
    Bonus,
}

/// A unit's raw input for one leaf, parsed according to the leaf's method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum RawValue {
    Yes,
    No,
    /// Không phát sinh / không áp dụng.
    NotApplicable,
    /// A count or quantity.
    Count(Decimal),
    /// A ratio entered as numerator and denominator.
    Ratio {
        num: Decimal,
        den: Decimal,
    },
    /// A percentage (0–100).
    Percent(Decimal),
    /// A grade code.
    Grade(GradeCode),
    /// A date (when a report was sent).
    Date(Date),
    /// Points entered directly.
    Points(Decimal),
}

/// The points a leaf earns for one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeafOutcome {
    /// Signed: negative for deduction leaves.
    pub points: Points,
    /// False when the leaf is dropped from the unit's applicable maximum.
    pub applicable: bool,
}

/// Why an input cannot be scored; shown to the user next to the field or file cell at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("\"{0}\" không phải giá trị có/không (dùng: có, không, hoặc không phát sinh)")]
    NotYesNo(String),
    #[error("\"{0}\" không phải là số")]
    NotANumber(String),
    #[error(
        "\"{0}\" không phải tỷ lệ hợp lệ (dùng tử số/mẫu số như 45/47, hoặc phần trăm như 95,2)"
    )]
    NotARatio(String),
    #[error("tỷ lệ {num}/{den}: mẫu số bằng 0 (nếu không có hồ sơ, khai \"không phát sinh\")")]
    ZeroDenominator { num: String, den: String },
    #[error("tỷ lệ {num}/{den}: tử số lớn hơn mẫu số")]
    NumeratorAboveDenominator { num: String, den: String },
    #[error("tỷ lệ {0} % nằm ngoài khoảng 0–100 %")]
    PercentOutOfRange(String),
    #[error("giá trị {0} không được âm")]
    Negative(String),
    #[error("\"{given}\" không phải mức xếp loại hợp lệ (dùng: {allowed})")]
    UnknownGrade { given: String, allowed: String },
    #[error("\"{0}\" không phải ngày hợp lệ (dùng dd/mm/yyyy)")]
    NotADate(String),
    #[error("điểm {value} vượt điểm tối đa {max}")]
    AboveMax { value: String, max: String },
    #[error("điểm {value} không phải bội số của bước chấm {step}")]
    NotOnStep { value: String, step: String },
    #[error("tiêu chí này không cho phép khai \"không phát sinh\"")]
    NotApplicableRefused,
    #[error("giá trị kiểu {0} không dùng được cho phương pháp chấm điểm này")]
    WrongKind(&'static str),
}

/// Words accepted for "not applicable" in every method.
fn is_na(s: &str) -> bool {
    matches!(
        s,
        "na" | "n/a"
            | "-"
            | "kps"
            | "không phát sinh"
            | "khong phat sinh"
            | "không áp dụng"
            | "khong ap dung"
            | "not applicable"
            | "kad"
    )
}

/// `s` in lower case, borrowed when it already is (the usual case: `có`, `45/47`, `1,5`), so
/// reading a value allocates nothing. Exactly `str::to_lowercase`: a string is kept only when
/// every character lowercases to itself, which leaves out the context-dependent final sigma.
fn lowercase(s: &str) -> std::borrow::Cow<'_, str> {
    let unchanged = |c: char| {
        let mut l = c.to_lowercase();
        l.next() == Some(c) && l.next().is_none()
    };
    if s.bytes().all(|b| !b.is_ascii_uppercase()) && (s.is_ascii() || s.chars().all(unchanged)) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.to_lowercase())
    }
}

/// `a.to_lowercase() == lower`, without allocating but for a final sigma.
fn lower_eq(a: &str, lower: &str) -> bool {
    if a.contains('Σ') {
        return a.to_lowercase() == lower;
    }
    a.chars().flat_map(char::to_lowercase).eq(lower.chars())
}

fn dec_str(d: Decimal) -> String {
    vi_plain(d)
}

impl Method {
    /// The default grades: xuất sắc 100 %, tốt 75 %, hoàn thành 50 %, không hoàn thành 0 %.
    pub fn default_grades() -> Vec<Grade> {
        let g = |code: &str, label: &str, pct: i64| Grade {
            code: code.to_owned(),
            label: label.to_owned(),
            percent: Decimal::from(pct),
        };
        vec![
            g("XS", "Hoàn thành xuất sắc", 100),
            g("T", "Hoàn thành tốt", 75),
            g("HT", "Hoàn thành", 50),
            g("KHT", "Không hoàn thành", 0),
        ]
    }

    /// Machine name of the method, as written in files (`yes_no`, `tiers`…).
    pub fn name(&self) -> &'static str {
        match self {
            Method::YesNo => "yes_no",
            Method::Count { .. } => "count",
            Method::Tiers { .. } => "tiers",
            Method::Proportional => "proportional",
            Method::Graded { .. } => "graded",
            Method::Deduction { .. } => "deduction",
            Method::Manual { .. } => "manual",
            Method::Survey => "survey",
            Method::Bonus => "bonus",
        }
    }

    /// Parses the raw text a unit, an appraiser or a file gives for a leaf using this method.
    /// Decimal comma and decimal point are both accepted.
    pub fn parse_input(&self, raw: &str) -> Result<RawValue, InputError> {
        let s = raw.trim();
        let lower = lowercase(s);
        let lower = lower.as_ref();
        if is_na(lower) {
            return Ok(RawValue::NotApplicable);
        }
        let number = |s: &str| parse_decimal(s).ok_or_else(|| InputError::NotANumber(s.to_owned()));
        match self {
            Method::YesNo => match lower {
                "có" | "co" | "yes" | "y" | "x" | "1" | "đạt" | "true" => Ok(RawValue::Yes),
                "không" | "khong" | "no" | "n" | "0" | "không đạt" | "false" => {
                    Ok(RawValue::No)
                }
                _ => Err(InputError::NotYesNo(s.to_owned())),
            },
            Method::Count { .. } | Method::Deduction { .. } => Ok(RawValue::Count(number(s)?)),
            Method::Tiers {
                basis: TierBasis::Count,
                ..
            } => Ok(RawValue::Count(number(s)?)),
            Method::Tiers {
                basis: TierBasis::DaysLate { .. },
                ..
            } => parse_date(s)
                .map(RawValue::Date)
                .ok_or_else(|| InputError::NotADate(s.to_owned())),
            Method::Tiers {
                basis: TierBasis::Percent,
                ..
            }
            | Method::Proportional => parse_ratio(s),
            Method::Graded { grades } => {
                // A grade code that does not fit (only in an unvalidated set) is refused
                // like an unknown one.
                let found = grades
                    .iter()
                    .find(|g| lower_eq(&g.code, lower) || lower_eq(&g.label, lower))
                    .and_then(|g| GradeCode::parse(&g.code).ok());
                match found {
                    Some(code) => Ok(RawValue::Grade(code)),
                    None => Err(InputError::UnknownGrade {
                        given: s.to_owned(),
                        allowed: grades
                            .iter()
                            .map(|g| g.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    }),
                }
            }
            Method::Survey if s.ends_with('%') => Ok(RawValue::Percent(number(s)?)),
            Method::Manual { .. } | Method::Survey | Method::Bonus => {
                Ok(RawValue::Points(number(s)?))
            }
        }
    }

    /// Scores a parsed input for a leaf with maximum `max` and source `source`.
    /// Errors name what is wrong with the value; they never depend on other leaves.
    pub fn score(
        &self,
        max: Points,
        source: Source,
        na: Option<NaPolicy>,
        input: &RawValue,
    ) -> Result<LeafOutcome, InputError> {
        let full = |p: Decimal| LeafOutcome {
            points: Points(p),
            applicable: true,
        };
        if let RawValue::NotApplicable = input {
            return match na {
                Some(NaPolicy::Exclude) => Ok(LeafOutcome {
                    points: Points::ZERO,
                    applicable: false,
                }),
                // "Full points" on a deduction leaf means nothing is taken away.
                Some(NaPolicy::FullPoints) if source == Source::Deduction => {
                    Ok(full(Decimal::ZERO))
                }
                Some(NaPolicy::FullPoints) => Ok(full(max.0)),
                None => Err(InputError::NotApplicableRefused),
            };
        }
        let m = max.0;
        let points = match (self, input) {
            (Method::YesNo, RawValue::Yes) => m,
            (Method::YesNo, RawValue::No) => Decimal::ZERO,
            (Method::Count { per, cap }, RawValue::Count(n)) => {
                non_negative(*n)?;
                // Saturating: an absurd count must cap, not overflow and abort the computation.
                at_most(at_most(n.saturating_mul(*per), cap.unwrap_or(m)), m)
            }
            (Method::Tiers { basis, tiers }, v) => {
                tier_of(basis, tiers, v)?.map_or(Decimal::ZERO, |t| t.points)
            }
            (Method::Proportional, RawValue::Ratio { num, den }) => {
                check_ratio(*num, *den)?;
                // max × num ÷ den: one division instead of a percentage and then a hundredth.
                match m.checked_mul(*num).and_then(|p| p.checked_div(*den)) {
                    Some(p) => p,
                    None => hundredth(m * ratio_of(input)?),
                }
            }
            (Method::Proportional, v) => hundredth(m * ratio_of(v)?),
            (Method::Graded { grades }, RawValue::Grade(code)) => {
                let g = grades
                    .iter()
                    .find(|g| g.code == code.as_str())
                    .ok_or_else(|| InputError::UnknownGrade {
                        given: code.to_string(),
                        allowed: String::new(),
                    })?;
                hundredth(m * g.percent)
            }
            (Method::Deduction { per }, RawValue::Count(n)) => {
                non_negative(*n)?;
                let taken = at_most(n.saturating_mul(*per), m);
                if source == Source::Deduction {
                    -taken
                } else {
                    m - taken
                }
            }
            (Method::Manual { step }, RawValue::Points(p)) => {
                non_negative(*p)?;
                if exceeds(*p, m) {
                    return Err(InputError::AboveMax {
                        value: dec_str(*p),
                        max: dec_str(m),
                    });
                }
                if let Some(step) = step.filter(|s| !s.is_zero())
                    && !on_step(*p, step)
                {
                    return Err(InputError::NotOnStep {
                        value: dec_str(*p),
                        step: dec_str(step),
                    });
                }
                *p
            }
            (Method::Survey, RawValue::Points(p)) => {
                non_negative(*p)?;
                if exceeds(*p, m) {
                    return Err(InputError::AboveMax {
                        value: dec_str(*p),
                        max: dec_str(m),
                    });
                }
                *p
            }
            (Method::Survey, RawValue::Percent(w)) => hundredth(m * check_percent(*w)?),
            (Method::Bonus, RawValue::Points(p)) => {
                non_negative(*p)?;
                at_most(*p, m)
            }
            (_, other) => return Err(InputError::WrongKind(kind_name(other))),
        };
        Ok(full(points))
    }

    /// One Vietnamese sentence saying how `input` gave `outcome` on a leaf of maximum `max`.
    pub fn explain(&self, max: Points, input: &RawValue, outcome: &LeafOutcome) -> String {
        let m = vi_plain(max.0);
        let pts = vi_plain(outcome.points.0.round_dp(2));
        let of_max = format!("{pts}/{m} điểm");
        match (self, input) {
            (_, RawValue::NotApplicable) if !outcome.applicable => {
                "Không phát sinh → không tính vào điểm tối đa".to_owned()
            }
            (_, RawValue::NotApplicable) => {
                format!("Không phát sinh → {of_max} (được điểm tối đa)")
            }
            (Method::YesNo, RawValue::Yes) => format!("Có → {of_max}"),
            (Method::YesNo, _) => format!("Không → {of_max}"),
            (Method::Count { per, cap }, RawValue::Count(n)) => {
                let raw = n.saturating_mul(*per);
                let cap = cap.unwrap_or(max.0).min(max.0);
                if raw > cap {
                    format!(
                        "{} × {} = {}, tối đa {} → {of_max}",
                        vi_plain(*n),
                        vi_plain(*per),
                        vi_plain(raw),
                        vi_plain(cap)
                    )
                } else {
                    format!(
                        "{} × {} = {} → {of_max}",
                        vi_plain(*n),
                        vi_plain(*per),
                        vi_plain(raw)
                    )
                }
            }
            (Method::Tiers { basis, tiers }, v) => {
                let Ok(x) = tier_value(basis, v) else {
                    return of_max;
                };
                let shown = match (basis, v) {
                    (TierBasis::Percent, RawValue::Ratio { num, den }) => format!(
                        "{}/{} = {} %",
                        vi_plain(*num),
                        vi_plain(*den),
                        vi_plain(x.round_dp(2))
                    ),
                    (TierBasis::Percent, _) => format!("{} %", vi_plain(x.round_dp(2))),
                    (TierBasis::Count, _) => vi_plain(x),
                    (TierBasis::DaysLate { deadline }, RawValue::Date(d)) => {
                        if x.is_zero() {
                            return format!(
                                "Gửi ngày {}, đúng hạn ({}) → {of_max}",
                                vi_date(*d),
                                vi_date(*deadline)
                            );
                        }
                        return format!(
                            "Gửi ngày {}, hạn {}: trễ {} ngày → {of_max}",
                            vi_date(*d),
                            vi_date(*deadline),
                            vi_plain(x)
                        );
                    }
                    (TierBasis::DaysLate { .. }, _) => vi_plain(x),
                };
                let unit = if matches!(basis, TierBasis::Percent) {
                    " %"
                } else {
                    ""
                };
                match tier_of(basis, tiers, v).ok().flatten() {
                    Some(t) if t.min > Decimal::ZERO || tiers.len() == 1 => {
                        format!("{shown} ≥ {}{unit} → {of_max}", vi_plain(t.min))
                    }
                    _ => {
                        let next = tiers.iter().map(|t| t.min).filter(|mn| *mn > x).min();
                        match next {
                            Some(n) => format!("{shown} < {}{unit} → {of_max}", vi_plain(n)),
                            None => format!("{shown} → {of_max}"),
                        }
                    }
                }
            }
            (Method::Proportional, v) => match ratio_of(v) {
                Ok(r) => format!("{} × {} % → {of_max}", m, vi_plain(r.round_dp(2))),
                Err(_) => of_max,
            },
            (Method::Graded { grades }, RawValue::Grade(code)) => {
                let g = grades.iter().find(|g| g.code == code.as_str());
                match g {
                    Some(g) => format!("{} ({} %) → {of_max}", g.label, vi_plain(g.percent)),
                    None => of_max,
                }
            }
            (Method::Deduction { per }, RawValue::Count(n)) => {
                let taken = n.saturating_mul(*per).min(max.0);
                if outcome.points.0.is_sign_negative()
                    || outcome.points.0.is_zero() && max.0.is_zero()
                {
                    format!(
                        "{} vi phạm × {} → trừ {} điểm (tối đa trừ {m})",
                        vi_plain(*n),
                        vi_plain(*per),
                        vi_plain(taken)
                    )
                } else {
                    format!(
                        "{} vi phạm × {} = trừ {} → {of_max}",
                        vi_plain(*n),
                        vi_plain(*per),
                        vi_plain(taken)
                    )
                }
            }
            (Method::Manual { .. }, _) => format!("Chấm {of_max}"),
            (Method::Survey, RawValue::Percent(w)) => {
                format!("Điều tra: {m} × {} % → {of_max}", vi_plain(*w))
            }
            (Method::Survey, _) => format!("Điều tra: {of_max}"),
            (Method::Bonus, RawValue::Points(p)) if *p > max.0 => {
                format!("Điểm thưởng {}, tối đa {m} → {pts} điểm", vi_plain(*p))
            }
            (Method::Bonus, _) => format!("Điểm thưởng {pts} điểm"),
            _ => of_max,
        }
    }

    /// Checks the parameters against the leaf max; the message names what is wrong.
    pub fn validate(&self, max: Points) -> Result<(), String> {
        match self {
            Method::Count { per, cap } => {
                if *per <= Decimal::ZERO {
                    return Err("điểm mỗi đơn vị (per) phải lớn hơn 0".to_owned());
                }
                if cap.is_some_and(|c| c < Decimal::ZERO || c > max.0) {
                    return Err("mức tối đa (cap) phải trong khoảng 0 đến điểm tối đa".to_owned());
                }
                Ok(())
            }
            Method::Deduction { per } if *per <= Decimal::ZERO => {
                Err("điểm trừ mỗi vi phạm (per) phải lớn hơn 0".to_owned())
            }
            Method::Manual { step: Some(s) } if *s <= Decimal::ZERO => {
                Err("bước chấm (step) phải lớn hơn 0".to_owned())
            }
            Method::Graded { grades } => {
                if grades.is_empty() {
                    return Err("cần ít nhất một mức xếp loại".to_owned());
                }
                for g in grades {
                    if let Err(e) = GradeCode::parse(&g.code) {
                        return Err(format!("mã mức xếp loại \"{}\": {e}", g.code));
                    }
                    if g.percent < Decimal::ZERO || g.percent > Decimal::ONE_HUNDRED {
                        return Err(format!("mức {}: tỷ lệ phải trong khoảng 0–100 %", g.code));
                    }
                }
                let mut codes: Vec<String> = grades.iter().map(|g| g.code.to_lowercase()).collect();
                codes.sort();
                codes.dedup();
                if codes.len() != grades.len() {
                    return Err("mã mức xếp loại bị trùng".to_owned());
                }
                Ok(())
            }
            Method::Tiers { basis, tiers } => validate_tiers(basis, tiers, max),
            _ => Ok(()),
        }
    }
}

fn validate_tiers(basis: &TierBasis, tiers: &[Tier], max: Points) -> Result<(), String> {
    if tiers.is_empty() {
        return Err("cần ít nhất một mức (tiers)".to_owned());
    }
    for t in tiers {
        if t.points < Decimal::ZERO || t.points > max.0 {
            return Err(format!(
                "mức từ {}: điểm {} nằm ngoài 0–{}",
                vi_plain(t.min),
                vi_plain(t.points),
                vi_plain(max.0)
            ));
        }
        if t.below.is_some_and(|b| b <= t.min) {
            return Err(format!(
                "mức từ {}: cận trên phải lớn hơn cận dưới",
                vi_plain(t.min)
            ));
        }
    }
    let mut sorted: Vec<&Tier> = tiers.iter().collect();
    sorted.sort_by_key(|t| t.min);
    if sorted[0].min > Decimal::ZERO {
        return Err(format!(
            "các mức bỏ trống khoảng 0–{} (mức thấp nhất phải bắt đầu từ 0)",
            vi_plain(sorted[0].min)
        ));
    }
    for pair in sorted.windows(2) {
        let (lo, hi) = (pair[0], pair[1]);
        if lo.min == hi.min {
            return Err(format!(
                "hai mức cùng bắt đầu từ {} (chồng lấn)",
                vi_plain(lo.min)
            ));
        }
        if let Some(b) = lo.below {
            if b > hi.min {
                return Err(format!(
                    "mức {}–<{} chồng lấn mức từ {}",
                    vi_plain(lo.min),
                    vi_plain(b),
                    vi_plain(hi.min)
                ));
            }
            if b < hi.min {
                return Err(format!(
                    "các mức bỏ trống khoảng {}–<{}",
                    vi_plain(b),
                    vi_plain(hi.min)
                ));
            }
        }
    }
    let top = sorted[sorted.len() - 1];
    if let Some(b) = top.below {
        let ok = matches!(basis, TierBasis::Percent) && b > Decimal::ONE_HUNDRED;
        if !ok {
            return Err(format!(
                "các mức bỏ trống khoảng từ {} trở lên",
                vi_plain(b)
            ));
        }
    }
    Ok(())
}

/// Refuses ratios that are not a share: negative, of nothing, or above the whole.
fn check_ratio(num: Decimal, den: Decimal) -> Result<(), InputError> {
    if below_zero(num) || below_zero(den) {
        return Err(InputError::Negative(format!(
            "{}/{}",
            vi_plain(num),
            vi_plain(den)
        )));
    }
    if den.is_zero() {
        return Err(InputError::ZeroDenominator {
            num: vi_plain(num),
            den: vi_plain(den),
        });
    }
    if exceeds(num, den) {
        return Err(InputError::NumeratorAboveDenominator {
            num: vi_plain(num),
            den: vi_plain(den),
        });
    }
    Ok(())
}

/// The tier an input falls in. A ratio is compared exactly (`min × den ≤ num × 100`), with
/// no rounded quotient in between, so 45/47 can never slip across a bound; it is also cheaper.
fn tier_of<'t>(
    basis: &TierBasis,
    tiers: &'t [Tier],
    v: &RawValue,
) -> Result<Option<&'t Tier>, InputError> {
    if let (TierBasis::Percent, RawValue::Ratio { num, den }) = (basis, v) {
        check_ratio(*num, *den)?;
        let found =
            find_tier_ratio_whole(tiers, *num, *den).or_else(|| find_tier_ratio(tiers, *num, *den));
        if let Some(found) = found {
            return Ok(found);
        }
    }
    Ok(find_tier(tiers, tier_value(basis, v)?))
}

/// The integer a decimal holds when it is written without fractional digits. Dossier counts
/// and tier bounds are whole numbers in practice; comparing them as integers gives the same
/// answer as decimal products and comparisons at a fraction of their cost, which matters for
/// every tiered leaf of every unit in a national computation.
fn whole(d: Decimal) -> Option<i128> {
    (d.scale() == 0).then(|| d.mantissa())
}

/// The integer significands of `a` and `b` once both are written with the same number of
/// decimals (`1,5` and `0,25` → `150` and `25`), when that fits in 128 bits. Their order and
/// remainders are those of the values, without the decimal type's general-purpose code.
fn aligned(a: Decimal, b: Decimal) -> Option<(i128, i128)> {
    let scale = a.scale().max(b.scale());
    let up = |d: Decimal| {
        let shift = usize::try_from(scale - d.scale()).ok()?;
        d.mantissa().checked_mul(*POWERS_OF_TEN.get(shift)?)
    };
    Some((up(a)?, up(b)?))
}

/// `a > b` on the integer significands when that is exact: same number of decimals, or both
/// below 2^64 and at most 18 decimals apart (aligned, they still fit in 128 bits). Scores
/// compare points with maxima and caps for every leaf of every unit, and this is several
/// times cheaper than the decimal type's general comparison.
fn exceeds(a: Decimal, b: Decimal) -> bool {
    let (sa, sb) = (a.scale(), b.scale());
    let (ma, mb) = (a.mantissa(), b.mantissa());
    if sa == sb {
        return ma > mb;
    }
    let gap = sa.abs_diff(sb);
    if gap <= 18 && ma.unsigned_abs() >> 64 == 0 && mb.unsigned_abs() >> 64 == 0 {
        let p = POWERS_OF_TEN[gap as usize];
        return if sa < sb { ma * p > mb } else { ma > mb * p };
    }
    a > b
}

/// Whether `p` is a whole multiple of a non-zero `step`: in integers once both are written
/// with the same number of decimals (exact), else by decimal remainder.
fn on_step(p: Decimal, step: Decimal) -> bool {
    match aligned(p, step) {
        Some((a, b)) if b != 0 => {
            let (a, b) = (a.unsigned_abs(), b.unsigned_abs());
            // A 64-bit remainder is one instruction; a 128-bit one is a library call.
            match (u64::try_from(a), u64::try_from(b)) {
                (Ok(a), Ok(b)) => a % b == 0,
                _ => a % b == 0,
            }
        }
        _ => (p % step).is_zero(),
    }
}

/// `a.min(limit)` through [`exceeds`]: `a` unless it is above the limit.
fn at_most(a: Decimal, limit: Decimal) -> Decimal {
    if exceeds(a, limit) { limit } else { a }
}

/// [`find_tier_ratio`] in integers: `Some` only when the ratio and every bound are whole
/// numbers and no product overflows, so that the answer is exactly the decimal one.
fn find_tier_ratio_whole(tiers: &[Tier], num: Decimal, den: Decimal) -> Option<Option<&Tier>> {
    let x = whole(num)?.checked_mul(100)?;
    let den = whole(den)?;
    let mut best: Option<(i128, &Tier)> = None;
    for t in tiers {
        let min = whole(t.min)?;
        if min.checked_mul(den)? > x {
            continue;
        }
        if let Some(b) = t.below
            && x >= whole(b)?.checked_mul(den)?
        {
            continue;
        }
        if best.is_none_or(|(bm, _)| min > bm) {
            best = Some((min, t));
        }
    }
    Some(best.map(|(_, t)| t))
}

/// [`find_tier`] in integers when `x` and every bound are whole numbers (days late, counts):
/// the last of equal highest bounds wins, as with `max_by_key`.
fn find_tier_whole(tiers: &[Tier], x: Decimal) -> Option<Option<&Tier>> {
    let x = whole(x)?;
    let mut best: Option<(i128, &Tier)> = None;
    for t in tiers {
        let min = whole(t.min)?;
        if min > x {
            continue;
        }
        if let Some(b) = t.below
            && x >= whole(b)?
        {
            continue;
        }
        if best.is_none_or(|(bm, _)| min >= bm) {
            best = Some((min, t));
        }
    }
    Some(best.map(|(_, t)| t))
}

/// `Some(tier)` when every product fits the decimal type, `None` to fall back to the quotient.
fn find_tier_ratio(tiers: &[Tier], num: Decimal, den: Decimal) -> Option<Option<&Tier>> {
    let x = num.checked_mul(Decimal::ONE_HUNDRED)?;
    let mut best: Option<&Tier> = None;
    for t in tiers {
        if t.min.checked_mul(den)? > x {
            continue;
        }
        if let Some(b) = t.below
            && x >= b.checked_mul(den)?
        {
            continue;
        }
        if best.is_none_or(|bt| t.min > bt.min) {
            best = Some(t);
        }
    }
    Some(best)
}

/// The tier containing `x`: the one with the highest `min ≤ x` whose `below` (if any) is above x.
fn find_tier(tiers: &[Tier], x: Decimal) -> Option<&Tier> {
    if let Some(found) = find_tier_whole(tiers, x) {
        return found;
    }
    tiers
        .iter()
        .filter(|t| t.min <= x && t.below.is_none_or(|b| x < b))
        .max_by_key(|t| t.min)
}

fn tier_value(basis: &TierBasis, v: &RawValue) -> Result<Decimal, InputError> {
    match (basis, v) {
        (TierBasis::Percent, v) => ratio_of(v),
        (TierBasis::Count, RawValue::Count(n)) => non_negative(*n),
        (TierBasis::DaysLate { deadline }, RawValue::Date(d)) => {
            let days = (*d - *deadline).whole_days();
            Ok(Decimal::from(days.max(0)))
        }
        (_, other) => Err(InputError::WrongKind(kind_name(other))),
    }
}

/// The percentage (0–100) given by a ratio or percent input.
fn ratio_of(v: &RawValue) -> Result<Decimal, InputError> {
    match v {
        RawValue::Ratio { num, den } => {
            check_ratio(*num, *den)?;
            percent(*num, *den).ok_or_else(|| InputError::NotARatio(format!("{num}/{den}")))
        }
        RawValue::Percent(p) => check_percent(*p),
        other => Err(InputError::WrongKind(kind_name(other))),
    }
}

fn check_percent(p: Decimal) -> Result<Decimal, InputError> {
    if below_zero(p) || exceeds(p, Decimal::ONE_HUNDRED) {
        return Err(InputError::PercentOutOfRange(vi_plain(p)));
    }
    Ok(p)
}

/// `d < 0` from the sign bit alone: inputs are checked this way for every leaf of every unit,
/// and a full decimal comparison (aligning scales) costs many times more.
fn below_zero(d: Decimal) -> bool {
    d.is_sign_negative() && !d.is_zero()
}

fn non_negative(d: Decimal) -> Result<Decimal, InputError> {
    if below_zero(d) {
        return Err(InputError::Negative(vi_plain(d)));
    }
    Ok(d)
}

fn parse_ratio(s: &str) -> Result<RawValue, InputError> {
    if let Some((a, b)) = s.split_once('/') {
        let num = parse_decimal(a).ok_or_else(|| InputError::NotARatio(s.to_owned()))?;
        let den = parse_decimal(b).ok_or_else(|| InputError::NotARatio(s.to_owned()))?;
        return Ok(RawValue::Ratio { num, den });
    }
    let p = parse_decimal(s).ok_or_else(|| InputError::NotARatio(s.to_owned()))?;
    Ok(RawValue::Percent(p))
}

/// `d ÷ 100`. Moving the decimal point is exact and much cheaper than a division, which
/// matters when a national computation scores half a million leaves; the division is only
/// needed when the scale is already at its limit.
fn hundredth(d: Decimal) -> Decimal {
    let mut out = d;
    if out.set_scale(d.scale() + 2).is_ok() {
        out.normalize()
    } else {
        d / Decimal::ONE_HUNDRED
    }
}

/// Vietnamese name of the kind of a value, for error messages.
pub(crate) fn kind_name(v: &RawValue) -> &'static str {
    match v {
        RawValue::Yes | RawValue::No => "có/không",
        RawValue::NotApplicable => "không phát sinh",
        RawValue::Count(_) => "số lượng",
        RawValue::Ratio { .. } => "tỷ lệ",
        RawValue::Percent(_) => "phần trăm",
        RawValue::Grade(_) => "mức xếp loại",
        RawValue::Date(_) => "ngày",
        RawValue::Points(_) => "điểm",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn run(m: &Method, max: Decimal, raw: &str) -> (Decimal, String) {
        let v = m.parse_input(raw).unwrap();
        let o = m
            .score(Points(max), Source::Assessed, Some(NaPolicy::Exclude), &v)
            .unwrap();
        (o.points.0, m.explain(Points(max), &v, &o))
    }

    fn dossier_tiers() -> Method {
        Method::Tiers {
            basis: TierBasis::Percent,
            tiers: vec![
                Tier {
                    min: dec!(100),
                    below: None,
                    points: dec!(2),
                },
                Tier {
                    min: dec!(95),
                    below: None,
                    points: dec!(1.5),
                },
                Tier {
                    min: dec!(90),
                    below: None,
                    points: dec!(1),
                },
                Tier {
                    min: dec!(0),
                    below: None,
                    points: dec!(0),
                },
            ],
        }
    }

    #[test]
    fn tiers_by_percentage_follow_the_rule_and_explain_themselves() {
        let m = dossier_tiers();
        assert_eq!(
            run(&m, dec!(2), "95,2"),
            (dec!(1.5), "95,2 % ≥ 95 % → 1,5/2 điểm".to_owned())
        );
        assert_eq!(run(&m, dec!(2), "100").0, dec!(2));
        assert_eq!(run(&m, dec!(2), "89.99").0, dec!(0));
        assert_eq!(run(&m, dec!(2), "89,99").1, "89,99 % < 90 % → 0/2 điểm");
        let (p, e) = run(&m, dec!(2), "45/47");
        assert_eq!(p, dec!(1.5));
        assert_eq!(e, "45/47 = 95,74 % ≥ 95 % → 1,5/2 điểm");
    }

    #[test]
    fn count_is_capped_at_the_cap_and_the_max() {
        let m = Method::Count {
            per: dec!(0.5),
            cap: Some(dec!(2)),
        };
        assert_eq!(run(&m, dec!(2), "3").0, dec!(1.5));
        let (p, e) = run(&m, dec!(2), "5");
        assert_eq!(p, dec!(2));
        assert_eq!(e, "5 × 0,5 = 2,5, tối đa 2 → 2/2 điểm");
    }

    #[test]
    fn yes_no_and_not_applicable() {
        let m = Method::YesNo;
        assert_eq!(run(&m, dec!(1), "có").0, dec!(1));
        assert_eq!(run(&m, dec!(1), "Không").0, dec!(0));
        let v = m.parse_input("không phát sinh").unwrap();
        let o = m
            .score(
                Points(dec!(1)),
                Source::Assessed,
                Some(NaPolicy::Exclude),
                &v,
            )
            .unwrap();
        assert!(!o.applicable);
        let o = m
            .score(
                Points(dec!(1)),
                Source::Assessed,
                Some(NaPolicy::FullPoints),
                &v,
            )
            .unwrap();
        assert_eq!(o.points.0, dec!(1));
        assert!(o.applicable);
        assert_eq!(
            m.score(Points(dec!(1)), Source::Assessed, None, &v),
            Err(InputError::NotApplicableRefused)
        );
        assert!(m.parse_input("có lẽ").is_err());
    }

    #[test]
    fn deduction_floors_at_zero_or_goes_negative_on_deduction_leaves() {
        let m = Method::Deduction { per: dec!(0.5) };
        assert_eq!(run(&m, dec!(2), "1").0, dec!(1.5));
        assert_eq!(run(&m, dec!(2), "9").0, dec!(0));
        let v = m.parse_input("3").unwrap();
        let o = m
            .score(Points(dec!(1)), Source::Deduction, None, &v)
            .unwrap();
        assert_eq!(o.points.0, dec!(-1));
        let na = RawValue::NotApplicable;
        let o = m.score(
            Points(dec!(1)),
            Source::Deduction,
            Some(NaPolicy::FullPoints),
            &na,
        );
        assert_eq!(
            o.map(|o| o.points.0),
            Ok(dec!(0)),
            "nothing is taken when not applicable"
        );
    }

    #[test]
    fn a_hundredth_is_exact_and_falls_back_to_division_at_full_scale() {
        assert_eq!(hundredth(dec!(150)), dec!(1.5));
        assert_eq!(hundredth(dec!(150)).to_string(), "1.5");
        assert_eq!(hundredth(dec!(-0.25)), dec!(-0.0025));
        let full = Decimal::from_i128_with_scale(123_456_789, 28);
        assert_eq!(hundredth(full), full / Decimal::ONE_HUNDRED);
    }

    #[test]
    fn an_absurd_count_caps_instead_of_overflowing() {
        let m = Method::Count {
            per: dec!(10),
            cap: None,
        };
        let v = RawValue::Count(Decimal::MAX);
        let o = m
            .score(Points(dec!(2)), Source::Assessed, None, &v)
            .unwrap();
        assert_eq!(o.points.0, dec!(2));
        let d = Method::Deduction { per: dec!(10) };
        let o = d
            .score(Points(dec!(2)), Source::Assessed, None, &v)
            .unwrap();
        assert_eq!(o.points.0, dec!(0));
    }

    #[test]
    fn manual_respects_max_and_step() {
        let m = Method::Manual {
            step: Some(dec!(0.25)),
        };
        assert_eq!(run(&m, dec!(2), "1,75").0, dec!(1.75));
        let v = m.parse_input("1,8").unwrap();
        assert!(matches!(
            m.score(Points(dec!(2)), Source::Assessed, None, &v),
            Err(InputError::NotOnStep { .. })
        ));
        let v = m.parse_input("2,5").unwrap();
        assert!(matches!(
            m.score(Points(dec!(2)), Source::Assessed, None, &v),
            Err(InputError::AboveMax { .. })
        ));
    }

    #[test]
    fn graded_proportional_survey_and_bonus() {
        let g = Method::Graded {
            grades: Method::default_grades(),
        };
        assert_eq!(
            run(&g, dec!(2), "T"),
            (dec!(1.5), "Hoàn thành tốt (75 %) → 1,5/2 điểm".to_owned())
        );
        assert_eq!(run(&g, dec!(2), "hoàn thành xuất sắc").0, dec!(2));
        assert_eq!(run(&Method::Proportional, dec!(2), "50/100").0, dec!(1));
        assert_eq!(run(&Method::Survey, dec!(2), "1,62").0, dec!(1.62));
        assert_eq!(run(&Method::Survey, dec!(2), "81%").0, dec!(1.62));
        assert_eq!(run(&Method::Bonus, dec!(1), "3").0, dec!(1));
    }

    #[test]
    fn late_reports_lose_points_by_days_late() {
        let m = Method::Tiers {
            basis: TierBasis::DaysLate {
                deadline: time::macros::date!(2024 - 01 - 10),
            },
            tiers: vec![
                Tier {
                    min: dec!(0),
                    below: Some(dec!(1)),
                    points: dec!(1),
                },
                Tier {
                    min: dec!(1),
                    below: Some(dec!(11)),
                    points: dec!(0.5),
                },
                Tier {
                    min: dec!(11),
                    below: None,
                    points: dec!(0),
                },
            ],
        };
        assert!(m.validate(Points(dec!(1))).is_ok());
        assert_eq!(run(&m, dec!(1), "08/01/2024").0, dec!(1));
        let (p, e) = run(&m, dec!(1), "15/01/2024");
        assert_eq!(p, dec!(0.5));
        assert_eq!(
            e,
            "Gửi ngày 15/01/2024, hạn 10/01/2024: trễ 5 ngày → 0,5/1 điểm"
        );
        assert_eq!(run(&m, dec!(1), "2024-02-01").0, dec!(0));
    }

    #[test]
    fn tier_validation_finds_gaps_and_overlaps() {
        let t = |min, below, points| Tier { min, below, points };
        let gap = Method::Tiers {
            basis: TierBasis::Percent,
            tiers: vec![
                t(dec!(95), None, dec!(2)),
                t(dec!(0), Some(dec!(90)), dec!(0)),
            ],
        };
        assert!(
            gap.validate(Points(dec!(2)))
                .unwrap_err()
                .contains("bỏ trống")
        );
        let overlap = Method::Tiers {
            basis: TierBasis::Percent,
            tiers: vec![
                t(dec!(95), None, dec!(2)),
                t(dec!(0), Some(dec!(97)), dec!(0)),
            ],
        };
        assert!(
            overlap
                .validate(Points(dec!(2)))
                .unwrap_err()
                .contains("chồng lấn")
        );
        let no_zero = Method::Tiers {
            basis: TierBasis::Percent,
            tiers: vec![t(dec!(50), None, dec!(1))],
        };
        assert!(no_zero.validate(Points(dec!(2))).is_err());
        assert!(dossier_tiers().validate(Points(dec!(2))).is_ok());
        let too_many_points = Method::Tiers {
            basis: TierBasis::Percent,
            tiers: vec![t(dec!(0), None, dec!(3))],
        };
        assert!(too_many_points.validate(Points(dec!(2))).is_err());
    }

    #[test]
    fn ratios_refuse_zero_denominator_and_numerator_above() {
        let m = dossier_tiers();
        let v = m.parse_input("0/0").unwrap();
        assert!(matches!(
            m.score(Points(dec!(2)), Source::Data, None, &v),
            Err(InputError::ZeroDenominator { .. })
        ));
        let v = m.parse_input("48/47").unwrap();
        assert!(matches!(
            m.score(Points(dec!(2)), Source::Data, None, &v),
            Err(InputError::NumeratorAboveDenominator { .. })
        ));
        let v = m.parse_input("101").unwrap();
        assert!(matches!(
            m.score(Points(dec!(2)), Source::Data, None, &v),
            Err(InputError::PercentOutOfRange(_))
        ));
    }

    mod fast_paths {
        //! The integer shortcuts must give exactly what the decimal arithmetic gives.
        use proptest::prelude::*;

        use super::*;

        /// Decimals as they come from files: small and large significands, 0 to 28 decimals,
        /// either sign, often whole numbers.
        fn decimal() -> impl Strategy<Value = Decimal> {
            prop_oneof![
                (-3_i64..=3, 0_u32..=2).prop_map(|(m, s)| Decimal::new(m, s)),
                (-1_000_i64..=1_000).prop_map(Decimal::from),
                (-100_000_i64..=100_000, 0_u32..=4).prop_map(|(m, s)| Decimal::new(m, s)),
                (any::<i64>(), 0_u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
                (any::<i128>(), 0_u32..=28).prop_map(|(m, s)| {
                    Decimal::try_from_i128_with_scale(m % (1_i128 << 95), s).unwrap_or(Decimal::ONE)
                }),
            ]
        }

        /// Tiers with any bounds, and tiers with whole-number bounds (where the shortcut runs).
        fn tiers() -> impl Strategy<Value = Vec<Tier>> {
            let whole = (-5_i64..=5).prop_map(Decimal::from);
            prop_oneof![
                prop::collection::vec(
                    (decimal(), prop::option::of(decimal()), decimal())
                        .prop_map(|(min, below, points)| Tier { min, below, points }),
                    0..6,
                ),
                prop::collection::vec(
                    (whole.clone(), prop::option::of(whole), decimal())
                        .prop_map(|(min, below, points)| Tier { min, below, points }),
                    0..6,
                ),
            ]
        }

        proptest! {
            #[test]
            fn below_zero_and_exceeds_agree_with_decimal_comparison(
                a in decimal(),
                b in decimal(),
                pick in 0_u8..4,
                extra in 1_u32..=4,
            ) {
                // Equal values are the edge: compare with itself, or the same value written
                // with more decimals (1,5 and 1,500), half of the time.
                let mut longer = a;
                longer.rescale(a.scale() + extra);
                let b = match pick {
                    0 => a,
                    1 => longer,
                    _ => b,
                };
                prop_assert_eq!(exceeds(b, a), b > a);
                prop_assert_eq!(below_zero(a), a < Decimal::ZERO);
                prop_assert_eq!(exceeds(a, b), a > b);
                let m = at_most(a, b);
                prop_assert_eq!(m, a.min(b));
                prop_assert_eq!(m.scale(), a.min(b).scale());
            }

            #[test]
            fn being_on_a_step_agrees_with_the_decimal_remainder(p in decimal(), step in decimal()) {
                prop_assume!(!step.is_zero());
                prop_assert_eq!(on_step(p, step), (p % step).is_zero());
            }

            #[test]
            fn whole_number_tiers_pick_the_same_tier_as_decimals(
                tiers in tiers(),
                x in prop_oneof![(-6_i64..=6).prop_map(Decimal::from), decimal()],
                num in 0_i64..20,
                den in 1_i64..20,
            ) {
                let decimal_pick = tiers
                    .iter()
                    .filter(|t| t.min <= x && t.below.is_none_or(|b| x < b))
                    .max_by_key(|t| t.min);
                if let Some(found) = find_tier_whole(&tiers, x) {
                    prop_assert!(std::ptr::eq(
                        found.map_or(std::ptr::null(), |t| t as *const Tier),
                        decimal_pick.map_or(std::ptr::null(), |t| t as *const Tier),
                    ));
                }
                prop_assert!(find_tier(&tiers, x).map(|t| t as *const Tier)
                    == decimal_pick.map(|t| t as *const Tier));
                let (num, den) = (Decimal::from(num), Decimal::from(den));
                // The decimal version gives up (`None`) when a product overflows its 96 bits.
                if let (Some(fast), Some(slow)) = (
                    find_tier_ratio_whole(&tiers, num, den),
                    find_tier_ratio(&tiers, num, den),
                ) {
                    prop_assert_eq!(fast.map(|t| t as *const Tier), slow.map(|t| t as *const Tier));
                }
            }
        }
    }

    #[test]
    fn lower_case_is_borrowed_only_when_it_changes_nothing() {
        for s in [
            "có",
            "không phát sinh",
            "45/47",
            "t",
            "Có",
            "KHÔNG",
            "ΟΔΟΣ",
            "ǅ",
            "Ⅻ",
            "x",
        ] {
            assert_eq!(lowercase(s), s.to_lowercase(), "{s}");
            assert!(lower_eq(s, &s.to_lowercase()), "{s}");
        }
        assert!(matches!(lowercase("có"), std::borrow::Cow::Borrowed(_)));
        assert!(!lower_eq("XS", "t"));
    }
}
