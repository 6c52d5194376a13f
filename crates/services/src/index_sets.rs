//! Index sets: who may read and who may change them (decided by the domain's matrix), the list
//! with the periods using each set, one set with its state, its YAML text, importing a file and
//! freezing. A set a period uses, or one frozen explicitly, is read-only everywhere: the web
//! page and the command line refuse to replace it alike, since a period's scores must always be
//! read with the set they were entered under.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::Path;

use chiso_domain::authz::{self, Action, Principal, Resource};
use chiso_domain::fmt::{vi_date, vi_plain};
use chiso_domain::{
    DatedRule, IndexSet, Method, NaPolicy, Node, NodeCode, PeriodCode, Points, SetCode, SetIssue,
    ShiftedRule, Source,
};
use chiso_store::index_sets::{self, SetUse};
use chiso_store::{Actor, Db, IndexSetSummary, StoreError};
use time::OffsetDateTime;

use crate::authz::authorize;
use crate::codes;
use crate::error::{Detail, Problem, ServiceError, ServiceResult};

/// What a person may do with index sets, returned with what they read so that pages need not
/// ask the authorization matrix again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetAccess {
    /// Import, clone, edit drafts, freeze (the administrator).
    Manage,
    /// Browse and download only (an observer or council chair of every period).
    Read,
}

impl SetAccess {
    /// True for [`SetAccess::Manage`].
    pub fn manage(self) -> bool {
        self == SetAccess::Manage
    }
}

/// The access of `principal`, or the reason it has none. Managing needs
/// [`Action::ManageIndexSets`]; reading is also open to whoever may view every assessment
/// ([`Action::ViewAssessment`] on the whole system), since the sets are what the assessments
/// are scored under. Roles held for one period or one unit do not reach the system.
pub fn access(principal: &Principal) -> ServiceResult<SetAccess> {
    if authz::can(principal, Action::ManageIndexSets, &Resource::System) {
        return Ok(SetAccess::Manage);
    }
    authorize(principal, Action::ViewAssessment, &Resource::System)?;
    Ok(SetAccess::Read)
}

fn require_manage(principal: &Principal) -> ServiceResult<()> {
    authorize(principal, Action::ManageIndexSets, &Resource::System)
}

fn actor(principal: &Principal) -> Actor {
    Actor(principal.login.clone())
}

fn not_found(code: &SetCode) -> ServiceError {
    ServiceError::new(codes::SET_NOT_FOUND).arg("set", code)
}

/// The refusal for a set that may not change: in use by periods (named), or frozen.
pub fn locked_error(code: &SetCode, state: &SetUse) -> ServiceError {
    if state.periods.is_empty() {
        ServiceError::new(codes::SET_FROZEN).arg("set", code)
    } else {
        let periods: Vec<String> = state.periods.iter().map(ToString::to_string).collect();
        ServiceError::new(codes::SET_IN_USE)
            .arg("set", code)
            .arg("periods", periods.join(", "))
    }
}

/// One line of the list of sets.
#[derive(Debug, Clone)]
pub struct SetListItem {
    /// Code, name, year, frozen.
    pub summary: IndexSetSummary,
    /// Periods scored with the set, newest first.
    pub periods: Vec<PeriodCode>,
}

/// The list of sets with what the reader may do.
#[derive(Debug, Clone)]
pub struct SetList {
    /// Every set, newest year first.
    pub items: Vec<SetListItem>,
    /// What the reader may do with them.
    pub access: SetAccess,
}

/// Every set with the periods that use it, newest year first.
pub async fn list(db: &Db, principal: &Principal) -> ServiceResult<SetList> {
    let access = access(principal)?;
    let summaries = index_sets::list(db).await?;
    let mut used: BTreeMap<SetCode, Vec<PeriodCode>> = BTreeMap::new();
    for (set, period) in index_sets::usage(db).await? {
        used.entry(set).or_default().push(period);
    }
    let items = summaries
        .into_iter()
        .map(|summary| SetListItem {
            periods: used.remove(&summary.code).unwrap_or_default(),
            summary,
        })
        .collect();
    Ok(SetList { items, access })
}

