//! Granting and revoking roles through the services, on SQLite and (with `CHISO_TEST_PG`)
//! PostgreSQL: one validation for the role page and the command line, every problem named
//! with its field, a role held once, and no administrator taking their own role away.

use std::path::{Path, PathBuf};

use chiso_domain::authz::{AppraiserScope, Grant, Principal, Role};
use chiso_domain::{NodeCode, PeriodCode, SetCode, UnitCode};
use chiso_services::roles::{self, GrantRole, RevokeRole, RoleKind};
use chiso_services::{Detail, Kind, ServiceError, codes};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, Db, grants, users};
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn admin() -> Principal {
    Principal::new("quantri", vec![Grant::all_periods(Role::Admin)])
}

fn unit(c: &str) -> UnitCode {
    UnitCode::parse(c).unwrap()
}

/// The example units in period 2025 and an account `canbo` without roles.
async fn prepared(db: &Db) {
    let set = chiso_formats::read_index_set(&examples().join("index-set-xa.yaml")).unwrap();
    chiso_store::index_sets::save(db, &set, &Actor("quantri".into()), AT)
        .await
        .unwrap();
    let csv = std::fs::read_to_string(examples().join("units.csv")).unwrap();
    let plain: String = csv
        .lines()
        .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let units = chiso_formats::read_units_bytes("units.csv", plain.as_bytes()).unwrap();
    chiso_services::import::import_units(
        db,
        &units,
        Some(&PeriodCode::parse("2025").unwrap()),
        Some(&SetCode::parse("XA-2025").unwrap()),
        &Actor("quantri".into()),
        AT,
    )
    .await
    .unwrap();
    users::create(
        db,
        "canbo",
        "Cán bộ",
        "x",
        false,
        &Actor("quantri".into()),
        AT,
    )
    .await
    .unwrap();
}

fn cmd(role: RoleKind) -> GrantRole {
    GrantRole {
        login: "canbo".into(),
        role,
        units: Vec::new(),
        areas: Vec::new(),
        period: None,
    }
}

/// The (code, field) of each problem of a `role_refused` error.
fn problems(e: &ServiceError) -> Vec<(&'static str, String)> {
    assert!(e.is(codes::ROLE_REFUSED), "{e}");
    let Some(Detail::Problems(ps)) = e.details() else {
        panic!("{e}")
    };
    ps.iter()
        .map(|p| {
            assert_eq!(p.args[0].0, "field", "the field comes first");
            (p.code.as_str(), p.args[0].1.clone())
        })
        .collect()
}

#[tokio::test]
async fn an_officer_is_granted_in_one_period_and_the_same_role_twice_is_refused() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        prepared(&t.db).await;
        let mut c = cmd(RoleKind::UnitOfficer);
        c.units = vec![unit("XA-HOA-PHU")];
        c.period = Some(PeriodCode::parse("2025").unwrap());
        let g = roles::grant(&t.db, &admin(), &c, AT).await.unwrap();
        assert_eq!(
            g,
            Grant::in_period(
                Role::UnitOfficer {
                    unit: unit("XA-HOA-PHU")
                },
                PeriodCode::parse("2025").unwrap()
            )
        );
        let err = roles::grant(&t.db, &admin(), &c, AT).await.unwrap_err();
        assert_eq!(problems(&err), vec![("role_duplicate", "role".into())]);
        let o = roles::overview(&t.db, &admin(), "canbo").await.unwrap();
        assert_eq!(o.grants.len(), 1);
        assert!(o.unit_names.contains_key(&unit("XA-HOA-PHU")));
        t.drop_database().await;
    }
}

#[tokio::test]
async fn every_problem_of_a_grant_is_named_with_its_field_and_nothing_is_written() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        prepared(&t.db).await;
        let mut c = cmd(RoleKind::UnitLeader);
        c.units = vec![unit("KHONG-CO")];
        c.areas = vec![NodeCode::parse("1").unwrap()];
        c.period = Some(PeriodCode::parse("2099").unwrap());
        let err = roles::grant(&t.db, &admin(), &c, AT).await.unwrap_err();
        assert_eq!(
            problems(&err),
            vec![
                ("role_unknown_unit", "unit".into()),
                ("role_scope_not_for_role", "areas".into()),
                ("role_unknown_period", "period".into()),
            ]
        );
        let err = roles::grant(&t.db, &admin(), &cmd(RoleKind::UnitOfficer), AT)
            .await
            .unwrap_err();
        assert_eq!(problems(&err), vec![("role_unit_required", "unit".into())]);
        let mut c = cmd(RoleKind::UnitOfficer);
        c.units = vec![unit("XA-HOA-PHU"), unit("XA-AN-BINH")];
        let err = roles::grant(&t.db, &admin(), &c, AT).await.unwrap_err();
        assert_eq!(problems(&err), vec![("role_one_unit", "unit".into())]);
        let mut c = cmd(RoleKind::Observer);
        c.units = vec![unit("XA-HOA-PHU")];
        let err = roles::grant(&t.db, &admin(), &c, AT).await.unwrap_err();
        assert_eq!(
            problems(&err),
            vec![("role_unit_not_for_role", "unit".into())]
        );
        let mut c = cmd(RoleKind::Appraiser);
        c.units = vec![unit("KHONG-CO")];
        let err = roles::grant(&t.db, &admin(), &c, AT).await.unwrap_err();
        assert_eq!(problems(&err), vec![("role_unknown_unit", "units".into())]);
        let mut c = cmd(RoleKind::Observer);
        c.login = "khong-ai".into();
        let err = roles::grant(&t.db, &admin(), &c, AT).await.unwrap_err();
        assert!(err.is(codes::ROLE_USER_NOT_FOUND), "{err}");
        assert!(grants::for_user(&t.db, "canbo").await.unwrap().is_empty());
        t.drop_database().await;
    }
}

