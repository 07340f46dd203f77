//! Geometry made ready for a tile, all in tile coordinates (0‥extent, y down): simplified for the
//! zoom, clipped to the buffered tile, snapped to integers, cleaned, and oriented for MVT 2.1.

use crate::grid::{TileTransform, to_mercator};
use geo::{
    BooleanOps, BoundingRect, Contains, Coord, CoordsIter, Intersects, LineString, MapCoords,
    MultiLineString, MultiPolygon, Point, Polygon, Rect,
};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{IntOverlayOptions, Overlay};
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::core::solver::Solver;
use i_overlay::i_float::int::point::IntPoint;
use std::borrow::Cow;

/// Simplification tolerance in tile units: a quarter of a screen pixel on a 256-px tile of 4096 units.
pub const SIMPLIFY_UNITS: f64 = 4.0;

/// How far beyond the buffered tile a polygon is cut before it is simplified and clipped. The cut
/// runs along the window's edge, and simplifying and snapping move that edge by at most
/// `SIMPLIFY_UNITS` and half a unit: four times the tolerance keeps it well outside the clip, and
/// the band between is all the clip has to cut away (a quarter tile made the clip's work three
/// times larger at z13–z14).
const CUT_MARGIN_UNITS: f64 = 4.0 * SIMPLIFY_UNITS;

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
    shaped_polygon(mp, transform, buffer, |c| transform.apply(c), |c| transform.invert(c))
}

/// A polygon projected to Web Mercator metres (EPSG:3857) once, to be shaped for many tiles: a
/// town's catchments and gaps are drawn in every tile of a view, and projecting their thousands of
/// vertices again for each tile was a tenth of a low-zoom tile's time.
#[derive(Debug, Clone)]
pub struct MercatorPolygon {
    polygon_m: MultiPolygon<f64>,
    bounds_m: Option<Rect<f64>>,
}

impl MercatorPolygon {
    /// `mp` (lon/lat, EPSG:4326) projected.
    pub fn from_lonlat(mp: &MultiPolygon<f64>) -> Self {
        let polygon_m = mp.map_coords(to_mercator);
        MercatorPolygon { bounds_m: polygon_m.bounding_rect(), polygon_m }
    }

    /// How many vertices it holds.
    pub fn coords_count(&self) -> usize {
        self.polygon_m.coords_count()
    }

    /// It as it belongs in the tile of `transform`, as [`polygon`] shapes one in lon/lat.
    pub fn in_tile(&self, transform: &TileTransform, buffer: u32) -> Option<MultiPolygon<f64>> {
        let rect = clip_rect(transform, buffer);
        let tile_m = Rect::new(transform.invert_mercator(rect.min()), transform.invert_mercator(rect.max()));
        if !self.bounds_m.is_some_and(|b| b.intersects(&tile_m)) {
            return None;
        }
        let (to_tile, from_tile) = (|c| transform.apply_mercator(c), |c| transform.invert_mercator(c));
        shaped_polygon(&self.polygon_m, transform, buffer, to_tile, from_tile)
    }
}

