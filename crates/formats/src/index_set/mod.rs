//! Index sets read from files: YAML (the authoring format) and a spreadsheet form (CSV or
//! XLSX, one row per node). Both build the same drafts, derive what may be left out (an inner
//! node's source and maximum), then run the set's validation so a file is either a whole valid
//! set or a full list of what to fix.

mod sheet;
mod yaml;
mod yaml_out;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chiso_domain::fmt::parse_date;
use chiso_domain::{
    ClassBand, ClassScheme, GroupName, IndexSet, Method, NaPolicy, Node, NodeCode, Points,
    RankingRule, SetCode, SetIssue, Source, TieBreaker,
};

use crate::codes;
use crate::error::{ImportError, ImportErrors, Problem, domain_problem, id_problem};
use crate::params::decimal;
use crate::table::{FileFormat, format_or_error, read_path};

pub use sheet::index_set_csv;
pub use yaml_out::{index_set_yaml, write_index_set_yaml};

/// Reads an index set from a `.yaml`/`.yml`, `.csv` or `.xlsx` file.
pub fn read_index_set(path: &Path) -> Result<IndexSet, ImportErrors> {
    let (name, bytes) = read_path(path)?;
    read_index_set_bytes(&name, &bytes)
}

/// Reads an index set from an uploaded file; the format follows the extension of `file_name`.
pub fn read_index_set_bytes(file_name: &str, bytes: &[u8]) -> Result<IndexSet, ImportErrors> {
    match format_or_error(
        file_name,
        bytes.len(),
        &[FileFormat::Yaml, FileFormat::Csv, FileFormat::Xlsx],
    )? {
        FileFormat::Yaml => yaml::read(file_name, bytes),
        FileFormat::Csv => sheet::read_csv(file_name, bytes),
        _ => sheet::read_xlsx(file_name, bytes),
    }
}

/// A node as read, before the tree is checked: inner nodes may omit their source and max.
#[derive(Debug, Clone)]
struct Draft {
    code: NodeCode,
    title: String,
    max: Option<Points>,
    source: Option<Source>,
    method: Option<Method>,
    rule: Option<String>,
    evidence: Option<String>,
    not_applicable: Option<NaPolicy>,
    children: Vec<Draft>,
}

impl Draft {
    /// Completes a checked draft: an inner node without a source takes the source most of its
    /// leaves have, and without a max the sum of its children's maxima.
    fn into_node(self) -> Node {
        let children: Vec<Node> = self.children.into_iter().map(Draft::into_node).collect();
        let source = self.source.unwrap_or_else(|| majority_source(&children));
        // As the set's validation counts it: bonus and deduction children sit on top of an
        // ordinary node's maximum; a bonus or deduction block is the sum of its children.
        let max = self.max.unwrap_or_else(|| {
            children
                .iter()
                .filter(|c| !source.counts_in_max() || c.source.counts_in_max())
                .map(|c| c.max)
                .sum()
        });
        Node {
            code: self.code,
            title: self.title,
            max,
            source,
            method: self.method,
            rule: self.rule,
            evidence: self.evidence,
            not_applicable: self.not_applicable,
            children,
        }
    }

    /// Every leaf must say its max, source and method, with parameters that fit its max; each
    /// problem is reported through `report(code, field, problem)`. `has_children` tells nodes
    /// whose children were dropped for their own errors, which are not leaves.
    fn check_leaves(
        &self,
        has_children: &dyn Fn(&NodeCode) -> bool,
        report: &mut dyn FnMut(&NodeCode, &str, Problem),
    ) {
        if self.children.is_empty() && !has_children(&self.code) {
            if self.max.is_none() {
                report(&self.code, "max", Problem::new(codes::LEAF_WITHOUT_MAX));
            }
            if self.source.is_none() {
                report(
                    &self.code,
                    "source",
                    Problem::new(codes::LEAF_WITHOUT_SOURCE),
                );
            }
            match (&self.method, self.max) {
                (None, _) => {
                    report(
                        &self.code,
                        "method",
                        Problem::new(codes::LEAF_WITHOUT_METHOD),
                    );
                }
                (Some(m), Some(max)) => {
                    if let Err(e) = m.validate(max) {
                        report(&self.code, "params", domain_problem(e));
                    }
                }
                (Some(_), None) => {}
            }
        }
        for c in &self.children {
            c.check_leaves(has_children, report);
        }
    }
}

