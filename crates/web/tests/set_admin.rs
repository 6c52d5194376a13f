//! Index set administration as administrators meet it: the list of sets with their status and
//! the periods using them; importing a file (every problem named by row and column, nothing
//! imported on any); browsing the tree with methods described in Vietnamese, class bands and
//! the tie rule; cloning last year's set into a draft and editing it, each save re-validating
//! the whole set; freezing; downloading as YAML. People who are not administrators get 403 on
//! every change and change nothing. SQLite always, PostgreSQL when `CHISO_TEST_PG` is set.

use crate::common;

use common::cheap_hash;

use chiso_domain::authz::{Grant, Role};
use chiso_domain::{IndexSet, NodeCode, PeriodCode, Points, SetCode, UnitCode};
use chiso_store::audit::{self, AuditEntry, AuditFilter};
use chiso_store::{Actor, Db, grants, index_sets, users};
use common::browser::{Browser, Part, Reply};
use common::fixtures::SET;
use common::{TestApp, backends};
use reqwest::StatusCode;
use rust_decimal_macros::dec;
use time::macros::datetime;

const PASSWORD: &str = "mat-khau-dung-123";
const SETS: &str = "/quan-tri/bo-chi-so";

async fn add_user(db: &Db, login: &str, admin: bool, grant: Option<Grant>) {
    let at = datetime!(2025-01-01 00:00 UTC);
    users::create(
        db,
        login,
        login,
        &cheap_hash(PASSWORD),
        admin,
        &Actor::system(),
        at,
    )
    .await
    .expect("create user");
    if let Some(g) = grant {
        grants::grant(db, login, &g, &Actor::system(), at)
            .await
            .expect("grant");
    }
}

/// The people of these tests: an administrator, and people who may not manage sets.
async fn people(db: &Db) {
    let p2024 = PeriodCode::parse("2024").unwrap();
    add_user(db, "admin", true, None).await;
    add_user(
        db,
        "observer",
        false,
        Some(Grant::all_periods(Role::Observer)),
    )
    .await;
    add_user(
        db,
        "officer",
        false,
        Some(Grant::in_period(
            Role::UnitOfficer {
                unit: UnitCode::parse("SNV").unwrap(),
            },
            p2024.clone(),
        )),
    )
    .await;
    add_user(
        db,
        "admin2024",
        false,
        Some(Grant::in_period(Role::Admin, p2024)),
    )
    .await;
}

/// The import form of index sets.
trait SetImport {
    /// Uploads `bytes` as `file_name` to the import form.
    async fn upload(&mut self, file_name: &str, bytes: &[u8], replace: bool) -> Reply;
}

impl SetImport for Browser {
    async fn upload(&mut self, file_name: &str, bytes: &[u8], replace: bool) -> Reply {
        let token = self.token().await;
        let mut parts = vec![
            Part::Text("csrf", &token),
            Part::File("file", file_name, bytes),
        ];
        if replace {
            parts.push(Part::Text("replace", "on"));
        }
        self.post_multipart(SETS, &parts).await
    }
}

fn set_code(s: &str) -> SetCode {
    SetCode::parse(s).unwrap()
}

fn node(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

async fn stored(db: &Db, code: &str) -> Option<IndexSet> {
    index_sets::get(db, &set_code(code)).await.expect("get set")
}

async fn set_audit(db: &Db) -> Vec<AuditEntry> {
    audit::list(db, &AuditFilter::default())
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.entity == index_sets::ENTITY)
        .collect()
}

/// A district set of 2025 using most methods, per-group class bands and tie-breakers.
const HUYEN_2025: &str = r#"
code: HUYEN-2025
name: Bộ chỉ số cải cách hành chính cấp huyện năm 2025
year: 2025
decision: "Quyết định số 99/QĐ-UBND ngày 10/01/2025"
classes:
  default:
    - {label: Xuất sắc, min: 90}
    - {label: Tốt, min: 80}
    - {label: Khá, min: 70}
    - {label: Trung bình, min: 50}
    - {label: Yếu, min: 0}
  groups:
    "UBND cấp huyện":
      - {label: Xuất sắc, min: 80}
      - {label: Tốt, min: 70}
      - {label: Chưa đạt, min: 0}
ranking:
  tie_breakers:
    - {source: assessed}
    - {node: "2"}
