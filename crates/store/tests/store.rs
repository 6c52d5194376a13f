//! Scenarios of the store, each run on SQLite and, with `CHISO_TEST_PG`, on PostgreSQL.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use chiso_domain::{Points, RawValue};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::periods::{self, STATUS_PUBLISHED};
use chiso_store::scores;
use chiso_store::{Actor, Db, StoreError, index_sets, results, sessions, units, users};
use common::*;
use rust_decimal_macros::dec;
use serde_json::json;

fn all_entries() -> AuditFilter {
    AuditFilter::default()
}

#[test]
fn migration_folders_hold_the_same_file_names() {
    let names = |backend: &str| -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
}

#[tokio::test]
async fn a_fresh_database_is_empty_until_data_arrives_and_migrating_again_does_nothing() {
    for_each_backend(|db| async move {
        assert!(matches!(db.backend_name(), "sqlite" | "postgres"));
        db.ping().await.unwrap();
        assert!(db.is_empty().await.unwrap());
        db.migrate().await.unwrap();
        seed(&db).await;
        assert!(!db.is_empty().await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn units_and_lineage_round_trip_with_one_audit_entry_per_change() {
    for_each_backend(|db| async move {
        let (mut u, l) = units();
        units::upsert_many(&db, &u, &l, &admin(), T0).await.unwrap();

        let mut expected = u.clone();
        expected.sort_by(|a, b| a.code.cmp(&b.code));
        assert_eq!(units::list(&db).await.unwrap(), expected);
        assert_eq!(
            units::get(&db, &unit_code("XA-TAN-AN")).await.unwrap(),
            Some(u[0].clone())
        );
        assert_eq!(units::get(&db, &unit_code("NOPE")).await.unwrap(), None);
        let mut lineage = units::lineage(&db).await.unwrap();
        lineage.sort_by(|a, b| a.predecessor.cmp(&b.predecessor));
        assert_eq!(lineage, l);
        assert_eq!(audit::list(&db, &all_entries()).await.unwrap().len(), 7);

        // The same list again changes nothing and records nothing.
        units::upsert_many(&db, &u, &l, &admin(), T1).await.unwrap();
        assert_eq!(audit::list(&db, &all_entries()).await.unwrap().len(), 7);

        // A renamed unit is one audited update from the old to the new value.
        u[3].name = "Phường Một".to_owned();
        units::upsert_many(&db, &u, &[], &Actor("importer".to_owned()), T1)
            .await
            .unwrap();
        let log = audit::list(&db, &all_entries()).await.unwrap();
        assert_eq!(log.len(), 8);
        let e = &log[0];
        assert_eq!(
            (e.action.as_str(), e.entity.as_str(), e.entity_key.as_str()),
            ("update", "unit", "PHUONG-1")
        );
        assert_eq!(
            (e.actor.as_str(), e.at, e.unit.as_deref()),
            ("importer", T1, Some("PHUONG-1"))
        );
        assert_eq!(e.old.as_ref().unwrap()["name"], json!("Phường 1"));
        assert_eq!(e.new.as_ref().unwrap()["name"], json!("Phường Một"));
        assert_eq!(
            units::get(&db, &unit_code("PHUONG-1"))
                .await
                .unwrap()
                .unwrap()
                .name,
            "Phường Một"
        );
    })
    .await;
}

#[tokio::test]
async fn a_unit_whose_parent_does_not_exist_is_refused_and_nothing_is_written() {
    for_each_backend(|db| async move {
        let (mut u, _) = units();
        u.retain(|x| x.code.as_str() != "HUYEN-A");
        let err = units::upsert_many(&db, &u, &[], &admin(), T0)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        assert!(units::list(&db).await.unwrap().is_empty());
        assert!(audit::list(&db, &all_entries()).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_index_set_round_trips_whole_and_is_listed_with_its_node_count() {
    for_each_backend(|db| async move {
        let set = index_set("XA-2024");
        index_sets::save(&db, &set, &admin(), T0).await.unwrap();
        assert_eq!(
            index_sets::get(&db, &set.code).await.unwrap(),
            Some(set.clone())
        );
        assert_eq!(
            index_sets::get(&db, &set_code("XA-1999")).await.unwrap(),
            None
        );

        let list = index_sets::list(&db).await.unwrap();
        assert_eq!(list.len(), 1);
        let s = &list[0];
        assert_eq!(
            (s.code.as_str(), s.year, s.nodes, s.leaves, s.frozen),
            ("XA-2024", 2024, 8, 6, false)
        );
        assert_eq!(s.decision.as_deref(), Some("2161/QĐ-UBND ngày 11/6/2024"));

        // Saving again replaces the set; saving the same set records nothing.
        let mut changed = set.clone();
        changed.name = "Bộ chỉ số sửa đổi".to_owned();
        changed.nodes.pop();
        index_sets::save(&db, &changed, &admin(), T1).await.unwrap();
        index_sets::save(&db, &changed, &admin(), T2).await.unwrap();
        assert_eq!(
            index_sets::get(&db, &set.code).await.unwrap(),
            Some(changed.clone())
        );
        let s = &index_sets::list(&db).await.unwrap()[0];
        assert_eq!((s.nodes, s.leaves, s.updated_at), (7, 5, T1));

        let log = audit::list(&db, &all_entries()).await.unwrap();
        let actions: Vec<_> = log
            .iter()
            .map(|e| (e.action.as_str(), e.entity.as_str()))
            .collect();
        assert_eq!(actions, [("update", "index_set"), ("create", "index_set")]);
        assert_eq!(log[0].old.as_ref().unwrap()["name"], json!(set.name));
        assert_eq!(log[0].new.as_ref().unwrap()["name"], json!(changed.name));
    })
    .await;
}

#[tokio::test]
async fn a_frozen_index_set_refuses_changes() {
    for_each_backend(|db| async move {
        let set = index_set("XA-2024");
        index_sets::save(&db, &set, &admin(), T0).await.unwrap();
        index_sets::freeze(&db, &set.code, &admin(), T1)
            .await
            .unwrap();
        index_sets::freeze(&db, &set.code, &admin(), T2)
            .await
            .unwrap();

        let mut changed = set.clone();
        changed.name = "Sửa sau khi khóa".to_owned();
        let err = index_sets::save(&db, &changed, &admin(), T2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Frozen(_)), "{err:?}");
        assert_eq!(
            index_sets::get(&db, &set.code).await.unwrap(),
            Some(set.clone())
        );
        assert!(index_sets::list(&db).await.unwrap()[0].frozen);

        let err = index_sets::freeze(&db, &set_code("KHONG-CO"), &admin(), T2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
        let actions: Vec<_> = audit::list(&db, &all_entries())
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, ["freeze", "create"]);
    })
    .await;
}

#[tokio::test]
async fn periods_are_listed_newest_first_with_their_groups_and_members() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let list = periods::list(&db).await.unwrap();
        let codes: Vec<_> = list.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["2024", "2023"]);
        assert_eq!(list[0], period("2024", 2024, Some("2023")));
        assert_eq!(
            periods::get(&db, &period_code("2023")).await.unwrap(),
            Some(period("2023", 2023, None))
        );
        assert_eq!(periods::get(&db, &period_code("1999")).await.unwrap(), None);

        let p = period_code("2024");
        assert_eq!(
            periods::groups(&db, &p).await.unwrap(),
            [(group("UBND cấp xã"), set_code("XA-2024"))]
        );
        assert_eq!(periods::members(&db, &p).await.unwrap(), members());

        let err = periods::create(&db, &period("2024", 2024, None), &admin(), T1)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        let err = periods::create(&db, &period("2026", 2026, Some("2025")), &admin(), T1)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

        // A member of a group the period does not have: refused, the old groups stay.
        let mut bad = members();
        bad[0].group = group("Sở, ban, ngành");
        let err = periods::set_groups(
            &db,
            &p,
            &[(group("UBND cấp xã"), set_code("XA-2024"))],
            &bad,
            &admin(),
            T1,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        assert_eq!(periods::members(&db, &p).await.unwrap(), members());

        // Replacing groups and members is audited with the old and new lists.
        let two = vec![members()[1].clone(), members()[0].clone()];
        periods::set_groups(
            &db,
            &p,
            &[(group("UBND cấp xã"), set_code("XA-2024"))],
            &two,
            &admin(),
            T1,
        )
        .await
        .unwrap();
        assert_eq!(periods::members(&db, &p).await.unwrap(), two);
        let e = &audit::list(
            &db,
            &AuditFilter {
                period: Some(p.clone()),
                limit: 1,
                ..all_entries()
            },
        )
        .await
        .unwrap()[0];
        assert_eq!(
            (e.action.as_str(), e.entity.as_str()),
            ("set_groups", "period")
        );
        assert_eq!(
            e.old.as_ref().unwrap()["members"].as_array().unwrap().len(),
            3
        );
        assert_eq!(
            e.new.as_ref().unwrap()["members"].as_array().unwrap().len(),
            2
        );

        let mut updated = period("2024", 2024, Some("2023"));
        updated.decision = Some("Quyết định số 345/QĐ-UBND ngày 20/02/2025".to_owned());
        periods::update(&db, &updated, &admin(), T2).await.unwrap();
        assert_eq!(periods::get(&db, &p).await.unwrap(), Some(updated));
    })
    .await;
}

#[tokio::test]
async fn score_changes_are_audited_from_old_to_new_and_unchanged_values_write_nothing() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let p = period_code("2024");
        let before = audit::list(&db, &all_entries()).await.unwrap().len();

        let mut first = vec![
            change("XA-AN-1", "1.1", Some(RawValue::Yes), Some(dec!(2))),
            change("XA-AN-1", "1.10", Some(RawValue::Count(dec!(3))), Some(dec!(1.5))),
            change("XA-AN-1", "1.2", Some(RawValue::Date(time::macros::date!(2024 - 12 - 20))), None),
        ];
        first[1].note = Some("Ba quy chế".to_owned());
        scores::put(&db, &p, &first, &Actor("can-bo-xa".to_owned()), T1, "tự đánh giá").await.unwrap();

        let stored = scores::for_unit(&db, &p, &unit_code("XA-AN-1")).await.unwrap();
        let nodes: Vec<_> = stored.iter().map(|s| s.node.as_str()).collect();
        assert_eq!(nodes, ["1.1", "1.2", "1.10"]);
        let s = &stored[2];
        assert_eq!(s.input, Some(RawValue::Count(dec!(3))));
        assert_eq!(s.points, Some(Points(dec!(1.5))));
        assert_eq!(s.note.as_deref(), Some("Ba quy chế"));
        assert_eq!((s.version, s.updated_by.as_str(), s.updated_at), (1, "can-bo-xa", T1));
        assert_eq!(scores::list(&db, &p).await.unwrap(), stored);
        assert!(scores::list(&db, &period_code("2023")).await.unwrap().is_empty());

        // Same values again (1.50 equals 1.5): nothing written, no version bump.
        let mut again = first.clone();
        again[1].points = Some(Points(dec!(1.50)));
        scores::put(&db, &p, &again, &admin(), T2, "nhập lại").await.unwrap();
        assert_eq!(scores::list(&db, &p).await.unwrap(), stored);
        assert_eq!(audit::list(&db, &all_entries()).await.unwrap().len(), before + 3);

        // One value changed: one entry, old → new, with the reason.
        let mut appraised = first[1].clone();
        appraised.points = Some(Points(dec!(1)));
        appraised.expected_version = Some(1);
        scores::put(&db, &p, &[appraised], &Actor("tham-dinh".to_owned()), T2, "thẩm định: thiếu minh chứng")
            .await
            .unwrap();
        let log = audit::list(&db, &all_entries()).await.unwrap();
        assert_eq!(log.len(), before + 4);
        let e = &log[0];
        assert_eq!((e.action.as_str(), e.entity.as_str(), e.entity_key.as_str()), ("update", "score", "2024/XA-AN-1/1.10"));
        assert_eq!((e.period.as_deref(), e.unit.as_deref(), e.node.as_deref()), (Some("2024"), Some("XA-AN-1"), Some("1.10")));
        assert_eq!((e.actor.as_str(), e.at, e.reason.as_deref()), ("tham-dinh", T2, Some("thẩm định: thiếu minh chứng")));
        assert_eq!(
            e.old,
            Some(json!({"input": {"kind": "count", "value": "3"}, "points": "1.5", "note": "Ba quy chế", "version": 1}))
        );
        assert_eq!(
            e.new,
            Some(json!({"input": {"kind": "count", "value": "3"}, "points": "1", "note": "Ba quy chế", "version": 2}))
        );
        let created = &log[3];
        assert_eq!((created.action.as_str(), created.old.clone()), ("create", None));
        assert_eq!(created.reason.as_deref(), Some("tự đánh giá"));

        let s = scores::for_unit(&db, &p, &unit_code("XA-AN-1")).await.unwrap();
        assert_eq!((s[2].version, s[2].points, s[2].updated_at), (2, Some(Points(dec!(1))), T2));
    })
    .await;
}

#[tokio::test]
async fn an_import_is_audited_as_one_entry_and_each_changed_value_reads_back_old_to_new() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let p = period_code("2024");
        let officer = Actor("chuyen-vien".to_owned());
        let quantri = admin();
        let count_rows = |table: &'static str| {
            let db = db.clone();
            async move {
                let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}");
                match &db {
                    Db::Sqlite(c) => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(c).await.unwrap(),
                    Db::Postgres(c) => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(c).await.unwrap(),
                }
            }
        };

        // Two slices: the first unit's values split across them, the second unit in one.
        let mut import = scores::Import::begin(&db, &p, &officer, T1, "Nhập tệp diem.csv").await.unwrap();
        let first = [
            change("XA-AN-1", "1.1", Some(RawValue::Yes), Some(dec!(2))),
            change("XA-AN-2", "1.1", Some(RawValue::No), Some(dec!(0))),
            change("XA-AN-1", "1.10", Some(RawValue::Count(dec!(3))), Some(dec!(1.5))),
        ];
        assert_eq!(import.write(&first).await.unwrap(), 3);
        let second = [change("XA-AN-1", "1.2", Some(RawValue::Yes), Some(dec!(1)))];
        assert_eq!(import.write(&second).await.unwrap(), 1);
        import.commit().await.unwrap();
        // One entry for the import, one compact row per unit and slice, not one per value.
        assert_eq!(count_rows("audit_values").await, 3);

        let log = audit::list(&db, &AuditFilter { period: Some(p.clone()), ..all_entries() }).await.unwrap();
        let header: Vec<_> = log.iter().filter(|e| e.entity == scores::IMPORT_ENTITY).collect();
        assert_eq!(header.len(), 1);
        let h = header[0];
        assert_eq!((h.action.as_str(), h.entity_key.as_str(), h.unit.as_deref()), ("import", "2024", None));
        assert_eq!((h.actor.as_str(), h.at, h.reason.as_deref()), ("chuyen-vien", T1, Some("Nhập tệp diem.csv")));
        let values: Vec<_> = log.iter().filter(|e| e.entity == scores::ENTITY).map(|e| e.entity_key.as_str()).collect();
        assert_eq!(values, ["2024/XA-AN-1/1.1", "2024/XA-AN-1/1.10", "2024/XA-AN-1/1.2", "2024/XA-AN-2/1.1"]);
        // The import's entry comes first, then its values, all under its id.
        let at = log.iter().position(|e| e.id == h.id).unwrap();
        assert_eq!(log[at].entity, scores::IMPORT_ENTITY);
        assert!(log[at..at + 5].iter().all(|e| e.id == h.id));

        // A second import changes one value: read back for that leaf, newest first.
        let mut import = scores::Import::begin(&db, &p, &quantri, T2, "Nhập tệp diem-sua.csv").await.unwrap();
        let mut fixed = first.to_vec();
        fixed[2].points = Some(Points(dec!(1)));
        assert_eq!(import.write(&fixed).await.unwrap(), 1);
        import.commit().await.unwrap();
        let leaf = AuditFilter {
            period: Some(p.clone()),
            unit: Some(unit_code("XA-AN-1")),
            node: Some(node("1.10")),
            limit: 0,
        };
        let history = audit::list(&db, &leaf).await.unwrap();
        assert_eq!(history.len(), 2);
        let (e, created) = (&history[0], &history[1]);
        assert!(e.id > created.id);
        assert_eq!((e.action.as_str(), e.entity.as_str(), e.entity_key.as_str()), ("update", "score", "2024/XA-AN-1/1.10"));
        assert_eq!((e.period.as_deref(), e.unit.as_deref(), e.node.as_deref()), (Some("2024"), Some("XA-AN-1"), Some("1.10")));
        assert_eq!((e.actor.as_str(), e.at, e.reason.as_deref()), ("admin", T2, Some("Nhập tệp diem-sua.csv")));
        assert_eq!(e.old, Some(json!({"input": {"kind": "count", "value": "3"}, "points": "1.5", "note": null, "version": 1})));
        assert_eq!(e.new, Some(json!({"input": {"kind": "count", "value": "3"}, "points": "1", "note": null, "version": 2})));
        assert_eq!((created.action.as_str(), created.old.clone(), created.actor.as_str()), ("create", None, "chuyen-vien"));
        // A limit counts entries, not rows: the results written last, the import, its value.
        let latest = audit::list(&db, &AuditFilter { period: Some(p.clone()), limit: 3, ..all_entries() }).await.unwrap();
        assert_eq!(latest.iter().map(|e| e.entity.as_str()).collect::<Vec<_>>()[1..], ["scores", "score"]);

        // Re-importing the same values writes nothing, not even an entry for the import (the
        // results are written again, and say so).
        let of_scores = |log: Vec<audit::AuditEntry>| -> Vec<audit::AuditEntry> {
            log.into_iter().filter(|e| e.entity != "results").collect()
        };
        let before = of_scores(audit::list(&db, &all_entries()).await.unwrap());
        let mut import = scores::Import::begin(&db, &p, &quantri, T2, "Nhập lại").await.unwrap();
        assert_eq!(import.write(&fixed).await.unwrap(), 0);
        import.commit().await.unwrap();
        assert_eq!(of_scores(audit::list(&db, &all_entries()).await.unwrap()), before);

        // The compact rows are append-only too; reloading the data empties them with the log.
        for statement in ["DELETE FROM audit_values", "UPDATE audit_values SET changes = '[]'"] {
            let refused = match &db {
                Db::Sqlite(c) => sqlx::query(statement).execute(c).await.err(),
                Db::Postgres(c) => sqlx::query(statement).execute(c).await.err(),
            };
            let e = refused.unwrap_or_else(|| panic!("{statement} was accepted"));
            assert!(e.to_string().contains("append-only"), "{e}");
        }
        if let Db::Postgres(c) = &db {
            let e = sqlx::query("TRUNCATE audit_values").execute(c).await.unwrap_err();
            assert!(e.to_string().contains("append-only"), "{e}");
        }
        assert_eq!(count_rows("audit_values").await, 4);
        db.reset().await.unwrap();
        assert_eq!(count_rows("audit_values").await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_periods_inputs_come_back_exactly_grouped_by_unit_with_leaves_in_code_order() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let p = period_code("2024");
        let grade = chiso_domain::GradeCode::parse("T").unwrap();
        let values = [
            (
                "XA-AN-2",
                "1.10",
                Some(RawValue::Ratio {
                    num: dec!(1214),
                    den: dec!(1309),
                }),
            ),
            ("XA-AN-2", "1.2", Some(RawValue::Percent(dec!(97.50)))),
            ("XA-AN-2", "1.1", Some(RawValue::Grade(grade.clone()))),
            ("XA-AN-1", "1.1", Some(RawValue::NotApplicable)),
            (
                "XA-AN-1",
                "1.2",
                Some(RawValue::Date(time::macros::date!(2024 - 12 - 20))),
            ),
            ("XA-AN-1", "1.10", Some(RawValue::Points(dec!(-0.25)))),
            // A leaf with a note but no value is not an input.
            ("XA-TAN-AN", "1.1", None),
        ];
        let mut changes: Vec<_> = values
            .iter()
            .map(|(u, n, v)| change(u, n, v.clone(), None))
            .collect();
        changes[6].note = Some("Chưa có \"số liệu\" \\ tháng 12".to_owned());
        scores::put(&db, &p, &changes, &admin(), T1, "")
            .await
            .unwrap();

        let inputs = scores::inputs(&db, &p).await.unwrap();
        let got: Vec<(&str, Vec<(&str, &RawValue)>)> = inputs
            .iter()
            .map(|u| {
                (
                    u.unit.as_str(),
                    u.values.iter().map(|(n, v)| (n.as_str(), v)).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "XA-AN-1",
                    vec![
                        ("1.1", &RawValue::NotApplicable),
                        ("1.2", &RawValue::Date(time::macros::date!(2024 - 12 - 20))),
                        ("1.10", &RawValue::Points(dec!(-0.25))),
                    ]
                ),
                (
                    "XA-AN-2",
                    vec![
                        ("1.1", &RawValue::Grade(grade)),
                        ("1.2", &RawValue::Percent(dec!(97.50))),
                        (
                            "1.10",
                            &RawValue::Ratio {
                                num: dec!(1214),
                                den: dec!(1309)
                            }
                        ),
                    ]
                ),
            ]
        );
        assert!(
            scores::inputs(&db, &period_code("2023"))
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn a_stale_expected_version_conflicts() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let p = period_code("2024");
        let mut c = change("XA-AN-2", "1.1", Some(RawValue::No), Some(dec!(0)));
        c.expected_version = Some(0);
        scores::put(&db, &p, std::slice::from_ref(&c), &admin(), T1, "")
            .await
            .unwrap();

        // Someone else saved version 1 in the meantime: writing over version 0 conflicts.
        c.input = Some(RawValue::Yes);
        let err = scores::put(&db, &p, std::slice::from_ref(&c), &admin(), T2, "")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        // A brand-new value expected at version 3 conflicts too.
        let mut ghost = change(
            "XA-AN-2",
            "2.1",
            Some(RawValue::Grade(
                chiso_domain::GradeCode::parse("T").unwrap(),
            )),
            None,
        );
        ghost.expected_version = Some(3);
        let err = scores::put(&db, &p, &[ghost], &admin(), T2, "")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

        let s = scores::list(&db, &p).await.unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].input.clone(), s[0].version), (Some(RawValue::No), 1));
        c.expected_version = Some(1);
        scores::put(&db, &p, &[c], &admin(), T2, "").await.unwrap();
        assert_eq!(scores::list(&db, &p).await.unwrap()[0].version, 2);
    })
    .await;
}

