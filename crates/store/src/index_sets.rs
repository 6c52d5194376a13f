//! Index sets (bộ chỉ số). The whole [`IndexSet`] is stored as one JSON document, which is what
//! is read back; its nodes are also flattened into `index_nodes` for queries. A frozen set (one
//! a period was scored or published under) refuses changes.

use chiso_domain::{IndexSet, Node, NodeCode, PeriodCode, SetCode};
use serde::Serialize;
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::db::Tx;
use crate::{Actor, Db, StoreError};

/// Audit entity of an index set.
pub const ENTITY: &str = "index_set";

/// One line of the list of sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexSetSummary {
    pub code: SetCode,
    pub name: String,
    pub year: i32,
    pub decision: Option<String>,
    pub frozen: bool,
    /// Number of nodes (areas, criteria and sub-criteria).
    pub nodes: i64,
    /// Number of leaves (nodes that are scored).
    pub leaves: i64,
    pub updated_at: OffsetDateTime,
}

/// Inserts `set` or replaces the stored set of the same code, with its nodes.
/// [`StoreError::Frozen`] if the stored set is frozen.
#[tracing::instrument(skip_all, fields(set = %set.code))]
pub async fn save(
    db: &Db,
    set: &IndexSet,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let old = sql!(
        tx,
        optional(Json<IndexSet>, bool),
        "SELECT document, frozen FROM index_sets WHERE code = $1",
        set.code.as_str(),
    )?;
    if let Some((doc, frozen)) = &old {
        if *frozen {
            return Err(StoreError::Frozen(format!("bộ chỉ số {}", set.code)));
        }
        if doc.0 == *set {
            return Ok(());
        }
    }
    let stamp = codec::ts(at);
    sql!(
        tx,
        execute,
        "INSERT INTO index_sets (code, year, name, decision, document, frozen, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (code) DO UPDATE SET year = excluded.year, name = excluded.name, \
         decision = excluded.decision, document = excluded.document, \
         updated_at = excluded.updated_at",
        set.code.as_str(),
        i64::from(set.year),
        set.name.as_str(),
        set.decision.as_deref(),
        Json(set),
        false,
        stamp.as_str(),
    )?;
    write_nodes(&mut tx, set).await?;
    audit::record(
        &mut tx,
        NewEntry::new(
            actor,
            at,
            if old.is_some() { "update" } else { "create" },
            ENTITY,
            set.code.as_str(),
        )
        .values(
            old.map(|(doc, _)| codec::json(&doc.0)),
            Some(codec::json(set)),
        ),
    )
    .await?;
    tx.commit().await
}

async fn write_nodes(tx: &mut Tx, set: &IndexSet) -> Result<(), StoreError> {
    sql!(
        tx,
        execute,
        "DELETE FROM index_nodes WHERE set_code = $1",
        set.code.as_str()
    )?;
    let nodes: Vec<&Node> = set.nodes.iter().flat_map(Node::walk).collect();
    for (position, n) in nodes.into_iter().enumerate() {
        let parent = n.code.parent();
        sql!(
            tx,
            execute,
            "INSERT INTO index_nodes (set_code, code, parent_code, title, max, source, method, \
             position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            set.code.as_str(),
            n.code.as_str(),
            parent.as_ref().map(NodeCode::as_str),
            n.title.as_str(),
            codec::dec(n.max.value()),
            n.source.as_str(),
            n.method.as_ref().map(Json),
            i64::try_from(position).unwrap_or(i64::MAX),
        )?;
    }
    Ok(())
}

/// The stored set, exactly as saved.
#[tracing::instrument(skip_all, fields(set = %code))]
pub async fn get(db: &Db, code: &SetCode) -> Result<Option<IndexSet>, StoreError> {
    let mut c = db.conn().await?;
    let doc = sql!(
        c,
        scalar_optional Json<IndexSet>,
        "SELECT document FROM index_sets WHERE code = $1",
        code.as_str(),
    )?;
    Ok(doc.map(|d| d.0))
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    code: String,
    name: String,
    year: i64,
    decision: Option<String>,
    frozen: bool,
    nodes: i64,
    leaves: i64,
    updated_at: String,
}

