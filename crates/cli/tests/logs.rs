//! Log lines as a service manager or a log collector receives them: standard error piped,
//! so no colour codes in text lines, and one JSON object a line with `--log-format json`
//! (or `CHISO_LOG_FORMAT=json`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// `chiso compute` on the example files, which logs where its time went at `info`; standard
/// error is a pipe here, never a terminal.
fn compute(dir: &Path, format: Option<&str>, env_format: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chiso"));
    if let Some(f) = format {
        cmd.args(["--log-format", f]);
    }
    cmd.env_remove("CHISO_LOG_FORMAT");
    if let Some(f) = env_format {
        cmd.env("CHISO_LOG_FORMAT", f);
    }
    cmd.arg("compute")
        .arg("--index-set")
        .arg(examples().join("index-set-xa.yaml"))
        .arg("--units")
        .arg(examples().join("units.csv"))
        .arg("--scores")
        .arg(examples().join("scores-long.csv"))
        .arg("--out")
        .arg(dir.join("results.csv"))
        .env("CHISO_LOG", "info")
        .output()
        .expect("the chiso binary runs")
}

fn stderr(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr.clone()).expect("logs are UTF-8")
}

#[test]
fn text_logs_to_a_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let logs = stderr(&compute(dir.path(), None, None));
    assert!(
        logs.contains("compute_us"),
        "an info line was logged: {logs}"
    );
    assert!(!logs.contains("\u{1b}["), "no ANSI escape codes: {logs:?}");
    assert!(
        !logs.contains("Đang đọc"),
        "no progress drawn on a pipe: {logs:?}"
    );
}

#[test]
fn json_logs_are_one_object_a_line_by_flag_or_environment() {
    let dir = tempfile::tempdir().unwrap();
    for out in [
        compute(dir.path(), Some("json"), None),
        compute(dir.path(), None, Some("json")),
    ] {
        let logs = stderr(&out);
        let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(!lines.is_empty(), "something was logged");
        for line in &lines {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            assert!(v["level"].is_string(), "{line}");
            assert!(v["timestamp"].is_string(), "{line}");
        }
        let timing = lines
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["fields"]["compute_us"].is_u64())
            .unwrap_or_else(|| panic!("the timing line: {logs}"));
        assert_eq!(timing["fields"]["units"], 9);
        assert!(!logs.contains("\u{1b}["), "{logs:?}");
    }
}

#[test]
fn an_unknown_log_format_is_refused_naming_the_accepted_ones() {
    let out = Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args(["--log-format", "xml", "migrate"])
        .output()
        .expect("the chiso binary runs");
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("text") && text.contains("json"), "{text}");
}
