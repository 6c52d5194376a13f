//! Importing units through the units service, on SQLite and (with `CHISO_TEST_PG`)
//! PostgreSQL: the options checked together with their fields named, the file's problems with
//! rows and columns, and a period created only when the caller asks for it.

use std::path::{Path, PathBuf};

use chiso_domain::authz::{Grant, Principal, Role};
use chiso_domain::{PeriodCode, SetCode};
use chiso_services::units::{self, ImportUnits, check_import};
use chiso_services::{Detail, Kind, ServiceError, codes};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, periods};
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn admin() -> Principal {
    Principal::new("quantri", vec![Grant::all_periods(Role::Admin)])
}

fn plain_units() -> Vec<u8> {
    let csv = std::fs::read_to_string(examples().join("units.csv")).unwrap();
    csv.lines()
        .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(",") + "\n")
        .collect::<String>()
        .into_bytes()
}

fn cmd(period: Option<&str>, set: Option<&str>, create_period: bool) -> ImportUnits {
    ImportUnits {
        file_name: "units.csv".into(),
        bytes: plain_units(),
        period: period.map(|p| PeriodCode::parse(p).unwrap()),
        set: set.map(|s| SetCode::parse(s).unwrap()),
        create_period,
    }
}

fn fields(e: &ServiceError) -> Vec<(&'static str, String)> {
    assert!(e.is(codes::UNITS_IMPORT_REFUSED), "{e}");
    let Some(Detail::Problems(ps)) = e.details() else {
        panic!("{e}")
    };
    ps.iter()
        .map(|p| {
            assert_eq!(p.args[0].0, "field");
            (p.code.as_str(), p.args[0].1.clone())
        })
        .collect()
}

async fn with_set(db: &chiso_store::Db) {
    let set = chiso_formats::read_index_set(&examples().join("index-set-xa.yaml")).unwrap();
    chiso_store::index_sets::save(db, &set, &Actor("quantri".into()), AT)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_options_are_checked_together_and_nothing_is_written() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let mut c = cmd(Some("2099"), Some("KHONG-CO"), false);
        c.bytes.clear();
        let err = units::import(&t.db, &admin(), &c, AT).await.unwrap_err();
        assert_eq!(
            fields(&err),
            vec![
                ("units_file_missing", "file".into()),
                ("units_unknown_period", "period".into()),
                ("units_unknown_set", "set".into()),
            ]
        );
        let err = check_import(&t.db, &cmd(None, Some("KHONG-CO"), true))
            .await
            .unwrap_err();
        assert_eq!(
            fields(&err),
            vec![
                ("units_unknown_set", "set".into()),
                ("units_set_without_period", "set".into()),
            ]
        );
        assert!(chiso_store::units::list(&t.db).await.unwrap().is_empty());
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_period_is_created_only_when_asked_and_its_groups_are_set() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        with_set(&t.db).await;
        let err = units::import(
            &t.db,
            &admin(),
            &cmd(Some("2025"), Some("XA-2025"), false),
            AT,
        )
        .await
        .unwrap_err();
        assert_eq!(
            fields(&err),
            vec![("units_unknown_period", "period".into())]
        );
        let done = units::import(
            &t.db,
            &admin(),
            &cmd(Some("2025"), Some("XA-2025"), true),
            AT,
        )
        .await
        .unwrap();
        assert!(done.units > 0);
        assert_eq!(done.changes.created.len(), done.units);
        assert_eq!(done.members, done.units);
        assert!(!done.groups.is_empty());
        let period = PeriodCode::parse("2025").unwrap();
        assert!(periods::get(&t.db, &period).await.unwrap().is_some());
        // The same file again changes nothing.
        let again = units::import(&t.db, &admin(), &cmd(Some("2025"), None, false), AT)
            .await
            .unwrap();
        assert_eq!(again.changes.unchanged, done.units);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_bad_file_is_refused_with_its_rows_and_only_unit_managers_import() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let mut c = cmd(None, None, false);
        c.bytes = b"code,name,group\n,Xa khong ma,xa\n".to_vec();
        let err = units::import(&t.db, &admin(), &c, AT).await.unwrap_err();
        assert!(err.is(codes::FILE_INVALID), "{err}");
        let observer = Principal::new("quansat", vec![Grant::all_periods(Role::Observer)]);
        let err = units::import(&t.db, &observer, &cmd(None, None, false), AT)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), Kind::Forbidden);
        assert!(chiso_store::units::list(&t.db).await.unwrap().is_empty());
        t.drop_database().await;
    }
}
