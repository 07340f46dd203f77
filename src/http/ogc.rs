//! OGC API – Features (Part 1: Core, GeoJSON, HTML, OpenAPI 3.0; Part 2: CRS by reference) under `/ogc`, so that QGIS and GDAL (`OAPIF:`) read the
//! public layers directly: `areas` (every level, `level=` to choose), `sites` (`kind=`) and
//! `population`, and the analyses `coverage` and `gaps` of an area level for the question in the
//! query (`kinds`, `minutes`, `profile`), computed in the heavy queue. Items page with `limit` and a
//! `next` link and filter by `bbox` (CRS84) exactly as `/api/areas`, `/api/sites`, `/api/population`,
//! `/api/coverage` and `/api/gaps` do — the same features, written by the same functions. Who may see
//! it: everyone; these are the public layers and figures only.
//!
//! Every document is JSON (items GeoJSON), or an HTML page for people (`f=html`, or a browser's
//! `Accept`). Items come in CRS84 (GeoJSON's longitude, latitude), or latitude first in EPSG:4326 or
//! JGD2011 (EPSG:6668) when `crs=` asks, with `bbox` read in `bbox-crs` (see [`OutputCrs`]). The
//! API definition (`service-desc`) is the OpenAPI document in version 3.0, `/ogc/api`.
//!
//! Links are absolute, as OGC clients resolve them (GDAL would read `/ogc/…` as relative to the
//! landing page): under `public_url` when configured, else under the request's `Host` — checked to
//! be a host and port, and the answers marked `Vary: Host`.

use super::extract::{Path, Query};
use super::openapi::schema::{Feature, FeatureCollection};
use super::{AppError, AppState, base_url, esc, parse_list, parse_param};
use crate::export::{OutputCrs, area_feature, population_feature, site_feature};
use crate::model::{AreaLevel, BBox, SiteKind};
use crate::store::Index;
use axum::Json;
use axum::extract::{FromRequestParts, OriginalUri, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

/// The conformance classes this API implements.
const CONFORMANCE: [&str; 5] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
];

/// The media type of an OpenAPI 3.0 document.
pub const OAS30: &str = "application/vnd.oai.openapi+json;version=3.0";

/// The header naming the coordinate system of an answer's positions (Part 2).
const CONTENT_CRS: header::HeaderName = header::HeaderName::from_static("content-crs");

/// `Content-Crs` of an answer in `crs`: its URI in angle brackets.
fn content_crs(crs: OutputCrs) -> axum::http::HeaderValue {
    axum::http::HeaderValue::from_str(&format!("<{}>", crs.uri())).expect("a URI is a header value")
}

/// Every coordinate system items can be asked in, by URI.
fn crs_uris() -> Vec<&'static str> {
    OutputCrs::ALL.iter().map(|c| c.uri()).collect()
}

/// The coordinate system the parameter `name` (`crs` or `bbox-crs`) asks for: CRS84 when not given.
fn asked_crs(name: &str, given: Option<&str>) -> Result<OutputCrs, AppError> {
    let Some(uri) = given else { return Ok(OutputCrs::Crs84) };
    OutputCrs::from_uri(uri).ok_or_else(|| {
        AppError::parameter(name, format!("{uri:?} is not offered; offered: {}", crs_uris().join(", ")))
    })
}

/// The `bbox` parameter given in `crs`, as a longitude/latitude box.
fn bbox_in(text: Option<&str>, crs: OutputCrs) -> Result<Option<BBox>, AppError> {
    let lon_lat = text.map(|t| {
        let numbers: Vec<&str> = t.split(',').collect();
        match numbers[..] {
            [lat0, lon0, lat1, lon1] if crs.lat_lon() => format!("{lon0},{lat0},{lon1},{lat1}"),
            _ => t.to_owned(),
        }
    });
    parse_param("bbox", lon_lat.as_deref())
}

/// A collection: its id, title and description.
struct Collection {
    id: &'static str,
    title: &'static str,
    description: &'static str,
}

