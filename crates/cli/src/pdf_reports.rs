//! `chiso report self-assessment` and `chiso report minutes`, and the PDF of `chiso export
//! results --out …pdf`: the printed reports the pages offer, made by the same services with
//! the operator's (administrator's) rights, written to a file.

use std::path::Path;

use anyhow::{Result, anyhow};
use chiso_domain::{Clock, UnitCode};
use chiso_services::reports::{self, Prepared};
use chiso_web::SystemClock;

use crate::cli::ReportCommand;
use crate::commands::{app, cli_principal, existing_period, open};
use crate::io_text::{Access, describe};

/// Typesets `prepared` off the async workers and writes it to `out`.
pub(crate) async fn write_pdf(prepared: Prepared, out: &Path) -> Result<()> {
    let file = tokio::task::spawn_blocking(move || reports::render(prepared))
        .await
        .map_err(|e| anyhow!("không dàn trang được báo cáo: {e}"))?
        .map_err(app)?;
    std::fs::write(out, file.bytes).map_err(|e| anyhow!(describe(&e, out, Access::Write)))
}

fn pdf_out(out: &Path) -> Result<()> {
    if out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
    {
        Ok(())
    } else {
        anyhow::bail!(
            "--out {}: báo cáo là tệp PDF, tên tệp phải có đuôi .pdf",
            out.display()
        )
    }
}

fn parse_unit(raw: &str) -> Result<UnitCode> {
    UnitCode::parse(raw).map_err(|_| anyhow!("mã đơn vị \"{raw}\" không hợp lệ"))
}

/// Runs one `chiso report` command.
pub async fn run(what: ReportCommand, clock: &SystemClock) -> Result<()> {
    let (db, period, unit, out, issuer, minutes) = match what {
        ReportCommand::SelfAssessment {
            db,
            period,
            unit,
            out,
            report,
        } => (db, period, unit, out, report.issuer(), false),
        ReportCommand::Minutes {
            db,
            period,
            unit,
            out,
            report,
        } => (db, period, unit, out, report.issuer(), true),
    };
    pdf_out(&out)?;
    let unit = parse_unit(&unit)?;
    let db = open(&db).await?;
    let period = existing_period(&db, &period).await?;
    let viewer = cli_principal();
    let now = clock.now();
    let prepared = if minutes {
        reports::appraisal_minutes(&db, &viewer, &period, &unit, &issuer, now).await
    } else {
        reports::self_assessment_report(&db, &viewer, &period, &unit, &issuer, now).await
    }
    .map_err(app)?;
    write_pdf(prepared, &out).await?;
    let what = if minutes {
        "biên bản thẩm định"
    } else {
        "báo cáo tự đánh giá"
    };
    println!(
        "Đã ghi {what} của đơn vị {unit}, kỳ {period}: {}.",
        out.display()
    );
    Ok(())
}
