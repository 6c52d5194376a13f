//! Who is making a request: the signed-in user read from the session (and checked against the
//! database on every request, so disabling an account or changing its password takes effect
//! at once on every node), the roles that person holds, and the client's address.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chiso_domain::authz::{Grant, Principal};
use chiso_services::records::User;
use chiso_services::users;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;

use super::csrf;
use crate::{AppError, AppState};

/// Session key of the signed-in person.
const AUTH_KEY: &str = "auth";

/// How stale the "last seen" stamp may get before a request refreshes it. Each refresh writes
/// the session and pushes its inactivity expiry back; refreshing at most this often keeps
/// page views from costing a database write each.
const TOUCH_EVERY: Duration = Duration::minutes(5);

/// What the session remembers of the signed-in person.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionAuth {
    login: String,
    /// Fingerprint of the password hash at sign-in: a password change or reset ends every
    /// other session of the account.
    key: String,
    /// Unix time of the last refresh.
    seen: i64,
}

/// A short digest of the stored password hash; reveals nothing usable about the hash.
fn fingerprint(password_hash: &str) -> String {
    let digest = Sha256::digest(password_hash.as_bytes());
    hex::encode(&digest[..12])
}

/// The signed-in user of a request, if any, with the roles granted to them. Extracting it
/// twice in one request reads the database once.
#[derive(Debug, Clone, Default)]
pub struct CurrentUser {
    user: Option<User>,
    /// Roles granted in the database (per unit, area and period), read with the user so a
    /// revoked role stops working at the next request.
    grants: Vec<Grant>,
    /// Set when the request is signed with an API token instead of a session: the principal
    /// the token acts for (exactly its owner's roles).
    token: Option<Principal>,
}

impl CurrentUser {
    /// Nobody signed in.
    pub fn anonymous() -> Self {
        CurrentUser::default()
    }

    /// The user, if signed in.
    pub fn user(&self) -> Option<&User> {
        self.user.as_ref()
    }

    /// The person as the authorization rules see them; anonymous when not signed in.
    pub fn principal(&self) -> Principal {
        if let Some(p) = &self.token {
            return p.clone();
        }
        self.user()
            .map_or_else(Principal::anonymous, |u| principal(u, &self.grants))
    }

    /// Whether the request is signed with an API token rather than a session.
    pub fn via_token(&self) -> bool {
        self.token.is_some()
    }
}

/// The roles of a user, as the services decide them for sessions and API tokens alike.
pub fn principal(user: &User, granted: &[Grant]) -> Principal {
    chiso_services::users::principal_of(user, granted)
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(done) = parts.extensions.get::<CurrentUser>() {
            return Ok(done.clone());
        }
        let current = match parts.extensions.get::<Session>() {
            Some(session) => load(session, state).await?,
            None => CurrentUser::anonymous(),
        };
        parts.extensions.insert(current.clone());
        Ok(current)
    }
}

async fn load(session: &Session, state: &AppState) -> Result<CurrentUser, AppError> {
    let Some(mut auth) = session.get::<SessionAuth>(AUTH_KEY).await? else {
        return Ok(CurrentUser::anonymous());
    };
    let user = users::find(state.db(), &auth.login).await?;
    let valid = user
        .as_ref()
        .filter(|u| !u.disabled && fingerprint(&u.password_hash) == auth.key);
    let Some(user) = valid else {
        // Disabled, deleted, or the password changed since: this session no longer counts.
        session.remove_value(AUTH_KEY).await?;
        return Ok(CurrentUser::anonymous());
    };
    let now = state.config().clock.now().unix_timestamp();
    if now - auth.seen >= TOUCH_EVERY.whole_seconds() {
        auth.seen = now;
        session.insert(AUTH_KEY, &auth).await?;
    }
    let grants = users::granted(state.db(), &user.login).await?;
    Ok(CurrentUser {
        user: Some(user.clone()),
        grants,
        token: None,
    })
}

/// Signs `user` in: a new session id (so an id planted before sign-in is worthless), a new
/// CSRF token, and the user remembered.
pub(crate) async fn sign_in(
    session: &Session,
    user: &User,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    session.cycle_id().await?;
    session.insert(csrf::CSRF_KEY, csrf::new_token()).await?;
    remember(session, user, now).await
}

/// Re-remembers the user after their password changed, keeping this session alive while the
/// fingerprint change ends the others.
pub(crate) async fn remember(
    session: &Session,
    user: &User,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let auth = SessionAuth {
        login: user.login.clone(),
        key: fingerprint(&user.password_hash),
        seen: now.unix_timestamp(),
    };
    session.insert(AUTH_KEY, &auth).await?;
    Ok(())
}

/// Signs out: the session is deleted from the database and its cookie removed.
pub(crate) async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await?;
    Ok(())
}

/// The client's address, for rate limiting: the peer address, or the last `X-Forwarded-For`
/// entry (the one our own proxy added) when the configuration says a proxy is in front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.config().trust_forwarded_for
            && let Some(ip) = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|s| !s.is_empty())
        {
            return Ok(ClientIp(ip.to_owned()));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
        Ok(ClientIp(peer))
    }
}

/// The secret of `Authorization: Bearer <secret>`, if the request carries one.
fn bearer_secret(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, secret) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| secret.trim().to_owned())
}

/// Middleware on the JSON API: a request signed with an API token acts for the token's owner
/// with exactly their roles. An unknown, expired or revoked token is refused (401) rather than
/// treated as anonymous, so an integration learns at once that its key stopped working; a
/// read-only token is refused any change (403). Each use is recorded (see
/// [`chiso_services::tokens::use_token`]).
pub(crate) async fn bearer(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<axum::response::Response, AppError> {
    let Some(secret) = bearer_secret(req.headers()) else {
        return Ok(next.run(req).await);
    };
    let now = state.config().clock.now();
    let who = chiso_services::tokens::authenticate_token(state.db(), &secret, now).await?;
    let changes = !matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let request = format!("{} {}", req.method(), req.uri().path());
    chiso_services::tokens::use_token(state.db(), &who, changes, &request, now).await?;
    req.extensions_mut().insert(CurrentUser {
        user: Some(who.user),
        grants: Vec::new(),
        token: Some(who.principal),
    });
    Ok(next.run(req).await)
}
