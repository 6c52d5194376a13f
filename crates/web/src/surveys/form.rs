//! A survey's definition as the questionnaire form carries it, both ways: from a
//! [`SurveyDefinition`] to the texts its inputs show, and from the fields posted back to a
//! definition, each mistake named by the field it belongs to. The form's add and remove
//! buttons post the whole form and get it back with the row added or removed, so that it
//! works without scripts and nothing typed is lost; only saving turns it into a definition.
//!
//! Field names carry the row they belong to: `code`, `name`; `g{i}.code`, `g{i}.name`,
//! `g{i}.target`, `g{i}.evaluates`, `g{i}.kind`, `g{i}.sipas` for respondent group `i`;
//! `g{i}.q{j}.code|text|target` for its questions; `g{i}.o{k}.code|label|weight` for its
//! options; `l{k}.leaf|minimum` and `l{k}.w{i}` (the weight of group `i`) for the leaves.

use std::collections::BTreeMap;

use chiso_domain::number::{NumberError, NumberKind, parse_number, vi_input};
use chiso_domain::questionnaire::{
    DefinitionError, LeafRule, OptionDef, Question, QuestionTarget, QuestionnaireKind,
    RespondentGroup, SurveyDefinition,
};
use chiso_domain::survey::{AnswerScale, Factor, SurveyError};
use chiso_domain::{GroupName, NodeCode};
use chiso_formats::survey::{STANDARD_LABELS, factor_code, parse_factor};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::i18n::Lang;

/// Most respondent groups one survey may have on the form.
pub(crate) const MAX_GROUPS: usize = 50;
/// Most questions of one respondent group.
pub(crate) const MAX_QUESTIONS: usize = 200;
/// Most answer options of one respondent group.
pub(crate) const MAX_OPTIONS: usize = 20;
/// Most leaf rows (minimum and group weights); a period's survey leaves are far fewer.
pub(crate) const MAX_LEAF_ROWS: usize = 500;
/// Longest name, question text or option label, in characters.
pub(crate) const MAX_TEXT_CHARS: usize = 2000;

/// `g{i}.kind` of a questionnaire whose questions feed leaves.
pub(crate) const KIND_SOCIAL: &str = "social";
/// `g{i}.kind` of a satisfaction (SIPAS) questionnaire.
pub(crate) const KIND_SIPAS: &str = "sipas";
/// Prefix of a question target that is a SIPAS factor (`sipas:tiep_can`); a leaf is its code.
pub(crate) const FACTOR_PREFIX: &str = "sipas:";

/// Field of the mistakes that belong to no one field (shown at the top of the form).
pub(crate) const GENERAL: &str = "general";
/// Field of the mistakes about the list of respondent groups as a whole.
pub(crate) const GROUPS: &str = "groups";
/// Field of the mistakes about the leaf rows as a whole.
pub(crate) const LEAVES: &str = "leaves";