/// [`polygon`] of `mp` in a coordinate system that `to_tile` takes into the tile and `from_tile`
/// back.
fn shaped_polygon(
    mp: &MultiPolygon<f64>,
    transform: &TileTransform,
    buffer: u32,
    to_tile: impl Fn(Coord<f64>) -> Coord<f64>,
    from_tile: impl Fn(Coord<f64>) -> Coord<f64>,
) -> Option<MultiPolygon<f64>> {
    let rect = clip_rect(transform, buffer);
    // Only what lies near the tile is projected and simplified: a city-wide catchment has most of
    // its vertices in other tiles. The window reaches a margin beyond the buffered tile, so that
    // what the cut leaves along its edges lies outside the clip below.
    let e = CUT_MARGIN_UNITS;
    let padded = Rect::new(rect.min() - Coord { x: e, y: e }, rect.max() + Coord { x: e, y: e });
    let window = Rect::new(from_tile(padded.min()), from_tile(padded.max()));
    let in_tile_ring = |coords: &[Coord<f64>]| simplified(coords.iter().map(|c| to_tile(*c)), SIMPLIFY_UNITS);
    let near = near_window(mp, window, in_tile_ring);
    if near.is_empty() {
        return None;
    }
    let mut in_tile = MultiPolygon(near);
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

/// The parts of `mp` within `window`, each ring cut to it (Sutherland–Hodgman) and then made into
/// a ring of the tile by `in_tile`: exact inside the window, cheap, and in one pass over each ring. A
/// cut ring may run along the window's edge, even back and forth; that is outside the tile's clip.
fn near_window(
    mp: &MultiPolygon<f64>,
    window: Rect<f64>,
    in_tile: impl Fn(&[Coord<f64>]) -> LineString<f64>,
) -> Vec<Polygon<f64>> {
    let meets = |ring: &LineString<f64>| ring.bounding_rect().is_some_and(|b| b.intersects(&window));
    mp.iter()
        .filter(|p| meets(p.exterior()))
        .filter_map(|p| {
            let exterior = in_tile(&cut_ring(p.exterior(), window)?);
            let holes = p.interiors().iter().filter(|h| meets(h));
            let holes = holes.filter_map(|h| Some(in_tile(&cut_ring(h, window)?))).collect();
            Some(Polygon::new(exterior, holes))
        })
        .collect()
}

/// The closed ring `ring` cut to `window` (Sutherland–Hodgman, one side of the window after
/// another) — itself when it lies inside — or `None` when nothing with an area is left.
fn cut_ring(ring: &LineString<f64>, window: Rect<f64>) -> Option<Cow<'_, [Coord<f64>]>> {
    if ring.bounding_rect().is_some_and(|b| window.contains(&b)) {
        return Some(Cow::Borrowed(&ring.0));
    }
    let (min, max) = (window.min(), window.max());
    let mut points: Vec<Coord<f64>> = ring.0[..ring.0.len().saturating_sub(1)].to_vec();
    // Each side: whether a point is inside, and where an edge crosses the side.
    let across_x = |x: f64| {
        move |p: Coord<f64>, q: Coord<f64>| Coord { x, y: p.y + (q.y - p.y) * (x - p.x) / (q.x - p.x) }
    };
    let across_y = |y: f64| {
        move |p: Coord<f64>, q: Coord<f64>| Coord { x: p.x + (q.x - p.x) * (y - p.y) / (q.y - p.y), y }
    };
    points = cut_by(&points, |c| c.x >= min.x, across_x(min.x));
    points = cut_by(&points, |c| c.x <= max.x, across_x(max.x));
    points = cut_by(&points, |c| c.y >= min.y, across_y(min.y));
    points = cut_by(&points, |c| c.y <= max.y, across_y(max.y));
    if points.len() < 3 {
        return None;
    }
    points.push(points[0]);
    Some(Cow::Owned(points))
}

/// One Sutherland–Hodgman step: the ring `points` (not closed) kept where `inside`, with the
/// crossings of its edges with the side put in.
fn cut_by(
    points: &[Coord<f64>],
    inside: impl Fn(Coord<f64>) -> bool,
    crossing: impl Fn(Coord<f64>, Coord<f64>) -> Coord<f64>,
) -> Vec<Coord<f64>> {
    let mut out = Vec::with_capacity(points.len());
    for (k, &here) in points.iter().enumerate() {
        let before = points[(k + points.len() - 1) % points.len()];
        match (inside(before), inside(here)) {
            (true, true) => out.push(here),
            (true, false) => out.push(crossing(before, here)),
            (false, true) => {
                out.push(crossing(before, here));
                out.push(here);
            }
            (false, false) => {}
        }
    }
    out
}

/// `line` simplified (Ramer–Douglas–Peucker, ends kept): a vertex stays when it lies farther than
/// `tolerance` from the segment between the vertices kept around it. Distances are compared squared,
/// so a tile's thousands of vertices cost no square root each.
fn simplified(line: impl Iterator<Item = Coord<f64>>, tolerance: f64) -> LineString<f64> {
    let coords: Vec<Coord<f64>> = line.collect();
    if coords.len() < 3 {
        return LineString(coords);
    }
    let mut keep = vec![false; coords.len()];
    (keep[0], keep[coords.len() - 1]) = (true, true);
    let mut spans = vec![(0, coords.len() - 1)];
    while let Some((first, last)) = spans.pop() {
        let (a, b) = (coords[first], coords[last]);
        let (farthest, distance2) = (first + 1..last)
            .map(|k| (k, segment_distance2(coords[k], a, b)))
            .fold((first, 0.0), |best, next| if next.1 > best.1 { next } else { best });
        if distance2 > tolerance * tolerance {
            keep[farthest] = true;
            spans.extend([(first, farthest), (farthest, last)]);
        }
    }
    LineString(coords.into_iter().zip(keep).filter_map(|(c, kept)| kept.then_some(c)).collect())
}

/// The squared distance from `p` to the segment `a`–`b`.
fn segment_distance2(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (d, ap) = (b - a, p - a);
    let length2 = d.x * d.x + d.y * d.y;
    let t = if length2 > 0.0 { ((ap.x * d.x + ap.y * d.y) / length2).clamp(0.0, 1.0) } else { 0.0 };
    let off = ap - d * t;
    off.x * off.x + off.y * off.y
}

