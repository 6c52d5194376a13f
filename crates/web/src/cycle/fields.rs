//! The fields of one leaf as a form carries them, both ways: from what is stored to what the
//! inputs show, and from what a person typed to a [`SelfEntry`] scored by the leaf's method.
//!
//! Every leaf's block in the form carries the version it was rendered from and a signature of
//! the values it showed. A save of a whole area thus writes only the leaves the person changed:
//! an untouched leaf keeps its signature and is skipped, so another person's newer value of it is
//! neither overwritten nor reported as a conflict.

use std::collections::BTreeMap;

use chiso_domain::indexset::NaPolicy;
use chiso_domain::number::{self, NumberError, NumberKind, TypedError};
use chiso_domain::{InputError, LeafOutcome, Method, Node, NodeCode, RawValue, TierBasis};
use chiso_services::dossier::{SelfEntry, StoredLeaf};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// Longest declared data, note or explanation accepted, in characters.
pub(crate) const MAX_TEXT_CHARS: usize = 4000;

/// The input a leaf's method calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InputKind {
    /// Có / không (and không phát sinh when allowed), as radio buttons.
    YesNo,
    /// A count: a whole number (`1.200` is 1200, `2,5` is refused).
    Count,
    /// Numerator and denominator; the percentage is computed.
    Ratio,
    /// One of the method's grades.
    Grade,
    /// The day a report was sent (tiers by days late).
    Date,
    /// Points typed directly, in multiples of `step` when given.
    Points { step: Option<Decimal> },
    /// Entered by nobody in the unit: survey results and monitoring data.
    ReadOnly,
}

impl InputKind {
    /// The input of `node` (a leaf).
    pub(crate) fn of(node: &Node) -> InputKind {
        if !unit_enters(node) {
            return InputKind::ReadOnly;
        }
        match &node.method {
            Some(Method::YesNo) => InputKind::YesNo,
            Some(
                Method::Count { .. }
                | Method::Deduction { .. }
                | Method::Tiers {
                    basis: TierBasis::Count,
                    ..
                },
            ) => InputKind::Count,
            Some(
                Method::Tiers {
                    basis: TierBasis::Percent,
                    ..
                }
                | Method::Proportional,
            ) => InputKind::Ratio,
            Some(Method::Tiers {
                basis: TierBasis::DaysLate { .. },
                ..
            }) => InputKind::Date,
            Some(Method::Graded { .. }) => InputKind::Grade,
            Some(Method::Manual { step }) => InputKind::Points { step: *step },
            Some(Method::Bonus) => InputKind::Points { step: None },
            Some(Method::Survey) | None => InputKind::ReadOnly,
        }
    }

    /// Machine name used by the template and the script.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            InputKind::YesNo => "yes_no",
            InputKind::Count => "count",
            InputKind::Ratio => "ratio",
            InputKind::Grade => "grade",
            InputKind::Date => "date",
            InputKind::Points { .. } => "points",
            InputKind::ReadOnly => "readonly",
        }
    }
}

pub(crate) use chiso_services::dossier::{evidence_required, unit_enters};

/// The fields of one leaf's block, as shown or as typed. Text is kept as typed; numbers are
/// shown with a decimal comma and no thousands separator ([`number::vi_input`]), so they read
/// back exactly whatever the field's kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LeafFields {
    /// `yes`/`no`/`na` (yes/no), a count, a grade code, an ISO date or points.
    pub value: String,
    /// Numerator of a ratio.
    pub num: String,
    /// Denominator of a ratio.
    pub den: String,
    /// "Không phát sinh" ticked (every kind but yes/no, which has its own choice).
    pub na: bool,
    /// Declared data (số liệu kê khai).
    pub data: String,
    pub note: String,
    /// Explanation of missing evidence (giải trình).
    pub explanation: String,
}

impl LeafFields {
    /// The fields showing what is stored.
    pub(crate) fn from_stored(kind: &InputKind, stored: Option<&StoredLeaf>) -> LeafFields {
        let Some(s) = stored.map(|l| &l.self_assessment) else {
            return LeafFields::default();
        };
        let mut f = LeafFields {
            data: s.declared_data.clone().unwrap_or_default(),
            note: s.note.clone().unwrap_or_default(),
            explanation: s.explanation.clone().unwrap_or_default(),
            ..LeafFields::default()
        };
        match &s.input {
            None => {}
            Some(RawValue::NotApplicable) if *kind == InputKind::YesNo => {
                "na".clone_into(&mut f.value)
            }
            Some(RawValue::NotApplicable) => f.na = true,
            Some(RawValue::Yes) => "yes".clone_into(&mut f.value),
            Some(RawValue::No) => "no".clone_into(&mut f.value),
            Some(RawValue::Count(n) | RawValue::Points(n)) => f.value = plain(*n),
            Some(RawValue::Ratio { num, den }) => {
                f.num = plain(*num);
                f.den = plain(*den);
            }
            Some(RawValue::Percent(p)) if *kind == InputKind::Ratio => {
                f.num = plain(*p);
                "100".clone_into(&mut f.den);
            }
            Some(RawValue::Percent(p)) => f.value = plain(*p),
            Some(RawValue::Grade(code)) => f.value = code.to_string(),
            Some(RawValue::Date(d)) => f.value = chiso_domain::fmt::vi_date(*d),
        }
        f
    }

