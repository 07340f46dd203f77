//! The HTTP API (axum): thin handlers over the store, the importers and the GeoJSON writer. Every
//! coordinate in and out is WGS84 longitude/latitude (EPSG:4326).

mod analysis;
mod areas;
mod error;
mod export;
mod extract;
mod heavy;
mod imports;
mod karte_page;
mod network;
mod pages;
mod population;
mod sites;
mod tiles;
mod web;

pub use web::default_web_dir;

pub use error::AppError;
pub use heavy::HeavyQueue;

use crate::config::Limits;
use crate::network::{CatchmentCache, NetworkSettings};
use crate::store::Store;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// Largest request body the API accepts for a single feature.
pub const FEATURE_BODY_LIMIT: usize = 256 * 1024;
/// Largest file the import endpoints accept.
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// How a server is set up beside its store.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// The token staff send to write; with none, the server refuses all writes.
    pub staff_token: Option<String>,
    /// Walking profiles and catchment settings.
    pub network: NetworkSettings,
    /// What one request and all of them together may cost.
    pub limits: Limits,
    /// The address people reach the server at, for absolute URLs in TileJSON.
    pub public_url: Option<String>,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    /// Walking profiles and catchment settings.
    pub settings: Arc<NetworkSettings>,
    /// Site catchments already computed.
    pub catchments: Arc<CatchmentCache>,
    /// Coverage tables already computed.
    pub coverage: Arc<crate::analysis::CoverageCache>,
    /// Rendered vector tiles.
    pub tiles: Arc<sasaeai_tiles::TileCache>,
    /// The analysis the map's tiles show.
    pub map: Arc<tiles::MapAnalysisCache>,
    /// The folder holding the map page and MapLibre.
    pub web_dir: Arc<std::path::PathBuf>,
    /// The token staff send to write; with none, the server refuses all writes.
    pub staff_token: Option<Arc<str>>,
    /// The places for heavy analyses and imports.
    pub heavy: Arc<HeavyQueue>,
    /// What one request and all of them together may cost.
    pub limits: Arc<Limits>,
    /// The address people reach the server at, without a trailing slash.
    pub public_url: Option<Arc<str>>,
}

impl AppState {
    /// A server with the default settings and `staff_token`.
    pub fn new(store: Arc<Store>, staff_token: Option<String>) -> Self {
        Self::with_options(store, ServerOptions { staff_token, ..ServerOptions::default() })
    }

    /// A server set up with `options`.
    pub fn with_options(store: Arc<Store>, options: ServerOptions) -> Self {
        let ServerOptions { staff_token, network, limits, public_url } = options;
        let mb = |n: u64| n << 20;
        AppState {
            store,
            settings: Arc::new(network),
            catchments: Arc::new(CatchmentCache::new(mb(limits.catchment_cache_mb))),
            coverage: Arc::new(crate::analysis::CoverageCache::new(mb(limits.coverage_cache_mb))),
            tiles: Arc::new(sasaeai_tiles::TileCache::new(mb(limits.tile_cache_mb))),
            map: Arc::default(),
            web_dir: Arc::new(default_web_dir()),
            staff_token: staff_token.filter(|t| !t.is_empty()).map(Arc::from),
            heavy: Arc::new(HeavyQueue::new(&limits)),
            limits: Arc::new(limits),
            public_url: public_url.map(|u| Arc::from(u.trim_end_matches('/'))),
        }
    }
}

/// The whole application, without a socket: `serve` binds it, tests call it with `oneshot`.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/areas", get(areas::list))
        .route("/areas/{id}", get(areas::one))
        .route("/sites", get(sites::list).post(sites::create))
        .route("/sites/{id}", get(sites::one).put(sites::replace).delete(sites::remove))
        .route("/population", get(population::list))
        .route("/population/cells", get(population::cells))
        .route("/network", get(network::summary))
        .route("/sites/{id}/catchment", get(network::site))
        .route("/catchments", get(network::of_kind))
        .route("/reach", get(network::reach))
        .route("/coverage", get(analysis::coverage_table))
        .route("/gaps", get(analysis::gaps))
        .route("/karte", get(analysis::karte_table))
        .route("/karte/{id}", get(analysis::karte))
        .route("/suggest", get(analysis::suggest).post(analysis::suggest))
        .route("/export/{file}", get(export::download))
        .route("/meta", get(meta))
        .layer(DefaultBodyLimit::max(FEATURE_BODY_LIMIT))
        .merge(
            Router::new()
                .route("/import/{layer}", post(imports::upload))
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        );
    let web = web::routes(&state.web_dir);
    let body_timeout = Duration::from_secs_f64(state.limits.body_timeout_s);
    Router::new()
        .merge(web)
        .route("/health", get(health))
        .route("/karte/{id}", get(karte_page::page))
        .route("/tiles/{file}", get(tiles::tilejson))
        .route("/tiles/{set}/{z}/{x}/{file}", get(tiles::tile))
        .nest("/api", api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(body_timeout))
        // 503 and 504 are documented answers under load, not faults: logged as warnings. Faults of
        // ours are logged at error level where they are answered (AppError::Internal).
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .on_failure(tower_http::trace::DefaultOnFailure::new().level(tracing::Level::WARN)),
        )
        .with_state(state)
}

/// Serves `app` on `listener` until Ctrl-C, within the connection limits of `[limits]`.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let limits = state.limits.clone();
    connections::serve(listener, app(state), &limits).await
}

mod connections;

/// `GET /health`: answered from the current snapshot without waiting for anything.
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let index = state.store.read();
    let (areas, sites, population) = index.counts();
    axum::Json(json!({
        "status": "ok", "areas": areas, "sites": sites, "population": population,
        "heavy_running": state.heavy.running(), "heavy_places": state.heavy.size(),
        "cache_bytes": { "tiles": state.tiles.bytes(), "catchments": state.catchments.bytes() },
    }))
}

/// The data set's title, fictional flag, attribution, layer sizes and versions.
async fn meta(State(state): State<AppState>) -> impl IntoResponse {
    let index = state.store.read();
    let (areas, sites, population) = index.counts();
    axum::Json(json!({
        "dataset": index.dataset(),
        "counts": { "areas": areas, "sites": sites, "population": population },
        "versions": index.versions(),
        "writable": state.staff_token.is_some(),
        "limits": {
            "max_minutes": state.settings.max_minutes,
            "max_suggest_count": analysis::MAX_SUGGEST_COUNT,
            "max_candidates": crate::analysis::MAX_CANDIDATES,
            "page_size": pages::PAGE_SIZES,
            "analysis_deadline_s": state.limits.analysis_deadline_s,
        },
    }))
}

async fn not_found(uri: axum::http::Uri) -> AppError {
    AppError::not_found(format!("no route for {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> AppError {
    AppError::client(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// Parses an optional query parameter with `FromStr`, naming the parameter in the error.
fn parse_param<T: std::str::FromStr>(name: &str, value: Option<&str>) -> Result<Option<T>, AppError>
where
    T::Err: std::fmt::Display,
{
    value
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<T>().map_err(|e| AppError::parameter(name, e)))
        .transpose()
}

/// Parses a comma-separated list parameter.
fn parse_list<T: std::str::FromStr>(name: &str, value: Option<&str>) -> Result<Vec<T>, AppError>
where
    T::Err: std::fmt::Display,
{
    value
        .unwrap_or_default()
        .split(',')
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.trim().parse::<T>().map_err(|e| AppError::parameter(name, e)))
        .collect()
}
