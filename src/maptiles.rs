//! The map's vector tile layers: which features of the store go into which layer, with which
//! attributes, at which zooms, and the named sets of layers the web map asks for. Reads the index
//! in EPSG:4326 and hands geometry to the `sasaeai-tiles` pipeline, which works in tile
//! coordinates. Public data only: of residents' private support maps, only the suppressed
//! aggregates of [`crate::analysis::overlays`] are ever a layer (`support_*`), never a feature.

use crate::analysis::overlays::{HEADLINE_METRICS, OverlayRow, Overlays};
use crate::analysis::suppression::Shown;
use crate::analysis::{self, AnalysisError, Coverage, CoverageKey, Gap};
use crate::deadline::Deadline;
use crate::model::{AreaLevel, BBox, SiteKind};
use crate::network::NetworkSettings;
use crate::network::catchment::ShedPieces;
use crate::store::{Index, LayerVersions};
use geo::{BoundingRect, Geometry, Intersects, MultiLineString};
use sasaeai_tiles::shape::{self, MercatorPolygon};
use sasaeai_tiles::{BUFFER, EXTENT, Stamp, TileBuilder, TileId, TileTransform, Value, thin::thin};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// What a layer holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    Areas(AreaLevel),
    Sites,
    Population,
    Network,
    Catchments,
    Gaps,
    /// The support maps' suppressed aggregates per area of a level.
    Support(AreaLevel),
    /// One point per area, inside it, to write its name at.
    AreaLabels,
}

/// A vector tile layer.
#[derive(Debug, Clone, Copy)]
pub struct LayerDef {
    pub id: &'static str,
    pub source: Source,
    pub minzoom: u8,
    pub maxzoom: u8,
    /// Below this zoom, points are thinned to one per 4 screen pixels.
    pub full_detail_zoom: u8,
    pub description: &'static str,
    pub fields: &'static [(&'static str, &'static str)],
}

/// The fields of an area of a level too large to carry figures in a tile (city, ward, sphere).
const AREA_NAME_FIELDS: &[(&str, &str)] = &[
    ("id", "Number: area id"),
    ("name", "String: 名称"),
    ("level", "String: city, ward, sphere, district or chome"),
    ("code", "String: official code"),
];

/// The fields of a small area: its name and the figures of the question asked.
const AREA_FIELDS: &[(&str, &str)] = &[
    ("id", "Number: area id"),
    ("name", "String: 名称"),
    ("level", "String: city, ward, sphere, district or chome"),
    ("code", "String: official code"),
    ("aged65_rate", "Number: 高齢化率 (%)"),
    ("covered65_pct", "Number: 65歳以上のうち行き場所まで徒歩15分以内の割合 (%)"),
    ("uncovered65", "Number: 徒歩圏外の65歳以上"),
];

const SUPPORT_FIELDS: &[(&str, &str)] = &[
    ("id", "Number: area id"),
    ("name", "String: 名称"),
    ("persons", "Number: 気になる人（<3 と x のときは無し）"),
    ("persons_text", "String: 気になる人（12、<3、x）"),
    ("persons_linked", "Number: 支え手がいる人"),
    ("persons_linked_text", "String"),
    ("persons_isolated", "Number: 支え手がいない人"),
    ("persons_isolated_text", "String"),
    ("persons_beyond_walk", "Number: 行き場所まで徒歩15分を超える人"),
    ("persons_beyond_walk_text", "String"),
    ("groups_this_year", "Number: 今年の支え合いマップがあるグループ"),
    ("groups_this_year_text", "String"),
];

