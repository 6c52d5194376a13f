//! Optional e-mail notifications about the assessment cycle's to-do items: a self-assessment
//! waiting for appraisal, an explanation requested from a unit, a period approved by the
//! council chair. Off unless [`crate::WebConfig::notifier`] is set (`chiso serve --smtp-host`).
//!
//! Sending never fails or slows the request that caused it: the hooks run after the change is
//! committed, gather recipients and send on a spawned task, and a failure is only logged. The
//! message is in Vietnamese with a one-line English summary under it; the to-do list in the
//! application stays the reference, an e-mail is only a reminder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chiso_domain::authz::{Principal, Role};
use chiso_domain::{PeriodCode, UnitCode};
use chiso_store::{Actor, Db, StoreError, grants, periods, units, users};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use time::OffsetDateTime;

use crate::error::FormError;
use crate::{AppError, AppState, Lang, accounts};

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

/// A slow mail server must not keep tasks around for long.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

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
        let mut builder = builder.port(s.port).timeout(Some(SMTP_TIMEOUT));
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

/// Whether `text` looks like one e-mail address (what the user form accepts).
pub fn valid_email(text: &str) -> bool {
    text.len() <= 254 && text.parse::<lettre::Address>().is_ok()
}

/// What happened, for whom to write.
#[derive(Debug, Clone)]
enum Event {
    Submitted { period: PeriodCode, unit: UnitCode },
    ExplanationRequested { period: PeriodCode, unit: UnitCode },
    Approved { period: PeriodCode },
}

/// The leader submitted the unit's self-assessment: tells the appraisers whose scope covers
/// the unit.
pub(crate) fn self_assessment_submitted(state: &AppState, period: &PeriodCode, unit: &UnitCode) {
    dispatch(
        state,
        Event::Submitted {
            period: period.clone(),
            unit: unit.clone(),
        },
    );
}

/// An appraiser asked the unit for an explanation: tells its officers and leaders.
pub(crate) fn explanation_requested(state: &AppState, period: &PeriodCode, unit: &UnitCode) {
    dispatch(
        state,
        Event::ExplanationRequested {
            period: period.clone(),
            unit: unit.clone(),
        },
    );
}

/// The council chair approved the period: tells every unit officer and leader of it.
pub(crate) fn period_approved(state: &AppState, period: &PeriodCode) {
    dispatch(
        state,
        Event::Approved {
            period: period.clone(),
        },
    );
}

fn dispatch(state: &AppState, event: Event) {
    let Some(notifier) = state.config().notifier.clone() else {
        return;
    };
    let db = state.db().clone();
    tokio::spawn(async move {
        if let Err(e) = deliver(&db, notifier, &event).await {
            tracing::warn!(error = %e, ?event, "e-mail notification not sent");
        }
    });
}

/// The grant applies to `period` (granted for it or for every period).
fn in_period(g: &grants::StoredGrant, period: &PeriodCode) -> bool {
    g.grant.period.as_ref().is_none_or(|p| p == period)
}

async fn deliver(db: &Db, notifier: Arc<dyn Notifier>, event: &Event) -> Result<(), StoreError> {
    let all = grants::list(db).await?;
    let (period, unit) = match event {
        Event::Submitted { period, unit } | Event::ExplanationRequested { period, unit } => {
            (period, Some(unit))
        }
        Event::Approved { period } => (period, None),
    };
    let mut logins: Vec<String> = all
        .iter()
        .filter(|g| in_period(g, period))
        .filter(|g| match (event, &g.grant.role) {
            (Event::Submitted { unit, .. }, Role::Appraiser { scope }) => scope.covers_unit(unit),
            (
                Event::ExplanationRequested { unit, .. },
                Role::UnitOfficer { unit: u } | Role::UnitLeader { unit: u },
            ) => u == unit,
            (Event::Approved { .. }, Role::UnitOfficer { .. } | Role::UnitLeader { .. }) => true,
            _ => false,
        })
        .map(|g| g.login.clone())
        .collect();
    logins.sort();
    logins.dedup();
    let recipients = users::emails_of(db, &logins).await?;
    if recipients.is_empty() {
        return Ok(());
    }
    let period_name = match periods::get(db, period).await? {
        Some(p) => format!("{} ({})", p.name, p.code),
        None => period.to_string(),
    };
    let unit_name = match unit {
        Some(u) => match units::get(db, u).await? {
            Some(x) => format!("{} ({})", x.name, x.code),
            None => u.to_string(),
        },
        None => String::new(),
    };
    let [subject, body, summary] = match event {
        Event::Submitted { .. } => [
            "notify.submitted_subject",
            "notify.submitted_body",
            "notify.submitted_summary",
        ],
        Event::ExplanationRequested { .. } => [
            "notify.explanation_subject",
            "notify.explanation_body",
            "notify.explanation_summary",
        ],
        Event::Approved { .. } => [
            "notify.approved_subject",
            "notify.approved_body",
            "notify.approved_summary",
        ],
    };
    let args = [
        ("unit", unit_name.as_str()),
        ("period", period_name.as_str()),
    ];
    let subject = Lang::Vi.tf(subject, &args);
    let body = format!(
        "{}\n\n{}\n\n-- \n{}\n",
        Lang::Vi.tf(body, &args),
        Lang::Vi.t("notify.footer"),
        Lang::En.tf(summary, &args),
    );
    for (login, address) in recipients {
        if let Err(e) = notifier.send(&address, &subject, &body).await {
            tracing::warn!(error = %e, login, "e-mail notification not sent");
        }
    }
    Ok(())
}

/// Refuses an e-mail address that is neither empty nor valid, naming it.
pub(crate) fn check_email(email: &str) -> Result<(), FormError> {
    if email.is_empty() || valid_email(email) {
        Ok(())
    } else {
        Err(FormError::new("notify.email_invalid").arg("email", email))
    }
}

/// Sets the e-mail address of `login` (empty clears it); for administrators, audited.
pub(crate) async fn set_user_email(
    db: &Db,
    p: &Principal,
    login: &str,
    email: &str,
    at: OffsetDateTime,
) -> Result<(), AppError> {
    accounts::require_user_admin(p)?;
    check_email(email)?;
    let email = Some(email).filter(|e| !e.is_empty());
    users::set_email(db, login, email, &Actor(p.login.clone()), at)
        .await
        .map_err(chiso_services::ServiceError::from)?;
    Ok(())
}
