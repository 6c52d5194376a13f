//! `chiso survey` as an administrator runs a survey of the demo province's period in progress:
//! the questionnaire defined from a file, a long answer file checked then imported, the points
//! read back, the survey closed into the period's survey leaf and the results exported with
//! their intervals; run as the real binary on SQLite and (with `CHISO_TEST_PG`) PostgreSQL.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use chiso_domain::questionnaire::{
    LeafRule, Question, QuestionTarget, QuestionnaireKind, RespondentGroup, SurveyDefinition,
};
use chiso_domain::{GroupName, NodeCode, PeriodCode, Points, Source, UnitCode};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Db, index_sets, periods, scores};
use common::{chiso_on, fails, ok, state};
use rust_decimal::Decimal;

fn period() -> PeriodCode {
    PeriodCode::parse("2026").unwrap()
}

/// The first group of units of 2026, its units, and the first survey leaf of its set with its
/// maximum.
async fn target(db: &Db) -> (GroupName, Vec<UnitCode>, NodeCode, Points) {
    let (group, set) = periods::groups(db, &period()).await.unwrap().remove(0);
    let set = index_sets::get(db, &set).await.unwrap().unwrap();
    let leaf = set
        .nodes
        .iter()
        .flat_map(|n| n.walk())
        .find(|n| n.is_leaf() && n.source == Source::Survey)
        .expect("a survey leaf")
        .clone();
    let units = periods::members(db, &period())
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.group == group)
        .map(|m| m.unit)
        .collect();
    (group, units, leaf.code, leaf.max)
}

/// One respondent group of leaders asking two questions about `leaf`, two valid answers
/// needed per unit.
fn definition(group: &GroupName, leaf: &NodeCode) -> SurveyDefinition {
    let question = |code: &str, text: &str| Question {
        code: code.into(),
        text: text.into(),
        target: QuestionTarget::Leaf(leaf.clone()),
    };
    SurveyDefinition {
        code: "KS-2026".into(),
        name: "Điều tra xã hội học năm 2026".into(),
        groups: vec![RespondentGroup {
            code: "LD".into(),
            name: "Lãnh đạo sở, ngành".into(),
            target: Some(4),
            evaluates: group.clone(),
            kind: QuestionnaireKind::Sociological,
            questions: vec![
                question("C1", "Mức độ công khai, minh bạch"),
                question("C2", "Mức độ thuận tiện"),
            ],
            options: vec![],
        }],
        leaves: vec![LeafRule {
            leaf: leaf.clone(),
            minimum: 2,
            group_weights: BTreeMap::new(),
        }],
    }
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Loads the demo province and defines the survey from its JSON file; returns what it asks
/// about.
async fn defined(t: &TestDb) -> (Vec<UnitCode>, NodeCode, Points) {
    ok(&t.url, &["demo"]);
    let (group, units, leaf, max) = target(&t.db).await;
    let json = t.dir().join("phieu.json");
    std::fs::write(
        &json,
        serde_json::to_string(&definition(&group, &leaf)).unwrap(),
    )
    .unwrap();
    let out = ok(
        &t.url,
        &["survey", "define", "--period", "2026", arg(&json)],
    );
    assert_eq!(
        out.trim_end(),
        "Đã tạo đợt điều tra KS-2026 (Điều tra xã hội học năm 2026) của kỳ 2026: 1 nhóm đối \
         tượng, 2 câu hỏi."
    );
    (units, leaf, max)
}

/// Four respondents: about the first unit A, A / B, D / A, E / E, E (five valid answers:
/// (1 + 1 + 0,6 + 0 + 1) / 5 = 0,72 of the maximum); about the second unit one A, A.
fn answers(dir: &Path, units: &[UnitCode]) -> std::path::PathBuf {
    let (u0, u1) = (&units[0], &units[1]);
    let csv = format!(
        "ma_phieu,nhom,don_vi,cau_hoi,tra_loi\n\
         r1,LD,{u0},C1,A\nr1,LD,{u0},C2,A\n\
         r2,LD,{u0},C1,B\nr2,LD,{u0},C2,D\n\
         r3,LD,{u0},C1,A\nr3,LD,{u0},C2,E\n\
         r4,LD,{u0},C1,E\nr4,LD,{u0},C2,E\n\
         r4,LD,{u1},C1,A\nr4,LD,{u1},C2,A\n"
    );
    let path = dir.join("thu-thap.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

const IMPORT: [&str; 6] = [
    "survey", "import", "--period", "2026", "--survey", "KS-2026",
];

fn import(url: &str, file: &Path, extra: &[&str]) -> String {
    let mut args = IMPORT.to_vec();
    args.extend(extra);
    args.push(arg(file));
    ok(url, &args)
}

/// The CSV row of `unit` on `leaf` in `chiso survey points --format csv`, by column name.
fn points_row(url: &str, unit: &UnitCode, leaf: &NodeCode) -> BTreeMap<String, String> {
    let csv = ok(
        url,
        &[
            "survey", "points", "--period", "2026", "--survey", "KS-2026", "--format", "csv",
        ],
    );
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "unit",
            "name",
            "group",
            "leaf",
            "max",
            "points",
            "valid",
            "below_minimum",
            "decision",
            "decided_points"
        ]
    );
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_owned))
                .collect::<BTreeMap<_, _>>()
        })
        .find(|r| r["unit"] == unit.as_str() && r["leaf"] == leaf.as_str())
        .expect("a row per unit and leaf")
}

