//! What administrators do with index sets, independent of HTTP: who may read and who may
//! change them (decided by [`chiso_domain::authz`]), importing a file, cloning last year's set
//! into a draft, editing a draft's criteria, freezing, exporting. Every change re-validates the
//! whole set before anything is written and goes to the audit log with the old and new set.

use chiso_domain::authz::{Action, Principal, Resource};
use chiso_domain::fmt::vi_plain;
use chiso_domain::points::parse_decimal;
use chiso_domain::{IndexSet, Method, NaPolicy, Node, NodeCode, Points, SetCode, Source};
use chiso_services::Db;
use chiso_services::{codes, index_sets};
use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::AppError;
use crate::error::FormError;

/// Earliest and latest years a set may be issued for, as the file readers accept them.
const YEARS: std::ops::RangeInclusive<i32> = 1990..=2200;

fn require_manage(p: &Principal) -> Result<(), AppError> {
    Ok(chiso_services::authz::authorize(
        p,
        Action::ManageIndexSets,
        &Resource::System,
    )?)
}

/// Why a change was not made.
#[derive(Debug)]
pub(crate) enum SetError {
    /// Refused, missing, or the server failed.
    App(AppError),
    /// The set is frozen or used by a period: read-only, clone it to change it.
    Locked(SetCode),
    /// What was typed is wrong; each message names the field at fault. Nothing was saved.
    Invalid(Vec<FormError>),
    /// The set it would produce is invalid (`set_invalid`, each problem naming the criterion
    /// at fault). Nothing was saved.
    Refused(chiso_services::ServiceError),
}

impl<E: Into<AppError>> From<E> for SetError {
    fn from(e: E) -> Self {
        SetError::App(e.into())
    }
}

fn invalid(e: FormError) -> SetError {
    SetError::Invalid(vec![e])
}

/// A set to change: manageable by `p`, and not locked (shown on the page it came from).
async fn draft(db: &Db, p: &Principal, code: &SetCode) -> Result<IndexSet, SetError> {
    index_sets::draft(db, p, code).await.map_err(|e| {
        if e.is(codes::SET_IN_USE) || e.is(codes::SET_FROZEN) {
            SetError::Locked(code.clone())
        } else {
            e.into()
        }
    })
}

/// The set-level fields as typed: code (for a clone), name, year, decision, and for a clone
/// whether to move the dated rules to the new year.
#[derive(Debug, Clone, Default)]
pub(crate) struct SetInfo {
    pub code: String,
    pub name: String,
    pub year: String,
    pub decision: String,
    pub shift: bool,
}

/// Checks name, year and decision, collecting every problem.
fn parse_info(info: &SetInfo, errors: &mut Vec<FormError>) -> Option<index_sets::SetInfo> {
    let name = info.name.trim();
    if name.is_empty() {
        errors.push(FormError::new("sets.field.name_required"));
    }
    let year = match info.year.trim().parse::<i32>() {
        Ok(y) if YEARS.contains(&y) => Some(y),
        _ => {
            errors.push(FormError::new("sets.field.year_invalid").arg("value", info.year.trim()));
            None
        }
    };
    let decision = Some(info.decision.trim())
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    Some(index_sets::SetInfo {
        name: name.to_owned(),
        year: year?,
        decision,
    })
    .filter(|_| !name.is_empty())
}

/// A refusal of the index set service as what the page shows.
fn refusal(code: &SetCode, e: chiso_services::ServiceError) -> SetError {
    if e.is(codes::SET_IN_USE) || e.is(codes::SET_FROZEN) {
        SetError::Locked(code.clone())
    } else if e.is(codes::SET_CODE_TAKEN) {
        invalid(FormError::new("sets.error.code_taken").arg("code", code))
    } else if e.is(codes::SET_INVALID) {
        SetError::Refused(e)
    } else {
        e.into()
    }
}

