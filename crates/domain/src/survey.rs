//! Survey points (domain.md §6): the answers of respondents about one unit, to the questions
//! mapped to one `survey` leaf, become that leaf's points.
//!
//! Each answer option carries a weight (a real default: A = 100 %, B = 60 %, C = 20 %,
//! D = 0 %, and E = "không biết / không trả lời", which is not a valid answer and counts for
//! nothing). The leaf's points for a unit are `max × mean weight of the valid answers`; where
//! respondent groups are weighted in the leaf, the mean of each group is weighted instead, over
//! the groups that gave valid answers. Fewer valid answers than the leaf's minimum leave the
//! points computed but flagged, for the administrator to decide.
//!
//! Counts and sums are kept exactly (weights are short decimals), so the order in which
//! answers are read never changes a result; the only division is the final mean.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::points::Points;

/// One answer option of a question: its code as respondents tick it and its weight, or no
/// weight when the option is not a valid answer ("không biết").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerOption {
    /// `A`, `B`…: compared without regard to case or surrounding blanks.
    pub code: String,
    /// Share of the leaf's maximum the answer is worth, from 0 to 1; `None` to exclude it.
    pub weight: Option<Decimal>,
}

/// The options of a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerScale {
    options: Vec<AnswerOption>,
}

/// Why a scale or an answer is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurveyError {
    /// An answer that is none of the question's options.
    #[error("“{answer}” không phải là phương án trả lời (dùng: {options})")]
    UnknownOption { answer: String, options: String },
    /// A weight below 0 or above 1 (100 %).
    #[error("trọng số của phương án {code} phải từ 0 đến 1")]
    WeightOutOfRange { code: String },
    /// Two options with one code, or an option without a code.
    #[error("mã phương án “{code}” trống hoặc trùng")]
    BadCode { code: String },
    /// A respondent group's weight in a leaf below zero.
    #[error("trọng số của nhóm đối tượng {group} không được âm")]
    NegativeGroupWeight { group: String },
}

/// What one answer counts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A valid answer worth this share of the maximum.
    Valid(Decimal),
    /// "Không biết / không trả lời": not counted at all.
    Excluded,
}

impl AnswerScale {
    /// A scale with the given options: codes present and distinct, weights within 0..=1.
    pub fn new(options: Vec<AnswerOption>) -> Result<Self, SurveyError> {
        for (i, o) in options.iter().enumerate() {
            let code = o.code.trim();
            if code.is_empty()
                || options[..i]
                    .iter()
                    .any(|p| p.code.trim().eq_ignore_ascii_case(code))
            {
                return Err(SurveyError::BadCode {
                    code: code.to_owned(),
                });
            }
            if o.weight
                .is_some_and(|w| w < Decimal::ZERO || w > Decimal::ONE)
            {
                return Err(SurveyError::WeightOutOfRange {
                    code: code.to_owned(),
                });
            }
        }
        Ok(AnswerScale { options })
    }

    /// A = 100 %, B = 60 %, C = 20 %, D = 0 %, E = "không biết" (excluded).
    pub fn standard() -> Self {
        let option = |code: &str, weight: Option<Decimal>| AnswerOption {
            code: code.to_owned(),
            weight,
        };
        AnswerScale {
            options: vec![
                option("A", Some(Decimal::ONE)),
                option("B", Some(Decimal::new(6, 1))),
                option("C", Some(Decimal::new(2, 1))),
                option("D", Some(Decimal::ZERO)),
                option("E", None),
            ],
        }
    }

    /// The options, in their order.
    pub fn options(&self) -> &[AnswerOption] {
        &self.options
    }

    /// What the answer `raw` counts for: `UnknownOption` naming the options when it is none
    /// of them.
    pub fn read(&self, raw: &str) -> Result<Answer, SurveyError> {
        let raw = raw.trim();
        self.options
            .iter()
            .find(|o| o.code.trim().eq_ignore_ascii_case(raw))
            .map(|o| o.weight.map_or(Answer::Excluded, Answer::Valid))
            .ok_or_else(|| SurveyError::UnknownOption {
                answer: raw.to_owned(),
                options: self
                    .options
                    .iter()
                    .map(|o| o.code.trim())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// The valid answers of one respondent group about one unit for one leaf: how many, and the
/// sum of their weights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupTally {
    /// Valid answers.
    pub valid: u64,
    /// Sum of their weights (exact).
    pub weight_sum: Decimal,
}

/// Every answer about one unit for one leaf, by respondent group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeafTally {
    groups: BTreeMap<String, GroupTally>,
}

/// A leaf's points for one unit, with what they rest on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyPoints {
    /// The points; `None` without any valid answer.
    pub points: Option<Points>,
    /// Valid answers counted.
    pub valid: u64,
    /// Fewer valid answers than the leaf's minimum: to be decided by the administrator.
    pub below_minimum: bool,
}

impl LeafTally {
    /// Counts one answer of a respondent of `group`.
    pub fn add(&mut self, group: &str, answer: Answer) {
        if let Answer::Valid(weight) = answer {
            let g = self.groups.entry(group.to_owned()).or_default();
            g.valid += 1;
            g.weight_sum += weight;
        }
    }

