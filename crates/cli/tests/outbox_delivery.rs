//! E-mail notifications survive the server: a self-assessment is submitted while `chiso serve`
//! cannot reach its mail relay, the server is killed (SIGKILL), the relay comes back, and the
//! restarted server sends exactly one e-mail. On PostgreSQL, two servers sharing the database
//! send one e-mail between them. The real binary, the test SMTP server of the web tests.

#[allow(dead_code)]
#[path = "../../web/tests/common/smtp.rs"]
mod smtp;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chiso_domain::Clock;
use chiso_domain::notify::Event;
use chiso_domain::workflow::AssessmentState;
use chiso_domain::{AppraiserScope, Grant, PeriodCode, Role, UnitCode};
use chiso_store::assessments::{self, StateChange};
use chiso_store::testing::{Backend, TestDb, backends, snv_in_2025};
use chiso_store::{Actor, Db, grants, outbox, users};
use chiso_web::SystemClock;
use smtp::{Mail, decoded, next_mail, smtp_server};
use tokio::sync::mpsc::UnboundedReceiver;

/// The server process, killed when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// `chiso serve` on `url`, mailing through the relay on `smtp_port`, retrying after 1 s.
async fn serve(url: &str, data: &std::path::Path, smtp_port: u16) -> Server {
    let port = free_port();
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_chiso"))
            .args(["serve", "--no-demo", "--bind"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(data)
            .args(["--database-url", url])
            .args(["--smtp-host", "127.0.0.1", "--smtp-port"])
            .arg(smtp_port.to_string())
            .args(["--smtp-from", "Chỉ số CCHC <cchc@example.vn>"])
            .args(["--smtp-retry-after", "1", "--smtp-timeout", "5"])
            .env("CHISO_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chiso serve starts"),
    );
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server
}

fn snv() -> UnitCode {
    UnitCode::parse("SNV").unwrap()
}

fn period() -> PeriodCode {
    PeriodCode::parse("2025").unwrap()
}

/// Sở Nội vụ in period 2025 and its appraiser, who has an e-mail address.
async fn seed(db: &Db) {
    let actor = Actor("test".to_owned());
    let at = SystemClock.now();
    snv_in_2025(db, at).await;
    users::create(db, "tham-dinh", "Thẩm định", "x", false, &actor, at)
        .await
        .unwrap();
    let role = Role::Appraiser {
        scope: AppraiserScope::units([snv()]),
    };
    grants::grant(
        db,
        "tham-dinh",
        &Grant::in_period(role, period()),
        &actor,
        at,
    )
    .await
    .unwrap();
    users::set_email(
        db,
        "tham-dinh",
        Some("tham-dinh@snv.example.vn"),
        &actor,
        at,
    )
    .await
    .unwrap();
}

/// The leader submits (as any node of the application would: the change and its notification
/// in one transaction).
async fn submit(db: &Db) {
    let event = Event::SelfAssessmentSubmitted {
        period: period(),
        unit: snv(),
    };
    let told = chiso_services::outbox::outgoing(db, event).await.unwrap();
    assert_eq!(told.to.len(), 1, "the appraiser is told");
    let change = StateChange {
        state: AssessmentState::Submitted,
        reopened: false,
        reason: "",
    };
    let leader = Actor("lanh-dao".to_owned());
    let at = SystemClock.now();
    assessments::set_state_and_notify(db, &period(), &snv(), 0, &change, &[told], &leader, at)
        .await
        .unwrap();
}

/// Waits until the outbox has recorded at least `tries` tries of the delivery.
async fn wait_for_tries(db: &Db, tries: i64) {
    let started = Instant::now();
    loop {
        let s = outbox::summary(db).await.unwrap();
        let claimed = outbox_attempts(db).await;
        if claimed >= tries && s.pending == 1 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no try recorded: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Tries recorded on the only delivery, read directly: claiming it to look would count one.
async fn outbox_attempts(db: &Db) -> i64 {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar("SELECT MAX(attempts) FROM outbox_deliveries")
            .fetch_one(pool)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar("SELECT MAX(attempts) FROM outbox_deliveries")
            .fetch_one(pool)
            .await
            .unwrap(),
    }
}

async fn expect_exactly_one(mails: &mut UnboundedReceiver<Mail>) {
    let mail = next_mail(mails).await;
    assert_eq!(mail.to, ["<tham-dinh@snv.example.vn>"], "{mail:?}");
    let text = decoded(&mail.data);
    assert!(
        text.contains("Sở Nội vụ (SNV) đã nộp bản tự đánh giá"),
        "{text}"
    );
    // Several polls and a retry delay later, still one.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(mails.try_recv().is_err(), "a second e-mail was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_before_sending_loses_no_email_and_sends_it_once_after_restart() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seed(&t.db).await;
        let data = tempfile::tempdir().unwrap();
        // The relay is down: nothing listens on this port.
        let down = free_port();
        let mut first = serve(&t.url, data.path(), down).await;
        submit(&t.db).await;
        // The worker tried (and failed) at least once: the e-mail is due, not sent.
        wait_for_tries(&t.db, 1).await;
        first.0.kill().expect("SIGKILL");
        first.0.wait().unwrap();
        let (port, mut mails) = smtp_server().await;
        let _second = serve(&t.url, data.path(), port).await;
        expect_exactly_one(&mut mails).await;
        let s = outbox::summary(&t.db).await.unwrap();
        assert_eq!((s.pending, s.sent, s.dead), (0, 1, 0), "{}", backend.name());
        drop(_second);
        t.drop_database().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgresql_database_send_one_email_between_them() {
    let Some(backend) = backends()
        .into_iter()
        .find(|b| matches!(b, Backend::Postgres(_)))
    else {
        return;
    };
    let t = TestDb::new(&backend).await;
    seed(&t.db).await;
    let (port, mut mails) = smtp_server().await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = serve(&t.url, a.path(), port).await;
    let two = serve(&t.url, b.path(), port).await;
    submit(&t.db).await;
    expect_exactly_one(&mut mails).await;
    drop((one, two));
    t.drop_database().await;
}
