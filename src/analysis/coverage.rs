//! Coverage per area: how many residents aged 65+ (and 75+) live within the walking budget of a site
//! of the given kinds, summed per area of each level and for the whole city.

use crate::model::{Area, AreaId, AreaLevel, SiteKind};
use crate::network::{NetworkSettings, coverage::reached};
use crate::store::{Index, LayerVersions};
use std::collections::HashMap;
use std::sync::Arc;

use super::AnalysisError;

/// Figures for one area (or the whole city).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AreaRow {
    /// `None` for the whole-city row.
    pub area_id: Option<AreaId>,
    pub name: String,
    pub level: Option<AreaLevel>,
    pub code: Option<String>,
    pub parent_id: Option<AreaId>,
    pub total: u64,
    pub aged65: u64,
    pub aged75: u64,
    /// Aged 65+ living within the budget of a site.
    pub covered65: u64,
    pub covered75: u64,
    pub uncovered65: u64,
    /// Sites of the kinds inside the area.
    pub sites_inside: usize,
    /// Whether walking coverage was computed: `false` before a walking network is loaded, when
    /// the covered and uncovered figures are not known (not zero).
    pub walking: bool,
}

impl AreaRow {
    fn new(area: Option<&Area>, name: String) -> Self {
        AreaRow {
            area_id: area.map(|a| a.id),
            name,
            level: area.map(|a| a.level),
            code: area.and_then(|a| a.code.clone()),
            parent_id: area.and_then(|a| a.parent),
            total: 0,
            aged65: 0,
            aged75: 0,
            covered65: 0,
            covered75: 0,
            uncovered65: 0,
            sites_inside: 0,
            walking: true,
        }
    }

    /// Share of 65+ residents covered, in percent (`None` when the area has none).
    pub fn covered65_pct(&self) -> Option<f64> {
        (self.walking && self.aged65 > 0).then(|| self.covered65 as f64 / self.aged65 as f64 * 100.0)
    }

    /// Ageing rate (65+ share of the total), in percent.
    pub fn aged65_rate(&self) -> Option<f64> {
        (self.total > 0).then(|| self.aged65 as f64 / self.total as f64 * 100.0)
    }

    /// 75+ share of the total, in percent.
    pub fn aged75_rate(&self) -> Option<f64> {
        (self.total > 0).then(|| self.aged75 as f64 / self.total as f64 * 100.0)
    }

    /// Sites per 1,000 residents aged 65+.
    pub fn sites_per_1000_aged65(&self) -> Option<f64> {
        (self.aged65 > 0).then(|| self.sites_inside as f64 / self.aged65 as f64 * 1000.0)
    }
}

/// The question a coverage answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CoverageKey {
    pub kinds: Vec<SiteKind>,
    /// Minutes, as bits so the key can be hashed.
    pub minutes_bits: u64,
    pub profile: String,
    /// The year the coverage is as of (sites open then, the population held then); this year and
    /// the latest population when `None`.
    pub year: Option<i32>,
}

impl CoverageKey {
    pub fn new(mut kinds: Vec<SiteKind>, minutes: f64, profile: &str) -> Self {
        kinds.sort();
        kinds.dedup();
        CoverageKey { kinds, minutes_bits: minutes.to_bits(), profile: profile.to_owned(), year: None }
    }

    /// The care teams' usual question: places to go within 15 minutes at an older person's pace.
    pub fn usual() -> Self {
        Self::new(super::PLACES_TO_GO.to_vec(), super::DEFAULT_MINUTES, super::DEFAULT_PROFILE)
    }

    /// The same question for the population of `year` (the latest when `None`).
    pub fn in_year(self, year: Option<i32>) -> Self {
        CoverageKey { year, ..self }
    }

    pub fn minutes(&self) -> f64 {
        f64::from_bits(self.minutes_bits)
    }

    /// How far from a site its walk can change anything, in metres: the walk at the profile's pace
    /// (steps never faster than streets), the way to the street at both ends, and the shed drawn
    /// around. A question is checked against the profiles before it is asked; an unknown one reaches
    /// everywhere.
    pub fn walking_reach_m(&self, settings: &NetworkSettings) -> f64 {
        let pace = settings
            .profiles
            .get(&self.profile)
            .map_or(f64::INFINITY, |p| p.speed_m_per_min / p.steps_factor.min(1.0));
        self.minutes() * pace + 2.0 * settings.max_snap_m + settings.walk_shed_m
    }
}

/// A site left out of an analysis because it cannot reach the walking network, and why. Coverage,
/// catchments of a kind and the map's tiles all leave such a site out; the first two say so.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SkippedSite {
    /// The site's id.
    #[schema(value_type = i64)]
    pub site_id: crate::model::SiteId,
    /// Its name.
    pub name: String,
    /// Why it was left out (e.g. too far from any street).
    pub reason: String,
}

impl SkippedSite {
    pub fn new(site: &crate::model::Site, reason: String) -> Self {
        SkippedSite { site_id: site.id, name: site.data.name.clone(), reason }
    }
}

/// Coverage of every population point and its sums per area.
#[derive(Debug, Clone)]
pub struct Coverage {
    pub key: CoverageKey,
    /// The population year counted (`None`: the units carry no year).
    pub year: Option<i32>,
    /// Per population unit (in the index's id order): minutes to the nearest site, if within budget.
    pub minutes: Vec<(crate::model::PopulationId, Option<f64>)>,
    /// Rows per level, in area id order.
    pub levels: HashMap<AreaLevel, Vec<AreaRow>>,
    /// The whole data set.
    pub city: AreaRow,
    /// Sites of the kinds that are too far from any walkable way to reach anyone: left out.
    pub skipped_sites: Vec<SkippedSite>,
    /// Population points too far from any walkable way: counted as not covered.
    pub unsnapped_points: usize,
}

