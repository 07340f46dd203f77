//! The JSON shapes the API answers, as schemas of the OpenAPI document. Most answers are written
//! by the GeoJSON and table writers straight from the store; these types describe what they write,
//! and the contract test (a property-based run against a live server) checks that they agree.

use crate::analysis::SkippedSite;
use serde_json::Value;
use utoipa::ToSchema;

/// A problem (RFC 9457): what was wrong with a request, and where. Every error the API answers is
/// one, as `application/problem+json`.
#[derive(ToSchema, serde::Serialize)]
pub struct Problem {
    /// Always `about:blank`: the status and title say what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    /// The kind of problem, e.g. "Bad request", "Not found", "Busy".
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What exactly was wrong and where (which parameter, line, feature or field).
    pub detail: String,
    /// For imports and features: each bad record named by its place and field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<RecordProblem>>,
}

/// One bad record of an import or a feature.
#[derive(ToSchema, serde::Serialize)]
pub struct RecordProblem {
    /// Where: "line 12", "feature 3", "sheet 人口 row 8" …
    pub place: String,
    /// The field, when one is to blame.
    pub field: Option<String>,
    /// What is wrong with it.
    pub message: String,
}

/// A GeoJSON geometry (RFC 7946), longitude and latitude on WGS 84.
#[derive(ToSchema)]
pub struct Geometry {
    /// Point, LineString, Polygon, MultiPolygon …
    #[schema(rename = "type")]
    pub kind: String,
    /// Positions as `[longitude, latitude]`, nested as the type says.
    pub coordinates: Vec<Value>,
}

/// A link of a paged collection or an OGC document.
#[derive(ToSchema)]
pub struct Link {
    /// Where it points (absolute for OGC documents).
    pub href: String,
    /// `self`, `next`, `alternate`, `items`, …
    pub rel: String,
    /// The media type found there.
    #[schema(rename = "type")]
    pub media_type: Option<String>,
    /// For people.
    pub title: Option<String>,
}

/// A GeoJSON Feature.
#[derive(ToSchema)]
pub struct Feature {
    /// Always `Feature`.
    #[schema(rename = "type")]
    pub kind: String,
    /// The feature's id where it has one.
    pub id: Option<Value>,
    /// Its geometry.
    pub geometry: Option<Geometry>,
    /// Its properties.
    pub properties: Option<serde_json::Map<String, Value>>,
}

/// A GeoJSON FeatureCollection; pages of a layer also carry `numberReturned` and `links` (`next`
/// while more remain).
#[derive(ToSchema)]
pub struct FeatureCollection {
    /// Always `FeatureCollection`.
    #[schema(rename = "type")]
    pub kind: String,
    /// The features.
    pub features: Vec<Feature>,
    /// How many features this page holds.
    #[schema(rename = "numberReturned")]
    pub number_returned: Option<u64>,
    /// `self`, and `next` while more remain.
    pub links: Option<Vec<Link>>,
}

/// A site as a GeoJSON Feature (a Point).
#[derive(ToSchema)]
pub struct SiteFeature {
    /// Always `Feature`.
    #[schema(rename = "type")]
    pub kind: String,
    /// The site's id.
    pub id: i64,
    /// Where it is.
    pub geometry: Geometry,
    /// What it is.
    pub properties: SiteProperties,
}

/// A site's properties; a file's own columns follow these.
#[derive(ToSchema)]
pub struct SiteProperties {
    /// The site's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its kind (`/api/meta` lists them).
    pub kind: String,
    /// The kind in Japanese.
    pub kind_label: String,
    /// Its address, where known.
    pub address: Option<String>,
    /// When it is open, as published.
    pub schedule: Option<String>,
    /// Who it is for.
    pub audience: Vec<String>,
    /// Who runs it.
    pub operator: Option<String>,
}

/// Catchments as a FeatureCollection of MultiPolygons, and the sites left out.
#[derive(ToSchema)]
pub struct Catchments {
    /// Always `FeatureCollection`.
    #[schema(rename = "type")]
    pub kind: String,
    /// One catchment per site (or one dissolved), its properties naming the site or the kinds.
    pub features: Vec<Feature>,
    /// Sites that cannot reach the walking network.
    pub skipped: Vec<SkippedSite>,
}

/// What a resident can reach from a point.
#[derive(ToSchema)]
pub struct Reach {
    /// The walk from the point as a MultiPolygon, with the point and how far it was from a street.
    pub catchment: Feature,
    /// The sites reached, nearest first, each with `walk_minutes`.
    pub sites: FeatureCollection,
}

