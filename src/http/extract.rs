//! Extractors whose rejections are [`AppError`]s, and the staff-token guard for writes.

use super::{AppError, AppState};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;

/// `axum::extract::Query` answering bad query strings with problem+json.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` answering bad path parameters with problem+json.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

/// The raw request body, limited in size; too large a body is a 413 problem.
pub struct Body(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        Ok(Body(axum::body::Bytes::from_request(req, state).await?))
    }
}

/// Proof that the request carries the staff token. Writes take this as their first argument, so
/// nothing of the body is read for an unauthorised request.
pub struct Staff;

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Some(expected) = state.staff_token.as_deref() else {
            return Err(AppError::client(
                StatusCode::FORBIDDEN,
                "Writes disabled",
                "this server has no staff token configured (SASAEAI_STAFF_TOKEN), so it accepts no writes",
            ));
        };
        let given = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match given {
            Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(Staff),
            Some(_) => {
                Err(AppError::client(StatusCode::UNAUTHORIZED, "Unauthorized", "the staff token is wrong"))
            }
            None => Err(AppError::client(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "writes need the staff token: send `Authorization: Bearer <token>`",
            )),
        }
    }
}

/// Compares without returning early, so response time says nothing about how much of a guess matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
