//! The application's one error type and how errors reach people: a localized HTML page for
//! browsers, `{"error": {"code", "message"}}` for the API. Server faults are opaque to the
//! client (a request id to quote) and their cause chain is logged exactly once, here.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;
use crate::i18n::Lang;

/// Everything a handler can fail with. Each variant decides its HTTP status, a stable
/// machine code (API clients switch on it) and a translated message.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No period with this code (or the code is not even well-formed).
    #[error("period {0:?} not found")]
    PeriodNotFound(String),
    /// No unit with this code.
    #[error("unit {0:?} not found")]
    UnitNotFound(String),
    /// The unit exists (or not) but has no result in this period.
    #[error("unit {unit:?} has no result in period {period:?}")]
    UnitNotInPeriod {
        /// Period code as requested.
        period: String,
        /// Unit code as requested.
        unit: String,
    },
    /// No route matches the path.
    #[error("page not found")]
    PageNotFound,
    /// The person is signed in but their roles do not allow this.
    #[error("forbidden")]
    Forbidden,
    /// A state-changing request without a valid CSRF token, or sent from another site.
    #[error("cross-site request refused")]
    CsrfRejected,
    /// A field, query parameter or path segment holds a control character (NUL and the
    /// like), which no text in the application may contain.
    #[error("control character in {0:?}")]
    ControlChar(String),
    /// A path segment is not valid UTF-8 once percent-decoded.
    #[error("path segment is not UTF-8")]
    BadPath,
    /// The request body broke off: the client went away or stalled past the body timeout.
    #[error("request body incomplete")]
    BodyIncomplete,
    /// The request body exceeds the limit.
    #[error("request body too large")]
    TooLarge,
    /// A form field is wrong; pages show the message next to the form.
    #[error("invalid form: {}", .0.key)]
    Form(FormError),
    /// A service refused or failed; its code decides the status and the message.
    #[error("{0}")]
    Service(#[source] chiso_services::ServiceError),
    /// The session could not be read or written; never shown to the client.
    #[error("session failure")]
    Session(#[from] tower_sessions::session::Error),
    /// A template failed to render; never shown to the client.
    #[error("template rendering failed")]
    Render(#[from] askama::Error),
}

impl AppError {
    /// The HTTP status this error maps to.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::PeriodNotFound(_)
            | AppError::UnitNotFound(_)
            | AppError::UnitNotInPeriod { .. }
            | AppError::PageNotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::Form(_) | AppError::ControlChar(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadPath | AppError::BodyIncomplete => StatusCode::BAD_REQUEST,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Service(e) => status_of(e.kind()),
            AppError::Render(_) | AppError::Session(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn info(&self) -> ErrorInfo {
        let (code, key, args) = match self {
            AppError::PeriodNotFound(p) => (
                "period_not_found",
                "error.period_not_found",
                vec![("period", p.clone())],
            ),
            AppError::UnitNotFound(u) => (
                "unit_not_found",
                "error.unit_not_found",
                vec![("unit", u.clone())],
            ),
            AppError::UnitNotInPeriod { period, unit } => (
                "unit_not_in_period",
                "error.unit_not_in_period",
                vec![("period", period.clone()), ("unit", unit.clone())],
            ),
            AppError::PageNotFound => ("not_found", "error.page_not_found", vec![]),
            AppError::Forbidden => ("forbidden", "error.forbidden", vec![]),
            AppError::CsrfRejected => ("csrf", "error.csrf", vec![]),
            AppError::Form(f) => {
                return ErrorInfo {
                    status: self.status(),
                    code: "invalid",
                    key: f.key.clone(),
                    args: f.args.clone(),
                    problems: f.problems.clone(),
                    detail: None,
                };
            }
            AppError::Service(e) => {
                return ErrorInfo {
                    status: self.status(),
                    code: e.code().as_str(),
                    key: std::borrow::Cow::Owned(service_key(e.code())),
                    args: e.args().to_vec(),
                    problems: Vec::new(),
                    detail: e.details().cloned(),
                };
            }
            AppError::ControlChar(field) => (
                "control_character",
                "error.control_character",
                vec![("field", field.clone())],
            ),
            AppError::BadPath => ("bad_path", "error.bad_path", vec![]),
            AppError::BodyIncomplete => ("bad_request", "error.bad_request", vec![]),
            AppError::TooLarge => ("payload_too_large", "error.payload_too_large", vec![]),
            AppError::Render(_) | AppError::Session(_) => ("internal", "error.internal", vec![]),
        };
        ErrorInfo {
            status: self.status(),
            code,
            key: std::borrow::Cow::Borrowed(key),
            args,
            problems: Vec::new(),
            detail: None,
        }
    }
}

impl From<chiso_services::ServiceError> for AppError {
    fn from(e: chiso_services::ServiceError) -> Self {
        AppError::Service(e)
    }
}

/// The one mapping from a service error's kind to an HTTP status.
pub fn status_of(kind: chiso_services::Kind) -> StatusCode {
    use chiso_services::Kind;
    match kind {
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The catalog key of a service error code: `error.<code>`.
pub fn service_key(code: chiso_services::Code) -> String {
    format!("error.{}", code.as_str())
}

/// A service error in `lang`: its message with the arguments filled in, then one line per
/// detail (each problem of a file, each value that could not be scored).
pub fn service_message(lang: Lang, e: &chiso_services::ServiceError) -> String {
    let args: Vec<(&str, &str)> = e.args().iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut text = lang.tf(&service_key(e.code()), &args);
    for line in detail_lines(lang, e.details()) {
        text.push('\n');
        text.push_str(&line);
    }
    text
}

/// A problem of an imported file in `lang` (`file.<code>` with its arguments), without its
/// place.
pub fn problem_text(lang: Lang, p: &chiso_formats::Problem) -> String {
    p.text(&|key| lang.lookup(key))
}

/// One problem of an imported file in `lang`, after its place: `units.csv, dòng 4, cột
/// "group": thiếu tên nhóm` or `units.csv, row 4, column "group": the group name is missing`.
pub fn import_line(lang: Lang, e: &chiso_formats::ImportError) -> String {
    e.text(&|key| lang.lookup(key))
}

/// Every problem of an imported file in `lang`, one per line.
pub fn import_text(lang: Lang, errors: &chiso_formats::ImportErrors) -> String {
    errors
        .errors()
        .iter()
        .map(|e| import_line(lang, e))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The arguments of a file problem for API clients, all text: a nested problem appears under
/// its name as its code, and its own arguments under `name.arg` (`reason` = `id_bad_chars`,
/// `reason.value` = `X Y`), so a client can switch on every level.
pub fn problem_args(p: &chiso_formats::Problem) -> std::collections::BTreeMap<String, String> {
    fn put(
        p: &chiso_formats::Problem,
        prefix: &str,
        out: &mut std::collections::BTreeMap<String, String>,
    ) {
        for (k, v) in &p.args {
            out.insert(format!("{prefix}{k}"), v.clone());
        }
        for (k, nested) in p.parts.iter() {
            let name = format!("{prefix}{k}");
            out.insert(name.clone(), nested.code.as_str().to_owned());
            put(nested, &format!("{name}."), out);
        }
    }
    let mut out = std::collections::BTreeMap::new();
    put(p, "", &mut out);
    out
}

/// The details of a service error, one line each, in `lang`.
pub fn detail_lines(lang: Lang, detail: Option<&chiso_services::Detail>) -> Vec<String> {
    use chiso_services::Detail;
    match detail {
        None => Vec::new(),
        Some(Detail::Import(errors)) => errors
            .errors()
            .iter()
            .map(|e| import_line(lang, e))
            .collect(),
        Some(Detail::Score(errors)) => errors.iter().map(ToString::to_string).collect(),
        Some(Detail::Problems(problems)) => problems
            .iter()
            .map(|p| {
                let args: Vec<(&str, &str)> =
                    p.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                lang.tf(&service_key(p.code), &args)
            })
            .collect(),
    }
}

impl IntoResponse for AppError {
    /// Logs server faults with their cause chain, then answers with a bare response that
    /// carries [`ErrorInfo`]; the error layer turns it into a page or JSON in the request's
    /// language.
    fn into_response(self) -> Response {
        let info = self.info();
        if info.status.is_server_error() {
            tracing::error!(error = %self, causes = %cause_chain(&self), "request failed");
        }
        let mut resp = (info.status, info.code).into_response();
        // Too much work at once (passwords being checked, a busy database): the service
        // says how long to wait, if it knows.
        if let AppError::Service(e) = &self
            && e.is(chiso_services::codes::BUSY)
            && let Some(wait) = e.get("retry_after").and_then(|s| s.parse::<u64>().ok())
        {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        resp.extensions_mut().insert(info);
        resp
    }
}

/// A mistake in what a person typed: a message key with its placeholders, shown next to the
/// form in the person's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    /// Locale key of the message.
    pub key: std::borrow::Cow<'static, str>,
    /// Values for the message's `{name}` placeholders.
    pub args: Vec<(&'static str, String)>,
    /// Problems found by a file reader that fill placeholders, worded in the person's
    /// language when the message is (a criterion's scoring parameters are read as a
    /// spreadsheet cell is).
    pub problems: Vec<(&'static str, chiso_formats::Problem)>,
}

impl FormError {
    /// A message without placeholders.
    pub fn new(key: &'static str) -> Self {
        FormError {
            key: std::borrow::Cow::Borrowed(key),
            args: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// The message of a service's refusal of one field: its code's text (`error.<code>`)
    /// with its arguments.
    pub fn of_problem(p: &chiso_services::Problem) -> Self {
        FormError {
            key: std::borrow::Cow::Owned(service_key(p.code)),
            args: p.args.clone(),
            problems: Vec::new(),
        }
    }

    /// Adds a placeholder value.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// Adds a file reader's problem as the placeholder `name`.
    pub fn problem(mut self, name: &'static str, problem: chiso_formats::Problem) -> Self {
        self.problems.push((name, problem));
        self
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        with_problems(lang, &self.key, &self.args, &self.problems)
    }
}

impl From<FormError> for AppError {
    fn from(e: FormError) -> Self {
        AppError::Form(e)
    }
}

/// The text of `key` in `lang` with its arguments and its file problems, each worded in `lang`.
fn with_problems(
    lang: Lang,
    key: &str,
    args: &[(&'static str, String)],
    problems: &[(&'static str, chiso_formats::Problem)],
) -> String {
    let worded: Vec<(&str, String)> = problems
        .iter()
        .map(|(k, p)| (*k, problem_text(lang, p)))
        .collect();
    let all: Vec<(&str, &str)> = args
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(worded.iter().map(|(k, v)| (*k, v.as_str())))
        .collect();
    lang.tf(key, &all)
}

/// `a: b: c` from an error's sources, so one log line tells the whole story.
fn cause_chain(err: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    let mut cur = err.source();
    while let Some(e) = cur {
        parts.push(e.to_string());
        cur = e.source();
    }
    parts.join(": ")
}

/// What the error layer needs to render an error: status, stable code and message template.
#[derive(Debug, Clone)]
pub(crate) struct ErrorInfo {
    status: StatusCode,
    code: &'static str,
    key: std::borrow::Cow<'static, str>,
    args: Vec<(&'static str, String)>,
    problems: Vec<(&'static str, chiso_formats::Problem)>,
    detail: Option<chiso_services::Detail>,
}

impl ErrorInfo {
    /// For responses produced by the framework itself (unknown method, bad path…).
    fn from_status(status: StatusCode) -> Self {
        let (code, key) = match status {
            StatusCode::NOT_FOUND => ("not_found", "error.page_not_found"),
            StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "error.method_not_allowed"),
            StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "error.payload_too_large"),
            StatusCode::FORBIDDEN => ("forbidden", "error.forbidden"),
            s if s.is_server_error() => ("internal", "error.internal"),
            _ => ("bad_request", "error.bad_request"),
        };
        ErrorInfo {
            status,
            code,
            key: std::borrow::Cow::Borrowed(key),
            args: Vec::new(),
            problems: Vec::new(),
            detail: None,
        }
    }

    fn message(&self, lang: Lang) -> String {
        let mut text = with_problems(lang, &self.key, &self.args, &self.problems);
        for line in detail_lines(lang, self.detail.as_ref()) {
            text.push('\n');
            text.push_str(&line);
        }
        text
    }
}

/// Middleware: renders every error response (ours, or the framework's empty 404/405) as a
/// localized page, or as the JSON error body under `/api/`.
pub(crate) async fn render_errors(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let lang = Lang::from_request(req.uri(), req.headers());
    let path = req.uri().path().to_owned();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let session = req.extensions().get::<tower_sessions::Session>().cloned();
    let resp = next.run(req).await;
    let info = match resp.extensions().get::<ErrorInfo>() {
        Some(info) => info.clone(),
        // The framework's own refusals (unknown route or method, a path parameter that is
        // not UTF-8, a body over the limit) come bare or as English plain text.
        None if resp.status().as_u16() >= 400 && framework_made(&resp) => {
            ErrorInfo::from_status(resp.status())
        }
        None => return resp,
    };
    let message = info.message(lang);
    let mut out = if path.starts_with("/api/") {
        let details = crate::api::dto::ErrorItemDto::list(lang, info.detail.as_ref());
        let body = crate::api::dto::ErrorBody::new(info.code, message)
            .with_args(&info.args)
            .with_details(details);
        (info.status, axum::Json(body)).into_response()
    } else {
        let ctx = crate::pages::error_ctx(&state, lang, path, session).await;
        let page = crate::pages::error_page(
            ctx,
            info.status,
            message,
            request_id.filter(|_| info.status.is_server_error()),
        );
        match page {
            Ok(html) => (info.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                (info.status, message_fallback(lang)).into_response()
            }
        }
    };
    if info.status == StatusCode::METHOD_NOT_ALLOWED
        && let Some(allow) = resp.headers().get(header::ALLOW)
    {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    if let Some(wait) = resp.headers().get(header::RETRY_AFTER) {
        out.headers_mut().insert(header::RETRY_AFTER, wait.clone());
    }
    out.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}

/// An error response without our [`ErrorInfo`] that nobody dressed: no content type, or the
/// plain text of axum's extractor rejections and tower-http's body limit.
fn framework_made(resp: &Response) -> bool {
    match resp.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(v) => v.as_bytes().starts_with(b"text/plain"),
    }
}

fn message_fallback(lang: Lang) -> &'static str {
    lang.t("error.internal")
}
