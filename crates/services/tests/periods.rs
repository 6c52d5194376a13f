//! Period administration and the to-do list as services, without HTTP, on SQLite and (with
//! `CHISO_TEST_PG`) PostgreSQL: each refusal comes back as a code with its arguments.

use std::path::{Path, PathBuf};

use chiso_domain::authz::{Grant, Principal, Role};
use chiso_domain::workflow::{Milestones, Phase};
use chiso_domain::{PeriodCode, UnitCode};
use chiso_services::periods::{self, NewPeriod};
use chiso_services::todo::{self, Task};
use chiso_services::{Detail, Kind, codes};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, Db, index_sets, units};
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn admin() -> Principal {
    Principal::new("quantri", vec![Grant::all_periods(Role::Admin)])
}

fn code(raw: &str) -> PeriodCode {
    PeriodCode::parse(raw).unwrap()
}

fn new_period(code: &str, year: &str) -> NewPeriod {
    NewPeriod {
        code: code.into(),
        name: format!("Chỉ số CCHC năm {year}"),
        year: year.into(),
        previous: String::new(),
    }
}

/// The example index set and units, stored without any period.
async fn prepared(db: &Db) -> (chiso_domain::SetCode, Vec<UnitCode>) {
    let set = chiso_formats::read_index_set(&examples().join("index-set-xa.yaml")).unwrap();
    let actor = Actor("quantri".into());
    index_sets::save(db, &set, &actor, AT).await.unwrap();
    let csv = std::fs::read_to_string(examples().join("units.csv")).unwrap();
    let plain: String = csv
        .lines()
        .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let file = chiso_formats::read_units_bytes("units.csv", plain.as_bytes()).unwrap();
    units::upsert_many(db, &file.units, &file.lineage, &actor, AT)
        .await
        .unwrap();
    (
        set.code,
        file.units.iter().map(|u| u.code.clone()).collect(),
    )
}

