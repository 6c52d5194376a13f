//! Notifications through the outbox: the services that change the cycle record who to tell in
//! the same transaction as the change ([`outgoing`]); a background worker (`chiso-jobs`)
//! claims the deliveries, asks here what the message is about ([`describe`]) and records the
//! outcome; operators read the state of the outbox and try given-up deliveries again.
//!
//! The recipient rule is the domain's ([`Event::recipients`]); only people with an e-mail
//! address and an enabled account get a delivery.

use std::time::Duration;

use chiso_domain::authz::Principal;
use chiso_domain::notify::{self, AfterFailure, Event};
use chiso_store::outbox;
pub use chiso_store::outbox::{Claimed, DeadDelivery, Outgoing, Recipient, Summary};
use chiso_store::{Actor, Db, grants, periods, units, users};
use time::OffsetDateTime;

use crate::error::ServiceResult;
use crate::users::require_manage;

/// The deliveries to record for `event`: one per person the domain's rule names who has an
/// e-mail address and an enabled account.
pub async fn outgoing(db: &Db, event: Event) -> ServiceResult<Outgoing> {
    let all = grants::list(db).await?;
    let logins = event.recipients(all.iter().map(|g| (g.login.as_str(), &g.grant)));
    let to = users::emails_of(db, &logins)
        .await?
        .into_iter()
        .map(|(login, address)| Recipient { login, address })
        .collect();
    Ok(Outgoing { event, to })
}

/// What a message is about, in the names people know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    /// "Chỉ số CCHC năm 2025 (2025)".
    pub period: String,
    /// "Sở Nội vụ (SNV)", or empty for an event about the whole period.
    pub unit: String,
    /// The leaf's code, or empty.
    pub leaf: String,
}

/// Names the period and unit of `event` (their codes alone when they are gone).
pub async fn describe(db: &Db, event: &Event) -> ServiceResult<Described> {
    let code = event.period();
    let period = match periods::get(db, code).await? {
        Some(p) => format!("{} ({})", p.name, p.code),
        None => code.to_string(),
    };
    let unit = match event.unit() {
        Some(u) => match units::get(db, u).await? {
            Some(x) => format!("{} ({})", x.name, x.code),
            None => u.to_string(),
        },
        None => String::new(),
    };
    let leaf = event.leaf().map(ToString::to_string).unwrap_or_default();
    Ok(Described { period, unit, leaf })
}

/// Claims up to `limit` due deliveries for `lease` (see [`chiso_store::outbox::claim`]).
pub async fn claim(
    db: &Db,
    now: OffsetDateTime,
    lease: Duration,
    limit: u32,
) -> ServiceResult<Vec<Claimed>> {
    Ok(outbox::claim(db, now, lease, limit).await?)
}

/// Records that a claimed delivery was sent.
pub async fn sent(db: &Db, id: i64, at: OffsetDateTime) -> ServiceResult<()> {
    Ok(outbox::mark_sent(db, id, at).await?)
}

/// Records a failed try: tried again after the domain's delay (from `first_retry`), or given
/// up after the last try. Returns what was decided.
pub async fn failed(
    db: &Db,
    delivery: &Claimed,
    error: &str,
    first_retry: Duration,
    now: OffsetDateTime,
) -> ServiceResult<AfterFailure> {
    let next = notify::after_failure(first_retry, delivery.attempts, now);
    let retry_at = match next {
        AfterFailure::RetryAt(at) => Some(at),
        AfterFailure::GiveUp => None,
    };
    outbox::mark_failed(db, delivery.id, error, retry_at).await?;
    Ok(next)
}

/// Drops a delivery whose event is too old to be worth sending ([`notify::expired`]); true if
/// it was dropped.
pub async fn drop_if_expired(
    db: &Db,
    delivery: &Claimed,
    now: OffsetDateTime,
) -> ServiceResult<bool> {
    if notify::expired(delivery.created_at, now) {
        outbox::mark_expired(db, delivery.id).await?;
        Ok(true)
    } else {
        Ok(false)
    }
}

/// Deletes what was sent or dropped more than `keep` ago.
pub async fn purge(db: &Db, keep: Duration, now: OffsetDateTime) -> ServiceResult<u64> {
    Ok(outbox::purge(db, now - keep).await?)
}

/// The state of the outbox. For administrators.
pub async fn summary(db: &Db, principal: &Principal) -> ServiceResult<Summary> {
    require_manage(principal)?;
    Ok(outbox::summary(db).await?)
}

/// Tries every given-up delivery again, now; how many. For administrators; audited.
pub async fn retry_dead(db: &Db, principal: &Principal, now: OffsetDateTime) -> ServiceResult<u64> {
    require_manage(principal)?;
    Ok(outbox::retry_dead(db, &Actor(principal.login.clone()), now).await?)
}