nodes:
  - code: "1"
    title: Công tác chỉ đạo, điều hành
    max: 6
    children:
      - code: "1.1"
        title: Tỷ lệ hồ sơ giải quyết đúng hạn
        max: 2
        source: assessed
        method:
          tiers:
            - {min: 100, points: 2}
            - {min: 95, points: 1.5}
            - {min: 90, points: 1}
            - {min: 0, points: 0}
        rule: "100 % hồ sơ đúng hạn: 2 điểm; từ 95 % đến dưới 100 %: 1,5 điểm"
        evidence: Báo cáo thống kê hồ sơ trên hệ thống một cửa
        not_applicable: exclude
      - code: "1.2"
        title: Kiểm tra công tác cải cách hành chính
        max: 2
        source: assessed
        method: {count: {per: 0.5, cap: 2}}
      - code: "1.3"
        title: Thực hiện nhiệm vụ được giao
        max: 2
        source: assessed
        method: graded
  - code: "2"
    title: Điều tra xã hội học
    max: 4
    children:
      - code: "2.1"
        title: Mức độ hài lòng của người dân
        max: 4
        source: survey
        method: survey
"#;

#[tokio::test]
async fn an_administrator_sees_every_set_with_its_status_and_the_periods_using_it() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        people(app.db()).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let page = admin.get(SETS).await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "[{}] {}",
            app.backend,
            page.body
        );
        page.assert_has(&[
            "<code>BCS-MAU</code>",
            "Bộ chỉ số CCHC mẫu",
            "Quyết định số 2161/QĐ-UBND ngày 11/6/2024",
            "Đã khóa (đang sử dụng)",
            "2024, 2023",
            "enctype=\"multipart/form-data\"",
        ]);

        // An observer of every period may read, without any form to change anything.
        let mut observer = Browser::signed_in(&app.base, "observer", PASSWORD).await;
        let page = observer.get(SETS).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("BCS-MAU") && !page.body.contains("multipart"));
        let page = observer.get(&format!("{SETS}/{SET}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(!page.body.contains("/nhan-ban") && !page.body.contains("/khoa\""));

        // Roles held for one unit or one period do not reach the sets.
        for who in ["officer", "admin2024"] {
            let mut b = Browser::signed_in(&app.base, who, PASSWORD).await;
            assert_eq!(b.get(SETS).await.status, StatusCode::FORBIDDEN, "{who}");
            let detail = b.get(&format!("{SETS}/{SET}")).await;
            assert_eq!(detail.status, StatusCode::FORBIDDEN, "{who}");
            let yaml = b.get(&format!("{SETS}/{SET}/tai-xuong")).await;
            assert_eq!(yaml.status, StatusCode::FORBIDDEN, "{who}");
        }

        // Visitors are sent to sign in.
        let anonymous = app.get(SETS).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
        assert_eq!(
            anonymous.header("location"),
            "/dang-nhap?next=/quan-tri/bo-chi-so"
        );
        assert_eq!(
            admin.get(&format!("{SETS}/KHONG-CO")).await.status,
            StatusCode::NOT_FOUND
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn an_imported_set_shows_its_tree_methods_bands_and_tie_rule_and_downloads_as_yaml() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        people(app.db()).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let r = admin
            .upload("huyen-2025.yaml", HUYEN_2025.as_bytes(), false)
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            app.backend,
            r.body
        );
        assert_eq!(r.location, "/quan-tri/bo-chi-so/HUYEN-2025?ok=imported");
        let set = stored(app.db(), "HUYEN-2025").await.expect("imported");
        assert_eq!(set.total_max(), Points(dec!(10)));
        let log = set_audit(app.db()).await;
        assert_eq!(log[0].action, "create");
        assert_eq!(log[0].actor, "admin");
        assert_eq!(
            log[0].reason.as_deref(),
            Some("nhập từ tệp huyen-2025.yaml")
        );

        let page = admin.get(&r.location).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.assert_has(&[
            "Đã nhập bộ chỉ số.",
            "Bản nháp",
            "Bộ chỉ số hợp lệ",
            "Tỷ lệ hồ sơ giải quyết đúng hạn",
            "Theo tỷ lệ phần trăm: từ 100 % trở lên: 2 điểm; từ 95 % đến dưới 100 %: 1,5 \
             điểm; từ 90 % đến dưới 95 %: 1 điểm; từ 0 % đến dưới 90 %: 0 điểm",
            "Mỗi đơn vị đạt 0,5 điểm, tối đa 2 điểm",
            "Hoàn thành tốt (T) 75 % = 1,5 điểm",
            "Theo kết quả điều tra: điểm = 4 × mức đánh giá bình quân",
            "Báo cáo thống kê hồ sơ trên hệ thống một cửa",
            "Không phát sinh: không tính vào điểm tối đa",
            "Không được khai không phát sinh",
            "Tự đánh giá, thẩm định",
            "Điều tra xã hội học",
            "UBND cấp huyện",
            "<strong>Chưa đạt</strong>: từ 0 % đến dưới 70 %",
            "<strong>Xuất sắc</strong>: từ 90 % trở lên",
            "các đơn vị bằng chỉ số thì đồng hạng",
            "đơn vị có nhiều điểm Tự đánh giá, thẩm định hơn xếp trên",
            "nhiều điểm ở tiêu chí 2 (Điều tra xã hội học) hơn xếp trên",
            "href=\"/quan-tri/bo-chi-so/HUYEN-2025/tieu-chi/1.1\"",
            "class=\"depth-2 leaf\"",
        ]);
        let english = admin.get("/quan-tri/bo-chi-so/HUYEN-2025?lang=en").await;
        english.assert_has(&[
            "By percentage: from 100 % up: 2 points; from 95 % to below 100 %: 1,5 points",
            "Not applicable: left out of the maximum",
        ]);
        admin.get("/?lang=vi").await;

        // The YAML download reads back as the very same set.
        let yaml = admin.get("/quan-tri/bo-chi-so/HUYEN-2025/tai-xuong").await;
        assert_eq!(yaml.status, StatusCode::OK);
        let header = |n: &str| {
            yaml.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        assert!(header("content-type").starts_with("application/yaml"));
        assert!(
            header("content-disposition").contains("attachment; filename=\"HUYEN-2025.yaml\""),
            "{}",
            header("content-disposition")
        );
        let back = chiso_formats::read_index_set_bytes("x.yaml", yaml.body.as_bytes())
            .unwrap_or_else(|e| panic!("{e}\n{}", yaml.body));
        assert_eq!(back, set);

        // The same file again is refused unless the draft is to be replaced.
        let again = admin
            .upload("huyen-2025.yaml", HUYEN_2025.as_bytes(), false)
            .await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        again.assert_has(&["Đã có bộ chỉ số mã HUYEN-2025"]);
        let renamed = HUYEN_2025.replace(
            "name: Bộ chỉ số cải cách hành chính cấp huyện năm 2025",
            "name: Bộ chỉ số cấp huyện 2025 (sửa đổi)",
        );
        let replaced = admin
            .upload("huyen-2025.yaml", renamed.as_bytes(), true)
            .await;
        assert_eq!(replaced.status, StatusCode::SEE_OTHER, "{}", replaced.body);
        let set = stored(app.db(), "HUYEN-2025").await.unwrap();
        assert_eq!(set.name, "Bộ chỉ số cấp huyện 2025 (sửa đổi)");
        assert_eq!(set_audit(app.db()).await[0].action, "update");
        app.stop().await;
    }
}

