//! `chiso`: the command line of the Administrative Reform Index system — serve the web app,
//! compute results from files alone, import and export, and manage the database.

mod bench_survey;
mod cli;
mod commands;
mod io_text;
mod outbox;
mod pdf_reports;
mod progress;
mod publication;
mod report;
mod survey;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    init_logs(args.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lỗi: không khởi động được: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lỗi: {}", report::message(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs go to standard error, filtered by `CHISO_LOG` (default `info,sqlx=warn`). Text lines
/// are coloured only on a terminal, so a log file or a pipe gets no escape codes; JSON lines
/// are for log collectors of servers.
fn init_logs(format: cli::LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHISO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        cli::LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        cli::LogFormat::Json => builder.json().with_current_span(false).init(),
    }
}
