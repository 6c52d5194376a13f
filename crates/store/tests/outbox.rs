//! The outbox on SQLite and, with `CHISO_TEST_PG`, PostgreSQL: notifications are recorded with
//! the change that causes them and only then; a claimed delivery is held by one worker until
//! its lease runs out; failures wait, deaths can be retried, old deliveries are purged; and on
//! PostgreSQL two workers claiming at the same time never get the same delivery.

use crate::common;

use std::time::Duration;

use chiso_domain::notify::Event;
use chiso_domain::workflow::AssessmentState;
use chiso_store::assessments::{self, StateChange};
use chiso_store::outbox::{self, Outgoing, Recipient};
use chiso_store::{Actor, Db, StoreError};
use common::*;
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2025-02-10 03:00 UTC);
const LEASE: Duration = Duration::from_secs(60);

fn submitted(unit: &str, to: &[&str]) -> Outgoing {
    Outgoing {
        event: Event::SelfAssessmentSubmitted {
            period: period_code("2024"),
            unit: unit_code(unit),
        },
        to: to
            .iter()
            .map(|login| Recipient {
                login: (*login).to_owned(),
                address: format!("{login}@example.vn"),
            })
            .collect(),
    }
}

fn draft() -> StateChange<'static> {
    StateChange {
        state: AssessmentState::Draft,
        reopened: false,
        reason: "",
    }
}

/// Moves `unit` of 2024 from `version` to a draft, recording `outgoing`.
async fn change_with(
    db: &Db,
    unit: &str,
    version: i64,
    outgoing: &[Outgoing],
) -> Result<i64, StoreError> {
    assessments::set_state_and_notify(
        db,
        &period_code("2024"),
        &unit_code(unit),
        version,
        &draft(),
        outgoing,
        &Actor("ld.an1".to_owned()),
        AT,
    )
    .await
    .map(|a| a.version)
}

#[tokio::test]
async fn notifications_exist_exactly_when_their_change_was_saved() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let told = [submitted("XA-AN-1", &["td.a", "td.b"])];
        // A stale version: the change is refused, and nothing is recorded with it.
        let err = change_with(&db, "XA-AN-1", 7, &told).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        assert_eq!(outbox::summary(&db).await.unwrap().pending, 0);
        // Saved: one event, one delivery per recipient.
        assert_eq!(change_with(&db, "XA-AN-1", 0, &told).await.unwrap(), 1);
        assert_eq!(outbox::summary(&db).await.unwrap().pending, 2);
        // The same state again changes nothing and records nothing.
        assert_eq!(change_with(&db, "XA-AN-1", 1, &told).await.unwrap(), 1);
        let s = outbox::summary(&db).await.unwrap();
        assert_eq!((s.pending, s.oldest_pending), (2, Some(AT)));
    })
    .await;
}

