//! The in-memory view of the store: every layer held in maps by id and indexed in R-trees (rstar,
//! the version geo uses, so geo's `Point` is the tree's point type). Coordinates are EPSG:4326.
//!
//! An `Index` is an immutable snapshot. A write clones it (each layer sits behind its own `Arc`, so
//! only the layers the write touches are copied), applies the committed change to the copy and
//! publishes it whole: a reader holds its snapshot as long as it likes, sees either all of a write or
//! none of it, and never makes a writer wait.

use super::{ChangeLog, DatasetInfo};
use crate::model::{Area, AreaId, AreaLevel, BBox, PopulationId, PopulationUnit, Site, SiteId, SiteKind};
use crate::network::Graph;
use geo::{BoundingRect, Intersects, Point};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use std::collections::BTreeMap;
use std::sync::Arc;

type AreaEntry = GeomWithData<Rectangle<Point<f64>>, AreaId>;
type PointEntry<Id> = GeomWithData<Point<f64>, Id>;
/// A point inside an area, where the map writes its name.
type LabelEntry = GeomWithData<Point<f64>, AreaId>;

/// How many times each layer has changed; anything cached from a layer is keyed by its version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct LayerVersions {
    pub areas: u64,
    pub sites: u64,
    pub population: u64,
    pub network: u64,
}

/// One layer's features by id and its R-tree.
#[derive(Clone)]
struct Layer<Id, T, Entry: rstar::RTreeObject> {
    by_id: BTreeMap<Id, Arc<T>>,
    tree: RTree<Entry>,
}

/// All layers in memory, with spatial indexes: one immutable snapshot of the store.
#[derive(Clone)]
pub struct Index {
    areas: Arc<Layer<AreaId, Area, AreaEntry>>,
    sites: Arc<Layer<SiteId, Site, PointEntry<SiteId>>>,
    population: Arc<Layer<PopulationId, PopulationUnit, PointEntry<PopulationId>>>,
    network: Option<Arc<Graph>>,
    dataset: Arc<DatasetInfo>,
    versions: LayerVersions,
    /// The years population units are for, kept as units are added (units are never removed alone),
    /// so that choosing a year costs nothing per request or tile.
    population_years: std::collections::BTreeSet<i32>,
    /// Each area's label point, worked out when a map tile first asks and kept for this version of
    /// the areas (a write of sites or population keeps it).
    area_labels: Arc<std::sync::OnceLock<RTree<LabelEntry>>>,
    /// Where sites and population units changed, write by write: what a cached tile asks.
    site_changes: Arc<ChangeLog>,
    population_changes: Arc<ChangeLog>,
}

/// The box around a layer's features, read from its R-tree's root: no feature is visited.
fn extent_of<E>(tree: &RTree<E>) -> Option<geo::Rect<f64>>
where
    E: rstar::RTreeObject<Envelope = rstar::AABB<Point<f64>>>,
{
    (tree.size() > 0).then(|| {
        let e = tree.root().envelope();
        geo::Rect::new(e.lower().0, e.upper().0)
    })
}

fn area_entry(area: &Area) -> Option<AreaEntry> {
    let r = area.geometry.bounding_rect()?;
    Some(GeomWithData::new(Rectangle::from_corners(r.min().into(), r.max().into()), area.id))
}

impl Index {
    /// Builds the index from whole layers, bulk-loading the R-trees.
    pub fn build(
        areas: Vec<Area>,
        sites: Vec<Site>,
        population: Vec<PopulationUnit>,
        network: Option<Graph>,
        dataset: DatasetInfo,
    ) -> Self {
        let area_tree = RTree::bulk_load(areas.iter().filter_map(area_entry).collect());
        let site_tree =
            RTree::bulk_load(sites.iter().map(|s| GeomWithData::new(s.data.location, s.id)).collect());
        let population_tree =
            RTree::bulk_load(population.iter().map(|p| GeomWithData::new(p.data.location, p.id)).collect());
        let population_years = population.iter().filter_map(|p| p.data.year).collect();
        Index {
            areas: Arc::new(Layer {
                by_id: areas.into_iter().map(|a| (a.id, Arc::new(a))).collect(),
                tree: area_tree,
            }),
            sites: Arc::new(Layer {
                by_id: sites.into_iter().map(|s| (s.id, Arc::new(s))).collect(),
                tree: site_tree,
            }),
            population: Arc::new(Layer {
                by_id: population.into_iter().map(|p| (p.id, Arc::new(p))).collect(),
                tree: population_tree,
            }),
            network: network.map(Arc::new),
            dataset: Arc::new(dataset),
            versions: LayerVersions::default(),
            population_years,
            area_labels: Arc::default(),
            site_changes: Arc::default(),
            population_changes: Arc::default(),
        }
    }

