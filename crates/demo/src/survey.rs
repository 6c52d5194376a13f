//! The demo province's survey answers: respondents of each group rate every unit their group
//! evaluates, each unit drawing answers around a "quality" of its own, from a seeded ChaCha
//! stream so that the same survey always gets the same answers on every machine. The last unit
//! of each group is rated by only a few respondents, so the page shows a unit below the
//! minimum of answers awaiting the administrator's decision.

use std::collections::BTreeMap;

use chiso_domain::questionnaire::{QuestionnaireKind, SurveyDefinition};
use chiso_domain::{GroupName, UnitCode};
use rand::{Rng, SeedableRng};

use crate::inputs::Stream;

/// One answer of the demo survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAnswer {
    pub respondent: String,
    pub group: String,
    pub unit: UnitCode,
    pub question: String,
    pub answer: String,
}

/// Respondents who rate the last unit of a group (fewer than the demo's minimum of five).
const FEW: usize = 3;

/// The answers of `respondents` people per respondent group of `definition` about the units
/// of the group of units they evaluate (`units`, in the period's order).
pub fn survey_answers(
    definition: &SurveyDefinition,
    units: &BTreeMap<GroupName, Vec<UnitCode>>,
    respondents: usize,
    seed: u64,
) -> Vec<DemoAnswer> {
    let mut rng = Stream::seed_from_u64(seed);
    let mut out = Vec::new();
    for g in &definition.groups {
        let Some(list) = units.get(&g.evaluates) else {
            continue;
        };
        let sipas = matches!(g.kind, QuestionnaireKind::Sipas { .. });
        // A quality per unit (‰), drawn once so every respondent sees the same unit.
        let quality: Vec<i64> = list.iter().map(|_| rng.random_range(450..=950)).collect();
        for r in 0..respondents {
            let respondent = format!("{}-{:03}", g.code, r + 1);
            for (i, unit) in list.iter().enumerate() {
                if i + 1 == list.len() && r >= FEW {
                    continue;
                }
                for q in &g.questions {
                    let draw = rng.random_range(0..1000) - 500 + quality[i];
                    let answer = if sipas {
                        match draw {
                            ..250 => "2",
                            250..450 => "3",
                            450..800 => "4",
                            _ => "5",
                        }
                    } else {
                        match draw {
                            ..150 => "E",
                            150..300 => "D",
                            300..500 => "C",
                            500..780 => "B",
                            _ => "A",
                        }
                    };
                    out.push(DemoAnswer {
                        respondent: respondent.clone(),
                        group: g.code.clone(),
                        unit: unit.clone(),
                        question: q.code.clone(),
                        answer: answer.to_owned(),
                    });
                }
            }
        }
    }
    out
}