/// A set with its state and what the reader may do with it.
#[derive(Debug, Clone)]
pub struct LoadedSet {
    /// The whole tree.
    pub set: IndexSet,
    /// Frozen, and the periods using it.
    pub state: SetUse,
    /// What the reader may do.
    pub access: SetAccess,
}

impl LoadedSet {
    /// Frozen, or used by a period.
    pub fn locked(&self) -> bool {
        self.state.locked()
    }

    /// The reader may change this set now: manages sets and the set is a draft.
    pub fn editable(&self) -> bool {
        self.access.manage() && !self.locked()
    }
}

/// One set, or `set_not_found`.
pub async fn load(db: &Db, principal: &Principal, code: &SetCode) -> ServiceResult<LoadedSet> {
    let access = access(principal)?;
    let (set, state) = read(db, code).await?;
    Ok(LoadedSet { set, state, access })
}

async fn read(db: &Db, code: &SetCode) -> ServiceResult<(IndexSet, SetUse)> {
    let set = index_sets::get(db, code)
        .await?
        .ok_or_else(|| not_found(code))?;
    let state = index_sets::set_use(db, code)
        .await?
        .ok_or_else(|| not_found(code))?;
    Ok((set, state))
}

/// A set to change: manageable by `principal`, stored, and not locked.
pub async fn draft(db: &Db, principal: &Principal, code: &SetCode) -> ServiceResult<IndexSet> {
    require_manage(principal)?;
    let (set, state) = read(db, code).await?;
    if state.locked() {
        return Err(locked_error(code, &state));
    }
    Ok(set)
}

/// The YAML text of a set, as the importer reads it back.
pub async fn yaml(db: &Db, principal: &Principal, code: &SetCode) -> ServiceResult<String> {
    let loaded = load(db, principal, code).await?;
    Ok(chiso_formats::index_set_yaml(&loaded.set))
}

/// The problems that make a set invalid, each as a code naming the criterion at fault (with
/// points in Vietnamese notation); empty for a valid set.
pub fn issues(set: &IndexSet) -> Vec<Problem> {
    set.validate()
        .err()
        .unwrap_or_default()
        .iter()
        .map(issue_problem)
        .collect()
}

/// Refuses a set that does not validate: `set_invalid` with every problem ([`issues`]).
pub fn validated(set: &IndexSet) -> ServiceResult<()> {
    let found = issues(set);
    if found.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::new(codes::SET_INVALID)
            .arg("count", found.len())
            .detail(Detail::Problems(found)))
    }
}

/// One validation issue of the domain as a code with its arguments.
pub fn issue_problem(issue: &SetIssue) -> Problem {
    match issue {
        SetIssue::DuplicateCode(c) => Problem::new(codes::SET_ISSUE_DUPLICATE_CODE).arg("code", c),
        SetIssue::MaxNotSum { code, max, sum } => Problem::new(codes::SET_ISSUE_MAX_NOT_SUM)
            .arg("code", code)
            .arg("max", vi_plain(max.value()))
            .arg("sum", vi_plain(sum.value())),
        SetIssue::NegativeMax(c) => Problem::new(codes::SET_ISSUE_NEGATIVE_MAX).arg("code", c),
        SetIssue::CodeNotUnderParent { parent, child } => {
            Problem::new(codes::SET_ISSUE_CODE_NOT_UNDER_PARENT)
                .arg("code", child)
                .arg("parent", parent)
        }
        SetIssue::LeafWithoutMethod(c) => {
            Problem::new(codes::SET_ISSUE_LEAF_WITHOUT_METHOD).arg("code", c)
        }
        SetIssue::InnerWithMethod(c) => {
            Problem::new(codes::SET_ISSUE_INNER_WITH_METHOD).arg("code", c)
        }
        SetIssue::BadMethod { code, message } => Problem::new(codes::SET_ISSUE_BAD_METHOD)
            .arg("code", code)
            .arg("message", message),
        SetIssue::BadClasses(message) => {
            Problem::new(codes::SET_ISSUE_BAD_CLASSES).arg("message", message)
        }
        SetIssue::Empty => Problem::new(codes::SET_ISSUE_EMPTY),
        SetIssue::AreaCodeNotTopLevel(c) => {
            Problem::new(codes::SET_ISSUE_AREA_CODE_NOT_TOP_LEVEL).arg("code", c)
        }
        SetIssue::UnknownTieBreaker(c) => {
            Problem::new(codes::SET_ISSUE_UNKNOWN_TIE_BREAKER).arg("code", c)
        }
        SetIssue::SourceNotAsBlock { parent, child } => {
            Problem::new(codes::SET_ISSUE_SOURCE_NOT_AS_BLOCK)
                .arg("code", child)
                .arg("parent", parent)
        }
    }
}

