//! The durable store: one SQLite file laid out as an OGC GeoPackage (see [`gpkg`]), mirrored in an
//! in-memory [`Index`]. Geometry is EPSG:4326 throughout.
//!
//! Every import or edit is one SQLite transaction in WAL mode with `synchronous = FULL`, so a write
//! that has returned survives a crash. After the commit the write publishes a new [`Index`]
//! snapshot atomically (arc-swap): readers keep whichever snapshot they took for as long as they
//! compute, see a layer before or after a write and never half of it, and no writer ever waits for a
//! reader. Writers wait only for each other.

pub mod backup;
mod changes;
pub mod gpkg;
mod index;
mod nesting;
mod rows;

pub use changes::ChangeLog;
pub use index::{Index, LayerVersions};
pub use nesting::ParentError;

use crate::model::limits;
use crate::model::{
    Area, AreaData, AreaId, ParentRef, PopulationData, PopulationId, PopulationUnit, Site, SiteData, SiteId,
    union_rects,
};
use crate::network::{EdgeData, Graph, NetworkSummary};
use arc_swap::ArcSwap;
use geo::BoundingRect;
use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags, Transaction};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (I/O, a full disk, a locked or corrupt file).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file is a SQLite database but not a GeoPackage written by sasaeai.
    #[error("{path} is not a sasaeai GeoPackage: {reason}")]
    NotOurs { path: PathBuf, reason: String },
    /// A stored geometry could not be decoded.
    #[error("{table} feature {fid}: {source}")]
    Geometry { table: &'static str, fid: i64, source: gpkg::BlobError },
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
    /// Another program (QGIS editing the file, a backup) holds the file's write lock.
    #[error(
        "the store {path} is locked by another program (QGIS editing it, or a copy in progress); try again shortly"
    )]
    Busy { path: PathBuf },
}

/// How long a write waits for another program's lock on the file before it gives up as [`StoreError::Busy`].
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

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

/// The store: a GeoPackage on disk and its in-memory index.
pub struct Store {
    path: PathBuf,
    /// The one connection; writers take turns on it.
    conn: Mutex<Connection>,
    /// The current snapshot, replaced whole by each write.
    index: ArcSwap<Index>,
}

impl Store {
    /// Opens the GeoPackage at `path`, creating an empty one if there is no file, and loads every
    /// layer into memory.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let is_new = !path.exists();
        let mut conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if is_new {
            gpkg::create_schema(&mut conn)?;
        } else {
            check_is_ours(&conn, &path)?;
        }
        let network = rows::load_network(&conn)?.map(|(nodes, edges)| Graph::new(nodes, edges));
        let index = Index::build(
            rows::load_areas(&conn)?,
            rows::load_sites(&conn)?,
            rows::load_population(&conn)?,
            network,
            load_dataset(&conn)?,
        );
        Ok(Store { path, conn: Mutex::new(conn), index: ArcSwap::from_pointee(index) })
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current snapshot of every layer: consistent, immutable, and free to hold while computing.
    pub fn read(&self) -> Arc<Index> {
        self.index.load_full()
    }

