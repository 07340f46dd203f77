//! Support-map overlays: what residents' groups have drawn, counted per area of every level and
//! published only as suppressed aggregates. Staff and everyone else see where concern gathers, who
//! has nobody, and who lives beyond a 15-minute walk from any place to go — never a person.
//!
//! Each person is counted in the one area of each level that holds their point (the same rule as
//! population coverage), so a parent's figure is the sum of its children's and the suppression audit
//! in [`super::suppression`] can see every sum an outsider could use.

use super::AnalysisError;
use super::PLACES_TO_GO;
use super::suppression::{Relation, Shown, suppress};
use crate::model::support::{NOTE_CATEGORIES, PERSON_TAGS};
use crate::model::{AreaId, AreaLevel};
use crate::network::{NetworkSettings, coverage::reached};
use crate::store::Index;
use geo::Point;
use serde::Serialize;
use std::collections::HashMap;

/// The walk the overlays count: the care teams' usual one.
pub const WALK_MINUTES: f64 = super::DEFAULT_MINUTES;
/// The pace of [`WALK_MINUTES`].
pub const WALK_PROFILE: &str = super::DEFAULT_PROFILE;

/// What the overlays count, drawn from every group's current edition.
#[derive(Debug, Clone, Default)]
pub struct SupportData {
    pub persons: Vec<PersonMark>,
    /// 困りごと: where, and their category.
    pub troubles: Vec<(Point<f64>, String)>,
    /// Groups: a point inside their area, and whether their current edition is this year's.
    pub groups: Vec<(Point<f64>, bool)>,
}

/// One person of concern, as the overlays see them: no label, no note.
#[derive(Debug, Clone)]
pub struct PersonMark {
    pub at: Point<f64>,
    pub tags: Vec<String>,
    /// Someone already helps them (at least one link).
    pub linked: bool,
}

/// The overlays of one level.
#[derive(Debug, Clone, Serialize)]
pub struct Overlays {
    pub level: AreaLevel,
    /// Counts below this are shown as `<min_count`; `x` is hidden to protect another figure.
    pub min_count: u64,
    /// Column names, in the order of each row's `values`.
    pub metrics: Vec<String>,
    pub rows: Vec<OverlayRow>,
}

/// One area's figures.
#[derive(Debug, Clone, Serialize)]
pub struct OverlayRow {
    pub area_id: AreaId,
    pub name: String,
    pub parent_id: Option<AreaId>,
    pub values: Vec<Shown>,
}

/// Metric positions in [`metric_names`].
const PERSONS: usize = 0;
const LINKED: usize = 1;
const ISOLATED: usize = 2;
const BEYOND_WALK: usize = 3;
const GROUPS_THIS_YEAR: usize = 4;
const FIRST_TAG: usize = 5;
const FIRST_TROUBLE: usize = FIRST_TAG + PERSON_TAGS.len();

/// The headline metrics (the first five) with their Japanese labels: what the map's choropleth,
/// the tiles and the karte show. Tags and troubles follow them in the tables.
pub const HEADLINE_METRICS: [(&str, &str); 5] = [
    ("persons", "気になる人"),
    ("persons_linked", "支え手がいる人"),
    ("persons_isolated", "支え手がいない人"),
    ("persons_beyond_walk", "行き場所まで徒歩15分を超える人"),
    ("groups_this_year", "今年の支え合いマップがあるグループ"),
];

/// The metrics, in order: column names of the table and the tiles.
pub fn metric_names() -> Vec<String> {
    let mut names: Vec<String> = HEADLINE_METRICS.iter().map(|(m, _)| (*m).to_owned()).collect();
    names.extend(PERSON_TAGS.iter().map(|t| format!("tag:{t}")));
    names.extend(NOTE_CATEGORIES.iter().map(|c| format!("trouble:{c}")));
    names
}

impl Overlays {
    /// The row of area `id`, if it is of this level.
    pub fn row(&self, id: AreaId) -> Option<&OverlayRow> {
        self.rows.iter().find(|r| r.area_id == id)
    }
}

/// Raw counts of every metric for every area, before suppression.
struct Counts {
    areas: Vec<std::sync::Arc<crate::model::Area>>,
    position: HashMap<AreaId, usize>,
    /// `values[area * metrics + metric]`.
    values: Vec<u64>,
    metrics: usize,
}

impl Counts {
    /// The positions of the areas (one per level) that count a mark at `at`.
    fn areas_at(&self, index: &Index, at: Point<f64>) -> Vec<usize> {
        AreaLevel::ALL
            .into_iter()
            .filter_map(|level| super::coverage::containing(index, level, at))
            .map(|area| self.position[&area])
            .collect()
    }

    /// Counts one mark in `metrics` of each of `areas`.
    fn add(&mut self, areas: &[usize], metrics: impl IntoIterator<Item = usize>) {
        for metric in metrics {
            for &area in areas {
                self.values[area * self.metrics + metric] += 1;
            }
        }
    }
}

