//! `chiso publish`, `chiso correct` and `chiso export results` on a published period, run as
//! the real binary on SQLite and (with `CHISO_TEST_PG`) PostgreSQL, on period 2025 of the
//! example communes.

use crate::common;

use std::path::Path;

use chiso_domain::{PeriodCode, UnitCode};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, results, units};
use common::{examples, fails, ok, seed_example_period, state};
use time::macros::datetime;

fn period() -> PeriodCode {
    PeriodCode::parse("2025").unwrap()
}

/// Exports the period's results to `file` and returns the bytes written.
fn export(url: &str, file: &Path, version: Option<&str>) -> Vec<u8> {
    let path = file.to_str().unwrap();
    let mut args = vec!["export", "results", "--period", "2025", "--out", path];
    if let Some(v) = version {
        args.extend(["--version", v]);
    }
    ok(url, &args);
    std::fs::read(file).unwrap()
}

const PUBLISH: [&str; 7] = [
    "publish",
    "--period",
    "2025",
    "--decision",
    "123/QĐ-UBND",
    "--date",
    "15/03/2026",
];

#[tokio::test]
async fn a_period_is_published_by_decision_once_then_refuses_a_second_publication_and_scores() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seed_example_period(&t.url, t.dir());
        let name = backend.name();

        let before = state(&t.db, &period()).await;
        for bad in ["15/03/26", "32/01/2026", "15-03"] {
            let mut args = PUBLISH.to_vec();
            args[6] = bad;
            let err = fails(&t.url, &args);
            assert_eq!(
                err.trim_end(),
                format!(
                    "lỗi: --date \"{bad}\" không phải là ngày hợp lệ: hãy ghi ngày quyết định theo dạng dd/mm/yyyy, ví dụ 15/03/2027"
                ),
                "[{name}]"
            );
        }
        let mut future = PUBLISH.to_vec();
        future[6] = "01/01/2999";
        let err = fails(&t.url, &future);
        assert_eq!(
            err.trim_end(),
            "lỗi: Ngày quyết định 01/01/2999 ở sau ngày hôm nay.",
            "[{name}]"
        );
        assert_eq!(
            state(&t.db, &period()).await,
            before,
            "[{name}] nothing published"
        );

        let out = ok(&t.url, &PUBLISH);
        assert_eq!(
            out,
            "Đã công bố kết quả kỳ 2025 (phiên bản 1, 9 đơn vị) theo Quyết định số 123/QĐ-UBND ngày 15/03/2026.\n",
            "[{name}]"
        );
        let published = state(&t.db, &period()).await;
        let err = fails(&t.url, &PUBLISH);
        assert_eq!(
            err.trim_end(),
            "lỗi: Kỳ 2025 đã công bố; muốn công bố phiên bản mới phải mở đính chính trước.",
            "[{name}]"
        );
        assert_eq!(state(&t.db, &period()).await, published, "[{name}]");

        // Nor can scores be imported into it.
        let scores = examples().join("scores-long.csv");
        let err = fails(
            &t.url,
            &[
                "import",
                "scores",
                scores.to_str().unwrap(),
                "--period",
                "2025",
            ],
        );
        assert_eq!(
            err.trim_end(),
            "lỗi: Kỳ đánh giá 2025 đã công bố kết quả nên không thể thay đổi.",
            "[{name}]"
        );
        assert_eq!(state(&t.db, &period()).await, published, "[{name}]");
        t.drop_database().await;
    }
}

