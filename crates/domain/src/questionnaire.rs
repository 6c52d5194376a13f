//! What a survey (đợt điều tra) asks, and of whom (domain.md §6): respondent groups, one
//! questionnaire per group naming the group of units its respondents evaluate, questions
//! mapped to `survey` leaves of the set those units use (or, for a satisfaction survey, to a
//! SIPAS factor), the answer options with their weights, and per leaf the minimum number of
//! valid answers and the weight of each respondent group.
//!
//! The definition is checked here against the period's groups and sets, so a question that
//! points at an appraised criterion, at a criterion the evaluated units' set does not have, or
//! at a group of units the period does not hold is refused before any answer is collected.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{GroupName, NodeCode, UnitCode};
use crate::indexset::{IndexSet, Source};
use crate::points::Points;
use crate::survey::{
    Answer, AnswerOption, AnswerScale, Factor, LeafTally, SipasTally, SurveyError, SurveyPoints,
    satisfaction_level,
};

/// Code of a survey within its period, of a respondent group or of a question: letters,
/// digits, `-`, `_` and `.`, as short as an XLSForm field name wants (at most 32 characters).
pub fn valid_code(raw: &str) -> bool {
    let s = raw.trim();
    !s.is_empty()
        && s.chars().count() <= 32
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A whole survey as defined by the administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyDefinition {
    /// Code within the period, e.g. `XHH-2025`.
    pub code: String,
    pub name: String,
    /// Respondent groups, each with its questionnaire, in the order they are shown.
    pub groups: Vec<RespondentGroup>,
    /// Per `survey` leaf: minimum valid answers and respondent group weights. A leaf that
    /// questions are mapped to but that has no rule here has minimum 0 and unweighted groups.
    #[serde(default)]
    pub leaves: Vec<LeafRule>,
}

/// What the respondents of one group answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RespondentGroup {
    /// e.g. `DBHDND` (provincial council deputies), `NGUOIDAN` (citizens).
    pub code: String,
    pub name: String,
    /// Responses wanted from this group (sample tracking); `None` when none is set.
    #[serde(default)]
    pub target: Option<u32>,
    /// The group of units (of the period) each respondent of this group evaluates.
    pub evaluates: GroupName,
    /// Sociological questions (mapped to leaves) or a satisfaction (SIPAS) questionnaire.
    pub kind: QuestionnaireKind,
    pub questions: Vec<Question>,
    /// Options and weights of every question of the questionnaire; A/B/C/D/E standard when
    /// not given. A SIPAS questionnaire reads levels 1–5 instead.
    #[serde(default)]
    pub options: Vec<OptionDef>,
}

/// The kind of a questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum QuestionnaireKind {
    /// Each question's answers feed the leaf it is mapped to.
    Sociological,
    /// Satisfaction levels 1–5 per factor; the SIPAS index (share satisfied or very
    /// satisfied, mean of the factors) feeds `leaf` as points = max × SIPAS.
    Sipas { leaf: NodeCode },
}

/// One answer option as defined (serialisable form of [`AnswerOption`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionDef {
    pub code: String,
    #[serde(default)]
    pub label: String,
    /// Share of the maximum, 0 to 1; `None` for "không biết / không trả lời".
    pub weight: Option<Decimal>,
}

/// One question of a questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// e.g. `C1`; unique within the questionnaire.
    pub code: String,
    pub text: String,
    /// What the answers feed.
    pub target: QuestionTarget,
}

/// What a question's answers feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionTarget {
    /// A `survey` leaf of the evaluated units' set.
    Leaf(NodeCode),
    /// A SIPAS factor.
    Factor(Factor),
}

/// Per-leaf settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafRule {
    pub leaf: NodeCode,
    /// Valid answers about a unit below which its points are flagged.
    #[serde(default)]
    pub minimum: u32,
    /// Respondent group code → weight in the leaf; empty for a plain mean of all answers.
    #[serde(default)]
    pub group_weights: BTreeMap<String, Decimal>,
}