#[tokio::test]
async fn an_appraisers_scope_keeps_each_unit_and_area_once() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        prepared(&t.db).await;
        let mut c = cmd(RoleKind::Appraiser);
        c.units = vec![unit("XA-HOA-PHU"), unit("XA-HOA-PHU")];
        c.areas = vec![NodeCode::parse("2").unwrap(), NodeCode::parse("2").unwrap()];
        let g = roles::grant(&t.db, &admin(), &c, AT).await.unwrap();
        assert_eq!(
            g.role,
            Role::Appraiser {
                scope: AppraiserScope {
                    units: Some(vec![unit("XA-HOA-PHU")]),
                    areas: Some(vec![NodeCode::parse("2").unwrap()]),
                }
            }
        );
        let g = roles::grant(&t.db, &admin(), &cmd(RoleKind::Appraiser), AT)
            .await
            .unwrap();
        assert_eq!(
            g.role,
            Role::Appraiser {
                scope: AppraiserScope::everything()
            }
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_grant_is_revoked_with_its_reason_but_never_ones_own_administrator_role() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        prepared(&t.db).await;
        users::create(
            &t.db,
            "quantri",
            "Quản trị",
            "x",
            true,
            &Actor("x".into()),
            AT,
        )
        .await
        .unwrap();
        roles::grant(&t.db, &admin(), &cmd(RoleKind::Observer), AT)
            .await
            .unwrap();
        let mut own = cmd(RoleKind::Admin);
        own.login = "quantri".into();
        roles::grant(&t.db, &admin(), &own, AT).await.unwrap();
        let id = |login: &'static str| {
            let db = t.db.clone();
            async move { grants::stored_for_user(&db, login).await.unwrap()[0].id }
        };
        let revoke = |login: &str, grant: i64, reason: &str| RevokeRole {
            login: login.into(),
            grant,
            reason: reason.into(),
        };
        let err = roles::revoke(
            &t.db,
            &admin(),
            &revoke("quantri", id("quantri").await, ""),
            AT,
        )
        .await
        .unwrap_err();
        assert_eq!(problems(&err), vec![("role_own_admin", "revoke".into())]);
        let long = "x".repeat(roles::MAX_REASON + 1);
        let err = roles::revoke(
            &t.db,
            &admin(),
            &revoke("canbo", id("canbo").await, &long),
            AT,
        )
        .await
        .unwrap_err();
        assert_eq!(
            problems(&err),
            vec![("role_reason_too_long", "reason".into())]
        );
        let err = roles::revoke(
            &t.db,
            &admin(),
            &revoke("canbo", id("quantri").await, ""),
            AT,
        )
        .await
        .unwrap_err();
        assert!(err.is(codes::ROLE_GRANT_NOT_FOUND), "{err}");
        let g = roles::revoke(
            &t.db,
            &admin(),
            &revoke("canbo", id("canbo").await, "  chuyển   công tác "),
            AT,
        )
        .await
        .unwrap();
        assert_eq!(g.role, Role::Observer);
        assert!(grants::for_user(&t.db, "canbo").await.unwrap().is_empty());
        t.drop_database().await;
    }
}

#[tokio::test]
async fn only_who_manages_users_sees_or_changes_roles() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        prepared(&t.db).await;
        let observer = Principal::new("quansat", vec![Grant::all_periods(Role::Observer)]);
        let err = roles::overview(&t.db, &observer, "canbo")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), Kind::Forbidden);
        let err = roles::grant(&t.db, &observer, &cmd(RoleKind::Admin), AT)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), Kind::Forbidden);
        assert!(grants::for_user(&t.db, "canbo").await.unwrap().is_empty());
        t.drop_database().await;
    }
}
