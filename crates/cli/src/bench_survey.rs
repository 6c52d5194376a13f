//! The survey of `chiso bench-data`: a questionnaire over the synthetic set's survey leaves and
//! a long answer file large enough to measure `chiso survey import` and `chiso survey points`
//! at the scale of a provincial survey campaign (a million answers), deterministic from the
//! seed like the rest of the synthetic data.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Result, anyhow};
use chiso_demo::Synthetic;
use chiso_domain::questionnaire::{
    LeafRule, OptionDef, Question, QuestionTarget, QuestionnaireKind, RespondentGroup,
    SurveyDefinition,
};
use chiso_domain::{GroupName, Source, UnitCode};
use rust_decimal::Decimal;

use crate::io_text::{Access, describe};

/// Answers per respondent on average: 50.000 respondents give about a million answers.
const ANSWERS_PER_RESPONDENT: usize = 20;

/// Valid answers per unit and leaf below which the synthetic survey flags a unit, so that the
/// flag is exercised too.
const MINIMUM: u32 = 5;

/// What was written, for the command's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub questions: usize,
    pub groups: usize,
    pub answers: u64,
}

/// SplitMix64: a generator whose sequence is fixed by its definition, so the files stay the
/// same from one version of the dependencies to the next.
#[derive(Debug, Clone)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`); the bias of the modulo is irrelevant here.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The standard options written out, so that the JSON form carries every weight a reader
/// needs to check the points independently.
fn options() -> Vec<OptionDef> {
    let option = |code: &str, label: &str, weight: Option<Decimal>| OptionDef {
        code: code.into(),
        label: label.into(),
        weight,
    };
    vec![
        option("A", "Rất tốt", Some(Decimal::ONE)),
        option("B", "Tốt", Some(Decimal::new(6, 1))),
        option("C", "Trung bình", Some(Decimal::new(2, 1))),
        option("D", "Kém", Some(Decimal::ZERO)),
        option("E", "Không biết / không trả lời", None),
    ]
}

/// One respondent group per group of units (citizens of each province evaluate its units),
/// one question per survey leaf of the set.
fn definition(data: &Synthetic, groups: &[(GroupName, Vec<UnitCode>)]) -> Result<SurveyDefinition> {
    let leaves: Vec<_> = data
        .set
        .nodes
        .iter()
        .flat_map(|n| n.walk())
        .filter(|n| n.is_leaf() && n.source == Source::Survey)
        .collect();
    if leaves.is_empty() {
        return Err(anyhow!(
            "bộ chỉ số tổng hợp không có tiêu chí lấy điểm từ điều tra: hãy dùng --leaves từ 8 trở lên"
        ));
    }
    let questions: Vec<Question> = leaves
        .iter()
        .enumerate()
        .map(|(i, l)| Question {
            code: format!("C{}", i + 1),
            text: format!("Đánh giá về: {}", l.title),
            target: QuestionTarget::Leaf(l.code.clone()),
        })
        .collect();
    Ok(SurveyDefinition {
        code: "XHH-TONG-HOP".into(),
        name: "Điều tra xã hội học tổng hợp (dữ liệu mẫu để đo hiệu năng)".into(),
        groups: groups
            .iter()
            .enumerate()
            .map(|(k, (group, _))| RespondentGroup {
                code: format!("ND{:02}", k + 1),
                name: format!("Người dân, tổ chức – {group}"),
                target: None,
                evaluates: group.clone(),
                kind: QuestionnaireKind::Sociological,
                questions: questions.clone(),
                options: options(),
            })
            .collect(),
        leaves: leaves
            .iter()
            .map(|l| LeafRule {
                leaf: l.code.clone(),
                minimum: MINIMUM,
                group_weights: BTreeMap::new(),
            })
            .collect(),
    })
}

/// Writes `survey.xlsx` (the questionnaire to define), `survey.json` (the same definition,
/// for tools that check the points) and `survey_answers.csv`: `respondents` respondents, each
/// of one group answering every question about one or a few units of the group it evaluates,
/// about [`ANSWERS_PER_RESPONDENT`] answers each; answers lean on a per-unit quality so that
/// units differ.
pub fn write(data: &Synthetic, respondents: usize, seed: u64, out: &Path) -> Result<Written> {
    let mut groups: Vec<(GroupName, Vec<UnitCode>)> = Vec::new();
    for m in &data.members {
        match groups.iter_mut().find(|(g, _)| g == &m.group) {
            Some((_, units)) => units.push(m.unit.clone()),
            None => groups.push((m.group.clone(), vec![m.unit.clone()])),
        }
    }
    let def = definition(data, &groups)?;
    let xlsx = chiso_formats::survey::questionnaire_xlsx(&def).map_err(crate::commands::written)?;
    let write_file = |name: &str, bytes: &[u8]| {
        let path = out.join(name);
        std::fs::write(&path, bytes).map_err(|e| anyhow!(describe(&e, &path, Access::Write)))
    };
    write_file("survey.xlsx", &xlsx)?;
    write_file("survey.json", &serde_json::to_vec_pretty(&def)?)?;

    let path = out.join("survey_answers.csv");
    let failed = |e: std::io::Error| anyhow!(describe(&e, &path, Access::Write));
    let mut w = BufWriter::new(std::fs::File::create(&path).map_err(failed)?);
    let mut rng = SplitMix(seed ^ 0x5eed_5eed_5eed_5eed);
    // Quality of each unit in per mille, as the synthetic scores draw it (450–990).
    let quality: BTreeMap<&UnitCode, usize> = data
        .units
        .iter()
        .map(|u| (&u.code, 450 + rng.below(541)))
        .collect();
    let questions = def.groups[0].questions.len();
    let (per, extra) = (
        ANSWERS_PER_RESPONDENT / questions,
        ANSWERS_PER_RESPONDENT % questions,
    );
    let mut answers = 0u64;
    let mut chosen: Vec<usize> = Vec::new();
    writeln!(w, "respondent,group,unit,question,answer").map_err(failed)?;
    for r in 1..=respondents {
        let k = rng.below(groups.len());
        let (group, units) = (&def.groups[k], &groups[k].1);
        // Units per respondent averaging ANSWERS_PER_RESPONDENT / questions, at least one.
        let wanted = (per + usize::from(rng.below(questions) < extra)).clamp(1, units.len().max(1));
        chosen.clear();
        while chosen.len() < wanted {
            let u = rng.below(units.len());
            if !chosen.contains(&u) {
                chosen.push(u);
            }
        }
        for &u in &chosen {
            let unit = &units[u];
            let q = quality.get(unit).copied().unwrap_or(700);
            for question in &group.questions {
                let answer = if rng.below(1000) < 40 {
                    "E"
                } else {
                    match (rng.below(1000) + q) / 2 {
                        800.. => "A",
                        620.. => "B",
                        450.. => "C",
                        _ => "D",
                    }
                };
                writeln!(
                    w,
                    "P{r:06},{},{unit},{},{answer}",
                    group.code, question.code
                )
                .map_err(failed)?;
                answers += 1;
            }
        }
    }
    w.flush().map_err(failed)?;
    Ok(Written {
        questions,
        groups: groups.len(),
        answers,
    })
}
