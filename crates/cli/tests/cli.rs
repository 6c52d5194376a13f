//! The `chiso` binary as an analyst and an administrator use it: compute from files, see every
//! error of a bad file, import into a database, export, and serve.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn chiso() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chiso"))
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn run(cmd: &mut Command) -> Output {
    cmd.env("CHISO_LOG", "warn")
        .output()
        .expect("the chiso binary runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn compute_from_example_files_writes_csv_json_and_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    for ext in ["csv", "json", "xlsx"] {
        let out_file = dir.path().join(format!("results.{ext}"));
        let out = run(chiso()
            .arg("compute")
            .arg("--index-set")
            .arg(examples().join("index-set-xa.yaml"))
            .arg("--units")
            .arg(examples().join("units.csv"))
            .arg("--scores")
            .arg(examples().join("scores-long.csv"))
            .arg("--previous")
            .arg(examples().join("previous.csv"))
            .arg("--out")
            .arg(&out_file));
        assert!(out.status.success(), "{}", text(&out));
        assert!(out_file.metadata().unwrap().len() > 0);
    }
    let csv = std::fs::read_to_string(dir.path().join("results.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.starts_with("group,rank,unit,name,total,max,index,class,delta_index,delta_rank"),
        "{header}"
    );
    assert!(header.contains("area:1"), "{header}");
}

#[test]
fn long_and_wide_scores_give_the_same_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for scores in ["scores-long.csv", "scores-wide.csv"] {
        let out_file = dir.path().join(format!("{scores}.out.csv"));
        let out = run(chiso()
            .args(["compute", "--index-set"])
            .arg(examples().join("index-set-xa.yaml"))
            .arg("--units")
            .arg(examples().join("units.csv"))
            .arg("--scores")
            .arg(examples().join(scores))
            .arg("--out")
            .arg(&out_file));
        assert!(out.status.success(), "{}", text(&out));
        outputs.push(std::fs::read_to_string(out_file).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn a_bad_scores_file_lists_every_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "unit,criterion,value\nKHONG-CO,1.1,1\n").unwrap();
    let units = std::fs::read_to_string(examples().join("units.csv")).unwrap();
    let first_unit = units
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_owned();
    std::fs::write(
        &bad,
        format!("unit,criterion,value\nKHONG-CO,1.1,1\n{first_unit},99.9,1\n{first_unit},1,abc\n"),
    )
    .unwrap();
    let out_file = dir.path().join("results.csv");
    let out = run(chiso()
        .args(["compute", "--index-set"])
        .arg(examples().join("index-set-xa.yaml"))
        .arg("--units")
        .arg(examples().join("units.csv"))
        .arg("--scores")
        .arg(&bad)
        .arg("--out")
        .arg(&out_file));
    assert!(!out.status.success());
    let msg = text(&out);
    assert!(msg.contains("dòng 2"), "{msg}");
    assert!(msg.contains("dòng 3"), "{msg}");
    assert!(msg.contains("dòng 4"), "{msg}");
    assert!(
        !out_file.exists(),
        "no output is written when the input has errors"
    );
}

#[test]
fn import_recompute_and_export_through_an_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let ok = |cmd: &mut Command| {
        let out = run(cmd.arg("--database-url").arg(&db));
        assert!(out.status.success(), "{}", text(&out));
        text(&out)
    };
    ok(chiso()
        .args(["import", "index-set"])
        .arg(examples().join("index-set-xa.yaml")));
    let set_code = std::fs::read_to_string(examples().join("index-set-xa.yaml"))
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("code:")
                .map(|c| c.trim().trim_matches('"').to_owned())
        })
        .unwrap();
    // The example's merged communes name predecessors this database has never seen: refused,
    // with the unit and the predecessor named, and nothing stored.
    let refused = run(chiso()
        .args(["import", "units"])
        .arg(examples().join("units.csv"))
        .args(["--period", "2024", "--index-set", &set_code])
        .arg("--database-url")
        .arg(&db));
    assert!(!refused.status.success());
    assert!(text(&refused).contains("XA-AN-PHU"), "{}", text(&refused));
    let export_none = run(chiso()
        .args(["export", "results", "--period", "2024", "--out"])
        .arg(dir.path().join("none.csv"))
        .arg("--database-url")
        .arg(&db));
    assert!(
        !export_none.status.success(),
        "the refused import created no period"
    );

    // Without the lineage columns the same units import.
    let units_csv = std::fs::read_to_string(examples().join("units.csv")).unwrap();
    let plain: String = units_csv
        .lines()
        .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let plain_path = dir.path().join("units-plain.csv");
    std::fs::write(&plain_path, plain).unwrap();
    ok(chiso().args(["import", "units"]).arg(&plain_path).args([
        "--period",
        "2024",
        "--index-set",
        &set_code,
    ]));
    let msg = ok(chiso()
        .args(["import", "scores"])
        .arg(examples().join("scores-long.csv"))
        .args(["--period", "2024"]));
    assert!(msg.contains("2024"), "{msg}");
    let out_file = dir.path().join("export.csv");
    ok(chiso()
        .args(["export", "results", "--period", "2024", "--out"])
        .arg(&out_file));
    let exported = std::fs::read_to_string(&out_file).unwrap();
    assert!(exported.lines().count() > 2, "{exported}");

    // The same data computed from files alone gives the same rows.
    let file_out = dir.path().join("files.csv");
    let out = run(chiso()
        .args(["compute", "--index-set"])
        .arg(examples().join("index-set-xa.yaml"))
        .arg("--units")
        .arg(&plain_path)
        .arg("--scores")
        .arg(examples().join("scores-long.csv"))
        .arg("--out")
        .arg(&file_out));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(file_out).unwrap(), exported);
}

