//! Accounts as people manage them on the web: signing in, changing one's own password, and the
//! administrators' user list (create, reset a password, disable, enable). Passwords are
//! verified and hashed with Argon2id on the blocking pool, never on an async worker, and at
//! most a few at a time ([`PasswordHashing`]): each takes about 19 MiB, so a flood of sign-ins
//! must queue, not multiply the server's memory.
//! Authorization is decided here, not in handlers, so the pages and a future API agree.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};

use chiso_domain::authz::{self, Action, Principal, Resource};
use chiso_store::users::{self, User};
use chiso_store::{Actor, Db, StoreError};
use time::OffsetDateTime;

use crate::AppError;
use crate::error::FormError;

pub use chiso_services::users::MIN_PASSWORD_LEN;

/// Longest password accepted: generous for passphrases, short enough that nobody can make the
/// server hash megabytes.
pub const MAX_PASSWORD_LEN: usize = 256;

/// An Argon2id hash (default parameters, like real ones) of a password nobody knows. Signing in
/// with an unknown login is verified against it, so that the answer takes as long as for a
/// real account and response times do not reveal which logins exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$XyCEh2W9/BtbEDSf6GK2aA$NnQE2Bq0dcoT5XgjhW4jlaRavPD7xqZ9uZMRs7TQLX0";

/// The outcome of a sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// The password matches an enabled account.
    Valid(User),
    /// The password matches, but the account is disabled.
    Disabled,
    /// Unknown login or wrong password: deliberately indistinguishable.
    Invalid,
}

/// The gate in front of Argon2id: at most `concurrency` hashes or verifications run at once
/// (each holds ~19 MiB while it runs); the others wait up to `wait` for a turn and are then
/// refused with [`AppError::Busy`]. It also counts the verifications it ran, which the tests
/// read.
///
/// The work runs on `concurrency` threads of its own, started at the first use, not on
/// tokio's blocking pool, and each thread verifies in one Argon2 buffer it keeps: the
/// allocator holds on to freed 19 MiB blocks, so fresh ones on the pool's many threads left
/// memory behind (measured on the real server, 128 parallel sign-ins: +330 MiB on the
/// blocking pool, +25 MiB on two threads with kept buffers).
#[derive(Debug)]
pub struct PasswordHashing {
    permits: Arc<tokio::sync::Semaphore>,
    threads: usize,
    wait: std::time::Duration,
    verified: AtomicU64,
    jobs: OnceLock<mpsc::Sender<Job>>,
}

/// One hash or verification, sent to the hashing threads.
type Job = Box<dyn FnOnce() + Send>;

impl Default for PasswordHashing {
    /// One hash per core, and up to 10 seconds in the queue: a person signing in during a
    /// burst waits a little rather than getting an error.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        PasswordHashing::new(cores, std::time::Duration::from_secs(10))
    }
}

impl PasswordHashing {
    /// A gate running at most `concurrency` (at least one) hashes at a time, refusing those
    /// that waited `wait` for a turn.
    pub fn new(concurrency: usize, wait: std::time::Duration) -> Self {
        let threads = concurrency.max(1);
        PasswordHashing {
            permits: Arc::new(tokio::sync::Semaphore::new(threads)),
            threads,
            wait,
            verified: AtomicU64::new(0),
            jobs: OnceLock::new(),
        }
    }

    /// How many password verifications have run (including those against the fixed hash of
    /// unknown logins).
    pub fn verified(&self) -> u64 {
        self.verified.load(Ordering::Relaxed)
    }

    /// Waits for a free permit, or refuses with [`AppError::Busy`] after the bounded wait.
    async fn turn(&self) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
        let permits = Arc::clone(&self.permits);
        match tokio::time::timeout(self.wait, permits.acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            // Closed never happens (the semaphore is never closed); treat it like a timeout.
            Ok(Err(_)) | Err(_) => {
                tracing::warn!("password hashing busy: request refused");
                Err(AppError::Busy {
                    retry_after: self.wait.as_secs().max(1),
                })
            }
        }
    }

    /// The queue of the hashing threads, started on first use. They end when the gate is
    /// dropped (the queue closes).
    fn queue(&self) -> &mpsc::Sender<Job> {
        self.jobs.get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Job>();
            let rx = Arc::new(Mutex::new(rx));
            for i in 0..self.threads {
                let rx = Arc::clone(&rx);
                let started = std::thread::Builder::new()
                    .name(format!("chiso-hash-{i}"))
                    .spawn(move || {
                        loop {
                            // A poisoned lock only means another thread panicked while
                            // waiting; the receiver is still sound.
                            let job = rx
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .recv();
                            match job {
                                Ok(job) => job(),
                                Err(_) => break,
                            }
                        }
                    });
                if let Err(e) = started {
                    tracing::error!(error = %e, "a password hashing thread did not start");
                }
            }
            tx
        })
    }

    /// Runs `work` on a hashing thread once a permit is free, holding the permit until the
    /// work is done (even if the request is abandoned meanwhile, the thread keeps its memory
    /// until it finishes).
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = self.turn().await?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            drop(permit);
            let _ = tx.send(out);
        });
        let failed = || {
            tracing::error!("password hashing did not finish");
            AppError::Form(FormError::new("error.internal"))
        };
        self.queue().send(job).map_err(|_| failed())?;
        match rx.await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(_)) | Err(_) => Err(failed()),
        }
    }

    /// Whether `password` matches the PHC `hash`.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, AppError> {
        self.run(move || {
            BLOCKS.with_borrow_mut(|blocks| verify_in(password.as_bytes(), &hash, blocks))
        })
        .await
        .inspect(|_| {
            // Counted once it ran: refusals by the gate checked nothing.
            self.verified.fetch_add(1, Ordering::Relaxed);
        })
    }

    /// An Argon2id hash of `password`.
    async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || password_auth::generate_hash(password))
            .await
    }
}

