//! OGC API – Features (Part 1: Core, GeoJSON) under `/ogc`, so that QGIS and GDAL (`OAPIF:`) read the
//! public layers directly: `areas` (every level, `level=` to choose), `sites` (`kind=`) and
//! `population`. Items page with `limit` and a `next` link and filter by `bbox` (CRS84) exactly as
//! `/api/areas`, `/api/sites` and `/api/population` do — the same features, written by the same
//! functions as the exports. Who may see it: everyone; these are the public layers only.
//!
//! Links are absolute, as OGC clients resolve them (GDAL would read `/ogc/…` as relative to the
//! landing page): under `public_url` when configured, else under the request's `Host` — checked to
//! be a host and port, and the answers marked `Vary: Host`.

use super::extract::{Path, Query};
use super::pages::{PAGE_SIZES, Page, collection_page};
use super::{AppError, AppState, parse_list, parse_param};
use crate::export::{area_feature, population_feature, site_feature};
use crate::model::{AreaLevel, BBox, SiteKind};
use crate::store::Index;
use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use geo::BoundingRect;
use serde::Deserialize;
use serde_json::{Value, json};

/// The conformance classes this API implements.
const CONFORMANCE: [&str; 2] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
];

/// The CRS of every coordinate served: longitude, latitude on WGS 84.
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// A collection: its id, title and description.
struct Collection {
    id: &'static str,
    title: &'static str,
    description: &'static str,
}

const COLLECTIONS: [Collection; 3] = [
    Collection {
        id: "areas",
        title: "区域（区・日常生活圏域・地区・町丁）",
        description: "Areas of every level with their parent; filter with level=city|ward|sphere|district|chome.",
    },
    Collection {
        id: "sites",
        title: "施設・活動の場",
        description: "Care services, clinics, community cafés, 地域の縁側, 通いの場, parks …; filter with kind=cafe,engawa.",
    },
    Collection {
        id: "population",
        title: "人口（65歳以上・75歳以上）",
        description: "Population points with their totals and aged 65+ and 75+, each with its year.",
    },
];

fn collection(id: &str) -> Result<&'static Collection, AppError> {
    COLLECTIONS.iter().find(|c| c.id == id).ok_or_else(|| {
        AppError::not_found(format!("no collection {id:?}; collections: areas, sites, population"))
    })
}

fn link(rel: &str, kind: &str, href: String, title: &str) -> Value {
    json!({ "rel": rel, "type": kind, "href": href, "title": title })
}

/// Where clients reach this server: `public_url`, else `http://` and the request's Host.
fn base_url(state: &AppState, headers: &HeaderMap) -> Result<String, AppError> {
    if let Some(url) = &state.public_url {
        return Ok(url.to_string());
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if host.is_empty() || !host.chars().all(plain) {
        return Err(AppError::bad_request(
            "the Host header is not a host and port; set public_url for OGC API links",
        ));
    }
    Ok(format!("http://{host}"))
}

/// `value` as JSON, varying with the Host it names.
fn by_host(value: Value) -> Response {
    ([(header::VARY, "host")], Json(value)).into_response()
}

/// `GET /ogc`: the landing page.
pub async fn landing(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let base = base_url(&state, &headers)?;
    let title = state.app.store.read().dataset().title.clone();
    Ok(by_host(json!({
        "title": title.unwrap_or_else(|| "sasaeai".into()),
        "description": "地域包括ケアの地図データ（公開レイヤー）: OGC API – Features",
        "links": [
            link("self", "application/json", format!("{base}/ogc"), "this document"),
            link("conformance", "application/json", format!("{base}/ogc/conformance"), "conformance classes"),
            link("data", "application/json", format!("{base}/ogc/collections"), "the collections"),
        ],
    })))
}

/// `GET /ogc/conformance`.
pub async fn conformance() -> Json<Value> {
    Json(json!({ "conformsTo": CONFORMANCE }))
}

/// The smallest lon/lat box around a collection's features, if it has any.
fn extent(index: &Index, id: &str) -> Option<[f64; 4]> {
    let rects: Vec<geo::Rect<f64>> = match id {
        "areas" => index.areas().filter_map(|a| a.geometry.bounding_rect()).collect(),
        "sites" => index.sites().map(|s| s.data.location.bounding_rect()).collect(),
        _ => index.population().map(|u| u.data.location.bounding_rect()).collect(),
    };
    let r = crate::model::union_rects(rects)?;
    Some([r.min().x, r.min().y, r.max().x, r.max().y])
}

fn describe(index: &Index, c: &Collection, base: &str) -> Value {
    let items = format!("{base}/ogc/collections/{}/items", c.id);
    let spatial = extent(index, c.id).map_or(Value::Null, |b| json!({ "bbox": [b], "crs": CRS84 }));
    json!({
        "id": c.id, "title": c.title, "description": c.description, "itemType": "feature",
        "crs": [CRS84], "storageCrs": CRS84,
        "extent": { "spatial": spatial },
        "links": [
            link("self", "application/json", format!("{base}/ogc/collections/{}", c.id), c.title),
            link("items", "application/geo+json", items, c.title),
        ],
    })
}

/// `GET /ogc/collections`.
pub async fn collections(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let base = base_url(&state, &headers)?;
    let index = state.app.store.read();
    let all: Vec<Value> = COLLECTIONS.iter().map(|c| describe(&index, c, &base)).collect();
    Ok(by_host(json!({
        "links": [link("self", "application/json", format!("{base}/ogc/collections"), "the collections")],
        "collections": all,
    })))
}

/// `GET /ogc/collections/{collection}`.
pub async fn one_collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let c = collection(&id)?;
    let base = base_url(&state, &headers)?;
    Ok(by_host(describe(&state.app.store.read(), c, &base)))
}

