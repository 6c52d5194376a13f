//! `chiso export results --out …pdf`, `chiso report self-assessment` and `chiso report
//! minutes`, run as the real binary on SQLite and (with `CHISO_TEST_PG`) PostgreSQL, on
//! period 2025 of the example communes: each writes a PDF holding the period's own units and
//! figures, with the issuer given on the command line.

use crate::common;

use chiso_domain::PeriodCode;
use chiso_domain::fmt::vi_decimal;
use chiso_pdf::poppler::{fonts, text};
use chiso_store::results;
use chiso_store::testing::{TestDb, backends};
use common::{fails, ok, seed_example_period};

const ISSUER: [&str; 4] = [
    "--report-signer",
    "Hoàng Minh Đức",
    "--report-place",
    "Thành phố Mẫu",
];

#[tokio::test]
async fn the_results_report_and_a_units_reports_are_written_as_pdf() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seed_example_period(&t.url, t.dir());
        ok(
            &t.url,
            &[
                "publish",
                "--period",
                "2025",
                "--decision",
                "123/QĐ-UBND",
                "--date",
                "15/03/2026",
            ],
        );
        let name = backend.name();
        let stored = results::load(&t.db, &PeriodCode::parse("2025").unwrap())
            .await
            .unwrap()
            .expect("results");

        let out = t.dir().join("bao-cao.pdf");
        let mut args = vec!["export", "results", "--period", "2025", "--out"];
        args.push(out.to_str().unwrap());
        args.extend(ISSUER);
        let said = ok(&t.url, &args);
        assert!(said.contains("Đã ghi báo cáo"), "[{name}] {said}");
        let pdf = std::fs::read(&out).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        let s = text(&pdf);
        for expected in [
            "Độc lập - Tự do - Hạnh phúc",
            "Kèm theo Quyết định số 123/QĐ-UBND ngày 15/03/2026",
            "Thành phố Mẫu, ngày 15 tháng 3 năm 2026",
            "Hoàng Minh Đức",
        ] {
            assert!(
                s.contains(expected),
                "[{name}] {expected:?} missing from:\n{s}"
            );
        }
        for u in &stored.units {
            assert!(s.contains(&u.name), "[{name}] {} missing", u.name);
            assert!(s.contains(&vi_decimal(u.index, 2)), "[{name}] {}", u.index);
        }
        assert!(fonts(&pdf).iter().all(|f| f.embedded));

        let unit = &stored.units[0];
        let out = t.dir().join("tu-danh-gia.pdf");
        let mut args = vec!["report", "self-assessment", "--period", "2025", "--unit"];
        args.push(unit.unit.as_str());
        args.extend(["--out", out.to_str().unwrap()]);
        ok(&t.url, &args);
        let s = text(&std::fs::read(&out).unwrap());
        assert!(s.contains(&unit.name), "[{name}] {s}");
        assert!(
            s.contains("Tự đánh giá, chấm điểm Chỉ số cải cách hành chính"),
            "{s}"
        );

        let out = t.dir().join("bien-ban.pdf");
        let mut args = vec!["report", "minutes", "--period", "2025", "--unit"];
        args.push(unit.unit.as_str());
        args.extend(["--out", out.to_str().unwrap()]);
        ok(&t.url, &args);
        let s = text(&std::fs::read(&out).unwrap());
        assert!(
            s.contains(&format!("Thẩm định kết quả tự đánh giá của {}", unit.name)),
            "[{name}] {s}"
        );

        let err = fails(
            &t.url,
            &[
                "report",
                "minutes",
                "--period",
                "2025",
                "--unit",
                unit.unit.as_str(),
                "--out",
                "bien-ban.txt",
            ],
        );
        assert!(err.contains("phải có đuôi .pdf"), "[{name}] {err}");
    }
}
