//! GeoJSON output as RFC 7946 wants it: longitude/latitude (EPSG:4326), exterior rings
//! counter-clockwise and holes clockwise, coordinates rounded to 7 decimals (about 1 cm). The API's
//! responses and the downloadable exports are written by these same functions, so a planner's QGIS
//! sees exactly what the map shows.

mod crs;
pub mod gpkg;

pub use crs::OutputCrs;

use crate::model::{Area, PopulationUnit, Properties, Site};
use geo::winding_order::{Winding, WindingOrder};
use geo::{Coord, LineString, MultiPolygon, Point};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Value, json};

/// Rounds to 7 decimal places (about 1 cm), the precision of every coordinate sasaeai writes.
pub fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

fn position(c: Coord<f64>) -> Value {
    json!([round7(c.x), round7(c.y)])
}

/// A Point geometry object.
pub fn point_geometry(p: Point<f64>) -> Value {
    json!({ "type": "Point", "coordinates": position(p.0) })
}

/// A MultiPolygon geometry object with RFC 7946 winding.
pub fn multipolygon_geometry(mp: &MultiPolygon<f64>) -> Value {
    serde_json::to_value(MultiPolygonGeometry(mp)).expect("a geometry has string keys only")
}

/// A MultiPolygon geometry object with RFC 7946 winding, written straight to a serializer: a
/// catchment has thousands of vertices, which as a tree of JSON values cost an allocation each.
pub struct MultiPolygonGeometry<'a>(pub &'a MultiPolygon<f64>);

impl Serialize for MultiPolygonGeometry<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("type", "MultiPolygon")?;
        map.serialize_entry("coordinates", &Polygons(self.0))?;
        map.end()
    }
}

struct Polygons<'a>(&'a MultiPolygon<f64>);

impl Serialize for Polygons<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|p| {
            let holes = p.interiors().iter().map(|h| Ring { ring: h, exterior: false });
            Rings(std::iter::once(Ring { ring: p.exterior(), exterior: true }).chain(holes).collect())
        }))
    }
}

struct Rings<'a>(Vec<Ring<'a>>);

impl Serialize for Rings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(&self.0)
    }
}

/// A ring written counter-clockwise when it is an exterior and clockwise when it is a hole.
struct Ring<'a> {
    ring: &'a LineString<f64>,
    exterior: bool,
}

impl Serialize for Ring<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let wanted = if self.exterior { WindingOrder::CounterClockwise } else { WindingOrder::Clockwise };
        let reversed = self.ring.winding_order().is_some_and(|order| order != wanted);
        let position = |c: &Coord<f64>| [round7(c.x), round7(c.y)];
        if reversed {
            s.collect_seq(self.ring.0.iter().rev().map(position))
        } else {
            s.collect_seq(self.ring.0.iter().map(position))
        }
    }
}

fn feature(id: i64, geometry: Value, mut properties: Properties, extra: &Properties) -> Value {
    for (k, v) in extra {
        properties.entry(k.clone()).or_insert_with(|| v.clone());
    }
    json!({ "type": "Feature", "id": id, "geometry": geometry, "properties": properties })
}

/// An area's outline as a Feature carrying `properties` (figures of an analysis, a table's row),
/// its id the area's: the area collections of the analyses and tables.
pub fn area_figures(area: &Area, properties: Value) -> Value {
    json!({ "type": "Feature", "id": area.id, "geometry": multipolygon_geometry(&area.geometry), "properties": properties })
}

/// Builds a properties map with `json!` syntax: `props!({ "name": name })`.
#[macro_export]
macro_rules! props {
    ($($json:tt)+) => {
        match serde_json::json!($($json)+) {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("props! takes an object literal"),
        }
    };
}

/// An area as a Feature: its own fields first, then its free properties (which never override them).
pub fn area_feature(area: &Area, parent_name: Option<&str>) -> Value {
    let props = crate::props!({
        "id": area.id,
        "name": area.name,
        "level": area.level,
        "level_label": area.level.label_ja(),
        "code": area.code,
        "parent_id": area.parent,
        "parent_name": parent_name,
        "parent_derived": area.parent_derived,
    });
    feature(area.id.0, multipolygon_geometry(&area.geometry), props, &area.properties)
}

