//! The storage seam: what the store needs from wherever features are kept durably. The
//! [`Store`](super::Store) keeps the in-memory snapshot and decides what a write means; a
//! [`Backend`] only loads layers and runs the row operations of one transaction. Two backends:
//! the GeoPackage file ([`super::gpkg`]) and PostgreSQL/PostGIS ([`super::postgres`]).

use super::{DatasetInfo, StoreError};
use crate::model::{
    Area, AreaData, AreaId, PopulationData, PopulationId, PopulationUnit, Site, SiteData, SiteId,
};
use crate::network::{Graph, NetworkParts};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A stored layer, as writes report it and other instances learn of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Areas,
    Sites,
    Population,
    Network,
    /// The data set's title, fictional flag and attribution.
    Dataset,
}

impl Layer {
    /// Every layer, in the order an instance refreshes them.
    pub const ALL: [Layer; 5] =
        [Layer::Areas, Layer::Sites, Layer::Population, Layer::Network, Layer::Dataset];

    /// The layer's name in tables and notifications.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Areas => "areas",
            Layer::Sites => "sites",
            Layer::Population => "population",
            Layer::Network => "network",
            Layer::Dataset => "dataset",
        }
    }

    /// The layer named `name`, if any.
    pub fn parse(name: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.as_str() == name)
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// How far each layer has been written in a database several instances share: a counter per layer,
/// raised by every committed write to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SharedVersions([u64; 5]);

impl SharedVersions {
    pub fn get(&self, layer: Layer) -> u64 {
        self.0[layer.slot()]
    }

    pub fn set(&mut self, layer: Layer, version: u64) {
        self.0[layer.slot()] = version;
    }

    /// The layers at which `newer` is ahead of `self`.
    pub fn behind(&self, newer: &SharedVersions) -> Vec<Layer> {
        Layer::ALL.into_iter().filter(|l| newer.get(*l) > self.get(*l)).collect()
    }
}

/// Whether a write's bounds add to a layer's extent or replace it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    /// The extent grows to cover the write.
    Grow,
    /// The layer was replaced whole: its extent is exactly the write's.
    Replace,
}

/// Where features are kept durably.
pub trait Backend: Send + Sync {
    /// The store as people name it in messages: a file path, or a database and its tenant.
    fn describe(&self) -> String;

    /// The file the store lives in, when it is one (backups copy it).
    fn file(&self) -> Option<&Path> {
        None
    }

    /// The layers' versions in a shared database; `None` when this process is the only writer.
    fn versions(&self) -> Result<Option<SharedVersions>, StoreError> {
        Ok(None)
    }

    fn load_areas(&self) -> Result<Vec<Area>, StoreError>;
    fn load_sites(&self) -> Result<Vec<Site>, StoreError>;
    fn load_population(&self) -> Result<Vec<PopulationUnit>, StoreError>;
    /// The network as node positions and edges, or `None` when none was imported.
    fn load_network(&self) -> Result<Option<NetworkParts>, StoreError>;
    fn load_dataset(&self) -> Result<DatasetInfo, StoreError>;

    /// Starts a transaction; it commits only through [`Tx::commit`] and rolls back when dropped.
    fn begin(&self) -> Result<Box<dyn Tx + '_>, StoreError>;

    /// Waits up to `timeout` for another instance's write; true when one was announced. A backend
    /// without other writers just sleeps.
    fn wait_for_change(&self, timeout: Duration) -> Result<bool, StoreError> {
        std::thread::sleep(timeout);
        Ok(false)
    }

    /// The backend's own consistency check: findings, `["ok"]` when sound.
    fn integrity_check(&self) -> Result<Vec<String>, StoreError>;
}

