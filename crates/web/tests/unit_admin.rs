//! Unit administration and role assignment as administrators meet them: finding units without
//! typing diacritics, Vietnamese alphabetical order, filters and pages; creating and editing a
//! unit; importing a unit list (every problem named, nothing imported on any); recording
//! mergers and splits; granting and revoking roles, which take effect at the next request.
//! People who are not administrators get 403 on every one of these routes and change nothing.
//! SQLite always, PostgreSQL when `CHISO_TEST_PG` is set.

use crate::common;

use common::cheap_hash;

use chiso_domain::authz::{self, Action, AppraiserScope, Grant, Principal, Resource, Role};
use chiso_domain::{LineageKind, NodeCode, PeriodCode, Unit, UnitCode, UnitKind};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::{Actor, Db, grants, units, users};
use common::browser::{Browser, Part, Reply};
use common::{TestApp, backends};
use reqwest::StatusCode;
use time::macros::{date, datetime};

const PASSWORD: &str = "mat-khau-dung-123";

async fn add_user(db: &Db, login: &str, name: &str, admin: bool) {
    users::create(
        db,
        login,
        name,
        &cheap_hash(PASSWORD),
        admin,
        &Actor::system(),
        datetime!(2025-01-01 00:00 UTC),
    )
    .await
    .expect("create user");
}

async fn give(db: &Db, login: &str, grant: Grant) {
    grants::grant(
        db,
        login,
        &grant,
        &Actor::system(),
        datetime!(2025-01-01 00:00 UTC),
    )
    .await
    .expect("grant");
}

