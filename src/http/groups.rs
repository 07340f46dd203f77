//! Residents' groups and their support maps over HTTP. Thin: every handler calls one operation of
//! [`crate::app::App`], which decides who may do it and audits it.
//!
//! Who may see: a group, its members, features, editions — its members only (anyone else gets the
//! 404 of a group that does not exist); drawing — its editors and owners; members, publishing, new
//! editions, erasing from every edition and the audit log — its owners. Creating a group:
//! residents and coordinators. None of these answers may be kept by a cache (see `routes`).

use super::auth::SignedIn;
use super::extract::{Body, JsonBody, Path, Query};
use super::openapi::schema::{Feature, FeatureCollection, Geometry};
use super::{AppError, AppState};
use crate::app::{GroupArea, feature_geojson, feature_input, features_geojson};
use crate::model::{AreaId, SiteKind};
use crate::private::GroupRole;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
pub struct NewGroup {
    /// The group's name.
    name: String,
    /// The area the group covers.
    area_id: Option<i64>,
    /// A GeoJSON Polygon drawn for the group, instead of an area.
    #[schema(value_type = Option<Geometry>)]
    polygon: Option<Value>,
}

/// `POST /api/groups`: a new group with the caller as owner.
#[utoipa::path(post, path = "/api/groups", tag = "support maps", request_body = NewGroup,
    responses((status = 201, description = "The group, with the caller as its owner", body = Object,
        headers(("location" = String, description = "The group's address")))))]
pub async fn create(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    JsonBody(body): JsonBody<NewGroup>,
) -> Result<impl IntoResponse, AppError> {
    let area = match (body.area_id, body.polygon) {
        (Some(id), None) => GroupArea::Area(AreaId(id)),
        (None, Some(polygon)) => {
            let geometry: geojson::Geometry = serde_json::from_value(polygon)
                .map_err(|e| AppError::unprocessable(format!("polygon: {e}")))?;
            let polygon: geo::Polygon<f64> = geometry
                .try_into()
                .map_err(|e| AppError::unprocessable(format!("polygon: a GeoJSON Polygon ({e})")))?;
            GroupArea::Polygon(polygon)
        }
        _ => return Err(AppError::unprocessable("give the group either `area_id` or `polygon`")),
    };
    let group = state.blocking(move |app| app.create_group(&who, &body.name, area)).await?;
    let location = format!("/api/groups/{}", group.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(json!(group))))
}

/// `GET /api/groups`: the caller's groups.
#[utoipa::path(get, path = "/api/groups", tag = "support maps",
    responses((status = 200, description = "`{groups}`: the caller's groups and role in each", body = Object)))]
pub async fn mine(State(state): State<AppState>, SignedIn(who): SignedIn) -> Result<Json<Value>, AppError> {
    Ok(Json(json!({ "groups": state.blocking(move |app| app.my_groups(&who)).await? })))
}

/// `GET /api/groups/{id}/members`.
#[utoipa::path(get, path = "/api/groups/{id}/members", tag = "support maps", params(("id" = i64, Path, description = "The group's id")),
    responses((status = 200, description = "`{members}` with their roles", body = Object)))]
pub async fn members(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(json!({ "members": state.blocking(move |app| app.members(&who, id)).await? })))
}

#[derive(Deserialize, ToSchema)]
pub struct MemberBody {
    /// The account's name.
    name: String,
    /// `viewer` (the default), `editor` or `owner`.
    #[serde(default = "viewer")]
    #[schema(value_type = Option<String>)]
    role: GroupRole,
}

fn viewer() -> GroupRole {
    GroupRole::Viewer
}

/// `POST /api/groups/{id}/members` with `{name, role}`: adds a member or changes their role.
#[utoipa::path(post, path = "/api/groups/{id}/members", tag = "support maps", params(("id" = i64, Path, description = "The group's id")),
    request_body = MemberBody, responses((status = 200, description = "The member and role", body = Object)))]
