//! Assessment periods (kỳ đánh giá): the year, the previous period compared against, the
//! workflow status, and for each ranking group the index set that applies and its members.

use chiso_domain::{GroupName, Membership, PeriodCode, SetCode, UnitCode};
use serde::Serialize;
use time::OffsetDateTime;

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::db::{Ex, Tx};
use crate::index_sets::year;
use crate::{Actor, Db, StoreError};

/// Audit entity of a period (its fields, groups and members).
pub const ENTITY: &str = "period";

/// Status of a period being prepared or assessed.
pub const STATUS_DRAFT: &str = "draft";
/// Status of a published period: its groups, scores and results can no longer change
/// (a correction is a new, recorded version).
pub const STATUS_PUBLISHED: &str = "published";

/// An assessment period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    pub code: PeriodCode,
    pub year: i32,
    pub name: String,
    /// The period whose results this one is compared with (year-over-year deltas, streaks).
    pub previous: Option<PeriodCode>,
    /// Workflow state, e.g. [`STATUS_DRAFT`] or [`STATUS_PUBLISHED`].
    pub status: String,
    /// The publishing decision ("Quyết định số …/QĐ-UBND ngày …").
    pub decision: Option<String>,
    /// When the results were last computed.
    pub computed_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct PeriodRow {
    code: String,
    year: i64,
    name: String,
    previous: Option<String>,
    status: String,
    decision: Option<String>,
    computed_at: Option<String>,
}

impl PeriodRow {
    fn into_period(self) -> Result<Period, StoreError> {
        Ok(Period {
            code: codec::id(&self.code, PeriodCode::parse)?,
            year: year(self.year)?,
            name: self.name,
            previous: self
                .previous
                .as_deref()
                .map(|p| codec::id(p, PeriodCode::parse))
                .transpose()?,
            status: self.status,
            decision: self.decision,
            computed_at: codec::opt_ts(self.computed_at)?,
        })
    }
}

/// The audited fields of a period (its computation time is recorded by the results).
fn audit_value(p: &Period) -> serde_json::Value {
    serde_json::json!({
        "code": p.code,
        "year": p.year,
        "name": p.name,
        "previous": p.previous,
        "status": p.status,
        "decision": p.decision,
    })
}

/// Creates a period. [`StoreError::Conflict`] if its code exists or its previous period does
/// not.
#[tracing::instrument(skip_all, fields(period = %p.code))]
pub async fn create(
    db: &Db,
    p: &Period,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let stamp = codec::ts(at);
    let inserted = sql!(
        tx,
        execute,
        "INSERT INTO periods (code, year, name, previous, status, decision, computed_at, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (code) DO NOTHING",
        p.code.as_str(),
        i64::from(p.year),
        p.name.as_str(),
        p.previous.as_ref().map(PeriodCode::as_str),
        p.status.as_str(),
        p.decision.as_deref(),
        p.computed_at.map(codec::ts),
        stamp.as_str(),
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!(
            "kỳ đánh giá {} đã tồn tại",
            p.code
        )));
    }
    let mut entry = NewEntry::new(actor, at, "create", ENTITY, p.code.as_str())
        .values(None, Some(audit_value(p)));
    entry.period = Some(p.code.as_str());
    audit::record(&mut tx, entry).await?;
    tx.commit().await
}

/// Changes a period's name, year, previous period, status and decision (not its code, not
/// its computation time). [`StoreError::NotFound`] if it does not exist.
#[tracing::instrument(skip_all, fields(period = %p.code))]
pub async fn update(
    db: &Db,
    p: &Period,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let old = load(&mut tx, &p.code).await?;
    let (old_value, new_value) = (audit_value(&old), audit_value(p));
    if old_value == new_value {
        return Ok(());
    }
    sql!(
        tx,
        execute,
        "UPDATE periods SET year = $1, name = $2, previous = $3, status = $4, decision = $5, \
         updated_at = $6 WHERE code = $7",
        i64::from(p.year),
        p.name.as_str(),
        p.previous.as_ref().map(PeriodCode::as_str),
        p.status.as_str(),
        p.decision.as_deref(),
        codec::ts(at),
        p.code.as_str(),
    )?;
    let mut entry = NewEntry::new(actor, at, "update", ENTITY, p.code.as_str())
        .values(Some(old_value), Some(new_value));
    entry.period = Some(p.code.as_str());
    audit::record(&mut tx, entry).await?;
    tx.commit().await
}

