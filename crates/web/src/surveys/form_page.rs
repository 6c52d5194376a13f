//! The page of the questionnaire form, as the exact strings the template lays out: each
//! input's name, id, value and mistake, the choices of each select (a value no longer among
//! them is kept, marked, so that nothing typed disappears), and the list of mistakes at the
//! top, each linking to its field.

use askama::Template;
use chiso_domain::survey::Factor;
use chiso_formats::survey::factor_code;

use super::form::{
    Action, Draft, Errors, FACTOR_PREFIX, GENERAL, GROUPS, KIND_SIPAS, KIND_SOCIAL, LEAVES,
    MAX_GROUPS, MAX_OPTIONS, MAX_QUESTIONS, UnitGroup, factor_label, unit_group,
};
use crate::i18n::Lang;
use crate::pages::PageCtx;

/// One input (or select, or text area) of the form.
pub(crate) struct Input {
    pub name: String,
    pub id: String,
    pub value: String,
    pub error: Option<String>,
    /// The row just added: the cursor goes there (`autofocus`, no script needed).
    pub focus: bool,
}

/// The element id of a field (`g0.q1.code` → `f-g0-q1-code`).
pub(crate) fn id_of(field: &str) -> String {
    format!("f-{}", field.replace('.', "-"))
}

/// One choice of a select.
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// `placeholder` (value ""), then `list`; a current value not in the list is kept, marked.
fn choices(
    lang: Lang,
    placeholder: &str,
    list: Vec<(String, String)>,
    current: &str,
) -> Vec<Choice> {
    let current = current.trim();
    let known = list.iter().any(|(v, _)| v == current);
    let mut out = Vec::with_capacity(list.len() + 2);
    if !placeholder.is_empty() {
        out.push(Choice {
            value: String::new(),
            label: placeholder.to_owned(),
            selected: current.is_empty(),
        });
    }
    out.extend(list.into_iter().map(|(value, label)| Choice {
        selected: value == current,
        value,
        label,
    }));
    if !known && !current.is_empty() {
        out.push(Choice {
            value: current.to_owned(),
            label: lang.tf("survey_form.not_offered", &[("value", current)]),
            selected: true,
        });
    }
    out
}

pub(crate) struct QuestionView {
    pub code: Input,
    pub text: Input,
    pub target: Input,
    pub choices: Vec<Choice>,
    pub remove: String,
    pub remove_label: String,
}

pub(crate) struct OptionView {
    pub code: Input,
    pub label: Input,
    pub weight: Input,
    pub remove: String,
    pub remove_label: String,
}

pub(crate) struct GroupView {
    pub legend: String,
    pub anchor: String,
    pub code: Input,
    pub name: Input,
    pub target: Input,
    pub evaluates: Input,
    pub evaluates_choices: Vec<Choice>,
    pub kind: Input,
    pub kind_choices: Vec<Choice>,
    /// The SIPAS leaf, for a SIPAS questionnaire.
    pub sipas: Option<(Input, Vec<Choice>)>,
    pub questions_id: String,
    pub questions_error: Option<String>,
    pub questions: Vec<QuestionView>,
    pub options_id: String,
    pub options_error: Option<String>,
    pub options: Vec<OptionView>,
    pub add_question: String,
    pub add_option: String,
    /// "Thêm phương án" starts from the standard scale when the group has none of its own.
    pub add_option_label: &'static str,
    pub remove: String,
    pub remove_label: String,
    pub refresh_anchor: String,
}

pub(crate) struct LeafView {
    pub leaf: String,
    pub title: String,
    pub leaf_field: String,
    pub minimum: Input,
    /// Per group: its code and the weight input, when the group asks about the leaf or a
    /// weight was typed.
    pub weights: Vec<(String, Option<Input>)>,
}

/// `GET`/`POST /ky/{period}/dieu-tra/soan` and `…/{survey}/soan`.
#[derive(Template)]
#[template(path = "survey_form.html")]
pub(crate) struct FormPage {
    pub ctx: PageCtx,
    pub title: String,
    pub period_href: String,
    pub period_name: String,
    pub list_href: String,
    /// The survey being edited: its page and name.
    pub survey: Option<(String, String)>,
    pub action: String,
    pub fixed_code: Option<String>,
    pub code: Input,
    pub name: Input,
    pub groups: Vec<GroupView>,
    pub groups_error: Option<String>,
    pub add_group: String,
    pub group_heads: Vec<String>,
    pub leaves: Vec<LeafView>,
    pub leaves_error: Option<String>,
    pub summary_head: String,
    /// Each mistake: the id of its field (empty for one of the whole form) and its text.
    pub summary: Vec<(String, String)>,
    pub limits: String,
}

