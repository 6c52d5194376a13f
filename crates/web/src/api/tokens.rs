//! Personal API tokens over the API: list, create (signed in with a session: the secret is in
//! the response, once) and revoke. The rules are the services' (`chiso_services::tokens`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chiso_services::tokens::{self, CreateToken, StoredToken, TokenScope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::ErrorBody;
use crate::auth::CurrentUser;
use crate::{AppError, AppState};

/// A token as listed: never its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Token)]
pub struct TokenDto {
    #[schema(example = 7)]
    pub id: i64,
    /// The owner; the token acts with exactly their roles.
    #[schema(example = "canbo.snv")]
    pub login: String,
    #[schema(example = "Phần mềm một cửa")]
    pub name: String,
    /// `read` or `write`.
    #[schema(example = "write")]
    pub scope: String,
    /// RFC 3339.
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<&StoredToken> for TokenDto {
    fn from(t: &StoredToken) -> Self {
        let ts = |at: time::OffsetDateTime| {
            at.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        };
        TokenDto {
            id: t.id,
            login: t.login.clone(),
            name: t.name.clone(),
            scope: t.scope.clone(),
            created_at: ts(t.created_at),
            expires_at: ts(t.expires_at),
            last_used_at: t.last_used_at.map(ts),
            revoked_at: t.revoked_at.map(ts),
        }
    }
}

/// A new token's request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = NewToken)]
pub struct NewTokenDto {
    /// What will use it.
    #[schema(example = "Phần mềm một cửa")]
    pub name: String,
    /// `read` (reading only) or `write` (reading and writing within the owner's roles).
    #[schema(example = "write")]
    pub scope: String,
    /// Days until it expires, 1 to 365.
    #[schema(example = 90)]
    pub valid_days: i64,
    /// Whose token (user administrators only); the caller's own when absent.
    #[serde(default)]
    pub owner: Option<String>,
}

/// A created token, with its secret: shown this once and never again.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = CreatedToken)]
pub struct CreatedTokenDto {
    /// Send as `Authorization: Bearer <secret>`.
    #[schema(example = "chiso_5f0c…")]
    pub secret: String,
    pub token: TokenDto,
}

/// Whose tokens to list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct TokenQuery {
    /// A login (user administrators), or `*` for everyone's; the caller's own when absent.
    pub owner: Option<String>,
}

/// The caller's API tokens (or, for user administrators, someone's or everyone's).
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "tokens",
    params(TokenQuery),
    responses(
        (status = 200, description = "The tokens, newest first", body = [TokenDto]),
        (status = 401, description = "The request's token is not valid", body = ErrorBody),
        (status = 403, description = "Not signed in, or not a user administrator", body = ErrorBody)
    )
)]
pub(super) async fn list_tokens(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<TokenQuery>,
) -> Result<Json<Vec<TokenDto>>, AppError> {
    let list = tokens::list_tokens(state.db(), &current.principal(), q.owner.as_deref()).await?;
    Ok(Json(list.iter().map(TokenDto::from).collect()))
}

/// Creates an API token. Only a person signed in with a session may; the secret is in the
/// response and cannot be read again.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "tokens",
    request_body = NewTokenDto,
    responses(
        (status = 201, description = "The token and its secret", body = CreatedTokenDto),
        (status = 403, description = "Not signed in, signed with a token, or not allowed", body = ErrorBody),
        (status = 422, description = "A field is wrong", body = ErrorBody)
    )
)]
pub(super) async fn create_token(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(body): Json<NewTokenDto>,
) -> Result<(StatusCode, Json<CreatedTokenDto>), AppError> {
    let cmd = CreateToken {
        owner: body.owner,
        name: body.name,
        scope: TokenScope::parse(&body.scope)?,
        valid_days: body.valid_days,
        with_token: current.via_token(),
    };
    let now = state.config().clock.now();
    let made = tokens::create_token(state.db(), &current.principal(), cmd, now).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenDto {
            secret: made.secret,
            token: TokenDto::from(&made.token),
        }),
    ))
}

/// Revokes an API token of the caller's (or anyone's, for user administrators).
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "tokens",
    params(("id" = i64, Path, description = "Token number", example = 7)),
    responses(
        (status = 204, description = "Revoked (or already revoked)"),
        (status = 404, description = "No such token among the caller's", body = ErrorBody)
    )
)]
pub(super) async fn revoke_token(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let now = state.config().clock.now();
    tokens::revoke_token(state.db(), &current.principal(), id, now).await?;
    Ok(StatusCode::NO_CONTENT)
}