/// Every period, newest year first (then by code, descending).
#[tracing::instrument(skip_all)]
pub async fn list(db: &Db) -> Result<Vec<Period>, StoreError> {
    let mut c = db.conn().await?;
    sql!(
        c,
        all PeriodRow,
        "SELECT code, year, name, previous, status, decision, computed_at FROM periods \
         ORDER BY year DESC, code DESC",
    )?
    .into_iter()
    .map(PeriodRow::into_period)
    .collect()
}

/// One period.
#[tracing::instrument(skip_all, fields(period = %code))]
pub async fn get(db: &Db, code: &PeriodCode) -> Result<Option<Period>, StoreError> {
    let mut c = db.conn().await?;
    read(c.ex(), code).await
}

pub(crate) async fn read(mut ex: Ex<'_>, code: &PeriodCode) -> Result<Option<Period>, StoreError> {
    sql!(
        ex,
        optional PeriodRow,
        "SELECT code, year, name, previous, status, decision, computed_at FROM periods \
         WHERE code = $1",
        code.as_str(),
    )?
    .map(PeriodRow::into_period)
    .transpose()
}

/// Reads a period inside a transaction; [`StoreError::NotFound`] if missing.
pub(crate) async fn load(tx: &mut Tx, code: &PeriodCode) -> Result<Period, StoreError> {
    read(tx.ex(), code)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("kỳ đánh giá {code}")))
}

/// Reads a period inside a transaction and refuses a published one.
pub(crate) async fn load_open(tx: &mut Tx, code: &PeriodCode) -> Result<Period, StoreError> {
    let p = load(tx, code).await?;
    if p.status == STATUS_PUBLISHED {
        return Err(StoreError::Frozen(format!(
            "kỳ đánh giá {code} (đã công bố)"
        )));
    }
    Ok(p)
}

/// Replaces the period's groups (each with its index set, in the given order) and members
/// (in the given order) in one transaction. [`StoreError::Conflict`] if a member names a
/// group not in `groups`, or a set or unit does not exist; [`StoreError::Frozen`] if the period
/// is published.
#[tracing::instrument(skip_all, fields(period = %period, groups = groups.len(), members = members.len()))]
pub async fn set_groups(
    db: &Db,
    period: &PeriodCode,
    groups: &[(GroupName, SetCode)],
    members: &[Membership],
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    load_open(&mut tx, period).await?;
    let old_groups = read_groups(tx.ex(), period).await?;
    let old_members = read_members(tx.ex(), period).await?;
    if old_groups == groups && old_members == members {
        return Ok(());
    }
    let old = (old_groups.as_slice(), old_members.as_slice());
    write_groups(&mut tx, period, old, (groups, members), actor, at).await?;
    tx.commit().await
}

/// The plan of a period as [`edit_groups`] hands it to its edit: the groups with their index
/// sets, and the members, each in their order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupPlan {
    pub groups: Vec<(GroupName, SetCode)>,
    pub members: Vec<Membership>,
}

