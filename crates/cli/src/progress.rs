//! Progress on a terminal for the commands that can take a while (answer and score imports,
//! recomputes, `chiso compute` on a national file): a bar when the work reports how far it
//! has come, else a spinner with the time elapsed. Both appear only once the work has taken
//! a second, so quick commands print nothing extra, and never when standard error is not a
//! terminal (a log file or a pipe reads plain lines, without escape codes).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long work runs before its progress is drawn.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// A bar of `total` units (bytes read, for files): percentage, message and time left.
pub fn bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    let style = ProgressStyle::with_template("{bar:20} {percent:>3}% {msg} · còn {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    show_later(&bar, false);
    bar
}

/// Shows how far a score import has come on `bar`: the share of the file read, with the
/// values written, then the groups whose results are computed and written.
pub fn show_import(bar: &ProgressBar, p: chiso_services::import::ImportProgress) {
    use chiso_services::import::ImportProgress;
    match p {
        ImportProgress::Reading {
            values,
            bytes_read,
            bytes_total,
        } => {
            bar.set_length(bytes_total.max(1));
            bar.set_position(bytes_read.min(bytes_total));
            let values = chiso_domain::fmt::vi_int(i64::try_from(values).unwrap_or(i64::MAX));
            bar.set_message(format!("đã ghi {values} giá trị"));
        }
        ImportProgress::Results { done, groups } => {
            bar.set_length(groups.max(1) as u64);
            bar.set_position(done as u64);
            bar.set_message(format!("tính kết quả: {done}/{groups} nhóm"));
        }
    }
}

/// A spinner with `message` and the time elapsed, for work that reports no progress.
pub fn spinner(message: impl Into<std::borrow::Cow<'static, str>>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let s = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    let style = ProgressStyle::with_template("{spinner} {msg} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    s.set_style(style);
    s.set_message(message);
    show_later(&s, true);
    s
}

/// Draws `bar` on standard error once [`SHOW_AFTER`] has passed, unless it is finished by
/// then; the timer holds no strong reference, so a dropped bar is never drawn.
fn show_later(bar: &ProgressBar, tick: bool) {
    let weak = bar.downgrade();
    std::thread::spawn(move || {
        std::thread::sleep(SHOW_AFTER);
        if let Some(bar) = weak.upgrade()
            && !bar.is_finished()
        {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            if tick {
                bar.enable_steady_tick(Duration::from_millis(120));
            }
        }
    });
}