/// Every layer, in drawing order.
pub const LAYERS: &[LayerDef] = &[
    LayerDef {
        id: "areas_city",
        source: Source::Areas(AreaLevel::City),
        minzoom: 5,
        maxzoom: 16,
        full_detail_zoom: 0,
        description: "市",
        fields: AREA_NAME_FIELDS,
    },
    LayerDef {
        id: "areas_ward",
        source: Source::Areas(AreaLevel::Ward),
        minzoom: 8,
        maxzoom: 16,
        full_detail_zoom: 0,
        description: "区",
        fields: AREA_NAME_FIELDS,
    },
    LayerDef {
        id: "areas_sphere",
        source: Source::Areas(AreaLevel::Sphere),
        minzoom: 10,
        maxzoom: 16,
        full_detail_zoom: 0,
        description: "日常生活圏域",
        fields: AREA_NAME_FIELDS,
    },
    LayerDef {
        id: "areas_district",
        source: Source::Areas(AreaLevel::District),
        minzoom: 10,
        maxzoom: 16,
        full_detail_zoom: 0,
        description: "地区",
        fields: AREA_FIELDS,
    },
    LayerDef {
        id: "areas_chome",
        source: Source::Areas(AreaLevel::Chome),
        minzoom: 12,
        maxzoom: 16,
        full_detail_zoom: 0,
        description: "町丁",
        fields: AREA_FIELDS,
    },
    LayerDef {
        id: "support_ward",
        source: Source::Support(AreaLevel::Ward),
        minzoom: 8,
        maxzoom: 16,
        full_detail_zoom: 0,
        description: "支え合いマップの集計（区）",
        fields: SUPPORT_FIELDS,
    },
    LayerDef {
        id: "support_sphere",
        source: Source::Support(AreaLevel::Sphere),
        minzoom: 10,
        maxzoom: 16,
        full_detail_zoom: 0,
        description: "支え合いマップの集計（日常生活圏域）",
        fields: SUPPORT_FIELDS,
    },
    LayerDef {
        id: "support_district",
        source: Source::Support(AreaLevel::District),
        minzoom: 10,
        maxzoom: 16,
        full_detail_zoom: 0,
        description: "支え合いマップの集計（地区）",
        fields: SUPPORT_FIELDS,
    },
    LayerDef {
        id: "support_chome",
        source: Source::Support(AreaLevel::Chome),
        minzoom: 12,
        maxzoom: 16,
        full_detail_zoom: 0,
        description: "支え合いマップの集計（町丁）",
        fields: SUPPORT_FIELDS,
    },
    LayerDef {
        id: "network",
        source: Source::Network,
        minzoom: 13,
        maxzoom: 16,
        full_detail_zoom: 0,
        description: "歩行ネットワーク",
        fields: &[("highway", "String: road class"), ("steps", "Boolean: 階段")],
    },
    LayerDef {
        id: "catchments",
        source: Source::Catchments,
        minzoom: 10,
        maxzoom: 16,
        full_detail_zoom: 0,
        description: "行き場所（カフェ・縁側・通いの場）への徒歩15分圏（高齢者）",
        fields: &[("minutes", "Number"), ("profile", "String")],
    },
    LayerDef {
        id: "gaps",
        source: Source::Gaps,
        minzoom: 10,
        maxzoom: 16,
        full_detail_zoom: 0,
        description: "徒歩15分圏外の地区の部分",
        fields: &[("name", "String: 地区"), ("uncovered65", "Number: 圏外の65歳以上")],
    },
    LayerDef {
        id: "area_labels",
        source: Source::AreaLabels,
        minzoom: 8,
        maxzoom: 16,
        full_detail_zoom: 0,
        description: "地域名を書く点（各地域の内側に一つ）",
        fields: &[
            ("id", "Number: area id"),
            ("name", "String: 名称"),
            ("level", "String: ward, sphere, district or chome"),
        ],
    },
    LayerDef {
        id: "population",
        source: Source::Population,
        minzoom: 12,
        maxzoom: 16,
        full_detail_zoom: 14,
        description: "人口（点）",
        fields: &[("total", "Number"), ("aged65", "Number"), ("aged65_rate", "Number: %")],
    },
    LayerDef {
        id: "sites",
        source: Source::Sites,
        minzoom: 9,
        maxzoom: 16,
        full_detail_zoom: 13,
        description: "施設・活動の場",
        fields: &[
            ("id", "Number: site id"),
            ("name", "String: 名称"),
            ("kind", "String: 種別"),
            ("kind_label", "String: 種別（日本語）"),
        ],
    },
];