    /// A short digest of the fields (normalised as they would be saved): equal digests mean
    /// the person did not change the leaf.
    pub(crate) fn signature(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.value.trim(),
            self.num.trim(),
            self.den.trim(),
            if self.na { "1" } else { "0" },
            &normalise_text(&self.data),
            &normalise_text(&self.note),
            &normalise_text(&self.explanation),
        ] {
            h.update(part.as_bytes());
            h.update([0x1f]);
        }
        hex::encode(&h.finalize()[..12])
    }
}

/// A decimal as typed back into an input: `1,5`, `1423`, `0,25`.
pub(crate) fn plain(d: Decimal) -> String {
    number::vi_input(d)
}

/// Line ends as `\n` (browsers send `\r\n` from text areas), surrounding blanks trimmed.
pub(crate) fn normalise_text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .trim()
        .to_owned()
}

/// One leaf's block as posted: its fields, the version it was rendered from, and the
/// signature of what it showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PostedLeaf {
    pub fields: LeafFields,
    pub version: i64,
    pub sig: String,
}

impl PostedLeaf {
    /// True when the person changed something in this block.
    pub(crate) fn changed(&self) -> bool {
        self.fields.signature() != self.sig
    }
}

/// A posted form of leaf blocks: `value:1.2.3`, `num:…`, `den:…`, `na:…`, `data:…`, `note:…`,
/// `explanation:…`, `version:…`, `sig:…`, plus the form's own fields (`only`, `csrf`…).
#[derive(Debug, Clone, Default)]
pub(crate) struct PostedForm {
    pub leaves: BTreeMap<NodeCode, PostedLeaf>,
    /// Fields that name no leaf.
    pub other: BTreeMap<String, String>,
}

impl PostedForm {
    /// Sorts posted pairs into leaf blocks. Malformed leaf codes are ignored (they match no
    /// leaf of the set anyway).
    pub(crate) fn parse(pairs: Vec<(String, String)>) -> PostedForm {
        let mut form = PostedForm::default();
        for (name, value) in pairs {
            let Some((field, code)) = name.split_once(':') else {
                form.other.insert(name, value);
                continue;
            };
            // Only a leaf's own fields make a leaf block: another field naming a leaf (the
            // name of a chosen file, `file:1.2`) must not read as that leaf emptied.
            const LEAF_FIELDS: [&str; 9] = [
                "value",
                "num",
                "den",
                "na",
                "data",
                "note",
                "explanation",
                "version",
                "sig",
            ];
            let (true, Ok(code)) = (LEAF_FIELDS.contains(&field), NodeCode::parse(code)) else {
                continue;
            };
            let leaf = form.leaves.entry(code).or_default();
            match field {
                "value" => leaf.fields.value = value,
                "num" => leaf.fields.num = value,
                "den" => leaf.fields.den = value,
                "na" => leaf.fields.na = !value.is_empty(),
                "data" => leaf.fields.data = value,
                "note" => leaf.fields.note = value,
                "explanation" => leaf.fields.explanation = value,
                "version" => leaf.version = value.trim().parse().unwrap_or(-1),
                "sig" => leaf.sig = value,
                _ => {}
            }
        }
        form
    }

    /// A field that names no leaf, trimmed; `None` when absent or blank.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.other
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// Which input of a leaf's block holds a refused number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberField {
    /// The single value input (a count, points).
    Value,
    /// The numerator of a ratio.
    Numerator,
    /// The denominator of a ratio.
    Denominator,
}

/// Why a leaf's fields cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldProblem {
    /// The method refuses the value (the domain names what is wrong).
    Input(InputError),
    /// A number is not written the Vietnamese way, has decimals in a count, or could mean two
    /// numbers.
    Number {
        field: NumberField,
        error: NumberError,
    },
    /// A ratio with only one of its two numbers.
    RatioIncomplete,
    /// Declared data, note or explanation longer than [`MAX_TEXT_CHARS`].
    TextTooLong,
}

/// The value typed for a leaf, scored: `None` when nothing is entered.
pub(crate) type Scored = Option<(RawValue, LeafOutcome)>;

