//! The printed reports built by the services from real data and read back with `pdftotext`,
//! on SQLite and (with `CHISO_TEST_PG`) PostgreSQL: the results report of a published demo
//! period carries its units and figures as the published snapshot has them; a unit's
//! self-assessment report and appraisal minutes carry its own and appraised points and the
//! appraisers' reasons, and are refused to another unit's officer.

use chiso_domain::authz::Principal;
use chiso_domain::fmt::vi_decimal;
use chiso_domain::workflow::{AssessmentState, Milestone, Milestones, Phase};
use chiso_domain::{
    AppraiserScope, ClassScheme, Grant, GroupName, IndexSet, Membership, Method, Node, NodeCode,
    PeriodCode, Points, RankingRule, RawValue, Role, SetCode, Source, Unit, UnitCode, UnitKind,
};
use chiso_pdf::poppler::{fonts, text};
use chiso_services::Kind;
use chiso_services::demo::load_demo;
use chiso_services::reports::{self, ReportIssuer};
use chiso_services::results;
use chiso_services::review::{self, RequestExplanation, SaveAppraisal};
use chiso_store::assessments::{self, StateChange};
use chiso_store::leaves::{self, LeafKey, SelfEntry};
use chiso_store::periods::{self, Period};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, Db, index_sets, milestones, units};
use rust_decimal::Decimal;
use time::OffsetDateTime;
use time::macros::datetime;

/// 10/01/2026 09:00 in Vietnam.
const NOW: OffsetDateTime = datetime!(2026-01-10 02:00 UTC);
const UNITS: [&str; 2] = ["SNV", "STP"];
const LEAVES: [(&str, i64); 3] = [("1.1", 10), ("1.2", 20), ("2.1", 30)];

fn issuer() -> ReportIssuer {
    ReportIssuer {
        province: "UBND tỉnh Mẫu".to_owned(),
        issuer: "Sở Nội vụ".to_owned(),
        signer_title: "Giám đốc".to_owned(),
        signer: "Hoàng Minh Đức".to_owned(),
        place: "Thành phố Mẫu".to_owned(),
    }
}

#[tokio::test]
async fn the_results_report_of_a_published_period_prints_its_snapshot() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        load_demo(&t.db, datetime!(2026-01-05 08:00 UTC))
            .await
            .expect("demo");
        let code = PeriodCode::parse("2025").unwrap();
        let report = results::period_report(&t.db, &Principal::anonymous(), &code, None)
            .await
            .expect("published results");
        let prepared = reports::results_report(&report, None, &issuer(), NOW).expect("a report");
        assert_eq!(prepared.name, "bao-cao-chi-so-cchc-2025.pdf");
        assert!(prepared.public);
        let file = reports::render(prepared).expect("typeset");
        assert_eq!(file.content_type, "application/pdf");
        let s = text(&file.bytes);
        let p = report.source.publication().unwrap();
        for expected in [
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "UBND TỈNH MẪU",
            "Hoàng Minh Đức",
            &format!("Kết quả Chỉ số cải cách hành chính {}", report.period.name),
            &format!("Quyết định số {}", p.decision),
        ] {
            assert!(s.contains(expected), "{expected:?} missing from:\n{s}");
        }
        for g in &report.groups {
            assert!(s.contains(g.group.as_str()), "group {} missing", g.group);
            for u in g.units.iter().take(3) {
                assert!(s.contains(&u.name), "{} missing", u.name);
                assert!(
                    s.contains(&vi_decimal(u.index, 2)),
                    "{} of {} missing",
                    u.index,
                    u.name
                );
            }
        }
        assert!(fonts(&file.bytes).iter().all(|f| f.embedded));
    }
}

fn period() -> PeriodCode {
    PeriodCode::parse("2025").unwrap()
}

