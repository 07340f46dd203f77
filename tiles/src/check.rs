//! An independent reader of encoded tiles: decodes the protobuf and walks the geometry commands by
//! hand, checking them against the Mapbox Vector Tile 2.1 specification — version 2, an extent, tags
//! in key/value pairs that point at existing keys and values, well-formed MoveTo/LineTo/ClosePath
//! sequences, exterior rings clockwise on screen and holes the other way, no zero-area rings, and
//! every coordinate within the buffer. It also renders a tile as readable text for snapshots.

use geozero::mvt::{Message, Tile, tile};
use std::fmt::Write;

/// A decoded feature.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub id: Option<u64>,
    pub kind: &'static str,
    /// Points, lines or rings, in tile coordinates (rings closed).
    pub parts: Vec<Vec<(i64, i64)>>,
    pub properties: Vec<(String, String)>,
}

/// A decoded layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub name: String,
    pub extent: u32,
    pub features: Vec<Feature>,
}

fn value_text(v: &tile::Value) -> String {
    if let Some(s) = &v.string_value {
        format!("{s:?}")
    } else if let Some(d) = v.double_value {
        format!("{d}")
    } else if let Some(f) = v.float_value {
        format!("{f}")
    } else if let Some(i) = v.int_value.or(v.sint_value) {
        format!("{i}")
    } else if let Some(u) = v.uint_value {
        format!("{u}")
    } else if let Some(b) = v.bool_value {
        format!("{b}")
    } else {
        "?".into()
    }
}

fn zigzag(v: u32) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Twice the signed area; positive is clockwise on screen (y down).
fn area2(ring: &[(i64, i64)]) -> i64 {
    ring.windows(2).map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1).sum()
}

/// Decodes `bytes` and checks them; returns the layers and every violation found.
pub fn decode_and_check(bytes: &[u8], buffer: u32) -> (Vec<Layer>, Vec<String>) {
    let mut problems = Vec::new();
    let tile = match Tile::decode(bytes) {
        Ok(t) => t,
        Err(e) => return (Vec::new(), vec![format!("not a protobuf tile: {e}")]),
    };
    let mut layers = Vec::new();
    for l in &tile.layers {
        let name = l.name.clone();
        if l.version != 2 {
            problems.push(format!("{name}: version {} is not 2", l.version));
        }
        let Some(extent) = l.extent else {
            problems.push(format!("{name}: no extent"));
            continue;
        };
        let (lo, hi) = (-(buffer as i64), (extent + buffer) as i64);
        let mut features = Vec::new();
        for (n, f) in l.features.iter().enumerate() {
            let at = format!("{name} feature {n}");
            if f.tags.len() % 2 != 0 {
                problems.push(format!("{at}: odd number of tags"));
            }
            let properties = f
                .tags
                .chunks(2)
                .filter_map(|kv| {
                    match (l.keys.get(kv[0] as usize), kv.get(1).and_then(|v| l.values.get(*v as usize))) {
                        (Some(k), Some(v)) => Some((k.clone(), value_text(v))),
                        _ => {
                            problems.push(format!("{at}: tag index out of range"));
                            None
                        }
                    }
                })
                .collect();
            let kind = match f.r#type {
                Some(1) => "point",
                Some(2) => "line",
                Some(3) => "polygon",
                other => {
                    problems.push(format!("{at}: geometry type {other:?}"));
                    "unknown"
                }
            };
            let parts = commands(&f.geometry, kind, &at, &mut problems);
            for part in &parts {
                if part.iter().any(|(x, y)| *x < lo || *x > hi || *y < lo || *y > hi) {
                    problems.push(format!("{at}: coordinate outside the buffer"));
                }
            }
            if kind == "polygon" {
                check_rings(&parts, &at, &mut problems);
            }
            features.push(Feature { id: f.id, kind, parts, properties });
        }
        layers.push(Layer { name, extent, features });
    }
    (layers, problems)
}