const COLLECTIONS: [Collection; 8] = [
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
    Collection {
        id: "coverage",
        title: "徒歩圏のカバー率（地区ごと）",
        description: "Each area's older residents within a walk of the places to go: level=district|sphere|ward|chome, \
                      and the question kinds=cafe,engawa,kayoinoba&minutes=15&profile=elderly (these by default).",
    },
    Collection {
        id: "support_overlays",
        title: "支え合いマップの集計（地区ごと）",
        description: "Each area's support-map aggregates as everyone sees them: counts below the threshold as <3, \
                      those that could be worked out from the others as x; level=district|sphere|ward|chome.",
    },
    Collection {
        id: "indicators",
        title: "地区カルテの指標（年度ごと）",
        description: "Each area's public indicators of a year (datetime=2024 or year=2024; the latest held by \
                      default), small counts as <3 and withheld ones as x; level=district|sphere|ward|chome.",
    },
    Collection {
        id: "catchments",
        title: "徒歩圏（施設ごと）",
        description: "Where a walk from each place reaches (a MultiPolygon per site, its id the site's id), for \
                      the question kinds=cafe,engawa,kayoinoba&minutes=15&profile=elderly (these by default).",
    },
    Collection {
        id: "gaps",
        title: "徒歩圏外（ギャップ）",
        description: "Each area's part beyond the walk, ranked by older residents left out; level= and the same \
                      question as coverage.",
    },
];

/// The collections whose features answer a question (kinds, minutes, profile) about an area level.
const ANALYSES: [&str; 3] = ["coverage", "gaps", "catchments"];

/// The collections of areas, which `level=` filters.
const BY_LEVEL: [&str; 5] = ["areas", "coverage", "gaps", "support_overlays", "indicators"];

fn collection(id: &str) -> Result<&'static Collection, AppError> {
    COLLECTIONS.iter().find(|c| c.id == id).ok_or_else(|| {
        AppError::not_found(format!(
            "no collection {id:?}; collections: areas, sites, population, coverage, gaps, support_overlays, indicators, catchments"
        ))
    })
}

fn link(rel: &str, kind: &str, href: String, title: &str) -> Value {
    json!({ "rel": rel, "type": kind, "href": href, "title": title })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `json` or `html` (a browser gets HTML when it asks for it first).
    #[param(example = "json")]
    f: Option<String>,
}

/// Whether the caller asked for HTML: `f=html`, or no `f` and a browser's `Accept: text/html`
/// (`f=json` or `f=geojson` for JSON).
fn wants_html(f: Option<&str>, headers: &HeaderMap) -> Result<bool, AppError> {
    match f {
        Some("html") => Ok(true),
        Some("json" | "geojson") => Ok(false),
        Some(other) => Err(AppError::parameter("f", format!("{other:?} is neither json nor html"))),
        None => Ok(headers
            .get(header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.split(',').next().is_some_and(|first| first.trim().starts_with("text/html")))),
    }
}

/// What an OGC request asks of its answer: a page for people or JSON, and the address its links
/// start with.
pub struct Asked {
    html: bool,
    base: String,
}

impl FromRequestParts<AppState> for Asked {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Query(q) = Query::<FormatQuery>::from_request_parts(parts, state).await?;
        Ok(Asked {
            html: wants_html(q.f.as_deref(), &parts.headers)?,
            base: base_url(state, &parts.headers)?,
        })
    }
}

/// `value` as JSON, or as a page for people, varying with the Host it names and what is accepted.
fn answer(value: Value, html: bool) -> Response {
    if html {
        answer_html(page(&value))
    } else {
        ([(header::VARY, "host, accept")], Json(value)).into_response()
    }
}

