//! Geometry made ready for a tile, all in tile coordinates (0‥extent, y down): simplified for the
//! zoom, clipped to the buffered tile, snapped to integers, cleaned, and oriented for MVT 2.1.

use crate::grid::TileTransform;
use geo::{
    BooleanOps, BoundingRect, Coord, Intersects, LineString, MapCoords, MultiLineString, MultiPolygon, Point,
    Polygon, Rect, Simplify,
};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{IntOverlayOptions, Overlay};
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::core::solver::Solver;
use i_overlay::i_float::int::point::IntPoint;

/// Simplification tolerance in tile units: a quarter of a screen pixel on a 256-px tile of 4096 units.
pub const SIMPLIFY_UNITS: f64 = 4.0;

fn clip_rect(transform: &TileTransform, buffer: u32) -> Rect<f64> {
    let b = buffer as f64;
    let e = transform.extent as f64;
    Rect::new(Coord { x: -b, y: -b }, Coord { x: e + b, y: e + b })
}

fn snap(c: Coord<f64>) -> Coord<f64> {
    Coord { x: c.x.round(), y: c.y.round() }
}

fn dedupe(coords: impl Iterator<Item = Coord<f64>>) -> Vec<Coord<f64>> {
    let mut out: Vec<Coord<f64>> = Vec::new();
    for c in coords {
        if out.last() != Some(&c) {
            out.push(c);
        }
    }
    out
}

/// Twice the signed area of a ring in tile coordinates; positive means clockwise on screen (y down).
pub fn signed_area2(ring: &[Coord<f64>]) -> f64 {
    ring.windows(2).map(|w| w[0].x * w[1].y - w[1].x * w[0].y).sum()
}

/// A closed ring snapped to integers, or `None` when nothing with an area is left.
fn clean_ring(ring: &LineString<f64>, exterior: bool) -> Option<LineString<f64>> {
    let mut coords = dedupe(ring.coords().map(|c| snap(*c)));
    if coords.first() != coords.last() {
        coords.push(coords[0]);
    }
    if coords.len() < 4 {
        return None;
    }
    let area = signed_area2(&coords);
    if area == 0.0 {
        return None;
    }
    // MVT 2.1: exterior rings have positive area in tile coordinates, interior rings negative.
    if (area > 0.0) != exterior {
        coords.reverse();
    }
    Some(LineString(coords))
}

/// Coordinates beyond this many tile units are cut away in floating point before the integer step.
const INT_LIMIT: f64 = (1 << 24) as f64;

