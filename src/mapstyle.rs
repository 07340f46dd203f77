//! The map's look, in one place: the colour of each kind of site, the colour ramps of the coverage
//! and support choropleths, and the MapLibre style document (`/styles/sasaeai.json`) that draws the
//! layer sets with them — the style the map page itself loads, so QGIS and any other MapLibre
//! client show what the page shows.

use crate::config::Background;
use crate::model::{AreaLevel, SiteKind};
use serde_json::{Value, json};

/// The colour sites and catchments of a kind are drawn in.
pub fn kind_colour(kind: SiteKind) -> &'static str {
    match kind {
        SiteKind::CareCenter => "#d84315",
        SiteKind::CareService => "#8d6e63",
        SiteKind::Clinic => "#c2185b",
        SiteKind::Pharmacy => "#ad1457",
        SiteKind::Cafe => "#ef6c00",
        SiteKind::Engawa => "#2e7d32",
        SiteKind::Kayoinoba => "#00897b",
        SiteKind::Ikoi => "#6a1b9a",
        SiteKind::Childcare => "#f9a825",
        SiteKind::Park => "#558b2f",
        SiteKind::CommunityCenter => "#1565c0",
        SiteKind::Other => "#546e7a",
    }
}

/// The coverage choropleth: percent of the 65+ within reach → colour.
pub const COVERAGE_STOPS: [(f64, &str); 5] =
    [(0.0, "#d73027"), (25.0, "#fc8d59"), (50.0, "#fee08b"), (75.0, "#91cf60"), (100.0, "#1a9850")];

/// The support choropleth: persons counted → colour.
pub const SUPPORT_STOPS: [(u32, &str); 4] =
    [(0, "#f7f7f7"), (3, "#fdd49e"), (10, "#fc8d59"), (30, "#d7301f")];

/// What an unknown or withheld figure (`<3`, `x`, no walking network) is drawn in.
pub const NO_FIGURE: &str = "#bdbdbd";

/// The support metric the style colours by until the page chooses another.
pub const DEFAULT_SUPPORT_METRIC: &str = "persons_isolated";

/// The colour of `metric` on the support layers: the ramp where it is a count, grey where withheld.
pub fn support_colour(metric: &str) -> Value {
    let stops: Vec<Value> = SUPPORT_STOPS.iter().flat_map(|(n, c)| [json!(n), json!(c)]).collect();
    let ramp: Vec<Value> =
        [json!("interpolate"), json!(["linear"]), json!(["get", metric])].into_iter().chain(stops).collect();
    json!(["case", ["has", metric], ramp, NO_FIGURE])
}

/// `match` on the `kind` property: each kind's colour, else `fallback`.
fn by_kind(fallback: &str) -> Value {
    let mut expr = vec![json!("match"), json!(["get", "kind"])];
    for kind in SiteKind::ALL {
        expr.extend([json!(kind.as_str()), json!(kind_colour(*kind))]);
    }
    expr.push(json!(fallback));
    Value::Array(expr)
}

fn coverage_colour() -> Value {
    let stops: Vec<Value> = COVERAGE_STOPS.iter().flat_map(|(p, c)| [json!(p), json!(c)]).collect();
    let ramp: Vec<Value> = [json!("interpolate"), json!(["linear"]), json!(["get", "covered65_pct"])]
        .into_iter()
        .chain(stops)
        .collect();
    json!(["case", ["has", "covered65_pct"], ramp, NO_FIGURE])
}

fn area_line(level: &str, minzoom: u8, width: f64, colour: &str) -> Value {
    json!({
        "id": format!("areas-{level}-line"), "type": "line", "source": "base", "source-layer": format!("areas_{level}"),
        "minzoom": minzoom, "paint": { "line-color": colour, "line-width": width },
    })
}

/// Names written on the map: the browser draws them with its own fonts (no glyph server, so no
/// internet), MapLibre placing them so they never overlap.
fn text(size: f64) -> Value {
    json!({ "text-field": ["get", "name"], "text-font": ["sans-serif"], "text-size": size, "text-max-width": 8 })
}

/// Dark text on a white halo, readable on every fill.
fn halo() -> Value {
    json!({ "text-color": "#333333", "text-halo-color": "#ffffff", "text-halo-width": 1.5 })
}

/// The zooms at which the names of an area level are written (from, up to but not at), and
/// their size: a ward's name when the city is in view, a 町丁's only on a street map.
pub fn label_zooms(level: AreaLevel) -> Option<(f64, f64, f64)> {
    match level {
        AreaLevel::City => None,
        AreaLevel::Ward => Some((8.0, 13.0, 16.0)),
        AreaLevel::Sphere => Some((11.0, 13.5, 14.0)),
        AreaLevel::District => Some((12.5, 15.5, 13.0)),
        AreaLevel::Chome => Some((15.0, 24.0, 11.0)),
    }
}

/// The names of the areas of `level`.
fn area_labels(level: AreaLevel) -> Option<Value> {
    let (minzoom, maxzoom, size) = label_zooms(level)?;
    let level = level.as_str();
    Some(json!({
        "id": format!("labels-{level}"), "type": "symbol", "source": "base", "source-layer": "area_labels",
        "filter": ["==", ["get", "level"], level], "minzoom": minzoom, "maxzoom": maxzoom,
        "layout": text(size), "paint": halo(),
    }))
}

