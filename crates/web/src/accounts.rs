//! Accounts on the web: the use cases (signing in, changing one's own password, the
//! administrators' user list) are [`chiso_services::users`]; this module gives them the web
//! server's way of hashing passwords ([`PasswordHashing`]: Argon2id on a few threads of its
//! own, at most a few at a time, since each takes about 19 MiB and a flood of sign-ins must
//! queue, not multiply the server's memory) and words the forms' mistakes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};

use chiso_domain::authz::Principal;
use chiso_services::records::User;
use chiso_services::users::{self, Passwords};
use chiso_services::{Db, ServiceError, ServiceResult, codes};
use time::OffsetDateTime;

use crate::AppError;
use crate::error::FormError;

pub use chiso_services::users::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, NewUser, SignIn};

/// The gate in front of Argon2id: at most `concurrency` hashes or verifications run at once
/// (each holds ~19 MiB while it runs); the others wait up to `wait` for a turn and are then
/// refused with `busy` (503, with the wait as `Retry-After`). It also counts the verifications it ran, which the tests
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

    /// Waits for a free permit, or refuses with `busy` after the bounded wait.
    async fn turn(&self) -> ServiceResult<tokio::sync::OwnedSemaphorePermit> {
        let permits = Arc::clone(&self.permits);
        match tokio::time::timeout(self.wait, permits.acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            // Closed never happens (the semaphore is never closed); treat it like a timeout.
            Ok(Err(_)) | Err(_) => {
                tracing::warn!("password hashing busy: request refused");
                Err(ServiceError::new(codes::BUSY).arg("retry_after", self.wait.as_secs().max(1)))
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
    ) -> ServiceResult<T> {
        let permit = self.turn().await?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            drop(permit);
            let _ = tx.send(out);
        });
        let failed =
            || ServiceError::internal(std::io::Error::other("password hashing did not finish"));
        self.queue().send(job).map_err(|_| failed())?;
        match rx.await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(_)) | Err(_) => Err(failed()),
        }
    }

    /// Whether `password` matches the PHC `hash`.
    pub async fn verify(&self, password: String, hash: String) -> ServiceResult<bool> {
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
    pub async fn hash(&self, password: String) -> ServiceResult<String> {
        self.run(move || password_auth::generate_hash(password))
            .await
    }
}

impl Passwords for PasswordHashing {
    async fn verify(&self, password: String, hash: String) -> ServiceResult<bool> {
        PasswordHashing::verify(self, password, hash).await
    }

    async fn hash(&self, password: String) -> ServiceResult<String> {
        PasswordHashing::hash(self, password).await
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

/// The page's own message for a refusal of the accounts service: the forms have always
/// spoken of these mistakes in their own words; anything else stays the service's error.
pub(crate) fn form_error(e: ServiceError) -> AppError {
    let arg = |name: &str| e.get(name).unwrap_or_default().to_owned();
    let form = match e.code() {
        c if c == codes::PASSWORD_TOO_SHORT => {
            FormError::new("account.password_too_short").arg("n", arg("min"))
        }
        c if c == codes::PASSWORD_TOO_LONG => {
            FormError::new("account.password_too_long").arg("n", arg("max"))
        }
        c if c == codes::PASSWORD_MISMATCH => FormError::new("account.password_mismatch"),
        c if c == codes::CURRENT_PASSWORD_WRONG => FormError::new("account.current_wrong"),
        c if c == codes::LOGIN_INVALID => FormError::new("admin.login_invalid"),
        c if c == codes::USER_NAME_REQUIRED => FormError::new("admin.name_required"),
        c if c == codes::LOGIN_TAKEN => {
            FormError::new("admin.login_taken").arg("login", arg("login"))
        }
        c if c == codes::USER_NOT_FOUND => {
            FormError::new("admin.user_not_found").arg("login", arg("login"))
        }
        c if c == codes::CANNOT_DISABLE_SELF => FormError::new("admin.cannot_disable_self"),
        c if c == codes::EMAIL_INVALID => {
            FormError::new("notify.email_invalid").arg("email", arg("email"))
        }
        _ if e.kind() == chiso_services::Kind::Forbidden => return AppError::Forbidden,
        _ => return e.into(),
    };
    form.into()
}

/// Checks a login and password (see [`users::authenticate`]).
pub async fn authenticate(
    db: &Db,
    hashing: &PasswordHashing,
    login: &str,
    password: String,
) -> Result<SignIn, AppError> {
    Ok(users::authenticate(db, hashing, login, password).await?)
}

/// The rules for a new password: length within bounds, typed the same twice.
pub fn check_new_password(new: &str, confirm: &str) -> Result<(), FormError> {
    users::check_new_password(new, confirm).map_err(|e| match form_error(e) {
        AppError::Form(f) => f,
        _ => FormError::new("error.internal"),
    })
}

/// Changes the signed-in user's own password after checking the current one; returns the user
/// with the new hash.
pub async fn change_password(
    db: &Db,
    hashing: &PasswordHashing,
    user: &User,
    current: String,
    new: String,
    confirm: &str,
    at: OffsetDateTime,
) -> Result<User, AppError> {
    users::change_password(db, hashing, user, current, new, confirm, at)
        .await
        .map_err(form_error)
}

/// Refuses anyone who may not manage users.
pub fn require_user_admin(p: &Principal) -> Result<(), AppError> {
    users::require_manage(p).map_err(|_| AppError::Forbidden)
}

/// Every user, by login.
pub async fn list_users(db: &Db, p: &Principal) -> Result<Vec<User>, AppError> {
    users::list(db, p).await.map_err(form_error)
}

/// Creates a user; a refusal stays the service's error, with every mistake of the form.
pub async fn create_user(
    db: &Db,
    hashing: &PasswordHashing,
    p: &Principal,
    new: NewUser,
    at: OffsetDateTime,
) -> Result<(), ServiceError> {
    users::create(db, hashing, p, new, at).await
}

/// Refuses an e-mail address that is neither empty nor valid, naming it.
pub fn check_email(email: &str) -> Result<(), AppError> {
    users::check_email(email).map_err(form_error)
}

/// Sets the e-mail address of `login` (empty clears it); for administrators, audited.
pub async fn set_user_email(
    db: &Db,
    p: &Principal,
    login: &str,
    email: &str,
    at: OffsetDateTime,
) -> Result<(), AppError> {
    users::set_email(db, p, login, email, at)
        .await
        .map_err(form_error)
}

/// Sets a new password for another user (who forgot theirs); their sessions end.
pub async fn reset_password(
    db: &Db,
    hashing: &PasswordHashing,
    p: &Principal,
    login: &str,
    password: String,
    at: OffsetDateTime,
) -> Result<(), AppError> {
    users::reset_password(db, hashing, p, login, password, at)
        .await
        .map_err(form_error)
}

/// Disables or enables sign-in for a user; administrators cannot disable themselves.
pub async fn set_disabled(
    db: &Db,
    p: &Principal,
    login: &str,
    disabled: bool,
    at: OffsetDateTime,
) -> Result<(), AppError> {
    users::set_disabled(db, p, login, disabled, at)
        .await
        .map_err(form_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifying_in_a_kept_buffer_agrees_with_password_auth() {
        let mut blocks = Vec::new();
        let real = password_auth::generate_hash("mat-khau-dung");
        for (password, hash) in [
            ("mat-khau-dung", real.as_str()),
            ("mat-khau-sai", real.as_str()),
            ("anything", users::DUMMY_HASH),
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
