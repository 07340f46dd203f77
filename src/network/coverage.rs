//! The coverage primitive: which of many points (homes, population points) lie within a walking
//! budget of any of a set of sites. One multi-source search serves all targets; each target's own
//! walk to the network is counted. Positions are EPSG:4326, times minutes.

use super::catchment::Sources;
use super::search::search;
use super::{Graph, NetworkError, NetworkSettings, snap};
use geo::Coord;

/// Walking minutes from the nearest site to each target.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// Per target: minutes from the nearest site, or `None` when not within the budget.
    pub minutes: Vec<Option<f64>>,
    /// Sites farther than the snapping limit from any usable way, with the reason: they reach
    /// nobody and are left out.
    pub unsnapped_sites: Vec<(usize, String)>,
    /// Targets farther than the snapping limit from any usable way: nobody reaches them on foot.
    pub unsnapped_targets: Vec<usize>,
}

impl Coverage {
    /// Whether target `i` is covered.
    pub fn covered(&self, i: usize) -> bool {
        self.minutes[i].is_some()
    }
}

/// Which `targets` lie within `minutes` of any of `sites` for `profile_name`.
///
/// ```
/// use sasaeai::network::{EdgeData, Graph, NetworkSettings, coverage::reached};
/// use geo::{coord, LineString};
/// // One 800 m street running east.
/// let (a, b) = (coord! { x: 139.0, y: 35.0 }, coord! { x: 139.00878, y: 35.0 });
/// let street = EdgeData { a: 0, b: 1, geometry: LineString(vec![a, b]), steps: false, highway: "residential".into(), way_id: None };
/// let graph = Graph::new(vec![a, b], vec![street]);
/// let homes = [coord! { x: 139.0022, y: 35.0 }, coord! { x: 139.0088, y: 35.0 }];
/// let c = reached(&graph, &NetworkSettings::default(), "standard", &[a], &homes, 5.0).unwrap();
/// assert!(c.covered(0));   // 200 m: 2.5 minutes at 80 m/min
/// assert!(!c.covered(1));  // 800 m: 10 minutes
/// ```
pub fn reached(
    graph: &Graph,
    settings: &NetworkSettings,
    profile_name: &str,
    sites: &[Coord<f64>],
    targets: &[Coord<f64>],
    minutes: f64,
) -> Result<Coverage, NetworkError> {
    let profile = settings.profile(profile_name)?;
    let minutes = settings.check_minutes(minutes)?;
    let snap_to =
        |p: &Coord<f64>| snap(graph, profile, *p, settings.max_snap_m, settings.min_component_nodes);
    let Sources { sources, too_far } = super::catchment::sources(graph, settings, profile, sites)?;
    let unsnapped_sites = too_far.into_iter().map(|(i, e)| (i, e.to_string())).collect();
    let reach = search(graph, profile, sources, minutes);
    let mut unsnapped_targets = Vec::new();
    let mut result = Vec::with_capacity(targets.len());
    for (i, target) in targets.iter().enumerate() {
        match snap_to(target) {
            Ok(s) => result.push(reach.minutes_to(&s)),
            Err(NetworkError::TooFar { .. }) => {
                unsnapped_targets.push(i);
                result.push(None);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Coverage { minutes: result, unsnapped_sites, unsnapped_targets })
}
