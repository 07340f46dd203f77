//! The walk shed: every place within a given distance of the reached streets, as polygons. Works in
//! local metres.
//!
//! Computed on a raster rather than by unioning stroked lines, because the union of thousands of
//! overlapping strokes is what makes vector buffers slow:
//! 1. a grid of `cell_m` cells covers the streets plus the shed width;
//! 2. each street segment marks the cells whose centre lies within `radius_m` of it, row by row, unless
//!    every cell of its box is marked already; a large shed's rows are shared between two threads;
//! 3. marching squares traces the outline of the marked cells, through the midpoints between a marked
//!    and an unmarked centre, with the marked side on the left — so exteriors come out
//!    counter-clockwise and holes clockwise, and rings never cross;
//! 4. collinear vertices are dropped and each hole is put into the smallest exterior holding it.
//!
//! The outline lies within `cell_m / 2` of the true buffer outline.

use super::pieces::Pieces;
use super::spare::Spare;
use geo::{Area, BoundingRect, Contains, Coord, Line, LineString, MultiPolygon, Point, Polygon};

/// Most cells a grid may have; a larger shed gets coarser cells. Edge ids (two per cell) fit a `u32`.
const MAX_CELLS: f64 = 16_000_000.0;

/// Segments from which a shed is marked by two threads: below, handing half over costs more than
/// it saves.
const SEGMENTS_FOR_TWO_THREADS: usize = 1_000;

/// No edge follows: the end of a traced ring, or an edge the outline does not cross.
const NONE: u32 = u32::MAX;

/// The outline links of finished sheds, every entry back at [`NONE`] (tracing a ring resets each
/// link it follows), so a shed never fills an array the size of its whole grid: a few, each at most
/// 8 MB (a grid of a million cells, eight kilometres across at 8 m); larger ones are allocated and
/// freed each time.
static SPARE_LINKS: Spare<u32> = Spare::new(4, 2_000_000);

/// The region within `radius_m` of `lines`, traced on cells of about `cell_m`.
pub fn walk_shed(lines: &Pieces, radius_m: f64, cell_m: f64) -> MultiPolygon<f64> {
    let Some(bounds) = lines.bounds() else {
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
    let mut cells = Cells::new(grid.w, grid.h);
    grid.mark(&mut cells, lines, radius_m);
    polygons(grid.trace(&cells))
}

/// Marked cells, a bit each, row by row; a row takes whole 64-bit words.
struct Cells {
    bits: Vec<u64>,
    words_per_row: usize,
}

impl Cells {
    fn new(w: usize, h: usize) -> Self {
        let words_per_row = w.div_ceil(64);
        Cells { bits: vec![0; words_per_row * h], words_per_row }
    }

    fn row(&self, j: usize) -> &[u64] {
        &self.bits[j * self.words_per_row..(j + 1) * self.words_per_row]
    }

    fn get(&self, i: usize, j: usize) -> bool {
        self.row(j)[i / 64] >> (i % 64) & 1 == 1
    }

    /// All rows, to mark.
    fn all(&mut self) -> Band<'_> {
        let rows = 0..self.bits.len() / self.words_per_row;
        Band { bits: &mut self.bits, words_per_row: self.words_per_row, rows }
    }

    /// The rows below `row` and the rest, to mark at once.
    fn split_at(&mut self, row: usize) -> (Band<'_>, Band<'_>) {
        let h = self.bits.len() / self.words_per_row;
        let (below, above) = self.bits.split_at_mut(row * self.words_per_row);
        let words_per_row = self.words_per_row;
        (Band { bits: below, words_per_row, rows: 0..row }, Band { bits: above, words_per_row, rows: row..h })
    }

    /// The bits of row `j` from cell `64·k + 1` on: bit `b` tells whether cell `64·k + b + 1` is marked.
    fn shifted(&self, j: usize, k: usize) -> u64 {
        let row = self.row(j);
        row[k] >> 1 | row.get(k + 1).map_or(0, |next| next << 63)
    }
}

/// Consecutive rows of a grid's cells, for one thread to mark.
struct Band<'a> {
    bits: &'a mut [u64],
    words_per_row: usize,
    rows: std::ops::Range<usize>,
}