/// Named sets of layers; a request may also name layers directly, comma-separated.
pub const SETS: &[(&str, &[&str])] = &[
    (
        "base",
        &[
            "areas_city",
            "areas_ward",
            "areas_sphere",
            "areas_district",
            "areas_chome",
            "area_labels",
            "sites",
        ],
    ),
    ("analysis", &["catchments", "gaps"]),
    ("network", &["network"]),
    ("population", &["population"]),
    ("support", &["support_ward", "support_sphere", "support_district", "support_chome"]),
    (
        "all",
        &[
            "areas_city",
            "areas_ward",
            "areas_sphere",
            "areas_district",
            "areas_chome",
            "support_ward",
            "support_sphere",
            "support_district",
            "support_chome",
            "network",
            "catchments",
            "gaps",
            "area_labels",
            "population",
            "sites",
        ],
    ),
];

/// Why a layer set name cannot be used.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum LayerSetError {
    /// Neither a set nor a list of known layer ids.
    #[error("unknown layer set or layer {0:?}; sets: base, analysis, network, population, support, all")]
    Unknown(String),
    /// A layer named twice in a list.
    #[error("layer {0:?} is listed twice")]
    Repeated(String),
}

/// A set of layers under its canonical name: a named set keeps its name; a list of layer ids is
/// put in drawing order, so `sites,network` and `network,sites` are one set (one cache entry, one
/// ETag) and no spelling of a list can make the tile cache grow.
#[derive(Debug, Clone)]
pub struct LayerSet {
    pub name: String,
    pub layers: Vec<&'static LayerDef>,
}

impl LayerSet {
    /// The lowest zoom any of its layers is drawn at.
    pub fn minzoom(&self) -> u8 {
        self.layers.iter().map(|l| l.minzoom).min().unwrap_or(0)
    }

    /// The highest zoom any of its layers is drawn at.
    pub fn maxzoom(&self) -> u8 {
        self.layers.iter().map(|l| l.maxzoom).max().unwrap_or(16)
    }
}

/// The layers of a set name or of a comma-separated list of layer ids, under the canonical name.
///
/// ```
/// use sasaeai::maptiles::resolve;
/// assert_eq!(resolve("sites,network").unwrap().name, resolve("network,sites").unwrap().name);
/// assert!(resolve("sites,sites").is_err());
/// assert_eq!(resolve("base").unwrap().name, "base");
/// ```
pub fn resolve(set: &str) -> Result<LayerSet, LayerSetError> {
    if let Some((name, ids)) = SETS.iter().find(|(name, _)| *name == set) {
        let layers =
            ids.iter().map(|id| LAYERS.iter().find(|l| l.id == *id).expect("sets name known layers"));
        return Ok(LayerSet { name: (*name).to_owned(), layers: layers.collect() });
    }
    let mut positions = Vec::new();
    for id in set.split(',') {
        let position =
            LAYERS.iter().position(|l| l.id == id).ok_or_else(|| LayerSetError::Unknown(set.to_owned()))?;
        if positions.contains(&position) {
            return Err(LayerSetError::Repeated(id.to_owned()));
        }
        positions.push(position);
    }
    positions.sort_unstable();
    let layers: Vec<&'static LayerDef> = positions.into_iter().map(|i| &LAYERS[i]).collect();
    let name = layers.iter().map(|l| l.id).collect::<Vec<_>>().join(",");
    Ok(LayerSet { name, layers })
}

/// Whether any of `layers` draws on the map's analysis (coverage figures, catchments, gaps).
pub fn needs_analysis(layers: &[&LayerDef]) -> bool {
    layers.iter().any(|l| matches!(l.source, Source::Areas(_) | Source::Catchments | Source::Gaps))
}

/// Whether any of `layers` draws the support maps' aggregates.
pub fn needs_support(layers: &[&LayerDef]) -> bool {
    layers.iter().any(|l| matches!(l.source, Source::Support(_)))
}

/// The levels whose areas carry the question's figures in a tile. A larger area's figures change with
/// an edit anywhere in it, which would make every tile it covers stale; they are in `/api/coverage`
/// and the OGC `coverage` collection instead, and a tile holds only what is near it.
const FIGURE_LEVELS: [AreaLevel; 2] = [AreaLevel::District, AreaLevel::Chome];

/// The levels whose parts beyond the walk the map's gaps are, the first present.
const GAP_LEVELS: [AreaLevel; 3] = [AreaLevel::District, AreaLevel::Sphere, AreaLevel::Ward];