#[tokio::test]
async fn a_survey_is_defined_fed_by_a_long_answer_file_read_as_points_and_closed_into_its_leaf() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let name = backend.name();
        let (units, leaf, max) = defined(&t).await;

        let list = ok(&t.url, &["survey", "list", "--period", "2026"]);
        assert_eq!(
            list.lines().next(),
            Some("KS-2026\tđang thu thập\tĐiều tra xã hội học năm 2026\tnhóm đối tượng: LD"),
            "[{name}]"
        );

        let file = answers(t.dir(), &units);
        let out = import(&t.url, &file, &[]);
        assert_eq!(
            out,
            "Tệp thu-thap.csv: 10 dòng, 10 câu trả lời của 4 phiếu.\n\
             Đã nhập 10 câu trả lời của 4 phiếu mới; bỏ qua 0 phiếu đã có (0 câu trả lời).\n",
            "[{name}]"
        );

        let first = points_row(&t.url, &units[0], &leaf);
        let expected = (max.value() * Decimal::new(72, 2)).normalize();
        assert_eq!(first["points"], expected.to_string(), "[{name}] {first:?}");
        assert_eq!(first["max"], max.value().normalize().to_string());
        assert_eq!(first["valid"], "5");
        assert_eq!(first["below_minimum"], "no");
        assert_eq!(first["decision"], "");
        let second = points_row(&t.url, &units[1], &leaf);
        assert_eq!(second["points"], max.value().normalize().to_string());
        assert_eq!(second["valid"], "2");
        // Nobody answered about the third unit.
        let third = points_row(&t.url, &units[2], &leaf);
        assert_eq!(
            (third["points"].as_str(), third["valid"].as_str()),
            ("", "")
        );

        let table = ok(
            &t.url,
            &[
                "survey", "points", "--period", "2026", "--survey", "KS-2026",
            ],
        );
        assert!(table.starts_with("Đơn vị"), "[{name}] {table}");
        assert!(table.contains(units[0].as_str()), "[{name}] {table}");

        // The questionnaire workbook and the group's XLSForm are written as workbooks.
        let workbook = t.dir().join("phieu.xlsx");
        let out = ok(
            &t.url,
            &[
                "survey",
                "export",
                "--period",
                "2026",
                "--survey",
                "KS-2026",
                "--out",
                arg(&workbook),
            ],
        );
        assert!(
            out.starts_with("Đã ghi phiếu của đợt điều tra KS-2026"),
            "{out}"
        );
        assert!(std::fs::read(&workbook).unwrap().starts_with(b"PK"));
        let form = t.dir().join("ld.xlsx");
        let out = ok(
            &t.url,
            &[
                "survey",
                "form",
                "--period",
                "2026",
                "--survey",
                "KS-2026",
                "--group",
                "ld",
                "--out",
                arg(&form),
            ],
        );
        assert!(
            out.starts_with(&format!(
                "Đã ghi biểu mẫu XLSForm của nhóm LD ({} đơn vị)",
                units.len()
            )),
            "[{name}] {out}"
        );
        assert!(std::fs::read(&form).unwrap().starts_with(b"PK"));
        let err = fails(
            &t.url,
            &[
                "survey",
                "form",
                "--period",
                "2026",
                "--survey",
                "KS-2026",
                "--group",
                "KHAC",
                "--out",
                arg(&form),
            ],
        );
        assert!(
            err.contains("không có nhóm đối tượng \"KHAC\" (dùng: LD)"),
            "{err}"
        );

        let out = ok(
            &t.url,
            &["survey", "close", "--period", "2026", "--survey", "KS-2026"],
        );
        assert!(
            out.starts_with("Đã khóa đợt điều tra KS-2026: ghi 2 giá trị"),
            "[{name}] {out}"
        );
        let stored = scores::list(&t.db, &period()).await.unwrap();
        let written = stored
            .iter()
            .find(|s| s.unit == units[0] && s.node == leaf)
            .expect("the leaf's score");
        assert_eq!(
            written.points.map(|p| p.value().normalize()),
            Some(expected),
            "[{name}]"
        );
        let list = ok(&t.url, &["survey", "list", "--period", "2026"]);
        assert!(list.contains("\tđã khóa\t"), "[{name}] {list}");
        // A closed survey takes no more answers.
        let out = chiso_on(&t.url, &[&IMPORT[..], &[arg(&file)]].concat());
        assert!(!out.status.success(), "[{name}]");
    }
}