#[tokio::test]
async fn the_export_of_a_published_period_never_changes_with_live_data() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seed_example_period(&t.url, t.dir());
        let name = backend.name();
        let file = |n: &str| t.dir().join(n);

        // Before publication the administrator exports the confidential results.
        let live = export(&t.url, &file("live.csv"), None);
        let msg = ok(
            &t.url,
            &[
                "export",
                "results",
                "--period",
                "2025",
                "--out",
                file("live.json").to_str().unwrap(),
            ],
        );
        assert!(msg.contains("chưa công bố, bảo mật"), "[{name}] {msg}");
        let err = fails(
            &t.url,
            &[
                "export",
                "results",
                "--period",
                "2025",
                "--version",
                "1",
                "--out",
                file("none.csv").to_str().unwrap(),
            ],
        );
        assert_eq!(
            err.trim_end(),
            "lỗi: Kỳ 2025 không có phiên bản công bố số 1.",
            "[{name}]"
        );

        ok(&t.url, &PUBLISH);
        let first = export(&t.url, &file("v1.csv"), None);
        assert_eq!(
            first, live,
            "[{name}] the published figures are the computed ones"
        );
        assert!(String::from_utf8_lossy(&first).contains("Xã Tân Lập"));

        // The unit is renamed: the published file stays the same.
        let mut unit = units::get(&t.db, &UnitCode::parse("XA-TAN-LAP").unwrap())
            .await
            .unwrap()
            .unwrap();
        unit.name = "Xã Tân Lập (mới)".to_owned();
        units::update(
            &t.db,
            &unit,
            &Actor("admin".into()),
            datetime!(2026-03-20 03:00 UTC),
        )
        .await
        .unwrap();
        assert_eq!(
            export(&t.url, &file("renamed.csv"), None),
            first,
            "[{name}]"
        );

        // A correction is opened and the period computed again: the live results change, the
        // published version stays the one exported until the next publication.
        let err = fails(&t.url, &["correct", "--period", "2025"]);
        assert!(err.contains("--reason"), "[{name}] {err}");
        let err = fails(&t.url, &["correct", "--period", "2025", "--reason", "  "]);
        assert_eq!(err.trim_end(), "lỗi: Hãy nêu lý do đính chính.", "[{name}]");
        let out = ok(
            &t.url,
            &["correct", "--period", "2025", "--reason", "Đổi tên đơn vị"],
        );
        assert!(
            out.starts_with("Đã mở đính chính kỳ 2025")
                && out.contains(
                    "Phiên bản 1 (Quyết định số 123/QĐ-UBND ngày 15/03/2026) vẫn được công khai"
                )
                && out.contains("chiso publish --period 2025"),
            "[{name}] {out}"
        );
        ok(&t.url, &["recompute", "--period", "2025"]);
        let stored = results::load(&t.db, &period()).await.unwrap().unwrap();
        assert!(
            stored.units.iter().any(|u| u.name == "Xã Tân Lập (mới)"),
            "[{name}] the live results have the new name"
        );
        assert_eq!(export(&t.url, &file("during.csv"), None), first, "[{name}]");

        // Version 2 needs its reason and shows the new name; version 1 stays exportable.
        let err = fails(&t.url, &PUBLISH);
        assert_eq!(err.trim_end(), "lỗi: Hãy nêu lý do đính chính.", "[{name}]");
        let mut again = PUBLISH.to_vec();
        again[4] = "130/QĐ-UBND";
        again.extend(["--reason", "Đổi tên đơn vị"]);
        let out = ok(&t.url, &again);
        assert!(out.contains("(phiên bản 2, 9 đơn vị)"), "[{name}] {out}");
        let second = export(&t.url, &file("v2.csv"), None);
        assert!(String::from_utf8_lossy(&second).contains("Xã Tân Lập (mới)"));
        assert_eq!(
            export(&t.url, &file("v1-old.csv"), Some("1")),
            first,
            "[{name}]"
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_signed_decision_pdf_is_kept_with_the_publication_and_any_other_file_publishes_nothing() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seed_example_period(&t.url, t.dir());
        let name = backend.name();
        let data = t.dir().join("data");
        let data_dir = data.to_str().unwrap();
        let not_pdf = t.dir().join("quyet-dinh.pdf");
        std::fs::write(&not_pdf, "Quyết định số 123/QĐ-UBND (bản đánh máy)").unwrap();
        let signed = t.dir().join("QĐ 123 đã ký.pdf");
        let pdf =
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
        std::fs::write(&signed, pdf).unwrap();

        let before = state(&t.db, &period()).await;
        let mut args = PUBLISH.to_vec();
        args.extend(["--data-dir", data_dir, "--decision-file"]);
        let mut refused = args.clone();
        refused.push(not_pdf.to_str().unwrap());
        let err = fails(&t.url, &refused);
        assert!(err.contains("PDF"), "[{name}] {err}");
        assert_eq!(
            state(&t.db, &period()).await,
            before,
            "[{name}] nothing published"
        );

        args.push(signed.to_str().unwrap());
        let out = ok(&t.url, &args);
        assert!(
            out.contains("Đã lưu tệp quyết định kèm phiên bản 1."),
            "[{name}] {out}"
        );
        let blob = chiso_services::publication::decision_file(&t.db, &period(), 1)
            .await
            .expect("the decision file is recorded with version 1");
        let store = chiso_web::LocalDiskStore::open(&data.join("evidence"))
            .await
            .unwrap();
        assert_eq!(
            chiso_web::BlobStore::get_bytes(&store, &blob)
                .await
                .unwrap(),
            pdf,
            "[{name}] the signed file is kept as it was"
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn the_official_workbook_of_a_published_period_has_a_summary_group_sheets_and_criteria() {
    use calamine::{Data, Reader, Xlsx};
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seed_example_period(&t.url, t.dir());
        ok(&t.url, &PUBLISH);
        let csv = t.dir().join("bang.csv");
        let err = fails(
            &t.url,
            &[
                "export",
                "results",
                "--period",
                "2025",
                "--official",
                "--out",
                csv.to_str().unwrap(),
            ],
        );
        assert!(err.contains("--out") && err.contains(".xlsx"), "{err}");
        let file = t.dir().join("chi-so-cchc-2025.xlsx");
        ok(
            &t.url,
            &[
                "export",
                "results",
                "--period",
                "2025",
                "--official",
                "--out",
                file.to_str().unwrap(),
            ],
        );
        let bytes = std::fs::read(&file).unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).expect("workbook");
        let names = book.sheet_names();
        assert_eq!(
            names.first().map(String::as_str),
            Some("Tổng hợp"),
            "{names:?}"
        );
        assert_eq!(names.last().map(String::as_str), Some("Chi tiết tiêu chí"));
        assert!(names.len() >= 3, "{names:?}");
        let summary = book.worksheet_range("Tổng hợp").unwrap();
        let decision = summary.get_value((1, 0)).unwrap().to_string();
        assert!(
            decision.contains("Quyết định số 123/QĐ-UBND ngày 15/03/2026"),
            "{decision}"
        );
        // Units from row 4 on: rank and index are numbers.
        let first = summary.rows().nth(3).expect("a unit");
        assert!(matches!(first[1], Data::Float(_)), "{:?}", first[1]);
        assert!(first.iter().filter(|c| matches!(c, Data::Float(_))).count() >= 4);
        // The results table stays what --previous reads back.
        let table = t.dir().join("ket-qua.xlsx");
        let _ = export(&t.url, &table, None);
        chiso_formats::read_results(&table).expect("the table reads back");
    }
}
