//! The outbox worker against a real database (SQLite always, PostgreSQL with `CHISO_TEST_PG`)
//! and a notifier that records messages and fails on demand, with a clock the test moves: a
//! message is sent once and marked sent; a failure is tried again after one minute, then two,
//! and given up after the eighth try; an expired notification is dropped; and two workers on
//! the same database send each message once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chiso_domain::notify::{Event, MAX_ATTEMPTS};
use chiso_domain::workflow::AssessmentState;
use chiso_domain::{Clock, PeriodCode, UnitCode};
use chiso_jobs::{Notifier, NotifyError, OutboxConfig, Worker};
use chiso_store::assessments::{self, StateChange};
use chiso_store::outbox::{self, Outgoing, Recipient};
use chiso_store::testing::{TestDb, backends, snv_in_2025};
use chiso_store::{Actor, Db};
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2025-02-10 03:00 UTC);

/// A clock the test moves.
#[derive(Debug)]
struct TestClock(Mutex<OffsetDateTime>);

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

/// Records what it is asked to send; fails while `failing` is set.
#[derive(Debug, Default)]
struct Recorder {
    sent: Mutex<Vec<(String, String, String)>>,
    failing: Mutex<bool>,
}

#[async_trait]
impl Notifier for Recorder {
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), NotifyError> {
        if *self.failing.lock().unwrap() {
            return Err(NotifyError("550 hộp thư không tồn tại".to_owned()));
        }
        self.sent
            .lock()
            .unwrap()
            .push((to.to_owned(), subject.to_owned(), body.to_owned()));
        Ok(())
    }
}

impl Recorder {
    fn count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }
}

fn period() -> PeriodCode {
    PeriodCode::parse("2025").unwrap()
}

fn snv() -> UnitCode {
    UnitCode::parse("SNV").unwrap()
}

/// Period 2025 and Sở Nội vụ; the leader's change of state records `to` as recipients of a
/// submission.
async fn seed_with_submission(db: &Db, to: &[&str]) {
    let actor = Actor("test".to_owned());
    snv_in_2025(db, T0).await;
    let told = Outgoing {
        event: Event::SelfAssessmentSubmitted {
            period: period(),
            unit: snv(),
        },
        to: to
            .iter()
            .map(|l| Recipient {
                login: (*l).to_owned(),
                address: format!("{l}@snv.example.vn"),
            })
            .collect(),
    };
    let change = StateChange {
        state: AssessmentState::Submitted,
        reopened: false,
        reason: "",
    };
    assessments::set_state_and_notify(db, &period(), &snv(), 0, &change, &[told], &actor, T0)
        .await
        .unwrap();
}

fn worker(db: &Db, clock: &Arc<TestClock>, recorder: &Arc<Recorder>) -> Worker {
    let mut config = OutboxConfig::new(Arc::clone(recorder) as Arc<dyn Notifier>);
    config.poll = Duration::from_millis(20);
    let clock: Arc<dyn Clock> = Arc::clone(clock) as Arc<dyn Clock>;
    Worker::new(db.clone(), clock, config)
}