/// A site as a Feature.
pub fn site_feature(site: &Site) -> Value {
    let s = &site.data;
    let props = crate::props!({
        "id": site.id,
        "name": s.name,
        "kind": s.kind,
        "kind_label": s.kind.label_ja(),
        "address": s.address,
        "schedule": s.schedule,
        "audience": s.audience,
        "operator": s.operator,
    });
    feature(site.id.0, point_geometry(s.location), props, &s.properties)
}

fn rate(part: u32, total: u32) -> Value {
    if total == 0 { Value::Null } else { json!((part as f64 / total as f64 * 10_000.0).round() / 10_000.0) }
}

/// A population unit as a Feature, with its ageing rates.
pub fn population_feature(unit: &PopulationUnit) -> Value {
    let p = &unit.data;
    let props = crate::props!({
        "id": unit.id,
        "name": p.name,
        "total": p.total,
        "aged65": p.aged65,
        "aged75": p.aged75,
        "aged65_rate": rate(p.aged65, p.total),
        "aged75_rate": rate(p.aged75, p.total),
        "source": p.source,
        "year": p.year,
    });
    feature(unit.id.0, point_geometry(p.location), props, &p.properties)
}

/// A catchment as a MultiPolygon Feature; `extra` properties (such as the site) come first.
pub fn catchment_feature(c: &crate::network::Catchment, extra: Properties) -> Value {
    serde_json::to_value(CatchmentFeature::new(c, extra)).expect("a feature has string keys only")
}

/// A catchment as a MultiPolygon Feature, written straight to a serializer (see
/// [`MultiPolygonGeometry`]).
pub struct CatchmentFeature<'a> {
    geometry: MultiPolygonGeometry<'a>,
    properties: Properties,
}

impl<'a> CatchmentFeature<'a> {
    /// The feature of `c`; `extra` properties (such as the site) come first.
    pub fn new(c: &'a crate::network::Catchment, extra: Properties) -> Self {
        let mut props = extra;
        props.insert("minutes".into(), json!(c.minutes));
        props.insert("profile".into(), json!(c.profile));
        props.insert("area_m2".into(), json!(c.area_m2.round()));
        props.insert("reachfactor".into(), json!((c.reach_factor * 1000.0).round() / 1000.0));
        props.insert("reached_length_m".into(), json!(c.reached_length_m.round()));
        CatchmentFeature { geometry: MultiPolygonGeometry(&c.polygon), properties: props }
    }
}

impl Serialize for CatchmentFeature<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("type", "Feature")?;
        map.serialize_entry("geometry", &self.geometry)?;
        map.serialize_entry("properties", &self.properties)?;
        map.end()
    }
}

/// A FeatureCollection of already-built features.
pub fn feature_collection(features: Vec<Value>) -> Value {
    json!({ "type": "FeatureCollection", "features": features })
}

/// The pieces of a FeatureCollection written feature by feature: the opening, a separator and the
/// closing. Attribution and a fictional-data flag travel as foreign members.
pub fn collection_head(name: &str, meta: &Properties) -> String {
    let mut head = format!("{{\"type\":\"FeatureCollection\",\"name\":{}", Value::from(name));
    for (k, v) in meta {
        head.push_str(&format!(",{}:{}", Value::from(k.as_str()), v));
    }
    head.push_str(",\"features\":[\n");
    head
}

/// Closes what [`collection_head`] opened.
pub const COLLECTION_TAIL: &str = "\n]}\n";

#[cfg(test)]
mod tests {
    use super::*;
    use geo::wkt;

    #[test]
    fn exterior_rings_come_out_counter_clockwise_and_holes_clockwise() {
        // Exterior written clockwise, hole counter-clockwise: both wrong for RFC 7946.
        let mp = wkt!(MULTIPOLYGON(((0. 0.,0. 10.,10. 10.,10. 0.,0. 0.),(2. 2.,4. 2.,4. 4.,2. 4.,2. 2.))));
        let g = multipolygon_geometry(&mp);
        let ring = |i: usize| -> Vec<(f64, f64)> {
            g["coordinates"][0][i]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
                .collect()
        };
        let signed_area =
            |r: Vec<(f64, f64)>| r.windows(2).map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1).sum::<f64>();
        assert!(signed_area(ring(0)) > 0.0, "exterior counter-clockwise");
        assert!(signed_area(ring(1)) < 0.0, "hole clockwise");
    }

    #[test]
    fn coordinates_have_at_most_seven_decimals() {
        let g = point_geometry(geo::point!(x: 139.123456789, y: 35.987654321));
        assert_eq!(g["coordinates"].to_string(), "[139.1234568,35.9876543]");
    }
}