/// The source most leaves under `children` have; on a tie, the first such leaf's.
fn majority_source(children: &[Node]) -> Source {
    let mut counts: Vec<(Source, usize)> = Vec::new();
    for leaf in children.iter().flat_map(Node::walk).filter(|n| n.is_leaf()) {
        match counts.iter_mut().find(|(s, _)| *s == leaf.source) {
            Some((_, n)) => *n += 1,
            None => counts.push((leaf.source, 1)),
        }
    }
    let mut best: Option<(Source, usize)> = None;
    for (s, n) in counts {
        if best.is_none_or(|(_, b)| n > b) {
            best = Some((s, n));
        }
    }
    best.map_or(Source::Assessed, |(s, _)| s)
}

/// The set-level fields, as read.
#[derive(Debug, Clone, Default)]
struct Meta {
    code: Option<SetCode>,
    name: Option<String>,
    year: Option<i32>,
    decision: Option<String>,
    classes: Option<ClassScheme>,
    ranking: RankingRule,
    renormalise: bool,
}

impl Meta {
    /// Checks the required fields; `report(key, problem)`.
    fn require(&self, report: &mut dyn FnMut(&str, Problem)) {
        if self.code.is_none() {
            report("code", Problem::new(codes::SET_CODE_MISSING));
        }
        if self.name.is_none() {
            report("name", Problem::new(codes::SET_NAME_MISSING));
        }
        if self.year.is_none() {
            report("year", Problem::new(codes::SET_YEAR_MISSING));
        }
    }
}

/// Parses a set code.
fn parse_set_code(raw: &str) -> Result<SetCode, Problem> {
    SetCode::parse(raw).map_err(|e| Problem::new(codes::SET_CODE_INVALID).because(id_problem(&e)))
}

/// Parses a year between 1990 and 2200.
fn parse_year(raw: &str) -> Result<i32, Problem> {
    match raw.trim().parse::<i32>() {
        Ok(y) if (1990..=2200).contains(&y) => Ok(y),
        _ => Err(Problem::new(codes::YEAR_INVALID).arg("value", raw.trim())),
    }
}

/// `true`/`false` and the Vietnamese `có`/`không`.
fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "có" | "co" | "x" | "1" => Some(true),
        "false" | "no" | "n" | "không" | "khong" | "0" | "" => Some(false),
        _ => None,
    }
}

/// `exclude` / `full_points` and their Vietnamese names; empty means "not allowed".
fn parse_na(raw: &str) -> Result<Option<NaPolicy>, Problem> {
    match raw.trim().to_lowercase().replace(' ', "_").as_str() {
        "" | "~" | "null" | "none" | "không_cho_phép" => Ok(None),
        "exclude" | "loại_trừ" | "không_tính" | "không_tính_điểm_tối_đa" => {
            Ok(Some(NaPolicy::Exclude))
        }
        "full_points" | "full" | "đủ_điểm" | "điểm_tối_đa" | "được_điểm_tối_đa" => {
            Ok(Some(NaPolicy::FullPoints))
        }
        _ => Err(Problem::new(codes::NA_INVALID).arg("value", raw.trim())),
    }
}

/// A source name.
fn parse_source(raw: &str) -> Result<Source, Problem> {
    Source::parse(raw).ok_or_else(|| Problem::new(codes::SOURCE_INVALID).arg("value", raw.trim()))
}

/// A non-negative maximum.
fn parse_max(raw: &str) -> Result<Points, Problem> {
    decimal(raw, codes::MAX_NOT_NUMBER).map(Points::new)
}

/// One class band from its label and lower bound text.
fn band(label: &str, min: &str) -> Result<ClassBand, Problem> {
    let label = label.trim();
    if label.is_empty() {
        return Err(Problem::new(codes::BAND_LABEL_MISSING));
    }
    let min = decimal(min, codes::BAND_MIN_NOT_NUMBER).map_err(|p| p.arg("label", label))?;
    Ok(ClassBand {
        label: label.to_owned(),
        min,
    })
}