fn int_ring(ring: &LineString<f64>) -> Vec<IntPoint> {
    let mut out: Vec<IntPoint> = Vec::with_capacity(ring.0.len());
    for c in ring.coords() {
        let p = IntPoint::new(c.x.round() as i32, c.y.round() as i32);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    if out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

/// A (multi)polygon in lon/lat (EPSG:4326) as it belongs in the tile, or `None` when nothing of it
/// shows.
///
/// Vertices are snapped to the integer grid *before* clipping, and the clip is an integer boolean
/// operation with OGC-valid output: snapping after a floating-point clip can fold a ring onto
/// itself, while the integer overlay resolves every crossing and touching ring it meets.
pub fn polygon(mp: &MultiPolygon<f64>, transform: &TileTransform, buffer: u32) -> Option<MultiPolygon<f64>> {
    let rect = clip_rect(transform, buffer);
    // Only the parts that reach the tile are projected and simplified.
    let window = Rect::new(transform.invert(rect.min()), transform.invert(rect.max()));
    let near: Vec<Polygon<f64>> =
        mp.iter().filter(|p| p.bounding_rect().is_some_and(|b| b.intersects(&window))).cloned().collect();
    if near.is_empty() {
        return None;
    }
    let mut in_tile = MultiPolygon(near).map_coords(|c| transform.apply(c)).simplify(SIMPLIFY_UNITS);
    let huge = in_tile.bounding_rect().is_some_and(|r| {
        r.min().x.abs().max(r.max().x.abs()).max(r.min().y.abs()).max(r.max().y.abs()) > INT_LIMIT
    });
    if huge {
        // A polygon much larger than the tile: cut it down to a generous window first.
        let e = transform.extent as f64;
        in_tile = in_tile
            .intersection(&Rect::new(Coord { x: -e, y: -e }, Coord { x: 2.0 * e, y: 2.0 * e }).to_polygon());
    }
    let subject: Vec<Vec<IntPoint>> = in_tile
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(int_ring)
        .filter(|r| r.len() >= 3)
        .collect();
    if subject.is_empty() {
        return None;
    }
    // Crossings with the clip edge are rounded to the grid and may land one unit outside it, so the
    // clip edge runs one unit inside the buffer.
    let inner = Rect::new(rect.min() + Coord { x: 1.0, y: 1.0 }, rect.max() - Coord { x: 1.0, y: 1.0 });
    let clip = vec![int_ring(&inner.to_polygon().into_inner().0)];
    let shapes = Overlay::with_contours_custom(&subject, &clip, IntOverlayOptions::ogc(), Solver::default())
        .overlay(OverlayRule::Intersect, FillRule::EvenOdd);
    let polygons: Vec<Polygon<f64>> = shapes
        .into_iter()
        .filter_map(|shape| {
            let mut rings = shape
                .into_iter()
                .map(|c| LineString(c.iter().map(|p| Coord { x: p.x as f64, y: p.y as f64 }).collect()));
            let exterior = clean_ring(&rings.next()?, true)?;
            let holes = rings.filter_map(|h| clean_ring(&h, false)).collect();
            Some(Polygon::new(exterior, holes))
        })
        .collect();
    (!polygons.is_empty()).then_some(MultiPolygon(polygons))
}

/// A (multi)line in lon/lat as it belongs in the tile.
pub fn line(
    ml: &MultiLineString<f64>,
    transform: &TileTransform,
    buffer: u32,
) -> Option<MultiLineString<f64>> {
    let in_tile = ml.map_coords(|c| transform.apply(c)).simplify(SIMPLIFY_UNITS);
    let clipped = clip_rect(transform, buffer).to_polygon().clip(&in_tile, false);
    let lines: Vec<LineString<f64>> = clipped
        .into_iter()
        .map(|l| dedupe(l.coords().map(|c| snap(*c))))
        .filter(|coords| coords.len() >= 2)
        .map(LineString)
        .collect();
    (!lines.is_empty()).then_some(MultiLineString(lines))
}

/// A point in lon/lat, if it falls in the buffered tile.
pub fn point(p: Point<f64>, transform: &TileTransform, buffer: u32) -> Option<Point<f64>> {
    let c = snap(transform.apply(p.0));
    let r = clip_rect(transform, buffer);
    (c.x >= r.min().x && c.x <= r.max().x && c.y >= r.min().y && c.y <= r.max().y).then_some(Point(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BUFFER, EXTENT, TileId};
    use geo::wkt;

    #[test]
    fn polygons_are_clipped_and_oriented_for_mvt() {
        let tile = TileId::new(14, 14550, 6465).unwrap();
        let tr = TileTransform::new(tile, EXTENT);
        // A square much larger than the tile, with a hole inside the tile; written counter-clockwise.
        let b = tile.bounds_lonlat();
        let (w, h) = (b.width(), b.height());
        let (x0, y0) = (b.min().x, b.min().y);
        let big = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (x0 - w, y0 - h),
                (x0 + 2.0 * w, y0 - h),
                (x0 + 2.0 * w, y0 + 2.0 * h),
                (x0 - w, y0 + 2.0 * h),
                (x0 - w, y0 - h),
            ]),
            vec![LineString::from(vec![
                (x0 + 0.4 * w, y0 + 0.4 * h),
                (x0 + 0.6 * w, y0 + 0.4 * h),
                (x0 + 0.6 * w, y0 + 0.6 * h),
                (x0 + 0.4 * w, y0 + 0.6 * h),
                (x0 + 0.4 * w, y0 + 0.4 * h),
            ])],
        )]);
        let shaped = polygon(&big, &tr, BUFFER).unwrap();
        let p = &shaped.0[0];
        let ext: Vec<Coord<f64>> = p.exterior().coords().copied().collect();
        assert!(signed_area2(&ext) > 0.0, "exterior clockwise on screen");
        assert!(ext.iter().all(|c| c.x >= -(BUFFER as f64) && c.x <= (EXTENT + BUFFER) as f64));
        assert_eq!(p.interiors().len(), 1);
        assert!(signed_area2(&p.interiors()[0].0) < 0.0, "hole the other way");
    }

    #[test]
    fn tiny_polygons_vanish_instead_of_becoming_zero_area_rings() {
        let tr = TileTransform::new(TileId::new(10, 909, 403).unwrap(), EXTENT);
        let b = TileId::new(10, 909, 403).unwrap().bounds_lonlat();
        let (x, y) = (b.center().x, b.center().y);
        let speck = wkt!(MULTIPOLYGON(((0. 0.,0.0000001 0.,0.0000001 0.0000001,0. 0.))));
        let speck = speck.map_coords(|c| Coord { x: c.x + x, y: c.y + y });
        assert_eq!(polygon(&speck, &tr, BUFFER), None);
    }

    #[test]
    fn lines_are_cut_at_the_buffer() {
        let tile = TileId::new(14, 14550, 6465).unwrap();
        let tr = TileTransform::new(tile, EXTENT);
        let b = tile.bounds_lonlat();
        let across = MultiLineString(vec![LineString::from(vec![
            (b.min().x - b.width(), b.center().y),
            (b.max().x + b.width(), b.center().y),
        ])]);
        let shaped = line(&across, &tr, BUFFER).unwrap();
        let xs: Vec<f64> = shaped.0[0].coords().map(|c| c.x).collect();
        assert_eq!(xs.iter().cloned().fold(f64::MAX, f64::min), -(BUFFER as f64));
        assert_eq!(xs.iter().cloned().fold(f64::MIN, f64::max), (EXTENT + BUFFER) as f64);
    }
}
