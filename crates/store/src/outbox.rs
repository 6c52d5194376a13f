//! The outbox (see the migration `0012_outbox.sql`): events recorded in the transaction of the
//! change that caused them, with one delivery per recipient, and what a delivery worker needs
//! to send them once each, whatever crashes and however many nodes run.
//!
//! A worker **claims** due deliveries: it takes a lease on them (`lease_until`) and counts the
//! try. On PostgreSQL the claim skips rows another node's transaction holds (`FOR UPDATE SKIP
//! LOCKED`), so several application nodes share the work without sending one message twice;
//! on SQLite (one node) the claim runs under the database's single write lock. A worker that
//! dies mid-send leaves its lease to run out, and the delivery is claimed again after it.

use std::time::Duration;

use chiso_domain::notify::Event;
use chiso_domain::{NodeCode, PeriodCode, UnitCode};
use time::OffsetDateTime;

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::db::Tx;
use crate::{Actor, Db, StoreError};

/// Audit entity of operators' actions on the outbox.
pub const ENTITY: &str = "outbox";

/// Longest error text kept with a delivery.
const ERROR_CHARS: usize = 500;

/// One person to tell, with the address the message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub login: String,
    pub address: String,
}

/// An event to record with the change that caused it, and who is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub event: Event,
    pub to: Vec<Recipient>,
}

/// A delivery a worker holds until its lease runs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The delivery.
    pub id: i64,
    pub event: Event,
    /// When the event happened.
    pub created_at: OffsetDateTime,
    pub login: String,
    pub address: String,
    /// Tries so far, this one included.
    pub attempts: u32,
}

/// Records `outgoing` inside the caller's transaction: the event, and one pending delivery per
/// recipient due at once.
pub(crate) async fn enqueue_in(
    tx: &mut Tx,
    outgoing: &[Outgoing],
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    for o in outgoing {
        let e = &o.event;
        let id = sql!(
            tx,
            scalar i64,
            "INSERT INTO outbox_events (kind, period, unit, node, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            e.kind(),
            e.period().as_str(),
            e.unit().map(UnitCode::as_str),
            e.leaf().map(NodeCode::as_str),
            actor.as_str(),
            codec::ts(at),
        )?;
        for r in &o.to {
            sql!(
                tx,
                execute,
                "INSERT INTO outbox_deliveries (event_id, login, address, status, attempts, \
                 due_at) VALUES ($1, $2, $3, 'pending', 0, $4)",
                id,
                r.login.as_str(),
                r.address.as_str(),
                codec::ts(at),
            )?;
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    kind: String,
    period: String,
    unit: Option<String>,
    node: Option<String>,
    created_at: String,
    login: String,
    address: String,
    attempts: i64,
}

impl ClaimRow {
    fn into_claimed(self) -> Result<Claimed, StoreError> {
        let period = codec::id(&self.period, PeriodCode::parse)?;
        let unit = self
            .unit
            .as_deref()
            .map(|u| codec::id(u, UnitCode::parse))
            .transpose()?;
        let node = self
            .node
            .as_deref()
            .map(|n| codec::id(n, NodeCode::parse))
            .transpose()?;
        let event = Event::from_parts(&self.kind, period, unit, node)
            .ok_or_else(|| StoreError::Corrupt(format!("sự kiện \"{}\"", self.kind)))?;
        Ok(Claimed {
            id: self.id,
            event,
            created_at: codec::parse_ts(&self.created_at)?,
            login: self.login,
            address: self.address,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
        })
    }
}

/// Claims up to `limit` deliveries due at `now` that no worker holds, for `lease`, counting
/// the try; the oldest first.
#[tracing::instrument(skip_all, fields(limit = limit))]
pub async fn claim(
    db: &Db,
    now: OffsetDateTime,
    lease: Duration,
    limit: u32,
) -> Result<Vec<Claimed>, StoreError> {
    let mut tx = db.begin().await?;
    let until = codec::ts(now + lease);
    let now = codec::ts(now);
    let limit = i64::from(limit);
    // PostgreSQL: rows another transaction is claiming are skipped, not waited for. SQLite has
    // no row locks and needs none: `begin` took the only write lock.
    let ids = match tx {
        Tx::Sqlite(_) => sql!(
            tx,
            scalar_all i64,
            "UPDATE outbox_deliveries SET lease_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox_deliveries WHERE status = 'pending' \
             AND due_at <= $2 AND (lease_until IS NULL OR lease_until <= $2) \
             ORDER BY id LIMIT $3) RETURNING id",
            until.as_str(),
            now.as_str(),
            limit,
        )?,
        Tx::Postgres(_) => sql!(
            tx,
            scalar_all i64,
            "UPDATE outbox_deliveries SET lease_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox_deliveries WHERE status = 'pending' \
             AND due_at <= $2 AND (lease_until IS NULL OR lease_until <= $2) \
             ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING id",
            until.as_str(),
            now.as_str(),
            limit,
        )?,
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row = sql!(
            tx,
            one ClaimRow,
            "SELECT d.id, e.kind, e.period, e.unit, e.node, e.created_at, d.login, d.address, \
             d.attempts FROM outbox_deliveries d JOIN outbox_events e ON e.id = d.event_id \
             WHERE d.id = $1",
            id,
        )?;
        out.push(row.into_claimed()?);
    }
    tx.commit().await?;
    out.sort_by_key(|c| c.id);
    Ok(out)
}

/// Marks a claimed delivery sent.
pub async fn mark_sent(db: &Db, id: i64, at: OffsetDateTime) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    sql!(
        tx,
        execute,
        "UPDATE outbox_deliveries SET status = 'sent', sent_at = $1, lease_until = NULL, \
         last_error = NULL WHERE id = $2 AND status = 'pending'",
        codec::ts(at),
        id,
    )?;
    tx.commit().await
}

/// Records a failed try of a claimed delivery: to try again at `retry_at`, or given up
/// (`None`: the delivery is dead).
pub async fn mark_failed(
    db: &Db,
    id: i64,
    error: &str,
    retry_at: Option<OffsetDateTime>,
) -> Result<(), StoreError> {
    let error: String = error.chars().take(ERROR_CHARS).collect();
    let mut tx = db.begin().await?;
    match retry_at {
        Some(at) => sql!(
            tx,
            execute,
            "UPDATE outbox_deliveries SET due_at = $1, lease_until = NULL, last_error = $2 \
             WHERE id = $3 AND status = 'pending'",
            codec::ts(at),
            error.as_str(),
            id,
        )?,
        None => sql!(
            tx,
            execute,
            "UPDATE outbox_deliveries SET status = 'dead', lease_until = NULL, last_error = $1 \
             WHERE id = $2 AND status = 'pending'",
            error.as_str(),
            id,
        )?,
    };
    tx.commit().await
}

/// Drops a claimed delivery that is too old to be worth sending.
pub async fn mark_expired(db: &Db, id: i64) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    sql!(
        tx,
        execute,
        "UPDATE outbox_deliveries SET status = 'expired', lease_until = NULL \
         WHERE id = $1 AND status = 'pending'",
        id,
    )?;
    tx.commit().await
}