/// Reads the period's groups and members, lets `edit` change them, and saves the result, all
/// in one transaction that holds the period's row from the start: two administrators editing
/// the same period at once are applied one after the other, neither change overwriting the
/// other (a plain read followed by [`set_groups`] could lose one of them). Audited like
/// [`set_groups`]. Returns whether anything changed; an error of `edit` changes nothing.
/// [`StoreError::NotFound`] if the period does not exist, [`StoreError::Frozen`] if it is
/// published, [`StoreError::Conflict`] if a member names a missing group, or a set or unit
/// does not exist.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn edit_groups<E: From<StoreError>>(
    db: &Db,
    period: &PeriodCode,
    actor: &Actor,
    at: OffsetDateTime,
    edit: impl FnOnce(&mut GroupPlan) -> Result<(), E>,
) -> Result<bool, E> {
    let mut tx = db.begin().await?;
    // Takes the row's write lock before reading, so that concurrent edits queue here.
    let locked = sql!(
        tx,
        execute,
        "UPDATE periods SET updated_at = updated_at WHERE code = $1",
        period.as_str(),
    )
    .map_err(StoreError::from)?;
    if locked == 0 {
        return Err(StoreError::NotFound(format!("kỳ đánh giá {period}")).into());
    }
    load_open(&mut tx, period).await?;
    let old = GroupPlan {
        groups: read_groups(tx.ex(), period).await?,
        members: read_members(tx.ex(), period).await?,
    };
    let mut new = old.clone();
    edit(&mut new)?;
    if new == old {
        return Ok(false);
    }
    write_groups(
        &mut tx,
        period,
        (&old.groups, &old.members),
        (&new.groups, &new.members),
        actor,
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Audit entity of a unit's withdrawal from a period (key `period/unit`).
pub const WITHDRAWAL_ENTITY: &str = "withdrawal";

/// A unit withdrawn from a period (rút khỏi kỳ), with who did it, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Withdrawal {
    pub unit: UnitCode,
    pub reason: String,
    pub by: String,
    pub at: OffsetDateTime,
}

/// Takes `unit` out of the period's members and records the withdrawal with its reason, in one
/// transaction holding the period's row (as [`edit_groups`]): the members' change is audited
/// like [`set_groups`], and the withdrawal as its own entry with the reason. Returns `false`
/// (nothing changed) when the unit is not a member. [`StoreError::NotFound`] if the period
/// does not exist, [`StoreError::Frozen`] if it is published.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub async fn withdraw(
    db: &Db,
    period: &PeriodCode,
    unit: &UnitCode,
    reason: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let locked = sql!(
        tx,
        execute,
        "UPDATE periods SET updated_at = updated_at WHERE code = $1",
        period.as_str(),
    )?;
    if locked == 0 {
        return Err(StoreError::NotFound(format!("kỳ đánh giá {period}")));
    }
    load_open(&mut tx, period).await?;
    let groups = read_groups(tx.ex(), period).await?;
    let old = read_members(tx.ex(), period).await?;
    let new: Vec<Membership> = old.iter().filter(|m| &m.unit != unit).cloned().collect();
    if new.len() == old.len() {
        return Ok(false);
    }
    write_groups(&mut tx, period, (&groups, &old), (&groups, &new), actor, at).await?;
    let stamp = codec::ts(at);
    sql!(
        tx,
        execute,
        "INSERT INTO withdrawals (period, unit, reason, withdrawn_by, withdrawn_at) \
         VALUES ($1, $2, $3, $4, $5)",
        period.as_str(),
        unit.as_str(),
        reason,
        actor.as_str(),
        stamp.as_str(),
    )?;
    let mut entry = NewEntry::new(
        actor,
        at,
        "withdraw",
        WITHDRAWAL_ENTITY,
        format!("{period}/{unit}"),
    )
    .values(None, Some(serde_json::json!({ "withdrawn": true })));
    entry.period = Some(period.as_str());
    entry.unit = Some(unit.as_str());
    entry.reason = Some(reason);
    audit::record(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(true)
}

/// The period's withdrawals, oldest first.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn withdrawals(db: &Db, period: &PeriodCode) -> Result<Vec<Withdrawal>, StoreError> {
    let mut c = db.conn().await?;
    let rows = sql!(
        c,
        all(String, String, String, String),
        "SELECT unit, reason, withdrawn_by, withdrawn_at FROM withdrawals WHERE period = $1 \
         ORDER BY id",
        period.as_str(),
    )?;
    rows.into_iter()
        .map(|(unit, reason, by, at)| {
            Ok(Withdrawal {
                unit: codec::id(&unit, UnitCode::parse)?,
                reason,
                by,
                at: codec::parse_ts(&at)?,
            })
        })
        .collect()
}