/// Import an index set from a file's bytes (YAML, CSV or XLSX by the file name's extension).
#[derive(Debug, Clone)]
pub struct ImportIndexSet {
    /// The file's name as uploaded or given; its extension picks the format, and problems
    /// name it.
    pub file_name: String,
    /// The content.
    pub bytes: Vec<u8>,
    /// Replace the stored set of the same code, which must still be a draft.
    pub replace: bool,
}

impl ImportIndexSet {
    /// Reads the file at `path` within the readers' size bound (a larger file is refused by
    /// the reader as too large, not read whole into memory).
    pub fn from_path(path: &Path, replace: bool) -> ServiceResult<Self> {
        let (file_name, bytes) = read_upload(path)?;
        Ok(ImportIndexSet {
            file_name,
            bytes,
            replace,
        })
    }
}

/// The name and content of the file at `path`, read within the readers' size bound (a larger
/// file is refused by the reader as too large, not read whole into memory); for adapters that
/// take files from disk rather than uploads.
pub fn read_upload(path: &Path) -> ServiceResult<(String, Vec<u8>)> {
    let file_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut bytes = Vec::new();
    let limit = u64::try_from(chiso_formats::limits::MAX_FILE_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    std::fs::File::open(path)
        .and_then(|f| f.take(limit).read_to_end(&mut bytes))
        .map_err(|e| {
            ServiceError::new(codes::FILE_UNREADABLE)
                .arg("file", path.display())
                .arg("reason", format!("{:?}", e.kind()))
                .source(e)
        })?;
    Ok((file_name, bytes))
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetImported {
    /// The set's code.
    pub code: SetCode,
    /// The set's name.
    pub name: String,
    /// A stored draft of the same code was replaced.
    pub replaced: bool,
}

/// Imports an index set from a file. The file is read and the whole set validated first; with
/// any problem nothing is stored (`file_invalid` with every problem). A set whose code exists
/// is only replaced when `replace` is asked for (`set_exists` otherwise) and the stored set is
/// still a draft: one used by a period is refused with `set_in_use`, a frozen one with
/// `set_frozen`, even when the file is identical (as the web page always did). Replacing a
/// draft with an identical file changes nothing and records nothing.
#[tracing::instrument(skip_all, fields(file = %cmd.file_name))]
pub async fn import(
    db: &Db,
    principal: &Principal,
    cmd: &ImportIndexSet,
    at: OffsetDateTime,
) -> ServiceResult<SetImported> {
    require_manage(principal)?;
    let file_name = cmd.file_name.trim();
    if file_name.is_empty() || cmd.bytes.is_empty() {
        return Err(ServiceError::new(codes::SET_FILE_MISSING));
    }
    let set = chiso_formats::read_index_set_bytes(file_name, &cmd.bytes)?;
    let reason = format!("nhập từ tệp {file_name}");
    let code = set.code.clone();
    let exists = index_sets::set_use(db, &code).await?;
    let replaced = exists.is_some();
    let written = match exists {
        None => index_sets::create(db, &set, &actor(principal), at, Some(&reason)).await,
        Some(_) if !cmd.replace => {
            return Err(ServiceError::new(codes::SET_EXISTS).arg("set", &code));
        }
        Some(state) if state.locked() => return Err(locked_error(&code, &state)),
        Some(_) => index_sets::update_draft(db, &set, &actor(principal), at, Some(&reason)).await,
    };
    match written {
        Ok(()) => Ok(SetImported {
            code,
            name: set.name,
            replaced,
        }),
        // Frozen or taken in between: say so as if it had been so before.
        Err(StoreError::Frozen(_)) => Err(ServiceError::new(codes::SET_FROZEN).arg("set", &code)),
        Err(StoreError::Conflict(_)) => Err(ServiceError::new(codes::SET_EXISTS).arg("set", &code)),
        Err(e) => Err(e.into()),
    }
}

/// Name, year and decision of a set, as checked by the form that typed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetInfo {
    /// Name shown everywhere.
    pub name: String,
    /// Year the set applies to.
    pub year: i32,
    /// The decision that issued it, if any.
    pub decision: Option<String>,
}

/// Copy `from` (usually last year's set, frozen or not) into a new draft `code` with its own
/// name, year and decision, ready to be edited for the new year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneSet {
    /// The set copied.
    pub from: SetCode,
    /// The new draft's code, not taken yet.
    pub code: SetCode,
    /// The new draft's name, year and decision.
    pub info: SetInfo,
    /// Move the dated rules (report deadlines) by the difference between the new year and
    /// the source's year; otherwise they keep the source's days.
    pub shift_dates: bool,
}

