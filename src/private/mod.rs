//! The private store: accounts, sessions, tokens, residents' groups, their support maps and the audit
//! log, in a second SQLite file beside the GeoPackage (`NAME.private.sqlite` beside `NAME.gpkg`). It is
//! never part of the GeoPackage that planners copy into QGIS, so handing out the public file can
//! never hand out a support map. Same durability as the GeoPackage: WAL, `synchronous=FULL`, one
//! transaction per edit, and `secure_delete` so that a deleted person is overwritten on disk.
//!
//! This module stores and fetches; it decides nothing about who may do what (that is
//! [`crate::app`]'s job).

mod accounts;
mod audit;
mod groups;
mod indicators;
mod participants;
mod sheets;

pub use accounts::{Role, SessionRow, TokenRow, UserRow};
pub use audit::{AuditEntry, AuditRow};
pub use groups::{FeatureInput, FeatureRow, GroupRole, GroupRow, MemberRow};
pub use sheets::{
    IssueInput, IssueRow, MAX_ISSUES_PER_AREA, MAX_NOTES_PER_AREA, NoteInput, NoteRow, TargetRow,
};

use crate::model::calendar::civil_from_days;
use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Why the private store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum PrivateError {
    #[error("private store: {0}")]
    Sqlite(#[from] rusqlite::Error),
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
}

/// `PRAGMA application_id` of a private store ("SSAE").
const APPLICATION_ID: i32 = 0x5353_4145;

/// The private store.
pub struct PrivateStore {
    conn: Mutex<Connection>,
    /// Counts the committed changes to what the overlays read (groups, features, editions), so
    /// caches of aggregates know when they are stale.
    maps_version: AtomicU64,
    /// Counts the committed imports of indicator figures and of site participants, for the
    /// figures' in-memory index.
    indicators_version: AtomicU64,
    /// The file, unless the store lives in memory.
    path: Option<PathBuf>,
}

impl PrivateStore {
    /// The private file that belongs beside `gpkg`: `town.gpkg` → `town.private.sqlite`.
    pub fn path_beside(gpkg: &Path) -> PathBuf {
        let stem = gpkg.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        gpkg.with_file_name(format!("{stem}.private.sqlite"))
    }

    /// Opens (creating when missing) the private store at `path`.
    pub fn open(path: &Path) -> Result<Self, PrivateError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        Self::prepare(conn, Some(path))
    }

    /// A private store that lives only in memory (the demo generator's scratch, tests).
    pub fn in_memory() -> Result<Self, PrivateError> {
        Self::prepare(Connection::open_in_memory()?, None)
    }

    fn prepare(mut conn: Connection, path: Option<&Path>) -> Result<Self, PrivateError> {
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.busy_timeout(Duration::from_secs(2))?;
        let id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        // Each entry of MIGRATIONS is applied once, in order; `user_version` counts those applied
        // (a store from before the count has the first one).
        let applied: usize = match (id, tables) {
            (APPLICATION_ID, _) => {
                conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?.max(1) as usize
            }
            (0, 0) => 0,
            _ => return Err(PrivateError::NotOurs(path.map(Path::to_path_buf).unwrap_or_default())),
        };
        if applied < MIGRATIONS.len() {
            let tx = conn.transaction()?;
            for migration in &MIGRATIONS[applied..] {
                tx.execute_batch(migration)?;
            }
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
            tx.commit()?;
        }
        Ok(PrivateStore {
            conn: Mutex::new(conn),
            maps_version: AtomicU64::new(0),
            indicators_version: AtomicU64::new(0),
            path: path.map(Path::to_path_buf),
        })
    }

    /// The file, unless the store lives in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `f` in one transaction: everything it writes, audit rows included, lands or nothing does.
    fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, PrivateError>,
    ) -> Result<T, PrivateError> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// [`Self::write`] for a change to the support maps: the maps' version moves once it commits.
    fn write_map<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, PrivateError>,
    ) -> Result<T, PrivateError> {
        let value = self.write(f)?;
        self.maps_version.fetch_add(1, Ordering::Release);
        Ok(value)
    }

    /// The version of the support maps in this process: it changes whenever a group, a feature or
    /// an edition does.
    pub fn maps_version(&self) -> u64 {
        self.maps_version.load(Ordering::Acquire)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, PrivateError>) -> Result<T, PrivateError> {
        f(&self.conn.lock())
    }
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

/// The schema, as the changes that built it; a store is brought up to date when opened.
const MIGRATIONS: [&str; 4] = [SCHEMA, INDICATORS, SHEETS, PARTICIPANTS];

