//! A survey's questionnaires defined on the web form, without a file: the administrator
//! starts from the period's survey leaves, adds a respondent group, a question and options of
//! its own, sets a leaf's minimum and group weights, and saves; a form with mistakes names each
//! field at fault and keeps what was typed; an open survey is edited on the same form; a unit's
//! officer is refused. Each post is what a browser without scripts sends: every field of the
//! page, plus the button pressed. SQLite always, PostgreSQL when `CHISO_TEST_PG` is set.

use crate::common;

use chiso_domain::questionnaire::{QuestionTarget, QuestionnaireKind};
use chiso_domain::{Grant, NodeCode, PeriodCode, Role, UnitCode};
use chiso_store::{Actor, Db, grants, index_sets, surveys, users};
use common::browser::{Browser, Reply};
use common::{TestApp, backends, cheap_hash};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use time::OffsetDateTime;
use time::macros::datetime;

const PASSWORD: &str = "mat-khau-dung-123";
const AT: OffsetDateTime = datetime!(2026-03-02 02:00 UTC);
const LIST: &str = "/ky/2026/dieu-tra";
const NEW: &str = "/ky/2026/dieu-tra/soan";

/// One assessed leaf (1.1) and two survey leaves (2.1 and 2.2, 15 points each).
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
        max: 15
        source: survey
        method: survey
      - code: "2.2"
        title: Thái độ phục vụ
        max: 15
        source: survey
        method: survey
"#;

fn period() -> PeriodCode {
    PeriodCode::parse("2026").unwrap()
}

fn leaf(code: &str) -> NodeCode {
    NodeCode::parse(code).unwrap()
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

/// A text as the page escaped it, read back.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// The value of attribute `name` in an opening tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let len = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + len]))
}

/// Every field the questionnaire form on `body` sends, as a browser sends them: inputs with
/// their values, text areas with their text, selects with the chosen option (else the first).
/// Buttons are left out; the caller adds the one pressed.
fn form_fields(body: &str) -> Vec<(String, String)> {
    let start = body
        .find("class=\"form survey-form\"")
        .unwrap_or_else(|| panic!("no questionnaire form in:\n{body}"));
    let end = start + body[start..].find("</form>").unwrap();
    let form = &body[start..end];
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = form[at..].find('<') {
        let rest = &form[at + i..];
        let tag = &rest[..rest.find('>').unwrap()];
        if rest.starts_with("<input") {
            if let Some(name) = attr(tag, "name") {
                out.push((name, attr(tag, "value").unwrap_or_default()));
            }
        } else if rest.starts_with("<textarea") {
            let close = rest.find("</textarea>").unwrap();
            out.push((
                attr(tag, "name").unwrap(),
                unescape(&rest[tag.len() + 1..close]),
            ));
        } else if rest.starts_with("<select") {
            let close = rest.find("</select>").unwrap();
            let options: Vec<&str> = rest[..close].split("<option").skip(1).collect();
            let chosen = options
                .iter()
                .find(|o| o.split('>').next().unwrap().contains(" selected"))
                .or(options.first())
                .map(|o| attr(o, "value").unwrap_or_default())
                .unwrap_or_default();
            out.push((attr(tag, "name").unwrap(), chosen));
        }
        at += i + 1;
    }
    out
}

/// Types `value` into field `name` (the field must be on the form).
fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    let f = fields
        .iter_mut()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no field {name} on the form"));
    f.1 = value.to_owned();
}

fn value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map_or_else(
        || panic!("no field {name} on the form"),
        |(_, v)| v.as_str(),
    )
}

/// Presses the button `action` of the form with `fields`.
async fn press(b: &mut Browser, path: &str, fields: &[(String, String)], action: &str) -> Reply {
    let mut form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form.push(("action", action));
    b.post(path, &form).await
}

/// A page shown again (200) by a row button: its fields.
fn again(r: &Reply) -> Vec<(String, String)> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    form_fields(&r.body)
}

