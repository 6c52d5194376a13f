//! The compact text form of a scoring method's parameters, as typed in one spreadsheet cell:
//! `per=0.5;cap=2`, `100:2|95:1.5|90:1|0:0`, `step=0.25`, `XS:100|T:75|HT:50|KHT:0`,
//! `deadline=10/01/2024;0-1:1|1-11:0.5|11:0`. Decimal comma and decimal point both work since
//! the separators are `;`, `|`, `:`, `=` and `-`.

use std::collections::BTreeMap;

use chiso_domain::fmt::{parse_date, vi_date};
use chiso_domain::points::parse_decimal;
use chiso_domain::{Grade, Method, Tier, TierBasis};
use rust_decimal::Decimal;

use crate::codes;
use crate::error::{Problem, ProblemCode};

/// The method names accepted in files, with the Vietnamese aliases people type.
pub(crate) fn canonical_method(raw: &str) -> Option<&'static str> {
    let k = raw.trim().to_lowercase().replace([' ', '-'], "_");
    Some(match k.as_str() {
        "yes_no" | "yesno" | "có/không" | "có_không" => "yes_no",
        "count" | "đếm" | "số_lượng" => "count",
        "tiers" | "mức" | "thang_mức" => "tiers",
        "days_late" | "trễ_hạn" | "hạn_gửi" => "days_late",
        "proportional" | "tỷ_lệ" | "tỉ_lệ" => "proportional",
        "graded" | "xếp_loại" => "graded",
        "deduction" | "trừ_điểm" | "trừ" => "deduction",
        "manual" | "chấm_điểm" | "thẩm_định" => "manual",
        "survey" | "điều_tra" => "survey",
        "bonus" | "thưởng" | "điểm_thưởng" => "bonus",
        _ => return None,
    })
}

/// Every accepted method name, for problems that list them.
pub(crate) const METHOD_NAMES: &str =
    "yes_no, count, tiers, days_late, proportional, graded, deduction, manual, survey, bonus";

/// A decimal written in a file; `code` (with the text as `{value}`) says which number is not
/// one.
pub(crate) fn decimal(raw: &str, code: ProblemCode) -> Result<Decimal, Problem> {
    parse_decimal(raw).ok_or_else(|| Problem::new(code).arg("value", raw.trim()))
}