/// Reads and scores the value of a leaf's fields (declared data, note and explanation aside).
pub(crate) fn read_value(node: &Node, fields: &LeafFields) -> Result<Scored, FieldProblem> {
    let kind = InputKind::of(node);
    let Some(method) = node.method.as_ref() else {
        return Ok(None);
    };
    let raw = if fields.na && kind != InputKind::YesNo {
        Some(RawValue::NotApplicable)
    } else {
        match kind {
            InputKind::ReadOnly => None,
            InputKind::YesNo => match fields.value.trim() {
                "" => None,
                "yes" => Some(RawValue::Yes),
                "no" => Some(RawValue::No),
                "na" => Some(RawValue::NotApplicable),
                other => Some(method.parse_input(other).map_err(FieldProblem::Input)?),
            },
            InputKind::Ratio => {
                let (num, den) = (fields.num.trim(), fields.den.trim());
                match (num.is_empty(), den.is_empty()) {
                    (true, true) => None,
                    (false, false) => {
                        let read = |text: &str, field| {
                            number::parse_number(text, NumberKind::Decimal)
                                .map_err(|error| FieldProblem::Number { field, error })
                        };
                        Some(RawValue::Ratio {
                            num: read(num, NumberField::Numerator)?,
                            den: read(den, NumberField::Denominator)?,
                        })
                    }
                    _ => return Err(FieldProblem::RatioIncomplete),
                }
            }
            InputKind::Count | InputKind::Points { .. } => match fields.value.trim() {
                "" => None,
                v => Some(number::parse_typed(method, v).map_err(|e| match e {
                    TypedError::Number(error) => FieldProblem::Number {
                        field: NumberField::Value,
                        error,
                    },
                    TypedError::Input(e) => FieldProblem::Input(e),
                })?),
            },
            InputKind::Grade | InputKind::Date => match fields.value.trim() {
                "" => None,
                v => Some(method.parse_input(v).map_err(FieldProblem::Input)?),
            },
        }
    };
    match raw {
        None => Ok(None),
        Some(raw) => {
            let outcome = score(node, &raw).map_err(FieldProblem::Input)?;
            Ok(Some((raw, outcome)))
        }
    }
}

/// Scores a value with the leaf's method.
pub(crate) fn score(node: &Node, raw: &RawValue) -> Result<LeafOutcome, InputError> {
    let na: Option<NaPolicy> = node.not_applicable;
    match &node.method {
        Some(m) => m.score(node.max, node.source, na, raw),
        None => Err(InputError::WrongKind("không có phương pháp chấm điểm")),
    }
}

/// The engine's sentence for a scored value.
pub(crate) fn explain(node: &Node, raw: &RawValue, outcome: &LeafOutcome) -> String {
    node.method
        .as_ref()
        .map(|m| m.explain(node.max, raw, outcome))
        .unwrap_or_default()
}

/// The percentage of a ratio value, exact (rounded only for display by the caller).
pub(crate) fn ratio_percent(raw: &RawValue) -> Option<Decimal> {
    match raw {
        RawValue::Ratio { num, den } => chiso_domain::points::percent(*num, *den),
        RawValue::Percent(p) => Some(*p),
        _ => None,
    }
}

/// The whole self-assessment of a leaf from its fields: the scored value, declared data, note
/// and explanation.
pub(crate) fn read_entry(node: &Node, fields: &LeafFields) -> Result<SelfEntry, FieldProblem> {
    let scored = read_value(node, fields)?;
    let text = |s: &str| -> Result<Option<String>, FieldProblem> {
        let t = normalise_text(s);
        if t.chars().count() > MAX_TEXT_CHARS {
            return Err(FieldProblem::TextTooLong);
        }
        Ok(Some(t).filter(|t| !t.is_empty()))
    };
    let (input, points) = match scored {
        Some((raw, outcome)) => (Some(raw), Some(outcome.points)),
        None => (None, None),
    };
    Ok(SelfEntry {
        input,
        points,
        declared_data: text(&fields.data)?,
        note: text(&fields.note)?,
        explanation: text(&fields.explanation)?,
    })
}

#[cfg(test)]
mod tests {
    use chiso_domain::indexset::Source;
    use chiso_domain::{Points, Tier};
    use rust_decimal_macros::dec;

    use super::*;

    fn leaf(method: Method, na: Option<NaPolicy>) -> Node {
        Node {
            code: NodeCode::parse("1.1").unwrap(),
            title: "t".to_owned(),
            max: Points(dec!(2)),
            source: Source::Assessed,
            method: Some(method),
            rule: None,
            evidence: None,
            not_applicable: na,
            children: vec![],
        }
    }

    fn fields(value: &str) -> LeafFields {
        LeafFields {
            value: value.to_owned(),
            ..LeafFields::default()
        }
    }