#[tokio::test]
async fn a_survey_defined_entirely_on_the_form_lands_with_the_definition_typed() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, chiso_web::WebConfig::default(), false).await;
        let db = app.db();
        prepared(db).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;

        // The list links to the form, which starts from the period's survey leaves.
        let list = admin.page(LIST).await;
        list.assert_has(&[
            format!("href=\"{NEW}\"").as_str(),
            "Soạn đợt điều tra trên biểu mẫu",
        ]);
        let page = admin.page(NEW).await;
        page.assert_has(&["Soạn đợt điều tra", "Sở ngành (bộ chỉ số BCS-KS)"]);
        let mut f = form_fields(&page.body);
        assert_eq!(value(&f, "code"), "XHH-2026");
        assert_eq!(value(&f, "g0.evaluates"), "Sở ngành");
        assert_eq!(value(&f, "g0.q0.target"), "2.1");
        assert_eq!(value(&f, "g0.q1.target"), "2.2");
        assert_eq!(value(&f, "g0.q1.text"), "Thái độ phục vụ");
        set(&mut f, "code", "XHH-FORM");
        set(&mut f, "name", "Khảo sát trên biểu mẫu");

        // Thêm nhóm: a second group, its name field ready for typing.
        let r = press(&mut admin, NEW, &f, "add-group").await;
        r.assert_has(&["id=\"f-g1-name\" name=\"g1.name\" type=\"text\" value=\"\" size=\"40\" autocomplete=\"off\" autofocus"]);
        let mut f = again(&r);
        assert_eq!(value(&f, "g1.code"), "N2");
        assert_eq!(
            value(&f, "name"),
            "Khảo sát trên biểu mẫu",
            "nothing typed is lost"
        );
        set(&mut f, "g1.name", "Lãnh đạo sở");
        set(&mut f, "g1.target", "1.200");
        set(&mut f, "g1.q0.text", "Thái độ của công chức?");
        set(&mut f, "g1.q0.target", "2.2");

        // Thêm câu hỏi in the first group, with the next free code.
        let r = press(&mut admin, NEW, &f, "add-question:0").await;
        let mut f = again(&r);
        assert_eq!(value(&f, "g0.q2.code"), "C3");
        assert_eq!(value(&f, "g1.q0.target"), "2.2");
        set(&mut f, "g0.q2.text", "Giải quyết đúng hẹn?");
        set(&mut f, "g0.q2.target", "2.1");

        // Options of its own for the second group start from the standard scale.
        let r = press(&mut admin, NEW, &f, "add-option:1").await;
        let mut f = again(&r);
        assert_eq!(value(&f, "g1.o1.code"), "B");
        assert_eq!(value(&f, "g1.o1.weight"), "60");
        set(&mut f, "g1.o1.weight", "60,5");
        set(&mut f, "g1.o3.label", "Kém lắm");
        // Xóa: the third question of the first group goes, then comes back typed again.
        let r = press(&mut admin, NEW, &f, "remove-question:0:2").await;
        let mut f = again(&r);
        assert!(!f.iter().any(|(k, _)| k == "g0.q2.code"));
        assert_eq!(value(&f, "g1.o1.weight"), "60,5");
        let r = press(&mut admin, NEW, &f, "add-question:0").await;
        f = again(&r);
        set(&mut f, "g0.q2.text", "Giải quyết đúng hẹn?");
        set(&mut f, "g0.q2.target", "2.1");

        // One row per leaf asked; the second group asks only about 2.2.
        let r = press(&mut admin, NEW, &f, "refresh").await;
        let mut f = again(&r);
        assert_eq!(value(&f, "l0.leaf"), "2.1");
        assert_eq!(value(&f, "l1.leaf"), "2.2");
        assert!(!f.iter().any(|(k, _)| k == "l0.w1"));
        set(&mut f, "l1.minimum", "3");
        set(&mut f, "l1.w0", "2");
        set(&mut f, "l1.w1", "1,5");

        let r = press(&mut admin, NEW, &f, "save").await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            app.backend,
            r.body
        );
        assert_eq!(r.location, format!("{LIST}/XHH-FORM?ok=created"));
        admin
            .page(&r.location)
            .await
            .assert_has(&["Đã tạo đợt điều tra.", "Lãnh đạo sở"]);

        let d = surveys::get(db, &period(), "XHH-FORM")
            .await
            .unwrap()
            .expect("stored")
            .definition;
        assert_eq!(d.name, "Khảo sát trên biểu mẫu");
        assert_eq!(d.groups.len(), 2);
        let (g0, g1) = (&d.groups[0], &d.groups[1]);
        assert_eq!(g0.code, "N1");
        assert_eq!(g0.evaluates.to_string(), "Sở ngành");
        assert_eq!(g0.kind, QuestionnaireKind::Sociological);
        let targets: Vec<_> = g0.questions.iter().map(|q| q.target.clone()).collect();
        assert_eq!(
            targets,
            [
                QuestionTarget::Leaf(leaf("2.1")),
                QuestionTarget::Leaf(leaf("2.2")),
                QuestionTarget::Leaf(leaf("2.1"))
            ]
        );
        assert_eq!(g0.questions[2].code, "C3");
        assert!(g0.options.is_empty(), "the standard scale");
        assert_eq!(
            (g1.code.as_str(), g1.name.as_str(), g1.target),
            ("N2", "Lãnh đạo sở", Some(1200))
        );
        assert_eq!(g1.questions.len(), 1);
        assert_eq!(g1.questions[0].text, "Thái độ của công chức?");
        let weights: Vec<Option<Decimal>> = g1.options.iter().map(|o| o.weight).collect();
        assert_eq!(
            weights,
            [
                Some(dec!(1)),
                Some(dec!(0.605)),
                Some(dec!(0.2)),
                Some(dec!(0)),
                None
            ]
        );
        assert_eq!(g1.options[3].label, "Kém lắm");
        assert_eq!(d.leaves.len(), 1, "2.1 keeps minimum 0 and plain means");
        assert_eq!(d.leaves[0].leaf, leaf("2.2"));
        assert_eq!(d.leaves[0].minimum, 3);
        assert_eq!(d.leaves[0].group_weights["N1"], dec!(2));
        assert_eq!(d.leaves[0].group_weights["N2"], dec!(1.5));
        app.stop().await;
    }
}

