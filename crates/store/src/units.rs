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
