//! `GET /api/population`.

use super::extract::Query;
use super::{AppError, AppState, parse_param};
use super::pages::{PAGE_SIZES, Page, collection_page};
use crate::export::{feature_collection, population_feature};
use crate::model::BBox;
use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
pub struct PopulationQuery {
    bbox: Option<String>,
    limit: Option<usize>,
    after: Option<i64>,
}

/// Population points within a bbox, one page of them, streamed.
pub async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PopulationQuery>,
) -> Result<Response, AppError> {
    let bbox: Option<BBox> = parse_param("bbox", q.bbox.as_deref())?;
    let page = Page::new(q.limit, q.after, PAGE_SIZES.population)?;
    let units = state.store.read().population_in(bbox.as_ref());
    let body = collection_page("population", units, |u| u.id.0, |u| population_feature(u), page, &uri);
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}

/// Population points that came from mesh statistics, drawn as their mesh cells (Polygon features
/// with the same properties as the points).
pub async fn cells(
    State(state): State<AppState>,
    Query(q): Query<PopulationQuery>,
) -> Result<Json<Value>, AppError> {
    let bbox: Option<BBox> = parse_param("bbox", q.bbox.as_deref())?;
    let units = state.store.read().population_in(bbox.as_ref());
    let features = units
        .iter()
        .filter_map(|u| {
            let code = u.data.properties.get("mesh_code")?.as_str()?;
            let cell = crate::import::mesh::cell(code).ok()?;
            let mut f = population_feature(u);
            f["geometry"] =
                crate::export::multipolygon_geometry(&geo::MultiPolygon(vec![cell.rect.to_polygon()]));
            f["properties"]["mesh_order"] = cell.order.into();
            Some(f)
        })
        .collect();
    Ok(Json(feature_collection(features)))
}
