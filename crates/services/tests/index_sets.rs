//! Index set administration through the services, on SQLite and (with `CHISO_TEST_PG`)
//! PostgreSQL: importing a file, replacing a draft, refusing to replace a set that a period
//! uses or that was frozen, listing with the periods using each set, and who may do what.

use std::path::{Path, PathBuf};

use chiso_domain::authz::{Grant, Principal, Role};
use chiso_domain::{PeriodCode, SetCode};
use chiso_services::codes;
use chiso_services::import::import_units;
use chiso_services::index_sets::{self, ImportIndexSet, SetAccess};
use chiso_store::Actor;
use chiso_store::testing::{TestDb, backends};
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn admin() -> Principal {
    Principal::new("quantri", vec![Grant::all_periods(Role::Admin)])
}

fn observer() -> Principal {
    Principal::new("quansat", vec![Grant::all_periods(Role::Observer)])
}

fn xa() -> SetCode {
    SetCode::parse("XA-2025").unwrap()
}

fn file(replace: bool) -> ImportIndexSet {
    ImportIndexSet::from_path(&examples().join("index-set-xa.yaml"), replace).unwrap()
}

fn renamed(replace: bool) -> ImportIndexSet {
    let mut cmd = file(replace);
    let text = String::from_utf8(cmd.bytes).unwrap().replace(
        "name: Bộ chỉ số cải cách hành chính UBND cấp xã năm 2025",
        "name: Bộ chỉ số cấp xã 2025 (sửa đổi)",
    );
    cmd.bytes = text.into_bytes();
    cmd
}

async fn use_in_period(db: &chiso_store::Db) {
    let csv = std::fs::read_to_string(examples().join("units.csv")).unwrap();
    let plain: String = csv
        .lines()
        .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let units = chiso_formats::read_units_bytes("units.csv", plain.as_bytes()).unwrap();
    let period = PeriodCode::parse("2025").unwrap();
    import_units(
        db,
        &units,
        Some(&period),
        Some(&xa()),
        &Actor("quantri".into()),
        AT,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn an_imported_set_is_listed_and_a_draft_is_replaced_only_when_asked() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let done = index_sets::import(&t.db, &admin(), &file(false), AT)
            .await
            .unwrap();
        assert_eq!(done.code, xa());
        assert!(!done.replaced);
        let err = index_sets::import(&t.db, &admin(), &renamed(false), AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::SET_EXISTS), "{err}");
        assert_eq!(err.get("set"), Some("XA-2025"));
        let done = index_sets::import(&t.db, &admin(), &renamed(true), AT)
            .await
            .unwrap();
        assert!(done.replaced);
        let list = index_sets::list(&t.db, &admin()).await.unwrap();
        assert_eq!(list.access, SetAccess::Manage);
        assert_eq!(list.items.len(), 1);
        assert_eq!(
            list.items[0].summary.name,
            "Bộ chỉ số cấp xã 2025 (sửa đổi)"
        );
        assert!(list.items[0].periods.is_empty());
        let loaded = index_sets::load(&t.db, &admin(), &xa()).await.unwrap();
        assert!(loaded.editable());
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_set_a_period_uses_or_a_frozen_set_is_never_replaced() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        index_sets::import(&t.db, &admin(), &file(false), AT)
            .await
            .unwrap();
        use_in_period(&t.db).await;
        for cmd in [file(true), renamed(true)] {
            let err = index_sets::import(&t.db, &admin(), &cmd, AT)
                .await
                .unwrap_err();
            assert!(err.is(codes::SET_IN_USE), "{err}");
            assert_eq!(err.get("periods"), Some("2025"));
        }
        let loaded = index_sets::load(&t.db, &admin(), &xa()).await.unwrap();
        assert!(loaded.locked() && !loaded.editable());
        assert_eq!(
            loaded.set.name,
            "Bộ chỉ số cải cách hành chính UBND cấp xã năm 2025"
        );
        let list = index_sets::list(&t.db, &admin()).await.unwrap();
        assert_eq!(
            list.items[0].periods,
            vec![PeriodCode::parse("2025").unwrap()]
        );
        t.drop_database().await;

        let t = TestDb::new(&backend).await;
        index_sets::import(&t.db, &admin(), &file(false), AT)
            .await
            .unwrap();
        index_sets::freeze(&t.db, &admin(), &xa(), AT)
            .await
            .unwrap();
        let err = index_sets::import(&t.db, &admin(), &renamed(true), AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::SET_FROZEN), "{err}");
        let err = index_sets::draft(&t.db, &admin(), &xa()).await.unwrap_err();
        assert!(err.is(codes::SET_FROZEN), "{err}");
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_bad_or_missing_file_imports_nothing_and_says_why() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let empty = ImportIndexSet {
            file_name: String::new(),
            bytes: Vec::new(),
            replace: false,
        };
        let err = index_sets::import(&t.db, &admin(), &empty, AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::SET_FILE_MISSING), "{err}");
        let mut bad = file(false);
        bad.bytes = String::from_utf8(bad.bytes)
            .unwrap()
            .replacen("max: ", "max: x", 1)
            .into_bytes();
        let err = index_sets::import(&t.db, &admin(), &bad, AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::FILE_INVALID), "{err}");
        assert!(
            index_sets::list(&t.db, &admin())
                .await
                .unwrap()
                .items
                .is_empty()
        );
        let err = index_sets::load(&t.db, &admin(), &xa()).await.unwrap_err();
        assert!(err.is(codes::SET_NOT_FOUND), "{err}");
        t.drop_database().await;
    }
}

