//! The audit log: who changed what, when, from which value to which, and why. Rows are written
//! by the other modules inside the transaction of the change they record; this module only
//! appends and reads. The database enforces it: the table refuses updates and deletes (see
//! migration `0005_audit_append_only`), except through [`purge`], which only reloading the
//! demonstration data uses.

use chiso_domain::{NodeCode, PeriodCode, UnitCode};
use serde::Serialize;
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::codec;
use crate::db::Tx;
use crate::{Actor, Db, StoreError};

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: OffsetDateTime,
    /// Login of the user, or `system`.
    pub actor: String,
    /// `create`, `update`, `freeze`, `compute`, `set_groups`, `set_password`…
    pub action: String,
    /// `unit`, `lineage`, `index_set`, `period`, `score`, `results`, `user`.
    pub entity: String,
    /// The entity's key, e.g. `2024/SNV/1.2.3` for a score.
    pub entity_key: String,
    pub period: Option<String>,
    pub unit: Option<String>,
    pub node: Option<String>,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
    pub reason: Option<String>,
}

/// Which entries to list. `None` fields do not filter; a `limit` of 0 or less means no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub period: Option<PeriodCode>,
    pub unit: Option<UnitCode>,
    pub node: Option<NodeCode>,
    pub limit: i64,
}

/// An entry about to be written.
#[derive(Debug)]
pub(crate) struct NewEntry<'a> {
    pub actor: &'a Actor,
    pub at: OffsetDateTime,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_key: String,
    pub period: Option<&'a str>,
    pub unit: Option<&'a str>,
    pub node: Option<&'a str>,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
    pub reason: Option<&'a str>,
}

impl<'a> NewEntry<'a> {
    /// An entry with no period/unit/node, values or reason.
    pub(crate) fn new(
        actor: &'a Actor,
        at: OffsetDateTime,
        action: &'a str,
        entity: &'a str,
        entity_key: impl Into<String>,
    ) -> Self {
        NewEntry {
            actor,
            at,
            action,
            entity,
            entity_key: entity_key.into(),
            period: None,
            unit: None,
            node: None,
            old: None,
            new: None,
            reason: None,
        }
    }

    pub(crate) fn values(
        mut self,
        old: Option<serde_json::Value>,
        new: Option<serde_json::Value>,
    ) -> Self {
        self.old = old;
        self.new = new;
        self
    }
}

/// Appends `e` inside the caller's transaction.
pub(crate) async fn record(tx: &mut Tx, e: NewEntry<'_>) -> Result<(), StoreError> {
    sql!(
        tx,
        execute,
        "INSERT INTO audit_log (at, actor, action, entity, entity_key, period, unit, node, \
         old_value, new_value, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        codec::ts(e.at),
        e.actor.as_str(),
        e.action,
        e.entity,
        e.entity_key.as_str(),
        e.period,
        e.unit,
        e.node,
        e.old.as_ref().map(Json),
        e.new.as_ref().map(Json),
        e.reason,
    )?;
    Ok(())
}

