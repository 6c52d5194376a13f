//! What `chiso` says when a command cannot do what it was asked: the file or period at fault
//! named once, in Vietnamese, never the operating system's English text, and a non-zero exit.
//! Commands on a database run on SQLite and (with `CHISO_TEST_PG`) PostgreSQL.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use chiso_domain::{AssessmentState, PeriodCode, UnitCode};
use chiso_store::assessments::{self, StateChange};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, periods};
use common::{examples, import_example_units, seed_example_period, state};
use time::macros::datetime;

fn chiso() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chiso"));
    c.env("CHISO_LOG", "warn");
    c
}

/// The error output of a command that must fail.
fn refused(cmd: &mut Command) -> String {
    let out: Output = cmd.output().expect("the chiso binary runs");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "must fail: {err}");
    assert!(
        !err.contains("os error") && !err.contains("No such file"),
        "no English system text: {err}"
    );
    err
}

fn succeeds(cmd: &mut Command) {
    let out = cmd.output().expect("the chiso binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn compute(set: &Path, out: &Path) -> Command {
    let mut c = chiso();
    c.args(["compute", "--index-set"])
        .arg(set)
        .arg("--units")
        .arg(examples().join("units.csv"))
        .arg("--scores")
        .arg(examples().join("scores-long.csv"))
        .arg("--out")
        .arg(out);
    c
}

#[test]
fn a_missing_input_file_is_named_once_in_vietnamese() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("khong-co.yaml");
    let err = refused(&mut compute(&missing, &dir.path().join("r.csv")));
    assert_eq!(
        err.trim_end(),
        format!("lỗi: không có tệp {}", missing.display())
    );
}

#[test]
fn a_folder_given_as_an_input_file_is_refused_as_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let err = refused(&mut compute(dir.path(), &dir.path().join("r.csv")));
    assert_eq!(
        err.trim_end(),
        format!("lỗi: {} là thư mục, không phải tệp", dir.path().display())
    );
}

#[test]
fn an_output_in_a_missing_folder_is_named_once_in_vietnamese() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("khong-co").join("r.csv");
    let err = refused(&mut compute(&examples().join("index-set-xa.yaml"), &out));
    assert_eq!(
        err.trim_end(),
        format!(
            "lỗi: không ghi được {}: thư mục chứa tệp không tồn tại",
            out.display()
        )
    );
}

#[test]
fn a_data_folder_that_cannot_be_created_is_named_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tep");
    std::fs::write(&file, "").unwrap();
    // A folder inside a file: the same reason for every user, root included.
    let data = file.join("du-lieu");
    let err = refused(chiso().arg("migrate").arg("--data-dir").arg(&data));
    assert_eq!(
        err.trim_end(),
        format!(
            "lỗi: không tạo được thư mục dữ liệu {}: một phần của đường dẫn là tệp, không phải thư mục",
            data.display()
        )
    );
}

#[tokio::test]
async fn commands_taking_a_period_say_when_the_period_does_not_exist() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let on_db = |args: &[&str], file: &Path| {
            let mut c = chiso();
            c.args(args).arg(file).arg("--database-url").arg(&t.url);
            c
        };
        let out = t.dir().join("kq.csv");
        let export = || on_db(&["export", "results", "--period", "2099", "--out"], &out);
        let scores_file = examples().join("scores-long.csv");
        for mut cmd in [
            export(),
            on_db(&["recompute", "--period", "2099", "--data-dir"], t.dir()),
            on_db(&["import", "scores", "--period", "2099"], &scores_file),
        ] {
            let err = refused(&mut cmd);
            assert_eq!(
                err.trim_end(),
                "lỗi: không có kỳ đánh giá 2099",
                "[{}] {cmd:?}",
                backend.name()
            );
        }
        assert!(!out.exists());

        // A period that exists but was never computed: that is what the export says.
        let p = periods::Period {
            code: PeriodCode::parse("2099").unwrap(),
            year: 2099,
            name: "Chỉ số CCHC năm 2099".into(),
            previous: None,
            status: periods::STATUS_DRAFT.into(),
            decision: None,
            computed_at: None,
        };
        periods::create(
            &t.db,
            &p,
            &Actor("quantri".into()),
            datetime!(2026-01-01 0:00 UTC),
        )
        .await
        .unwrap();
        let err = refused(&mut export());
        assert_eq!(
            err.trim_end(),
            "lỗi: kỳ 2099 chưa có kết quả (chạy chiso recompute)",
            "[{}]",
            backend.name()
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn scores_are_not_imported_into_an_approved_or_a_published_period() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let with_db = |c: &mut Command| {
            c.arg("--database-url").arg(&t.url);
        };
        seed_example_period(&t.url, t.dir());
        let import = || {
            let mut c = chiso();
            c.args(["import", "scores", "--period", "2025"])
                .arg(examples().join("scores-long.csv"));
            with_db(&mut c);
            c
        };

        let period = PeriodCode::parse("2025").unwrap();
        let at = datetime!(2026-03-02 09:00 UTC);
        let chair = Actor("chutich".into());
        let approve = StateChange {
            state: AssessmentState::Finalised,
            reopened: false,
            reason: assessments::APPROVAL_REASON,
        };
        let unit = UnitCode::parse("XA-HOA-PHU").unwrap();
        assessments::set_state(&t.db, &period, &unit, 0, &approve, &chair, at)
            .await
            .unwrap();
        let before = state(&t.db, &period).await;
        let err = refused(&mut import());
        assert!(
            err.starts_with("lỗi: Kỳ 2025 đã phê duyệt: không thể nhập điểm")
                && err.contains("XA-HOA-PHU"),
            "[{}] {err}",
            backend.name()
        );
        assert_eq!(state(&t.db, &period).await, before, "[{}]", backend.name());

        let mut p = periods::get(&t.db, &period).await.unwrap().unwrap();
        p.status = periods::STATUS_PUBLISHED.into();
        periods::update(&t.db, &p, &chair, at).await.unwrap();
        let before = state(&t.db, &period).await;
        let err = refused(&mut import());
        assert_eq!(
            err.trim_end(),
            "lỗi: Kỳ đánh giá 2025 đã công bố kết quả nên không thể thay đổi.",
            "[{}]",
            backend.name()
        );
        assert_eq!(state(&t.db, &period).await, before, "[{}]", backend.name());
        t.drop_database().await;
    }
}