/// Copies `from` (usually last year's set, frozen or not) into a new draft with its own code,
/// year, name and decision, ready to be edited for the new year; its dated rules move to the
/// new year when asked.
pub(crate) async fn clone_set(
    db: &Db,
    p: &Principal,
    from: &SetCode,
    info: &SetInfo,
    at: OffsetDateTime,
) -> Result<index_sets::SetCloned, SetError> {
    require_manage(p)?;
    // A missing source is a missing page, whatever was typed.
    index_sets::load(db, p, from).await?;
    let mut errors = Vec::new();
    let code = match SetCode::parse(&info.code) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.push(FormError::new("sets.field.code_invalid").arg("message", e));
            None
        }
    };
    let fields = parse_info(info, &mut errors);
    let shift = info.shift;
    let (Some(code), Some(info)) = (code, fields) else {
        return Err(SetError::Invalid(errors));
    };
    let cmd = index_sets::CloneSet {
        from: from.clone(),
        code: code.clone(),
        info,
        shift_dates: shift,
    };
    index_sets::clone_set(db, p, &cmd, at)
        .await
        .map_err(|e| refusal(&code, e))
}

/// Changes a draft's name, year and decision.
pub(crate) async fn edit_info(
    db: &Db,
    p: &Principal,
    code: &SetCode,
    info: &SetInfo,
    at: OffsetDateTime,
) -> Result<(), SetError> {
    // A locked set says so before the typed values are judged.
    draft(db, p, code).await?;
    let mut errors = Vec::new();
    let Some(info) = parse_info(info, &mut errors) else {
        return Err(SetError::Invalid(errors));
    };
    let cmd = index_sets::EditSetInfo {
        set: code.clone(),
        info,
    };
    index_sets::edit_info(db, p, &cmd, at)
        .await
        .map_err(|e| refusal(code, e))
}

/// A criterion's fields as typed in the edit or add form. Method, parameters and the
/// not-applicable policy only matter for leaves.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeFields {
    /// Only when adding a criterion.
    pub code: String,
    pub title: String,
    pub max: String,
    pub source: String,
    pub method: String,
    pub params: String,
    pub rule: String,
    pub evidence: String,
    pub not_applicable: String,
    /// Recompute the maxima of the criteria above from their children, so that changing one
    /// maximum does not leave every parent's sum wrong.
    pub propagate: bool,
}

impl NodeFields {
    /// The fields of an existing node, for the edit form.
    pub fn of(node: &Node) -> Self {
        let (method, params) = node
            .method
            .as_ref()
            .map(chiso_formats::method_params)
            .map_or((String::new(), String::new()), |(m, p)| (m.to_owned(), p));
        NodeFields {
            code: node.code.to_string(),
            title: node.title.clone(),
            max: vi_plain(node.max.value()),
            source: node.source.as_str().to_owned(),
            method,
            params,
            rule: node.rule.clone().unwrap_or_default(),
            evidence: node.evidence.clone().unwrap_or_default(),
            not_applicable: na_name(node.not_applicable).to_owned(),
            propagate: true,
        }
    }
}

/// Form value of a not-applicable policy.
pub(crate) fn na_name(na: Option<NaPolicy>) -> &'static str {
    match na {
        None => "",
        Some(NaPolicy::Exclude) => "exclude",
        Some(NaPolicy::FullPoints) => "full_points",
    }
}

fn text(s: &str) -> Option<String> {
    Some(s.trim()).filter(|t| !t.is_empty()).map(str::to_owned)
}

/// A criterion's fields once checked; applied only when nothing was wrong.
#[derive(Debug, Default)]
struct Checked {
    title: String,
    max: Points,
    source: Option<Source>,
    method: Option<Method>,
    rule: Option<String>,
    evidence: Option<String>,
    not_applicable: Option<NaPolicy>,
}

