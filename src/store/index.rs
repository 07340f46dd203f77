//! The in-memory view of the store: every layer held in maps by id and indexed in R-trees (rstar,
//! the version geo uses, so geo's `Point` is the tree's point type). Coordinates are EPSG:4326.
//!
//! An `Index` is only ever changed after the database commit it mirrors, under the store's write
//! lock, so a reader holding a read guard sees either all of a write or none of it.

use crate::model::{
    Area, AreaId, AreaLevel, BBox, PopulationId, PopulationUnit, Site, SiteData, SiteId, SiteKind,
};
use crate::network::Graph;
use geo::{BoundingRect, Intersects, Point};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use std::collections::BTreeMap;
use std::sync::Arc;

type AreaEntry = GeomWithData<Rectangle<Point<f64>>, AreaId>;
type PointEntry<Id> = GeomWithData<Point<f64>, Id>;

/// How many times each layer has changed; anything cached from a layer is keyed by its version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LayerVersions {
    pub areas: u64,
    pub sites: u64,
    pub population: u64,
    pub network: u64,
}

/// All layers in memory, with spatial indexes.
#[derive(Default)]
pub struct Index {
    areas: BTreeMap<AreaId, Arc<Area>>,
    area_tree: RTree<AreaEntry>,
    sites: BTreeMap<SiteId, Arc<Site>>,
    site_tree: RTree<PointEntry<SiteId>>,
    population: BTreeMap<PopulationId, Arc<PopulationUnit>>,
    population_tree: RTree<PointEntry<PopulationId>>,
    network: Option<Arc<Graph>>,
    versions: LayerVersions,
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
    ) -> Self {
        let area_tree = RTree::bulk_load(areas.iter().filter_map(area_entry).collect());
        let site_tree =
            RTree::bulk_load(sites.iter().map(|s| GeomWithData::new(s.data.location, s.id)).collect());
        let population_tree =
            RTree::bulk_load(population.iter().map(|p| GeomWithData::new(p.data.location, p.id)).collect());
        Index {
            areas: areas.into_iter().map(|a| (a.id, Arc::new(a))).collect(),
            area_tree,
            sites: sites.into_iter().map(|s| (s.id, Arc::new(s))).collect(),
            site_tree,
            population: population.into_iter().map(|p| (p.id, Arc::new(p))).collect(),
            population_tree,
            network: network.map(Arc::new),
            versions: LayerVersions::default(),
        }
    }

    /// The current layer versions.
    pub fn versions(&self) -> LayerVersions {
        self.versions
    }

    // ----- areas -----

    /// One area by id.
    pub fn area(&self, id: AreaId) -> Option<&Arc<Area>> {
        self.areas.get(&id)
    }

    /// All areas, in id order.
    pub fn areas(&self) -> impl Iterator<Item = &Arc<Area>> {
        self.areas.values()
    }

    /// Areas of `level` (any level when `None`) whose geometry intersects `bbox` (everywhere when
    /// `None`), in id order.
    pub fn areas_in(&self, level: Option<AreaLevel>, bbox: Option<&BBox>) -> Vec<Arc<Area>> {
        let level_ok = |a: &Area| level.is_none_or(|l| a.level == l);
        let mut found: Vec<Arc<Area>> = match bbox {
            None => self.areas.values().filter(|a| level_ok(a)).cloned().collect(),
            Some(b) => {
                let rect = b.to_rect();
                self.area_tree
                    .locate_in_envelope_intersecting(&b.envelope())
                    .map(|e| &self.areas[&e.data])
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
            .area_tree
            .locate_all_at_point(&point)
            .map(|e| &self.areas[&e.data])
            .filter(|a| level.is_none_or(|l| a.level == l) && a.geometry.intersects(&point))
            .cloned()
            .collect();
        found.sort_by_key(|a| a.id);
        found
    }

    /// The name of `area`'s parent, if it has one.
    pub fn parent_name(&self, area: &Area) -> Option<&str> {
        area.parent.and_then(|id| self.areas.get(&id)).map(|p| p.name.as_str())
    }

    /// The chain of parents of `area`, outermost first (e.g. city, ward, sphere for a district).
    pub fn ancestors(&self, area: &Area) -> Vec<Arc<Area>> {
        let mut chain = Vec::new();
        let mut next = area.parent;
        while let Some(parent) = next.and_then(|id| self.areas.get(&id)) {
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
        self.areas.values().filter(|a| a.parent == Some(id)).cloned().collect()
    }

    /// Replaces or adds areas.
    pub(super) fn put_areas(&mut self, areas: impl IntoIterator<Item = Area>) {
        for area in areas {
            if let Some(old) = self.areas.get(&area.id).and_then(|a| area_entry(a)) {
                self.area_tree.remove(&old);
            }
            if let Some(entry) = area_entry(&area) {
                self.area_tree.insert(entry);
            }
            self.areas.insert(area.id, Arc::new(area));
        }
        self.versions.areas += 1;
    }

    // ----- sites -----

    /// One site by id.
    pub fn site(&self, id: SiteId) -> Option<&Arc<Site>> {
        self.sites.get(&id)
    }

    /// All sites, in id order.
    pub fn sites(&self) -> impl Iterator<Item = &Arc<Site>> {
        self.sites.values()
    }

    /// Sites of the given kinds (all kinds when empty) inside `bbox` (everywhere when `None`), in id
    /// order.
    pub fn sites_in(&self, kinds: &[SiteKind], bbox: Option<&BBox>) -> Vec<Arc<Site>> {
        let kind_ok = |s: &Site| kinds.is_empty() || kinds.contains(&s.data.kind);
        let mut found: Vec<Arc<Site>> = match bbox {
            None => self.sites.values().filter(|s| kind_ok(s)).cloned().collect(),
            Some(b) => self
                .site_tree
                .locate_in_envelope(&b.envelope())
                .map(|e| &self.sites[&e.data])
                .filter(|s| kind_ok(s))
                .cloned()
                .collect(),
        };
        found.sort_by_key(|s| s.id);
        found
    }

    pub(super) fn put_site(&mut self, site: Site) {
        self.remove_site_entry(site.id);
        self.site_tree.insert(GeomWithData::new(site.data.location, site.id));
        self.sites.insert(site.id, Arc::new(site));
    }

    pub(super) fn put_sites(&mut self, ids: &[SiteId], sites: Vec<SiteData>) {
        for (id, data) in ids.iter().zip(sites) {
            self.put_site(Site { id: *id, data });
        }
        self.versions.sites += 1;
    }

    pub(super) fn update_site(&mut self, site: Site) {
        self.put_site(site);
        self.versions.sites += 1;
    }

    pub(super) fn remove_site(&mut self, id: SiteId) {
        self.remove_site_entry(id);
        self.sites.remove(&id);
        self.versions.sites += 1;
    }

    fn remove_site_entry(&mut self, id: SiteId) {
        if let Some(old) = self.sites.get(&id) {
            self.site_tree.remove(&GeomWithData::new(old.data.location, id));
        }
    }

    // ----- population -----

    /// All population units, in id order.
    pub fn population(&self) -> impl Iterator<Item = &Arc<PopulationUnit>> {
        self.population.values()
    }

    /// Population units inside `bbox` (everywhere when `None`), in id order.
    pub fn population_in(&self, bbox: Option<&BBox>) -> Vec<Arc<PopulationUnit>> {
        let mut found: Vec<Arc<PopulationUnit>> = match bbox {
            None => self.population.values().cloned().collect(),
            Some(b) => self
                .population_tree
                .locate_in_envelope(&b.envelope())
                .map(|e| self.population[&e.data].clone())
                .collect(),
        };
        found.sort_by_key(|p| p.id);
        found
    }

    pub(super) fn put_population(&mut self, units: Vec<PopulationUnit>) {
        for unit in units {
            self.population_tree.insert(GeomWithData::new(unit.data.location, unit.id));
            self.population.insert(unit.id, Arc::new(unit));
        }
        self.versions.population += 1;
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
        (self.areas.len(), self.sites.len(), self.population.len())
    }
}
