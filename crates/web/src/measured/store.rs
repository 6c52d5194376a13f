//! Files kept between their preview and its confirmation.
//!
//! The previewed file stays on the server, in memory, under a random id the preview page's
//! confirm form carries: the person does not upload it twice, and the browser never holds a
//! copy it could alter (the service checks the digest of what it imports against the
//! preview's all the same). The store is bounded: a file is kept [`KEEP_FOR`], at most
//! [`MAX_FILES`] files and [`MAX_BYTES`] in all, the oldest dropped first; a file is only
//! handed back to the person and period it was previewed for. A confirmation that comes too
//! late, or reaches another node of a cluster without sticky sessions, finds nothing and asks
//! for the file again: nothing is ever imported that was not previewed.

use std::collections::VecDeque;
use std::sync::Mutex;

use chiso_domain::PeriodCode;
use time::{Duration, OffsetDateTime};

/// How long a previewed file waits for its confirmation.
pub(crate) const KEEP_FOR: Duration = Duration::minutes(30);
/// Most files kept at once.
pub(crate) const MAX_FILES: usize = 16;
/// Most bytes kept at once (two files of the largest size accepted).
pub(crate) const MAX_BYTES: usize = 2 * chiso_formats::limits::MAX_FILE_BYTES;

/// A previewed file.
#[derive(Debug, Clone)]
pub(crate) struct Kept {
    pub login: String,
    pub period: PeriodCode,
    /// What the file is for (empty for a scores file; `survey:{code}:{group}` for answers),
    /// checked by the confirmation.
    pub about: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug)]
struct Entry {
    id: String,
    at: OffsetDateTime,
    file: Kept,
}

/// The files awaiting confirmation, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Previews {
    entries: Mutex<VecDeque<Entry>>,
}

impl Previews {
    /// Keeps `file` and returns its id; drops expired files, then the oldest ones while over
    /// the bounds.
    pub(crate) fn keep(&self, file: Kept, now: OffsetDateTime) -> String {
        let id: String = rand::random::<[u8; 16]>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|e| now - e.at < KEEP_FOR);
        entries.push_back(Entry {
            id: id.clone(),
            at: now,
            file,
        });
        let mut total: usize = entries.iter().map(|e| e.file.bytes.len()).sum();
        while entries.len() > MAX_FILES || (total > MAX_BYTES && entries.len() > 1) {
            if let Some(old) = entries.pop_front() {
                total -= old.file.bytes.len();
            }
        }
        id
    }

    /// The file kept under `id` for `login` and `period`, if it has not expired.
    pub(crate) fn get(
        &self,
        id: &str,
        login: &str,
        period: &PeriodCode,
        now: OffsetDateTime,
    ) -> Option<Kept> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .iter()
            .find(|e| {
                e.id == id
                    && e.file.login == login
                    && &e.file.period == period
                    && now - e.at < KEEP_FOR
            })
            .map(|e| e.file.clone())
    }

    /// Forgets the file kept under `id` (once imported).
    pub(crate) fn forget(&self, id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|e| e.id != id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn file(login: &str, size: usize) -> Kept {
        Kept {
            login: login.to_owned(),
            period: PeriodCode::parse("2025").unwrap(),
            about: String::new(),
            file_name: "diem.csv".to_owned(),
            bytes: vec![b'x'; size],
        }
    }

    #[test]
    fn a_kept_file_is_given_back_only_to_its_person_and_period_until_it_expires() {
        let store = Previews::default();
        let now = datetime!(2026-03-02 09:00 UTC);
        let id = store.keep(file("quantri", 10), now);
        let period = PeriodCode::parse("2025").unwrap();
        assert!(store.get(&id, "quantri", &period, now).is_some());
        assert!(store.get(&id, "khac", &period, now).is_none());
        let other = PeriodCode::parse("2024").unwrap();
        assert!(store.get(&id, "quantri", &other, now).is_none());
        assert!(store.get(&id, "quantri", &period, now + KEEP_FOR).is_none());
        store.forget(&id);
        assert!(store.get(&id, "quantri", &period, now).is_none());
    }

    #[test]
    fn the_oldest_files_are_dropped_beyond_the_count_and_the_bytes() {
        let store = Previews::default();
        let now = datetime!(2026-03-02 09:00 UTC);
        let period = PeriodCode::parse("2025").unwrap();
        let first = store.keep(file("a", 1), now);
        for _ in 0..MAX_FILES {
            store.keep(file("a", 1), now);
        }
        assert!(store.get(&first, "a", &period, now).is_none());
        let big = store.keep(file("a", MAX_BYTES / 2 + 1), now);
        let bigger = store.keep(file("a", MAX_BYTES / 2 + 1), now);
        assert!(store.get(&big, "a", &period, now).is_none());
        assert!(store.get(&bigger, "a", &period, now).is_some());
    }
}
