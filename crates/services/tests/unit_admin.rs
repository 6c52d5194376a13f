//! Units administration through the units service, on SQLite and (with `CHISO_TEST_PG`)
//! PostgreSQL: listing with filters, one unit with its lineage and history, creating and
//! editing with every mistake named by field, and mergers and splits under the domain's rules.

use chiso_domain::authz::{Grant, Principal, Role};
use chiso_domain::reorg::{MergeTarget, ReorgRequest, ReorgShape, UnitFields};
use chiso_domain::{LineageKind, UnitCode, UnitKind};
use chiso_services::units::{self, UnitFilter};
use chiso_services::{Detail, Kind, ServiceError, codes};
use chiso_store::testing::{TestDb, backends};
use time::OffsetDateTime;
use time::macros::{date, datetime};

const AT: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn admin() -> Principal {
    Principal::new("quantri", vec![Grant::all_periods(Role::Admin)])
}

fn observer() -> Principal {
    Principal::new("xem", vec![Grant::all_periods(Role::Observer)])
}

fn code(c: &str) -> UnitCode {
    UnitCode::parse(c).unwrap()
}

fn fields(c: Option<&str>, name: &str, kind: UnitKind, parent: Option<&str>) -> UnitFields {
    UnitFields {
        code: c.map(code),
        name: name.into(),
        kind: Some(kind),
        parent: parent.map(code),
        valid_from: None,
        valid_to: None,
    }
}