/// Every set, newest year first, then by code.
#[tracing::instrument(skip_all)]
pub async fn list(db: &Db) -> Result<Vec<IndexSetSummary>, StoreError> {
    let mut c = db.conn().await?;
    let rows = sql!(
        c,
        all SummaryRow,
        "SELECT s.code, s.name, s.year, s.decision, s.frozen, \
         (SELECT COUNT(*) FROM index_nodes n WHERE n.set_code = s.code) AS nodes, \
         (SELECT COUNT(*) FROM index_nodes n WHERE n.set_code = s.code \
          AND n.method IS NOT NULL) AS leaves, \
         s.updated_at \
         FROM index_sets s ORDER BY s.year DESC, s.code",
    )?;
    rows.into_iter()
        .map(|r| {
            Ok(IndexSetSummary {
                code: codec::id(&r.code, SetCode::parse)?,
                name: r.name,
                year: year(r.year)?,
                decision: r.decision,
                frozen: r.frozen,
                nodes: r.nodes,
                leaves: r.leaves,
                updated_at: codec::parse_ts(&r.updated_at)?,
            })
        })
        .collect()
}

/// Freezes the set: later [`save`]s are refused. Freezing a frozen set does nothing.
#[tracing::instrument(skip_all, fields(set = %code))]
pub async fn freeze(
    db: &Db,
    code: &SetCode,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let frozen = sql!(
        tx,
        scalar_optional bool,
        "SELECT frozen FROM index_sets WHERE code = $1",
        code.as_str(),
    )?
    .ok_or_else(|| StoreError::NotFound(format!("bộ chỉ số {code}")))?;
    if frozen {
        return Ok(());
    }
    sql!(
        tx,
        execute,
        "UPDATE index_sets SET frozen = $1, updated_at = $2 WHERE code = $3",
        true,
        codec::ts(at),
        code.as_str(),
    )?;
    audit::record(
        &mut tx,
        NewEntry::new(actor, at, "freeze", ENTITY, code.as_str()).values(
            Some(serde_json::json!({ "frozen": false })),
            Some(serde_json::json!({ "frozen": true })),
        ),
    )
    .await?;
    tx.commit().await
}

pub(crate) fn year(y: i64) -> Result<i32, StoreError> {
    i32::try_from(y).map_err(|_| StoreError::Corrupt(format!("năm {y}")))
}

/// Which periods use a set, and whether it was frozen explicitly. A set is read-only as soon as
/// either is true: a period's scores must always be read with the set they were entered under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetUse {
    /// Frozen by an administrator ("khóa").
    pub frozen: bool,
    /// Periods whose groups are scored with the set, newest year first.
    pub periods: Vec<PeriodCode>,
}

impl SetUse {
    /// True when the set may not change: frozen, or used by any period.
    pub fn locked(&self) -> bool {
        self.frozen || !self.periods.is_empty()
    }
}

/// Every (set, period) pair where a period's group is scored with the set, newest year first.
#[tracing::instrument(skip_all)]
pub async fn usage(db: &Db) -> Result<Vec<(SetCode, PeriodCode)>, StoreError> {
    let mut c = db.conn().await?;
    let rows = sql!(
        c,
        all(String, String, i64),
        "SELECT DISTINCT g.set_code, g.period, p.year FROM period_groups g \
         JOIN periods p ON p.code = g.period ORDER BY p.year DESC, g.period",
    )?;
    rows.into_iter()
        .map(|(s, p, _)| {
            Ok((
                codec::id(&s, SetCode::parse)?,
                codec::id(&p, PeriodCode::parse)?,
            ))
        })
        .collect()
}

/// Whether the set is frozen and which periods use it; `None` when there is no such set.
#[tracing::instrument(skip_all, fields(set = %code))]
pub async fn set_use(db: &Db, code: &SetCode) -> Result<Option<SetUse>, StoreError> {
    let mut tx = db.begin().await?;
    let found = read_use(&mut tx, code).await?;
    tx.commit().await?;
    Ok(found)
}

