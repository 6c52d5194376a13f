//! Survey and monitoring-data values entered in the browser: the sheet of a period, a save, and
//! a scores file previewed then confirmed, as the administrator, an appraiser and a unit's
//! officer meet them. SQLite always, PostgreSQL when `CHISO_TEST_PG` is set.

use crate::common;

use chiso_domain::{Grant, PeriodCode, Role, UnitCode};
use chiso_store::{Actor, Db, grants, index_sets, scores, users};
use common::browser::{Browser, Part, hidden};
use common::{TestApp, backends, cheap_hash};
use reqwest::StatusCode;
use time::OffsetDateTime;
use time::macros::datetime;

const PASSWORD: &str = "mat-khau-dung-123";
const AT: OffsetDateTime = datetime!(2026-03-02 02:00 UTC);
const SHEET: &str = "/ky/2026/diem-khao-sat-so-lieu";

/// One assessed leaf (1.1), one survey leaf (2.1), one data leaf (3.1).
const SET: &str = r#"code: BCS-DO-LUONG
name: Bộ chỉ số có tiêu chí đo lường
year: 2026
classes:
  - {label: Tốt, min: 80}
  - {label: Khá, min: 0}
nodes:
  - code: "1"
    title: Chỉ đạo, điều hành
    max: 40
    children:
      - code: "1.1"
        title: Ban hành kế hoạch
        max: 40
        source: assessed
        method: {manual: {step: 0.5}}
  - code: "2"
    title: Sự hài lòng của người dân
    max: 30
    children:
      - code: "2.1"
        title: Người dân đánh giá
        max: 30
        source: survey
        method: survey
  - code: "3"
    title: Giải quyết hồ sơ
    max: 30
    children:
      - code: "3.1"
        title: Tỷ lệ hồ sơ đúng hạn
        max: 30
        source: data
        method:
          tiers:
            basis: percent
            levels:
              - {min: 95, points: 30}
              - {min: 0, points: 10}
"#;

fn period() -> PeriodCode {
    PeriodCode::parse("2026").unwrap()
}

/// The set, period 2026 with SNV and STP, and the accounts: the administrator, SNV's officer.
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

