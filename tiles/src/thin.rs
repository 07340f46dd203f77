//! Thinning points at low zooms: one point per screen cell, the first in the order given, so that a
//! city of 10,000 sites stays legible and small when zoomed out. Works in tile coordinates.

use geo::Point;
use std::collections::HashSet;

/// Keeps the first item per `cell` × `cell` block of tile units; `cell` 0 keeps everything.
pub fn thin<T>(items: Vec<(Point<f64>, T)>, cell: f64) -> Vec<(Point<f64>, T)> {
    if cell <= 0.0 {
        return items;
    }
    let mut taken = HashSet::new();
    items
        .into_iter()
        .filter(|(p, _)| taken.insert(((p.x() / cell).floor() as i64, (p.y() / cell).floor() as i64)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_one_point_per_cell() {
        let pts =
            vec![(Point::new(1.0, 1.0), 'a'), (Point::new(2.0, 2.0), 'b'), (Point::new(100.0, 1.0), 'c')];
        let kept: Vec<char> = thin(pts.clone(), 64.0).into_iter().map(|(_, c)| c).collect();
        assert_eq!(kept, ['a', 'c']);
        assert_eq!(thin(pts, 0.0).len(), 3);
    }
}
