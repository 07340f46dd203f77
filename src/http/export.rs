//! `GET /api/export/{layer}.geojson`: a whole layer (optionally filtered) as an RFC 7946 file to
//! download, streamed in chunks so that a 100k-site layer never sits in memory as one string.

use super::extract::{Path, Query};
use super::openapi::schema::FeatureCollection;
use super::{AppError, AppState, parse_list, parse_param};
use crate::export::{COLLECTION_TAIL, area_feature, collection_head, population_feature, site_feature};
use crate::model::{AreaLevel, SiteKind};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `areas`: only this level.
    #[param(value_type = Option<AreaLevel>)]
    level: Option<String>,
    /// `sites`: only these kinds (comma-separated).
    #[param(value_type = Option<Vec<SiteKind>>, style = Form, explode = false)]
    kind: Option<String>,
}

/// Streams a layer as a GeoJSON download.
#[utoipa::path(get, path = "/api/export/{file}", tag = "data",
    params(("file" = String, Path, description = "`areas.geojson`, `sites.geojson` or `population.geojson`",
        example = "sites.geojson"), ExportQuery),
    responses((status = 200, description = "The whole layer, with the data set's title and attribution",
        content_type = "application/geo+json", body = FeatureCollection)))]
pub async fn download(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let layer = file.strip_suffix(".geojson").unwrap_or(&file);
    let features: Vec<Box<dyn Fn() -> Value + Send + Sync>> = {
        let index = state.app.store.read();
        match layer {
            "areas" => {
                let level: Option<AreaLevel> = parse_param("level", q.level.as_deref())?;
                index
                    .areas_in(level, None)
                    .into_iter()
                    .map(|a| {
                        let parent = index.parent_name(&a).map(str::to_owned);
                        Box::new(move || area_feature(&a, parent.as_deref())) as Box<_>
                    })
                    .collect()
            }
            "sites" => {
                let kinds: Vec<SiteKind> = parse_list("kind", q.kind.as_deref())?;
                index
                    .sites_in(&kinds, None)
                    .into_iter()
                    .map(|s| Box::new(move || site_feature(&s)) as Box<_>)
                    .collect()
            }
            "population" => index
                .population_in(None)
                .into_iter()
                .map(|p| Box::new(move || population_feature(&p)) as Box<_>)
                .collect(),
            other => {
                return Err(AppError::not_found(format!(
                    "no layer {other:?} to export; layers: areas, sites, population (as /api/export/LAYER.geojson)"
                )));
            }
        }
    };
    let dataset = state.app.store.dataset();
    let meta = crate::props!({ "title": dataset.title, "fictional": dataset.fictional, "attribution": dataset.attribution });
    let head = collection_head(&format!("sasaeai_{layer}"), &meta);
    let body = super::pages::stream_features(
        head,
        features,
        |render, out| super::pages::write_json(out, &render()),
        COLLECTION_TAIL,
    );
    let disposition = format!("attachment; filename=\"sasaeai-{layer}.geojson\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/geo+json".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