impl Coverage {
    /// The row of one area.
    pub fn row(&self, id: AreaId) -> Option<&AreaRow> {
        self.levels.values().flatten().find(|r| r.area_id == Some(id))
    }
}

/// Computes coverage for `key` over everything in `index`.
pub fn compute(
    index: &Index,
    settings: &NetworkSettings,
    key: &CoverageKey,
) -> Result<Coverage, AnalysisError> {
    // As of the year asked (this year when none): the sites open in it and the population held then.
    let sites = index.sites_open_in(&key.kinds, None, key.year);
    let (year, units) = index.population_of(key.year);
    // Before a walking network is loaded, the counts per area are still known; coverage is not.
    let reach = match index.network() {
        Some(graph) => {
            let site_points: Vec<_> = sites.iter().map(|s| s.data.location.0).collect();
            let unit_points: Vec<_> = units.iter().map(|u| u.data.location.0).collect();
            Some(reached(graph, settings, &key.profile, &site_points, &unit_points, key.minutes())?)
        }
        None => None,
    };
    let walking = reach.is_some();
    let minutes: Vec<Option<f64>> =
        reach.as_ref().map_or_else(|| vec![None; units.len()], |r| r.minutes.clone());
    let new_row =
        |area: Option<&crate::model::Area>, name: String| AreaRow { walking, ..AreaRow::new(area, name) };

    let city_name =
        index.areas_in(Some(AreaLevel::City), None).first().map_or("全体".to_owned(), |c| c.name.clone());
    let mut city = new_row(None, city_name);
    city.sites_inside = sites.len();
    let mut levels = HashMap::new();
    for level in AreaLevel::ALL {
        let areas = index.areas_in(Some(level), None);
        if areas.is_empty() {
            continue;
        }
        let mut rows: Vec<AreaRow> = areas.iter().map(|a| new_row(Some(a), a.name.clone())).collect();
        let position: HashMap<AreaId, usize> = areas.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
        for (unit, minutes) in units.iter().zip(&minutes) {
            if let Some(area) = containing(index, level, unit.data.location) {
                add(&mut rows[position[&area]], &unit.data, minutes.is_some());
            }
        }
        for site in &sites {
            if let Some(area) = containing(index, level, site.data.location) {
                rows[position[&area]].sites_inside += 1;
            }
        }
        levels.insert(level, rows);
    }
    for (unit, minutes) in units.iter().zip(&minutes) {
        add(&mut city, &unit.data, minutes.is_some());
    }
    let (unsnapped_sites, unsnapped_targets) =
        reach.map_or((Vec::new(), 0), |r| (r.unsnapped_sites, r.unsnapped_targets.len()));
    Ok(Coverage {
        key: key.clone(),
        year,
        minutes: units.iter().map(|u| u.id).zip(minutes).collect(),
        levels,
        city,
        skipped_sites: unsnapped_sites
            .into_iter()
            .map(|(i, reason)| SkippedSite::new(&sites[i], reason))
            .collect(),
        unsnapped_points: unsnapped_targets,
    })
}

fn add(row: &mut AreaRow, p: &crate::model::PopulationData, covered: bool) {
    row.total += p.total as u64;
    row.aged65 += p.aged65 as u64;
    row.aged75 += p.aged75 as u64;
    if covered {
        row.covered65 += p.aged65 as u64;
        row.covered75 += p.aged75 as u64;
    } else if row.walking {
        row.uncovered65 += p.aged65 as u64;
    }
}

/// The area of `level` holding `point`; on a shared border, the one with the lowest id.
pub fn containing(index: &Index, level: AreaLevel, point: geo::Point<f64>) -> Option<AreaId> {
    index.areas_at(Some(level), point).first().map(|a| a.id)
}

/// Weighs a coverage by its per-point minutes and its rows.
#[derive(Debug, Clone, Copy)]
struct Bytes;

impl quick_cache::Weighter<(CoverageKey, LayerVersions), Arc<Coverage>> for Bytes {
    fn weight(&self, _: &(CoverageKey, LayerVersions), c: &Arc<Coverage>) -> u64 {
        let rows: usize = c.levels.values().map(Vec::len).sum();
        (c.minutes.len() * 24 + rows * 256 + 512) as u64
    }
}

/// Coverages already computed, keyed by question and data version, at most a given number of bytes.
pub struct CoverageCache {
    entries: quick_cache::sync::Cache<(CoverageKey, LayerVersions), Arc<Coverage>, Bytes>,
}

impl Default for CoverageCache {
    fn default() -> Self {
        Self::new(crate::config::Limits::default().coverage_cache_mb << 20)
    }
}

impl CoverageCache {
    /// A cache of at most `max_bytes`.
    pub fn new(max_bytes: u64) -> Self {
        CoverageCache { entries: quick_cache::sync::Cache::with_weighter(64, max_bytes, Bytes) }
    }

    /// The coverage for `key` on the data of `index`, computed once per question and data version
    /// (concurrent askers of the same question wait for the one computation).
    pub fn get(
        &self,
        index: &Index,
        settings: &NetworkSettings,
        key: &CoverageKey,
    ) -> Result<Arc<Coverage>, AnalysisError> {
        let cache_key = (key.clone(), index.versions());
        self.entries.get_or_insert_with(&cache_key, || compute(index, settings, key).map(Arc::new))
    }
}
