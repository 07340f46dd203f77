//! The walking network's endpoints: its summary, a site's catchment, the catchments of a kind of
//! site (one by one or dissolved), and what a resident can reach from home.

use super::extract::{Path, Query};
use super::openapi::schema::{self, Catchments, Feature, Reach};
use super::{AppError, AppState, parse_list};
use crate::analysis::{AnalysisError, SkippedSite};
use crate::export::{COLLECTION_TAIL, CatchmentFeature, collection_head, feature_collection, site_feature};
use crate::model::{BBox, Site, SiteId, SiteKind, check_lon_lat};
use crate::network::catchment::dissolved;
use crate::network::search::{Source, search};
use crate::network::{Catchment, Graph, NetworkError, NetworkSummary, catchment, snap};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use utoipa::IntoParams;

impl From<NetworkError> for AppError {
    fn from(e: NetworkError) -> Self {
        match e {
            NetworkError::NoNetwork => {
                AppError::client(StatusCode::CONFLICT, "No walking network", e.to_string())
            }
            NetworkError::UnknownProfile { .. } | NetworkError::Minutes { .. } => {
                AppError::bad_request(e.to_string())
            }
            NetworkError::Lines(inner) => inner.into(),
            _ => AppError::unprocessable(e.to_string()),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BudgetQuery {
    /// The walk in minutes (15 when not given; at most the server's `max_minutes`, 60 by default).
    #[param(minimum = 1, maximum = 60, example = 15)]
    minutes: Option<f64>,
    /// The walker: `standard` (80 m/min), `elderly` (60 m/min) or `wheelchair` (50 m/min, no steps).
    #[param(example = "elderly")]
    profile: Option<String>,
    /// `/api/catchments`: the kinds of site (comma-separated, at least one).
    #[param(value_type = Option<Vec<SiteKind>>, style = Form, explode = false)]
    kind: Option<String>,
    /// `/api/catchments`: one dissolved catchment of all the sites instead of one per site.
    dissolve: Option<bool>,
    /// `/api/reach`: the longitude of the start (WGS 84 degrees).
    #[param(minimum = -180, maximum = 180)]
    lon: Option<f64>,
    /// `/api/reach`: the latitude of the start (WGS 84 degrees).
    #[param(minimum = -90, maximum = 90)]
    lat: Option<f64>,
}

impl BudgetQuery {
    fn minutes(&self) -> f64 {
        self.minutes.unwrap_or(crate::analysis::DEFAULT_MINUTES)
    }

    fn profile(&self) -> &str {
        self.profile.as_deref().unwrap_or(crate::analysis::DEFAULT_PROFILE)
    }
}

pub(super) fn network(state: &AppState) -> Result<(Arc<Graph>, u64), AppError> {
    let index = state.app.store.read();
    let graph = index.network().cloned().ok_or(NetworkError::NoNetwork)?;
    Ok((graph, index.versions().network))
}

/// Runs CPU-heavy network work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await?
}

/// `GET /api/network`: the loaded network's size and connectivity.
#[utoipa::path(get, path = "/api/network", tag = "analysis",
    responses((status = 200, description = "The walking network", body = schema::NetworkSummary)))]
pub async fn summary(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let (graph, version) = network(&state)?;
    let mut body = serde_json::to_value(NetworkSummary::of(&graph)).expect("summary serialises");
    body["version"] = json!(version);
    body["profiles"] = json!(state.app.settings.profiles.keys().collect::<Vec<_>>());
    Ok(Json(body))
}

pub(super) fn site_props(site: &Site) -> serde_json::Map<String, Value> {
    crate::props!({ "site_id": site.id, "site_name": site.data.name, "kind": site.data.kind })
}

fn site_catchment(
    state: &AppState,
    graph: &Graph,
    version: u64,
    site: &Site,
    (minutes, profile): (f64, &str),
) -> Result<Arc<Catchment>, NetworkError> {
    state.catchments.get_or_compute(site.id, site.data.location, minutes, profile, version, || {
        catchment(graph, &state.app.settings, profile, &[site.data.location.0], minutes)
    })
}

