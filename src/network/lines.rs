//! Reading a line network from GeoJSON (municipal road centrelines, OSMnx exports): every LineString
//! part becomes an edge, and line ends closer than a small tolerance become one node. Edges that
//! repeat another in the opposite direction (OSMnx writes u→v and v→u) are kept once. EPSG:4326 in
//! and out; the tolerance is in metres.

use super::NetworkError;
use super::graph::{EdgeData, LocalMetres};
use crate::import::{self, ImportError, RecordProblem};
use geo::{Coord, LineString, Point};
use geojson::GeometryValue;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::collections::HashSet;

/// Line ends closer than this many metres are joined.
pub const NODE_TOLERANCE_M: f64 = 0.5;

/// Reads `bytes` of a GeoJSON FeatureCollection of (Multi)LineStrings.
pub fn read(bytes: &[u8]) -> Result<super::NetworkParts, NetworkError> {
    let features = import::line_features(bytes)?;
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for (place, properties, geometry) in features {
        let parts = match &geometry {
            Some(GeometryValue::LineString { coordinates }) => vec![coordinates.clone()],
            Some(GeometryValue::MultiLineString { coordinates }) => coordinates.clone(),
            other => {
                let found = other.as_ref().map_or("no geometry", import::geometry_type_name);
                problems.push(RecordProblem {
                    place,
                    field: Some("geometry".into()),
                    message: format!(
                        "wrong geometry type: expected LineString or MultiLineString, found {found}"
                    ),
                });
                continue;
            }
        };
        let tag = |k: &str| properties.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        // The file is a walking network already: only an explicit closure removes a line.
        if super::osm::closed_to_walkers(tag("foot").as_deref(), tag("access").as_deref()) {
            continue;
        }
        let highway = tag("highway").unwrap_or_default();
        let kinds: Vec<&str> = highway.split(',').map(str::trim).collect();
        let steps = kinds.contains(&"steps");
        let way_id =
            properties.get("osmid").and_then(|v| v.as_array().and_then(|a| a.first()).unwrap_or(v).as_i64());
        for part in parts {
            match part.iter().map(import::checked_coord).collect::<Result<Vec<_>, _>>() {
                Ok(coords) if coords.len() >= 2 => lines.push((coords, steps, highway.clone(), way_id)),
                Ok(_) => problems.push(RecordProblem {
                    place,
                    field: Some("geometry".into()),
                    message: "a line needs at least 2 positions".into(),
                }),
                Err(message) => {
                    problems.push(RecordProblem { place, field: Some("geometry".into()), message })
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid { problems }.into());
    }
    if lines.is_empty() {
        return Err(NetworkError::NoWalkableWays);
    }
    Ok(node_lines(lines))
}

type Line = (Vec<Coord<f64>>, bool, String, Option<i64>);

fn node_lines(lines: Vec<Line>) -> (Vec<Coord<f64>>, Vec<EdgeData>) {
    let lat0 = lines.iter().map(|l| l.0[0].y).sum::<f64>() / lines.len() as f64;
    let proj = LocalMetres::new(lat0);
    let mut tree: RTree<GeomWithData<Point<f64>, u32>> = RTree::new();
    let mut nodes = Vec::new();
    let mut node_at = |c: Coord<f64>| -> u32 {
        let p = Point(proj.project(c));
        if let Some(hit) = tree.nearest_neighbor(&p) {
            let d = hit.geom().0 - p.0;
            if (d.x * d.x + d.y * d.y).sqrt() <= NODE_TOLERANCE_M {
                return hit.data;
            }
        }
        nodes.push(c);
        let id = (nodes.len() - 1) as u32;
        tree.insert(GeomWithData::new(p, id));
        id
    };
    let mut seen = HashSet::new();
    let mut edges = Vec::new();
    for (coords, steps, highway, way_id) in lines {
        let a = node_at(coords[0]);
        let b = node_at(coords[coords.len() - 1]);
        if !seen.insert(undirected_key(&coords)) {
            continue;
        }
        edges.push(EdgeData { a, b, geometry: LineString(coords), steps, highway, way_id });
    }
    // Ends joined within the tolerance now meet exactly at their node.
    for e in &mut edges {
        let last = e.geometry.0.len() - 1;
        e.geometry.0[0] = nodes[e.a as usize];
        e.geometry.0[last] = nodes[e.b as usize];
    }
    (nodes, edges)
}

/// The geometry quantised to 1e-7° and written in a canonical direction.
fn undirected_key(coords: &[Coord<f64>]) -> Vec<(i64, i64)> {
    let q: Vec<(i64, i64)> =
        coords.iter().map(|c| ((c.x * 1e7).round() as i64, (c.y * 1e7).round() as i64)).collect();
    let reversed: Vec<(i64, i64)> = q.iter().rev().copied().collect();
    q.min(reversed)
}