    #[test]
    fn a_ratio_is_read_from_its_two_numbers_and_scored_by_tiers() {
        let node = leaf(
            Method::Tiers {
                basis: TierBasis::Percent,
                tiers: vec![
                    Tier {
                        min: dec!(95),
                        below: None,
                        points: dec!(2),
                    },
                    Tier {
                        min: dec!(0),
                        below: None,
                        points: dec!(0),
                    },
                ],
            },
            None,
        );
        let f = LeafFields {
            num: "45".into(),
            den: "47".into(),
            ..LeafFields::default()
        };
        let (raw, outcome) = read_value(&node, &f).unwrap().unwrap();
        assert_eq!(
            raw,
            RawValue::Ratio {
                num: dec!(45),
                den: dec!(47)
            }
        );
        assert_eq!(outcome.points, Points(dec!(2)));
        let half = LeafFields {
            num: "45".into(),
            ..LeafFields::default()
        };
        assert_eq!(read_value(&node, &half), Err(FieldProblem::RatioIncomplete));
        assert_eq!(read_value(&node, &LeafFields::default()), Ok(None));
    }

    #[test]
    fn not_applicable_is_refused_where_the_leaf_does_not_allow_it() {
        let strict = leaf(
            Method::Count {
                per: dec!(0.5),
                cap: None,
            },
            None,
        );
        let na = LeafFields {
            na: true,
            ..LeafFields::default()
        };
        assert_eq!(
            read_value(&strict, &na),
            Err(FieldProblem::Input(InputError::NotApplicableRefused))
        );
        let lenient = leaf(
            Method::Count {
                per: dec!(0.5),
                cap: None,
            },
            Some(NaPolicy::Exclude),
        );
        let (_, outcome) = read_value(&lenient, &na).unwrap().unwrap();
        assert!(!outcome.applicable);
    }

    #[test]
    fn stored_values_show_back_exactly_and_keep_their_signature() {
        let node = leaf(
            Method::Manual {
                step: Some(dec!(0.25)),
            },
            None,
        );
        let entry = read_entry(&node, &fields("1,75")).unwrap();
        assert_eq!(entry.points, Some(Points(dec!(1.75))));
        let kind = InputKind::of(&node);
        let stored = StoredLeaf {
            key: chiso_services::dossier::LeafKey {
                period: chiso_domain::PeriodCode::parse("2025").unwrap(),
                unit: chiso_domain::UnitCode::parse("U").unwrap(),
                node: node.code.clone(),
            },
            self_assessment: SelfEntry {
                note: Some("dòng 1\ndòng 2".into()),
                ..entry
            },
            self_by: None,
            self_at: None,
            self_version: 1,
            appraisal: Default::default(),
            appraised_by: None,
            appraised_at: None,
            appraisal_version: 0,
            updated_by: "x".into(),
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
        };
        let shown = LeafFields::from_stored(&kind, Some(&stored));
        assert_eq!(shown.value, "1,75");
        let mut posted = shown.clone();
        posted.note = "dòng 1\r\ndòng 2\r\n".into();
        assert_eq!(
            posted.signature(),
            shown.signature(),
            "line ends do not count"
        );
        posted.value = "1,5".into();
        assert_ne!(posted.signature(), shown.signature());
    }

    #[test]
    fn grades_and_yes_no_are_read_by_their_codes() {
        let graded = leaf(
            Method::Graded {
                grades: Method::default_grades(),
            },
            None,
        );
        let (raw, outcome) = read_value(&graded, &fields("T")).unwrap().unwrap();
        assert_eq!(
            raw,
            RawValue::Grade(chiso_domain::GradeCode::parse("T").unwrap())
        );
        assert_eq!(outcome.points, Points(dec!(1.5)));
        let yes_no = leaf(Method::YesNo, Some(NaPolicy::FullPoints));
        let (_, o) = read_value(&yes_no, &fields("na")).unwrap().unwrap();
        assert_eq!(o.points, Points(dec!(2)));
        assert!(matches!(
            read_value(&yes_no, &fields("maybe")),
            Err(FieldProblem::Input(InputError::NotYesNo(_)))
        ));
    }

    #[test]
    fn posted_pairs_are_sorted_into_leaf_blocks() {
        let form = PostedForm::parse(vec![
            ("csrf".into(), "t".into()),
            ("value:1.2".into(), "3".into()),
            ("version:1.2".into(), "4".into()),
            ("na:1.3".into(), "on".into()),
            ("value:bad code".into(), "x".into()),
        ]);
        assert_eq!(form.get("csrf"), Some("t"));
        assert_eq!(form.leaves.len(), 2);
        let l = &form.leaves[&NodeCode::parse("1.2").unwrap()];
        assert_eq!((l.fields.value.as_str(), l.version), ("3", 4));
        assert!(form.leaves[&NodeCode::parse("1.3").unwrap()].fields.na);
    }
}