    /// The current layer versions.
    pub fn versions(&self) -> LayerVersions {
        self.versions
    }

    /// The data set's title, fictional flag and attribution.
    pub fn dataset(&self) -> &DatasetInfo {
        &self.dataset
    }

    pub(super) fn put_dataset(&mut self, dataset: DatasetInfo) {
        self.dataset = Arc::new(dataset);
    }

    // ----- areas -----

    /// One area by id.
    pub fn area(&self, id: AreaId) -> Option<&Arc<Area>> {
        self.areas.by_id.get(&id)
    }

    /// All areas, in id order.
    pub fn areas(&self) -> impl Iterator<Item = &Arc<Area>> {
        self.areas.by_id.values()
    }

    /// Areas of `level` (any level when `None`) whose geometry intersects `bbox` (everywhere when
    /// `None`), in id order.
    pub fn areas_in(&self, level: Option<AreaLevel>, bbox: Option<&BBox>) -> Vec<Arc<Area>> {
        let level_ok = |a: &Area| level.is_none_or(|l| a.level == l);
        let mut found: Vec<Arc<Area>> = match bbox {
            None => self.areas().filter(|a| level_ok(a)).cloned().collect(),
            Some(b) => {
                let rect = b.to_rect();
                self.areas
                    .tree
                    .locate_in_envelope_intersecting(&b.envelope())
                    .map(|e| &self.areas.by_id[&e.data])
                    .filter(|a| level_ok(a) && a.geometry.intersects(&rect))
                    .cloned()
                    .collect()
            }
        };
        found.sort_by_key(|a| a.id);
        found
    }

    /// Areas of `level` (any level when `None`) that hold `point` (inside or on the border), in id
    /// order.
    pub fn areas_at(&self, level: Option<AreaLevel>, point: Point<f64>) -> Vec<Arc<Area>> {
        let mut found: Vec<Arc<Area>> = self
            .areas
            .tree
            .locate_all_at_point(&point)
            .map(|e| &self.areas.by_id[&e.data])
            .filter(|a| level.is_none_or(|l| a.level == l) && a.geometry.intersects(&point))
            .cloned()
            .collect();
        found.sort_by_key(|a| a.id);
        found
    }

    /// The name of `area`'s parent, if it has one.
    pub fn parent_name(&self, area: &Area) -> Option<&str> {
        area.parent.and_then(|id| self.area(id)).map(|p| p.name.as_str())
    }

    /// The chain of parents of `area`, outermost first (e.g. city, ward, sphere for a district).
    pub fn ancestors(&self, area: &Area) -> Vec<Arc<Area>> {
        let mut chain = Vec::new();
        let mut next = area.parent;
        while let Some(parent) = next.and_then(|id| self.area(id)) {
            if chain.iter().any(|a: &Arc<Area>| a.id == parent.id) {
                break; // a cycle can only come from a hand-edited file; stop rather than loop
            }
            next = parent.parent;
            chain.push(parent.clone());
        }
        chain.reverse();
        chain
    }

    /// The areas whose parent is `id`, in id order.
    pub fn children(&self, id: AreaId) -> Vec<Arc<Area>> {
        self.areas().filter(|a| a.parent == Some(id)).cloned().collect()
    }

