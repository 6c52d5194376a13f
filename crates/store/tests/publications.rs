//! Publications are immutable on SQLite and, with `CHISO_TEST_PG`, PostgreSQL: a published
//! version can be neither updated nor deleted by any statement; only reloading the data
//! removes it (under the audit log's permit).

mod common;

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
        };
        assert_eq!(
            publications::publish(&db, &new, &admin(), T1)
                .await
                .unwrap(),
            1
        );
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
        db.reset().await.unwrap();
        assert!(publications::latest_all(&db).await.unwrap().is_empty());
    })
    .await;
}
