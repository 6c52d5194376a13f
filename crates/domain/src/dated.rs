//! Rules of an index set that name a calendar day (the deadline of a report scored by days
//! late), and moving them to another year. A set cloned from last year's keeps last year's
//! deadlines unless they are moved, and every report of the new year would then score as
//! almost a year late; listing them and shifting them by the difference of years is what the
//! clone offers (domain.md §3: each year's set is issued for that year).

use time::{Date, Month};

use crate::fmt::vi_date;
use crate::ids::NodeCode;
use crate::indexset::{IndexSet, Node};
use crate::method::{Method, TierBasis};

/// A leaf whose scoring rule names a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatedRule {
    /// The criterion.
    pub code: NodeCode,
    /// Its text.
    pub title: String,
    /// The day the rule names (a report's deadline).
    pub date: Date,
}

/// A dated rule moved to another year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftedRule {
    /// The criterion.
    pub code: NodeCode,
    /// Its text.
    pub title: String,
    /// The day before the move.
    pub from: Date,
    /// The day after it.
    pub to: Date,
}

/// A day that would fall outside the calendar once moved; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tiêu chí {code}: ngày {} không dời được {years} năm", vi_date(*date))]
pub struct ShiftOutOfRange {
    /// The criterion whose day cannot move.
    pub code: NodeCode,
    /// Its day.
    pub date: Date,
    /// The years asked for.
    pub years: i32,
}

/// The same day and month `years` later (earlier when negative). 29 February becomes
/// 28 February in a year without one: the deadline stays in February and is not pushed past
/// the month it was set in. `None` outside the calendar (years −9999 to 9999).
pub fn shift_date(date: Date, years: i32) -> Option<Date> {
    let year = date.year().checked_add(years)?;
    match Date::from_calendar_date(year, date.month(), date.day()) {
        Ok(d) => Some(d),
        Err(_) if date.month() == Month::February && date.day() == 29 => {
            Date::from_calendar_date(year, Month::February, 28).ok()
        }
        Err(_) => None,
    }
}

impl Method {
    /// The day this rule names (a deadline), if any.
    pub fn date(&self) -> Option<Date> {
        match self {
            Method::Tiers {
                basis: TierBasis::DaysLate { deadline },
                ..
            } => Some(*deadline),
            _ => None,
        }
    }

    fn date_mut(&mut self) -> Option<&mut Date> {
        match self {
            Method::Tiers {
                basis: TierBasis::DaysLate { deadline },
                ..
            } => Some(deadline),
            _ => None,
        }
    }
}

impl IndexSet {
    /// Every leaf whose rule names a day, in tree order.
    pub fn dated_rules(&self) -> Vec<DatedRule> {
        self.walk()
            .into_iter()
            .filter_map(|n| {
                let date = n.method.as_ref()?.date()?;
                Some(DatedRule {
                    code: n.code.clone(),
                    title: n.title.clone(),
                    date,
                })
            })
            .collect()
    }

    /// Moves every dated rule `years` years ([`shift_date`]), and the day where the leaf's
    /// title, rule text or evidence requirement quote it (`10/12/2025`, `10/12/2025` written
    /// without leading zeros, or `2025-12-10`), so that what units read agrees with how they
    /// are scored. Returns what moved, in tree order; with a day that cannot move, changes
    /// nothing.
    pub fn shift_dates(&mut self, years: i32) -> Result<Vec<ShiftedRule>, ShiftOutOfRange> {
        let rules = self.dated_rules();
        let mut moves = Vec::with_capacity(rules.len());
        for r in rules {
            let to = shift_date(r.date, years).ok_or_else(|| ShiftOutOfRange {
                code: r.code.clone(),
                date: r.date,
                years,
            })?;
            moves.push(ShiftedRule {
                code: r.code,
                title: r.title,
                from: r.date,
                to,
            });
        }
        for m in &moves {
            if let Some(node) = self.find_mut(&m.code) {
                shift_node(node, m.from, m.to);
            }
        }
        Ok(moves)
    }
}