#[tokio::test]
async fn the_same_answer_file_imported_twice_adds_nothing_and_a_dry_run_stores_nothing() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let name = backend.name();
        let (units, leaf, _) = defined(&t).await;
        let file = answers(t.dir(), &units);

        let out = import(&t.url, &file, &["--dry-run"]);
        assert_eq!(
            out,
            "Tệp thu-thap.csv: 10 dòng, 10 câu trả lời của 4 phiếu (4 phiếu mới, 0 phiếu đã có).\n\
             Chạy thử: chưa ghi gì vào cơ sở dữ liệu.\n",
            "[{name}]"
        );
        assert_eq!(
            points_row(&t.url, &units[0], &leaf)["valid"],
            "",
            "[{name}]"
        );

        import(&t.url, &file, &[]);
        let before = points_row(&t.url, &units[0], &leaf);
        let out = import(&t.url, &file, &[]);
        assert_eq!(
            out,
            "Tệp thu-thap.csv: 10 dòng, 10 câu trả lời của 4 phiếu.\n\
             Đã nhập 0 câu trả lời của 0 phiếu mới; bỏ qua 4 phiếu đã có (10 câu trả lời).\n",
            "[{name}]"
        );
        assert_eq!(points_row(&t.url, &units[0], &leaf), before, "[{name}]");
    }
}

#[tokio::test]
async fn a_bad_answer_file_lists_every_problem_with_its_row_and_column_and_changes_nothing() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let name = backend.name();
        let (units, leaf, _) = defined(&t).await;
        let u0 = &units[0];
        let bad = t.dir().join("sai.csv");
        std::fs::write(
            &bad,
            format!(
                "ma_phieu,nhom,don_vi,cau_hoi,tra_loi\n\
                 r1,LD,{u0},C1,A\n\
                 r1,LD,KHONG-CO,C1,A\n\
                 r2,LD,{u0},C9,A\n\
                 r3,LD,{u0},C1,F\n"
            ),
        )
        .unwrap();
        let before = state(&t.db, &period()).await;

        let err = fails(&t.url, &[&IMPORT[..], &[arg(&bad)]].concat());
        for (row, column) in [(3, "don_vi"), (4, "cau_hoi"), (5, "tra_loi")] {
            assert!(
                err.contains(&format!("sai.csv, dòng {row}, cột \"{column}\"")),
                "[{name}] row {row}: {err}"
            );
        }
        assert!(!err.contains("dòng 2,"), "[{name}] {err}");
        assert_eq!(state(&t.db, &period()).await, before, "[{name}]");
        assert_eq!(points_row(&t.url, u0, &leaf)["valid"], "", "[{name}]");
    }
}

