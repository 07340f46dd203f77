//! The private store: accounts, sessions, tokens, residents' groups, their support maps, the staff
//! sheets, indicator figures and the audit log — everything that must never be handed out with the
//! public layers. Two backends behind one seam ([`PrivateBackend`]): a SQLite file beside the
//! GeoPackage ([`sqlite`]), or the tenant's tables in the shared PostgreSQL database ([`postgres`]),
//! so several instances of one town share sign-ins and support maps. The statements are written
//! once (`sql.rs`) and run on either.
//!
//! This module stores and fetches; it decides nothing about who may do what (that is
//! [`crate::app`]'s job).

mod accounts;
mod audit;
mod copy;
mod groups;
mod indicators;
mod participants;
pub mod postgres;
mod sheets;
pub(crate) mod sql;
pub mod sqlite;

pub use accounts::{Role, SessionRow, TokenRow, UserRow};
pub use audit::{AuditEntry, AuditRow};
pub use copy::TableDigest;
pub use groups::{FeatureInput, FeatureRow, GroupRole, GroupRow, MemberRow};
pub use sheets::{
    IssueInput, IssueRow, MAX_ISSUES_PER_AREA, MAX_NOTES_PER_AREA, NoteInput, NoteRow, TargetRow,
};

use crate::model::calendar::civil_from_days;
use crate::store::Location;
use sql::{Sql, args};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Why the private store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum PrivateError {
    #[error("private store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The shared database answered with an error (its own message).
    #[error("private store: {0}")]
    Postgres(String),
    /// The connection to the shared database was lost; the next call connects again.
    #[error("private store: the connection to the database was lost ({0})")]
    Unavailable(String),
    /// The shared database cannot be reached or set up.
    #[error("private store {store}: {reason}")]
    Setup { store: String, reason: String },
    /// A name that must be unique is taken.
    #[error("{0} already exists")]
    Exists(String),
    /// The row named does not exist.
    #[error("{0} not found")]
    Missing(String),
    /// The change would break a rule of the store (the last owner, an edition out of order).
    #[error("{0}")]
    Refused(String),
    /// The file was written by something else.
    #[error("{0} is not a sasaeai private store")]
    NotOurs(PathBuf),
    /// A row does not hold what its column should.
    #[error("private store: {0}")]
    Corrupt(String),
}

/// The statements of one transaction, run by a backend (on another thread, where it must).
pub type Work<'a> = dyn FnMut(&mut dyn Sql) -> Result<(), PrivateError> + Send + 'a;

/// Where the private store keeps its rows: the operations of one transaction, run in its dialect.
pub trait PrivateBackend: Send + Sync {
    /// The file or the database and tenant, for messages (no password).
    fn describe(&self) -> String;

    /// The file, for a backend that is one.
    fn path(&self) -> Option<&Path>;