impl Band<'_> {
    /// Whether cells `i` of row `j` (a row of this band) are all marked. Its word masks are those of
    /// [`Band::fill`], written out in both: this test runs for every row of every segment, and a
    /// shared helper measured 15 % slower.
    fn all_marked(&self, j: usize, i: std::ops::Range<usize>) -> bool {
        if i.is_empty() {
            return true;
        }
        let at = (j - self.rows.start) * self.words_per_row;
        let row = &self.bits[at..at + self.words_per_row];
        let (first, last) = (i.start, i.end - 1);
        let (from_first, to_last) = (!0u64 << (first % 64), !0u64 >> (63 - last % 64));
        if first / 64 == last / 64 {
            let mask = from_first & to_last;
            row[first / 64] & mask == mask
        } else {
            row[first / 64] & from_first == from_first
                && row[first / 64 + 1..last / 64].iter().all(|w| *w == !0)
                && row[last / 64] & to_last == to_last
        }
    }

    /// Marks cells `i` of row `j` (a row of this band).
    fn fill(&mut self, j: usize, i: std::ops::Range<usize>) {
        if i.is_empty() {
            return;
        }
        let at = (j - self.rows.start) * self.words_per_row;
        let row = &mut self.bits[at..at + self.words_per_row];
        let (first, last) = (i.start, i.end - 1);
        let (from_first, to_last) = (!0u64 << (first % 64), !0u64 >> (63 - last % 64));
        if first / 64 == last / 64 {
            row[first / 64] |= from_first & to_last;
        } else {
            row[first / 64] |= from_first;
            row[first / 64 + 1..last / 64].fill(!0);
            row[last / 64] |= to_last;
        }
    }
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

    /// Marks the cells whose centre lies within `r` of `lines`. A large shed is marked by two threads,
    /// each taking the rows on its side of a row with about as many segments' middles below as above
    /// (a thread skips the segments that stay on the other side).
    fn mark(&self, cells: &mut Cells, lines: &Pieces, r: f64) {
        let segments: Vec<Line<f64>> = lines.segments().collect();
        // Every other segment first, then the rest: in a dense network many of the rest then lie
        // wholly within what the first half marked, and a look at their box passes them over.
        let in_order = || segments.iter().step_by(2).chain(segments.iter().skip(1).step_by(2));
        let mark_band = |mut band: Band<'_>| {
            for segment in in_order() {
                self.mark_segment(&mut band, segment.start, segment.end, r);
            }
        };
        if segments.len() < SEGMENTS_FOR_TWO_THREADS {
            return mark_band(cells.all());
        }
        let (below, above) = cells.split_at(self.middle_row(&segments));
        crate::halves::join(|| mark_band(below), || mark_band(above));
    }

    /// The row with about as many segments' middles below it as above.
    fn middle_row(&self, segments: &[Line<f64>]) -> usize {
        let mut per_row = vec![0u32; self.h];
        for segment in segments {
            let y = (segment.start.y + segment.end.y) / 2.0;
            per_row[(((y - self.origin.y) / self.cell) as usize).min(self.h - 1)] += 1;
        }
        let half = per_row.iter().sum::<u32>() / 2;
        let mut below = 0;
        per_row
            .iter()
            .position(|&n| {
                below += n;
                below > half
            })
            .unwrap_or(self.h / 2)
    }

    /// Marks the cells of `band` whose centre lies within `r` of segment `p`–`q`, row by row: the
    /// segment's capsule is convex, so a row of centres meets it in one run of cells (filled at once)
    /// instead of a distance worked out per cell of its box. Works in cell units, centre of cell
    /// (i, j) at (i, j), so that a row costs no division. A segment whose whole box is marked
    /// already is passed over.
    fn mark_segment(&self, band: &mut Band<'_>, p: Coord<f64>, q: Coord<f64>, r: f64) {
        let per_m = 1.0 / self.cell;
        let to_cells = |c: Coord<f64>| Coord {
            x: (c.x - self.origin.x) * per_m - 0.5,
            y: (c.y - self.origin.y) * per_m - 0.5,
        };
        let (p, q, r) = (to_cells(p), to_cells(q), r * per_m);
        let (p, q) = if p.y <= q.y { (p, q) } else { (q, p) };
        // Every row from the lower disc's foot to the upper disc's top meets the (connected) capsule.
        let rows = cells_between(p.y - r, q.y + r, self.h);
        let rows = rows.start.max(band.rows.start)..rows.end.min(band.rows.end);
        if rows.is_empty() {
            return;
        }
        let columns = cells_between(p.x.min(q.x) - r, p.x.max(q.x) + r, self.w);
        if rows.clone().all(|j| band.all_marked(j, columns.clone())) {
            return;
        }
        let capsule = Capsule::new(p, q, r);
        for j in rows {
            let (left, right) = capsule.span(j as f64);
            band.fill(j, cells_between(left, right, self.w));
        }
    }

    /// Marching squares over cell centres: closed rings, marked side on the left. Only the squares
    /// with both marked and unmarked corners are visited, found 64 at a time from the rows' words.
    fn trace(&self, cells: &Cells) -> Vec<Vec<Coord<f64>>> {
        let edges = 2 * self.w * self.h;
        let mut next = SPARE_LINKS.take();
        if next.len() < edges {
            next.resize(edges, NONE);
        }
        let mut starts = Vec::new();
        for j in 0..self.h - 1 {
            for k in 0..cells.words_per_row {
                let (below, above) = (cells.row(j)[k], cells.row(j + 1)[k]);
                let (below_right, above_right) = (cells.shifted(j, k), cells.shifted(j + 1, k));
                let mut mixed = (below | above | below_right | above_right)
                    & !(below & above & below_right & above_right);
                while mixed != 0 {
                    let i = 64 * k + mixed.trailing_zeros() as usize;
                    mixed &= mixed - 1;
                    self.link_square(cells, i, j, &mut next, &mut starts);
                }
            }
        }
        let rings = self.follow(&mut next, &starts);
        SPARE_LINKS.give_back(next);
        rings
    }

    /// Links the outline's pieces through the square of centres (i, j)…(i+1, j+1), recording each
    /// edge it leaves from in `starts`.
    fn link_square(&self, cells: &Cells, i: usize, j: usize, next: &mut [u32], starts: &mut Vec<usize>) {
        let case = cells.get(i, j) as u8
            | (cells.get(i + 1, j) as u8) << 1
            | (cells.get(i + 1, j + 1) as u8) << 2
            | (cells.get(i, j + 1) as u8) << 3;
        // Edge-midpoint ids: the horizontal edge from centre (i, j) to (i+1, j) is 2·(j·w+i); the
        // vertical edge from (i, j) to (i, j+1) is 2·(j·w+i)+1.
        let (hor, ver) =
            (|i: usize, j: usize| 2 * (j * self.w + i), |i: usize, j: usize| 2 * (j * self.w + i) + 1);
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
            starts.push(from);
        }
    }

    /// Follows the links from each start into closed rings, putting every link followed back to
    /// [`NONE`].
    fn follow(&self, next: &mut [u32], starts: &[usize]) -> Vec<Vec<Coord<f64>>> {
        let midpoint = |id: usize| -> Coord<f64> {
            let (cell, vertical) = (id / 2, id % 2 == 1);
            let c = self.centre(cell % self.w, cell / self.w);
            if vertical {
                Coord { x: c.x, y: c.y + self.cell / 2.0 }
            } else {
                Coord { x: c.x + self.cell / 2.0, y: c.y }
            }
        };
        let mut rings = Vec::new();
        for &start in starts {
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

/// The cells `0..count` along an axis, in cell units, from `low` to `high` inclusive.
fn cells_between(low: f64, high: f64, count: usize) -> std::ops::Range<usize> {
    let (first, last) = (-floor(-low), floor(high));
    first.clamp(0, count as i64) as usize..(last + 1).clamp(0, count as i64) as usize
}

/// `x` rounded down, for values within a grid's reach: a truncation after a shift that makes every
/// such value positive (a call into libm per row is what it saves). Grids have at most 16 million
/// cells, so values lie well within the shift, where it is exact to a few billionths of a cell.
fn floor(x: f64) -> i64 {
    const SHIFT: f64 = (1u64 << 26) as f64;
    (x + SHIFT) as i64 - SHIFT as i64
}

/// The region within `r` of a segment from `low` to `high` (`low.y <= high.y`): its two end discs and
/// the band between them. Its left outline runs up the lower disc's arc, along the band's left side,
/// then up the upper disc's arc, and so does its right outline on the other side; so each row's span
/// takes one arc or one side per end instead of the two discs and both sides.
struct Capsule {
    low: Coord<f64>,
    high: Coord<f64>,
    r_squared: f64,
    /// The band's left side (`r` to the left of the segment, seen from `low`) and its right side.
    left: Side,
    right: Side,
}

/// A long side of a capsule's band: from its lower end `start` up to `y_high`, `x_per_y` along the
/// way. Below `start` the outline is the lower disc's arc, above `y_high` the upper disc's.
struct Side {
    start: Coord<f64>,
    y_high: f64,
    x_per_y: f64,
}

impl Side {
    /// The side `offset` from the segment `low`–`high`.
    fn new(low: Coord<f64>, high: Coord<f64>, offset: Coord<f64>, x_per_y: f64) -> Self {
        let (start, end) = (low + offset, high + offset);
        Side { start, y_high: end.y, x_per_y }
    }
}

impl Capsule {
    fn new(low: Coord<f64>, high: Coord<f64>, r: f64) -> Self {
        let d = high - low;
        let len = (d.x * d.x + d.y * d.y).sqrt();
        // `n` points to the left of low → high; as low.y <= high.y, left is towards −x.
        let n = if len > 0.0 {
            let r_per_len = r / len;
            Coord { x: -d.y * r_per_len, y: d.x * r_per_len }
        } else {
            Coord::zero()
        };
        // Both sides run parallel to the segment. A horizontal side (a horizontal segment's, or a
        // point's) meets one row at most, where both discs reach as far as it does: its slope is
        // never used.
        let x_per_y = if d.y > 0.0 { d.x / d.y } else { 0.0 };
        Capsule {
            low,
            high,
            r_squared: r * r,
            left: Side::new(low, high, n, x_per_y),
            right: Side::new(low, high, -n, x_per_y),
        }
    }

    /// Half the width of the disc around `centre` on the horizontal line at `y` (zero where the line
    /// only grazes it, or misses it by a rounding error).
    fn half_chord(&self, centre: Coord<f64>, y: f64) -> f64 {
        let dy = y - centre.y;
        (self.r_squared - dy * dy).max(0.0).sqrt()
    }

    /// Where the outline of one side (`sign` −1 for the left, +1 for the right) meets the horizontal
    /// line at `y`, between the lower disc's foot and the upper disc's top.
    fn outline(&self, side: &Side, sign: f64, y: f64) -> f64 {
        if y < side.start.y {
            self.low.x + sign * self.half_chord(self.low, y)
        } else if y > side.y_high {
            self.high.x + sign * self.half_chord(self.high, y)
        } else if side.y_high > side.start.y {
            side.start.x + (y - side.start.y) * side.x_per_y
        } else {
            // On a horizontal side: both discs reach the row; the farther one is the outline.
            let (a, b) = (
                self.low.x + sign * self.half_chord(self.low, y),
                self.high.x + sign * self.half_chord(self.high, y),
            );
            if (a - b) * sign > 0.0 { a } else { b }
        }
    }

    /// Where the horizontal line at `y` (between the lower disc's foot and the upper disc's top) meets
    /// the capsule: the least and greatest x.
    fn span(&self, y: f64) -> (f64, f64) {
        (self.outline(&self.left, -1.0, y), self.outline(&self.right, 1.0, y))
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
        let alone = Polygon::new(LineString(ring), vec![]);
        let signed = alone.signed_area();
        let (ring, _) = alone.into_inner();
        if signed > 0.0 { exteriors.push((signed, ring.bounding_rect(), ring)) } else { holes.push(ring) }
    }
    exteriors.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut interiors: Vec<Vec<LineString<f64>>> = vec![Vec::new(); exteriors.len()];
    for hole in holes {
        let probe = Point(hole.0[0]);
        // Rings never cross, so a lone exterior holds every hole without a test.
        let holder = if exteriors.len() == 1 {
            Some(0)
        } else {
            exteriors.iter().position(|(_, bounds, ring)| {
                bounds.is_some_and(|b| b.contains(&probe))
                    && Polygon::new(ring.clone(), vec![]).contains(&probe)
            })
        };
        if let Some(k) = holder {
            interiors[k].push(hole);
        }
    }
    MultiPolygon(
        exteriors.into_iter().zip(interiors).map(|((_, _, ring), holes)| Polygon::new(ring, holes)).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use geo::{Validation, wkt};

    fn pieces(lines: &[LineString<f64>]) -> Pieces {
        let mut pieces = Pieces::default();
        for line in lines {
            pieces.push(&line.0);
        }
        pieces
    }

    #[test]
    fn a_straight_street_becomes_a_capsule() {
        let shed = walk_shed(&pieces(&[wkt!(LINESTRING(0. 0.,100. 0.))]), 50.0, 5.0);
        assert_eq!(shed.0.len(), 1);
        let capsule = 100.0 * 100.0 + std::f64::consts::PI * 50.0 * 50.0;
        assert_relative_eq!(shed.unsigned_area(), capsule, max_relative = 0.03);
        assert!(shed.is_valid());
    }

    #[test]
    fn a_block_ringed_by_streets_keeps_its_hole() {
        let block = wkt!(LINESTRING(0. 0.,400. 0.,400. 400.,0. 400.,0. 0.));
        let shed = walk_shed(&pieces(&[block]), 50.0, 10.0);
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

    /// The first cell of `cells` marked otherwise than whether its centre lies within `r` of
    /// `segments`, worked out cell by cell (centres within a hair of the radius may go either way).
    fn cell_marked_wrongly(
        grid: &Grid,
        cells: &Cells,
        segments: &[Line<f64>],
        r: f64,
    ) -> Option<(usize, usize)> {
        let within = |i, j| {
            let c = Point(grid.centre(i, j));
            let distance = segments
                .iter()
                .map(|s| geo::Distance::distance(&geo::Euclidean, s, &c))
                .fold(f64::INFINITY, f64::min);
            ((distance - r).abs() > 1e-6).then_some(distance < r)
        };
        (0..grid.h)
            .flat_map(|j| (0..grid.w).map(move |i| (i, j)))
            .find(|&(i, j)| within(i, j).is_some_and(|within| within != cells.get(i, j)))
    }

    #[test]
    fn level_upright_and_pointlike_segments_mark_their_capsule_whichever_way_they_run() {
        let grid = Grid { origin: Coord { x: -100.0, y: -100.0 }, cell: 7.0, w: 60, h: 60 };
        let (a, b) = (Coord { x: 10.0, y: 20.0 }, Coord { x: 90.0, y: 20.0 });
        let (c, d) = (Coord { x: 30.0, y: -40.0 }, Coord { x: 30.0, y: 80.0 });
        for (p, q) in [(a, b), (b, a), (c, d), (d, c), (a, a)] {
            let mut cells = Cells::new(grid.w, grid.h);
            grid.mark_segment(&mut cells.all(), p, q, 33.0);
            assert_eq!(cell_marked_wrongly(&grid, &cells, &[Line::new(p, q)], 33.0), None);
        }
    }

    #[test]
    fn a_shed_marked_by_two_threads_is_the_shed_marked_by_one() {
        let grid = Grid { origin: Coord { x: -100.0, y: -100.0 }, cell: 7.0, w: 190, h: 190 };
        let mut pieces = Pieces::default();
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64 * 1100.0
        };
        for _ in 0..2 * SEGMENTS_FOR_TWO_THREADS {
            pieces.push(&[Coord { x: next(), y: next() }, Coord { x: next() / 10.0 + 50.0, y: next() }]);
        }
        let mut together = Cells::new(grid.w, grid.h);
        grid.mark(&mut together, &pieces, 20.0);
        let mut alone = Cells::new(grid.w, grid.h);
        for segment in pieces.segments() {
            grid.mark_segment(&mut alone.all(), segment.start, segment.end, 20.0);
        }
        assert!(together.bits == alone.bits, "the same cells are marked");
        assert!(together.bits.iter().any(|w| *w != 0) && together.bits.iter().any(|w| *w != !0));
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
            let mut cells = Cells::new(grid.w, grid.h);
            grid.mark_segment(&mut cells.all(), p, q, r);
            proptest::prop_assert_eq!(cell_marked_wrongly(&grid, &cells, &[Line::new(p, q)], r), None);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// The traced outline runs between marked and unmarked centres: every marked centre lies inside
        /// the polygons and every other outside — across the rows' 64-cell words and with rings in
        /// rings. And the marked centres are those within the radius of the polylines (points among
        /// them).
        #[test]
        fn the_outline_holds_exactly_the_cells_within_the_radius(
            lines in proptest::collection::vec(
                proptest::collection::vec((0.0..1100.0f64, 0.0..600.0f64), 1..6), 1..8),
            r in 5.0..60.0f64,
        ) {
            let grid = Grid { origin: Coord { x: -100.0, y: -100.0 }, cell: 7.0, w: 190, h: 115 };
            let mut cells = Cells::new(grid.w, grid.h);
            let mut pieces = Pieces::default();
            for line in lines {
                pieces.push_with(line.into_iter().map(|(x, y)| Coord { x, y }));
            }
            grid.mark(&mut cells, &pieces, r);
            let segments: Vec<Line<f64>> = pieces.segments().collect();
            proptest::prop_assert_eq!(cell_marked_wrongly(&grid, &cells, &segments, r), None);
            let shed = polygons(grid.trace(&cells));
            proptest::prop_assert!(shed.is_valid());
            for j in 0..grid.h {
                for i in 0..grid.w {
                    let inside = shed.contains(&Point(grid.centre(i, j)));
                    proptest::prop_assert_eq!(inside, cells.get(i, j), "cell {} {}", i, j);
                }
            }
        }
    }

    #[test]
    fn streets_far_apart_give_separate_polygons() {
        let shed = walk_shed(
            &pieces(&[wkt!(LINESTRING(0. 0.,50. 0.)), wkt!(LINESTRING(500. 0.,550. 0.))]),
            50.0,
            10.0,
        );
        assert_eq!(shed.0.len(), 2);
    }
}