/// Deletes every entry except those of the `keep` entities, inside the caller's transaction.
/// Only [`crate::Db::reset`] and [`crate::Db::reset_including_users`] call it: reloading the
/// demonstration data empties the data and its history together. The table's delete trigger
/// lets the statement through only while a permit row exists, which this function inserts and
/// removes again in the same transaction, so no other transaction ever sees it.
pub(crate) async fn purge(tx: &mut Tx, keep: &[&str]) -> Result<(), StoreError> {
    sql!(tx, execute, "INSERT INTO audit_log_purge (id) VALUES (1)")?;
    let filter = (1..=keep.len())
        .map(|i| format!("entity <> ${i}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let filter = if filter.is_empty() {
        String::new()
    } else {
        format!(" WHERE {filter}")
    };
    // An import's values go with its entry, so they are deleted while the entry still names
    // them.
    let values =
        format!("DELETE FROM audit_values WHERE entry IN (SELECT id FROM audit_log{filter})");
    let entries = format!("DELETE FROM audit_log{filter}");
    sql!(tx, execute_rows, values.as_str(), [], keep, |q, e| q
        .bind(*e))?;
    sql!(tx, execute_rows, entries.as_str(), [], keep, |q, e| q
        .bind(*e))?;
    sql!(tx, execute, "DELETE FROM audit_log_purge")?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_key: String,
    period: Option<String>,
    unit: Option<String>,
    node: Option<String>,
    old_value: Option<Json<serde_json::Value>>,
    new_value: Option<Json<serde_json::Value>>,
    reason: Option<String>,
}

/// Entries matching `filter`, newest first.
#[tracing::instrument(skip_all, fields(period = ?filter.period, unit = ?filter.unit, node = ?filter.node))]
pub async fn list(db: &Db, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
    let limit = if filter.limit > 0 {
        filter.limit
    } else {
        i64::MAX
    };
    let mut c = db.conn().await?;
    let rows = sql!(
        c,
        all Row,
        "SELECT id, at, actor, action, entity, entity_key, period, unit, node, old_value, \
         new_value, reason FROM audit_log \
         WHERE ($1 IS NULL OR period = $1) AND ($2 IS NULL OR unit = $2) \
         AND ($3 IS NULL OR node = $3) \
         ORDER BY id DESC LIMIT $4",
        filter.period.as_ref().map(PeriodCode::as_str),
        filter.unit.as_ref().map(UnitCode::as_str),
        filter.node.as_ref().map(NodeCode::as_str),
        limit,
    )?;
    let mut entries = rows
        .into_iter()
        .map(|r| {
            Ok(AuditEntry {
                id: r.id,
                at: codec::parse_ts(&r.at)?,
                actor: r.actor,
                action: r.action,
                entity: r.entity,
                entity_key: r.entity_key,
                period: r.period,
                unit: r.unit,
                node: r.node,
                old: r.old_value.map(|j| j.0),
                new: r.new_value.map(|j| j.0),
                reason: r.reason,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    entries.extend(imported_values(&mut c, filter, limit).await?);
    // Newest first; an import's values after its own entry, by unit and leaf.
    entries.sort_by(|a, b| {
        b.id.cmp(&a.id)
            .then_with(|| a.unit.is_some().cmp(&b.unit.is_some()))
            .then_with(|| a.unit.cmp(&b.unit))
            .then_with(|| a.node.cmp(&b.node))
    });
    entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(entries)
}

/// The values changed by imports (`audit_values`, migration 0020) that `filter` selects, one
/// entry each, as a change made by hand is recorded: the import's time, actor and reason,
/// key `period/unit/node`, old and new value. At most `limit` rows are read when no leaf is
/// asked for (each row gives at least one entry).
async fn imported_values(
    c: &mut crate::db::Conn,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Grouped {
        entry: i64,
        at: String,
        actor: String,
        reason: Option<String>,
        period: String,
        unit: String,
        changes: String,
    }
    type Value = (String, Option<serde_json::Value>, serde_json::Value);
    let rows = sql!(
        c,
        all Grouped,
        "SELECT v.entry, a.at, a.actor, a.reason, v.period, v.unit, v.changes \
         FROM audit_values v JOIN audit_log a ON a.id = v.entry \
         WHERE ($1 IS NULL OR v.period = $1) AND ($2 IS NULL OR v.unit = $2) \
         ORDER BY v.entry DESC, v.unit LIMIT $3",
        filter.period.as_ref().map(PeriodCode::as_str),
        filter.unit.as_ref().map(UnitCode::as_str),
        if filter.node.is_some() { i64::MAX } else { limit },
    )?;
    let mut out = Vec::new();
    for r in rows {
        let at = codec::parse_ts(&r.at)?;
        let values: Vec<Value> = serde_json::from_str(&r.changes)
            .map_err(|e| StoreError::Corrupt(format!("nhật ký nhập điểm {}: {e}", r.entry)))?;
        for (node, old, new) in values {
            if filter.node.as_ref().is_some_and(|n| n.as_str() != node) {
                continue;
            }
            out.push(AuditEntry {
                id: r.entry,
                at,
                actor: r.actor.clone(),
                action: crate::scores::value_action(old.is_some()).to_owned(),
                entity: crate::scores::ENTITY.to_owned(),
                entity_key: crate::scores::entity_key(&r.period, &r.unit, &node),
                period: Some(r.period.clone()),
                unit: Some(r.unit.clone()),
                node: Some(node),
                old,
                new: Some(new),
                reason: r.reason.clone(),
            });
        }
    }
    Ok(out)
}
