//! The pages and their files: our own HTML, JS and CSS (`/` the map, `/support` the residents'
//! 支え合いマップ), and MapLibre GL JS and terra-draw from the pinned npm packages, served by sasaeai
//! itself — no CDN, so the pages work on a ward office LAN without internet. The build embeds them
//! (see `build.rs`), so the binary needs nothing beside it; `SASAEAI_WEB` names a `web/` folder to
//! serve instead, to try a change to the pages without building. Only the files the pages need are
//! served, each by name: nothing else of the folder (package.json, node_modules, tests) is reachable.
//!
//! Who may see: everyone. The files hold no data; the support page fetches a group's map from the
//! group's own routes, which answer its members only.

use super::AppState;
pub use super::web_files::{PAGES, VENDOR_FILES, web_files};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use std::path::PathBuf;

/// A file's bytes and ETag.
type Content = (&'static [u8], &'static str);

/// The files built in: (path in `web/`, its content when it was there at build time).
static EMBEDDED: &[(&str, Option<Content>)] = include!(concat!(env!("OUT_DIR"), "/web_files.rs"));

/// A built-in file by its path in `web/`, when it was there at build time.
fn embedded(file: &str) -> Option<Content> {
    EMBEDDED.iter().find(|(name, _)| *name == file).and_then(|(_, content)| *content)
}

/// Where the pages' files come from.
#[derive(Debug, Clone)]
pub enum WebFiles {
    /// Built into the binary.
    Embedded,
    /// Read from a `web/` folder on each request.
    Folder(PathBuf),
}

impl WebFiles {
    /// The folder named by `SASAEAI_WEB`, else the files built in.
    pub fn from_env() -> Self {
        std::env::var_os("SASAEAI_WEB").map_or(WebFiles::Embedded, |dir| WebFiles::Folder(dir.into()))
    }

    /// A file by its path in `web/`, with its ETag when built in; `None` when it is not there. Built-in
    /// bytes are served as they are, never copied.
    async fn read(&self, file: &str) -> Option<(Bytes, Option<&'static str>)> {
        match self {
            WebFiles::Embedded => {
                let (bytes, etag) = embedded(file)?;
                Some((Bytes::from_static(bytes), Some(etag)))
            }
            WebFiles::Folder(dir) => {
                tokio::fs::read(dir.join(file)).await.ok().map(|b| (Bytes::from(b), None))
            }
        }
    }

    /// Whether every package file the pages load is there (looked up, not read).
    async fn installed(&self) -> bool {
        for (_, folder, files) in VENDOR_FILES {
            for file in files {
                let file = format!("{folder}/{file}");
                let there = match self {
                    WebFiles::Embedded => embedded(&file).is_some(),
                    WebFiles::Folder(dir) => tokio::fs::try_exists(dir.join(&file)).await.unwrap_or(false),
                };
                if !there {
                    return false;
                }
            }
        }
        true
    }

    /// What to do when the packages are missing.
    fn install_hint(&self) -> String {
        match self {
            WebFiles::Embedded => {
                "were not installed when this sasaeai was built. Run <code>npm ci --prefix web</code>, \
                                   then build again"
                    .into()
            }
            WebFiles::Folder(dir) => format!(
                "are not installed in {}. Run <code>npm ci --prefix web</code> and reload",
                dir.display()
            ),
        }
    }
}

/// Routes (all `GET`) for the pages and every file they load, for the route table.
pub fn routes() -> Vec<(String, MethodRouter<AppState>)> {
    let mut routes = vec![("/favicon.ico".to_owned(), get(|| async { StatusCode::NO_CONTENT }))];
    for (url, file) in web_files() {
        let page = PAGES.iter().any(|(page_url, _)| *page_url == url);
        let route = get(move |State(state): State<AppState>, headers: HeaderMap| async move {
            if page { serve_page(&state, &file).await } else { serve_file(&state, &file, &headers).await }
        });
        routes.push((url, route));
    }
    routes
}

/// One of the pages, or a page saying the npm packages are missing.
async fn serve_page(state: &AppState, file: &str) -> Response {
    if !state.web.installed().await {
        let message = format!(
            "<!doctype html><meta charset=utf-8><title>sasaeai</title><h1>地図の部品がありません</h1>\
             <p>MapLibre GL JS or terra-draw {}.</p>",
            state.web.install_hint()
        );
        return (StatusCode::SERVICE_UNAVAILABLE, Html(message)).into_response();
    }
    match state.web.read(file).await {
        Some((page, _)) => {
            ([(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))], Html(page)).into_response()
        }
        None => {
            tracing::error!(?state.web, file, "cannot read the page");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A file the pages load, revalidated by its ETag when built in.
async fn serve_file(state: &AppState, file: &str, headers: &HeaderMap) -> Response {
    let Some((bytes, etag)) = state.web.read(file).await else {
        let detail = format!("{file} is not installed; run npm ci --prefix web");
        return super::AppError::not_found(detail).into_response();
    };
    let mut response = if etag.is_some_and(|e| headers.get(header::IF_NONE_MATCH).is_some_and(|h| h == e)) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type(file))], bytes).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(etag) = etag {
        h.insert(header::ETAG, HeaderValue::from_static(etag));
    }
    response
}

fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}
