//! Publication by decision through the services, on SQLite and (with `CHISO_TEST_PG`)
//! PostgreSQL: results are confidential until published (the staff read them all, a unit its
//! own, anybody else nothing); a publication is an immutable snapshot; a correction is a new
//! version with its reason, the first staying readable. Period 2025 has two departments
//! scored from imported values (no assessment cycle), one leaf of 100 points.

use chiso_domain::authz::{AppraiserScope, Grant, Principal, Role};
use chiso_domain::workflow::AssessmentState;
use chiso_domain::{
    ClassScheme, GroupName, IndexSet, Membership, Method, Node, NodeCode, PeriodCode, Points,
    RankingRule, RawValue, SetCode, Source, Unit, UnitCode, UnitKind,
};
use chiso_services::compute::compute_period;
use chiso_services::publication::{self, Publish};
use chiso_services::results::{self, Source as Shown};
use chiso_services::{Kind, codes};
use chiso_store::assessments::{self, StateChange};
use chiso_store::periods::{self, Period};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, Db, index_sets, scores, units};
use rust_decimal::Decimal;
use time::OffsetDateTime;
use time::macros::{date, datetime};

const AT: OffsetDateTime = datetime!(2026-03-20 03:00 UTC);

fn period() -> PeriodCode {
    PeriodCode::parse("2025").unwrap()
}

