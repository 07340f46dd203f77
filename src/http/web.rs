//! The map page and its files: `web/` for our own HTML, JS and CSS, and MapLibre GL JS from the
//! pinned npm package in `web/node_modules`, served by sasaeai itself — no CDN, so the map works on
//! a ward office LAN without internet. Only the files the page needs are served, each by name:
//! nothing else of the folder (package.json, node_modules, tests) is reachable.

use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get, get_service};
use std::path::{Path, PathBuf};
use tower_http::services::ServeFile;

/// Where MapLibre's files are, inside the web folder.
const MAPLIBRE_DIST: &str = "node_modules/maplibre-gl/dist";

/// The web folder: `SASAEAI_WEB`, else `web/` in the working directory, else the source tree's.
pub fn default_web_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SASAEAI_WEB") {
        return dir.into();
    }
    let local = PathBuf::from("web");
    if local.join("index.html").exists() { local } else { Path::new(env!("CARGO_MANIFEST_DIR")).join("web") }
}

/// Our own files the page loads, under `/web/`.
const PAGE_FILES: [&str; 2] = ["app.js", "style.css"];

/// MapLibre's files the page loads (the module loads its worker and shared chunk by name), under
/// `/vendor/maplibre-gl/`.
const MAPLIBRE_FILES: [&str; 4] =
    ["maplibre-gl.mjs", "maplibre-gl-shared.mjs", "maplibre-gl-worker.mjs", "maplibre-gl.css"];

/// Routes (all `GET`) for `/`, the page's files under `/web/` and MapLibre's under
/// `/vendor/maplibre-gl/`, for the route table.
pub fn routes(dir: &Path) -> Vec<(String, MethodRouter<AppState>)> {
    let mut routes = vec![
        ("/".to_owned(), get(index)),
        ("/favicon.ico".to_owned(), get(|| async { StatusCode::NO_CONTENT })),
    ];
    for file in PAGE_FILES {
        routes.push((format!("/web/{file}"), get_service(ServeFile::new(dir.join(file)))));
    }
    for file in MAPLIBRE_FILES {
        let path = dir.join(MAPLIBRE_DIST).join(file);
        routes.push((format!("/vendor/maplibre-gl/{file}"), get_service(ServeFile::new(path))));
    }
    routes
}

async fn index(State(state): State<AppState>) -> Response {
    let dir = &state.web_dir;
    if !dir.join(MAPLIBRE_DIST).join("maplibre-gl.mjs").exists() {
        let message = format!(
            "<!doctype html><meta charset=utf-8><title>sasaeai</title><h1>地図の部品がありません</h1>\
             <p>MapLibre GL JS is not installed in {}. Run <code>npm ci --prefix web</code> and reload.</p>",
            dir.display()
        );
        return (StatusCode::SERVICE_UNAVAILABLE, Html(message)).into_response();
    }
    match tokio::fs::read_to_string(dir.join("index.html")).await {
        Ok(page) => Html(page).into_response(),
        Err(e) => {
            tracing::error!(error = %e, dir = %dir.display(), "cannot read the map page");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