impl CloneSet {
    /// What the forms offer by default: shift the dated rules when the years differ, since a
    /// deadline of last year makes every report of the new year late.
    pub fn shift_by_default(source_year: i32, new_year: i32) -> bool {
        source_year != new_year
    }
}

/// What a clone did with the source's dated rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCloned {
    /// The new draft's code.
    pub code: SetCode,
    /// Years the dated rules moved (0 when they were kept).
    pub years: i32,
    /// The dated rules moved, with their old and new days.
    pub shifted: Vec<ShiftedRule>,
    /// The dated rules that kept the source's days.
    pub kept: Vec<DatedRule>,
}

/// Clones a set into a new draft: `set_code_taken` when the code exists, `set_invalid` when
/// the copy would not validate, `invalid_field` (year) when a dated rule cannot move that
/// far. With [`CloneSet::shift_dates`] the dated rules move by the difference of years
/// ([`IndexSet::shift_dates`]); audited with where it came from and what happened to them.
#[tracing::instrument(skip_all, fields(from = %cmd.from, set = %cmd.code))]
pub async fn clone_set(
    db: &Db,
    principal: &Principal,
    cmd: &CloneSet,
    at: OffsetDateTime,
) -> ServiceResult<SetCloned> {
    require_manage(principal)?;
    let (source, _) = read(db, &cmd.from).await?;
    let taken = || ServiceError::new(codes::SET_CODE_TAKEN).arg("set", &cmd.code);
    if index_sets::set_use(db, &cmd.code).await?.is_some() {
        return Err(taken());
    }
    let years = if cmd.shift_dates {
        cmd.info.year.saturating_sub(source.year)
    } else {
        0
    };
    let mut set = IndexSet {
        code: cmd.code.clone(),
        name: cmd.info.name.clone(),
        year: cmd.info.year,
        decision: cmd.info.decision.clone(),
        ..source
    };
    let (shifted, kept) = if years == 0 {
        (Vec::new(), set.dated_rules())
    } else {
        let shifted = set.shift_dates(years).map_err(|e| {
            ServiceError::new(codes::INVALID_FIELD)
                .arg("field", "year")
                .arg("value", cmd.info.year)
                .source(e)
        })?;
        (shifted, Vec::new())
    };
    validated(&set)?;
    let reason = clone_reason(&cmd.from, years, &shifted, &kept);
    match index_sets::create(db, &set, &actor(principal), at, Some(&reason)).await {
        Ok(()) => Ok(SetCloned {
            code: cmd.code.clone(),
            years,
            shifted,
            kept,
        }),
        Err(StoreError::Conflict(_)) => Err(taken()),
        Err(e) => Err(e.into()),
    }
}