/// Participants of a site (通いの場) per year, as the ward counts them.
const PARTICIPANTS: &str = r#"
CREATE TABLE site_participants (
  site_id INTEGER NOT NULL,
  year INTEGER NOT NULL,
  participants INTEGER NOT NULL CHECK (participants >= 0),
  PRIMARY KEY (site_id, year)
);
"#;

/// Indicator figures per area and year (`value` NULL: withheld at the source).
const INDICATORS: &str = r#"
CREATE TABLE indicator_values (
  area_id INTEGER NOT NULL,
  indicator TEXT NOT NULL,
  year INTEGER NOT NULL,
  value REAL,
  PRIMARY KEY (area_id, indicator, year)
);
CREATE INDEX indicator_values_by_year ON indicator_values(indicator, year);
"#;

/// The 地域情報シート's notes and issues (課題) with their targets per year.
const SHEETS: &str = r#"
CREATE TABLE area_notes (
  id INTEGER PRIMARY KEY,
  area_id INTEGER NOT NULL,
  field TEXT NOT NULL,
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  author TEXT NOT NULL,
  updated INTEGER NOT NULL
);
CREATE INDEX area_notes_by_area ON area_notes(area_id);
CREATE TABLE area_issues (
  id INTEGER PRIMARY KEY,
  area_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  field TEXT NOT NULL,
  priority INTEGER NOT NULL,
  indicator TEXT,
  author TEXT NOT NULL,
  updated INTEGER NOT NULL
);
CREATE INDEX area_issues_by_area ON area_issues(area_id);
CREATE TABLE issue_targets (
  issue_id INTEGER NOT NULL REFERENCES area_issues(id),
  year INTEGER NOT NULL,
  target REAL,
  measured REAL,
  PRIMARY KEY (issue_id, year)
);
"#;

const SCHEMA: &str = r#"
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  scope TEXT NOT NULL DEFAULT '[]',
  password_hash TEXT,
  disabled INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL
);
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  name TEXT NOT NULL,
  hash BLOB NOT NULL UNIQUE,
  created INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  hash BLOB NOT NULL UNIQUE,
  csrf TEXT NOT NULL,
  created INTEGER NOT NULL,
  seen INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE groups (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  area_id INTEGER,
  polygon TEXT,
  edition INTEGER NOT NULL,
  created INTEGER NOT NULL
);
CREATE TABLE editions (
  group_id INTEGER NOT NULL REFERENCES groups(id),
  edition INTEGER NOT NULL,
  created INTEGER NOT NULL,
  PRIMARY KEY (group_id, edition)
);
CREATE TABLE members (
  group_id INTEGER NOT NULL REFERENCES groups(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  role TEXT NOT NULL,
  PRIMARY KEY (group_id, user_id)
);
CREATE TABLE features (
  id INTEGER PRIMARY KEY,
  group_id INTEGER NOT NULL REFERENCES groups(id),
  edition INTEGER NOT NULL,
  key INTEGER NOT NULL,
  type TEXT NOT NULL,
  lon REAL,
  lat REAL,
  label TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]',
  note TEXT NOT NULL DEFAULT '',
  from_key INTEGER,
  to_key INTEGER,
  site_id INTEGER,
  updated INTEGER NOT NULL
);
CREATE INDEX features_by_edition ON features(group_id, edition);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  group_id INTEGER,
  ids TEXT NOT NULL DEFAULT '[]',
  client TEXT
);
CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#;

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

    #[test]
    fn a_store_from_before_the_indicators_gains_their_table_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.private.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA).unwrap();
            conn.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
        }
        let store = PrivateStore::open(&path).unwrap();
        assert_eq!(store.indicator_values().unwrap(), Vec::new());
        let version: i64 = store.conn.lock().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        drop(store);
        PrivateStore::open(&path).expect("opened again without migrating twice");
    }

    #[test]
    fn the_audit_log_refuses_updates_and_deletes() {
        let store = PrivateStore::in_memory().unwrap();
        let entry = AuditEntry::new("someone", "group.create", None, Vec::new(), None);
        store.write(|tx| audit::append(tx, &entry)).unwrap();
        let conn = store.conn.lock();
        assert!(conn.execute("UPDATE audit SET actor = 'x'", []).is_err());
        assert!(conn.execute("DELETE FROM audit", []).is_err());
        assert_eq!(conn.query_row("SELECT count(*) FROM audit", [], |r| r.get::<_, i64>(0)).unwrap(), 1);
    }
}
