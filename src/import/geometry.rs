//! Checked conversion of GeoJSON geometry (RFC 7946, lon/lat) into geo types: every position finite
//! and in range, rings closed with at least four positions, polygons valid.

use crate::model::check_lon_lat;
use geo::{Coord, LineString, MultiPolygon, Point, Polygon, Validation};
use geojson::{GeometryValue, Position};

/// The GeoJSON name of a geometry's type.
pub fn type_name(value: &GeometryValue) -> &'static str {
    match value {
        GeometryValue::Point { .. } => "Point",
        GeometryValue::MultiPoint { .. } => "MultiPoint",
        GeometryValue::LineString { .. } => "LineString",
        GeometryValue::MultiLineString { .. } => "MultiLineString",
        GeometryValue::Polygon { .. } => "Polygon",
        GeometryValue::MultiPolygon { .. } => "MultiPolygon",
        GeometryValue::GeometryCollection { .. } => "GeometryCollection",
    }
}

/// A checked position.
pub fn coord(p: &Position) -> Result<Coord<f64>, String> {
    match p.as_slice() {
        [lon, lat, ..] => {
            check_lon_lat(*lon, *lat).map_err(|e| e.to_string())?;
            Ok(Coord { x: *lon, y: *lat })
        }
        other => Err(format!("a position needs longitude and latitude, got {} number(s)", other.len())),
    }
}

/// A point geometry.
pub fn point(value: &GeometryValue) -> Result<Point<f64>, String> {
    match value {
        GeometryValue::Point { coordinates } => coord(coordinates).map(Point),
        other => Err(format!("wrong geometry type: expected Point, found {}", type_name(other))),
    }
}

fn ring(positions: &[Position], name: &str) -> Result<LineString<f64>, String> {
    let coords: Vec<Coord<f64>> = positions.iter().map(coord).collect::<Result<_, _>>()?;
    if coords.len() < 4 {
        return Err(format!("{name} has {} positions; a closed ring needs at least 4", coords.len()));
    }
    let (first, last) = (coords[0], coords[coords.len() - 1]);
    if first != last {
        return Err(format!(
            "{name} is not closed: it starts at [{}, {}] but ends at [{}, {}]",
            first.x, first.y, last.x, last.y
        ));
    }
    Ok(LineString(coords))
}

fn polygon(rings: &[Vec<Position>], name: &str) -> Result<Polygon<f64>, String> {
    let Some((exterior, holes)) = rings.split_first() else {
        return Err(format!("{name} has no rings"));
    };
    let exterior = ring(exterior, &format!("{name} exterior ring"))?;
    let holes = holes
        .iter()
        .enumerate()
        .map(|(i, h)| ring(h, &format!("{name} hole {}", i + 1)))
        .collect::<Result<_, _>>()?;
    Ok(Polygon::new(exterior, holes))
}

/// A Polygon or MultiPolygon, as a valid MultiPolygon.
pub fn polygonal(value: &GeometryValue) -> Result<MultiPolygon<f64>, String> {
    let mp = match value {
        GeometryValue::Polygon { coordinates } => MultiPolygon(vec![polygon(coordinates, "polygon")?]),
        GeometryValue::MultiPolygon { coordinates } => MultiPolygon(
            coordinates
                .iter()
                .enumerate()
                .map(|(i, p)| polygon(p, &format!("polygon {}", i + 1)))
                .collect::<Result<_, _>>()?,
        ),
        other => {
            return Err(format!(
                "wrong geometry type: expected Polygon or MultiPolygon, found {}",
                type_name(other)
            ));
        }
    };
    mp.check_validation().map_err(|e| format!("invalid polygon: {e}"))?;
    Ok(mp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> GeometryValue {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn rejects_unclosed_rings_and_wrong_types() {
        let open = parse(r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#);
        assert!(polygonal(&open).unwrap_err().contains("not closed"));
        let line = parse(r#"{"type":"LineString","coordinates":[[0,0],[1,0]]}"#);
        assert!(polygonal(&line).unwrap_err().contains("expected Polygon or MultiPolygon, found LineString"));
        assert!(point(&line).unwrap_err().contains("expected Point"));
    }

    #[test]
    fn rejects_self_intersecting_polygons() {
        let bowtie = parse(r#"{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}"#);
        assert!(polygonal(&bowtie).unwrap_err().contains("invalid polygon"));
    }

    #[test]
    fn rejects_swapped_and_out_of_range_positions() {
        assert!(
            point(&parse(r#"{"type":"Point","coordinates":[35.6,139.7]}"#)).unwrap_err().contains("swapped")
        );
        assert!(
            point(&parse(r#"{"type":"Point","coordinates":[200,95]}"#)).unwrap_err().contains("out of range")
        );
    }
}