/// The audit log's reason for a clone: the source, and the dated rules moved (each with its
/// old and new day) or kept.
fn clone_reason(from: &SetCode, years: i32, shifted: &[ShiftedRule], kept: &[DatedRule]) -> String {
    let mut reason = format!("nhân bản từ bộ chỉ số {from}");
    if !shifted.is_empty() {
        let list: Vec<String> = shifted
            .iter()
            .map(|r| format!("{} {} → {}", r.code, vi_date(r.from), vi_date(r.to)))
            .collect();
        reason.push_str(&format!(
            "; dời {} tiêu chí có ngày {years} năm ({})",
            shifted.len(),
            list.join(", ")
        ));
    }
    if !kept.is_empty() {
        let list: Vec<String> = kept
            .iter()
            .map(|r| format!("{} {}", r.code, vi_date(r.date)))
            .collect();
        reason.push_str(&format!(
            "; giữ nguyên ngày của {} tiêu chí ({})",
            kept.len(),
            list.join(", ")
        ));
    }
    reason
}

/// Change a draft's name, year and decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditSetInfo {
    /// The draft.
    pub set: SetCode,
    /// Its new name, year and decision.
    pub info: SetInfo,
}

/// Changes a draft's name, year and decision; a set in use or frozen is refused.
#[tracing::instrument(skip_all, fields(set = %cmd.set))]
pub async fn edit_info(
    db: &Db,
    principal: &Principal,
    cmd: &EditSetInfo,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    let mut set = draft(db, principal, &cmd.set).await?;
    set.name.clone_from(&cmd.info.name);
    set.year = cmd.info.year;
    set.decision.clone_from(&cmd.info.decision);
    save_draft(db, principal, &set, "sửa thông tin chung", at).await
}

/// Validates and stores a changed draft, with `reason` in the audit log.
pub async fn save_draft(
    db: &Db,
    principal: &Principal,
    set: &IndexSet,
    reason: &str,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    require_manage(principal)?;
    validated(set)?;
    index_sets::update_draft(db, set, &actor(principal), at, Some(reason))
        .await
        .map_err(|e| match e {
            StoreError::Frozen(_) => ServiceError::new(codes::SET_FROZEN).arg("set", &set.code),
            StoreError::NotFound(_) => not_found(&set.code),
            e => e.into(),
        })
}

/// The node `code` of a tree, to change it.
pub use chiso_domain::indexset::find_in_mut as find_mut;

/// The bonus and deduction blocks whose maximum is the sum of their children (no cap below
/// it): they keep following the sum when a child changes, while a capped block keeps its cap.
pub fn uncapped_blocks(set: &IndexSet) -> HashSet<NodeCode> {
    set.walk()
        .into_iter()
        .filter(|n| !n.is_leaf() && !n.source.counts_in_max())
        .filter(|n| n.max == n.children.iter().map(|c| c.max).sum())
        .map(|n| n.code.clone())
        .collect()
}

/// The maximum an inner node must have for its children, as the set's validation counts it.
fn summed(n: &Node, uncapped: &HashSet<NodeCode>) -> Points {
    if n.source.counts_in_max() {
        n.children
            .iter()
            .filter(|c| c.source.counts_in_max())
            .map(|c| c.max)
            .sum()
    } else {
        let sum: Points = n.children.iter().map(|c| c.max).sum();
        if uncapped.contains(&n.code) {
            sum
        } else {
            n.max.min(sum)
        }
    }
}

/// Recomputes the maximum of the node `code` (when it has children) and of every node above
/// it. Returns false when there is no such node.
pub fn resum(nodes: &mut [Node], code: &NodeCode, uncapped: &HashSet<NodeCode>) -> bool {
    for n in nodes.iter_mut() {
        if &n.code == code || resum(&mut n.children, code, uncapped) {
            if !n.children.is_empty() {
                n.max = summed(n, uncapped);
            }
            return true;
        }
    }
    false
}

