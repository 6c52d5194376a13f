//! Importing a scores file into a stored period, on SQLite and (with `CHISO_TEST_PG`)
//! PostgreSQL: the scores, one audit entry per changed value and the recomputed results are
//! written together; a period whose units are approved, or that is published, refuses the
//! import and keeps what it had.

use std::path::{Path, PathBuf};

use chiso_domain::{AssessmentState, PeriodCode, UnitCode};
use chiso_services::codes;
use chiso_services::compute::compute_stored;
use chiso_services::import::{import_scores, import_units};
use chiso_store::assessments::{self, StateChange};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::scores::{self, ScoreChange};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, Db, StoreError, index_sets, periods, results};
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn period() -> PeriodCode {
    PeriodCode::parse("2025").unwrap()
}

fn admin() -> Actor {
    Actor("quantri".into())
}

/// The example index set and units (without lineage) in period 2025, no scores yet.
async fn prepared(db: &Db) {
    let set = chiso_formats::read_index_set(&examples().join("index-set-xa.yaml")).unwrap();
    index_sets::save(db, &set, &admin(), AT).await.unwrap();
    let csv = std::fs::read_to_string(examples().join("units.csv")).unwrap();
    let plain: String = csv
        .lines()
        .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let units = chiso_formats::read_units_bytes("units.csv", plain.as_bytes()).unwrap();
    import_units(db, &units, Some(&period()), Some(&set.code), &admin(), AT)
        .await
        .unwrap();
}

/// Score audit entries and the results' `compute` entries of the period.
async fn audit_counts(db: &Db) -> (usize, usize) {
    let log = audit::list(
        db,
        &AuditFilter {
            period: Some(period()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    (
        log.iter().filter(|e| e.entity == scores::ENTITY).count(),
        log.iter().filter(|e| e.entity == results::ENTITY).count(),
    )
}

#[tokio::test]
async fn an_import_writes_scores_their_audit_and_the_recomputed_results_together() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        prepared(&t.db).await;
        let file = examples().join("scores-long.csv");
        let done = import_scores(&t.db, &period(), &file, &admin(), AT, &|_| {})
            .await
            .unwrap();
        let stored = scores::list(&t.db, &period()).await.unwrap();
        assert_eq!(done.values, stored.len(), "[{}]", backend.name());
        assert_eq!(done.changed, stored.len());
        assert_eq!(audit_counts(&t.db).await, (stored.len(), 1));
        let served = results::load(&t.db, &period()).await.unwrap().unwrap();
        assert_eq!(served.units.len(), done.units);
        assert_eq!(served, compute_stored(&t.db, &period()).await.unwrap());

        // The same file again changes no value: no score entry, one new computation.
        let again = import_scores(&t.db, &period(), &file, &admin(), AT, &|_| {})
            .await
            .unwrap();
        assert_eq!(again.changed, 0, "[{}]", backend.name());
        assert_eq!(audit_counts(&t.db).await, (stored.len(), 2));
        t.drop_database().await;
    }
}

#[tokio::test]
async fn scores_are_not_imported_into_an_approved_or_a_published_period() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        prepared(&t.db).await;
        let file = examples().join("scores-long.csv");
        import_scores(&t.db, &period(), &file, &admin(), AT, &|_| {})
            .await
            .unwrap();
        let before = (
            scores::list(&t.db, &period()).await.unwrap(),
            results::load(&t.db, &period()).await.unwrap(),
            audit_counts(&t.db).await,
        );
        let unit = UnitCode::parse("XA-TAN-LAP").unwrap();
        let approve = StateChange {
            state: AssessmentState::Finalised,
            reopened: false,
            reason: assessments::APPROVAL_REASON,
        };
        // Approving copies the unit's official values (none stored per leaf here) into scores.
        assessments::set_state(&t.db, &period(), &unit, 0, &approve, &admin(), AT)
            .await
            .unwrap();
        let before = (
            scores::list(&t.db, &period()).await.unwrap(),
            before.1,
            audit_counts(&t.db).await,
        );
        let after = |db: Db| async move {
            (
                scores::list(&db, &period()).await.unwrap(),
                results::load(&db, &period()).await.unwrap(),
                audit_counts(&db).await,
            )
        };

        let err = import_scores(&t.db, &period(), &file, &admin(), AT, &|_| {})
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            err.is(codes::UNITS_APPROVED)
                && err.get("period") == Some("2025")
                && err.get("units").is_some_and(|u| u.contains("XA-TAN-LAP")),
            "[{}] {msg}",
            backend.name()
        );
        assert!(after(t.db.clone()).await == before, "[{}]", backend.name());

        let mut p = periods::get(&t.db, &period()).await.unwrap().unwrap();
        p.status = periods::STATUS_PUBLISHED.to_owned();
        periods::update(&t.db, &p, &admin(), AT).await.unwrap();
        let before = after(t.db.clone()).await;
        let msg = import_scores(&t.db, &period(), &file, &admin(), AT, &|_| {})
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(msg, "period_published(period=2025)");
        assert!(after(t.db.clone()).await == before, "[{}]", backend.name());
        t.drop_database().await;
    }
}

/// The store refuses the combined write itself when the import's reading is out of date or a
/// unit was approved meanwhile, so a check made before the transaction cannot be outrun.
#[tokio::test]
async fn the_combined_write_refuses_stale_reads_and_approved_units() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        prepared(&t.db).await;
        import_scores(
            &t.db,
            &period(),
            &examples().join("scores-long.csv"),
            &admin(),
            AT,
            &|_| {},
        )
        .await
        .unwrap();
        let stored = scores::list(&t.db, &period()).await.unwrap();
        let results_now = results::load(&t.db, &period()).await.unwrap().unwrap();
        let first = &stored[0];
        let change = |note: &str| ScoreChange {
            unit: first.unit.clone(),
            node: first.node.clone(),
            input: first.input.clone(),
            points: first.points,
            note: Some(note.to_owned()),
            expected_version: None,
        };
        // Someone changes a value after the import read the period.
        scores::put(&t.db, &period(), &[change("sửa trước")], &admin(), AT, "")
            .await
            .unwrap();
        let err = scores::put_with_results(
            &t.db,
            &period(),
            &[change("nhập")],
            &stored,
            &results_now,
            &admin(),
            AT,
            "Nhập tệp",
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict(_)),
            "[{}] {err}",
            backend.name()
        );
        assert_eq!(
            scores::list(&t.db, &period()).await.unwrap()[0]
                .note
                .as_deref(),
            Some("sửa trước")
        );

        let read = scores::list(&t.db, &period()).await.unwrap();
        let approve = StateChange {
            state: AssessmentState::Finalised,
            reopened: false,
            reason: "",
        };
        assessments::set_state(&t.db, &period(), &first.unit, 0, &approve, &admin(), AT)
            .await
            .unwrap();
        let read_after = scores::list(&t.db, &period()).await.unwrap();
        assert_eq!(
            read, read_after,
            "no leaf values: approval changed no score"
        );
        let err = scores::put_with_results(
            &t.db,
            &period(),
            &[change("nhập")],
            &read_after,
            &results_now,
            &admin(),
            AT,
            "Nhập tệp",
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, StoreError::Frozen(_)),
            "[{}] {err}",
            backend.name()
        );
        t.drop_database().await;
    }
}