async fn stored(db: &Db) -> Vec<(String, String, String)> {
    scores::list(db, &period())
        .await
        .unwrap()
        .into_iter()
        .map(|s| {
            (
                s.unit.to_string(),
                s.node.to_string(),
                format!("{:?}", s.points.map(|p| p.value())),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_administrator_enters_a_value_and_a_unit_officer_is_refused() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, chiso_web::WebConfig::default(), false).await;
        let db = app.db();
        prepared(db).await;

        let mut officer = Browser::signed_in(&app.base, "cb.snv", PASSWORD).await;
        let r = officer.get(SHEET).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{}]", app.backend);
        let r = officer
            .post_csrf(
                &format!("{SHEET}/luu"),
                &[("v:SNV:2.1", "20"), ("version:SNV:2.1", "0")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(stored(db).await.is_empty());

        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let page = admin.page(SHEET).await;
        page.assert_has(&[
            "Nhập điểm điều tra và số liệu",
            "name=\"v:SNV:2.1\"",
            "name=\"v:STP:3.1\"",
            "Sở Tư pháp",
        ]);
        page.assert_lacks(&["name=\"v:SNV:1.1\""]);
        assert_eq!(hidden(&page.body, "version:SNV:2.1"), "0");

        // A bad value is named next to its field, and nothing of the form is saved.
        let r = admin
            .post_csrf(
                &format!("{SHEET}/luu"),
                &[
                    ("v:SNV:2.1", "27,5"),
                    ("version:SNV:2.1", "0"),
                    ("v:STP:2.1", "45"),
                    ("version:STP:2.1", "0"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Có 1 giá trị không hợp lệ",
            "id=\"m-STP-2.1-error\"",
            "Đơn vị STP, tiêu chí 2.1",
            "value=\"45\"",
            "value=\"27,5\"",
        ]);
        assert!(stored(db).await.is_empty());

        let r = admin
            .post_csrf(
                &format!("{SHEET}/luu"),
                &[
                    ("v:SNV:2.1", "27,5"),
                    ("version:SNV:2.1", "0"),
                    ("v:STP:3.1", "96 %"),
                    ("version:STP:3.1", "0"),
                    ("reason", "Kết quả điều tra năm 2026"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = admin.page(&format!("{SHEET}?ok=saved&n=2")).await;
        page.assert_has(&[
            "Đã lưu: 2 giá trị thay đổi.",
            "value=\"27,5\"",
            "27,50/30 điểm",
        ]);
        assert_eq!(hidden(&page.body, "version:SNV:2.1"), "1");
        assert_eq!(
            stored(db).await,
            [
                ("SNV".into(), "2.1".into(), "Some(27.5)".into()),
                ("STP".into(), "3.1".into(), "Some(30)".into()),
            ]
        );
        let english = admin.page(&format!("{SHEET}?lang=en")).await;
        english.assert_has(&["Survey and data values", "27,50/30 points"]);
        // The appraisal list and the period's set-up lead to the sheet.
        let link = format!("href=\"{SHEET}\"");
        admin.page("/ky/2026/tham-dinh").await.assert_has(&[&link]);
        admin
            .page("/quan-tri/ky-danh-gia/2026")
            .await
            .assert_has(&[&link]);
        app.stop().await;
    }
}

#[tokio::test]
async fn an_uploaded_file_is_previewed_then_imported_once_confirmed() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, chiso_web::WebConfig::default(), false).await;
        let db = app.db();
        prepared(db).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let token = admin.csrf.clone();

        // A broken file: every problem with its row and column, nothing written.
        let broken = "unit,criterion,value\nSNV,2.1,abc\nXYZ,3.1,97%\n";
        let r = admin
            .post_multipart(
                &format!("{SHEET}/nhap-tep"),
                &[
                    Part::Text("csrf", &token),
                    Part::File("file", "sai.csv", broken.as_bytes()),
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
        r.assert_has(&[
            "Tệp có 2 lỗi",
            "<td class=\"num\">2</td>",
            "<td class=\"num\">3</td>",
            "đơn vị XYZ không có trong danh sách đơn vị",
        ]);
        r.assert_lacks(&["name=\"digest\""]);
        assert!(stored(db).await.is_empty());

        let good = "unit,criterion,value\nSNV,2.1,\"25,5\"\nSTP,3.1,90%\n";
        let r = admin
            .post_multipart(
                &format!("{SHEET}/nhap-tep"),
                &[
                    Part::Text("csrf", &token),
                    Part::File("file", "diem.csv", good.as_bytes()),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.assert_has(&[
            "Xem trước tệp diem.csv",
            "2 giá trị sẽ thay đổi",
            "Người dân đánh giá",
            "25,5 (25,50 điểm)",
            "90 % (10,00 điểm)",
            "Xác nhận nhập 2 thay đổi",
        ]);
        assert!(stored(db).await.is_empty(), "a preview writes nothing");
        let id = hidden(&r.body, "id");
        let digest = hidden(&r.body, "digest");

        // A digest that is not the preview's is refused.
        let r = admin
            .post_csrf(
                &format!("{SHEET}/xac-nhan"),
                &[("id", id.as_str()), ("digest", "0000")],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        r.assert_has(&["đã thay đổi kể từ khi xem trước"]);
        assert!(stored(db).await.is_empty());

        // The refused confirmation dropped the kept file: preview again, then confirm.
        let r = admin
            .post_multipart(
                &format!("{SHEET}/nhap-tep"),
                &[
                    Part::Text("csrf", &token),
                    Part::File("file", "diem.csv", good.as_bytes()),
                ],
            )
            .await;
        let id = hidden(&r.body, "id");
        assert_eq!(hidden(&r.body, "digest"), digest, "same file, same state");
        let r = admin
            .post_csrf(
                &format!("{SHEET}/xac-nhan"),
                &[("id", id.as_str()), ("digest", digest.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(
            stored(db).await,
            [
                ("SNV".into(), "2.1".into(), "Some(25.5)".into()),
                ("STP".into(), "3.1".into(), "Some(10)".into()),
            ]
        );
        let page = admin.page(&format!("{SHEET}?ok=imported&n=2")).await;
        page.assert_has(&["Đã nhập tệp: 2 giá trị thay đổi.", "value=\"25,5\""]);

        // The same confirmation again finds nothing kept.
        let r = admin
            .post_csrf(
                &format!("{SHEET}/xac-nhan"),
                &[("id", id.as_str()), ("digest", digest.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        r.assert_has(&["không còn được lưu tạm"]);
        app.stop().await;
    }
}
