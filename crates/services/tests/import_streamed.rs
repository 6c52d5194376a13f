//! Importing a scores file larger than one slice, on SQLite and (with `CHISO_TEST_PG`)
//! PostgreSQL: the file is written slice by slice and the results group by group inside one
//! transaction, and what lands is exactly what a whole recomputation of the stored values
//! gives; a problem near the end of the file leaves the period as it was.

use std::collections::HashMap;
use std::path::Path;

use chiso_demo::{Synthetic, synthetic};
use chiso_domain::{NodeCode, PeriodCode, RawValue, UnitCode, UnitInput};
use chiso_services::codes;
use chiso_services::compute::compute_stored;
use chiso_services::import::{ImportProgress, import_scores, import_units};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, Db, index_sets, results, scores};
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn period() -> PeriodCode {
    PeriodCode::parse("2025").unwrap()
}

fn admin() -> Actor {
    Actor("quantri".into())
}

/// 240 units in two groups × 60 leaves: 14.400 values, more than one slice of an import.
fn data() -> Synthetic {
    synthetic(240, 60, 11)
}

async fn prepared(db: &Db, data: &Synthetic) {
    index_sets::save(db, &data.set, &admin(), AT).await.unwrap();
    let csv = chiso_formats::units_csv(&data.units, &data.members, &[]);
    let units = chiso_formats::read_units_bytes("units.csv", csv.as_bytes()).unwrap();
    import_units(
        db,
        &units,
        Some(&period()),
        Some(&data.set.code),
        &admin(),
        AT,
    )
    .await
    .unwrap();
}

fn write(dir: &Path, name: &str, inputs: &[UnitInput]) -> std::path::PathBuf {
    let path = dir.join(name);
    chiso_formats::write_scores_long_csv(&path, inputs).unwrap();
    path
}

