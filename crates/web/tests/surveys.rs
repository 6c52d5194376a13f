//! Surveys in the browser: the administrator downloads the questionnaire template, defines a
//! survey with it, imports an answer file after its preview, reads the points and the answers
//! behind them, issues a link; a respondent fills in the questionnaire without signing in,
//! saves, comes back and sends it once; the survey is closed into the period's leaves. A unit's
//! officer is refused. SQLite always, PostgreSQL when `CHISO_TEST_PG` is set.

use crate::common;

use chiso_domain::{Grant, PeriodCode, Role, UnitCode};
use chiso_store::{Actor, Db, grants, index_sets, scores, users};
use common::browser::{Browser, Part, csrf_of, hidden};
use common::{TestApp, backends, cheap_hash};
use reqwest::StatusCode;
use time::OffsetDateTime;
use time::macros::datetime;

const PASSWORD: &str = "mat-khau-dung-123";
const AT: OffsetDateTime = datetime!(2026-03-02 02:00 UTC);
const LIST: &str = "/ky/2026/dieu-tra";

/// One assessed leaf (1.1) and one survey leaf (2.1, 30 points).
const SET: &str = r#"code: BCS-KS
name: Bộ chỉ số có tiêu chí điều tra
year: 2026
classes:
  - {label: Tốt, min: 80}
  - {label: Khá, min: 0}
nodes:
  - code: "1"
    title: Chỉ đạo, điều hành
    max: 70
    children:
      - code: "1.1"
        title: Ban hành kế hoạch
        max: 70
        source: assessed
        method: {manual: {step: 0.5}}
  - code: "2"
    title: Đánh giá của người dân
    max: 30
    children:
      - code: "2.1"
        title: Mức độ công khai, minh bạch
        max: 30
        source: survey
        method: survey
"#;

fn period() -> PeriodCode {
    PeriodCode::parse("2026").unwrap()
}

async fn prepared(db: &Db) {
    let a = Actor("admin".to_owned());
    let set = chiso_formats::read_index_set_bytes("bcs.yaml", SET.as_bytes()).unwrap();
    index_sets::save(db, &set, &a, AT).await.unwrap();
    let units = "code,name,group,kind\nSNV,Sở Nội vụ,Sở ngành,sở\nSTP,Sở Tư pháp,Sở ngành,sở\n";
    let file = chiso_formats::read_units_bytes("don-vi.csv", units.as_bytes()).unwrap();
    chiso_services::import::import_units(db, &file, Some(&period()), Some(&set.code), &a, AT)
        .await
        .unwrap();
    for (login, admin) in [("admin", true), ("cb.snv", false)] {
        users::create(db, login, login, &cheap_hash(PASSWORD), admin, &a, AT)
            .await
            .unwrap();
    }
    let officer = Grant::in_period(
        Role::UnitOfficer {
            unit: UnitCode::parse("SNV").unwrap(),
        },
        period(),
    );
    grants::grant(db, "cb.snv", &officer, &a, AT).await.unwrap();
}

