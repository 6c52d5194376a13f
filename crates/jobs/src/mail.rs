//! Sending one e-mail: the [`Notifier`] the worker delivers through, over SMTP with lettre
//! (STARTTLS through rustls, or plain towards a local relay), or nowhere.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Why one e-mail could not be sent.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotifyError(pub String);

/// Something that delivers one plain-text message to one address.
#[async_trait]
pub trait Notifier: Send + Sync + fmt::Debug {
    /// Sends `body` with `subject` to the address `to`.
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), NotifyError>;
}

/// Sends nothing: the behaviour when no SMTP server is configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopNotifier;

#[async_trait]
impl Notifier for NoopNotifier {
    async fn send(&self, _to: &str, _subject: &str, _body: &str) -> Result<(), NotifyError> {
        Ok(())
    }
}

/// How to reach the SMTP server.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// Signs in with `user` and `password` when a user is given.
    pub user: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `Chỉ số CCHC <cchc@example.gov.vn>`.
    pub from: String,
    /// Upgrades the connection with STARTTLS (required, not opportunistic); without it the
    /// connection is plain, which is only acceptable towards a relay on the same host or
    /// network.
    pub starttls: bool,
    /// Longest exchange with the server ([`SMTP_TIMEOUT`] unless configured).
    pub timeout: Duration,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("from", &self.from)
            .field("starttls", &self.starttls)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Sends through an SMTP server.
pub struct SmtpNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    host: String,
    port: u16,
}

impl fmt::Debug for SmtpNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpNotifier")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// How long one exchange with the mail server may take by default; the worker's lease on a
/// delivery must be longer (see [`crate::OutboxConfig`]).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl SmtpNotifier {
    /// Checks the sender address and prepares the connection (nothing is connected yet).
    pub fn new(s: &SmtpSettings) -> Result<Self, NotifyError> {
        let from: Mailbox = s
            .from
            .parse()
            .map_err(|e| NotifyError(format!("địa chỉ gửi \"{}\" không hợp lệ: {e}", s.from)))?;
        let builder = if s.starttls {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|e| NotifyError(format!("máy chủ SMTP \"{}\": {e}", s.host)))?
        } else {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
        };
        let mut builder = builder.port(s.port).timeout(Some(s.timeout));
        if let Some(user) = &s.user {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                s.password.clone().unwrap_or_default(),
            ));
        }
        Ok(SmtpNotifier {
            transport: builder.build(),
            from,
            host: s.host.clone(),
            port: s.port,
        })
    }
}

#[async_trait]
impl Notifier for SmtpNotifier {
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), NotifyError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| NotifyError(format!("địa chỉ nhận \"{to}\" không hợp lệ: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| NotifyError(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| NotifyError(e.to_string()))
    }
}
