//! Units (đơn vị) and their lineage (sáp nhập, chia tách, đổi tên). Imports upsert whole lists
//! in one transaction and audit each unit or edge that actually changed.

use std::collections::HashMap;

use chiso_domain::{Lineage, Unit, UnitCode};
use time::OffsetDateTime;

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::{Actor, Db, StoreError};

/// Audit entity of a unit.
pub const ENTITY: &str = "unit";
/// Audit entity of a lineage edge (key `predecessor>successor`).
pub const LINEAGE_ENTITY: &str = "lineage";

#[derive(sqlx::FromRow)]
struct UnitRow {
    code: String,
    name: String,
    kind: String,
    parent: Option<String>,
    valid_from: Option<String>,
    valid_to: Option<String>,
}

impl UnitRow {
    fn into_unit(self) -> Result<Unit, StoreError> {
        Ok(Unit {
            code: codec::id(&self.code, UnitCode::parse)?,
            name: self.name,
            kind: codec::parse_enum(&self.kind)?,
            parent: self
                .parent
                .as_deref()
                .map(|p| codec::id(p, UnitCode::parse))
                .transpose()?,
            valid_from: codec::opt_date(self.valid_from)?,
            valid_to: codec::opt_date(self.valid_to)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct LineageRow {
    predecessor: String,
    successor: String,
    kind: String,
    effective: Option<String>,
}

impl LineageRow {
    fn into_lineage(self) -> Result<Lineage, StoreError> {
        Ok(Lineage {
            predecessor: codec::id(&self.predecessor, UnitCode::parse)?,
            successor: codec::id(&self.successor, UnitCode::parse)?,
            kind: codec::parse_enum(&self.kind)?,
            effective: codec::opt_date(self.effective)?,
        })
    }
}

const SELECT_UNITS: &str =
    "SELECT code, name, kind, parent, valid_from, valid_to FROM units ORDER BY code";
const SELECT_LINEAGE: &str =
    "SELECT predecessor, successor, kind, effective FROM lineage ORDER BY successor, predecessor";

/// Inserts or updates `units` and `lineage` in one transaction. A parent or lineage end may
/// be given later in the same call than the unit referring to it; a reference to a unit that
/// exists neither in the database nor in the call is a [`StoreError::Conflict`].
#[tracing::instrument(skip_all, fields(units = units.len(), lineage = lineage.len()))]
pub async fn upsert_many(
    db: &Db,
    units: &[Unit],
    lineage: &[Lineage],
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let stamp = codec::ts(at);

    let existing: HashMap<UnitCode, Unit> = sql!(tx, all UnitRow, SELECT_UNITS)?
        .into_iter()
        .map(|r| r.into_unit().map(|u| (u.code.clone(), u)))
        .collect::<Result<_, _>>()?;
    for u in units {
        let old = existing.get(&u.code);
        if old == Some(u) {
            continue;
        }
        sql!(
            tx,
            execute,
            "INSERT INTO units (code, name, kind, parent, valid_from, valid_to, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
             parent = excluded.parent, valid_from = excluded.valid_from, \
             valid_to = excluded.valid_to, updated_at = excluded.updated_at",
            u.code.as_str(),
            u.name.as_str(),
            u.kind.as_str(),
            u.parent.as_ref().map(UnitCode::as_str),
            u.valid_from.map(codec::date),
            u.valid_to.map(codec::date),
            stamp.as_str(),
        )?;
        let mut entry = NewEntry::new(
            actor,
            at,
            if old.is_some() { "update" } else { "create" },
            ENTITY,
            u.code.as_str(),
        )
        .values(old.map(codec::json), Some(codec::json(u)));
        entry.unit = Some(u.code.as_str());
        audit::record(&mut tx, entry).await?;
    }

    let existing: HashMap<(UnitCode, UnitCode), Lineage> =
        sql!(tx, all LineageRow, SELECT_LINEAGE)?
            .into_iter()
            .map(|r| {
                r.into_lineage()
                    .map(|l| ((l.predecessor.clone(), l.successor.clone()), l))
            })
            .collect::<Result<_, _>>()?;
    for l in lineage {
        let old = existing.get(&(l.predecessor.clone(), l.successor.clone()));
        if old == Some(l) {
            continue;
        }
        sql!(
            tx,
            execute,
            "INSERT INTO lineage (predecessor, successor, kind, effective) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (predecessor, successor) DO UPDATE SET kind = excluded.kind, \
             effective = excluded.effective",
            l.predecessor.as_str(),
            l.successor.as_str(),
            codec::enum_name(&l.kind),
            l.effective.map(codec::date),
        )?;
        let mut entry = NewEntry::new(
            actor,
            at,
            if old.is_some() { "update" } else { "create" },
            LINEAGE_ENTITY,
            format!("{}>{}", l.predecessor, l.successor),
        )
        .values(old.map(codec::json), Some(codec::json(l)));
        entry.unit = Some(l.successor.as_str());
        audit::record(&mut tx, entry).await?;
    }
    tx.commit().await
}

/// Every unit, by code.
#[tracing::instrument(skip_all)]
pub async fn list(db: &Db) -> Result<Vec<Unit>, StoreError> {
    let mut c = db.conn().await?;
    sql!(c, all UnitRow, SELECT_UNITS)?
        .into_iter()
        .map(UnitRow::into_unit)
        .collect()
}

/// One unit.
#[tracing::instrument(skip_all, fields(unit = %code))]
pub async fn get(db: &Db, code: &UnitCode) -> Result<Option<Unit>, StoreError> {
    let mut c = db.conn().await?;
    sql!(
        c,
        optional UnitRow,
        "SELECT code, name, kind, parent, valid_from, valid_to FROM units WHERE code = $1",
        code.as_str(),
    )?
    .map(UnitRow::into_unit)
    .transpose()
}

/// Every lineage edge, by successor then predecessor.
#[tracing::instrument(skip_all)]
pub async fn lineage(db: &Db) -> Result<Vec<Lineage>, StoreError> {
    let mut c = db.conn().await?;
    sql!(c, all LineageRow, SELECT_LINEAGE)?
        .into_iter()
        .map(LineageRow::into_lineage)
        .collect()
}

/// Creates one unit typed in by an administrator. [`StoreError::Conflict`] if the code is
/// taken (codes are stable across periods, so an existing unit is edited, never re-created)
/// or the parent does not exist.
#[tracing::instrument(skip_all, fields(unit = %unit.code))]
pub async fn create(
    db: &Db,
    unit: &Unit,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    insert_new(&mut tx, unit, actor, at, None).await?;
    tx.commit().await
}

/// Inserts a unit that must not exist yet, with its audit entry.
async fn insert_new(
    tx: &mut crate::db::Tx,
    unit: &Unit,
    actor: &Actor,
    at: OffsetDateTime,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let stamp = codec::ts(at);
    let inserted = sql!(
        tx,
        scalar_optional String,
        "INSERT INTO units (code, name, kind, parent, valid_from, valid_to, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (code) DO NOTHING RETURNING code",
        unit.code.as_str(),
        unit.name.as_str(),
        unit.kind.as_str(),
        unit.parent.as_ref().map(UnitCode::as_str),
        unit.valid_from.map(codec::date),
        unit.valid_to.map(codec::date),
        stamp.as_str(),
    )?;
    if inserted.is_none() {
        return Err(StoreError::Conflict(format!(
            "mã đơn vị {} đã có",
            unit.code
        )));
    }
    let mut entry = NewEntry::new(actor, at, "create", ENTITY, unit.code.as_str())
        .values(None, Some(codec::json(unit)));
    entry.unit = Some(unit.code.as_str());
    entry.reason = reason;
    audit::record(tx, entry).await
}

/// Saves an edited unit: name, kind, parent and validity dates (the code is its identity and
/// never changes). Returns false, writing nothing, when nothing differs.
/// [`StoreError::NotFound`] if no unit has this code.
#[tracing::instrument(skip_all, fields(unit = %unit.code))]
pub async fn update(
    db: &Db,
    unit: &Unit,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let old = sql!(
        tx,
        optional UnitRow,
        "SELECT code, name, kind, parent, valid_from, valid_to FROM units WHERE code = $1",
        unit.code.as_str(),
    )?
    .ok_or_else(|| StoreError::NotFound(format!("đơn vị {}", unit.code)))?
    .into_unit()?;
    if &old == unit {
        return Ok(false);
    }
    write_update(&mut tx, &old, unit, actor, at, None).await?;
    tx.commit().await?;
    Ok(true)
}

async fn write_update(
    tx: &mut crate::db::Tx,
    old: &Unit,
    new: &Unit,
    actor: &Actor,
    at: OffsetDateTime,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    sql!(
        tx,
        execute,
        "UPDATE units SET name = $2, kind = $3, parent = $4, valid_from = $5, valid_to = $6, \
         updated_at = $7 WHERE code = $1",
        new.code.as_str(),
        new.name.as_str(),
        new.kind.as_str(),
        new.parent.as_ref().map(UnitCode::as_str),
        new.valid_from.map(codec::date),
        new.valid_to.map(codec::date),
        codec::ts(at),
    )?;
    let mut entry = NewEntry::new(actor, at, "update", ENTITY, new.code.as_str())
        .values(Some(codec::json(old)), Some(codec::json(new)));
    entry.unit = Some(new.code.as_str());
    entry.reason = reason;
    audit::record(tx, entry).await
}

/// A reorganisation decided by the authorities: a merger (sáp nhập: several units become
/// one, new or existing) or a split (chia tách: one unit becomes several). Recorded as
/// lineage edges from every predecessor to every successor, so that year-over-year comparison
/// and streaks follow the units through it (domain.md §8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reorganisation {
    /// [`LineageKind::Merger`] or [`LineageKind::Split`].
    pub kind: chiso_domain::LineageKind,
    pub predecessors: Vec<UnitCode>,
    /// The units continuing them; each either exists or is in `new_units`.
    pub successors: Vec<UnitCode>,
    /// Successors founded by the reorganisation, created with it.
    pub new_units: Vec<Unit>,
    /// The day the reorganisation takes effect.
    pub effective: time::Date,
    /// The decision it carries out (e.g. "Nghị quyết số 1656/NQ-UBTVQH15"), kept in the audit
    /// log as the reason of each change.
    pub basis: Option<String>,
}

/// What [`record_reorganisation`] changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reorganised {
    /// Lineage edges written.
    pub edges: usize,
    /// Predecessors that ceased the day before the effective date.
    pub ceased: Vec<UnitCode>,
    /// Successors created.
    pub created: Vec<UnitCode>,
}

/// Records a merger or split in one transaction: creates the new successors (existing from the
/// effective date), writes one lineage edge per predecessor and successor (a unit that is both,
/// such as the commune that absorbs its neighbours, gets no edge to itself), and ends every
/// predecessor that is not also a successor on the day before the effective date, unless it
/// had already ended earlier. Each change is audited with the decision as its reason.
/// [`StoreError::Conflict`] if an edge is already recorded or a unit does not exist.
#[tracing::instrument(skip_all, fields(kind = ?r.kind, predecessors = r.predecessors.len(), successors = r.successors.len()))]
pub async fn record_reorganisation(
    db: &Db,
    r: &Reorganisation,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Reorganised, StoreError> {
    let mut tx = db.begin().await?;
    let reason = r.basis.as_deref().filter(|b| !b.trim().is_empty());
    let mut done = Reorganised::default();
    for u in &r.new_units {
        insert_new(&mut tx, u, actor, at, reason).await?;
        done.created.push(u.code.clone());
    }
    let existing: HashMap<UnitCode, Unit> = sql!(tx, all UnitRow, SELECT_UNITS)?
        .into_iter()
        .map(|row| row.into_unit().map(|u| (u.code.clone(), u)))
        .collect::<Result<_, _>>()?;
    for code in r.predecessors.iter().chain(&r.successors) {
        if !existing.contains_key(code) {
            return Err(StoreError::NotFound(format!("đơn vị {code}")));
        }
    }
    for p in &r.predecessors {
        for s in r.successors.iter().filter(|s| *s != p) {
            let edge = Lineage {
                predecessor: p.clone(),
                successor: s.clone(),
                kind: r.kind,
                effective: Some(r.effective),
            };
            let written = sql!(
                tx,
                execute,
                "INSERT INTO lineage (predecessor, successor, kind, effective) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (predecessor, successor) DO NOTHING",
                p.as_str(),
                s.as_str(),
                codec::enum_name(&edge.kind),
                codec::date(r.effective),
            )?;
            if written == 0 {
                return Err(StoreError::Conflict(format!(
                    "quan hệ kế thừa {p} → {s} đã được ghi nhận"
                )));
            }
            let mut entry = NewEntry::new(actor, at, "create", LINEAGE_ENTITY, format!("{p}>{s}"))
                .values(None, Some(codec::json(&edge)));
            entry.unit = Some(s.as_str());
            entry.reason = reason;
            audit::record(&mut tx, entry).await?;
            done.edges += 1;
        }
    }
    let last_day = r
        .effective
        .previous_day()
        .ok_or_else(|| StoreError::Conflict(format!("ngày hiệu lực {}", r.effective)))?;
    for p in r.predecessors.iter().filter(|p| !r.successors.contains(p)) {
        let Some(old) = existing.get(p) else { continue };
        if old.valid_to.is_some_and(|t| t <= last_day) {
            continue;
        }
        let new = Unit {
            valid_to: Some(last_day),
            ..old.clone()
        };
        write_update(&mut tx, old, &new, actor, at, reason).await?;
        done.ceased.push(p.clone());
    }
    tx.commit().await?;
    Ok(done)
}

/// The changes made to one unit and to the lineage it continues (its own audit entries, not
/// its assessments'), newest first, at most `limit`.
#[tracing::instrument(skip_all, fields(unit = %code))]
pub async fn history(
    db: &Db,
    code: &UnitCode,
    limit: i64,
) -> Result<Vec<audit::AuditEntry>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        at: String,
        actor: String,
        action: String,
        entity: String,
        entity_key: String,
        old_value: Option<sqlx::types::Json<serde_json::Value>>,
        new_value: Option<sqlx::types::Json<serde_json::Value>>,
        reason: Option<String>,
    }
    let mut c = db.conn().await?;
    let rows = sql!(
        c,
        all Row,
        "SELECT id, at, actor, action, entity, entity_key, old_value, new_value, reason \
         FROM audit_log WHERE unit = $1 AND entity IN ($2, $3) ORDER BY id DESC LIMIT $4",
        code.as_str(),
        ENTITY,
        LINEAGE_ENTITY,
        limit.max(1),
    )?;
    rows.into_iter()
        .map(|r| {
            Ok(audit::AuditEntry {
                id: r.id,
                at: codec::parse_ts(&r.at)?,
                actor: r.actor,
                action: r.action,
                entity: r.entity,
                entity_key: r.entity_key,
                period: None,
                unit: Some(code.as_str().to_owned()),
                node: None,
                old: r.old_value.map(|j| j.0),
                new: r.new_value.map(|j| j.0),
                reason: r.reason,
            })
        })
        .collect()
}
