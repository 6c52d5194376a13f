//! `chiso survey`: a period's survey from the command line, through the same services as the
//! survey pages, so that a definition, an answer file or a closing is checked and audited
//! alike whichever way it comes in. Answer files of a million rows are the reason this exists
//! beside the web upload: they are read from disk in streaming, with a progress bar.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Result, anyhow};
use chiso_domain::{Clock, PeriodCode};
use chiso_services::surveys::{self, AnswerFile, Cell, Overview};
use chiso_web::SystemClock;

use crate::cli::{DbArgs, PointsFormat, SurveyCommand};
use crate::commands::{app, cli_principal, existing_period, file, open, readable};
use crate::io_text::{Access, describe};

pub async fn run(what: SurveyCommand, clock: &SystemClock) -> Result<()> {
    match what {
        SurveyCommand::Define { db, period, file } => define(&db, &period, &file, clock).await,
        SurveyCommand::List { db, period } => list(&db, &period).await,
        SurveyCommand::Import {
            db,
            period,
            survey,
            group,
            dry_run,
            file,
        } => {
            let args = ImportArgs {
                survey,
                group,
                dry_run,
            };
            import(&db, &period, &args, &file, clock).await
        }
        SurveyCommand::Points {
            db,
            period,
            survey,
            format,
        } => points(&db, &period, &survey, format).await,
        SurveyCommand::Close { db, period, survey } => close(&db, &period, &survey, clock).await,
        SurveyCommand::Decide {
            db,
            period,
            survey,
            unit,
            leaf,
            points,
            reason,
        } => {
            let d = Decision {
                unit,
                leaf,
                points,
                reason,
            };
            decide(&db, &period, &survey, &d, clock).await
        }
        SurveyCommand::Form {
            db,
            period,
            survey,
            group,
            out,
        } => form(&db, &period, &survey, &group, &out).await,
        SurveyCommand::Export {
            db,
            period,
            survey,
            out,
        } => export(&db, &period, &survey, &out).await,
    }
}

/// Writes a file a command produced, naming it in Vietnamese when it cannot.
fn write_out(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| anyhow!(describe(&e, path, Access::Write)))
}

async fn define(db: &DbArgs, period: &str, path: &Path, clock: &SystemClock) -> Result<()> {
    readable(path)?;
    // The file's own mistakes are listed before the database is opened.
    let definition = chiso_formats::survey::read_questionnaire(path).map_err(file)?;
    let db = open(db).await?;
    let period = existing_period(&db, period).await?;
    let survey = surveys::create(&db, &cli_principal(), &period, &definition, clock.now())
        .await
        .map_err(app)?;
    let questions: usize = definition.groups.iter().map(|g| g.questions.len()).sum();
    println!(
        "Đã tạo đợt điều tra {} ({}) của kỳ {period}: {} nhóm đối tượng, {questions} câu hỏi.",
        survey.code,
        survey.name,
        definition.groups.len()
    );
    Ok(())
}

/// The Vietnamese word for a survey's status as stored.
fn status_vi(status: &str) -> &str {
    match status {
        "open" => "đang thu thập",
        "closed" => "đã khóa",
        other => other,
    }
}

async fn list(db: &DbArgs, period: &str) -> Result<()> {
    let db = open(db).await?;
    let period = existing_period(&db, period).await?;
    let list = surveys::list(&db, &cli_principal(), &period)
        .await
        .map_err(app)?;
    if list.is_empty() {
        println!("Kỳ {period} chưa có đợt điều tra nào.");
    }
    for s in list {
        let groups: Vec<&str> = s
            .definition
            .groups
            .iter()
            .map(|g| g.code.as_str())
            .collect();
        println!(
            "{}\t{}\t{}\tnhóm đối tượng: {}",
            s.code,
            status_vi(&s.status),
            s.name,
            groups.join(", ")
        );
    }
    Ok(())
}

/// The switches of `chiso survey import` besides the database, period and file.
#[derive(Debug)]
struct ImportArgs {
    survey: String,
    group: Option<String>,
    dry_run: bool,
}