/// A criterion's fields once parsed: title, maximum, source, rule text, evidence requirement,
/// and for a leaf its method and not-applicable policy (ignored for a criterion with
/// children, whose points come from them).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeEdit {
    /// The criterion's text.
    pub title: String,
    /// Its maximum.
    pub max: Points,
    /// Where its points come from.
    pub source: Source,
    /// A leaf's scoring method.
    pub method: Option<Method>,
    /// How the points are counted, in words.
    pub rule: Option<String>,
    /// The evidence required.
    pub evidence: Option<String>,
    /// A leaf's policy when it does not apply to a unit.
    pub not_applicable: Option<NaPolicy>,
}

/// Change criterion `node` of draft `set`; with `propagate`, the maxima above it follow.
#[derive(Debug, Clone, PartialEq)]
pub struct EditNode {
    /// The draft.
    pub set: SetCode,
    /// The criterion changed.
    pub node: NodeCode,
    /// Its new fields.
    pub edit: NodeEdit,
    /// Recompute the maxima above it.
    pub propagate: bool,
}

/// Edits one criterion of a draft: `set_node_not_found` when there is no such criterion; the
/// changed set must still validate (`set_invalid`).
#[tracing::instrument(skip_all, fields(set = %cmd.set, node = %cmd.node))]
pub async fn edit_node(
    db: &Db,
    principal: &Principal,
    cmd: &EditNode,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    let mut set = draft(db, principal, &cmd.set).await?;
    let uncapped = uncapped_blocks(&set);
    let target = find_mut(&mut set.nodes, &cmd.node).ok_or_else(|| {
        ServiceError::new(codes::SET_NODE_NOT_FOUND)
            .arg("set", &cmd.set)
            .arg("node", &cmd.node)
    })?;
    let e = &cmd.edit;
    target.title.clone_from(&e.title);
    target.max = e.max;
    target.source = e.source;
    target.rule.clone_from(&e.rule);
    target.evidence.clone_from(&e.evidence);
    if target.is_leaf() {
        target.method.clone_from(&e.method);
        target.not_applicable = e.not_applicable;
    }
    if cmd.propagate
        && let Some(parent) = cmd.node.parent()
    {
        resum(&mut set.nodes, &parent, &uncapped);
    }
    save_draft(
        db,
        principal,
        &set,
        &format!("sửa tiêu chí {}", cmd.node),
        at,
    )
    .await
}

/// Why `code` cannot be a new criterion under `parent` (an area when `None`) of `set`: it
/// must sit directly under its parent (`set_node_code_not_under`, `set_node_code_not_area`)
/// and be free (`set_issue_duplicate_code`); each problem names the `code` field first.
pub fn check_new_code(
    set: &IndexSet,
    parent: Option<&NodeCode>,
    code: &NodeCode,
) -> Option<Problem> {
    if code.parent().as_ref() != parent {
        Some(match parent {
            Some(p) => Problem::new(codes::SET_NODE_CODE_NOT_UNDER)
                .arg("field", "code")
                .arg("code", code)
                .arg("parent", p),
            None => Problem::new(codes::SET_NODE_CODE_NOT_AREA)
                .arg("field", "code")
                .arg("code", code),
        })
    } else if set.find(code).is_some() {
        Some(
            Problem::new(codes::SET_ISSUE_DUPLICATE_CODE)
                .arg("field", "code")
                .arg("code", code),
        )
    } else {
        None
    }
}

/// Add leaf `code` under `parent` (a new area when `None`) of draft `set`; with `propagate`,
/// the maxima above it follow.
#[derive(Debug, Clone, PartialEq)]
pub struct AddNode {
    /// The draft.
    pub set: SetCode,
    /// The criterion it goes under; none for a new area.
    pub parent: Option<NodeCode>,
    /// The new leaf's code.
    pub code: NodeCode,
    /// Its fields.
    pub edit: NodeEdit,
    /// Recompute the maxima above it.
    pub propagate: bool,
}