/// How many deliveries are in each state, and the ones given up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub pending: i64,
    pub sent: i64,
    pub dead: i64,
    pub expired: i64,
    /// The oldest event still waiting to be sent.
    pub oldest_pending: Option<OffsetDateTime>,
    /// The deliveries given up, newest first (at most 100).
    pub dead_list: Vec<DeadDelivery>,
}

/// A delivery given up after its last try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadDelivery {
    pub id: i64,
    pub kind: String,
    pub period: String,
    pub login: String,
    pub address: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct DeadRow {
    id: i64,
    kind: String,
    period: String,
    login: String,
    address: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: String,
}

/// The state of the outbox, for operators.
pub async fn summary(db: &Db) -> Result<Summary, StoreError> {
    let mut c = db.conn().await?;
    let counts = sql!(
        c,
        all(String, i64),
        "SELECT status, COUNT(*) FROM outbox_deliveries GROUP BY status",
    )?;
    let mut out = Summary::default();
    for (status, n) in counts {
        match status.as_str() {
            "pending" => out.pending = n,
            "sent" => out.sent = n,
            "dead" => out.dead = n,
            "expired" => out.expired = n,
            other => return Err(StoreError::Corrupt(format!("trạng thái gửi \"{other}\""))),
        }
    }
    out.oldest_pending = codec::opt_ts(sql!(
        c,
        scalar_optional String,
        "SELECT MIN(e.created_at) FROM outbox_deliveries d \
         JOIN outbox_events e ON e.id = d.event_id WHERE d.status = 'pending' \
         HAVING MIN(e.created_at) IS NOT NULL",
    )?)?;
    out.dead_list = sql!(
        c,
        all DeadRow,
        "SELECT d.id, e.kind, e.period, d.login, d.address, d.attempts, d.last_error, \
         e.created_at FROM outbox_deliveries d JOIN outbox_events e ON e.id = d.event_id \
         WHERE d.status = 'dead' ORDER BY d.id DESC LIMIT 100",
    )?
    .into_iter()
    .map(|r| {
        Ok(DeadDelivery {
            id: r.id,
            kind: r.kind,
            period: r.period,
            login: r.login,
            address: r.address,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: codec::parse_ts(&r.created_at)?,
        })
    })
    .collect::<Result<_, StoreError>>()?;
    Ok(out)
}

/// Puts every dead delivery back to pending, due at `at`, with its tries counted from zero;
/// returns how many. Audited.
pub async fn retry_dead(db: &Db, actor: &Actor, at: OffsetDateTime) -> Result<u64, StoreError> {
    let mut tx = db.begin().await?;
    let n = sql!(
        tx,
        execute,
        "UPDATE outbox_deliveries SET status = 'pending', attempts = 0, due_at = $1, \
         lease_until = NULL WHERE status = 'dead'",
        codec::ts(at),
    )?;
    if n > 0 {
        audit::record(
            &mut tx,
            NewEntry::new(actor, at, "retry", ENTITY, "dead".to_owned())
                .values(None, Some(serde_json::json!({ "deliveries": n }))),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// Deletes deliveries sent or expired before `before`, and events left without deliveries;
/// returns how many deliveries.
pub async fn purge(db: &Db, before: OffsetDateTime) -> Result<u64, StoreError> {
    let mut tx = db.begin().await?;
    let before = codec::ts(before);
    let n = sql!(
        tx,
        execute,
        "DELETE FROM outbox_deliveries WHERE status IN ('sent', 'expired') AND event_id IN \
         (SELECT id FROM outbox_events WHERE created_at < $1)",
        before.as_str(),
    )?;
    sql!(
        tx,
        execute,
        "DELETE FROM outbox_events WHERE created_at < $1 AND NOT EXISTS \
         (SELECT 1 FROM outbox_deliveries d WHERE d.event_id = outbox_events.id)",
        before.as_str(),
    )?;
    tx.commit().await?;
    Ok(n)
}