fn unit(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

fn admin() -> Principal {
    Principal::new("admin", vec![Grant::all_periods(Role::Admin)])
}

fn officer_of(u: &str) -> Principal {
    Principal::new(
        format!("cb.{u}"),
        vec![Grant::in_period(
            Role::UnitOfficer { unit: unit(u) },
            period(),
        )],
    )
}

fn appraiser() -> Principal {
    Principal::new(
        "td",
        vec![Grant::in_period(
            Role::Appraiser {
                scope: AppraiserScope::units([unit("SNV")]),
            },
            period(),
        )],
    )
}

fn set() -> IndexSet {
    let leaf = Node {
        code: NodeCode::parse("1.1").unwrap(),
        title: "Kết quả thực hiện kế hoạch".to_owned(),
        max: Points(Decimal::from(100)),
        source: Source::Data,
        method: Some(Method::Manual { step: None }),
        rule: None,
        evidence: None,
        not_applicable: None,
        children: vec![],
    };
    IndexSet {
        code: SetCode::parse("BCS-2025").unwrap(),
        name: "Bộ chỉ số 2025".to_owned(),
        year: 2025,
        decision: None,
        classes: ClassScheme::common_default(),
        ranking: RankingRule::default(),
        renormalise_absent_areas: false,
        nodes: vec![Node {
            code: NodeCode::parse("1").unwrap(),
            title: "Chỉ đạo, điều hành".to_owned(),
            max: Points(Decimal::from(100)),
            source: Source::Data,
            method: None,
            rule: None,
            evidence: None,
            not_applicable: None,
            children: vec![leaf],
        }],
    }
}

/// Puts `points` for each unit and computes the period.
async fn score(db: &Db, points: &[(&str, i64)]) {
    let actor = Actor("admin".to_owned());
    let changes: Vec<scores::ScoreChange> = points
        .iter()
        .map(|(u, p)| scores::ScoreChange {
            unit: unit(u),
            node: NodeCode::parse("1.1").unwrap(),
            input: Some(RawValue::Points(Decimal::from(*p))),
            points: None,
            note: None,
            expected_version: None,
        })
        .collect();
    scores::put(db, &period(), &changes, &actor, AT, "Số liệu")
        .await
        .unwrap();
    compute_period(db, &period(), &actor, AT).await.unwrap();
}

async fn seed(db: &Db) {
    let actor = Actor("admin".to_owned());
    let list: Vec<Unit> = [("SNV", "Sở Nội vụ"), ("STP", "Sở Tư pháp")]
        .iter()
        .map(|(c, n)| Unit {
            code: unit(c),
            name: (*n).to_owned(),
            kind: UnitKind::Department,
            parent: None,
            valid_from: None,
            valid_to: None,
        })
        .collect();
    units::upsert_many(db, &list, &[], &actor, AT)
        .await
        .unwrap();
    index_sets::save(db, &set(), &actor, AT).await.unwrap();
    let p = Period {
        code: period(),
        year: 2025,
        name: "Chỉ số CCHC năm 2025".to_owned(),
        previous: None,
        status: periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    };
    periods::create(db, &p, &actor, AT).await.unwrap();
    let group = GroupName::parse("Sở, ban, ngành").unwrap();
    let members: Vec<Membership> = ["SNV", "STP"]
        .iter()
        .map(|u| Membership {
            unit: unit(u),
            group: group.clone(),
            ranked: true,
        })
        .collect();
    periods::set_groups(db, &period(), &[(group, set().code)], &members, &actor, AT)
        .await
        .unwrap();
    score(db, &[("SNV", 91), ("STP", 78)]).await;
}

fn publish_cmd(number: &str, reason: Option<&str>) -> Publish {
    Publish {
        period: period(),
        decision: number.to_owned(),
        decided_on: date!(2026 - 03 - 15),
        reason: reason.map(str::to_owned),
    }
}

/// `(unit, index)` of a report, in order.
fn figures(r: &results::PeriodReport) -> Vec<(String, String)> {
    r.groups
        .iter()
        .flat_map(|g| g.units.iter())
        .map(|u| (u.unit.to_string(), Points(u.index).rounded().to_string()))
        .collect()
}

#[tokio::test]
async fn results_are_confidential_until_published_then_public_with_their_decision() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seed(&t.db).await;
        let anonymous = Principal::anonymous();
        let e = results::period_report(&t.db, &anonymous, &period(), None)
            .await
            .unwrap_err();
        assert_eq!(
            e.code(),
            codes::RESULTS_NOT_PUBLISHED,
            "[{}]",
            backend.name()
        );
        let e = results::unit_report(&t.db, &anonymous, &period(), &unit("SNV"), None)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::RESULTS_NOT_PUBLISHED);
        // The staff read everything, marked confidential.
        for staff in [admin(), appraiser()] {
            let r = results::period_report(&t.db, &staff, &period(), None)
                .await
                .unwrap();
            assert!(matches!(r.source, Shown::Confidential { own_only: false }));
            assert_eq!(figures(&r).len(), 2);
            assert!(r.groups[0].stats.is_some());
        }
        // A unit reads its own result only, without the group's statistics.
        let own = results::period_report(&t.db, &officer_of("STP"), &period(), None)
            .await
            .unwrap();
        assert!(matches!(own.source, Shown::Confidential { own_only: true }));
        assert_eq!(figures(&own), [("STP".to_owned(), "78".to_owned())]);
        assert!(own.groups[0].stats.is_none());
        results::unit_report(&t.db, &officer_of("STP"), &period(), &unit("STP"), None)
            .await
            .unwrap();
        let e = results::unit_report(&t.db, &officer_of("STP"), &period(), &unit("SNV"), None)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::RESULTS_NOT_PUBLISHED);
        assert!(
            results::list_periods(&t.db).await.unwrap()[0]
                .publication
                .is_none()
        );

        let done = publication::publish(&t.db, &admin(), &publish_cmd("123/QĐ-UBND", None), AT)
            .await
            .unwrap();
        assert_eq!((done.version, done.units), (1, 2));
        let r = results::period_report(&t.db, &anonymous, &period(), None)
            .await
            .unwrap();
        let shown = r.source.publication().expect("published");
        assert_eq!((shown.version, shown.decision.as_str()), (1, "123/QĐ-UBND"));
        assert_eq!(
            r.period.decision.as_deref(),
            Some("Quyết định số 123/QĐ-UBND ngày 15/03/2026")
        );
        assert_eq!(
            figures(&r),
            [
                ("SNV".to_owned(), "91".to_owned()),
                ("STP".to_owned(), "78".to_owned())
            ]
        );
        let history = results::unit_history(&t.db, &unit("SNV")).await.unwrap();
        assert_eq!(history.entries.len(), 1);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_publication_is_refused_without_results_approval_rights_or_a_valid_decision() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seed(&t.db).await;
        let e = publication::publish(&t.db, &appraiser(), &publish_cmd("1/QĐ", None), AT)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), Kind::Forbidden);
        let e = publication::publish(&t.db, &admin(), &publish_cmd(" ", None), AT)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::PUBLICATION_DECISION_REQUIRED);
        // A unit whose assessment is not finalised: not approved.
        let draft = StateChange {
            state: AssessmentState::Draft,
            reopened: false,
            reason: "",
        };
        assessments::set_state(
            &t.db,
            &period(),
            &unit("SNV"),
            0,
            &draft,
            &Actor("cb".into()),
            AT,
        )
        .await
        .unwrap();
        let e = publication::publish(&t.db, &admin(), &publish_cmd("1/QĐ", None), AT)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::PUBLICATION_NOT_APPROVED);
        assert_eq!(
            e.get("units"),
            Some("SNV, STP"),
            "every member must be finalised"
        );
        assert!(
            results::list_periods(&t.db).await.unwrap()[0]
                .publication
                .is_none()
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_published_snapshot_stays_the_same_when_names_sets_and_scores_change() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seed(&t.db).await;
        publication::publish(&t.db, &admin(), &publish_cmd("123/QĐ-UBND", None), AT)
            .await
            .unwrap();
        let anonymous = Principal::anonymous();
        let before = format!(
            "{:?}",
            results::period_report(&t.db, &anonymous, &period(), None)
                .await
                .unwrap()
                .groups
        );
        let unit_before = format!(
            "{:?}",
            results::unit_report(&t.db, &anonymous, &period(), &unit("SNV"), None)
                .await
                .unwrap()
                .result
        );
        // The unit is renamed, the set's title edited (refused or not), scores re-imported
        // (refused: the period is published).
        let actor = Actor("admin".to_owned());
        let renamed = Unit {
            code: unit("SNV"),
            name: "Sở Nội vụ (sau sáp nhập)".to_owned(),
            kind: UnitKind::Department,
            parent: None,
            valid_from: None,
            valid_to: None,
        };
        units::upsert_many(&t.db, &[renamed], &[], &actor, AT)
            .await
            .unwrap();
        let mut edited = set();
        edited.nodes[0].title = "Tiêu đề mới".to_owned();
        let _ = index_sets::save(&t.db, &edited, &actor, AT).await;
        let put = scores::put(
            &t.db,
            &period(),
            &[scores::ScoreChange {
                unit: unit("SNV"),
                node: NodeCode::parse("1.1").unwrap(),
                input: Some(RawValue::Points(Decimal::from(10))),
                points: None,
                note: None,
                expected_version: None,
            }],
            &actor,
            AT,
            "x",
        )
        .await;
        assert!(put.is_err(), "a published period's scores are frozen");
        let after = format!(
            "{:?}",
            results::period_report(&t.db, &anonymous, &period(), None)
                .await
                .unwrap()
                .groups
        );
        assert_eq!(before, after);
        let unit_after = format!(
            "{:?}",
            results::unit_report(&t.db, &anonymous, &period(), &unit("SNV"), None)
                .await
                .unwrap()
                .result
        );
        assert_eq!(unit_before, unit_after);
        assert!(unit_after.contains("\"Sở Nội vụ\""), "{unit_after}");
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_correction_is_a_new_version_with_its_reason_and_the_first_stays_readable() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seed(&t.db).await;
        publication::publish(&t.db, &admin(), &publish_cmd("123/QĐ-UBND", None), AT)
            .await
            .unwrap();
        let e = publication::publish(&t.db, &admin(), &publish_cmd("124/QĐ-UBND", None), AT)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::PUBLICATION_EXISTS);
        let e = publication::open_correction(&t.db, &admin(), &period(), " ", AT)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::PUBLICATION_REASON_REQUIRED);
        publication::open_correction(&t.db, &admin(), &period(), "Sai số liệu STP", AT)
            .await
            .unwrap();
        let e = publication::open_correction(&t.db, &admin(), &period(), "lần nữa", AT)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::CORRECTION_NOT_POSSIBLE);
        // While corrected, the public still reads version 1.
        let anonymous = Principal::anonymous();
        score(&t.db, &[("STP", 95)]).await;
        let r = results::period_report(&t.db, &anonymous, &period(), None)
            .await
            .unwrap();
        assert_eq!(r.source.publication().map(|p| p.version), Some(1));
        let e = publication::publish(&t.db, &admin(), &publish_cmd("200/QĐ-UBND", None), AT)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::PUBLICATION_REASON_REQUIRED);
        let v2 = publication::publish(
            &t.db,
            &admin(),
            &publish_cmd("200/QĐ-UBND", Some("Đính chính số liệu STP")),
            AT,
        )
        .await
        .unwrap();
        assert_eq!(v2.version, 2);
        let latest = results::period_report(&t.db, &anonymous, &period(), None)
            .await
            .unwrap();
        assert_eq!(
            figures(&latest),
            [
                ("STP".to_owned(), "95".to_owned()),
                ("SNV".to_owned(), "91".to_owned())
            ]
        );
        assert_eq!(
            latest
                .source
                .publication()
                .and_then(|p| p.reason.as_deref()),
            Some("Đính chính số liệu STP")
        );
        let first = results::period_report(&t.db, &anonymous, &period(), Some(1))
            .await
            .unwrap();
        assert!(first.source.superseded());
        assert_eq!(figures(&first)[0], ("SNV".to_owned(), "91".to_owned()));
        assert_eq!(figures(&first)[1], ("STP".to_owned(), "78".to_owned()));
        let e = results::period_report(&t.db, &anonymous, &period(), Some(3))
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::PUBLICATION_VERSION_NOT_FOUND);
        let versions = publication::versions(&t.db, &period()).await.unwrap();
        assert_eq!(versions.len(), 2);
        // A successor's deltas read the latest version of a predecessor's result.
        let latest_stp =
            chiso_store::publications::latest_unit_result(&t.db, &period(), &unit("STP"))
                .await
                .unwrap()
                .expect("STP is published");
        let in_v2 = latest
            .groups
            .iter()
            .flat_map(|g| g.units.iter())
            .find(|u| u.unit == unit("STP"))
            .unwrap();
        assert_eq!(&latest_stp, in_v2);
        assert!(
            chiso_store::publications::latest_unit_result(&t.db, &period(), &unit("KHONG-CO"))
                .await
                .unwrap()
                .is_none()
        );
        t.drop_database().await;
    }
}