/// The problems of a `unit_refused` error as (code, field).
fn problems(e: &ServiceError) -> Vec<(&'static str, String)> {
    assert!(e.is(codes::UNIT_REFUSED), "{e}");
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

async fn province(db: &chiso_services::Db) {
    let p = admin();
    let list = [
        fields(Some("H-DONG"), "Huyện Đông", UnitKind::District, None),
        fields(Some("XA-A"), "Xã An", UnitKind::Commune, Some("H-DONG")),
        fields(Some("XA-B"), "Xã Bình", UnitKind::Commune, Some("H-DONG")),
        fields(Some("XA-C"), "Xã Cát", UnitKind::Commune, Some("H-DONG")),
        fields(Some("PH-D"), "Phường Đà", UnitKind::Ward, None),
    ];
    for f in &list {
        units::create(db, &p, f, AT).await.unwrap();
    }
}

#[tokio::test]
async fn the_list_searches_without_diacritics_filters_and_only_unit_managers_see_it() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        province(&t.db).await;
        let all = units::list(&t.db, &admin(), &UnitFilter::default())
            .await
            .unwrap();
        assert_eq!((all.total, all.matching, all.pages), (5, 5, 1));
        let names: Vec<_> = all.rows.iter().map(|r| r.unit.name.as_str()).collect();
        assert_eq!(
            names,
            ["Huyện Đông", "Phường Đà", "Xã An", "Xã Bình", "Xã Cát"]
        );
        assert_eq!(all.parents, vec![(code("H-DONG"), "Huyện Đông".into())]);
        let found = units::list(
            &t.db,
            &admin(),
            &UnitFilter {
                query: "xa binh".into(),
                ..UnitFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(found.rows.len(), 1);
        assert_eq!(found.rows[0].parent_name.as_deref(), Some("Huyện Đông"));
        let under = units::list(
            &t.db,
            &admin(),
            &UnitFilter {
                parent: Some(code("H-DONG")),
                kind: Some(UnitKind::Commune),
                page: 9,
                ..UnitFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((under.matching, under.page), (3, 1));
        let err = units::list(&t.db, &observer(), &UnitFilter::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), Kind::Forbidden, "{err}");
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_unit_is_created_and_edited_with_every_mistake_named_by_field_and_its_history_kept() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        province(&t.db).await;
        let p = admin();
        let mut wrong = fields(Some("XA-A"), "  ", UnitKind::Commune, Some("KHONG-CO"));
        wrong.kind = None;
        wrong.valid_from = Some(date!(2025 - 02 - 01));
        wrong.valid_to = Some(date!(2025 - 01 - 01));
        let err = units::create(&t.db, &p, &wrong, AT).await.unwrap_err();
        assert_eq!(
            problems(&err),
            vec![
                ("unit_code_taken", "code".into()),
                ("unit_name_required", "name".into()),
                ("unit_kind_required", "kind".into()),
                ("unit_unknown", "parent".into()),
                ("unit_dates_reversed", "valid_to".into()),
            ]
        );
        let reserved = fields(Some("them"), "Xã Thêm", UnitKind::Commune, None);
        let err = units::create(&t.db, &p, &reserved, AT).await.unwrap_err();
        assert_eq!(problems(&err), vec![("unit_code_reserved", "code".into())]);

        let new = fields(Some("XA-E"), " Xã   Êm ", UnitKind::Commune, Some("H-DONG"));
        assert_eq!(
            units::create(&t.db, &p, &new, AT).await.unwrap(),
            code("XA-E")
        );
        // A loop of parents is refused; the unit's code never changes.
        let looped = fields(None, "Huyện Đông", UnitKind::District, Some("XA-E"));
        let err = units::update(&t.db, &p, &code("H-DONG"), &looped, AT)
            .await
            .unwrap_err();
        assert_eq!(problems(&err), vec![("unit_parent_cycle", "parent".into())]);
        let renamed = fields(Some("XA-KHAC"), "Phường Êm", UnitKind::Ward, Some("H-DONG"));
        assert!(
            units::update(&t.db, &p, &code("XA-E"), &renamed, AT)
                .await
                .unwrap()
        );
        assert!(
            !units::update(&t.db, &p, &code("XA-E"), &renamed, AT)
                .await
                .unwrap()
        );
        let detail = units::detail(&t.db, &p, &code("XA-E")).await.unwrap();
        assert_eq!(detail.unit.name, "Phường Êm");
        assert_eq!(detail.parent.map(|u| u.code), Some(code("H-DONG")));
        assert_eq!(detail.history.len(), 2, "created, then renamed");
        let err = units::detail(&t.db, &p, &code("XA-KHAC"))
            .await
            .unwrap_err();
        assert!(err.is(codes::UNIT_NOT_FOUND), "{err}");
        let err = units::update(&t.db, &p, &code("XA-KHAC"), &renamed, AT)
            .await
            .unwrap_err();
        assert!(err.is(codes::UNIT_NOT_FOUND), "{err}");
        let err = units::create(&t.db, &observer(), &new, AT)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), Kind::Forbidden);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_merger_and_a_split_are_recorded_once_and_their_mistakes_named_by_field() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        province(&t.db).await;
        let p = admin();
        let merger = ReorgRequest {
            shape: ReorgShape::Merger {
                predecessors: vec![code("XA-A"), code("XA-B")],
                into: Some(MergeTarget::New(fields(
                    Some("XA-AB"),
                    "Xã An Bình",
                    UnitKind::Commune,
                    Some("H-DONG"),
                ))),
            },
            effective: Some(date!(2025 - 07 - 01)),
            basis: "Nghị quyết số 1656/NQ-UBTVQH15".into(),
        };
        let wrong = ReorgRequest {
            shape: ReorgShape::Merger {
                predecessors: vec![code("XA-A"), code("KHONG-CO")],
                into: Some(MergeTarget::New(fields(
                    Some("XA-AB"),
                    "Xã An Bình",
                    UnitKind::Commune,
                    None,
                ))),
            },
            effective: None,
            basis: String::new(),
        };
        let err = units::reorganise(&t.db, &p, &wrong, AT).await.unwrap_err();
        assert_eq!(
            problems(&err),
            vec![
                ("unit_unknown", "predecessors".into()),
                ("reorg_merger_needs_two", "predecessors".into()),
                ("reorg_effective_required", "effective".into()),
            ]
        );
        let done = units::reorganise(&t.db, &p, &merger, AT).await.unwrap();
        assert_eq!(done.shown, code("XA-AB"));
        assert_eq!(done.changes.edges, 2);
        let a = units::detail(&t.db, &p, &code("XA-A")).await.unwrap();
        assert_eq!(a.unit.valid_to, Some(date!(2025 - 06 - 30)));
        assert_eq!(a.successors.len(), 1);
        assert_eq!(a.successors[0].other_name.as_deref(), Some("Xã An Bình"));
        // Again, into the unit it founded: the edges exist.
        let again = ReorgRequest {
            shape: ReorgShape::Merger {
                predecessors: vec![code("XA-A"), code("XA-B")],
                into: Some(MergeTarget::Existing(Some(code("XA-AB")))),
            },
            ..merger.clone()
        };
        let err = units::reorganise(&t.db, &p, &again, AT).await.unwrap_err();
        assert_eq!(
            problems(&err),
            vec![
                ("reorg_lineage_exists", "predecessors".into()),
                ("reorg_lineage_exists", "predecessors".into()),
            ]
        );
        let split = ReorgRequest {
            shape: ReorgShape::Split {
                predecessor: Some(code("XA-C")),
                successors: vec![code("XA-C"), code("PH-D")],
            },
            effective: Some(date!(2025 - 07 - 01)),
            basis: String::new(),
        };
        let done = units::reorganise(&t.db, &p, &split, AT).await.unwrap();
        assert_eq!(done.shown, code("XA-C"));
        assert_eq!(done.changes.edges, 1);
        let c = units::detail(&t.db, &p, &code("XA-C")).await.unwrap();
        assert_eq!(c.successors[0].lineage.kind, LineageKind::Split);
        assert_eq!(c.unit.valid_to, None, "a unit split into itself goes on");
        let err = units::reorganise(&t.db, &observer(), &split, AT)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), Kind::Forbidden);
        t.drop_database().await;
    }
}