/// Parses the method `name` with its compact `params`; every problem is returned.
pub(crate) fn parse_method(name: &str, params: &str) -> Result<Method, Vec<Problem>> {
    let Some(name) = canonical_method(name) else {
        return Err(vec![
            Problem::new(codes::METHOD_UNKNOWN)
                .arg("method", name.trim())
                .arg("accepted", METHOD_NAMES),
        ]);
    };
    let mut errors = Vec::new();
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    let mut lists: Vec<String> = Vec::new();
    for part in params.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some((k, v)) => {
                let k = k.trim().to_lowercase();
                if keys.insert(k.clone(), v.trim().to_owned()).is_some() {
                    errors.push(Problem::new(codes::PARAM_TWICE).arg("param", &k));
                }
            }
            None => lists.push(part.to_owned()),
        }
    }
    let allowed: &[&str] = match name {
        "count" => &["per", "cap"],
        "deduction" => &["per"],
        "manual" => &["step"],
        "tiers" => &["basis", "deadline"],
        "days_late" => &["deadline"],
        _ => &[],
    };
    for k in keys.keys() {
        if !allowed.contains(&k.as_str()) {
            if allowed.is_empty() {
                errors.push(
                    Problem::new(codes::PARAM_UNKNOWN)
                        .arg("method", name)
                        .arg("param", k),
                );
            } else {
                errors.push(
                    Problem::new(codes::PARAM_UNKNOWN_USE)
                        .arg("method", name)
                        .arg("param", k)
                        .arg("accepted", allowed.join(", ")),
                );
            }
        }
    }
    let takes_list = matches!(name, "tiers" | "days_late" | "graded");
    if !takes_list && !lists.is_empty() {
        errors.push(
            Problem::new(codes::PARAM_NOT_KEY_VALUE)
                .arg("method", name)
                .arg("text", lists.join(";")),
        );
    }
    if takes_list && lists.len() > 1 {
        errors.push(Problem::new(codes::PARAM_ONE_LIST).arg("method", name));
    }
    let num = |k: &str, errors: &mut Vec<Problem>| -> Option<Decimal> {
        let v = keys.get(k)?;
        match decimal(v, codes::PARAM_NOT_NUMBER).map_err(|p| p.arg("param", k)) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.push(e);
                None
            }
        }
    };
    let method = match name {
        "yes_no" => Some(Method::YesNo),
        "proportional" => Some(Method::Proportional),
        "survey" => Some(Method::Survey),
        "bonus" => Some(Method::Bonus),
        "count" => {
            let cap = num("cap", &mut errors);
            match num("per", &mut errors) {
                Some(per) => Some(Method::Count { per, cap }),
                None => {
                    if !keys.contains_key("per") {
                        errors.push(Problem::new(codes::COUNT_NEEDS_PER));
                    }
                    None
                }
            }
        }
        "deduction" => match num("per", &mut errors) {
            Some(per) => Some(Method::Deduction { per }),
            None => {
                if !keys.contains_key("per") {
                    errors.push(Problem::new(codes::DEDUCTION_NEEDS_PER));
                }
                None
            }
        },
        "manual" => Some(Method::Manual {
            step: num("step", &mut errors),
        }),
        "tiers" | "days_late" => {
            let basis_text = keys.get("basis").map(|b| b.to_lowercase());
            let basis = match (keys.get("deadline"), basis_text.as_deref()) {
                (Some(d), None | Some("days_late")) => match parse_date(d) {
                    Some(deadline) => Some(TierBasis::DaysLate { deadline }),
                    None => {
                        errors.push(Problem::new(codes::DEADLINE_INVALID).arg("value", d));
                        None
                    }
                },
                (None, _) if name == "days_late" => {
                    errors.push(Problem::new(codes::DAYS_LATE_NEEDS_DEADLINE));
                    None
                }
                (None, None) => Some(TierBasis::Percent),
                (_, Some(b)) => match parse_basis(b) {
                    Some(TierBasis::DaysLate { .. }) | None => {
                        errors.push(Problem::new(codes::BASIS_INVALID).arg("value", b));
                        None
                    }
                    Some(basis) => {
                        if keys.contains_key("deadline") {
                            errors.push(Problem::new(codes::DEADLINE_ONLY_DAYS_LATE));
                        }
                        Some(basis)
                    }
                },
            };
            let tiers = match lists.first() {
                Some(list) => parse_tier_list(list, &mut errors),
                None => {
                    errors.push(Problem::new(codes::TIERS_NEEDED));
                    None
                }
            };
            match (basis, tiers) {
                (Some(basis), Some(tiers)) => Some(Method::Tiers { basis, tiers }),
                _ => None,
            }
        }
        "graded" => match lists.first() {
            None => Some(Method::Graded {
                grades: Method::default_grades(),
            }),
            Some(list) => {
                parse_grade_list(list, &mut errors).map(|grades| Method::Graded { grades })
            }
        },
        _ => None,
    };
    match method {
        Some(m) if errors.is_empty() => Ok(m),
        _ => Err(errors),
    }
}

/// `percent` or `count` (also Vietnamese `phần trăm`, `số lượng`).
pub(crate) fn parse_basis(raw: &str) -> Option<TierBasis> {
    match raw.trim().to_lowercase().as_str() {
        "percent" | "%" | "phần trăm" | "tỷ lệ" => Some(TierBasis::Percent),
        "count" | "số lượng" => Some(TierBasis::Count),
        _ => None,
    }
}

