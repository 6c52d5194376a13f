//! Answer files read and imported in the background: a file of a hundred thousand rows takes
//! seconds, longer than a page should wait, so the upload (and its confirmation) start a task on
//! the server's runtime and answer at once with a page that follows it — rows read, rows
//! rejected, time left — until the preview, or the import's outcome, is ready.
//!
//! The store is bounded like the previews: at most [`MAX_JOBS`] kept, finished ones dropped
//! after [`KEEP_FOR`], and a job is shown only to the person, period and survey it was started
//! for. A job lives in the memory of the node that runs it; another node (without sticky
//! sessions) finds nothing and asks for the file again.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chiso_domain::PeriodCode;
use chiso_formats::survey::Progress;
use chiso_services::ServiceError;
use chiso_services::surveys::{AnswersPreview, ImportCounts};
use time::{Duration, OffsetDateTime};

/// How long a finished job is kept for its page.
pub(crate) const KEEP_FOR: Duration = Duration::minutes(30);
/// Most jobs kept at once; the oldest finished ones go first.
pub(crate) const MAX_JOBS: usize = 32;

/// Where a job stands.
#[derive(Debug)]
pub(crate) enum State {
    Running,
    /// The file was read; the preview awaits confirmation of the kept file `kept`.
    Previewed {
        preview: AnswersPreview,
        kept: String,
    },
    Imported(ImportCounts),
    Failed(ServiceError),
}

/// One job.
#[derive(Debug)]
pub(crate) struct Job {
    pub login: String,
    pub period: PeriodCode,
    pub survey: String,
    pub started: OffsetDateTime,
    pub progress: Progress,
    pub state: State,
}

#[derive(Debug)]
struct Entry {
    id: String,
    job: Job,
}

/// The jobs of this node.
#[derive(Debug, Default, Clone)]
pub(crate) struct Jobs {
    entries: Arc<Mutex<VecDeque<Entry>>>,
}

impl Jobs {
    /// Registers a running job and returns its id; drops expired and surplus finished jobs.
    pub(crate) fn start(&self, job: Job, now: OffsetDateTime) -> String {
        let id: String = rand::random::<[u8; 16]>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|e| matches!(e.job.state, State::Running) || now - e.job.started < KEEP_FOR);
        while entries.len() >= MAX_JOBS {
            match entries
                .iter()
                .position(|e| !matches!(e.job.state, State::Running))
            {
                Some(i) => {
                    entries.remove(i);
                }
                None => break,
            }
        }
        entries.push_back(Entry {
            id: id.clone(),
            job,
        });
        id
    }

    /// Whether another job may start: not while [`MAX_JOBS`] are running.
    pub(crate) fn has_room(&self) -> bool {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .iter()
            .filter(|e| matches!(e.job.state, State::Running))
            .count()
            < MAX_JOBS
    }

    /// Records how far the job has come.
    pub(crate) fn progress(&self, id: &str, progress: Progress) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = entries.iter_mut().find(|e| e.id == id) {
            e.job.progress = progress;
        }
    }

    /// Records the job's outcome.
    pub(crate) fn finish(&self, id: &str, state: State) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = entries.iter_mut().find(|e| e.id == id) {
            e.job.state = state;
        }
    }

    /// Runs `f` on the job `id` if it belongs to `login`, `period` and `survey`.
    pub(crate) fn with<T>(
        &self,
        id: &str,
        login: &str,
        period: &PeriodCode,
        survey: &str,
        f: impl FnOnce(&Job) -> T,
    ) -> Option<T> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .iter()
            .find(|e| {
                e.id == id
                    && e.job.login == login
                    && &e.job.period == period
                    && e.job.survey == survey
            })
            .map(|e| f(&e.job))
    }
}

/// What the progress page says: the share read (0–100), rows read and rejected, and the
/// seconds left, estimated from the pace so far.
pub(crate) fn estimate(job: &Job, now: OffsetDateTime) -> (u64, usize, usize, Option<i64>) {
    let p = job.progress;
    let percent = (p.bytes_read.saturating_mul(100))
        .checked_div(p.bytes_total)
        .unwrap_or(0)
        .min(100);
    // Integer arithmetic on milliseconds: the rest takes what the part read took, scaled.
    let elapsed_ms = (now - job.started).whole_milliseconds().max(1);
    let left = (p.bytes_read > 0 && p.bytes_total >= p.bytes_read).then(|| {
        let rest = i128::from(p.bytes_total - p.bytes_read);
        let ms = elapsed_ms * rest / i128::from(p.bytes_read);
        i64::try_from((ms + 999) / 1000).unwrap_or(i64::MAX)
    });
    (percent, p.rows, p.rejected_rows, left)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn job(login: &str, now: OffsetDateTime) -> Job {
        Job {
            login: login.to_owned(),
            period: PeriodCode::parse("2026").unwrap(),
            survey: "XHH".to_owned(),
            started: now,
            progress: Progress::default(),
            state: State::Running,
        }
    }

    #[test]
    fn a_job_is_shown_only_to_its_person_period_and_survey() {
        let jobs = Jobs::default();
        let now = datetime!(2026-03-02 09:00 UTC);
        let id = jobs.start(job("quantri", now), now);
        let period = PeriodCode::parse("2026").unwrap();
        assert!(jobs.with(&id, "quantri", &period, "XHH", |_| ()).is_some());
        assert!(jobs.with(&id, "khac", &period, "XHH", |_| ()).is_none());
        assert!(jobs.with(&id, "quantri", &period, "KHAC", |_| ()).is_none());
    }

    #[test]
    fn the_time_left_follows_the_pace_so_far() {
        let now = datetime!(2026-03-02 09:00 UTC);
        let mut j = job("a", now);
        j.progress = Progress {
            rows: 500,
            rejected_rows: 2,
            bytes_read: 250,
            bytes_total: 1000,
        };
        let (percent, rows, rejected, left) = estimate(&j, now + Duration::seconds(10));
        assert_eq!((percent, rows, rejected, left), (25, 500, 2, Some(30)));
    }

    #[test]
    fn finished_jobs_make_room_for_new_ones_but_running_ones_stay() {
        let jobs = Jobs::default();
        let now = datetime!(2026-03-02 09:00 UTC);
        let first = jobs.start(job("a", now), now);
        jobs.finish(&first, State::Imported(ImportCounts::default()));
        for _ in 0..MAX_JOBS {
            jobs.start(job("a", now), now);
        }
        let period = PeriodCode::parse("2026").unwrap();
        assert!(jobs.with(&first, "a", &period, "XHH", |_| ()).is_none());
        assert!(!jobs.has_room());
    }
}