#[tokio::test]
async fn replacing_an_index_set_a_period_uses_is_refused_as_on_the_web() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let with_db = |c: &mut Command| {
            c.arg("--database-url").arg(&t.url);
        };
        let set = examples().join("index-set-xa.yaml");
        let import_set = |path: &Path| {
            let mut c = chiso();
            c.args(["import", "index-set"]).arg(path);
            with_db(&mut c);
            c
        };
        succeeds(&mut import_set(&set));
        // A draft is still replaced by a file of the same code.
        let text = std::fs::read_to_string(&set).unwrap();
        let renamed = t.dir().join("index-set-xa.yaml");
        std::fs::write(
            &renamed,
            text.replace(
                "name: Bộ chỉ số cải cách hành chính UBND cấp xã năm 2025",
                "name: Bộ chỉ số cấp xã 2025 (sửa đổi)",
            ),
        )
        .unwrap();
        succeeds(&mut import_set(&renamed));
        let code = chiso_domain::SetCode::parse("XA-2025").unwrap();
        let stored = || async {
            chiso_store::index_sets::get(&t.db, &code)
                .await
                .unwrap()
                .unwrap()
        };
        assert_eq!(stored().await.name, "Bộ chỉ số cấp xã 2025 (sửa đổi)");

        // Once period 2025 scores its units with it, the set is read-only.
        import_example_units(&t.url, t.dir());
        let err = refused(&mut import_set(&set));
        assert_eq!(
            err.trim_end(),
            "lỗi: Bộ chỉ số XA-2025 đang được kỳ đánh giá 2025 sử dụng nên không thể thay thế \
             hay sửa. Hãy nhân bản thành bản nháp mới (mã khác) để thay đổi.",
            "[{}]",
            backend.name()
        );
        assert_eq!(
            stored().await.name,
            "Bộ chỉ số cấp xã 2025 (sửa đổi)",
            "[{}] nothing replaced",
            backend.name()
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn an_invalid_grant_is_refused_with_every_reason_as_on_the_role_page() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let with_db = |c: &mut Command| {
            c.arg("--database-url").arg(&t.url);
        };
        let mut c = chiso();
        c.args(["import", "index-set"])
            .arg(examples().join("index-set-xa.yaml"));
        with_db(&mut c);
        succeeds(&mut c);
        import_example_units(&t.url, t.dir());
        let grant = |args: &[&str]| {
            let mut c = chiso();
            c.args(["user", "grant"]).args(args);
            with_db(&mut c);
            c
        };
        let err = refused(&mut grant(&["canbo", "observer"]));
        assert_eq!(err.trim_end(), "lỗi: Không có người dùng “canbo”.");
        let mut c = chiso();
        c.args(["user", "add", "canbo"])
            .env("CHISO_PASSWORD", "mot-mat-khau-du-dai");
        with_db(&mut c);
        succeeds(&mut c);

        let err = refused(&mut grant(&[
            "canbo",
            "unit-officer",
            "--unit",
            "KHONG-CO",
            "--area",
            "1",
            "--period",
            "2099",
        ]));
        assert_eq!(
            err.trim_end(),
            "lỗi: Chưa phân hoặc thu hồi được vai trò (3 lỗi):\n\
             Không có đơn vị mã “KHONG-CO”.\n\
             Chỉ thành viên thẩm định mới được giao phạm vi (đơn vị, lĩnh vực); hãy bỏ phạm vi.\n\
             Không có kỳ đánh giá “2099”.",
            "[{}]",
            backend.name()
        );
        assert!(
            chiso_store::grants::for_user(&t.db, "canbo")
                .await
                .unwrap()
                .is_empty()
        );
        succeeds(&mut grant(&[
            "canbo",
            "unit-officer",
            "--unit",
            "XA-HOA-PHU",
            "--period",
            "2025",
        ]));
        let err = refused(&mut grant(&[
            "canbo",
            "unit-officer",
            "--unit",
            "XA-HOA-PHU",
            "--period",
            "2025",
        ]));
        assert!(
            err.contains("Người dùng này đã có đúng vai trò này."),
            "{err}"
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_units_import_is_checked_as_on_the_import_page() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let with_db = |c: &mut Command| {
            c.arg("--database-url").arg(&t.url);
        };
        let mut c = chiso();
        c.args(["import", "units"])
            .arg(examples().join("units.csv"))
            .args(["--index-set", "KHONG-CO"]);
        with_db(&mut c);
        let err = refused(&mut c);
        assert_eq!(
            err.trim_end(),
            "lỗi: Chưa nhập danh sách đơn vị (2 lỗi):\n\
             Không có bộ chỉ số “KHONG-CO”.\n\
             Chỉ chọn bộ chỉ số khi đã chọn kỳ đánh giá.",
            "[{}]",
            backend.name()
        );
        assert!(chiso_store::units::list(&t.db).await.unwrap().is_empty());
        t.drop_database().await;
    }
}