/// The part of a set's data version that any edit of it changes wherever the edit is: the areas,
/// the network, the support maps' overlays (`support`) and the question asked. Edits of sites and
/// population are told apart by place instead ([`stamp`], [`reached_since`]), except for the support
/// layers, whose figures change with any site.
pub fn version(layers: &[&LayerDef], v: LayerVersions, support: u64, question: Option<&CoverageKey>) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    question.hash(&mut h);
    for l in layers {
        match l.source {
            Source::Support(_) => (v.areas, v.sites, v.network, support).hash(&mut h),
            Source::Sites | Source::Population => {}
            Source::AreaLabels => v.areas.hash(&mut h),
            Source::Network | Source::Catchments => v.network.hash(&mut h),
            Source::Areas(_) | Source::Gaps => (v.areas, v.network).hash(&mut h),
        }
    }
    h.finish()
}

/// The versions of the layers whose edits are told apart by place: sites, population.
pub fn stamp(v: LayerVersions) -> Stamp {
    [v.sites, v.population]
}

/// Whether an edit of sites or population after `since` reaches what `layers` draw in `tile` for
/// `question`: a site or home in the tile (with its buffer); for catchments, a site within walking
/// reach of it; for an area's figures and gaps, a site within reach of, or a home in, an area drawn
/// there.
pub fn reached_since(
    index: &Index,
    settings: &NetworkSettings,
    layers: &[&LayerDef],
    question: Option<&CoverageKey>,
    tile: TileId,
    since: Stamp,
) -> bool {
    let window = tile.buffered_bounds_lonlat(BUFFER, EXTENT);
    let drawn: Vec<Source> =
        layers.iter().filter(|l| (l.minzoom..=l.maxzoom).contains(&tile.z)).map(|l| l.source).collect();
    let (sites, population) = (index.site_changes(), index.population_changes());
    let [sites_since, population_since] = since;
    let near = |r: &geo::Rect<f64>| r.intersects(&window);
    let points_here = (drawn.contains(&Source::Sites) && sites.any_since(sites_since, near))
        || (drawn.contains(&Source::Population) && population.any_since(population_since, near));
    // The boxes of the areas drawn here with figures (districts, 町丁) or gaps: what a site within
    // reach of them, or a home in them, changes.
    let mut levels: Vec<AreaLevel> = Vec::new();
    for source in &drawn {
        match source {
            Source::Areas(level) if FIGURE_LEVELS.contains(level) => levels.push(*level),
            Source::Gaps => levels.extend(GAP_LEVELS),
            _ => {}
        }
    }
    levels.sort();
    levels.dedup();
    let bbox = BBox::of_rect(&window);
    let with_figures: Vec<geo::Rect<f64>> = levels
        .iter()
        .flat_map(|l| index.areas_in(Some(*l), Some(&bbox)))
        .filter_map(|a| a.geometry.bounding_rect())
        .collect();
    let meets_figures = |r: &geo::Rect<f64>| with_figures.iter().any(|a| a.intersects(r));
    let figures_here = !with_figures.is_empty() && population.any_since(population_since, meets_figures);
    let walks_here = question.is_some_and(|q| {
        let reach_m = q.walking_reach_m(settings);
        let catchments = drawn.contains(&Source::Catchments);
        sites.any_since(sites_since, |r| {
            let walk = BBox::of_rect(r).grown(reach_m).to_rect();
            (catchments && walk.intersects(&window)) || meets_figures(&walk)
        })
    });
    points_here || figures_here || walks_here
}

/// The analysis the analysis layers show for one question (which places to go count, within how
/// many minutes, at whose pace), computed once per question and data version.
pub struct MapAnalysis {
    pub question: CoverageKey,
    pub coverage: Arc<Coverage>,
    pub rows: HashMap<crate::model::AreaId, analysis::AreaRow>,
    /// The dissolved catchment of each kind the question counts.
    pub catchments: Vec<(SiteKind, MercatorPolygon)>,
    pub gaps: Vec<MapGap>,
}

/// A gap as the map draws it: the area, the residents aged 65+ outside every catchment, and the
/// area's part beyond the walk.
pub struct MapGap {
    pub area_id: crate::model::AreaId,
    pub name: String,
    pub uncovered65: u64,
    pub outline: MercatorPolygon,
}

