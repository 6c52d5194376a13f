//! Damaged files never crash a reader: every truncation and many byte substitutions of the
//! examples give either a value or errors.

use std::path::PathBuf;

use chiso_formats::{
    read_index_set_bytes, read_results_bytes, read_scores_bytes, read_units_bytes,
};

fn example(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name),
    )
    .unwrap()
}

/// Truncations at every 17th byte and substitutions of structural characters.
fn damaged(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for cut in (0..bytes.len()).step_by(17) {
        out.push(bytes[..cut].to_vec());
    }
    for (i, b) in bytes.iter().enumerate().step_by(37) {
        for sub in [b'"', b',', b';', b':', b'\n', b'{', b'-', 0xff] {
            if *b != sub {
                let mut v = bytes.to_vec();
                v[i] = sub;
                out.push(v);
            }
        }
    }
    out
}

#[test]
fn damaged_files_give_errors_not_crashes() {
    let set = read_index_set_bytes("s.yaml", &example("index-set-xa.yaml")).unwrap();
    for v in damaged(&example("index-set-xa.yaml")) {
        let _ = read_index_set_bytes("s.yaml", &v);
    }
    for v in damaged(&example("index-set-xa.csv")) {
        let _ = read_index_set_bytes("s.csv", &v);
    }
    for v in damaged(&example("units.csv")) {
        let _ = read_units_bytes("u.csv", &v);
    }
    for v in damaged(&example("scores-wide.csv")) {
        let _ = read_scores_bytes("s.csv", &v, &set, None);
    }
    for v in damaged(&example("previous.csv")) {
        let _ = read_results_bytes("p.csv", &v);
        let _ = read_results_bytes("p.json", &v);
    }
}

#[test]
fn a_file_that_is_not_a_workbook_is_refused_with_a_message() {
    for bytes in [&b""[..], b"PK\x03\x04garbage", b"not a zip at all"] {
        let errs = read_units_or_fail(bytes);
        assert!(errs.contains("không mở được tệp Excel"), "{errs}");
    }
}

fn read_units_or_fail(bytes: &[u8]) -> String {
    read_units_bytes("u.xlsx", bytes)
        .expect_err("refused")
        .to_string()
}