/// The row operations of one transaction. New rows get fresh ids; `copy_*` keep the ids they are
/// given (moving a store between backends keeps every id the private store refers to).
pub trait Tx {
    fn insert_area(&mut self, area: &AreaData) -> Result<AreaId, StoreError>;
    fn set_area_parent(
        &mut self,
        id: AreaId,
        parent: Option<AreaId>,
        derived: bool,
    ) -> Result<(), StoreError>;
    fn insert_site(&mut self, site: &SiteData) -> Result<SiteId, StoreError>;
    /// False when there is no such site.
    fn update_site(&mut self, id: SiteId, site: &SiteData) -> Result<bool, StoreError>;
    /// False when there is no such site.
    fn delete_site(&mut self, id: SiteId) -> Result<bool, StoreError>;
    fn insert_population(&mut self, unit: &PopulationData) -> Result<PopulationId, StoreError>;
    fn replace_network(&mut self, graph: &Graph) -> Result<(), StoreError>;
    fn get_meta(&mut self, key: &str) -> Result<Option<String>, StoreError>;
    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError>;

    /// Adds areas with their ids, parents included.
    fn copy_areas(&mut self, areas: &[Arc<Area>]) -> Result<(), StoreError>;
    fn copy_sites(&mut self, sites: &[Arc<Site>]) -> Result<(), StoreError>;
    fn copy_population(&mut self, units: &[Arc<PopulationUnit>]) -> Result<(), StoreError>;

    /// Records a write to `layer` within `rect` (lon/lat): extents, change times, versions.
    fn touch(&mut self, layer: Layer, rect: Option<geo::Rect<f64>>, extent: Extent)
    -> Result<(), StoreError>;

    /// Commits, returning the shared versions the transaction's writes raised (none for a backend
    /// with one writer).
    fn commit(self: Box<Self>) -> Result<Vec<(Layer, u64)>, StoreError>;
}

/// The data set's description from its metadata keys.
pub(super) fn dataset_from(
    mut get: impl FnMut(&str) -> Result<Option<String>, StoreError>,
) -> Result<DatasetInfo, StoreError> {
    let attribution = match get("attribution")? {
        Some(json) => serde_json::from_str(&json).unwrap_or_else(|_| vec![json]),
        None => Vec::new(),
    };
    Ok(DatasetInfo {
        title: get("title")?,
        fictional: get("fictional")?.as_deref() == Some("true"),
        attribution,
    })
}

/// Writes `dataset` as the metadata keys [`dataset_from`] reads, and records the write.
pub(super) fn write_dataset(tx: &mut dyn Tx, dataset: &DatasetInfo) -> Result<(), StoreError> {
    if let Some(title) = &dataset.title {
        tx.set_meta("title", title)?;
    }
    tx.set_meta("fictional", if dataset.fictional { "true" } else { "false" })?;
    tx.set_meta("attribution", &serde_json::to_string(&dataset.attribution).expect("strings serialise"))?;
    tx.touch(Layer::Dataset, None, Extent::Grow)
}

/// An area's columns, borrowed from a new area or from one copied with its id.
pub struct AreaRow<'a> {
    /// The id to keep; `None` for a fresh one.
    pub id: Option<AreaId>,
    pub name: &'a str,
    pub level: crate::model::AreaLevel,
    pub code: Option<&'a str>,
    pub parent_derived: bool,
    pub geometry: &'a geo::MultiPolygon<f64>,
    pub properties: &'a crate::model::Properties,
}

impl<'a> AreaRow<'a> {
    /// A new area's row; its parent is set afterwards.
    pub fn new(data: &'a AreaData) -> Self {
        AreaRow {
            id: None,
            name: &data.name,
            level: data.level,
            code: data.code.as_deref(),
            parent_derived: data.parent == crate::model::ParentRef::Derive,
            geometry: &data.geometry,
            properties: &data.properties,
        }
    }

    /// A stored area's row, id kept; its parent is set once every area is in.
    pub fn copy(area: &'a Area) -> Self {
        AreaRow {
            id: Some(area.id),
            name: &area.name,
            level: area.level,
            code: area.code.as_deref(),
            parent_derived: area.parent_derived,
            geometry: &area.geometry,
            properties: &area.properties,
        }
    }
}
