//! `GET /api/areas` and `GET /api/areas/{id}`.

use super::extract::{Path, Query};
use super::openapi::schema::{Feature, FeatureCollection};
use super::pages::{PAGE_SIZES, Page, collection_page};
use super::{AppError, AppState, parse_param};
use crate::export::{OutputCrs, area_feature};
use crate::model::{Area, AreaId, AreaLevel, BBox};
use crate::store::Index;
use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AreasQuery {
    /// Only areas of this level.
    #[param(value_type = Option<AreaLevel>)]
    level: Option<String>,
    /// `minLon,minLat,maxLon,maxLat` in WGS 84 degrees.
    #[param(pattern = r"^-?\d+(\.\d+)?(,-?\d+(\.\d+)?){3}$", example = "139.60,35.50,139.80,35.60")]
    bbox: Option<String>,
    /// At most this many features; the `next` link gives the rest.
    #[param(minimum = 1)]
    limit: Option<usize>,
    /// Only features after this id (what a `next` link asks).
    after: Option<i64>,
}

/// Areas of a level within a bbox, one page of them, streamed.
#[utoipa::path(get, path = "/api/areas", tag = "data", params(AreasQuery),
    responses((status = 200, description = "A page of areas (MultiPolygons) with their parent",
        content_type = "application/geo+json", body = FeatureCollection)))]
pub async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<AreasQuery>,
) -> Result<Response, AppError> {
    let level: Option<AreaLevel> = parse_param("level", q.level.as_deref())?;
    let bbox: Option<BBox> = parse_param("bbox", q.bbox.as_deref())?;
    page_of(state.app.store.read(), level, bbox.as_ref(), q.limit, q.after, OutputCrs::Crs84, &uri)
}

/// One page of the areas of `level` within `bbox`, streamed: what `/api/areas` and the OGC
/// `areas` items answer.
pub(super) fn page_of(
    index: Arc<Index>,
    level: Option<AreaLevel>,
    bbox: Option<&BBox>,
    limit: Option<usize>,
    after: Option<i64>,
    crs: OutputCrs,
    uri: &Uri,
) -> Result<Response, AppError> {
    let page = Page { crs, ..Page::new(limit, after, PAGE_SIZES.areas)? };
    let areas = index.areas_in(level, bbox);
    let render = move |a: &Arc<Area>| area_feature(a, index.parent_name(a));
    Ok(collection_page("areas", areas, |a| a.id.0, render, page, uri))
}

fn summary(a: &crate::model::Area) -> Value {
    json!({ "id": a.id, "name": a.name, "level": a.level, "code": a.code })
}

/// One area with its parent, its ancestors (outermost first: city, ward, …) and its children.
#[utoipa::path(get, path = "/api/areas/{id}", tag = "data", params(("id" = i64, Path, description = "The area's id")),
    responses((status = 200, description = "The area as a Feature", body = Feature)))]
pub async fn one(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    let index = state.app.store.read();
    let area = index.area(AreaId(id)).ok_or_else(|| AppError::not_found(format!("no area with id {id}")))?;
    let mut feature = area_feature(area, index.parent_name(area));
    let parent = area.parent.and_then(|p| index.area(p)).map(|p| summary(p));
    let children: Vec<Value> = index.children(area.id).iter().map(|c| summary(c)).collect();
    let ancestors: Vec<Value> = index.ancestors(area).iter().map(|a| summary(a)).collect();
    feature["properties"]["parent"] = parent.unwrap_or(Value::Null);
    feature["properties"]["ancestors"] = Value::Array(ancestors);
    feature["properties"]["children"] = Value::Array(children);
    Ok(Json(feature))
}
