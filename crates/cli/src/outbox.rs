//! `chiso outbox status|retry`: what the operators of a server need about e-mail
//! notifications, without a mail client: how many wait, how many were given up and why, and
//! a way to try those again once the mail relay works.

use anyhow::Result;
use chiso_domain::fmt::{vi_date, vi_int};
use chiso_services::outbox;
use time::OffsetDateTime;

use crate::cli::OutboxCommand;
use crate::commands::{app, cli_principal, open};
use chiso_domain::Clock;
use chiso_web::SystemClock;

/// `11/06/2024 09:30 UTC`.
fn when(at: OffsetDateTime) -> String {
    format!(
        "{} {:02}:{:02} UTC",
        vi_date(at.date()),
        at.hour(),
        at.minute()
    )
}

pub async fn run(what: OutboxCommand, clock: &SystemClock) -> Result<()> {
    match what {
        OutboxCommand::Status { db } => {
            let db = open(&db).await?;
            let s = outbox::summary(&db, &cli_principal()).await.map_err(app)?;
            println!(
                "Thông báo qua thư điện tử: {} chờ gửi, {} đã gửi, {} không gửi được, {} quá hạn.",
                vi_int(s.pending),
                vi_int(s.sent),
                vi_int(s.dead),
                vi_int(s.expired)
            );
            if let Some(at) = s.oldest_pending {
                println!("Thông báo chờ lâu nhất từ {}.", when(at));
            }
            for d in &s.dead_list {
                println!(
                    "  #{} {} kỳ {} → {} <{}>, {} lần thử, lỗi cuối: {}",
                    d.id,
                    d.kind,
                    d.period,
                    d.login,
                    d.address,
                    d.attempts,
                    d.last_error.as_deref().unwrap_or("(không rõ)")
                );
            }
            if s.dead > 0 {
                println!("Gửi lại các thông báo này: chiso outbox retry");
            }
            Ok(())
        }
        OutboxCommand::Retry { db } => {
            let db = open(&db).await?;
            let n = outbox::retry_dead(&db, &cli_principal(), clock.now())
                .await
                .map_err(app)?;
            println!(
                "Đã đưa {} thông báo trở lại hàng chờ gửi; máy chủ chiso serve có cấu hình SMTP sẽ gửi.",
                vi_int(i64::try_from(n).unwrap_or(i64::MAX))
            );
            Ok(())
        }
    }
}
