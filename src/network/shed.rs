//! The walk shed: every place within a given distance of the reached streets, as polygons. Works in
//! local metres.
//!
//! Computed on a raster rather than by unioning stroked lines, because the union of thousands of
//! overlapping strokes is what makes vector buffers slow:
//! 1. a grid of `cell_m` cells covers the streets plus the shed width;
//! 2. each street segment marks the cells whose centre lies within `radius_m` of it;
//! 3. marching squares traces the outline of the marked cells, through the midpoints between a marked
//!    and an unmarked centre, with the marked side on the left — so exteriors come out
//!    counter-clockwise and holes clockwise, and rings never cross;
//! 4. collinear vertices are dropped and each hole is put into the smallest exterior holding it.
//!
//! The outline lies within `cell_m / 2` of the true buffer outline.

use geo::{Area, BoundingRect, Contains, Coord, LineString, MultiPolygon, Point, Polygon};

/// Most cells a grid may have; a larger shed gets coarser cells. Edge ids (two per cell) fit a `u32`.
const MAX_CELLS: f64 = 16_000_000.0;

/// No edge follows: the end of a traced ring, or an edge the outline does not cross.
const NONE: u32 = u32::MAX;

/// The region within `radius_m` of `lines`, traced on cells of about `cell_m`.
pub fn walk_shed(lines: &[LineString<f64>], radius_m: f64, cell_m: f64) -> MultiPolygon<f64> {
    let Some(bounds) = crate::model::union_rects(lines.iter().filter_map(|l| l.bounding_rect())) else {
        return MultiPolygon::new(vec![]);
    };
    let margin = radius_m + 2.0 * cell_m;
    let (w_m, h_m) = (bounds.width() + 2.0 * margin, bounds.height() + 2.0 * margin);
    let cell = cell_m.max((w_m * h_m / MAX_CELLS).sqrt());
    let grid = Grid {
        origin: Coord { x: bounds.min().x - margin, y: bounds.min().y - margin },
        cell,
        w: (w_m / cell).ceil() as usize + 1,
        h: (h_m / cell).ceil() as usize + 1,
    };
    let mut filled = vec![false; grid.w * grid.h];
    for line in lines {
        if line.0.len() == 1 {
            grid.mark_segment(&mut filled, line.0[0], line.0[0], radius_m);
        }
        for seg in line.lines() {
            grid.mark_segment(&mut filled, seg.start, seg.end, radius_m);
        }
    }
    polygons(grid.trace(&filled))
}

struct Grid {
    origin: Coord<f64>,
    cell: f64,
    w: usize,
    h: usize,
}

impl Grid {
    /// The centre of cell (i, j).
    fn centre(&self, i: usize, j: usize) -> Coord<f64> {
        Coord {
            x: self.origin.x + (i as f64 + 0.5) * self.cell,
            y: self.origin.y + (j as f64 + 0.5) * self.cell,
        }
    }

    /// Marks the cells whose centre lies within `r` of segment `p`–`q`, row by row: the segment's
    /// capsule is convex, so a row of centres meets it in one run of cells (filled at once) instead
    /// of a distance worked out per cell of its box.
    fn mark_segment(&self, filled: &mut [bool], p: Coord<f64>, q: Coord<f64>, r: f64) {
        let capsule = Capsule::new(p, q, r);
        let rows = self.cells_between(p.y.min(q.y) - r, p.y.max(q.y) + r, self.origin.y, self.h);
        for j in rows {
            let y = self.origin.y + (j as f64 + 0.5) * self.cell;
            let Some((left, right)) = capsule.span(y) else { continue };
            let row = j * self.w;
            let cells = self.cells_between(left, right, self.origin.x, self.w);
            if !cells.is_empty() {
                filled[row + cells.start..row + cells.end].fill(true);
            }
        }
    }

    /// The cells along an axis (starting at `origin`, `count` long) whose centres lie in `low..=high`.
    fn cells_between(&self, low: f64, high: f64, origin: f64, count: usize) -> std::ops::Range<usize> {
        // Truncation toward zero, corrected: floor and ceil without a call into libm per row.
        let at = |v: f64| (v - origin) / self.cell - 0.5;
        let (first, last) = (at(low), at(high));
        let first = first as isize + ((first as isize as f64) < first) as isize;
        let last = last as isize - ((last as isize as f64) > last) as isize;
        first.clamp(0, count as isize) as usize..(last + 1).clamp(0, count as isize) as usize
    }