    /// Areas whose label point (a point inside each, where the map writes its name) lies in
    /// `bbox`, with that point, in id order. The points are found once per version of the areas:
    /// a tile then looks them up instead of working through every polygon it touches.
    pub fn area_labels_in(&self, bbox: &BBox) -> Vec<(Arc<Area>, Point<f64>)> {
        use geo::InteriorPoint;
        let tree = self.area_labels.get_or_init(|| {
            let points =
                self.areas().filter_map(|a| Some(GeomWithData::new(a.geometry.interior_point()?, a.id)));
            RTree::bulk_load(points.collect())
        });
        let mut found: Vec<(Arc<Area>, Point<f64>)> = tree
            .locate_in_envelope(&bbox.envelope())
            .map(|e| (self.areas.by_id[&e.data].clone(), *e.geom()))
            .collect();
        found.sort_by_key(|(a, _)| a.id);
        found
    }

    /// Replaces or adds areas.
    pub(super) fn put_areas(&mut self, areas: impl IntoIterator<Item = Area>) {
        let layer = Arc::make_mut(&mut self.areas);
        for area in areas {
            if let Some(old) = layer.by_id.get(&area.id).and_then(|a| area_entry(a)) {
                layer.tree.remove(&old);
            }
            if let Some(entry) = area_entry(&area) {
                layer.tree.insert(entry);
            }
            layer.by_id.insert(area.id, Arc::new(area));
        }
        self.area_labels = Arc::default();
        self.versions.areas += 1;
    }

    // ----- sites -----

    /// One site by id.
    pub fn site(&self, id: SiteId) -> Option<&Arc<Site>> {
        self.sites.by_id.get(&id)
    }

    /// All sites, in id order.
    pub fn sites(&self) -> impl Iterator<Item = &Arc<Site>> {
        self.sites.by_id.values()
    }

    /// The sites of `kinds` (all when empty) inside `bbox` that are open in `year` — this year when
    /// `None` — in id order: what every analysis counts, so a closed café covers no one anywhere.
    pub fn sites_open_in(
        &self,
        kinds: &[SiteKind],
        bbox: Option<&BBox>,
        year: Option<i32>,
    ) -> Vec<Arc<Site>> {
        let year = year.unwrap_or_else(crate::model::calendar::this_year);
        let mut sites = self.sites_in(kinds, bbox);
        sites.retain(|s| s.data.open_in(year));
        sites
    }

    /// Sites of the given kinds (all kinds when empty) inside `bbox` (everywhere when `None`), in id
    /// order.
    pub fn sites_in(&self, kinds: &[SiteKind], bbox: Option<&BBox>) -> Vec<Arc<Site>> {
        let kind_ok = |s: &Site| kinds.is_empty() || kinds.contains(&s.data.kind);
        let mut found: Vec<Arc<Site>> = match bbox {
            None => self.sites().filter(|s| kind_ok(s)).cloned().collect(),
            Some(b) => self
                .sites
                .tree
                .locate_in_envelope(&b.envelope())
                .map(|e| &self.sites.by_id[&e.data])
                .filter(|s| kind_ok(s))
                .cloned()
                .collect(),
        };
        found.sort_by_key(|s| s.id);
        found
    }

    /// Where sites changed, write by write.
    pub fn site_changes(&self) -> &ChangeLog {
        &self.site_changes
    }

    pub(super) fn put_sites(&mut self, sites: impl IntoIterator<Item = Site>) {
        let layer = Arc::make_mut(&mut self.sites);
        let mut places = Vec::new();
        for site in sites {
            places.extend(remove_point(layer, site.id, |s| s.data.location));
            places.push(site.data.location);
            layer.tree.insert(GeomWithData::new(site.data.location, site.id));
            layer.by_id.insert(site.id, Arc::new(site));
        }
        self.versions.sites += 1;
        Arc::make_mut(&mut self.site_changes).record(self.versions.sites, &places);
    }

    pub(super) fn remove_site(&mut self, id: SiteId) {
        let layer = Arc::make_mut(&mut self.sites);
        let places: Vec<_> = remove_point(layer, id, |s| s.data.location).into_iter().collect();
        layer.by_id.remove(&id);
        self.versions.sites += 1;
        Arc::make_mut(&mut self.site_changes).record(self.versions.sites, &places);
    }