#[tokio::test]
async fn an_import_with_errors_lists_every_row_and_column_and_imports_nothing() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        people(app.db()).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let before = index_sets::list(app.db()).await.unwrap();
        let audit_before = set_audit(app.db()).await.len();
        let csv = "\
# code: LOI-2025
# name: Bộ chỉ số có lỗi
# year: 2025
code,title,max,source,method,params
1,Lĩnh vực,3,,,
1.1,A,abc,assessed,yes_no,
1.2,B,1,assessed,count,per=x
2.1,C,1,somewhere,yes_no,
";
        let r = admin.upload("bo-chi-so.csv", csv.as_bytes(), false).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}]",
            app.backend
        );
        r.assert_has(&[
            "Tệp có 3 lỗi nên chưa nhập gì",
            "<td class=\"num\">6</td>",
            "<code>max</code>",
            "điểm tối đa",
            "<td class=\"num\">7</td>",
            "<code>params</code>",
            "<td class=\"num\">8</td>",
            "<code>source</code>",
            "somewhere",
        ]);
        // A set whose tree does not add up is refused too, naming the criterion.
        let bad_sum = HUYEN_2025.replace("max: 6\n", "max: 7\n");
        let r = admin.upload("huyen.yaml", bad_sum.as_bytes(), false).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&[
            "huyen.yaml",
            "tiêu chí 1: điểm tối đa 7,00 khác tổng điểm tối đa các tiêu chí con 6,00",
        ]);
        // A file of another kind, and no file at all.
        let r = admin.upload("bo-chi-so.pdf", b"%PDF-1.4", false).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = admin.upload("", b"", false).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["Chưa chọn tệp bộ chỉ số"]);

        assert_eq!(index_sets::list(app.db()).await.unwrap(), before);
        assert_eq!(set_audit(app.db()).await.len(), audit_before);
        app.stop().await;
    }
}

