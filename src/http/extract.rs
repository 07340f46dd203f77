//! Extractors whose rejections are [`AppError`]s.

use super::AppError;
use axum::extract::{FromRequest, FromRequestParts};

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

/// `axum::Json` answering bad JSON bodies with problem+json.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct JsonBody<T>(pub T);