pub async fn add_member(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<MemberBody>,
) -> Result<StatusCode, AppError> {
    state.blocking(move |app| app.add_member(&who, id, &body.name, body.role)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberName {
    /// The account's name.
    name: String,
}

/// `DELETE /api/groups/{id}/members?name=…`: removes a member (or the caller leaves).
#[utoipa::path(delete, path = "/api/groups/{id}/members", tag = "support maps", params(("id" = i64, Path, description = "The group's id"), MemberName),
    responses((status = 204, description = "Removed")))]
pub async fn remove_member(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<i64>,
    Query(q): Query<MemberName>,
) -> Result<StatusCode, AppError> {
    state.blocking(move |app| app.remove_member(&who, id, &q.name)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EditionQuery {
    /// The year of the map (the current edition when not given).
    #[serde(default, deserialize_with = "crate::model::calendar::optional_year")]
    #[param(minimum = 1900, maximum = 2200)]
    edition: Option<i32>,
}

/// `GET /api/groups/{id}/features[?edition=YEAR]`: the map as GeoJSON.
#[utoipa::path(get, path = "/api/groups/{id}/features", tag = "support maps", params(("id" = i64, Path, description = "The group's id"), EditionQuery),
    responses((status = 200, description = "The map: marks, places, links and notes", body = FeatureCollection)))]
pub async fn features(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<i64>,
    Query(q): Query<EditionQuery>,
) -> Result<impl IntoResponse, AppError> {
    let map = state.blocking(move |app| app.features(&who, id, q.edition)).await?;
    Ok(Json(features_geojson(&map)))
}

/// `GET /api/groups/{id}/features/{fid}`.
#[utoipa::path(get, path = "/api/groups/{id}/features/{fid}", tag = "support maps", params(("id" = i64, Path, description = "The group's id"), ("fid" = i64, Path, description = "The feature's id")),
    responses((status = 200, description = "One feature of the map", body = Feature)))]
pub async fn feature(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path((id, fid)): Path<(i64, i64)>,
) -> Result<impl IntoResponse, AppError> {
    let (feature, ends) = state.blocking(move |app| app.feature(&who, id, fid)).await?;
    let by_key: HashMap<i64, _> = ends.iter().map(|f| (f.key, f)).collect();
    Ok(Json(feature_geojson(&feature, &by_key)))
}

/// `POST /api/groups/{id}/features`: draws a feature on the current edition.
#[utoipa::path(post, path = "/api/groups/{id}/features", tag = "support maps", params(("id" = i64, Path, description = "The group's id")),
    request_body(content = Feature, content_type = "application/geo+json", description = "One GeoJSON Feature with its `kind` (see `/api/meta` `support_map`)"),
    responses((status = 201, description = "The feature as stored", body = Feature)))]
pub async fn add_feature(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<i64>,
    Body(body): Body,
) -> Result<impl IntoResponse, AppError> {
    let input = feature_input(&from_json(&body)?)?;
    let row = state.blocking(move |app| app.add_feature(&who, id, input)).await?;
    let location = format!("/api/groups/{id}/features/{}", row.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(json!({ "id": row.id, "key": row.key }))))
}

/// `PUT /api/groups/{id}/features/{fid}`.
#[utoipa::path(put, path = "/api/groups/{id}/features/{fid}", tag = "support maps", params(("id" = i64, Path, description = "The group's id"), ("fid" = i64, Path, description = "The feature's id")),
    request_body(content = Feature, content_type = "application/geo+json", description = "One GeoJSON Feature"),
    responses((status = 200, description = "The feature as stored", body = Feature)))]
pub async fn replace_feature(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path((id, fid)): Path<(i64, i64)>,
    Body(body): Body,
) -> Result<Json<Value>, AppError> {
    let input = feature_input(&from_json(&body)?)?;
    let row = state.blocking(move |app| app.replace_feature(&who, id, fid, input)).await?;
    Ok(Json(json!({ "id": row.id, "key": row.key })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// `all`: erase from every edition (owners).
    editions: Option<String>,
}

/// `DELETE /api/groups/{id}/features/{fid}[?editions=all]`: erases it (and the links touching it).
#[utoipa::path(delete, path = "/api/groups/{id}/features/{fid}", tag = "support maps", params(("id" = i64, Path, description = "The group's id"), ("fid" = i64, Path, description = "The feature's id"), DeleteQuery),
    responses((status = 200, description = "What was erased (the feature and the links touching it)", body = Object)))]