/// A small but well-formed PDF.
fn signed_pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

#[tokio::test]
async fn the_signed_decision_is_kept_with_its_version_and_anything_but_a_pdf_publishes_nothing() {
    use chiso_evidence::{BlobStore, LocalDiskStore};
    use publication::DecisionFile;
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seed(&t.db).await;
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDiskStore::open(dir.path()).await.unwrap();
        let cmd = publish_cmd("123/QĐ-UBND", None);

        for (name, bytes, code) in [
            (
                "quyet-dinh.docx",
                signed_pdf(),
                codes::PUBLICATION_FILE_NOT_PDF,
            ),
            (
                "quyet-dinh.pdf",
                b"not a pdf".to_vec(),
                codes::PUBLICATION_FILE_NOT_PDF,
            ),
            ("quyet-dinh.pdf", Vec::new(), codes::EVIDENCE_EMPTY),
        ] {
            let file = DecisionFile {
                file_name: name.to_owned(),
                bytes,
            };
            let e = publication::publish_with_file(
                &t.db,
                Some(&store),
                &admin(),
                &cmd,
                Some(&file),
                AT,
            )
            .await
            .unwrap_err();
            assert_eq!(e.code(), code, "[{}] {name}", backend.name());
            assert_eq!(e.kind(), Kind::Invalid);
            assert!(
                publication::versions(&t.db, &period())
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
        // Nothing refused reached the store.
        let id = chiso_evidence::BlobId::of(&signed_pdf());
        assert!(!store.exists(&id).await.unwrap());

        // Without a store the file cannot be kept, and nothing is published.
        let file = DecisionFile {
            file_name: "QĐ 123.pdf".to_owned(),
            bytes: signed_pdf(),
        };
        let e = publication::publish_with_file(&t.db, None, &admin(), &cmd, Some(&file), AT)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::EVIDENCE_STORAGE_MISSING);
        assert!(
            publication::versions(&t.db, &period())
                .await
                .unwrap()
                .is_empty()
        );

        let done =
            publication::publish_with_file(&t.db, Some(&store), &admin(), &cmd, Some(&file), AT)
                .await
                .unwrap();
        assert_eq!(done.version, 1);
        let blob = publication::decision_file(&t.db, &period(), 1)
            .await
            .unwrap();
        assert_eq!(store.get_bytes(&blob).await.unwrap(), signed_pdf());
        let versions = publication::versions(&t.db, &period()).await.unwrap();
        assert_eq!(
            versions[0].decision_file.as_deref(),
            Some(blob.to_hex().as_str())
        );

        // A version without a file, and a version that does not exist, say so.
        publication::open_correction(&t.db, &admin(), &period(), "Sai số liệu", AT)
            .await
            .unwrap();
        publication::publish(
            &t.db,
            &admin(),
            &publish_cmd("130/QĐ-UBND", Some("Sai số liệu")),
            AT,
        )
        .await
        .unwrap();
        let e = publication::decision_file(&t.db, &period(), 2)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::PUBLICATION_FILE_NOT_FOUND);
        let e = publication::decision_file(&t.db, &period(), 3)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::PUBLICATION_VERSION_NOT_FOUND);
        assert_eq!(
            publication::decision_file_name(&period(), 1),
            "quyet-dinh-cong-bo-2025-v1.pdf"
        );
        t.drop_database().await;
    }
}
