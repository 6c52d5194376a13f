//! Limits on failed sign-ins, per account and per client address, so that passwords cannot be
//! guessed at speed. Behind a small trait: the in-memory counter here suits one node; several
//! nodes need a shared implementation (e.g. on the database) with the same contract.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

/// How many failures are tolerated within a sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Failures allowed per login within the window; the next attempt is refused.
    pub per_login: usize,
    /// Failures allowed per client address within the window: higher, since an office
    /// often signs in from behind one address.
    pub per_ip: usize,
    /// Length of the sliding window.
    pub window: Duration,
}

impl Default for LoginLimits {
    /// 5 failures per account and 20 per address in 15 minutes: a person who mistypes gets
    /// several tries, a guesser gets about 500 a day per account.
    fn default() -> Self {
        LoginLimits {
            per_login: 5,
            per_ip: 20,
            window: Duration::minutes(15),
        }
    }
}

/// Counts failed sign-ins and says when to refuse the next one.
pub trait LoginThrottle: Send + Sync + std::fmt::Debug {
    /// `Err(wait)` when the login or the address has used up its failures; `wait` is how long
    /// until the oldest failure leaves the window.
    fn check(&self, login: &str, ip: &str, now: OffsetDateTime) -> Result<(), Duration>;
    /// Records a failed attempt for both the login and the address.
    fn failed(&self, login: &str, ip: &str, now: OffsetDateTime);
    /// Forgets the login's failures after a successful sign-in (the address keeps its count,
    /// so one good account cannot be used to reset a guesser's budget).
    fn succeeded(&self, login: &str);
}

/// Failures kept in the process's memory; lost on restart, not shared between nodes.
#[derive(Debug)]
pub struct MemoryThrottle {
    limits: LoginLimits,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    logins: HashMap<String, VecDeque<OffsetDateTime>>,
    ips: HashMap<String, VecDeque<OffsetDateTime>>,
}

/// Above this many tracked keys, stale entries are swept, so that a flood of made-up logins
/// cannot grow the maps without bound.
const SWEEP_ABOVE: usize = 10_000;

impl MemoryThrottle {
    /// A throttle with these limits.
    pub fn new(limits: LoginLimits) -> Self {
        MemoryThrottle {
            limits,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain counters behind: still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Logins differ in case only by typing; count them as one.
fn login_key(login: &str) -> String {
    login.trim().to_lowercase()
}

fn prune(list: &mut VecDeque<OffsetDateTime>, now: OffsetDateTime, window: Duration) {
    while list.front().is_some_and(|t| *t <= now - window) {
        list.pop_front();
    }
}

fn over(
    map: &mut HashMap<String, VecDeque<OffsetDateTime>>,
    key: &str,
    limit: usize,
    now: OffsetDateTime,
    window: Duration,
) -> Option<Duration> {
    let list = map.get_mut(key)?;
    prune(list, now, window);
    if list.len() < limit {
        return None;
    }
    let oldest = list.front().copied().unwrap_or(now);
    Some((oldest + window - now).max(Duration::SECOND))
}

fn sweep(map: &mut HashMap<String, VecDeque<OffsetDateTime>>, now: OffsetDateTime, w: Duration) {
    if map.len() > SWEEP_ABOVE {
        map.retain(|_, list| {
            prune(list, now, w);
            !list.is_empty()
        });
    }
}

impl LoginThrottle for MemoryThrottle {
    fn check(&self, login: &str, ip: &str, now: OffsetDateTime) -> Result<(), Duration> {
        let l = self.limits;
        let mut s = self.lock();
        let by_login = over(&mut s.logins, &login_key(login), l.per_login, now, l.window);
        let by_ip = over(&mut s.ips, ip, l.per_ip, now, l.window);
        match (by_login, by_ip) {
            (None, None) => Ok(()),
            (a, b) => Err(a.unwrap_or(Duration::ZERO).max(b.unwrap_or(Duration::ZERO))),
        }
    }

    fn failed(&self, login: &str, ip: &str, now: OffsetDateTime) {
        let w = self.limits.window;
        let mut s = self.lock();
        sweep(&mut s.logins, now, w);
        sweep(&mut s.ips, now, w);
        s.logins.entry(login_key(login)).or_default().push_back(now);
        s.ips.entry(ip.to_owned()).or_default().push_back(now);
    }

    fn succeeded(&self, login: &str) {
        self.lock().logins.remove(&login_key(login));
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn limits() -> LoginLimits {
        LoginLimits {
            per_login: 2,
            per_ip: 3,
            window: Duration::minutes(10),
        }
    }

    #[test]
    fn a_login_is_refused_after_its_failures_until_the_window_passes() {
        let t = MemoryThrottle::new(limits());
        let t0 = datetime!(2025-01-01 08:00 UTC);
        t.failed("An", "1.1.1.1", t0);
        assert!(t.check("an", "2.2.2.2", t0).is_ok());
        t.failed("an", "2.2.2.2", t0 + Duration::minutes(1));
        let wait = t
            .check("AN", "3.3.3.3", t0 + Duration::minutes(2))
            .unwrap_err();
        assert_eq!(wait, Duration::minutes(8));
        assert!(
            t.check("binh", "3.3.3.3", t0).is_ok(),
            "other logins are not affected"
        );
        assert!(t.check("an", "3.3.3.3", t0 + Duration::minutes(10)).is_ok());
    }

    #[test]
    fn an_address_is_refused_after_its_failures_across_logins() {
        let t = MemoryThrottle::new(limits());
        let t0 = datetime!(2025-01-01 08:00 UTC);
        for who in ["a", "b", "c"] {
            t.failed(who, "9.9.9.9", t0);
        }
        assert!(t.check("d", "9.9.9.9", t0).is_err());
        assert!(t.check("d", "8.8.8.8", t0).is_ok());
    }

    #[test]
    fn success_forgets_the_login_failures_but_not_the_address() {
        let t = MemoryThrottle::new(limits());
        let t0 = datetime!(2025-01-01 08:00 UTC);
        t.failed("a", "9.9.9.9", t0);
        t.failed("a", "9.9.9.9", t0);
        t.succeeded("a");
        assert!(t.check("a", "8.8.8.8", t0).is_ok());
        t.failed("b", "9.9.9.9", t0);
        assert!(t.check("c", "9.9.9.9", t0).is_err());
    }
}
