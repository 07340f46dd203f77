//! The embedded backend: one SQLite file laid out as an OGC GeoPackage (`layout`), so QGIS opens it
//! as it is. WAL mode with `synchronous = FULL`: a write that has returned survives a crash, and a
//! copy or a QGIS session reading the file never blocks the server. One process writes it.

mod layout;
mod rows;

pub use layout::{
    LAYERS, SCHEMA_VERSION, SRS_WGS84, create_core, decode_geometry, encode_geometry, register_layer,
    set_extent,
};

use super::backend::{AreaRow, Backend, Extent, Layer, Tx, dataset_from};
use super::{BUSY_TIMEOUT, DatasetInfo, StoreError};
use crate::model::{
    Area, AreaData, AreaId, PopulationData, PopulationId, PopulationUnit, Site, SiteData, SiteId,
};
use crate::network::{Graph, NetworkParts};
use parking_lot::{Mutex, MutexGuard};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A GeoPackage file and the one connection writers take turns on.
pub struct GeoPackage {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl GeoPackage {
    /// Opens the GeoPackage at `path`, creating an empty one if there is no file.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let is_new = !path.exists();
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if is_new {
            layout::create_schema(&mut conn)?;
        } else {
            check_is_ours(&conn, path)?;
        }
        Ok(GeoPackage { path: path.to_path_buf(), conn: Mutex::new(conn) })
    }

    /// Another program's lock on the file shows as [`StoreError::Busy`].
    fn busy(&self, e: StoreError) -> StoreError {
        match e {
            StoreError::Sqlite(e) if is_busy(&e) => StoreError::Busy { path: self.path.clone() },
            other => other,
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn check_is_ours(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let not_ours = |reason: String| StoreError::NotOurs { store: path.display().to_string(), reason };
    let version: Option<String> = conn
        .query_row("SELECT value FROM sasaeai_meta WHERE key = 'schema_version'", [], |r| r.get(0))
        .map_err(|e| not_ours(format!("no sasaeai_meta table ({e})")))?;
    match version.as_deref() {
        Some(v) if v == SCHEMA_VERSION.to_string() => Ok(()),
        other => Err(not_ours(format!("schema version {other:?}, expected {SCHEMA_VERSION}"))),
    }
}

impl Backend for GeoPackage {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn file(&self) -> Option<&Path> {
        Some(&self.path)
    }

    fn load_areas(&self) -> Result<Vec<Area>, StoreError> {
        rows::load_areas(&self.conn.lock())
    }

    fn load_sites(&self) -> Result<Vec<Site>, StoreError> {
        rows::load_sites(&self.conn.lock())
    }

    fn load_population(&self) -> Result<Vec<PopulationUnit>, StoreError> {
        rows::load_population(&self.conn.lock())
    }

    fn load_network(&self) -> Result<Option<NetworkParts>, StoreError> {
        rows::load_network(&self.conn.lock())
    }

    fn load_dataset(&self) -> Result<DatasetInfo, StoreError> {
        let conn = self.conn.lock();
        dataset_from(|key| rows::get_meta(&conn, key))
    }

    fn begin(&self) -> Result<Box<dyn Tx + '_>, StoreError> {
        let conn = self.conn.lock();
        conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| self.busy(e.into()))?;
        Ok(Box::new(GpkgTx { store: self, conn, open: true }))
    }

    fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// A transaction on the GeoPackage's connection, held for its whole length.
struct GpkgTx<'a> {
    store: &'a GeoPackage,
    conn: MutexGuard<'a, Connection>,
    open: bool,
}

impl GpkgTx<'_> {
    fn run<T>(&mut self, op: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        op(&self.conn).map_err(|e| self.store.busy(e))
    }
}

impl Drop for GpkgTx<'_> {
    fn drop(&mut self) {
        if self.open {
            // A failed rollback leaves SQLite to roll back when the connection is next used.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl Tx for GpkgTx<'_> {
    fn insert_area(&mut self, area: &AreaData) -> Result<AreaId, StoreError> {
        self.run(|c| rows::insert_area(c, &AreaRow::new(area)))
    }

    fn set_area_parent(
        &mut self,
        id: AreaId,
        parent: Option<AreaId>,
        derived: bool,
    ) -> Result<(), StoreError> {
        self.run(|c| rows::set_area_parent(c, id, parent, derived))
    }

    fn insert_site(&mut self, site: &SiteData) -> Result<SiteId, StoreError> {
        self.run(|c| rows::insert_site(c, None, site))
    }

    fn update_site(&mut self, id: SiteId, site: &SiteData) -> Result<bool, StoreError> {
        self.run(|c| rows::update_site(c, id, site))
    }

    fn delete_site(&mut self, id: SiteId) -> Result<bool, StoreError> {
        self.run(|c| rows::delete_site(c, id))
    }

    fn insert_population(&mut self, unit: &PopulationData) -> Result<PopulationId, StoreError> {
        self.run(|c| rows::insert_population(c, None, unit))
    }

    fn replace_network(&mut self, graph: &Graph) -> Result<(), StoreError> {
        self.run(|c| rows::replace_network(c, graph))
    }

    fn get_meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        self.run(|c| rows::get_meta(c, key))
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.run(|c| rows::set_meta(c, key, value))
    }

    fn copy_areas(&mut self, areas: &[Arc<Area>]) -> Result<(), StoreError> {
        self.run(|c| {
            for a in areas {
                rows::insert_area(c, &AreaRow::copy(a))?;
            }
            for a in areas.iter().filter(|a| a.parent.is_some()) {
                rows::set_area_parent(c, a.id, a.parent, a.parent_derived)?;
            }
            Ok(())
        })
    }

    fn copy_sites(&mut self, sites: &[Arc<Site>]) -> Result<(), StoreError> {
        self.run(|c| sites.iter().try_for_each(|s| rows::insert_site(c, Some(s.id), &s.data).map(drop)))
    }

    fn copy_population(&mut self, units: &[Arc<PopulationUnit>]) -> Result<(), StoreError> {
        self.run(|c| units.iter().try_for_each(|u| rows::insert_population(c, Some(u.id), &u.data).map(drop)))
    }

    fn touch(
        &mut self,
        layer: Layer,
        rect: Option<geo::Rect<f64>>,
        extent: Extent,
    ) -> Result<(), StoreError> {
        if layer == Layer::Dataset {
            return Ok(());
        }
        let table = layer.as_str();
        self.run(|c| {
            match extent {
                Extent::Grow => layout::touch_contents(c, table, rect)?,
                Extent::Replace => layout::set_extent(c, table, rect)?,
            }
            Ok(())
        })
    }

    fn commit(mut self: Box<Self>) -> Result<Vec<(Layer, u64)>, StoreError> {
        self.run(|c| Ok(c.execute_batch("COMMIT")?))?;
        self.open = false;
        Ok(Vec::new())
    }
}
