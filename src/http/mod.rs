//! The HTTP API (axum): thin handlers over the store, the importers and the GeoJSON writer. Every
//! coordinate in and out is WGS84 longitude/latitude (EPSG:4326).

mod analysis;
mod areas;
pub mod auth;
mod error;
mod export;
mod extract;
mod groups;
mod heavy;
mod imports;
mod indicators;
mod karte_page;
mod network;
mod ogc;
pub mod openapi;
mod overlays;
mod pages;
mod population;
mod routes;
mod sheets;
mod sites;
mod styles;
mod tiles;
mod web;
mod web_files;

pub use web::WebFiles;

pub use error::AppError;
pub use heavy::HeavyQueue;
pub use routes::{Audience, RouteInfo, route_table};

use crate::config::Limits;
use crate::model::SiteKind;
use crate::network::{CatchmentCache, NetworkSettings};
use crate::store::Store;
use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// Largest request body the API accepts for a single feature.
pub const FEATURE_BODY_LIMIT: usize = 256 * 1024;
/// Largest file the import endpoints accept.
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// How a server is set up beside its store.
#[derive(Clone, Default)]
pub struct ServerOptions {
    /// The token of the configuration (a staff account for scripts); accounts need none.
    pub staff_token: Option<String>,
    /// Accounts, sessions and the privacy of aggregates.
    pub app: crate::app::AppOptions,
    /// The private store; by default the one beside the GeoPackage.
    pub private: Option<Arc<crate::private::PrivateStore>>,
    /// Walking profiles and catchment settings.
    pub network: NetworkSettings,
    /// What one request and all of them together may cost.
    pub limits: Limits,
    /// The address people reach the server at, for absolute URLs in TileJSON.
    pub public_url: Option<String>,
    /// A background map under the map's layers, when the office allows one.
    pub background: Option<crate::config::Background>,
}

/// What every handler shares, behind one pointer: a request clones and drops one reference count,
/// not one per part (on a busy server, every count shared by all cores is a cache line they pass
/// around).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct Shared {
    /// Every operation, with who may do it; also the store and the walking settings.
    pub app: Arc<crate::app::App>,
    /// Site catchments already computed.
    pub catchments: Arc<CatchmentCache>,
    /// Coverage tables already computed.
    pub coverage: Arc<crate::analysis::CoverageCache>,
    /// Rendered vector tiles.
    pub tiles: Arc<sasaeai_tiles::TileCache>,
    /// The analysis the map's tiles show.
    pub map: Arc<tiles::MapAnalysisCache>,
    /// Where the pages and MapLibre come from: built in, or a folder.
    pub web: Arc<WebFiles>,
    /// The places for heavy analyses and imports.
    pub heavy: Arc<HeavyQueue>,
    /// The places for password checks (sign-ins).
    pub logins: Arc<HeavyQueue>,
    /// What one request and all of them together may cost.
    pub limits: Arc<Limits>,
    /// The address people reach the server at, without a trailing slash.
    pub public_url: Option<Arc<str>>,
    /// A background map under the map's layers, when the office allows one.
    pub background: Option<Arc<crate::config::Background>>,
}

impl AppState {
    /// A server with the default settings and `staff_token`.
    pub fn new(store: Arc<Store>, staff_token: Option<String>) -> Result<Self, crate::app::Error> {
        Self::with_options(store, ServerOptions { staff_token, ..ServerOptions::default() })
    }

    /// A server set up with `options`; opens the private store beside the GeoPackage unless one is
    /// given.
    pub fn with_options(store: Arc<Store>, options: ServerOptions) -> Result<Self, crate::app::Error> {
        let ServerOptions { staff_token, app, private, network, limits, public_url, background } = options;
        let private = match private {
            Some(p) => p,
            None => {
                let gpkg = store.path().ok_or_else(|| {
                    crate::app::Error::Invalid(format!(
                        "{}: say which private store to serve",
                        store.describe()
                    ))
                })?;
                Arc::new(crate::private::PrivateStore::open(&crate::private::PrivateStore::path_beside(
                    gpkg,
                ))?)
            }
        };
        let app = crate::app::AppOptions { staff_token, ..app };
        let app = Arc::new(crate::app::App::new(store, private, Arc::new(network), app));
        let mb = |n: u64| n << 20;
        Ok(AppState(Arc::new(Shared {
            app,
            catchments: Arc::new(CatchmentCache::new(mb(limits.catchment_cache_mb))),
            coverage: Arc::new(crate::analysis::CoverageCache::new(mb(limits.coverage_cache_mb))),
            tiles: Arc::new(sasaeai_tiles::TileCache::new(mb(limits.tile_cache_mb))),
            map: Arc::new(tiles::MapAnalysisCache::new(mb(limits.map_cache_mb))),
            web: Arc::new(WebFiles::from_env()),
            heavy: Arc::new(HeavyQueue::new(&limits)),
            logins: Arc::new(HeavyQueue::new(&limits)),
            limits: Arc::new(limits),
            public_url: public_url.map(|u| Arc::from(u.trim_end_matches('/'))),
            background: background.map(Arc::new),
        })))
    }