fn unit(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

fn node(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn person(login: &str, roles: Vec<Role>) -> Principal {
    Principal::new(
        login,
        roles
            .into_iter()
            .map(|r| Grant::in_period(r, period()))
            .collect(),
    )
}

fn appraiser() -> Principal {
    person(
        "td.all",
        vec![Role::Appraiser {
            scope: AppraiserScope::units(UNITS.map(unit)),
        }],
    )
}

fn officer(u: &str) -> Principal {
    person(
        &format!("cb.{}", u.to_lowercase()),
        vec![Role::UnitOfficer { unit: unit(u) }],
    )
}

fn leaf(code: &str, title: &str, max: i64) -> Node {
    Node {
        code: node(code),
        title: title.to_owned(),
        max: Points(Decimal::from(max)),
        source: Source::Assessed,
        method: Some(Method::Manual { step: None }),
        rule: None,
        evidence: None,
        not_applicable: None,
        children: Vec::new(),
    }
}

fn branch(code: &str, title: &str, max: i64, children: Vec<Node>) -> Node {
    Node {
        method: None,
        children,
        ..leaf(code, title, max)
    }
}

fn index_set() -> IndexSet {
    IndexSet {
        code: SetCode::parse("BCS-MAU").unwrap(),
        name: "Bộ chỉ số CCHC mẫu".to_owned(),
        year: 2025,
        decision: None,
        classes: ClassScheme::common_default(),
        ranking: RankingRule::default(),
        renormalise_absent_areas: false,
        nodes: vec![
            branch(
                "1",
                "Công tác chỉ đạo, điều hành cải cách hành chính",
                30,
                vec![
                    leaf("1.1", "Kế hoạch cải cách hành chính năm", 10),
                    leaf("1.2", "Báo cáo cải cách hành chính định kỳ", 20),
                ],
            ),
            branch(
                "2",
                "Cải cách thủ tục hành chính",
                30,
                vec![leaf(
                    "2.1",
                    "Công khai thủ tục hành chính đúng quy định",
                    30,
                )],
            ),
        ],
    }
}

async fn set_phase(db: &Db, phase: Phase) {
    let starts = Milestone::ALL.iter().position(|m| m.starts() == phase);
    let k = starts.map_or(-1, |i| i64::try_from(i).unwrap());
    let at = |i: i64| Some(NOW - time::Duration::days(1) + time::Duration::days((i - k) * 10));
    let plan = Milestones {
        self_open: at(0),
        self_close: at(1),
        appraisal_open: at(2),
        appraisal_close: at(3),
        explanation_open: at(4),
        explanation_close: at(5),
        approval: at(6),
        publication: at(7),
    };
    milestones::set_all(db, &period(), &plan, &Actor("admin".to_owned()), NOW)
        .await
        .expect("milestones");
}

/// Period 2025 with two departments, each leaf self-assessed at its maximum less one with a
/// note, SNV submitted on 01/10/2025 by its leader and STP left as a draft; then `phase`.
async fn setup(db: &Db, phase: Phase) {
    let a = Actor("admin".to_owned());
    let at = datetime!(2025-10-01 01:00 UTC);
    let set = index_set();
    index_sets::save(db, &set, &a, at).await.expect("set");
    let list: Vec<Unit> = [("SNV", "Sở Nội vụ"), ("STP", "Sở Tư pháp")]
        .iter()
        .map(|(u, name)| Unit {
            code: unit(u),
            name: (*name).to_owned(),
            kind: UnitKind::Department,
            parent: None,
            valid_from: None,
            valid_to: None,
        })
        .collect();
    units::upsert_many(db, &list, &[], &a, at)
        .await
        .expect("units");
    let p = Period {
        code: period(),
        year: 2025,
        name: "năm 2025".to_owned(),
        previous: None,
        status: periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    };
    periods::create(db, &p, &a, at).await.expect("period");
    let group = GroupName::parse("Sở, ban, ngành").unwrap();
    let members: Vec<Membership> = UNITS
        .iter()
        .map(|u| Membership {
            unit: unit(u),
            group: group.clone(),
            ranked: true,
        })
        .collect();
    periods::set_groups(
        db,
        &period(),
        &[(group, set.code.clone())],
        &members,
        &a,
        at,
    )
    .await
    .expect("groups");
    set_phase(db, Phase::SelfAssessment).await;
    for u in UNITS {
        let officer = Actor(format!("cb.{}", u.to_lowercase()));
        for (n, max) in LEAVES {
            let pts = Decimal::from(max - 1);
            let entry = SelfEntry {
                input: Some(RawValue::Points(pts)),
                points: Some(Points(pts)),
                declared_data: None,
                note: Some(format!("Đã thực hiện đầy đủ tiêu chí {n}")),
                explanation: None,
            };
            let key = LeafKey {
                period: period(),
                unit: unit(u),
                node: node(n),
            };
            leaves::save_self(db, &key, &entry, 0, &officer, at)
                .await
                .expect("self");
        }
        let states: &[AssessmentState] = if u == "SNV" {
            &[AssessmentState::Draft, AssessmentState::Submitted]
        } else {
            &[AssessmentState::Draft]
        };
        for (version, state) in states.iter().enumerate() {
            let change = StateChange {
                state: *state,
                reopened: false,
                reason: "",
            };
            let version = i64::try_from(version).unwrap();
            assessments::set_state(db, &period(), &unit(u), version, &change, &officer, at)
                .await
                .expect("state");
        }
    }
    set_phase(db, phase).await;
}

#[tokio::test]
async fn a_self_assessment_report_prints_the_units_points_notes_and_submission() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::Appraisal).await;
        let prepared = reports::self_assessment_report(
            &t.db,
            &officer("SNV"),
            &period(),
            &unit("SNV"),
            &issuer(),
            NOW,
        )
        .await
        .expect("the unit's own report");
        assert_eq!(prepared.name, "bao-cao-tu-danh-gia-2025-so-noi-vu.pdf");
        assert!(!prepared.public);
        let pdf = reports::render(prepared).unwrap().bytes;
        let s = text(&pdf);
        for expected in [
            "SỞ NỘI VỤ",
            "Thành phố Mẫu, ngày 01 tháng 10 năm 2025",
            "Tự đánh giá, chấm điểm Chỉ số cải cách hành chính năm 2025",
            "Công khai thủ tục hành chính đúng quy định",
            "Đã thực hiện đầy đủ tiêu chí 2.1",
            // 9 + 19 + 29, area 1 is 9 + 19.
            "Tổng điểm tự đánh giá: 57,00",
            "28,00",
            "29,00",
            "Ngày nộp: 01/10/2025",
        ] {
            assert!(s.contains(expected), "{expected:?} missing from:\n{s}");
        }
        assert!(!s.contains("BẢN NHÁP"), "a submitted report is no draft");

        let draft = reports::self_assessment_report(
            &t.db,
            &officer("STP"),
            &period(),
            &unit("STP"),
            &issuer(),
            NOW,
        )
        .await
        .unwrap();
        let s = text(&reports::render(draft).unwrap().bytes);
        assert!(s.contains("BẢN NHÁP — CHƯA NỘP"), "{s}");

        let refused = reports::self_assessment_report(
            &t.db,
            &officer("STP"),
            &period(),
            &unit("SNV"),
            &issuer(),
            NOW,
        )
        .await
        .unwrap_err();
        assert_eq!(refused.kind(), Kind::Forbidden, "{refused:?}");
    }
}