#[tokio::test]
async fn a_form_with_mistakes_names_each_field_at_fault_and_keeps_what_was_typed() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, chiso_web::WebConfig::default(), false).await;
        let db = app.db();
        prepared(db).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let page = admin.page(NEW).await;
        let f = form_fields(&page.body);
        let r = press(&mut admin, NEW, &f, "add-option:0").await;
        let mut f = again(&r);
        let r = press(&mut admin, NEW, &f, "refresh").await;
        f = again(&r);
        set(&mut f, "code", "XHH 2026");
        set(&mut f, "name", " ");
        set(&mut f, "g0.target", "nhiều");
        set(&mut f, "g0.q1.code", "c1");
        set(&mut f, "g0.o0.weight", "150");
        set(&mut f, "g0.o2.weight", "1.5.5");
        set(&mut f, "l0.minimum", "-2");

        let r = press(&mut admin, NEW, &f, "save").await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            app.backend,
            r.body
        );
        // Each mistake next to its field, and listed at the top with a link to it.
        for (id, text) in [
            ("f-code", "Mã chỉ gồm chữ không dấu"),
            ("f-name", "Chưa có tên đợt điều tra."),
            ("f-g0-target", "“nhiều” không phải là số"),
            ("f-g0-q1-code", "Trùng mã với một câu hỏi khác của nhóm."),
            ("f-g0-o0-weight", "Trọng số phải từ 0 đến 100 %."),
            ("f-g0-o2-weight", "“1.5.5” không phải là số"),
            ("f-l0-minimum", "“-2” phải là số nguyên không âm."),
        ] {
            let shown = format!("<p id=\"{id}-error\" class=\"field-error\">{text}");
            assert!(r.has(&shown), "[{}] {shown} in:\n{}", app.backend, r.body);
            assert!(r.has(&format!("href=\"#{id}\"")), "{id} listed");
            assert!(r.has(&format!("id=\"{id}\"")), "{id} exists");
        }
        r.assert_has(&[
            "Nhóm đối tượng 1 (N1), câu hỏi 2: Mã: Trùng mã",
            "aria-invalid=\"true\" aria-describedby=\"f-g0-target-error\"",
        ]);
        // What was typed is still there.
        let kept = form_fields(&r.body);
        for (name, typed) in [
            ("code", "XHH 2026"),
            ("g0.target", "nhiều"),
            ("g0.q1.code", "c1"),
            ("g0.o0.weight", "150"),
            ("g0.o2.weight", "1.5.5"),
            ("l0.minimum", "-2"),
        ] {
            assert_eq!(value(&kept, name), typed, "{name}");
        }
        assert!(surveys::list(db, &period()).await.unwrap().is_empty());

        // The same in English.
        let r = press(&mut admin, &format!("{NEW}?lang=en"), &kept, "save").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Same code as another question of the group.",
            "The weight must be between 0 and 100 %.",
            "Respondent group 1 (N1), question 2: Code",
        ]);

        // A tampered form beyond the bounds is refused, naming the bound; so is one beyond
        // the body limit.
        let mut many = kept.clone();
        many.push(("g50.code".to_owned(), "X".to_owned()));
        let r = press(&mut admin, &format!("{NEW}?lang=vi"), &many, "save").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Biểu mẫu có tối đa 50 nhóm đối tượng."]);
        let mut huge = kept;
        set(&mut huge, "name", &"x".repeat(3 * 1024 * 1024));
        let r = press(&mut admin, NEW, &huge, "save").await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(surveys::list(db, &period()).await.unwrap().is_empty());
        app.stop().await;
    }
}