impl From<Gap> for MapGap {
    fn from(g: Gap) -> Self {
        let outline = MercatorPolygon::from_lonlat(&g.geometry);
        MapGap { area_id: g.area_id, name: g.name, uncovered65: g.uncovered65, outline }
    }
}

impl MapAnalysis {
    /// The analysis of `question`, or `None` when there is no walking network; stops with an error
    /// once `deadline` has passed.
    pub fn compute(
        index: &Index,
        settings: &NetworkSettings,
        cache: &analysis::CoverageCache,
        question: &CoverageKey,
        deadline: &Deadline,
    ) -> Result<Option<Self>, AnalysisError> {
        let Some(graph) = index.network() else { return Ok(None) };
        let coverage = cache.get(index, settings, question)?;
        let rows = coverage.levels.values().flatten().filter_map(|r| Some((r.area_id?, r.clone()))).collect();
        let Some(bounds) = graph.extent() else { return Ok(None) };
        let mut catchments = Vec::new();
        for kind in &question.kinds {
            deadline.check()?;
            let sites: Vec<_> =
                index.sites_open_in(&[*kind], None, None).iter().map(|s| s.data.location.0).collect();
            let (profile, minutes) = (&question.profile, question.minutes());
            let pieces = ShedPieces::new(graph, settings, profile, &sites, minutes)?;
            catchments.push((*kind, MercatorPolygon::from_lonlat(&pieces.shed_near(bounds))));
        }
        let level = [AreaLevel::District, AreaLevel::Sphere, AreaLevel::Ward]
            .into_iter()
            .find(|l| coverage.levels.contains_key(l));
        let gaps = match level {
            Some(l) => analysis::gaps(index, settings, &coverage, l, deadline)?
                .into_iter()
                .map(MapGap::from)
                .collect(),
            None => Vec::new(),
        };
        Ok(Some(MapAnalysis { question: question.clone(), coverage, rows, catchments, gaps }))
    }

    /// Bytes held, roughly: what a cache of analyses weighs.
    pub fn weight(&self) -> u64 {
        let points: usize = self.catchments.iter().map(|(_, p)| p.coords_count()).sum::<usize>()
            + self.gaps.iter().map(|g| g.outline.coords_count()).sum::<usize>();
        (points * 16 + self.rows.len() * 256 + 1024) as u64
    }
}

/// The query string of a question, in one spelling (kinds sorted, no repeats), as tile URLs carry it.
///
/// ```
/// use sasaeai::analysis::CoverageKey;
/// use sasaeai::model::SiteKind;
/// let q = CoverageKey::new(vec![SiteKind::Engawa, SiteKind::Cafe, SiteKind::Cafe], 30.0, "elderly");
/// assert_eq!(sasaeai::maptiles::question_query(&q), "kinds=cafe,engawa&minutes=30&profile=elderly");
/// ```
pub fn question_query(q: &CoverageKey) -> String {
    let kinds: Vec<&str> = q.kinds.iter().map(|k| k.as_str()).collect();
    let profile: String = form_urlencoded::byte_serialize(q.profile.as_bytes()).collect();
    format!("kinds={}&minutes={}&profile={profile}", kinds.join(","), q.minutes())
}

/// An area's overlay figures: each headline metric as a number when it is shown as one, and as the
/// text the tables show (`12`, `<3`, `x`) always.
fn support_properties(table: &Overlays, row: &OverlayRow) -> Vec<(String, Value)> {
    let mut props =
        vec![("id".into(), Value::Int(row.area_id.0)), ("name".into(), Value::Str(row.name.clone()))];
    // The headline metrics only; the rest are in `/api/support-overlays`.
    for (metric, _) in HEADLINE_METRICS {
        let Some(i) = table.metrics.iter().position(|m| m == metric) else { continue };
        let shown = row.values[i];
        if let Shown::Count(n) = shown {
            props.push((metric.into(), Value::Int(n as i64)));
        }
        props.push((format!("{metric}_text"), Value::Str(shown.text(table.min_count))));
    }
    props
}

/// A percentage to one decimal, as the map shows it.
fn percent1(v: f64) -> Value {
    Value::Double((v * 10.0).round() / 10.0)
}