    /// Counts `n` answers alike from `group` (what a stored tally holds).
    pub fn add_count(&mut self, group: &str, answer: Answer, n: u64) {
        if let Answer::Valid(weight) = answer
            && n > 0
        {
            let g = match self.groups.get_mut(group) {
                Some(g) => g,
                None => self.groups.entry(group.to_owned()).or_default(),
            };
            g.valid += n;
            g.weight_sum += weight * Decimal::from(n);
        }
    }

    /// The tallies by respondent group.
    pub fn groups(&self) -> &BTreeMap<String, GroupTally> {
        &self.groups
    }

    /// Valid answers of every group.
    pub fn valid(&self) -> u64 {
        self.groups.values().map(|g| g.valid).sum()
    }

    /// The leaf's points: `max ×` the mean weight of the valid answers; with `group_weights`
    /// (respondent group → weight in the leaf) the mean of each group weighted, over the
    /// groups that answered (a group without a weight counts for nothing). `minimum` valid
    /// answers below which the result is flagged.
    pub fn points(
        &self,
        max: Points,
        group_weights: Option<&BTreeMap<String, Decimal>>,
        minimum: u64,
    ) -> Result<SurveyPoints, SurveyError> {
        let valid = self.valid();
        let max_value = max.value();
        // The maximum multiplies before anything divides, so that a mean like 2,2 / 3 of 30
        // points gives exactly 22, not 21,999….
        let points = match group_weights {
            None => {
                let sum: Decimal = self.groups.values().map(|g| g.weight_sum).sum();
                (valid > 0).then(|| max_value * sum / Decimal::from(valid))
            }
            Some(weights) => {
                if let Some((group, _)) = weights.iter().find(|(_, w)| **w < Decimal::ZERO) {
                    return Err(SurveyError::NegativeGroupWeight {
                        group: group.clone(),
                    });
                }
                let mut weighted = Decimal::ZERO;
                let mut total = Decimal::ZERO;
                for (group, tally) in self.groups.iter().filter(|(_, t)| t.valid > 0) {
                    let w = weights.get(group).copied().unwrap_or(Decimal::ZERO);
                    weighted += max_value * w * tally.weight_sum / Decimal::from(tally.valid);
                    total += w;
                }
                (!total.is_zero()).then(|| weighted / total)
            }
        };
        Ok(SurveyPoints {
            // A mean of weights within 0..=1 keeps the points within the maximum.
            points: points.map(|p| Points::new(p.min(max_value))),
            valid,
            below_minimum: valid < minimum,
        })
    }
}

/// The five factors of the satisfaction index with public administrative services (SIPAS).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// Tiếp cận dịch vụ.
    Access,
    /// Thủ tục hành chính.
    Procedure,
    /// Công chức trực tiếp giải quyết công việc.
    CivilServant,
    /// Kết quả giải quyết thủ tục hành chính.
    Result,
    /// Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị.
    Feedback,
}

impl Factor {
    /// Every factor, in the order of the questionnaire.
    pub const ALL: [Factor; 5] = [
        Factor::Access,
        Factor::Procedure,
        Factor::CivilServant,
        Factor::Result,
        Factor::Feedback,
    ];

    /// The factor's name in Vietnamese.
    pub fn label_vi(self) -> &'static str {
        match self {
            Factor::Access => "Tiếp cận dịch vụ",
            Factor::Procedure => "Thủ tục hành chính",
            Factor::CivilServant => "Công chức giải quyết công việc",
            Factor::Result => "Kết quả giải quyết",
            Factor::Feedback => "Tiếp nhận, xử lý góp ý, phản ánh",
        }
    }
}

/// The satisfaction answers to the questions of each SIPAS factor about one unit: how many
/// were valid, and how many said "hài lòng" or "rất hài lòng".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SipasTally {
    factors: BTreeMap<Factor, (u64, u64)>,
}

