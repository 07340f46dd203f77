//! Walking catchments: the streets reached within a time budget, buffered by a walk-shed width into
//! a (Multi)Polygon. Not a hull: a hull bridges rivers and rail lines that have no crossing. Built in
//! local metres, returned in EPSG:4326.

use super::pieces::Pieces;
use super::search::{Reach, Source, search};
use super::shed::walk_shed;
use super::{Graph, NetworkError, NetworkSettings, Profile, snap};
use geo::{Area, Coord, MapCoords, MultiPolygon};

/// Raster cells across the walk-shed width: 6.25 gives 8 m cells for a 50 m shed. The outline runs
/// between cell centres and lies within about 0.61 cell of the exact buffer: 10 m cells were measured
/// up to 6.1 m off on Heidelberg, 8 m cells keep it within 5 m.
pub const SHED_CELLS_PER_WIDTH: f64 = 6.25;

/// A catchment polygon with its measures.
#[derive(Debug, Clone, PartialEq)]
pub struct Catchment {
    /// The walk shed (EPSG:4326).
    pub polygon: MultiPolygon<f64>,
    pub minutes: f64,
    pub profile: String,
    /// Area in square metres.
    pub area_m2: f64,
    /// Area ÷ the circle of radius speed × minutes: 1 would be walking straight in every direction.
    pub reach_factor: f64,
    /// Metres of street (and access path) reached.
    pub reached_length_m: f64,
}

/// Buffers reached pieces (local metres) into a catchment.
pub fn from_reach(
    reach: &Reach<'_>,
    graph: &Graph,
    settings: &NetworkSettings,
    profile_name: &str,
    profile: &Profile,
    minutes: f64,
) -> Catchment {
    let (pieces, reached_length_m) = reach.pieces();
    let shed = walk_shed(&pieces, settings.walk_shed_m, settings.walk_shed_m / SHED_CELLS_PER_WIDTH);
    let area_m2 = shed.unsigned_area();
    let radius = profile.speed_m_per_min * minutes;
    let proj = graph.projection();
    Catchment {
        polygon: shed.map_coords(|c: Coord<f64>| proj.unproject(c)),
        minutes,
        profile: profile_name.to_owned(),
        area_m2,
        reach_factor: area_m2 / (std::f64::consts::PI * radius * radius),
        reached_length_m,
    }
}

/// Points snapped to the network as search sources, and the points left out.
pub struct Sources {
    pub sources: Vec<Source>,
    /// Points farther than the snapping limit from any way their walker can use, by index, with the
    /// error saying how far: they reach nobody.
    pub too_far: Vec<(usize, NetworkError)>,
}

/// Snaps `points` (EPSG:4326) as search sources. A point too far from any usable way is set aside,
/// not fatal: the one rule that coverage, gaps, the map's layers and catchments of a kind share.
pub fn sources(
    graph: &Graph,
    settings: &NetworkSettings,
    profile: &Profile,
    points: &[Coord<f64>],
) -> Result<Sources, NetworkError> {
    let mut found = Sources { sources: Vec::with_capacity(points.len()), too_far: Vec::new() };
    for (i, p) in points.iter().enumerate() {
        match snap(graph, profile, *p, settings.max_snap_m, settings.min_component_nodes) {
            Ok(s) => found.sources.push(Source::walking_from(s, profile)),
            Err(e @ NetworkError::TooFar { .. }) => found.too_far.push((i, e)),
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}

/// The catchment of the points `from` (EPSG:4326): one point for a site or a home, many for the
/// dissolved catchment of a kind of site. Every point must reach the network.
pub fn catchment(
    graph: &Graph,
    settings: &NetworkSettings,
    profile_name: &str,
    from: &[Coord<f64>],
    minutes: f64,
) -> Result<Catchment, NetworkError> {
    let (profile, minutes) = (settings.profile(profile_name)?, settings.check_minutes(minutes)?);
    let Sources { sources, too_far } = sources(graph, settings, profile, from)?;
    if let Some((_, e)) = too_far.into_iter().next() {
        return Err(e);
    }
    Ok(walk(graph, settings, profile_name, profile, sources, minutes))
}

/// The dissolved catchment of the points `from` (EPSG:4326) that reach the network, and the points
/// left out (see [`sources`]).
pub fn dissolved(
    graph: &Graph,
    settings: &NetworkSettings,
    profile_name: &str,
    from: &[Coord<f64>],
    minutes: f64,
) -> Result<(Catchment, Vec<(usize, NetworkError)>), NetworkError> {
    let (profile, minutes) = (settings.profile(profile_name)?, settings.check_minutes(minutes)?);
    let Sources { sources, too_far } = sources(graph, settings, profile, from)?;
    Ok((walk(graph, settings, profile_name, profile, sources, minutes), too_far))
}

/// Searches from `sources` and buffers what they reach.
fn walk(
    graph: &Graph,
    settings: &NetworkSettings,
    profile_name: &str,
    profile: &Profile,
    sources: Vec<Source>,
    minutes: f64,
) -> Catchment {
    let reach = search(graph, profile, sources, minutes);
    from_reach(&reach, graph, settings, profile_name, profile, minutes)
}

/// The walk shed of `sources` (EPSG:4326) clipped to the neighbourhood of `window` (EPSG:4326): only
/// the reached streets within a shed's width of the window are buffered. For cutting many areas out
/// of one large dissolved catchment without buffering the whole city each time.
pub struct ShedPieces<'g> {
    graph: &'g Graph,
    pieces: Pieces,
    shed_m: f64,
}

impl<'g> ShedPieces<'g> {
    /// Searches once from `sources`; sources farther than the snapping limit from any usable way are
    /// skipped, as they reach nobody.
    pub fn new(
        graph: &'g Graph,
        settings: &NetworkSettings,
        profile_name: &str,
        sources: &[Coord<f64>],
        minutes: f64,
    ) -> Result<Self, NetworkError> {
        let profile = settings.profile(profile_name)?;
        let minutes = settings.check_minutes(minutes)?;
        let sources = self::sources(graph, settings, profile, sources)?.sources;
        let (pieces, _) = search(graph, profile, sources, minutes).pieces();
        Ok(ShedPieces { graph, pieces, shed_m: settings.walk_shed_m })
    }

    /// The walk shed near `window` (EPSG:4326).
    pub fn shed_near(&self, window: geo::Rect<f64>) -> MultiPolygon<f64> {
        let proj = self.graph.projection();
        let (lo, hi) = (proj.project(window.min()), proj.project(window.max()));
        let pad = self.shed_m * 1.5;
        let window_m =
            geo::Rect::new(Coord { x: lo.x - pad, y: lo.y - pad }, Coord { x: hi.x + pad, y: hi.y + pad });
        walk_shed(&self.pieces.near(window_m), self.shed_m, self.shed_m / SHED_CELLS_PER_WIDTH)
            .map_coords(|c: Coord<f64>| proj.unproject(c))
    }
}