#[tokio::test]
async fn a_batch_whose_second_change_conflicts_changes_nothing() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let p = period_code("2024");
        scores::put(
            &db,
            &p,
            &[change("XA-AN-1", "1.1", Some(RawValue::Yes), Some(dec!(2)))],
            &admin(),
            T1,
            "",
        )
        .await
        .unwrap();
        let before_scores = scores::list(&db, &p).await.unwrap();
        let before_log = audit::list(&db, &all_entries()).await.unwrap();

        let mut stale = change("XA-AN-1", "1.1", Some(RawValue::No), Some(dec!(0)));
        stale.expected_version = Some(7);
        let batch = vec![
            change("XA-AN-2", "1.1", Some(RawValue::Yes), Some(dec!(2))),
            stale,
            change(
                "XA-AN-2",
                "1.10",
                Some(RawValue::Count(dec!(1))),
                Some(dec!(0.5)),
            ),
        ];
        let err = scores::put(&db, &p, &batch, &admin(), T2, "")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        assert_eq!(scores::list(&db, &p).await.unwrap(), before_scores);
        assert_eq!(audit::list(&db, &all_entries()).await.unwrap(), before_log);

        // An unknown unit fails the same way, at the database.
        let err = scores::put(
            &db,
            &p,
            &[
                change("XA-AN-2", "1.1", Some(RawValue::Yes), None),
                change("KHONG-CO", "1.1", Some(RawValue::Yes), None),
            ],
            &admin(),
            T2,
            "",
        )
        .await
        .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        assert_eq!(scores::list(&db, &p).await.unwrap(), before_scores);
    })
    .await;
}

