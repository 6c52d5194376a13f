//! The rules of the unit tree: what a unit's own fields must be, where it may sit in the
//! hierarchy, and which mergers and splits make sense against the units and lineage already
//! recorded. Pure, so the web form, the API and the command line refuse the same things, and
//! every mistake is found in one pass (each named with the field it concerns) instead of one
//! per attempt.

use std::collections::HashMap;

use time::Date;

use crate::{Lineage, LineageKind, Unit, UnitCode, UnitKind};

/// Longest unit name accepted.
pub const MAX_NAME: usize = 200;

/// Longest decision reference accepted for a reorganisation.
pub const MAX_BASIS: usize = 500;

/// One rule a unit or a reorganisation breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitRule {
    /// A new unit needs a code.
    CodeRequired,
    /// The code cannot be used (it is the address of a page).
    CodeReserved(UnitCode),
    /// A unit with this code exists already.
    CodeTaken(UnitCode),
    /// No unit with this code is recorded.
    UnknownUnit(UnitCode),
    /// The unit has no name.
    NameRequired,
    /// The name is longer than [`MAX_NAME`] characters.
    NameTooLong {
        /// The limit.
        max: usize,
    },
    /// The unit has no kind.
    KindRequired,
    /// A unit cannot belong to itself.
    ParentSelf,
    /// The chosen parent belongs (directly or not) to the unit.
    ParentCycle(UnitCode),
    /// The unit would end before it starts.
    DatesReversed,
    /// A reorganisation needs the day it takes effect.
    EffectiveRequired,
    /// The decision reference is longer than [`MAX_BASIS`] characters.
    BasisTooLong {
        /// The limit.
        max: usize,
    },
    /// A split names no unit to split.
    SplitNeedsPredecessor,
    /// A split needs two resulting units, one of them other than the unit split.
    SplitNeedsTwo,
    /// A merger into a new unit needs two merged units.
    MergerNeedsTwo,
    /// A merger into an existing unit needs a merged unit other than it.
    MergerNeedsOther,
    /// A merger into an existing unit names no receiving unit.
    MergerNeedsSuccessor,
    /// A merger says neither an existing nor a new unit receives it.
    MergerTargetRequired,
    /// The lineage edge `from → to` is recorded already.
    LineageExists {
        /// Predecessor.
        from: UnitCode,
        /// Successor.
        to: UnitCode,
    },
}

/// A broken rule with the input field it concerns (`code`, `name`, `predecessors`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitProblem {
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong.
    pub rule: UnitRule,
}

impl UnitProblem {
    fn new(field: &'static str, rule: UnitRule) -> Self {
        UnitProblem { field, rule }
    }
}

/// A unit's fields as given; `None` where nothing (valid) was given, so that a rule can say
/// "required" and the other fields are still checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitFields {
    /// The code of a new unit (ignored when a stored unit is edited: its code never changes).
    pub code: Option<UnitCode>,
    /// The name; white space is tidied.
    pub name: String,
    pub kind: Option<UnitKind>,
    pub parent: Option<UnitCode>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
}

/// The field names a unit's checks report: the plain form, or the "new unit" part of a merger.
#[derive(Debug, Clone, Copy)]
struct Names {
    code: &'static str,
    name: &'static str,
    kind: &'static str,
    parent: &'static str,
}

const UNIT_NAMES: Names = Names {
    code: "code",
    name: "name",
    kind: "kind",
    parent: "parent",
};

const NEW_UNIT_NAMES: Names = Names {
    code: "new_code",
    name: "new_name",
    kind: "new_kind",
    parent: "new_parent",
};

/// The stored units by code, what every check reads.
pub type KnownUnits = HashMap<UnitCode, Unit>;

