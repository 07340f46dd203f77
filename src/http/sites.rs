//! `GET/POST /api/sites`, `GET/PUT/DELETE /api/sites/{id}`. Writes need staff or a coordinator (see `app::permission`).

use super::auth::SignedIn;
use super::extract::{Body, Path, Query};
use super::openapi::schema::{FeatureCollection, SiteFeature};
use super::pages::{PAGE_SIZES, Page, collection_page};
use super::{AppError, AppState, parse_list, parse_param};
use crate::export::{OutputCrs, site_feature};
use crate::import::{self, SiteOptions};
use crate::model::{BBox, SiteData, SiteId, SiteKind};
use crate::store::Index;
use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SitesQuery {
    /// Only sites of these kinds (comma-separated ids or Japanese labels).
    #[param(value_type = Option<Vec<SiteKind>>, style = Form, explode = false)]
    kind: Option<String>,
    /// `minLon,minLat,maxLon,maxLat` in WGS 84 degrees.
    #[param(pattern = r"^-?\d+(\.\d+)?(,-?\d+(\.\d+)?){3}$", example = "139.60,35.50,139.80,35.60")]
    bbox: Option<String>,
    /// At most this many features; the `next` link gives the rest.
    #[param(minimum = 1)]
    limit: Option<usize>,
    /// Only features after this id (what a `next` link asks).
    after: Option<i64>,
}

/// Sites of the given kinds (comma-separated) within a bbox, one page of them, streamed.
#[utoipa::path(get, path = "/api/sites", tag = "data", params(SitesQuery),
    responses((status = 200, description = "A page of sites (Points)", content_type = "application/geo+json",
        body = FeatureCollection)))]
pub async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<SitesQuery>,
) -> Result<Response, AppError> {
    let kinds: Vec<SiteKind> = parse_list("kind", q.kind.as_deref())?;
    let bbox: Option<BBox> = parse_param("bbox", q.bbox.as_deref())?;
    page_of(&state.app.store.read(), &kinds, bbox.as_ref(), q.limit, q.after, OutputCrs::Crs84, &uri)
}

/// One page of the sites of `kinds` within `bbox`, streamed: what `/api/sites` and the OGC
/// `sites` items answer.
pub(super) fn page_of(
    index: &Index,
    kinds: &[SiteKind],
    bbox: Option<&BBox>,
    limit: Option<usize>,
    after: Option<i64>,
    crs: OutputCrs,
    uri: &Uri,
) -> Result<Response, AppError> {
    let page = Page { crs, ..Page::new(limit, after, PAGE_SIZES.sites)? };
    let sites = index.sites_in(kinds, bbox);
    Ok(collection_page("sites", sites, |s| s.id.0, |s| site_feature(s), page, uri))
}

/// One site.
#[utoipa::path(get, path = "/api/sites/{id}", tag = "data", params(("id" = i64, Path, description = "The site's id")),
    responses((status = 200, description = "The site", body = SiteFeature)))]
pub async fn one(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    let index = state.app.store.read();
    let site = index.site(SiteId(id)).ok_or_else(|| AppError::not_found(format!("no site with id {id}")))?;
    Ok(Json(site_feature(site)))
}

/// Reads a request body holding exactly one GeoJSON Feature with a Point and a `kind` property.
fn one_site(body: &[u8]) -> Result<SiteData, AppError> {
    if !matches!(import::table::content(body), Ok(import::table::Content::GeoJson)) {
        return Err(AppError::client(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported body",
            "send the site as a GeoJSON Feature with a Point geometry",
        ));
    }
    let mut sites = import::sites(body, &SiteOptions::default())?;
    match sites.len() {
        1 => Ok(sites.remove(0)),
        n => Err(AppError::unprocessable(format!("send exactly one Feature, not {n}"))),
    }
}

/// Creates a site: 201 with its Location.
#[utoipa::path(post, path = "/api/sites", tag = "data",
    request_body(content = SiteFeature, content_type = "application/geo+json",
        description = "One GeoJSON Feature with a Point and a `kind` property"),
    responses((status = 201, description = "The site as stored", body = SiteFeature,
        headers(("location" = String, description = "The new site's address")))))]
pub async fn create(
    SignedIn(who): SignedIn,
    State(state): State<AppState>,
    Body(body): Body,
) -> Result<impl IntoResponse, AppError> {
    let data = one_site(&body)?;
    let site = state.blocking(move |app| app.create_site(&who, data)).await?;
    let location = format!("/api/sites/{}", site.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(site_feature(&site))))
}

/// Replaces a site.
#[utoipa::path(put, path = "/api/sites/{id}", tag = "data", params(("id" = i64, Path, description = "The site's id")),
    request_body(content = SiteFeature, content_type = "application/geo+json",
        description = "One GeoJSON Feature with a Point and a `kind` property"),
    responses((status = 200, description = "The site as stored", body = SiteFeature)))]
pub async fn replace(
    SignedIn(who): SignedIn,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body,
) -> Result<Json<Value>, AppError> {
    let data = one_site(&body)?;
    let site = state.blocking(move |app| app.replace_site(&who, SiteId(id), data)).await?;
    Ok(Json(site_feature(&site)))
}

/// Deletes a site: 204.
#[utoipa::path(delete, path = "/api/sites/{id}", tag = "data", params(("id" = i64, Path, description = "The site's id")),
    responses((status = 204, description = "Deleted")))]
pub async fn remove(
    SignedIn(who): SignedIn,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    state.blocking(move |app| app.delete_site(&who, SiteId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}