#[tokio::test]
async fn two_writers_of_the_same_version_cannot_both_win() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let p = period_code("2024");
        scores::put(
            &db,
            &p,
            &[change("XA-AN-1", "1.1", Some(RawValue::Yes), None)],
            &admin(),
            T1,
            "",
        )
        .await
        .unwrap();
        let write = |input: RawValue, who: &str| {
            let (db, p, actor) = (db.clone(), p.clone(), Actor(who.to_owned()));
            async move {
                let mut c = change("XA-AN-1", "1.1", Some(input), None);
                c.expected_version = Some(1);
                scores::put(&db, &p, &[c], &actor, T2, "").await
            }
        };
        let (a, b) = tokio::join!(
            tokio::spawn(write(RawValue::No, "a")),
            tokio::spawn(write(RawValue::NotApplicable, "b"))
        );
        let outcomes = [a.unwrap(), b.unwrap()];
        assert_eq!(
            outcomes.iter().filter(|r| r.is_ok()).count(),
            1,
            "{outcomes:?}"
        );
        assert!(
            outcomes
                .iter()
                .any(|r| matches!(r, Err(StoreError::Conflict(_))))
        );
        assert_eq!(scores::list(&db, &p).await.unwrap()[0].version, 2);
    })
    .await;
}

#[tokio::test]
async fn results_round_trip_exactly_and_feed_the_next_period() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let (p23, p24) = (period_code("2023"), period_code("2024"));
        assert_eq!(results::load(&db, &p24).await.unwrap(), None);
        assert_eq!(
            results::load(&db, &period_code("1999")).await.unwrap(),
            None
        );
        assert!(results::previous_for(&db, &p24).await.unwrap().is_empty());

        let r23 = results(dec!(92.345678901234567890123456));
        results::save(&db, &p23, &r23, &admin(), T1).await.unwrap();
        assert_eq!(results::load(&db, &p23).await.unwrap(), Some(r23.clone()));
        assert_eq!(
            periods::get(&db, &p23).await.unwrap().unwrap().computed_at,
            Some(T1)
        );

        let prev = results::previous_for(&db, &p24).await.unwrap();
        assert_eq!(prev.len(), 3);
        assert_eq!(prev[0].unit, unit_code("XA-AN-2"));
        assert_eq!(prev[0].index, dec!(92.345678901234567890123456));
        assert_eq!((prev[0].rank, prev[0].streak), (Some(1), 3));
        assert_eq!(
            (prev[2].rank, prev[2].group.as_str()),
            (None, "UBND cấp xã")
        );
        assert!(results::previous_for(&db, &p23).await.unwrap().is_empty());

        // A recomputation replaces the snapshot as a whole.
        let mut r23b = results(dec!(90));
        r23b.units.truncate(1);
        results::save(&db, &p23, &r23b, &admin(), T2).await.unwrap();
        assert_eq!(results::load(&db, &p23).await.unwrap(), Some(r23b));
        let e = &audit::list(
            &db,
            &AuditFilter {
                period: Some(p23.clone()),
                ..all_entries()
            },
        )
        .await
        .unwrap()[0];
        assert_eq!(
            (e.action.as_str(), e.entity.as_str()),
            ("compute", "results")
        );
        assert_eq!(e.old.as_ref().unwrap()["units"], json!(3));
        assert_eq!(e.new.as_ref().unwrap()["units"], json!(1));

        // An empty computation is still a computation.
        results::save(&db, &p24, &Default::default(), &admin(), T2)
            .await
            .unwrap();
        assert_eq!(
            results::load(&db, &p24).await.unwrap(),
            Some(Default::default())
        );
    })
    .await;
}