/// A site's catchment error as an answer, naming the site.
fn site_error(site: &Site, e: NetworkError) -> AppError {
    match e {
        NetworkError::TooFar { .. } => {
            AppError::unprocessable(format!("site {} ({}): {e}", site.id, site.data.name))
        }
        other => other.into(),
    }
}

/// `GET /api/sites/{id}/catchment?minutes=15&profile=elderly`: where a walk from the site reaches.
#[utoipa::path(get, path = "/api/sites/{id}/catchment", tag = "analysis",
    params(("id" = i64, Path, description = "The site's id"), BudgetQuery),
    responses((status = 200, description = "The catchment (a MultiPolygon) with the site", body = Feature)))]
pub async fn site(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<BudgetQuery>,
) -> Result<Response, AppError> {
    let site = state
        .app
        .store
        .read()
        .site(SiteId(id))
        .cloned()
        .ok_or_else(|| AppError::not_found(format!("no site with id {id}")))?;
    let (graph, version) = network(&state)?;
    blocking(move || {
        let walk = (q.minutes(), q.profile());
        let c = site_catchment(&state, &graph, version, &site, walk).map_err(|e| site_error(&site, e))?;
        Ok(json_bytes(&CatchmentFeature::new(&c, site_props(&site))))
    })
    .await
    .map(json_response)
}

/// `GET /api/catchments?kind=cafe&minutes=15&profile=elderly[&dissolve=true]`. Sites that cannot
/// reach the walking network are left out and listed in `skipped` with the reason, as coverage does.
#[utoipa::path(get, path = "/api/catchments", tag = "analysis", params(BudgetQuery),
    responses((status = 200, description = "One catchment per site, or one dissolved",
        content_type = "application/geo+json", body = Catchments)))]
pub async fn of_kind(
    State(state): State<AppState>,
    Query(q): Query<BudgetQuery>,
) -> Result<Response, AppError> {
    let kinds: Vec<SiteKind> = parse_list("kind", q.kind.as_deref())?;
    if kinds.is_empty() {
        return Err(AppError::parameter("kind", "give one or more site kinds, e.g. kind=cafe,engawa"));
    }
    state.app.settings.profile(q.profile())?;
    state.app.settings.check_minutes(q.minutes())?;
    let sites = state.app.store.read().sites_open_in(&kinds, None, None);
    let (graph, version) = network(&state)?;
    let (features, skipped) = state
        .in_heavy_queue("the catchments", move |state, deadline| {
            let mut features = Vec::new();
            let mut skipped = Vec::new();
            if q.dissolve.unwrap_or(false) {
                let points: Vec<_> = sites.iter().map(|s| s.data.location.0).collect();
                let (c, too_far) = dissolved(&graph, &state.app.settings, q.profile(), &points, q.minutes())?;
                skipped.extend(too_far.into_iter().map(|(i, e)| SkippedSite::new(&sites[i], e.to_string())));
                if points.len() > skipped.len() {
                    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
                    let reaching = points.len() - skipped.len();
                    features.push((Arc::new(c), crate::props!({ "kinds": kinds, "sites": reaching })));
                }
                Ok((features, skipped))
            } else {
                let walk = (q.minutes(), q.profile());
                let (each, skipped) = each_catchment(state, (&graph, version), &sites, walk, deadline)?;
                Ok((each.into_iter().map(|(c, s)| (c, site_props(&s))).collect(), skipped))
            }
        })
        .await?;
    // Rendered feature by feature as the client reads: a city's catchments at an hour's walk are
    // tens of megabytes, which must not sit in memory as one JSON tree per waiting client.
    let members = crate::props!({ "skipped": skipped });
    let body = super::pages::stream_features(
        collection_head("catchments", &members),
        features,
        |(c, props), out| super::pages::write_json(out, &CatchmentFeature::new(c, props.clone())),
        COLLECTION_TAIL,
    );
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}

/// Catchments of sites, each with its site's properties, and the sites left out.
pub(super) type SiteCatchments = (Vec<(Arc<Catchment>, Arc<Site>)>, Vec<SkippedSite>);

