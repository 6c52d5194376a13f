//! E-mail notifications over SMTP: when the leader submits a self-assessment, the appraisers
//! of the unit who have an e-mail address get a message naming the unit; with notifications
//! off nothing is sent. The SMTP server is a small one in the test that speaks just enough of
//! the protocol and keeps what it receives. SQLite always, PostgreSQL when `CHISO_TEST_PG` is
//! set.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chiso_domain::authz::{AppraiserScope, Grant, Role};
use chiso_domain::workflow::{AssessmentState, Milestones, vn_day_start};
use chiso_domain::{
    ClassScheme, Clock, GroupName, IndexSet, Membership, Method, Node, NodeCode, PeriodCode,
    Points, RankingRule, SetCode, Source, UnitCode,
};
use chiso_store::assessments::{self, StateChange};
use chiso_store::periods::{self, Period};
use chiso_store::{Actor, Db, grants, index_sets, milestones, users};
use chiso_web::WebConfig;
use chiso_web::notify::{Notifier, SmtpNotifier, SmtpSettings};
use common::{Backend, TestApp, backends, cheap_hash};
use reqwest::StatusCode;
use rust_decimal_macros::dec;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const PASSWORD: &str = "mat-khau-dung-123";
const PAGE: &str = "/ky/2025/tu-danh-gia/SNV";

// ---------------------------------------------------------------------------------------------
// A minimal SMTP server.

/// One message as received: the envelope recipients and the data.
#[derive(Debug)]
struct Mail {
    to: Vec<String>,
    data: String,
}

/// Listens on a free port of 127.0.0.1 and hands every message received to the channel.
async fn smtp_server() -> (u16, mpsc::UnboundedReceiver<Mail>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.ok();
                let mut to = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 test\r\n",
                        "RCPT" => {
                            to.push(line[8..].trim().to_owned());
                            b"250 OK\r\n"
                        }
                        "DATA" => {
                            write.write_all(b"354 go on\r\n").await.ok();
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            let _ = tx.send(Mail {
                                to: std::mem::take(&mut to),
                                data,
                            });
                            b"250 OK\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.ok();
                            break;
                        }
                        _ => b"250 OK\r\n",
                    };
                    write.write_all(reply).await.ok();
                }
            });
        }
    });
    (port, rx)
}

/// The next message, waiting at most long enough for a slow machine.
async fn next_mail(rx: &mut mpsc::UnboundedReceiver<Mail>) -> Mail {
    tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("an e-mail arrives")
        .expect("the server runs")
}

/// The text of a message with its quoted-printable or base64 body decoded enough to search:
/// lettre encodes non-ASCII bodies, so the test looks at the decoded subject and body.
fn decoded(data: &str) -> String {
    let (head, body) = data.split_once("\n\n").unwrap_or((data, ""));
    let mut out = head.to_owned();
    out.push('\n');
    if head
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: base64")
    {
        out.push_str(&String::from_utf8_lossy(&base64(&body.replace('\n', ""))));
    } else if head
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: quoted-printable")
    {
        out.push_str(&String::from_utf8_lossy(&quoted_printable(body)));
    } else {
        out.push_str(body);
    }
    out
}

fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        let Some(v) = ALPHABET.iter().position(|&a| a == c) else {
            continue;
        };
        acc = (acc << 6) | u32::try_from(v).unwrap();
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap());
        }
    }
    out
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// A period 2025 with one leaf the unit does not enter, so that the leader may submit at once.

fn period() -> PeriodCode {
    PeriodCode::parse("2025").unwrap()
}