/// A name with runs of white space made one space and the ends trimmed.
pub fn clean_name(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A new unit's code: given, not reserved, not taken.
fn new_code(
    field: &'static str,
    code: Option<&UnitCode>,
    known: &KnownUnits,
    reserved: &[&str],
    out: &mut Vec<UnitProblem>,
) -> Option<UnitCode> {
    let Some(c) = code else {
        out.push(UnitProblem::new(field, UnitRule::CodeRequired));
        return None;
    };
    if reserved.contains(&c.as_str()) {
        out.push(UnitProblem::new(field, UnitRule::CodeReserved(c.clone())));
        None
    } else if known.contains_key(c) {
        out.push(UnitProblem::new(field, UnitRule::CodeTaken(c.clone())));
        None
    } else {
        Some(c.clone())
    }
}

fn name(field: &'static str, raw: &str, out: &mut Vec<UnitProblem>) -> Option<String> {
    let name = clean_name(raw);
    if name.is_empty() {
        out.push(UnitProblem::new(field, UnitRule::NameRequired));
        None
    } else if name.chars().count() > MAX_NAME {
        out.push(UnitProblem::new(
            field,
            UnitRule::NameTooLong { max: MAX_NAME },
        ));
        None
    } else {
        Some(name)
    }
}

fn kind(
    field: &'static str,
    kind: Option<UnitKind>,
    out: &mut Vec<UnitProblem>,
) -> Option<UnitKind> {
    if kind.is_none() {
        out.push(UnitProblem::new(field, UnitRule::KindRequired));
    }
    kind
}

/// A known unit.
fn existing(
    field: &'static str,
    code: &UnitCode,
    known: &KnownUnits,
    out: &mut Vec<UnitProblem>,
) -> Option<UnitCode> {
    if known.contains_key(code) {
        Some(code.clone())
    } else {
        out.push(UnitProblem::new(field, UnitRule::UnknownUnit(code.clone())));
        None
    }
}

/// The parent of `code`: none, or a stored unit that is neither the unit itself nor one of its
/// subordinates (which would make the hierarchy a loop). `Some(None)`: no parent.
fn parent(
    field: &'static str,
    parent: Option<&UnitCode>,
    code: Option<&UnitCode>,
    known: &KnownUnits,
    out: &mut Vec<UnitProblem>,
) -> Option<Option<UnitCode>> {
    let Some(p) = parent else {
        return Some(None);
    };
    let p = existing(field, p, known, out)?;
    if let Some(code) = code {
        if &p == code {
            out.push(UnitProblem::new(field, UnitRule::ParentSelf));
            return None;
        }
        let mut cur = known.get(&p).and_then(|u| u.parent.as_ref());
        let mut steps = 0;
        while let Some(c) = cur {
            if c == code {
                out.push(UnitProblem::new(field, UnitRule::ParentCycle(p)));
                return None;
            }
            steps += 1;
            if steps > known.len() {
                break;
            }
            cur = known.get(c).and_then(|u| u.parent.as_ref());
        }
    }
    Some(Some(p))
}

/// Checks a unit: `editing` is the stored unit being edited (its code is kept, whatever
/// `fields.code` says), `None` for a new unit, whose code must be given, free and not one of
/// `reserved`. Returns the unit to store, or every rule broken, in field order.
pub fn check_unit(
    fields: &UnitFields,
    editing: Option<&UnitCode>,
    known: &KnownUnits,
    reserved: &[&str],
) -> Result<Unit, Vec<UnitProblem>> {
    let mut out = Vec::new();
    let code = match editing {
        Some(c) => Some(c.clone()),
        None => new_code("code", fields.code.as_ref(), known, reserved, &mut out),
    };
    let unit = check_fields(UNIT_NAMES, fields, code, editing, known, &mut out);
    if let (Some(f), Some(t)) = (fields.valid_from, fields.valid_to)
        && t < f
    {
        out.push(UnitProblem::new("valid_to", UnitRule::DatesReversed));
    }
    match unit {
        Some(u) if out.is_empty() => Ok(Unit {
            valid_from: fields.valid_from,
            valid_to: fields.valid_to,
            ..u
        }),
        _ => Err(out),
    }
}

/// Name, kind and parent of a unit whose code was checked already.
fn check_fields(
    names: Names,
    fields: &UnitFields,
    code: Option<UnitCode>,
    editing: Option<&UnitCode>,
    known: &KnownUnits,
    out: &mut Vec<UnitProblem>,
) -> Option<Unit> {
    let name = name(names.name, &fields.name, out);
    let kind = kind(names.kind, fields.kind, out);
    let parent = parent(names.parent, fields.parent.as_ref(), editing, known, out);
    Some(Unit {
        code: code?,
        name: name?,
        kind: kind?,
        parent: parent?,
        valid_from: None,
        valid_to: None,
    })
}

/// Which unit receives a merger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeTarget {
    /// A stored unit (`None`: none was named).
    Existing(Option<UnitCode>),
    /// A unit founded by the merger, existing from its effective date.
    New(UnitFields),
}

