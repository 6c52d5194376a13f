//! `chiso publish`, `chiso correct` and `chiso export results`: publication by decision from
//! the command line, with the same rules as the period administration pages, and an export
//! that writes what the public sees, so that a published file never changes with live data.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, anyhow};
use chiso_domain::fmt::{parse_date, vi_int};
use chiso_domain::{Clock, IndexSet, PeriodResults, SetCode};
use chiso_services::publication::{self, Publish, decision_text};
use chiso_services::results::{PeriodReport, period_report};
use chiso_web::SystemClock;
use time::Date;

use crate::cli::DbArgs;
use crate::commands::{app, cli_principal, existing_period, open, written};

/// The decision's date given as `--date`. `parse_date` also reads `15/03/27` as the year 27,
/// which the service would accept (it is not after today): a year of fewer than four digits is
/// refused here rather than published as a decision of the first century.
fn decision_date(raw: &str) -> Result<Date> {
    parse_date(raw)
        .filter(|d| d.year() >= 1000)
        .ok_or_else(|| {
            anyhow!(
                "--date \"{raw}\" không phải là ngày hợp lệ: hãy ghi ngày quyết định theo dạng dd/mm/yyyy, ví dụ 15/03/2027"
            )
        })
}

/// The arguments of `chiso publish`.
pub struct PublishArgs {
    pub db: DbArgs,
    pub period: String,
    pub decision: String,
    pub date: String,
    pub reason: Option<String>,
    /// The signed decision, a PDF.
    pub decision_file: Option<std::path::PathBuf>,
}

/// Reads the decision file, refusing one larger than the service keeps before reading it.
fn read_decision_file(path: &Path) -> Result<publication::DecisionFile> {
    let shown = path.display();
    let len = std::fs::metadata(path)
        .map_err(|e| anyhow!("không đọc được tệp quyết định {shown}: {e}"))?
        .len();
    if len > publication::MAX_DECISION_FILE_BYTES {
        return Err(anyhow!(
            "tệp quyết định {shown} lớn quá {} MB",
            publication::MAX_DECISION_FILE_BYTES / (1024 * 1024)
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| anyhow!("không đọc được tệp quyết định {shown}: {e}"))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(publication::DecisionFile { file_name, bytes })
}

/// Publishes the period's computed results as its next version. The date is checked before
/// the database is opened, so that a typo changes nothing.
pub async fn publish(args: PublishArgs, clock: &SystemClock) -> Result<()> {
    let decided_on = decision_date(&args.date)?;
    let file = args
        .decision_file
        .as_deref()
        .map(read_decision_file)
        .transpose()?;
    let db = open(&args.db).await?;
    let period = existing_period(&db, &args.period).await?;
    let store = match file {
        Some(_) => {
            let dir = args.db.data_dir.join("evidence");
            let store = chiso_web::LocalDiskStore::open(&dir)
                .await
                .map_err(|e| anyhow!("không mở được thư mục tài liệu {}: {e}", dir.display()))?;
            Some(store)
        }
        None => None,
    };
    let cmd = Publish {
        period: period.clone(),
        decision: args.decision,
        decided_on,
        reason: args.reason,
    };
    let done = publication::publish_with_file(
        &db,
        store.as_ref().map(|s| s as &dyn chiso_web::BlobStore),
        &cli_principal(),
        &cmd,
        file.as_ref(),
        clock.now(),
    )
    .await
    .map_err(app)?;
    println!(
        "Đã công bố kết quả kỳ {period} (phiên bản {}, {} đơn vị) theo {}.",
        done.version,
        vi_int(i64::try_from(done.units).unwrap_or(i64::MAX)),
        decision_text(cmd.decision.trim(), decided_on)
    );
    if file.is_some() {
        println!("Đã lưu tệp quyết định kèm phiên bản {}.", done.version);
    }
    if let Some(reason) = cmd
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        println!("Lý do đính chính: {reason}");
    }
    Ok(())
}

/// Opens a correction and says what stays public meanwhile and how it ends.
pub async fn correct(args: &DbArgs, period: &str, reason: &str, clock: &SystemClock) -> Result<()> {
    let db = open(args).await?;
    let period = existing_period(&db, period).await?;
    publication::open_correction(&db, &cli_principal(), &period, reason, clock.now())
        .await
        .map_err(app)?;
    let versions = publication::versions(&db, &period).await.map_err(app)?;
    println!("Đã mở đính chính kỳ {period}: có thể sửa dữ liệu và tính lại kết quả.");
    if let Some(shown) = versions.last() {
        println!(
            "Phiên bản {} ({}) vẫn được công khai cho đến khi công bố phiên bản mới.",
            shown.version,
            decision_text(&shown.decision, shown.decided_on)
        );
    }
    println!(
        "Công bố phiên bản mới: chiso publish --period {period} --decision SỐ --date dd/mm/yyyy --reason \"lý do\""
    );
    Ok(())
}

/// What `chiso export results` writes.
#[derive(Debug)]
pub struct ExportResults<'a> {
    pub period: &'a str,
    /// An earlier published version instead of the latest.
    pub version: Option<i64>,
    /// The official workbook instead of the results table.
    pub official: bool,
    /// The file; its extension says the format (`.pdf`: the printed results report).
    pub out: &'a Path,
    /// Who issues the printed report.
    pub issuer: chiso_services::reports::ReportIssuer,
}

