//! `GET /styles/sasaeai.json`: the map's MapLibre style document (see [`crate::mapstyle`]), with
//! absolute tile URLs (TileJSON's, under this server's address) asking the question in the query (`?kinds=…&minutes=…&profile=…`, the usual
//! one when not given) — what the map page loads, and what QGIS or another MapLibre client opens
//! to show the same map.
//!
//! Who may see: everyone. It names public tile sets only; the support layers are the suppressed
//! aggregates every caller gets.

use super::extract::{Path, Query};
use super::tiles::QuestionQuery;
use super::{AppError, AppState, base_url};
use crate::mapstyle::{self, TileSource};
use crate::maptiles;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The one style there is.
const STYLE_FILE: &str = "sasaeai.json";

/// The layer sets it draws, each a source.
const STYLE_SETS: [&str; 5] = ["base", "analysis", "network", "population", "support"];

/// `GET /styles/{name}.json`.
#[utoipa::path(get, path = "/styles/{file}", tag = "maps",
    params(("file" = String, Path, description = "The style: `sasaeai.json`", example = "sasaeai.json"), QuestionQuery),
    responses((status = 200, description = "A MapLibre style (version 8) showing what the map page shows", body = Object)))]
pub async fn style(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(asked): Query<QuestionQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if file != STYLE_FILE {
        return Err(AppError::not_found(format!("no style {file:?}; the map's style is {STYLE_FILE}")));
    }
    let base = base_url(&state, &headers)?;
    let sources = STYLE_SETS
        .iter()
        .map(|name| {
            let set = maptiles::resolve(name).expect("a named set");
            let url = super::tiles::tile_url(&base, &set, asked.of(&state, &set)?.as_ref());
            Ok(TileSource { minzoom: set.minzoom(), maxzoom: set.maxzoom(), set: set.name, url })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let attribution = super::tiles::attribution(&state.app.store.read());
    let mut response = (
        [(header::CONTENT_TYPE, "application/json")],
        mapstyle::style(&sources, &attribution, state.background.as_deref()).to_string(),
    )
        .into_response();
    if state.public_url.is_none() {
        response.headers_mut().insert(header::VARY, HeaderValue::from_static("host"));
    }
    Ok(response)
}