pub async fn delete_feature(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path((id, fid)): Path<(i64, i64)>,
    Query(q): Query<DeleteQuery>,
) -> Result<Json<Value>, AppError> {
    let all = match q.editions.as_deref() {
        None | Some("this") => false,
        Some("all") => true,
        Some(other) => return Err(AppError::parameter("editions", format!("{other:?}: `this` or `all`"))),
    };
    let erased = state.blocking(move |app| app.delete_feature(&who, id, fid, all)).await?;
    Ok(Json(json!({ "erased": erased })))
}

#[derive(Deserialize, ToSchema)]
pub struct PublishBody {
    /// The kind of the new site (`other` when not given).
    #[serde(default)]
    kind: Option<SiteKind>,
}

/// `POST /api/groups/{id}/features/{fid}/publish` with `{kind}`: makes a place a public site.
#[utoipa::path(post, path = "/api/groups/{id}/features/{fid}/publish", tag = "support maps", params(("id" = i64, Path, description = "The group's id"), ("fid" = i64, Path, description = "The feature's id")),
    request_body = PublishBody, responses((status = 201, description = "`{site_id, site}`: the new public site", body = Object)))]
pub async fn publish(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path((id, fid)): Path<(i64, i64)>,
    JsonBody(body): JsonBody<PublishBody>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let kind = body.kind.unwrap_or(SiteKind::Other);
    let site = state.blocking(move |app| app.publish_place(&who, id, fid, kind)).await?;
    Ok((StatusCode::CREATED, Json(json!({ "site_id": site.0, "site": format!("/api/sites/{}", site.0) }))))
}

/// `GET /api/groups/{id}/editions`: each edition and what changed.
#[utoipa::path(get, path = "/api/groups/{id}/editions", tag = "support maps", params(("id" = i64, Path, description = "The group's id")),
    responses((status = 200, description = "Each edition and what changed", body = Object)))]
pub async fn editions(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(json!({ "editions": state.blocking(move |app| app.editions(&who, id)).await? })))
}

#[derive(Deserialize, Default, ToSchema)]
pub struct NewEdition {
    /// The year of the new edition.
    #[serde(default, deserialize_with = "crate::model::calendar::optional_year")]
    #[schema(minimum = 1900, maximum = 2200)]
    edition: Option<i32>,
}

/// `POST /api/groups/{id}/editions` with `{edition}` (optional): next year's map, a copy of this one.
#[utoipa::path(post, path = "/api/groups/{id}/editions", tag = "support maps", params(("id" = i64, Path, description = "The group's id")),
    request_body(content = Option<NewEdition>, description = "`{edition}`: the year (next year when not given)"),
    responses((status = 201, description = "`{edition, copied}`", body = Object)))]
pub async fn new_edition(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<i64>,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let wanted: NewEdition = if body.is_empty() { NewEdition::default() } else { from_json(&body)? };
    let (edition, copied) = state.blocking(move |app| app.new_edition(&who, id, wanted.edition)).await?;
    Ok((StatusCode::CREATED, Json(json!({ "edition": edition, "copied": copied }))))
}

/// `GET /api/groups/{id}/audit`: the group's log (owners).
#[utoipa::path(get, path = "/api/groups/{id}/audit", tag = "support maps", params(("id" = i64, Path, description = "The group's id")),
    responses((status = 200, description = "The group's log", body = Object)))]
pub async fn audit(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(json!({ "audit": state.blocking(move |app| app.group_audit(&who, id)).await? })))
}

fn from_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(body).map_err(|e| AppError::bad_request(format!("body: {e}")))
}