type GroupsAndMembers<'a> = (&'a [(GroupName, SetCode)], &'a [Membership]);

/// Writes the new groups and members over the old ones and audits the change.
async fn write_groups(
    tx: &mut Tx,
    period: &PeriodCode,
    old: GroupsAndMembers<'_>,
    new: GroupsAndMembers<'_>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let (groups, members) = new;
    sql!(
        tx,
        execute,
        "DELETE FROM memberships WHERE period = $1",
        period.as_str()
    )?;
    sql!(
        tx,
        execute,
        "DELETE FROM period_groups WHERE period = $1",
        period.as_str()
    )?;
    for (position, (group, set)) in groups.iter().enumerate() {
        sql!(
            tx,
            execute,
            "INSERT INTO period_groups (period, group_name, set_code, position) \
             VALUES ($1, $2, $3, $4)",
            period.as_str(),
            group.as_str(),
            set.as_str(),
            position_of(position),
        )?;
    }
    for (position, m) in members.iter().enumerate() {
        sql!(
            tx,
            execute,
            "INSERT INTO memberships (period, unit, group_name, ranked, position) \
             VALUES ($1, $2, $3, $4, $5)",
            period.as_str(),
            m.unit.as_str(),
            m.group.as_str(),
            m.ranked,
            position_of(position),
        )?;
    }
    let value = |(g, m): GroupsAndMembers<'_>| serde_json::json!({ "groups": g, "members": m });
    let mut entry = NewEntry::new(actor, at, "set_groups", ENTITY, period.as_str())
        .values(Some(value(old)), Some(value(new)));
    entry.period = Some(period.as_str());
    audit::record(tx, entry).await
}

/// The period's groups and their index sets, in the order they were given.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn groups(db: &Db, period: &PeriodCode) -> Result<Vec<(GroupName, SetCode)>, StoreError> {
    let mut c = db.conn().await?;
    read_groups(c.ex(), period).await
}

/// The period's members, in the order they were given.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn members(db: &Db, period: &PeriodCode) -> Result<Vec<Membership>, StoreError> {
    let mut c = db.conn().await?;
    read_members(c.ex(), period).await
}

async fn read_groups(
    mut ex: Ex<'_>,
    period: &PeriodCode,
) -> Result<Vec<(GroupName, SetCode)>, StoreError> {
    let rows = sql!(
        ex,
        all(String, String),
        "SELECT group_name, set_code FROM period_groups WHERE period = $1 ORDER BY position",
        period.as_str(),
    )?;
    rows.iter().map(|(g, s)| group_pair(g, s)).collect()
}

async fn read_members(mut ex: Ex<'_>, period: &PeriodCode) -> Result<Vec<Membership>, StoreError> {
    let rows = sql!(
        ex,
        all(String, String, bool),
        "SELECT unit, group_name, ranked FROM memberships WHERE period = $1 ORDER BY position",
        period.as_str(),
    )?;
    rows.into_iter().map(membership).collect()
}

fn group_pair(g: &str, s: &str) -> Result<(GroupName, SetCode), StoreError> {
    Ok((
        codec::id(g, GroupName::parse)?,
        codec::id(s, SetCode::parse)?,
    ))
}

fn membership((unit, group, ranked): (String, String, bool)) -> Result<Membership, StoreError> {
    Ok(Membership {
        unit: codec::id(&unit, UnitCode::parse)?,
        group: codec::id(&group, GroupName::parse)?,
        ranked,
    })
}

pub(crate) fn position_of(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}