async fn import(
    db: &DbArgs,
    period: &str,
    args: &ImportArgs,
    path: &Path,
    clock: &SystemClock,
) -> Result<()> {
    readable(path)?;
    let db = open(db).await?;
    let period = existing_period(&db, period).await?;
    let answers = AnswerFile {
        path: path.to_path_buf(),
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        group: args.group.clone(),
    };
    let p = cli_principal();
    if args.dry_run {
        // Only the check: every problem is listed with its row and column, and what
        // importing would add.
        let checking = crate::progress::spinner("Đang kiểm tra tệp…");
        let preview =
            surveys::preview_answers(&db, &p, &period, &args.survey, &answers, |_| {}).await;
        checking.finish_and_clear();
        let preview = preview.map_err(app)?;
        let st = preview.stats;
        println!(
            "Tệp {}: {} dòng, {} câu trả lời của {} phiếu ({} phiếu mới, {} phiếu đã có).",
            preview.file_name,
            st.rows,
            st.answers,
            st.respondents,
            preview.new_respondents,
            preview.stored_respondents
        );
        println!("Chạy thử: chưa ghi gì vào cơ sở dữ liệu.");
        return Ok(());
    }
    // One read: the file is checked as it is written, in one transaction, so a file with a
    // problem writes nothing and lists every problem, as the check alone would.
    let total = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let bar = crate::progress::bar(total);
    let shown = bar.clone();
    let on_progress = move |pr: chiso_formats::survey::Progress| {
        if pr.bytes_total > 0 {
            shown.set_length(pr.bytes_total);
        }
        shown.set_position(pr.bytes_read);
        shown.set_message(format!("{} dòng, {} dòng lỗi", pr.rows, pr.rejected_rows));
    };
    let done = surveys::import_answers(
        &db,
        &p,
        &period,
        &args.survey,
        &answers,
        clock.now(),
        on_progress,
    )
    .await;
    bar.finish_and_clear();
    let done = done.map_err(app)?;
    let (st, c) = (done.stats, done.counts);
    println!(
        "Tệp {}: {} dòng, {} câu trả lời của {} phiếu.",
        answers.file_name, st.rows, st.answers, st.respondents
    );
    println!(
        "Đã nhập {} câu trả lời của {} phiếu mới; bỏ qua {} phiếu đã có ({} câu trả lời).",
        c.answers_added, c.respondents_added, c.respondents_skipped, c.answers_skipped
    );
    Ok(())
}

/// The decision on a cell as a word and the points set by hand, if any.
fn decision_of(cell: &Cell) -> (&'static str, String) {
    match &cell.decision {
        None => ("", String::new()),
        Some(d) => match d.points {
            Some(p) => ("set", p.normalize().to_string()),
            None => ("keep", String::new()),
        },
    }
}

/// `field` quoted for CSV when it holds a separator, a quote or a line break.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// The points as CSV: one row per evaluated unit and leaf, numbers in plain notation and full
/// precision so that another tool can check them; a unit nobody answered about on a leaf (or
/// whose set lacks it) has empty points.
fn points_csv(ov: &Overview) -> String {
    let mut out = String::from(
        "unit,name,group,leaf,max,points,valid,below_minimum,decision,decided_points\n",
    );
    for row in &ov.rows {
        for (cell, leaf) in row.cells.iter().zip(&ov.leaves) {
            let (max, points, valid, below, decision, decided) = match cell {
                None => Default::default(),
                Some(c) => {
                    let (d, p) = decision_of(c);
                    (
                        c.max.value().normalize().to_string(),
                        c.result
                            .points
                            .map(|p| p.value().normalize().to_string())
                            .unwrap_or_default(),
                        c.result.valid.to_string(),
                        if c.result.below_minimum { "yes" } else { "no" }.to_owned(),
                        d.to_owned(),
                        p,
                    )
                }
            };
            let _ = writeln!(
                out,
                "{},{},{},{},{max},{points},{valid},{below},{decision},{decided}",
                csv_field(row.unit.as_str()),
                csv_field(&row.name),
                csv_field(row.group.as_str()),
                csv_field(leaf.leaf.as_str()),
            );
        }
    }
    out
}