fn unit(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

fn index_set() -> IndexSet {
    let leaf = Node {
        code: NodeCode::parse("1.1").unwrap(),
        title: "Tỷ lệ hồ sơ trực tuyến toàn trình".to_owned(),
        max: Points(dec!(2)),
        source: Source::Data,
        method: Some(Method::Proportional),
        rule: None,
        evidence: None,
        not_applicable: None,
        children: vec![],
    };
    let set = IndexSet {
        code: SetCode::parse("BCS-TB-2025").unwrap(),
        name: "Bộ chỉ số thông báo 2025".to_owned(),
        year: 2025,
        decision: None,
        classes: ClassScheme::common_default(),
        ranking: RankingRule::default(),
        renormalise_absent_areas: false,
        nodes: vec![Node {
            code: NodeCode::parse("1").unwrap(),
            title: "Dịch vụ công trực tuyến".to_owned(),
            max: Points(dec!(2)),
            source: Source::Data,
            method: None,
            rule: None,
            evidence: None,
            not_applicable: None,
            children: vec![leaf],
        }],
    };
    assert_eq!(set.validate(), Ok(()), "the test set is valid");
    set
}

fn plan() -> Milestones {
    let at = |d: Date| Some(vn_day_start(d));
    Milestones {
        self_open: at(date!(2025 - 01 - 01)),
        self_close: at(date!(2025 - 03 - 01)),
        appraisal_open: at(date!(2025 - 03 - 02)),
        appraisal_close: at(date!(2025 - 03 - 20)),
        explanation_open: at(date!(2025 - 03 - 21)),
        explanation_close: at(date!(2025 - 04 - 01)),
        approval: at(date!(2025 - 04 - 10)),
        publication: at(date!(2025 - 05 - 01)),
    }
}

/// The leader of SNV, an appraiser of SNV and one of STP, each with an e-mail address, and an
/// appraiser of SNV without one.
async fn seed_period(db: &Db) {
    let actor = Actor("test".to_owned());
    let at = datetime!(2025-01-02 01:00 UTC);
    index_sets::save(db, &index_set(), &actor, at)
        .await
        .expect("index set");
    let p = Period {
        code: period(),
        year: 2025,
        name: "Chỉ số CCHC năm 2025".to_owned(),
        previous: None,
        status: periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    };
    periods::create(db, &p, &actor, at).await.expect("period");
    let group = GroupName::parse("Sở, ban, ngành").unwrap();
    let members = ["SNV", "STP"]
        .into_iter()
        .map(|u| Membership {
            unit: unit(u),
            group: group.clone(),
            ranked: true,
        })
        .collect::<Vec<_>>();
    periods::set_groups(
        db,
        &period(),
        &[(group, SetCode::parse("BCS-TB-2025").unwrap())],
        &members,
        &actor,
        at,
    )
    .await
    .expect("groups");
    milestones::set_all(db, &period(), &plan(), &actor, at)
        .await
        .expect("milestones");
    let people = [
        (
            "lanh-dao",
            Role::UnitLeader { unit: unit("SNV") },
            Some("lanh-dao@snv.example.vn"),
        ),
        (
            "tham-dinh",
            Role::Appraiser {
                scope: AppraiserScope::units([unit("SNV")]),
            },
            Some("tham-dinh@snv.example.vn"),
        ),
        (
            "tham-dinh-stp",
            Role::Appraiser {
                scope: AppraiserScope::units([unit("STP")]),
            },
            Some("tham-dinh@stp.example.vn"),
        ),
        (
            "tham-dinh-khong-thu",
            Role::Appraiser {
                scope: AppraiserScope::everything(),
            },
            None,
        ),
    ];
    for (login, role, email) in people {
        users::create(db, login, login, &cheap_hash(PASSWORD), false, &actor, at)
            .await
            .expect("user");
        grants::grant(db, login, &Grant::in_period(role, period()), &actor, at)
            .await
            .expect("grant");
        users::set_email(db, login, email, &actor, at)
            .await
            .expect("email");
    }
    // The unit has begun (a draft), as after its first save.
    let draft = StateChange {
        state: AssessmentState::Draft,
        reopened: false,
        reason: "",
    };
    assessments::set_state(db, &period(), &unit("SNV"), 0, &draft, &actor, at)
        .await
        .expect("draft");
    assert_eq!(
        users::email(db, "tham-dinh").await.unwrap().as_deref(),
        Some("tham-dinh@snv.example.vn")
    );
}

#[derive(Debug)]
struct FixedClock(Mutex<OffsetDateTime>);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

async fn start(backend: &Backend, smtp_port: Option<u16>) -> TestApp {
    let notifier = smtp_port.map(|port| {
        let settings = SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port,
            user: None,
            password: None,
            from: "Chỉ số CCHC <cchc@example.vn>".to_owned(),
            starttls: false,
        };
        Arc::new(SmtpNotifier::new(&settings).expect("notifier")) as Arc<dyn Notifier>
    });
    let config = WebConfig {
        clock: Arc::new(FixedClock(Mutex::new(datetime!(2025-02-10 03:00 UTC)))),
        notifier,
        ..WebConfig::default()
    };
    let app = TestApp::start_with(backend, config, true).await;
    seed_period(app.db()).await;
    app
}