/// The catchment of each of `sites` on `graph` (at its `version`) for a walk of (minutes, profile),
/// searched on every core, in the sites' order, each with its site; sites that cannot reach the
/// walking network are left out and listed with the reason.
pub(super) fn each_catchment(
    state: &AppState,
    (graph, version): (&Graph, u64),
    sites: &[Arc<Site>],
    walk: (f64, &str),
    deadline: &crate::deadline::Deadline,
) -> Result<SiteCatchments, AppError> {
    use rayon::prelude::*;
    let each: Vec<Result<_, AppError>> = sites
        .par_iter()
        .map(|s| {
            deadline.check().map_err(AnalysisError::from)?;
            Ok(site_catchment(state, graph, version, s, walk))
        })
        .collect();
    let (mut catchments, mut skipped) = (Vec::new(), Vec::new());
    for (s, answer) in sites.iter().zip(each) {
        match answer? {
            Ok(c) => catchments.push((c, s.clone())),
            Err(e @ NetworkError::TooFar { .. }) => skipped.push(SkippedSite::new(s, e.to_string())),
            Err(e) => return Err(e.into()),
        }
    }
    Ok((catchments, skipped))
}

/// `GET /api/reach?lon=&lat=&minutes=15&profile=elderly`: the sites reachable from a point, nearest
/// first with their walking minutes, and the catchment from that point.
#[utoipa::path(get, path = "/api/reach", tag = "analysis", params(BudgetQuery),
    responses((status = 200, description = "The walk from the point and the sites it reaches", body = Reach)))]
pub async fn reach(
    State(state): State<AppState>,
    Query(q): Query<BudgetQuery>,
) -> Result<Response, AppError> {
    let (Some(lon), Some(lat)) = (q.lon, q.lat) else {
        return Err(AppError::bad_request("query parameters lon and lat are required"));
    };
    check_lon_lat(lon, lat).map_err(|e| AppError::parameter("lon/lat", e))?;
    let index = state.app.store.read();
    let (graph, _) = network(&state)?;
    blocking(move || {
        let settings = &state.app.settings;
        let profile = settings.profile(q.profile())?;
        let minutes = settings.check_minutes(q.minutes())?;
        // Only sites a walk of this length could reach are snapped and looked up, not the city's.
        let walk_m = profile.speed_m_per_min * minutes + 2.0 * settings.max_snap_m;
        let sites = index.sites_open_in(&[], Some(&BBox::around(geo::point!(x: lon, y: lat), walk_m)), None);
        let home = snap(
            &graph,
            profile,
            geo::coord! { x: lon, y: lat },
            settings.max_snap_m,
            settings.min_component_nodes,
        )?;
        let reach = search(&graph, profile, vec![Source::walking_from(home, profile)], minutes);
        let mut reached: Vec<(f64, Value)> = sites
            .iter()
            .filter_map(|s| {
                let at = snap(
                    &graph,
                    profile,
                    s.data.location.0,
                    settings.max_snap_m,
                    settings.min_component_nodes,
                )
                .ok()?;
                let m = reach.minutes_to(&at)?;
                let mut f = site_feature(s);
                f["properties"]["walk_minutes"] = json!((m * 10.0).round() / 10.0);
                Some((m, f))
            })
            .collect();
        reached.sort_by(|a, b| a.0.total_cmp(&b.0));
        let c =
            crate::network::catchment::from_reach(&reach, &graph, settings, q.profile(), profile, minutes);
        let origin = crate::props!({ "lon": lon, "lat": lat, "snap_distance_m": home.walk_m.round() });
        Ok(json_bytes(&Reached {
            catchment: CatchmentFeature::new(&c, origin),
            sites: feature_collection(reached.into_iter().map(|(_, f)| f).collect()),
        }))
    })
    .await
    .map(json_response)
}

/// What `/api/reach` answers.
#[derive(serde::Serialize)]
struct Reached<'a> {
    catchment: CatchmentFeature<'a>,
    sites: Value,
}

/// `value` as JSON, written where its parts still borrow what the work computed.
fn json_bytes(value: &impl serde::Serialize) -> Vec<u8> {
    let mut out = Vec::new();
    super::pages::write_json(&mut out, value);
    out
}

fn json_response(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}