/// An answer on the five-level satisfaction scale: 1 "rất không hài lòng" … 5 "rất hài lòng";
/// 0 or an empty answer is "không trả lời" and not counted. `None` for anything else.
pub fn satisfaction_level(raw: &str) -> Option<Option<u8>> {
    match raw.trim() {
        "" | "0" => Some(None),
        s => s
            .parse::<u8>()
            .ok()
            .filter(|l| (1..=5).contains(l))
            .map(Some),
    }
}

impl SipasTally {
    /// Counts one answer (a level of 1 to 5, see [`satisfaction_level`]) to a question of
    /// `factor`.
    pub fn add(&mut self, factor: Factor, level: Option<u8>) {
        if let Some(level) = level.filter(|l| (1..=5).contains(l)) {
            let f = self.factors.entry(factor).or_default();
            f.1 += 1;
            if level >= 4 {
                f.0 += 1;
            }
        }
    }

    /// Counts `n` answers alike to questions of `factor`.
    pub fn add_count(&mut self, factor: Factor, level: Option<u8>, n: u64) {
        if let Some(level) = level.filter(|l| (1..=5).contains(l))
            && n > 0
        {
            let f = self.factors.entry(factor).or_default();
            f.1 += n;
            if level >= 4 {
                f.0 += n;
            }
        }
    }

    /// Valid answers of every factor.
    pub fn valid(&self) -> u64 {
        self.factors.values().map(|f| f.1).sum()
    }

    /// The share of satisfied answers to the factor's questions, in percent (exact up to the
    /// division); `None` without a valid answer.
    pub fn share(&self, factor: Factor) -> Option<Decimal> {
        let (satisfied, valid) = self.factors.get(&factor).copied()?;
        crate::points::percent(Decimal::from(satisfied), Decimal::from(valid))
    }

    /// SIPAS in percent: the mean of the shares of the factors that have answers.
    pub fn overall(&self) -> Option<Decimal> {
        let shares: Vec<Decimal> = Factor::ALL.iter().filter_map(|f| self.share(*f)).collect();
        (!shares.is_empty())
            .then(|| shares.iter().copied().sum::<Decimal>() / Decimal::from(shares.len()))
    }

