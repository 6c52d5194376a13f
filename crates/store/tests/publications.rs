//! Publications are immutable on SQLite and, with `CHISO_TEST_PG`, PostgreSQL: a published
//! version can be neither updated nor deleted by any statement; only reloading the data
//! removes it (under the audit log's permit).

use crate::common;

use chiso_domain::uncertainty::{Interval, ResultInterval, ResultIntervals};
use chiso_store::publications::{self, NewPublication};
use common::*;
use rust_decimal_macros::dec;
use sqlx::AssertSqlSafe;
use time::macros::date;

#[tokio::test]
async fn a_published_version_cannot_be_updated_or_deleted_but_a_reset_removes_it() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let p = period_code("2024");
        let r = results(dec!(80));
        chiso_store::results::save(&db, &p, &r, &admin(), T0)
            .await
            .unwrap();
        let computed = chiso_store::periods::get(&db, &p).await.unwrap().unwrap();
        let new = NewPublication {
            period: p.clone(),
            decision: "123/QĐ-UBND".to_owned(),
            decided_on: date!(2025 - 03 - 15),
            reason: None,
            decision_file: None,
            period_name: computed.name.clone(),
            year: computed.year,
            groups: Vec::new(),
            units: r.units.clone(),
            computed_at: computed.computed_at,
            intervals: Some(intervals(&r)),
        };
        let before = publications::public_fingerprint(&db).await.unwrap();
        assert_eq!(
            publications::publish(&db, &new, &admin(), T1)
                .await
                .unwrap(),
            1
        );
        // What anonymous readers see changed: so does its fingerprint.
        let after = publications::public_fingerprint(&db).await.unwrap();
        assert_ne!(before, after);
        assert_eq!(after, publications::public_fingerprint(&db).await.unwrap());
        // Published: frozen, and a second publication needs a correction first.
        let again = publications::publish(&db, &new, &admin(), T1).await;
        assert!(
            matches!(again, Err(chiso_store::StoreError::Frozen(_))),
            "{again:?}"
        );
        for sql in [
            "UPDATE publications SET decision = 'x'",
            "DELETE FROM publications",
            "UPDATE published_results SET position = 9",
            "DELETE FROM published_results",
        ] {
            let refused = match &db {
                chiso_store::Db::Sqlite(pool) => {
                    sqlx::query(AssertSqlSafe(sql)).execute(pool).await.is_err()
                }
                chiso_store::Db::Postgres(pool) => {
                    sqlx::query(AssertSqlSafe(sql)).execute(pool).await.is_err()
                }
            };
            assert!(refused, "{sql} must be refused");
        }
        assert_eq!(publications::results(&db, &p, 1).await.unwrap(), r.units);
        // Read in part: the database filters by group and trims the leaves.
        let all = publications::ResultsScope::default();
        assert_eq!(
            publications::results_in(&db, &p, 1, all).await.unwrap(),
            r.units
        );
        let group = &r.units[0].group;
        let own = publications::ResultsScope {
            group: Some(group),
            without_leaves: true,
        };
        let trimmed = publications::results_in(&db, &p, 1, own).await.unwrap();
        let expected: Vec<_> = r.units.iter().filter(|u| &u.group == group).collect();
        assert_eq!(trimmed.len(), expected.len());
        assert!(expected.iter().any(|u| !u.leaves.is_empty()));
        for (got, want) in trimmed.iter().zip(expected) {
            assert!(got.leaves.is_empty());
            assert_eq!(
                (&got.unit, got.total, &got.nodes),
                (&want.unit, want.total, &want.nodes)
            );
        }
        assert_eq!(
            publications::intervals(&db, &p, 1).await.unwrap(),
            Some(intervals(&r))
        );
        // The period's own intervals are kept beside it, replaced as a whole.
        chiso_store::intervals::keep(&db, &p, &intervals(&r), computed.computed_at, T1)
            .await
            .unwrap();
        let mut changed = intervals(&r);
        changed.draws = 7;
        chiso_store::intervals::keep(&db, &p, &changed, computed.computed_at, T1)
            .await
            .unwrap();
        let kept = chiso_store::intervals::load(&db, &p)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (kept.intervals, kept.computed_at),
            (changed, computed.computed_at)
        );
        db.reset().await.unwrap();
        assert!(publications::latest_all(&db).await.unwrap().is_empty());
    })
    .await;
}

/// Intervals of every unit of `r` around its index, rank 1 to 2.
fn intervals(r: &chiso_domain::PeriodResults) -> ResultIntervals {
    ResultIntervals {
        surveys: vec!["XHH".to_owned()],
        draws: 400,
        units: r
            .units
            .iter()
            .map(|u| ResultInterval {
                unit: u.unit.clone(),
                group: u.group.clone(),
                index: Interval {
                    low: u.index - dec!(1.5),
                    high: u.index + dec!(0.25),
                },
                rank: Some(Interval { low: 1, high: 2 }),
                survey_points: None,
                total: Interval {
                    low: u.total.value(),
                    high: u.total.value(),
                },
            })
            .collect(),
        unsettled: Vec::new(),
    }
}
