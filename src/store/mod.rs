//! The store: features kept durably by a [`Backend`] (a GeoPackage file, or PostgreSQL/PostGIS shared
//! by several instances) and mirrored in an in-memory [`Index`]. Geometry is EPSG:4326 throughout.
//!
//! Every import or edit is one transaction of the backend; a write that has returned is durable.
//! After the commit the write publishes a new [`Index`] snapshot atomically (arc-swap): readers keep
//! whichever snapshot they took for as long as they compute, see a layer before or after a write and
//! never half of it, and no writer ever waits for a reader. Writers wait only for each other.
//!
//! On a shared database, other instances' writes arrive by [`Store::refresh`]: the layers whose
//! version moved are loaded again and published the same way.

pub mod backend;
pub mod backup;
mod changes;
mod columns;
mod copy;
mod follow;
pub mod geometry;
pub mod gpkg;
mod index;
mod location;
mod nesting;
pub mod postgres;

pub use backend::{Backend, Layer, SharedVersions};
pub use changes::ChangeLog;
pub use copy::{CopyReport, LayerDigest, digests};
pub use follow::FOLLOW_POLL;
pub use index::{Index, LayerVersions};
pub(crate) use location::without_password;
pub use location::{Location, Tenant};
pub use nesting::ParentError;

use crate::model::limits;
use crate::model::{
    Area, AreaData, AreaId, ParentRef, PopulationData, PopulationId, PopulationUnit, Site, SiteData, SiteId,
    union_rects,
};
use crate::network::{EdgeData, Graph, NetworkSummary};
use arc_swap::ArcSwap;
use backend::{Extent, Tx};
use geo::BoundingRect;
use parking_lot::Mutex;
use std::path::Path;
use std::sync::Arc;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (I/O, a full disk, a locked or corrupt file).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed or could not be reached.
    #[error("PostgreSQL: {}", postgres_message(.0))]
    Postgres(#[from] ::postgres::Error),
    /// The database cannot be used as it is (unreachable, or PostGIS missing); the reason says what to do.
    #[error("{store}: {reason}")]
    Setup { store: String, reason: String },
    /// The file or database exists but was not written by sasaeai (or by another version of it).
    #[error("{store} is not a sasaeai store: {reason}")]
    NotOurs { store: String, reason: String },
    /// A stored geometry could not be decoded.
    #[error("{table} feature {fid}: {source}")]
    Geometry { table: &'static str, fid: i64, source: geometry::BlobError },
    /// A stored row holds a value the model does not accept.
    #[error("{table} feature {fid}: {reason}")]
    BadRow { table: &'static str, fid: i64, reason: String },
    /// A parent named in an import does not exist or is ambiguous.
    #[error(transparent)]
    Parent(#[from] ParentError),
    /// No site has this id.
    #[error("no site with id {0}")]
    SiteNotFound(SiteId),
    /// An attribution line that cannot be kept.
    #[error("attribution {0}")]
    Attribution(String),
    /// A network import would drop more than half of the current network without being told to.
    #[error(
        "the new network has {new_km:.1} km of walkable ways, less than half of the current {current_km:.1} km; nothing was replaced. To replace it anyway, pass --replace (over HTTP, replace=true)"
    )]
    NetworkShrinks { current_km: f64, new_km: f64 },
    /// A store is copied only into an empty one.
    #[error("{store} already holds features; a store is copied only into an empty one")]
    NotEmpty { store: String },
    /// A copy read back differs from its source.
    #[error(
        "the copy's {layer} differ from the source's (checksum {source_sha256} against {target_sha256}); nothing is trusted"
    )]
    CopyDiffers { layer: &'static str, source_sha256: String, target_sha256: String },
    /// Another program (QGIS editing the file, a backup) holds the file's write lock.
    #[error(
        "the store {path} is locked by another program (QGIS editing it, or a copy in progress); try again shortly"
    )]
    Busy { path: std::path::PathBuf },
}

/// The server's own message where there is one (the driver's display says only "db error").
fn postgres_message(e: &::postgres::Error) -> String {
    match (e.as_db_error(), std::error::Error::source(e)) {
        (Some(db), _) => format!("{} ({})", db.message(), db.code().code()),
        (None, Some(cause)) => format!("{e}: {cause}"),
        (None, None) => e.to_string(),
    }
}

/// How long a write waits for another program's lock on the file before it gives up as [`StoreError::Busy`].
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether a network import may replace a much larger network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// Refuse a network less than half as long as the current one.
    OnlyIfNotShrinking,
    /// Replace whatever is there.
    Always,
}