/// A mistake in a definition, naming where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("mã “{code}” không hợp lệ (chữ không dấu, số, '-', '_', '.'; tối đa 32 ký tự)")]
    BadCode { code: String },
    #[error("tên đợt điều tra trống")]
    NoName,
    #[error("chưa có nhóm đối tượng nào")]
    NoGroups,
    #[error("nhóm đối tượng “{group}” trùng mã")]
    DuplicateGroup { group: String },
    #[error("nhóm đối tượng “{group}”: chưa có câu hỏi nào")]
    NoQuestions { group: String },
    #[error("nhóm đối tượng “{group}”: kỳ đánh giá không có nhóm đơn vị “{units}”")]
    UnknownUnitGroup { group: String, units: String },
    #[error("nhóm đối tượng “{group}”, câu hỏi “{question}” trùng mã")]
    DuplicateQuestion { group: String, question: String },
    #[error(
        "nhóm đối tượng “{group}”, câu hỏi “{question}”: bộ chỉ số {set} không có tiêu chí \
         “{leaf}”"
    )]
    UnknownLeaf {
        group: String,
        question: String,
        set: String,
        leaf: String,
    },
    #[error(
        "nhóm đối tượng “{group}”: tiêu chí “{leaf}” của bộ chỉ số {set} không lấy điểm từ \
         điều tra xã hội học"
    )]
    NotSurveyLeaf {
        group: String,
        leaf: String,
        set: String,
    },
    #[error("nhóm đối tượng “{group}”, câu hỏi “{question}”: {problem}")]
    WrongTarget {
        group: String,
        question: String,
        problem: &'static str,
    },
    #[error("nhóm đối tượng “{group}”: {source}")]
    Options {
        group: String,
        #[source]
        source: SurveyError,
    },
    #[error("tiêu chí “{leaf}”: không câu hỏi nào gắn với tiêu chí này")]
    RuleWithoutQuestion { leaf: String },
    #[error("tiêu chí “{leaf}”: nhóm đối tượng “{group}” không có trong đợt điều tra")]
    RuleUnknownGroup { leaf: String, group: String },
    #[error("tiêu chí “{leaf}”: trọng số của nhóm “{group}” không được âm")]
    RuleNegativeWeight { leaf: String, group: String },
}

impl RespondentGroup {
    /// The answer scale of this questionnaire's sociological questions.
    pub fn scale(&self) -> Result<AnswerScale, SurveyError> {
        if self.options.is_empty() {
            return Ok(AnswerScale::standard());
        }
        AnswerScale::new(
            self.options
                .iter()
                .map(|o| AnswerOption {
                    code: o.code.trim().to_owned(),
                    weight: o.weight,
                })
                .collect(),
        )
    }

    /// The leaf a question feeds, or the SIPAS leaf for a factor question; `None` for a
    /// factor question in a sociological questionnaire (which [`SurveyDefinition::check`]
    /// refuses).
    pub fn leaf_of<'a>(&'a self, q: &'a Question) -> Option<&'a NodeCode> {
        match (&q.target, &self.kind) {
            (QuestionTarget::Leaf(l), _) | (_, QuestionnaireKind::Sipas { leaf: l }) => Some(l),
            (QuestionTarget::Factor(_), QuestionnaireKind::Sociological) => None,
        }
    }

    /// The question with this code (compared without regard to case).
    pub fn question(&self, code: &str) -> Option<&Question> {
        let code = code.trim();
        self.questions
            .iter()
            .find(|q| q.code.eq_ignore_ascii_case(code))
    }
}

impl SurveyDefinition {
    /// The group with this code (compared without regard to case).
    pub fn group(&self, code: &str) -> Option<&RespondentGroup> {
        let code = code.trim();
        self.groups
            .iter()
            .find(|g| g.code.eq_ignore_ascii_case(code))
    }

    /// The rule of a leaf, if one is set.
    pub fn rule(&self, leaf: &NodeCode) -> Option<&LeafRule> {
        self.leaves.iter().find(|r| &r.leaf == leaf)
    }

