//! One error type for every handler. Every answer that is not a success is an RFC 9457
//! `application/problem+json` body: client mistakes say what was wrong and where; a busy server or
//! store says when to come back (`Retry-After`); a fault of ours is logged and answered with a
//! generic 500 problem that reveals nothing of the data.

use super::openapi::schema::{Problem, RecordProblem as RecordProblemJson};
use crate::import::{ImportError, RecordProblem};
use crate::model::BBoxError;
use crate::store::StoreError;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The client sent something we cannot act on.
    #[error("{title}: {detail}")]
    Client {
        status: StatusCode,
        title: &'static str,
        detail: String,
        /// Each problem with its place, for inputs with many records.
        errors: Vec<RecordProblem>,
    },
    /// The server or the store cannot take the request now; it may work a little later.
    #[error("{title}: {detail}")]
    Unavailable {
        status: StatusCode,
        title: &'static str,
        detail: String,
        /// Seconds for `Retry-After`, when a retry is likely to work.
        retry_after_s: Option<u64>,
    },
    /// A fault on our side; the details go to the log, not to the client.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn client(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        AppError::Client { status, title, detail: detail.into(), errors: Vec::new() }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::client(StatusCode::NOT_FOUND, "Not found", detail)
    }

    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::client(StatusCode::UNPROCESSABLE_ENTITY, "Invalid input", detail)
    }

    /// 503: too busy now; come back after `retry_after_s` seconds.
    pub fn unavailable(detail: impl Into<String>, retry_after_s: u64) -> Self {
        AppError::Unavailable {
            status: StatusCode::SERVICE_UNAVAILABLE,
            title: "Busy",
            detail: detail.into(),
            retry_after_s: Some(retry_after_s),
        }
    }

    /// 504: the work ran past its deadline and stopped.
    pub fn too_long(detail: impl Into<String>) -> Self {
        AppError::Unavailable {
            status: StatusCode::GATEWAY_TIMEOUT,
            title: "Took too long",
            detail: detail.into(),
            retry_after_s: None,
        }
    }

    /// A query parameter that could not be used.
    pub fn parameter(name: &str, problem: impl std::fmt::Display) -> Self {
        Self::bad_request(format!("query parameter {name}: {problem}"))
    }
}

/// A problem+json response.
fn problem(status: StatusCode, title: &str, detail: &str, errors: &[RecordProblem]) -> Response {
    let records = errors.iter().map(|p| RecordProblemJson {
        place: p.place.to_string(),
        field: p.field.clone(),
        message: p.message.clone(),
    });
    let body = Problem {
        kind: "about:blank".into(),
        title: title.into(),
        status: status.as_u16(),
        detail: detail.into(),
        errors: (!errors.is_empty()).then(|| records.collect()),
    };
    let body = serde_json::to_string(&body).expect("a problem has string keys only");
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Client { status, title, detail, errors } => {
                let mut response = problem(status, title, &detail, &errors);
                if status == StatusCode::UNAUTHORIZED {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                }
                response
            }
            AppError::Unavailable { status, title, detail, retry_after_s } => {
                let mut response = problem(status, title, &detail, &[]);
                if let Some(s) = retry_after_s {
                    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
                }
                response
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                let detail = "the server failed to answer this request; the fault is logged";
                problem(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", detail, &[])
            }
        }
    }
}

impl From<ImportError> for AppError {
    fn from(e: ImportError) -> Self {
        let status = match e {
            ImportError::Json { .. } | ImportError::Encoding { .. } | ImportError::Csv { .. } => {
                StatusCode::BAD_REQUEST
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let detail = e.to_string();
        let errors = match e {
            ImportError::Invalid { problems } => problems,
            _ => Vec::new(),
        };
        AppError::Client { status, title: "Invalid input", detail, errors }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::SiteNotFound(_) => AppError::not_found(e.to_string()),
            StoreError::Parent(_) | StoreError::Attribution(_) => AppError::unprocessable(e.to_string()),
            StoreError::NetworkShrinks { .. } => {
                AppError::client(StatusCode::CONFLICT, "Would remove most of the network", e.to_string())
            }
            StoreError::Busy { .. } => {
                let detail = "the data file is locked by another program (QGIS editing it, or a copy in progress); nothing was written, try again shortly";
                AppError::unavailable(detail, crate::store::BUSY_TIMEOUT.as_secs().max(1))
            }
            StoreError::Postgres(ref lost) if crate::store::postgres::connection_lost(lost) => {
                AppError::unavailable(DATABASE_LOST, 1)
            }
            other => AppError::Internal(other.into()),
        }
    }
}

/// What a client is told when the shared database's connection was lost mid-request.
pub const DATABASE_LOST: &str = "the connection to the database was lost; nothing more was done, try again";

impl From<BBoxError> for AppError {
    fn from(e: BBoxError) -> Self {
        AppError::parameter("bbox", e)
    }
}

impl From<BytesRejection> for AppError {
    fn from(r: BytesRejection) -> Self {
        let status = r.status();
        let title =
            if status == StatusCode::PAYLOAD_TOO_LARGE { "Payload too large" } else { "Bad request body" };
        AppError::client(status, title, r.body_text())
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        AppError::client(r.status(), "Bad request body", r.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::bad_request(r.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::bad_request(format!("path: {}", r.body_text()))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fault_of_ours_is_a_problem_that_reveals_nothing() {
        let fault = AppError::Internal(anyhow::anyhow!("cannot open /srv/secret/kawasaki.gpkg"));
        let response = fault.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json");
        let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains("\"status\":500") && !text.contains("secret"), "{text}");
    }
}