/// What the page is built from besides the draft.
pub(crate) struct Frame<'a> {
    pub period: &'a str,
    pub period_name: &'a str,
    /// The survey being edited (code, name).
    pub survey: Option<(&'a str, &'a str)>,
    pub choices: &'a [UnitGroup],
    pub focus: Option<String>,
}

impl FormPage {
    pub(crate) fn new(ctx: PageCtx, frame: &Frame<'_>, draft: &Draft, errors: &Errors) -> Self {
        let lang = ctx.lang;
        let focus = frame.focus.as_deref();
        let input = |name: String, value: &str| Input {
            id: id_of(&name),
            error: errors.on(&name),
            focus: focus == Some(name.as_str()),
            value: value.to_owned(),
            name,
        };
        let list = super::views::list_href(frame.period);
        let action = match frame.survey {
            Some((code, _)) => format!("{}/soan", super::views::survey_href(frame.period, code)),
            None => format!("{list}/soan"),
        };
        let groups = draft
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let f = |rest: &str| format!("g{i}.{rest}");
                let units = unit_group(frame.choices, &g.evaluates);
                let leaf_list: Vec<(String, String)> = units
                    .map(|u| {
                        u.leaves
                            .iter()
                            .map(|(c, t)| (c.clone(), format!("{c} – {t}")))
                            .collect()
                    })
                    .unwrap_or_default();
                let sipas = g.kind == KIND_SIPAS;
                let targets: Vec<(String, String)> = if sipas {
                    Factor::ALL
                        .iter()
                        .map(|f| {
                            (
                                format!("{FACTOR_PREFIX}{}", factor_code(*f)),
                                factor_label(lang, *f).to_owned(),
                            )
                        })
                        .collect()
                } else {
                    leaf_list.clone()
                };
                let placeholder = if sipas {
                    lang.t("survey_form.choose_factor_option")
                } else {
                    lang.t("survey_form.choose_leaf_option")
                };
                let number = (i + 1).to_string();
                let named = |key: &str| {
                    let mut s = lang.tf(key, &[("n", &number)]);
                    if !g.code.trim().is_empty() {
                        s.push_str(&format!(" ({})", g.code.trim()));
                    }
                    s
                };
                GroupView {
                    legend: named("survey_form.group_n"),
                    anchor: id_of(&format!("g{i}")),
                    code: input(f("code"), &g.code),
                    name: input(f("name"), &g.name),
                    target: input(f("target"), &g.target),
                    evaluates: input(f("evaluates"), &g.evaluates),
                    evaluates_choices: choices(
                        lang,
                        if units.is_none() {
                            lang.t("survey_form.choose_unit_group_option")
                        } else {
                            ""
                        },
                        frame
                            .choices
                            .iter()
                            .map(|c| {
                                (
                                    c.group.clone(),
                                    lang.tf(
                                        "survey_form.unit_group_label",
                                        &[("group", &c.group), ("set", &c.set)],
                                    ),
                                )
                            })
                            .collect(),
                        &g.evaluates,
                    ),
                    kind: input(f("kind"), &g.kind),
                    kind_choices: choices(
                        lang,
                        "",
                        vec![
                            (
                                KIND_SOCIAL.to_owned(),
                                lang.t("survey_form.kind_social").to_owned(),
                            ),
                            (
                                KIND_SIPAS.to_owned(),
                                lang.t("survey_form.kind_sipas").to_owned(),
                            ),
                        ],
                        &g.kind,
                    ),
                    sipas: (sipas || !g.sipas.trim().is_empty()).then(|| {
                        (
                            input(f("sipas"), &g.sipas),
                            choices(
                                lang,
                                lang.t("survey_form.choose_leaf_option"),
                                leaf_list.clone(),
                                &g.sipas,
                            ),
                        )
                    }),
                    questions_id: id_of(&f("questions")),
                    questions_error: errors.on(&f("questions")),
                    questions: g
                        .questions
                        .iter()
                        .enumerate()
                        .map(|(j, q)| {
                            let qf = |rest: &str| f(&format!("q{j}.{rest}"));
                            QuestionView {
                                code: input(qf("code"), &q.code),
                                text: input(qf("text"), &q.text),
                                target: input(qf("target"), &q.target),
                                choices: choices(lang, placeholder, targets.clone(), &q.target),
                                remove: Action::RemoveQuestion(i, j).value(),
                                remove_label: lang.tf(
                                    "survey_form.remove_question",
                                    &[("n", &(j + 1).to_string()), ("code", q.code.trim())],
                                ),
                            }
                        })
                        .collect(),
                    options_id: id_of(&f("options")),
                    options_error: errors.on(&f("options")),
                    options: g
                        .options
                        .iter()
                        .enumerate()
                        .map(|(k, o)| {
                            let of = |rest: &str| f(&format!("o{k}.{rest}"));
                            OptionView {
                                code: input(of("code"), &o.code),
                                label: input(of("label"), &o.label),
                                weight: input(of("weight"), &o.weight),
                                remove: Action::RemoveOption(i, k).value(),
                                remove_label: lang.tf(
                                    "survey_form.remove_option",
                                    &[("n", &(k + 1).to_string()), ("code", o.code.trim())],
                                ),
                            }
                        })
                        .collect(),
                    add_question: Action::AddQuestion(i).value(),
                    add_option: Action::AddOption(i).value(),
                    add_option_label: if g.options.is_empty() {
                        lang.t("survey_form.own_options")
                    } else {
                        lang.t("survey_form.add_option")
                    },
                    remove: Action::RemoveGroup(i).value(),
                    remove_label: named("survey_form.remove_group"),
                    refresh_anchor: id_of(&format!("g{i}")),
                }
            })
            .collect();
        let asked: Vec<Vec<String>> = (0..draft.groups.len()).map(|i| draft.asks(i)).collect();
        let title_of = |leaf: &str| {
            frame
                .choices
                .iter()
                .flat_map(|c| c.leaves.iter())
                .find(|(c, _)| c == leaf.trim())
                .map(|(_, t)| t.clone())
                .unwrap_or_default()
        };
        let leaves = draft
            .leaves
            .iter()
            .enumerate()
            .map(|(k, l)| LeafView {
                leaf: l.leaf.trim().to_owned(),
                title: title_of(&l.leaf),
                leaf_field: format!("l{k}.leaf"),
                minimum: input(format!("l{k}.minimum"), &l.minimum),
                weights: draft
                    .groups
                    .iter()
                    .enumerate()
                    .map(|(i, g)| {
                        let typed = l.weights.get(i).map_or("", String::as_str);
                        let shown =
                            !typed.trim().is_empty() || asked[i].iter().any(|a| a == l.leaf.trim());
                        (
                            lang.tf("survey_form.weight_of", &[("group", g.code.trim())]),
                            shown.then(|| input(format!("l{k}.w{i}"), typed)),
                        )
                    })
                    .collect(),
            })
            .collect();
        let order = draft.field_order();
        let mut listed: Vec<&(String, String)> = errors.all().iter().collect();
        listed.sort_by_key(|(field, _)| order.iter().position(|f| f == field));
        let summary: Vec<(String, String)> = listed
            .into_iter()
            .map(|(field, message)| {
                let place = draft.location(lang, field);
                let id = match field.as_str() {
                    GENERAL => String::new(),
                    f => id_of(f),
                };
                let text = if field == GENERAL || place.is_empty() {
                    message.clone()
                } else {
                    format!("{place}: {message}")
                };
                (id, text)
            })
            .collect();
        let title = match frame.survey {
            Some((_, name)) => lang.tf("survey_form.edit_title", &[("survey", name)]),
            None => lang.t("survey_form.new_title").to_owned(),
        };
        FormPage {
            title,
            period_href: format!("/ky/{}", crate::format::segment(frame.period)),
            period_name: frame.period_name.to_owned(),
            survey: frame.survey.map(|(code, name)| {
                (
                    super::views::survey_href(frame.period, code),
                    name.to_owned(),
                )
            }),
            list_href: list,
            action,
            fixed_code: frame.survey.map(|(code, _)| code.to_owned()),
            code: input("code".to_owned(), &draft.code),
            name: input("name".to_owned(), &draft.name),
            groups,
            groups_error: errors.on(GROUPS),
            add_group: Action::AddGroup.value(),
            group_heads: draft
                .groups
                .iter()
                .map(|g| lang.tf("survey_form.weight_of", &[("group", g.code.trim())]))
                .collect(),
            leaves,
            leaves_error: errors.on(LEAVES),
            summary_head: lang.tf(
                "survey_form.has_errors",
                &[("n", &errors.all().len().to_string())],
            ),
            summary,
            limits: lang.tf(
                "survey_form.limits",
                &[
                    ("groups", &MAX_GROUPS.to_string()),
                    ("questions", &MAX_QUESTIONS.to_string()),
                    ("options", &MAX_OPTIONS.to_string()),
                ],
            ),
            ctx,
        }
    }
}