    /// Every mistake of the definition against the period: `sets` gives, for each group of
    /// units of the period, the index set its units use. Empty when the survey can be used.
    pub fn check(&self, sets: &BTreeMap<GroupName, &IndexSet>) -> Vec<DefinitionError> {
        let mut out = Vec::new();
        if !valid_code(&self.code) {
            out.push(DefinitionError::BadCode {
                code: self.code.clone(),
            });
        }
        if self.name.trim().is_empty() {
            out.push(DefinitionError::NoName);
        }
        if self.groups.is_empty() {
            out.push(DefinitionError::NoGroups);
        }
        let mut seen_groups = BTreeSet::new();
        let mut asked: BTreeSet<&NodeCode> = BTreeSet::new();
        for g in &self.groups {
            if !valid_code(&g.code) {
                out.push(DefinitionError::BadCode {
                    code: g.code.clone(),
                });
            }
            if !seen_groups.insert(g.code.to_ascii_uppercase()) {
                out.push(DefinitionError::DuplicateGroup {
                    group: g.code.clone(),
                });
            }
            if g.questions.is_empty() {
                out.push(DefinitionError::NoQuestions {
                    group: g.code.clone(),
                });
            }
            if let Err(source) = g.scale() {
                out.push(DefinitionError::Options {
                    group: g.code.clone(),
                    source,
                });
            }
            let set = sets.get(&g.evaluates);
            if set.is_none() {
                out.push(DefinitionError::UnknownUnitGroup {
                    group: g.code.clone(),
                    units: g.evaluates.to_string(),
                });
            }
            let check_leaf = |leaf: &NodeCode, question: &str, out: &mut Vec<_>| {
                let Some(set) = set else { return };
                match set.find(leaf) {
                    None => out.push(DefinitionError::UnknownLeaf {
                        group: g.code.clone(),
                        question: question.to_owned(),
                        set: set.code.to_string(),
                        leaf: leaf.to_string(),
                    }),
                    Some(n) if n.source != Source::Survey || !n.children.is_empty() => {
                        out.push(DefinitionError::NotSurveyLeaf {
                            group: g.code.clone(),
                            leaf: leaf.to_string(),
                            set: set.code.to_string(),
                        })
                    }
                    Some(_) => {}
                }
            };
            if let QuestionnaireKind::Sipas { leaf } = &g.kind {
                check_leaf(leaf, "", &mut out);
                asked.insert(leaf);
            }
            let mut seen_questions = BTreeSet::new();
            for q in &g.questions {
                if !valid_code(&q.code) {
                    out.push(DefinitionError::BadCode {
                        code: q.code.clone(),
                    });
                }
                if !seen_questions.insert(q.code.to_ascii_uppercase()) {
                    out.push(DefinitionError::DuplicateQuestion {
                        group: g.code.clone(),
                        question: q.code.clone(),
                    });
                }
                match (&q.target, &g.kind) {
                    (QuestionTarget::Leaf(leaf), QuestionnaireKind::Sociological) => {
                        check_leaf(leaf, &q.code, &mut out);
                        asked.insert(leaf);
                    }
                    (QuestionTarget::Factor(_), QuestionnaireKind::Sipas { .. }) => {}
                    (QuestionTarget::Leaf(_), QuestionnaireKind::Sipas { .. }) => {
                        out.push(DefinitionError::WrongTarget {
                            group: g.code.clone(),
                            question: q.code.clone(),
                            problem: "phiếu SIPAS: câu hỏi phải gắn với một yếu tố, không với tiêu chí",
                        })
                    }
                    (QuestionTarget::Factor(_), QuestionnaireKind::Sociological) => {
                        out.push(DefinitionError::WrongTarget {
                            group: g.code.clone(),
                            question: q.code.clone(),
                            problem: "phiếu điều tra xã hội học: câu hỏi phải gắn với một tiêu chí",
                        })
                    }
                }
            }
        }
        for r in &self.leaves {
            if !asked.contains(&r.leaf) {
                out.push(DefinitionError::RuleWithoutQuestion {
                    leaf: r.leaf.to_string(),
                });
            }
            for (group, w) in &r.group_weights {
                if self.group(group).is_none() {
                    out.push(DefinitionError::RuleUnknownGroup {
                        leaf: r.leaf.to_string(),
                        group: group.clone(),
                    });
                }
                if *w < Decimal::ZERO {
                    out.push(DefinitionError::RuleNegativeWeight {
                        leaf: r.leaf.to_string(),
                        group: group.clone(),
                    });
                }
            }
        }
        out
    }
}