/// The form as typed: every value the text its input shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Draft {
    pub code: String,
    pub name: String,
    pub groups: Vec<DraftGroup>,
    /// In the order the form shows them (see [`Draft::arrange_leaves`]).
    pub leaves: Vec<DraftLeaf>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DraftGroup {
    pub code: String,
    pub name: String,
    pub target: String,
    pub evaluates: String,
    /// [`KIND_SOCIAL`] or [`KIND_SIPAS`].
    pub kind: String,
    /// The leaf a SIPAS questionnaire feeds.
    pub sipas: String,
    pub questions: Vec<DraftQuestion>,
    pub options: Vec<DraftOption>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DraftQuestion {
    pub code: String,
    pub text: String,
    /// A leaf code, or [`FACTOR_PREFIX`] and a factor code.
    pub target: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DraftOption {
    pub code: String,
    pub label: String,
    /// In per cent; blank for "không biết" (excluded).
    pub weight: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DraftLeaf {
    pub leaf: String,
    pub minimum: String,
    /// One per respondent group, in the groups' order.
    pub weights: Vec<String>,
}

impl DraftQuestion {
    /// A row left empty (no text, no target) is not a question: "Thêm câu hỏi" suggests a
    /// code, which alone does not make one.
    pub(crate) fn is_blank(&self) -> bool {
        self.text.trim().is_empty() && self.target.trim().is_empty()
    }
}

impl DraftOption {
    pub(crate) fn is_blank(&self) -> bool {
        self.code.trim().is_empty() && self.label.trim().is_empty() && self.weight.trim().is_empty()
    }
}

impl DraftLeaf {
    /// Nothing typed: the leaf keeps minimum 0 and unweighted groups.
    pub(crate) fn is_blank(&self) -> bool {
        self.minimum.trim().is_empty() && self.weights.iter().all(|w| w.trim().is_empty())
    }
}

/// What a question's target select holds for `target`.
pub(crate) fn target_value(target: &QuestionTarget) -> String {
    match target {
        QuestionTarget::Leaf(l) => l.to_string(),
        QuestionTarget::Factor(f) => format!("{FACTOR_PREFIX}{}", factor_code(*f)),
    }
}

/// The target a select's value names, `None` when it names nothing.
pub(crate) fn parse_target(raw: &str) -> Option<QuestionTarget> {
    let raw = raw.trim();
    match raw.strip_prefix(FACTOR_PREFIX) {
        Some(f) => parse_factor(f).map(QuestionTarget::Factor),
        None => NodeCode::parse(raw).ok().map(QuestionTarget::Leaf),
    }
}

/// A share (0 to 1) as the per cent typed in the form: `0,6` → `60`.
fn percent_text(d: Decimal) -> String {
    vi_input(d * Decimal::ONE_HUNDRED)
}

/// A button of the form: what to do with what was posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Save,
    /// Show the form again with what was typed (the leaves of a newly chosen group of units).
    Refresh,
    AddGroup,
    RemoveGroup(usize),
    AddQuestion(usize),
    RemoveQuestion(usize, usize),
    AddOption(usize),
    RemoveOption(usize, usize),
}

impl Action {
    /// The value of the button (`name="action"`): `save`, `add-question:0`, `remove-option:1:2`…
    /// Anything else shows the form again.
    pub(crate) fn parse(raw: &str) -> Action {
        let mut parts = raw.trim().split(':');
        let what = parts.next().unwrap_or_default();
        let mut num = || parts.next().and_then(|p| p.parse::<usize>().ok());
        let (a, b) = (num(), num());
        match (what, a, b) {
            ("save", None, None) => Action::Save,
            ("add-group", None, None) => Action::AddGroup,
            ("remove-group", Some(i), None) => Action::RemoveGroup(i),
            ("add-question", Some(i), None) => Action::AddQuestion(i),
            ("remove-question", Some(i), Some(j)) => Action::RemoveQuestion(i, j),
            ("add-option", Some(i), None) => Action::AddOption(i),
            ("remove-option", Some(i), Some(k)) => Action::RemoveOption(i, k),
            _ => Action::Refresh,
        }
    }

    /// The button's value.
    pub(crate) fn value(self) -> String {
        match self {
            Action::Save => "save".to_owned(),
            Action::Refresh => "refresh".to_owned(),
            Action::AddGroup => "add-group".to_owned(),
            Action::RemoveGroup(i) => format!("remove-group:{i}"),
            Action::AddQuestion(i) => format!("add-question:{i}"),
            Action::RemoveQuestion(i, j) => format!("remove-question:{i}:{j}"),
            Action::AddOption(i) => format!("add-option:{i}"),
            Action::RemoveOption(i, k) => format!("remove-option:{i}:{k}"),
        }
    }
}

/// Mistakes, each with the field it belongs to, in the reader's language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Errors(Vec<(String, String)>);

impl Errors {
    /// Adds a mistake; the same message twice for one field is shown once.
    pub(crate) fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let item = (field.into(), message.into());
        if !self.0.contains(&item) {
            self.0.push(item);
        }
    }

    /// The messages of one field, one after the other.
    pub(crate) fn on(&self, field: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .0
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every mistake as (field, message).
    pub(crate) fn all(&self) -> &[(String, String)] {
        &self.0
    }
}

/// `g12` → 12 with prefix `g`.
fn index(segment: &str, prefix: char) -> Option<usize> {
    let digits = segment.strip_prefix(prefix)?;
    (!digits.is_empty() && digits.len() <= 9 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

#[derive(Default)]
struct GroupFields {
    group: DraftGroup,
    questions: BTreeMap<usize, DraftQuestion>,
    options: BTreeMap<usize, DraftOption>,
}

#[derive(Default)]
struct LeafFields {
    leaf: String,
    minimum: String,
    weights: BTreeMap<usize, String>,
}

/// What a post of the form holds.
#[derive(Debug)]
pub(crate) struct Posted {
    pub draft: Draft,
    pub action: Action,
    /// Rows beyond the bounds, which were dropped: the form is shown again with these.
    pub refused: Errors,
}

/// Reads the posted fields. Rows beyond [`MAX_GROUPS`], [`MAX_QUESTIONS`], [`MAX_OPTIONS`] or
/// [`MAX_LEAF_ROWS`] are dropped and named in [`Posted::refused`]; unknown fields are ignored.
pub(crate) fn read(lang: Lang, fields: &[(String, String)]) -> Posted {
    let mut draft = Draft::default();
    let mut action = Action::Refresh;
    let mut groups: BTreeMap<usize, GroupFields> = BTreeMap::new();
    let mut leaves: BTreeMap<usize, LeafFields> = BTreeMap::new();
    let mut refused = Errors::default();
    let max = |n: usize| n.to_string();
    for (name, value) in fields {
        let value = value.clone();
        let Some((head, rest)) = name.split_once('.') else {
            match name.as_str() {
                "action" => action = Action::parse(&value),
                "code" => draft.code = value,
                "name" => draft.name = value,
                _ => {}
            }
            continue;
        };
        if let Some(i) = index(head, 'g') {
            if i >= MAX_GROUPS {
                refused.add(
                    GROUPS,
                    lang.tf("survey_form.too_many_groups", &[("max", &max(MAX_GROUPS))]),
                );
                continue;
            }
            let g = groups.entry(i).or_default();
            match rest {
                "code" => g.group.code = value,
                "name" => g.group.name = value,
                "target" => g.group.target = value,
                "evaluates" => g.group.evaluates = value,
                "kind" => g.group.kind = value,
                "sipas" => g.group.sipas = value,
                _ => {
                    let Some((row, field)) = rest.split_once('.') else {
                        continue;
                    };
                    if let Some(j) = index(row, 'q') {
                        if j >= MAX_QUESTIONS {
                            refused.add(
                                format!("g{i}.questions"),
                                lang.tf(
                                    "survey_form.too_many_questions",
                                    &[("max", &max(MAX_QUESTIONS))],
                                ),
                            );
                            continue;
                        }
                        let q = g.questions.entry(j).or_default();
                        match field {
                            "code" => q.code = value,
                            "text" => q.text = value,
                            "target" => q.target = value,
                            _ => {}
                        }
                    } else if let Some(k) = index(row, 'o') {
                        if k >= MAX_OPTIONS {
                            refused.add(
                                format!("g{i}.options"),
                                lang.tf(
                                    "survey_form.too_many_options",
                                    &[("max", &max(MAX_OPTIONS))],
                                ),
                            );
                            continue;
                        }
                        let o = g.options.entry(k).or_default();
                        match field {
                            "code" => o.code = value,
                            "label" => o.label = value,
                            "weight" => o.weight = value,
                            _ => {}
                        }
                    }
                }
            }
        } else if let Some(k) = index(head, 'l') {
            if k >= MAX_LEAF_ROWS {
                refused.add(
                    LEAVES,
                    lang.tf(
                        "survey_form.too_many_leaf_rows",
                        &[("max", &max(MAX_LEAF_ROWS))],
                    ),
                );
                continue;
            }
            let l = leaves.entry(k).or_default();
            match rest {
                "leaf" => l.leaf = value,
                "minimum" => l.minimum = value,
                w => {
                    if let Some(i) = index(w, 'w').filter(|i| *i < MAX_GROUPS) {
                        l.weights.insert(i, value);
                    }
                }
            }
        }
    }
    // Rows are numbered as posted; a gap (a tampered form) closes up, and the weights of the
    // leaves follow their groups.
    let position: BTreeMap<usize, usize> = groups
        .keys()
        .enumerate()
        .map(|(pos, i)| (*i, pos))
        .collect();
    draft.groups = groups
        .into_values()
        .map(|g| DraftGroup {
            questions: g.questions.into_values().collect(),
            options: g.options.into_values().collect(),
            ..g.group
        })
        .collect();
    draft.leaves = leaves
        .into_values()
        .map(|l| {
            let mut weights = vec![String::new(); draft.groups.len()];
            for (i, w) in l.weights {
                if let Some(pos) = position.get(&i) {
                    weights[*pos] = w;
                }
            }
            DraftLeaf {
                leaf: l.leaf,
                minimum: l.minimum,
                weights,
            }
        })
        .collect();
    Posted {
        draft,
        action,
        refused,
    }
}

/// A group of units the form offers, with its set and that set's survey leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnitGroup {
    pub group: String,
    pub set: String,
    pub leaves: Vec<(String, String)>,
}

impl From<&chiso_services::surveys::UnitGroupLeaves> for UnitGroup {
    fn from(g: &chiso_services::surveys::UnitGroupLeaves) -> Self {
        UnitGroup {
            group: g.group.to_string(),
            set: g.set.to_string(),
            leaves: g
                .leaves
                .iter()
                .map(|(c, t)| (c.to_string(), t.clone()))
                .collect(),
        }
    }
}

/// The group of units with this name (as the select holds it).
pub(crate) fn unit_group<'a>(choices: &'a [UnitGroup], name: &str) -> Option<&'a UnitGroup> {
    choices.iter().find(|c| c.group == name.trim())
}

/// The first code `{prefix}{n}` (n = `from`, `from + 1`, …) not among `taken`.
fn free_code<'a>(
    prefix: &str,
    from: usize,
    taken: impl Iterator<Item = &'a str> + Clone,
) -> String {
    let mut n = from;
    loop {
        let code = format!("{prefix}{n}");
        if !taken.clone().any(|t| t.trim().eq_ignore_ascii_case(&code)) {
            return code;
        }
        n += 1;
    }
}

