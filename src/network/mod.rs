//! The walking network and what is reachable on it: a graph of walkable streets read from
//! OpenStreetMap PBF or GeoJSON line files, walking profiles (standard, elderly, wheelchair),
//! snapping of points to streets, time-budgeted Dijkstra and catchment polygons.
//!
//! Positions in and out are EPSG:4326; lengths are metres; times are minutes. Geometry work
//! (snapping, buffering, areas) happens in a local metric projection described in [`graph`].

pub mod cache;
pub mod catchment;
pub mod coverage;
pub mod graph;
pub mod lines;
pub mod osm;
pub mod pieces;
mod profile;
pub mod search;
pub mod shed;
mod snap;
mod spare;

pub use cache::CatchmentCache;
pub use catchment::{Catchment, catchment};
pub use graph::{EdgeData, Graph};
pub use profile::{NetworkSettings, Profile};
pub use snap::{Snap, snap};

use crate::import::ImportError;

/// What can go wrong with the network or a search on it.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// No walking network has been imported into the store.
    #[error("no walking network is loaded; import one with `sasaeai import network FILE.osm.pbf`")]
    NoNetwork,
    /// The profile name is not configured.
    #[error("unknown profile {name:?}; profiles: {known}")]
    UnknownProfile { name: String, known: String },
    /// The time budget is not in (0, max].
    #[error("minutes must be more than 0 and at most {max}; got {minutes}")]
    Minutes { minutes: f64, max: f64 },
    /// The point is too far from any walkable way its walker can use.
    #[error("the nearest walkable way is {distance_m:.0} m from ({lon}, {lat}); the limit is {limit_m:.0} m")]
    TooFar { distance_m: f64, limit_m: f64, lon: f64, lat: f64 },
    /// The PBF file cannot be read (truncated, or not a PBF).
    #[error("not a readable OpenStreetMap PBF file: {0}")]
    Pbf(String),
    /// The file holds no way a person may walk on.
    #[error("the file holds no walkable ways")]
    NoWalkableWays,
    /// A GeoJSON line network is malformed.
    #[error(transparent)]
    Lines(#[from] ImportError),
}

/// Figures about an imported network.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NetworkSummary {
    pub nodes: usize,
    pub edges: usize,
    pub length_km: f64,
    pub steps_edges: usize,
    pub components: usize,
    /// Share of nodes in the largest component.
    pub largest_component_share: f64,
}

impl NetworkSummary {
    /// Measures `graph`.
    pub fn of(graph: &Graph) -> Self {
        let sizes = &graph.components_all.sizes;
        let largest = sizes.iter().max().copied().unwrap_or(0);
        NetworkSummary {
            nodes: graph.nodes().len(),
            edges: graph.edges().len(),
            length_km: graph.edges().iter().map(|e| e.length_m).sum::<f64>() / 1000.0,
            steps_edges: graph.edges().iter().filter(|e| e.data.steps).count(),
            components: sizes.len(),
            largest_component_share: if graph.nodes().is_empty() {
                0.0
            } else {
                largest as f64 / graph.nodes().len() as f64
            },
        }
    }
}

/// A network as read from a file: node positions (EPSG:4326) and the edges between them.
pub type NetworkParts = (Vec<geo::Coord<f64>>, Vec<EdgeData>);

/// Reads a network file: PBF when it starts like one, GeoJSON otherwise. A file whose ways have no
/// length at all (one zero-length line, say) holds nothing to walk on and is refused.
pub fn read_file(bytes: &[u8]) -> Result<NetworkParts, NetworkError> {
    use geo::{Haversine, Length};
    // Line features come as GeoJSON or a zipped Shapefile; anything else is taken as OSM PBF.
    use crate::import::table::{Content, content};
    let lines = bytes.starts_with(b"PK\x03\x04") || matches!(content(bytes), Ok(Content::GeoJson));
    let parts = if lines { lines::read(bytes)? } else { osm::read(bytes)? };
    if !parts.1.iter().any(|e| Haversine.length(&e.geometry) > 0.0) {
        return Err(NetworkError::NoWalkableWays);
    }
    Ok(parts)
}