/// Checks the typed fields, collecting every problem. `leaf` tells whether the node is (or
/// will be) scored, so its method and not-applicable policy are read.
fn check_fields(f: &NodeFields, leaf: bool, errors: &mut Vec<FormError>) -> Checked {
    let mut out = Checked::default();
    let title = f.title.trim();
    if title.is_empty() {
        errors.push(FormError::new("sets.field.title_required"));
    }
    out.title = title.to_owned();
    match parse_decimal(&f.max) {
        Some(m) if m >= Decimal::ZERO => out.max = Points::new(m),
        _ => errors.push(FormError::new("sets.field.max_invalid").arg("value", f.max.trim())),
    }
    out.source = Source::parse(&f.source);
    if out.source.is_none() {
        errors.push(FormError::new("sets.field.source_invalid").arg("value", f.source.trim()));
    }
    out.rule = text(&f.rule);
    out.evidence = text(&f.evidence);
    if !leaf {
        return out;
    }
    match chiso_formats::parse_method_params(&f.method, &f.params) {
        Ok(m) => out.method = Some(m),
        Err(problems) => errors.extend(
            problems
                .into_iter()
                .map(|p| FormError::new("sets.field.method_invalid").problem("message", p)),
        ),
    }
    out.not_applicable = match f.not_applicable.trim() {
        "" => None,
        "exclude" => Some(NaPolicy::Exclude),
        "full_points" => Some(NaPolicy::FullPoints),
        other => {
            errors.push(FormError::new("sets.field.na_invalid").arg("value", other));
            None
        }
    };
    out
}

/// Edits one criterion of a draft: title, maximum, source, rule text, evidence requirement,
/// and for a leaf its method with parameters and its not-applicable policy.
pub(crate) async fn edit_node(
    db: &Db,
    p: &Principal,
    code: &SetCode,
    node: &NodeCode,
    fields: &NodeFields,
    at: OffsetDateTime,
) -> Result<(), SetError> {
    let set = draft(db, p, code).await?;
    let target = set.find(node).ok_or(AppError::PageNotFound)?;
    let leaf = target.is_leaf();
    let mut errors = Vec::new();
    let checked = check_fields(fields, leaf, &mut errors);
    if !errors.is_empty() {
        return Err(SetError::Invalid(errors));
    }
    let cmd = index_sets::EditNode {
        set: code.clone(),
        node: node.clone(),
        edit: index_sets::NodeEdit {
            title: checked.title,
            max: checked.max,
            source: checked.source.unwrap_or(target.source),
            method: checked.method,
            rule: checked.rule,
            evidence: checked.evidence,
            not_applicable: checked.not_applicable,
        },
        propagate: fields.propagate,
    };
    index_sets::edit_node(db, p, &cmd, at)
        .await
        .map_err(|e| refusal(code, e))
}

/// The code the next child of `parent` (or the next area) would naturally have.
pub(crate) fn next_code(set: &IndexSet, parent: Option<&NodeCode>) -> String {
    let siblings: &[Node] = match parent {
        None => &set.nodes,
        Some(p) => set.find(p).map_or(&[], |n| n.children.as_slice()),
    };
    let next = siblings
        .iter()
        .filter_map(|n| {
            let last = n.code.as_str().rsplit('.').next().unwrap_or("");
            last.parse::<u32>().ok()
        })
        .max()
        .unwrap_or(0)
        .saturating_add(1);
    match parent {
        None => next.to_string(),
        Some(p) => format!("{p}.{next}"),
    }
}

/// Adds a leaf under `parent` (a criterion; `None` for a new area). A parent that was a leaf
/// becomes a criterion with children and loses its method, which now belongs to its leaves.
pub(crate) async fn add_node(
    db: &Db,
    p: &Principal,
    code: &SetCode,
    parent: Option<&NodeCode>,
    fields: &NodeFields,
    at: OffsetDateTime,
) -> Result<NodeCode, SetError> {
    let set = draft(db, p, code).await?;
    if let Some(parent) = parent
        && set.find(parent).is_none()
    {
        return Err(AppError::PageNotFound.into());
    }
    let mut errors = Vec::new();
    // The code's place in the tree is judged by the service's rule, shown with the fields.
    let new_code = match NodeCode::parse(&fields.code) {
        Ok(c) => match index_sets::check_new_code(&set, parent, &c) {
            None => Some(c),
            Some(problem) => {
                errors.push(code_error(&problem));
                None
            }
        },
        Err(e) => {
            errors.push(FormError::new("sets.field.code_invalid").arg("message", e));
            None
        }
    };
    let checked = check_fields(fields, true, &mut errors);
    let Some(new_code) = new_code.filter(|_| errors.is_empty()) else {
        return Err(SetError::Invalid(errors));
    };
    let cmd = index_sets::AddNode {
        set: code.clone(),
        parent: parent.cloned(),
        code: new_code.clone(),
        edit: index_sets::NodeEdit {
            title: checked.title,
            max: checked.max,
            source: checked.source.unwrap_or(Source::Assessed),
            method: checked.method,
            rule: checked.rule,
            evidence: checked.evidence,
            not_applicable: checked.not_applicable,
        },
        propagate: fields.propagate,
    };
    index_sets::add_node(db, p, &cmd, at).await.map_err(|e| {
        if e.is(codes::SET_NODE_REFUSED)
            && let Some(chiso_services::Detail::Problems(ps)) = e.details()
            && let [problem] = ps.as_slice()
        {
            SetError::Invalid(vec![code_error(problem)])
        } else {
            refusal(code, e)
        }
    })?;
    Ok(new_code)
}

