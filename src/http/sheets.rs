//! The 地域情報シート's notes and issues over HTTP, for staff and admins whose areas include the area:
//! `GET /api/karte/{id}/sheet`, `POST /api/karte/{id}/notes`, `DELETE /api/karte/{id}/notes/{note}`,
//! `POST /api/karte/{id}/issues`, `PUT`/`DELETE /api/karte/{id}/issues/{issue}`.

use super::auth::SignedIn;
use super::extract::{JsonBody, Path};
use super::{AppError, AppState};
use crate::model::AreaId;
use crate::private::{IssueInput, NoteInput};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

/// `GET /api/karte/{id}/sheet`: the area's notes and issues.
#[utoipa::path(get, path = "/api/karte/{id}/sheet", tag = "staff", params(("id" = i64, Path, description = "The area's id")),
    responses((status = 200, description = "The 地域情報シート: notes per field, issues with their targets", body = Object)))]
pub async fn sheet(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(json!(state.blocking(move |app| app.sheet(&who, AreaId(id))).await?)))
}

/// `POST /api/karte/{id}/notes` with `{field, kind, text}`.
#[utoipa::path(post, path = "/api/karte/{id}/notes", tag = "staff", params(("id" = i64, Path, description = "The area's id")),
    request_body(content = Object, description = "`{field, kind, text}`: the field (人々, 生活環境, 子育て, 高齢者, 健康), 住民の声 or 担当の気づき, at most 2,000 characters"),
    responses((status = 201, description = "The note as stored", body = Object)))]
pub async fn add_note(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<i64>,
    JsonBody(note): JsonBody<NoteInput>,
) -> Result<impl IntoResponse, AppError> {
    let note = state.blocking(move |app| app.add_note(&who, AreaId(id), note)).await?;
    Ok((StatusCode::CREATED, Json(json!(note))))
}

/// `DELETE /api/karte/{id}/notes/{note}`.
#[utoipa::path(delete, path = "/api/karte/{id}/notes/{note}", tag = "staff",
    params(("id" = i64, Path, description = "The area's id"), ("note" = i64, Path, description = "The note's id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_note(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path((id, note)): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    state.blocking(move |app| app.delete_note(&who, AreaId(id), note)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/karte/{id}/issues", tag = "staff", params(("id" = i64, Path, description = "The area's id")),
    request_body(content = Object, description = "`{title, field, priority, indicator, targets: [{year, target, measured}]}`"),
    responses((status = 201, description = "The issue as stored", body = Object)))]
/// `POST /api/karte/{id}/issues` with `{title, field, priority, indicator, targets: [{year, target, measured}]}`.
pub async fn add_issue(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<i64>,
    JsonBody(issue): JsonBody<IssueInput>,
) -> Result<impl IntoResponse, AppError> {
    let issue = state.blocking(move |app| app.put_issue(&who, AreaId(id), None, issue)).await?;
    Ok((StatusCode::CREATED, Json(json!(issue))))
}

/// `PUT /api/karte/{id}/issues/{issue}`: replaces the issue and its targets.
#[utoipa::path(put, path = "/api/karte/{id}/issues/{issue}", tag = "staff",
    params(("id" = i64, Path, description = "The area's id"), ("issue" = i64, Path, description = "The issue's id")),
    request_body(content = Object, description = "`{title, field, priority, indicator, targets: [{year, target, measured}]}`"),
    responses((status = 200, description = "The issue as stored", body = Object)))]
pub async fn replace_issue(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path((id, issue_id)): Path<(i64, i64)>,
    JsonBody(issue): JsonBody<IssueInput>,
) -> Result<Json<Value>, AppError> {
    let issue = state.blocking(move |app| app.put_issue(&who, AreaId(id), Some(issue_id), issue)).await?;
    Ok(Json(json!(issue)))
}

/// `DELETE /api/karte/{id}/issues/{issue}`.
#[utoipa::path(delete, path = "/api/karte/{id}/issues/{issue}", tag = "staff",
    params(("id" = i64, Path, description = "The area's id"), ("issue" = i64, Path, description = "The issue's id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_issue(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path((id, issue)): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    state.blocking(move |app| app.delete_issue(&who, AreaId(id), issue)).await?;
    Ok(StatusCode::NO_CONTENT)
}