/// The same inputs, values sorted by criterion then unit (the shape of a file exported from
/// a criterion-by-criterion spreadsheet), written as long CSV.
fn write_by_criterion(dir: &Path, name: &str, inputs: &[UnitInput]) -> std::path::PathBuf {
    let mut rows: Vec<(&NodeCode, &UnitCode, &RawValue)> = inputs
        .iter()
        .flat_map(|u| u.values.iter().map(move |(n, v)| (n, &u.unit, v)))
        .collect();
    rows.sort_by(|a, b| a.0.cmp(b.0).then_with(|| a.1.cmp(b.1)));
    let mut text = String::from("unit,criterion,value\n");
    for (n, u, v) in rows {
        text.push_str(&format!(
            "{u},{n},\"{}\"\n",
            chiso_formats::raw_value_text(v)
        ));
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

async fn score_entries(db: &Db) -> usize {
    audit::list(
        db,
        &AuditFilter {
            period: Some(period()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap()
    .iter()
    .filter(|e| e.entity == scores::ENTITY)
    .count()
}

/// Gives the first `n` units the values of the unit after them (same leaves, other values).
fn shifted(inputs: &[UnitInput], n: usize) -> Vec<UnitInput> {
    let mut out = inputs.to_vec();
    for i in 0..n {
        out[i].values = inputs[i + 1].values.clone();
    }
    out
}

fn differing(a: &[UnitInput], b: &[UnitInput]) -> usize {
    let before: HashMap<(&UnitCode, &NodeCode), &RawValue> = a
        .iter()
        .flat_map(|u| u.values.iter().map(move |(n, v)| ((&u.unit, n), v)))
        .collect();
    b.iter()
        .flat_map(|u| u.values.iter().map(move |(n, v)| ((&u.unit, n), v)))
        .filter(|(k, v)| before.get(k) != Some(v))
        .count()
}

#[tokio::test]
async fn a_file_of_several_slices_lands_with_one_audit_entry_per_change_and_the_whole_periods_results()
 {
    let data = data();
    let dir = tempfile::tempdir().unwrap();
    let first = write(dir.path(), "first.csv", &data.inputs);
    let changed_inputs = shifted(&data.inputs, 30);
    let second = write_by_criterion(dir.path(), "second.csv", &changed_inputs);
    let values: usize = data.inputs.iter().map(|u| u.values.len()).sum();
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        prepared(&t.db, &data).await;

        let done = import_scores(&t.db, &period(), &first, &admin(), AT, &|_| {})
            .await
            .unwrap();
        assert_eq!(
            (done.values, done.changed, done.units),
            (values, values, 240)
        );
        assert_eq!(scores::list(&t.db, &period()).await.unwrap().len(), values);
        assert_eq!(score_entries(&t.db).await, values, "[{}]", backend.name());
        let served = results::load(&t.db, &period()).await.unwrap().unwrap();
        assert_eq!(
            served,
            compute_stored(&t.db, &period()).await.unwrap(),
            "[{}]",
            backend.name()
        );

        // Criterion by criterion this time, with thirty units' values changed.
        let expected = differing(&data.inputs, &changed_inputs);
        assert!(expected > 30, "{expected}");
        let done = import_scores(&t.db, &period(), &second, &admin(), AT, &|_| {})
            .await
            .unwrap();
        assert_eq!((done.values, done.changed), (values, expected));
        assert_eq!(score_entries(&t.db).await, values + expected);
        let served = results::load(&t.db, &period()).await.unwrap().unwrap();
        assert_eq!(
            served,
            compute_stored(&t.db, &period()).await.unwrap(),
            "[{}]",
            backend.name()
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn an_import_reports_its_progress_slice_by_slice_up_to_the_whole_file_and_every_group() {
    let data = data();
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "scores.csv", &data.inputs);
    let size = std::fs::metadata(&file).unwrap().len();
    let values: usize = data.inputs.iter().map(|u| u.values.len()).sum();
    let t = TestDb::new(&backends()[0]).await;
    prepared(&t.db, &data).await;
    let heard = std::sync::Mutex::new(Vec::new());
    import_scores(&t.db, &period(), &file, &admin(), AT, &|p| {
        heard.lock().unwrap().push(p);
    })
    .await
    .unwrap();
    let heard = heard.into_inner().unwrap();
    let reading: Vec<(usize, u64, u64)> = heard
        .iter()
        .filter_map(|p| match *p {
            ImportProgress::Reading {
                values,
                bytes_read,
                bytes_total,
            } => Some((values, bytes_read, bytes_total)),
            ImportProgress::Results { .. } => None,
        })
        .collect();
    // 14.400 values: one report per slice of 8.192, never going back.
    assert_eq!(reading.len(), 2, "{reading:?}");
    assert!(
        reading
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1)
    );
    assert!(reading.iter().all(|r| r.2 == size && r.1 <= size));
    assert_eq!(reading.last().unwrap().0, values);
    assert_eq!(
        reading.last().unwrap().1,
        size,
        "the whole file is read by the last slice"
    );
    let results: Vec<(usize, usize)> = heard
        .iter()
        .filter_map(|p| match *p {
            ImportProgress::Results { done, groups } => Some((done, groups)),
            ImportProgress::Reading { .. } => None,
        })
        .collect();
    assert_eq!(results, vec![(0, 2), (1, 2), (2, 2)]);
    // Every reading report comes before the results are computed.
    assert!(matches!(
        heard.last(),
        Some(ImportProgress::Results { done: 2, .. })
    ));
    assert!(matches!(
        heard.first(),
        Some(ImportProgress::Reading { .. })
    ));
    t.drop_database().await;
}

#[tokio::test]
async fn a_problem_on_the_last_row_of_a_large_file_leaves_the_period_as_it_was() {
    let data = data();
    let dir = tempfile::tempdir().unwrap();
    let first = write(dir.path(), "first.csv", &data.inputs);
    let changed_inputs = shifted(&data.inputs, 200);
    let second = write(dir.path(), "second.csv", &changed_inputs);
    let mut text = std::fs::read_to_string(&second).unwrap();
    text.push_str("KHONG-CO,1.1,1\n");
    std::fs::write(&second, &text).unwrap();
    let last_row = text.lines().count();
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        prepared(&t.db, &data).await;
        import_scores(&t.db, &period(), &first, &admin(), AT, &|_| {})
            .await
            .unwrap();
        let before = (
            scores::list(&t.db, &period()).await.unwrap(),
            results::load(&t.db, &period()).await.unwrap(),
            score_entries(&t.db).await,
        );

        let err = import_scores(&t.db, &period(), &second, &admin(), AT, &|_| {})
            .await
            .unwrap_err();
        assert!(err.is(codes::FILE_INVALID), "[{}] {err}", backend.name());
        let shown = format!("{err:?}");
        assert!(
            shown.contains("KHONG-CO") && shown.contains(&last_row.to_string()),
            "[{}] {shown}",
            backend.name()
        );
        let after = (
            scores::list(&t.db, &period()).await.unwrap(),
            results::load(&t.db, &period()).await.unwrap(),
            score_entries(&t.db).await,
        );
        assert!(after == before, "[{}] the period changed", backend.name());
        t.drop_database().await;
    }
}

/// With absent areas left out of the maximum, whether an area has a value depends on every
/// unit of the set: a group without any value in an area is still scored against it when
/// another group has one, exactly as when the whole period is computed at once.
#[tokio::test]
async fn results_written_group_by_group_renormalise_areas_as_the_whole_period_does() {
    let mut data = data();
    data.set.renormalise_absent_areas = true;
    let area: Vec<NodeCode> = data.set.nodes[0]
        .walk()
        .into_iter()
        .filter(|n| n.is_leaf())
        .map(|n| n.code.clone())
        .collect();
    let first_group = data.members[0].group.clone();
    let in_first: Vec<&UnitCode> = data
        .members
        .iter()
        .filter(|m| m.group == first_group)
        .map(|m| &m.unit)
        .collect();
    let mut inputs = data.inputs.clone();
    for u in &mut inputs {
        if in_first.contains(&&u.unit) {
            u.values.retain(|(n, _)| !area.contains(n));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "scores.csv", &inputs);
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        prepared(&t.db, &data).await;
        import_scores(&t.db, &period(), &file, &admin(), AT, &|_| {})
            .await
            .unwrap();
        let served = results::load(&t.db, &period()).await.unwrap().unwrap();
        let whole = compute_stored(&t.db, &period()).await.unwrap();
        assert_eq!(served, whole, "[{}]", backend.name());
        // The first group is scored against the area it left empty.
        let unit = served
            .units
            .iter()
            .find(|u| u.group == first_group)
            .unwrap();
        let area_node = unit
            .nodes
            .iter()
            .find(|n| n.code == data.set.nodes[0].code)
            .unwrap();
        assert!(
            area_node.max.0 > rust_decimal::Decimal::ZERO && area_node.points.0.is_zero(),
            "[{}] {area_node:?}",
            backend.name()
        );
        t.drop_database().await;
    }
}