    /// Runs `work` in one transaction: everything it writes, audit rows included, lands or nothing does.
    fn write(&self, work: &mut Work<'_>) -> Result<(), PrivateError>;

    /// Runs `work` on a consistent view for reading.
    fn read(&self, work: &mut Work<'_>) -> Result<(), PrivateError>;

    /// After rows about people were deleted: leaves no copy of them where the backend can help it.
    fn purge(&self) -> Result<(), PrivateError>;

    /// How often `what` (`maps`, `indicators`) was written by any instance, as far as this one
    /// knows; 0 where only this process writes.
    fn shared_version(&self, what: &str) -> Result<u64, PrivateError>;

    /// After rows were copied in with their ids: new ids start past them.
    fn after_copy(&self) -> Result<(), PrivateError>;
}

/// What each kind of cached private data is counted as in `private_versions`.
const MAPS: &str = "maps";
const INDICATORS: &str = "indicators";

/// The private store over one backend.
pub struct PrivateStore {
    backend: Box<dyn PrivateBackend>,
    /// Counts the committed changes to what the overlays read (groups, features, editions) in this
    /// process, so caches of aggregates know when they are stale.
    maps_version: AtomicU64,
    /// Counts the committed imports of indicator figures and of site participants in this process.
    indicators_version: AtomicU64,
}

impl PrivateStore {
    /// The private file that belongs beside `gpkg`: `town.gpkg` → `town.private.sqlite`.
    pub fn path_beside(gpkg: &Path) -> PathBuf {
        let stem = gpkg.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        gpkg.with_file_name(format!("{stem}.private.sqlite"))
    }

    /// Opens (creating when missing) the private store in the file at `path`.
    pub fn open(path: &Path) -> Result<Self, PrivateError> {
        Ok(Self::over(Box::new(sqlite::SqlitePrivate::open(path)?)))
    }

    /// A private store that lives only in memory (the demo generator's scratch, tests).
    pub fn in_memory() -> Result<Self, PrivateError> {
        Ok(Self::over(Box::new(sqlite::SqlitePrivate::in_memory()?)))
    }

    /// The private store belonging to the store at `location`: the file beside its GeoPackage, or
    /// the same tenant of the same PostgreSQL database.
    pub fn open_at(location: &Location) -> Result<Self, PrivateError> {
        match location {
            Location::GeoPackage(gpkg) => Self::open(&Self::path_beside(gpkg)),
            Location::Postgres { url, tenant } => {
                Ok(Self::over(Box::new(postgres::PgPrivate::connect(url, tenant.clone())?)))
            }
        }
    }

    /// The private store over `backend`.
    pub fn over(backend: Box<dyn PrivateBackend>) -> Self {
        PrivateStore { backend, maps_version: AtomicU64::new(0), indicators_version: AtomicU64::new(0) }
    }

    /// The file, unless the store lives in memory or in a database.
    pub fn path(&self) -> Option<&Path> {
        self.backend.path()
    }

    /// The file or database, for messages.
    pub fn describe(&self) -> String {
        self.backend.describe()
    }

    /// Runs `f` in one transaction of the backend.
    fn write<T: Send>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, PrivateError> + Send,
    ) -> Result<T, PrivateError> {
        run_once(|work| self.backend.write(work), f)
    }

    /// [`Self::write`] for a change counted as `what`: its version moves in the same transaction,
    /// and in this process once it commits.
    fn write_counted<T: Send>(
        &self,
        what: &'static str,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, PrivateError> + Send,
    ) -> Result<T, PrivateError> {
        let value = self.write(|sql| {
            let value = f(sql)?;
            sql.execute(
                "INSERT INTO private_versions (tenant, what, version) VALUES (:tenant, ?1, 1) \
                 ON CONFLICT (tenant, what) DO UPDATE SET version = private_versions.version + 1",
                args![what],
            )?;
            Ok(value)
        })?;
        let local = if what == MAPS { &self.maps_version } else { &self.indicators_version };
        local.fetch_add(1, Ordering::Release);
        Ok(value)
    }

    /// [`Self::write_counted`] for the support maps.
    fn write_map<T: Send>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, PrivateError> + Send,
    ) -> Result<T, PrivateError> {
        self.write_counted(MAPS, f)
    }

    /// The version of the support maps: it changes whenever a group, a feature or an edition does —
    /// here at once, through another instance within the backend's polling interval.
    pub fn maps_version(&self) -> u64 {
        self.version(&self.maps_version, MAPS)
    }

    /// The version of the indicator figures and site participants: it changes whenever an import of
    /// either commits.
    pub fn indicators_version(&self) -> u64 {
        self.version(&self.indicators_version, INDICATORS)
    }

    fn version(&self, local: &AtomicU64, what: &str) -> u64 {
        // A database that cannot answer leaves the caches as they are; the error shows on the
        // next read of the data itself.
        let shared = self.backend.shared_version(what).unwrap_or(0);
        local.load(Ordering::Acquire).wrapping_add(shared)
    }

    fn read<T: Send>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, PrivateError> + Send,
    ) -> Result<T, PrivateError> {
        run_once(|work| self.backend.read(work), f)
    }
}

/// Hands `f` to `run` (a backend's write or read, which takes its work as a closure it may call on
/// another thread) and gives back what `f` returned.
fn run_once<T: Send>(
    run: impl FnOnce(&mut Work<'_>) -> Result<(), PrivateError>,
    f: impl FnOnce(&mut dyn Sql) -> Result<T, PrivateError> + Send,
) -> Result<T, PrivateError> {
    let mut f = Some(f);
    let mut out = None;
    run(&mut |sql| {
        let f = f.take().expect("a backend runs its work once");
        out = Some(f(sql)?);
        Ok(())
    })?;
    Ok(out.expect("the backend ran the work"))
}

/// Seconds since the Unix epoch, the store's clock.
pub fn now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `2026-11-21T09:30:00Z` for Unix seconds `t` (proleptic Gregorian, UTC).
pub fn iso8601(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The calendar year (UTC) of Unix seconds `t`.
pub fn year_of(t: i64) -> i32 {
    civil_from_days(t.div_euclid(86_400)).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_gregorian() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_795_251_600), "2026-11-21T09:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(year_of(1_795_251_600), 2026);
    }
}