/// Stored answers alike: `count` respondents of `group` gave `answer` about `unit` to
/// `question`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub group: String,
    pub unit: UnitCode,
    pub question: String,
    pub answer: String,
    pub count: u64,
}

/// What one unit's answers give one leaf, with what they rest on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafSurvey {
    /// The valid answers by respondent group (sociological questions).
    pub tally: LeafTally,
    /// The satisfaction answers by factor, when the leaf is fed by SIPAS.
    pub sipas: Option<SipasTally>,
    /// Every answer by respondent group and option, "không biết" included: the breakdown
    /// each number on screen links to.
    pub options: BTreeMap<(String, String), u64>,
    /// The points, the count of valid answers and whether it is below the leaf's minimum.
    pub result: SurveyPoints,
}

/// The points of every unit and leaf a survey's answers reach. `units` maps each unit of the
/// period to its group and the maximum of each survey leaf of its set (`max`). Answers about
/// a unit the respondent's group does not evaluate, to a question the group does not have, or
/// with an answer outside the options are left out and counted in the second value; imports
/// refuse them, so they only appear when the definition changed after answers were stored.
pub fn aggregate(
    definition: &SurveyDefinition,
    units: &BTreeMap<UnitCode, GroupName>,
    max: impl Fn(&GroupName, &NodeCode) -> Option<Points>,
    counts: impl IntoIterator<Item = Counted>,
) -> (BTreeMap<(UnitCode, NodeCode), LeafSurvey>, u64) {
    struct Acc {
        tally: LeafTally,
        sipas: Option<SipasTally>,
        options: BTreeMap<(String, String), u64>,
    }
    let scales: BTreeMap<&str, AnswerScale> = definition
        .groups
        .iter()
        .filter_map(|g| g.scale().ok().map(|s| (g.code.as_str(), s)))
        .collect();
    // Per unit, per leaf: the counts are read in their hundreds of thousands, so each is
    // added without copying its unit, leaf or option.
    let mut acc: BTreeMap<UnitCode, BTreeMap<&NodeCode, Acc>> = BTreeMap::new();
    // (group code, question code) as the counts write them → what they feed.
    type Target<'d> = Option<(&'d RespondentGroup, &'d Question, &'d NodeCode)>;
    let mut targets: BTreeMap<String, BTreeMap<String, Target<'_>>> = BTreeMap::new();
    let mut left_out = 0u64;
    for c in counts {
        let by_question = match targets.get_mut(c.group.as_str()) {
            Some(t) => t,
            None => targets.entry(c.group.clone()).or_default(),
        };
        let target = match by_question.get(c.question.as_str()) {
            Some(t) => *t,
            None => {
                let t = definition.group(&c.group).and_then(|g| {
                    let q = g.question(&c.question)?;
                    Some((g, q, g.leaf_of(q)?))
                });
                by_question.insert(c.question.clone(), t);
                t
            }
        };
        let Some((g, q, leaf)) = target else {
            left_out += c.count;
            continue;
        };
        if units.get(&c.unit) != Some(&g.evaluates) {
            left_out += c.count;
            continue;
        }
        // Read the answer before anything is counted, so a refused one leaves no trace.
        enum Read {
            Sipas(Factor, Option<u8>),
            Scale(Answer),
        }
        let read = match &q.target {
            QuestionTarget::Factor(f) => satisfaction_level(&c.answer).map(|l| Read::Sipas(*f, l)),
            QuestionTarget::Leaf(_) => scales
                .get(g.code.as_str())
                .and_then(|s| s.read(&c.answer).ok())
                .map(Read::Scale),
        };
        let Some(read) = read else {
            left_out += c.count;
            continue;
        };
        let leaves = match acc.get_mut(&c.unit) {
            Some(l) => l,
            None => acc.entry(c.unit.clone()).or_default(),
        };
        let entry = leaves.entry(leaf).or_insert_with(|| Acc {
            tally: LeafTally::default(),
            sipas: None,
            options: BTreeMap::new(),
        });
        match read {
            Read::Sipas(f, level) => entry
                .sipas
                .get_or_insert_with(SipasTally::default)
                .add_count(f, level, c.count),
            Read::Scale(answer) => entry.tally.add_count(&g.code, answer, c.count),
        }
        *entry
            .options
            .entry((g.code.clone(), c.answer.trim().to_ascii_uppercase()))
            .or_default() += c.count;
    }
    let acc = acc.into_iter().flat_map(|(unit, leaves)| {
        leaves
            .into_iter()
            .map(move |(leaf, a)| ((unit.clone(), leaf.clone()), a))
    });
    let out = acc
        .into_iter()
        .filter_map(|((unit, leaf), a)| {
            let group = units.get(&unit)?;
            let leaf_max = max(group, &leaf)?;
            let rule = definition.rule(&leaf);
            let minimum = rule.map_or(0, |r| u64::from(r.minimum));
            let weights = rule.map(|r| &r.group_weights).filter(|w| !w.is_empty());
            let result = match &a.sipas {
                Some(s) => SurveyPoints {
                    points: s.points(leaf_max),
                    valid: s.valid(),
                    below_minimum: s.valid() < minimum,
                },
                None => a.tally.points(leaf_max, weights, minimum).ok()?,
            };
            Some((
                (unit, leaf),
                LeafSurvey {
                    tally: a.tally,
                    sipas: a.sipas,
                    options: a.options,
                    result,
                },
            ))
        })
        .collect();
    (out, left_out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    use super::*;
    use crate::ids::SetCode;
    use crate::indexset::{ClassScheme, Node, RankingRule};
    use crate::method::Method;

    fn leaf(code: &str, source: Source) -> Node {
        Node {
            code: NodeCode::parse(code).unwrap(),
            title: format!("Tiêu chí {code}"),
            max: Points::new(dec!(2)),
            source,
            method: Some(if source == Source::Survey {
                Method::Survey
            } else {
                Method::Manual { step: None }
            }),
            rule: None,
            evidence: None,
            not_applicable: None,
            children: vec![],
        }
    }

    fn set() -> IndexSet {
        IndexSet {
            code: SetCode::parse("HUYEN-2024").unwrap(),
            name: "Bộ chỉ số cấp huyện".to_owned(),
            year: 2024,
            decision: None,
            classes: ClassScheme::common_default(),
            ranking: RankingRule::default(),
            renormalise_absent_areas: false,
            nodes: vec![leaf("1.1", Source::Assessed), leaf("2.1", Source::Survey)],
        }
    }

    fn definition() -> SurveyDefinition {
        SurveyDefinition {
            code: "XHH".into(),
            name: "Điều tra xã hội học".into(),
            groups: vec![RespondentGroup {
                code: "DB".into(),
                name: "Đại biểu HĐND".into(),
                target: Some(50),
                evaluates: GroupName::parse("Huyện").unwrap(),
                kind: QuestionnaireKind::Sociological,
                questions: vec![Question {
                    code: "C1".into(),
                    text: "Công khai, minh bạch".into(),
                    target: QuestionTarget::Leaf(NodeCode::parse("2.1").unwrap()),
                }],
                options: vec![],
            }],
            leaves: vec![],
        }
    }

    #[test]
    fn a_questionnaire_mapped_to_survey_leaves_of_its_units_set_is_accepted() {
        let s = set();
        let sets = BTreeMap::from([(GroupName::parse("Huyện").unwrap(), &s)]);
        assert_eq!(definition().check(&sets), vec![]);
    }

    #[test]
    fn a_question_on_an_appraised_criterion_or_a_missing_one_is_refused_by_name() {
        let s = set();
        let sets = BTreeMap::from([(GroupName::parse("Huyện").unwrap(), &s)]);
        let mut d = definition();
        d.groups[0].questions.push(Question {
            code: "C2".into(),
            text: "?".into(),
            target: QuestionTarget::Leaf(NodeCode::parse("1.1").unwrap()),
        });
        d.groups[0].questions.push(Question {
            code: "C3".into(),
            text: "?".into(),
            target: QuestionTarget::Leaf(NodeCode::parse("9.9").unwrap()),
        });
        let problems: Vec<String> = d.check(&sets).iter().map(|e| e.to_string()).collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("1.1") && problems[0].contains("không lấy điểm"));
        assert!(problems[1].contains("C3") && problems[1].contains("9.9"));
    }

    #[test]
    fn an_unknown_group_of_units_and_a_duplicate_question_are_named() {
        let sets = BTreeMap::new();
        let mut d = definition();
        let again = d.groups[0].questions[0].clone();
        d.groups[0].questions.push(again);
        let problems: Vec<String> = d.check(&sets).iter().map(|e| e.to_string()).collect();
        assert!(problems.iter().any(|p| p.contains("nhóm đơn vị “Huyện”")));
        assert!(problems.iter().any(|p| p.contains("“C1” trùng mã")));
    }

    #[test]
    fn the_standard_scale_is_used_when_no_option_is_given() {
        let d = definition();
        assert_eq!(d.groups[0].scale().unwrap(), AnswerScale::standard());
    }

    fn counted(group: &str, unit: &str, question: &str, answer: &str, count: u64) -> Counted {
        Counted {
            group: group.into(),
            unit: UnitCode::parse(unit).unwrap(),
            question: question.into(),
            answer: answer.into(),
            count,
        }
    }

    fn units() -> BTreeMap<UnitCode, GroupName> {
        ["H1", "H2"]
            .into_iter()
            .map(|u| {
                (
                    UnitCode::parse(u).unwrap(),
                    GroupName::parse("Huyện").unwrap(),
                )
            })
            .collect()
    }

    fn two_points(_: &GroupName, leaf: &NodeCode) -> Option<Points> {
        (leaf.as_str() == "2.1").then(|| Points::new(dec!(2)))
    }

    #[test]
    fn a_leaf_s_points_are_its_maximum_times_the_mean_weight_of_valid_answers() {
        // 3 × A (1), 1 × B (0,6), 1 × D (0), 2 × E (excluded): mean 3,6 / 5 = 0,72 → 1,44.
        let (out, left_out) = aggregate(
            &definition(),
            &units(),
            two_points,
            vec![
                counted("DB", "H1", "C1", "A", 3),
                counted("DB", "H1", "C1", "B", 1),
                counted("DB", "H1", "C1", "D", 1),
                counted("DB", "H1", "C1", "E", 2),
            ],
        );
        assert_eq!(left_out, 0);
        let h1 = &out[&(
            UnitCode::parse("H1").unwrap(),
            NodeCode::parse("2.1").unwrap(),
        )];
        assert_eq!(h1.result.points, Some(Points::new(dec!(1.44))));
        assert_eq!(h1.result.valid, 5);
        assert_eq!(h1.options[&("DB".to_owned(), "E".to_owned())], 2);
        assert!(!out.contains_key(&(
            UnitCode::parse("H2").unwrap(),
            NodeCode::parse("2.1").unwrap()
        )));
    }

    #[test]
    fn group_weights_weigh_each_group_s_mean_and_the_minimum_flags_thin_units() {
        let mut d = definition();
        let mut second = d.groups[0].clone();
        second.code = "LD".into();
        d.groups.push(second);
        d.leaves.push(LeafRule {
            leaf: NodeCode::parse("2.1").unwrap(),
            minimum: 5,
            group_weights: BTreeMap::from([("DB".into(), dec!(3)), ("LD".into(), dec!(1))]),
        });
        // DB mean 1 (A), LD mean 0 (D ×3): (3 × 1 + 1 × 0) / 4 = 0,75 → 1,5; 4 valid < 5.
        let (out, _) = aggregate(
            &d,
            &units(),
            two_points,
            vec![
                counted("DB", "H1", "C1", "A", 1),
                counted("LD", "H1", "C1", "D", 3),
            ],
        );
        let h1 = &out[&(
            UnitCode::parse("H1").unwrap(),
            NodeCode::parse("2.1").unwrap(),
        )];
        assert_eq!(h1.result.points, Some(Points::new(dec!(1.5))));
        assert!(h1.result.below_minimum);
    }

    #[test]
    fn answers_outside_the_definition_are_left_out_and_counted() {
        let (out, left_out) = aggregate(
            &definition(),
            &units(),
            two_points,
            vec![
                counted("XX", "H1", "C1", "A", 1),
                counted("DB", "H9", "C1", "A", 2),
                counted("DB", "H1", "C9", "A", 4),
                counted("DB", "H1", "C1", "Z", 8),
            ],
        );
        assert!(out.is_empty());
        assert_eq!(left_out, 15);
    }

    #[test]
    fn a_sipas_questionnaire_feeds_its_leaf_with_the_share_satisfied() {
        let mut d = definition();
        d.groups[0].kind = QuestionnaireKind::Sipas {
            leaf: NodeCode::parse("2.1").unwrap(),
        };
        d.groups[0].questions = vec![
            Question {
                code: "S1".into(),
                text: "Tiếp cận".into(),
                target: QuestionTarget::Factor(Factor::Access),
            },
            Question {
                code: "S2".into(),
                text: "Thủ tục".into(),
                target: QuestionTarget::Factor(Factor::Procedure),
            },
        ];
        // Access: 3 of 4 satisfied (75 %); procedure: 1 of 2 (50 %); SIPAS 62,5 % → 1,25.
        let (out, _) = aggregate(
            &d,
            &units(),
            two_points,
            vec![
                counted("DB", "H1", "S1", "5", 2),
                counted("DB", "H1", "S1", "4", 1),
                counted("DB", "H1", "S1", "2", 1),
                counted("DB", "H1", "S2", "4", 1),
                counted("DB", "H1", "S2", "1", 1),
                counted("DB", "H1", "S2", "", 3),
            ],
        );
        let h1 = &out[&(
            UnitCode::parse("H1").unwrap(),
            NodeCode::parse("2.1").unwrap(),
        )];
        assert_eq!(h1.result.points, Some(Points::new(dec!(1.25))));
        assert_eq!(h1.result.valid, 6);
    }

    fn answer_strategy() -> impl Strategy<Value = Counted> {
        (
            prop::sample::select(vec!["H1", "H2"]),
            prop::sample::select(vec!["A", "B", "C", "D", "E"]),
            1u64..5,
        )
            .prop_map(|(u, a, n)| counted("DB", u, "C1", a, n))
    }

    proptest! {
        #[test]
        fn adding_a_dont_know_answer_changes_no_points(
            answers in prop::collection::vec(answer_strategy(), 0..30),
            unit in prop::sample::select(vec!["H1", "H2"]),
        ) {
            let (before, _) = aggregate(&definition(), &units(), two_points, answers.clone());
            let mut more = answers;
            more.push(counted("DB", unit, "C1", "E", 1));
            let (after, _) = aggregate(&definition(), &units(), two_points, more);
            let pts = |m: &BTreeMap<(UnitCode, NodeCode), LeafSurvey>| -> Vec<_> {
                m.values().filter(|l| l.result.valid > 0).map(|l| l.result.clone()).collect()
            };
            prop_assert_eq!(pts(&before), pts(&after));
        }

        #[test]
        fn points_never_exceed_the_maximum_and_order_does_not_matter(
            answers in prop::collection::vec(answer_strategy(), 0..30),
            seed in any::<u64>(),
        ) {
            let (out, _) = aggregate(&definition(), &units(), two_points, answers.clone());
            for l in out.values() {
                if let Some(p) = l.result.points {
                    prop_assert!(p.value() <= dec!(2) && p.value() >= dec!(0));
                }
            }
            let mut shuffled = answers;
            let len = shuffled.len();
            if len > 1 {
                for i in 0..len {
                    let j = (seed.wrapping_mul(i as u64 + 7) % len as u64) as usize;
                    shuffled.swap(i, j);
                }
            }
            let (again, _) = aggregate(&definition(), &units(), two_points, shuffled);
            prop_assert_eq!(out, again);
        }
    }
}