/// A document of this API as HTML: its title and description, the collections as a table, the
/// conformance classes, and every link (JSON documents linked as their pages).
fn page(v: &Value) -> String {
    let text = |v: &Value| esc(v.as_str().unwrap_or_default());
    let as_page = |l: &Value| {
        let href = text(&l["href"]);
        if l["type"] == "application/json" { format!("{href}?f=html") } else { href }
    };
    let mut h = html_head(v["title"].as_str().unwrap_or("OGC API – Features"));
    h.push_str(&format!("<p>{}</p>", text(&v["description"])));
    if let Some(b) = v["extent"]["spatial"]["bbox"][0].as_array() {
        let b: Vec<String> = b.iter().map(|x| x.to_string()).collect();
        h.push_str(&format!("<p>範囲（経度・緯度）: {}</p>", b.join(", ")));
    }
    if let Some(all) = v["collections"].as_array() {
        h.push_str("<table><tr><th>id</th><th>名称</th><th>説明</th><th>地物</th></tr>");
        for c in all {
            let link =
                |rel: &str| c["links"].as_array().and_then(|ls| ls.iter().find(|l| l["rel"] == rel)).cloned();
            let (this, items) = (link("self").unwrap_or_default(), link("items").unwrap_or_default());
            h.push_str(&format!(
                r#"<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td><a href="{}">GeoJSON</a></td></tr>"#,
                as_page(&this), text(&c["id"]), text(&c["title"]), text(&c["description"]), text(&items["href"])
            ));
        }
        h.push_str("</table>");
    }
    if let Some(classes) = v["conformsTo"].as_array() {
        h.push_str("<ul>");
        for c in classes {
            h.push_str(&format!("<li>{}</li>", text(c)));
        }
        h.push_str("</ul>");
    }
    h.push_str("<h2>リンク</h2><ul>");
    for l in v["links"].as_array().into_iter().flatten() {
        h.push_str(&format!(
            r#"<li><a href="{}">{}</a> ({}, {})</li>"#,
            as_page(l),
            text(&l["title"]),
            text(&l["rel"]),
            text(&l["type"])
        ));
    }
    h.push_str("</ul></body></html>");
    h
}

/// `GET /ogc`: the landing page.
#[utoipa::path(get, path = "/ogc", tag = "ogc", params(FormatQuery),
    responses((status = 200, description = "The landing page", content((Object = "application/json"), (String = "text/html")))))]
pub async fn landing(State(state): State<AppState>, asked: Asked) -> Response {
    let base = &asked.base;
    let title = state.app.store.read().dataset().title.clone();
    answer(
        json!({
            "title": title.unwrap_or_else(|| "sasaeai".into()),
            "description": "地域包括ケアの地図データ（公開レイヤー）: OGC API – Features",
            "links": [
                link("self", "application/json", format!("{base}/ogc"), "this document"),
                link("conformance", "application/json", format!("{base}/ogc/conformance"), "conformance classes"),
                link("data", "application/json", format!("{base}/ogc/collections"), "the collections"),
                link("service-desc", OAS30, format!("{base}/ogc/api"), "the API definition (OpenAPI 3.0)"),
                link("service-doc", "text/html", format!("{base}/api/docs"), "the API for people"),
            ],
        }),
        asked.html,
    )
}

/// `GET /ogc/conformance`.
#[utoipa::path(get, path = "/ogc/conformance", tag = "ogc", params(FormatQuery),
    responses((status = 200, description = "The conformance classes", content((Object = "application/json"), (String = "text/html")))))]
pub async fn conformance(asked: Asked) -> Response {
    answer(json!({ "title": "Conformance", "conformsTo": CONFORMANCE }), asked.html)
}

/// The smallest lon/lat box around a collection's features, if it has any.
fn extent(index: &Index, id: &str) -> Option<[f64; 4]> {
    let r = match id {
        "sites" => index.sites_extent(),
        "population" => index.population_extent(),
        _ => index.areas_extent(),
    }?;
    Some([r.min().x, r.min().y, r.max().x, r.max().y])
}

fn describe(index: &Index, c: &Collection, base: &str) -> Value {
    let items = format!("{base}/ogc/collections/{}/items", c.id);
    let crs84 = OutputCrs::Crs84.uri();
    let spatial = extent(index, c.id).map_or(Value::Null, |b| json!({ "bbox": [b], "crs": crs84 }));
    json!({
        "id": c.id, "title": c.title, "description": c.description, "itemType": "feature",
        "crs": crs_uris(), "storageCrs": crs84,
        "extent": { "spatial": spatial },
        "links": [
            link("self", "application/json", format!("{base}/ogc/collections/{}", c.id), c.title),
            link("items", "application/geo+json", items, c.title),
        ],
    })
}