#[test]
fn a_user_can_be_added_once_and_a_short_password_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("u.db").display());
    let add = |pw: &str| {
        run(chiso()
            .args(["user", "add", "quantri", "--admin", "--name", "Quản trị"])
            .arg("--database-url")
            .arg(&db)
            .env("CHISO_PASSWORD", pw))
    };
    let short = add("ngan");
    assert!(!short.status.success());
    assert!(text(&short).contains("Mật khẩu"), "{}", text(&short));
    assert!(add("mot-mat-khau-du-dai").status.success());
    let again = add("mot-mat-khau-du-dai");
    assert!(!again.status.success(), "a duplicate login is refused");
    assert!(
        text(&again).contains("Tên đăng nhập “quantri” đã có người dùng."),
        "{}",
        text(&again)
    );
}

#[test]
fn bench_data_writes_files_that_compute_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(chiso()
        .args(["bench-data", "--units", "60", "--leaves", "24", "--out"])
        .arg(&data));
    assert!(out.status.success(), "{}", text(&out));
    let res = dir.path().join("r.json");
    let out = run(chiso()
        .args(["compute", "--index-set"])
        .arg(data.join("index-set.yaml"))
        .arg("--units")
        .arg(data.join("units.csv"))
        .arg("--scores")
        .arg(data.join("scores.csv"))
        .arg("--previous")
        .arg(data.join("previous.csv"))
        .arg("--out")
        .arg(&res));
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(res).unwrap()).unwrap();
    assert_eq!(json["units"].as_array().unwrap().len(), 60);
}

/// A published district table (appraisal out of 65, survey out of 35): fed the published
/// component points, `chiso compute` reproduces the published totals, classes, ranks, deltas
/// and streak (domain.md §1, §10).
#[test]
fn compute_reproduces_a_published_district_table() {
    let dir = tempfile::tempdir().unwrap();
    let src = examples().join("huyen-2024");
    let out_file = dir.path().join("results.csv");
    let out = run(chiso()
        .args(["compute", "--index-set"])
        .arg(src.join("index-set.yaml"))
        .arg("--units")
        .arg(src.join("units.csv"))
        .arg("--scores")
        .arg(src.join("scores.csv"))
        .arg("--previous")
        .arg(src.join("previous.csv"))
        .arg("--out")
        .arg(&out_file));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("chỉ số bình quân 85,08"),
        "{}",
        text(&out)
    );
    let got = std::fs::read_to_string(&out_file).unwrap();
    let expected = std::fs::read_to_string(src.join("expected-results.csv")).unwrap();
    assert_eq!(got, expected);
    let row = |code: &str| got.lines().find(|l| l.contains(code)).unwrap().to_owned();
    assert!(row("TP-NGOC-LAM").starts_with(
        "UBND cấp huyện,1,TP-NGOC-LAM,Thành phố Ngọc Lâm,96.89,100.00,96.89,Xuất sắc,0.21,0,9,"
    ));
    assert!(
        row("H-TAN-KHE")
            .starts_with("UBND cấp huyện,5,H-TAN-KHE,Huyện Tân Khê,89.83,100.00,89.83,Tốt,")
    );
    // Ranked by the total, never by one block: 76,22 with appraisal 44 above 76,03 with 46.
    assert!(
        row("H-PHU-LOC").contains(",7,H-PHU-LOC,") && row("H-PHU-LOC").ends_with(",44.00,32.22")
    );
    assert!(
        row("H-VINH-AN").contains(",8,H-VINH-AN,") && row("H-VINH-AN").ends_with(",46.00,30.03")
    );
}

#[test]
fn roles_are_granted_from_the_command_line_and_inconsistent_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("g.db").display());
    let with_db = |cmd: &mut Command| {
        let out = run(cmd.arg("--database-url").arg(&db));
        (out.status.success(), text(&out))
    };
    let (ok, out) = with_db(chiso().arg("demo"));
    assert!(ok, "{out}");
    assert!(out.contains("đang tự đánh giá"), "{out}");
    let (ok, out) = with_db(
        chiso()
            .args(["user", "add", "canbo", "--name", "Cán bộ"])
            .env("CHISO_PASSWORD", "mot-mat-khau-du-dai"),
    );
    assert!(ok, "{out}");

    let grant = |args: &[&str]| with_db(chiso().args(["user", "grant", "canbo"]).args(args));
    let (ok, out) = grant(&["unit-officer", "--unit", "SNV-2025", "--period", "2026"]);
    assert!(ok, "{out}");
    assert!(out.contains("canbo"), "{out}");
    let (ok, out) = grant(&["appraiser", "--area", "1", "--area", "2"]);
    assert!(ok, "{out}");

    for (args, says) in [
        (&["unit-officer"][..], "cần mã đơn vị của mình"),
        (
            &["unit-officer", "--unit", "SNV-2025", "--unit", "STP-2025"][..],
            "đúng một đơn vị",
        ),
        (&["observer", "--unit", "SNV-2025"][..], "hãy bỏ mã đơn vị"),
        (
            &["unit-leader", "--unit", "SNV-2025", "--area", "1"][..],
            "hãy bỏ phạm vi",
        ),
        (&["unit-officer", "--unit", "KHONG-CO"][..], "KHONG-CO"),
        (
            &["unit-officer", "--unit", "SNV-2025", "--period", "2026"][..],
            "đã có",
        ),
    ] {
        let (ok, out) = grant(args);
        assert!(!ok, "{args:?} is refused");
        assert!(out.contains(says), "{args:?}: {out}");
    }
}