/// The points as aligned columns: Vietnamese numbers to two decimals.
fn points_table(ov: &Overview) -> String {
    use chiso_domain::fmt::vi_decimal;
    let mut rows: Vec<[String; 6]> = vec![[
        "Đơn vị".into(),
        "Tiêu chí".into(),
        "Điểm/Tối đa".into(),
        "Hợp lệ".into(),
        "Dưới tối thiểu".into(),
        "Quyết định".into(),
    ]];
    for row in &ov.rows {
        for (cell, leaf) in row.cells.iter().zip(&ov.leaves) {
            let unit = row.unit.to_string();
            let leaf = leaf.leaf.to_string();
            rows.push(match cell {
                None => [
                    unit,
                    leaf,
                    "—".into(),
                    "0".into(),
                    String::new(),
                    String::new(),
                ],
                Some(c) => {
                    let points = c
                        .result
                        .points
                        .map_or_else(|| "—".to_owned(), |p| vi_decimal(p.value(), 2));
                    let decision = match decision_of(c) {
                        ("set", p) => format!("đặt điểm {p}"),
                        ("keep", _) => "giữ điểm tính".to_owned(),
                        _ if c.undecided() => "chờ quyết định".to_owned(),
                        _ => String::new(),
                    };
                    [
                        unit,
                        leaf,
                        format!("{points}/{}", vi_decimal(c.max.value(), 2)),
                        c.result.valid.to_string(),
                        if c.result.below_minimum { "có" } else { "" }.to_owned(),
                        decision,
                    ]
                }
            });
        }
    }
    let mut widths = [0usize; 6];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in &rows {
        let mut line = String::new();
        for (i, (c, w)) in r.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(c);
            line.extend(std::iter::repeat_n(' ', w - c.chars().count()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

async fn overview(db: &DbArgs, period: &str, survey: &str) -> Result<(PeriodCode, Overview)> {
    let db = open(db).await?;
    let period = existing_period(&db, period).await?;
    let ov = surveys::overview(&db, &cli_principal(), &period, survey)
        .await
        .map_err(app)?;
    Ok((period, ov))
}

async fn points(db: &DbArgs, period: &str, survey: &str, format: PointsFormat) -> Result<()> {
    let (_, ov) = overview(db, period, survey).await?;
    let text = match format {
        PointsFormat::Csv => points_csv(&ov),
        PointsFormat::Table => points_table(&ov),
    };
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A reader that stopped early (`| head`) wanted no more.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => {
            return Err(anyhow!(
                "không ghi được kết quả: {}",
                crate::io_text::reason(&e)
            ));
        }
        Ok(()) => {}
    }
    if format == PointsFormat::Table && ov.left_out > 0 {
        eprintln!(
            "{} câu trả lời đã lưu không còn thuộc phiếu (định nghĩa đã đổi), không được tính.",
            ov.left_out
        );
    }
    Ok(())
}

/// A decision as typed on the command line.
struct Decision {
    unit: String,
    leaf: String,
    points: Option<String>,
    reason: String,
}

async fn decide(
    db: &DbArgs,
    period: &str,
    survey: &str,
    d: &Decision,
    clock: &SystemClock,
) -> Result<()> {
    let unit = chiso_domain::UnitCode::parse(&d.unit)
        .map_err(|e| anyhow!("mã đơn vị \"{}\": {e}", d.unit))?;
    let leaf = chiso_domain::NodeCode::parse(&d.leaf)
        .map_err(|e| anyhow!("mã tiêu chí \"{}\": {e}", d.leaf))?;
    let db = open(db).await?;
    let period = existing_period(&db, period).await?;
    let cmd = surveys::Decide {
        unit,
        leaf,
        points: d.points.clone(),
        reason: d.reason.clone(),
    };
    surveys::decide(&db, &cli_principal(), &period, survey, &cmd, clock.now())
        .await
        .map_err(app)?;
    match &d.points {
        Some(p) => println!(
            "Đã ghi quyết định: {} – tiêu chí {}, đặt {} điểm.",
            d.unit, d.leaf, p
        ),
        None => println!(
            "Đã ghi quyết định: {} – tiêu chí {}, giữ điểm đã tính.",
            d.unit, d.leaf
        ),
    }
    Ok(())
}

async fn close(db: &DbArgs, period: &str, survey: &str, clock: &SystemClock) -> Result<()> {
    let db = open(db).await?;
    let period = existing_period(&db, period).await?;
    let closed = surveys::close(&db, &cli_principal(), &period, survey, clock.now())
        .await
        .map_err(app)?;
    println!(
        "Đã khóa đợt điều tra {survey}: ghi {} giá trị ({} thay đổi); đã tính lại kỳ {period} ({} đơn vị).",
        closed.values, closed.changed, closed.units
    );
    Ok(())
}

async fn form(db: &DbArgs, period: &str, survey: &str, group: &str, out: &Path) -> Result<()> {
    let (_, ov) = overview(db, period, survey).await?;
    let Some(progress) = ov
        .groups
        .iter()
        .find(|g| g.code.eq_ignore_ascii_case(group.trim()))
    else {
        let known: Vec<&str> = ov.groups.iter().map(|g| g.code.as_str()).collect();
        return Err(anyhow!(
            "đợt điều tra {survey} không có nhóm đối tượng \"{group}\" (dùng: {})",
            known.join(", ")
        ));
    };
    // The units the group evaluates, in the period's order, as the survey page lists them.
    let units: Vec<_> = progress
        .units
        .iter()
        .map(|(u, name, _)| (u.clone(), name.clone()))
        .collect();
    let bytes = chiso_formats::survey::xlsform_xlsx(&ov.survey.definition, &progress.code, &units)
        .map_err(|e| anyhow!("{e}"))?;
    write_out(out, &bytes)?;
    println!(
        "Đã ghi biểu mẫu XLSForm của nhóm {} ({} đơn vị) vào {}.",
        progress.code,
        units.len(),
        out.display()
    );
    Ok(())
}

async fn export(db: &DbArgs, period: &str, survey: &str, out: &Path) -> Result<()> {
    let db = open(db).await?;
    let period = existing_period(&db, period).await?;
    let s = surveys::get(&db, &cli_principal(), &period, survey)
        .await
        .map_err(app)?;
    let bytes = chiso_formats::survey::questionnaire_xlsx(&s.definition)
        .map_err(crate::commands::written)?;
    write_out(out, &bytes)?;
    println!(
        "Đã ghi phiếu của đợt điều tra {} vào {}.",
        s.code,
        out.display()
    );
    Ok(())
}