    /// Marching squares over cell centres: closed rings, marked side on the left.
    fn trace(&self, filled: &[bool]) -> Vec<Vec<Coord<f64>>> {
        let at = |i: usize, j: usize| filled[j * self.w + i];
        // Edge-midpoint ids: horizontal edge from centre (i, j) to (i+1, j) is 2·(j·w+i); vertical edge
        // from (i, j) to (i, j+1) is 2·(j·w+i)+1.
        let (hor, ver) =
            (|i: usize, j: usize| 2 * (j * self.w + i), |i: usize, j: usize| 2 * (j * self.w + i) + 1);
        let mut next = vec![NONE; 2 * self.w * self.h];
        for j in 0..self.h - 1 {
            for i in 0..self.w - 1 {
                let case = at(i, j) as u8
                    | (at(i + 1, j) as u8) << 1
                    | (at(i + 1, j + 1) as u8) << 2
                    | (at(i, j + 1) as u8) << 3;
                let (b, r, t, l) = (hor(i, j), ver(i + 1, j), hor(i, j + 1), ver(i, j));
                let segments: &[(usize, usize)] = match case {
                    1 => &[(b, l)],
                    2 => &[(r, b)],
                    3 => &[(r, l)],
                    4 => &[(t, r)],
                    5 => &[(b, l), (t, r)],
                    6 => &[(t, b)],
                    7 => &[(t, l)],
                    8 => &[(l, t)],
                    9 => &[(b, t)],
                    10 => &[(r, b), (l, t)],
                    11 => &[(r, t)],
                    12 => &[(l, r)],
                    13 => &[(b, r)],
                    14 => &[(l, b)],
                    _ => &[],
                };
                for &(from, to) in segments {
                    next[from] = to as u32;
                }
            }
        }
        let midpoint = |id: usize| -> Coord<f64> {
            let (cell, vertical) = (id / 2, id % 2 == 1);
            let (i, j) = (cell % self.w, cell / self.w);
            let c = self.centre(i, j);
            if vertical {
                Coord { x: c.x, y: c.y + self.cell / 2.0 }
            } else {
                Coord { x: c.x + self.cell / 2.0, y: c.y }
            }
        };
        let mut rings = Vec::new();
        for start in 0..next.len() {
            if next[start] == NONE {
                continue;
            }
            let mut ring = Vec::new();
            let mut id = start;
            while next[id] != NONE {
                ring.push(midpoint(id));
                let to = next[id] as usize;
                next[id] = NONE;
                id = to;
            }
            rings.push(drop_collinear(ring));
        }
        rings
    }
}

/// The region within `r` of a segment: its two end discs and the band between them.
struct Capsule {
    ends: [Coord<f64>; 2],
    /// The band's two long sides, `r` to either side of the segment (none for a segment of no length).
    sides: Option<[(Coord<f64>, Coord<f64>); 2]>,
    r: f64,
}

impl Capsule {
    fn new(p: Coord<f64>, q: Coord<f64>, r: f64) -> Self {
        let d = q - p;
        let len = d.x.hypot(d.y);
        let sides = (len > 0.0).then(|| {
            let n = Coord { x: -d.y / len * r, y: d.x / len * r };
            [(p + n, q + n), (p - n, q - n)]
        });
        Capsule { ends: [p, q], sides, r }
    }

    /// Where the horizontal line at `y` meets the capsule: the least and greatest x, or `None` when it
    /// misses. The band's short sides lie inside the end discs, so its long sides and the discs bound
    /// the span.
    fn span(&self, y: f64) -> Option<(f64, f64)> {
        let mut span: Option<(f64, f64)> = None;
        let mut add = |lo: f64, hi: f64| span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        for end in self.ends {
            let dy = y - end.y;
            if dy.abs() <= self.r {
                let half = (self.r * self.r - dy * dy).sqrt();
                add(end.x - half, end.x + half);
            }
        }
        for (a, b) in self.sides.iter().flatten() {
            if (a.y - y) * (b.y - y) <= 0.0 && a.y != b.y {
                let x = a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x);
                add(x, x);
            }
        }
        span
    }
}

/// Removes vertices that lie on the straight line between their neighbours, and closes the ring.
fn drop_collinear(ring: Vec<Coord<f64>>) -> Vec<Coord<f64>> {
    let n = ring.len();
    let mut out: Vec<Coord<f64>> = (0..n)
        .filter(|&k| {
            let (a, b, c) = (ring[(k + n - 1) % n], ring[k], ring[(k + 1) % n]);
            ((b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x)).abs() > 1e-9
        })
        .map(|k| ring[k])
        .collect();
    if let Some(first) = out.first().copied() {
        out.push(first);
    }
    out
}