#[tokio::test]
async fn appraisal_minutes_print_own_and_appraised_points_with_reasons_and_requests() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::Appraisal).await;
        let save = SaveAppraisal {
            period: period(),
            unit: unit("SNV"),
            leaf: node("1.2"),
            value: "15,5".to_owned(),
            comment: "Báo cáo quý III nộp chậm".to_owned(),
            expected_version: 0,
        };
        review::save_appraisal(&t.db, &appraiser(), &save, NOW)
            .await
            .expect("appraisal");
        let ask = RequestExplanation {
            period: period(),
            unit: unit("SNV"),
            leaf: node("2.1"),
            question: "Đề nghị bổ sung ảnh chụp bảng niêm yết".to_owned(),
        };
        review::request_explanation(&t.db, &appraiser(), &ask, NOW)
            .await
            .expect("request");
        for viewer in [appraiser(), officer("SNV")] {
            let prepared =
                reports::appraisal_minutes(&t.db, &viewer, &period(), &unit("SNV"), &issuer(), NOW)
                    .await
                    .expect("the minutes");
            assert_eq!(prepared.name, "bien-ban-tham-dinh-2025-so-noi-vu.pdf");
            let s = text(&reports::render(prepared).unwrap().bytes);
            for expected in [
                "BIÊN BẢN",
                "Thẩm định kết quả tự đánh giá của Sở Nội vụ",
                "Báo cáo cải cách hành chính định kỳ",
                "19,00",
                "15,50",
                "-3,50",
                "Báo cáo quý III nộp chậm",
                "Tổng điểm tự đánh giá: 57,00",
                "Tổng điểm sau thẩm định: 53,50",
                "Đề nghị bổ sung ảnh chụp bảng niêm yết",
                "chưa trả lời",
                "BIÊN BẢN TẠM",
                "Hoàng Minh Đức",
            ] {
                assert!(s.contains(expected), "{expected:?} missing from:\n{s}");
            }
        }
        let refused = reports::appraisal_minutes(
            &t.db,
            &officer("STP"),
            &period(),
            &unit("SNV"),
            &issuer(),
            NOW,
        )
        .await
        .unwrap_err();
        assert_eq!(refused.kind(), Kind::Forbidden, "{refused:?}");
    }
}