/// `GET /ogc/collections`.
#[utoipa::path(get, path = "/ogc/collections", tag = "ogc", params(FormatQuery),
    responses((status = 200, description = "Every collection with its extent and links", content((Object = "application/json"), (String = "text/html")))))]
pub async fn collections(State(state): State<AppState>, asked: Asked) -> Response {
    let base = &asked.base;
    let index = state.app.store.read();
    let all: Vec<Value> = COLLECTIONS.iter().map(|c| describe(&index, c, base)).collect();
    answer(
        json!({
            "title": "Collections",
            "links": [link("self", "application/json", format!("{base}/ogc/collections"), "the collections")],
            "crs": crs_uris(),
            "collections": all,
        }),
        asked.html,
    )
}

/// `GET /ogc/collections/{collection}`.
#[utoipa::path(get, path = "/ogc/collections/{collection}", tag = "ogc",
    params(("collection" = String, Path, description = "`areas`, `sites`, `population`, `coverage`, `gaps`, `support_overlays`, `indicators` or `catchments`", example = "sites"), FormatQuery),
    responses((status = 200, description = "The collection", content((Object = "application/json"), (String = "text/html")))))]
pub async fn one_collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
    asked: Asked,
) -> Result<Response, AppError> {
    let c = collection(&id)?;
    Ok(answer(describe(&state.app.store.read(), c, &asked.base), asked.html))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    /// `minLon,minLat,maxLon,maxLat` in WGS 84 degrees.
    #[param(pattern = r"^-?\d+(\.\d+)?(,-?\d+(\.\d+)?){3}$", example = "139.60,35.50,139.80,35.60")]
    bbox: Option<String>,
    /// At most this many features; the `next` link gives the rest.
    #[param(minimum = 1)]
    limit: Option<usize>,
    /// Only features after this id (what a `next` link asks).
    after: Option<i64>,
    /// `areas`, `coverage`, `gaps`: only this level.
    #[param(value_type = Option<AreaLevel>)]
    level: Option<String>,
    /// `sites`: only these kinds (comma-separated).
    #[param(value_type = Option<Vec<SiteKind>>, style = Form, explode = false)]
    kind: Option<String>,
    /// The kinds counted as places to go (comma-separated; cafés, 縁側 and 通いの場 when not given).
    #[param(value_type = Option<Vec<SiteKind>>, style = Form, explode = false)]
    kinds: Option<String>,
    /// The walk in minutes (15 when not given; at most the server's `max_minutes`, 60 by default).
    #[param(minimum = 1, maximum = 60, example = 15)]
    minutes: Option<f64>,
    /// The walker: `standard`, `elderly` (the default) or `wheelchair`.
    #[param(example = "elderly")]
    profile: Option<String>,
    /// `indicators`: the year of the figures (the latest held when not given).
    #[serde(default, deserialize_with = "crate::model::calendar::optional_year")]
    #[param(minimum = 1900, maximum = 2200)]
    year: Option<i32>,
    /// `indicators`: the year as an instant, `2024` or `2024-04-01` (the year is what counts).
    #[param(example = "2024")]
    datetime: Option<String>,
    /// The coordinate system of the answer, by URI: CRS84 (the default, longitude first), EPSG:4326
    /// or JGD2011 EPSG:6668 (both latitude first).
    #[param(example = "http://www.opengis.net/def/crs/EPSG/0/6668")]
    crs: Option<String>,
    /// The coordinate system of `bbox`, by URI (CRS84 when not given).
    #[serde(rename = "bbox-crs")]
    #[param(rename = "bbox-crs", example = "http://www.opengis.net/def/crs/OGC/1.3/CRS84")]
    bbox_crs: Option<String>,
}