/// Every level's overlays from `data`, suppressed with `min_count`.
pub fn overlays(
    index: &Index,
    settings: &NetworkSettings,
    data: &SupportData,
    min_count: u64,
) -> Result<Vec<Overlays>, AnalysisError> {
    let names = metric_names();
    let m = names.len();
    let areas: Vec<_> = index.areas().cloned().collect();
    let position = areas.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
    let mut counts = Counts { values: vec![0; areas.len() * m], areas, position, metrics: m };
    let beyond = beyond_walk(index, settings, &data.persons)?;
    for (person, beyond) in data.persons.iter().zip(beyond) {
        let areas = counts.areas_at(index, person.at);
        let link = if person.linked { LINKED } else { ISOLATED };
        let tags = person.tags.iter().filter_map(|tag| PERSON_TAGS.iter().position(|x| x == tag));
        let metrics = [PERSONS, link]
            .into_iter()
            .chain(beyond.then_some(BEYOND_WALK))
            .chain(tags.map(|t| FIRST_TAG + t));
        counts.add(&areas, metrics);
    }
    for (at, category) in &data.troubles {
        let areas = counts.areas_at(index, *at);
        counts.add(&areas, NOTE_CATEGORIES.iter().position(|x| x == category).map(|c| FIRST_TROUBLE + c));
    }
    for (at, _) in data.groups.iter().filter(|(_, this_year)| *this_year) {
        let areas = counts.areas_at(index, *at);
        counts.add(&areas, [GROUPS_THIS_YEAR]);
    }
    let shown = publish(&counts, min_count);
    Ok(AreaLevel::ALL
        .into_iter()
        .filter_map(|level| {
            let rows: Vec<OverlayRow> = counts
                .areas
                .iter()
                .enumerate()
                .filter(|(_, a)| a.level == level)
                .map(|(i, a)| OverlayRow {
                    area_id: a.id,
                    name: a.name.clone(),
                    parent_id: a.parent,
                    values: shown[i * m..(i + 1) * m].to_vec(),
                })
                .collect();
            (!rows.is_empty()).then(|| Overlays { level, min_count, metrics: names.clone(), rows })
        })
        .collect())
}

/// Whether each person lives beyond the walk from every place to go (or cannot reach a street).
fn beyond_walk(
    index: &Index,
    settings: &NetworkSettings,
    persons: &[PersonMark],
) -> Result<Vec<bool>, AnalysisError> {
    if persons.is_empty() {
        return Ok(Vec::new());
    }
    let graph = index.network().ok_or(crate::network::NetworkError::NoNetwork)?;
    let sites: Vec<_> =
        index.sites_open_in(&PLACES_TO_GO, None, None).iter().map(|s| s.data.location.0).collect();
    let homes: Vec<_> = persons.iter().map(|p| p.at.0).collect();
    let reach = reached(graph, settings, WALK_PROFILE, &sites, &homes, WALK_MINUTES)?;
    Ok((0..persons.len()).map(|i| !reach.covered(i)).collect())
}

/// Suppresses every metric's table, auditing the sums an outsider can use: each parent area is the
/// sum of its children, and each area's persons are its linked plus its isolated persons.
fn publish(counts: &Counts, min_count: u64) -> Vec<Shown> {
    let m = counts.metrics;
    let mut children: HashMap<AreaId, Vec<usize>> = HashMap::new();
    for (i, a) in counts.areas.iter().enumerate() {
        if let Some(parent) = a.parent {
            children.entry(parent).or_default().push(i);
        }
    }
    let cell = |area: usize, metric: usize| area * m + metric;
    // The metrics tied together by persons = linked + isolated are audited as one table.
    let systems: Vec<Vec<usize>> = std::iter::once(vec![PERSONS, LINKED, ISOLATED])
        .chain((BEYOND_WALK..m).map(|metric| vec![metric]))
        .collect();
    let mut shown = vec![Shown::Count(0); counts.values.len()];
    for metrics in systems {
        let cells: Vec<usize> =
            (0..counts.areas.len()).flat_map(|a| metrics.iter().map(move |&k| cell(a, k))).collect();
        let local: HashMap<usize, usize> = cells.iter().enumerate().map(|(i, &c)| (c, i)).collect();
        let mut relations = Vec::new();
        for (parent, kids) in &children {
            let Some(&p) = counts.position.get(parent) else { continue };
            for &k in &metrics {
                let parts = kids.iter().map(|&c| local[&cell(c, k)]).collect();
                relations.push(Relation { total: local[&cell(p, k)], parts });
            }
        }
        if metrics.len() == 3 {
            for a in 0..counts.areas.len() {
                let parts = vec![local[&cell(a, LINKED)], local[&cell(a, ISOLATED)]];
                relations.push(Relation { total: local[&cell(a, PERSONS)], parts });
            }
        }
        let values: Vec<u64> = cells.iter().map(|&c| counts.values[c]).collect();
        for (i, s) in suppress(&values, &relations, min_count).into_iter().enumerate() {
            shown[cells[i]] = s;
        }
    }
    shown
}
