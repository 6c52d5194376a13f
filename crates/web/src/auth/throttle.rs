//! Limits on failed sign-ins, per account and per client address, so that passwords cannot be
//! guessed at speed. Behind a small trait: the in-memory counter here suits one node; several
//! nodes need a shared implementation (e.g. on the database) with the same contract.
//!
//! An attempt is counted *before* its password is checked ([`LoginThrottle::reserve`]) and
//! given back when it succeeds: checking first and counting after the slow hash would let many
//! parallel attempts all pass the check, so an account's limit must bound the number of
//! password checks, not merely the number of recorded failures.

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

/// Counts sign-in attempts and says when to refuse the next one.
pub trait LoginThrottle: Send + Sync + std::fmt::Debug {
    /// Counts an attempt for both the login and the address, atomically with the check: `Ok`
    /// when the attempt may go on to check its password (it stays counted as a failure unless
    /// [`LoginThrottle::release`] or [`LoginThrottle::succeeded`] gives it back), `Err(wait)`
    /// when the login or the address has used up its attempts, counting nothing; `wait` is
    /// how long until the oldest attempt leaves the window.
    fn reserve(&self, login: &str, ip: &str, now: OffsetDateTime) -> Result<(), Duration>;
    /// Gives back an attempt reserved at `at` whose password was never checked (the server
    /// was too busy), for both the login and the address.
    fn release(&self, login: &str, ip: &str, at: OffsetDateTime);
    /// After a successful sign-in reserved at `at`: forgets the login's failures and gives the
    /// address its attempt back. The address keeps its earlier failures, so one good account
    /// cannot be used to reset a guesser's budget.
    fn succeeded(&self, login: &str, ip: &str, at: OffsetDateTime);
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

/// Removes one attempt stamped `at` from `key`'s list, if there is one.
fn give_back(map: &mut HashMap<String, VecDeque<OffsetDateTime>>, key: &str, at: OffsetDateTime) {
    if let Some(list) = map.get_mut(key)
        && let Some(i) = list.iter().rposition(|t| *t == at)
    {
        list.remove(i);
    }
}

impl LoginThrottle for MemoryThrottle {
    fn reserve(&self, login: &str, ip: &str, now: OffsetDateTime) -> Result<(), Duration> {
        let l = self.limits;
        let key = login_key(login);
        // One lock for the check and the count: two attempts cannot both take the last slot.
        let mut s = self.lock();
        let by_login = over(&mut s.logins, &key, l.per_login, now, l.window);
        let by_ip = over(&mut s.ips, ip, l.per_ip, now, l.window);
        if by_login.is_some() || by_ip.is_some() {
            return Err(by_login
                .unwrap_or(Duration::ZERO)
                .max(by_ip.unwrap_or(Duration::ZERO)));
        }
        sweep(&mut s.logins, now, l.window);
        sweep(&mut s.ips, now, l.window);
        s.logins.entry(key).or_default().push_back(now);
        s.ips.entry(ip.to_owned()).or_default().push_back(now);
        Ok(())
    }

    fn release(&self, login: &str, ip: &str, at: OffsetDateTime) {
        let mut s = self.lock();
        give_back(&mut s.logins, &login_key(login), at);
        give_back(&mut s.ips, ip, at);
    }

    fn succeeded(&self, login: &str, ip: &str, at: OffsetDateTime) {
        let mut s = self.lock();
        s.logins.remove(&login_key(login));
        give_back(&mut s.ips, ip, at);
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
    fn a_login_is_refused_after_its_attempts_until_the_window_passes() {
        let t = MemoryThrottle::new(limits());
        let t0 = datetime!(2025-01-01 08:00 UTC);
        assert!(t.reserve("An", "1.1.1.1", t0).is_ok());
        assert!(
            t.reserve("an", "2.2.2.2", t0 + Duration::minutes(1))
                .is_ok()
        );
        let wait = t
            .reserve("AN", "3.3.3.3", t0 + Duration::minutes(2))
            .unwrap_err();
        assert_eq!(wait, Duration::minutes(8));
        assert!(
            t.reserve("binh", "3.3.3.3", t0).is_ok(),
            "other logins are not affected"
        );
        assert!(
            t.reserve("an", "4.4.4.4", t0 + Duration::minutes(10))
                .is_ok()
        );
    }

    #[test]
    fn an_address_is_refused_after_its_attempts_across_logins() {
        let t = MemoryThrottle::new(limits());
        let t0 = datetime!(2025-01-01 08:00 UTC);
        for who in ["a", "b", "c"] {
            assert!(t.reserve(who, "9.9.9.9", t0).is_ok());
        }
        assert!(t.reserve("d", "9.9.9.9", t0).is_err());
        assert!(t.reserve("d", "8.8.8.8", t0).is_ok());
    }

    #[test]
    fn a_refused_attempt_counts_nothing_and_a_released_one_is_given_back() {
        let t = MemoryThrottle::new(limits());
        let t0 = datetime!(2025-01-01 08:00 UTC);
        assert!(t.reserve("a", "9.9.9.9", t0).is_ok());
        assert!(t.reserve("a", "9.9.9.9", t0).is_ok());
        for _ in 0..10 {
            assert!(t.reserve("a", "9.9.9.9", t0).is_err());
        }
        // Refusals of "a" did not eat into the address's budget of 3.
        assert!(t.reserve("b", "9.9.9.9", t0).is_ok());
        t.release("b", "9.9.9.9", t0);
        assert!(t.reserve("c", "9.9.9.9", t0).is_ok());
        assert!(t.reserve("d", "9.9.9.9", t0).is_err());
    }

    #[test]
    fn success_forgets_the_login_failures_but_not_the_address() {
        let t = MemoryThrottle::new(limits());
        let t0 = datetime!(2025-01-01 08:00 UTC);
        let t1 = t0 + Duration::SECOND;
        assert!(t.reserve("a", "9.9.9.9", t0).is_ok());
        assert!(t.reserve("a", "9.9.9.9", t1).is_ok());
        t.succeeded("a", "9.9.9.9", t1);
        assert!(t.reserve("a", "8.8.8.8", t1).is_ok());
        // The address keeps the earlier failure: 1 of 3 used, 2 left.
        assert!(t.reserve("b", "9.9.9.9", t1).is_ok());
        assert!(t.reserve("c", "9.9.9.9", t1).is_ok());
        assert!(t.reserve("d", "9.9.9.9", t1).is_err());
    }
}