    /// Runs `write` in one transaction and, once it has committed, `apply` to a copy of the current
    /// snapshot, which then becomes the current one.
    fn write<T, R>(
        &self,
        write: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
        apply: impl FnOnce(&mut Index, T) -> R,
    ) -> Result<R, StoreError> {
        let mut conn = self.conn.lock();
        let busy = |e: rusqlite::Error| {
            if is_busy(&e) { StoreError::Busy { path: self.path.clone() } } else { e.into() }
        };
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(busy)?;
        let written = write(&tx).map_err(|e| match e {
            StoreError::Sqlite(e) => busy(e),
            other => other,
        })?;
        tx.commit().map_err(busy)?;
        let mut next = Index::clone(&self.index.load());
        let result = apply(&mut next, written);
        self.index.store(Arc::new(next));
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
                    let id = rows::insert_area(tx, &data)?;
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
                    rows::set_area_parent(tx, area.id, area.parent, area.parent_derived)?;
                }
                let rect = union_rects(changed.iter().filter_map(|a| a.geometry.bounding_rect()));
                gpkg::touch_contents(tx, "areas", rect)?;
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
                    written.push(Site { id: rows::insert_site(tx, &data)?, data });
                }
                let rect = union_rects(written.iter().map(|s| s.data.location.bounding_rect()));
                gpkg::touch_contents(tx, "sites", rect)?;
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
                    written.push(Site { id: rows::insert_site(tx, &data)?, data });
                }
                let inserted: Vec<SiteId> = written.iter().map(|s| s.id).collect();
                for (id, data) in changes.update {
                    if !rows::update_site(tx, id, &data)? {
                        return Err(StoreError::SiteNotFound(id));
                    }
                    written.push(Site { id, data });
                }
                for id in &changes.delete {
                    rows::delete_site(tx, *id)?;
                }
                let rect = union_rects(written.iter().map(|s| s.data.location.bounding_rect()));
                gpkg::touch_contents(tx, "sites", rect)?;
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
                if !rows::update_site(tx, id, &data)? {
                    return Err(StoreError::SiteNotFound(id));
                }
                gpkg::touch_contents(tx, "sites", Some(data.location.bounding_rect()))?;
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
                if !rows::delete_site(tx, id)? {
                    return Err(StoreError::SiteNotFound(id));
                }
                gpkg::touch_contents(tx, "sites", None)?;
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
                    written.push(PopulationUnit { id: rows::insert_population(tx, &data)?, data });
                }
                let rect = union_rects(written.iter().map(|p| p.data.location.bounding_rect()));
                gpkg::touch_contents(tx, "population", rect)?;
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
                rows::replace_network(tx, &written)?;
                let rect =
                    union_rects(written.edges().iter().filter_map(|e| e.data.geometry.bounding_rect()));
                Ok(gpkg::set_extent(tx, "network", rect)?)
            },
            |index, ()| {
                index.put_network(graph);
                summary
            },
        )
    }

    /// Runs SQLite's `PRAGMA integrity_check`, returning its findings (`["ok"]` when sound).
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
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

fn check_is_ours(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let not_ours = |reason: String| StoreError::NotOurs { path: path.to_path_buf(), reason };
    let version: Option<String> = conn
        .query_row("SELECT value FROM sasaeai_meta WHERE key = 'schema_version'", [], |r| r.get(0))
        .map_err(|e| not_ours(format!("no sasaeai_meta table ({e})")))?;
    match version.as_deref() {
        Some(v) if v == gpkg::SCHEMA_VERSION.to_string() => Ok(()),
        other => Err(not_ours(format!("schema version {other:?}, expected {}", gpkg::SCHEMA_VERSION))),
    }
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
                rows::set_meta(tx, "title", title)?;
                rows::set_meta(tx, "fictional", if fictional { "true" } else { "false" })?;
                load_dataset(tx)
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
                let mut info = load_dataset(tx)?;
                if !info.attribution.iter().any(|a| a == line) {
                    if info.attribution.len() >= limits::ATTRIBUTION_LINES {
                        let max = limits::ATTRIBUTION_LINES;
                        return Err(StoreError::Attribution(format!(
                            "lines are {max} already, the most kept"
                        )));
                    }
                    info.attribution.push(line.to_owned());
                    let json = serde_json::to_string(&info.attribution).expect("strings serialise");
                    rows::set_meta(tx, "attribution", &json)?;
                }
                Ok(info)
            },
            |index, dataset| index.put_dataset(dataset),
        )
    }
}

/// Reads the data set's description from the metadata table.
fn load_dataset(conn: &Connection) -> Result<DatasetInfo, StoreError> {
    let attribution = match rows::get_meta(conn, "attribution")? {
        Some(json) => serde_json::from_str(&json).unwrap_or_else(|_| vec![json]),
        None => Vec::new(),
    };
    Ok(DatasetInfo {
        title: rows::get_meta(conn, "title")?,
        fictional: rows::get_meta(conn, "fictional")?.as_deref() == Some("true"),
        attribution,
    })
}
