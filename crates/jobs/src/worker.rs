//! The outbox worker: claims due deliveries, writes each message, sends it and records the
//! outcome, forever, until told to stop.
//!
//! A delivery is claimed with a lease longer than one send may take, so another worker (on
//! another node) never sends it at the same time, and a worker that dies mid-send only delays
//! it until the lease runs out. A failed send is tried again after the domain's growing delay
//! and given up after the last try (`chiso outbox retry` tries those again). A message is
//! marked sent only once the mail server accepted it.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chiso_domain::Clock;
use chiso_domain::notify::AfterFailure;
use chiso_services::outbox::{self, Claimed};
use chiso_services::{Db, ServiceResult};

use crate::mail::{Notifier, SMTP_TIMEOUT};
use crate::texts;

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// Where messages go.
    pub notifier: Arc<dyn Notifier>,
    /// How often an idle worker looks for due deliveries.
    pub poll: Duration,
    /// The wait after a first failed try; it doubles after each further one.
    pub first_retry: Duration,
    /// The longest one send may take; a send still running then counts as failed. The lease
    /// on a claimed delivery is twice this, plus a margin.
    pub send_timeout: Duration,
    /// Deliveries claimed at once.
    pub batch: u32,
    /// How long sent and expired deliveries are kept before they are deleted.
    pub keep: Duration,
}

impl OutboxConfig {
    /// The defaults for `notifier`: look every 2 s, retry after 1 min, 30 s per send, 20 at a
    /// time, keep 90 days.
    pub fn new(notifier: Arc<dyn Notifier>) -> Self {
        OutboxConfig {
            notifier,
            poll: Duration::from_secs(2),
            first_retry: Duration::from_secs(60),
            send_timeout: SMTP_TIMEOUT,
            batch: 20,
            keep: Duration::from_secs(90 * 24 * 3600),
        }
    }

    /// How long a claimed delivery is held.
    pub fn lease(&self) -> Duration {
        self.send_timeout * 2 + Duration::from_secs(10)
    }
}

/// The outbox worker of one application node.
#[derive(Debug, Clone)]
pub struct Worker {
    db: Db,
    clock: Arc<dyn Clock>,
    config: OutboxConfig,
}

/// How often sent deliveries are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

impl Worker {
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: OutboxConfig) -> Self {
        Worker { db, clock, config }
    }

    /// Runs until `shutdown` completes; a send under way is finished first. Database errors
    /// are logged and the worker tries again at the next poll.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tracing::info!(poll = ?self.config.poll, "outbox worker started");
        tokio::pin!(shutdown);
        let mut last_purge: Option<Instant> = None;
        loop {
            if last_purge.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
                match outbox::purge(&self.db, self.config.keep, self.clock.now()).await {
                    Ok(n) if n > 0 => tracing::info!(deliveries = n, "outbox purged"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e.code(), "outbox not purged"),
                }
                last_purge = Some(Instant::now());
            }
            let busy = tokio::select! {
                biased;
                () = &mut shutdown => break,
                done = self.run_once() => match done {
                    Ok(n) => n >= self.config.batch as usize,
                    Err(e) => {
                        tracing::warn!(error = %e.code(), "outbox: database unavailable");
                        false
                    }
                },
            };
            if busy {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(self.config.poll) => {}
            }
        }
        tracing::info!("outbox worker stopped");
    }

    /// One round: claims the due deliveries (up to a batch) and tries each; how many were
    /// claimed.
    pub async fn run_once(&self) -> ServiceResult<usize> {
        let claimed = outbox::claim(
            &self.db,
            self.clock.now(),
            self.config.lease(),
            self.config.batch,
        )
        .await?;
        for d in &claimed {
            self.deliver(d).await?;
        }
        Ok(claimed.len())
    }

    async fn deliver(&self, d: &Claimed) -> ServiceResult<()> {
        if outbox::drop_if_expired(&self.db, d, self.clock.now()).await? {
            tracing::info!(delivery = d.id, "notification expired, not sent");
            return Ok(());
        }
        let about = outbox::describe(&self.db, &d.event).await?;
        let mail = texts::mail(&d.event, &about);
        let sent = tokio::time::timeout(
            self.config.send_timeout,
            self.config
                .notifier
                .send(&d.address, &mail.subject, &mail.body),
        )
        .await;
        let error = match sent {
            Ok(Ok(())) => {
                tracing::info!(delivery = d.id, login = %d.login, kind = d.event.kind(), "notification sent");
                return outbox::sent(&self.db, d.id, self.clock.now()).await;
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {:?}", self.config.send_timeout),
        };
        let next = outbox::failed(
            &self.db,
            d,
            &error,
            self.config.first_retry,
            self.clock.now(),
        )
        .await?;
        match next {
            AfterFailure::RetryAt(at) => {
                tracing::warn!(delivery = d.id, attempts = d.attempts, %error, retry_at = %at, "notification not sent");
            }
            AfterFailure::GiveUp => {
                tracing::error!(delivery = d.id, attempts = d.attempts, %error, "notification given up");
            }
        }
        Ok(())
    }
}
