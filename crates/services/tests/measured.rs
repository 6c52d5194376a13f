//! Survey and monitoring-data values entered in the app: typed in the sheet (all or nothing,
//! each refused value named, audited, results recomputed) or imported from a file after a
//! preview that writes nothing and a confirmation that writes only the file previewed.
//! SQLite always, PostgreSQL when `CHISO_TEST_PG` is set.

use std::path::{Path, PathBuf};

use chiso_domain::authz::{AppraiserScope, Principal};
use chiso_domain::{
    AssessmentState, Grant, NodeCode, PeriodCode, Points, RawValue, Role, UnitCode,
};
use chiso_services::import::import_units;
use chiso_services::measured::{self, CommitMeasured, MeasuredValue, PreviewProblem, SaveMeasured};
use chiso_services::{Detail, Kind, codes};
use chiso_store::assessments::{self, StateChange};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, Db, index_sets, periods, results, scores};
use rust_decimal_macros::dec;
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn period() -> PeriodCode {
    PeriodCode::parse("2025").unwrap()
}

fn unit(u: &str) -> UnitCode {
    UnitCode::parse(u).unwrap()
}

fn node(n: &str) -> NodeCode {
    NodeCode::parse(n).unwrap()
}

fn admin() -> Principal {
    Principal::new("quantri", vec![Grant::all_periods(Role::Admin)])
}

/// The example commune index set (survey leaves 1.5, 2.3, 3.5, 4.3; data leaf 3.2…) and its
/// units in 2025.
async fn prepared(db: &Db) {
    let actor = Actor("quantri".into());
    let set = chiso_formats::read_index_set(&examples().join("index-set-xa.yaml")).unwrap();
    index_sets::save(db, &set, &actor, AT).await.unwrap();
    let csv = std::fs::read_to_string(examples().join("units.csv")).unwrap();
    let plain: String = csv
        .lines()
        .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let units = chiso_formats::read_units_bytes("units.csv", plain.as_bytes()).unwrap();
    import_units(db, &units, Some(&period()), Some(&set.code), &actor, AT)
        .await
        .unwrap();
}

fn typed(u: &str, n: &str, value: &str, version: i64) -> MeasuredValue {
    MeasuredValue {
        unit: unit(u),
        node: node(n),
        value: value.to_owned(),
        expected_version: version,
    }
}

fn save(values: Vec<MeasuredValue>) -> SaveMeasured {
    SaveMeasured {
        period: period(),
        values,
        reason: String::new(),
    }
}

async fn approve(db: &Db, u: &str) {
    let change = StateChange {
        state: AssessmentState::Finalised,
        reopened: false,
        reason: assessments::APPROVAL_REASON,
    };
    assessments::set_state(db, &period(), &unit(u), 0, &change, &Actor("x".into()), AT)
        .await
        .unwrap();
}