#[tokio::test]
async fn an_open_survey_is_edited_on_the_form_and_keeps_its_code() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, chiso_web::WebConfig::default(), false).await;
        let db = app.db();
        prepared(db).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        // Saved as the form starts: the period's survey leaves, the standard options.
        let page = admin.page(NEW).await;
        let r = press(&mut admin, NEW, &form_fields(&page.body), "save").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let survey = format!("{LIST}/XHH-2026");
        let edit = format!("{survey}/soan");
        admin
            .page(&survey)
            .await
            .assert_has(&[format!("href=\"{edit}\"").as_str()]);

        let page = admin.page(&edit).await;
        page.assert_has(&["<code>XHH-2026</code>", "Sửa phiếu hỏi"]);
        let mut f = form_fields(&page.body);
        assert!(!f.iter().any(|(k, _)| k == "code"), "the code is fixed");
        set(&mut f, "name", "Điều tra đã sửa");
        set(&mut f, "g0.kind", "sipas");
        // Refresh: a SIPAS questionnaire asks for its leaf and rates factors.
        let r = press(&mut admin, &edit, &f, "refresh").await;
        r.assert_has(&["Tiêu chí nhận điểm SIPAS", "Tiếp cận dịch vụ"]);
        let mut f = again(&r);
        set(&mut f, "g0.sipas", "2.2");
        set(&mut f, "g0.q0.target", "sipas:tiep_can");
        // The second question still feeds a leaf: refused next to it.
        let r = press(&mut admin, &edit, &f, "save").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "<p id=\"f-g0-q1-target-error\" class=\"field-error\">Phiếu SIPAS: câu hỏi phải gắn với một yếu tố",
        ]);
        let mut f = form_fields(&r.body);
        set(&mut f, "g0.q1.target", "sipas:thu_tuc");
        let r = press(&mut admin, &edit, &f, "save").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("{survey}?ok=redefined"));

        let d = surveys::get(db, &period(), "XHH-2026")
            .await
            .unwrap()
            .unwrap()
            .definition;
        assert_eq!(d.code, "XHH-2026");
        assert_eq!(d.name, "Điều tra đã sửa");
        assert_eq!(
            d.groups[0].kind,
            QuestionnaireKind::Sipas { leaf: leaf("2.2") }
        );
        assert_eq!(
            d.groups[0].questions[1].target,
            QuestionTarget::Factor(chiso_domain::survey::Factor::Procedure)
        );
        // Back on the form, the saved definition is what it shows.
        let f = form_fields(&admin.page(&edit).await.body);
        assert_eq!(value(&f, "g0.kind"), "sipas");
        assert_eq!(value(&f, "g0.q1.target"), "sipas:thu_tuc");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_unit_officer_may_neither_open_nor_post_the_questionnaire_form() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, chiso_web::WebConfig::default(), false).await;
        let db = app.db();
        prepared(db).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let page = admin.page(NEW).await;
        let fields = form_fields(&page.body);
        let r = press(&mut admin, NEW, &fields, "save").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let edit = format!("{LIST}/XHH-2026/soan");

        let mut officer = Browser::signed_in(&app.base, "cb.snv", PASSWORD).await;
        assert_eq!(officer.get(NEW).await.status, StatusCode::FORBIDDEN);
        assert_eq!(officer.get(&edit).await.status, StatusCode::FORBIDDEN);
        let mut theirs: Vec<(&str, &str)> = fields
            .iter()
            .filter(|(k, _)| k != "csrf")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        theirs.push(("action", "save"));
        let mut renamed = theirs.clone();
        renamed.retain(|(k, _)| *k != "code");
        renamed.push(("name", "Đổi bởi người không có quyền"));
        assert_eq!(
            officer.post_csrf(NEW, &theirs).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            officer.post_csrf(&edit, &renamed).await.status,
            StatusCode::FORBIDDEN
        );
        theirs.retain(|(k, _)| *k != "action");
        theirs.push(("action", "add-group"));
        assert_eq!(
            officer.post_csrf(NEW, &theirs).await.status,
            StatusCode::FORBIDDEN
        );
        let stored = surveys::list(db, &period()).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0].name, "Đổi bởi người không có quyền");
        app.stop().await;
    }
}