#[tokio::test]
async fn cloning_last_years_set_gives_a_draft_whose_edits_are_revalidated_and_audited() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        people(app.db()).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let page = admin.get(&format!("{SETS}/{SET}")).await;
        page.assert_has(&[
            "value=\"BCS-MAU-2024\"",
            "Bộ chỉ số này đã khóa",
            "Nhân bản",
        ]);
        assert!(
            !page.body.contains("/thong-tin\""),
            "no edit form on a set in use"
        );

        // A clone needs a free code, a name and a sensible year.
        let bad = admin
            .post_csrf(
                &format!("{SETS}/{SET}/nhan-ban"),
                &[("code", SET), ("name", " "), ("year", "20x5")],
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}]",
            app.backend
        );
        bad.assert_has(&[
            "Tên bộ chỉ số không được để trống.",
            "Năm áp dụng &#34;20x5&#34; không hợp lệ",
            "value=\"20x5\"",
        ]);
        let taken = admin
            .post_csrf(
                &format!("{SETS}/{SET}/nhan-ban"),
                &[("code", SET), ("name", "Bản sao"), ("year", "2025")],
            )
            .await;
        assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
        taken.assert_has(&["Đã có bộ chỉ số mã BCS-MAU"]);

        let r = admin
            .post_csrf(
                &format!("{SETS}/{SET}/nhan-ban"),
                &[
                    ("code", "BCS-2025"),
                    ("name", "Bộ chỉ số CCHC năm 2025"),
                    ("year", "2025"),
                    ("decision", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, "/quan-tri/bo-chi-so/BCS-2025?ok=cloned");
        let original = stored(app.db(), SET).await.unwrap();
        let draft = stored(app.db(), "BCS-2025").await.unwrap();
        assert_eq!(draft.nodes, original.nodes);
        assert_eq!((draft.year, draft.decision.as_deref()), (2025, None));
        let log = set_audit(app.db()).await;
        assert_eq!(log[0].entity_key, "BCS-2025");
        assert_eq!(
            log[0].reason.as_deref(),
            Some("nhân bản từ bộ chỉ số BCS-MAU")
        );
        let page = admin.get(&r.location).await;
        page.assert_has(&["Bản nháp", "/thong-tin\"", "/khoa\""]);

        // Raising a leaf's maximum without carrying it up leaves its parent's sum wrong:
        // the whole set is re-validated, the error names the parent, nothing is saved.
        let leaf = "/quan-tri/bo-chi-so/BCS-2025/tieu-chi/1.1.1";
        let form = |max: &'static str, propagate: bool| {
            let mut f = vec![
                ("title", "Ban hành kế hoạch CCHC năm đúng hạn"),
                ("max", max),
                ("source", "assessed"),
                ("method", "yes_no"),
                ("params", ""),
                ("rule", "Ban hành trước ngày 31/12: đủ điểm"),
                ("evidence", "Quyết định ban hành kế hoạch"),
                ("not_applicable", ""),
            ];
            if propagate {
                f.push(("propagate", "on"));
            }
            f
        };
        let r = admin.post_csrf(leaf, &form("12", false)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Tiêu chí 1.1: điểm tối đa 10 khác tổng điểm tối đa các tiêu chí con 12.",
            "value=\"12\"",
        ]);
        assert_eq!(stored(app.db(), "BCS-2025").await.unwrap(), draft);

        // Bad method parameters are named too.
        let mut bad_params = form("10", true);
        bad_params[3] = ("method", "count");
        bad_params[4] = ("params", "per=x");
        let r = admin.post_csrf(leaf, &bad_params).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["Phương pháp chấm điểm: per &#34;x&#34; không phải là số."]);
        assert_eq!(stored(app.db(), "BCS-2025").await.unwrap(), draft);

        // Carried up, the same change is valid and saved, with old → new in the log.
        let audit_before = set_audit(app.db()).await.len();
        let r = admin.post_csrf(leaf, &form("12", true)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let saved = stored(app.db(), "BCS-2025").await.unwrap();
        let max = |c: &str| saved.find(&node(c)).unwrap().max;
        assert_eq!(
            (max("1.1.1"), max("1.1"), max("1")),
            (Points(dec!(12)), Points(dec!(12)), Points(dec!(32)))
        );
        let leaf_node = saved.find(&node("1.1.1")).unwrap();
        assert_eq!(leaf_node.method, Some(chiso_domain::Method::YesNo));
        assert_eq!(
            leaf_node.evidence.as_deref(),
            Some("Quyết định ban hành kế hoạch")
        );
        let log = set_audit(app.db()).await;
        assert_eq!(log.len(), audit_before + 1);
        assert_eq!(log[0].action, "update");
        assert_eq!(log[0].reason.as_deref(), Some("sửa tiêu chí 1.1.1"));
        assert_eq!(
            log[0].old.as_ref(),
            Some(&serde_json::to_value(&draft).unwrap())
        );
        assert_eq!(
            log[0].new.as_ref(),
            Some(&serde_json::to_value(&saved).unwrap())
        );
        assert_eq!(r.location, format!("{leaf}?ok=saved"));
        let page = admin.get(&r.location).await;
        page.assert_has(&["Đã lưu thay đổi.", "Có: 12 điểm; không: 0 điểm"]);

        // A leaf added under a criterion, then removed again.
        let r = admin
            .post_csrf(
                "/quan-tri/bo-chi-so/BCS-2025/tieu-chi/1.1/them",
                &[
                    ("code", "1.1.2"),
                    ("title", "Kiểm tra thực hiện kế hoạch"),
                    ("max", "1,5"),
                    ("source", "assessed"),
                    ("method", "tiers"),
                    ("params", "100:1,5|50:1|0:0"),
                    ("rule", ""),
                    ("evidence", "Kết luận kiểm tra"),
                    ("not_applicable", "full_points"),
                    ("propagate", "on"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(
            r.location,
            "/quan-tri/bo-chi-so/BCS-2025/tieu-chi/1.1.2?ok=added"
        );
        let added = stored(app.db(), "BCS-2025").await.unwrap();
        assert_eq!(added.find(&node("1.1")).unwrap().max, Points(dec!(13.5)));
        assert_eq!(added.total_max(), Points(dec!(103.5)));
        let misplaced = admin
            .post_csrf(
                "/quan-tri/bo-chi-so/BCS-2025/tieu-chi/1.1/them",
                &[
                    ("code", "2.9"),
                    ("title", "Sai chỗ"),
                    ("max", "1"),
                    ("source", "assessed"),
                    ("method", "yes_no"),
                ],
            )
            .await;
        assert_eq!(misplaced.status, StatusCode::UNPROCESSABLE_ENTITY);
        misplaced.assert_has(&["Mã 2.9 không thuộc tiêu chí 1.1"]);
        // Removing the only leaf of a criterion would leave it without a method: refused.
        let r = admin
            .post_csrf(
                "/quan-tri/bo-chi-so/BCS-2025/tieu-chi/1.2.1/xoa",
                &[("propagate", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["Tiêu chí 1.2: tiêu chí lá phải có phương pháp chấm điểm."]);
        let r = admin
            .post_csrf(
                "/quan-tri/bo-chi-so/BCS-2025/tieu-chi/1.1.2/xoa",
                &[("propagate", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(stored(app.db(), "BCS-2025").await.unwrap(), saved);
        assert_eq!(
            set_audit(app.db()).await[0].reason.as_deref(),
            Some("xóa tiêu chí 1.1.2")
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_frozen_set_or_one_used_by_a_period_refuses_every_edit() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        people(app.db()).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let edit = [
            ("title", "Đổi tên"),
            ("max", "10"),
            ("source", "assessed"),
            ("method", "manual"),
            ("propagate", "on"),
        ];
        // Used by periods 2023 and 2024, though never frozen explicitly.
        let original = stored(app.db(), SET).await.unwrap();
        let audit_before = set_audit(app.db()).await.len();
        let r = admin
            .post_csrf(&format!("{SETS}/{SET}/tieu-chi/1.1.1"), &edit)
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "[{}] {}",
            app.backend,
            r.body
        );
        r.assert_has(&["Bộ chỉ số BCS-MAU đã khóa hoặc đang được kỳ đánh giá sử dụng"]);
        for (path, form) in [
            ("thong-tin", vec![("name", "X"), ("year", "2023")]),
            ("tieu-chi/1.1/them", edit.to_vec()),
            ("them", edit.to_vec()),
            ("tieu-chi/1.1.1/xoa", vec![]),
        ] {
            let r = admin
                .post_csrf(&format!("{SETS}/{SET}/{path}"), &form)
                .await;
            assert_eq!(r.status, StatusCode::CONFLICT, "{path}: {}", r.body);
        }
        assert_eq!(stored(app.db(), SET).await.unwrap(), original);
        assert_eq!(set_audit(app.db()).await.len(), audit_before);

        // A draft frozen explicitly is read-only too; its clone is not.
        admin
            .upload("huyen.yaml", HUYEN_2025.as_bytes(), false)
            .await;
        let r = admin
            .post_csrf("/quan-tri/bo-chi-so/HUYEN-2025/khoa", &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let frozen = stored(app.db(), "HUYEN-2025").await.unwrap();
        assert_eq!(set_audit(app.db()).await[0].action, "freeze");
        let page = admin.get(&r.location).await;
        page.assert_has(&["Đã khóa bộ chỉ số.", "Đã khóa"]);
        let r = admin
            .post_csrf("/quan-tri/bo-chi-so/HUYEN-2025/tieu-chi/1.2", &edit)
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        let r = admin
            .upload("huyen.yaml", HUYEN_2025.as_bytes(), true)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "replacing a frozen set"
        );
        assert_eq!(stored(app.db(), "HUYEN-2025").await.unwrap(), frozen);
        let r = admin
            .post_csrf(
                "/quan-tri/bo-chi-so/HUYEN-2025/nhan-ban",
                &[
                    ("code", "HUYEN-2026"),
                    ("name", "Cấp huyện 2026"),
                    ("year", "2026"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = admin
            .post_csrf("/quan-tri/bo-chi-so/HUYEN-2026/tieu-chi/1.2", &edit)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        app.stop().await;
    }
}

#[tokio::test]
async fn people_who_may_not_manage_sets_get_403_on_every_change_and_nothing_changes() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        people(app.db()).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        admin
            .upload("huyen.yaml", HUYEN_2025.as_bytes(), false)
            .await;
        let draft = stored(app.db(), "HUYEN-2025").await.unwrap();
        let sets_before = index_sets::list(app.db()).await.unwrap();
        let audit_before = set_audit(app.db()).await.len();
        let d = "/quan-tri/bo-chi-so/HUYEN-2025";
        let leaf = [
            ("code", "1.4"),
            ("title", "Mới"),
            ("max", "1"),
            ("source", "assessed"),
            ("method", "yes_no"),
            ("propagate", "on"),
        ];
        let routes: Vec<(String, Vec<(&str, &str)>)> = vec![
            (
                format!("{d}/nhan-ban"),
                vec![("code", "HUYEN-2026"), ("name", "X"), ("year", "2026")],
            ),
            (
                format!("{d}/thong-tin"),
                vec![("name", "Đổi tên"), ("year", "2025")],
            ),
            (format!("{d}/tieu-chi/1.2"), leaf[1..].to_vec()),
            (format!("{d}/tieu-chi/1/them"), leaf.to_vec()),
            (
                format!("{d}/them"),
                vec![("code", "3"), ("title", "X"), ("max", "1")],
            ),
            (format!("{d}/tieu-chi/1.3/xoa"), vec![("propagate", "on")]),
            (format!("{d}/khoa"), vec![]),
        ];
        for who in ["observer", "officer", "admin2024"] {
            let mut b = Browser::signed_in(&app.base, who, PASSWORD).await;
            for (path, form) in &routes {
                let r = b.post_csrf(path, form).await;
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "[{}] {who} POST {path}: {}",
                    app.backend,
                    r.body
                );
            }
            let r = b.upload("huyen.yaml", HUYEN_2025.as_bytes(), true).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} import");
        }
        // Without a session (hence without a CSRF token) nothing gets through either.
        for (path, form) in &routes {
            let r = app
                .client
                .post(format!("{}{path}", app.base))
                .form(form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "anonymous POST {path}");
        }
        assert_eq!(stored(app.db(), "HUYEN-2025").await.unwrap(), draft);
        assert!(stored(app.db(), "HUYEN-2026").await.is_none());
        assert_eq!(index_sets::list(app.db()).await.unwrap(), sets_before);
        assert_eq!(set_audit(app.db()).await.len(), audit_before);
        app.stop().await;
    }
}

#[tokio::test]
async fn the_validation_section_names_every_problem_of_a_stored_set() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        people(app.db()).await;
        // A set stored by another way than this page, with two problems.
        let mut set = common::fixtures::index_set();
        set.code = set_code("CU-2020");
        set.nodes[0].max = Points(dec!(31));
        set.nodes[1].children[0].children[0].method = None;
        index_sets::save(
            app.db(),
            &set,
            &Actor::system(),
            datetime!(2025-01-01 00:00 UTC),
        )
        .await
        .unwrap();
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let page = admin.get("/quan-tri/bo-chi-so/CU-2020").await;
        assert_eq!(page.status, StatusCode::OK, "[{}]", app.backend);
        page.assert_has(&[
            "Bộ chỉ số có các lỗi sau:",
            "Tiêu chí 1: điểm tối đa 31 khác tổng điểm tối đa các tiêu chí con 30.",
            "Tiêu chí 2.1.1: tiêu chí lá phải có phương pháp chấm điểm.",
        ]);
        let english = admin.get("/quan-tri/bo-chi-so/CU-2020?lang=en").await;
        english.assert_has(&["Criterion 2.1.1: a leaf needs a scoring method."]);
        app.stop().await;
    }
}

/// A department set of 2025 with two criteria scored against a report's deadline, one of them
/// quoting its day in the rule text.
const SO_2025_DATED: &str = r#"
code: SO-2025
name: Bộ chỉ số cấp sở năm 2025
year: 2025
nodes:
  - code: "1"
    title: Công tác chỉ đạo, điều hành
    max: 6
    children:
      - code: "1.1"
        title: Ban hành kế hoạch CCHC năm
        max: 2
        source: assessed
        method: yes_no
      - code: "1.2"
        title: Báo cáo CCHC năm gửi đúng hạn
        max: 2
        source: assessed
        method:
          days_late:
            deadline: 10/12/2025
            tiers:
              - {min: 0, below: 1, points: 2}
              - {min: 1, points: 0}
        rule: "Gửi trước hoặc trong ngày 10/12/2025: 2 điểm; trễ: 0 điểm."
      - code: "1.3"
        title: Báo cáo CCHC quý I gửi đúng hạn
        max: 2
        source: assessed
        method:
          days_late:
            deadline: 31/03/2025
            tiers:
              - {min: 0, below: 1, points: 2}
              - {min: 1, points: 0}
"#;

#[tokio::test]
async fn the_clone_form_lists_the_dated_criteria_and_moves_them_to_the_new_year_when_ticked() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        people(app.db()).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let r = admin
            .upload("so.yaml", SO_2025_DATED.as_bytes(), false)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = admin.page(&format!("{SETS}/SO-2025")).await;
        page.assert_has(&[
            "Tiêu chí có ngày",
            "<code>1.2</code></a> Báo cáo CCHC năm gửi đúng hạn: <span class=\"date\">10/12/2025</span>",
            "<code>1.3</code></a> Báo cáo CCHC quý I gửi đúng hạn: <span class=\"date\">31/03/2025</span>",
            "value=\"SO-2026\"",
            // Next year is suggested, so moving the days is ticked.
            "name=\"shift_dates\" type=\"checkbox\" value=\"1\" checked",
        ]);
        assert!(!page.body.contains("<code>1.1</code></a> Ban hành"));

        // Ticked: the days move a year, and the notice says how many.
        let r = admin
            .post_csrf(
                &format!("{SETS}/SO-2025/nhan-ban"),
                &[
                    ("code", "SO-2026"),
                    ("name", "Bộ chỉ số cấp sở năm 2026"),
                    ("year", "2026"),
                    ("shift_dates", "1"),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            app.backend,
            r.body
        );
        assert_eq!(
            r.location,
            "/quan-tri/bo-chi-so/SO-2026?ok=cloned_shifted&n=2"
        );
        let shifted = stored(app.db(), "SO-2026").await.unwrap();
        let dates: Vec<_> = shifted.dated_rules().iter().map(|r| r.date).collect();
        assert_eq!(
            dates,
            [
                time::macros::date!(2026 - 12 - 10),
                time::macros::date!(2026 - 03 - 31)
            ]
        );
        assert_eq!(
            shifted.find(&node("1.2")).unwrap().rule.as_deref(),
            Some("Gửi trước hoặc trong ngày 10/12/2026: 2 điểm; trễ: 0 điểm.")
        );
        let page = admin.page(&r.location).await;
        page.assert_has(&[
            "dời ngày của 2 tiêu chí có ngày",
            "<span class=\"date\">10/12/2026</span>",
            "<span class=\"date\">31/03/2026</span>",
            "so với hạn 10/12/2026",
        ]);
        let log = set_audit(app.db()).await;
        assert_eq!(log[0].entity_key, "SO-2026");
        assert_eq!(
            log[0].reason.as_deref(),
            Some(
                "nhân bản từ bộ chỉ số SO-2025; dời 2 tiêu chí có ngày 1 năm \
                 (1.2 10/12/2025 → 10/12/2026, 1.3 31/03/2025 → 31/03/2026)"
            )
        );

        // Unticked: the days stay the source's, and the notice says they did.
        let r = admin
            .post_csrf(
                &format!("{SETS}/SO-2025/nhan-ban"),
                &[
                    ("code", "SO-2027"),
                    ("name", "Bộ chỉ số cấp sở năm 2027"),
                    ("year", "2027"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, "/quan-tri/bo-chi-so/SO-2027?ok=cloned_kept&n=2");
        let kept = stored(app.db(), "SO-2027").await.unwrap();
        let original = stored(app.db(), "SO-2025").await.unwrap();
        assert_eq!(kept.nodes, original.nodes);
        admin
            .page(&r.location)
            .await
            .assert_has(&["2 tiêu chí có ngày (hạn gửi báo cáo…) vẫn giữ ngày của bộ chỉ số gốc"]);
        let log = set_audit(app.db()).await;
        assert_eq!(
            log[0].reason.as_deref(),
            Some(
                "nhân bản từ bộ chỉ số SO-2025; giữ nguyên ngày của 2 tiêu chí \
                 (1.2 10/12/2025, 1.3 31/03/2025)"
            )
        );

        // A failed clone shows the form again with the box as it was sent.
        let r = admin
            .post_csrf(
                &format!("{SETS}/SO-2025/nhan-ban"),
                &[("code", "SO-2027"), ("name", "Lại"), ("year", "2027")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains("name=\"shift_dates\" type=\"checkbox\" value=\"1\">")
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn the_api_clone_moves_the_dated_criteria_unless_told_not_to_and_lists_them() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        people(app.db()).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        admin
            .upload("so.yaml", SO_2025_DATED.as_bytes(), false)
            .await;
        let body = serde_json::json!({"name": "Tích hợp", "scope": "write", "valid_days": 30});
        let r = admin
            .json(reqwest::Method::POST, "/api/v1/tokens", Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let secret = r.json()["secret"].as_str().unwrap().to_owned();
        let clone = |body: serde_json::Value| {
            app.client
                .post(format!("{}/api/v1/index-sets/SO-2025/clone", app.base))
                .bearer_auth(&secret)
                .json(&body)
        };

        let r = admin
            .send(clone(serde_json::json!(
                {"code": "SO-2026", "name": "Bộ chỉ số cấp sở năm 2026", "year": 2026}
            )))
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "[{}] {}",
            app.backend,
            r.body
        );
        assert_eq!(
            r.json(),
            serde_json::json!({
                "code": "SO-2026",
                "years": 1,
                "shifted": [
                    {"code": "1.2", "title": "Báo cáo CCHC năm gửi đúng hạn",
                     "from": "2025-12-10", "to": "2026-12-10"},
                    {"code": "1.3", "title": "Báo cáo CCHC quý I gửi đúng hạn",
                     "from": "2025-03-31", "to": "2026-03-31"}
                ],
                "kept": []
            })
        );

        let r = admin
            .send(clone(serde_json::json!(
                {"code": "SO-2027", "name": "Năm 2027", "year": 2027, "shift_dates": false}
            )))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let v = r.json();
        assert_eq!(
            (v["years"].clone(), v["shifted"].clone()),
            (0.into(), serde_json::json!([]))
        );
        assert_eq!(v["kept"][0]["from"], "2025-12-10");
        assert_eq!(v["kept"][0]["to"], "2025-12-10");
        let kept = stored(app.db(), "SO-2027").await.unwrap();
        assert_eq!(kept.nodes, stored(app.db(), "SO-2025").await.unwrap().nodes);
        app.stop().await;
    }
}