#[tokio::test]
async fn typed_values_are_saved_with_their_audit_entry_and_recomputed_results() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        prepared(db).await;

        let sheet = measured::sheet(db, &admin(), &period()).await.unwrap();
        let group = &sheet.groups[0];
        let codes: Vec<&str> = group.leaves.iter().map(|l| l.code.as_str()).collect();
        assert!(
            codes.contains(&"1.5") && codes.contains(&"3.2"),
            "{codes:?}"
        );
        assert!(
            !codes.contains(&"1.1"),
            "assessed leaves are not in the sheet"
        );
        assert!(group.rows.iter().any(|r| r.unit.as_str() == "XA-AN-BINH"));

        // The decimal comma of Vietnamese, and a ratio for the data leaf.
        let done = measured::save_measured(
            db,
            &admin(),
            &save(vec![
                typed("XA-AN-BINH", "1.5", "1,5", 0),
                typed("XA-AN-BINH", "3.2", "96 %", 0),
                typed("XA-TAN-LAP", "1.5", "", 0),
            ]),
            AT,
        )
        .await
        .unwrap();
        assert_eq!(
            done.changed,
            2,
            "[{}] a blank never stored is no change",
            backend.name()
        );
        let stored = scores::for_unit(db, &period(), &unit("XA-AN-BINH"))
            .await
            .unwrap();
        let survey = stored.iter().find(|s| s.node.as_str() == "1.5").unwrap();
        assert_eq!(survey.input, Some(RawValue::Points(dec!(1.5))));
        assert_eq!(survey.points, Some(Points(dec!(1.5))));
        assert_eq!(survey.updated_by, "quantri");
        let data = stored.iter().find(|s| s.node.as_str() == "3.2").unwrap();
        assert_eq!(
            data.points,
            Some(Points(dec!(2))),
            "96 % ≥ 95 % gives 2 points"
        );

        let entries = audit::list(
            db,
            &AuditFilter {
                period: Some(period()),
                limit: 1000,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.entity == scores::ENTITY)
        .collect::<Vec<_>>();
        let entry = entries
            .iter()
            .find(|e| e.entity_key.ends_with("XA-AN-BINH/1.5"))
            .expect("an audit entry for the typed value");
        assert_eq!(entry.actor, "quantri");
        assert_eq!(entry.reason.as_deref(), Some(measured::TYPED_REASON));
        assert!(entry.new.is_some());

        let res = results::load(db, &period())
            .await
            .unwrap()
            .expect("results");
        assert!(
            res.units.iter().any(|u| u.unit.as_str() == "XA-AN-BINH"),
            "results recomputed"
        );

        // The same value again changes nothing; a new one is based on the version shown.
        let again = measured::save_measured(
            db,
            &admin(),
            &save(vec![typed("XA-AN-BINH", "1.5", "1,50", 1)]),
            AT,
        )
        .await
        .unwrap();
        assert_eq!(again.changed, 0);
        let sheet = measured::sheet(db, &admin(), &period()).await.unwrap();
        let row = sheet.groups[0]
            .rows
            .iter()
            .find(|r| r.unit.as_str() == "XA-AN-BINH")
            .unwrap();
        let cell = row
            .cells
            .iter()
            .flatten()
            .find(|c| c.node.as_str() == "1.5")
            .unwrap();
        assert_eq!((cell.version, cell.editable), (1, true));
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_bad_value_is_named_and_nothing_of_the_form_is_saved() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        prepared(db).await;
        let err = measured::save_measured(
            db,
            &admin(),
            &save(vec![
                typed("XA-AN-BINH", "1.5", "1,5", 0),
                typed("XA-AN-BINH", "2.3", "7", 0),
                typed("XA-TAN-LAP", "1.5", "1x5", 0),
                typed("XA-TAN-LAP", "1.1", "1", 0),
            ]),
            AT,
        )
        .await
        .unwrap_err();
        assert!(
            err.is(codes::MEASURED_REFUSED),
            "[{}] {err}",
            backend.name()
        );
        assert_eq!(err.get("count"), Some("3"));
        let Some(Detail::Problems(problems)) = err.details() else {
            panic!("problems expected: {err}");
        };
        let named: Vec<(&str, String, String)> = problems
            .iter()
            .map(|p| {
                let arg = |k: &str| {
                    p.args
                        .iter()
                        .find(|(n, _)| *n == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                (p.code.as_str(), arg("unit"), arg("node"))
            })
            .collect();
        assert_eq!(
            named,
            [
                (
                    "measured_value_invalid",
                    "XA-AN-BINH".to_owned(),
                    "2.3".to_owned()
                ),
                (
                    "measured_not_a_number",
                    "XA-TAN-LAP".to_owned(),
                    "1.5".to_owned()
                ),
                (
                    "measured_leaf_unknown",
                    "XA-TAN-LAP".to_owned(),
                    "1.1".to_owned()
                ),
            ]
        );
        assert!(
            problems[0]
                .args
                .iter()
                .any(|(k, v)| *k == "detail" && v.contains("vượt điểm tối đa")),
            "7 is above the maximum 2: {problems:?}"
        );
        assert!(scores::list(db, &period()).await.unwrap().is_empty());
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_value_changed_by_someone_else_since_the_page_was_shown_is_refused() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        prepared(db).await;
        let first = save(vec![typed("XA-AN-BINH", "1.5", "1", 0)]);
        measured::save_measured(db, &admin(), &first, AT)
            .await
            .unwrap();
        let stale = save(vec![typed("XA-AN-BINH", "1.5", "2", 0)]);
        let err = measured::save_measured(db, &admin(), &stale, AT)
            .await
            .unwrap_err();
        let Some(Detail::Problems(p)) = err.details() else {
            panic!("{err}");
        };
        assert_eq!(p[0].code, codes::MEASURED_STALE, "[{}]", backend.name());
        assert!(p[0].args.contains(&("by", "quantri".to_owned())));
        let stored = scores::list(db, &period()).await.unwrap();
        assert_eq!(stored[0].input, Some(RawValue::Points(dec!(1))));
        t.drop_database().await;
    }
}

#[tokio::test]
async fn an_approved_unit_or_a_published_period_locks_the_values() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        prepared(db).await;
        approve(db, "XA-TAN-LAP").await;
        let sheet = measured::sheet(db, &admin(), &period()).await.unwrap();
        let row = sheet.groups[0]
            .rows
            .iter()
            .find(|r| r.unit.as_str() == "XA-TAN-LAP")
            .unwrap();
        assert!(row.approved);
        assert!(row.cells.iter().flatten().all(|c| !c.editable));

        let err = measured::save_measured(
            db,
            &admin(),
            &save(vec![typed("XA-TAN-LAP", "1.5", "1", 0)]),
            AT,
        )
        .await
        .unwrap_err();
        assert!(err.is(codes::UNITS_APPROVED), "[{}] {err}", backend.name());
        assert_eq!(err.kind(), Kind::Conflict);

        let mut p = periods::get(db, &period()).await.unwrap().unwrap();
        p.status = periods::STATUS_PUBLISHED.to_owned();
        periods::update(db, &p, &Actor("quantri".into()), AT)
            .await
            .unwrap();
        let err = measured::save_measured(
            db,
            &admin(),
            &save(vec![typed("XA-AN-BINH", "1.5", "1", 0)]),
            AT,
        )
        .await
        .unwrap_err();
        assert!(err.is(codes::PERIOD_PUBLISHED), "{err}");
        assert!(
            measured::sheet(db, &admin(), &period())
                .await
                .unwrap()
                .published
        );
        assert!(scores::list(db, &period()).await.unwrap().is_empty());
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_unit_officer_is_refused_and_an_appraiser_enters_only_the_areas_assigned() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        prepared(db).await;
        let officer = Principal::new(
            "cb.anbinh",
            vec![Grant::in_period(
                Role::UnitOfficer {
                    unit: unit("XA-AN-BINH"),
                },
                period(),
            )],
        );
        let err = measured::sheet(db, &officer, &period()).await.unwrap_err();
        assert_eq!(err.kind(), Kind::Forbidden, "[{}] {err}", backend.name());
        let err = measured::save_measured(
            db,
            &officer,
            &save(vec![typed("XA-AN-BINH", "1.5", "1", 0)]),
            AT,
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), Kind::Forbidden, "{err}");

        let appraiser = Principal::new(
            "td.tuphap",
            vec![Grant::in_period(
                Role::Appraiser {
                    scope: AppraiserScope::areas([node("2")]),
                },
                period(),
            )],
        );
        let sheet = measured::sheet(db, &appraiser, &period()).await.unwrap();
        let cells: Vec<&str> = sheet.groups[0].rows[0]
            .cells
            .iter()
            .flatten()
            .map(|c| c.node.as_str())
            .collect();
        assert_eq!(cells, ["2.3"], "only the survey leaf of area 2");
        let err = measured::save_measured(
            db,
            &appraiser,
            &save(vec![typed("XA-AN-BINH", "1.5", "1", 0)]),
            AT,
        )
        .await
        .unwrap_err();
        assert!(err.is(codes::DENIED_OUT_OF_SCOPE), "{err}");
        measured::save_measured(
            db,
            &appraiser,
            &save(vec![typed("XA-AN-BINH", "2.3", "1,25", 0)]),
            AT,
        )
        .await
        .unwrap();
        assert_eq!(scores::list(db, &period()).await.unwrap().len(), 1);
        t.drop_database().await;
    }
}

