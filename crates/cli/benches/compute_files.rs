//! `chiso compute` end to end (read the files, compute, write the results) on the synthetic
//! national dataset written by `chiso bench-data`.

use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let bin = env!("CARGO_BIN_EXE_chiso");
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let status = Command::new(bin)
        .args(["bench-data", "--units", "4080", "--leaves", "120", "--out"])
        .arg(&data)
        .status()
        .expect("bench-data runs");
    assert!(status.success());
    let mut group = c.benchmark_group("chiso_compute_files");
    group.sample_size(10);
    for ext in ["csv", "xlsx"] {
        let out = dir.path().join(format!("results.{ext}"));
        group.bench_function(format!("4080_units_120_leaves_to_{ext}"), |b| {
            b.iter(|| {
                let st = Command::new(bin)
                    .args(["compute", "--index-set"])
                    .arg(data.join("index-set.yaml"))
                    .arg("--units")
                    .arg(data.join("units.csv"))
                    .arg("--scores")
                    .arg(data.join("scores.csv"))
                    .arg("--previous")
                    .arg(data.join("previous.csv"))
                    .arg("--out")
                    .arg(&out)
                    .env("CHISO_LOG", "error")
                    .stdout(std::process::Stdio::null())
                    .status()
                    .expect("compute runs");
                assert!(st.success());
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