/// The shape of a reorganisation as requested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReorgShape {
    /// Several units become one (sáp nhập).
    Merger {
        /// The merged units, in the order given (repeats are ignored).
        predecessors: Vec<UnitCode>,
        /// The receiving unit; `None`: not chosen.
        into: Option<MergeTarget>,
    },
    /// One unit becomes several (chia tách).
    Split {
        /// The unit split; `None`: not named.
        predecessor: Option<UnitCode>,
        /// The resulting units, in the order given (repeats are ignored).
        successors: Vec<UnitCode>,
    },
}

/// A merger or a split as requested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReorgRequest {
    pub shape: ReorgShape,
    /// The day it takes effect; required.
    pub effective: Option<Date>,
    /// The decision carried out (số, ngày của nghị quyết/quyết định); white space is tidied.
    pub basis: String,
}

/// A reorganisation that passed every rule, ready to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reorganisation {
    /// [`LineageKind::Merger`] or [`LineageKind::Split`].
    pub kind: LineageKind,
    /// Distinct stored units.
    pub predecessors: Vec<UnitCode>,
    /// Distinct units continuing them: stored, or in `new_units`.
    pub successors: Vec<UnitCode>,
    /// Successors founded by it.
    pub new_units: Vec<Unit>,
    pub effective: Date,
    /// The decision, if one was given.
    pub basis: Option<String>,
}

impl Reorganisation {
    /// The unit whose page shows the change: the successor of a merger, the unit split.
    pub fn shown(&self) -> &UnitCode {
        match self.kind {
            LineageKind::Split => &self.predecessors[0],
            _ => &self.successors[0],
        }
    }

    /// The lineage edges it records: every predecessor to every successor, except a unit to
    /// itself (the commune that absorbs its neighbours continues itself).
    pub fn edges(&self) -> impl Iterator<Item = (&UnitCode, &UnitCode)> {
        self.predecessors.iter().flat_map(move |p| {
            self.successors
                .iter()
                .filter(move |s| *s != p)
                .map(move |s| (p, s))
        })
    }
}

/// Distinct known units of a list, in the order given; each unknown one is a problem.
fn code_list(
    field: &'static str,
    codes: &[UnitCode],
    known: &KnownUnits,
    out: &mut Vec<UnitProblem>,
) -> Vec<UnitCode> {
    let mut list: Vec<UnitCode> = Vec::new();
    for c in codes {
        if let Some(c) = existing(field, c, known, out)
            && !list.contains(&c)
        {
            list.push(c);
        }
    }
    list
}

/// The fields of the request in the order they are reported.
const REORG_ORDER: [&str; 11] = [
    "predecessors",
    "target",
    "successor",
    "new_code",
    "new_name",
    "new_kind",
    "new_parent",
    "predecessor",
    "successors",
    "effective",
    "basis",
];