/// Writes a period's results as `--out`'s extension says: the results table (CSV, XLSX,
/// JSON), the official workbook (`--official`), or the printed results report (PDF), each of
/// the latest published version (or `--version`), else of the confidential results.
pub async fn export_results(
    args: &DbArgs,
    export: ExportResults<'_>,
    clock: &SystemClock,
) -> Result<()> {
    let ExportResults {
        period,
        version,
        official,
        out,
        issuer,
    } = export;
    let has_ext = |ext: &str| out.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext));
    let is_xlsx = has_ext("xlsx");
    if official && !is_xlsx {
        anyhow::bail!(
            "--out {}: bảng tổng hợp chính thức (--official) là tệp Excel, tên tệp phải có đuôi .xlsx",
            out.display()
        );
    }
    let db = open(args).await?;
    let period = existing_period(&db, period).await?;
    let report = period_report(&db, &cli_principal(), &period, version)
        .await
        .map_err(app)?;
    if !report.computed {
        anyhow::bail!("kỳ {period} chưa có kết quả (chạy chiso recompute)");
    }
    let what = match report.source.publication() {
        Some(p) => format!(
            "phiên bản công bố {} theo {}",
            p.version,
            decision_text(&p.decision, p.decided_on)
        ),
        None => "kết quả chưa công bố, bảo mật".to_owned(),
    };
    if has_ext("pdf") {
        let units: usize = report.groups.iter().map(|g| g.units.len()).sum();
        let prepared = chiso_services::reports::results_report(&report, None, &issuer, clock.now())
            .map_err(app)?;
        crate::pdf_reports::write_pdf(prepared, out).await?;
        println!(
            "Đã ghi báo cáo {} ({} đơn vị, {what}).",
            out.display(),
            vi_int(i64::try_from(units).unwrap_or(i64::MAX))
        );
        return Ok(());
    }
    let (results, sets) = results_of(&report);
    if official {
        let bytes = chiso_services::downloads::official_workbook(&report).map_err(app)?;
        std::fs::write(out, bytes)
            .map_err(|e| anyhow::anyhow!("không ghi được tệp {}: {e}", out.display()))?;
    } else {
        let has_previous = results.units.iter().any(|u| u.previous_index.is_some());
        let intervals = report.intervals.as_ref().map(|i| &i.intervals);
        chiso_formats::write_results(out, &results, &sets, has_previous, intervals)
            .map_err(written)?;
    }
    println!(
        "Đã ghi {} ({} đơn vị, {what}).",
        out.display(),
        results.units.len()
    );
    Ok(())
}

/// The results and index sets of a report, in the shape the results writers take: units
/// group by group in the report's order, each group's statistics, and every set once, by code.
fn results_of(report: &PeriodReport) -> (PeriodResults, Vec<IndexSet>) {
    let units = report
        .groups
        .iter()
        .flat_map(|g| g.units.iter().cloned())
        .collect();
    let groups = report
        .groups
        .iter()
        .filter_map(|g| g.stats.clone())
        .collect();
    let sets: BTreeMap<SetCode, IndexSet> = report
        .groups
        .iter()
        .filter_map(|g| g.set.as_deref())
        .map(|s| (s.code.clone(), s.clone()))
        .collect();
    (
        PeriodResults { units, groups },
        sets.into_values().collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_decision_date_is_day_month_year_with_a_four_digit_year() {
        assert_eq!(decision_date("15/03/2027").unwrap(), date!(2027 - 03 - 15));
        assert_eq!(decision_date(" 5/3/2027 ").unwrap(), date!(2027 - 03 - 05));
        for bad in ["15/03/27", "31/02/2027", "15.03.2027", "", "hôm nay"] {
            let e = decision_date(bad).unwrap_err().to_string();
            assert!(
                e.starts_with("--date ") && e.contains("dd/mm/yyyy"),
                "{bad}: {e}"
            );
        }
    }
}
