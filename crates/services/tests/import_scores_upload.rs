//! Importing an uploaded scores file as a person who manages the period: only survey and
//! monitoring-data leaves are taken, every problem of the file is listed, and an approved unit
//! or a published period refuses the import, all checked before anything is written. SQLite
//! always, PostgreSQL when `CHISO_TEST_PG` is set.

use std::path::{Path, PathBuf};

use chiso_domain::authz::Principal;
use chiso_domain::{AssessmentState, Grant, PeriodCode, Role, UnitCode};
use chiso_services::import::{ImportScoresUpload, import_scores_upload, import_units};
use chiso_services::{Detail, Kind, codes};
use chiso_store::assessments::{self, StateChange};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, Db, index_sets, periods, scores};
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn period() -> PeriodCode {
    PeriodCode::parse("2025").unwrap()
}

fn admin() -> Principal {
    Principal::new("quantri", vec![Grant::all_periods(Role::Admin)])
}

/// The example commune index set (with survey and data leaves) and its units in 2025.
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

fn upload(content: &str) -> ImportScoresUpload {
    ImportScoresUpload {
        period: period(),
        file_name: "diem-do-luong.csv".to_owned(),
        bytes: content.as_bytes().to_vec(),
    }
}

/// Survey leaves 1.5 and 2.3, data leaf 3.2, for two communes.
const MEASURED: &str = "unit,criterion,value\n\
    XA-AN-BINH,1.5,\"1,74\"\nXA-AN-BINH,2.3,\"1,5\"\nXA-AN-BINH,3.2,733/733\n\
    XA-TAN-LAP,1.5,\"1,2\"\nXA-TAN-LAP,3.2,90/100\n";

#[tokio::test]
async fn measured_scores_are_imported_and_other_leaves_are_refused_with_each_named() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        prepared(&t.db).await;

        let observer = Principal::new("quansat", vec![Grant::all_periods(Role::Observer)]);
        let err = import_scores_upload(&t.db, &observer, &upload(MEASURED), AT)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), Kind::Forbidden, "[{}] {err}", backend.name());

        let mixed = "unit,criterion,value\nXA-AN-BINH,1.1.1,có\nXA-AN-BINH,1.5,\"1,74\"\n";
        let err = import_scores_upload(&t.db, &admin(), &upload(mixed), AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::SCORES_ONLY_MEASURED), "{err}");
        assert_eq!(err.get("count"), Some("1"));
        let Some(Detail::Problems(p)) = err.details() else {
            panic!("problems expected: {err}");
        };
        assert_eq!(p[0].code, codes::SCORES_LEAF_NOT_MEASURED);
        assert!(p[0].args.contains(&("node", "1.1.1".to_owned())));

        let broken = "unit,criterion,value\nXA-AN-BINH,1.5,abc\n";
        let err = import_scores_upload(&t.db, &admin(), &upload(broken), AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::FILE_INVALID), "{err}");
        let Some(Detail::Import(errors)) = err.details() else {
            panic!("file problems expected: {err}");
        };
        assert_eq!(errors.errors()[0].row, Some(2));
        assert!(scores::list(&t.db, &period()).await.unwrap().is_empty());

        let done = import_scores_upload(&t.db, &admin(), &upload(MEASURED), AT)
            .await
            .unwrap();
        assert_eq!((done.values, done.changed), (5, 5), "[{}]", backend.name());
        assert_eq!(scores::list(&t.db, &period()).await.unwrap().len(), 5);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn an_approved_unit_or_a_published_period_refuses_an_upload_and_keeps_its_scores() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        prepared(&t.db).await;
        let approve = StateChange {
            state: AssessmentState::Finalised,
            reopened: false,
            reason: assessments::APPROVAL_REASON,
        };
        let unit = UnitCode::parse("XA-TAN-LAP").unwrap();
        let actor = Actor("quantri".into());
        assessments::set_state(&t.db, &period(), &unit, 0, &approve, &actor, AT)
            .await
            .unwrap();
        let before = scores::list(&t.db, &period()).await.unwrap();
        let err = import_scores_upload(&t.db, &admin(), &upload(MEASURED), AT)
            .await
            .unwrap_err();
        assert!(
            err.is(codes::UNITS_APPROVED) && err.get("units") == Some("XA-TAN-LAP"),
            "[{}] {err}",
            backend.name()
        );
        assert_eq!(err.kind(), Kind::Conflict);
        assert_eq!(scores::list(&t.db, &period()).await.unwrap(), before);

        let mut p = periods::get(&t.db, &period()).await.unwrap().unwrap();
        p.status = periods::STATUS_PUBLISHED.to_owned();
        periods::update(&t.db, &p, &actor, AT).await.unwrap();
        let err = import_scores_upload(&t.db, &admin(), &upload(MEASURED), AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::PERIOD_PUBLISHED), "{err}");
        assert_eq!(scores::list(&t.db, &period()).await.unwrap(), before);
        t.drop_database().await;
    }
}