#[tokio::test]
async fn an_observer_reads_sets_but_changes_none_and_a_unit_officer_sees_none() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        index_sets::import(&t.db, &admin(), &file(false), AT)
            .await
            .unwrap();
        let list = index_sets::list(&t.db, &observer()).await.unwrap();
        assert_eq!(list.access, SetAccess::Read);
        let loaded = index_sets::load(&t.db, &observer(), &xa()).await.unwrap();
        assert!(!loaded.editable());
        assert!(
            index_sets::yaml(&t.db, &observer(), &xa())
                .await
                .unwrap()
                .contains("XA-2025")
        );
        for err in [
            index_sets::import(&t.db, &observer(), &renamed(true), AT)
                .await
                .unwrap_err(),
            index_sets::freeze(&t.db, &observer(), &xa(), AT)
                .await
                .unwrap_err(),
        ] {
            assert_eq!(err.kind(), chiso_services::Kind::Forbidden, "{err}");
        }
        let officer = Principal::new(
            "canbo",
            vec![Grant::all_periods(Role::UnitOfficer {
                unit: chiso_domain::UnitCode::parse("XA-HOA-PHU").unwrap(),
            })],
        );
        let err = index_sets::list(&t.db, &officer).await.unwrap_err();
        assert_eq!(err.kind(), chiso_services::Kind::Forbidden, "{err}");
        t.drop_database().await;
    }
}

#[test]
fn an_invalid_set_is_refused_with_every_problem_naming_its_criterion() {
    let mut set = chiso_formats::read_index_set(&examples().join("index-set-xa.yaml")).unwrap();
    assert!(index_sets::issues(&set).is_empty());
    assert!(index_sets::validated(&set).is_ok());
    set.nodes[0].max =
        chiso_domain::Points::new(set.nodes[0].max.value() + rust_decimal::Decimal::ONE);
    let err = index_sets::validated(&set).unwrap_err();
    assert!(err.is(codes::SET_INVALID), "{err}");
    let Some(chiso_services::Detail::Problems(problems)) = err.details() else {
        panic!("{err}")
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].code, codes::SET_ISSUE_MAX_NOT_SUM);
    assert_eq!(problems[0].args[0], ("code", set.nodes[0].code.to_string()));
}

#[tokio::test]
async fn a_set_in_use_is_cloned_into_a_draft_whose_information_can_change() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        index_sets::import(&t.db, &admin(), &file(false), AT)
            .await
            .unwrap();
        use_in_period(&t.db).await;
        let info = |name: &str, year| index_sets::SetInfo {
            name: name.into(),
            year,
            decision: None,
        };
        let edit = index_sets::EditSetInfo {
            set: xa(),
            info: info("Sửa", 2025),
        };
        let err = index_sets::edit_info(&t.db, &admin(), &edit, AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::SET_IN_USE), "{err}");
        let next = SetCode::parse("XA-2026").unwrap();
        let clone = index_sets::CloneSet {
            from: xa(),
            code: next.clone(),
            info: info("Bộ chỉ số cấp xã 2026", 2026),
            // The tree is compared with the source's below: its deadline stays as it was.
            shift_dates: false,
        };
        index_sets::clone_set(&t.db, &admin(), &clone, AT)
            .await
            .unwrap();
        let err = index_sets::clone_set(&t.db, &admin(), &clone, AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::SET_CODE_TAKEN), "{err}");
        let edit = index_sets::EditSetInfo {
            set: next.clone(),
            info: info("Bộ chỉ số cấp xã năm 2026", 2026),
        };
        index_sets::edit_info(&t.db, &admin(), &edit, AT)
            .await
            .unwrap();
        let loaded = index_sets::load(&t.db, &admin(), &next).await.unwrap();
        assert!(loaded.editable());
        assert_eq!(loaded.set.name, "Bộ chỉ số cấp xã năm 2026");
        assert_eq!(
            loaded.set.nodes,
            index_sets::load(&t.db, &admin(), &xa())
                .await
                .unwrap()
                .set
                .nodes
        );
        let err = index_sets::clone_set(&t.db, &observer(), &clone, AT)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), chiso_services::Kind::Forbidden);
        t.drop_database().await;
    }
}