/// A (multi)line in lon/lat as it belongs in the tile.
pub fn line(
    ml: &MultiLineString<f64>,
    transform: &TileTransform,
    buffer: u32,
) -> Option<MultiLineString<f64>> {
    let in_tile = MultiLineString(
        ml.iter().map(|l| simplified(l.coords().map(|c| transform.apply(*c)), SIMPLIFY_UNITS)).collect(),
    );
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
    use geo::{Area, MapCoords, wkt};

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

    /// A wavy polygon three tiles across with a hole 1.2 tiles off its centre, at seven places around
    /// the tile: what the tile shows of it (cut near the tile first) has the area and the holes geo's
    /// own intersection of the whole projected polygon with the clip gives.
    #[test]
    fn a_polygon_cut_near_the_tile_shows_what_the_whole_polygon_shows() {
        let tile = TileId::new(14, 14550, 6465).unwrap();
        let tr = TileTransform::new(tile, EXTENT);
        let b = tile.bounds_lonlat();
        let ring = |centre: Coord<f64>, radius: f64, waves: f64| {
            let points = (0..=400).map(|k| {
                let a = f64::from(k % 400) / 400.0 * std::f64::consts::TAU;
                let r = radius * (1.0 + 0.15 * (waves * a).sin());
                (centre.x + r * b.width() * a.cos(), centre.y + r * b.height() * a.sin())
            });
            LineString::from(points.collect::<Vec<_>>())
        };
        let inner = Rect::new(
            Coord { x: 1.0 - BUFFER as f64, y: 1.0 - BUFFER as f64 },
            Coord { x: (EXTENT + BUFFER) as f64 - 1.0, y: (EXTENT + BUFFER) as f64 - 1.0 },
        );
        // Centred on the tile, and shifted so that its waves cross each edge and corner of the tile.
        for (dx, dy) in
            [(0.0, 0.0), (1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0), (1.0, 1.0), (-1.0, -1.0)]
        {
            let centre = Coord { x: b.center().x + dx * b.width(), y: b.center().y + dy * b.height() };
            let far = Coord { x: centre.x + 1.2 * b.width(), y: centre.y };
            let wavy = MultiPolygon(vec![Polygon::new(ring(centre, 1.5, 9.0), vec![ring(far, 0.2, 3.0)])]);
            let shown = polygon(&wavy, &tr, BUFFER).unwrap();
            let whole = wavy.map_coords(|c| tr.apply(c)).intersection(&inner.to_polygon());
            approx::assert_relative_eq!(shown.unsigned_area(), whole.unsigned_area(), max_relative = 0.01);
            let holes = whole.0.iter().map(|p| p.interiors().len()).sum::<usize>();
            assert_eq!(
                shown.0.iter().map(|p| p.interiors().len()).sum::<usize>(),
                holes,
                "shifted {dx}, {dy}"
            );
        }
    }

    /// A wavy ring with a hole, three tiles across, projected once: each tile it reaches shows the
    /// same as when it is shaped from lon/lat, and a tile beyond it shows nothing.
    #[test]
    fn a_polygon_projected_once_shows_in_each_tile_what_it_shows_from_lonlat() {
        let tile = TileId::new(14, 14550, 6465).unwrap();
        let b = tile.bounds_lonlat();
        let ring = |radius: f64| {
            let points = (0..=400).map(|k| {
                let a = f64::from(k % 400) / 400.0 * std::f64::consts::TAU;
                let r = radius * (1.0 + 0.15 * (9.0 * a).sin());
                (b.center().x + r * b.width() * a.cos(), b.center().y + r * b.height() * a.sin())
            });
            LineString::from(points.collect::<Vec<_>>())
        };
        let lonlat = MultiPolygon(vec![Polygon::new(ring(1.5), vec![ring(0.3)])]);
        let projected = MercatorPolygon::from_lonlat(&lonlat);
        assert_eq!(projected.coords_count(), 802);
        for (x, y) in [(14549, 6464), (14550, 6465), (14551, 6465), (14550, 6467), (14548, 6465)] {
            let tr = TileTransform::new(TileId::new(14, x, y).unwrap(), EXTENT);
            let shown = projected.in_tile(&tr, BUFFER);
            assert!(shown.is_some(), "tile {x}/{y} shows part of the ring");
            assert_eq!(shown, polygon(&lonlat, &tr, BUFFER), "tile {x}/{y}");
        }
        let far = TileTransform::new(TileId::new(14, 14560, 6465).unwrap(), EXTENT);
        assert_eq!(projected.in_tile(&far, BUFFER), None);
    }

    proptest::proptest! {
        /// The squared-distance simplification keeps the vertices geo's Ramer–Douglas–Peucker keeps.
        #[test]
        fn simplification_keeps_what_geo_keeps(
            points in proptest::collection::vec((0.0..4096.0f64, 0.0..4096.0f64), 2..60),
            tolerance in 0.5..64.0f64,
        ) {
            use geo::Simplify;
            let line = LineString::from(points);
            let ours = simplified(line.coords().copied(), tolerance);
            proptest::prop_assert_eq!(ours, line.simplify(tolerance));
        }
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