/// What tiles show beyond the index: the map's analysis and the support maps' overlays, each when
/// the layers drawn need it.
#[derive(Default, Clone, Copy)]
pub struct Derived<'a> {
    pub map: Option<&'a MapAnalysis>,
    pub support: Option<&'a [Overlays]>,
}

/// Renders the layers of one tile; an empty vector when the tile has no features. The layers are
/// shaped and encoded on two cores (at a low zoom a town's catchments and gaps take most of a
/// tile's time), then joined in their order: a tile's bytes are its layers' one after another.
pub fn render(index: &Index, derived: Derived<'_>, layers: &[&LayerDef], tile: TileId) -> Vec<u8> {
    let shown: Vec<&LayerDef> =
        layers.iter().copied().filter(|l| (l.minzoom..=l.maxzoom).contains(&tile.z)).collect();
    let frame = Frame::of(tile);
    crate::halves::map(&shown, &|l| layer_tile(index, derived, l, &frame)).concat()
}

/// One layer of one tile being written: each feature goes into the encoder as it is shaped.
struct LayerTile<'a> {
    builder: TileBuilder,
    layer: &'a str,
    tile: TileId,
}

impl LayerTile<'_> {
    fn add(&mut self, id: Option<u64>, geometry: Geometry<f64>, props: &[(impl AsRef<str>, Value)]) {
        // Geometry from the shaping step always encodes; a failure would be a bug in that step.
        if let Err(e) = self.builder.add(self.layer, id, &geometry, props) {
            tracing::error!(error = %e, tile = %self.tile, "feature left out of tile");
        }
    }
}

/// Where a tile lies: its transform into tile units and its buffered window in lon/lat, worked out
/// once for all its layers.
#[derive(Clone, Copy)]
struct Frame {
    tile: TileId,
    transform: TileTransform,
    window: geo::Rect<f64>,
    bbox: BBox,
}

impl Frame {
    fn of(tile: TileId) -> Self {
        let window = tile.buffered_bounds_lonlat(BUFFER, EXTENT);
        Frame { tile, transform: TileTransform::new(tile, EXTENT), window, bbox: BBox::of_rect(&window) }
    }
}

