//! Signing in and out, and changing one's own password.

use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;

use super::{PageCtx, render, views};
use crate::accounts::{self, SignIn};
use crate::auth::user::{remember, sign_in, sign_out};
use crate::auth::{ClientIp, CurrentUser, csrf, to_sign_in};
use crate::error::FormError;
use crate::{AppError, AppState};

/// The account routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/dang-nhap", get(login_form).post(login))
        .route("/dang-xuat", post(logout))
        .route(
            "/tai-khoan/mat-khau",
            get(password_form).post(change_password),
        )
}

/// Where to go after signing in: only a path on this site, never `//other.site` or a full
/// URL, so the sign-in page cannot be used to send people elsewhere.
pub(super) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// `GET /dang-nhap`. Stores nothing for an anonymous visitor: the form's token is signed
/// instead of kept in a session (see [`csrf`]), so that crawlers and floods of requests
/// cannot fill the session table.
async fn login_form(
    State(state): State<AppState>,
    mut ctx: PageCtx,
    session: Session,
    Query(q): Query<NextQuery>,
) -> Result<Html<String>, AppError> {
    ctx.csrf = csrf::login_token(&session, &state).await?;
    let next = safe_next(q.next.as_deref());
    render(&views::LoginPage::new(ctx, String::new(), next, None))
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// `POST /dang-nhap`. The attempt is counted before the password is checked, so that parallel
/// attempts cannot check more passwords than the limits allow; a success gives it back.
async fn login(
    State(state): State<AppState>,
    mut ctx: PageCtx,
    session: Session,
    ClientIp(ip): ClientIp,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let now = state.config().clock.now();
    let next = safe_next(f.next.as_deref());
    let login = f.login.trim().to_owned();
    ctx.csrf = csrf::login_token(&session, &state).await?;
    let refuse = |ctx: PageCtx, status: StatusCode, msg: String| {
        let page = views::LoginPage::new(ctx, login.clone(), next.clone(), Some(msg));
        render(&page).map(|html| (status, html).into_response())
    };
    if let Err(wait) = state.throttle().reserve(&login, &ip, now) {
        tracing::warn!(login = %login, ip = %ip, "sign-in refused: too many failures");
        let minutes = (wait.whole_seconds() + 59) / 60;
        let msg = ctx
            .lang
            .tf("login.too_many", &[("minutes", &minutes.to_string())]);
        let mut resp = refuse(ctx, StatusCode::TOO_MANY_REQUESTS, msg)?;
        if let Ok(v) = HeaderValue::from_str(&wait.whole_seconds().max(1).to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(resp);
    }
    let checked = accounts::authenticate(state.db(), state.hashing(), &login, f.password).await;
    match checked {
        Ok(SignIn::Valid(user)) => {
            state.throttle().succeeded(&login, &ip, now);
            sign_in(&session, &user, now).await?;
            tracing::info!(login = %user.login, "signed in");
            Ok(Redirect::to(&next).into_response())
        }
        Ok(SignIn::Disabled) => {
            tracing::info!(login = %login, "sign-in of a disabled account refused");
            let msg = ctx.t("login.disabled").to_owned();
            refuse(ctx, StatusCode::FORBIDDEN, msg)
        }
        Ok(SignIn::Invalid) => {
            tracing::info!(login = %login, ip = %ip, "sign-in failed");
            let msg = ctx.t("login.invalid").to_owned();
            refuse(ctx, StatusCode::UNAUTHORIZED, msg)
        }
        Err(e) => {
            // No password was checked (the server was busy, or the database failed): the
            // attempt does not count.
            state.throttle().release(&login, &ip, now);
            Err(e)
        }
    }
}

/// `POST /dang-xuat`: the session is deleted from the database, not just forgotten by the
/// browser.
async fn logout(session: Session) -> Result<Redirect, AppError> {
    sign_out(&session).await?;
    Ok(Redirect::to("/"))
}

/// `GET /tai-khoan/mat-khau`.
async fn password_form(ctx: PageCtx, current: CurrentUser) -> Result<Response, AppError> {
    if current.user().is_none() {
        return Ok(to_sign_in("/tai-khoan/mat-khau").into_response());
    }
    Ok(render(&views::PasswordPage::new(ctx, None, None))?.into_response())
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /tai-khoan/mat-khau`: the current password, then the new one twice. Wrong current
/// passwords count against the sign-in limits, so a forgotten open session cannot be used to
/// guess the password either.
async fn change_password(
    State(state): State<AppState>,
    ctx: PageCtx,
    current: CurrentUser,
    session: Session,
    ClientIp(ip): ClientIp,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let Some(user) = current.user() else {
        return Ok(to_sign_in("/tai-khoan/mat-khau").into_response());
    };
    let now = state.config().clock.now();
    let form_error = |ctx: PageCtx, status: StatusCode, e: FormError| {
        let msg = e.message(ctx.lang);
        render(&views::PasswordPage::new(ctx, None, Some(msg))).map(|h| (status, h).into_response())
    };
    if state.throttle().reserve(&user.login, &ip, now).is_err() {
        return form_error(
            ctx,
            StatusCode::TOO_MANY_REQUESTS,
            FormError::new("account.too_many"),
        );
    }
    let changed = accounts::change_password(
        state.db(),
        state.hashing(),
        user,
        f.current,
        f.new,
        &f.confirm,
        now,
    )
    .await;
    match changed {
        Ok(updated) => {
            state.throttle().succeeded(&user.login, &ip, now);
            remember(&session, &updated, now).await?;
            tracing::info!(login = %user.login, "password changed");
            let notice = ctx.t("account.password_changed").to_owned();
            Ok(render(&views::PasswordPage::new(ctx, Some(notice), None))?.into_response())
        }
        Err(AppError::Form(e)) => {
            // Only a wrong current password keeps the attempt counted.
            if e.key != "account.current_wrong" {
                state.throttle().release(&user.login, &ip, now);
            }
            form_error(ctx, StatusCode::UNPROCESSABLE_ENTITY, e)
        }
        Err(e) => {
            state.throttle().release(&user.login, &ip, now);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/ky/2024")), "/ky/2024");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