// ---------------------------------------------------------------------------------------------
// Signing in and submitting.

fn between<'a>(body: &'a str, marker: &str) -> &'a str {
    let start = body
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in:\n{body}"))
        + marker.len();
    body[start..].split('"').next().unwrap()
}

/// Signs in as the leader of SNV and submits the self-assessment; the response status.
async fn leader_submits(app: &TestApp) -> StatusCode {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str, cookie: &str| {
        let req = client.get(format!("{}{path}", app.base));
        if cookie.is_empty() {
            req
        } else {
            req.header("cookie", cookie.to_owned())
        }
    };
    let session = |r: &reqwest::Response| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("chiso_session="))
            .map(|c| format!("chiso_session={}", c.split(';').next().unwrap_or("")))
    };
    let r = get("/dang-nhap", "").send().await.unwrap();
    let cookie = session(&r).unwrap_or_default();
    let body = r.text().await.unwrap();
    let csrf = between(&body, "name=\"csrf\" value=\"").to_owned();
    let r = client
        .post(format!("{}/dang-nhap", app.base))
        .header("cookie", cookie.clone())
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", "lanh-dao"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in");
    let cookie = session(&r).unwrap_or(cookie);
    let page = get(PAGE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = between(&page, "name=\"csrf\" value=\"").to_owned();
    let version = between(&page, "name=\"version\" value=\"").to_owned();
    let r = client
        .post(format!("{}{PAGE}/nop", app.base))
        .header("cookie", cookie)
        .form(&[("csrf", csrf.as_str()), ("version", version.as_str())])
        .send()
        .await
        .unwrap();
    r.status()
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_submitted_self_assessment_is_mailed_to_the_units_appraiser_only() {
    for backend in backends() {
        let (port, mut mails) = smtp_server().await;
        let app = start(&backend, Some(port)).await;
        assert_eq!(leader_submits(&app).await, StatusCode::SEE_OTHER);
        let mail = next_mail(&mut mails).await;
        assert_eq!(mail.to, ["<tham-dinh@snv.example.vn>"], "{mail:?}");
        let text = decoded(&mail.data);
        for needle in [
            "Sở Nội vụ (SNV) đã nộp bản tự đánh giá",
            "Chỉ số CCHC năm 2025",
            "submitted its self-assessment",
        ] {
            assert!(text.contains(needle), "{needle:?} in:\n{text}");
        }
        // One appraiser covers SNV and has an address: nobody else is written to.
        assert!(mails.try_recv().is_err(), "only one e-mail");
        app.stop().await;
    }
}

#[tokio::test]
async fn with_notifications_off_a_submission_sends_nothing() {
    for backend in backends() {
        let (_port, mut mails) = smtp_server().await;
        let app = start(&backend, None).await;
        assert_eq!(leader_submits(&app).await, StatusCode::SEE_OTHER);
        app.stop().await;
        assert!(mails.try_recv().is_err(), "no e-mail");
    }
}
