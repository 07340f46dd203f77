//! Who is asking: the extractors that turn a request's credentials into an [`app::Principal`], and
//! the sign-in routes. A bearer token (personal, or the configured staff token) needs nothing more;
//! a session cookie also needs the session's CSRF token in `X-CSRF-Token` on every write, so that
//! no other site can write with a signed-in browser. Credentials are never logged.
//!
//! Who may see: `POST /api/login` everyone; `POST /api/logout`, `GET /api/me`, `/api/me/tokens` the
//! signed-in account itself; `GET /api/admin/users`, `GET /api/admin/audit` admins.

use super::extract::{JsonBody, Path};
use super::{AppError, AppState};
use crate::app::{self, Principal, SessionAuth};
use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "sasaeai_session";
/// The header a cookie-authenticated write must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The caller, whoever they are (anonymous included).
pub struct Caller(pub Principal);

/// The caller, who must be signed in (401 otherwise, before the body is read).
pub struct SignedIn(pub Principal);

/// The caller signed in with a session cookie (for logout).
pub struct Session(pub SessionAuth);

fn client(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
}

/// The session of the request's cookie, with its CSRF token checked on writes.
async fn session(parts: &Parts, state: &AppState) -> Result<Option<SessionAuth>, AppError> {
    let Some(secret) = session_cookie(&parts.headers).map(str::to_owned) else { return Ok(None) };
    let client = client(parts);
    let found = state.blocking(move |app| app.from_session(&secret, client)).await?;
    let Some(auth) = found else { return Ok(None) };
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !safe && !app::constant_time_eq(sent.as_bytes(), auth.csrf.as_bytes()) {
        return Err(AppError::client(
            StatusCode::FORBIDDEN,
            "CSRF token missing",
            format!(
                "a write with a session cookie must send the session's token in {CSRF_HEADER} (from GET /api/me)"
            ),
        ));
    }
    Ok(Some(auth))
}

/// The caller and, when they came with a session cookie, its CSRF token.
async fn identify(parts: &Parts, state: &AppState) -> Result<(Principal, Option<String>), AppError> {
    let client = client(parts);
    if let Some(token) = bearer(&parts.headers).map(str::to_owned) {
        let principal =
            state.blocking(move |app| app.from_bearer(&token, client)).await.map_err(|e| match e {
                AppError::Client { status: StatusCode::UNAUTHORIZED, .. } => AppError::client(
                    StatusCode::UNAUTHORIZED,
                    "Unauthorized",
                    "the token is wrong or has been revoked",
                ),
                other => other,
            })?;
        return Ok((principal, None));
    }
    Ok(match session(parts, state).await? {
        Some(auth) => (auth.principal, Some(auth.csrf)),
        None => (Principal::anonymous(client), None),
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(Caller(identify(parts, state).await?.0))
    }
}

/// The caller with their session's CSRF token, if they came with a session cookie.
pub struct Me(pub Principal, pub Option<String>);

impl FromRequestParts<AppState> for Me {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let (principal, csrf) = identify(parts, state).await?;
        Ok(Me(principal, csrf))
    }
}

/// The client's address, where the connection has one.
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client(parts)))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Caller(principal) = Caller::from_request_parts(parts, state).await?;
        match principal.who {
            app::Who::Anonymous => Err(app::Error::Unauthenticated.into()),
            _ => Ok(SignedIn(principal)),
        }
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        session(parts, state).await?.map(Session).ok_or_else(|| app::Error::Unauthenticated.into())
    }
}

