//! `GET /styles/sasaeai.json`: the map's MapLibre style document (see [`crate::mapstyle`]), with
//! absolute tile URLs asking the question in the query (`?kinds=…&minutes=…&profile=…`, the usual
//! one when not given) — what the map page loads, and what QGIS or another MapLibre client opens
//! to show the same map.
//!
//! Who may see: everyone. It names public tile sets only; the support layers are the suppressed
//! aggregates every caller gets.

use super::extract::{Path, Query};
use super::tiles::QuestionQuery;
use super::{AppError, AppState, base_url};
use crate::mapstyle::{self, Sources};
use crate::maptiles;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The one style there is.
const STYLE_FILE: &str = "sasaeai.json";

/// `GET /styles/{name}.json`.
pub async fn style(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(asked): Query<QuestionQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if file != STYLE_FILE {
        return Err(AppError::not_found(format!("no style {file:?}; the map's style is {STYLE_FILE}")));
    }
    let analysis = maptiles::resolve("analysis").expect("a named set");
    let question = asked.of(&state, &analysis)?.expect("the analysis set shows an analysis");
    let base = base_url(&state, &headers)?;
    let tiles = |set: &str, asks: bool| {
        let query = if asks { format!("?{}", maptiles::question_query(&question)) } else { String::new() };
        format!("{base}/tiles/{set}/{{z}}/{{x}}/{{y}}.mvt{query}")
    };
    let attribution = super::tiles::attribution(&state.app.store.read());
    let sources = Sources {
        sets: [
            ("base", tiles("base", true), 5),
            ("analysis", tiles("analysis", true), 10),
            ("network", tiles("network", false), 13),
            ("population", tiles("population", false), 12),
            ("support", tiles("support", false), 10),
        ],
        attribution: &attribution,
    };
    let mut response =
        ([(header::CONTENT_TYPE, "application/json")], mapstyle::style(&sources).to_string()).into_response();
    if state.public_url.is_none() {
        response.headers_mut().insert(header::VARY, HeaderValue::from_static("host"));
    }
    Ok(response)
}