/// Compact bands `Xuất sắc:90|Tốt:80|Khá:70|Trung bình:50|Yếu:0`.
fn parse_bands(raw: &str) -> Result<Vec<ClassBand>, Vec<Problem>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for item in raw.split('|').map(str::trim).filter(|s| !s.is_empty()) {
        match item.rsplit_once(':') {
            Some((label, min)) => match band(label, min) {
                Ok(b) => out.push(b),
                Err(e) => errors.push(e),
            },
            None => errors.push(Problem::new(codes::BAND_MALFORMED).arg("item", item)),
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(Problem::new(codes::BANDS_EMPTY));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A tie-breaker: a source name (`assessed`) or a node code (`1`, `node=1`).
fn parse_tie_breaker(kind: &str, value: &str) -> Result<TieBreaker, Problem> {
    match kind {
        "source" => parse_source(value).map(TieBreaker::SourcePoints),
        "node" => NodeCode::parse(value)
            .map(TieBreaker::NodePoints)
            .map_err(|e| Problem::new(codes::TIE_BREAKER_NODE_INVALID).because(id_problem(&e))),
        _ => Err(Problem::new(codes::TIE_BREAKER_KIND_INVALID).arg("kind", kind)),
    }
}

/// A date for a deadline.
fn parse_deadline(raw: &str) -> Result<time::Date, Problem> {
    parse_date(raw).ok_or_else(|| Problem::new(codes::DEADLINE_INVALID).arg("value", raw.trim()))
}

/// Where an issue about a node (or the set, with `None`) and one of its fields was written:
/// the row and the column to name in the error.
type Locate<'a> = dyn Fn(Option<&NodeCode>, &str) -> (Option<usize>, Option<String>) + 'a;

/// Assembles the set from checked drafts and metadata, validates it and turns every issue into
/// an error placed by `locate(code) -> (row, column for a field)`.
fn finish(
    file: &str,
    meta: Meta,
    drafts: Vec<Draft>,
    errors: &mut ImportErrors,
    locate: &Locate<'_>,
) -> Option<IndexSet> {
    if !errors.is_empty() {
        return None;
    }
    let (Some(code), Some(name), Some(year)) = (meta.code, meta.name, meta.year) else {
        return None;
    };
    let set = IndexSet {
        code,
        name,
        year,
        decision: meta.decision,
        classes: meta.classes.unwrap_or_else(ClassScheme::common_default),
        ranking: meta.ranking,
        renormalise_absent_areas: meta.renormalise,
        nodes: drafts.into_iter().map(Draft::into_node).collect(),
    };
    for issue in set.validate().err().unwrap_or_default() {
        let (node, field) = issue_place(&issue);
        let (row, column) = locate(node, field);
        errors.push(ImportError::at(file, row, column, domain_problem(&issue)));
    }
    errors.is_empty().then_some(set)
}

/// The node and the field an issue is about, to point at the right cell.
fn issue_place(issue: &SetIssue) -> (Option<&NodeCode>, &'static str) {
    match issue {
        SetIssue::DuplicateCode(c) => (Some(c), "code"),
        SetIssue::MaxNotSum { code, .. } => (Some(code), "max"),
        SetIssue::NegativeMax(c) => (Some(c), "max"),
        SetIssue::CodeNotUnderParent { child, .. } => (Some(child), "code"),
        SetIssue::LeafWithoutMethod(c) | SetIssue::InnerWithMethod(c) => (Some(c), "method"),
        SetIssue::BadMethod { code, .. } => (Some(code), "params"),
        SetIssue::BadClasses(_) => (None, "classes"),
        SetIssue::Empty => (None, ""),
        SetIssue::AreaCodeNotTopLevel(c) => (Some(c), "code"),
        SetIssue::UnknownTieBreaker(_) => (None, "ranking"),
        SetIssue::SourceNotAsBlock { child, .. } => (Some(child), "source"),
    }
}

/// Codes already seen, to report duplicates where they occur.
#[derive(Debug, Default)]
struct Seen(HashMap<NodeCode, usize>);

impl Seen {
    /// Records `code` at `row`; returns the first row when it was seen before.
    fn first_row(&mut self, code: &NodeCode, row: usize) -> Option<usize> {
        match self.0.get(code) {
            Some(first) => Some(*first),
            None => {
                self.0.insert(code.clone(), row);
                None
            }
        }
    }
}

/// Groups with their own class bands, kept in name order as the domain model does.
type GroupBands = BTreeMap<GroupName, Vec<ClassBand>>;

/// Parses a group name for per-group bands.
fn parse_group(raw: &str) -> Result<GroupName, Problem> {
    GroupName::parse(raw).map_err(|e| Problem::new(codes::GROUP_INVALID).because(id_problem(&e)))
}