#[tokio::test]
async fn a_questionnaire_that_does_not_fit_the_period_is_refused_with_every_problem() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let name = backend.name();
        ok(&t.url, &["demo"]);
        let (group, _, leaf, _) = target(&t.db).await;
        let mut def = definition(&group, &leaf);
        def.groups[0].evaluates = GroupName::parse("Không có nhóm này").unwrap();
        def.groups[0].questions[1].code = "C1".into();
        let json = t.dir().join("sai.json");
        std::fs::write(&json, serde_json::to_string(&def).unwrap()).unwrap();

        let err = fails(
            &t.url,
            &["survey", "define", "--period", "2026", arg(&json)],
        );
        assert!(
            err.contains("nhóm đơn vị “Không có nhóm này”"),
            "[{name}] {err}"
        );
        assert!(err.contains("câu hỏi “C1” trùng mã"), "[{name}] {err}");
        // Only the demo's own survey is listed.
        let list = ok(&t.url, &["survey", "list", "--period", "2026"]);
        assert_eq!(list.lines().count(), 1, "[{name}] {list}");
        assert!(list.starts_with("XHH-2026\t"), "[{name}] {list}");
    }
}

#[tokio::test]
async fn bench_data_writes_the_same_survey_from_the_same_seed_and_it_imports_into_its_period() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str| {
        let out = dir.path().join(name);
        let args = [
            "bench-data",
            "--units",
            "240",
            "--leaves",
            "20",
            "--survey-respondents",
            "300",
            "--out",
            arg(&out),
        ];
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_chiso"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        out
    };
    let (a, b) = (write("a"), write("b"));
    for f in ["survey.json", "survey_answers.csv"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    let answers = std::fs::read_to_string(a.join("survey_answers.csv")).unwrap();
    let rows = answers.lines().count() - 1;
    // Twenty answers per respondent on average.
    assert!((5_000..=7_000).contains(&rows), "{rows}");

    let t = TestDb::new(&backends()[0]).await;
    ok(
        &t.url,
        &["import", "index-set", arg(&a.join("index-set.yaml"))],
    );
    ok(
        &t.url,
        &[
            "import",
            "units",
            arg(&a.join("units.csv")),
            "--period",
            "2026",
            "--index-set",
            "TONG-HOP",
        ],
    );
    ok(
        &t.url,
        &[
            "survey",
            "define",
            "--period",
            "2026",
            arg(&a.join("survey.xlsx")),
        ],
    );
    let out = ok(
        &t.url,
        &[
            "survey",
            "import",
            "--period",
            "2026",
            "--survey",
            "XHH-TONG-HOP",
            arg(&a.join("survey_answers.csv")),
        ],
    );
    assert!(
        out.ends_with(&format!(
            "Đã nhập {rows} câu trả lời của 300 phiếu mới; bỏ qua 0 phiếu đã có (0 câu trả lời).\n"
        )),
        "{out}"
    );
}

