//! Snapping a point (a site, a home, a population point) to the nearest walkable edge its walker can
//! use. Searches the segment R-tree in local metres.

use super::{Graph, NetworkError, Profile};
use geo::{Closest, ClosestPoint, Coord, Point};

/// Where a point joins the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// The point itself (EPSG:4326).
    pub point: Coord<f64>,
    /// The nearest point on the edge (EPSG:4326).
    pub on_edge: Coord<f64>,
    pub edge: u32,
    /// Metres along the edge from its node `a`.
    pub along_m: f64,
    /// Metres walked from the point to the edge.
    pub walk_m: f64,
}

/// Snaps `point` (EPSG:4326) to the nearest edge usable by `profile` in a usable component, no farther
/// than `max_m` metres.
pub fn snap(
    graph: &Graph,
    profile: &Profile,
    point: Coord<f64>,
    max_m: f64,
    min_component_nodes: u32,
) -> Result<Snap, NetworkError> {
    let proj = graph.projection();
    let p = proj.project(point);
    let components = if profile.use_steps { &graph.components_all } else { &graph.components_no_steps };
    let usable = |edge: u32| {
        let e = graph.edge(edge);
        profile.can_use(e.data.steps) && {
            let c = components.of_node[e.data.a as usize];
            c != u32::MAX && components.usable(c, min_component_nodes)
        }
    };
    let (entry, dist2) = graph
        .segments()
        .nearest_neighbor_iter_with_distance_2(&Point(p))
        .find(|(entry, _)| usable(entry.data.0))
        .ok_or(NetworkError::NoNetwork)?;
    let walk_m = dist2.sqrt();
    if walk_m > max_m {
        return Err(NetworkError::TooFar { distance_m: walk_m, limit_m: max_m, lon: point.x, lat: point.y });
    }
    let line = entry.geom();
    let nearest = match line.closest_point(&Point(p)) {
        Closest::Intersection(q) | Closest::SinglePoint(q) => q.0,
        Closest::Indeterminate => line.start,
    };
    let seg_len = ((line.end.x - line.start.x).powi(2) + (line.end.y - line.start.y).powi(2)).sqrt();
    let t = if seg_len > 0.0 {
        (((nearest.x - line.start.x).powi(2) + (nearest.y - line.start.y).powi(2)).sqrt() / seg_len)
            .clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (edge, segment) = entry.data;
    Ok(Snap {
        point,
        on_edge: proj.unproject(nearest),
        edge,
        along_m: graph.edge(edge).along(segment as usize, t),
        walk_m,
    })
}