/// `100:2|95:1.5|0:0` or `0-1:1|1-11:0.5|11:0`.
fn parse_tier_list(list: &str, errors: &mut Vec<Problem>) -> Option<Vec<Tier>> {
    let mut tiers = Vec::new();
    let mut ok = true;
    for item in list.split('|').map(str::trim).filter(|i| !i.is_empty()) {
        let Some((range, points)) = item.split_once(':') else {
            errors.push(Problem::new(codes::TIER_MALFORMED).arg("item", item));
            ok = false;
            continue;
        };
        let (min, below) = match range.split_once('-') {
            Some((a, b)) if !a.trim().is_empty() => (a, Some(b)),
            _ => (range, None),
        };
        let min = decimal(min, codes::TIER_MIN_NOT_NUMBER);
        let below = below
            .map(|b| decimal(b, codes::TIER_BELOW_NOT_NUMBER))
            .transpose();
        let points = decimal(points, codes::TIER_POINTS_NOT_NUMBER);
        match (min, below, points) {
            (Ok(min), Ok(below), Ok(points)) => tiers.push(Tier { min, below, points }),
            (a, b, c) => {
                ok = false;
                errors.extend([a.err(), b.err(), c.err()].into_iter().flatten());
            }
        }
    }
    if tiers.is_empty() && ok {
        errors.push(Problem::new(codes::TIERS_EMPTY));
        return None;
    }
    ok.then_some(tiers)
}

/// `XS:100|T:75` or `XS:100:Hoàn thành xuất sắc|…`; a known code without a label takes the
/// default label.
fn parse_grade_list(list: &str, errors: &mut Vec<Problem>) -> Option<Vec<Grade>> {
    let defaults = Method::default_grades();
    let mut grades = Vec::new();
    let mut ok = true;
    for item in list.split('|').map(str::trim).filter(|i| !i.is_empty()) {
        let mut parts = item.splitn(3, ':');
        let code = parts.next().unwrap_or("").trim();
        let pct = parts.next();
        let label = parts.next().map(str::trim).filter(|l| !l.is_empty());
        let Some(pct) = pct else {
            errors.push(Problem::new(codes::GRADE_MALFORMED).arg("item", item));
            ok = false;
            continue;
        };
        if code.is_empty() {
            errors.push(Problem::new(codes::GRADE_CODE_MISSING).arg("item", item));
            ok = false;
            continue;
        }
        match decimal(pct, codes::GRADE_PERCENT_NOT_NUMBER) {
            Ok(percent) => grades.push(Grade {
                code: code.to_owned(),
                label: label
                    .map(str::to_owned)
                    .unwrap_or_else(|| default_label(&defaults, code)),
                percent,
            }),
            Err(e) => {
                errors.push(e);
                ok = false;
            }
        }
    }
    if grades.is_empty() && ok {
        errors.push(Problem::new(codes::GRADES_EMPTY));
        return None;
    }
    ok.then_some(grades)
}

/// The default label of a grade code, or the code itself.
pub(crate) fn default_label(defaults: &[Grade], code: &str) -> String {
    defaults
        .iter()
        .find(|g| g.code.eq_ignore_ascii_case(code))
        .map_or_else(|| code.to_owned(), |g| g.label.clone())
}

/// A decimal as written in files: decimal point, no thousands separator, no trailing zeros.
pub(crate) fn plain(d: Decimal) -> String {
    d.normalize().to_string()
}