/// The tile of layer `l` alone in the tile of `frame`; empty when the layer has nothing there.
fn layer_tile(index: &Index, derived: Derived<'_>, l: &LayerDef, frame: &Frame) -> Vec<u8> {
    let map = derived.map;
    let Frame { tile, transform, window, bbox } = *frame;
    let mut out = LayerTile { builder: TileBuilder::new(EXTENT), layer: l.id, tile };
    match l.source {
        Source::Areas(level) => {
            for a in index.areas_in(Some(level), Some(&bbox)) {
                let Some(shaped) = shape::polygon(&a.geometry, &transform, BUFFER) else { continue };
                let mut props = vec![
                    ("id", Value::Int(a.id.0)),
                    ("name", Value::Str(a.name.clone())),
                    ("level", Value::Str(a.level.as_str().into())),
                ];
                props.extend(a.code.clone().map(|c| ("code", Value::Str(c))));
                let figures = FIGURE_LEVELS.contains(&level).then(|| map.and_then(|m| m.rows.get(&a.id)));
                if let Some(row) = figures.flatten() {
                    props.extend(row.aged65_rate().map(|r| ("aged65_rate", percent1(r))));
                    props.extend(row.covered65_pct().map(|r| ("covered65_pct", percent1(r))));
                    props.push(("uncovered65", Value::Int(row.uncovered65 as i64)));
                }
                out.add(Some(a.id.0 as u64), Geometry::MultiPolygon(shaped), &props);
            }
        }
        Source::Sites => {
            let points: Vec<_> = index
                .sites_in(&[], Some(&bbox))
                .into_iter()
                .filter_map(|s| Some((shape::point(s.data.location, &transform, BUFFER)?, s)))
                .collect();
            let cell = if tile.z < l.full_detail_zoom { 64.0 } else { 0.0 };
            for (p, s) in thin(points, cell) {
                let props = vec![
                    ("id", Value::Int(s.id.0)),
                    ("name", Value::Str(s.data.name.clone())),
                    ("kind", Value::Str(s.data.kind.as_str().into())),
                    ("kind_label", Value::Str(s.data.kind.label_ja().into())),
                ];
                out.add(Some(s.id.0 as u64), Geometry::Point(p), &props);
            }
        }
        Source::Population => {
            let year = index.latest_population_year(); // one year, as the analyses count
            let points: Vec<_> = index
                .population_in(Some(&bbox))
                .into_iter()
                .filter(|u| u.data.year == year)
                .filter_map(|u| Some((shape::point(u.data.location, &transform, BUFFER)?, u)))
                .collect();
            let cell = if tile.z < l.full_detail_zoom { 64.0 } else { 0.0 };
            for (p, u) in thin(points, cell) {
                let mut props = vec![
                    ("total", Value::Int(u.data.total as i64)),
                    ("aged65", Value::Int(u.data.aged65 as i64)),
                ];
                if u.data.total > 0 {
                    props.push(("aged65_rate", percent1(u.data.aged65 as f64 / u.data.total as f64 * 100.0)));
                }
                out.add(Some(u.id.0 as u64), Geometry::Point(p), &props);
            }
        }
        Source::Network => {
            let Some(graph) = index.network() else { return Vec::new() };
            for e in graph.edges_in(window.min(), window.max()) {
                let edge = graph.edge(e);
                let Some(shaped) =
                    shape::line(&MultiLineString(vec![edge.data.geometry.clone()]), &transform, BUFFER)
                else {
                    continue;
                };
                let props = vec![
                    ("highway", Value::Str(edge.data.highway.clone())),
                    ("steps", Value::Bool(edge.data.steps)),
                ];
                out.add(Some(e as u64), Geometry::MultiLineString(shaped), &props);
            }
        }
        Source::Catchments => {
            let Some(m) = map else { return Vec::new() };
            // Each kind's town-wide outline is shaped on a core of its own.
            let shaped = crate::halves::map(&m.catchments, &|(kind, outline)| {
                Some((kind, outline.in_tile(&transform, BUFFER)?))
            });
            for (kind, shaped) in shaped.into_iter().flatten() {
                let props = vec![
                    ("kind", Value::Str(kind.as_str().into())),
                    ("minutes", Value::Double(m.question.minutes())),
                    ("profile", Value::Str(m.question.profile.clone())),
                ];
                out.add(None, Geometry::MultiPolygon(shaped), &props);
            }
        }
        Source::Support(level) => {
            let Some(table) = derived.support.and_then(|all| all.iter().find(|o| o.level == level)) else {
                return Vec::new();
            };
            for row in &table.rows {
                let Some(a) = index.area(row.area_id) else { continue };
                if !a.geometry.bounding_rect().is_some_and(|r| r.intersects(&window)) {
                    continue;
                }
                let Some(shaped) = shape::polygon(&a.geometry, &transform, BUFFER) else { continue };
                out.add(Some(a.id.0 as u64), Geometry::MultiPolygon(shaped), &support_properties(table, row));
            }
        }
        Source::AreaLabels => {
            // Only the names written at this zoom (integer tile zooms serve the fractional ones).
            let written = |level| {
                crate::mapstyle::label_zooms(level)
                    .is_some_and(|(from, to, _)| (from.floor()..to).contains(&f64::from(tile.z)))
            };
            for (a, at) in index.area_labels_in(&bbox).into_iter().filter(|(a, _)| written(a.level)) {
                let Some(p) = shape::point(at, &transform, BUFFER) else { continue };
                let props = vec![
                    ("id", Value::Int(a.id.0)),
                    ("name", Value::Str(a.name.clone())),
                    ("level", Value::Str(a.level.as_str().into())),
                ];
                out.add(Some(a.id.0 as u64), Geometry::Point(p), &props);
            }
        }
        Source::Gaps => {
            let Some(m) = map else { return Vec::new() };
            let shaped = crate::halves::map(&m.gaps, &|g| Some((g, g.outline.in_tile(&transform, BUFFER)?)));
            for (g, shaped) in shaped.into_iter().flatten() {
                let props = vec![
                    ("name", Value::Str(g.name.clone())),
                    ("uncovered65", Value::Int(g.uncovered65 as i64)),
                ];
                out.add(Some(g.area_id.0 as u64), Geometry::MultiPolygon(shaped), &props);
            }
        }
    }
    out.builder.encode()
}
