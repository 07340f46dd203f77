//! `GET /api/population`.

use super::extract::Query;
use super::openapi::schema::FeatureCollection;
use super::pages::{PAGE_SIZES, Page, collection_page};
use super::{AppError, AppState, parse_param};
use crate::export::{OutputCrs, population_feature};
use crate::model::{BBox, PopulationUnit};
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PopulationQuery {
    /// `minLon,minLat,maxLon,maxLat` in WGS 84 degrees.
    #[param(pattern = r"^-?\d+(\.\d+)?(,-?\d+(\.\d+)?){3}$", example = "139.60,35.50,139.80,35.60")]
    bbox: Option<String>,
    /// At most this many features; the `next` link gives the rest.
    #[param(minimum = 1)]
    limit: Option<usize>,
    /// Only features after this id (what a `next` link asks).
    after: Option<i64>,
}

/// Population points within a bbox, one page of them, streamed.
#[utoipa::path(get, path = "/api/population", tag = "data", params(PopulationQuery),
    responses((status = 200, description = "A page of population points with totals, 65+ and 75+",
        content_type = "application/geo+json", body = FeatureCollection)))]
pub async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PopulationQuery>,
) -> Result<Response, AppError> {
    let bbox: Option<BBox> = parse_param("bbox", q.bbox.as_deref())?;
    page_of(&state.app.store.read(), bbox.as_ref(), q.limit, q.after, OutputCrs::Crs84, &uri)
}

/// One page of the population points within `bbox`, streamed: what `/api/population` and the OGC
/// `population` items answer.
pub(super) fn page_of(
    index: &crate::store::Index,
    bbox: Option<&BBox>,
    limit: Option<usize>,
    after: Option<i64>,
    crs: OutputCrs,
    uri: &axum::http::Uri,
) -> Result<Response, AppError> {
    let page = Page { crs, ..Page::new(limit, after, PAGE_SIZES.population)? };
    let units = index.population_in(bbox);
    Ok(collection_page("population", units, |u| u.id.0, |u| population_feature(u), page, uri))
}

/// Population points that came from mesh statistics, drawn as their mesh cells (Polygon features
/// with the same properties as the points), one page of them, streamed.
#[utoipa::path(get, path = "/api/population/cells", tag = "data", params(PopulationQuery),
    responses((status = 200, description = "A page of mesh cells (Polygons)", content_type = "application/geo+json",
        body = FeatureCollection)))]
pub async fn cells(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PopulationQuery>,
) -> Result<Response, AppError> {
    let bbox: Option<BBox> = parse_param("bbox", q.bbox.as_deref())?;
    let page = Page::new(q.limit, q.after, PAGE_SIZES.population)?;
    let units: Vec<_> = state
        .app
        .store
        .read()
        .population_in(bbox.as_ref())
        .into_iter()
        .filter_map(|u| {
            let cell = crate::import::mesh::cell(u.data.properties.get("mesh_code")?.as_str()?).ok()?;
            Some((u, cell))
        })
        .collect();
    let render = |(u, cell): &(Arc<PopulationUnit>, crate::import::mesh::MeshCell)| {
        let mut f = population_feature(u);
        f["geometry"] =
            crate::export::multipolygon_geometry(&geo::MultiPolygon(vec![cell.rect.to_polygon()]));
        f["properties"]["mesh_order"] = cell.order.into();
        f
    };
    Ok(collection_page("population_cells", units, |(u, _)| u.id.0, render, page, &uri))
}