/// Walks the command stream of one feature.
fn commands(geometry: &[u32], kind: &str, at: &str, problems: &mut Vec<String>) -> Vec<Vec<(i64, i64)>> {
    let (mut x, mut y) = (0i64, 0i64);
    let mut parts: Vec<Vec<(i64, i64)>> = Vec::new();
    let mut i = 0;
    let mut expect_lineto = false;
    // The next parameter pair as an absolute position, or `None` past the end.
    let mut next = |i: &mut usize| -> Option<(i64, i64)> {
        let d = geometry.get(*i..*i + 2)?;
        *i += 2;
        x += zigzag(d[0]);
        y += zigzag(d[1]);
        Some((x, y))
    };
    while i < geometry.len() {
        let (id, count) = (geometry[i] & 7, geometry[i] >> 3);
        i += 1;
        match id {
            1 => {
                if expect_lineto {
                    problems.push(format!("{at}: MoveTo where a LineTo was due"));
                }
                if kind != "point" && count != 1 {
                    problems.push(format!("{at}: MoveTo with count {count} in a {kind}"));
                }
                for _ in 0..count {
                    let Some(p) = next(&mut i) else {
                        problems.push(format!("{at}: MoveTo runs past the end"));
                        return parts;
                    };
                    parts.push(vec![p]);
                }
                expect_lineto = kind != "point";
            }
            2 => {
                if kind == "point" || parts.is_empty() || count == 0 {
                    problems.push(format!("{at}: LineTo in the wrong place (count {count})"));
                }
                for _ in 0..count {
                    let Some(p) = next(&mut i) else {
                        problems.push(format!("{at}: LineTo runs past the end"));
                        return parts;
                    };
                    if let Some(part) = parts.last_mut() {
                        part.push(p);
                    }
                }
                if kind == "polygon" && parts.last().is_some_and(|p| p.len() < 3) {
                    problems.push(format!("{at}: a ring needs a LineTo of at least 2 points"));
                }
                expect_lineto = false;
            }
            7 => {
                if kind != "polygon" || count != 1 || expect_lineto {
                    problems.push(format!("{at}: ClosePath in the wrong place (count {count})"));
                }
                if let Some(p) = parts.last_mut() {
                    p.push(p[0]);
                }
            }
            other => problems.push(format!("{at}: unknown command {other}")),
        }
    }
    if kind == "polygon" && parts.iter().any(|p| p.len() < 4 || p.first() != p.last()) {
        problems.push(format!("{at}: a ring without ClosePath"));
    }
    parts
}

fn check_rings(rings: &[Vec<(i64, i64)>], at: &str, problems: &mut Vec<String>) {
    for (k, ring) in rings.iter().enumerate() {
        let a = area2(ring);
        if a == 0 {
            problems.push(format!("{at}: ring {k} has zero area"));
        } else if k == 0 && a < 0 {
            problems.push(format!("{at}: the first ring is not an exterior (clockwise) ring"));
        }
    }
    // Exterior rings start polygons; the holes that follow belong to them. Each must be a valid
    // polygon: no self-intersections, holes inside.
    use geo::Validation;
    let ring = |r: &Vec<(i64, i64)>| {
        geo::LineString::from(r.iter().map(|(x, y)| (*x as f64, *y as f64)).collect::<Vec<_>>())
    };
    let mut polygons: Vec<geo::Polygon<f64>> = Vec::new();
    for r in rings.iter().filter(|r| area2(r) != 0) {
        match polygons.last_mut() {
            Some(p) if area2(r) < 0 => p.interiors_push(ring(r)),
            _ => polygons.push(geo::Polygon::new(ring(r), vec![])),
        }
    }
    for (k, p) in polygons.iter().enumerate() {
        if let Err(e) = p.check_validation() {
            problems.push(format!("{at}: polygon {k} is not valid: {e}"));
        }
    }
}

/// A tile as readable text: layers, features with their properties, and their geometry.
pub fn to_text(layers: &[Layer]) -> String {
    let mut out = String::new();
    for l in layers {
        let _ = writeln!(out, "layer {} (extent {}, {} features)", l.name, l.extent, l.features.len());
        for f in &l.features {
            let props: Vec<String> = f.properties.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(out, "  {} id={:?} {}", f.kind, f.id, props.join(" "));
            for p in &f.parts {
                let kind =
                    if f.kind == "polygon" { if area2(p) > 0 { "exterior" } else { "hole" } } else { "part" };
                let coords: Vec<String> = p.iter().map(|(x, y)| format!("{x},{y}")).collect();
                let _ = writeln!(out, "    {kind}: {}", coords.join(" "));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BUFFER, EXTENT, TileBuilder, Value};
    use geo::{Geometry, wkt};

    #[test]
    fn what_the_builder_writes_passes_and_broken_rings_do_not() {
        let mut b = TileBuilder::new(EXTENT);
        let square = Geometry::Polygon(wkt!(POLYGON((0. 0.,100. 0.,100. 100.,0. 100.,0. 0.))));
        b.add("areas", Some(1), &square, &[("name", Value::Str("中原区".into()))]).unwrap();
        b.add(
            "sites",
            Some(2),
            &Geometry::Point(geo::point!(x: 10., y: 20.)),
            &[("kind", Value::Str("cafe".into()))],
        )
        .unwrap();
        let (layers, problems) = decode_and_check(&b.encode(), BUFFER);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(layers[0].features[0].properties, [("name".to_owned(), "\"中原区\"".to_owned())]);
        assert_eq!(layers[0].features[0].parts[0], [(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)]);

        let mut b = TileBuilder::new(EXTENT);
        let anticlockwise = Geometry::Polygon(wkt!(POLYGON((0. 0.,0. 100.,100. 100.,100. 0.,0. 0.))));
        b.add("areas", None, &anticlockwise, &[] as &[(&str, Value)]).unwrap();
        let (_, problems) = decode_and_check(&b.encode(), BUFFER);
        assert!(problems.iter().any(|p| p.contains("not an exterior")), "{problems:?}");
    }
}