async fn read_use(tx: &mut Tx, code: &SetCode) -> Result<Option<SetUse>, StoreError> {
    let Some(frozen) = sql!(
        tx,
        scalar_optional bool,
        "SELECT frozen FROM index_sets WHERE code = $1",
        code.as_str(),
    )?
    else {
        return Ok(None);
    };
    let rows = sql!(
        tx,
        all(String, i64),
        "SELECT DISTINCT g.period, p.year FROM period_groups g \
         JOIN periods p ON p.code = g.period WHERE g.set_code = $1 \
         ORDER BY p.year DESC, g.period",
        code.as_str(),
    )?;
    let periods = rows
        .iter()
        .map(|(p, _)| codec::id(p, PeriodCode::parse))
        .collect::<Result<_, _>>()?;
    Ok(Some(SetUse { frozen, periods }))
}

/// Stores a new set (imported from a file or cloned from another) with its nodes, recording
/// `reason` (where it came from) in the audit log. [`StoreError::Conflict`] if the code is
/// taken: a new set never silently replaces another.
#[tracing::instrument(skip_all, fields(set = %set.code))]
pub async fn create(
    db: &Db,
    set: &IndexSet,
    actor: &Actor,
    at: OffsetDateTime,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let stamp = codec::ts(at);
    let inserted = sql!(
        tx,
        execute,
        "INSERT INTO index_sets (code, year, name, decision, document, frozen, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (code) DO NOTHING",
        set.code.as_str(),
        i64::from(set.year),
        set.name.as_str(),
        set.decision.as_deref(),
        Json(set),
        false,
        stamp.as_str(),
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!(
            "bộ chỉ số {} đã tồn tại",
            set.code
        )));
    }
    write_nodes(&mut tx, set).await?;
    let mut entry = NewEntry::new(actor, at, "create", ENTITY, set.code.as_str())
        .values(None, Some(codec::json(set)));
    entry.reason = reason;
    audit::record(&mut tx, entry).await?;
    tx.commit().await
}

/// Replaces a draft set (same code) and its nodes, recording old → new and `reason` in the
/// audit log. Refused with [`StoreError::Frozen`] when the set is frozen or any period uses
/// it, checked in the same transaction as the write; [`StoreError::NotFound`] if it does not
/// exist. Saving an identical set changes nothing and records nothing.
#[tracing::instrument(skip_all, fields(set = %set.code))]
pub async fn update_draft(
    db: &Db,
    set: &IndexSet,
    actor: &Actor,
    at: OffsetDateTime,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let state = read_use(&mut tx, &set.code)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("bộ chỉ số {}", set.code)))?;
    if state.frozen {
        return Err(StoreError::Frozen(format!("bộ chỉ số {}", set.code)));
    }
    if let Some(p) = state.periods.first() {
        return Err(StoreError::Frozen(format!(
            "bộ chỉ số {} (đang dùng cho kỳ đánh giá {p})",
            set.code
        )));
    }
    let old = sql!(
        tx,
        scalar Json<IndexSet>,
        "SELECT document FROM index_sets WHERE code = $1",
        set.code.as_str(),
    )?;
    if old.0 == *set {
        return Ok(());
    }
    sql!(
        tx,
        execute,
        "UPDATE index_sets SET year = $1, name = $2, decision = $3, document = $4, \
         updated_at = $5 WHERE code = $6",
        i64::from(set.year),
        set.name.as_str(),
        set.decision.as_deref(),
        Json(set),
        codec::ts(at),
        set.code.as_str(),
    )?;
    write_nodes(&mut tx, set).await?;
    let mut entry = NewEntry::new(actor, at, "update", ENTITY, set.code.as_str())
        .values(Some(codec::json(&old.0)), Some(codec::json(set)));
    entry.reason = reason;
    audit::record(&mut tx, entry).await?;
    tx.commit().await
}