/// The index set entries of the audit log for `set`, oldest first.
async fn set_audit(db: &chiso_store::Db, set: &SetCode) -> Vec<chiso_store::audit::AuditEntry> {
    let mut log = chiso_store::audit::list(db, &chiso_store::audit::AuditFilter::default())
        .await
        .unwrap();
    log.retain(|e| e.entity == chiso_store::index_sets::ENTITY && e.entity_key == set.as_str());
    log.reverse();
    log
}

#[tokio::test]
async fn a_clone_into_the_next_year_moves_its_deadlines_only_when_asked_and_says_so() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        index_sets::import(&t.db, &admin(), &file(false), AT)
            .await
            .unwrap();
        let source = index_sets::load(&t.db, &admin(), &xa()).await.unwrap().set;
        let dated = source.dated_rules();
        assert_eq!(dated.len(), 1, "the example set has one report deadline");
        assert_eq!(dated[0].code.as_str(), "1.2");
        assert_eq!(dated[0].date, time::macros::date!(2025 - 12 - 15));
        let clone = |code: &str, year, shift_dates| index_sets::CloneSet {
            from: xa(),
            code: SetCode::parse(code).unwrap(),
            info: index_sets::SetInfo {
                name: format!("Bộ chỉ số cấp xã {year}"),
                year,
                decision: None,
            },
            shift_dates,
        };

        let shifted = clone("XA-2027", 2027, true);
        let done = index_sets::clone_set(&t.db, &admin(), &shifted, AT)
            .await
            .unwrap();
        assert_eq!(done.code, shifted.code);
        assert_eq!(done.years, 2);
        assert!(done.kept.is_empty());
        let moved: Vec<_> = done
            .shifted
            .iter()
            .map(|r| (r.code.to_string(), r.from, r.to))
            .collect();
        assert_eq!(
            moved,
            [(
                "1.2".to_owned(),
                time::macros::date!(2025 - 12 - 15),
                time::macros::date!(2027 - 12 - 15)
            )]
        );
        let stored = index_sets::load(&t.db, &admin(), &shifted.code)
            .await
            .unwrap()
            .set;
        let stored_dates: Vec<_> = stored.dated_rules().iter().map(|r| r.date).collect();
        assert_eq!(stored_dates, [time::macros::date!(2027 - 12 - 15)]);
        // Everything but the deadline is the source's.
        let mut back = stored.clone();
        back.shift_dates(-2).unwrap();
        assert_eq!(back.nodes, source.nodes);
        let log = set_audit(&t.db, &shifted.code).await;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].action, "create");
        assert_eq!(
            log[0].reason.as_deref(),
            Some(
                "nhân bản từ bộ chỉ số XA-2025; dời 1 tiêu chí có ngày 2 năm \
                 (1.2 15/12/2025 → 15/12/2027)"
            )
        );

        let kept = clone("XA-2026", 2026, false);
        let done = index_sets::clone_set(&t.db, &admin(), &kept, AT)
            .await
            .unwrap();
        assert_eq!(done.years, 0);
        assert!(done.shifted.is_empty());
        assert_eq!(done.kept, dated);
        let stored = index_sets::load(&t.db, &admin(), &kept.code)
            .await
            .unwrap()
            .set;
        assert_eq!(stored.nodes, source.nodes);
        assert_eq!(stored.year, 2026);
        let log = set_audit(&t.db, &kept.code).await;
        assert_eq!(
            log[0].reason.as_deref(),
            Some("nhân bản từ bộ chỉ số XA-2025; giữ nguyên ngày của 1 tiêu chí (1.2 15/12/2025)")
        );

        // The same year: nothing to move even when asked.
        let same = clone("XA-2025-B", 2025, true);
        let done = index_sets::clone_set(&t.db, &admin(), &same, AT)
            .await
            .unwrap();
        assert_eq!((done.years, done.shifted.len(), done.kept.len()), (0, 0, 1));
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_criterion_is_removed_from_a_draft_and_the_maxima_above_follow() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        index_sets::import(&t.db, &admin(), &file(false), AT)
            .await
            .unwrap();
        let set = index_sets::load(&t.db, &admin(), &xa()).await.unwrap().set;
        // The last leaf of the first area that has several children.
        let area = set.nodes.iter().find(|n| n.children.len() > 1).unwrap();
        let leaf = area.children.last().unwrap().clone();
        let remove = |node: &chiso_domain::NodeCode| index_sets::RemoveNode {
            set: xa(),
            node: node.clone(),
            propagate: true,
        };
        let missing = chiso_domain::NodeCode::parse("9.9.9").unwrap();
        let err = index_sets::remove_node(&t.db, &admin(), &remove(&missing), AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::SET_NODE_NOT_FOUND), "{err}");
        index_sets::remove_node(&t.db, &admin(), &remove(&leaf.code), AT)
            .await
            .unwrap();
        let after = index_sets::load(&t.db, &admin(), &xa()).await.unwrap().set;
        assert!(after.find(&leaf.code).is_none());
        assert!(index_sets::issues(&after).is_empty());
        use_in_period(&t.db).await;
        let first = set.nodes[0].code.clone();
        let err = index_sets::remove_node(&t.db, &admin(), &remove(&first), AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::SET_IN_USE), "{err}");
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_criterion_of_a_draft_is_edited_and_an_invalid_edit_is_refused() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        index_sets::import(&t.db, &admin(), &file(false), AT)
            .await
            .unwrap();
        let set = index_sets::load(&t.db, &admin(), &xa()).await.unwrap().set;
        let leaf = set
            .walk()
            .into_iter()
            .find(|n| n.is_leaf() && n.code.parent().is_some())
            .unwrap()
            .clone();
        let edit = |title: &str, max| index_sets::EditNode {
            set: xa(),
            node: leaf.code.clone(),
            edit: index_sets::NodeEdit {
                title: title.into(),
                max,
                source: leaf.source,
                method: leaf.method.clone(),
                rule: leaf.rule.clone(),
                evidence: leaf.evidence.clone(),
                not_applicable: leaf.not_applicable,
            },
            propagate: false,
        };
        index_sets::edit_node(&t.db, &admin(), &edit("Tiêu chí đã sửa", leaf.max), AT)
            .await
            .unwrap();
        let after = index_sets::load(&t.db, &admin(), &xa()).await.unwrap().set;
        assert_eq!(after.find(&leaf.code).unwrap().title, "Tiêu chí đã sửa");
        // A larger maximum without recomputing the parents leaves their sums wrong.
        let more = chiso_domain::Points::new(leaf.max.value() + rust_decimal::Decimal::ONE);
        let err = index_sets::edit_node(&t.db, &admin(), &edit("X", more), AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::SET_INVALID), "{err}");
        let mut missing = edit("X", leaf.max);
        missing.node = chiso_domain::NodeCode::parse("9.9.9").unwrap();
        let err = index_sets::edit_node(&t.db, &admin(), &missing, AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::SET_NODE_NOT_FOUND), "{err}");
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_leaf_is_added_only_under_its_parent_with_a_free_code() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        index_sets::import(&t.db, &admin(), &file(false), AT)
            .await
            .unwrap();
        let set = index_sets::load(&t.db, &admin(), &xa()).await.unwrap().set;
        let leaf = set
            .walk()
            .into_iter()
            .find(|n| n.is_leaf() && n.code.parent().is_some())
            .unwrap()
            .clone();
        let parent = leaf.code.parent().unwrap();
        let add = |code: &str| index_sets::AddNode {
            set: xa(),
            parent: Some(parent.clone()),
            code: chiso_domain::NodeCode::parse(code).unwrap(),
            edit: index_sets::NodeEdit {
                title: "Tiêu chí mới".into(),
                max: leaf.max,
                source: leaf.source,
                method: leaf.method.clone(),
                rule: None,
                evidence: None,
                not_applicable: None,
            },
            propagate: true,
        };
        for (code, expected) in [
            (leaf.code.to_string(), codes::SET_ISSUE_DUPLICATE_CODE),
            ("99.1".to_owned(), codes::SET_NODE_CODE_NOT_UNDER),
        ] {
            let err = index_sets::add_node(&t.db, &admin(), &add(&code), AT)
                .await
                .unwrap_err();
            assert!(err.is(codes::SET_NODE_REFUSED), "{err}");
            let Some(chiso_services::Detail::Problems(ps)) = err.details() else {
                panic!("{err}")
            };
            assert_eq!(ps[0].code, expected);
            assert_eq!(ps[0].args[0], ("field", "code".to_owned()));
        }
        let next = format!("{parent}.99");
        index_sets::add_node(&t.db, &admin(), &add(&next), AT)
            .await
            .unwrap();
        let after = index_sets::load(&t.db, &admin(), &xa()).await.unwrap().set;
        let added = chiso_domain::NodeCode::parse(&next).unwrap();
        assert_eq!(after.find(&added).unwrap().title, "Tiêu chí mới");
        assert!(index_sets::issues(&after).is_empty());
        t.drop_database().await;
    }
}
