//! Every file under `examples/` parses with the reader its name calls for, so the examples the
//! documentation points to never rot.

use std::path::PathBuf;

use chiso_domain::UnitCode;
use chiso_reports::{read_index_set, read_results, read_scores, read_units};

#[test]
fn every_example_file_parses() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let set = read_index_set(&dir.join("index-set-xa.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let units = read_units(&dir.join("units.csv")).unwrap_or_else(|e| panic!("{e}"));
    let known: Vec<UnitCode> = units.units.iter().map(|u| u.code.clone()).collect();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        let path = dir.join(&name);
        let outcome = if name.starts_with("index-set") {
            read_index_set(&path).map(|_| ())
        } else if name.starts_with("units") {
            read_units(&path).map(|_| ())
        } else if name.starts_with("scores") {
            read_scores(&path, &set, Some(&known)).map(|_| ())
        } else if name.starts_with("previous") || name.starts_with("results") {
            read_results(&path).map(|_| ())
        } else {
            panic!("examples/{name}: no reader for this file name");
        };
        if let Err(e) = outcome {
            panic!("examples/{name}:\n{e}");
        }
    }
}

#[test]
fn the_examples_compute_into_results_with_deltas_through_lineage() {
    use chiso_domain::{ComputeInput, compute};
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let set = read_index_set(&dir.join("index-set-xa.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let units = read_units(&dir.join("units.csv")).unwrap_or_else(|e| panic!("{e}"));
    let known: Vec<UnitCode> = units.units.iter().map(|u| u.code.clone()).collect();
    let scores = read_scores(&dir.join("scores-wide.csv"), &set, Some(&known))
        .unwrap_or_else(|e| panic!("{e}"));
    let previous = read_results(&dir.join("previous.csv")).unwrap_or_else(|e| panic!("{e}"));
    let inputs = scores.unit_inputs(&units);
    let results = compute(ComputeInput {
        set: &set,
        units: &inputs,
        previous: &previous,
        lineage: &units.lineage,
    })
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(results.units.len(), 9);
    assert!(
        results
            .units
            .iter()
            .all(|u| u.rank.is_some() && u.delta_index.is_some()),
        "{results:#?}"
    );
    let csv = chiso_reports::results_csv(&results, std::slice::from_ref(&set), true);
    let back = chiso_reports::read_results_bytes("r.csv", csv.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.len(), 9);
}