impl ItemsQuery {
    /// The year `year=` or `datetime=` asks for (both: they must agree).
    fn year(&self) -> Result<Option<i32>, AppError> {
        let from_datetime = match self.datetime.as_deref() {
            None => None,
            Some(d) => {
                let year = d.get(..4).filter(|_| !d.contains('/')).and_then(|y| y.parse::<i32>().ok());
                let year = year.filter(|y| crate::model::calendar::YEARS.contains(y)).ok_or_else(|| {
                    AppError::parameter(
                        "datetime",
                        format!("{d:?} is not one instant of a year 1900–2200, e.g. 2024"),
                    )
                })?;
                Some(year)
            }
        };
        match (self.year, from_datetime) {
            (Some(a), Some(b)) if a != b => {
                Err(AppError::parameter("datetime", format!("{b} is not year={a}")))
            }
            (year, datetime) => Ok(year.or(datetime)),
        }
    }

    /// The question of an analysis collection, checked: its kinds, minutes and profile.
    fn question(&self, state: &AppState) -> Result<crate::analysis::CoverageKey, AppError> {
        let (kinds, profile) = (self.kinds.as_deref(), self.profile.as_deref());
        super::analysis::question_key(&state.app.settings, kinds, self.minutes, profile)
    }
}

/// `GET /ogc/collections/{collection}/items?bbox=&limit=&level=&kind=`.
#[utoipa::path(get, path = "/ogc/collections/{collection}/items", tag = "ogc",
    params(("collection" = String, Path, description = "`areas`, `sites`, `population`, `coverage`, `gaps`, `support_overlays`, `indicators` or `catchments`", example = "sites"), ItemsQuery, FormatQuery),
    responses((status = 200, description = "A page of features", content((FeatureCollection = "application/geo+json"), (String = "text/html")))))]
pub async fn items(
    State(state): State<AppState>,
    asked: Asked,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(q): Query<ItemsQuery>,
) -> Result<Response, AppError> {
    let c = collection(&id)?;
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let uri: Uri = format!("{}{path}", asked.base)
        .parse()
        .map_err(|_| AppError::bad_request("the request's address cannot be written as a link"))?;
    let crs = asked_crs("crs", q.crs.as_deref())?;
    let bbox = bbox_in(q.bbox.as_deref(), asked_crs("bbox-crs", q.bbox_crs.as_deref())?)?;
    let index = state.app.store.read();
    let only = |name: &str, given: &Option<String>, of: &str| match given {
        Some(_) if c.id != of => Err(AppError::parameter(name, format!("filters {of}, not {}", c.id))),
        _ => Ok(()),
    };
    if !BY_LEVEL.contains(&c.id) {
        only("level", &q.level, "areas")?;
    }
    only("kind", &q.kind, "sites")?;
    for (name, given) in
        [("kinds", q.kinds.is_some()), ("minutes", q.minutes.is_some()), ("profile", q.profile.is_some())]
    {
        if given && !ANALYSES.contains(&c.id) {
            return Err(AppError::parameter(name, format!("asks {}, not {}", ANALYSES.join(", "), c.id)));
        }
    }
    for (name, given) in [("year", q.year.is_some()), ("datetime", q.datetime.is_some())] {
        if given && c.id != "indicators" {
            return Err(AppError::parameter(name, format!("asks indicators, not {}", c.id)));
        }
    }
    let mut response = match c.id {
        "catchments" => {
            let key = q.question(&state)?;
            drop(index);
            feature_page(c, catchments(&state, key, None, bbox).await?, &q, crs, &uri)?
        }
        "coverage" | "gaps" | "support_overlays" | "indicators" => {
            let level: AreaLevel = parse_param("level", q.level.as_deref())?.unwrap_or(AreaLevel::District);
            let inside: Option<std::collections::HashSet<i64>> =
                bbox.map(|b| index.areas_in(Some(level), Some(&b)).iter().map(|a| a.id.0).collect());
            drop(index);
            let mut features = area_features(&state, c, &q, level).await?;
            features.retain(|(id, _)| inside.as_ref().is_none_or(|ids| ids.contains(id)));
            feature_page(c, features, &q, crs, &uri)?
        }
        "areas" => {
            let level: Option<AreaLevel> = parse_param("level", q.level.as_deref())?;
            super::areas::page_of(index, level, bbox.as_ref(), q.limit, q.after, crs, &uri)?
        }
        "sites" => {
            let kinds: Vec<SiteKind> = parse_list("kind", q.kind.as_deref())?;
            super::sites::page_of(&index, &kinds, bbox.as_ref(), q.limit, q.after, crs, &uri)?
        }
        _ => super::population::page_of(&index, bbox.as_ref(), q.limit, q.after, crs, &uri)?,
    };
    if asked.html {
        // A page is at most a list page's size, so it is read whole to be written as a table.
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let page: Value = serde_json::from_slice(&body).map_err(|e| AppError::Internal(e.into()))?;
        return Ok(answer_html(items_page(c, &page)));
    }
    let headers = response.headers_mut();
    headers.insert(header::VARY, axum::http::HeaderValue::from_static("host, accept"));
    headers.insert(CONTENT_CRS, content_crs(crs));
    Ok(response)
}