thread_local! {
    /// The Argon2 memory of a hashing thread, kept from one verification to the next: the
    /// allocator does not reliably reuse a freed 19 MiB block, and fresh ones every time grew
    /// the server by ~20 MiB per sign-in up to ~160 MiB.
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `password` matches the Argon2 PHC string `phc`, computed in `blocks` (grown to the
/// hash's memory cost when smaller, wiped afterwards). Like `password_auth::verify_password`,
/// which accepts the same hashes: same parameters, salt and version, and a constant-time
/// comparison of the outputs.
fn verify_in(password: &[u8], phc: &str, blocks: &mut Vec<argon2::Block>) -> bool {
    use argon2::password_hash::{Output, PasswordHash, Salt};

    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let Ok(algorithm) = argon2::Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let Ok(version) = parsed.version.map(argon2::Version::try_from).transpose() else {
        return false;
    };
    let Ok(params) = argon2::Params::try_from(&parsed) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_buf = [0u8; Salt::MAX_LENGTH];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let needed = params.block_count();
    if blocks.len() < needed {
        blocks.resize(needed, argon2::Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let argon = argon2::Argon2::new(algorithm, version.unwrap_or_default(), params);
    let done =
        argon.hash_password_into_with_memory(password, salt, &mut out, &mut blocks[..needed]);
    // The blocks hold state derived from the password: wipe them for the next user.
    blocks[..needed].fill(argon2::Block::default());
    // `Output`'s equality is constant-time.
    done.is_ok() && Output::new(&out).is_ok_and(|o| o == expected)
}

/// Checks a login and password. A password is always verified, against a fixed hash when the
/// login is unknown, so that timing reveals nothing.
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    db: &Db,
    hashing: &PasswordHashing,
    login: &str,
    password: String,
) -> Result<SignIn, AppError> {
    let user = users::find_by_login(db, login.trim()).await?;
    let hash = user
        .as_ref()
        .map_or_else(|| DUMMY_HASH.to_owned(), |u| u.password_hash.clone());
    let matches = hashing.verify(password, hash).await?;
    Ok(match user {
        Some(u) if matches && u.disabled => SignIn::Disabled,
        Some(u) if matches => SignIn::Valid(u),
        _ => SignIn::Invalid,
    })
}

/// The rules for a new password: length within bounds, typed the same twice.
pub fn check_new_password(new: &str, confirm: &str) -> Result<(), FormError> {
    let len = new.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(FormError::new("account.password_too_short").arg("n", MIN_PASSWORD_LEN));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(FormError::new("account.password_too_long").arg("n", MAX_PASSWORD_LEN));
    }
    if new != confirm {
        return Err(FormError::new("account.password_mismatch"));
    }
    Ok(())
}

/// Changes the signed-in user's own password after checking the current one; returns the user
/// with the new hash.
#[tracing::instrument(skip_all, fields(login = %user.login))]
pub async fn change_password(
    db: &Db,
    hashing: &PasswordHashing,
    user: &User,
    current: String,
    new: String,
    confirm: &str,
    at: OffsetDateTime,
) -> Result<User, AppError> {
    if !hashing.verify(current, user.password_hash.clone()).await? {
        return Err(FormError::new("account.current_wrong").into());
    }
    check_new_password(&new, confirm)?;
    let hashed = hashing.hash(new).await?;
    users::set_password(db, &user.login, &hashed, &Actor(user.login.clone()), at).await?;
    Ok(User {
        password_hash: hashed,
        ..user.clone()
    })
}

/// Refuses anyone who may not manage users.
pub fn require_user_admin(p: &Principal) -> Result<(), AppError> {
    authz::check(p, Action::ManageUsers, &Resource::System).map_err(|_| AppError::Forbidden)
}

fn actor(p: &Principal) -> Actor {
    Actor(p.login.clone())
}

/// Every user, by login.
pub async fn list_users(db: &Db, p: &Principal) -> Result<Vec<User>, AppError> {
    require_user_admin(p)?;
    Ok(users::list(db).await?)
}

/// A user to create, as typed in the form.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login: letters, digits, `.`, `_`, `-`, `@`.
    pub login: String,
    /// Name shown in the interface.
    pub display_name: String,
    /// Initial password, handed to the person out of band.
    pub password: String,
    /// Administrators manage users, units, index sets and periods.
    pub is_admin: bool,
}

/// Creates a user.
#[tracing::instrument(skip_all, fields(login = %new.login))]
pub async fn create_user(
    db: &Db,
    hashing: &PasswordHashing,
    p: &Principal,
    new: NewUser,
    at: OffsetDateTime,
) -> Result<(), AppError> {
    require_user_admin(p)?;
    let login = new.login.trim();
    if login.is_empty()
        || login.chars().count() > 64
        || !login
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(FormError::new("admin.login_invalid").into());
    }
    let name = new.display_name.trim();
    if name.is_empty() {
        return Err(FormError::new("admin.name_required").into());
    }
    check_new_password(&new.password, &new.password)?;
    // The new password is hashed inside; it takes its turn like every other hash.
    let turn = hashing.turn().await?;
    let added =
        chiso_services::users::add_user(db, login, name, new.password, new.is_admin, &actor(p), at)
            .await;
    drop(turn);
    match added {
        Ok(_) => Ok(()),
        Err(e) if e.is(chiso_services::codes::CONFLICT) => Err(FormError::new("admin.login_taken")
            .arg("login", login)
            .into()),
        Err(e) => Err(e.into()),
    }
}