/// Sites to add, rewrite and delete together.
#[derive(Debug, Default)]
pub struct SiteChanges {
    pub insert: Vec<SiteData>,
    pub update: Vec<(SiteId, SiteData)>,
    pub delete: Vec<SiteId>,
}

/// Counts of what one import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AreaImport {
    pub ids: Vec<AreaId>,
    /// Existing areas whose derived parent changed because of the new ones.
    pub reparented: usize,
}

/// The store: a backend and the in-memory snapshot of what it holds.
pub struct Store {
    backend: Box<dyn Backend>,
    /// Held by each write from its transaction's start until its snapshot is published (so
    /// snapshots follow commits in order), and by each refresh; holds the shared versions the
    /// current snapshot reflects.
    writer: Mutex<SharedVersions>,
    /// The current snapshot, replaced whole by each write.
    index: ArcSwap<Index>,
}

impl Store {
    /// Opens the GeoPackage at `path`, creating an empty one if there is no file, and loads every
    /// layer into memory.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Store::over(Box::new(gpkg::GeoPackage::open(path.as_ref())?))
    }

    /// Opens the store at `location` (a GeoPackage or a PostgreSQL tenant).
    pub fn open_at(location: &Location) -> Result<Self, StoreError> {
        match location {
            Location::GeoPackage(path) => Store::open(path),
            Location::Postgres { url, tenant } => {
                Store::over(Box::new(postgres::Postgres::connect(url, tenant.clone())?))
            }
        }
    }

    /// Loads every layer of `backend` into memory. The shared versions are read first, so a write
    /// by another instance while the layers load is caught by the next refresh.
    pub fn over(backend: Box<dyn Backend>) -> Result<Self, StoreError> {
        let versions = backend.versions()?.unwrap_or_default();
        let index = load_index(&*backend)?;
        Ok(Store { backend, writer: Mutex::new(versions), index: ArcSwap::from_pointee(index) })
    }

    /// The file this store lives in, when it is a file.
    pub fn path(&self) -> Option<&Path> {
        self.backend.file()
    }

    /// The store as people name it: a file path, or a database and its tenant.
    pub fn describe(&self) -> String {
        self.backend.describe()
    }

    /// The current snapshot of every layer: consistent, immutable, and free to hold while computing.
    pub fn read(&self) -> Arc<Index> {
        self.index.load_full()
    }

    /// Runs `write` in one transaction and, once it has committed, `apply` to a copy of the current
    /// snapshot, which then becomes the current one.
    fn write<T, R>(
        &self,
        write: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
        apply: impl FnOnce(&mut Index, T) -> R,
    ) -> Result<R, StoreError> {
        let mut versions = self.writer.lock();
        let mut tx = self.backend.begin()?;
        let written = write(&mut *tx)?;
        let raised = tx.commit()?;
        let mut next = Index::clone(&self.index.load());
        let result = apply(&mut next, written);
        self.index.store(Arc::new(next));
        for (layer, version) in raised {
            // Only a version one past ours is wholly this write; a gap means another instance
            // wrote in between, and the refresh that follows loads the layer again.
            if version == versions.get(layer) + 1 {
                versions.set(layer, version);
            }
        }
        Ok(result)
    }

    /// Adds areas, all or none. Parents given by name are resolved; the rest are derived from
    /// geometry, and existing areas with derived parents are re-derived against the new ones.
    pub fn import_areas(&self, areas: impl IntoIterator<Item = AreaData>) -> Result<AreaImport, StoreError> {
        self.write(
            |tx| {
                let existing: Vec<Arc<Area>> = self.read().areas().cloned().collect();
                let mut named = Vec::new();
                let mut fresh = Vec::new();
                for data in areas {
                    let id = tx.insert_area(&data)?;
                    if let ParentRef::Named(wanted) = &data.parent {
                        named.push((fresh.len(), wanted.clone()));
                    }
                    fresh.push(Area {
                        id,
                        parent_derived: data.parent == ParentRef::Derive,
                        parent: None,
                        name: data.name,
                        level: data.level,
                        code: data.code,
                        geometry: data.geometry,
                        properties: data.properties,
                    });
                }
                let parents = assign_parents(&existing, &fresh, &named)?;
                let parent_of = |a: &Area| parents.get(&a.id).copied().unwrap_or(a.parent);
                // Only existing areas whose parent moved are copied; the new ones are moved in.
                let reparented: Vec<Area> = existing
                    .iter()
                    .filter(|a| parent_of(a) != a.parent)
                    .map(|a| Area { parent: parent_of(a), ..(**a).clone() })
                    .collect();
                let fresh_ids: Vec<AreaId> = fresh.iter().map(|a| a.id).collect();
                let fresh =
                    fresh.into_iter().map(|a| Area { parent: parent_of(&a), ..a }).collect::<Vec<_>>();
                let changed: Vec<Area> = fresh.into_iter().chain(reparented).collect();
                for area in &changed {
                    tx.set_area_parent(area.id, area.parent, area.parent_derived)?;
                }
                let rect = union_rects(changed.iter().filter_map(|a| a.geometry.bounding_rect()));
                tx.touch(Layer::Areas, rect, Extent::Grow)?;
                Ok((fresh_ids, changed))
            },
            |index, (ids, changed)| {
                let reparented = changed.len() - ids.len();
                index.put_areas(changed);
                AreaImport { ids, reparented }
            },
        )
    }

    /// Adds sites, all or none, returning their ids in order.
    pub fn insert_sites(&self, sites: impl IntoIterator<Item = SiteData>) -> Result<Vec<SiteId>, StoreError> {
        self.write(
            |tx| {
                let mut written = Vec::new();
                for data in sites {
                    written.push(Site { id: tx.insert_site(&data)?, data });
                }
                let rect = union_rects(written.iter().map(|s| s.data.location.bounding_rect()));
                tx.touch(Layer::Sites, rect, Extent::Grow)?;
                Ok(written)
            },
            |index, written| {
                let ids = written.iter().map(|s| s.id).collect();
                index.put_sites(written);
                ids
            },
        )
    }

    /// Applies the site changes `plan` decides on the current snapshot, in one transaction: no other
    /// write comes between the decision and the writing. Returns the new sites' ids and what `plan`
    /// reported.
    pub fn change_sites<R>(
        &self,
        plan: impl FnOnce(&Index) -> (SiteChanges, R),
    ) -> Result<(Vec<SiteId>, R), StoreError> {
        self.write(
            |tx| {
                let (changes, report) = plan(&self.read());
                let mut written = Vec::new();
                for data in changes.insert {
                    written.push(Site { id: tx.insert_site(&data)?, data });
                }
                let inserted: Vec<SiteId> = written.iter().map(|s| s.id).collect();
                for (id, data) in changes.update {
                    if !tx.update_site(id, &data)? {
                        return Err(StoreError::SiteNotFound(id));
                    }
                    written.push(Site { id, data });
                }
                for id in &changes.delete {
                    tx.delete_site(*id)?;
                }
                let rect = union_rects(written.iter().map(|s| s.data.location.bounding_rect()));
                tx.touch(Layer::Sites, rect, Extent::Grow)?;
                Ok((written, changes.delete, inserted, report))
            },
            |index, (written, deleted, inserted, report)| {
                index.put_sites(written);
                for id in deleted {
                    index.remove_site(id);
                }
                (inserted, report)
            },
        )
    }

    /// Replaces every field of site `id`.
    pub fn update_site(&self, id: SiteId, data: SiteData) -> Result<Site, StoreError> {
        self.write(
            |tx| {
                if !tx.update_site(id, &data)? {
                    return Err(StoreError::SiteNotFound(id));
                }
                tx.touch(Layer::Sites, Some(data.location.bounding_rect()), Extent::Grow)?;
                Ok(Site { id, data })
            },
            |index, site| {
                index.put_sites([site.clone()]);
                site
            },
        )
    }

    /// Deletes site `id`.
    pub fn delete_site(&self, id: SiteId) -> Result<(), StoreError> {
        self.write(
            |tx| {
                if !tx.delete_site(id)? {
                    return Err(StoreError::SiteNotFound(id));
                }
                tx.touch(Layer::Sites, None, Extent::Grow)?;
                Ok(())
            },
            |index, ()| index.remove_site(id),
        )
    }

    /// Adds population units, all or none.
    pub fn insert_population(
        &self,
        units: impl IntoIterator<Item = PopulationData>,
    ) -> Result<Vec<PopulationId>, StoreError> {
        self.write(
            |tx| {
                let mut written = Vec::new();
                for data in units {
                    written.push(PopulationUnit { id: tx.insert_population(&data)?, data });
                }
                let rect = union_rects(written.iter().map(|p| p.data.location.bounding_rect()));
                tx.touch(Layer::Population, rect, Extent::Grow)?;
                Ok(written)
            },
            |index, written| {
                let ids = written.iter().map(|p| p.id).collect();
                index.put_population(written);
                ids
            },
        )
    }

    /// Replaces the walking network with `nodes` and `edges`, in one transaction. A network with less
    /// than half the length of the current one is refused unless `replace` says it is meant (a
    /// truncated or wrong file must not silently take a city's streets away).
    pub fn replace_network(
        &self,
        nodes: Vec<geo::Coord<f64>>,
        edges: Vec<EdgeData>,
        replace: Replace,
    ) -> Result<NetworkSummary, StoreError> {
        let graph = Arc::new(Graph::new(nodes, edges));
        let summary = NetworkSummary::of(&graph);
        let (new_km, written) = (summary.length_km, graph.clone());
        self.write(
            |tx| {
                // Compared inside the write, against the network no other import can replace meanwhile.
                if let (Replace::OnlyIfNotShrinking, Some(current)) = (replace, self.read().network()) {
                    let current_km = NetworkSummary::of(current).length_km;
                    if new_km < current_km / 2.0 {
                        return Err(StoreError::NetworkShrinks { current_km, new_km });
                    }
                }
                tx.replace_network(&written)?;
                let rect =
                    union_rects(written.edges().iter().filter_map(|e| e.data.geometry.bounding_rect()));
                tx.touch(Layer::Network, rect, Extent::Replace)
            },
            |index, ()| {
                index.put_network(graph);
                summary
            },
        )
    }

    /// The backend's consistency check (SQLite's `PRAGMA integrity_check` for a GeoPackage):
    /// findings, `["ok"]` when sound.
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        self.backend.integrity_check()
    }
}