/// The walking network's size and connectivity.
#[derive(ToSchema)]
pub struct NetworkSummary {
    /// Junctions and ends.
    pub nodes: u64,
    /// Street pieces between them.
    pub edges: u64,
    /// Length of all streets in km.
    pub length_km: f64,
    /// Edges that are steps.
    pub steps_edges: u64,
    /// Connected parts.
    pub components: u64,
    /// The largest part's share of the nodes, as a fraction (0–1).
    pub largest_component_share: f64,
    /// Raised by every import of the network.
    pub version: u64,
    /// The walking profiles.
    pub profiles: Vec<String>,
}

/// The server's state, answered from the current snapshot without waiting.
#[derive(ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// Areas held.
    pub areas: u64,
    /// Sites held.
    pub sites: u64,
    /// Population points held.
    pub population: u64,
    /// Heavy analyses and imports running now.
    pub heavy_running: u64,
    /// How many may run at once.
    pub heavy_places: u64,
    /// Bytes held by the caches (`tiles`, `catchments`).
    pub cache_bytes: serde_json::Map<String, Value>,
}

/// What the page builds itself from: the data set, its attribution, kinds, walkers, defaults and
/// limits.
#[derive(ToSchema)]
pub struct Meta {
    /// Title, whether fictional, attribution and sources.
    pub dataset: Value,
    /// Features per layer.
    pub counts: serde_json::Map<String, Value>,
    /// Each layer's version, raised by every write.
    pub versions: serde_json::Map<String, Value>,
    /// The support maps' vocabulary (kinds of marks and links).
    pub support_map: Value,
    /// The support-map aggregates shown to everyone.
    pub support_overlays: Value,
    /// `min_count`: counts below it are shown as `<3`.
    pub privacy: serde_json::Map<String, Value>,
    /// The kinds counted as places to go.
    pub places_to_go: Vec<String>,
    /// Every site kind with its Japanese label and map colour.
    pub kinds: Vec<Value>,
    /// Every walking profile with its label, speed and rule for steps.
    pub profiles: Vec<Value>,
    /// The question asked when none is given (kinds, minutes, profile).
    pub defaults: serde_json::Map<String, Value>,
    /// The 日常生活圏域 view's question.
    pub sphere_view: serde_json::Map<String, Value>,
    /// What one request may ask.
    pub limits: serde_json::Map<String, Value>,
}

/// One area's row of a coverage table: population, ageing and who lives within the walk.
#[derive(ToSchema)]
pub struct CoverageRow {
    /// The area's id (none for the whole city when no city area is held).
    pub area_id: Option<i64>,
    /// Its name.
    pub name: String,
    /// Its level (none for the whole city when no city area is held).
    pub level: Option<String>,
    /// Its official code, where it has one.
    pub code: Option<String>,
    /// Its parent area.
    pub parent_id: Option<i64>,
    /// Everyone counted in it.
    pub total: u64,
    /// Aged 65 and over.
    pub aged65: u64,
    /// Aged 75 and over.
    pub aged75: u64,
    /// 65+ share of the total, in percent (one decimal).
    pub aged65_rate: Option<f64>,
    /// 75+ share of the total, in percent (one decimal).
    pub aged75_rate: Option<f64>,
    /// Whether the walk could be measured (a walking network is loaded).
    pub walking: bool,
    /// 65+ living within the walk of a place asked about.
    pub covered65: Option<u64>,
    /// 75+ living within the walk.
    pub covered75: Option<u64>,
    /// 65+ within the walk, in percent (one decimal).
    pub covered65_pct: Option<f64>,
    /// 65+ beyond the walk.
    pub uncovered65: Option<u64>,
    /// Places asked about inside the area.
    pub sites_inside: u64,
    /// Places asked about per 1,000 aged 65+.
    pub sites_per_1000_aged65: Option<f64>,
}

/// A coverage table, with the question it answers.
#[derive(ToSchema)]
pub struct CoverageTable {
    /// The kinds counted as places to go.
    pub kinds: Vec<String>,
    /// The walk in minutes.
    pub minutes: f64,
    /// The walking profile.
    pub profile: String,
    /// The level of the rows.
    pub level: String,
    /// One row per area of the level.
    pub rows: Vec<CoverageRow>,
    /// The whole city.
    pub city: CoverageRow,
    /// Sites left out (too far from any street).
    pub skipped_sites: Vec<SkippedSite>,
    /// Population points too far from any street to be walked from.
    pub unsnapped_points: u64,
    /// The year of the population figures.
    pub population_year: Option<i32>,
}

/// A TileJSON 3.0.0 document (its other members as the specification has them).
#[derive(ToSchema)]
pub struct TileJson {
    /// `3.0.0`.
    pub tilejson: String,
    /// The tile URL template.
    pub tiles: Vec<String>,
    /// The layers the tiles hold, with their zooms and fields.
    pub vector_layers: Vec<Value>,
}