#[tokio::test]
async fn a_notification_is_sent_once_in_vietnamese_and_marked_sent() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seed_with_submission(&t.db, &["td.snv"]).await;
        let clock = Arc::new(TestClock(Mutex::new(T0)));
        let recorder = Arc::new(Recorder::default());
        let w = worker(&t.db, &clock, &recorder);
        assert_eq!(w.run_once().await.unwrap(), 1);
        assert_eq!(w.run_once().await.unwrap(), 0, "nothing left");
        let sent = recorder.sent.lock().unwrap().clone();
        assert_eq!(sent.len(), 1);
        let (to, subject, body) = &sent[0];
        assert_eq!(to, "td.snv@snv.example.vn");
        assert_eq!(
            subject,
            "[Chỉ số CCHC] Sở Nội vụ (SNV) đã nộp bản tự đánh giá kỳ Chỉ số CCHC năm 2025 (2025)"
        );
        assert!(body.contains("submitted its self-assessment"), "{body}");
        assert_eq!(outbox::summary(&t.db).await.unwrap().sent, 1);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_failing_delivery_is_retried_after_growing_waits_and_given_up_after_the_last_try() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seed_with_submission(&t.db, &["td.snv"]).await;
        let clock = Arc::new(TestClock(Mutex::new(T0)));
        let recorder = Arc::new(Recorder::default());
        *recorder.failing.lock().unwrap() = true;
        let w = worker(&t.db, &clock, &recorder);
        assert_eq!(w.run_once().await.unwrap(), 1, "first try");
        // Not due again before one minute, due after it.
        clock.advance(Duration::from_secs(59));
        assert_eq!(w.run_once().await.unwrap(), 0);
        clock.advance(Duration::from_secs(1));
        assert_eq!(w.run_once().await.unwrap(), 1, "second try after 1 min");
        clock.advance(Duration::from_secs(119));
        assert_eq!(w.run_once().await.unwrap(), 0);
        clock.advance(Duration::from_secs(1));
        assert_eq!(w.run_once().await.unwrap(), 1, "third try after 2 min");
        for _ in 3..MAX_ATTEMPTS {
            clock.advance(Duration::from_secs(6 * 3600));
            assert_eq!(w.run_once().await.unwrap(), 1);
        }
        clock.advance(Duration::from_secs(6 * 3600));
        assert_eq!(w.run_once().await.unwrap(), 0, "given up");
        let s = outbox::summary(&t.db).await.unwrap();
        assert_eq!((s.pending, s.dead), (0, 1));
        assert_eq!(
            s.dead_list[0].last_error.as_deref(),
            Some("550 hộp thư không tồn tại")
        );
        assert_eq!(recorder.count(), 0);
        // The relay works again and an operator retries: sent.
        *recorder.failing.lock().unwrap() = false;
        outbox::retry_dead(&t.db, &Actor("admin".to_owned()), clock.now())
            .await
            .unwrap();
        assert_eq!(w.run_once().await.unwrap(), 1);
        assert_eq!(recorder.count(), 1);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_notification_older_than_a_week_is_dropped_not_sent() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seed_with_submission(&t.db, &["td.snv"]).await;
        let clock = Arc::new(TestClock(Mutex::new(T0)));
        clock.advance(Duration::from_secs(8 * 24 * 3600));
        let recorder = Arc::new(Recorder::default());
        let w = worker(&t.db, &clock, &recorder);
        assert_eq!(w.run_once().await.unwrap(), 1);
        assert_eq!(recorder.count(), 0);
        assert_eq!(outbox::summary(&t.db).await.unwrap().expired, 1);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn two_running_workers_on_one_database_send_each_message_once() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let logins: Vec<String> = (0..30).map(|i| format!("td.{i:02}")).collect();
        let to: Vec<&str> = logins.iter().map(String::as_str).collect();
        seed_with_submission(&t.db, &to).await;
        let clock = Arc::new(TestClock(Mutex::new(T0)));
        let recorder = Arc::new(Recorder::default());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let running: Vec<_> = (0..2)
            .map(|_| {
                let mut stopped = stopped.clone();
                tokio::spawn(worker(&t.db, &clock, &recorder).run(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                }))
            })
            .collect();
        for _ in 0..500 {
            if recorder.count() >= 30 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Give a duplicate the time to show up, then stop both.
        tokio::time::sleep(Duration::from_millis(200)).await;
        stop.send(true).unwrap();
        for r in running {
            r.await.unwrap();
        }
        let mut addresses: Vec<String> = recorder
            .sent
            .lock()
            .unwrap()
            .iter()
            .map(|(to, _, _)| to.clone())
            .collect();
        assert_eq!(addresses.len(), 30, "each message sent once");
        addresses.sort();
        addresses.dedup();
        assert_eq!(addresses.len(), 30);
        assert_eq!(outbox::summary(&t.db).await.unwrap().sent, 30);
        t.drop_database().await;
    }
}