#[derive(Deserialize)]
pub struct ItemsQuery {
    bbox: Option<String>,
    limit: Option<usize>,
    after: Option<i64>,
    level: Option<String>,
    kind: Option<String>,
    /// Only `json` for now: the items are GeoJSON.
    f: Option<String>,
}

/// `GET /ogc/collections/{collection}/items?bbox=&limit=&level=&kind=`.
pub async fn items(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(q): Query<ItemsQuery>,
) -> Result<Response, AppError> {
    let c = collection(&id)?;
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let uri: Uri = format!("{}{path}", base_url(&state, &headers)?)
        .parse()
        .map_err(|_| AppError::bad_request("the request's address cannot be written as a link"))?;
    if let Some(f) = q.f.as_deref().filter(|f| !matches!(*f, "json" | "geojson")) {
        return Err(AppError::parameter("f", format!("{f:?}: the items are served as GeoJSON (f=json)")));
    }
    let bbox: Option<BBox> = parse_param("bbox", q.bbox.as_deref())?;
    let index = state.app.store.read();
    let only = |name: &str, given: &Option<String>, of: &str| match given {
        Some(_) if c.id != of => Err(AppError::parameter(name, format!("filters {of}, not {}", c.id))),
        _ => Ok(()),
    };
    only("level", &q.level, "areas")?;
    only("kind", &q.kind, "sites")?;
    let mut response = match c.id {
        "areas" => {
            let level: Option<AreaLevel> = parse_param("level", q.level.as_deref())?;
            let page = Page::new(q.limit, q.after, PAGE_SIZES.areas)?;
            let areas = index.areas_in(level, bbox.as_ref());
            let render = move |a: &std::sync::Arc<crate::model::Area>| area_feature(a, index.parent_name(a));
            collection_page("areas", areas, |a| a.id.0, render, page, &uri)
        }
        "sites" => {
            let kinds: Vec<SiteKind> = parse_list("kind", q.kind.as_deref())?;
            let page = Page::new(q.limit, q.after, PAGE_SIZES.sites)?;
            let sites = index.sites_in(&kinds, bbox.as_ref());
            collection_page("sites", sites, |s| s.id.0, |s| site_feature(s), page, &uri)
        }
        _ => {
            let page = Page::new(q.limit, q.after, PAGE_SIZES.population)?;
            let units = index.population_in(bbox.as_ref());
            collection_page("population", units, |u| u.id.0, |u| population_feature(u), page, &uri)
        }
    };
    response.headers_mut().insert(header::VARY, axum::http::HeaderValue::from_static("host"));
    Ok(response)
}

/// `GET /ogc/collections/{collection}/items/{fid}`.
pub async fn item(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, fid)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let c = collection(&id)?;
    let base = base_url(&state, &headers)?;
    let index = state.app.store.read();
    let missing = || AppError::not_found(format!("no feature {fid} in {}", c.id));
    let mut feature = match c.id {
        "areas" => {
            let area = index.area(crate::model::AreaId(fid)).ok_or_else(missing)?;
            area_feature(area, index.parent_name(area))
        }
        "sites" => site_feature(index.site(crate::model::SiteId(fid)).ok_or_else(missing)?),
        _ => population_feature(index.population_unit(crate::model::PopulationId(fid)).ok_or_else(missing)?),
    };
    feature["links"] = json!([
        link(
            "self",
            "application/geo+json",
            format!("{base}/ogc/collections/{}/items/{fid}", c.id),
            "this feature"
        ),
        link("collection", "application/json", format!("{base}/ogc/collections/{}", c.id), c.title),
    ]);
    Ok(([(header::CONTENT_TYPE, "application/geo+json"), (header::VARY, "host")], Json(feature))
        .into_response())
}