/// A page of items as an HTML table: each feature's id (linking to its own page) and properties,
/// and the link to the next page.
fn items_page(c: &Collection, page: &Value) -> String {
    let features = page["features"].as_array().map(Vec::as_slice).unwrap_or_default();
    let mut keys: Vec<&str> = Vec::new();
    for f in features {
        for k in f["properties"].as_object().into_iter().flat_map(|p| p.keys()) {
            if !keys.contains(&k.as_str()) {
                keys.push(k);
            }
        }
    }
    let mut h = html_head(c.title);
    h.push_str(&format!("<p>{} 件</p><table><tr><th>id</th>", page["numberReturned"]));
    keys.iter().for_each(|k| h.push_str(&format!("<th>{}</th>", esc(k))));
    h.push_str("</tr>");
    for f in features {
        let id = f["id"].to_string();
        h.push_str(&format!(r#"<tr><td><a href="items/{id}?f=html">{id}</a></td>"#));
        for k in &keys {
            h.push_str(&format!("<td>{}</td>", cell(&f["properties"][*k])));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    for l in page["links"].as_array().into_iter().flatten().filter(|l| l["rel"] == "next") {
        let href = l["href"].as_str().unwrap_or_default();
        let href = if href.contains("f=html") { href.to_owned() } else { format!("{href}&f=html") };
        h.push_str(&format!(r#"<p><a rel="next" href="{}">次のページ</a></p>"#, esc(&href)));
    }
    h.push_str("</body></html>");
    h
}

/// One feature as an HTML page: its properties and where it is.
fn item_page(c: &Collection, feature: &Value) -> String {
    let name = feature["properties"]["name"].as_str().unwrap_or(c.title);
    let mut h = html_head(name);
    h.push_str("<table>");
    for (k, v) in feature["properties"].as_object().into_iter().flatten() {
        h.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>", esc(k), cell(v)));
    }
    h.push_str(&format!(
        "<tr><th>geometry</th><td>{}</td></tr></table>",
        esc(feature["geometry"]["type"].as_str().unwrap_or("—"))
    ));
    if let Some([lon, lat]) = feature["geometry"]["coordinates"].as_array().map(Vec::as_slice) {
        h.push_str(&format!("<p>経度 {lon}、緯度 {lat}</p>"));
    }
    h.push_str(&format!(r#"<p><a href="../items?f=html">{}の一覧</a></p></body></html>"#, esc(c.title)));
    h
}

/// A property as table text.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => esc(s),
        other => esc(&other.to_string()),
    }
}

fn html_head(title: &str) -> String {
    format!(
        r#"<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>{t}</title><style>body{{font-family:sans-serif;max-width:60em;margin:1em auto}}td,th{{border:1px solid #bbb;padding:.2em .5em}}table{{border-collapse:collapse}}</style></head><body><h1>{t}</h1>"#,
        t = esc(title)
    )
}

/// A page for people, varying with the Host its links name and what is accepted.
fn answer_html(page: String) -> Response {
    ([(header::VARY, "host, accept")], Html(page)).into_response()
}

/// The features of the analysis collection `c` (coverage or gaps) for `key` at `level`, worked out
/// in the heavy queue.
async fn analysis_features(
    state: &AppState,
    c: &Collection,
    key: crate::analysis::CoverageKey,
    level: AreaLevel,
) -> Result<Vec<(i64, Value)>, AppError> {
    let gaps = c.id == "gaps";
    state
        .in_heavy_queue("the analysis", move |state, deadline| match gaps {
            true => super::analysis::gap_features(state, &key, level, deadline),
            false => super::analysis::coverage_features(state, &key, level),
        })
        .await
}

/// The features of the collection `c` of areas of `level` (coverage, gaps, support overlays or
/// indicators) for what `q` asks.
async fn area_features(
    state: &AppState,
    c: &Collection,
    q: &ItemsQuery,
    level: AreaLevel,
) -> Result<Vec<(i64, Value)>, AppError> {
    match c.id {
        "support_overlays" => super::overlays::overlay_features(state, level).await,
        "indicators" => super::indicators::indicator_features(state, level, q.year()?).await,
        _ => analysis_features(state, c, q.question(state)?, level).await,
    }
}

/// One page of the features of an analysis collection, by id, in `crs`.
fn feature_page(
    c: &Collection,
    mut features: Vec<(i64, Value)>,
    q: &ItemsQuery,
    crs: OutputCrs,
    uri: &Uri,
) -> Result<Response, AppError> {
    use super::pages::{PAGE_SIZES, Page, collection_page};
    features.sort_by_key(|(id, _)| *id);
    let page = Page { crs, ..Page::new(q.limit, q.after, PAGE_SIZES.areas)? };
    Ok(collection_page(c.id, features, |(id, _)| *id, |(_, f)| f.clone(), page, uri))
}

/// The catchments of the question `key` (only `site`'s, only those reaching into `bbox`, when
/// given), worked out in the heavy queue.
async fn catchments(
    state: &AppState,
    key: crate::analysis::CoverageKey,
    site: Option<i64>,
    bbox: Option<BBox>,
) -> Result<Vec<(i64, Value)>, AppError> {
    state
        .in_heavy_queue("the catchments", move |state, deadline| {
            super::analysis::catchment_features(state, &key, (site, bbox.as_ref()), deadline)
        })
        .await
}

/// `GET /ogc/collections/{collection}/items/{fid}`.
#[utoipa::path(get, path = "/ogc/collections/{collection}/items/{fid}", tag = "ogc",
    params(("collection" = String, Path, description = "`areas`, `sites`, `population`, `coverage`, `gaps`, `support_overlays`, `indicators` or `catchments`", example = "sites"),
        ("fid" = String, Path, description = "The feature's id"), ItemsQuery, FormatQuery),
    responses((status = 200, description = "One feature", content((Feature = "application/geo+json"), (String = "text/html")))))]
pub async fn item(
    State(state): State<AppState>,
    asked: Asked,
    Path((id, fid)): Path<(String, i64)>,
    Query(q): Query<ItemsQuery>,
) -> Result<Response, AppError> {
    let c = collection(&id)?;
    let base = asked.base;
    let index = state.app.store.read();
    let missing = || AppError::not_found(format!("no feature {fid} in {}", c.id));
    let mut feature = match c.id {
        "catchments" => {
            let features = catchments(&state, q.question(&state)?, Some(fid), None).await?;
            features.into_iter().next().map(|(_, f)| f).ok_or_else(missing)?
        }
        "coverage" | "gaps" | "support_overlays" | "indicators" => {
            // An area's feature, answered at its own level.
            let level = index.area(crate::model::AreaId(fid)).ok_or_else(missing)?.level;
            let features = area_features(&state, c, &q, level).await?;
            features.into_iter().find(|(id, _)| *id == fid).map(|(_, f)| f).ok_or_else(missing)?
        }
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
    if asked.html {
        return Ok(answer_html(item_page(c, &feature)));
    }
    let crs = asked_crs("crs", q.crs.as_deref())?;
    crs.orient(&mut feature);
    let headers = [(header::CONTENT_TYPE, "application/geo+json"), (header::VARY, "host, accept")];
    Ok((headers, [(CONTENT_CRS, content_crs(crs))], Json(feature)).into_response())
}
