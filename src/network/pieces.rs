//! Reached pieces of street as polylines in local metres, stored flat: one array of vertices and
//! where each polyline ends, so that a search's thousands of pieces cost two allocations, not one
//! each.

use geo::{Coord, Intersects, Line, Rect};

/// Polylines in local metres; a polyline of one vertex is a point (a walk of no length).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pieces {
    coords: Vec<Coord<f64>>,
    /// The end (exclusive) of each polyline in `coords`.
    ends: Vec<usize>,
}

impl Pieces {
    /// Adds a polyline; an empty one is left out.
    pub fn push(&mut self, line: &[Coord<f64>]) {
        self.push_with(line.iter().copied());
    }

    /// Adds the polyline of `vertices`; an empty one is left out.
    pub fn push_with(&mut self, vertices: impl IntoIterator<Item = Coord<f64>>) {
        self.coords.extend(vertices);
        if self.ends.last().copied().unwrap_or(0) < self.coords.len() {
            self.ends.push(self.coords.len());
        }
    }

    /// The polylines, each as its vertices.
    pub fn iter(&self) -> impl Iterator<Item = &[Coord<f64>]> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(start, &end)| &self.coords[start..end])
    }

    /// Every segment; a polyline of one vertex gives a segment of no length.
    pub fn segments(&self) -> impl Iterator<Item = Line<f64>> + '_ {
        self.iter().flat_map(|line| {
            let point = (line.len() == 1).then(|| Line::new(line[0], line[0]));
            point.into_iter().chain(line.windows(2).map(|w| Line::new(w[0], w[1])))
        })
    }

    /// The box around every vertex.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        bounds_of(&self.coords)
    }

    /// The polylines whose box meets `window`.
    pub fn near(&self, window: Rect<f64>) -> Pieces {
        let mut near = Pieces::default();
        for line in self.iter().filter(|line| bounds_of(line).is_some_and(|b| b.intersects(&window))) {
            near.push(line);
        }
        near
    }
}

/// The box around `coords`.
fn bounds_of(coords: &[Coord<f64>]) -> Option<Rect<f64>> {
    crate::model::union_rects(coords.iter().map(|c| Rect::new(*c, *c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polylines_come_back_as_pushed_and_empty_ones_are_left_out() {
        let mut pieces = Pieces::default();
        pieces.push(&[Coord { x: 0.0, y: 0.0 }, Coord { x: 10.0, y: 0.0 }]);
        pieces.push(&[]);
        pieces.push_with([Coord { x: 5.0, y: 5.0 }]);
        let lines: Vec<&[Coord<f64>]> = pieces.iter().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), 2);
        assert_eq!(lines[1], &[Coord { x: 5.0, y: 5.0 }]);
        assert_eq!(pieces.segments().count(), 2, "a point is a segment of no length");
        assert_eq!(pieces.bounds(), Some(Rect::new((0.0, 0.0), (10.0, 5.0))));
        let near = pieces.near(Rect::new((4.0, 4.0), (6.0, 6.0)));
        assert_eq!(near.iter().count(), 1);
    }
}