#[tokio::test]
async fn the_demo_survey_closes_once_every_unit_below_the_minimum_has_a_decision() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let name = backend.name();
        ok(&t.url, &["demo"]);
        let base = ["--period", "2026", "--survey", "XHH-2026"];
        let with = |cmd: &[&'static str], more: &[&str]| -> Vec<String> {
            let mut v: Vec<String> = ["survey"]
                .iter()
                .chain(cmd)
                .map(|s| (*s).to_owned())
                .collect();
            v.extend(base.iter().map(|s| (*s).to_owned()));
            v.extend(more.iter().map(|s| (*s).to_owned()));
            v
        };
        fn args(v: &[String]) -> Vec<&str> {
            v.iter().map(String::as_str).collect()
        }

        let err = fails(&t.url, &args(&with(&["close"], &[])));
        assert!(err.contains("chưa có quyết định"), "[{name}] {err}");

        let csv = ok(&t.url, &args(&with(&["points"], &["--format", "csv"])));
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let thin: Vec<(String, String)> = reader
            .records()
            .map(|r| r.unwrap())
            .filter(|r| &r[7] == "yes")
            .map(|r| (r[0].to_owned(), r[3].to_owned()))
            .collect();
        assert!(
            !thin.is_empty(),
            "[{name}] the demo has units below the minimum"
        );

        // Points above the maximum and an empty reason are both refused.
        let (u, l) = &thin[0];
        let err = fails(
            &t.url,
            &args(&with(
                &["decide"],
                &["--unit", u, "--leaf", l, "--points", "999", "--reason", " "],
            )),
        );
        assert!(
            err.contains("999") && err.contains("lý do"),
            "[{name}] {err}"
        );

        for (i, (u, l)) in thin.iter().enumerate() {
            let out = if i == 0 {
                ok(
                    &t.url,
                    &args(&with(
                        &["decide"],
                        &[
                            "--unit",
                            u,
                            "--leaf",
                            l,
                            "--points",
                            "0,5",
                            "--reason",
                            "Theo kết luận của Hội đồng",
                        ],
                    )),
                )
            } else {
                ok(
                    &t.url,
                    &args(&with(
                        &["decide"],
                        &["--unit", u, "--leaf", l, "--reason", "Giữ điểm"],
                    )),
                )
            };
            assert!(out.starts_with("Đã ghi quyết định"), "[{name}] {out}");
        }
        let out = ok(&t.url, &args(&with(&["close"], &[])));
        assert!(
            out.starts_with("Đã khóa đợt điều tra XHH-2026"),
            "[{name}] {out}"
        );
        let stored = scores::list(&t.db, &PeriodCode::parse("2026").unwrap())
            .await
            .unwrap();
        let set = stored
            .iter()
            .find(|s| s.unit.as_str() == thin[0].0 && s.node.as_str() == thin[0].1)
            .and_then(|s| s.points);
        assert_eq!(set, Some(Points::new(Decimal::new(5, 1))), "[{name}]");

        // The results exported now carry each unit's 90 % intervals, as numbers.
        let file = t.dir().join("ket-qua-2026.xlsx");
        ok(
            &t.url,
            &[
                "export",
                "results",
                "--period",
                "2026",
                "--out",
                file.to_str().unwrap(),
            ],
        );
        use calamine::Reader as _;
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
        assert!(
            wb.sheet_names().contains(&"Độ tin cậy".to_owned()),
            "[{name}]"
        );
        let range = wb.worksheet_range("Kết quả").unwrap();
        let header = |text: &str| {
            (0..range.width())
                .find(|c| {
                    range
                        .get((0, *c))
                        .is_some_and(|d| matches!(d, calamine::Data::String(s) if s == text))
                })
                .unwrap_or_else(|| panic!("[{name}] no column {text}"))
        };
        let (index, low, high, best, worst) = (
            header("Chỉ số (%)"),
            header("Chỉ số thấp nhất (khoảng tin cậy 90 %)"),
            header("Chỉ số cao nhất (khoảng tin cậy 90 %)"),
            header("Hạng cao nhất (khoảng tin cậy 90 %)"),
            header("Hạng thấp nhất (khoảng tin cậy 90 %)"),
        );
        let number = |r: usize, c: usize| match range.get((r, c)) {
            Some(&calamine::Data::Float(f)) => f,
            other => panic!("[{name}] row {r}, column {c}: {other:?}"),
        };
        // Units of the groups the survey evaluates have intervals; the others leave them empty.
        let with: Vec<usize> = (1..range.height())
            .filter(|r| range.get((*r, low)) != Some(&calamine::Data::Empty))
            .collect();
        assert!(with.len() > 1, "[{name}] {with:?}");
        for r in with {
            assert!(
                number(r, low) <= number(r, index) && number(r, index) <= number(r, high),
                "[{name}] row {r}"
            );
            // A unit the results do not rank has no rank interval.
            if range.get((r, best)) != Some(&calamine::Data::Empty) {
                assert!(1.0 <= number(r, best) && number(r, best) <= number(r, worst));
            }
        }
        t.drop_database().await;
    }
}