/// Adds a leaf to a draft. A parent that was a leaf becomes a criterion with children and
/// loses its method, which now belongs to its leaves. Refused with `set_node_not_found` for
/// a missing parent, `set_node_refused` when the code is wrong ([`check_new_code`]), and
/// `set_invalid` when the changed set does not validate.
#[tracing::instrument(skip_all, fields(set = %cmd.set, node = %cmd.code))]
pub async fn add_node(
    db: &Db,
    principal: &Principal,
    cmd: &AddNode,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    let mut set = draft(db, principal, &cmd.set).await?;
    let missing = |node: &NodeCode| {
        ServiceError::new(codes::SET_NODE_NOT_FOUND)
            .arg("set", &cmd.set)
            .arg("node", node)
    };
    if let Some(parent) = &cmd.parent
        && set.find(parent).is_none()
    {
        return Err(missing(parent));
    }
    if let Some(problem) = check_new_code(&set, cmd.parent.as_ref(), &cmd.code) {
        return Err(ServiceError::new(codes::SET_NODE_REFUSED)
            .arg("count", 1)
            .detail(Detail::Problems(vec![problem])));
    }
    let uncapped = uncapped_blocks(&set);
    let e = &cmd.edit;
    let leaf = Node {
        code: cmd.code.clone(),
        title: e.title.clone(),
        max: e.max,
        source: e.source,
        method: e.method.clone(),
        rule: e.rule.clone(),
        evidence: e.evidence.clone(),
        not_applicable: e.not_applicable,
        children: Vec::new(),
    };
    let siblings = match &cmd.parent {
        None => &mut set.nodes,
        Some(parent) => {
            let node = find_mut(&mut set.nodes, parent).ok_or_else(|| missing(parent))?;
            if node.is_leaf() {
                node.method = None;
                node.not_applicable = None;
            }
            &mut node.children
        }
    };
    let key = cmd.code.sort_key();
    let at_pos = siblings
        .iter()
        .position(|s| s.code.sort_key() > key)
        .unwrap_or(siblings.len());
    siblings.insert(at_pos, leaf);
    if cmd.propagate
        && let Some(parent) = &cmd.parent
    {
        resum(&mut set.nodes, parent, &uncapped);
    }
    save_draft(
        db,
        principal,
        &set,
        &format!("thêm tiêu chí {}", cmd.code),
        at,
    )
    .await
}

/// Remove criterion `node` of draft `set` and everything under it; with `propagate`, the
/// maxima above it are recomputed from their children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveNode {
    /// The draft.
    pub set: SetCode,
    /// The criterion removed.
    pub node: NodeCode,
    /// Recompute the maxima above it.
    pub propagate: bool,
}

/// Removes a criterion from a draft: `set_node_not_found` when the draft has no such
/// criterion; the changed set must still validate (`set_invalid`).
#[tracing::instrument(skip_all, fields(set = %cmd.set, node = %cmd.node))]
pub async fn remove_node(
    db: &Db,
    principal: &Principal,
    cmd: &RemoveNode,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    let mut set = draft(db, principal, &cmd.set).await?;
    let missing = || {
        ServiceError::new(codes::SET_NODE_NOT_FOUND)
            .arg("set", &cmd.set)
            .arg("node", &cmd.node)
    };
    let uncapped = uncapped_blocks(&set);
    let parent = cmd.node.parent();
    let siblings = match &parent {
        None => &mut set.nodes,
        Some(p) => &mut find_mut(&mut set.nodes, p).ok_or_else(missing)?.children,
    };
    let before = siblings.len();
    siblings.retain(|n| n.code != cmd.node);
    if siblings.len() == before {
        return Err(missing());
    }
    if cmd.propagate
        && let Some(parent) = &parent
    {
        resum(&mut set.nodes, parent, &uncapped);
    }
    save_draft(
        db,
        principal,
        &set,
        &format!("xóa tiêu chí {}", cmd.node),
        at,
    )
    .await
}

/// Freezes a set explicitly ("khóa"): from then on it is read-only; clone it to change it.
pub async fn freeze(
    db: &Db,
    principal: &Principal,
    code: &SetCode,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    require_manage(principal)?;
    index_sets::freeze(db, code, &actor(principal), at)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => not_found(code),
            e => e.into(),
        })
}