/// Every layer of `backend`, indexed.
fn load_index(backend: &dyn Backend) -> Result<Index, StoreError> {
    let network = backend.load_network()?.map(|(nodes, edges)| Graph::new(nodes, edges));
    Ok(Index::build(
        backend.load_areas()?,
        backend.load_sites()?,
        backend.load_population()?,
        network,
        backend.load_dataset()?,
    ))
}

/// The parents of new areas (named or derived) and the re-derived parents of existing ones.
fn assign_parents(
    existing: &[Arc<Area>],
    fresh: &[Area],
    named: &[(usize, String)],
) -> Result<std::collections::HashMap<AreaId, Option<AreaId>>, StoreError> {
    let all: Vec<&Area> = existing.iter().map(|a| &**a).chain(fresh).collect();
    let mut parents = std::collections::HashMap::new();
    for (i, wanted) in named {
        let child = &fresh[*i];
        parents.insert(child.id, Some(nesting::resolve_named_parent(child, wanted, &all)?));
    }
    for area in all.iter().filter(|a| a.parent_derived) {
        parents.insert(area.id, nesting::derive_parent(area, &all));
    }
    Ok(parents)
}

/// What a data set is and whose it is, shown wherever its data is displayed.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DatasetInfo {
    /// A title such as 「ささえ市（架空）デモデータ」.
    pub title: Option<String>,
    /// True for invented demo data, which every view must mark as 架空.
    pub fictional: bool,
    /// Attribution lines for the data in the store, one per source.
    pub attribution: Vec<String>,
}