/// The background map's source and layer id.
const BACKGROUND: &str = "background-map";

/// A tile source of the style: a layer set, its tile URL template and the zooms its layers span.
pub struct TileSource {
    pub set: String,
    pub url: String,
    pub minzoom: u8,
    pub maxzoom: u8,
}

/// The style document of the map over `sources` (the layer sets base, analysis, network,
/// population and support), `attribution` on the base set: every layer the page draws, in its order,
/// hidden where the page starts with it hidden; over `background` when one is configured (its
/// attribution on its source, the city's white fill then translucent so the map shows through).
pub fn style(sources: &[TileSource], attribution: &str, background: Option<&Background>) -> Value {
    let mut srcs = serde_json::Map::new();
    for s in sources {
        let mut source =
            json!({ "type": "vector", "tiles": [s.url], "minzoom": s.minzoom, "maxzoom": s.maxzoom });
        if s.set == "base" {
            source["attribution"] = json!(attribution);
        }
        srcs.insert(s.set.clone(), source);
    }
    if let Some(b) = background {
        srcs.insert(
            BACKGROUND.into(),
            json!({
                "type": "raster", "tiles": [b.tiles], "tileSize": b.tile_size, "maxzoom": b.maxzoom,
                "attribution": b.attribution,
            }),
        );
    }
    let city_opacity = if background.is_some() { 0.3 } else { 1.0 };
    let hidden = json!({ "visibility": "none" });
    let mut layers = json!([
            { "id": "background", "type": "background", "paint": { "background-color": "#eef1ec" } },
            { "id": "areas-city-fill", "type": "fill", "source": "base", "source-layer": "areas_city",
              "paint": { "fill-color": "#ffffff", "fill-opacity": city_opacity } },
            { "id": "choropleth", "type": "fill", "source": "base", "source-layer": "areas_district",
              "paint": { "fill-color": coverage_colour(), "fill-opacity": 0.45 } },
            { "id": "support-fill", "type": "fill", "source": "support", "source-layer": "support_district", "layout": hidden,
              "paint": { "fill-color": support_colour(DEFAULT_SUPPORT_METRIC), "fill-opacity": 0.6 } },
            { "id": "district-hit", "type": "fill", "source": "base", "source-layer": "areas_district",
              "paint": { "fill-color": "#000", "fill-opacity": 0 } },
            { "id": "gaps", "type": "fill", "source": "analysis", "source-layer": "gaps", "layout": hidden,
              "paint": { "fill-color": "#b71c1c", "fill-opacity": 0.35 } },
            { "id": "catchments", "type": "fill", "source": "analysis", "source-layer": "catchments",
              "paint": { "fill-color": by_kind("#2a7"), "fill-opacity": 0.12 } },
            { "id": "network", "type": "line", "source": "network", "source-layer": "network",
              "paint": { "line-color": ["case", ["get", "steps"], "#8e24aa", "#9e9e9e"], "line-width": ["case", ["get", "steps"], 2, 1] } },
            area_line("chome", 12, 0.5, "#bbbbbb"),
            area_line("district", 10, 1.2, "#666666"),
            area_line("sphere", 10, 2.0, "#1565c0"),
            area_line("ward", 8, 2.5, "#333333"),
            { "id": "population", "type": "circle", "source": "population", "source-layer": "population", "layout": hidden,
              "paint": { "circle-radius": 3, "circle-color": ["interpolate", ["linear"], ["coalesce", ["get", "aged65_rate"], 0], 10, "#90caf9", 30, "#5c6bc0", 45, "#311b92"] } },
            { "id": "sites", "type": "circle", "source": "base", "source-layer": "sites",
              "paint": {
                  "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 3, 15, 7],
                  "circle-color": by_kind(kind_colour(SiteKind::Other)),
                  "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5,
              } },
    ]);
    let names = layers.as_array_mut().expect("a list");
    if background.is_some() {
        names.insert(1, json!({ "id": BACKGROUND, "type": "raster", "source": BACKGROUND }));
    }
    names.extend(AreaLevel::ALL.iter().filter_map(|l| area_labels(*l)));
    let mut sites_text = text(11.0);
    sites_text["text-anchor"] = json!("top");
    sites_text["text-offset"] = json!([0, 0.8]);
    names.push(json!({
        "id": "labels-sites", "type": "symbol", "source": "base", "source-layer": "sites", "minzoom": 15,
        "layout": sites_text, "paint": halo(),
    }));
    json!({
        "version": 8,
        "name": "sasaeai",
        "metadata": {
            "sasaeai:coverage_stops": COVERAGE_STOPS,
            "sasaeai:support_stops": SUPPORT_STOPS,
            "sasaeai:no_figure": NO_FIGURE,
            "sasaeai:kind_colours": SiteKind::ALL.iter().map(|k| (k.as_str().to_owned(), json!(kind_colour(*k)))).collect::<serde_json::Map<_, _>>(),
        },
        "sources": srcs,
        "layers": layers,
    })
}