/// The method name and compact parameter text of a method, the inverse of the spreadsheet
/// form's `method` and `params` columns (used to export a set and to show it in forms).
pub fn method_params(method: &Method) -> (&'static str, String) {
    let tiers = |tiers: &[Tier]| {
        tiers
            .iter()
            .map(|t| match t.below {
                Some(b) => format!("{}-{}:{}", plain(t.min), plain(b), plain(t.points)),
                None => format!("{}:{}", plain(t.min), plain(t.points)),
            })
            .collect::<Vec<_>>()
            .join("|")
    };
    match method {
        Method::YesNo | Method::Proportional | Method::Survey | Method::Bonus => {
            (method.name(), String::new())
        }
        Method::Count { per, cap } => (
            "count",
            match cap {
                Some(c) => format!("per={};cap={}", plain(*per), plain(*c)),
                None => format!("per={}", plain(*per)),
            },
        ),
        Method::Deduction { per } => ("deduction", format!("per={}", plain(*per))),
        Method::Manual { step } => (
            "manual",
            step.map(|s| format!("step={}", plain(s)))
                .unwrap_or_default(),
        ),
        Method::Tiers {
            basis: TierBasis::Percent,
            tiers: t,
        } => ("tiers", tiers(t)),
        Method::Tiers {
            basis: TierBasis::Count,
            tiers: t,
        } => ("tiers", format!("basis=count;{}", tiers(t))),
        Method::Tiers {
            basis: TierBasis::DaysLate { deadline },
            tiers: t,
        } => (
            "days_late",
            format!("deadline={};{}", vi_date(*deadline), tiers(t)),
        ),
        Method::Graded { grades } => {
            if *grades == Method::default_grades() {
                return ("graded", String::new());
            }
            let defaults = Method::default_grades();
            let text = grades
                .iter()
                .map(|g| {
                    if g.label == default_label(&defaults, &g.code) {
                        format!("{}:{}", g.code, plain(g.percent))
                    } else {
                        format!("{}:{}:{}", g.code, plain(g.percent), g.label)
                    }
                })
                .collect::<Vec<_>>()
                .join("|");
            ("graded", text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use time::macros::date;

    #[test]
    fn every_compact_form_of_the_brief_parses() {
        assert_eq!(
            parse_method("count", "per=0.5;cap=2"),
            Ok(Method::Count {
                per: dec!(0.5),
                cap: Some(dec!(2))
            })
        );
        let Ok(Method::Tiers {
            basis: TierBasis::Percent,
            tiers,
        }) = parse_method("tiers", "100:2|95:1,5|90:1|0:0")
        else {
            panic!("tiers")
        };
        assert_eq!(tiers.len(), 4);
        assert_eq!(tiers[1].points, dec!(1.5));
        assert_eq!(
            parse_method("manual", "step=0,25"),
            Ok(Method::Manual {
                step: Some(dec!(0.25))
            })
        );
        assert_eq!(
            parse_method("graded", "XS:100|T:75|HT:50|KHT:0"),
            Ok(Method::Graded {
                grades: Method::default_grades()
            })
        );
        let Ok(Method::Tiers {
            basis: TierBasis::DaysLate { deadline },
            tiers,
        }) = parse_method("days_late", "deadline=10/01/2024;0-1:1|1-11:0.5|11:0")
        else {
            panic!("days late")
        };
        assert_eq!(deadline, date!(2024 - 01 - 10));
        assert_eq!(tiers[1].below, Some(dec!(11)));
    }

    #[test]
    fn compact_params_round_trip_through_their_text() {
        let methods = [
            "yes_no:",
            "count:per=0.5;cap=2",
            "count:per=1",
            "tiers:100:2|95:1.5|0:0",
            "tiers:basis=count;5:1|2:0.5|0:0",
            "days_late:deadline=10/01/2024;0-1:1|1-11:0.5|11:0",
            "graded:",
            "graded:A:100:Tốt|B:50:Đạt|C:0:Không đạt",
            "deduction:per=0.25",
            "manual:step=0.25",
            "manual:",
            "survey:",
        ];
        for m in methods {
            let (name, params) = m.split_once(':').unwrap();
            let method = parse_method(name, params).unwrap();
            let (n2, p2) = method_params(&method);
            assert_eq!((n2, p2.as_str()), (name, params), "{m}");
        }
    }

    #[test]
    fn bad_params_report_every_problem() {
        let errs = parse_method("count", "per=abc;cap=x;foo=1").unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(
            parse_method("tiers", "").unwrap_err()[0]
                .to_string()
                .contains("ngưỡng:điểm")
        );
        assert!(
            parse_method("magic", "").unwrap_err()[0]
                .to_string()
                .contains("magic")
        );
        assert!(parse_method("yes_no", "per=1").is_err());
    }
}