fn code(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

fn period(s: &str) -> PeriodCode {
    PeriodCode::parse(s).unwrap()
}

fn unit(c: &str, name: &str, kind: UnitKind, parent: Option<&str>) -> Unit {
    Unit {
        code: code(c),
        name: name.to_owned(),
        kind,
        parent: parent.map(code),
        valid_from: None,
        valid_to: None,
    }
}

async fn add_units(db: &Db, list: &[Unit]) {
    units::upsert_many(
        db,
        list,
        &[],
        &Actor::system(),
        datetime!(2025-01-02 00:00 UTC),
    )
    .await
    .expect("units");
}

/// `login` signed in, the session's CSRF token kept.
async fn signed_in(app: &TestApp, login: &str) -> Browser {
    Browser::signed_in(&app.base, login, PASSWORD).await
}

/// The import form of units.
trait UnitImport {
    /// Posts a multipart form (one file and some fields) with the session's CSRF token.
    async fn upload(&mut self, action: &str, file: (&str, &[u8]), form: &[(&str, &str)]) -> Reply;
}

impl UnitImport for Browser {
    async fn upload(&mut self, action: &str, file: (&str, &[u8]), form: &[(&str, &str)]) -> Reply {
        let token = self.csrf.clone();
        let mut parts = vec![Part::Text("csrf", &token)];
        parts.extend(form.iter().map(|(k, v)| Part::Text(k, v)));
        parts.push(Part::File("file", file.0, file.1));
        self.post_multipart(action, &parts).await
    }
}

/// Everything the unit and role administration can change, to prove a refusal changed none.
#[derive(Debug, PartialEq)]
struct Snapshot {
    units: Vec<Unit>,
    lineage: Vec<chiso_domain::Lineage>,
    grants: Vec<(String, Grant)>,
    audit: usize,
}

async fn snapshot(db: &Db) -> Snapshot {
    Snapshot {
        units: units::list(db).await.unwrap(),
        lineage: units::lineage(db).await.unwrap(),
        grants: grants::list(db)
            .await
            .unwrap()
            .into_iter()
            .map(|g| (g.login, g.grant))
            .collect(),
        audit: audit::list(db, &AuditFilter::default())
            .await
            .unwrap()
            .len(),
    }
}

/// The unit codes of a list page, in the order shown.
fn listed_codes(body: &str) -> Vec<String> {
    body.split("<td><code>")
        .skip(1)
        .filter_map(|s| s.split("</code>").next())
        .map(str::to_owned)
        .collect()
}

const UNITS_CSV_OK: &str = "code,name,group,kind,parent,predecessors,valid_from\n\
H-TK,Huyện Tân Khê,UBND cấp huyện,huyện,,,\n\
XA-TK-1,Xã Tân Khê Một,Xã,xã,H-TK,,\n\
SNV,Sở Nội vụ tỉnh,\"Sở, ban, ngành\",sở,,,\n\
STP,Sở Tư pháp,\"Sở, ban, ngành\",sở,,,\n";

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn non_administrators_get_403_on_every_unit_and_role_route_and_nothing_changes() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let db = app.db();
        add_user(db, "admin", "Quản trị", true).await;
        add_user(db, "lan", "Nguyễn Thị Lan", false).await;
        let p24 = period("2024");
        let people: Vec<(&str, Option<Grant>)> = vec![
            ("binh", None),
            (
                "can-bo",
                Some(Grant::in_period(
                    Role::UnitOfficer { unit: code("SNV") },
                    p24.clone(),
                )),
            ),
            (
                "lanh-dao",
                Some(Grant::all_periods(Role::UnitLeader { unit: code("SNV") })),
            ),
            (
                "tham-dinh",
                Some(Grant::all_periods(Role::Appraiser {
                    scope: AppraiserScope::everything(),
                })),
            ),
            ("chu-tich", Some(Grant::all_periods(Role::CouncilChair))),
            ("theo-doi", Some(Grant::all_periods(Role::Observer))),
            // An administrator of one period only manages no units or users: those belong
            // to no period.
            ("qt-2024", Some(Grant::in_period(Role::Admin, p24.clone()))),
        ];
        for (login, grant) in &people {
            add_user(db, login, login, false).await;
            if let Some(g) = grant {
                give(db, login, g.clone()).await;
            }
        }
        give(db, "lan", Grant::all_periods(Role::Observer)).await;
        let lan_grant = grants::list(db)
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.login == "lan")
            .unwrap()
            .id;
        let before = snapshot(db).await;

        let gets = [
            "/quan-tri/don-vi",
            "/quan-tri/don-vi?q=noi+vu",
            "/quan-tri/don-vi/them",
            "/quan-tri/don-vi/nhap-tep",
            "/quan-tri/don-vi/sap-nhap-chia-tach",
            "/quan-tri/don-vi/SNV",
            "/quan-tri/don-vi/KHONG-CO",
            "/quan-tri/nguoi-dung/lan/vai-tro",
            "/quan-tri/nguoi-dung/khong-co/vai-tro",
        ];
        let revoke = format!("/quan-tri/nguoi-dung/lan/vai-tro/{lan_grant}/thu-hoi");
        let posts: Vec<(&str, Vec<(&str, &str)>)> = vec![
            (
                "/quan-tri/don-vi/them",
                vec![("code", "XA-MOI"), ("name", "Xã Mới"), ("kind", "commune")],
            ),
            (
                "/quan-tri/don-vi/SNV",
                vec![("name", "Sở Nội vụ (đổi)"), ("kind", "department")],
            ),
            (
                "/quan-tri/don-vi/sap-nhap-chia-tach",
                vec![
                    ("kind", "merger"),
                    ("predecessors", "H-DONG, H-TAY"),
                    ("target", "existing"),
                    ("successor", "TP-MAU"),
                    ("effective", "01/07/2025"),
                ],
            ),
            ("/quan-tri/nguoi-dung/lan/vai-tro", vec![("role", "admin")]),
            (revoke.as_str(), vec![("reason", "thử")]),
            ("/quan-tri/nguoi-dung/lan/vai-tro/abc/thu-hoi", vec![]),
        ];
        for (login, _) in &people {
            let mut b = signed_in(&app, login).await;
            for path in gets {
                let r = b.get(path).await;
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "[{}] {login} GET {path}",
                    app.backend
                );
            }
            for (path, form) in &posts {
                let r = b.post_csrf(path, form).await;
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "[{}] {login} POST {path}: {}",
                    app.backend,
                    r.body
                );
            }
            let r = b
                .upload(
                    "/quan-tri/don-vi/nhap-tep",
                    ("units.csv", UNITS_CSV_OK.as_bytes()),
                    &[],
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{login} import");
        }
        assert_eq!(snapshot(db).await, before, "[{}]", app.backend);

        // Visitors who have not signed in are sent to sign in; their posts are refused.
        let mut visitor = Browser::new(&app.base);
        for path in gets {
            let r = visitor.get(path).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "anonymous GET {path}");
            assert!(r.location.starts_with("/dang-nhap?next="), "{}", r.location);
        }
        let r = visitor
            .client
            .post(format!("{}/quan-tri/don-vi/them", app.base))
            .form(&[("code", "XA-MOI"), ("name", "Xã Mới"), ("kind", "commune")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(snapshot(db).await, before, "[{}]", app.backend);

        // The same requests from an administrator succeed, so the refusals were the roles'.
        let mut admin = signed_in(&app, "admin").await;
        for path in gets
            .iter()
            .filter(|p| !p.contains("KHONG-CO") && !p.contains("khong-co"))
        {
            admin.page(path).await;
        }
        assert_eq!(
            admin.get("/quan-tri/don-vi/KHONG-CO").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            admin
                .get("/quan-tri/nguoi-dung/khong-co/vai-tro")
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn search_ignores_diacritics_and_the_list_follows_vietnamese_alphabetical_order() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let db = app.db();
        add_user(db, "admin", "Quản trị", true).await;
        add_units(
            db,
            &[
                unit("DN", "Thành phố Đà Nẵng", UnitKind::Province, None),
                unit("H-TK", "Huyện Tân Khê", UnitKind::District, None),
                unit("XA-TK", "Xã Tân Khê", UnitKind::Commune, Some("H-TK")),
                unit("XA-TKH", "Xã Tân Khánh", UnitKind::Commune, Some("H-TK")),
                unit("X-DUY", "Xã Duy Tân", UnitKind::Commune, Some("H-TK")),
                unit("X-DONG", "Xã Đông Sơn", UnitKind::Commune, Some("H-TK")),
                unit("X-EA", "Xã Ea Kar", UnitKind::Commune, Some("H-TK")),
                unit("X-AN", "Xã An Phú", UnitKind::Commune, Some("H-TK")),
                unit("X-AN2", "Xã Ân Phú", UnitKind::Commune, Some("H-TK")),
            ],
        )
        .await;
        let mut b = signed_in(&app, "admin").await;

        let r = b.page("/quan-tri/don-vi?q=da+nang").await;
        assert_eq!(listed_codes(&r.body), vec!["DN"], "[{}]", app.backend);
        r.assert_has(&["Thành phố Đà Nẵng"]);

        let r = b.page("/quan-tri/don-vi?q=tan%20khe").await;
        assert_eq!(listed_codes(&r.body), vec!["H-TK", "XA-TK"]);
        // Upper case, extra spaces and the words in another order find the same.
        let r = b.page("/quan-tri/don-vi?q=%20KHE%20%20tan%20").await;
        assert_eq!(listed_codes(&r.body), vec!["H-TK", "XA-TK"]);
        // Codes are searched too; a query that matches nothing says so.
        assert_eq!(
            listed_codes(&b.page("/quan-tri/don-vi?q=xa-tkh").await.body),
            vec!["XA-TKH"]
        );
        b.page("/quan-tri/don-vi?q=hai+phong")
            .await
            .assert_has(&["Không có đơn vị nào phù hợp."]);

        // Communes in Vietnamese order: An < Ân (a < â), Duy < Đông (d < đ) < Ea, Khánh < Khê.
        let r = b.page("/quan-tri/don-vi?loai=commune").await;
        assert_eq!(
            listed_codes(&r.body),
            vec![
                "X-AN", "X-AN2", "X-DUY", "X-DONG", "X-EA", "XA-TKH", "XA-TK"
            ],
            "[{}]",
            app.backend
        );
        r.assert_has(&["<option value=\"commune\" selected>Xã</option>"]);
        app.stop().await;
    }
}

#[tokio::test]
async fn the_list_filters_by_kind_and_parent_shows_lineage_and_pages_through_many_units() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let db = app.db();
        add_user(db, "admin", "Quản trị", true).await;
        let mut many = vec![unit("H-LON", "Huyện Lớn", UnitKind::District, None)];
        for i in 1..=120 {
            many.push(unit(
                &format!("XA-{i:03}"),
                &format!("Xã Số {i}"),
                UnitKind::Commune,
                Some("H-LON"),
            ));
        }
        add_units(db, &many).await;
        units::upsert_many(
            db,
            &[],
            &[chiso_domain::Lineage {
                predecessor: code("H-TAY"),
                successor: code("H-DONG"),
                kind: LineageKind::Merger,
                effective: Some(date!(2025 - 07 - 01)),
            }],
            &Actor::system(),
            datetime!(2025-01-03 00:00 UTC),
        )
        .await
        .unwrap();
        let mut b = signed_in(&app, "admin").await;

        // 6 units of the province + 121 here.
        let r = b.page("/quan-tri/don-vi").await;
        assert_eq!(listed_codes(&r.body).len(), 50);
        r.assert_has(&[
            "Đơn vị 1–50 trong 127 đơn vị phù hợp (tổng số 127 đơn vị).",
            "Trang 1/3",
            "rel=\"next\"",
        ]);

        let r = b.page("/quan-tri/don-vi?thuoc=H-LON&trang=3").await;
        let codes = listed_codes(&r.body);
        assert_eq!(codes.len(), 20, "[{}]", app.backend);
        // Numbers inside names sort by value: "Xã Số 9" before "Xã Số 10".
        assert_eq!(codes.last().map(String::as_str), Some("XA-120"));
        r.assert_has(&[
            "Đơn vị 101–120 trong 120 đơn vị phù hợp (tổng số 127 đơn vị).",
            "Trang 3/3",
            "href=\"/quan-tri/don-vi?thuoc=H-LON&#38;trang=2\"",
            "<option value=\"H-LON\" selected>Huyện Lớn (H-LON)</option>",
        ]);
        let r = b.page("/quan-tri/don-vi?thuoc=H-LON").await;
        assert_eq!(&listed_codes(&r.body)[..3], ["XA-001", "XA-002", "XA-003"]);
        // A page past the end shows the last one.
        assert_eq!(
            listed_codes(&b.page("/quan-tri/don-vi?thuoc=H-LON&trang=99").await.body).len(),
            20
        );

        let r = b.page("/quan-tri/don-vi?loai=district").await;
        assert_eq!(
            listed_codes(&r.body),
            vec!["H-DONG", "H-LON", "H-TAY", "TP-MAU"]
        );
        r.assert_has(&[
            "Đơn vị tiền thân:</span>\n        <a href=\"/quan-tri/don-vi/H-TAY\"><code>H-TAY</code></a>",
            "Đơn vị kế thừa:</span>\n        <a href=\"/quan-tri/don-vi/H-DONG\"><code>H-DONG</code></a>",
        ]);
        app.stop().await;
    }
}