#[tokio::test]
async fn a_units_history_lists_its_results_oldest_period_first() {
    for_each_backend(|db| async move {
        seed(&db).await;
        results::save(&db, &period_code("2024"), &results(dec!(95)), &admin(), T2)
            .await
            .unwrap();
        results::save(&db, &period_code("2023"), &results(dec!(91)), &admin(), T1)
            .await
            .unwrap();
        let h = results::unit_history(&db, &unit_code("XA-AN-2"))
            .await
            .unwrap();
        let seen: Vec<_> = h.iter().map(|(p, r)| (p.as_str(), r.index)).collect();
        assert_eq!(seen, [("2023", dec!(91)), ("2024", dec!(95))]);
        assert_eq!(h[0].1, results(dec!(91)).units[0]);
        assert!(
            results::unit_history(&db, &unit_code("XA-TAN-AN"))
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn a_published_period_refuses_groups_scores_and_results() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let p = period_code("2023");
        results::save(&db, &p, &results(dec!(91)), &admin(), T1)
            .await
            .unwrap();
        let mut published = periods::get(&db, &p).await.unwrap().unwrap();
        published.status = STATUS_PUBLISHED.to_owned();
        published.decision = Some("Quyết định số 12/QĐ-UBND ngày 15/01/2024".to_owned());
        periods::update(&db, &published, &admin(), T2)
            .await
            .unwrap();

        let err = scores::put(
            &db,
            &p,
            &[change("XA-AN-1", "1.1", Some(RawValue::Yes), None)],
            &admin(),
            T2,
            "",
        )
        .await
        .unwrap_err();
        assert!(matches!(err, StoreError::Frozen(_)), "{err:?}");
        let err = results::save(&db, &p, &Default::default(), &admin(), T2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Frozen(_)), "{err:?}");
        let err = periods::set_groups(&db, &p, &[], &[], &admin(), T2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Frozen(_)), "{err:?}");
        assert_eq!(
            results::load(&db, &p).await.unwrap(),
            Some(results(dec!(91)))
        );

        let err = scores::put(&db, &period_code("1999"), &[], &admin(), T2, "")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn a_duplicate_login_conflicts_and_password_hashes_never_reach_the_audit_log() {
    for_each_backend(|db| async move {
        let id = users::create(
            &db,
            "admin",
            "Quản trị",
            "$argon2id$one",
            true,
            &Actor::system(),
            T0,
        )
        .await
        .unwrap();
        let other = users::create(
            &db,
            "can-bo",
            "Cán bộ",
            "$argon2id$two",
            false,
            &Actor::system(),
            T0,
        )
        .await
        .unwrap();
        assert_ne!(id, other);
        let err = users::create(
            &db,
            "admin",
            "Khác",
            "$argon2id$three",
            false,
            &Actor::system(),
            T1,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

        let u = users::find_by_login(&db, "admin").await.unwrap().unwrap();
        assert_eq!(
            (u.id, u.display_name.as_str(), u.password_hash.as_str()),
            (id, "Quản trị", "$argon2id$one")
        );
        assert!(u.is_admin && !u.disabled);
        assert!(!format!("{u:?}").contains("argon2id"));
        assert_eq!(users::find_by_login(&db, "nobody").await.unwrap(), None);

        users::set_password(&db, "admin", "$argon2id$new", &admin(), T1)
            .await
            .unwrap();
        assert_eq!(
            users::find_by_login(&db, "admin")
                .await
                .unwrap()
                .unwrap()
                .password_hash,
            "$argon2id$new"
        );
        let err = users::set_password(&db, "nobody", "x", &admin(), T1)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
        users::set_disabled(&db, "can-bo", true, &admin(), T2)
            .await
            .unwrap();
        assert!(
            users::find_by_login(&db, "can-bo")
                .await
                .unwrap()
                .unwrap()
                .disabled
        );
        assert_eq!(users::list(&db).await.unwrap().len(), 2);

        let log = audit::list(&db, &all_entries()).await.unwrap();
        let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["disable", "set_password", "create", "create"]);
        let text = serde_json::to_string(&log).unwrap();
        assert!(!text.contains("argon2id"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn the_audit_log_filters_by_period_unit_and_node_newest_first_and_refuses_updates() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let (p23, p24) = (period_code("2023"), period_code("2024"));
        let put = |p: &chiso_domain::PeriodCode, unit: &str, leaf: &str, at| {
            let (db, p, c) = (
                db.clone(),
                p.clone(),
                change(unit, leaf, Some(RawValue::Yes), None),
            );
            async move { scores::put(&db, &p, &[c], &admin(), at, "").await.unwrap() }
        };
        put(&p24, "XA-AN-1", "1.1", T1).await;
        put(&p24, "XA-AN-1", "1.2", T1).await;
        put(&p24, "XA-AN-2", "1.1", T2).await;
        put(&p23, "XA-AN-1", "1.1", T2).await;

        let keys = |f: AuditFilter| {
            let db = db.clone();
            async move {
                audit::list(&db, &f)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|e| e.entity_key)
                    .collect::<Vec<_>>()
            }
        };
        let scores_only = |v: Vec<String>| {
            v.into_iter()
                .filter(|k| k.matches('/').count() == 2)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            scores_only(
                keys(AuditFilter {
                    period: Some(p24.clone()),
                    ..all_entries()
                })
                .await
            ),
            ["2024/XA-AN-2/1.1", "2024/XA-AN-1/1.2", "2024/XA-AN-1/1.1"]
        );
        assert_eq!(
            keys(AuditFilter {
                unit: Some(unit_code("XA-AN-1")),
                ..all_entries()
            })
            .await[..3],
            ["2023/XA-AN-1/1.1", "2024/XA-AN-1/1.2", "2024/XA-AN-1/1.1"]
        );
        assert_eq!(
            keys(AuditFilter {
                period: Some(p24.clone()),
                unit: Some(unit_code("XA-AN-1")),
                node: Some(node("1.1")),
                limit: 0
            })
            .await,
            ["2024/XA-AN-1/1.1"]
        );
        assert_eq!(
            keys(AuditFilter {
                node: Some(node("1.1")),
                limit: 2,
                ..all_entries()
            })
            .await,
            ["2023/XA-AN-1/1.1", "2024/XA-AN-2/1.1"]
        );
        let everything = audit::list(&db, &all_entries()).await.unwrap();
        assert!(everything.windows(2).all(|w| w[0].id > w[1].id));

        let updated = match &db {
            Db::Sqlite(p) => sqlx::query("UPDATE audit_log SET actor = 'x'")
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
            Db::Postgres(p) => sqlx::query("UPDATE audit_log SET actor = 'x'")
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
        };
        assert!(updated.is_err(), "{updated:?}");
    })
    .await;
}

#[tokio::test]
async fn reset_deletes_the_data_but_keeps_users_and_their_history() {
    for_each_backend(|db| async move {
        seed(&db).await;
        users::create(&db, "admin", "Quản trị", "h", true, &Actor::system(), T0)
            .await
            .unwrap();
        scores::put(
            &db,
            &period_code("2024"),
            &[change("XA-AN-1", "1.1", Some(RawValue::Yes), None)],
            &admin(),
            T1,
            "",
        )
        .await
        .unwrap();
        results::save(&db, &period_code("2024"), &results(dec!(90)), &admin(), T1)
            .await
            .unwrap();
        db.reset().await.unwrap();
        assert!(db.is_empty().await.unwrap());
        assert!(index_sets::list(&db).await.unwrap().is_empty());
        assert!(units::lineage(&db).await.unwrap().is_empty());
        assert!(users::find_by_login(&db, "admin").await.unwrap().is_some());
        let log = audit::list(&db, &all_entries()).await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].entity, "user");

        seed(&db).await;
        db.reset_including_users().await.unwrap();
        assert!(users::list(&db).await.unwrap().is_empty());
        assert!(audit::list(&db, &all_entries()).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn sessions_expire_and_their_ids_are_not_reused() {
    for_each_backend(|db| async move {
        assert!(sessions::insert_new(&db, "abc", b"one", T1).await.unwrap());
        assert!(!sessions::insert_new(&db, "abc", b"two", T2).await.unwrap());
        assert_eq!(
            sessions::load(&db, "abc", T0).await.unwrap(),
            Some(b"one".to_vec())
        );
        sessions::save(&db, "abc", b"three", T2).await.unwrap();
        assert_eq!(
            sessions::load(&db, "abc", T1).await.unwrap(),
            Some(b"three".to_vec())
        );
        assert_eq!(sessions::load(&db, "abc", T2).await.unwrap(), None);
        sessions::save(&db, "def", &[0, 159, 146, 150], T1)
            .await
            .unwrap();
        assert_eq!(sessions::delete_expired(&db, T2).await.unwrap(), 2);
        sessions::save(&db, "ghi", b"x", T2).await.unwrap();
        sessions::delete(&db, "ghi").await.unwrap();
        assert_eq!(sessions::load(&db, "ghi", T0).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn a_large_batch_is_written_whole_and_reimporting_it_changes_nothing() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let many: Vec<chiso_domain::Unit> = (0..120)
            .map(|i| chiso_domain::Unit {
                code: unit_code(&format!("XA-{i:03}")),
                name: format!("Xã {i}"),
                kind: chiso_domain::UnitKind::Commune,
                parent: Some(unit_code("HUYEN-A")),
                valid_from: None,
                valid_to: None,
            })
            .collect();
        units::upsert_many(&db, &many, &[], &admin(), T0)
            .await
            .unwrap();
        let p = period_code("2024");
        let leaves = ["1.1", "1.2", "1.10", "2.1", "2.2"];
        let batch = |points| -> Vec<_> {
            many.iter()
                .flat_map(|u| {
                    leaves.map(|l| change(u.code.as_str(), l, Some(RawValue::Yes), Some(points)))
                })
                .collect()
        };
        let log_len = || {
            let db = db.clone();
            async move { audit::list(&db, &all_entries()).await.unwrap().len() }
        };
        let start = log_len().await;

        scores::put(&db, &p, &batch(dec!(1)), &admin(), T1, "nhập tệp")
            .await
            .unwrap();
        let stored = scores::list(&db, &p).await.unwrap();
        assert_eq!(stored.len(), 600);
        assert!(
            stored
                .iter()
                .all(|s| s.version == 1 && s.points == Some(Points(dec!(1))))
        );
        assert_eq!(log_len().await, start + 600);

        scores::put(&db, &p, &batch(dec!(1)), &admin(), T2, "nhập lại")
            .await
            .unwrap();
        assert_eq!(scores::list(&db, &p).await.unwrap(), stored);
        assert_eq!(log_len().await, start + 600);

        scores::put(&db, &p, &batch(dec!(0.75)), &admin(), T2, "nhập lại")
            .await
            .unwrap();
        let stored = scores::list(&db, &p).await.unwrap();
        assert!(
            stored
                .iter()
                .all(|s| s.version == 2 && s.points == Some(Points(dec!(0.75))))
        );
        assert_eq!(log_len().await, start + 1200);

        // The same leaf twice in one batch: two versions, two entries, the last value stays.
        let twice = [
            change("XA-AN-1", "1.1", Some(RawValue::No), Some(dec!(0))),
            change("XA-AN-1", "1.1", Some(RawValue::Yes), Some(dec!(2))),
        ];
        scores::put(&db, &p, &twice, &admin(), T2, "")
            .await
            .unwrap();
        let s = scores::for_unit(&db, &p, &unit_code("XA-AN-1"))
            .await
            .unwrap();
        assert_eq!((s[0].input.clone(), s[0].version), (Some(RawValue::Yes), 2));
        let log = audit::list(
            &db,
            &AuditFilter {
                unit: Some(unit_code("XA-AN-1")),
                limit: 2,
                ..all_entries()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            (log[0].action.as_str(), log[1].action.as_str()),
            ("update", "create")
        );
        assert_eq!(log[0].old.as_ref().unwrap()["points"], json!("0"));
    })
    .await;
}

#[tokio::test]
async fn an_in_memory_sqlite_database_keeps_its_data_between_calls() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    db.migrate().await.unwrap();
    seed(&db).await;
    for _ in 0..3 {
        assert_eq!(periods::list(&db).await.unwrap().len(), 2);
    }
    assert!(!db.is_empty().await.unwrap());
    db.close().await;
}

#[tokio::test]
async fn an_unknown_database_url_is_refused() {
    let err = Db::connect("mysql://localhost/chiso").await.unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err:?}");
}

/// Runs SQL as an older release would have (tables this release no longer has).
async fn raw(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(p) => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(p)
                .await
                .unwrap();
        }
        Db::Postgres(p) => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(p)
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn upgrading_moves_each_answer_kept_on_its_own_row_onto_its_respondent() {
    use chiso_domain::questionnaire::SurveyDefinition;
    use chiso_store::surveys;
    use chiso_store::testing::{TestDb, backends};
    for backend in backends() {
        let t = TestDb::at_migration(&backend, 16).await;
        let db = &t.db;
        seed(db).await;
        let definition = SurveyDefinition {
            code: "KS".to_owned(),
            name: "Khảo sát".to_owned(),
            groups: Vec::new(),
            leaves: Vec::new(),
        };
        let survey = surveys::create(db, &period_code("2024"), &definition, &admin(), T0)
            .await
            .unwrap();
        let id = survey.id;
        raw(
            db,
            &format!(
                "INSERT INTO survey_respondents (survey, respondent, grp, origin, created_by, \
                 created_at, submitted_at, draft) VALUES \
                 ({id}, 'r1', 'LD', 'tệp a.csv', 'admin', 'x', 'x', NULL), \
                 ({id}, 'r2', 'LD', 'web', 'web', 'x', NULL, '[[\"XA-TAN-AN\",\"C1\",\"B\"]]'); \
                 INSERT INTO survey_answers (survey, respondent, grp, unit, question, answer) \
                 VALUES ({id}, 'r1', 'LD', 'XA-TAN-AN', 'C1', 'A'), \
                 ({id}, 'r1', 'LD', 'XA-TAN-AN', 'C2', 'D'), \
                 ({id}, 'r1', 'LD', 'XA-BINH-AN', 'C1', 'E');"
            ),
        )
        .await;
        db.migrate().await.unwrap();

        let mut answers: Vec<(String, String, String, String)> = surveys::answers(db, id)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.respondent, a.unit, a.question, a.answer))
            .collect();
        answers.sort();
        let expected = [
            ("r1", "XA-BINH-AN", "C1", "E"),
            ("r1", "XA-TAN-AN", "C1", "A"),
            ("r1", "XA-TAN-AN", "C2", "D"),
        ]
        .map(|(r, u, q, a)| (r.to_owned(), u.to_owned(), q.to_owned(), a.to_owned()));
        assert_eq!(answers, expected);
        let r1 = surveys::web_response(db, id, "r1").await.unwrap().unwrap();
        assert!(r1.submitted);
        assert_eq!(r1.answers.len(), 3);
        let r2 = surveys::web_response(db, id, "r2").await.unwrap().unwrap();
        assert!(!r2.submitted);
        assert_eq!(
            r2.answers,
            vec![("XA-TAN-AN".to_owned(), "C1".to_owned(), "B".to_owned())]
        );
        t.drop_database().await;
    }
}