fn not_found(login: &str) -> impl FnOnce(StoreError) -> AppError + '_ {
    move |e| match e {
        StoreError::NotFound(_) => FormError::new("admin.user_not_found")
            .arg("login", login)
            .into(),
        e => e.into(),
    }
}

/// Sets a new password for another user (who forgot theirs); their sessions end.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn reset_password(
    db: &Db,
    hashing: &PasswordHashing,
    p: &Principal,
    login: &str,
    password: String,
    at: OffsetDateTime,
) -> Result<(), AppError> {
    require_user_admin(p)?;
    check_new_password(&password, &password)?;
    let hashed = hashing.hash(password).await?;
    users::set_password(db, login, &hashed, &actor(p), at)
        .await
        .map_err(not_found(login))
}

/// Disables or enables sign-in for a user; a disabled user's sessions stop counting at once.
/// Administrators cannot disable themselves, so the last one cannot lock everybody out.
#[tracing::instrument(skip_all, fields(login = %login, disabled))]
pub async fn set_disabled(
    db: &Db,
    p: &Principal,
    login: &str,
    disabled: bool,
    at: OffsetDateTime,
) -> Result<(), AppError> {
    require_user_admin(p)?;
    if disabled && login == p.login {
        return Err(FormError::new("admin.cannot_disable_self").into());
    }
    users::set_disabled(db, login, disabled, &actor(p), at)
        .await
        .map_err(not_found(login))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_is_a_valid_default_argon2id_hash() {
        assert!(matches!(
            password_auth::verify_password("anything", DUMMY_HASH),
            Err(password_auth::VerifyError::PasswordInvalid)
        ));
        assert!(!password_auth::is_hash_obsolete(DUMMY_HASH).unwrap());
    }

    #[test]
    fn verifying_in_a_kept_buffer_agrees_with_password_auth() {
        let mut blocks = Vec::new();
        let real = password_auth::generate_hash("mat-khau-dung");
        for (password, hash) in [
            ("mat-khau-dung", real.as_str()),
            ("mat-khau-sai", real.as_str()),
            ("anything", DUMMY_HASH),
        ] {
            assert_eq!(
                verify_in(password.as_bytes(), hash, &mut blocks),
                password_auth::verify_password(password, hash).is_ok(),
                "{password}"
            );
        }
        assert!(verify_in(b"mat-khau-dung", &real, &mut blocks));
        assert!(!verify_in(b"x", "not a hash", &mut blocks));
        assert!(!verify_in(
            b"x",
            "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ",
            &mut blocks
        ));
    }

    #[test]
    fn new_passwords_need_the_minimum_length_and_the_same_text_twice() {
        assert_eq!(
            check_new_password("short", "short").unwrap_err().key,
            "account.password_too_short"
        );
        assert_eq!(
            check_new_password("long enough 1", "long enough 2")
                .unwrap_err()
                .key,
            "account.password_mismatch"
        );
        assert!(check_new_password("long enough 1", "long enough 1").is_ok());
    }
}