#[tokio::test]
async fn an_administrator_creates_and_edits_a_unit_with_field_errors_in_vietnamese_and_every_change_audited()
 {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let db = app.db();
        add_user(db, "admin", "Quản trị", true).await;
        let mut b = signed_in(&app, "admin").await;
        b.page("/quan-tri/don-vi/them").await;
        let before = snapshot(db).await;

        // Every mistake at once, next to its field, with what was typed kept.
        let r = b
            .post_csrf(
                "/quan-tri/don-vi/them",
                &[
                    ("code", "SNV"),
                    ("name", "Xã <Mới>"),
                    ("kind", ""),
                    ("parent", "KHONG-CO"),
                    ("valid_from", "32/13/2025"),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}]",
            app.backend
        );
        r.assert_has(&[
            "Mã đơn vị “SNV” đã có; hãy sửa đơn vị đó thay vì tạo mới.",
            "Hãy chọn loại đơn vị.",
            "Không có đơn vị mã “KHONG-CO”.",
            "“32/13/2025” không phải ngày hợp lệ (ghi theo dạng dd/mm/yyyy).",
            "value=\"Xã &#60;Mới&#62;\"",
            "value=\"KHONG-CO\"",
            "aria-invalid=\"true\"",
        ]);
        assert_eq!(snapshot(db).await, before);
        // The English interface names the same fields.
        let r = b
            .post_csrf(
                "/quan-tri/don-vi/them?lang=en",
                &[("code", ""), ("kind", "commune")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["Enter the unit code.", "Enter the unit name."]);

        let r = b
            .post_csrf(
                "/quan-tri/don-vi/them?lang=vi",
                &[
                    ("code", "XA-DONG-1"),
                    ("name", "  Xã   Đông   Một "),
                    ("kind", "commune"),
                    ("parent", "H-DONG"),
                    ("valid_from", "01/01/2020"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, "/quan-tri/don-vi/XA-DONG-1?ok=created");
        let stored = units::get(db, &code("XA-DONG-1")).await.unwrap().unwrap();
        assert_eq!(stored.name, "Xã Đông Một");
        assert_eq!(stored.parent, Some(code("H-DONG")));
        assert_eq!(stored.valid_from, Some(date!(2020 - 01 - 01)));
        let page = b.page(&r.location).await;
        page.assert_has(&[
            "Đã thêm đơn vị.",
            "<h1>Xã Đông Một <code class=\"unit-code\">XA-DONG-1</code></h1>",
            "<a href=\"/quan-tri/don-vi/H-DONG\">Huyện Đông</a>",
            "từ 01/01/2020",
            "Tạo đơn vị",
        ]);

        // Editing: the code in the form is ignored, a loop of parents is refused.
        let r = b
            .post_csrf(
                "/quan-tri/don-vi/H-DONG",
                &[
                    ("name", "Huyện Đông"),
                    ("kind", "district"),
                    ("parent", "XA-DONG-1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&[
            "Không thể chọn “XA-DONG-1” làm đơn vị cấp trên vì đơn vị đó đang trực thuộc đơn vị này.",
        ]);
        let r = b
            .post_csrf(
                "/quan-tri/don-vi/XA-DONG-1",
                &[
                    ("code", "XA-KHAC"),
                    ("name", "Phường Đông Một"),
                    ("kind", "ward"),
                    ("parent", "H-DONG"),
                    ("valid_from", "01/01/2020"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, "/quan-tri/don-vi/XA-DONG-1?ok=saved");
        assert!(units::get(db, &code("XA-KHAC")).await.unwrap().is_none());
        let stored = units::get(db, &code("XA-DONG-1")).await.unwrap().unwrap();
        assert_eq!(
            (stored.name.as_str(), stored.kind),
            ("Phường Đông Một", UnitKind::Ward)
        );
        b.page("/quan-tri/don-vi/XA-DONG-1")
            .await
            .assert_has(&["Tên: Xã Đông Một → Phường Đông Một; Loại: Xã → Phường"]);
        // Saving the same values again writes nothing.
        let audit_before = snapshot(db).await.audit;
        let r = b
            .post_csrf(
                "/quan-tri/don-vi/XA-DONG-1",
                &[
                    ("name", "Phường Đông Một"),
                    ("kind", "ward"),
                    ("parent", "H-DONG"),
                    ("valid_from", "01/01/2020"),
                ],
            )
            .await;
        assert_eq!(r.location, "/quan-tri/don-vi/XA-DONG-1?ok=unchanged");
        assert_eq!(snapshot(db).await.audit, audit_before);

        let log = audit::list(
            db,
            &AuditFilter {
                unit: Some(code("XA-DONG-1")),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(log.len(), 2, "one creation, one update");
        assert_eq!(log[0].actor, "admin");
        assert_eq!(log[0].action, "update");
        assert_eq!(log[0].old.as_ref().unwrap()["name"], "Xã Đông Một");
        assert_eq!(log[0].new.as_ref().unwrap()["name"], "Phường Đông Một");
        assert_eq!(log[1].action, "create");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_units_file_with_mistakes_lists_every_one_by_row_and_column_and_imports_nothing() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let db = app.db();
        add_user(db, "admin", "Quản trị", true).await;
        let mut b = signed_in(&app, "admin").await;
        let before = snapshot(db).await;
        let csv = "code,name,group,kind,parent\n\
            XA-1,Xã Một,Xã,xã,\n\
            ,Xã Hai,Xã,xã,\n\
            XA-3,,Xã,galaxy,NOPE\n\
            XA-1,Xã Một lần nữa,Xã,xã,\n\
            XA-6,Xã Sáu,Xã,xã,NOPE\n";
        let r = b
            .upload(
                "/quan-tri/don-vi/nhap-tep",
                ("don-vi.csv", csv.as_bytes()),
                &[],
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
            "Tệp don-vi.csv có 5 lỗi; chưa có gì được nhập.",
            "<td class=\"num\">3</td><td><code>code</code></td><td>thiếu mã đơn vị</td>",
            "<td class=\"num\">4</td><td><code>name</code></td><td>thiếu tên đơn vị</td>",
            "<td class=\"num\">4</td><td><code>kind</code></td><td>loại đơn vị &#34;galaxy&#34; không hợp lệ",
            "<td class=\"num\">5</td><td><code>code</code></td><td>mã đơn vị XA-1 bị trùng (đã có ở dòng 2)</td>",
            "<td class=\"num\">6</td><td><code>parent</code></td><td>đơn vị cha NOPE không có trong tệp</td>",
        ]);
        assert_eq!(snapshot(db).await, before, "[{}]", app.backend);

        // The same file in English: every problem is worded in the reader's language.
        let r = b
            .upload(
                "/quan-tri/don-vi/nhap-tep?lang=en",
                ("don-vi.csv", csv.as_bytes()),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "<td class=\"num\">3</td><td><code>code</code></td><td>the unit code is missing</td>",
            "<td class=\"num\">4</td><td><code>name</code></td><td>the unit name is missing</td>",
            "<td class=\"num\">5</td><td><code>code</code></td><td>the unit code XA-1 is repeated (already on row 2)</td>",
            "<td class=\"num\">6</td><td><code>parent</code></td><td>the parent unit NOPE is not in the file</td>",
        ]);
        assert!(!r.body.contains("thiếu mã đơn vị"), "{}", r.body);
        assert_eq!(snapshot(db).await, before, "[{}]", app.backend);
        b.get("/quan-tri/don-vi?lang=vi").await;

        // A file whose rows are fine but whose predecessors are unknown is refused whole too.
        let csv =
            "code,name,group,predecessors\nXA-MOI,Xã Mới,Xã,XA-CU-1;XA-CU-2\nXA-KHAC,Xã Khác,Xã,\n";
        let r = b
            .upload(
                "/quan-tri/don-vi/nhap-tep",
                ("don-vi.csv", csv.as_bytes()),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["đơn vị XA-MOI: đơn vị tiền thân XA-CU-1 chưa có trong cơ sở dữ liệu"]);
        assert_eq!(snapshot(db).await, before);

        // No file, and an unknown period, are named as fields.
        let r = b
            .upload(
                "/quan-tri/don-vi/nhap-tep",
                ("", b""),
                &[("period", "2099")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&[
            "Hãy chọn tệp danh sách đơn vị.",
            "Không có kỳ đánh giá “2099”.",
        ]);
        assert_eq!(snapshot(db).await, before);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_valid_units_file_is_imported_with_a_summary_of_created_and_updated_units() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let db = app.db();
        add_user(db, "admin", "Quản trị", true).await;
        let mut b = signed_in(&app, "admin").await;
        b.page("/quan-tri/don-vi/nhap-tep").await.assert_has(&[
            "enctype=\"multipart/form-data\"",
            "Chỉ số CCHC năm 2024 (2024)",
        ]);
        let r = b
            .upload(
                "/quan-tri/don-vi/nhap-tep",
                ("don-vi-2025.csv", UNITS_CSV_OK.as_bytes()),
                &[("period", ""), ("set", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", app.backend, r.body);
        r.assert_has(&[
            "Đã nhập tệp don-vi-2025.csv: 2 đơn vị mới, 1 đơn vị cập nhật, 1 đơn vị không đổi, 0 quan hệ kế thừa mới.",
            "<a href=\"/quan-tri/don-vi/H-TK\"><code>H-TK</code></a>",
            "<a href=\"/quan-tri/don-vi/SNV\"><code>SNV</code></a>",
        ]);
        assert_eq!(
            units::get(db, &code("SNV")).await.unwrap().unwrap().name,
            "Sở Nội vụ tỉnh"
        );
        let commune = units::get(db, &code("XA-TK-1")).await.unwrap().unwrap();
        assert_eq!(commune.parent, Some(code("H-TK")));
        let log = audit::list(db, &AuditFilter::default()).await.unwrap();
        assert!(
            log.iter()
                .any(|e| e.actor == "admin" && e.entity_key == "XA-TK-1" && e.action == "create")
        );
        // Importing the same file again changes nothing.
        let r = b
            .upload(
                "/quan-tri/don-vi/nhap-tep",
                ("don-vi-2025.csv", UNITS_CSV_OK.as_bytes()),
                &[],
            )
            .await;
        r.assert_has(&["0 đơn vị mới, 0 đơn vị cập nhật, 4 đơn vị không đổi"]);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_merger_into_a_new_unit_and_a_split_are_recorded_shown_on_the_unit_pages_and_audited() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let db = app.db();
        add_user(db, "admin", "Quản trị", true).await;
        add_units(
            db,
            &[
                unit("XA-A", "Xã An", UnitKind::Commune, Some("H-DONG")),
                unit("XA-B", "Xã Bình", UnitKind::Commune, Some("H-DONG")),
                unit("XA-C", "Xã Cát", UnitKind::Commune, Some("H-DONG")),
                unit("XA-C1", "Xã Cát Một", UnitKind::Commune, Some("H-DONG")),
                unit("XA-C2", "Xã Cát Hai", UnitKind::Commune, Some("H-DONG")),
            ],
        )
        .await;
        let mut b = signed_in(&app, "admin").await;
        b.page("/quan-tri/don-vi/sap-nhap-chia-tach?tu=XA-A")
            .await
            .assert_has(&["name=\"predecessors\" rows=\"3\" spellcheck=\"false\" aria-describedby=\"m-predecessors-hint\">XA-A</textarea>"]);
        let before = snapshot(db).await;

        let merger = [
            ("kind", "merger"),
            ("predecessors", "XA-A, XA-B"),
            ("target", "new"),
            ("new_code", "XA-AB"),
            ("new_name", "Xã An Bình"),
            ("new_kind", "commune"),
            ("new_parent", ""),
            ("effective", "01/07/2025"),
            ("basis", "Nghị quyết số 1656/NQ-UBTVQH15"),
        ];
        // Mistakes first: a missing date, an unknown unit, one predecessor only.
        let mut wrong = merger;
        wrong[1] = ("predecessors", "XA-A, KHONG-CO");
        wrong[7] = ("effective", "");
        let r = b
            .post_csrf("/quan-tri/don-vi/sap-nhap-chia-tach", &wrong)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}]",
            app.backend
        );
        r.assert_has(&[
            "Hãy nhập ngày có hiệu lực.",
            "Không có đơn vị mã “KHONG-CO”.",
            "Sáp nhập thành đơn vị mới cần ít nhất hai đơn vị được sáp nhập.",
            "value=\"Xã An Bình\"",
        ]);
        assert_eq!(snapshot(db).await, before);

        let r = b
            .post_csrf("/quan-tri/don-vi/sap-nhap-chia-tach", &merger)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, "/quan-tri/don-vi/XA-AB?ok=merger");
        let new = units::get(db, &code("XA-AB")).await.unwrap().unwrap();
        assert_eq!(new.valid_from, Some(date!(2025 - 07 - 01)));
        for old in ["XA-A", "XA-B"] {
            let u = units::get(db, &code(old)).await.unwrap().unwrap();
            assert_eq!(u.valid_to, Some(date!(2025 - 06 - 30)), "{old} ceases");
        }
        let page = b.page(&r.location).await;
        page.assert_has(&[
            "Đã ghi nhận việc sáp nhập.",
            "<a href=\"/quan-tri/don-vi/XA-A\">Xã An</a> <code>XA-A</code></th><td>Sáp nhập</td><td>01/07/2025</td>",
            "<a href=\"/quan-tri/don-vi/XA-B\">Xã Bình</a>",
            "Sáp nhập: XA-A → XA-AB, có hiệu lực từ 01/07/2025",
            "Nghị quyết số 1656/NQ-UBTVQH15",
        ]);
        b.page("/quan-tri/don-vi/XA-A").await.assert_has(&[
            "Đơn vị kế thừa",
            "<a href=\"/quan-tri/don-vi/XA-AB\">Xã An Bình</a>",
            "đến 30/06/2025",
        ]);
        // The same merger again is refused: the edges exist.
        let mut again = merger;
        again[2] = ("target", "existing");
        let again = [again.as_slice(), &[("successor", "XA-AB")]].concat();
        let r = b
            .post_csrf("/quan-tri/don-vi/sap-nhap-chia-tach", &again)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["Quan hệ kế thừa XA-A → XA-AB đã được ghi nhận trước đó."]);

        // A split of XA-C into XA-C1 and XA-C2.
        let r = b
            .post_csrf(
                "/quan-tri/don-vi/sap-nhap-chia-tach",
                &[
                    ("kind", "split"),
                    ("predecessor", "XA-C"),
                    ("successors", "XA-C1\nXA-C2"),
                    ("effective", "2025-07-01"),
                    ("basis", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, "/quan-tri/don-vi/XA-C?ok=split");
        let mut lineage = units::lineage(db).await.unwrap();
        lineage.retain(|l| l.predecessor.as_str() == "XA-C");
        assert_eq!(lineage.len(), 2);
        assert!(lineage.iter().all(|l| l.kind == LineageKind::Split
            && l.effective == Some(date!(2025 - 07 - 01))));
        b.page(&r.location).await.assert_has(&[
            "Đã ghi nhận việc chia tách.",
            "<a href=\"/quan-tri/don-vi/XA-C1\">Xã Cát Một</a> <code>XA-C1</code></th><td>Chia tách</td>",
        ]);

        let log = audit::list(db, &AuditFilter::default()).await.unwrap();
        let lineage_entries: Vec<_> = log.iter().filter(|e| e.entity == "lineage").collect();
        assert_eq!(
            lineage_entries.len(),
            4,
            "two merger edges, two split edges"
        );
        assert!(lineage_entries.iter().all(|e| e.actor == "admin"));
        assert!(!log.iter().any(|e| e.entity_key == "XA-AB>XA-AB"));
        assert!(log.iter().any(|e| e.entity_key == "XA-A"
            && e.action == "update"
            && e.reason.as_deref() == Some("Nghị quyết số 1656/NQ-UBTVQH15")));
        app.stop().await;
    }
}

#[tokio::test]
async fn granted_roles_take_effect_at_the_next_request_and_revoking_them_is_audited() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let db = app.db();
        add_user(db, "admin", "Quản trị", true).await;
        add_user(db, "lan", "Nguyễn Thị Lan", false).await;
        let mut admin = signed_in(&app, "admin").await;
        let mut lan = signed_in(&app, "lan").await;
        assert_eq!(
            lan.get("/quan-tri/nguoi-dung").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            lan.get("/quan-tri/don-vi").await.status,
            StatusCode::FORBIDDEN
        );

        admin
            .page("/quan-tri/nguoi-dung")
            .await
            .assert_has(&["href=\"/quan-tri/nguoi-dung/lan/vai-tro\""]);
        admin
            .page("/quan-tri/nguoi-dung/lan/vai-tro")
            .await
            .assert_has(&[
                "Vai trò của Nguyễn Thị Lan (lan)",
                "Người dùng này chưa được phân vai trò nào.",
            ]);

        // Several roles for one person.
        let r = admin
            .post_csrf(
                "/quan-tri/nguoi-dung/lan/vai-tro",
                &[
                    ("role", "unit_officer"),
                    ("unit", "SNV"),
                    ("period", "2024"),
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
        assert_eq!(r.location, "/quan-tri/nguoi-dung/lan/vai-tro?ok=granted");
        let r = admin
            .post_csrf(
                "/quan-tri/nguoi-dung/lan/vai-tro",
                &[
                    ("role", "appraiser"),
                    ("units", "STP, SKHCN"),
                    ("areas", "2; 3.1"),
                    ("period", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = admin
            .post_csrf(
                "/quan-tri/nguoi-dung/lan/vai-tro",
                &[("role", "admin"), ("period", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = admin
            .page("/quan-tri/nguoi-dung/lan/vai-tro?ok=granted")
            .await;
        page.assert_has(&[
            "Đã phân vai trò.",
            "Cán bộ đầu mối CCHC của đơn vị",
            "Đơn vị: Sở Nội vụ (SNV)",
            "Chỉ số CCHC năm 2024 (2024)",
            "Đơn vị: Sở Tư pháp (STP), Sở Khoa học &#38; Công nghệ (SKHCN); lĩnh vực: 2, 3.1",
            "Quản trị (Sở Nội vụ)",
            "Mọi kỳ đánh giá",
        ]);

        // The administrator grant works at Lan's next request, through the same checks as
        // every page.
        lan.page("/quan-tri/nguoi-dung").await;
        lan.page("/quan-tri/don-vi").await;
        // The officer and appraiser grants reach exactly their units, areas and period.
        let principal = Principal::new("lan", grants::for_user(db, "lan").await.unwrap());
        let leaf = |p: &str, u: &str, n: &str| Resource::Leaf {
            period: period(p),
            unit: code(u),
            node: NodeCode::parse(n).unwrap(),
        };
        assert!(authz::can(
            &principal,
            Action::EditSelfAssessment,
            &leaf("2024", "SNV", "1.1.1")
        ));
        assert!(!authz::can(
            &principal,
            Action::EditSelfAssessment,
            &leaf("2023", "SNV", "1.1.1")
        ));
        assert!(!authz::can(
            &principal,
            Action::EditSelfAssessment,
            &leaf("2024", "STP", "1.1.1")
        ));
        assert!(authz::can(
            &principal,
            Action::Appraise,
            &leaf("2024", "STP", "2.1.1")
        ));
        assert!(authz::can(
            &principal,
            Action::Appraise,
            &leaf("2023", "SKHCN", "3.1")
        ));
        assert!(!authz::can(
            &principal,
            Action::Appraise,
            &leaf("2024", "STP", "1.1.1")
        ));
        assert!(!authz::can(
            &principal,
            Action::Appraise,
            &leaf("2024", "SNV", "2.1.1")
        ));

        // Revoking the administrator role, with a reason: Lan is refused again at once.
        let held = grants::stored_for_user(db, "lan").await.unwrap();
        let admin_grant = held.iter().find(|g| g.grant.role == Role::Admin).unwrap();
        let r = admin
            .post_csrf(
                &format!(
                    "/quan-tri/nguoi-dung/lan/vai-tro/{}/thu-hoi",
                    admin_grant.id
                ),
                &[("reason", "Chuyển công tác")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, "/quan-tri/nguoi-dung/lan/vai-tro?ok=revoked");
        assert_eq!(
            lan.get("/quan-tri/nguoi-dung").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(grants::for_user(db, "lan").await.unwrap().len(), 2);

        let log = audit::list(db, &AuditFilter::default()).await.unwrap();
        let roles: Vec<_> = log.iter().filter(|e| e.entity == "role_grant").collect();
        assert_eq!(roles.len(), 4, "three grants and one revocation");
        assert!(
            roles
                .iter()
                .all(|e| e.actor == "admin" && e.entity_key == "lan")
        );
        assert_eq!(roles[0].action, "revoke");
        assert_eq!(roles[0].reason.as_deref(), Some("Chuyển công tác"));
        assert_eq!(roles[0].old.as_ref().unwrap()["role"]["role"], "admin");
        // A revoked grant is gone: revoking it again is 404.
        let r = admin
            .post_csrf(
                &format!(
                    "/quan-tri/nguoi-dung/lan/vai-tro/{}/thu-hoi",
                    admin_grant.id
                ),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        app.stop().await;
    }
}

#[tokio::test]
async fn role_form_mistakes_are_named_the_typed_values_kept_and_nobody_revokes_their_own_admin_role()
 {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let db = app.db();
        add_user(db, "admin", "Quản trị", true).await;
        add_user(db, "hoa", "Trần Văn Hòa", false).await;
        give(db, "hoa", Grant::all_periods(Role::Admin)).await;
        let before = snapshot(db).await;
        let mut b = signed_in(&app, "hoa").await;

        let r = b
            .post_csrf(
                "/quan-tri/nguoi-dung/admin/vai-tro",
                &[
                    ("role", "unit_leader"),
                    ("unit", "KHONG-CO"),
                    ("areas", "1"),
                    ("period", "2099"),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}]",
            app.backend
        );
        r.assert_has(&[
            "Không có đơn vị mã “KHONG-CO”.",
            "Chỉ thành viên thẩm định mới có phạm vi thẩm định; hãy để trống ô này.",
            "Không có kỳ đánh giá “2099”.",
            "<option value=\"unit_leader\" selected>",
            "value=\"KHONG-CO\"",
        ]);
        let r = b
            .post_csrf("/quan-tri/nguoi-dung/admin/vai-tro", &[("role", "")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["Hãy chọn vai trò."]);
        assert_eq!(snapshot(db).await, before);

        // The same grant twice is refused.
        let r = b
            .post_csrf(
                "/quan-tri/nguoi-dung/admin/vai-tro",
                &[("role", "observer")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = b
            .post_csrf(
                "/quan-tri/nguoi-dung/admin/vai-tro",
                &[("role", "observer")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["Người dùng này đã có đúng vai trò này."]);

        // Hòa cannot take away the administrator role Hòa acts with.
        let own = grants::stored_for_user(db, "hoa").await.unwrap()[0].id;
        let r = b
            .post_csrf(
                &format!("/quan-tri/nguoi-dung/hoa/vai-tro/{own}/thu-hoi"),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["Không thể tự thu hồi vai trò quản trị của chính mình."]);
        assert_eq!(grants::for_user(db, "hoa").await.unwrap().len(), 1);
        // A grant id of another person is not found under this one.
        let r = b
            .post_csrf(
                &format!("/quan-tri/nguoi-dung/admin/vai-tro/{own}/thu-hoi"),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        app.stop().await;
    }
}