impl Store {
    /// The data set's title, fictional flag and attribution (from the current snapshot).
    pub fn dataset(&self) -> DatasetInfo {
        self.read().dataset().clone()
    }

    /// Replaces the data set's title and fictional flag, keeping its attribution.
    pub fn set_dataset(&self, title: &str, fictional: bool) -> Result<(), StoreError> {
        self.write(
            |tx| {
                let mut info = backend::dataset_from(|key| tx.get_meta(key))?;
                info.title = Some(title.to_owned());
                info.fictional = fictional;
                backend::write_dataset(tx, &info)?;
                Ok(info)
            },
            |index, dataset| index.put_dataset(dataset),
        )
    }

    /// Adds an attribution line unless it is already there; a line longer than
    /// [`limits::ATTRIBUTION_CHARS`], or one past [`limits::ATTRIBUTION_LINES`], is refused.
    pub fn add_attribution(&self, line: &str) -> Result<(), StoreError> {
        let line = limits::attribution(line).map_err(|e| StoreError::Attribution(e.to_string()))?;
        self.write(
            |tx| {
                let mut info = backend::dataset_from(|key| tx.get_meta(key))?;
                if !info.attribution.iter().any(|a| a == line) {
                    if info.attribution.len() >= limits::ATTRIBUTION_LINES {
                        let max = limits::ATTRIBUTION_LINES;
                        return Err(StoreError::Attribution(format!(
                            "lines are {max} already, the most kept"
                        )));
                    }
                    info.attribution.push(line.to_owned());
                    backend::write_dataset(tx, &info)?;
                }
                Ok(info)
            },
            |index, dataset| index.put_dataset(dataset),
        )
    }
}
