//! `POST /api/import/{layer}`: staff upload a file (GeoJSON or CSV) into a layer, all or nothing.

use super::extract::{Body, Path, Query, Staff};
use super::{AppError, AppState, parse_param};
use crate::import::{self, AreaOptions, ColumnMap, PopulationOptions, SiteOptions};
use crate::model::{AreaLevel, SiteKind, limits};
use crate::store::Replace;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub struct ImportQuery {
    level: Option<String>,
    kind: Option<String>,
    /// Comma-separated `FIELD=COLUMN` mappings.
    columns: Option<String>,
    source: Option<String>,
    year: Option<i32>,
    /// An attribution line for the imported data.
    attribution: Option<String>,
    /// `chome`: join population rows by 町丁 name or code to the store's 町丁 areas.
    join: Option<String>,
    /// With `join`: import matching rows and list the others instead of failing.
    allow_unmatched: Option<bool>,
    /// For `network`: replace the current network even when the new one is less than half as long.
    replace: Option<bool>,
}

/// Imports the body into `layer`: 201 with what was written.
pub async fn upload(
    _: Staff,
    State(state): State<AppState>,
    Path(layer): Path<String>,
    Query(q): Query<ImportQuery>,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let columns =
        ColumnMap::parse(q.columns.as_deref().unwrap_or_default().split(',').filter(|s| !s.is_empty()))
            .map_err(|e| AppError::parameter("columns", e))?;
    let level: Option<AreaLevel> = parse_param("level", q.level.as_deref())?;
    let kind: Option<SiteKind> = parse_param("kind", q.kind.as_deref())?;
    if let Some(line) = q.attribution.as_deref() {
        // Checked before the import, so a bad line cannot leave the data imported and the reply an error.
        limits::attribution(line).map_err(|e| AppError::parameter("attribution", e))?;
    }
    let store = state.store.clone();
    let summary = state.heavy.run("the import", move |_| -> Result<Value, AppError> {
        let summary = match layer.as_str() {
            "areas" => {
                let areas = import::areas(&body, &AreaOptions { level, columns })?;
                let written = store.import_areas(areas)?;
                json!({ "layer": "areas", "imported": written.ids.len(), "ids": written.ids, "reparented": written.reparented })
            }
            "sites" => {
                let sites = import::sites(&body, &SiteOptions { kind, columns })?;
                let ids = store.insert_sites(sites)?;
                json!({ "layer": "sites", "imported": ids.len(), "ids": ids })
            }
            "network" => {
                let (nodes, edges) = crate::network::read_file(&body)?;
                let replace = if q.replace.unwrap_or(false) { Replace::Always } else { Replace::OnlyIfNotShrinking };
                let summary = store.replace_network(nodes, edges, replace)?;
                json!({ "layer": "network", "summary": summary })
            }
            "population" => {
                let options = PopulationOptions { source: q.source, year: q.year, columns };
                match q.join.as_deref() {
                    None => {
                        let ids = store.insert_population(import::population(&body, &options)?)?;
                        json!({ "layer": "population", "imported": ids.len(), "ids": ids })
                    }
                    Some("chome") => {
                        let places = import::join::chome_places(&store.read());
                        let allow = q.allow_unmatched.unwrap_or(false);
                        let (units, report) = import::join::population(&body, &options, &places, allow)?;
                        let ids = store.insert_population(units)?;
                        json!({ "layer": "population", "imported": ids.len(), "ids": ids, "join": report })
                    }
                    Some(other) => return Err(AppError::parameter("join", format!("{other:?}: the only join is chome"))),
                }
            }
            other => {
                return Err(AppError::not_found(format!(
                    "no layer {other:?} to import into; layers: areas, sites, population, network"
                )));
            }
        };
        if let Some(line) = q.attribution.as_deref().filter(|l| !l.trim().is_empty()) {
            store.add_attribution(line)?;
        }
        Ok(summary)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(summary)))
}