    /// The points of a leaf fed by SIPAS: `max × SIPAS`.
    pub fn points(&self, max: Points) -> Option<Points> {
        self.overall()
            .map(|p| Points::new((max.value() * p / Decimal::ONE_HUNDRED).min(max.value())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn tally(answers: &[(&str, &str)]) -> LeafTally {
        let scale = AnswerScale::standard();
        let mut t = LeafTally::default();
        for (group, a) in answers {
            t.add(group, scale.read(a).expect("a standard option"));
        }
        t
    }

    #[test]
    fn five_a_three_b_and_two_c_make_72_percent_of_the_maximum() {
        let mut answers = vec![("cb", "A"); 5];
        answers.extend([("cb", "B"); 3]);
        answers.extend([("cb", "c "); 2]);
        answers.push(("cb", "E"));
        let r = tally(&answers)
            .points(Points::new(dec!(2)), None, 10)
            .unwrap();
        assert_eq!(r.points, Some(Points::new(dec!(1.44))));
        assert_eq!(r.valid, 10);
        assert!(!r.below_minimum);
    }

    #[test]
    fn respondent_groups_weighted_in_a_leaf_count_by_their_own_means() {
        // Leaders: all A (mean 1); citizens: one B, one D (mean 0,3). Weighted 1 : 3.
        let t = tally(&[
            ("lanh-dao", "A"),
            ("lanh-dao", "A"),
            ("dan", "B"),
            ("dan", "D"),
        ]);
        let weights = BTreeMap::from([
            ("lanh-dao".to_owned(), dec!(1)),
            ("dan".to_owned(), dec!(3)),
        ]);
        let r = t.points(Points::new(dec!(4)), Some(&weights), 0).unwrap();
        // 4 × (1 × 1 + 3 × 0,3) / 4 = 1,9
        assert_eq!(r.points, Some(Points::new(dec!(1.9))));
        // Unweighted, the four answers weigh alike: 4 × 2,6 / 4 = 2,6.
        let plain = t.points(Points::new(dec!(4)), None, 0).unwrap();
        assert_eq!(plain.points, Some(Points::new(dec!(2.6))));
    }

    #[test]
    fn too_few_valid_answers_are_flagged_and_none_give_no_points() {
        let r = tally(&[("cb", "A"), ("cb", "E")])
            .points(Points::new(dec!(1)), None, 30)
            .unwrap();
        assert!(r.below_minimum);
        assert_eq!(r.points, Some(Points::new(dec!(1))));
        let none = tally(&[("cb", "E")])
            .points(Points::new(dec!(1)), None, 1)
            .unwrap();
        assert_eq!(
            (none.points, none.valid, none.below_minimum),
            (None, 0, true)
        );
    }

    #[test]
    fn an_answer_outside_the_options_is_refused_naming_them() {
        let e = AnswerScale::standard().read("F").unwrap_err();
        assert_eq!(
            e.to_string(),
            "“F” không phải là phương án trả lời (dùng: A, B, C, D, E)"
        );
    }

    #[test]
    fn a_scale_refuses_repeated_codes_and_weights_outside_0_to_1() {
        let o = |c: &str, w: Option<Decimal>| AnswerOption {
            code: c.into(),
            weight: w,
        };
        assert!(matches!(
            AnswerScale::new(vec![o("A", Some(dec!(1))), o("a", None)]),
            Err(SurveyError::BadCode { .. })
        ));
        assert!(matches!(
            AnswerScale::new(vec![o("A", Some(dec!(1.5)))]),
            Err(SurveyError::WeightOutOfRange { .. })
        ));
        assert!(AnswerScale::new(vec![o("Có", Some(dec!(1))), o("Không", Some(dec!(0)))]).is_ok());
    }

    #[test]
    fn sipas_is_the_mean_share_of_satisfied_answers_over_the_factors() {
        let mut t = SipasTally::default();
        // Access: 3 of 4 satisfied (75 %); procedure: 1 of 2 (50 %); an unanswered question
        // and the other factors without answers count for nothing.
        for level in ["5", "4", "4", "2"] {
            t.add(Factor::Access, satisfaction_level(level).unwrap());
        }
        for level in ["3", "4", ""] {
            t.add(Factor::Procedure, satisfaction_level(level).unwrap());
        }
        assert_eq!(t.share(Factor::Access), Some(dec!(75)));
        assert_eq!(t.share(Factor::Procedure), Some(dec!(50)));
        assert_eq!(t.share(Factor::Feedback), None);
        assert_eq!(t.overall(), Some(dec!(62.5)));
        assert_eq!(
            t.points(Points::new(dec!(2))),
            Some(Points::new(dec!(1.25)))
        );
        assert_eq!(satisfaction_level("6"), None);
        assert_eq!(satisfaction_level("rất hài lòng"), None);
    }

    fn answers() -> impl Strategy<Value = Vec<(u8, u8)>> {
        prop::collection::vec((0u8..3, 0u8..5), 0..60)
    }

    fn read_all(list: &[(u8, u8)]) -> LeafTally {
        let codes = ["A", "B", "C", "D", "E"];
        let pairs: Vec<(String, &str)> = list
            .iter()
            .map(|(g, a)| (format!("nhom-{g}"), codes[usize::from(*a)]))
            .collect();
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(g, a)| (g.as_str(), *a)).collect();
        tally(&refs)
    }

    proptest! {
        #[test]
        fn an_e_answer_changes_nothing(list in answers(), group in 0u8..3) {
            let mut with_e = list.clone();
            with_e.push((group, 4));
            let max = Points::new(dec!(2.5));
            prop_assert_eq!(
                read_all(&list).points(max, None, 5).unwrap(),
                read_all(&with_e).points(max, None, 5).unwrap()
            );
        }

        #[test]
        fn points_stay_within_zero_and_the_maximum(list in answers(), w in 0u32..5) {
            let max = Points::new(dec!(3));
            let weights = BTreeMap::from([
                ("nhom-0".to_owned(), Decimal::from(w)),
                ("nhom-1".to_owned(), dec!(1)),
            ]);
            for r in [
                read_all(&list).points(max, None, 0).unwrap(),
                read_all(&list).points(max, Some(&weights), 0).unwrap(),
            ] {
                if let Some(p) = r.points {
                    prop_assert!(p >= Points::ZERO && p <= max, "{:?}", p);
                }
            }
        }

        #[test]
        fn the_order_of_the_answers_does_not_matter(list in answers()) {
            let mut reversed = list.clone();
            reversed.reverse();
            let max = Points::new(dec!(1.75));
            prop_assert_eq!(
                read_all(&list).points(max, None, 0).unwrap(),
                read_all(&reversed).points(max, None, 0).unwrap()
            );
        }
    }
}
