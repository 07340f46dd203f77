//! Where to open the next café or 縁側: greedy maximal covering. Existing sites of the kind stay;
//! each round picks the candidate place that brings the most still-uncovered residents aged 65+
//! within the walking budget. Candidates are community centres, parks, いこいの家 and other sites
//! where a café could meet, plus street junctions on a regular grid — or places the user posts.

use super::{AnalysisError, CoverageKey, compute};
use crate::deadline::Deadline;
use crate::model::{AreaLevel, BBox, SiteId, SiteKind};
use crate::network::search::{Source, search};
use crate::network::{NetworkError, NetworkSettings, snap};
use crate::store::Index;
use geo::{BoundingRect, Point};
use std::collections::HashMap;

/// The kinds of existing sites offered as candidate meeting places by default.
pub const HOST_KINDS: [SiteKind; 4] =
    [SiteKind::CommunityCenter, SiteKind::Park, SiteKind::Ikoi, SiteKind::Other];

/// A place a new site could open.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Candidate {
    pub name: String,
    /// EPSG:4326.
    #[serde(serialize_with = "lon_lat")]
    pub location: Point<f64>,
    /// `site`, `grid` or `posted`.
    pub source: &'static str,
    pub site_id: Option<SiteId>,
}

fn lon_lat<S: serde::Serializer>(p: &Point<f64>, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&[p.x(), p.y()], s)
}

/// One greedy pick.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Pick {
    pub candidate: Candidate,
    /// Residents aged 65+ and 75+ newly within the budget.
    pub newly_covered65: u64,
    pub newly_covered75: u64,
}

/// The picks with coverage before and after, per area of the level asked for.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Suggestion {
    pub picks: Vec<Pick>,
    pub covered65_before: u64,
    pub covered65_after: u64,
    pub aged65: u64,
    /// (area id, name, covered 65+ before, after).
    pub areas: Vec<(crate::model::AreaId, String, u64, u64)>,
    pub candidates_considered: usize,
}

/// The most candidate places one suggestion weighs: each costs one walking search.
pub const MAX_CANDIDATES: usize = 5_000;

/// What to suggest: a kind of site, how many, for which walk, and among which places.
#[derive(Debug, Clone)]
pub struct SuggestQuestion {
    pub kind: SiteKind,
    pub count: usize,
    pub minutes: f64,
    pub profile: String,
    /// Candidate places given by the user; `None` for host sites and a junction grid.
    pub posted: Option<Vec<Candidate>>,
    /// Spacing of the junction grid in metres.
    pub grid_m: f64,
    /// The level whose areas the answer sums.
    pub level: AreaLevel,
}