    /// The same server with its pages and MapLibre from `web`.
    pub fn with_web(mut self, web: WebFiles) -> Self {
        Arc::make_mut(&mut self.0).web = Arc::new(web);
        self
    }

    /// Runs `work` with this state in the heavy queue: a place among `heavy_at_once`, a bounded wait
    /// for it and a deadline (see [`HeavyQueue::run`]).
    pub async fn in_heavy_queue<T: Send + 'static>(
        &self,
        what: &str,
        work: impl FnOnce(&AppState, &crate::deadline::Deadline) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let state = self.clone();
        self.heavy.run(what, move |deadline| work(&state, deadline)).await
    }

    /// Runs a quick application call (a store read or write, a password check) off the async
    /// threads.
    pub async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&crate::app::App) -> Result<T, crate::app::Error> + Send + 'static,
    ) -> Result<T, AppError> {
        let app = self.app.clone();
        Ok(tokio::task::spawn_blocking(move || work(&app)).await??)
    }
}

/// The whole application, without a socket: `serve` binds it, tests call it with `oneshot`.
pub fn app(state: AppState) -> Router {
    let body_timeout = Duration::from_secs_f64(state.limits.body_timeout_s);
    Router::new()
        .merge(routes::router())
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
#[utoipa::path(get, path = "/health", tag = "meta",
    responses((status = 200, description = "The server is up", body = openapi::schema::Health)))]
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let index = state.app.store.read();
    let (areas, sites, population) = index.counts();
    axum::Json(json!({
        "status": "ok", "areas": areas, "sites": sites, "population": population,
        "heavy_running": state.heavy.running(), "heavy_places": state.heavy.size(),
        "cache_bytes": { "tiles": state.tiles.bytes(), "catchments": state.catchments.bytes() },
    }))
}

/// The data set's title, fictional flag, attribution, layer sizes and versions; the kinds, walkers,
/// defaults and limits the page builds itself from.
#[utoipa::path(get, path = "/api/meta", tag = "meta",
    responses((status = 200, description = "The data set and the settings", body = openapi::schema::Meta)))]
async fn meta(State(state): State<AppState>) -> impl IntoResponse {
    let index = state.app.store.read();
    let (areas, sites, population) = index.counts();
    axum::Json(json!({
        "dataset": index.dataset(),
        "counts": { "areas": areas, "sites": sites, "population": population },
        "versions": index.versions(),
        "support_map": crate::model::support::vocabulary_json(),
        "support_overlays": {
            "headline": crate::analysis::overlays::HEADLINE_METRICS
                .iter()
                .map(|(id, label)| json!({ "id": id, "label": label }))
                .collect::<Vec<_>>(),
        },
        "privacy": { "min_count": state.app.privacy.min_count },
        "places_to_go": crate::analysis::PLACES_TO_GO,
        "kinds": SiteKind::ALL.iter().map(|k| json!({
            "id": k, "label": k.label_ja(), "colour": crate::mapstyle::kind_colour(*k),
        })).collect::<Vec<_>>(),
        "profiles": state.app.settings.profiles.iter().map(|(name, p)| json!({
            "id": name, "label": state.app.settings.label(name), "speed_m_per_min": p.speed_m_per_min,
            "steps_factor": p.steps_factor, "use_steps": p.use_steps,
        })).collect::<Vec<_>>(),
        "defaults": {
            "kinds": crate::analysis::PLACES_TO_GO,
            "minutes": crate::analysis::DEFAULT_MINUTES,
            "profile": crate::analysis::DEFAULT_PROFILE,
        },
        "sphere_view": { "minutes": crate::analysis::SPHERE_VIEW_MINUTES, "kinds": crate::analysis::SPHERE_VIEW_KINDS },
        "limits": {
            "max_minutes": state.app.settings.max_minutes,
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

/// Where clients reach this server: `public_url`, else `http://` and the request's Host.
pub(super) fn base_url(state: &AppState, headers: &axum::http::HeaderMap) -> Result<String, AppError> {
    if let Some(url) = &state.public_url {
        return Ok(url.to_string());
    }
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if host.is_empty() || !host.chars().all(plain) {
        return Err(AppError::bad_request(
            "the Host header is not a host and port; set public_url for absolute links",
        ));
    }
    Ok(format!("http://{host}"))
}

/// Text made safe to put in HTML, in an element or a quoted attribute.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
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
