//! Work chiso does in the background, outside any request: today the outbox worker, which
//! delivers the e-mail notifications the services record in the same transaction as the
//! change causing them (see `docs/adr/0003-outbox.md`). The worker is the seed of the job
//! runner: it claims work from the database, so it survives crashes and runs on several
//! application nodes at once without doing anything twice.

pub mod mail;
pub mod texts;
pub mod worker;

pub use mail::{NoopNotifier, Notifier, NotifyError, SmtpNotifier, SmtpSettings};
pub use worker::{OutboxConfig, Worker};