#[tokio::test]
async fn a_period_is_created_with_its_mistakes_named_as_codes_and_only_by_an_administrator() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let bad = periods::create_period(&t.db, &admin(), &new_period("20 25", "2025"), AT)
            .await
            .unwrap_err();
        assert!(bad.is(codes::PERIOD_CODE_INVALID), "{bad}");
        assert_eq!(bad.get("value"), Some("20 25"));
        let year = periods::create_period(&t.db, &admin(), &new_period("2025", "1890"), AT)
            .await
            .unwrap_err();
        assert!(year.is(codes::PERIOD_YEAR_INVALID) && year.kind() == Kind::Invalid);

        let officer = Principal::new(
            "canbo",
            vec![Grant::all_periods(Role::UnitOfficer {
                unit: UnitCode::parse("XA-AN-BINH").unwrap(),
            })],
        );
        let denied = periods::create_period(&t.db, &officer, &new_period("2025", "2025"), AT)
            .await
            .unwrap_err();
        assert_eq!(
            denied.kind(),
            Kind::Forbidden,
            "[{}] {denied}",
            backend.name()
        );
        assert!(denied.is(codes::DENIED_NOT_PERMITTED));
        assert_eq!(denied.get("action"), Some("manage_periods"));

        let made = periods::create_period(&t.db, &admin(), &new_period("2025", "2025"), AT)
            .await
            .unwrap();
        assert_eq!(made, code("2025"));
        let again = periods::create_period(&t.db, &admin(), &new_period("2025", "2025"), AT)
            .await
            .unwrap_err();
        assert!(again.is(codes::PERIOD_CODE_TAKEN) && again.kind() == Kind::Conflict);
        let overview = periods::overview(&t.db, &admin(), AT).await.unwrap();
        assert!(overview.may_create);
        assert_eq!(overview.periods.len(), 1);
        assert_eq!(overview.periods[0].phase, Phase::Preparation);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn groups_and_members_are_edited_and_a_started_unit_cannot_leave() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let (set, unit_codes) = prepared(&t.db).await;
        let p = code("2025");
        periods::create_period(&t.db, &admin(), &new_period("2025", "2025"), AT)
            .await
            .unwrap();
        let unknown = periods::save_group(&t.db, &admin(), &p, "Xã", "KHONG-CO", AT)
            .await
            .unwrap_err();
        assert!(unknown.is(codes::PERIOD_SET_UNKNOWN), "{unknown}");
        periods::save_group(&t.db, &admin(), &p, "Xã", set.as_str(), AT)
            .await
            .unwrap();
        let chosen: Vec<String> = unit_codes.iter().take(2).map(ToString::to_string).collect();
        let added = periods::add_units(&t.db, &admin(), &p, "Xã", &chosen, true, AT)
            .await
            .unwrap();
        assert_eq!(added, 2, "[{}]", backend.name());
        let not_empty = periods::remove_group(&t.db, &admin(), &p, "Xã", AT)
            .await
            .unwrap_err();
        assert!(not_empty.is(codes::PERIOD_GROUP_NOT_EMPTY));
        assert_eq!(not_empty.get("n"), Some("2"));
        let none = periods::add_units(&t.db, &admin(), &p, "Xã", &[], true, AT)
            .await
            .unwrap_err();
        assert!(none.is(codes::PERIOD_UNITS_NONE_CHOSEN));

        let setup = periods::setup(&t.db, &admin(), &p, "", AT).await.unwrap();
        assert_eq!(setup.groups.len(), 1);
        assert_eq!(setup.groups[0].members.len(), 2);
        periods::remove_member(&t.db, &admin(), &p, &unit_codes[0], "Sáp nhập", AT)
            .await
            .unwrap();
        let gone = periods::remove_member(&t.db, &admin(), &p, &unit_codes[0], "Sáp nhập", AT)
            .await
            .unwrap_err();
        assert!(gone.is(codes::PERIOD_NOT_MEMBER));
        let missing = periods::setup(&t.db, &admin(), &code("2099"), "", AT)
            .await
            .unwrap_err();
        assert!(missing.is(codes::PERIOD_NOT_FOUND) && missing.kind() == Kind::NotFound);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn an_inconsistent_plan_is_refused_with_every_problem_and_a_valid_one_is_saved() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let p = code("2025");
        periods::create_period(&t.db, &admin(), &new_period("2025", "2025"), AT)
            .await
            .unwrap();
        let backwards = Milestones {
            self_open: Some(datetime!(2025-12-20 0:00 +7)),
            self_close: Some(datetime!(2025-12-01 0:00 +7)),
            ..Milestones::default()
        };
        let refused = periods::save_plan(&t.db, &admin(), &p, &backwards, AT)
            .await
            .unwrap_err();
        assert!(refused.is(codes::PLAN_INVALID), "{refused}");
        assert!(matches!(refused.details(), Some(Detail::Problems(list)) if !list.is_empty()));
        let plan = Milestones {
            self_open: Some(datetime!(2025-12-01 0:00 +7)),
            self_close: Some(datetime!(2025-12-16 0:00 +7)),
            ..Milestones::default()
        };
        periods::save_plan(&t.db, &admin(), &p, &plan, AT)
            .await
            .unwrap();
        let setup = periods::setup(&t.db, &admin(), &p, "", datetime!(2025-12-05 0:00 +7))
            .await
            .unwrap();
        assert_eq!(setup.plan, plan, "[{}]", backend.name());
        assert_eq!(setup.progress.phase, Phase::SelfAssessment);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn an_officer_sees_the_self_assessment_to_fill_in_and_it_is_overdue_after_the_deadline() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let (set, unit_codes) = prepared(&t.db).await;
        let p = code("2025");
        periods::create_period(&t.db, &admin(), &new_period("2025", "2025"), AT)
            .await
            .unwrap();
        periods::save_group(&t.db, &admin(), &p, "Xã", set.as_str(), AT)
            .await
            .unwrap();
        let unit = unit_codes[0].clone();
        periods::add_units(&t.db, &admin(), &p, "Xã", &[unit.to_string()], true, AT)
            .await
            .unwrap();
        let plan = Milestones {
            self_open: Some(datetime!(2025-12-01 0:00 +7)),
            self_close: Some(datetime!(2025-12-16 0:00 +7)),
            ..Milestones::default()
        };
        periods::save_plan(&t.db, &admin(), &p, &plan, AT)
            .await
            .unwrap();
        let officer = Principal::new(
            "canbo",
            vec![Grant::in_period(
                Role::UnitOfficer { unit: unit.clone() },
                p.clone(),
            )],
        );
        let during = todo::for_person(&t.db, &officer, datetime!(2025-12-05 0:00 +7))
            .await
            .unwrap();
        assert_eq!(during.len(), 1, "[{}] {during:?}", backend.name());
        assert_eq!(during[0].task, Task::FillIn);
        assert_eq!(during[0].unit.as_ref().map(|(u, _)| u), Some(&unit));
        assert!(!during[0].overdue);
        let after = todo::for_person(&t.db, &officer, datetime!(2025-12-20 0:00 +7))
            .await
            .unwrap();
        assert!(after.iter().any(|i| i.overdue), "{after:?}");
        let stranger = Principal::new("khach", vec![]);
        assert!(
            todo::for_person(&t.db, &stranger, AT)
                .await
                .unwrap()
                .is_empty()
        );
        t.drop_database().await;
    }
}