/// A refusal of a new criterion's code as the form's message.
fn code_error(p: &chiso_services::Problem) -> FormError {
    let arg = |name: &str| {
        p.args
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if p.code == codes::SET_NODE_CODE_NOT_UNDER {
        FormError::new("sets.field.code_not_under")
            .arg("code", arg("code"))
            .arg("parent", arg("parent"))
    } else if p.code == codes::SET_NODE_CODE_NOT_AREA {
        FormError::new("sets.field.code_not_area").arg("code", arg("code"))
    } else {
        FormError::new("sets.issue.duplicate_code").arg("code", arg("code"))
    }
}

/// Removes a criterion and everything under it, then recomputes the maxima above it when
/// `propagate` is asked for.
pub(crate) async fn remove_node(
    db: &Db,
    p: &Principal,
    code: &SetCode,
    node: &NodeCode,
    propagate: bool,
    at: OffsetDateTime,
) -> Result<(), SetError> {
    let cmd = index_sets::RemoveNode {
        set: code.clone(),
        node: node.clone(),
        propagate,
    };
    index_sets::remove_node(db, p, &cmd, at)
        .await
        .map_err(|e| refusal(code, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chiso_domain::SetIssue;
    use chiso_domain::{ClassScheme, RankingRule};
    use chiso_services::index_sets::{find_mut, resum, uncapped_blocks};
    use rust_decimal_macros::dec;

    fn code(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    fn leaf(c: &str, max: rust_decimal::Decimal, source: Source) -> Node {
        Node {
            code: code(c),
            title: format!("Tiêu chí {c}"),
            max: Points(max),
            source,
            method: Some(Method::Manual { step: None }),
            rule: None,
            evidence: None,
            not_applicable: None,
            children: vec![],
        }
    }

    fn inner(c: &str, max: rust_decimal::Decimal, source: Source, children: Vec<Node>) -> Node {
        Node {
            method: None,
            children,
            ..leaf(c, max, source)
        }
    }

    fn set() -> IndexSet {
        IndexSet {
            code: SetCode::parse("XA-2025").unwrap(),
            name: "Bộ chỉ số cấp xã".to_owned(),
            year: 2025,
            decision: None,
            classes: ClassScheme::common_default(),
            ranking: RankingRule::default(),
            renormalise_absent_areas: false,
            nodes: vec![
                inner(
                    "1",
                    dec!(30),
                    Source::Assessed,
                    vec![
                        inner(
                            "1.1",
                            dec!(30),
                            Source::Assessed,
                            vec![
                                leaf("1.1.1", dec!(10), Source::Assessed),
                                leaf("1.1.2", dec!(20), Source::Assessed),
                            ],
                        ),
                        leaf("1.2", dec!(1), Source::Bonus),
                    ],
                ),
                inner(
                    "2",
                    dec!(3),
                    Source::Bonus,
                    vec![
                        leaf("2.1", dec!(2), Source::Bonus),
                        leaf("2.2", dec!(2), Source::Bonus),
                    ],
                ),
                inner(
                    "3",
                    dec!(2),
                    Source::Bonus,
                    vec![leaf("3.1", dec!(2), Source::Bonus)],
                ),
            ],
        }
    }

    #[test]
    fn changing_a_leaf_maximum_carries_up_to_every_parent_but_not_past_bonus_points() {
        let mut s = set();
        assert_eq!(s.validate(), Ok(()));
        let uncapped = uncapped_blocks(&s);
        find_mut(&mut s.nodes, &code("1.1.2")).unwrap().max = Points(dec!(25));
        find_mut(&mut s.nodes, &code("1.2")).unwrap().max = Points(dec!(5));
        assert!(resum(&mut s.nodes, &code("1.1"), &uncapped));
        assert_eq!(s.find(&code("1.1")).unwrap().max, Points(dec!(35)));
        assert_eq!(
            s.find(&code("1")).unwrap().max,
            Points(dec!(35)),
            "a bonus child sits on top of its parent's maximum"
        );
        assert_eq!(s.validate(), Ok(()));
        assert!(!resum(&mut s.nodes, &code("9"), &uncapped));
    }

    #[test]
    fn a_capped_bonus_block_keeps_its_cap_and_an_uncapped_one_follows_its_children() {
        let mut s = set();
        let uncapped = uncapped_blocks(&s);
        assert!(!uncapped.contains(&code("2")) && uncapped.contains(&code("3")));
        find_mut(&mut s.nodes, &code("2.2")).unwrap().max = Points(dec!(4));
        find_mut(&mut s.nodes, &code("3.1")).unwrap().max = Points(dec!(4));
        resum(&mut s.nodes, &code("2"), &uncapped);
        resum(&mut s.nodes, &code("3"), &uncapped);
        assert_eq!(s.find(&code("2")).unwrap().max, Points(dec!(3)));
        assert_eq!(s.find(&code("3")).unwrap().max, Points(dec!(4)));
        find_mut(&mut s.nodes, &code("2.1")).unwrap().max = Points(dec!(0));
        find_mut(&mut s.nodes, &code("2.2")).unwrap().max = Points(dec!(1));
        resum(&mut s.nodes, &code("2"), &uncapped);
        assert_eq!(
            s.find(&code("2")).unwrap().max,
            Points(dec!(1)),
            "a cap never exceeds what the children can give"
        );
    }

    #[test]
    fn the_next_code_follows_the_highest_sibling() {
        let s = set();
        assert_eq!(next_code(&s, None), "4");
        assert_eq!(next_code(&s, Some(&code("1.1"))), "1.1.3");
        assert_eq!(next_code(&s, Some(&code("1.1.1"))), "1.1.1.1");
    }

    #[test]
    fn every_validation_issue_has_a_message_in_both_languages() {
        let issues = [
            SetIssue::DuplicateCode(code("1")),
            SetIssue::MaxNotSum {
                code: code("1"),
                max: Points(dec!(2.50)),
                sum: Points(dec!(3)),
            },
            SetIssue::NegativeMax(code("1")),
            SetIssue::CodeNotUnderParent {
                parent: code("1"),
                child: code("2.1"),
            },
            SetIssue::LeafWithoutMethod(code("1")),
            SetIssue::InnerWithMethod(code("1")),
            SetIssue::BadMethod {
                code: code("1"),
                message: "x".to_owned(),
            },
            SetIssue::BadClasses("x".to_owned()),
            SetIssue::Empty,
            SetIssue::AreaCodeNotTopLevel(code("1.1")),
            SetIssue::UnknownTieBreaker(code("9")),
            SetIssue::SourceNotAsBlock {
                parent: code("2"),
                child: code("2.1"),
            },
        ];
        let text = |issue: &SetIssue, lang: crate::Lang| {
            let p = index_sets::issue_problem(issue);
            let key = crate::error::service_key(p.code);
            assert!(lang.lookup(&key).is_some(), "{key}");
            crate::error::detail_lines(lang, Some(&chiso_services::Detail::Problems(vec![p])))
                .remove(0)
        };
        for issue in &issues {
            for lang in crate::Lang::ALL {
                let t = text(issue, lang);
                assert!(!t.contains('{'), "{t}");
            }
        }
        let sum = text(&issues[1], crate::Lang::Vi);
        assert!(sum.contains("2,5") && sum.contains('3'), "{sum}");
    }
}