/// Renders page 1 of each report into `docs/screenshots/` for the user guide:
/// `cargo nextest run -p chiso-services -E 'test(/^reports::/)' --run-ignored only`.
#[tokio::test]
#[ignore = "writes the user guide's pictures"]
async fn page_one_of_each_report_is_drawn_for_the_user_guide() {
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    let backend = backends().into_iter().next().unwrap();
    let t = TestDb::new(&backend).await;
    load_demo(&t.db, datetime!(2026-01-05 08:00 UTC))
        .await
        .expect("demo");
    let code = PeriodCode::parse("2025").unwrap();
    let report = results::period_report(&t.db, &Principal::anonymous(), &code, None)
        .await
        .unwrap();
    let pdf = reports::render(reports::results_report(&report, None, &issuer(), NOW).unwrap())
        .unwrap()
        .bytes;
    chiso_pdf::poppler::first_page_png(&pdf, 60, &shots.join("pdf-bao-cao-ket-qua.png"));

    let t = TestDb::new(&backend).await;
    setup(&t.db, Phase::Appraisal).await;
    let save = SaveAppraisal {
        period: period(),
        unit: unit("SNV"),
        leaf: node("1.2"),
        value: "15,5".to_owned(),
        comment: "Báo cáo quý III nộp chậm".to_owned(),
        expected_version: 0,
    };
    review::save_appraisal(&t.db, &appraiser(), &save, NOW)
        .await
        .unwrap();
    let own = reports::self_assessment_report(
        &t.db,
        &officer("SNV"),
        &period(),
        &unit("SNV"),
        &issuer(),
        NOW,
    )
    .await
    .unwrap();
    let pdf = reports::render(own).unwrap().bytes;
    chiso_pdf::poppler::first_page_png(&pdf, 60, &shots.join("pdf-tu-danh-gia.png"));
    let minutes =
        reports::appraisal_minutes(&t.db, &appraiser(), &period(), &unit("SNV"), &issuer(), NOW)
            .await
            .unwrap();
    let pdf = reports::render(minutes).unwrap().bytes;
    chiso_pdf::poppler::first_page_png(&pdf, 60, &shots.join("pdf-bien-ban-tham-dinh.png"));
}
