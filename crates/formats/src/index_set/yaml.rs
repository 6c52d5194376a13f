//! The YAML form of an index set. Numbers are read from their text (`1.5`, `"1,5"`, a code
//! `1.10`), never through binary floating point, so `1.10` stays criterion 1.10 and 0,1 stays
//! exactly 0,1.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;

use chiso_domain::{ClassBand, ClassScheme, Grade, Method, NodeCode, RankingRule, Tier, TierBasis};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{
    Draft, GroupBands, Meta, Seen, band, finish, parse_bool, parse_deadline, parse_group,
    parse_max, parse_na, parse_set_code, parse_source, parse_tie_breaker, parse_year,
};
use crate::codes;
use crate::error::{ImportError, ImportErrors, Problem, id_problem};
use crate::limits::{
    MAX_YAML_EXPANDED_BYTES, MAX_YAML_VALUES, forbidden_char, forbidden_char_problem, grouped,
    size_text,
};
use crate::params::{METHOD_NAMES, canonical_method, decimal, default_label, parse_basis};
use crate::table::decode_text;

/// A YAML document as a tree whose scalars keep the text they were written with.
#[derive(Debug, Clone, PartialEq)]
enum Y {
    Scalar(String),
    Seq(Vec<Y>),
    Map(Vec<(String, Y)>),
}

/// Keys whose values are always single values; they are read as text so that numbers keep
/// their written form.
const SCALAR_KEYS: &[&str] = &[
    "code",
    "title",
    "name",
    "year",
    "decision",
    "max",
    "source",
    "rule",
    "evidence",
    "not_applicable",
    "label",
    "min",
    "below",
    "points",
    "percent",
    "per",
    "cap",
    "step",
    "deadline",
    "basis",
    "ties",
    "node",
    "renormalise_absent_areas",
];

/// What a document may still expand to: every scalar's text and every value is charged as
/// it is built, so aliases used many times count each time ([`MAX_YAML_EXPANDED_BYTES`],
/// [`MAX_YAML_VALUES`]).
struct Budget {
    bytes: Cell<usize>,
    values: Cell<usize>,
    /// Why reading stopped, kept whole: the parser only carries text through its error.
    refused: RefCell<Option<Problem>>,
}

impl Budget {
    fn new() -> Self {
        Budget {
            bytes: Cell::new(MAX_YAML_EXPANDED_BYTES),
            values: Cell::new(MAX_YAML_VALUES),
            refused: RefCell::new(None),
        }
    }

    /// Stops reading for `problem`.
    fn refuse<E: de::Error>(&self, problem: Problem) -> E {
        let e = E::custom(&problem);
        *self.refused.borrow_mut() = Some(problem);
        e
    }

    /// Charges one value of `text`, refusing control characters and anything past the bounds.
    fn charge<E: de::Error>(&self, text: &str) -> Result<(), E> {
        if let Some(c) = forbidden_char(text) {
            return Err(self.refuse(forbidden_char_problem(c)));
        }
        let (bytes, values) = (self.bytes.get(), self.values.get());
        if text.len() > bytes || values == 0 {
            return Err(self.refuse(
                Problem::new(codes::YAML_TOO_LARGE)
                    .arg("text", size_text(MAX_YAML_EXPANDED_BYTES as u64))
                    .arg("values", grouped(MAX_YAML_VALUES as u64)),
            ));
        }
        self.bytes.set(bytes - text.len());
        self.values.set(values - 1);
        Ok(())
    }
}

/// Reads any value; inside a mapping, values of [`SCALAR_KEYS`] are read as raw text unless
/// the mapping's keys are free names (the group names under `groups`).
struct YSeed<'b> {
    free_keys: bool,
    budget: &'b Budget,
}

impl<'de> DeserializeSeed<'de> for YSeed<'_> {
    type Value = Y;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Y, D::Error> {
        d.deserialize_any(YVisitor {
            free_keys: self.free_keys,
            budget: self.budget,
        })
    }
}

struct YVisitor<'b> {
    free_keys: bool,
    budget: &'b Budget,
}

/// A value read as its text (a number as written, `true`, or an empty value).
struct TextSeed<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for TextSeed<'_> {
    type Value = Y;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Y, D::Error> {
        struct V<'b>(&'b Budget);
        impl Visitor<'_> for V<'_> {
            type Value = Y;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("một giá trị đơn (số hoặc chữ)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Y, E> {
                self.0.charge(v)?;
                Ok(Y::Scalar(v.to_owned()))
            }
        }
        d.deserialize_str(V(self.0))
    }
}