impl From<app::Error> for AppError {
    fn from(e: app::Error) -> Self {
        let detail = e.to_string();
        match e {
            app::Error::Unauthenticated | app::Error::BadLogin => {
                AppError::client(StatusCode::UNAUTHORIZED, "Unauthorized", detail)
            }
            app::Error::Forbidden(_) => AppError::client(StatusCode::FORBIDDEN, "Forbidden", detail),
            app::Error::NotFound(_) => AppError::not_found(detail),
            app::Error::Invalid(_) => AppError::unprocessable(detail),
            app::Error::Conflict(_) => AppError::client(StatusCode::CONFLICT, "Conflict", detail),
            app::Error::Throttled { retry_after_s } => AppError::Unavailable {
                status: StatusCode::TOO_MANY_REQUESTS,
                title: "Too many attempts",
                detail,
                retry_after_s: Some(retry_after_s),
            },
            app::Error::Store(e) => e.into(),
            app::Error::Import(e) => e.into(),
            app::Error::Network(e) => e.into(),
            app::Error::Analysis(e) => e.into(),
            app::Error::Private(crate::private::PrivateError::Unavailable(_)) => {
                AppError::unavailable(super::error::DATABASE_LOST, 1)
            }
            app::Error::Private(e) => AppError::Internal(e.into()),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    name: String,
    password: String,
}

/// `POST /api/login` with `{name, password}`: sets the session cookie and answers the account and
/// its CSRF token. Every failure is the same 401; too many are 429.
#[utoipa::path(post, path = "/api/login", tag = "accounts", request_body = LoginBody,
    responses((status = 200, description = "Signed in: the session cookie is set; the answer gives the account and its CSRF token",
        body = Object, headers(("set-cookie" = String, description = "The session cookie (HttpOnly, SameSite=Strict)")))))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, AppError> {
    let app = state.app.clone();
    let login =
        state.logins.run("the sign-in", move |_| Ok(app.login(&body.name, &body.password, client)?)).await?;
    let secure = state.public_url.as_deref().is_some_and(|u| u.starts_with("https://"));
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        login.session,
        login.max_age_s,
        if secure { "; Secure" } else { "" }
    );
    let body = json!({ "name": login.account.name, "role": login.account.role, "csrf": login.csrf });
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ascii cookie"));
    Ok(response)
}

/// `POST /api/logout`: ends the session and clears the cookie.
#[utoipa::path(post, path = "/api/logout", tag = "accounts",
    responses((status = 204, description = "Signed out; the cookie is cleared")))]
pub async fn logout(State(state): State<AppState>, Session(auth): Session) -> Result<Response, AppError> {
    state.blocking(move |app| app.logout(&auth)).await?;
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&clear).expect("ascii cookie"));
    Ok(response)
}

/// `GET /api/me`: who the caller is, their groups, and (for sessions) the CSRF token.
#[utoipa::path(get, path = "/api/me", tag = "accounts",
    responses((status = 200, description = "`signed_in`, and when signed in the name, role, scope, CSRF token and groups", body = Object)))]
pub async fn me(State(state): State<AppState>, Me(who, csrf): Me) -> Result<Json<Value>, AppError> {
    let Some(account) = who.signed_in().cloned() else {
        return Ok(Json(json!({ "signed_in": false })));
    };
    let groups = state.blocking(move |app| app.my_groups(&who)).await?;
    Ok(Json(json!({
        "signed_in": true, "name": account.name, "role": account.role, "scope": account.scope,
        "csrf": csrf, "groups": groups,
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenBody {
    /// What the token is for (shown in the list).
    name: String,
}

/// `POST /api/me/tokens` with `{name}`: a new personal API token, shown once.
#[utoipa::path(post, path = "/api/me/tokens", tag = "accounts", request_body = TokenBody,
    responses((status = 201, description = "`{id, token}`: the token, shown this once", body = Object)))]
pub async fn create_token(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (id, token) = state.blocking(move |app| app.create_token(&who, None, &body.name)).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id, "token": token }))))
}

/// `GET /api/me/tokens`: the caller's tokens, without their secrets.
#[utoipa::path(get, path = "/api/me/tokens", tag = "accounts",
    responses((status = 200, description = "`{tokens}`: the caller's tokens without their secrets", body = Object)))]
pub async fn tokens(State(state): State<AppState>, SignedIn(who): SignedIn) -> Result<Json<Value>, AppError> {
    Ok(Json(json!({ "tokens": state.blocking(move |app| app.tokens(&who)).await? })))
}

/// `DELETE /api/me/tokens/{id}`: revokes one of the caller's tokens.
#[utoipa::path(delete, path = "/api/me/tokens/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "The token's id")), responses((status = 204, description = "Revoked")))]
pub async fn revoke_token(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    state.blocking(move |app| app.revoke_token(&who, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/admin/users`: every account (admins).
#[utoipa::path(get, path = "/api/admin/users", tag = "accounts",
    responses((status = 200, description = "`{users}`: every account", body = Object)))]
pub async fn users(State(state): State<AppState>, SignedIn(who): SignedIn) -> Result<Json<Value>, AppError> {
    Ok(Json(json!({ "users": state.blocking(move |app| app.users(&who)).await? })))
}

/// `GET /api/admin/audit`: account changes, sign-ins and tokens (admins).
#[utoipa::path(get, path = "/api/admin/audit", tag = "accounts",
    responses((status = 200, description = "`{audit}`: account changes, sign-ins and tokens", body = Object)))]
pub async fn account_audit(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
) -> Result<Json<Value>, AppError> {
    Ok(Json(json!({ "audit": state.blocking(move |app| app.account_audit(&who)).await? })))
}
