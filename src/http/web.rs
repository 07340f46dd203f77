//! The pages and their files: `web/` for our own HTML, JS and CSS (`/` the map, `/support` the
//! residents' 支え合いマップ), and MapLibre GL JS and terra-draw from the pinned npm packages in
//! `web/node_modules`, served by sasaeai itself — no CDN, so the pages work on a ward office LAN
//! without internet. Only the files the pages need are served, each by name: nothing else of the
//! folder (package.json, node_modules, tests) is reachable.
//!
//! Who may see: everyone. The files hold no data; the support page fetches a group's map from the
//! group's own routes, which answer its members only.

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

/// Our own files the pages load, under `/web/`.
const PAGE_FILES: [&str; 5] = ["app.js", "util.js", "style.css", "support.js", "support.css"];

/// The pinned packages' files the pages load, under `/vendor/{package}/`: (package, its folder in
/// `web/`, files). MapLibre's module loads its worker and shared chunk by name; terra-draw's
/// MapLibre adapter imports `terra-draw`, which the support page's import map points here.
const VENDOR_FILES: [(&str, &str, &[&str]); 3] = [
    (
        "maplibre-gl",
        MAPLIBRE_DIST,
        &["maplibre-gl.mjs", "maplibre-gl-shared.mjs", "maplibre-gl-worker.mjs", "maplibre-gl.css"],
    ),
    ("terra-draw", "node_modules/terra-draw/dist", &["terra-draw.modern.js"]),
    (
        "terra-draw-maplibre-gl-adapter",
        "node_modules/terra-draw-maplibre-gl-adapter/dist",
        &["terra-draw-maplibre-gl-adapter.modern.js"],
    ),
];

/// Routes (all `GET`) for `/` and `/support`, the pages' files under `/web/` and the packages'
/// under `/vendor/`, for the route table.
pub fn routes(dir: &Path) -> Vec<(String, MethodRouter<AppState>)> {
    let mut routes = vec![
        ("/".to_owned(), get(|state| page(state, "index.html"))),
        ("/support".to_owned(), get(|state| page(state, "support.html"))),
        ("/favicon.ico".to_owned(), get(|| async { StatusCode::NO_CONTENT })),
    ];
    for file in PAGE_FILES {
        routes.push((format!("/web/{file}"), get_service(ServeFile::new(dir.join(file)))));
    }
    for (package, folder, files) in VENDOR_FILES {
        for file in files {
            let path = dir.join(folder).join(file);
            routes.push((format!("/vendor/{package}/{file}"), get_service(ServeFile::new(path))));
        }
    }
    routes
}

/// One of the pages, or a page saying the npm packages are missing.
async fn page(State(state): State<AppState>, file: &'static str) -> Response {
    let dir = &state.web_dir;
    let installed =
        VENDOR_FILES.iter().all(|(_, folder, files)| files.iter().all(|f| dir.join(folder).join(f).exists()));
    if !installed {
        let message = format!(
            "<!doctype html><meta charset=utf-8><title>sasaeai</title><h1>地図の部品がありません</h1>\
             <p>MapLibre GL JS or terra-draw is not installed in {}. Run <code>npm ci --prefix web</code> and reload.</p>",
            dir.display()
        );
        return (StatusCode::SERVICE_UNAVAILABLE, Html(message)).into_response();
    }
    match tokio::fs::read_to_string(dir.join(file)).await {
        Ok(page) => Html(page).into_response(),
        Err(e) => {
            tracing::error!(error = %e, dir = %dir.display(), "cannot read the map page");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