    // ----- population -----

    /// The lon/lat box around every area (`None` when there are none).
    pub fn areas_extent(&self) -> Option<geo::Rect<f64>> {
        extent_of(&self.areas.tree)
    }

    /// The lon/lat box around every site.
    pub fn sites_extent(&self) -> Option<geo::Rect<f64>> {
        extent_of(&self.sites.tree)
    }

    /// The lon/lat box around every population point.
    pub fn population_extent(&self) -> Option<geo::Rect<f64>> {
        extent_of(&self.population.tree)
    }

    /// One population point.
    pub fn population_unit(&self, id: crate::model::PopulationId) -> Option<&Arc<PopulationUnit>> {
        self.population.by_id.get(&id)
    }

    /// All population units, in id order.
    pub fn population(&self) -> impl Iterator<Item = &Arc<PopulationUnit>> {
        self.population.by_id.values()
    }

    /// The latest year a population unit is for.
    pub fn latest_population_year(&self) -> Option<i32> {
        self.population_years.last().copied()
    }

    /// The population as of one year, so that two imported years are two years, never a sum: for
    /// `Some(y)` the latest year held up to `y` (the earliest held when none is that old), for `None`
    /// the latest year; every unit when none has a year. (Units without a year are left out once any
    /// unit has one.) With the year counted.
    pub fn population_of(&self, year: Option<i32>) -> (Option<i32>, Vec<Arc<PopulationUnit>>) {
        let years = &self.population_years;
        let year = match year {
            Some(y) => years.range(..=y).next_back().or(years.first()).copied(),
            None => years.last().copied(),
        };
        (year, self.population().filter(|u| u.data.year == year).cloned().collect())
    }

    /// Population units inside `bbox` (everywhere when `None`), in id order.
    pub fn population_in(&self, bbox: Option<&BBox>) -> Vec<Arc<PopulationUnit>> {
        let mut found: Vec<Arc<PopulationUnit>> = match bbox {
            None => self.population().cloned().collect(),
            Some(b) => self
                .population
                .tree
                .locate_in_envelope(&b.envelope())
                .map(|e| self.population.by_id[&e.data].clone())
                .collect(),
        };
        found.sort_by_key(|p| p.id);
        found
    }

    /// Where population units changed, write by write.
    pub fn population_changes(&self) -> &ChangeLog {
        &self.population_changes
    }

    pub(super) fn put_population(&mut self, units: Vec<PopulationUnit>) {
        let layer = Arc::make_mut(&mut self.population);
        let places: Vec<_> = units.iter().map(|u| u.data.location).collect();
        for unit in units {
            remove_point(layer, unit.id, |u| u.data.location);
            self.population_years.extend(unit.data.year);
            layer.tree.insert(GeomWithData::new(unit.data.location, unit.id));
            layer.by_id.insert(unit.id, Arc::new(unit));
        }
        self.versions.population += 1;
        Arc::make_mut(&mut self.population_changes).record(self.versions.population, &places);
    }

    // ----- network -----

    /// The walking network, if one has been imported.
    pub fn network(&self) -> Option<&Arc<Graph>> {
        self.network.as_ref()
    }

    pub(super) fn put_network(&mut self, graph: Arc<Graph>) {
        self.network = Some(graph);
        self.versions.network += 1;
    }

    /// Number of features in each layer.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.areas.by_id.len(), self.sites.by_id.len(), self.population.by_id.len())
    }
}

/// Takes the R-tree entry of point feature `id` out of `layer`, if it has one, returning where it was.
fn remove_point<Id: Ord + Copy + PartialEq, T>(
    layer: &mut Layer<Id, T, PointEntry<Id>>,
    id: Id,
    location: impl Fn(&T) -> Point<f64>,
) -> Option<Point<f64>> {
    let old = location(layer.by_id.get(&id)?);
    layer.tree.remove(&GeomWithData::new(old, id));
    Some(old)
}