/// What a row button did: the field to put the cursor in, or why the row was not added.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Applied {
    pub focus: Option<String>,
    pub refused: Errors,
}

impl Draft {
    /// The form of a definition.
    pub(crate) fn of(def: &SurveyDefinition) -> Draft {
        let groups: Vec<DraftGroup> = def
            .groups
            .iter()
            .map(|g| DraftGroup {
                code: g.code.clone(),
                name: g.name.clone(),
                target: g.target.map(|t| t.to_string()).unwrap_or_default(),
                evaluates: g.evaluates.to_string(),
                kind: match g.kind {
                    QuestionnaireKind::Sociological => KIND_SOCIAL.to_owned(),
                    QuestionnaireKind::Sipas { .. } => KIND_SIPAS.to_owned(),
                },
                sipas: match &g.kind {
                    QuestionnaireKind::Sipas { leaf } => leaf.to_string(),
                    QuestionnaireKind::Sociological => String::new(),
                },
                questions: g
                    .questions
                    .iter()
                    .map(|q| DraftQuestion {
                        code: q.code.clone(),
                        text: q.text.clone(),
                        target: target_value(&q.target),
                    })
                    .collect(),
                options: g
                    .options
                    .iter()
                    .map(|o| DraftOption {
                        code: o.code.clone(),
                        label: o.label.clone(),
                        weight: o.weight.map(percent_text).unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect();
        let leaves = def
            .leaves
            .iter()
            .map(|r| DraftLeaf {
                leaf: r.leaf.to_string(),
                minimum: if r.minimum == 0 {
                    String::new()
                } else {
                    r.minimum.to_string()
                },
                weights: def
                    .groups
                    .iter()
                    .map(|g| {
                        r.group_weights
                            .iter()
                            .find(|(code, _)| code.trim().eq_ignore_ascii_case(g.code.trim()))
                            .map(|(_, w)| vi_input(*w))
                            .unwrap_or_default()
                    })
                    .collect(),
            })
            .collect();
        Draft {
            code: def.code.clone(),
            name: def.name.clone(),
            groups,
            leaves,
        }
    }

    /// The leaves group `i` asks about: its questions' leaves, or its SIPAS leaf.
    pub(crate) fn asks(&self, i: usize) -> Vec<String> {
        let Some(g) = self.groups.get(i) else {
            return Vec::new();
        };
        if g.kind == KIND_SIPAS {
            return NodeCode::parse(&g.sipas)
                .map(|l| vec![l.to_string()])
                .unwrap_or_default();
        }
        g.questions
            .iter()
            .filter_map(|q| match parse_target(&q.target) {
                Some(QuestionTarget::Leaf(l)) => Some(l.to_string()),
                _ => None,
            })
            .collect()
    }

    /// Puts the leaf rows in the order the form shows them: every leaf a group asks about, in
    /// the order of the period's sets (then any other), each with what was typed for it; then
    /// rows no question asks about any more but with values typed, so that none is lost (the
    /// check names them). One weight per group.
    pub(crate) fn arrange_leaves(&mut self, choices: &[UnitGroup]) {
        let asked: Vec<String> = (0..self.groups.len()).flat_map(|i| self.asks(i)).collect();
        let mut order: Vec<String> = choices
            .iter()
            .flat_map(|c| c.leaves.iter().map(|(code, _)| code.clone()))
            .filter(|code| asked.contains(code))
            .collect();
        order.extend(asked);
        let mut seen = std::collections::BTreeSet::new();
        order.retain(|c| seen.insert(c.clone()));
        let mut old = std::mem::take(&mut self.leaves);
        let mut rows: Vec<DraftLeaf> = order
            .into_iter()
            .map(
                |code| match old.iter().position(|l| l.leaf.trim() == code) {
                    Some(p) => old.remove(p),
                    None => DraftLeaf {
                        leaf: code,
                        ..DraftLeaf::default()
                    },
                },
            )
            .collect();
        rows.extend(old.into_iter().filter(|l| !l.is_blank()));
        rows.truncate(MAX_LEAF_ROWS);
        for r in &mut rows {
            r.weights.resize(self.groups.len(), String::new());
        }
        self.leaves = rows;
    }

    /// Adds or removes the row a button names. A row beyond the bounds is refused with the
    /// field to show the mistake at.
    pub(crate) fn apply(&mut self, lang: Lang, action: Action, choices: &[UnitGroup]) -> Applied {
        let mut out = Applied::default();
        let max = |n: usize| n.to_string();
        match action {
            Action::Save | Action::Refresh => {}
            Action::AddGroup => {
                if self.groups.len() >= MAX_GROUPS {
                    out.refused.add(
                        GROUPS,
                        lang.tf("survey_form.too_many_groups", &[("max", &max(MAX_GROUPS))]),
                    );
                } else {
                    let evaluates = choices
                        .iter()
                        .find(|c| !c.leaves.is_empty())
                        .or(choices.first())
                        .map(|c| c.group.clone())
                        .unwrap_or_default();
                    let n = self.groups.len() + 1;
                    let code = free_code("N", n, self.groups.iter().map(|g| g.code.as_str()));
                    self.groups.push(DraftGroup {
                        code,
                        evaluates,
                        kind: KIND_SOCIAL.to_owned(),
                        questions: vec![DraftQuestion {
                            code: "C1".to_owned(),
                            ..DraftQuestion::default()
                        }],
                        ..DraftGroup::default()
                    });
                    out.focus = Some(format!("g{}.name", self.groups.len() - 1));
                }
            }
            Action::RemoveGroup(i) => {
                if i < self.groups.len() {
                    self.groups.remove(i);
                    for l in &mut self.leaves {
                        if i < l.weights.len() {
                            l.weights.remove(i);
                        }
                    }
                }
            }
            Action::AddQuestion(i) => {
                if let Some(g) = self.groups.get_mut(i) {
                    if g.questions.len() >= MAX_QUESTIONS {
                        out.refused.add(
                            format!("g{i}.questions"),
                            lang.tf(
                                "survey_form.too_many_questions",
                                &[("max", &max(MAX_QUESTIONS))],
                            ),
                        );
                    } else {
                        let n = g.questions.len() + 1;
                        let code = free_code("C", n, g.questions.iter().map(|q| q.code.as_str()));
                        g.questions.push(DraftQuestion {
                            code,
                            ..DraftQuestion::default()
                        });
                        out.focus = Some(format!("g{i}.q{}.text", g.questions.len() - 1));
                    }
                }
            }
            Action::RemoveQuestion(i, j) => {
                if let Some(g) = self.groups.get_mut(i)
                    && j < g.questions.len()
                {
                    g.questions.remove(j);
                }
            }
            Action::AddOption(i) => {
                if let Some(g) = self.groups.get_mut(i) {
                    if g.options.len() >= MAX_OPTIONS {
                        out.refused.add(
                            format!("g{i}.options"),
                            lang.tf(
                                "survey_form.too_many_options",
                                &[("max", &max(MAX_OPTIONS))],
                            ),
                        );
                    } else if g.options.is_empty() {
                        // Options of one's own start from the standard scale, to be edited.
                        g.options = standard_options();
                        out.focus = Some(format!("g{i}.o0.label"));
                    } else {
                        g.options.push(DraftOption::default());
                        out.focus = Some(format!("g{i}.o{}.code", g.options.len() - 1));
                    }
                }
            }
            Action::RemoveOption(i, k) => {
                if let Some(g) = self.groups.get_mut(i)
                    && k < g.options.len()
                {
                    g.options.remove(k);
                }
            }
        }
        self.arrange_leaves(choices);
        out
    }
}

/// The standard scale A–E as option rows.
pub(crate) fn standard_options() -> Vec<DraftOption> {
    AnswerScale::standard()
        .options()
        .iter()
        .map(|o| DraftOption {
            code: o.code.clone(),
            label: STANDARD_LABELS
                .iter()
                .find(|(c, _)| *c == o.code)
                .map(|(_, l)| (*l).to_owned())
                .unwrap_or_default(),
            weight: o.weight.map(percent_text).unwrap_or_default(),
        })
        .collect()
}

/// A refused number in `lang`, worded as the self-assessment words it.
fn number_message(lang: Lang, e: &NumberError) -> String {
    crate::cycle::number_message(lang, e)
}

/// A whole number of at least 0 (a target, a minimum); `None` for a blank field.
fn whole(lang: Lang, raw: &str) -> Result<Option<u32>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let n = parse_number(raw, NumberKind::Whole).map_err(|e| number_message(lang, &e))?;
    n.to_u32()
        .map(Some)
        .ok_or_else(|| lang.tf("survey_form.not_a_count", &[("value", raw)]))
}

/// A decimal typed the Vietnamese way (`60`, `60,5`); `None` for a blank field.
fn decimal(lang: Lang, raw: &str) -> Result<Option<Decimal>, String> {
    let raw = raw.trim().trim_end_matches('%').trim_end();
    if raw.is_empty() {
        return Ok(None);
    }
    parse_number(raw, NumberKind::Decimal)
        .map(Some)
        .map_err(|e| number_message(lang, &e))
}

/// A definition built from the form, with the mistakes found in the fields themselves.
#[derive(Debug)]
pub(crate) struct Built {
    pub definition: SurveyDefinition,
    pub errors: Errors,
}

impl Draft {
    /// The definition the form describes. A field that cannot be read (a number, a choice)
    /// is named in the errors and its row left out, so that the period's check can still
    /// name every other mistake. `fixed_code` is the code of the survey being edited, which
    /// cannot change.
    pub(crate) fn build(&self, lang: Lang, fixed_code: Option<&str>) -> Built {
        let mut errors = Errors::default();
        let too_long = |errors: &mut Errors, field: String, text: &str| {
            if text.chars().count() > MAX_TEXT_CHARS {
                errors.add(
                    field,
                    lang.tf(
                        "survey_form.too_long",
                        &[("max", &MAX_TEXT_CHARS.to_string())],
                    ),
                );
            }
        };
        too_long(&mut errors, "name".to_owned(), &self.name);
        let mut groups = Vec::new();
        for (i, g) in self.groups.iter().enumerate() {
            let field = |f: &str| format!("g{i}.{f}");
            too_long(&mut errors, field("name"), &g.name);
            let target = whole(lang, &g.target).unwrap_or_else(|m| {
                errors.add(field("target"), m);
                None
            });
            let evaluates = GroupName::parse(&g.evaluates).map_err(|_| {
                errors.add(
                    field("evaluates"),
                    lang.t("survey_form.choose_unit_group").to_owned(),
                );
            });
            let kind = match g.kind.as_str() {
                KIND_SOCIAL => Ok(QuestionnaireKind::Sociological),
                KIND_SIPAS => NodeCode::parse(&g.sipas)
                    .map(|leaf| QuestionnaireKind::Sipas { leaf })
                    .map_err(|_| {
                        errors.add(field("sipas"), lang.t("survey_form.choose_leaf").to_owned());
                    }),
                _ => {
                    errors.add(field("kind"), lang.t("survey_form.choose_kind").to_owned());
                    Err(())
                }
            };
            let mut questions = Vec::new();
            for (j, q) in g.questions.iter().enumerate() {
                if q.is_blank() {
                    continue;
                }
                too_long(&mut errors, field(&format!("q{j}.text")), &q.text);
                match parse_target(&q.target) {
                    Some(target) => questions.push(Question {
                        code: q.code.trim().to_owned(),
                        text: q.text.trim().to_owned(),
                        target,
                    }),
                    None => errors.add(
                        field(&format!("q{j}.target")),
                        if q.target.trim().is_empty() {
                            lang.t("survey_form.choose_target").to_owned()
                        } else {
                            lang.tf("survey_form.unknown_target", &[("value", q.target.trim())])
                        },
                    ),
                }
            }
            let mut options = Vec::new();
            for (k, o) in g.options.iter().enumerate() {
                if o.is_blank() {
                    continue;
                }
                too_long(&mut errors, field(&format!("o{k}.label")), &o.label);
                match decimal(lang, &o.weight) {
                    Ok(weight) => options.push(OptionDef {
                        code: o.code.trim().to_owned(),
                        label: o.label.trim().to_owned(),
                        weight: weight.map(|w| w / Decimal::ONE_HUNDRED),
                    }),
                    Err(m) => errors.add(field(&format!("o{k}.weight")), m),
                }
            }
            if let (Ok(evaluates), Ok(kind)) = (evaluates, kind) {
                groups.push(RespondentGroup {
                    code: g.code.trim().to_owned(),
                    name: g.name.trim().to_owned(),
                    target,
                    evaluates,
                    kind,
                    questions,
                    options,
                });
            }
        }
        let mut leaves = Vec::new();
        for (k, l) in self.leaves.iter().enumerate() {
            if l.is_blank() {
                continue;
            }
            let minimum = whole(lang, &l.minimum).unwrap_or_else(|m| {
                errors.add(format!("l{k}.minimum"), m);
                None
            });
            let mut group_weights = BTreeMap::new();
            for (i, w) in l.weights.iter().enumerate() {
                match decimal(lang, w) {
                    Ok(Some(w)) => {
                        let code = self.groups.get(i).map_or("", |g| g.code.trim());
                        group_weights.insert(code.to_owned(), w);
                    }
                    Ok(None) => {}
                    Err(m) => errors.add(format!("l{k}.w{i}"), m),
                }
            }
            match NodeCode::parse(&l.leaf) {
                Ok(leaf) => leaves.push(LeafRule {
                    leaf,
                    minimum: minimum.unwrap_or(0),
                    group_weights,
                }),
                Err(_) => errors.add(
                    LEAVES,
                    lang.tf("survey_form.unknown_leaf_row", &[("leaf", l.leaf.trim())]),
                ),
            }
        }
        Built {
            definition: SurveyDefinition {
                code: fixed_code.unwrap_or(self.code.trim()).to_owned(),
                name: self.name.trim().to_owned(),
                groups,
                leaves,
            },
            errors,
        }
    }

    fn groups_with(&self, code: &str) -> Vec<usize> {
        let code = code.trim();
        (0..self.groups.len())
            .filter(|i| self.groups[*i].code.trim().eq_ignore_ascii_case(code))
            .collect()
    }

    fn questions_with(&self, i: usize, code: &str) -> Vec<usize> {
        let code = code.trim();
        self.groups.get(i).map_or_else(Vec::new, |g| {
            (0..g.questions.len())
                .filter(|j| {
                    !g.questions[*j].is_blank()
                        && g.questions[*j].code.trim().eq_ignore_ascii_case(code)
                })
                .collect()
        })
    }

    /// The question target fields of group `i` that hold `leaf`, and its SIPAS leaf field.
    fn leaf_fields(&self, i: usize, leaf: &str) -> Vec<String> {
        let Some(g) = self.groups.get(i) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if g.kind == KIND_SIPAS && g.sipas.trim() == leaf {
            out.push(format!("g{i}.sipas"));
        }
        for (j, q) in g.questions.iter().enumerate() {
            if !q.is_blank() && q.target.trim() == leaf {
                out.push(format!("g{i}.q{j}.target"));
            }
        }
        out
    }

    /// Every code field (survey, group, question) whose value is `code`.
    fn code_fields(&self, code: &str, fixed: bool) -> Vec<String> {
        let code = code.trim();
        let mut out = Vec::new();
        if !fixed && self.code.trim() == code {
            out.push("code".to_owned());
        }
        for (i, g) in self.groups.iter().enumerate() {
            if g.code.trim() == code {
                out.push(format!("g{i}.code"));
            }
            for (j, q) in g.questions.iter().enumerate() {
                if !q.is_blank() && q.code.trim() == code {
                    out.push(format!("g{i}.q{j}.code"));
                }
            }
        }
        out
    }

    /// Puts each mistake the period's check found next to the field at fault (by the codes
    /// it names); one no field holds goes to the top of the form.
    pub(crate) fn place(
        &self,
        lang: Lang,
        problems: &[DefinitionError],
        fixed: bool,
        errors: &mut Errors,
    ) {
        for p in problems {
            let (fields, message): (Vec<String>, String) = match p {
                DefinitionError::BadCode { code } => (
                    self.code_fields(code, fixed),
                    if code.trim().is_empty() {
                        lang.t("survey_form.code_missing").to_owned()
                    } else {
                        lang.t("survey_form.bad_code").to_owned()
                    },
                ),
                DefinitionError::NoName => (
                    vec!["name".to_owned()],
                    lang.t("survey_form.name_missing").to_owned(),
                ),
                DefinitionError::NoGroups => (
                    vec![GROUPS.to_owned()],
                    lang.t("survey_form.no_groups").to_owned(),
                ),
                DefinitionError::DuplicateGroup { group } => (
                    self.groups_with(group)
                        .into_iter()
                        .skip(1)
                        .map(|i| format!("g{i}.code"))
                        .collect(),
                    lang.t("survey_form.duplicate_group").to_owned(),
                ),
                DefinitionError::NoQuestions { group } => {
                    // A group whose rows could not be read already names them.
                    let fields = self
                        .groups_with(group)
                        .into_iter()
                        .filter(|i| {
                            self.groups[*i]
                                .questions
                                .iter()
                                .all(DraftQuestion::is_blank)
                        })
                        .map(|i| format!("g{i}.questions"))
                        .collect::<Vec<_>>();
                    if fields.is_empty() && !self.groups_with(group).is_empty() {
                        continue;
                    }
                    (fields, lang.t("survey_form.no_questions").to_owned())
                }
                DefinitionError::UnknownUnitGroup { group, units } => (
                    self.groups_with(group)
                        .into_iter()
                        .map(|i| format!("g{i}.evaluates"))
                        .collect(),
                    lang.tf("survey_form.unknown_unit_group", &[("units", units)]),
                ),
                DefinitionError::DuplicateQuestion { group, question } => (
                    self.groups_with(group)
                        .into_iter()
                        .flat_map(|i| {
                            self.questions_with(i, question)
                                .into_iter()
                                .skip(1)
                                .map(move |j| format!("g{i}.q{j}.code"))
                        })
                        .collect(),
                    lang.t("survey_form.duplicate_question").to_owned(),
                ),
                DefinitionError::UnknownLeaf {
                    group,
                    question,
                    set,
                    leaf,
                } => (
                    self.groups_with(group)
                        .into_iter()
                        .flat_map(|i| {
                            if question.is_empty() {
                                vec![format!("g{i}.sipas")]
                            } else {
                                self.questions_with(i, question)
                                    .into_iter()
                                    .map(|j| format!("g{i}.q{j}.target"))
                                    .collect()
                            }
                        })
                        .collect(),
                    lang.tf("survey_form.unknown_leaf", &[("set", set), ("leaf", leaf)]),
                ),
                DefinitionError::NotSurveyLeaf { group, leaf, set } => (
                    self.groups_with(group)
                        .into_iter()
                        .flat_map(|i| self.leaf_fields(i, leaf))
                        .collect(),
                    lang.tf(
                        "survey_form.not_survey_leaf",
                        &[("set", set), ("leaf", leaf)],
                    ),
                ),
                DefinitionError::WrongTarget {
                    group, question, ..
                } => {
                    let sipas = |i: usize| self.groups[i].kind == KIND_SIPAS;
                    let at = self.groups_with(group);
                    let message = if at.first().is_some_and(|i| sipas(*i)) {
                        lang.t("survey_form.sipas_wants_factor")
                    } else {
                        lang.t("survey_form.social_wants_leaf")
                    };
                    (
                        at.into_iter()
                            .flat_map(|i| {
                                self.questions_with(i, question)
                                    .into_iter()
                                    .map(move |j| format!("g{i}.q{j}.target"))
                            })
                            .collect(),
                        message.to_owned(),
                    )
                }
                DefinitionError::Options { group, source } => {
                    let at = self.groups_with(group);
                    let option_fields = |code: &str, field: &str| -> Vec<String> {
                        at.iter()
                            .flat_map(|i| {
                                self.groups[*i]
                                    .options
                                    .iter()
                                    .enumerate()
                                    .filter(|(_, o)| !o.is_blank() && o.code.trim() == code.trim())
                                    .map(move |(k, _)| format!("g{i}.o{k}.{field}"))
                            })
                            .collect()
                    };
                    match source {
                        SurveyError::WeightOutOfRange { code } => (
                            option_fields(code, "weight"),
                            lang.t("survey_form.option_weight_range").to_owned(),
                        ),
                        SurveyError::BadCode { code } => (
                            option_fields(code, "code"),
                            lang.t("survey_form.option_code").to_owned(),
                        ),
                        SurveyError::UnknownOption { .. }
                        | SurveyError::NegativeGroupWeight { .. } => (
                            at.iter().map(|i| format!("g{i}.options")).collect(),
                            lang.tf(
                                "survey_form.options_wrong",
                                &[("problem", &source.to_string())],
                            ),
                        ),
                    }
                }
                DefinitionError::RuleWithoutQuestion { leaf } => (
                    self.leaf_rows(leaf)
                        .into_iter()
                        .map(|k| format!("l{k}.minimum"))
                        .collect(),
                    lang.t("survey_form.rule_without_question").to_owned(),
                ),
                DefinitionError::RuleUnknownGroup { leaf, group } => (
                    self.weight_fields(leaf, group),
                    lang.tf("survey_form.rule_unknown_group", &[("group", group)]),
                ),
                DefinitionError::RuleNegativeWeight { leaf, group } => (
                    self.weight_fields(leaf, group),
                    lang.t("survey_form.negative_weight").to_owned(),
                ),
            };
            if fields.is_empty() {
                errors.add(
                    GENERAL,
                    lang.tf("survey_form.problem", &[("problem", &p.to_string())]),
                );
            }
            for f in fields {
                errors.add(f, message.clone());
            }
        }
    }

    fn leaf_rows(&self, leaf: &str) -> Vec<usize> {
        (0..self.leaves.len())
            .filter(|k| self.leaves[*k].leaf.trim() == leaf.trim())
            .collect()
    }

    /// The weight fields of `leaf` for the groups coded `group`.
    fn weight_fields(&self, leaf: &str, group: &str) -> Vec<String> {
        let groups: Vec<usize> = (0..self.groups.len())
            .filter(|i| self.groups[*i].code.trim() == group.trim())
            .collect();
        self.leaf_rows(leaf)
            .into_iter()
            .flat_map(|k| {
                groups
                    .iter()
                    .filter(move |i| {
                        self.leaves[k]
                            .weights
                            .get(**i)
                            .is_some_and(|w| !w.trim().is_empty())
                    })
                    .map(move |i| format!("l{k}.w{i}"))
            })
            .collect()
    }

    /// Every field of the form, top to bottom, so that the list of mistakes reads like the
    /// form.
    pub(crate) fn field_order(&self) -> Vec<String> {
        let mut out: Vec<String> = [GENERAL, "code", "name"].map(str::to_owned).to_vec();
        for (i, g) in self.groups.iter().enumerate() {
            for f in [
                "code",
                "name",
                "target",
                "evaluates",
                "kind",
                "sipas",
                "questions",
            ] {
                out.push(format!("g{i}.{f}"));
            }
            for j in 0..g.questions.len() {
                out.extend(["code", "text", "target"].map(|f| format!("g{i}.q{j}.{f}")));
            }
            out.push(format!("g{i}.options"));
            for k in 0..g.options.len() {
                out.extend(["code", "label", "weight"].map(|f| format!("g{i}.o{k}.{f}")));
            }
        }
        out.extend([GROUPS, LEAVES].map(str::to_owned));
        for k in 0..self.leaves.len() {
            out.push(format!("l{k}.minimum"));
            out.extend((0..self.groups.len()).map(|i| format!("l{k}.w{i}")));
        }
        out
    }

    /// Where a field is, in words, for the list of mistakes at the top of the form: "Nhóm
    /// đối tượng 2 (DB), câu hỏi 3: Gắn với".
    pub(crate) fn location(&self, lang: Lang, field: &str) -> String {
        let label = |key: &str| -> &'static str {
            match key {
                "code" => lang.t("survey_form.code"),
                "name" => lang.t("survey_form.name"),
                "target" => lang.t("survey_form.group_target"),
                "evaluates" => lang.t("survey_form.evaluates"),
                "kind" => lang.t("survey_form.kind"),
                "sipas" => lang.t("survey_form.sipas_leaf"),
                "questions" => lang.t("survey_form.questions"),
                "options" => lang.t("survey_form.options"),
                "text" => lang.t("survey_form.question_text"),
                "label" => lang.t("survey_form.option_label"),
                "weight" => lang.t("survey_form.option_weight"),
                "minimum" => lang.t("survey_form.minimum"),
                _ => "",
            }
        };
        let mut parts = field.split('.');
        let head = parts.next().unwrap_or_default();
        match head {
            "code" | "name" => format!("{}: {}", lang.t("survey_form.survey"), label(head)),
            GROUPS => lang.t("survey_form.groups_title").to_owned(),
            LEAVES => lang.t("survey_form.leaves_title").to_owned(),
            _ => {
                if let Some(i) = index(head, 'g') {
                    let code = self.groups.get(i).map_or("", |g| g.code.trim());
                    let mut out = lang.tf("survey_form.group_n", &[("n", &(i + 1).to_string())]);
                    if !code.is_empty() {
                        out.push_str(&format!(" ({code})"));
                    }
                    let next = parts.next().unwrap_or_default();
                    let last = parts.next();
                    if let Some(j) = index(next, 'q') {
                        out.push_str(
                            &lang.tf("survey_form.question_n", &[("n", &(j + 1).to_string())]),
                        );
                        if last == Some("target") {
                            return format!("{out}: {}", lang.t("survey_form.question_target"));
                        }
                    } else if let Some(k) = index(next, 'o') {
                        out.push_str(
                            &lang.tf("survey_form.option_n", &[("n", &(k + 1).to_string())]),
                        );
                    } else {
                        return format!("{out}: {}", label(next));
                    }
                    format!("{out}: {}", label(last.unwrap_or_default()))
                } else if let Some(k) = index(head, 'l') {
                    let leaf = self.leaves.get(k).map_or("", |l| l.leaf.trim());
                    let out = lang.tf("survey_form.leaf_n", &[("leaf", leaf)]);
                    let next = parts.next().unwrap_or_default();
                    match index(next, 'w') {
                        Some(i) => {
                            let code = self.groups.get(i).map_or("", |g| g.code.trim());
                            format!(
                                "{out}: {}",
                                lang.tf("survey_form.weight_of", &[("group", code)])
                            )
                        }
                        None => format!("{out}: {}", label(next)),
                    }
                } else {
                    String::new()
                }
            }
        }
    }
}

/// The factor's name in `lang`.
pub(crate) fn factor_label(lang: Lang, f: Factor) -> &'static str {
    match f {
        Factor::Access => lang.t("survey_form.factor_access"),
        Factor::Procedure => lang.t("survey_form.factor_procedure"),
        Factor::CivilServant => lang.t("survey_form.factor_civil_servant"),
        Factor::Result => lang.t("survey_form.factor_result"),
        Factor::Feedback => lang.t("survey_form.factor_feedback"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn choices() -> Vec<UnitGroup> {
        vec![UnitGroup {
            group: "Sở ngành".to_owned(),
            set: "BCS".to_owned(),
            leaves: vec![
                ("2.1".to_owned(), "Công khai".to_owned()),
                ("2.2".to_owned(), "Thái độ".to_owned()),
            ],
        }]
    }

    fn one_group() -> Vec<(String, String)> {
        fields(&[
            ("csrf", "x"),
            ("code", "XHH"),
            ("name", "Điều tra"),
            ("g0.code", "DB"),
            ("g0.name", "Đại biểu"),
            ("g0.target", "1.200"),
            ("g0.evaluates", "Sở ngành"),
            ("g0.kind", "social"),
            ("g0.q0.code", "C1"),
            ("g0.q0.text", "Công khai?"),
            ("g0.q0.target", "2.1"),
            ("g0.q1.code", "C2"),
            ("g0.q1.text", ""),
            ("g0.q1.target", ""),
            ("g0.o0.code", "A"),
            ("g0.o0.label", "Tốt"),
            ("g0.o0.weight", "60,5"),
            ("g0.o1.code", "E"),
            ("g0.o1.label", "Không biết"),
            ("g0.o1.weight", ""),
            ("l0.leaf", "2.1"),
            ("l0.minimum", "5"),
            ("l0.w0", "2"),
            ("action", "save"),
        ])
    }

    #[test]
    fn a_posted_form_becomes_the_definition_it_describes_with_numbers_read_the_vietnamese_way() {
        let posted = read(Lang::Vi, &one_group());
        assert_eq!(posted.action, Action::Save);
        assert!(posted.refused.is_empty());
        let built = posted.draft.build(Lang::Vi, None);
        assert!(built.errors.is_empty(), "{:?}", built.errors);
        let d = built.definition;
        assert_eq!((d.code.as_str(), d.name.as_str()), ("XHH", "Điều tra"));
        let g = &d.groups[0];
        assert_eq!(g.target, Some(1200));
        assert_eq!(g.questions.len(), 1, "the empty row is no question");
        assert_eq!(g.options[0].weight, Some(Decimal::new(605, 3)));
        assert_eq!(g.options[1].weight, None);
        assert_eq!(d.leaves[0].minimum, 5);
        assert_eq!(d.leaves[0].group_weights["DB"], Decimal::from(2));
        // And back: the form of the definition shows what was typed.
        let again = Draft::of(&d);
        assert_eq!(again.groups[0].options[0].weight, "60,5");
        assert_eq!(again.groups[0].target, "1200");
        assert_eq!(again.leaves[0].weights, vec!["2".to_owned()]);
    }

    #[test]
    fn garbage_in_a_number_is_named_by_its_field_and_kept() {
        let mut f = one_group();
        for (k, v) in &mut f {
            match k.as_str() {
                "g0.target" => *v = "nhiều".to_owned(),
                "g0.o0.weight" => *v = "1.5.5".to_owned(),
                "l0.minimum" => *v = "-3".to_owned(),
                _ => {}
            }
        }
        let posted = read(Lang::Vi, &f);
        let built = posted.draft.build(Lang::Vi, None);
        assert!(built.errors.on("g0.target").unwrap().contains("“nhiều”"));
        assert!(built.errors.on("g0.o0.weight").unwrap().contains("1.5.5"));
        assert!(built.errors.on("l0.minimum").is_some());
        assert_eq!(posted.draft.groups[0].target, "nhiều");
    }

    #[test]
    fn rows_beyond_the_bounds_are_dropped_and_named() {
        let mut f = one_group();
        f.push(("g50.code".to_owned(), "X".to_owned()));
        f.push(("g0.q200.code".to_owned(), "X".to_owned()));
        f.push(("g0.o20.code".to_owned(), "X".to_owned()));
        let posted = read(Lang::En, &f);
        assert_eq!(posted.draft.groups.len(), 1);
        assert_eq!(posted.draft.groups[0].questions.len(), 2);
        assert!(posted.refused.on(GROUPS).unwrap().contains("50"));
        assert!(posted.refused.on("g0.questions").unwrap().contains("200"));
        assert!(posted.refused.on("g0.options").unwrap().contains("20"));
    }

    #[test]
    fn buttons_add_and_remove_rows_and_a_removed_group_takes_its_weights_along() {
        let mut draft = read(Lang::Vi, &one_group()).draft;
        let c = choices();
        let a = draft.apply(Lang::Vi, Action::AddGroup, &c);
        assert_eq!(a.focus.as_deref(), Some("g1.name"));
        assert_eq!(draft.groups[1].code, "N2");
        assert_eq!(draft.groups[1].evaluates, "Sở ngành");
        draft.groups[1].questions[0].target = "2.1".to_owned();
        draft.apply(Lang::Vi, Action::Refresh, &c);
        assert_eq!(draft.leaves[0].weights, vec!["2".to_owned(), String::new()]);
        let a = draft.apply(Lang::Vi, Action::AddQuestion(0), &c);
        assert_eq!(draft.groups[0].questions[2].code, "C3");
        assert_eq!(a.focus.as_deref(), Some("g0.q2.text"));
        draft.apply(Lang::Vi, Action::RemoveQuestion(0, 1), &c);
        assert_eq!(draft.groups[0].questions.len(), 2);
        draft.groups[1].options.clear();
        draft.apply(Lang::Vi, Action::AddOption(1), &c);
        assert_eq!(
            draft.groups[1].options.len(),
            5,
            "starts from the standard scale"
        );
        assert_eq!(draft.groups[1].options[1].weight, "60");
        draft.apply(Lang::Vi, Action::RemoveOption(1, 4), &c);
        assert_eq!(draft.groups[1].options.len(), 4);
        draft.apply(Lang::Vi, Action::RemoveGroup(0), &c);
        assert_eq!(draft.groups.len(), 1);
        assert_eq!(draft.leaves[0].weights, vec![String::new()]);
        assert_eq!(
            Action::parse(&Action::RemoveOption(3, 4).value()),
            Action::RemoveOption(3, 4)
        );
        assert_eq!(Action::parse("remove-group:x"), Action::Refresh);
    }

    #[test]
    fn leaf_rows_follow_the_questions_and_keep_what_was_typed_for_a_leaf_no_longer_asked() {
        let mut draft = read(Lang::Vi, &one_group()).draft;
        let c = choices();
        draft.groups[0].questions[1].target = "2.2".to_owned();
        draft.groups[0].questions[1].text = "Thái độ?".to_owned();
        draft.arrange_leaves(&c);
        let leaves: Vec<&str> = draft.leaves.iter().map(|l| l.leaf.as_str()).collect();
        assert_eq!(leaves, ["2.1", "2.2"]);
        draft.groups[0].questions[0].target = "2.2".to_owned();
        draft.arrange_leaves(&c);
        let leaves: Vec<&str> = draft.leaves.iter().map(|l| l.leaf.as_str()).collect();
        assert_eq!(leaves, ["2.2", "2.1"], "2.1 keeps its minimum of 5");
    }

    #[test]
    fn the_period_s_check_is_placed_next_to_the_fields_it_names() {
        let mut draft = read(Lang::Vi, &one_group()).draft;
        draft.groups.push(draft.groups[0].clone());
        draft.groups[0].questions[1] = draft.groups[0].questions[0].clone();
        draft.groups[0].questions[0].target = "9.9".to_owned();
        let problems = vec![
            DefinitionError::DuplicateGroup {
                group: "DB".to_owned(),
            },
            DefinitionError::DuplicateQuestion {
                group: "DB".to_owned(),
                question: "C1".to_owned(),
            },
            DefinitionError::UnknownLeaf {
                group: "DB".to_owned(),
                question: "C1".to_owned(),
                set: "BCS".to_owned(),
                leaf: "9.9".to_owned(),
            },
            DefinitionError::BadCode {
                code: String::new(),
            },
        ];
        let mut errors = Errors::default();
        draft.place(Lang::Vi, &problems, false, &mut errors);
        assert!(errors.on("g1.code").is_some() && errors.on("g0.code").is_none());
        assert!(errors.on("g0.q1.code").is_some() && errors.on("g0.q0.code").is_none());
        assert!(errors.on("g0.q0.target").unwrap().contains("9.9"));
        assert!(errors.on(GENERAL).is_some(), "no empty code on the form");
        assert_eq!(
            draft.location(Lang::Vi, "g0.q1.target"),
            "Nhóm đối tượng 1 (DB), câu hỏi 2: Gắn với"
        );
    }
}