#[tokio::test]
async fn a_claimed_delivery_is_held_until_its_lease_runs_out_and_sent_once() {
    for_each_backend(|db| async move {
        seed(&db).await;
        change_with(&db, "XA-AN-1", 0, &[submitted("XA-AN-1", &["td.a"])])
            .await
            .unwrap();
        let first = outbox::claim(&db, AT, LEASE, 10).await.unwrap();
        assert_eq!(first.len(), 1);
        let d = &first[0];
        assert_eq!(
            (
                d.login.as_str(),
                d.address.as_str(),
                d.attempts,
                d.created_at
            ),
            ("td.a", "td.a@example.vn", 1, AT)
        );
        assert_eq!(
            d.event,
            Event::SelfAssessmentSubmitted {
                period: period_code("2024"),
                unit: unit_code("XA-AN-1"),
            }
        );
        // Held: another worker finds nothing until the lease runs out (the first one died).
        let later = AT + Duration::from_secs(30);
        assert!(
            outbox::claim(&db, later, LEASE, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let after_lease = AT + LEASE;
        let again = outbox::claim(&db, after_lease, LEASE, 10).await.unwrap();
        assert_eq!((again.len(), again[0].attempts), (1, 2));
        outbox::mark_sent(&db, again[0].id, after_lease)
            .await
            .unwrap();
        let far = AT + Duration::from_secs(3600);
        assert!(outbox::claim(&db, far, LEASE, 10).await.unwrap().is_empty());
        let s = outbox::summary(&db).await.unwrap();
        assert_eq!((s.pending, s.sent, s.oldest_pending), (0, 1, None));
    })
    .await;
}

#[tokio::test]
async fn a_failed_delivery_waits_a_dead_one_is_listed_and_retried_on_request() {
    for_each_backend(|db| async move {
        seed(&db).await;
        change_with(
            &db,
            "XA-AN-1",
            0,
            &[submitted("XA-AN-1", &["td.a", "td.b"])],
        )
        .await
        .unwrap();
        let claimed = outbox::claim(&db, AT, LEASE, 10).await.unwrap();
        assert_eq!(claimed.len(), 2);
        let retry_at = AT + Duration::from_secs(120);
        outbox::mark_failed(&db, claimed[0].id, "máy chủ từ chối", Some(retry_at))
            .await
            .unwrap();
        outbox::mark_failed(&db, claimed[1].id, &"x".repeat(2000), None)
            .await
            .unwrap();
        // The first waits for its time; the second is dead and not claimed again.
        let early = AT + Duration::from_secs(119);
        assert!(
            outbox::claim(&db, early, LEASE, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let due = outbox::claim(&db, retry_at, LEASE, 10).await.unwrap();
        assert_eq!(
            due.iter().map(|d| d.id).collect::<Vec<_>>(),
            [claimed[0].id]
        );
        let s = outbox::summary(&db).await.unwrap();
        assert_eq!((s.pending, s.dead), (1, 1));
        let dead = &s.dead_list[0];
        assert_eq!((dead.login.as_str(), dead.attempts), ("td.b", 1));
        assert_eq!(dead.last_error.as_ref().map(String::len), Some(500));
        // An operator tries it again: pending, due now, tries counted from zero; audited.
        let admin = Actor("admin".to_owned());
        let now = AT + Duration::from_secs(600);
        assert_eq!(outbox::retry_dead(&db, &admin, now).await.unwrap(), 1);
        let back = outbox::claim(&db, now, LEASE, 10).await.unwrap();
        assert!(
            back.iter()
                .any(|d| d.id == claimed[1].id && d.attempts == 1)
        );
        let log = chiso_store::audit::list(
            &db,
            &chiso_store::audit::AuditFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(
            log.iter()
                .any(|e| e.entity == outbox::ENTITY && e.actor == "admin")
        );
    })
    .await;
}

#[tokio::test]
async fn sent_and_expired_deliveries_are_purged_and_pending_ones_kept() {
    for_each_backend(|db| async move {
        seed(&db).await;
        change_with(
            &db,
            "XA-AN-1",
            0,
            &[submitted("XA-AN-1", &["td.a", "td.b"])],
        )
        .await
        .unwrap();
        let claimed = outbox::claim(&db, AT, LEASE, 1).await.unwrap();
        outbox::mark_sent(&db, claimed[0].id, AT).await.unwrap();
        let before = AT + Duration::from_secs(1);
        assert_eq!(outbox::purge(&db, before).await.unwrap(), 1);
        let s = outbox::summary(&db).await.unwrap();
        assert_eq!((s.pending, s.sent), (1, 0));
        // The pending one keeps its event.
        let rest = outbox::claim(&db, before, LEASE, 10).await.unwrap();
        outbox::mark_expired(&db, rest[0].id).await.unwrap();
        assert_eq!(outbox::summary(&db).await.unwrap().expired, 1);
        assert_eq!(outbox::purge(&db, before).await.unwrap(), 1);
        assert_eq!(
            outbox::summary(&db).await.unwrap(),
            outbox::Summary::default()
        );
    })
    .await;
}

#[tokio::test]
async fn workers_claiming_at_the_same_time_never_get_the_same_delivery() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let many: Vec<String> = (0..40).map(|i| format!("td.{i:02}")).collect();
        let logins: Vec<&str> = many.iter().map(String::as_str).collect();
        change_with(&db, "XA-AN-1", 0, &[submitted("XA-AN-1", &logins)])
            .await
            .unwrap();
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    loop {
                        let got = outbox::claim(&db, AT, LEASE, 3).await.unwrap();
                        if got.is_empty() {
                            break mine;
                        }
                        mine.extend(got.into_iter().map(|d| d.id));
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.unwrap());
        }
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(
            (n, all.len()),
            (40, 40),
            "each delivery claimed exactly once"
        );
    })
    .await;
}
