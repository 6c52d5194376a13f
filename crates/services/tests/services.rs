//! The services as the CLI and the web app use them, on SQLite and (with `CHISO_TEST_PG`)
//! PostgreSQL: the demo province loads and computes through the database, a stored period
//! recomputes to the same results, and imports refuse bad files without changing anything.

use chiso_domain::{PeriodCode, UnitCode};
use chiso_services::compute::compute_period;
use chiso_services::demo::load_demo;
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, audit, periods, results, settings};
use rust_decimal::Decimal;
use time::macros::datetime;

fn period(code: &str) -> PeriodCode {
    PeriodCode::parse(code).unwrap()
}

#[tokio::test]
async fn the_demo_province_loads_computes_and_shows_its_seed_figures_on_every_backend() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let at = datetime!(2026-01-05 08:00 UTC);
        let n = load_demo(&t.db, at).await.expect("demo loads");
        assert_eq!(n, 4, "[{}] four periods", backend.name());
        assert!(settings::is_demo(&t.db).await.unwrap());

        let list = periods::list(&t.db).await.unwrap();
        let years: Vec<i32> = list.iter().map(|p| p.year).collect();
        assert_eq!(years, [2026, 2025, 2024, 2023, 2022]);
        assert!(
            list[1..]
                .iter()
                .all(|p| p.status == periods::STATUS_PUBLISHED && p.decision.is_some())
        );
        // The year after the last published one is in progress, its self-assessment open on
        // the day the demo was loaded.
        assert_eq!(list[0].status, periods::STATUS_DRAFT);
        assert!(
            results::load(&t.db, &period("2026"))
                .await
                .unwrap()
                .is_none()
        );
        let plan = chiso_store::milestones::get(&t.db, &period("2026"))
            .await
            .unwrap();
        assert!(plan.validate().is_empty(), "{:?}", plan.validate());
        assert_eq!(
            plan.phase_at(at),
            chiso_domain::workflow::Phase::SelfAssessment
        );
        // The same groups as 2025, each scored with its own 2026 set.
        let groups = periods::groups(&t.db, &period("2026")).await.unwrap();
        let groups_2025 = periods::groups(&t.db, &period("2025")).await.unwrap();
        let names = |g: &[(chiso_domain::GroupName, chiso_domain::SetCode)]| {
            g.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>()
        };
        assert_eq!(names(&groups), names(&groups_2025));
        for ((_, set), (_, set_2025)) in groups.iter().zip(&groups_2025) {
            assert_ne!(set, set_2025);
            let stored = chiso_store::index_sets::get(&t.db, set)
                .await
                .unwrap()
                .expect("the 2026 set is stored");
            assert_eq!(stored.year, 2026, "{set}");
            assert!(
                stored.dated_rules().iter().all(|r| r.date.year() == 2026),
                "{set}: {:?}",
                stored.dated_rules()
            );
        }

        let r2024 = results::load(&t.db, &period("2024"))
            .await
            .unwrap()
            .expect("2024 results");
        let tan_khe = r2024
            .units
            .iter()
            .find(|u| u.unit == UnitCode::parse("H-TAN-KHE").unwrap())
            .expect("the district is in 2024");
        assert_eq!(
            chiso_domain::points::round_display(tan_khe.index),
            Decimal::new(8983, 2)
        );
        assert_eq!(tan_khe.class.as_deref(), Some("Tốt"));
        assert_eq!((tan_khe.rank, tan_khe.group_size), (Some(5), 7));

        let city = r2024
            .units
            .iter()
            .filter(|u| u.group.as_str() == "UBND cấp huyện")
            .find(|u| u.rank == Some(1))
            .expect("a district ranks first");
        assert!(
            city.streak >= 3,
            "[{}] streak {}",
            backend.name(),
            city.streak
        );

        // 2025: no districts, merged communes compared through lineage.
        let r2025 = results::load(&t.db, &period("2025"))
            .await
            .unwrap()
            .unwrap();
        assert!(
            r2025
                .units
                .iter()
                .all(|u| u.group.as_str() != "UBND cấp huyện")
        );
        assert!(
            r2025
                .units
                .iter()
                .any(|u| u.previous_index.is_some() && u.unit.as_str().starts_with('X'))
        );
        let merged = r2025
            .units
            .iter()
            .find(|u| u.unit.as_str() == "STC-2025")
            .unwrap();
        assert_eq!(
            merged
                .compared_with
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>(),
            ["SKHDT", "STC"],
            "a merger compares with the mean of its predecessors, named"
        );
        assert!(
            r2025.units.iter().any(|u| u
                .previous_group_size
                .is_some_and(|size| size != u.group_size)),
            "the 2024 ranks carry the size of the groups before the mergers"
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn recomputing_a_period_gives_the_same_results_and_is_audited() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        load_demo(&t.db, datetime!(2026-01-05 08:00 UTC))
            .await
            .unwrap();
        let before = results::load(&t.db, &period("2023"))
            .await
            .unwrap()
            .unwrap();
        // Recomputing a draft period: published periods are locked.
        let mut p = periods::get(&t.db, &period("2023")).await.unwrap().unwrap();
        p.status = periods::STATUS_DRAFT.to_owned();
        periods::update(
            &t.db,
            &p,
            &Actor("admin".into()),
            datetime!(2026-02-01 09:00 UTC),
        )
        .await
        .unwrap();
        let again = compute_period(
            &t.db,
            &period("2023"),
            &Actor("admin".into()),
            datetime!(2026-02-01 09:05 UTC),
        )
        .await
        .unwrap();
        assert_eq!(again, before, "[{}]", backend.name());
        let log = audit::list(
            &t.db,
            &audit::AuditFilter {
                period: Some(period("2023")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(
            log.iter().any(|e| e.actor == "admin"),
            "[{}] recomputation is audited",
            backend.name()
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_published_period_refuses_recomputation() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        load_demo(&t.db, datetime!(2026-01-05 08:00 UTC))
            .await
            .unwrap();
        let before = results::load(&t.db, &period("2024")).await.unwrap();
        let err = compute_period(
            &t.db,
            &period("2024"),
            &Actor("x".into()),
            datetime!(2026-03-01 10:00 UTC),
        )
        .await;
        assert!(
            err.is_err(),
            "[{}] published results are immutable",
            backend.name()
        );
        assert_eq!(results::load(&t.db, &period("2024")).await.unwrap(), before);
        t.drop_database().await;
    }
}

/// An officer of the Department of Justice in the demo's 2026 period.
fn justice_officer() -> chiso_domain::Principal {
    use chiso_domain::authz::{Grant, Role};
    chiso_domain::Principal::new(
        "canbo.stp",
        vec![Grant::in_period(
            Role::UnitOfficer {
                unit: UnitCode::parse("STP").unwrap(),
            },
            period("2026"),
        )],
    )
}

#[tokio::test]
async fn in_the_demos_2026_period_a_yearly_report_sent_on_time_scores_full_points() {
    use chiso_domain::{NodeCode, RawValue};
    use chiso_services::assessment::{self, LeafEntry, SaveSelfAssessment};
    use chiso_services::dossier;
    use chiso_store::leaves::SelfEntry;

    for backend in backends() {
        let t = TestDb::new(&backend).await;
        // A day of December 2026, the self-assessment of 2026 open.
        let at = datetime!(2026-12-06 03:00 UTC);
        load_demo(&t.db, at).await.unwrap();
        let officer = justice_officer();
        let unit = UnitCode::parse("STP").unwrap();
        let report = NodeCode::parse("1.2").unwrap();
        let d = dossier::load(&t.db, &officer, &period("2026"), &unit, at)
            .await
            .unwrap();
        assert_eq!(d.set.year, 2026);
        let leaf = d.set.find(&report).expect("the yearly report criterion");
        let deadline = leaf.method.as_ref().and_then(|m| m.date());
        assert_eq!(deadline, Some(time::macros::date!(2026 - 12 - 10)));
        assert!(
            leaf.rule
                .as_deref()
                .is_some_and(|r| r.contains("10/12/2026")),
            "{:?}",
            leaf.rule
        );
        let mut version = 0;
        // Sent on 08/12/2026, two days early: full points. Sent on 15/12/2026, five days
        // late: the set's second tier (half).
        for (sent, expected) in [
            (time::macros::date!(2026 - 12 - 08), leaf.max.value()),
            (
                time::macros::date!(2026 - 12 - 15),
                leaf.max.value() / Decimal::TWO,
            ),
        ] {
            let d = dossier::load(&t.db, &officer, &period("2026"), &unit, at)
                .await
                .unwrap();
            let cmd = SaveSelfAssessment {
                period: period("2026"),
                unit: unit.clone(),
                leaves: vec![LeafEntry {
                    node: report.clone(),
                    entry: SelfEntry {
                        input: Some(RawValue::Date(sent)),
                        points: None,
                        declared_data: None,
                        note: None,
                        explanation: None,
                    },
                    expected_version: version,
                }],
            };
            assessment::save(&t.db, &officer, &d, &cmd, at)
                .await
                .unwrap();
            let d = dossier::load(&t.db, &officer, &period("2026"), &unit, at)
                .await
                .unwrap();
            let stored = &d.leaves[&report];
            version = stored.self_version;
            assert_eq!(
                stored.self_assessment.points.map(|p| p.value()),
                Some(expected),
                "[{}] sent {sent}",
                backend.name()
            );
        }
        t.drop_database().await;
    }
}