const FILE: &str = "unit,criterion,value\n\
    XA-AN-BINH,1.5,\"1,74\"\nXA-AN-BINH,3.2,733/733\nXA-TAN-LAP,1.5,\"1,2\"\n";

#[tokio::test]
async fn a_preview_lists_every_change_and_problem_and_writes_nothing() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        prepared(db).await;
        measured::save_measured(
            db,
            &admin(),
            &save(vec![
                typed("XA-AN-BINH", "1.5", "1", 0),
                typed("XA-TAN-LAP", "1.5", "1,2", 0),
            ]),
            AT,
        )
        .await
        .unwrap();
        let before = scores::list(db, &period()).await.unwrap();

        let preview =
            measured::preview_measured(db, &admin(), &period(), "diem.csv", FILE.as_bytes())
                .await
                .unwrap();
        assert!(preview.problems.is_empty(), "{:?}", preview.problems);
        assert_eq!(
            preview.unchanged,
            1,
            "[{}] XA-TAN-LAP 1.5 is the same",
            backend.name()
        );
        let changes: Vec<(&str, &str, Option<RawValue>, Option<RawValue>)> = preview
            .changes
            .iter()
            .map(|c| {
                (
                    c.unit.as_str(),
                    c.node.as_str(),
                    c.old_input.clone(),
                    c.new_input.clone(),
                )
            })
            .collect();
        assert_eq!(
            changes,
            [
                (
                    "XA-AN-BINH",
                    "1.5",
                    Some(RawValue::Points(dec!(1))),
                    Some(RawValue::Points(dec!(1.74)))
                ),
                (
                    "XA-AN-BINH",
                    "3.2",
                    None,
                    Some(RawValue::Ratio {
                        num: dec!(733),
                        den: dec!(733)
                    })
                ),
            ]
        );
        assert_eq!(preview.digest.len(), 64);

        let bad = "unit,criterion,value\nXA-AN-BINH,1.5,abc\nXA-AN-BINH,1.1.1,có\nXYZ,1.5,1\n";
        let preview =
            measured::preview_measured(db, &admin(), &period(), "sai.csv", bad.as_bytes())
                .await
                .unwrap();
        let rows: Vec<(Option<usize>, Option<&str>)> = preview
            .problems
            .iter()
            .filter_map(|p| match p {
                PreviewProblem::File(e) => Some((e.row, e.column.as_deref())),
                PreviewProblem::Value { .. } => None,
            })
            .collect();
        assert!(
            rows.iter().any(|(r, c)| *r == Some(2) && c.is_some()),
            "{rows:?}"
        );
        assert!(rows.iter().any(|(r, _)| *r == Some(4)), "{rows:?}");
        assert!(preview.changes.is_empty());
        assert_eq!(scores::list(db, &period()).await.unwrap(), before);

        // A file that reads well but brings an assessed leaf: named by unit and leaf.
        let assessed = "unit,criterion,value\nXA-AN-BINH,1.1.1,có\nXA-AN-BINH,1.5,2\n";
        let preview =
            measured::preview_measured(db, &admin(), &period(), "d.csv", assessed.as_bytes())
                .await
                .unwrap();
        assert!(
            matches!(
                &preview.problems[..],
                [PreviewProblem::Value { node, problem, .. }]
                    if node.as_str() == "1.1.1" && problem.code == codes::SCORES_LEAF_NOT_MEASURED
            ),
            "{:?}",
            preview.problems
        );
        assert_eq!(scores::list(db, &period()).await.unwrap(), before);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_confirmed_preview_is_imported_and_a_different_file_or_state_is_refused() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        prepared(db).await;
        let preview =
            measured::preview_measured(db, &admin(), &period(), "diem.csv", FILE.as_bytes())
                .await
                .unwrap();
        let commit = |bytes: &str, digest: &str| CommitMeasured {
            period: period(),
            file_name: "diem.csv".to_owned(),
            bytes: bytes.as_bytes().to_vec(),
            digest: digest.to_owned(),
        };
        // Another file under the digest of the first.
        let other = FILE.replace("\"1,2\"", "\"1,3\"");
        let err = measured::commit_measured(db, &admin(), &commit(&other, &preview.digest), AT)
            .await
            .unwrap_err();
        assert!(
            err.is(codes::MEASURED_PREVIEW_STALE),
            "[{}] {err}",
            backend.name()
        );
        assert_eq!(err.kind(), Kind::Conflict);
        assert!(scores::list(db, &period()).await.unwrap().is_empty());

        // A value changed since the preview.
        measured::save_measured(
            db,
            &admin(),
            &save(vec![typed("XA-AN-BINH", "3.2", "50/100", 0)]),
            AT,
        )
        .await
        .unwrap();
        let err = measured::commit_measured(db, &admin(), &commit(FILE, &preview.digest), AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::MEASURED_PREVIEW_STALE), "{err}");

        let preview =
            measured::preview_measured(db, &admin(), &period(), "diem.csv", FILE.as_bytes())
                .await
                .unwrap();
        let done = measured::commit_measured(db, &admin(), &commit(FILE, &preview.digest), AT)
            .await
            .unwrap();
        assert_eq!(done.changed, 3);
        let stored = scores::for_unit(db, &period(), &unit("XA-AN-BINH"))
            .await
            .unwrap();
        let data = stored.iter().find(|s| s.node.as_str() == "3.2").unwrap();
        assert_eq!(data.points, Some(Points(dec!(3))));
        assert_eq!(data.version, 2);
        let entries = audit::list(
            db,
            &AuditFilter {
                period: Some(period()),
                limit: 1000,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.entity == scores::ENTITY)
        .collect::<Vec<_>>();
        assert!(
            entries
                .iter()
                .any(|e| e.reason.as_deref() == Some("Nhập tệp diem.csv")),
            "{entries:?}"
        );
        // The same confirmation twice: the values it was based on are gone.
        let err = measured::commit_measured(db, &admin(), &commit(FILE, &preview.digest), AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::MEASURED_PREVIEW_STALE), "{err}");
        t.drop_database().await;
    }
}

#[tokio::test]
async fn an_appraisers_progress_counts_only_the_criteria_appraisers_score() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        prepared(db).await;
        let set = chiso_formats::read_index_set(&examples().join("index-set-xa.yaml")).unwrap();
        let area2 = node("2");
        let all: Vec<_> = set
            .leaves()
            .into_iter()
            .filter(|n| n.code.as_str().starts_with("2."))
            .collect();
        let scored = all
            .iter()
            .filter(|n| chiso_services::review::appraisable(n.source))
            .count();
        assert!(scored < all.len(), "area 2 has a survey leaf (2.3)");
        let appraiser = Principal::new(
            "td.a2",
            vec![Grant::in_period(
                Role::Appraiser {
                    scope: AppraiserScope::areas([area2]),
                },
                period(),
            )],
        );
        let list = chiso_services::review::list_units(db, &appraiser, &period(), AT)
            .await
            .unwrap();
        assert!(!list.rows.is_empty());
        for row in &list.rows {
            assert_eq!(row.leaves, scored, "[{}] {}", backend.name(), row.unit);
        }
        t.drop_database().await;
    }
}