/// Follows a background job's page until it no longer reloads itself: the preview, a refusal,
/// or the redirect to the survey page.
async fn follow(b: &mut Browser, path: &str) -> common::browser::Reply {
    for _ in 0..200 {
        let r = b.get(path).await;
        if !r.body.contains("http-equiv=\"refresh\"") {
            return r;
        }
        assert!(r.body.contains("<progress"), "{}", r.body);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the job at {path} did not end");
}

#[tokio::test]
async fn a_survey_runs_from_its_template_to_points_written_into_the_period() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, chiso_web::WebConfig::default(), false).await;
        let db = app.db();
        prepared(db).await;

        let mut officer = Browser::signed_in(&app.base, "cb.snv", PASSWORD).await;
        assert_eq!(officer.get(LIST).await.status, StatusCode::FORBIDDEN);

        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let page = admin.page(LIST).await;
        page.assert_has(&["Các đợt điều tra", "Kỳ này chưa có đợt điều tra nào."]);

        // The template is a workbook a real reader reads back, filled in with the leaf.
        let t = admin.page(&format!("{LIST}/mau.xlsx")).await;
        assert!(
            t.content_type.contains("spreadsheetml"),
            "{}",
            t.content_type
        );
        let def = chiso_formats::survey::read_questionnaire_bytes("mau.xlsx", &t.bytes).unwrap();
        assert_eq!(def.groups.len(), 1);
        assert_eq!(
            def.groups[0].questions[0].text,
            "Mức độ công khai, minh bạch"
        );

        // A workbook with a mistake is refused, naming it.
        let r = admin
            .post_multipart(
                &format!("{LIST}/tao"),
                &[
                    Part::Text("csrf", &csrf_of(&page.body)),
                    Part::File("file", "phieu.json", b"{\"code\": 1}"),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            app.backend,
            r.body
        );

        let r = admin
            .post_multipart(
                &format!("{LIST}/tao"),
                &[
                    Part::Text("csrf", &csrf_of(&page.body)),
                    Part::File("file", "phieu.xlsx", &t.bytes),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let survey = r.location.split('?').next().unwrap().to_owned();
        assert_eq!(survey, format!("{LIST}/XHH-2026"));
        let page = admin.page(&r.location).await;
        page.assert_has(&["Đã tạo đợt điều tra.", "Tiến độ thu phiếu", "Sở Nội vụ"]);

        // A file with mistakes: every one named with its row, nothing stored.
        let bad = "respondent,group,unit,question,answer\nq1,N1,SNV,C1,X\nq2,N1,KHONG,C1,A\n";
        let r = admin
            .post_multipart(
                &format!("{survey}/nhap-phieu"),
                &[
                    Part::Text("csrf", &csrf_of(&page.body)),
                    Part::Text("group", ""),
                    Part::File("file", "sai.csv", bad.as_bytes()),
                ],
            )
            .await;
        let r = follow(&mut admin, &r.location).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["sai.csv, dòng 2", "sai.csv, dòng 3"]);

        // An answer file: previewed (nothing stored), then imported.
        let answers = "respondent,group,unit,question,answer\n\
                       p1,N1,SNV,C1,A\np1,N1,STP,C1,B\np2,N1,SNV,C1,C\np2,N1,STP,C1,E\n";
        let r = admin
            .post_multipart(
                &format!("{survey}/nhap-phieu"),
                &[
                    Part::Text("csrf", &csrf_of(&page.body)),
                    Part::Text("group", ""),
                    Part::File("file", "phieu-thu.csv", answers.as_bytes()),
                ],
            )
            .await;
        // The file is read in the background; its page follows until the preview is ready.
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(r.location.contains("/tien-trinh/"), "{}", r.location);
        let r = follow(&mut admin, &r.location).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.assert_has(&["Xem trước tệp phieu-thu.csv", "2 phiếu mới"]);
        let id = hidden(&r.body, "id");
        let r = admin
            .post_csrf(&format!("{survey}/xac-nhan"), &[("id", &id)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = follow(&mut admin, &r.location).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = admin.page(&r.location).await;
        // SNV: A, C → (1 + 0,2) / 2 = 0,6 × 30 = 18; STP: B (E not counted) → 18.
        page.assert_has(&[
            "Đã nhập 2 phiếu mới.",
            ">18,00</a> <small>(2)</small>",
            ">18,00</a> <small>(1)</small>",
        ]);
        // Each group's XLSForm is one link away from the page.
        let at = page
            .body
            .find("/xlsform.xlsx?nhom=")
            .expect("a link to the XLSForm");
        let start = page.body[..at].rfind('"').unwrap() + 1;
        let end = at + page.body[at..].find('"').unwrap();
        let form = admin
            .get(&page.body[start..end].replace("&amp;", "&"))
            .await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        assert!(form.body.starts_with("PK"), "an XLSX file");

        // Each unit's intervals; two respondents settle nothing.
        let ci = admin.page(&format!("{survey}/do-tin-cay")).await;
        ci.assert_has(&["Khoảng tin cậy 90 %", "Sở Nội vụ và Sở Tư pháp"]);

        // The answers behind SNV's points.
        let cell = admin.page(&format!("{survey}/SNV/2.1")).await;
        cell.assert_has(&["Sở Nội vụ – tiêu chí 2.1", "<code>A</code>", "60 %"]);

        // A personal link; the respondent needs no account.
        let r = admin
            .post_csrf(
                &format!("{survey}/duong-dan"),
                &[
                    ("group", "N1"),
                    ("kind", "personal"),
                    ("count", "1"),
                    ("label", "Phiếu giấy"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let start = r.body.find("/phieu/").unwrap();
        let token: String = r.body[start + 7..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
        let link = format!("/phieu/{token}");
        let mut visitor = Browser::new(&app.base);
        let form = visitor.page(&link).await;
        form.assert_has(&["name=\"a:SNV:C1\"", "name=\"a:STP:C1\"", "Gửi phiếu"]);
        let csrf = csrf_of(&form.body);
        let r = visitor
            .post(
                &link,
                &[("csrf", &csrf), ("a:SNV:C1", "A"), ("action", "save")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // Another device opens the same personal link and finds the saved answer.
        let mut other = Browser::new(&app.base);
        let back = other.page(&link).await;
        back.assert_has(&["value=\"A\" checked"]);
        let r = visitor
            .post(
                &link,
                &[
                    ("csrf", &csrf),
                    ("a:SNV:C1", "A"),
                    ("a:STP:C1", "Z"),
                    ("action", "send"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["“Z”"]);
        let r = visitor
            .post(
                &link,
                &[
                    ("csrf", &csrf),
                    ("a:SNV:C1", "A"),
                    ("a:STP:C1", "A"),
                    ("action", "send"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        visitor.page(&link).await.assert_has(&["Xin cảm ơn"]);
        let r = visitor
            .post(
                &link,
                &[("csrf", &csrf), ("a:SNV:C1", "D"), ("action", "send")],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "sent once only");

        // The API checks the same file again without writing: both respondents are stored.
        let r = admin
            .post_multipart(
                "/api/v1/periods/2026/surveys/XHH-2026/answers?dry_run=true",
                &[Part::File("file", "phieu-thu.csv", answers.as_bytes())],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let j = r.json();
        assert_eq!(
            (j["dry_run"].as_bool(), j["respondents_skipped"].as_u64()),
            (Some(true), Some(2))
        );

        // Closing writes the points: SNV (A, C, A) → 0,7333… × 30 = 22; STP (B, A) → 24.
        let page = admin.page(&survey).await;
        let r = admin
            .post(&format!("{survey}/khoa"), &[("csrf", &csrf_of(&page.body))])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let stored = scores::list(db, &period()).await.unwrap();
        let points = |u: &str| {
            stored
                .iter()
                .find(|s| s.unit.as_str() == u && s.node.as_str() == "2.1")
                .and_then(|s| s.points)
                .map(|p| p.value())
        };
        assert_eq!(points("SNV"), Some(rust_decimal::Decimal::from(22)));
        assert_eq!(points("STP"), Some(rust_decimal::Decimal::from(24)));
        admin
            .page(&r.location)
            .await
            .assert_has(&["Đã khóa đợt điều tra"]);
        app.stop().await;
    }
}

/// Twelve leaders rate both departments on 2.1 (SNV: A and B by turns, STP: A with a C every
/// third answer) after both were given 50 points on 1.1; the survey is closed.
async fn closed_survey(db: &Db) {
    use chiso_domain::questionnaire::{
        Question, QuestionTarget, QuestionnaireKind, RespondentGroup, SurveyDefinition,
    };
    use chiso_domain::{GroupName, NodeCode, RawValue, authz::Principal};
    use chiso_store::surveys::{Import, NewAnswer};
    let a = Actor("admin".to_owned());
    let changes: Vec<scores::ScoreChange> = ["SNV", "STP"]
        .iter()
        .map(|u| scores::ScoreChange {
            unit: UnitCode::parse(u).unwrap(),
            node: NodeCode::parse("1.1").unwrap(),
            input: Some(RawValue::Points(rust_decimal::Decimal::from(50))),
            points: None,
            note: None,
            expected_version: None,
        })
        .collect();
    scores::put(db, &period(), &changes, &a, AT, "Số liệu")
        .await
        .unwrap();
    chiso_services::compute::compute_period(db, &period(), &a, AT)
        .await
        .unwrap();
    let admin = Principal::new("admin", vec![Grant::all_periods(Role::Admin)]);
    let def = SurveyDefinition {
        code: "XHH-2026".into(),
        name: "Điều tra xã hội học 2026".into(),
        groups: vec![RespondentGroup {
            code: "LD".into(),
            name: "Lãnh đạo".into(),
            target: None,
            evaluates: GroupName::parse("Sở ngành").unwrap(),
            kind: QuestionnaireKind::Sociological,
            questions: vec![Question {
                code: "C1".into(),
                text: "Mức độ công khai, minh bạch".into(),
                target: QuestionTarget::Leaf(NodeCode::parse("2.1").unwrap()),
            }],
            options: vec![],
        }],
        leaves: vec![],
    };
    let survey = chiso_services::surveys::create(db, &admin, &period(), &def, AT)
        .await
        .unwrap();
    let mut import = Import::begin(db, &survey, &a, AT, "tệp phieu.csv")
        .await
        .unwrap();
    for i in 0..12 {
        let respondent = format!("ld{i:02}");
        let snv = if i % 2 == 0 { "A" } else { "B" };
        let stp = if i % 3 == 0 { "C" } else { "A" };
        for (unit, answer) in [("SNV", snv), ("STP", stp)] {
            let answer = NewAnswer {
                respondent: &respondent,
                group: "LD",
                unit,
                question: "C1",
                answer,
            };
            import.add(answer).await.unwrap();
        }
    }
    import.commit(&survey, "phieu.csv").await.unwrap();
    chiso_services::surveys::close(db, &admin, &period(), "XHH-2026", AT)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_closed_survey_shows_its_intervals_and_unsettled_orders_on_the_results_pages() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, chiso_web::WebConfig::default(), false).await;
        let db = app.db();
        prepared(db).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        // Before a survey closes, the results page has no intervals.
        chiso_services::compute::compute_period(db, &period(), &Actor("admin".into()), AT)
            .await
            .unwrap();
        admin
            .page("/ky/2026")
            .await
            .assert_lacks(&["class=\"interval\"", "khoảng tin cậy 90 %"]);

        closed_survey(db).await;
        let page = admin.page("/ky/2026").await;
        page.assert_has(&[
            "Dòng nhỏ dưới thứ hạng và chỉ số là khoảng tin cậy 90 %",
            "đợt điều tra XHH-2026 (400 lần",
            "<small class=\"interval\">",
            "Dữ liệu điều tra chưa đủ để khẳng định thứ tự",
            "Sở Nội vụ và Sở Tư pháp",
            "1–2",
        ]);
        // Index intervals read the Vietnamese way: "73,20–75,80".
        let interval = page
            .body
            .split("<small class=\"interval\">")
            .nth(2)
            .and_then(|s| s.split("</span>").nth(1))
            .and_then(|s| s.split("</small>").next())
            .unwrap_or_default()
            .to_owned();
        assert!(
            interval.contains(',') && interval.contains('–'),
            "[{}] {interval}",
            app.backend
        );
        admin.page("/ky/2026/don-vi/SNV").await.assert_has(&[
            "Với độ tin cậy 90 %, dữ liệu điều tra cho chỉ số của đơn vị trong khoảng",
        ]);

        // The API's results carry them as numbers.
        let r = admin.get("/api/v1/periods/2026/results").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let j = r.json();
        let unit = &j["units"][0];
        let low = unit["interval"]["index_low"].as_f64().unwrap();
        let high = unit["interval"]["index_high"].as_f64().unwrap();
        let index = unit["index"].as_f64().unwrap();
        assert!(low <= index && index <= high, "{unit}");
        assert_eq!(unit["interval"]["rank_best"], 1);
        assert_eq!(j["intervals"]["surveys"][0], "XHH-2026");
        assert_eq!(j["intervals"]["unsettled"].as_array().unwrap().len(), 1);
        app.stop().await;
    }
}
