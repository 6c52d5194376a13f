//! Every file under `examples/` parses with the reader its name calls for, so the examples the
//! documentation points to never rot.

use std::path::PathBuf;

use chiso_domain::UnitCode;
use chiso_formats::{read_index_set, read_results, read_scores, read_units};

#[test]
fn every_example_file_parses() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut folders = vec![root.clone()];
    for e in std::fs::read_dir(&root).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            folders.push(e.path());
        }
    }
    let mut checked = 0;
    for dir in folders {
        checked += check_folder(&dir);
    }
    assert!(checked >= 10, "only {checked} example files");
}

/// Reads every file of one example folder with the reader its name calls for: the folder's
/// YAML index set and `units.csv` give the context for its scores files.
fn check_folder(dir: &std::path::Path) -> usize {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let e = e.unwrap();
            e.file_type()
                .unwrap()
                .is_file()
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    let set_name = names
        .iter()
        .find(|n| n.starts_with("index-set") && n.ends_with(".yaml"))
        .unwrap_or_else(|| panic!("{}: no index-set*.yaml", dir.display()));
    let set = read_index_set(&dir.join(set_name)).unwrap_or_else(|e| panic!("{e}"));
    let units = read_units(&dir.join("units.csv")).unwrap_or_else(|e| panic!("{e}"));
    let known: Vec<UnitCode> = units.units.iter().map(|u| u.code.clone()).collect();
    for name in &names {
        let path = dir.join(name);
        let outcome = if name.starts_with("index-set") {
            read_index_set(&path).map(|_| ())
        } else if name.starts_with("units") {
            read_units(&path).map(|_| ())
        } else if name.starts_with("scores") {
            read_scores(&path, &set, Some(&known)).map(|_| ())
        } else if name.starts_with("previous") || name.contains("results") {
            read_results(&path).map(|_| ())
        } else {
            panic!("{}: no reader for this file name", path.display());
        };
        if let Err(e) = outcome {
            panic!("{}:\n{e}", path.display());
        }
    }
    names.len()
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
    let csv = chiso_formats::results_csv(&results, std::slice::from_ref(&set), true, None);
    let back = chiso_formats::read_results_bytes("r.csv", csv.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.len(), 9);
}