/// Checks a merger or a split against the stored units (`known`) and `lineage`: the units it
/// names exist (or, for a unit founded by a merger, do not yet), it has enough units on each
/// side, and none of its edges is recorded already. Returns what to record, or every rule
/// broken, in the order of [`REORG_ORDER`]'s fields.
pub fn check_reorganisation(
    req: &ReorgRequest,
    known: &KnownUnits,
    lineage: &[Lineage],
    reserved: &[&str],
) -> Result<Reorganisation, Vec<UnitProblem>> {
    let mut out = Vec::new();
    if req.effective.is_none() {
        out.push(UnitProblem::new("effective", UnitRule::EffectiveRequired));
    }
    let basis = clean_name(&req.basis);
    if basis.chars().count() > MAX_BASIS {
        out.push(UnitProblem::new(
            "basis",
            UnitRule::BasisTooLong { max: MAX_BASIS },
        ));
    }
    let (kind, predecessors, successors, new_units, edge_field) = match &req.shape {
        ReorgShape::Split {
            predecessor,
            successors,
        } => {
            let predecessor = match predecessor {
                None => {
                    out.push(UnitProblem::new(
                        "predecessor",
                        UnitRule::SplitNeedsPredecessor,
                    ));
                    None
                }
                Some(p) => existing("predecessor", p, known, &mut out),
            };
            let successors = code_list("successors", successors, known, &mut out);
            let others = successors
                .iter()
                .filter(|s| Some(*s) != predecessor.as_ref())
                .count();
            if others == 0 || successors.len() < 2 {
                out.push(UnitProblem::new("successors", UnitRule::SplitNeedsTwo));
            }
            (
                LineageKind::Split,
                predecessor.into_iter().collect::<Vec<_>>(),
                successors,
                Vec::new(),
                "successors",
            )
        }
        ReorgShape::Merger { predecessors, into } => {
            let predecessors = code_list("predecessors", predecessors, known, &mut out);
            let (successor, new_units) = match into {
                Some(MergeTarget::New(fields)) => {
                    let code = new_code(
                        NEW_UNIT_NAMES.code,
                        fields.code.as_ref(),
                        known,
                        reserved,
                        &mut out,
                    );
                    let unit = check_fields(NEW_UNIT_NAMES, fields, code, None, known, &mut out);
                    if predecessors.len() < 2 {
                        out.push(UnitProblem::new("predecessors", UnitRule::MergerNeedsTwo));
                    }
                    match unit {
                        Some(u) => (
                            Some(u.code.clone()),
                            vec![Unit {
                                valid_from: req.effective,
                                valid_to: None,
                                ..u
                            }],
                        ),
                        None => (None, Vec::new()),
                    }
                }
                Some(MergeTarget::Existing(successor)) => {
                    let successor = match successor {
                        None => {
                            out.push(UnitProblem::new(
                                "successor",
                                UnitRule::MergerNeedsSuccessor,
                            ));
                            None
                        }
                        Some(s) => existing("successor", s, known, &mut out),
                    };
                    let others = predecessors
                        .iter()
                        .filter(|p| Some(*p) != successor.as_ref())
                        .count();
                    if others == 0 {
                        out.push(UnitProblem::new("predecessors", UnitRule::MergerNeedsOther));
                    }
                    (successor, Vec::new())
                }
                None => {
                    out.push(UnitProblem::new("target", UnitRule::MergerTargetRequired));
                    (None, Vec::new())
                }
            };
            if predecessors.is_empty() && !out.iter().any(|p| p.field == "predecessors") {
                out.push(UnitProblem::new("predecessors", UnitRule::MergerNeedsTwo));
            }
            (
                LineageKind::Merger,
                predecessors,
                successor.into_iter().collect(),
                new_units,
                "predecessors",
            )
        }
    };
    for p in &predecessors {
        for s in successors.iter().filter(|s| *s != p) {
            if lineage
                .iter()
                .any(|l| &l.predecessor == p && &l.successor == s)
            {
                out.push(UnitProblem::new(
                    edge_field,
                    UnitRule::LineageExists {
                        from: p.clone(),
                        to: s.clone(),
                    },
                ));
            }
        }
    }
    out.sort_by_key(|p| {
        REORG_ORDER
            .iter()
            .position(|f| *f == p.field)
            .unwrap_or(REORG_ORDER.len())
    });
    match req.effective {
        Some(effective) if out.is_empty() && !predecessors.is_empty() && !successors.is_empty() => {
            Ok(Reorganisation {
                kind,
                predecessors,
                successors,
                new_units,
                effective,
                basis: Some(basis).filter(|b| !b.is_empty()),
            })
        }
        _ => Err(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn code(c: &str) -> UnitCode {
        UnitCode::parse(c).unwrap()
    }

    fn unit(c: &str, name: &str, parent: Option<&str>) -> Unit {
        Unit {
            code: code(c),
            name: name.to_owned(),
            kind: UnitKind::Commune,
            parent: parent.map(code),
            valid_from: None,
            valid_to: None,
        }
    }

    fn known() -> KnownUnits {
        [
            unit("H-TK", "Huyện Tân Khê", None),
            unit("XA-A", "Xã An", Some("H-TK")),
            unit("XA-B", "Xã Bình", Some("H-TK")),
            unit("XA-C", "Xã Cát", Some("XA-B")),
        ]
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect()
    }

    const RESERVED: [&str; 1] = ["them"];

    fn rules<T: std::fmt::Debug>(r: Result<T, Vec<UnitProblem>>) -> Vec<(&'static str, UnitRule)> {
        r.unwrap_err()
            .into_iter()
            .map(|p| (p.field, p.rule))
            .collect()
    }

    #[test]
    fn a_new_unit_names_every_field_at_fault_at_once() {
        let fields = UnitFields {
            code: None,
            name: "  ".into(),
            kind: None,
            parent: Some(code("NOPE")),
            ..UnitFields::default()
        };
        assert_eq!(
            rules(check_unit(&fields, None, &known(), &RESERVED)),
            vec![
                ("code", UnitRule::CodeRequired),
                ("name", UnitRule::NameRequired),
                ("kind", UnitRule::KindRequired),
                ("parent", UnitRule::UnknownUnit(code("NOPE"))),
            ]
        );
    }

    #[test]
    fn a_taken_or_reserved_code_is_refused_and_names_are_tidied() {
        let mut fields = UnitFields {
            code: Some(code("XA-A")),
            name: "Xã  Mới ".into(),
            kind: Some(UnitKind::Commune),
            ..UnitFields::default()
        };
        assert_eq!(
            rules(check_unit(&fields, None, &known(), &RESERVED)),
            vec![("code", UnitRule::CodeTaken(code("XA-A")))]
        );
        fields.code = Some(code("them"));
        assert_eq!(
            rules(check_unit(&fields, None, &known(), &RESERVED)),
            vec![("code", UnitRule::CodeReserved(code("them")))]
        );
        fields.code = Some(code("XA-MOI"));
        fields.valid_from = Some(date!(2025 - 07 - 01));
        let u = check_unit(&fields, None, &known(), &RESERVED).unwrap();
        assert_eq!(u.name, "Xã Mới");
        assert_eq!(u.valid_from, Some(date!(2025 - 07 - 01)));
    }

    #[test]
    fn a_unit_cannot_become_its_own_parent_or_its_subordinates_subordinate() {
        let b = code("XA-B");
        let mut fields = UnitFields {
            name: "Xã Bình".into(),
            kind: Some(UnitKind::Commune),
            parent: Some(b.clone()),
            ..UnitFields::default()
        };
        assert_eq!(
            rules(check_unit(&fields, Some(&b), &known(), &RESERVED)),
            vec![("parent", UnitRule::ParentSelf)]
        );
        fields.parent = Some(code("XA-C"));
        assert_eq!(
            rules(check_unit(&fields, Some(&b), &known(), &RESERVED)),
            vec![("parent", UnitRule::ParentCycle(code("XA-C")))]
        );
        fields.parent = Some(code("H-TK"));
        fields.valid_from = Some(date!(2025 - 01 - 02));
        fields.valid_to = Some(date!(2025 - 01 - 01));
        assert_eq!(
            rules(check_unit(&fields, Some(&b), &known(), &RESERVED)),
            vec![("valid_to", UnitRule::DatesReversed)]
        );
    }

    fn merger_into_new(predecessors: &[&str]) -> ReorgRequest {
        ReorgRequest {
            shape: ReorgShape::Merger {
                predecessors: predecessors.iter().map(|c| code(c)).collect(),
                into: Some(MergeTarget::New(UnitFields {
                    code: Some(code("XA-AB")),
                    name: "Xã An Bình".into(),
                    kind: Some(UnitKind::Commune),
                    ..UnitFields::default()
                })),
            },
            effective: Some(date!(2025 - 07 - 01)),
            basis: String::new(),
        }
    }

    #[test]
    fn a_merger_into_a_new_unit_needs_two_predecessors_and_creates_the_unit() {
        assert_eq!(
            rules(check_reorganisation(
                &merger_into_new(&["XA-A"]),
                &known(),
                &[],
                &RESERVED
            )),
            vec![("predecessors", UnitRule::MergerNeedsTwo)]
        );
        let r = check_reorganisation(
            &merger_into_new(&["XA-A", "XA-B", "XA-A"]),
            &known(),
            &[],
            &RESERVED,
        )
        .unwrap();
        assert_eq!(r.kind, LineageKind::Merger);
        assert_eq!(r.predecessors, vec![code("XA-A"), code("XA-B")]);
        assert_eq!(r.successors, vec![code("XA-AB")]);
        assert_eq!(r.new_units[0].valid_from, Some(date!(2025 - 07 - 01)));
        assert_eq!(r.shown(), &code("XA-AB"));
        assert_eq!(r.edges().count(), 2);
    }

    #[test]
    fn a_merger_into_an_existing_unit_needs_it_and_another_unit() {
        let mut req = ReorgRequest {
            shape: ReorgShape::Merger {
                predecessors: vec![code("XA-A")],
                into: Some(MergeTarget::Existing(Some(code("XA-A")))),
            },
            effective: Some(date!(2025 - 07 - 01)),
            basis: "Nghị quyết   số 1".into(),
        };
        assert_eq!(
            rules(check_reorganisation(&req, &known(), &[], &RESERVED)),
            vec![("predecessors", UnitRule::MergerNeedsOther)]
        );
        req.shape = ReorgShape::Merger {
            predecessors: vec![code("XA-A"), code("XA-B")],
            into: Some(MergeTarget::Existing(Some(code("XA-A")))),
        };
        let r = check_reorganisation(&req, &known(), &[], &RESERVED).unwrap();
        assert_eq!(r.basis.as_deref(), Some("Nghị quyết số 1"));
        assert_eq!(
            r.edges().collect::<Vec<_>>(),
            vec![(&code("XA-B"), &code("XA-A"))]
        );
        req.shape = ReorgShape::Merger {
            predecessors: vec![],
            into: None,
        };
        assert_eq!(
            rules(check_reorganisation(&req, &known(), &[], &RESERVED)),
            vec![
                ("predecessors", UnitRule::MergerNeedsTwo),
                ("target", UnitRule::MergerTargetRequired),
            ]
        );
    }

    #[test]
    fn a_split_needs_one_predecessor_and_another_successor_and_refuses_known_edges() {
        let mut req = ReorgRequest {
            shape: ReorgShape::Split {
                predecessor: Some(code("XA-B")),
                successors: vec![code("XA-B")],
            },
            effective: None,
            basis: String::new(),
        };
        assert_eq!(
            rules(check_reorganisation(&req, &known(), &[], &RESERVED)),
            vec![
                ("successors", UnitRule::SplitNeedsTwo),
                ("effective", UnitRule::EffectiveRequired),
            ]
        );
        req.shape = ReorgShape::Split {
            predecessor: Some(code("XA-B")),
            successors: vec![code("XA-B"), code("XA-C")],
        };
        req.effective = Some(date!(2025 - 07 - 01));
        let edge = Lineage {
            predecessor: code("XA-B"),
            successor: code("XA-C"),
            kind: LineageKind::Split,
            effective: None,
        };
        assert_eq!(
            rules(check_reorganisation(&req, &known(), &[edge], &RESERVED)),
            vec![(
                "successors",
                UnitRule::LineageExists {
                    from: code("XA-B"),
                    to: code("XA-C")
                }
            )]
        );
        let r = check_reorganisation(&req, &known(), &[], &RESERVED).unwrap();
        assert_eq!(r.shown(), &code("XA-B"));
    }

    mod invariants {
        use super::*;
        use proptest::prelude::*;

        const POOL: [&str; 6] = ["XA-A", "XA-B", "XA-C", "H-TK", "XA-X", "XA-Y"];

        fn codes() -> impl Strategy<Value = Vec<UnitCode>> {
            prop::collection::vec(prop::sample::select(POOL.to_vec()), 0..5)
                .prop_map(|v| v.into_iter().map(code).collect())
        }

        fn shape() -> impl Strategy<Value = ReorgShape> {
            let maybe = prop::option::of(prop::sample::select(POOL.to_vec()).prop_map(code));
            prop_oneof![
                (codes(), prop::option::of((any::<bool>(), maybe.clone()))).prop_map(
                    |(predecessors, into)| ReorgShape::Merger {
                        predecessors,
                        into: into.map(|(new, c)| if new {
                            MergeTarget::New(UnitFields {
                                code: c,
                                name: "Mới".into(),
                                kind: Some(UnitKind::Commune),
                                ..UnitFields::default()
                            })
                        } else {
                            MergeTarget::Existing(c)
                        }),
                    }
                ),
                (maybe, codes()).prop_map(|(predecessor, successors)| ReorgShape::Split {
                    predecessor,
                    successors
                }),
            ]
        }

        fn edges() -> impl Strategy<Value = Vec<Lineage>> {
            prop::collection::vec((0..4usize, 0..4usize), 0..4).prop_map(|v| {
                v.into_iter()
                    .map(|(a, b)| Lineage {
                        predecessor: code(POOL[a]),
                        successor: code(POOL[b]),
                        kind: LineageKind::Merger,
                        effective: None,
                    })
                    .collect()
            })
        }

        proptest! {
            /// Whatever is asked, an accepted reorganisation links only recorded units (or the
            /// one it founds), never a unit to itself, never an edge recorded before, and has
            /// units on both sides; a refused one always says why.
            #[test]
            fn an_accepted_reorganisation_only_adds_new_edges_between_known_units(
                shape in shape(), lineage in edges(), dated in any::<bool>()
            ) {
                let req = ReorgRequest {
                    shape,
                    effective: dated.then_some(date!(2025 - 07 - 01)),
                    basis: String::new(),
                };
                let known = known();
                match check_reorganisation(&req, &known, &lineage, &RESERVED) {
                    Ok(r) => {
                        prop_assert!(!r.predecessors.is_empty() && !r.successors.is_empty());
                        prop_assert!(r.edges().count() >= 1);
                        for (p, s) in r.edges() {
                            prop_assert_ne!(p, s);
                            prop_assert!(known.contains_key(p));
                            prop_assert!(known.contains_key(s) || r.new_units.iter().any(|u| &u.code == s));
                            prop_assert!(!lineage.iter().any(|l| &l.predecessor == p && &l.successor == s));
                        }
                        for u in &r.new_units {
                            prop_assert!(!known.contains_key(&u.code));
                        }
                    }
                    Err(problems) => prop_assert!(!problems.is_empty()),
                }
            }
        }
    }
}