/// Sorts rings into exteriors (counter-clockwise) and holes, and puts each hole in the smallest
/// exterior that holds it.
fn polygons(rings: Vec<Vec<Coord<f64>>>) -> MultiPolygon<f64> {
    let (mut exteriors, mut holes) = (Vec::new(), Vec::new());
    for ring in rings.into_iter().filter(|r| r.len() >= 4) {
        let ls = LineString(ring);
        let signed = Polygon::new(ls.clone(), vec![]).signed_area();
        if signed > 0.0 { exteriors.push((Polygon::new(ls, vec![]), signed)) } else { holes.push(ls) }
    }
    exteriors.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut interiors: Vec<Vec<LineString<f64>>> = vec![Vec::new(); exteriors.len()];
    for hole in holes {
        let probe = Point(hole.0[0]);
        // Rings never cross, so a lone exterior holds every hole without a test.
        let holder = if exteriors.len() == 1 {
            Some(0)
        } else {
            exteriors.iter().position(|(p, _)| p.exterior().contains(&probe) || p.contains(&probe))
        };
        if let Some(k) = holder {
            interiors[k].push(hole);
        }
    }
    MultiPolygon(
        exteriors
            .into_iter()
            .zip(interiors)
            .map(|((p, _), holes)| Polygon::new(p.into_inner().0, holes))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use geo::{Validation, wkt};

    #[test]
    fn a_straight_street_becomes_a_capsule() {
        let shed = walk_shed(&[wkt!(LINESTRING(0. 0.,100. 0.))], 50.0, 5.0);
        assert_eq!(shed.0.len(), 1);
        let capsule = 100.0 * 100.0 + std::f64::consts::PI * 50.0 * 50.0;
        assert_relative_eq!(shed.unsigned_area(), capsule, max_relative = 0.03);
        assert!(shed.is_valid());
    }

    #[test]
    fn a_block_ringed_by_streets_keeps_its_hole() {
        let block = wkt!(LINESTRING(0. 0.,400. 0.,400. 400.,0. 400.,0. 0.));
        let shed = walk_shed(&[block], 50.0, 10.0);
        assert_eq!(shed.0.len(), 1);
        assert_eq!(
            shed.0[0].interiors().len(),
            1,
            "the middle of the block is more than 50 m from any street"
        );
        let hole = Polygon::new(shed.0[0].interiors()[0].clone(), vec![]);
        assert_relative_eq!(hole.unsigned_area(), 300.0 * 300.0, max_relative = 0.05);
        assert!(
            Polygon::new(shed.0[0].exterior().clone(), vec![]).signed_area() > 0.0,
            "exterior counter-clockwise"
        );
        assert!(hole.signed_area() < 0.0, "hole clockwise");
        assert!(shed.is_valid());
    }

    proptest::proptest! {
        /// The cells marked row by row are those whose centre lies within the radius of the segment,
        /// worked out cell by cell (centres within a hair of the radius may go either way).
        #[test]
        fn a_segment_marks_the_cells_within_its_radius(
            px in 0.0..300.0f64, py in 0.0..300.0f64, qx in 0.0..300.0f64, qy in 0.0..300.0f64, r in 1.0..80.0f64,
        ) {
            let grid = Grid { origin: Coord { x: -100.0, y: -100.0 }, cell: 7.0, w: 80, h: 80 };
            let (p, q) = (Coord { x: px, y: py }, Coord { x: qx, y: qy });
            let mut filled = vec![false; grid.w * grid.h];
            grid.mark_segment(&mut filled, p, q, r);
            for j in 0..grid.h {
                for i in 0..grid.w {
                    let c = grid.centre(i, j);
                    let distance = geo::Distance::distance(&geo::Euclidean, &geo::Line::new(p, q), &Point(c));
                    if (distance - r).abs() > 1e-6 {
                        proptest::prop_assert_eq!(filled[j * grid.w + i], distance < r, "cell {} {}", i, j);
                    }
                }
            }
        }
    }

    #[test]
    fn streets_far_apart_give_separate_polygons() {
        let shed =
            walk_shed(&[wkt!(LINESTRING(0. 0.,50. 0.)), wkt!(LINESTRING(500. 0.,550. 0.))], 50.0, 10.0);
        assert_eq!(shed.0.len(), 2);
    }
}