impl<'de> Visitor<'de> for YVisitor<'_> {
    type Value = Y;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("một giá trị YAML")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Y, E> {
        self.budget.charge("")?;
        Ok(Y::Scalar(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Y, E> {
        self.budget.charge("")?;
        Ok(Y::Scalar(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Y, E> {
        self.budget.charge("")?;
        Ok(Y::Scalar(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Y, E> {
        // Only reached outside the single-value keys (e.g. a list of numbers where a list of
        // tiers was expected); the shortest text of the double is kept for the error message.
        self.budget.charge("")?;
        Ok(Y::Scalar(v.to_string()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Y, E> {
        self.budget.charge(v)?;
        Ok(Y::Scalar(v.to_owned()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Y, E> {
        self.budget.charge("")?;
        Ok(Y::Scalar(String::new()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Y, E> {
        self.budget.charge("")?;
        Ok(Y::Scalar(String::new()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Y, A::Error> {
        self.budget.charge("")?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(YSeed {
            free_keys: false,
            budget: self.budget,
        })? {
            out.push(v);
        }
        Ok(Y::Seq(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Y, A::Error> {
        self.budget.charge("")?;
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            self.budget.charge(&key)?;
            let value = if !self.free_keys && SCALAR_KEYS.contains(&key.as_str()) {
                map.next_value_seed(TextSeed(self.budget))?
            } else {
                map.next_value_seed(YSeed {
                    free_keys: key == "groups",
                    budget: self.budget,
                })?
            };
            out.push((key, value));
        }
        Ok(Y::Map(out))
    }
}

impl Y {
    /// The text of a scalar, `None` for empty, `~` or `null`.
    fn text(&self) -> Option<&str> {
        match self {
            Y::Scalar(s) if !matches!(s.trim(), "" | "~" | "null" | "Null" | "NULL") => {
                Some(s.trim())
            }
            _ => None,
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, Y::Scalar(_)) && self.text().is_none()
    }

    /// What the value is, for problems that expected something else.
    fn kind(&self) -> Problem {
        Problem::new(match self {
            Y::Scalar(_) => codes::KIND_SCALAR,
            Y::Seq(_) => codes::KIND_LIST,
            Y::Map(_) => codes::KIND_MAPPING,
        })
    }
}

/// Locates lines in the source text so errors point at the node they concern.
struct Lines<'a> {
    text: &'a str,
}

impl Lines<'_> {
    /// The line of `code: X` for a node (1-based), in block or flow style, when it is written
    /// exactly once.
    fn of_code(&self, code: &str) -> Option<usize> {
        let mut found = None;
        for (i, line) in self.text.lines().enumerate() {
            let line = line.split(" #").next().unwrap_or(line);
            let hit = line.match_indices("code:").any(|(at, _)| {
                let before = line[..at].trim_end();
                let starts_key = before.is_empty() || before.ends_with(['-', '{', ',']);
                let value = line[at + "code:".len()..]
                    .split([',', '}'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches(['"', '\'']);
                starts_key && value == code
            });
            if hit {
                if found.is_some() {
                    return None;
                }
                found = Some(i + 1);
            }
        }
        found
    }

    /// The line of a top-level key.
    fn of_key(&self, key: &str) -> Option<usize> {
        self.text
            .lines()
            .position(|l| {
                l.strip_prefix(key)
                    .is_some_and(|r| r.trim_start().starts_with(':'))
            })
            .map(|i| i + 1)
    }
}

/// Collects errors with the line they belong to.
struct Ctx<'a> {
    file: &'a str,
    lines: Lines<'a>,
    errors: ImportErrors,
}

/// How a node is named in its problems: its code as written, or its place when it has none
/// (`thứ 2 của cấp lĩnh vực`).
#[derive(Debug, Clone)]
enum Label {
    Code(String),
    Place(Problem),
}

impl Label {
    /// `problem` with this label as its argument `name`.
    fn put(&self, problem: Problem, name: &'static str) -> Problem {
        match self {
            Label::Code(c) => problem.arg(name, c),
            Label::Place(p) => problem.part(name, p.clone()),
        }
    }
}

/// The place of the value under a key path (`classes.default`), for `{what}`.
fn at(path: &str) -> Problem {
    Problem::new(codes::AT_KEY).arg("path", path)
}

impl Ctx<'_> {
    fn top(&mut self, key: &str, problem: Problem) {
        let row = self.lines.of_key(key);
        self.errors
            .push(ImportError::at(self.file, row, None, problem));
    }

    /// An error about a node.
    fn node(&mut self, label: &Label, problem: Problem) {
        let row = match label {
            Label::Code(c) => self.lines.of_code(c),
            Label::Place(_) => None,
        };
        let problem = label
            .put(Problem::new(codes::CRITERION), "criterion")
            .because(problem);
        self.errors
            .push(ImportError::at(self.file, row, None, problem));
    }
}

const TOP_KEYS: &[&str] = &[
    "code",
    "name",
    "year",
    "decision",
    "classes",
    "ranking",
    "renormalise_absent_areas",
    "nodes",
];
const NODE_KEYS: &[&str] = &[
    "code",
    "title",
    "max",
    "source",
    "method",
    "children",
    "rule",
    "evidence",
    "not_applicable",
];

/// Reads the YAML form.
pub(super) fn read(file: &str, bytes: &[u8]) -> Result<chiso_domain::IndexSet, ImportErrors> {
    let text = decode_text(file, bytes)?;
    let budget = Budget::new();
    let doc = match serde_yaml_ng::Deserializer::from_str(&text)
        .next()
        .map(|d| {
            YSeed {
                free_keys: false,
                budget: &budget,
            }
            .deserialize(d)
        }) {
        Some(Ok(doc)) => doc,
        Some(Err(e)) => {
            let row = e.location().map(|l| l.line());
            let said = e.to_string();
            // The reader's own refusals and the parser's guards, said in words a user can act
            // on.
            let problem = if let Some(p) = budget.refused.take() {
                p
            } else if said.starts_with("recursion limit exceeded") {
                Problem::new(codes::YAML_TOO_DEEP)
            } else if said.starts_with("repetition limit exceeded") {
                Problem::new(codes::YAML_ALIAS_REPEATED)
            } else {
                Problem::new(codes::YAML_INVALID).arg("error", said)
            };
            return Err(ImportError::at(file, row, None, problem).into());
        }
        None => return Err(ImportError::file(file, Problem::new(codes::YAML_EMPTY)).into()),
    };
    let mut cx = Ctx {
        file,
        lines: Lines { text: &text },
        errors: ImportErrors::default(),
    };
    let Y::Map(entries) = doc else {
        cx.errors.push(ImportError::file(
            file,
            Problem::new(codes::YAML_NOT_MAPPING),
        ));
        return Err(cx.errors);
    };
    let mut meta = Meta::default();
    let mut drafts = Vec::new();
    let mut seen_keys = Vec::new();
    let mut seen_codes = Seen::default();
    let mut has_nodes = false;
    for (key, value) in &entries {
        if seen_keys.contains(&key.as_str()) {
            cx.top(key, Problem::new(codes::KEY_TWICE).arg("key", key));
            continue;
        }
        seen_keys.push(key);
        match key.as_str() {
            "code" => match value.text().map(parse_set_code) {
                Some(Ok(c)) => meta.code = Some(c),
                Some(Err(e)) => cx.top(key, e),
                None => {}
            },
            "name" => meta.name = value.text().map(str::to_owned),
            "year" => match value.text().map(parse_year) {
                Some(Ok(y)) => meta.year = Some(y),
                Some(Err(e)) => cx.top(key, e),
                None => {}
            },
            "decision" => meta.decision = value.text().map(str::to_owned),
            "renormalise_absent_areas" => match parse_bool(value.text().unwrap_or("")) {
                Some(b) => meta.renormalise = b,
                None => cx.top(key, Problem::new(codes::RENORMALISE_INVALID)),
            },
            "classes" => meta.classes = classes(value, &mut cx),
            "ranking" => meta.ranking = ranking(value, &mut cx),
            "nodes" => {
                has_nodes = true;
                match value {
                    Y::Seq(items) => {
                        for (i, item) in items.iter().enumerate() {
                            let place = Problem::new(codes::AT_AREA).arg("item", i + 1);
                            if let Some(d) = node(item, &place, &mut seen_codes, &mut cx) {
                                drafts.push(d);
                            }
                        }
                    }
                    other if other.is_empty() => {}
                    other => cx.top(
                        key,
                        Problem::new(codes::NOT_A_LIST)
                            .part("what", at("nodes"))
                            .part("kind", other.kind()),
                    ),
                }
            }
            _ => cx.top(
                key,
                Problem::new(codes::TOP_KEY_UNSUPPORTED)
                    .arg("key", key)
                    .arg("accepted", TOP_KEYS.join(", ")),
            ),
        }
    }
    meta.require(&mut |key, problem| cx.top(key, problem));
    if !has_nodes {
        cx.top("nodes", Problem::new(codes::NODES_MISSING));
    }
    for d in &drafts {
        d.check_leaves(&|_| false, &mut |code, _, problem| {
            cx.node(&Label::Code(code.as_str().to_owned()), problem);
        });
    }
    let mut errors = std::mem::take(&mut cx.errors);
    let lines = &cx.lines;
    let set = finish(file, meta, drafts, &mut errors, &|code, field| match code {
        Some(c) => (lines.of_code(c.as_str()), None),
        None => (
            lines.of_key(if field.is_empty() { "nodes" } else { field }),
            None,
        ),
    });
    match set {
        Some(set) => Ok(set),
        None => Err(errors),
    }
}

/// One node and its children; `place` describes it when it has no usable code.
fn node(y: &Y, place: &Problem, seen: &mut Seen, cx: &mut Ctx<'_>) -> Option<Draft> {
    let Y::Map(entries) = y else {
        cx.errors.push(ImportError::file(
            cx.file,
            Problem::new(codes::NODE_NOT_MAPPING)
                .part("criterion", place.clone())
                .part("kind", y.kind()),
        ));
        return None;
    };
    let get = |k: &str| entries.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    let code_text = get("code").and_then(Y::text).map(str::to_owned);
    let code = match code_text.as_deref().map(NodeCode::parse) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            let label = Label::Code(code_text.clone().unwrap_or_default());
            cx.node(
                &label,
                Problem::new(codes::NODE_CODE_INVALID).because(id_problem(&e)),
            );
            None
        }
        None => {
            cx.errors.push(ImportError::file(
                cx.file,
                Problem::new(codes::NODE_CODE_MISSING).part("criterion", place.clone()),
            ));
            None
        }
    };
    let label = code_text
        .clone()
        .map_or_else(|| Label::Place(place.clone()), Label::Code);
    let mut ok = code.is_some();
    if let Some(c) = &code
        && seen.first_row(c, 0).is_some()
    {
        cx.node(&label, Problem::new(codes::CODE_DUPLICATE));
        ok = false;
    }
    let mut keys_seen: Vec<&str> = Vec::new();
    for (k, _) in entries {
        if keys_seen.contains(&k.as_str()) {
            cx.node(&label, Problem::new(codes::KEY_TWICE).arg("key", k));
            ok = false;
        }
        keys_seen.push(k);
        if !NODE_KEYS.contains(&k.as_str()) {
            cx.node(
                &label,
                Problem::new(codes::KEY_INVALID)
                    .arg("key", k)
                    .arg("accepted", NODE_KEYS.join(", ")),
            );
            ok = false;
        }
    }
    let title = get("title").and_then(Y::text).map(str::to_owned);
    if title.is_none() {
        cx.node(&label, Problem::new(codes::NODE_TITLE_MISSING));
        ok = false;
    }
    let field = |k: &str, parse: &dyn Fn(&str) -> Result<(), Problem>, cx: &mut Ctx<'_>| {
        if let Some(v) = get(k) {
            match v {
                Y::Scalar(_) => {
                    if let Some(t) = v.text()
                        && let Err(e) = parse(t)
                    {
                        cx.node(&label, e);
                        return false;
                    }
                }
                other => {
                    cx.node(
                        &label,
                        Problem::new(codes::NOT_SINGLE_VALUE)
                            .arg("key", k)
                            .part("kind", other.kind()),
                    );
                    return false;
                }
            }
        }
        true
    };
    ok &= field("max", &|t| parse_max(t).map(|_| ()), cx);
    ok &= field("source", &|t| parse_source(t).map(|_| ()), cx);
    ok &= field("not_applicable", &|t| parse_na(t).map(|_| ()), cx);
    let max = get("max").and_then(Y::text).and_then(|t| parse_max(t).ok());
    let source = get("source")
        .and_then(Y::text)
        .and_then(|t| parse_source(t).ok());
    let not_applicable = get("not_applicable")
        .and_then(Y::text)
        .and_then(|t| parse_na(t).ok())
        .flatten();
    let method = match get("method") {
        Some(m) if !m.is_empty() => match method(m) {
            Ok(m) => Some(m),
            Err(errs) => {
                for e in errs {
                    cx.node(&label, e);
                }
                ok = false;
                None
            }
        },
        _ => None,
    };
    let mut children = Vec::new();
    match get("children") {
        Some(Y::Seq(items)) => {
            for (i, item) in items.iter().enumerate() {
                let place = label.put(
                    Problem::new(codes::AT_CHILD).arg("item", i + 1),
                    "criterion",
                );
                match node(item, &place, seen, cx) {
                    Some(d) => children.push(d),
                    None => ok = false,
                }
            }
        }
        Some(other) if !other.is_empty() => {
            cx.node(
                &label,
                Problem::new(codes::NOT_A_LIST)
                    .part("what", at("children"))
                    .part("kind", other.kind()),
            );
            ok = false;
        }
        _ => {}
    }
    if !ok {
        return None;
    }
    Some(Draft {
        code: code?,
        title: title?,
        max,
        source,
        method,
        rule: get("rule").and_then(Y::text).map(str::to_owned),
        evidence: get("evidence").and_then(Y::text).map(str::to_owned),
        not_applicable,
        children,
    })
}

/// The keys of a mapping at `what`, checked against `allowed`; unknown keys are reported.
fn keys<'y>(
    y: &'y Y,
    what: &Problem,
    allowed: &[&str],
    errors: &mut Vec<Problem>,
) -> Option<BTreeMap<&'y str, &'y Y>> {
    let Y::Map(entries) = y else {
        errors.push(
            Problem::new(codes::NOT_A_MAPPING)
                .part("what", what.clone())
                .arg("accepted", allowed.join(", "))
                .part("kind", y.kind()),
        );
        return None;
    };
    let mut out = BTreeMap::new();
    for (k, v) in entries {
        if !allowed.contains(&k.as_str()) {
            errors.push(
                Problem::new(codes::PLACE_KEY_INVALID)
                    .part("what", what.clone())
                    .arg("key", k)
                    .arg("accepted", allowed.join(", ")),
            );
        } else if out.insert(k.as_str(), v).is_some() {
            errors.push(
                Problem::new(codes::PLACE_KEY_TWICE)
                    .part("what", what.clone())
                    .arg("key", k),
            );
        }
    }
    Some(out)
}

/// A decimal under `key` of a mapping at `what`; missing is reported only when `required`.
fn dec_key(
    map: &BTreeMap<&str, &Y>,
    key: &str,
    what: &Problem,
    required: bool,
    errors: &mut Vec<Problem>,
) -> Option<rust_decimal::Decimal> {
    match map.get(key).and_then(|v| v.text()) {
        Some(t) => match decimal(t, codes::PLACE_NOT_NUMBER) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.push(e.part("what", what.clone()).arg("key", key));
                None
            }
        },
        None => {
            if required {
                errors.push(
                    Problem::new(codes::PLACE_KEY_MISSING)
                        .part("what", what.clone())
                        .arg("key", key),
                );
            }
            None
        }
    }
}

/// A method: a name for methods without parameters, or a one-key mapping `{name: params}`.
fn method(y: &Y) -> Result<Method, Vec<Problem>> {
    let mut errors = Vec::new();
    let (name, params) = match y {
        Y::Scalar(s) => (s.trim().to_owned(), None),
        Y::Map(entries) if entries.len() == 1 => (entries[0].0.clone(), Some(&entries[0].1)),
        Y::Map(_) => return Err(vec![Problem::new(codes::METHOD_ONE_KEY)]),
        Y::Seq(_) => return Err(vec![Problem::new(codes::METHOD_NOT_LIST)]),
    };
    let Some(canonical) = canonical_method(&name) else {
        return Err(vec![
            Problem::new(codes::METHOD_UNKNOWN)
                .arg("method", name)
                .arg("accepted", METHOD_NAMES),
        ]);
    };
    let params = params.filter(|p| !p.is_empty());
    let needs = |example: &str| {
        Problem::new(codes::METHOD_NEEDS_PARAMS)
            .arg("method", canonical)
            .arg("example", example)
    };
    let method = match (canonical, params) {
        ("yes_no", None) => Some(Method::YesNo),
        ("proportional", None) => Some(Method::Proportional),
        ("survey", None) => Some(Method::Survey),
        ("bonus", None) => Some(Method::Bonus),
        ("manual", None) => Some(Method::Manual { step: None }),
        ("graded", None) => Some(Method::Graded {
            grades: Method::default_grades(),
        }),
        ("yes_no" | "proportional" | "survey" | "bonus", Some(_)) => {
            errors.push(Problem::new(codes::METHOD_NO_PARAMS).arg("method", canonical));
            None
        }
        ("count", None) => {
            errors.push(needs("{count: {per: 0.5, cap: 2}}"));
            None
        }
        ("deduction", None) => {
            errors.push(needs("{deduction: {per: 0.5}}"));
            None
        }
        ("tiers", None) => {
            errors.push(needs(
                "{tiers: [{min: 100, points: 2}, {min: 0, points: 0}]}",
            ));
            None
        }
        ("days_late", None) => {
            errors.push(needs("{days_late: {deadline: 10/01/2024, tiers: [...]}}"));
            None
        }
        ("count", Some(p)) => {
            let what = at("count");
            keys(p, &what, &["per", "cap"], &mut errors).and_then(|m| {
                let per = dec_key(&m, "per", &what, true, &mut errors);
                let cap = dec_key(&m, "cap", &what, false, &mut errors);
                per.map(|per| Method::Count { per, cap })
            })
        }
        ("deduction", Some(p)) => {
            let what = at("deduction");
            keys(p, &what, &["per"], &mut errors)
                .and_then(|m| dec_key(&m, "per", &what, true, &mut errors))
                .map(|per| Method::Deduction { per })
        }
        ("manual", Some(p)) => {
            let what = at("manual");
            keys(p, &what, &["step"], &mut errors).map(|m| Method::Manual {
                step: dec_key(&m, "step", &what, false, &mut errors),
            })
        }
        ("graded", Some(Y::Scalar(s))) => {
            if s.trim().eq_ignore_ascii_case("default") {
                Some(Method::Graded {
                    grades: Method::default_grades(),
                })
            } else {
                errors.push(Problem::new(codes::GRADED_SCALAR_INVALID).arg("value", s));
                None
            }
        }
        ("graded", Some(Y::Seq(items))) => {
            grades(items, &mut errors).map(|grades| Method::Graded { grades })
        }
        ("graded", Some(other)) => {
            errors.push(Problem::new(codes::GRADED_NOT_LIST).part("kind", other.kind()));
            None
        }
        ("tiers", Some(Y::Seq(items))) => {
            tiers(items, "tiers", &mut errors).map(|tiers| Method::Tiers {
                basis: TierBasis::Percent,
                tiers,
            })
        }
        ("tiers", Some(p)) => keys(
            p,
            &at("tiers"),
            &["basis", "levels", "tiers", "deadline"],
            &mut errors,
        )
        .and_then(|m| tiers_map(&m, false, &mut errors)),
        ("days_late", Some(p)) => keys(
            p,
            &at("days_late"),
            &["deadline", "tiers", "levels"],
            &mut errors,
        )
        .and_then(|m| tiers_map(&m, true, &mut errors)),
        _ => None,
    };
    match method {
        Some(m) if errors.is_empty() => Ok(m),
        _ => {
            if errors.is_empty() {
                errors.push(Problem::new(codes::METHOD_PARAMS_INVALID).arg("method", canonical));
            }
            Err(errors)
        }
    }
}

/// `{basis, levels}` or `{deadline, tiers}`.
fn tiers_map(m: &BTreeMap<&str, &Y>, days_late: bool, errors: &mut Vec<Problem>) -> Option<Method> {
    let what = if days_late { "days_late" } else { "tiers" };
    let basis_text = m.get("basis").and_then(|b| b.text()).map(str::to_lowercase);
    let deadline = m.get("deadline").and_then(|d| d.text());
    let basis = match (deadline, basis_text.as_deref()) {
        (Some(d), None | Some("days_late")) => match parse_deadline(d) {
            Ok(deadline) => Some(TierBasis::DaysLate { deadline }),
            Err(e) => {
                errors.push(e);
                None
            }
        },
        (None, _) if days_late => {
            errors.push(Problem::new(codes::DAYS_LATE_DEADLINE_MISSING));
            None
        }
        (None, None) => Some(TierBasis::Percent),
        (d, Some(b)) => match parse_basis(b) {
            Some(basis) if d.is_none() => Some(basis),
            Some(_) => {
                errors
                    .push(Problem::new(codes::LEVELS_DEADLINE_ONLY_DAYS_LATE).arg("method", what));
                None
            }
            None => {
                errors.push(
                    Problem::new(codes::LEVELS_BASIS_INVALID)
                        .arg("method", what)
                        .arg("value", b),
                );
                None
            }
        },
    };
    let list = match (m.get("levels"), m.get("tiers")) {
        (Some(_), Some(_)) => {
            errors.push(Problem::new(codes::LEVELS_OR_TIERS).arg("method", what));
            return None;
        }
        (Some(l), None) | (None, Some(l)) => *l,
        (None, None) => {
            errors.push(Problem::new(codes::LEVELS_MISSING).arg("method", what));
            return None;
        }
    };
    let Y::Seq(items) = list else {
        errors.push(
            Problem::new(codes::LEVELS_NOT_LIST)
                .arg("method", what)
                .part("kind", list.kind()),
        );
        return None;
    };
    let tiers = tiers(items, what, errors)?;
    Some(Method::Tiers {
        basis: basis?,
        tiers,
    })
}

/// Level `i` (0-based) of the list at `what`.
fn level(what: &Problem, i: usize) -> Problem {
    Problem::new(codes::AT_LEVEL)
        .part("what", what.clone())
        .arg("item", i + 1)
}

/// `[{min, points, below?}, …]` of the method `what`.
fn tiers(items: &[Y], what: &str, errors: &mut Vec<Problem>) -> Option<Vec<Tier>> {
    let before = errors.len();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let w = level(&at(what), i);
        let Some(m) = keys(item, &w, &["min", "below", "points"], errors) else {
            continue;
        };
        let min = dec_key(&m, "min", &w, true, errors);
        let below = dec_key(&m, "below", &w, false, errors);
        let points = dec_key(&m, "points", &w, true, errors);
        if let (Some(min), Some(points)) = (min, points) {
            out.push(Tier { min, below, points });
        }
    }
    if items.is_empty() {
        errors.push(Problem::new(codes::LEVELS_EMPTY).arg("method", what));
    }
    (errors.len() == before).then_some(out)
}

/// `[{code, label?, percent}, …]`.
fn grades(items: &[Y], errors: &mut Vec<Problem>) -> Option<Vec<Grade>> {
    let before = errors.len();
    let defaults = Method::default_grades();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let w = level(&at("graded"), i);
        let Some(m) = keys(item, &w, &["code", "label", "percent"], errors) else {
            continue;
        };
        let code = m.get("code").and_then(|c| c.text());
        if code.is_none() {
            errors.push(
                Problem::new(codes::PLACE_KEY_MISSING)
                    .part("what", w.clone())
                    .arg("key", "code"),
            );
        }
        let percent = dec_key(&m, "percent", &w, true, errors);
        if let (Some(code), Some(percent)) = (code, percent) {
            let label = m
                .get("label")
                .and_then(|l| l.text())
                .map_or_else(|| default_label(&defaults, code), str::to_owned);
            out.push(Grade {
                code: code.to_owned(),
                label,
                percent,
            });
        }
    }
    if items.is_empty() {
        errors.push(Problem::new(codes::LEVELS_EMPTY).arg("method", "graded"));
    }
    (errors.len() == before).then_some(out)
}

/// `[{label, min}, …]` or `{default: [...], groups: {name: [...]}}`.
fn classes(y: &Y, cx: &mut Ctx<'_>) -> Option<ClassScheme> {
    let mut errors = Vec::new();
    let scheme = match y {
        Y::Seq(items) => bands(items, &at("classes"), &mut errors).map(|default| ClassScheme {
            default,
            groups: BTreeMap::new(),
        }),
        Y::Map(_) => keys(y, &at("classes"), &["default", "groups"], &mut errors).and_then(|m| {
            let default = match m.get("default") {
                Some(Y::Seq(items)) => bands(items, &at("classes.default"), &mut errors),
                Some(other) => {
                    errors.push(
                        Problem::new(codes::NOT_A_LIST)
                            .part("what", at("classes.default"))
                            .part("kind", other.kind()),
                    );
                    None
                }
                None => Some(ClassScheme::common_default().default),
            };
            let mut groups = GroupBands::new();
            match m.get("groups") {
                Some(Y::Map(entries)) => {
                    for (name, v) in entries {
                        let what = at(&format!("classes.groups.{name}"));
                        let g = match parse_group(name) {
                            Ok(g) => g,
                            Err(e) => {
                                errors.push(
                                    Problem::new(codes::PLACE_PROBLEM)
                                        .part("what", what)
                                        .because(e),
                                );
                                continue;
                            }
                        };
                        match v {
                            Y::Seq(items) => {
                                if let Some(b) = bands(items, &what, &mut errors) {
                                    groups.insert(g, b);
                                }
                            }
                            other => errors.push(
                                Problem::new(codes::NOT_A_LIST)
                                    .part("what", what)
                                    .part("kind", other.kind()),
                            ),
                        }
                    }
                }
                Some(other) if !other.is_empty() => {
                    errors.push(
                        Problem::new(codes::CLASSES_GROUPS_NOT_MAPPING).part("kind", other.kind()),
                    );
                }
                _ => {}
            }
            default.map(|default| ClassScheme { default, groups })
        }),
        other => {
            errors.push(Problem::new(codes::CLASSES_NOT_LIST).part("kind", other.kind()));
            None
        }
    };
    for e in errors {
        cx.top("classes", e);
    }
    scheme
}

fn bands(items: &[Y], what: &Problem, errors: &mut Vec<Problem>) -> Option<Vec<ClassBand>> {
    let before = errors.len();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let w = level(what, i);
        let Some(m) = keys(item, &w, &["label", "min"], errors) else {
            continue;
        };
        let label = m.get("label").and_then(|l| l.text()).unwrap_or("");
        let Some(min) = m.get("min").and_then(|l| l.text()) else {
            errors.push(
                Problem::new(codes::PLACE_KEY_MISSING)
                    .part("what", w)
                    .arg("key", "min"),
            );
            continue;
        };
        match band(label, min) {
            Ok(b) => out.push(b),
            Err(e) => errors.push(
                Problem::new(codes::PLACE_PROBLEM)
                    .part("what", w)
                    .because(e),
            ),
        }
    }
    (errors.len() == before).then_some(out)
}

/// `{ties: shared}`, `shared`, or `{tie_breakers: [{source: assessed}, {node: "1"}]}`.
fn ranking(y: &Y, cx: &mut Ctx<'_>) -> RankingRule {
    let mut errors = Vec::new();
    let mut rule = RankingRule::default();
    match y {
        Y::Scalar(_) if y.text().is_none_or(|t| t.eq_ignore_ascii_case("shared")) => {}
        Y::Map(_) => {
            if let Some(m) = keys(y, &at("ranking"), &["ties", "tie_breakers"], &mut errors) {
                if let Some(t) = m.get("ties").and_then(|t| t.text())
                    && !t.eq_ignore_ascii_case("shared")
                {
                    errors.push(Problem::new(codes::TIES_INVALID).arg("value", t));
                }
                match m.get("tie_breakers") {
                    Some(Y::Seq(items)) => {
                        for (i, item) in items.iter().enumerate() {
                            let w = Problem::new(codes::AT_ENTRY)
                                .part("what", at("ranking.tie_breakers"))
                                .arg("item", i + 1);
                            let Some(tb) = keys(item, &w, &["source", "node"], &mut errors) else {
                                continue;
                            };
                            if tb.len() != 1 {
                                errors
                                    .push(Problem::new(codes::TIE_BREAKER_ONE_KEY).part("what", w));
                                continue;
                            }
                            for (k, v) in tb {
                                match parse_tie_breaker(k, v.text().unwrap_or("")) {
                                    Ok(t) => rule.tie_breakers.push(t),
                                    Err(e) => errors.push(
                                        Problem::new(codes::PLACE_PROBLEM)
                                            .part("what", w.clone())
                                            .because(e),
                                    ),
                                }
                            }
                        }
                    }
                    Some(other) if !other.is_empty() => errors.push(
                        Problem::new(codes::NOT_A_LIST)
                            .part("what", at("ranking.tie_breakers"))
                            .part("kind", other.kind()),
                    ),
                    _ => {}
                }
            }
        }
        other => errors.push(Problem::new(codes::RANKING_INVALID).part("kind", other.kind())),
    }
    for e in errors {
        cx.top("ranking", e);
    }
    rule
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_written_text() {
        let budget = Budget::new();
        let y: Y = YSeed {
            free_keys: false,
            budget: &budget,
        }
        .deserialize(serde_yaml_ng::Deserializer::from_str(
            "code: 1.10\nmax: 0.1\nx: [1.10]\n",
        ))
        .unwrap();
        let Y::Map(e) = y else { panic!() };
        assert_eq!(e[0].1, Y::Scalar("1.10".into()));
        assert_eq!(e[1].1, Y::Scalar("0.1".into()));
    }

    #[test]
    fn node_lines_are_found_in_block_and_flow_style() {
        let lines = Lines {
            text: "nodes:\n  - code: \"1\"\n    children:\n      - {code: 1.1, title: A}\n",
        };
        assert_eq!(lines.of_code("1"), Some(2));
        assert_eq!(lines.of_code("1.1"), Some(4));
        assert_eq!(lines.of_code("2"), None);
    }
}
