//! What the tests of commands on a database share: the example communes put into period 2025
//! by the binary itself, and the state that shows a refused command changed nothing.

// Each test file uses part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chiso_domain::PeriodCode;
use chiso_store::audit::{self, AuditFilter};
use chiso_store::{Db, periods, results, scores};

pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Runs `chiso ARGS --database-url URL`.
pub fn chiso_on(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chiso"))
        .env("CHISO_LOG", "warn")
        .args(args)
        .arg("--database-url")
        .arg(url)
        .output()
        .expect("the chiso binary runs")
}

/// The standard output of `chiso ARGS --database-url URL`, which must succeed.
pub fn ok(url: &str, args: &[&str]) -> String {
    let out = chiso_on(url, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The error output of `chiso ARGS --database-url URL`, which must fail.
pub fn fails(url: &str, args: &[&str]) -> String {
    let out = chiso_on(url, args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} must fail: {err}");
    err
}

/// `path` as an argument (the tests' temporary folders have UTF-8 names).
fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Imports the example communes into period 2025, scored with the example set `XA-2025`
/// (imported before). The lineage columns are left out: a fresh database has never seen the
/// predecessors they name.
pub fn import_example_units(url: &str, dir: &Path) {
    let csv = std::fs::read_to_string(examples().join("units.csv")).unwrap();
    let plain: String = csv
        .lines()
        .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let units = dir.join("units.csv");
    std::fs::write(&units, plain).unwrap();
    ok(
        url,
        &[
            "import",
            "units",
            arg(&units),
            "--period",
            "2025",
            "--index-set",
            "XA-2025",
        ],
    );
}

/// Period 2025 of the example communes with its results: the example index set, units and
/// scores imported (the import computes the period).
pub fn seed_example_period(url: &str, dir: &Path) {
    let set = examples().join("index-set-xa.yaml");
    ok(url, &["import", "index-set", arg(&set)]);
    import_example_units(url, dir);
    let scores = examples().join("scores-long.csv");
    ok(url, &["import", "scores", arg(&scores), "--period", "2025"]);
}

/// Scores, results, status and audit entries of a period, to show a refusal changed nothing.
pub async fn state(db: &Db, period: &PeriodCode) -> impl PartialEq + std::fmt::Debug + use<> {
    let log = audit::list(
        db,
        &AuditFilter {
            period: Some(period.clone()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    (
        scores::list(db, period).await.unwrap(),
        results::load(db, period).await.unwrap(),
        periods::get(db, period).await.unwrap().map(|p| p.status),
        log.len(),
    )
}