/// Suggests `q.count` places for a new site of `q.kind`. With posted candidates, only those are
/// used; otherwise host sites and street junctions every `q.grid_m` metres. Stops with
/// [`AnalysisError::Expired`] once `deadline` has passed.
pub fn suggest(
    index: &Index,
    settings: &NetworkSettings,
    q: SuggestQuestion,
    deadline: &Deadline,
) -> Result<Suggestion, AnalysisError> {
    let SuggestQuestion { kind, count, minutes, profile: profile_name, posted, grid_m, level } = q;
    let profile_name = profile_name.as_str();
    let graph = index.network().ok_or(NetworkError::NoNetwork)?;
    let profile = settings.profile(profile_name)?;
    let minutes = settings.check_minutes(minutes)?;
    let existing = compute(index, settings, &CoverageKey::new(vec![kind], minutes, profile_name))?;
    let units = index.population_of(existing.year).1;
    let mut covered: Vec<bool> = existing.minutes.iter().map(|(_, m)| m.is_some()).collect();
    let position: HashMap<_, usize> = units.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
    let snaps: Vec<_> = units
        .iter()
        .map(|u| {
            snap(graph, profile, u.data.location.0, settings.max_snap_m, settings.min_component_nodes).ok()
        })
        .collect();

    let candidates = match posted {
        Some(posted) => posted,
        None => default_candidates(index, graph, grid_m)?,
    };
    if candidates.len() > MAX_CANDIDATES {
        return Err(AnalysisError::TooManyCandidates {
            count: candidates.len(),
            max: MAX_CANDIDATES,
            hint: "post fewer places".into(),
        });
    }
    // What each candidate would newly cover, searching only the population within walking range.
    let reach_m = profile.speed_m_per_min * minutes + settings.max_snap_m;
    let mut gains: Vec<Vec<usize>> = Vec::with_capacity(candidates.len());
    for c in &candidates {
        deadline.check()?;
        let Ok(at) = snap(graph, profile, c.location.0, settings.max_snap_m, settings.min_component_nodes)
        else {
            gains.push(Vec::new());
            continue;
        };
        let reach = search(graph, profile, vec![Source::walking_from(at, profile)], minutes);
        gains.push(
            index
                .population_in(Some(&BBox::around(c.location, reach_m)))
                .iter()
                .filter_map(|u| position.get(&u.id).copied()) // other years' units are not counted
                .filter(|&i| !covered[i] && snaps[i].as_ref().is_some_and(|s| reach.minutes_to(s).is_some()))
                .collect(),
        );
    }

    let weight = |i: usize| (units[i].data.aged65 as u64, units[i].data.aged75 as u64);
    let covered65_before: u64 = (0..units.len()).filter(|&i| covered[i]).map(|i| weight(i).0).sum();
    let mut picks = Vec::new();
    let mut used = vec![false; candidates.len()];
    for _ in 0..count {
        let best = (0..candidates.len())
            .filter(|&c| !used[c])
            .map(|c| {
                let (a65, a75) = gains[c]
                    .iter()
                    .filter(|&&i| !covered[i])
                    .fold((0, 0), |(x, y), &i| (x + weight(i).0, y + weight(i).1));
                (c, a65, a75)
            })
            .max_by(|a, b| a.1.cmp(&b.1).then(a.2.cmp(&b.2)).then(b.0.cmp(&a.0)));
        let Some((c, a65, a75)) = best.filter(|b| b.1 > 0) else { break };
        used[c] = true;
        for &i in &gains[c] {
            covered[i] = true;
        }
        picks.push(Pick { candidate: candidates[c].clone(), newly_covered65: a65, newly_covered75: a75 });
    }
    let covered65_after: u64 = (0..units.len()).filter(|&i| covered[i]).map(|i| weight(i).0).sum();
    let area_of: Vec<_> =
        units.iter().map(|u| super::coverage::containing(index, level, u.data.location)).collect();
    let areas = existing
        .levels
        .get(&level)
        .map(|rows| {
            rows.iter()
                .filter_map(|r| {
                    let id = r.area_id?;
                    let after: u64 = (0..units.len())
                        .filter(|&i| covered[i] && area_of[i] == Some(id))
                        .map(|i| units[i].data.aged65 as u64)
                        .sum();
                    Some((id, r.name.clone(), r.covered65, after))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Suggestion {
        picks,
        covered65_before,
        covered65_after,
        aged65: existing.city.aged65,
        areas,
        candidates_considered: candidates.len(),
    })
}

/// Host sites, then the junction nearest each point of a `grid_m` grid over the population; refused
/// before any search when the grid alone would pass [`MAX_CANDIDATES`].
fn default_candidates(
    index: &Index,
    graph: &crate::network::Graph,
    grid_m: f64,
) -> Result<Vec<Candidate>, AnalysisError> {
    let mut out: Vec<Candidate> = index
        .sites_open_in(&HOST_KINDS, None, None)
        .iter()
        .map(|s| Candidate {
            name: s.data.name.clone(),
            location: s.data.location,
            source: "site",
            site_id: Some(s.id),
        })
        .collect();
    let Some(extent) = crate::model::union_rects(index.population().map(|u| u.data.location.bounding_rect()))
    else {
        return Ok(out);
    };
    let (lo, hi) = (extent.min(), extent.max());
    let proj = graph.projection();
    let (a, b) = (proj.project(lo), proj.project(hi));
    let grid_points = ((b.x - a.x) / grid_m + 1.0).floor() * ((b.y - a.y) / grid_m + 1.0).floor();
    if grid_points > MAX_CANDIDATES as f64 {
        let coarser = ((b.x - a.x) * (b.y - a.y) / MAX_CANDIDATES as f64).sqrt().ceil();
        return Err(AnalysisError::TooManyCandidates {
            count: grid_points as usize,
            max: MAX_CANDIDATES,
            hint: format!("a grid of {grid_m} m over this population; use grid_m={coarser} or more"),
        });
    }
    let node_tree = rstar::RTree::bulk_load(
        graph
            .nodes()
            .iter()
            .enumerate()
            .map(|(i, c)| rstar::primitives::GeomWithData::new(Point(proj.project(*c)), i))
            .collect(),
    );
    let mut seen = std::collections::HashSet::new();
    let mut y = a.y;
    while y <= b.y {
        let mut x = a.x;
        while x <= b.x {
            if let Some(n) = node_tree.nearest_neighbor(&Point::new(x, y))
                && seen.insert(n.data)
            {
                let c = graph.nodes()[n.data];
                let place = index
                    .areas_at(None, Point(c))
                    .into_iter()
                    .max_by_key(|a| a.level)
                    .map_or(String::new(), |a| a.name.clone());
                out.push(Candidate {
                    name: format!("{place}の交差点（{:.5}, {:.5}）", c.y, c.x),
                    location: Point(c),
                    source: "grid",
                    site_id: None,
                });
            }
            x += grid_m;
        }
        y += grid_m;
    }
    Ok(out)
}