fn shift_node(node: &mut Node, from: Date, to: Date) {
    if let Some(d) = node.method.as_mut().and_then(Method::date_mut) {
        *d = to;
    }
    node.title = replace_date(&node.title, from, to);
    for text in [&mut node.rule, &mut node.evidence].into_iter().flatten() {
        *text = replace_date(text, from, to);
    }
}

/// The ways a rule text writes a day: `05/03/2025`, `5/3/2025`, `2025-03-05`.
fn spellings(d: Date) -> [String; 3] {
    [
        vi_date(d),
        format!("{}/{}/{}", d.day(), u8::from(d.month()), d.year()),
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
    ]
}

/// `text` with each spelling of `from` replaced by the same spelling of `to`. A spelling
/// counts only where no digit touches it, so `5/3/2025` is not found inside `15/3/2025`.
fn replace_date(text: &str, from: Date, to: Date) -> String {
    let mut out = text.to_owned();
    for (old, new) in spellings(from).iter().zip(spellings(to).iter()) {
        out = replace_whole(&out, old, new);
    }
    out
}

fn replace_whole(text: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(old) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + old.len()..].chars().next();
        let whole = !before.is_some_and(|c| c.is_ascii_digit())
            && !after.is_some_and(|c| c.is_ascii_digit());
        out.push_str(&rest[..i]);
        out.push_str(if whole { new } else { old });
        rest = &rest[i + old.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal_macros::dec;
    use time::macros::date;

    use super::*;
    use crate::ids::SetCode;
    use crate::indexset::{ClassScheme, RankingRule, Source};
    use crate::method::Tier;
    use crate::points::Points;

    fn code(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    fn leaf(c: &str, method: Method, rule: &str) -> Node {
        Node {
            code: code(c),
            title: format!("Tiêu chí {c}"),
            max: Points(dec!(2)),
            source: Source::Assessed,
            method: Some(method),
            rule: Some(rule.to_owned()),
            evidence: None,
            not_applicable: None,
            children: Vec::new(),
        }
    }

    fn days_late(deadline: Date) -> Method {
        Method::Tiers {
            basis: TierBasis::DaysLate { deadline },
            tiers: vec![
                Tier {
                    min: dec!(0),
                    below: Some(dec!(1)),
                    points: dec!(2),
                },
                Tier {
                    min: dec!(1),
                    below: None,
                    points: dec!(0),
                },
            ],
        }
    }

    /// Area 1 with a yes/no leaf and two report deadlines, one of them quoted in its rule.
    fn set(first: Date, second: Date) -> IndexSet {
        let rule = format!(
            "Gửi báo cáo trước hoặc trong ngày {} (hạn {}); chậm: 0 điểm.",
            vi_date(first),
            spellings(first)[1]
        );
        IndexSet {
            code: SetCode::parse("SO-2025").unwrap(),
            name: "Bộ chỉ số 2025".to_owned(),
            year: 2025,
            decision: None,
            classes: ClassScheme::common_default(),
            ranking: RankingRule::default(),
            renormalise_absent_areas: false,
            nodes: vec![Node {
                code: code("1"),
                title: "Công tác chỉ đạo".to_owned(),
                max: Points(dec!(6)),
                source: Source::Assessed,
                method: None,
                rule: None,
                evidence: None,
                not_applicable: None,
                children: vec![
                    leaf(
                        "1.1",
                        Method::YesNo,
                        "Có: 2 điểm; hạn 10/12/2025 không đổi.",
                    ),
                    leaf("1.2", days_late(first), &rule),
                    leaf("1.3", days_late(second), "Báo cáo quý gửi đúng hạn."),
                ],
            }],
        }
    }

    #[test]
    fn a_set_lists_the_leaves_whose_rule_names_a_day() {
        let s = set(date!(2025 - 12 - 10), date!(2025 - 03 - 31));
        let listed: Vec<(String, Date)> = s
            .dated_rules()
            .into_iter()
            .map(|r| (r.code.to_string(), r.date))
            .collect();
        assert_eq!(
            listed,
            [
                ("1.2".to_owned(), date!(2025 - 12 - 10)),
                ("1.3".to_owned(), date!(2025 - 03 - 31)),
            ]
        );
        assert_eq!(s.dated_rules()[0].title, "Tiêu chí 1.2");
    }

    #[test]
    fn shifting_moves_the_deadlines_and_the_days_their_rules_quote() {
        let mut s = set(date!(2025 - 12 - 05), date!(2025 - 03 - 31));
        let moved = s.shift_dates(1).unwrap();
        assert_eq!(moved.len(), 2);
        assert_eq!(
            (moved[0].from, moved[0].to),
            (date!(2025 - 12 - 05), date!(2026 - 12 - 05))
        );
        let dates: Vec<Date> = s.dated_rules().iter().map(|r| r.date).collect();
        assert_eq!(dates, [date!(2026 - 12 - 05), date!(2026 - 03 - 31)]);
        let rule = s.find(&code("1.2")).unwrap().rule.clone().unwrap();
        assert_eq!(
            rule,
            "Gửi báo cáo trước hoặc trong ngày 05/12/2026 (hạn 5/12/2026); chậm: 0 điểm."
        );
        // A leaf without a dated rule keeps its text, even a day it quotes.
        let other = s.find(&code("1.1")).unwrap().rule.clone().unwrap();
        assert_eq!(other, "Có: 2 điểm; hạn 10/12/2025 không đổi.");
    }

    #[test]
    fn the_29th_of_february_becomes_the_28th_in_a_common_year() {
        assert_eq!(
            shift_date(date!(2024 - 02 - 29), 1),
            Some(date!(2025 - 02 - 28))
        );
        assert_eq!(
            shift_date(date!(2024 - 02 - 29), 4),
            Some(date!(2028 - 02 - 29))
        );
        assert_eq!(
            shift_date(date!(2025 - 02 - 28), -1),
            Some(date!(2024 - 02 - 28))
        );
    }

    #[test]
    fn a_day_that_would_leave_the_calendar_changes_nothing() {
        let mut s = set(date!(2025 - 12 - 10), date!(2025 - 03 - 31));
        let before = s.clone();
        let e = s.shift_dates(9_000).unwrap_err();
        assert_eq!(e.code, code("1.2"));
        assert_eq!(s, before);
    }

    #[test]
    fn a_quoted_day_inside_a_longer_number_is_left_alone() {
        let from = date!(2025 - 03 - 05);
        let to = date!(2026 - 03 - 05);
        assert_eq!(
            replace_date("hạn 5/3/2025, không phải 15/3/2025 hay 5/3/20251", from, to),
            "hạn 5/3/2026, không phải 15/3/2025 hay 5/3/20251"
        );
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (1900i32..2200, 1u16..=365).prop_map(|(y, d)| Date::from_ordinal_date(y, d).unwrap())
    }

    fn is_leap_day(d: Date) -> bool {
        d.month() == Month::February && d.day() == 29
    }

    proptest! {
        #[test]
        fn shifting_by_n_then_back_returns_the_same_day_except_the_29th_of_february(
            d in any_date(),
            n in -150i32..150,
        ) {
            let there = shift_date(d, n).unwrap();
            prop_assert_eq!(there.year(), d.year() + n);
            prop_assert_eq!(there.month(), d.month());
            let back = shift_date(there, -n).unwrap();
            if is_leap_day(d) && !is_leap_day(there) {
                prop_assert_eq!(back, date!(2000 - 02 - 28).replace_year(d.year()).unwrap());
            } else {
                prop_assert_eq!(back, d);
            }
        }

        #[test]
        fn shifting_a_set_by_n_then_back_restores_it_except_the_29th_of_february(
            first in any_date(),
            second in any_date(),
            n in -100i32..100,
        ) {
            let original = set(first, second);
            let mut s = original.clone();
            let there = s.shift_dates(n).unwrap();
            prop_assert_eq!(there.len(), 2);
            s.shift_dates(-n).unwrap();
            let lost_a_day = [first, second]
                .into_iter()
                .any(|d| is_leap_day(d) && !is_leap_day(shift_date(d, n).unwrap()));
            if lost_a_day {
                for (after, before) in s.dated_rules().iter().zip(original.dated_rules()) {
                    prop_assert!(after.date == before.date || is_leap_day(before.date));
                }
            } else {
                prop_assert_eq!(s, original);
            }
        }
    }
}
